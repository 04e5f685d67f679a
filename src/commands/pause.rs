//! `queue pause [CONN:]QUEUE` and `queue resume [CONN:]QUEUE`: workers skip a paused queue.

use crate::app::Ctx;
use crate::domain::job::validate_queue_name;
use crate::store::PAUSED_PREFIX;
use anyhow::{anyhow, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    /// [CONNECTION:]QUEUE
    #[arg(add = crate::commands::complete::with(crate::commands::complete::connection_queues))]
    pub queue: String,
}

#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// [CONNECTION:]QUEUE
    #[arg(add = crate::commands::complete::with(crate::commands::complete::connection_queues))]
    pub queue: String,
}

/// Split `conn:queue` (or `queue`, on the current connection) and open that connection's store.
fn target_queue(
    ctx: &Ctx,
    text: &str,
) -> Result<(String, crate::config::Target, Box<dyn crate::store::Store>)> {
    let (conn, queue) = match text.split_once(':') {
        Some((c, q)) => (Some(c), if q.is_empty() { "default" } else { q }),
        None => (None, text),
    };
    validate_queue_name(queue).map_err(|e| anyhow!("{e}"))?;
    let target = ctx.target(conn)?;
    let store = ctx.open(&target)?;
    Ok((format!("{}:{queue}", target.connection), target, store))
}

pub fn pause(args: PauseArgs, ctx: &Ctx) -> Result<ExitCode> {
    let (name, _, mut store) = target_queue(ctx, &args.queue)?;
    store.set_setting(&format!("{PAUSED_PREFIX}{name}"), Some("1"))?;
    ctx.out.done(
        serde_json::json!({"queue": name, "paused": true}),
        &format!("Paused {name}: workers take no jobs from it until `queue resume {name}`."),
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn resume(args: ResumeArgs, ctx: &Ctx) -> Result<ExitCode> {
    let (name, _, mut store) = target_queue(ctx, &args.queue)?;
    store.set_setting(&format!("{PAUSED_PREFIX}{name}"), None)?;
    ctx.out.done(
        serde_json::json!({"queue": name, "paused": false}),
        &format!("Resumed {name}: workers take its jobs again."),
    )?;
    Ok(ExitCode::SUCCESS)
}
