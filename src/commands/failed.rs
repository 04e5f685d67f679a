//! `queue failed [--queue Q]`: failed jobs, newest first.

use crate::app::Ctx;
use crate::clock::format_local;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only failed jobs of this queue.
    #[arg(long, value_name = "Q", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    let jobs = store.failed_jobs(args.queue.as_deref())?;
    if ctx.out.json {
        let mut value = serde_json::to_value(&jobs)?;
        for job in value.as_array_mut().into_iter().flatten() {
            job["payload"] = crate::output::snake_case_payload(job["payload"].take());
        }
        ctx.out.json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    if jobs.is_empty() {
        ctx.out.say("No failed jobs found.");
        return Ok(ExitCode::SUCCESS);
    }
    let rows = jobs
        .iter()
        .map(|j| {
            vec![
                j.uuid.clone(),
                j.connection.clone(),
                j.queue.clone(),
                j.name.clone(),
                format_local(j.failed_at_ms),
                j.error.lines().next().unwrap_or("").to_string(),
            ]
        })
        .collect();
    ctx.out.table(
        &["uuid", "connection", "queue", "job", "failed at", "error"],
        rows,
    );
    Ok(ExitCode::SUCCESS)
}
