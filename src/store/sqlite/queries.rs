//! What `status`, `show`, `failed`, `batches` and the worker registry read, and the clean-ups
//! of batches; rows are read by column name into `store::rows`, which shapes them.

use super::super::events::EventRead;
use super::super::listing::{Arg, Statement, TableRead};
use super::super::rows::{
    self, ListedRow, ShowRow, StatsRow, StoredAttempt, StoredFailure, StoredWorker, Table,
    ATTEMPT_COLUMNS, BATCH_COLUMNS,
};
use super::super::{
    AttemptExit, AttemptView, BatchView, Controls, FailedJob, FailedQuery, JobCursor, JobView,
    PrunedBatches, QueueStats, WorkerInfo,
};
use super::verbs::stored_batch;
use crate::domain::events::Event;
use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Every queue's counts. Pending and delayed jobs are counted as two ranges of jobs_pending
/// per queue, which that index covers (no job row is read; the queues are found by skipping
/// through it, one seek per queue); reserved and failed jobs through their own indexes. The
/// cost is that of stepping over index entries: about 0.1 s for 1,000,000 pending jobs. The
/// reserved jobs are named by jobs_leases: otherwise the listing's (queue, created_at, uuid)
/// index (migration 0008) is taken for the GROUP BY, and every job row is read (1.3 s).
pub const QUEUE_STATS_SQL: &str = "WITH RECURSIVE names(queue) AS (
             SELECT (SELECT MIN(queue) FROM jobs WHERE reserved_at IS NULL)
             UNION ALL
             SELECT (SELECT MIN(queue) FROM jobs WHERE reserved_at IS NULL AND queue > names.queue)
             FROM names WHERE names.queue IS NOT NULL)
         SELECT queue,
                (SELECT COUNT(*) FROM jobs WHERE reserved_at IS NULL AND jobs.queue = names.queue
                   AND available_at <= ?1) AS pending,
                (SELECT COUNT(*) FROM jobs WHERE reserved_at IS NULL AND jobs.queue = names.queue
                   AND available_at > ?1) AS delayed,
                0 AS reserved,
                (SELECT MIN(available_at) FROM jobs WHERE reserved_at IS NULL
                   AND jobs.queue = names.queue AND available_at <= ?1) AS oldest_pending_at,
                0 AS failed
         FROM names WHERE queue IS NOT NULL
         UNION ALL
         SELECT queue, 0, 0, COUNT(*), NULL, 0 FROM jobs INDEXED BY jobs_leases
         WHERE reserved_at IS NOT NULL
         GROUP BY queue
         UNION ALL
         SELECT queue, 0, 0, 0, NULL, COUNT(*) FROM failed_jobs GROUP BY queue";

pub fn queue_stats(conn: &Connection, now_ms: i64, connection: &str) -> Result<Vec<QueueStats>> {
    let mut stmt = conn.prepare_cached(QUEUE_STATS_SQL)?;
    let found = stmt.query_map([now_ms], |r| {
        Ok(StatsRow {
            queue: r.get("queue")?,
            pending: r.get("pending")?,
            delayed: r.get("delayed")?,
            reserved: r.get("reserved")?,
            oldest_pending_at: r.get("oldest_pending_at")?,
            failed: r.get("failed")?,
        })
    })?;
    let found = found.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows::queue_stats(found, now_ms, connection))
}

/// A job is in exactly one of the three tables; one query reads it in one shape.
pub fn show(
    conn: &Connection,
    uuid: &str,
    now_ms: i64,
    connection: &str,
) -> Result<Option<JobView>> {
    let row = conn
        .prepare_cached(
            "SELECT 'queued' AS source, queue, name, payload, attempts, exceptions, reserved_at,
                    available_at, created_at, NULL AS finished_at, NULL AS failed_at,
                    NULL AS error, last_output AS output, NULL AS connection
             FROM jobs WHERE uuid = ?1
             UNION ALL
             SELECT 'failed', queue, name, payload, attempts, exceptions, NULL,
                    NULL, NULL, NULL, failed_at, exception, NULL, connection
             FROM failed_jobs WHERE uuid = ?1
             UNION ALL
             SELECT 'done', queue, name, payload, attempts, exceptions, NULL,
                    NULL, created_at, finished_at, NULL, NULL, output, NULL
             FROM finished_jobs WHERE uuid = ?1
             LIMIT 1",
        )?
        .query_row([uuid], |r| {
            Ok(ShowRow {
                table: Table::from_source(&r.get::<_, String>("source")?),
                queue: r.get("queue")?,
                name: r.get("name")?,
                payload: r.get("payload")?,
                attempts: r.get("attempts")?,
                exceptions: r.get("exceptions")?,
                reserved_at: r.get("reserved_at")?,
                available_at: r.get("available_at")?,
                created_at: r.get("created_at")?,
                finished_at: r.get("finished_at")?,
                failed_at: r.get("failed_at")?,
                error: r.get("error")?,
                output: r.get("output")?,
                connection: r.get("connection")?,
            })
        })
        .optional()?;
    row.map(|row| rows::job_view(row, uuid, now_ms, connection))
        .transpose()
}

/// One page of failed jobs, newest failure first, each with its last attempt's exit.
pub fn list_failed(conn: &Connection, q: &FailedQuery) -> Result<Vec<FailedJob>> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.uuid, f.connection, f.queue, f.name, f.failed_at, f.attempts,
                f.exception, f.payload, a.token, a.exit_code, a.signal, a.timed_out, a.output
         FROM failed_jobs f
         LEFT JOIN job_attempts a ON a.token = (
             SELECT token FROM job_attempts WHERE uuid = f.uuid
             ORDER BY started_at DESC, attempt DESC LIMIT 1)
         WHERE (?1 IS NULL OR f.queue = ?1) AND (?2 IS NULL OR f.failed_at >= ?2)
           AND (?3 IS NULL OR f.failed_at < ?3) AND f.id < ?4
         ORDER BY f.id DESC LIMIT ?5",
    )?;
    let page = q.page.min(i64::MAX as usize) as i64;
    // A plain range on the primary key (no `IS NULL OR`), so each page is an index range
    // read from where the last one ended, however many failed jobs there are.
    let after = q.after_id.unwrap_or(i64::MAX);
    let found = stmt.query_map(
        params![q.queue, q.since_ms, q.before_ms, after, page],
        |r| {
            let attempted = r.get::<_, Option<String>>("token")?.is_some();
            Ok(StoredFailure {
                id: r.get("id")?,
                uuid: r.get("uuid")?,
                connection: r.get("connection")?,
                queue: r.get("queue")?,
                name: r.get("name")?,
                failed_at: r.get("failed_at")?,
                attempts: r.get("attempts")?,
                exception: r.get("exception")?,
                payload: r.get("payload")?,
                last_exit: if attempted {
                    Some(AttemptExit {
                        code: r.get("exit_code")?,
                        signal: r.get("signal")?,
                        timed_out: r.get("timed_out")?,
                    })
                } else {
                    None
                },
                last_output: r.get("output")?,
            })
        },
    )?;
    found
        .map(|f| Ok(FailedJob::from(f?)))
        .collect::<Result<Vec<_>>>()
}

pub fn controls(conn: &Connection) -> Result<Controls> {
    let mut stmt = conn.prepare_cached("SELECT key, value FROM settings")?;
    let settings = stmt
        .query_map([], |r| Ok((r.get("key")?, r.get("value")?)))?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    Ok(rows::controls(settings))
}

pub fn register_worker(tx: &Transaction<'_>, w: &WorkerInfo, alive_until_ms: i64) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO workers
             (id, name, host, pid, queues, concurrency, started_at, last_seen_at, alive_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            w.id,
            w.name,
            w.host,
            w.pid,
            w.queues.join(","),
            w.concurrency as i64,
            w.started_at,
            w.last_seen_at,
            alive_until_ms
        ],
    )?;
    Ok(())
}

/// The live workers; rows of workers whose heartbeat stopped are deleted first.
/// The live workers; `prune` also forgets the dead ones (not on a store opened read-only).
pub fn workers(conn: &Connection, now_ms: i64, prune: bool) -> Result<Vec<WorkerInfo>> {
    if prune {
        conn.execute("DELETE FROM workers WHERE alive_until < ?1", [now_ms])?;
    }
    let mut stmt = conn.prepare_cached(
        "SELECT w.id, w.name, w.host, w.pid, w.queues, w.concurrency, w.started_at,
                w.last_seen_at,
                (SELECT group_concat(uuid, ',') FROM jobs j
                 WHERE j.worker_id = w.id AND j.reserved_at IS NOT NULL) AS jobs
         FROM workers w WHERE w.alive_until >= ?1 ORDER BY w.started_at, w.id",
    )?;
    let found = stmt.query_map([now_ms], |r| {
        Ok(StoredWorker {
            id: r.get("id")?,
            name: r.get("name")?,
            host: r.get("host")?,
            pid: r.get("pid")?,
            queues: r.get("queues")?,
            concurrency: r.get("concurrency")?,
            started_at: r.get("started_at")?,
            last_seen_at: r.get("last_seen_at")?,
            jobs: r.get("jobs")?,
        })
    })?;
    found
        .map(|w| Ok(WorkerInfo::from(w?)))
        .collect::<Result<Vec<_>>>()
}

/// All batches, newest first.
pub fn batches(conn: &Connection) -> Result<Vec<BatchView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM job_batches ORDER BY created_at DESC, id DESC"
    ))?;
    let found = stmt.query_map([], stored_batch)?;
    found
        .map(|b| Ok(BatchView::from(b?)))
        .collect::<Result<Vec<_>>>()
}

pub fn batch(conn: &Connection, id: &str) -> Result<Option<BatchView>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {BATCH_COLUMNS} FROM job_batches WHERE id = ?1"
        ))?
        .query_row([id], stored_batch)
        .optional()?
        .map(BatchView::from))
}

pub fn prune_batches(
    tx: &Transaction<'_>,
    finished_before: i64,
    unfinished_before: Option<i64>,
    cancelled_before: Option<i64>,
) -> Result<PrunedBatches> {
    let finished = tx.execute(
        "DELETE FROM job_batches WHERE finished_at IS NOT NULL AND finished_at < ?1",
        [finished_before],
    )?;
    let unfinished = match unfinished_before {
        Some(t) => tx.execute(
            "DELETE FROM job_batches WHERE finished_at IS NULL AND created_at < ?1",
            [t],
        )?,
        None => 0,
    };
    let cancelled = match cancelled_before {
        Some(t) => tx.execute(
            "DELETE FROM job_batches WHERE cancelled_at IS NOT NULL AND created_at < ?1",
            [t],
        )?,
        None => 0,
    };
    Ok(PrunedBatches {
        finished,
        unfinished,
        cancelled,
    })
}

/// Every recorded attempt of a job, oldest first.
pub fn attempts(conn: &Connection, uuid: &str) -> Result<Vec<AttemptView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM job_attempts WHERE uuid = ?1 ORDER BY started_at, attempt"
    ))?;
    let found = stmt.query_map([uuid], |r| {
        Ok(StoredAttempt {
            attempt: r.get("attempt")?,
            started_at: r.get("started_at")?,
            finished_at: r.get("finished_at")?,
            worker: r.get("worker")?,
            exit: AttemptExit {
                code: r.get("exit_code")?,
                signal: r.get("signal")?,
                timed_out: r.get("timed_out")?,
            },
            outcome: r.get("outcome")?,
            output: r.get("output")?,
        })
    })?;
    Ok(found
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(AttemptView::from)
        .collect())
}

/// The attempts of jobs that are gone from every table (pruned, forgotten, cleared).
pub const FORGET_GONE_ATTEMPTS: &str = "DELETE FROM job_attempts WHERE uuid = ?1
       AND NOT EXISTS (SELECT 1 FROM jobs WHERE uuid = ?1)
       AND NOT EXISTS (SELECT 1 FROM failed_jobs WHERE uuid = ?1)
       AND NOT EXISTS (SELECT 1 FROM finished_jobs WHERE uuid = ?1)";

/// `Store::list_jobs` runs `store::listing`'s statements on this connection.
pub struct Listing<'a>(pub &'a Connection);

fn bind(args: &[Arg]) -> Vec<&dyn rusqlite::ToSql> {
    args.iter()
        .map(|a| match a {
            Arg::Int(v) => v as &dyn rusqlite::ToSql,
            Arg::Text(v) => v as &dyn rusqlite::ToSql,
        })
        .collect()
}

impl TableRead for Listing<'_> {
    fn cursor(&mut self, st: &Statement) -> Result<Option<JobCursor>> {
        Ok(self
            .0
            .prepare_cached(&st.sql)?
            .query_row(bind(&st.args).as_slice(), |r| {
                Ok(JobCursor {
                    at_ms: r.get("at")?,
                    uuid: r.get("uuid")?,
                })
            })
            .optional()?)
    }

    fn rows(&mut self, table: Table, st: &Statement) -> Result<Vec<ListedRow>> {
        let mut stmt = self.0.prepare_cached(&st.sql)?;
        let found = stmt.query_map(bind(&st.args).as_slice(), |r| {
            Ok(ListedRow {
                table,
                uuid: r.get("uuid")?,
                queue: r.get("queue")?,
                name: r.get("name")?,
                payload: r.get("payload")?,
                attempts: r.get("attempts")?,
                reserved_at: r.get("reserved_at")?,
                available_at: r.get("available_at")?,
                at: r.get("at")?,
                text: r.get("text")?,
            })
        })?;
        Ok(found.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// Uuids that start with a prefix, in any table (each table's uuid index answers the range).
pub fn find_uuids(conn: &Connection, prefix: &str, limit: usize) -> Result<Vec<String>> {
    let end = rows::prefix_end(prefix);
    let mut stmt = conn.prepare_cached(
        "SELECT uuid FROM jobs WHERE uuid >= ?1 AND uuid < ?2
         UNION SELECT uuid FROM finished_jobs WHERE uuid >= ?1 AND uuid < ?2
         UNION SELECT uuid FROM failed_jobs WHERE uuid >= ?1 AND uuid < ?2
         LIMIT ?3",
    )?;
    let found = stmt.query_map(params![prefix, end, limit as i64], |r| r.get(0))?;
    Ok(found.collect::<rusqlite::Result<Vec<String>>>()?)
}

/// The columns of an event row, as `event_row` reads them.
const EVENT_COLUMNS: &str = "id, event, at, uuid, name, queue, attempt, worker, exit_code, \
                             signal, duration_ms, message, batch_id";

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get("id")?,
        event: r.get("event")?,
        at: r.get("at")?,
        uuid: r.get("uuid")?,
        name: r.get("name")?,
        queue: r.get("queue")?,
        attempt: r.get("attempt")?,
        worker: r.get("worker")?,
        exit_code: r.get("exit_code")?,
        signal: r.get("signal")?,
        duration_ms: r.get("duration_ms")?,
        message: r.get("message")?,
        batch_id: r.get("batch_id")?,
        ..Event::default()
    })
}

/// Up to `limit` events after the cursor `after`, oldest first. Ids are in commit order here
/// (writers take turns), so no snapshot is needed to follow them.
pub fn read_events(
    conn: &Connection,
    after: i64,
    limit: usize,
    connection: &str,
) -> Result<EventRead> {
    let events = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM job_events WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![after, limit as i64], event_row)?
        .map(|e| e.map(|e| e.completed(connection)))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(EventRead {
        events,
        snapshot: None,
    })
}

/// The cursor just before the first event at or after `at_ms` (the last id when none is).
pub fn event_cursor_at(conn: &Connection, at_ms: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE((SELECT MIN(id) FROM job_events WHERE at >= ?1) - 1,
                         (SELECT MAX(id) FROM job_events), 0)",
        [at_ms],
        |r| r.get(0),
    )?)
}
