//! `queue bench [--quick]`: measure this machine (in a temporary directory): each figure of
//! the queue beside the machine's own limit for the same work, measured in the same run.

use crate::app::Ctx;
use crate::bench::{render, run_all};
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
    ctx.out
        .note("Measuring in a temporary directory; this takes a minute (--quick: seconds).");
    let figures = run_all(Some(&exe), args.quick)?;
    if ctx.out.json {
        ctx.out.json(&figures)?;
    } else {
        ctx.out.line(render(&figures).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
