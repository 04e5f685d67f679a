//! `queue flush [--hours H]`: delete all failed jobs, or those that failed H hours ago or more.

use crate::app::Ctx;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only failed jobs at least this many hours old.
    #[arg(long, value_name = "H")]
    pub hours: Option<f64>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let before = super::prune_failed::hours_ago(ctx, args.hours)?;
    let (_, mut store) = ctx.store()?;
    let deleted = store.flush_failed(before)?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "deleted": deleted }))?;
    } else {
        ctx.out.say(&match args.hours {
            None => format!("Deleted all {deleted} failed jobs."),
            Some(h) => format!("Deleted {deleted} failed jobs that failed {h} hours ago or more."),
        });
    }
    Ok(ExitCode::SUCCESS)
}
