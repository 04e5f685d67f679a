//! The store: where jobs, failed jobs and settings live. One trait speaks the queue's lifecycle
//! verbs (enqueue, claim, heartbeat, finish, retry …) so that each backend can use its best SQL;
//! SQLite is the embedded default, PostgreSQL slots in behind the same trait.

pub mod migrate;
pub mod sqlite;

use crate::domain::job::{JobState, NewJob, Payload};
use crate::domain::policy::Decision;
use anyhow::Result;
use serde::{Deserialize, Serialize};

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
}

/// What a job asked for from inside, with `queue release` or `queue fail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Release { delay_secs: Option<u64> },
    Fail { message: String },
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

/// One failed job, as `failed` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FailedJob {
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
}

/// One job wherever it is now: queued, reserved, finished or failed.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub uuid: String,
    pub name: String,
    pub queue: String,
    pub connection: String,
    pub state: JobState,
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

/// Which failed jobs `retry` puts back.
#[derive(Debug, Clone)]
pub enum RetrySelection {
    All,
    Queue(String),
    Uuids(Vec<String>),
}

/// The result of `finish`: what was done, or that the reservation had been lost meanwhile.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished {
    Applied(Decision),
    /// The row is gone or was reserved again by someone else; nothing was changed.
    LeaseLost,
}

/// The store's lifecycle verbs. Every method that changes state is one transaction.
pub trait Store: Send {
    /// The connection name recorded with failed jobs (`failed_jobs.connection`).
    fn connection_name(&self) -> &str;

    /// Insert jobs, all or nothing, in one transaction.
    fn enqueue(&mut self, jobs: &[NewJob]) -> Result<()>;

    /// Reserve the next available job from the first queue in the list that has one (strict
    /// priority). Reservations whose lease has expired are freed first. Attempts count here.
    fn claim(&mut self, claim: &Claim<'_>) -> Result<Option<Reserved>>;

    /// When the earliest waiting (unreserved) job of these queues becomes available, if any.
    fn next_available_at(&mut self, queues: &[String]) -> Result<Option<i64>>;

    /// Register a worker (or refresh its row) until `alive_until_ms`.
    fn register_worker(&mut self, worker: &WorkerInfo, alive_until_ms: i64) -> Result<()>;
    /// Remove a worker's row as it exits.
    fn unregister_worker(&mut self, worker_id: &str) -> Result<()>;
    /// The live workers; rows of workers whose heartbeat stopped are deleted.
    fn workers(&mut self, now_ms: i64) -> Result<Vec<WorkerInfo>>;

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
        decide: &mut dyn FnMut(Option<Intent>) -> Decision,
    ) -> Result<Finished>;

    /// Record a `queue release` / `queue fail` from inside a running job. False when no running
    /// attempt has that uuid and token.
    fn record_intent(&mut self, uuid: &str, token: &str, intent: &Intent) -> Result<bool>;

    fn queue_stats(&mut self, now_ms: i64) -> Result<Vec<QueueStats>>;
    fn show(&mut self, uuid: &str, now_ms: i64) -> Result<Option<JobView>>;

    fn failed_jobs(&mut self, queue: Option<&str>) -> Result<Vec<FailedJob>>;
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

    /// Read the restart / maintenance / pause switches.
    fn controls(&mut self) -> Result<Controls>;
    /// Set (Some) or remove (None) one setting.
    fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()>;
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

/// Options every backend honours when it is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub connection: String,
    /// `[failed] driver = "null"`: failed jobs are discarded instead of stored.
    pub discard_failed: bool,
    pub auto_migrate: bool,
}
