//! `queue status`: per queue, how many jobs are pending, delayed, reserved and failed, how
//! long the oldest pending job has waited, whether it is paused and how many live workers serve
//! it (an empty queue is listed when it is paused or has workers); whether maintenance mode is
//! on; the live workers.

use crate::app::Ctx;
use crate::domain::duration::humanize_ms;
use crate::store::{Controls, QueueStats, WorkerInfo};
use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;

/// One row of `status`: a queue's counts, whether it is paused, and its live workers.
#[derive(Debug, Serialize)]
pub struct QueueRow {
    #[serde(flatten)]
    pub stats: QueueStats,
    pub paused: bool,
    pub workers: usize,
}

/// The rows `status` shows: every queue that holds jobs, and the empty ones that are paused or
/// have live workers (with zero counts), in that order.
pub fn queue_rows(
    stats: Vec<QueueStats>,
    controls: &Controls,
    workers: &[WorkerInfo],
    connection: &str,
) -> Vec<QueueRow> {
    let mut extra: Vec<(String, String)> = Vec::new();
    for entry in &controls.paused {
        if let Some((conn, queue)) = entry.split_once(':') {
            extra.push((conn.to_string(), queue.to_string()));
        }
    }
    for w in workers {
        for q in &w.queues {
            extra.push((connection.to_string(), q.clone()));
        }
    }
    extra.sort();
    extra.dedup();
    let mut rows: Vec<QueueRow> = stats
        .into_iter()
        .map(|stats| QueueRow {
            stats,
            paused: false,
            workers: 0,
        })
        .collect();
    for (conn, queue) in extra {
        if !rows
            .iter()
            .any(|r| r.stats.connection == conn && r.stats.queue == queue)
        {
            rows.push(QueueRow {
                stats: QueueStats {
                    queue,
                    connection: conn,
                    ..QueueStats::default()
                },
                paused: false,
                workers: 0,
            });
        }
    }
    for row in &mut rows {
        let name = format!("{}:{}", row.stats.connection, row.stats.queue);
        row.paused = controls.paused.contains(&name);
        row.workers = if row.stats.connection == connection {
            workers
                .iter()
                .filter(|w| w.queues.contains(&row.stats.queue))
                .count()
        } else {
            0
        };
    }
    rows
}

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (target, mut store) = ctx.read_store()?;
    let now = ctx.now_ms();
    let stats = store.queue_stats(now)?;
    let workers = store.workers(now)?;
    let controls = store.controls()?;
    let queues = queue_rows(stats, &controls, &workers, &target.connection);
    if ctx.out.json {
        // The same keys whatever the store holds.
        ctx.out.json(&json!({
            "queues": queues,
            "workers": workers,
            "maintenance": controls.maintenance,
            "paused": controls.paused,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if controls.maintenance {
        ctx.out.say(
            "Maintenance mode is on: workers take no jobs unless --force (`queue up` ends it).",
        );
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

fn queue_table(ctx: &Ctx, queues: &[QueueRow]) {
    let rows = queues
        .iter()
        .map(|row| {
            let q = &row.stats;
            vec![
                format!("{}:{}", q.connection, q.queue),
                if row.paused { "paused" } else { "active" }.to_string(),
                q.pending.to_string(),
                q.delayed.to_string(),
                q.reserved.to_string(),
                q.failed.to_string(),
                q.oldest_pending_age_s
                    .map(|s| humanize_ms(s * 1000))
                    .unwrap_or_else(|| "-".into()),
                row.workers.to_string(),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "queue",
            "state",
            "pending",
            "delayed",
            "reserved",
            "failed",
            "oldest pending",
            "workers",
        ],
        rows,
    );
}
