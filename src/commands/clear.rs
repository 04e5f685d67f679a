//! `queue clear [CONNECTION] [--queue Q]`: delete every job of one queue.

use crate::app::Ctx;
use crate::domain::job::validate_queue_name;
use anyhow::{anyhow, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The connection of queue.toml (default: --connection, else its `default`).
    // Its own id: `connection` is taken by the global --connection flag.
    #[arg(id = "clear_connection", value_name = "CONNECTION")]
    pub connection: Option<String>,
    /// The queue to clear (default: the connection's queue).
    #[arg(long, value_name = "Q", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let target = ctx.target(args.connection.as_deref())?;
    let queue = args.queue.unwrap_or_else(|| target.default_queue.clone());
    validate_queue_name(&queue).map_err(|e| anyhow!("--queue: {e}"))?;
    let mut store = ctx.open(&target)?;
    let cleared = store.clear(&queue)?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "queue": queue, "connection": target.connection, "cleared": cleared }))?;
    } else {
        let scope = format!(" in {}:{queue}", target.connection);
        ctx.out.say(&super::deleted(cleared, "job", "jobs", &scope));
    }
    Ok(ExitCode::SUCCESS)
}
