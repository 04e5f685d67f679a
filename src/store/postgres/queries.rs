//! What the read-only commands see (`show`, `status`, `monitor`, `failed`, `batches`) and what a
//! worker reads at each loop (`controls`, `next_available_at`): statements and the assembly of
//! their rows into the store's view types, reading columns by name.

use super::sql::{BATCH, BATCHES, QUEUE_STATS, SHOW, WORKERS};
use super::PostgresStore;
use crate::clock::format_rfc3339;
use crate::domain::job::{JobState, Payload};
use crate::store::{
    BatchView, Controls, FailedJob, JobView, QueueStats, WorkerInfo, MAINTENANCE_KEY,
    PAUSED_PREFIX, RESTART_KEY,
};
use anyhow::{Context, Result};
use postgres::Row;
use std::sync::atomic::Ordering;

pub(super) fn parse_payload(raw: &str, uuid: &str) -> Result<Payload> {
    serde_json::from_str(raw).with_context(|| format!("job {uuid} has an unreadable payload"))
}

/// `Store::next_available_at`, on the caller's clock.
pub(super) fn next_available_at(
    store: &mut PostgresStore,
    queues: &[String],
) -> Result<Option<i64>> {
    let skew = store.skew()?;
    let rows = store.query(
        "SELECT MIN(x.available_at) FROM unnest($1::text[]) AS q(name),
             LATERAL (SELECT available_at FROM jobs
                      WHERE queue = q.name AND reserved_at IS NULL
                      ORDER BY available_at LIMIT 1) x",
        &[&queues],
    )?;
    let at: Option<i64> = rows.first().and_then(|r| r.get(0));
    Ok(at.map(|at| at - skew))
}

/// `Store::workers`.
pub(super) fn workers(store: &mut PostgresStore) -> Result<Vec<WorkerInfo>> {
    let rows = store.query(WORKERS, &[])?;
    Ok(rows
        .iter()
        .map(|r| {
            let queues: String = r.get("queues");
            let jobs: Option<String> = r.get("jobs");
            WorkerInfo {
                id: r.get("id"),
                name: r.get("name"),
                host: r.get("host"),
                pid: r.get::<_, i64>("pid") as u32,
                queues: queues.split(',').map(String::from).collect(),
                concurrency: r.get::<_, i64>("concurrency") as usize,
                started_at: r.get("started_at"),
                last_seen_at: r.get("last_seen_at"),
                jobs: jobs
                    .map(|j| j.split(',').map(String::from).collect())
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// `Store::queue_stats`: the rows of jobs and of failed jobs added up per queue.
pub(super) fn queue_stats(store: &mut PostgresStore) -> Result<Vec<QueueStats>> {
    let rows = store.query(QUEUE_STATS, &[])?;
    let connection = store.options.connection.clone();
    let mut by_queue: std::collections::BTreeMap<String, QueueStats> = Default::default();
    for r in &rows {
        let queue: String = r.get("queue");
        let now: i64 = r.get("now");
        let entry = by_queue.entry(queue.clone()).or_insert_with(|| QueueStats {
            queue,
            connection: connection.clone(),
            ..Default::default()
        });
        entry.pending += r.get::<_, i64>("pending");
        entry.delayed += r.get::<_, i64>("delayed");
        entry.reserved += r.get::<_, i64>("reserved");
        entry.failed += r.get::<_, i64>("failed");
        if let Some(oldest) = r.get::<_, Option<i64>>("oldest_pending_at") {
            entry.oldest_pending_age_s = Some((now - oldest).max(0) / 1000);
        }
    }
    Ok(by_queue.into_values().collect())
}

/// `Store::show`.
pub(super) fn show(store: &mut PostgresStore, uuid: &str) -> Result<Option<JobView>> {
    let rows = store.query(SHOW, &[&uuid])?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let source: String = r.get("source");
    let raw: String = r.get("payload");
    let payload = parse_payload(&raw, uuid)?;
    let reserved_at: Option<i64> = r.get("reserved_at");
    let available_at: Option<i64> = r.get("available_at");
    let created_at: Option<i64> = r.get("created_at");
    let finished_at: Option<i64> = r.get("finished_at");
    let failed_at: Option<i64> = r.get("failed_at");
    let now: i64 = r.get("now");
    let state = match (source.as_str(), reserved_at, available_at) {
        ("failed", ..) => JobState::Failed,
        ("done", ..) => JobState::Done,
        (_, Some(_), _) => JobState::Reserved,
        (_, None, Some(at)) if at > now => JobState::Delayed,
        _ => JobState::Pending,
    };
    let connection: Option<String> = r.get("connection");
    Ok(Some(JobView {
        uuid: uuid.into(),
        name: r.get("name"),
        queue: r.get("queue"),
        connection: connection.unwrap_or_else(|| store.options.connection.clone()),
        state,
        attempts: r.get("attempts"),
        exceptions: r.get::<_, i64>("exceptions") as u32,
        created_at: format_rfc3339(created_at.unwrap_or(payload.created_at)),
        available_at: available_at.map(format_rfc3339),
        reserved_at: reserved_at.map(format_rfc3339),
        finished_at: finished_at.map(format_rfc3339),
        failed_at: failed_at.map(format_rfc3339),
        error: r.get("error"),
        output: r.get("output"),
        payload,
    }))
}

/// `Store::failed_jobs`, newest first.
pub(super) fn failed_jobs(
    store: &mut PostgresStore,
    queue: Option<&str>,
) -> Result<Vec<FailedJob>> {
    let rows = store.query(
        "SELECT uuid, connection, queue, name, failed_at, attempts, exception, payload
         FROM failed_jobs WHERE ($1::text IS NULL OR queue = $1) ORDER BY id DESC",
        &[&queue],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let failed_at: i64 = r.get("failed_at");
            let raw: String = r.get("payload");
            FailedJob {
                uuid: r.get("uuid"),
                connection: r.get("connection"),
                queue: r.get("queue"),
                name: r.get("name"),
                failed_at_ms: failed_at,
                failed_at: format_rfc3339(failed_at),
                attempts: r.get("attempts"),
                error: r.get("exception"),
                payload: serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw)),
            }
        })
        .collect())
}

/// `Store::controls`. A listening worker reads the settings again only when told they changed
/// (every change notifies): one round trip less per job.
pub(super) fn controls(store: &mut PostgresStore) -> Result<Controls> {
    if let Some(watch) = &store.watch {
        let trusted = watch.listening.load(Ordering::SeqCst);
        let changed = watch.changed.swap(false, Ordering::SeqCst);
        if let (true, false, Some(controls)) = (trusted, changed, &store.controls) {
            return Ok(controls.clone());
        }
    }
    let rows = store.query("SELECT key, value FROM settings", &[])?;
    let mut controls = Controls::default();
    for r in &rows {
        let key: String = r.get("key");
        let value: String = r.get("value");
        if key == RESTART_KEY {
            controls.restart = Some(value);
        } else if key == MAINTENANCE_KEY {
            controls.maintenance = true;
        } else if let Some(queue) = key.strip_prefix(PAUSED_PREFIX) {
            controls.paused.push(queue.to_string());
        }
    }
    if store.watch.is_some() {
        store.controls = Some(controls.clone());
    }
    Ok(controls)
}

/// `Store::batches`, newest first.
pub(super) fn batches(store: &mut PostgresStore) -> Result<Vec<BatchView>> {
    let rows = store.query(BATCHES, &[])?;
    Ok(rows.iter().map(batch_from_row).collect())
}

/// `Store::batch`.
pub(super) fn batch(store: &mut PostgresStore, id: &str) -> Result<Option<BatchView>> {
    let rows = store.query(BATCH, &[&id])?;
    Ok(rows.first().map(batch_from_row))
}

/// A batch from a row of `BATCHES`, `BATCH` or `BATCH_FOR_UPDATE`.
pub(super) fn batch_from_row(r: &Row) -> BatchView {
    let total: i64 = r.get("total_jobs");
    let pending: i64 = r.get("pending_jobs");
    let failed: i64 = r.get("failed_jobs");
    let ids: String = r.get("failed_job_ids");
    let options: Option<String> = r.get("options");
    let counts = crate::domain::batch::Counts {
        total,
        pending,
        failed,
    };
    BatchView {
        id: r.get("id"),
        name: r.get("name"),
        total_jobs: total,
        pending_jobs: pending,
        processed_jobs: counts.processed(),
        failed_jobs: failed,
        progress: counts.progress(),
        failed_job_ids: serde_json::from_str(&ids).unwrap_or_default(),
        options: options
            .and_then(|o| serde_json::from_str(&o).ok())
            .unwrap_or_default(),
        cancelled_at: r.get::<_, Option<i64>>("cancelled_at").map(format_rfc3339),
        finished_at: r.get::<_, Option<i64>>("finished_at").map(format_rfc3339),
        created_at: format_rfc3339(r.get("created_at")),
    }
}
