//! The PostgreSQL store: one server shared by dispatchers and workers on any number of hosts.
//!
//! The rules of a job's life are `store::lifecycle`'s, the same as on SQLite; what differs is
//! how they are reached on a server with many concurrent writers:
//! - A claim is one statement: the first available job of a queue in (available_at, id) order,
//!   or a job whose lease expired (its worker died: it keeps its place in line), locked with
//!   `FOR UPDATE SKIP LOCKED` so that concurrent workers never wait for, or take, the same row.
//! - Every other state change is one transaction, retried on a serialization failure or a
//!   deadlock.
//! - Time is the database server's clock (plus the test offset of `QUEUE_TEST_CLOCK_FILE`), so
//!   hosts whose clocks differ by a few seconds agree on leases and availability: claims,
//!   heartbeats and releases read the server's clock and add durations to it. Instants the
//!   caller gives on its own clock (a dispatch's `available_at`) are moved by the measured
//!   difference between the two clocks, and those handed back (`next_available_at`) moved back.
//! - Instant pickup: state changes that make work available NOTIFY `queue_wake` in their
//!   transaction; each idle worker LISTENs on a connection of its own.
//!
//! Where things are:
//! - here: the store, its connection and the worker's session settings, and the `Store` verbs,
//!   each handed to the file of its concern;
//! - `url`: parsing the URL, connecting, error text;
//! - `clock`: the server's clock, the measured skew, `rebase`, and the test offset;
//! - `schema`: the schema version, migrations, a schema made by hand;
//! - `tx`: transactions (`write`), single statements (`query`), retries, prepared statements,
//!   NOTIFY at commit;
//! - `sql`: the statement texts of the hot path and those that read the server's clock;
//! - `hot`: dispatch, claim, finish-and-claim, the one-statement finishes, vacuum, the sweep of
//!   expired leases;
//! - `verbs`: the lifecycle's statements in this dialect (inside a `Tx`);
//! - `attempt`: admission and the end of an attempt, through the lifecycle or a fast path;
//! - `queries`: the rows of show, status, failed, workers, batches and controls;
//! - `admin`: retry, flush, clear, prune, settings, and batches as commands change them;
//! - `listen`: the LISTEN thread and the wake-ups it sends.

mod admin;
mod attempt;
mod clock;
mod hot;
mod listen;
mod metrics;
mod queries;
mod schema;
mod sql;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support;
mod tls;
mod tx;
mod url;
mod verbs;

pub use admin::enqueue_in;
pub use url::{connect_timeout_of, connect_url, parse_url};

use super::{
    Admission, BatchView, Claim, Controls, Ending, Enqueued, FailedJob, Finished, Intent,
    JobSource, JobView, MetricQuery, MetricRow, NewBatch, PrunedBatches, QueueStats, Reserved,
    RetrySelection, Store, StoreOptions, Verdict, WakeFn, Wakeups, WorkerInfo,
};
use crate::clock::Clock;
use crate::domain::job::{Link, NewJob};
use crate::store::events;
use crate::store::verbs::Verbs;
use anyhow::Result;
use postgres::Client;
use std::sync::Arc;

/// The channel of wake-up notifications; the payload is a queue name, or empty for "any".
const WAKE_CHANNEL: &str = "queue_wake";

pub struct PostgresStore {
    client: Client,
    config: url::Target,
    /// HOST:PORT/DB, for messages (never the password).
    place: String,
    options: StoreOptions,
    /// The caller's clock: its offset from the system clock is added to the server's.
    clock: Arc<dyn Clock>,
    statements: tx::Statements,
    /// The server's clock minus this host's, and when that was measured.
    skew: Option<clock::Skew>,
    /// While a worker's LISTEN connection is up, `controls` answers from this copy until a
    /// notification says the settings changed.
    watch: Option<Arc<listen::Watch>>,
    controls: Option<Controls>,
    /// Attempts finished since this connection last vacuumed the jobs table, and when.
    finished: u64,
    vacuumed: Option<std::time::Instant>,
    /// When (by the caller's clock) this connection last freed expired reservations.
    freed_expired_at: Option<i64>,
    /// This connection has a worker's session settings (see `enter_worker_session`).
    worker_session: bool,
    /// The schema was found current (or migrated); until then each use looks first.
    schema_checked: bool,
}

impl PostgresStore {
    /// Connect. The schema is looked at (and migrated unless told not to) at the first use,
    /// where a dispatch can fold that look into its insert: one round trip less for every
    /// `queue dispatch` process.
    pub fn open(url: &str, options: StoreOptions, clock: Arc<dyn Clock>) -> Result<Self> {
        let mut store = Self::open_unmigrated(url, options, clock)?;
        store.schema_checked = false;
        Ok(store)
    }

    /// Connect, and never look at the schema (for `queue migrate`, which migrates).
    pub fn open_unmigrated(
        url: &str,
        options: StoreOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let (config, place) = parse_url(url)?;
        let client = url::connect(&config, &place)?;
        Ok(PostgresStore {
            client,
            config,
            place,
            options,
            clock,
            statements: tx::Statements::new(),
            skew: None,
            watch: None,
            controls: None,
            finished: 0,
            vacuumed: None,
            freed_expired_at: None,
            worker_session: false,
            schema_checked: true,
        })
    }

    /// HOST:PORT/DB.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// A connection that went away (the server restarted) is made again before the next use.
    fn ensure_connected(&mut self) -> Result<()> {
        if self.client.is_closed() {
            self.client = url::connect(&self.config, &self.place)?;
            self.statements.clear();
            self.worker_session = false;
        }
        Ok(())
    }

    /// Connected, with the schema looked at once.
    fn ensure_ready(&mut self) -> Result<()> {
        self.ensure_connected()?;
        if !self.schema_checked {
            self.ensure_schema()?;
            self.schema_checked = true;
        }
        Ok(())
    }

    /// Before this connection's first claim, the settings of a worker's session:
    /// - Generic plans. Every statement a worker repeats is short, parameterized, and best run
    ///   with the same plan whatever its values. Left to choose, PostgreSQL plans the claim
    ///   afresh at every execution (its generic plan, costed for an unknown LIMIT, always looks
    ///   dearer than a custom one), and that planning costs more CPU than the claim itself.
    /// - Unless `synchronous = "full"`: commits that do not wait for the WAL flush, the bargain
    ///   of SQLite's default `synchronous = NORMAL`. A worker's bookkeeping (claims, the ends of
    ///   attempts, heartbeats) then costs no disk wait per job. A crash of the server may lose
    ///   its last fraction of a second of such commits: those jobs run again, as after a
    ///   worker's crash, and none is lost, because dispatches still wait for the flush (and
    ///   each flush makes every commit before it durable too).
    ///
    /// (Not at connect: a dispatch would pay a round trip for nothing.) An optimisation only:
    /// a server that refuses a setting still runs every statement.
    fn enter_worker_session(&mut self) {
        if !self.worker_session {
            let settings = if self.options.synchronous_full {
                "SET plan_cache_mode = force_generic_plan"
            } else {
                "SET plan_cache_mode = force_generic_plan; SET synchronous_commit = off"
            };
            let _ = self.client.batch_execute(settings);
            self.worker_session = true;
        }
    }

    /// Before a dispatch on a connection that also claimed (a library's own use of the
    /// store): its commits wait for the WAL flush again.
    fn leave_worker_session(&mut self) -> Result<()> {
        self.ensure_connected()?;
        if self.worker_session && !self.options.synchronous_full {
            self.client.batch_execute("RESET synchronous_commit")?;
            self.worker_session = false;
        }
        Ok(())
    }
}

/// Each verb is handed to the file of its concern; the times the trait passes on the caller's
/// clock (`now_ms`) are mostly unused, as the server's clock decides.
impl Store for PostgresStore {
    fn connection_name(&self) -> &str {
        &self.options.connection
    }

    fn migrate(&mut self) -> Result<Vec<&'static str>> {
        PostgresStore::migrate(self)
    }

    fn subscribe(
        &mut self,
        _worker_id: &str,
        queues: &[String],
        wake: WakeFn,
    ) -> Result<Option<Wakeups>> {
        listen::subscribe(self, queues, wake)
    }

    fn enqueue(&mut self, jobs: &[NewJob], _now_ms: i64) -> Result<Vec<Enqueued>> {
        hot::enqueue(self, jobs)
    }

    fn enqueue_stream(&mut self, source: &mut dyn JobSource, _now_ms: i64) -> Result<u64> {
        hot::enqueue_stream(self, source)
    }

    fn claim(&mut self, claim: &Claim<'_>) -> Result<Option<Reserved>> {
        Ok(self.claim_many(claim, 1)?.pop())
    }

    fn claim_many(&mut self, claim: &Claim<'_>, limit: usize) -> Result<Vec<Reserved>> {
        hot::claim_many(self, claim, limit)
    }

    fn finish_and_claim(
        &mut self,
        endings: &mut [Ending<'_>],
        now_ms: i64,
        next: Option<(&Claim<'_>, usize)>,
    ) -> Result<(Vec<Finished>, Vec<Reserved>)> {
        hot::finish_and_claim(self, endings, now_ms, next)
    }

    fn next_available_at(&mut self, queues: &[String]) -> Result<Option<i64>> {
        queries::next_available_at(self, queues)
    }

    fn register_worker(&mut self, w: &WorkerInfo, alive_until_ms: i64) -> Result<()> {
        let queues = w.queues.join(",");
        let hooks = self.options.hooks.clone();
        self.write(|tx| {
            let now = tx.now;
            tx.execute(
                "INSERT INTO workers
                     (id, name, host, pid, queues, concurrency, started_at, last_seen_at, alive_until)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET
                     name = excluded.name, host = excluded.host, pid = excluded.pid,
                     queues = excluded.queues, concurrency = excluded.concurrency,
                     started_at = excluded.started_at, last_seen_at = excluded.last_seen_at,
                     alive_until = excluded.alive_until",
                &[
                    &w.id,
                    &w.name,
                    &w.host,
                    &(w.pid as i64),
                    &queues,
                    &(w.concurrency as i64),
                    &(now - (w.last_seen_at - w.started_at)),
                    &now,
                    &(now + (alive_until_ms - w.last_seen_at)),
                ],
            )?;
            events::worker(tx, &w.id, &w.queues, None, &hooks)
        })
    }

    fn unregister_worker(&mut self, worker_id: &str) -> Result<()> {
        self.query("DELETE FROM workers WHERE id = $1", &[&worker_id])?;
        Ok(())
    }

    fn worker_stopping(
        &mut self,
        worker_id: &str,
        queues: &[String],
        reason: &str,
        _now_ms: i64,
    ) -> Result<()> {
        let hooks = self.options.hooks.clone();
        self.write(|tx| {
            tx.execute("DELETE FROM workers WHERE id = $1", &[&worker_id])?;
            events::worker(tx, worker_id, queues, Some(reason), &hooks)
        })
    }

    fn read_events(&mut self, after: i64, limit: usize) -> Result<events::EventRead> {
        queries::read_events(self, after, limit)
    }

    fn event_cursor_at(&mut self, at_ms: i64) -> Result<i64> {
        queries::event_cursor_at(self, at_ms)
    }

    fn prune_events(&mut self, before_ms: i64) -> Result<usize> {
        Ok(self
            .query(
                "WITH gone AS (DELETE FROM job_events WHERE at < $1 RETURNING 1)
                 SELECT count(*) FROM gone",
                &[&before_ms],
            )?
            .first()
            .map_or(0, |r| r.get::<_, i64>(0) as usize))
    }

    fn workers(&mut self, _now_ms: i64) -> Result<Vec<WorkerInfo>> {
        queries::workers(self)
    }

    fn admit(&mut self, job: &Reserved, _now_ms: i64, lease_ms: i64) -> Result<Admission> {
        attempt::admit(self, job, lease_ms)
    }

    fn free_unheld(&mut self, worker_id: &str, held: &[&str], _now_ms: i64) -> Result<u64> {
        let freed = self.query(sql::FREE_UNHELD, &[&worker_id, &held, &WAKE_CHANNEL])?;
        Ok(freed.first().map_or(0, |r| r.get::<_, i64>(0)) as u64)
    }

    fn heartbeat(
        &mut self,
        worker_id: &str,
        now_ms: i64,
        lease_until_ms: i64,
        alive_until_ms: i64,
    ) -> Result<()> {
        let lease_ms = lease_until_ms - now_ms;
        let alive_ms = alive_until_ms - now_ms;
        self.query(sql::HEARTBEAT, &[&worker_id, &lease_ms, &alive_ms])?;
        Ok(())
    }

    fn finish(
        &mut self,
        job: &Reserved,
        output: &str,
        _now_ms: i64,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Finished> {
        attempt::finish(self, job, output, decide)
    }

    fn record_intent(&mut self, uuid: &str, token: &str, intent: &Intent) -> Result<bool> {
        self.write(|v| crate::store::lifecycle::record(v, uuid, token, &mut |r| r.asking(intent)))
    }

    fn add_to_chain(
        &mut self,
        uuid: &str,
        token: &str,
        prepend: bool,
        links: &[Link],
    ) -> Result<bool> {
        self.write(|v| {
            crate::store::lifecycle::record(v, uuid, token, &mut |r| {
                r.chain.add(prepend, links.to_vec())
            })
        })
    }

    fn queue_stats(&mut self, _now_ms: i64) -> Result<Vec<QueueStats>> {
        queries::queue_stats(self)
    }

    fn show(&mut self, uuid: &str, _now_ms: i64) -> Result<Option<JobView>> {
        queries::show(self, uuid)
    }

    fn list_failed(&mut self, query: &crate::store::FailedQuery) -> Result<Vec<FailedJob>> {
        queries::list_failed(self, query)
    }

    fn retry_failed(&mut self, selection: &RetrySelection, now_ms: i64) -> Result<Vec<String>> {
        admin::retry_failed(self, selection, now_ms)
    }

    fn forget_failed(&mut self, uuid: &str) -> Result<bool> {
        self.write(|tx| {
            let found = tx.execute("DELETE FROM failed_jobs WHERE uuid = $1", &[&uuid])? == 1;
            tx.execute(sql::FORGET_GONE_ATTEMPTS, &[&uuid])?;
            Ok(found)
        })
    }

    fn find_uuids(&mut self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        let limit = limit as i64;
        let rows = self.query(sql::FIND_UUIDS, &[&prefix, &limit])?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn list_jobs(
        &mut self,
        query: &crate::store::JobQuery,
        now_ms: i64,
    ) -> Result<crate::store::JobPage> {
        let mut db = queries::Listing(self);
        crate::store::listing::list_jobs(
            query,
            now_ms,
            crate::store::listing::Dialect::Postgres,
            &mut db,
        )
    }

    fn cancel(&mut self, uuid: &str, _now_ms: i64) -> Result<crate::store::Cancelled> {
        self.write(|tx| crate::store::lifecycle::cancel(tx, uuid))
    }

    fn run_now(&mut self, uuid: &str, _now_ms: i64) -> Result<bool> {
        self.write(|tx| crate::store::lifecycle::run_now(tx, uuid))
    }

    fn attempts(&mut self, uuid: &str) -> Result<Vec<crate::store::AttemptView>> {
        queries::attempts(self, uuid)
    }

    fn attempt_output(&mut self, job: &Reserved, output: &str) -> Result<()> {
        let output = verbs::without_nul(output);
        self.query(sql::ATTEMPT_OUTPUT, &[&job.id, &job.token, &&*output])?;
        Ok(())
    }

    fn flush_failed(&mut self, before_ms: Option<i64>) -> Result<usize> {
        admin::flush_failed(self, before_ms)
    }

    fn clear(&mut self, queue: &str) -> Result<usize> {
        admin::clear(self, queue)
    }

    fn metric_rollups(&mut self, query: &MetricQuery) -> Result<Vec<MetricRow>> {
        metrics::read(self, query)
    }

    fn prune_metrics(&mut self, before_ms: i64) -> Result<usize> {
        metrics::prune(self, before_ms)
    }

    fn prune_finished(&mut self, before_ms: i64) -> Result<usize> {
        admin::prune_finished(self, before_ms)
    }

    fn controls(&mut self) -> Result<Controls> {
        queries::controls(self)
    }

    fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        admin::set_setting(self, key, value)
    }

    fn acquire_lock(
        &mut self,
        key: &str,
        owner: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Option<String>> {
        self.write(|tx| {
            // How long it is held counts from the server's now.
            let expires = match expires_at_ms {
                i64::MAX => i64::MAX,
                at => tx.now.saturating_add(at - now_ms),
            };
            tx.take_lock(key, owner, expires)
        })
    }

    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()> {
        self.write(|tx| tx.release_lock(key, owner))
    }

    fn create_batch(&mut self, batch: &NewBatch, jobs: &[NewJob]) -> Result<()> {
        admin::create_batch(self, batch, jobs)
    }

    fn add_to_batch(&mut self, batch_id: &str, jobs: &[NewJob]) -> Result<()> {
        admin::add_to_batch(self, batch_id, jobs)
    }

    fn batches(&mut self) -> Result<Vec<BatchView>> {
        queries::batches(self)
    }

    fn batch(&mut self, id: &str) -> Result<Option<BatchView>> {
        queries::batch(self, id)
    }

    fn cancel_batch(&mut self, id: &str, _now_ms: i64) -> Result<bool> {
        admin::cancel_batch(self, id)
    }

    fn prune_batches(
        &mut self,
        finished_before: i64,
        unfinished_before: Option<i64>,
        cancelled_before: Option<i64>,
    ) -> Result<PrunedBatches> {
        admin::prune_batches(self, finished_before, unfinished_before, cancelled_before)
    }
}
