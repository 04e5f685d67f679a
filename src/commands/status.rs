//! `queue status`: per queue, how many jobs are pending, delayed, reserved and failed, and how
//! long the oldest pending job has waited.

use crate::app::Ctx;
use crate::domain::duration::humanize_ms;
use anyhow::Result;
use serde_json::json;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (target, mut store) = ctx.read_store()?;
    let now = ctx.now_ms();
    let queues = store.queue_stats(now)?;
    let workers = store.workers(now)?;
    if ctx.out.json {
        ctx.out
            .json(&json!({ "queues": queues, "workers": workers }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if queues.is_empty() {
        ctx.out.say(&format!(
            "No jobs in {} ({}).",
            target.connection,
            target.location.describe()
        ));
    } else {
        queue_table(ctx, &queues);
    }
    if workers.is_empty() {
        ctx.out.say("No workers running.");
    } else {
        let rows = workers
            .iter()
            .map(|w| {
                vec![
                    w.name.clone(),
                    w.host.clone(),
                    w.pid.to_string(),
                    w.queues
                        .iter()
                        .map(|q| format!("{}:{q}", target.connection))
                        .collect::<Vec<_>>()
                        .join(","),
                    format!("{}/{}", w.jobs.len(), w.concurrency),
                    humanize_ms(now - w.started_at),
                    format!("{} ago", humanize_ms(now - w.last_seen_at)),
                ]
            })
            .collect();
        ctx.out.table(
            &[
                "worker",
                "host",
                "pid",
                "queues",
                "running",
                "up",
                "last seen",
            ],
            rows,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn queue_table(ctx: &Ctx, queues: &[crate::store::QueueStats]) {
    let rows = queues
        .iter()
        .map(|q| {
            vec![
                format!("{}:{}", q.connection, q.queue),
                q.pending.to_string(),
                q.delayed.to_string(),
                q.reserved.to_string(),
                q.failed.to_string(),
                q.oldest_pending_age_s
                    .map(|s| humanize_ms(s * 1000))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "queue",
            "pending",
            "delayed",
            "reserved",
            "failed",
            "oldest pending",
        ],
        rows,
    );
}
