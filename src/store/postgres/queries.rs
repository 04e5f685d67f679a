//! What the read-only commands see (`show`, `status`, `monitor`, `failed`, `batches`) and what a
//! worker reads at each loop (`controls`, `next_available_at`): statements and the assembly of
//! their rows into the store's view types, reading columns by name.

use super::sql::{BATCH, BATCHES, QUEUE_STATS, SHOW, WORKERS};
use super::PostgresStore;
use crate::domain::events::Event;
use crate::store::events::EventRead;
use crate::store::listing::{Arg, Statement, TableRead};
use crate::store::rows::{
    self, ShowRow, StatsRow, StoredBatch, StoredFailure, StoredWorker, Table,
};
use crate::store::{BatchView, Controls, FailedJob, JobView, QueueStats, WorkerInfo};
use anyhow::Result;
use postgres::Row;
use std::sync::atomic::Ordering;

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
            WorkerInfo::from(StoredWorker {
                id: r.get("id"),
                name: r.get("name"),
                host: r.get("host"),
                pid: r.get("pid"),
                queues: r.get("queues"),
                concurrency: r.get("concurrency"),
                started_at: r.get("started_at"),
                last_seen_at: r.get("last_seen_at"),
                jobs: r.get("jobs"),
            })
        })
        .collect())
}

/// `Store::queue_stats`: the rows of jobs and of failed jobs added up per queue, as of the
/// server's now. Without JIT: the planner cannot know that a queue's delayed range is short,
/// costs the count as a third of the table, and would spend most of a second compiling a
/// statement that runs in milliseconds.
pub(super) fn queue_stats(store: &mut PostgresStore) -> Result<Vec<QueueStats>> {
    store.ensure_connected()?;
    store.client.batch_execute("SET jit = off")?;
    let found = store.query(QUEUE_STATS, &[])?;
    let now = found.first().map_or(0, |r| r.get::<_, i64>("now"));
    let stats = found.iter().map(|r| StatsRow {
        queue: r.get("queue"),
        pending: r.get("pending"),
        delayed: r.get("delayed"),
        reserved: r.get("reserved"),
        oldest_pending_at: r.get("oldest_pending_at"),
        failed: r.get("failed"),
    });
    Ok(rows::queue_stats(stats, now, &store.options.connection))
}

/// `Store::show`, the job's state as of the server's now.
pub(super) fn show(store: &mut PostgresStore, uuid: &str) -> Result<Option<JobView>> {
    let found = store.query(SHOW, &[&uuid])?;
    let Some(r) = found.first() else {
        return Ok(None);
    };
    let row = ShowRow {
        table: Table::from_source(r.get("source")),
        queue: r.get("queue"),
        name: r.get("name"),
        payload: r.get("payload"),
        attempts: r.get("attempts"),
        exceptions: r.get::<_, i64>("exceptions") as u32,
        reserved_at: r.get("reserved_at"),
        available_at: r.get("available_at"),
        created_at: r.get("created_at"),
        finished_at: r.get("finished_at"),
        failed_at: r.get("failed_at"),
        error: r.get("error"),
        output: r.get("output"),
        connection: r.get("connection"),
    };
    let now: i64 = r.get("now");
    rows::job_view(row, uuid, now, &store.options.connection).map(Some)
}

/// `Store::list_failed`: one page, newest failure first, each with its last attempt's exit.
pub(super) fn list_failed(
    store: &mut PostgresStore,
    q: &crate::store::FailedQuery,
) -> Result<Vec<FailedJob>> {
    let page = q.page.min(i64::MAX as usize) as i64;
    // A plain range on the primary key (no `IS NULL OR`), so each page is an index range
    // read from where the last one ended, however many failed jobs there are.
    let after = q.after_id.unwrap_or(i64::MAX);
    let found = store.query(
        "SELECT f.id, f.uuid, f.connection, f.queue, f.name, f.failed_at, f.attempts,
                f.exception, f.payload, a.token, a.exit_code, a.signal, a.timed_out, a.output
         FROM failed_jobs f
         LEFT JOIN job_attempts a ON a.token = (
             SELECT token FROM job_attempts WHERE uuid = f.uuid
             ORDER BY started_at DESC, attempt DESC LIMIT 1)
         WHERE ($1::text IS NULL OR f.queue = $1) AND ($2::bigint IS NULL OR f.failed_at >= $2)
           AND ($3::bigint IS NULL OR f.failed_at < $3) AND f.id < $4
         ORDER BY f.id DESC LIMIT $5",
        &[&q.queue, &q.since_ms, &q.before_ms, &after, &page],
    )?;
    Ok(found
        .iter()
        .map(|r| {
            let attempted = r.get::<_, Option<String>>("token").is_some();
            FailedJob::from(StoredFailure {
                id: r.get("id"),
                uuid: r.get("uuid"),
                connection: r.get("connection"),
                queue: r.get("queue"),
                name: r.get("name"),
                failed_at: r.get("failed_at"),
                attempts: r.get("attempts"),
                exception: r.get("exception"),
                payload: r.get("payload"),
                last_exit: attempted.then(|| crate::store::AttemptExit {
                    code: r.get("exit_code"),
                    signal: r.get("signal"),
                    timed_out: r.get("timed_out"),
                }),
                last_output: r.get("output"),
            })
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
    let settings = store.query("SELECT key, value FROM settings", &[])?;
    let controls = rows::controls(
        settings
            .iter()
            .map(|r| (r.get::<_, String>("key"), r.get::<_, String>("value"))),
    );
    if store.watch.is_some() {
        store.controls = Some(controls.clone());
    }
    Ok(controls)
}

/// `Store::batches`, newest first.
pub(super) fn batches(store: &mut PostgresStore) -> Result<Vec<BatchView>> {
    let found = store.query(BATCHES, &[])?;
    Ok(found.iter().map(|r| stored_batch(r).into()).collect())
}

/// `Store::batch`.
pub(super) fn batch(store: &mut PostgresStore, id: &str) -> Result<Option<BatchView>> {
    let found = store.query(BATCH, &[&id])?;
    Ok(found.first().map(|r| stored_batch(r).into()))
}

/// A batch row of `BATCHES`, `BATCH` or `BATCH_FOR_UPDATE`, by column name.
pub(super) fn stored_batch(r: &Row) -> StoredBatch {
    StoredBatch {
        id: r.get("id"),
        name: r.get("name"),
        total_jobs: r.get("total_jobs"),
        pending_jobs: r.get("pending_jobs"),
        failed_jobs: r.get("failed_jobs"),
        failed_job_ids: r.get("failed_job_ids"),
        options: r.get("options"),
        cancelled_at: r.get("cancelled_at"),
        finished_at: r.get("finished_at"),
        created_at: r.get("created_at"),
    }
}

/// `Store::attempts`, oldest first.
pub(super) fn attempts(
    store: &mut PostgresStore,
    uuid: &str,
) -> Result<Vec<crate::store::AttemptView>> {
    let found = store.query(super::sql::ATTEMPTS, &[&uuid])?;
    Ok(found
        .iter()
        .map(|r| {
            crate::store::AttemptView::from(rows::StoredAttempt {
                attempt: r.get("attempt"),
                started_at: r.get("started_at"),
                finished_at: r.get("finished_at"),
                worker: r.get("worker"),
                exit: crate::store::AttemptExit {
                    code: r.get("exit_code"),
                    signal: r.get("signal"),
                    timed_out: r.get("timed_out"),
                },
                outcome: r.get("outcome"),
                output: r.get("output"),
            })
        })
        .collect())
}

/// `Store::list_jobs` runs `store::listing`'s statements on this connection.
pub(super) struct Listing<'a>(pub &'a mut PostgresStore);

impl Listing<'_> {
    fn run(&mut self, st: &Statement) -> Result<Vec<Row>> {
        let args: Vec<&(dyn postgres::types::ToSql + Sync)> = st
            .args
            .iter()
            .map(|a| match a {
                Arg::Int(v) => v as &(dyn postgres::types::ToSql + Sync),
                Arg::Text(v) => v as &(dyn postgres::types::ToSql + Sync),
            })
            .collect();
        self.0.query_built(st.sql.clone().into(), &args)
    }
}

impl TableRead for Listing<'_> {
    fn cursor(&mut self, st: &Statement) -> Result<Option<crate::store::JobCursor>> {
        Ok(self.run(st)?.first().map(|r| crate::store::JobCursor {
            at_ms: r.get("at"),
            uuid: r.get("uuid"),
        }))
    }

    fn rows(&mut self, table: Table, st: &Statement) -> Result<Vec<rows::ListedRow>> {
        Ok(self
            .run(st)?
            .iter()
            .map(|r| rows::ListedRow {
                table,
                uuid: r.get("uuid"),
                queue: r.get("queue"),
                name: r.get("name"),
                payload: r.get("payload"),
                attempts: r.get("attempts"),
                reserved_at: r.get("reserved_at"),
                available_at: r.get("available_at"),
                at: r.get("at"),
                text: r.get("text"),
            })
            .collect())
    }
}

/// `Store::read_events`: the rows after the cursor with the snapshot they were read in (its
/// xmin and xmax), so that a follower can tell a gap that may still fill from one that will not
/// (`store::events::Follow`). One statement: one snapshot for both.
pub(super) fn read_events(
    store: &mut PostgresStore,
    after: i64,
    limit: usize,
) -> Result<EventRead> {
    let rows = store.query(
        "SELECT s.xmin, s.xmax, e.*
         FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin,
                      pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) s
         LEFT JOIN LATERAL (
             SELECT id, event, at, uuid, name, queue, attempt, worker, exit_code, signal,
                    duration_ms, message, batch_id
             FROM job_events WHERE id > $1 ORDER BY id LIMIT $2) e ON true
         ORDER BY e.id",
        &[&after, &(limit as i64)],
    )?;
    let snapshot = rows
        .first()
        .map(|r| (r.get::<_, i64>("xmin"), r.get::<_, i64>("xmax")));
    let connection = store.options.connection.clone();
    let events = rows
        .iter()
        .filter(|r| r.get::<_, Option<i64>>("id").is_some())
        .map(|r| {
            Event {
                id: r.get("id"),
                event: r.get("event"),
                at: r.get("at"),
                uuid: r.get("uuid"),
                name: r.get("name"),
                queue: r.get("queue"),
                attempt: r.get("attempt"),
                worker: r.get("worker"),
                exit_code: r.get("exit_code"),
                signal: r.get("signal"),
                duration_ms: r.get("duration_ms"),
                message: r.get("message"),
                batch_id: r.get("batch_id"),
                ..Event::default()
            }
            .completed(&connection)
        })
        .collect();
    Ok(EventRead { events, snapshot })
}

/// `Store::event_cursor_at`.
pub(super) fn event_cursor_at(store: &mut PostgresStore, at_ms: i64) -> Result<i64> {
    let rows = store.query(
        "SELECT COALESCE((SELECT MIN(id) FROM job_events WHERE at >= $1) - 1,
                         (SELECT MAX(id) FROM job_events), 0)::bigint",
        &[&at_ms],
    )?;
    Ok(rows.first().map_or(0, |r| r.get(0)))
}
