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
        let scope = match args.hours {
            None => String::new(),
            Some(h) => format!(" at least {} old", super::hours(h)),
        };
        ctx.out.say(&super::deleted(
            deleted,
            "failed job",
            "failed jobs",
            &scope,
        ));
    }
    Ok(ExitCode::SUCCESS)
}
