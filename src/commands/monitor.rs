//! `queue monitor QUEUE[,CONN:QUEUE…] [--max 1000]`: one-shot size check for cron; prints a row
//! per queue and exits 1 when any queue holds `--max` jobs or more (an ALERT), 3 when the store
//! cannot be read.

use crate::app::{Ctx, ExitWith};
use crate::domain::job::validate_queue_name;
use anyhow::{anyhow, Result};
use serde::Serialize;
use std::process::ExitCode;

/// The exit status when the store could not be read (1 is an alert).
pub const STORE_ERROR: u8 = 3;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 all queues below --max, 1 an ALERT, 3 the store could not be read (2: usage)."
)]
pub struct Args {
    /// Queues to check: a,b or conn:a,conn:b.
    #[arg(value_name = "QUEUES", add = crate::commands::complete::with(crate::commands::complete::connection_queues))]
    pub queues: String,
    /// The size (pending + delayed + reserved) at which a queue is in ALERT.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max: i64,
}

#[derive(Debug, Serialize)]
struct Row {
    connection: String,
    queue: String,
    size: i64,
    pending: i64,
    delayed: i64,
    reserved: i64,
    oldest_pending_age_s: Option<i64>,
    status: &'static str,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for item in args
        .queues
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (conn, queue) = match item.split_once(':') {
            Some((c, q)) => (Some(c), q),
            None => (None, item),
        };
        validate_queue_name(queue).map_err(|e| anyhow!("{e}"))?;
        items.push((conn, queue));
    }
    for (conn, queue) in items {
        let target = ctx.target(conn)?;
        // A store that cannot be read exits 3, not 1: cron must tell an outage from a backlog.
        let stats = ctx
            .open_existing(&target)
            .and_then(|mut store| store.queue_stats(ctx.now_ms()))
            .map_err(|error| ExitWith {
                code: STORE_ERROR,
                error,
            })?
            .into_iter()
            .find(|s| s.queue == queue)
            .unwrap_or_default();
        let size = stats.pending + stats.delayed + stats.reserved;
        rows.push(Row {
            connection: target.connection.clone(),
            queue: queue.to_string(),
            size,
            pending: stats.pending,
            delayed: stats.delayed,
            reserved: stats.reserved,
            oldest_pending_age_s: stats.oldest_pending_age_s,
            status: if size >= args.max { "ALERT" } else { "OK" },
        });
    }
    if rows.is_empty() {
        return Err(crate::app::usage_error(
            "name at least one queue to monitor, as in `queue monitor default,emails`",
        ));
    }
    let alert = rows.iter().any(|r| r.status == "ALERT");
    if ctx.out.json {
        ctx.out.json(&rows)?;
    } else {
        let table = rows
            .iter()
            .map(|r| {
                vec![
                    format!("{}:{}", r.connection, r.queue),
                    r.size.to_string(),
                    r.status.to_string(),
                ]
            })
            .collect();
        ctx.out.table(&["queue", "size", "status"], table);
    }
    Ok(if alert {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
