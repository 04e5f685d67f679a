//! The store: where jobs, failed jobs and settings live. One trait speaks the queue's lifecycle
//! verbs (enqueue, claim, heartbeat, finish, retry …) so that each backend can use its best SQL;
//! SQLite is the embedded default, PostgreSQL slots in behind the same trait.

#[cfg(test)]
mod conformance;
pub(crate) mod events;
mod grouped;
mod lifecycle;
pub(crate) mod listing;
pub mod location;
mod metrics;
pub mod migrate;
mod outage;
pub mod postgres;
mod rows;
pub mod sqlite;
mod verbs;

pub use location::Location;
pub use metrics::{MetricQuery, MetricRow};
pub use outage::{
    connect_timeout, is_unavailable, retry_pause, retry_unavailable, Retrying, RETRY_MAX,
};

use crate::domain::batch::BatchOptions;
use crate::domain::job::{JobState, Link, NewJob, Payload};
use crate::domain::policy::Decision;
pub use crate::domain::policy::{Intent, Verdict};
use anyhow::Result;
use serde::Serialize;

/// A job a worker has reserved for one attempt.
#[derive(Debug, Clone)]
pub struct Reserved {
    pub id: i64,
    pub uuid: String,
    pub queue: String,
    /// The attempt number of this reservation (1 on the first run).
    pub attempts: i64,
    /// Exceptions recorded before this attempt (for max-exceptions).
    pub exceptions: u32,
    /// Identifies this attempt; `queue release` / `queue fail` inside the job must present it.
    pub token: String,
    pub payload: Payload,
    /// How the attempt's process ended, as its worker saw it; recorded with the attempt.
    pub exit: AttemptExit,
    /// Why the attempt ended in an exception, as its worker saw it (its first line): the
    /// message of its `job.exception` event.
    pub cause: Option<String>,
}

/// How an attempt's process ended: an exit code, a signal, or a timeout (none of them: it could
/// not start, or it was a handler).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptExit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
}

/// One attempt of a job, as `show` and `logs` list it (the field names of PRODUCT.md §8).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttemptView {
    pub attempt: i64,
    pub started_at: String,
    /// None while it runs.
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub worker: String,
    pub host: String,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// succeeded, released, retrying, failed; running while it runs.
    pub outcome: String,
    pub output: String,
}

impl AttemptView {
    /// The exit status a script sees for this attempt (`wait`, `dispatch --wait`): 128+N for a
    /// signal, 124 for a timeout, its exit code, or 1 (it could not start, or called `queue
    /// fail` and exited 0).
    pub fn exit_status(&self) -> u8 {
        AttemptExit {
            code: self.exit_code,
            signal: self.signal,
            timed_out: self.timed_out,
        }
        .exit_status()
    }
}

impl AttemptExit {
    /// The exit status a script sees for an attempt that ended so (see `AttemptView`).
    pub fn exit_status(&self) -> u8 {
        if self.timed_out {
            124
        } else if let Some(sig) = self.signal {
            (128 + sig).clamp(0, 255) as u8
        } else {
            match self.code {
                Some(code) if (1..=255).contains(&code) => code as u8,
                _ => 1,
            }
        }
    }
}

/// Who is claiming and for how long the claim holds without a heartbeat.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    pub queues: &'a [String],
    pub worker_id: &'a str,
    pub now_ms: i64,
    pub lease_ms: i64,
}

/// Counts for one queue, as `status` and `monitor` show them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueStats {
    pub queue: String,
    pub connection: String,
    pub pending: i64,
    pub delayed: i64,
    pub reserved: i64,
    pub failed: i64,
    pub oldest_pending_age_s: Option<i64>,
}

/// Which jobs `jobs` lists, newest first, a page at a time (`store::listing` reads them).
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub state: Option<JobState>,
    pub queue: Option<String>,
    /// Only jobs at or after this instant (created, or failed for failed jobs).
    pub since_ms: Option<i64>,
    /// Only jobs whose name matches this glob (`*`, `?`).
    pub name: Option<String>,
    /// Only jobs whose name, queue, payload, output or error contains this text.
    pub grep: Option<String>,
    /// Read on from this job (not included), in `direction`.
    pub from: Option<JobCursor>,
    pub direction: Direction,
    pub page: usize,
    /// At most this many rows of each table are looked at by a filter no index serves (state,
    /// name, grep); None: `listing::WINDOW`. The page may then come back short, with `next`.
    pub window: Option<usize>,
}

/// Which way a page of `jobs` reads from its cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    /// Older jobs (the next page, newest first).
    #[default]
    Older,
    /// Newer jobs (the page before).
    Newer,
}

/// A place in the list of jobs: the (at, uuid) of a job (created_at, or failed_at for a failed
/// one). A job is in one table only, so these order every job.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JobCursor {
    pub at_ms: i64,
    pub uuid: String,
}

/// One page of `jobs`, newest first, and where the next page in the query's direction starts
/// (None: there is nothing more that way).
#[derive(Debug, Clone, Default)]
pub struct JobPage {
    pub jobs: Vec<JobSummary>,
    pub next: Option<JobCursor>,
}

impl JobSummary {
    pub fn cursor(&self) -> JobCursor {
        JobCursor {
            at_ms: self.at_ms,
            uuid: self.uuid.clone(),
        }
    }
}

/// One job as `jobs` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct JobSummary {
    pub uuid: String,
    pub name: String,
    pub queue: String,
    pub state: JobState,
    pub attempts: i64,
    /// created_at (failed_at for a failed job), RFC 3339.
    pub at: String,
    #[serde(skip)]
    pub at_ms: i64,
    /// The error (failed) or last output, for --grep.
    #[serde(skip)]
    pub text: String,
    #[serde(skip)]
    pub payload: String,
}

/// What `cancel` did to one job.
#[derive(Debug, Clone, PartialEq)]
pub enum Cancelled {
    Deleted,
    /// It is running now: a worker holds it.
    Running,
    /// Not queued or delayed (done, failed, or unknown).
    NotQueued,
}

/// Which failed jobs one read of `list_failed` returns: the queue and the time window in SQL;
/// the rest of the selection (`domain::select::FailedSelection`) over each page.
#[derive(Debug, Clone, Default)]
pub struct FailedQuery {
    pub queue: Option<String>,
    /// Failed at or after this instant.
    pub since_ms: Option<i64>,
    /// Failed before this instant.
    pub before_ms: Option<i64>,
    /// The page after the row with this id (pages run newest first).
    pub after_id: Option<i64>,
    pub page: usize,
}

/// One failed job, as `failed` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FailedJob {
    /// The row's id: the order of failures, and where the next page starts.
    #[serde(skip)]
    pub id: i64,
    pub uuid: String,
    pub connection: String,
    pub queue: String,
    pub name: String,
    /// Unix ms.
    #[serde(skip)]
    pub failed_at_ms: i64,
    pub failed_at: String,
    pub attempts: i64,
    pub error: String,
    pub payload: serde_json::Value,
    /// How its last recorded attempt ended (None: no attempt was recorded).
    #[serde(skip)]
    pub last_exit: Option<AttemptExit>,
    /// Its last recorded attempt's output.
    #[serde(skip)]
    pub last_output: String,
}

/// One job wherever it is now: queued, reserved, finished or failed.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub uuid: String,
    pub name: String,
    pub queue: String,
    pub connection: String,
    pub state: JobState,
    /// Every attempt recorded (filled by `show`); the count of attempts is `attempt_count`.
    #[serde(rename = "attempts")]
    pub history: Vec<AttemptView>,
    #[serde(rename = "attempt_count")]
    pub attempts: i64,
    pub exceptions: u32,
    pub created_at: String,
    pub available_at: Option<String>,
    pub reserved_at: Option<String>,
    pub finished_at: Option<String>,
    pub failed_at: Option<String>,
    pub error: Option<String>,
    pub output: Option<String>,
    pub payload: Payload,
}

/// A worker as it registers itself and as `status` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerInfo {
    pub id: String,
    pub name: String,
    pub host: String,
    pub pid: u32,
    pub queues: Vec<String>,
    pub concurrency: usize,
    #[serde(serialize_with = "ms_as_rfc3339")]
    pub started_at: i64,
    #[serde(serialize_with = "ms_as_rfc3339")]
    pub last_seen_at: i64,
    /// The uuids of the jobs it is running now.
    pub jobs: Vec<String>,
}

fn ms_as_rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::clock::format_rfc3339(*ms))
}

/// What happened to each job given to `enqueue`.
#[derive(Debug, Clone, PartialEq)]
pub enum Enqueued {
    Dispatched,
    /// A unique job whose lock is held (by the job with this uuid): not queued.
    Skipped {
        held_by: String,
    },
}

/// How many jobs a source should give at a time to `enqueue_stream` (one multi-row insert on
/// PostgreSQL).
pub const STREAM_CHUNK: usize = 2_000;

/// Where `enqueue_stream` takes its jobs from, a chunk at a time.
pub trait JobSource {
    /// The next jobs (about `STREAM_CHUNK`); empty when there are no more. An error ends the
    /// dispatch and nothing is inserted.
    fn next_jobs(&mut self) -> Result<Vec<NewJob>>;
    /// What became of the jobs `next_jobs` gave last, in their order (not committed yet: the
    /// transaction commits after the last chunk).
    fn enqueued(&mut self, jobs: Vec<NewJob>, results: &[Enqueued]) -> Result<()>;
    /// Start again at the first job: the transaction is made again (the store was unavailable
    /// for a moment). False when the jobs cannot be read again (stdin); then the dispatch fails.
    fn rewind(&mut self) -> Result<bool>;
}

/// Whether an attempt may run, decided by its middleware before the command starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    Run,
    /// Released without running (the attempt is used, as in Laravel); available again in
    /// `delay_ms`, or sooner when the lock it waits on is released.
    HeldBack {
        delay_ms: i64,
        reason: String,
    },
    /// Its batch was cancelled: the job ends without running and counts as a success.
    Skip {
        reason: String,
    },
}

/// A batch about to be created.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub id: String,
    pub name: String,
    pub options: BatchOptions,
    pub created_at: i64,
}

/// A batch as `batches` and `batch-show` show it (the field names of PRODUCT.md §6).
#[derive(Debug, Clone, Serialize)]
pub struct BatchView {
    pub id: String,
    pub name: String,
    pub total_jobs: i64,
    pub pending_jobs: i64,
    pub processed_jobs: i64,
    pub failed_jobs: i64,
    pub progress: i64,
    pub cancelled_at: Option<String>,
    pub finished_at: Option<String>,
    pub created_at: String,
    pub failed_job_ids: Vec<String>,
    pub options: BatchOptions,
}

/// How many batches `prune_batches` deleted, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PrunedBatches {
    pub finished: usize,
    pub unfinished: usize,
    pub cancelled: usize,
}

/// Which failed jobs `retry` puts back.
#[derive(Debug, Clone)]
pub enum RetrySelection {
    All,
    Queue(String),
    Uuids(Vec<String>),
    /// Uuids picked by a selection beforehand: one that is no longer a failed job (retried or
    /// forgotten meanwhile) is passed over rather than an error.
    Selected(Vec<String>),
}

/// One attempt to end in `finish_many`: the job, its output tail, and how to decide.
pub struct Ending<'a> {
    pub job: &'a Reserved,
    pub output: &'a str,
    pub decide: Box<dyn FnMut(Option<Intent>) -> Verdict + 'a>,
}

/// The result of `finish`: what was done, or that the reservation had been lost meanwhile.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished {
    Applied(Decision),
    /// The row is gone or was reserved again by someone else; nothing was changed.
    LeaseLost,
}

/// What a store calls when an idle worker should look for work again (jobs were committed, a
/// failed job retried, a control changed); returns false once the worker is gone.
pub type WakeFn = Box<dyn Fn() -> bool + Send>;

/// Keeps a worker's wake-ups coming while it lives; dropping it stops them.
pub type Wakeups = Box<dyn std::any::Any + Send>;

/// The store's lifecycle verbs. Every method that changes state is one transaction.
pub trait Store: Send {
    /// The connection name recorded with failed jobs (`failed_jobs.connection`).
    fn connection_name(&self) -> &str;

    /// Whether a worker with quick Rust handlers should claim jobs ahead of its threads
    /// (`worker::handler_pool`): on SQLite a group's commit is most of what a job costs, so
    /// larger groups go faster; the PostgreSQL store's fused statement measured slower with
    /// groups of hundreds than of a pool's size (1.2–1.7k against 2.1–3.4k no-op jobs/s).
    fn claims_ahead(&self) -> bool {
        false
    }

    /// Apply every pending migration; returns the names applied.
    fn migrate(&mut self) -> Result<Vec<&'static str>>;

    /// Instant pickup: have `wake` called whenever another process may have made work for
    /// these queues available, or changed a control (`restart`, `resume`, `up`). Each store
    /// wakes its workers itself after such commits (SQLite: unix sockets beside the file, for
    /// this host; PostgreSQL: LISTEN/NOTIFY, for every host). None: the worker polls every
    /// --sleep.
    fn subscribe(
        &mut self,
        _worker_id: &str,
        _queues: &[String],
        _wake: WakeFn,
    ) -> Result<Option<Wakeups>> {
        Ok(None)
    }

    /// Insert jobs, all or nothing, in one transaction. A unique job's lock is taken in the same
    /// transaction; a job whose lock is held is skipped.
    fn enqueue(&mut self, jobs: &[NewJob], now_ms: i64) -> Result<Vec<Enqueued>>;

    /// `enqueue` for more jobs than fit in memory: the jobs come from `source` a chunk at a
    /// time, all in one transaction (all or nothing; an error from the source inserts nothing),
    /// each chunk's unique jobs decided as `enqueue` decides them; what became of each chunk
    /// is handed back to the source before the next is asked for. Returns how many jobs were
    /// given.
    fn enqueue_stream(&mut self, source: &mut dyn JobSource, now_ms: i64) -> Result<u64>;

    /// Reserve the next available job from the first queue in the list that has one (strict
    /// priority). Reservations whose lease has expired are freed first. Attempts count here.
    fn claim(&mut self, claim: &Claim<'_>) -> Result<Option<Reserved>>;

    /// Reserve up to `limit` jobs at once (in queue priority order), in one transaction.
    fn claim_many(&mut self, claim: &Claim<'_>, limit: usize) -> Result<Vec<Reserved>> {
        let mut jobs = Vec::new();
        while jobs.len() < limit {
            match self.claim(claim)? {
                Some(job) => jobs.push(job),
                None => break,
            }
        }
        Ok(jobs)
    }

    /// When the earliest waiting (unreserved) job of these queues becomes available, if any.
    fn next_available_at(&mut self, queues: &[String]) -> Result<Option<i64>>;

    /// Register a worker (or refresh its row) until `alive_until_ms`.
    fn register_worker(&mut self, worker: &WorkerInfo, alive_until_ms: i64) -> Result<()>;
    /// Remove a worker's row as it exits.
    fn unregister_worker(&mut self, worker_id: &str) -> Result<()>;
    /// The live workers; rows of workers whose heartbeat stopped are deleted.
    fn workers(&mut self, now_ms: i64) -> Result<Vec<WorkerInfo>>;

    /// Before an attempt runs: check and take what its middleware needs (rate-limit window,
    /// throttle, funnel slot, overlap lock) and release an until-processing unique lock, or hold
    /// the job back, all in one transaction.
    fn admit(&mut self, job: &Reserved, now_ms: i64, lease_ms: i64) -> Result<Admission>;

    /// After an outage: free the jobs reserved in this worker's name whose tokens are not in
    /// `held` (the attempts it knows it holds, running, ended or not started), as if never
    /// claimed (their attempt count goes back). Those are claims that committed while their
    /// answer was lost with the connection (PostgreSQL terminated or restarting between its
    /// commit and its reply): the worker never saw them, and its heartbeats would otherwise
    /// keep their leases alive for as long as it runs. Returns how many it freed.
    fn free_unheld(&mut self, worker_id: &str, held: &[&str], now_ms: i64) -> Result<u64>;

    /// The worker's heartbeat: extend the leases of every job it holds and its own row.
    fn heartbeat(
        &mut self,
        worker_id: &str,
        now_ms: i64,
        lease_until_ms: i64,
        alive_until_ms: i64,
    ) -> Result<()>;

    /// End an attempt: read what the job asked for (`queue release` / `queue fail`), let `decide`
    /// turn that into a decision, and apply it, all in one transaction. `output` is the tail of
    /// the attempt's output, kept with the job.
    fn finish(
        &mut self,
        job: &Reserved,
        output: &str,
        now_ms: i64,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Finished>;

    /// `finish` for several attempts in one transaction (a worker that ran many short jobs).
    fn finish_many(&mut self, endings: &mut [Ending<'_>], now_ms: i64) -> Result<Vec<Finished>> {
        endings
            .iter_mut()
            .map(|e| self.finish(e.job, e.output, now_ms, &mut *e.decide))
            .collect()
    }

    /// A busy worker's step: end the attempts that ended (as `finish_many`), then claim up to
    /// `limit` jobs as `claim_many` does when `next` is given. A backend may do both in one
    /// transaction, so that a worker pays one commit per job instead of two (PostgreSQL, where
    /// each commit is a round trip and a WAL flush); the result is the same either way.
    fn finish_and_claim(
        &mut self,
        endings: &mut [Ending<'_>],
        now_ms: i64,
        next: Option<(&Claim<'_>, usize)>,
    ) -> Result<(Vec<Finished>, Vec<Reserved>)> {
        let finished = if endings.is_empty() {
            Vec::new()
        } else {
            self.finish_many(endings, now_ms)?
        };
        let claimed = match next {
            Some((claim, limit)) if limit > 0 => self.claim_many(claim, limit)?,
            _ => Vec::new(),
        };
        Ok((finished, claimed))
    }

    /// Record a `queue release` / `queue fail` from inside a running job. False when no running
    /// attempt has that uuid and token.
    fn record_intent(&mut self, uuid: &str, token: &str, intent: &Intent) -> Result<bool>;
    /// Record a `queue chain-add` from inside a running job: `links` go in front of the rest of
    /// its chain (`prepend`) or at its end when this attempt succeeds. Kept with its intent (a
    /// later release or fail keeps them; a release's next attempt starts without them). False
    /// when no running attempt has that uuid and token.
    fn add_to_chain(
        &mut self,
        uuid: &str,
        token: &str,
        prepend: bool,
        links: &[Link],
    ) -> Result<bool>;

    fn queue_stats(&mut self, now_ms: i64) -> Result<Vec<QueueStats>>;
    fn show(&mut self, uuid: &str, now_ms: i64) -> Result<Option<JobView>>;
    /// Full uuids of jobs (queued, done or failed) that start with `prefix`, at most `limit`.
    fn find_uuids(&mut self, prefix: &str, limit: usize) -> Result<Vec<String>>;
    /// One page of jobs in any state, newest first.
    fn list_jobs(&mut self, query: &JobQuery, now_ms: i64) -> Result<JobPage>;
    /// Delete a queued or delayed job (its unique lock goes with it); a running one stays.
    fn cancel(&mut self, uuid: &str, now_ms: i64) -> Result<Cancelled>;
    /// Make a delayed (or parked) job available now; false when it is not waiting.
    fn run_now(&mut self, uuid: &str, now_ms: i64) -> Result<bool>;
    /// Every recorded attempt of a job, oldest first (a running one has no finished_at).
    fn attempts(&mut self, uuid: &str) -> Result<Vec<AttemptView>>;
    /// While a long attempt runs, its worker keeps its output so far in the store (bounded by
    /// the 64 KiB tail), so `logs --follow` can tail it from any host.
    fn attempt_output(&mut self, job: &Reserved, output: &str) -> Result<()>;

    /// Every failed job (of a queue), newest first.
    fn failed_jobs(&mut self, queue: Option<&str>) -> Result<Vec<FailedJob>> {
        self.list_failed(&FailedQuery {
            queue: queue.map(str::to_string),
            page: i64::MAX as usize,
            ..FailedQuery::default()
        })
    }
    /// One page of failed jobs, newest failure first, each with its last attempt's exit.
    fn list_failed(&mut self, query: &FailedQuery) -> Result<Vec<FailedJob>>;
    /// Put failed jobs back on their queue (same uuid and payload, attempts reset); returns the
    /// uuids that were found and retried, in the order given (newest first for All/Queue).
    /// A uuid given that names no failed job is an error, and then nothing is retried.
    fn retry_failed(&mut self, selection: &RetrySelection, now_ms: i64) -> Result<Vec<String>>;
    fn forget_failed(&mut self, uuid: &str) -> Result<bool>;
    /// Delete failed jobs that failed at or before `before_ms` (all when None).
    fn flush_failed(&mut self, before_ms: Option<i64>) -> Result<usize>;
    /// Delete every job of a queue, including reserved and delayed ones.
    fn clear(&mut self, queue: &str) -> Result<usize>;
    /// Forget finished jobs older than `before_ms`.
    fn prune_finished(&mut self, before_ms: i64) -> Result<usize>;

    /// A worker stops for `reason` (PRODUCT.md §9's reasons): its row goes, and its
    /// `worker.stopping` event and the `stopping` hook's job are recorded, in one transaction.
    fn worker_stopping(
        &mut self,
        worker_id: &str,
        queues: &[String],
        reason: &str,
        now_ms: i64,
    ) -> Result<()>;
    /// Up to `limit` events after the cursor `after`, oldest first, with the reader's
    /// connection name and each worker's host.
    fn read_events(&mut self, after: i64, limit: usize) -> Result<events::EventRead>;
    /// The cursor just before the first event at or after `at_ms` (`events --since 1h`).
    fn event_cursor_at(&mut self, at_ms: i64) -> Result<i64>;
    /// Forget events older than `before_ms` (`retain_events`).
    fn prune_events(&mut self, before_ms: i64) -> Result<usize>;
    /// The per-minute metric rollups every worker adds to as its attempts end, summed by step
    /// (a chart's points) or over all time (`/metrics`).
    fn metric_rollups(&mut self, query: &MetricQuery) -> Result<Vec<MetricRow>>;
    /// Fold the rollups of minutes before `before_ms` into the all-time totals and delete
    /// them (`retain_metrics`); returns the rows deleted.
    fn prune_metrics(&mut self, before_ms: i64) -> Result<usize>;

    /// Read the restart / maintenance / pause switches.
    fn controls(&mut self) -> Result<Controls>;
    /// Set (Some) or remove (None) one setting.
    fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()>;

    /// Store a batch and its jobs (each chain's first link) in one transaction; total_jobs
    /// counts every link.
    fn create_batch(&mut self, batch: &NewBatch, jobs: &[NewJob]) -> Result<()>;
    /// Add jobs to an existing batch (re-opening it if it had finished), in one transaction.
    fn add_to_batch(&mut self, batch_id: &str, jobs: &[NewJob]) -> Result<()>;
    /// All batches, newest first.
    fn batches(&mut self) -> Result<Vec<BatchView>>;
    fn batch(&mut self, id: &str) -> Result<Option<BatchView>>;
    /// Cancel a batch; false when there is no such batch.
    fn cancel_batch(&mut self, id: &str, now_ms: i64) -> Result<bool>;
    /// Delete finished batches older than `finished_before`, and optionally unfinished and
    /// cancelled ones created before the given times; returns the three counts.
    fn prune_batches(
        &mut self,
        finished_before: i64,
        unfinished_before: Option<i64>,
        cancelled_before: Option<i64>,
    ) -> Result<PrunedBatches>;

    /// Take the lock `key` for `owner` until `expires_at_ms` (`queue lock`). Returns None when
    /// taken, or the current holder when it is busy. The same owner may renew it.
    fn acquire_lock(
        &mut self,
        key: &str,
        owner: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Option<String>>;
    /// Give the lock back if `owner` still holds it.
    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()>;
}

/// Store-wide switches every worker reads at each loop: `queue restart`, `pause`, `down`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Controls {
    /// The time of the last `queue restart`; a worker exits when it changes.
    pub restart: Option<String>,
    /// `queue down` is in force.
    pub maintenance: bool,
    /// Paused queues as `connection:queue`.
    pub paused: Vec<String>,
}

/// Keys of the settings that carry the controls.
pub const RESTART_KEY: &str = "restart";
pub const MAINTENANCE_KEY: &str = "down";
pub const PAUSED_PREFIX: &str = "paused:";

/// Open the store at `location` (SQLite for a path, PostgreSQL for a URL), migrating it unless
/// told not to. `clock` is the caller's (PostgreSQL adds its test offset to the server's).
pub fn open(
    location: &Location,
    options: StoreOptions,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<Box<dyn Store>> {
    Ok(match location {
        Location::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path, options)?),
        Location::Postgres(url) => Box::new(postgres::PostgresStore::open(url, options, clock)?),
    })
}

/// Open a store that must already exist, for a command that only reads (status, show, failed,
/// batches, monitor …): a SQLite file that is not there is "no store at PATH", never created,
/// and one this user may only read is opened read-only.
pub fn open_existing(
    location: &Location,
    options: StoreOptions,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<Box<dyn Store>> {
    Ok(match location {
        Location::Sqlite(path) => Box::new(sqlite::SqliteStore::open_existing(path, options)?),
        Location::Postgres(url) => Box::new(postgres::PostgresStore::open(url, options, clock)?),
    })
}

/// Open without looking at the schema, for `queue migrate` (which then calls `migrate`).
pub fn open_unmigrated(
    location: &Location,
    options: StoreOptions,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<Box<dyn Store>> {
    Ok(match location {
        Location::Sqlite(path) => Box::new(sqlite::SqliteStore::open_unmigrated(path, options)?),
        Location::Postgres(url) => Box::new(postgres::PostgresStore::open_unmigrated(
            url, options, clock,
        )?),
    })
}

/// Options every backend honours when it is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub connection: String,
    /// `[failed] driver = "null"`: failed jobs are discarded instead of stored.
    pub discard_failed: bool,
    pub auto_migrate: bool,
    /// `synchronous = "full"`: SQLite fsyncs every commit, so a power loss loses no committed
    /// transaction (the default, NORMAL, survives any process crash but may lose the last
    /// transactions before a power loss).
    pub synchronous_full: bool,
    /// queue.toml's `[hooks]`: the follow-up jobs the events of a job's end queue (the
    /// worker's own config, as for named jobs).
    pub hooks: crate::domain::events::Hooks,
}
