//! The embedded SQLite store: WAL mode, a busy timeout, and every write transaction opened with
//! BEGIN IMMEDIATE so that a writer never has to upgrade a read lock (the source of Laravel's
//! "database is locked"). A busy database is waited for, however long that takes.
//!
//! The rules of a job's life are `lifecycle`'s; this folder says how SQLite does each step:
//! `schema` (the file, its modes, migrations), `verbs` (the lifecycle's statements), `hot`
//! (claims, heartbeats, a busy worker's fused finish-and-claim), `queries` (what `status`,
//! `show`, `failed` and `batches` read) and `wake` (idle workers on this host, woken through
//! unix sockets after a commit that made work available).

mod hot;
mod metrics;
mod queries;
mod schema;
#[cfg(test)]
mod tests;
mod verbs;
mod wake;

use super::events::{self, EventRead};
use super::lifecycle::{self, Serialized};
use super::listing;
use super::rows::ClaimedJob;
use super::{
    Admission, AttemptView, BatchView, Cancelled, Claim, Controls, Ending, Enqueued, FailedJob,
    FailedQuery, Finished, Intent, JobPage, JobQuery, JobSource, JobView, MetricQuery, MetricRow,
    NewBatch, PrunedBatches, QueueStats, Reserved, RetrySelection, Store, StoreOptions, Verdict,
    WakeFn, Wakeups, WorkerInfo,
};
use crate::domain::job::{Link, NewJob};
use anyhow::Result;
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use verbs::SqliteTx;

/// The `now` of a transaction whose steps read no time (settings, lock releases, a batch's
/// growth).
const UNTIMED: i64 = 0;

/// How long one attempt waits on SQLite's busy handler before we retry the whole transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    options: StoreOptions,
    /// Opened by a command that only reads, on a file this user may not write.
    read_only: bool,
}

impl SqliteStore {
    /// Open (creating if needed, 0600 in a 0700 directory) and migrate unless told not to.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Self> {
        let mut store = Self::open_unmigrated(path, options)?;
        store.ensure_schema()?;
        Ok(store)
    }

    /// Open a store that must already exist, for a command that only reads: a missing file is
    /// an error (never created), and a file this user may only read is opened read-only.
    pub fn open_existing(path: &Path, options: StoreOptions) -> Result<Self> {
        if !path.is_file() {
            anyhow::bail!(
                "no store at {}: check --database, QUEUE_DATABASE or queue.toml (a store is created by the first command that writes, such as `queue dispatch`)",
                path.display()
            );
        }
        if schema::may_write(path) {
            return Self::open(path, options);
        }
        let mut store = Self::open_read_only(path, options)?;
        store.ensure_schema()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
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
                Err(e) if is_read_only(&e) => return Err(schema::read_only_error(&self.path)),
                // Still a rusqlite error underneath, so that workers ride it out.
                Err(e) if is_code(&e, ErrorCode::DiskFull) => {
                    return Err(e.context(format!(
                        "cannot write the store {}: its disk is full, free some space on it",
                        self.path.display()
                    )))
                }
                other => return other,
            }
        }
    }

    /// `write` for the lifecycle's steps, whose transaction's instant is `now`: the idle workers
    /// it asked to wake are woken once it has committed.
    fn write_at<T>(
        &mut self,
        now: i64,
        mut f: impl FnMut(&mut SqliteTx<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut wake = false;
        let value = self.write(|tx| {
            let mut v = SqliteTx::new(tx, now);
            let value = f(&mut v)?;
            wake = v.wakes();
            Ok(value)
        })?;
        if wake {
            wake::notify(&self.path);
        }
        Ok(value)
    }

    /// The readable jobs of a claim, added to `jobs`; the rows that cannot be read go to
    /// failed jobs, each in its own transaction. True when there was such a row.
    fn take_claimed(
        &mut self,
        claimed: Vec<ClaimedJob>,
        now_ms: i64,
        jobs: &mut Vec<Reserved>,
    ) -> Result<bool> {
        let mut unreadable = false;
        for job in claimed {
            match job {
                Ok(job) => jobs.push(job),
                Err(bad) => {
                    unreadable = true;
                    let options = self.options.clone();
                    self.write_at(now_ms, |v| lifecycle::fail_unreadable(v, &bad, &options))?;
                }
            }
        }
        Ok(unreadable)
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

fn is_code(e: &anyhow::Error, code: ErrorCode) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _)) if f.code == code
        )
    })
}

fn is_read_only(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _)) if f.code == ErrorCode::ReadOnly
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

impl Store for SqliteStore {
    fn connection_name(&self) -> &str {
        &self.options.connection
    }

    fn claims_ahead(&self) -> bool {
        true
    }

    fn migrate(&mut self) -> Result<Vec<&'static str>> {
        self.apply_migrations()
    }

    fn subscribe(
        &mut self,
        worker_id: &str,
        _queues: &[String],
        wake: WakeFn,
    ) -> Result<Option<Wakeups>> {
        Ok(wake::listen(&self.path, worker_id, wake).map(|l| Box::new(l) as Wakeups))
    }

    fn enqueue(&mut self, jobs: &[NewJob], now_ms: i64) -> Result<Vec<Enqueued>> {
        let jobs = Serialized::all(jobs)?;
        let results = self.write_at(now_ms, |v| lifecycle::enqueue(v, &jobs))?;
        self.keep_wal_short();
        Ok(results)
    }

    fn enqueue_stream(&mut self, source: &mut dyn JobSource, now_ms: i64) -> Result<u64> {
        let mut began = false;
        // One BEGIN IMMEDIATE; the insert is prepared once and reused for every row.
        let total = self.write_at(now_ms, |v| {
            if std::mem::replace(&mut began, true) && !source.rewind()? {
                anyhow::bail!(
                    "the store was busy and the jobs cannot be read again: nothing was dispatched"
                );
            }
            let mut total = 0u64;
            loop {
                let jobs = source.next_jobs()?;
                if jobs.is_empty() {
                    return Ok(total);
                }
                let results = lifecycle::enqueue_chunk(v, &Serialized::all(&jobs)?)?;
                total += jobs.len() as u64;
                source.enqueued(jobs, &results)?;
            }
        })?;
        self.keep_wal_short();
        Ok(total)
    }

    fn admit(&mut self, job: &Reserved, now_ms: i64, lease_ms: i64) -> Result<Admission> {
        if !job.payload.needs_admission() {
            return Ok(Admission::Run);
        }
        self.write_at(now_ms, |v| lifecycle::admit(v, job, lease_ms))
    }

    fn claim(&mut self, claim: &Claim<'_>) -> Result<Option<Reserved>> {
        Ok(self.claim_many(claim, 1)?.pop())
    }

    fn claim_many(&mut self, claim: &Claim<'_>, limit: usize) -> Result<Vec<Reserved>> {
        let mut jobs = Vec::new();
        // Rows that cannot be read go to failed jobs, each in its own transaction, and the
        // claim is made again for the places they took.
        while jobs.len() < limit {
            let claimed =
                self.write_at(claim.now_ms, |v| claim_in(v, claim, limit - jobs.len()))?;
            if !self.take_claimed(claimed, claim.now_ms, &mut jobs)? {
                break;
            }
        }
        Ok(jobs)
    }

    fn next_available_at(&mut self, queues: &[String]) -> Result<Option<i64>> {
        self.read(|conn| hot::next_available_at(conn, queues))
    }

    fn free_unheld(&mut self, worker_id: &str, held: &[&str], _now_ms: i64) -> Result<u64> {
        let freed = self.write(|tx| hot::free_unheld(tx, worker_id, held))?;
        if freed > 0 {
            wake::notify(&self.path);
        }
        Ok(freed)
    }

    fn heartbeat(
        &mut self,
        worker_id: &str,
        now_ms: i64,
        lease_until_ms: i64,
        alive_until_ms: i64,
    ) -> Result<()> {
        self.write(|tx| hot::heartbeat(tx, worker_id, now_ms, lease_until_ms, alive_until_ms))
    }

    fn register_worker(&mut self, w: &WorkerInfo, alive_until_ms: i64) -> Result<()> {
        let hooks = self.options.hooks.clone();
        self.write_at(w.last_seen_at, |v| {
            queries::register_worker(v.tx(), w, alive_until_ms)?;
            events::worker(v, &w.id, &w.queues, None, &hooks)
        })
    }

    fn worker_stopping(
        &mut self,
        worker_id: &str,
        queues: &[String],
        reason: &str,
        now_ms: i64,
    ) -> Result<()> {
        let hooks = self.options.hooks.clone();
        self.write_at(now_ms, |v| {
            v.tx()
                .execute("DELETE FROM workers WHERE id = ?1", [worker_id])?;
            events::worker(v, worker_id, queues, Some(reason), &hooks)
        })
    }

    fn read_events(&mut self, after: i64, limit: usize) -> Result<EventRead> {
        let connection = self.options.connection.clone();
        self.read(|conn| queries::read_events(conn, after, limit, &connection))
    }

    fn event_cursor_at(&mut self, at_ms: i64) -> Result<i64> {
        self.read(|conn| queries::event_cursor_at(conn, at_ms))
    }

    fn prune_events(&mut self, before_ms: i64) -> Result<usize> {
        self.write(|tx| Ok(tx.execute("DELETE FROM job_events WHERE at < ?1", [before_ms])?))
    }

    fn unregister_worker(&mut self, worker_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM workers WHERE id = ?1", [worker_id])?;
            Ok(())
        })
    }

    fn workers(&mut self, now_ms: i64) -> Result<Vec<WorkerInfo>> {
        if self.read_only {
            return self.read(|conn| queries::workers(conn, now_ms, false));
        }
        self.write(|tx| queries::workers(tx, now_ms, true))
    }

    fn finish(
        &mut self,
        job: &Reserved,
        output: &str,
        now_ms: i64,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Finished> {
        let options = self.options.clone();
        self.write_at(now_ms, |v| {
            lifecycle::finish(v, job, output, decide, &options)
        })
    }

    fn finish_many(&mut self, endings: &mut [Ending<'_>], now_ms: i64) -> Result<Vec<Finished>> {
        let options = self.options.clone();
        self.write_at(now_ms, |v| lifecycle::finish_all(v, endings, &options))
    }

    fn finish_and_claim(
        &mut self,
        endings: &mut [Ending<'_>],
        now_ms: i64,
        next: Option<(&Claim<'_>, usize)>,
    ) -> Result<(Vec<Finished>, Vec<Reserved>)> {
        let options = self.options.clone();
        // One transaction, so a busy worker pays one BEGIN IMMEDIATE and one commit per step
        // instead of two; the claim sees what the finishes released.
        let (finished, rows) = self.write_at(now_ms, |v| {
            let finished = lifecycle::finish_all(v, endings, &options)?;
            let rows = match next {
                Some((claim, limit)) if limit > 0 => claim_in(v, claim, limit)?,
                _ => Vec::new(),
            };
            Ok((finished, rows))
        })?;
        let mut jobs = Vec::new();
        if let Some((claim, limit)) = next {
            if self.take_claimed(rows, now_ms, &mut jobs)? && jobs.len() < limit {
                jobs.extend(self.claim_many(claim, limit - jobs.len())?);
            }
        }
        Ok((finished, jobs))
    }

    fn record_intent(&mut self, uuid: &str, token: &str, intent: &Intent) -> Result<bool> {
        // No instant is read: the transaction's `now` is unused.
        self.write_at(0, |v| {
            lifecycle::record(v, uuid, token, &mut |r| r.asking(intent))
        })
    }

    fn add_to_chain(
        &mut self,
        uuid: &str,
        token: &str,
        prepend: bool,
        links: &[Link],
    ) -> Result<bool> {
        self.write_at(0, |v| {
            lifecycle::record(v, uuid, token, &mut |r| {
                r.chain.add(prepend, links.to_vec())
            })
        })
    }

    fn queue_stats(&mut self, now_ms: i64) -> Result<Vec<QueueStats>> {
        let connection = self.options.connection.clone();
        self.read(|conn| queries::queue_stats(conn, now_ms, &connection))
    }

    fn show(&mut self, uuid: &str, now_ms: i64) -> Result<Option<JobView>> {
        let connection = self.options.connection.clone();
        self.read(|conn| queries::show(conn, uuid, now_ms, &connection))
    }

    fn list_failed(&mut self, query: &FailedQuery) -> Result<Vec<FailedJob>> {
        self.read(|conn| queries::list_failed(conn, query))
    }

    fn find_uuids(&mut self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        self.read(|conn| queries::find_uuids(conn, prefix, limit))
    }

    fn list_jobs(&mut self, query: &JobQuery, now_ms: i64) -> Result<JobPage> {
        self.read(|conn| {
            let mut db = queries::Listing(conn);
            listing::list_jobs(query, now_ms, listing::Dialect::Sqlite, &mut db)
        })
    }

    fn cancel(&mut self, uuid: &str, now_ms: i64) -> Result<Cancelled> {
        self.write_at(now_ms, |v| lifecycle::cancel(v, uuid))
    }

    fn run_now(&mut self, uuid: &str, now_ms: i64) -> Result<bool> {
        self.write_at(now_ms, |v| lifecycle::run_now(v, uuid))
    }

    fn attempts(&mut self, uuid: &str) -> Result<Vec<AttemptView>> {
        self.read(|conn| queries::attempts(conn, uuid))
    }

    fn attempt_output(&mut self, job: &Reserved, output: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO job_attempts (token, uuid, attempt, started_at, worker, output)
                 SELECT token, uuid, attempts, reserved_at, worker_id, ?3 FROM jobs
                 WHERE id = ?1 AND token = ?2 AND reserved_at IS NOT NULL
                 ON CONFLICT (token) DO UPDATE SET output = excluded.output
                 WHERE job_attempts.finished_at IS NULL",
            )?
            .execute(params![job.id, job.token, output])?;
            Ok(())
        })
    }

    fn retry_failed(&mut self, selection: &RetrySelection, now_ms: i64) -> Result<Vec<String>> {
        self.write_at(now_ms, |v| {
            let retried = verbs::retry_failed(v, selection, now_ms)?;
            events::retried(v, &retried)?;
            Ok(retried)
        })
    }

    fn forget_failed(&mut self, uuid: &str) -> Result<bool> {
        self.write(|tx| {
            let found = tx.execute("DELETE FROM failed_jobs WHERE uuid = ?1", [uuid])? == 1;
            tx.execute(queries::FORGET_GONE_ATTEMPTS, [uuid])?;
            Ok(found)
        })
    }

    fn flush_failed(&mut self, before_ms: Option<i64>) -> Result<usize> {
        self.write(|tx| {
            let before = before_ms.unwrap_or(i64::MAX);
            tx.execute(
                "DELETE FROM job_attempts WHERE uuid IN
                     (SELECT uuid FROM failed_jobs WHERE failed_at <= ?1)
                   AND uuid NOT IN (SELECT uuid FROM jobs)",
                [before],
            )?;
            Ok(tx.execute("DELETE FROM failed_jobs WHERE failed_at <= ?1", [before])?)
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
            tx.execute(
                "DELETE FROM job_attempts WHERE uuid IN (SELECT uuid FROM jobs WHERE queue = ?1)
                   AND uuid NOT IN (SELECT uuid FROM failed_jobs)",
                [queue],
            )?;
            Ok(tx.execute("DELETE FROM jobs WHERE queue = ?1", [queue])?)
        })
    }

    fn metric_rollups(&mut self, query: &MetricQuery) -> Result<Vec<MetricRow>> {
        self.read(|conn| metrics::read(conn, query))
    }

    fn prune_metrics(&mut self, before_ms: i64) -> Result<usize> {
        self.write(|tx| metrics::prune(tx, before_ms))
    }

    fn prune_finished(&mut self, before_ms: i64) -> Result<usize> {
        self.write(|tx| {
            // The attempts go with their job (unless it was retried and is back, or failed).
            tx.execute(
                "DELETE FROM job_attempts WHERE uuid IN
                     (SELECT uuid FROM finished_jobs WHERE finished_at < ?1)
                   AND uuid NOT IN (SELECT uuid FROM jobs)
                   AND uuid NOT IN (SELECT uuid FROM failed_jobs)",
                [before_ms],
            )?;
            Ok(tx.execute(
                "DELETE FROM finished_jobs WHERE finished_at < ?1",
                [before_ms],
            )?)
        })
    }

    fn controls(&mut self) -> Result<Controls> {
        self.read(queries::controls)
    }

    fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        // `restart`, `resume` and `up` must reach idle workers at once; pausing and resuming
        // a queue are events, at this instant.
        let now = crate::clock::system_now_ms() + crate::clock::test_offset_ms();
        self.write_at(now, |v| {
            verbs::set_setting(v, key, value)?;
            events::setting_changed(v, key, value)
        })
    }

    fn create_batch(&mut self, batch: &NewBatch, jobs: &[NewJob]) -> Result<()> {
        let jobs = Serialized::all(jobs)?;
        self.write_at(batch.created_at, |v| {
            lifecycle::create_batch(v, batch, &jobs)
        })
    }

    fn add_to_batch(&mut self, batch_id: &str, jobs: &[NewJob]) -> Result<()> {
        let jobs = Serialized::all(jobs)?;
        self.write_at(UNTIMED, |v| lifecycle::add_to_batch(v, batch_id, &jobs))
    }

    fn batches(&mut self) -> Result<Vec<BatchView>> {
        self.read(queries::batches)
    }

    fn batch(&mut self, id: &str) -> Result<Option<BatchView>> {
        self.read(|conn| queries::batch(conn, id))
    }

    fn cancel_batch(&mut self, id: &str, now_ms: i64) -> Result<bool> {
        self.write_at(now_ms, |v| {
            // Only a batch not cancelled before is cancelled now (one event).
            let name: Option<String> = v
                .tx()
                .prepare_cached(
                    "UPDATE job_batches SET cancelled_at = ?2,
                            finished_at = COALESCE(finished_at, ?2)
                     WHERE id = ?1 AND cancelled_at IS NULL RETURNING name",
                )?
                .query_row(params![id, now_ms], |r| r.get(0))
                .optional()?;
            if let Some(name) = &name {
                events::batch(v, crate::domain::events::name::BATCH_CANCELLED, id, name)?;
                return Ok(true);
            }
            let exists: Option<i64> = v
                .tx()
                .query_row("SELECT 1 FROM job_batches WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(exists.is_some())
        })
    }

    fn prune_batches(
        &mut self,
        finished_before: i64,
        unfinished_before: Option<i64>,
        cancelled_before: Option<i64>,
    ) -> Result<PrunedBatches> {
        self.write(|tx| {
            queries::prune_batches(tx, finished_before, unfinished_before, cancelled_before)
        })
    }

    fn acquire_lock(
        &mut self,
        key: &str,
        owner: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Option<String>> {
        use super::verbs::Verbs;
        self.write_at(now_ms, |v| v.take_lock(key, owner, expires_at_ms))
    }

    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()> {
        use super::verbs::Verbs;
        self.write_at(UNTIMED, |v| v.release_lock(key, owner))
    }
}

/// Claim up to `limit` jobs inside `v`'s transaction, each readable one with its
/// `job.processing` event.
fn claim_in(v: &mut SqliteTx<'_>, claim: &Claim<'_>, limit: usize) -> Result<Vec<ClaimedJob>> {
    let claimed = hot::reserved(hot::claim_rows(v.tx(), claim, limit)?);
    for job in claimed.iter().flatten() {
        events::processing(v, job, claim.worker_id)?;
    }
    Ok(claimed)
}

/// Dispatch inside a caller's own transaction on the store file (the library's
/// `dispatch_in_sqlite`): the jobs exist if and only if that transaction commits. Returns the
/// results and whether idle workers should be woken once it has (`notify_workers`).
pub fn enqueue_in(
    tx: &Transaction<'_>,
    jobs: &[NewJob],
    now_ms: i64,
) -> Result<(Vec<Enqueued>, bool)> {
    let jobs = Serialized::all(jobs)?;
    let mut v = SqliteTx::new(tx, now_ms);
    let results = lifecycle::enqueue(&mut v, &jobs)?;
    Ok((results, v.wakes()))
}

/// Wake this store's idle workers (after a caller's transaction that dispatched has committed).
pub fn notify_workers(store: &Path) {
    wake::notify(store);
}
