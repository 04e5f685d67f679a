//! `queue release [--delay S]`, inside a job: put this job back on its queue. The worker applies
//! it when the job's process exits (exit 0 after `queue release` is fine).

use crate::app::Ctx;
use crate::domain::duration::parse_duration;
use crate::store::Intent;
use anyhow::{anyhow, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds before the job is available again (default: its backoff).
    #[arg(long, value_name = "S")]
    pub delay: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let delay_secs = match &args.delay {
        None => None,
        Some(text) => Some(
            parse_duration(text)
                .map_err(|e| anyhow!("--delay: {e}"))?
                .as_secs_f64()
                .round() as u64,
        ),
    };
    record_from_job(ctx, &Intent::Release { delay_secs })
}

/// Record what the running job asked for, identified by QUEUE_JOB_ID and QUEUE_JOB_TOKEN.
pub fn record_from_job(ctx: &Ctx, intent: &Intent) -> Result<ExitCode> {
    let (Ok(uuid), Ok(token)) = (
        std::env::var("QUEUE_JOB_ID"),
        std::env::var("QUEUE_JOB_TOKEN"),
    ) else {
        anyhow::bail!(
            "this command only works inside a job run by `queue work` (QUEUE_JOB_ID and QUEUE_JOB_TOKEN are not set)"
        );
    };
    let (_, mut store) = ctx.store()?;
    if !store.record_intent(&uuid, &token, intent)? {
        anyhow::bail!(
            "job {uuid} is not running under this token any more (it timed out or its reservation expired)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
