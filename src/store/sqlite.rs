//! The embedded SQLite store: WAL mode, a busy timeout, and every write transaction opened with
//! BEGIN IMMEDIATE so that a writer never has to upgrade a read lock (the source of Laravel's
//! "database is locked"). A busy database is waited for, however long that takes.

use super::migrate::{self, Migration};
use super::{
    Admission, BatchView, Claim, Controls, Ending, Enqueued, FailedJob, Finished, Intent, JobView,
    NewBatch, QueueStats, Reserved, RetrySelection, Store, StoreOptions, Verdict, WakeFn, Wakeups,
    WorkerInfo, MAINTENANCE_KEY, PAUSED_PREFIX, RESTART_KEY,
};
use crate::clock::format_rfc3339;
use crate::domain::job::{JobState, NewJob, Payload};
use crate::domain::policy::Decision;
use anyhow::{bail, Context, Result};
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior,
};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one attempt waits on SQLite's busy handler before we retry the whole transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    options: StoreOptions,
}

impl SqliteStore {
    /// Open (creating if needed, 0600 in a 0700 directory) and migrate unless told not to.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Self> {
        let mut store = Self::open_unmigrated(path, options)?;
        store.ensure_schema()?;
        Ok(store)
    }

    /// Open without looking at the schema (for `queue migrate`).
    pub fn open_unmigrated(path: &Path, options: StoreOptions) -> Result<Self> {
        create_private_file(path)?;
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode needs a write lock the first time; the busy handler covers it.
        let mode: String =
            retry_busy(|| conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)))
                .with_context(|| format!("cannot use the store {}", path.display()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!(
                "the store {} cannot use WAL mode (it is in {mode} mode): put it on a local file system",
                path.display()
            );
        }
        // NORMAL in WAL mode: a commit survives any process crash; FULL also a power loss.
        let synchronous = if options.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
        ))?;
        // A short-lived process (one `queue dispatch`) must not checkpoint the WAL and fsync
        // as it closes: that would cost more than its whole insert. SQLite's automatic
        // checkpoints during commits keep the WAL small instead.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            options,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn ensure_schema(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        let latest = migrate::latest(migrate::SQLITE);
        if current > latest {
            bail!(
                "the store {} has schema version {current}, newer than this queue binary knows ({latest}): upgrade queue",
                self.path.display()
            );
        }
        if current < latest {
            if !self.options.auto_migrate {
                if current == 0 {
                    // A schema managed by hand (from `queue table` and friends): every table
                    // must be there; say which generator writes the first missing one.
                    // `queue migrate` is only a way out while none of them exists: it creates
                    // them all, and fails on a table that is already there.
                    let mut missing = None;
                    let mut any = false;
                    for (table, generator) in migrate::TABLES {
                        if self.has_table(table)? {
                            any = true;
                        } else if missing.is_none() {
                            missing = Some((table, generator));
                        }
                    }
                    if let Some((table, generator)) = missing {
                        bail!(
                            "the store {} has no {table} table and auto_migrate is off: run `queue {generator}` and apply the SQL it writes{}",
                            self.path.display(),
                            if any { "" } else { ", or `queue migrate`" }
                        );
                    }
                    return Ok(());
                }
                let next = &migrate::SQLITE[current as usize];
                bail!(
                    "the store {} is at schema version {current} and needs migration {}: run `queue migrate`",
                    self.path.display(),
                    next.name
                );
            }
            self.migrate()?;
        }
        Ok(())
    }

    /// A process that opens a store nobody else has open must first read the whole WAL to
    /// rebuild its index, so a long WAL makes every lone `queue dispatch` slow. Once it passes
    /// 1 MiB, a dispatcher folds it back into the database and truncates it, if that can be done
    /// without waiting (a worker reading the store makes it skip; its own open connection keeps
    /// the index valid for dispatchers anyway).
    fn keep_wal_short(&self) {
        const LIMIT: u64 = 1 << 20;
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let long = std::fs::metadata(&wal).is_ok_and(|m| m.len() > LIMIT);
        if long && self.conn.busy_timeout(Duration::ZERO).is_ok() {
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        }
    }

    fn has_table(&self, name: &str) -> Result<bool> {
        Ok(retry_busy(|| {
            self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                [name],
                |r| r.get(0),
            )
        })?)
    }

    fn schema_version(&self) -> Result<i64> {
        let has_table: bool = retry_busy(|| {
            self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_migrations')",
                [],
                |r| r.get(0),
            )
        })?;
        if !has_table {
            return Ok(0);
        }
        Ok(retry_busy(|| {
            self.conn.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM queue_migrations",
                [],
                |r| r.get(0),
            )
        })?)
    }

    /// Apply every pending migration; returns the names applied.
    pub fn migrate(&mut self) -> Result<Vec<&'static str>> {
        self.write(|tx| {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS queue_migrations (
                     version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
            )?;
            let current: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM queue_migrations",
                [],
                |r| r.get(0),
            )?;
            let pending: Vec<&Migration> = migrate::SQLITE
                .iter()
                .filter(|m| m.version > current)
                .collect();
            for m in &pending {
                tx.execute_batch(m.sql).map_err(|e| match e {
                    // The message alone: SQLite's error would quote the whole file.
                    rusqlite::Error::SqlInputError { msg, .. } => {
                        anyhow::anyhow!("migration {} failed: {msg}", m.name)
                    }
                    other => {
                        anyhow::Error::new(other).context(format!("migration {} failed", m.name))
                    }
                })?;
                tx.execute(
                    "INSERT INTO queue_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    params![m.version, m.name, chrono::Utc::now().timestamp_millis()],
                )?;
            }
            Ok(pending.iter().map(|m| m.name).collect())
        })
    }

    /// Run `f` in a BEGIN IMMEDIATE transaction, waiting out a busy database as long as needed.
    fn write<T>(&mut self, mut f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        loop {
            let attempt = (|| {
                let tx = self
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            match attempt {
                Err(e) if is_busy(&e) => continue,
                other => return other,
            }
        }
    }

    /// Run a read-only query, retrying while the database is busy.
    fn read<T>(&self, mut f: impl FnMut(&Connection) -> Result<T>) -> Result<T> {
        loop {
            match f(&self.conn) {
                Err(e) if is_busy(&e) => continue,
                other => return other,
            }
        }
    }
}

fn is_busy(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    })
}

fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {}
            other => return other,
        }
    }
}

/// Create the store file 0600 (and missing directories 0700) before SQLite touches it, so the
/// database, which holds commands that workers will run, is never readable by others.
fn create_private_file(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| {
                    format!(
                        "cannot create the store directory {}: choose a writable path with --database",
                        dir.display()
                    )
                })?;
        }
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .with_context(|| {
            format!(
                "cannot create the store {}: choose a writable path with --database",
                path.display()
            )
        })?;
    Ok(())
}

/// Reserve up to ?5 jobs of queue ?1, each with its own token. The inner SELECT is answered by
/// the `jobs_pending` index in its own order, so it costs the same with 100 or 100,000 jobs
/// queued (a test checks the plan).
const CLAIM_SQL: &str = "UPDATE jobs SET reserved_at = ?2, lease_expires_at = ?3, worker_id = ?4,
        token = lower(hex(randomblob(16))), intent = NULL, attempts = attempts + 1
 WHERE id IN (SELECT id FROM jobs
              WHERE queue = ?1 AND reserved_at IS NULL AND available_at <= ?2
              ORDER BY available_at, id LIMIT ?5)
 RETURNING id, uuid, queue, attempts, exceptions, token, payload";

/// A claimed row before its payload is parsed (parsing happens outside the transaction).
type ClaimedRow = (i64, String, String, i64, u32, Option<String>, String);

fn claimed_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimedRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn parse_payload(raw: &str, uuid: &str) -> Result<Payload> {
    serde_json::from_str(raw).with_context(|| format!("job {uuid} has an unreadable payload"))
}

impl Store for SqliteStore {
    fn connection_name(&self) -> &str {
        &self.options.connection
    }

    fn subscribe(
        &mut self,
        worker_id: &str,
        _queues: &[String],
        wake: WakeFn,
    ) -> Result<Option<Wakeups>> {
        Ok(crate::wake::listen(&self.path, worker_id, wake).map(|l| Box::new(l) as Wakeups))
    }

    fn enqueue(&mut self, jobs: &[NewJob], now_ms: i64) -> Result<Vec<Enqueued>> {
        let rows: Vec<(String, &NewJob)> = jobs
            .iter()
            .map(|j| Ok((serde_json::to_string(&j.payload)?, j)))
            .collect::<Result<_>>()?;
        let results = self.write(|tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut results = Vec::with_capacity(rows.len());
            for (raw, job) in &rows {
                if let Some(unique) = &job.payload.unique {
                    let expires = job.unique_expires_at.unwrap_or(i64::MAX);
                    if let Some(holder) =
                        take_lock(tx, &unique.key, &job.payload.uuid, expires, now_ms)?
                    {
                        results.push(Enqueued::Skipped { held_by: holder });
                        continue;
                    }
                }
                insert_raw(&mut insert, job, raw)?;
                results.push(Enqueued::Dispatched);
            }
            Ok(results)
        })?;
        self.keep_wal_short();
        // Wake idle workers on this host, for delayed jobs too: one sleeping out a long --sleep
        // must learn that it now has to wake when this job's delay passes.
        crate::wake::notify(&self.path);
        Ok(results)
    }

    fn admit(&mut self, job: &Reserved, now_ms: i64, lease_ms: i64) -> Result<Admission> {
        let mw = &job.payload.middleware;
        self.write(|tx| {
            if let Some(batch_id) = &job.payload.batch_id {
                // A failed job put back with `retry` / `retry-batch` runs even in its cancelled
                // batch: it is what the user asked for (it is still in failed_job_ids).
                let cancelled: Option<bool> = tx
                    .prepare_cached(
                        "SELECT cancelled_at IS NOT NULL
                                AND NOT EXISTS (SELECT 1 FROM json_each(failed_job_ids)
                                                WHERE value = ?2)
                         FROM job_batches WHERE id = ?1",
                    )?
                    .query_row([batch_id, &job.uuid], |r| r.get(0))
                    .optional()?;
                if cancelled == Some(true) {
                    return Ok(Admission::Skip {
                        reason: format!("skipped: batch {batch_id} was cancelled"),
                    });
                }
            }
            // Each check may hold the job back; the first that does decides.
            let held = admission_check(tx, job, mw, now_ms)?;
            if let Some((delay_ms, park_on, reason)) = held {
                let delay_ms = delay_ms.unwrap_or(lease_ms);
                tx.prepare_cached(
                    "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                            token = NULL, intent = NULL, available_at = ?2, parked_on = ?3
                     WHERE id = ?1 AND token = ?4",
                )?
                .execute(params![
                    job.id,
                    now_ms + delay_ms,
                    park_on,
                    job.token
                ])?;
                return Ok(Admission::HeldBack { delay_ms, reason });
            }
            if let Some(unique) = job.payload.unique.as_ref().filter(|u| u.until_processing) {
                release_owned(tx, &unique.key, &job.uuid)?;
            }
            // It runs, so it waits on no lock any more (it may have come back by its delay
            // rather than by a wake-up): a later release must not cut short its backoff.
            if mw.funnel.is_some() || mw.without_overlapping.is_some() {
                tx.prepare_cached(
                    "UPDATE jobs SET parked_on = NULL WHERE id = ?1 AND parked_on IS NOT NULL",
                )?
                .execute([job.id])?;
            }
            Ok(Admission::Run)
        })
    }

    fn claim(&mut self, claim: &Claim<'_>) -> Result<Option<Reserved>> {
        Ok(self.claim_many(claim, 1)?.pop())
    }

    fn claim_many(&mut self, claim: &Claim<'_>, limit: usize) -> Result<Vec<Reserved>> {
        let rows = self.write(|tx| {
            // Free the reservations of workers that stopped heartbeating (they died); the job
            // keeps its place in line and its next reservation is a new attempt.
            tx.prepare_cached(
                "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                        token = NULL, intent = NULL
                 WHERE reserved_at IS NOT NULL AND lease_expires_at <= ?1",
            )?
            .execute([claim.now_ms])?;
            // One statement reserves up to ?5 jobs of a queue, each with its own token; strict
            // priority: later queues only fill what the earlier ones could not.
            let mut reserve = tx.prepare_cached(CLAIM_SQL)?;
            let mut rows = Vec::new();
            for queue in claim.queues {
                let wanted = limit - rows.len();
                if wanted == 0 {
                    break;
                }
                let found = reserve.query_map(
                    params![
                        queue,
                        claim.now_ms,
                        claim.now_ms + claim.lease_ms,
                        claim.worker_id,
                        wanted as i64
                    ],
                    claimed_from_row,
                )?;
                let mut found = found.collect::<rusqlite::Result<Vec<_>>>()?;
                // RETURNING has no order: put them back in queue order.
                found.sort_by_key(|row| row.0);
                rows.extend(found);
            }
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(id, uuid, queue, attempts, exceptions, token, raw)| {
                let payload = parse_payload(&raw, &uuid)?;
                Ok(Reserved {
                    id,
                    uuid,
                    queue,
                    attempts,
                    exceptions,
                    token: token.unwrap_or_default(),
                    payload,
                })
            })
            .collect()
    }

    fn next_available_at(&mut self, queues: &[String]) -> Result<Option<i64>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT MIN(available_at) FROM jobs WHERE queue = ?1 AND reserved_at IS NULL",
            )?;
            let mut earliest: Option<i64> = None;
            for queue in queues {
                let at: Option<i64> = stmt.query_row([queue], |r| r.get(0))?;
                earliest = match (earliest, at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Ok(earliest)
        })
    }

    fn heartbeat(
        &mut self,
        worker_id: &str,
        now_ms: i64,
        lease_until_ms: i64,
        alive_until_ms: i64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE jobs SET lease_expires_at = ?2 WHERE worker_id = ?1 AND reserved_at IS NOT NULL",
            )?
            .execute(params![worker_id, lease_until_ms])?;
            tx.prepare_cached("UPDATE workers SET last_seen_at = ?2, alive_until = ?3 WHERE id = ?1")?
                .execute(params![worker_id, now_ms, alive_until_ms])?;
            Ok(())
        })
    }

    fn register_worker(&mut self, w: &WorkerInfo, alive_until_ms: i64) -> Result<()> {
        let queues = w.queues.join(",");
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO workers
                     (id, name, host, pid, queues, concurrency, started_at, last_seen_at, alive_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    w.id,
                    w.name,
                    w.host,
                    w.pid,
                    queues,
                    w.concurrency as i64,
                    w.started_at,
                    w.last_seen_at,
                    alive_until_ms
                ],
            )?;
            Ok(())
        })
    }

    fn unregister_worker(&mut self, worker_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM workers WHERE id = ?1", [worker_id])?;
            Ok(())
        })
    }

    fn workers(&mut self, now_ms: i64) -> Result<Vec<WorkerInfo>> {
        self.write(|tx| {
            tx.execute("DELETE FROM workers WHERE alive_until < ?1", [now_ms])?;
            let mut stmt = tx.prepare_cached(
                "SELECT w.id, w.name, w.host, w.pid, w.queues, w.concurrency, w.started_at,
                        w.last_seen_at,
                        (SELECT group_concat(uuid, ',') FROM jobs j
                         WHERE j.worker_id = w.id AND j.reserved_at IS NOT NULL)
                 FROM workers w ORDER BY w.started_at, w.id",
            )?;
            let rows = stmt.query_map([], |r| {
                let queues: String = r.get(4)?;
                let jobs: Option<String> = r.get(8)?;
                Ok(WorkerInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    host: r.get(2)?,
                    pid: r.get(3)?,
                    queues: queues.split(',').map(String::from).collect(),
                    concurrency: r.get::<_, i64>(5)? as usize,
                    started_at: r.get(6)?,
                    last_seen_at: r.get(7)?,
                    jobs: jobs
                        .map(|j| j.split(',').map(String::from).collect())
                        .unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn finish(
        &mut self,
        job: &Reserved,
        output: &str,
        now_ms: i64,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Finished> {
        let discard_failed = self.options.discard_failed;
        let connection = self.options.connection.clone();
        self.write(|tx| finish_in(tx, job, output, now_ms, decide, discard_failed, &connection))
    }

    fn finish_many(&mut self, endings: &mut [Ending<'_>], now_ms: i64) -> Result<Vec<Finished>> {
        let discard_failed = self.options.discard_failed;
        let connection = self.options.connection.clone();
        self.write(|tx| {
            endings
                .iter_mut()
                .map(|e| {
                    finish_in(
                        tx,
                        e.job,
                        e.output,
                        now_ms,
                        &mut *e.decide,
                        discard_failed,
                        &connection,
                    )
                })
                .collect()
        })
    }

    fn record_intent(&mut self, uuid: &str, token: &str, intent: &Intent) -> Result<bool> {
        let text = serde_json::to_string(intent)?;
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE jobs SET intent = ?3 WHERE uuid = ?1 AND token = ?2 AND reserved_at IS NOT NULL",
                params![uuid, token, text],
            )?;
            Ok(changed == 1)
        })
    }

    fn queue_stats(&mut self, now_ms: i64) -> Result<Vec<QueueStats>> {
        let connection = self.options.connection.clone();
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT queue,
                        SUM(reserved_at IS NULL AND available_at <= ?1),
                        SUM(reserved_at IS NULL AND available_at > ?1),
                        SUM(reserved_at IS NOT NULL),
                        MIN(CASE WHEN reserved_at IS NULL AND available_at <= ?1 THEN available_at END),
                        0
                 FROM jobs GROUP BY queue
                 UNION ALL
                 SELECT queue, 0, 0, 0, NULL, COUNT(*) FROM failed_jobs GROUP BY queue",
            )?;
            let mut by_queue: std::collections::BTreeMap<String, QueueStats> = Default::default();
            let rows = stmt.query_map([now_ms], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?;
            for row in rows {
                let (queue, pending, delayed, reserved, oldest, failed) = row?;
                let entry = by_queue.entry(queue.clone()).or_insert_with(|| QueueStats {
                    queue,
                    connection: connection.clone(),
                    ..Default::default()
                });
                entry.pending += pending;
                entry.delayed += delayed;
                entry.reserved += reserved;
                entry.failed += failed;
                if let Some(oldest) = oldest {
                    entry.oldest_pending_age_s = Some((now_ms - oldest).max(0) / 1000);
                }
            }
            Ok(by_queue.into_values().collect())
        })
    }

    fn show(&mut self, uuid: &str, now_ms: i64) -> Result<Option<JobView>> {
        let connection = self.options.connection.clone();
        // A job is in exactly one of the three tables; one query reads it in one shape.
        let row = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT 'queued', queue, name, payload, attempts, exceptions, reserved_at,
                            available_at, created_at, NULL, NULL, NULL, last_output, NULL
                     FROM jobs WHERE uuid = ?1
                     UNION ALL
                     SELECT 'failed', queue, name, payload, attempts, 0, NULL,
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
                        source: r.get(0)?,
                        queue: r.get(1)?,
                        name: r.get(2)?,
                        payload: r.get(3)?,
                        attempts: r.get(4)?,
                        exceptions: r.get(5)?,
                        reserved_at: r.get(6)?,
                        available_at: r.get(7)?,
                        created_at: r.get(8)?,
                        finished_at: r.get(9)?,
                        failed_at: r.get(10)?,
                        error: r.get(11)?,
                        output: r.get(12)?,
                        connection: r.get(13)?,
                    })
                })
                .optional()?)
        })?;
        let Some(row) = row else {
            return Ok(None);
        };
        let payload = parse_payload(&row.payload, uuid)?;
        let state = match (row.source.as_str(), row.reserved_at, row.available_at) {
            ("failed", ..) => JobState::Failed,
            ("done", ..) => JobState::Done,
            (_, Some(_), _) => JobState::Reserved,
            (_, None, Some(at)) if at > now_ms => JobState::Delayed,
            _ => JobState::Pending,
        };
        Ok(Some(JobView {
            uuid: uuid.into(),
            name: row.name,
            queue: row.queue,
            connection: row.connection.unwrap_or(connection),
            state,
            attempts: row.attempts,
            exceptions: row.exceptions,
            created_at: format_rfc3339(row.created_at.unwrap_or(payload.created_at)),
            available_at: row.available_at.map(format_rfc3339),
            reserved_at: row.reserved_at.map(format_rfc3339),
            finished_at: row.finished_at.map(format_rfc3339),
            failed_at: row.failed_at.map(format_rfc3339),
            error: row.error,
            output: row.output,
            payload,
        }))
    }

    fn failed_jobs(&mut self, queue: Option<&str>) -> Result<Vec<FailedJob>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT uuid, connection, queue, name, failed_at, attempts, exception, payload
                 FROM failed_jobs WHERE (?1 IS NULL OR queue = ?1) ORDER BY id DESC",
            )?;
            let rows = stmt.query_map([queue], |r| {
                let failed_at: i64 = r.get(4)?;
                let raw: String = r.get(7)?;
                Ok(FailedJob {
                    uuid: r.get(0)?,
                    connection: r.get(1)?,
                    queue: r.get(2)?,
                    name: r.get(3)?,
                    failed_at_ms: failed_at,
                    failed_at: format_rfc3339(failed_at),
                    attempts: r.get(5)?,
                    error: r.get(6)?,
                    payload: serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw)),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn retry_failed(&mut self, selection: &RetrySelection, now_ms: i64) -> Result<Vec<String>> {
        let retried = self.write(|tx| {
            let uuids: Vec<String> = match selection {
                RetrySelection::All => tx
                    .prepare("SELECT uuid FROM failed_jobs ORDER BY id DESC")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
                RetrySelection::Queue(q) => tx
                    .prepare("SELECT uuid FROM failed_jobs WHERE queue = ?1 ORDER BY id DESC")?
                    .query_map([q], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
                RetrySelection::Uuids(list) => list.clone(),
            };
            let mut retried = Vec::new();
            for uuid in &uuids {
                if retried.contains(uuid) {
                    continue;
                }
                // The job goes back with its uuid and payload, attempts and exceptions reset.
                let moved = tx.execute(
                    "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                     SELECT uuid, queue, name, payload, ?2, ?2 FROM failed_jobs WHERE uuid = ?1",
                    params![uuid, now_ms],
                )?;
                if moved == 1 {
                    tx.execute("DELETE FROM failed_jobs WHERE uuid = ?1", [uuid])?;
                    tx.execute("DELETE FROM finished_jobs WHERE uuid = ?1", [uuid])?;
                    retried.push(uuid.clone());
                } else if matches!(selection, RetrySelection::Uuids(_)) {
                    // An id that names no failed job is an error, and the whole retry is undone.
                    bail!("no failed job with id {uuid} (see `queue failed`); nothing was retried");
                }
            }
            Ok(retried)
        })?;
        if !retried.is_empty() {
            crate::wake::notify(&self.path);
        }
        Ok(retried)
    }

    fn forget_failed(&mut self, uuid: &str) -> Result<bool> {
        self.write(|tx| Ok(tx.execute("DELETE FROM failed_jobs WHERE uuid = ?1", [uuid])? == 1))
    }

    fn flush_failed(&mut self, before_ms: Option<i64>) -> Result<usize> {
        self.write(|tx| {
            Ok(match before_ms {
                Some(before) => {
                    tx.execute("DELETE FROM failed_jobs WHERE failed_at <= ?1", [before])?
                }
                None => tx.execute("DELETE FROM failed_jobs", [])?,
            })
        })
    }

    fn clear(&mut self, queue: &str) -> Result<usize> {
        self.write(|tx| {
            // The unique locks of the cleared jobs go with them.
            tx.execute(
                "DELETE FROM locks WHERE key LIKE 'unique:%'
                   AND owner IN (SELECT uuid FROM jobs WHERE queue = ?1)",
                [queue],
            )?;
            Ok(tx.execute("DELETE FROM jobs WHERE queue = ?1", [queue])?)
        })
    }

    fn prune_finished(&mut self, before_ms: i64) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM finished_jobs WHERE finished_at < ?1",
                [before_ms],
            )?)
        })
    }

    fn controls(&mut self) -> Result<Controls> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT key, value FROM settings")?;
            let mut controls = Controls::default();
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (key, value) = row?;
                if key == RESTART_KEY {
                    controls.restart = Some(value);
                } else if key == MAINTENANCE_KEY {
                    controls.maintenance = true;
                } else if let Some(queue) = key.strip_prefix(PAUSED_PREFIX) {
                    controls.paused.push(queue.to_string());
                }
            }
            Ok(controls)
        })
    }

    fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        self.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, v],
                )?,
                None => tx.execute("DELETE FROM settings WHERE key = ?1", [key])?,
            };
            Ok(())
        })?;
        // `restart`, `resume` and `up` must reach idle workers at once.
        crate::wake::notify(&self.path);
        Ok(())
    }

    fn create_batch(&mut self, batch: &NewBatch, jobs: &[NewJob]) -> Result<()> {
        let options = serde_json::to_string(&batch.options)?;
        let total: i64 = jobs
            .iter()
            .map(|j| 1 + j.payload.chained.len() as i64)
            .sum();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO job_batches (id, name, total_jobs, pending_jobs, failed_jobs,
                                          failed_job_ids, options, created_at)
                 VALUES (?1, ?2, ?3, ?3, 0, '[]', ?4, ?5)",
                params![batch.id, batch.name, total, options, batch.created_at],
            )?;
            for job in jobs {
                insert_job(tx, job)?;
            }
            Ok(())
        })?;
        crate::wake::notify(&self.path);
        Ok(())
    }

    fn add_to_batch(&mut self, batch_id: &str, jobs: &[NewJob]) -> Result<()> {
        let added: i64 = jobs
            .iter()
            .map(|j| 1 + j.payload.chained.len() as i64)
            .sum();
        self.write(|tx| {
            // Adding re-opens a finished batch, as Laravel's add() does.
            let changed = tx.execute(
                "UPDATE job_batches SET total_jobs = total_jobs + ?2,
                        pending_jobs = pending_jobs + ?2, finished_at = NULL
                 WHERE id = ?1",
                params![batch_id, added],
            )?;
            if changed == 0 {
                bail!("no batch with id {batch_id} (see `queue batches`)");
            }
            for job in jobs {
                insert_job(tx, job)?;
            }
            Ok(())
        })?;
        crate::wake::notify(&self.path);
        Ok(())
    }

    fn batches(&mut self) -> Result<Vec<BatchView>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {BATCH_COLUMNS} FROM job_batches ORDER BY created_at DESC, id DESC"
            ))?;
            let rows = stmt.query_map([], batch_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn batch(&mut self, id: &str) -> Result<Option<BatchView>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {BATCH_COLUMNS} FROM job_batches WHERE id = ?1"
                ))?
                .query_row([id], batch_from_row)
                .optional()?)
        })
    }

    fn cancel_batch(&mut self, id: &str, now_ms: i64) -> Result<bool> {
        self.write(|tx| {
            let exists = tx.execute(
                "UPDATE job_batches SET cancelled_at = COALESCE(cancelled_at, ?2),
                        finished_at = COALESCE(finished_at, ?2)
                 WHERE id = ?1",
                params![id, now_ms],
            )?;
            Ok(exists == 1)
        })
    }

    fn prune_batches(
        &mut self,
        finished_before: i64,
        unfinished_before: Option<i64>,
        cancelled_before: Option<i64>,
    ) -> Result<(usize, usize, usize)> {
        self.write(|tx| {
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
            Ok((finished, unfinished, cancelled))
        })
    }

    fn acquire_lock(
        &mut self,
        key: &str,
        owner: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Option<String>> {
        self.write(|tx| take_lock(tx, key, owner, expires_at_ms, now_ms))
    }

    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()> {
        self.write(|tx| release_owned(tx, key, owner))
    }
}

/// End one attempt inside a transaction (see `Store::finish`).
fn finish_in(
    tx: &Transaction<'_>,
    job: &Reserved,
    output: &str,
    now_ms: i64,
    decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    discard_failed: bool,
    connection: &str,
) -> Result<Finished> {
    let row: Option<(Option<String>, String, String, i64)> = tx
        .prepare_cached(
            "SELECT intent, payload, name, created_at FROM jobs WHERE id = ?1 AND token = ?2",
        )?
        .query_row(params![job.id, job.token], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((intent, raw_payload, name, created_at)) = row else {
        return Ok(Finished::LeaseLost);
    };
    let intent = intent.and_then(|text| serde_json::from_str::<Intent>(&text).ok());
    let verdict = decide(intent);
    release_after_attempt(tx, job, &verdict, now_ms)?;
    let decision = verdict.decision;
    match &decision {
        Decision::Complete => {
            tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?
                .execute([job.id])?;
            tx.prepare_cached(
                    "INSERT OR REPLACE INTO finished_jobs
                         (uuid, queue, name, payload, attempts, exceptions, output, created_at, finished_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    job.uuid,
                    job.queue,
                    name,
                    raw_payload,
                    job.attempts,
                    job.exceptions,
                    output,
                    created_at,
                    now_ms
                ])?;
        }
        Decision::Release {
            delay_ms,
            exception,
        } => {
            tx.prepare_cached(
                "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                            token = NULL, intent = NULL, available_at = ?2,
                            exceptions = exceptions + ?3, last_output = ?4
                     WHERE id = ?1",
            )?
            .execute(params![
                job.id,
                now_ms + delay_ms,
                *exception as i64,
                output
            ])?;
        }
        Decision::Fail { reason } => {
            tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?
                .execute([job.id])?;
            if !discard_failed {
                let exception = failure_text(reason, output);
                tx.prepare_cached(
                        "INSERT INTO failed_jobs
                             (uuid, connection, queue, name, payload, exception, attempts, failed_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (uuid) DO UPDATE SET
                             connection = excluded.connection, queue = excluded.queue,
                             name = excluded.name, payload = excluded.payload,
                             exception = excluded.exception, attempts = excluded.attempts,
                             failed_at = excluded.failed_at",
                    )?
                    .execute(params![
                        job.uuid,
                        connection,
                        job.queue,
                        name,
                        raw_payload,
                        exception,
                        job.attempts,
                        now_ms
                    ])?;
            }
        }
    }
    after_job(tx, job, &decision, &name, output, now_ms)?;
    Ok(Finished::Applied(decision))
}

/// Insert one job row.
fn insert_job(tx: &Transaction<'_>, job: &NewJob) -> Result<()> {
    let raw = serde_json::to_string(&job.payload)?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    insert_raw(&mut insert, job, &raw)
}

fn insert_raw(insert: &mut rusqlite::CachedStatement<'_>, job: &NewJob, raw: &str) -> Result<()> {
    insert.execute(params![
        job.payload.uuid,
        job.queue,
        job.payload.display_name,
        raw,
        job.available_at,
        job.payload.created_at,
    ])?;
    Ok(())
}

use crate::clock::new_uuid;

/// What a job's end means beyond its own row, in the same transaction: the next link of its
/// chain, the chain's catch, and its batch's counters and callbacks.
fn after_job(
    tx: &Transaction<'_>,
    job: &Reserved,
    decision: &Decision,
    name: &str,
    output: &str,
    now_ms: i64,
) -> Result<()> {
    use crate::domain::batch::{chain_catch_job, FailedInfo};
    let p = &job.payload;
    match decision {
        Decision::Complete => {
            if let Some((next, rest)) = p.chained.split_first() {
                let mut payload = next.payload.clone();
                payload.chained = rest.to_vec();
                payload.chain_catch = p.chain_catch.clone();
                payload.batch_id = p.batch_id.clone();
                payload.created_at = now_ms;
                let link = NewJob {
                    queue: next.queue.clone(),
                    available_at: now_ms + next.delay_ms,
                    unique_expires_at: None,
                    encrypt: false,
                    payload,
                };
                insert_job(tx, &link)?;
            }
            if let Some(batch_id) = &p.batch_id {
                batch_counts(tx, batch_id, &job.uuid, None, now_ms)?;
            }
        }
        Decision::Fail { reason } => {
            let error = failure_text(reason, output);
            let failed = FailedInfo {
                uuid: &job.uuid,
                name,
                error: &error,
            };
            if let Some(command) = &p.chain_catch {
                let catch =
                    chain_catch_job(command, &failed, &job.queue, &p.cwd, new_uuid(), now_ms);
                insert_job(tx, &catch)?;
            }
            if let Some(batch_id) = &p.batch_id {
                batch_counts(tx, batch_id, &job.uuid, Some(&failed), now_ms)?;
            }
        }
        Decision::Release { .. } => {}
    }
    Ok(())
}

/// Count a batched job's success (failed = None) or final failure, and queue the callbacks
/// that this update fires (reference §9.3).
fn batch_counts(
    tx: &Transaction<'_>,
    batch_id: &str,
    uuid: &str,
    failed: Option<&crate::domain::batch::FailedInfo<'_>>,
    now_ms: i64,
) -> Result<()> {
    use crate::domain::batch::{callback_job, tally, Counts, Tally};
    let Some(batch) = tx
        .prepare_cached(&format!(
            "SELECT {BATCH_COLUMNS} FROM job_batches WHERE id = ?1"
        ))?
        .query_row([batch_id], batch_from_row)
        .optional()?
    else {
        return Ok(()); // pruned meanwhile: nothing to count
    };
    let Tally {
        counts,
        failed_job_ids: ids,
        effects,
        cancelled,
    } = tally(
        Counts {
            total: batch.total_jobs,
            pending: batch.pending_jobs,
            failed: batch.failed_jobs,
        },
        &batch.failed_job_ids,
        batch.cancelled_at.is_some(),
        batch.options.allow_failures,
        uuid,
        failed.is_some(),
    );
    tx.prepare_cached(
        "UPDATE job_batches SET pending_jobs = ?2, failed_jobs = ?3, failed_job_ids = ?4,
                finished_at = CASE WHEN ?5 THEN ?7
                                   WHEN ?6 THEN COALESCE(finished_at, ?7)
                                   ELSE finished_at END,
                cancelled_at = CASE WHEN ?6 THEN COALESCE(cancelled_at, ?7) ELSE cancelled_at END
         WHERE id = ?1",
    )?
    .execute(params![
        batch_id,
        counts.pending,
        counts.failed,
        serde_json::to_string(&ids)?,
        effects.finish,
        effects.cancel,
        now_ms
    ])?;
    for kind in effects.callbacks {
        let job = callback_job(
            kind,
            batch_id,
            &batch.name,
            &batch.options,
            counts,
            cancelled,
            failed,
            new_uuid(),
            now_ms,
        );
        if let Some(job) = job {
            insert_job(tx, &job)?;
        }
    }
    Ok(())
}

const BATCH_COLUMNS: &str =
    "id, name, total_jobs, pending_jobs, failed_jobs, failed_job_ids, options, \
                             cancelled_at, finished_at, created_at";

fn batch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BatchView> {
    let total: i64 = r.get(2)?;
    let pending: i64 = r.get(3)?;
    let failed: i64 = r.get(4)?;
    let ids: String = r.get(5)?;
    let options: Option<String> = r.get(6)?;
    let counts = crate::domain::batch::Counts {
        total,
        pending,
        failed,
    };
    Ok(BatchView {
        id: r.get(0)?,
        name: r.get(1)?,
        total_jobs: total,
        pending_jobs: pending,
        processed_jobs: counts.processed(),
        failed_jobs: failed,
        progress: counts.progress(),
        failed_job_ids: serde_json::from_str(&ids).unwrap_or_default(),
        options: options
            .and_then(|o| serde_json::from_str(&o).ok())
            .unwrap_or_default(),
        cancelled_at: r.get::<_, Option<i64>>(7)?.map(format_rfc3339),
        finished_at: r.get::<_, Option<i64>>(8)?.map(format_rfc3339),
        created_at: format_rfc3339(r.get(9)?),
    })
}

/// Take `key` for `owner` until `expires_at`, freeing it first if its holder is gone: an
/// expired lock, a unique lock whose job left the queue, or an overlap/funnel lock whose attempt
/// is no longer running (its worker died and the lease was freed). Returns the holder when busy.
fn take_lock(
    tx: &Transaction<'_>,
    key: &str,
    owner: &str,
    expires_at: i64,
    now_ms: i64,
) -> Result<Option<String>> {
    tx.prepare_cached(
        "DELETE FROM locks WHERE key = ?1 AND owner <> ?2 AND (
             expires_at <= ?3
             OR (key LIKE 'unique:%' AND NOT EXISTS (SELECT 1 FROM jobs WHERE uuid = locks.owner))
             OR ((key LIKE 'overlap:%' OR key LIKE 'funnel:%') AND NOT EXISTS (
                 SELECT 1 FROM jobs WHERE token = locks.owner AND reserved_at IS NOT NULL)))",
    )?
    .execute(params![key, owner, now_ms])?;
    tx.prepare_cached(
        "INSERT INTO locks (key, owner, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
         WHERE locks.owner = excluded.owner",
    )?
    .execute(params![key, owner, expires_at])?;
    let holder: String = tx
        .prepare_cached("SELECT owner FROM locks WHERE key = ?1")?
        .query_row([key], |r| r.get(0))?;
    Ok((holder != owner).then_some(holder))
}

fn release_owned(tx: &Transaction<'_>, key: &str, owner: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM locks WHERE key = ?1 AND owner = ?2")?
        .execute(params![key, owner])?;
    Ok(())
}

/// A lock was released: the first job parked on it may go now.
fn wake_parked(tx: &Transaction<'_>, key: &str, now_ms: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE jobs SET available_at = ?2, parked_on = NULL
         WHERE id = (SELECT id FROM jobs WHERE parked_on = ?1 AND reserved_at IS NULL
                     ORDER BY available_at, id LIMIT 1)",
    )?
    .execute(params![key, now_ms])?;
    Ok(())
}

/// A fixed window's count: (hits, window end) while the window is open.
fn window(tx: &Transaction<'_>, key: &str, now_ms: i64) -> Result<Option<(i64, i64)>> {
    Ok(tx
        .prepare_cached(
            "SELECT hits, window_ends_at FROM limiters WHERE key = ?1 AND window_ends_at > ?2",
        )?
        .query_row(params![key, now_ms], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Count one hit in a fixed window of `seconds` that opens at the first hit.
fn hit(tx: &Transaction<'_>, key: &str, seconds: u64, now_ms: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO limiters (key, hits, window_ends_at) VALUES (?1, 1, ?2 + ?3)
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN window_ends_at > ?2 THEN hits + 1 ELSE 1 END,
             window_ends_at = CASE WHEN window_ends_at > ?2 THEN window_ends_at ELSE ?2 + ?3 END",
    )?
    .execute(params![key, now_ms, seconds as i64 * 1000])?;
    Ok(())
}

/// Held back: (delay, the lock to wait on, why). A None delay means "until the lease length".
type Held = (Option<i64>, Option<String>, String);

/// The middleware checks of `admit`, in order; takes what it needs when the job may run.
fn admission_check(
    tx: &Transaction<'_>,
    job: &Reserved,
    mw: &crate::domain::middleware::Middleware,
    now_ms: i64,
) -> Result<Option<Held>> {
    use crate::domain::middleware::{funnel_slot_key, overlap_key, rate_key, throttle_key};
    if let Some(t) = &mw.throttle_exceptions {
        if let Some((hits, ends)) = window(tx, &throttle_key(&t.key), now_ms)? {
            if hits >= t.max as i64 {
                let why = format!(
                    "throttled: {} exceptions for '{}' within {}s",
                    hits, t.key, t.seconds
                );
                return Ok(Some((Some(ends - now_ms), None, why)));
            }
        }
    }
    if let Some(r) = &mw.rate_limit {
        if let Some((hits, ends)) = window(tx, &rate_key(&r.key), now_ms)? {
            if hits >= r.max as i64 {
                let why = format!(
                    "rate limit '{}': {} per {}s reached",
                    r.key, r.max, r.seconds
                );
                return Ok(Some((Some(ends - now_ms), None, why)));
            }
        }
    }
    let mut slot_taken = None;
    if let Some(f) = &mw.funnel {
        for slot in 1..=f.max {
            let key = funnel_slot_key(&f.key, slot);
            if take_lock(tx, &key, &job.token, i64::MAX, now_ms)?.is_none() {
                slot_taken = Some(key);
                break;
            }
        }
        if slot_taken.is_none() {
            let why = format!("funnel '{}': {} running", f.key, f.max);
            return Ok(Some((None, Some(format!("funnel:{}", f.key)), why)));
        }
    }
    if let Some(key) = &mw.without_overlapping {
        let lock = overlap_key(key);
        if take_lock(tx, &lock, &job.token, i64::MAX, now_ms)?.is_some() {
            if let Some(slot) = slot_taken {
                release_owned(tx, &slot, &job.token)?;
            }
            let why = format!("without-overlapping '{key}': another job holds it");
            return Ok(Some((None, Some(lock), why)));
        }
    }
    if let Some(r) = &mw.rate_limit {
        hit(tx, &rate_key(&r.key), r.seconds, now_ms)?;
    }
    Ok(None)
}

/// After an attempt: give back what it held and count what its middleware counts.
fn release_after_attempt(
    tx: &Transaction<'_>,
    job: &Reserved,
    verdict: &Verdict,
    now_ms: i64,
) -> Result<()> {
    use crate::domain::middleware::{funnel_slot_key, overlap_key, throttle_key};
    let p = &job.payload;
    if let Some(key) = &p.middleware.without_overlapping {
        let lock = overlap_key(key);
        release_owned(tx, &lock, &job.token)?;
        wake_parked(tx, &lock, now_ms)?;
    }
    if let Some(f) = &p.middleware.funnel {
        for slot in 1..=f.max {
            release_owned(tx, &funnel_slot_key(&f.key, slot), &job.token)?;
        }
        wake_parked(tx, &format!("funnel:{}", f.key), now_ms)?;
    }
    let ended = matches!(verdict.decision, Decision::Complete | Decision::Fail { .. });
    if let Some(unique) = p.unique.as_ref().filter(|_| ended) {
        release_owned(tx, &unique.key, &job.uuid)?;
    }
    if let Some(t) = &p.middleware.throttle_exceptions {
        let key = throttle_key(&t.key);
        if verdict.threw {
            hit(tx, &key, t.seconds, now_ms)?;
        } else if verdict.decision == Decision::Complete {
            // It counts consecutive exceptions: a success starts over.
            tx.prepare_cached("DELETE FROM limiters WHERE key = ?1")?
                .execute([&key])?;
        }
    }
    Ok(())
}

/// One job as `show` reads it from whichever table holds it.
struct ShowRow {
    source: String,
    queue: String,
    name: String,
    payload: String,
    attempts: i64,
    exceptions: u32,
    reserved_at: Option<i64>,
    available_at: Option<i64>,
    created_at: Option<i64>,
    finished_at: Option<i64>,
    failed_at: Option<i64>,
    error: Option<String>,
    output: Option<String>,
    connection: Option<String>,
}

/// The text stored in failed_jobs.exception: the reason on the first line, then the output tail.
fn failure_text(reason: &str, output: &str) -> String {
    if output.trim().is_empty() {
        reason.to_string()
    } else {
        format!("{reason}\n--- output (last 64 KiB) ---\n{output}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn a_dispatch_truncates_a_long_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.sqlite");
        let mut store = SqliteStore::open(
            &path,
            StoreOptions {
                connection: "default".into(),
                discard_failed: false,
                auto_migrate: true,
                synchronous_full: false,
            },
        )
        .unwrap();
        let job = |i: usize| {
            crate::domain::job::build(
                crate::domain::job::JobCommand::Argv(vec!["true".into(), "x".repeat(500)]),
                &Default::default(),
                "default",
                dir.path(),
                format!("00000000-0000-7000-8000-{i:012}"),
                0,
            )
            .unwrap()
        };
        let wal = dir.path().join("q.sqlite-wal");
        // Enough rows for several MiB of WAL in one transaction, then one more dispatch.
        store
            .enqueue(&(0..3000).map(job).collect::<Vec<_>>(), 0)
            .unwrap();
        assert_eq!(
            std::fs::metadata(&wal).unwrap().len(),
            0,
            "truncated after the big one"
        );
        store.enqueue(&[job(3000)], 0).unwrap();
        assert!(std::fs::metadata(&wal).unwrap().len() < 1 << 20);
        let count: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 3001, "nothing lost by the checkpoint");
    }

    #[test]
    fn synchronous_full_is_applied() {
        let dir = tempfile::tempdir().unwrap();
        for (full, want) in [(false, 1), (true, 2)] {
            let store = SqliteStore::open(
                &dir.path().join("q.sqlite"),
                StoreOptions {
                    connection: "default".into(),
                    discard_failed: false,
                    auto_migrate: true,
                    synchronous_full: full,
                },
            )
            .unwrap();
            let level: i64 = store
                .conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap();
            assert_eq!(level, want);
        }
    }

    #[test]
    fn the_claim_uses_the_pending_index_in_order_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            &dir.path().join("q.sqlite"),
            StoreOptions {
                connection: "default".into(),
                discard_failed: false,
                auto_migrate: true,
                synchronous_full: false,
            },
        )
        .unwrap();
        let claim = plan(&store.conn, CLAIM_SQL);
        assert!(claim.contains("jobs_pending"), "{claim}");
        assert!(!claim.contains("TEMP B-TREE"), "the claim sorts: {claim}");
        // Heartbeats and lock checks look among reserved rows only, through their index.
        let heartbeat = plan(
            &store.conn,
            "UPDATE jobs SET lease_expires_at = ?2 WHERE worker_id = ?1 AND reserved_at IS NOT NULL",
        );
        assert!(heartbeat.contains("jobs_leases"), "{heartbeat}");
    }
}
