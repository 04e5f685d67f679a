//! `queue bench [--quick]`: measure this machine, each figure of the queue beside the machine's
//! own limit for the same work, measured in the same run. In a temporary directory, unless a
//! store is named (`--database` / QUEUE_DATABASE, or `--connection`): then on that store,
//! PostgreSQL included, each figure on a queue of its own (see `bench::place`).

use crate::app::Ctx;
use crate::bench::{render, run_all, Place};
use anyhow::{Context, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Smaller counts: a rough figure in a few seconds.
    #[arg(long)]
    pub quick: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the queue binary")?;
    let named = ctx.selection.database.is_some() || ctx.selection.connection.is_some();
    let place = if named {
        let target = ctx.target(None)?;
        ctx.out.note(&format!(
            "Measuring on {} (queues bench-{}-*, cleared afterwards); this takes a minute (--quick: seconds).",
            target.location.describe(),
            std::process::id()
        ));
        Place::Given(target.location.as_env())
    } else {
        ctx.out
            .note("Measuring in a temporary directory; this takes a minute (--quick: seconds).");
        Place::Scratch
    };
    let figures = run_all(Some(&exe), &place, args.quick)?;
    if ctx.out.json {
        ctx.out.json(&figures)?;
    } else {
        ctx.out.line(render(&figures).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
