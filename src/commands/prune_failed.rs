//! `queue prune-failed [--hours 24]`: delete failed jobs older than H hours.

use crate::app::Ctx;
use anyhow::{bail, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep failed jobs younger than this many hours.
    #[arg(long, default_value_t = 24.0, value_name = "H")]
    pub hours: f64,
}

/// `now - hours`, in unix ms; None when no hours were given.
pub fn hours_ago(ctx: &Ctx, hours: Option<f64>) -> Result<Option<i64>> {
    match hours {
        None => Ok(None),
        Some(h) if h.is_finite() && h >= 0.0 => Ok(Some(ctx.now_ms() - (h * 3_600_000.0) as i64)),
        Some(h) => bail!("--hours {h}: give a number of hours, 0 or more"),
    }
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let before = hours_ago(ctx, Some(args.hours))?;
    let (_, mut store) = ctx.store()?;
    let deleted = store.flush_failed(before)?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "deleted": deleted }))?;
    } else {
        let scope = format!(" at least {} old", super::hours(args.hours));
        ctx.out.say(&super::deleted(
            deleted,
            "failed job",
            "failed jobs",
            &scope,
        ));
    }
    Ok(ExitCode::SUCCESS)
}
