//! The single statements a dialect gives the lifecycle (`lifecycle.rs`): each verb is one
//! statement (or a short fixed sequence) inside a transaction the store has opened, and none of
//! them decides anything. What to insert, which lock to free, when a batch counts and which of
//! its callbacks fire is decided once, in the lifecycle, over these verbs; a store only says how
//! its database does each step (River's driver/executor split, Oban's engines).
//!
//! Time: `now()` is the transaction's instant on the store's clock (SQLite: the caller's clock;
//! PostgreSQL: the server's, read as the transaction began). Instants computed from it need no
//! conversion; instants the caller brings from its own clock (a dispatch's `available_at`) go
//! through `rebase` first.
//!
//! Wake-ups: a verb that makes work available does not notify anyone itself. The lifecycle calls
//! `wake(queue)` and the store delivers the wake-ups once the transaction has committed (SQLite:
//! a datagram to each idle worker's socket; PostgreSQL: NOTIFY, sent at commit).

use super::BatchView;
use crate::domain::events::Event;
use crate::domain::policy::Recorded;
use anyhow::Result;

/// A row of the jobs table about to be inserted; instants on the store's clock.
#[derive(Debug, Clone)]
pub struct JobRow<'a> {
    pub uuid: &'a str,
    pub queue: &'a str,
    pub name: &'a str,
    /// The serialized payload.
    pub payload: &'a str,
    pub available_at: i64,
    pub created_at: i64,
}

/// What the store holds of a reserved attempt that its worker does not: what the job asked
/// for from inside, and the columns copied into finished_jobs or failed_jobs.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    /// What the job asked for from inside, and what it added to its chain.
    pub intent: Recorded,
    /// The stored payload, as stored (copied unparsed).
    pub payload: String,
    pub name: String,
    pub created_at: i64,
    /// When this attempt was reserved, and by which worker.
    pub reserved_at: i64,
    /// When the job became available before this attempt took it (for its wait time).
    pub available_at: i64,
    pub worker_id: String,
}

/// A reservation: the job's row id and the token its attempt holds it by.
#[derive(Debug, Clone, Copy)]
pub struct Reservation<'a> {
    pub id: i64,
    pub token: &'a str,
}

/// A job of the jobs table, as `cancel` and `run-now` see it.
#[derive(Debug, Clone)]
pub struct QueuedRow {
    pub id: i64,
    pub queue: String,
    pub reserved: bool,
    pub available_at: i64,
    pub payload: String,
}

/// One attempt's result, as job_attempts keeps it (replacing the row its worker kept while it
/// ran, if any).
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    pub token: &'a str,
    pub uuid: &'a str,
    pub attempt: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub worker: &'a str,
    pub exit: &'a super::AttemptExit,
    pub outcome: &'a str,
    pub output: &'a str,
}

/// A job that completed, as finished_jobs keeps it (replacing an earlier row of its uuid).
#[derive(Debug, Clone)]
pub struct FinishedRow<'a> {
    pub uuid: &'a str,
    pub queue: &'a str,
    pub name: &'a str,
    pub payload: &'a str,
    pub attempts: i64,
    pub exceptions: u32,
    pub output: &'a str,
    pub created_at: i64,
    pub finished_at: i64,
}

/// A job that failed for good, as failed_jobs keeps it (replacing an earlier row of its uuid).
#[derive(Debug, Clone)]
pub struct FailedRow<'a> {
    pub uuid: &'a str,
    pub connection: &'a str,
    pub queue: &'a str,
    pub name: &'a str,
    pub payload: &'a str,
    pub exception: &'a str,
    pub attempts: i64,
    /// The attempts that ended in an exception, the last one included.
    pub exceptions: u32,
    pub failed_at: i64,
}

/// A reserved job put back on its queue after an attempt.
#[derive(Debug, Clone)]
pub struct Requeue<'a> {
    pub id: i64,
    pub available_at: i64,
    /// The attempt counts as an exception (for --max-exceptions).
    pub exception: bool,
    /// Kept for `show` until the next attempt ends.
    pub output: &'a str,
}

/// A reserved job held back by its middleware before it ran.
#[derive(Debug, Clone)]
pub struct HoldBack<'a> {
    pub id: i64,
    pub token: &'a str,
    pub available_at: i64,
    /// The lock it waits on: when that is released, the first job parked on it goes at once.
    pub parked_on: Option<&'a str>,
}

/// An open fixed window of a limiter: how many hits it has counted, and when it closes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub hits: i64,
    pub ends_at: i64,
}

/// New counters of a batch, and what the update does to it.
#[derive(Debug, Clone)]
pub struct BatchUpdate<'a> {
    pub id: &'a str,
    pub pending: i64,
    pub failed: i64,
    pub failed_job_ids: &'a [String],
    /// Set finished_at to now.
    pub finish: bool,
    /// Set cancelled_at (and finished_at) to now unless already set.
    pub cancel: bool,
}

/// A batch about to be inserted, every link of its chains counted; instants on the store's clock.
#[derive(Debug, Clone)]
pub struct BatchRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// The serialized `BatchOptions`.
    pub options: &'a str,
    pub total_jobs: i64,
    pub created_at: i64,
}

/// Whether a read of a batch locks its row until the transaction ends (so that concurrent
/// ends of jobs of one batch count one after another).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BatchLock {
    Share,
    ForUpdate,
}

/// One dialect's statements, inside one open transaction.
pub trait Verbs {
    /// The transaction's instant on the store's clock, in unix ms.
    fn now(&self) -> i64;
    /// An instant on the caller's clock, on the store's clock (`i64::MAX`, never, stays so).
    fn rebase(&self, at: i64) -> i64 {
        at
    }
    /// Wake the idle workers of `queue` once this transaction has committed.
    fn wake(&mut self, queue: &str);
    /// Wake every idle worker once this transaction has committed (a control changed).
    fn wake_all(&mut self);

    fn insert_job(&mut self, row: &JobRow<'_>) -> Result<()>;
    /// The id and payload of the queued job `uuid`, if one is queued.
    fn queued_payload(&mut self, uuid: &str) -> Result<Option<(i64, String)>>;
    fn set_payload(&mut self, id: i64, payload: &str) -> Result<()>;
    /// Several rows in their order (PostgreSQL: one statement for all).
    fn insert_jobs(&mut self, rows: &[JobRow<'_>]) -> Result<()> {
        rows.iter().try_for_each(|row| self.insert_job(row))
    }
    /// The attempt's row while `token` still holds it; None when the lease was lost.
    fn attempt_row(&mut self, id: i64, token: &str) -> Result<Option<AttemptRow>>;
    fn delete_job(&mut self, id: i64) -> Result<()>;
    fn insert_finished(&mut self, row: &FinishedRow<'_>) -> Result<()>;
    fn insert_failed(&mut self, row: &FailedRow<'_>) -> Result<()>;
    fn record_attempt(&mut self, row: &AttemptRecord<'_>) -> Result<()>;

    // A group of attempts ending together (`lifecycle::finish_all`): the same steps as the
    // single verbs above, for many rows at once. A dialect may do each in fewer statements
    // (SQLite: multi-row statements); by default they are the single verbs in a row.

    /// `attempt_row` of each reservation, in their order.
    fn attempt_rows(&mut self, held: &[Reservation<'_>]) -> Result<Vec<Option<AttemptRow>>> {
        held.iter()
            .map(|h| self.attempt_row(h.id, h.token))
            .collect()
    }
    /// `delete_job` of each.
    fn delete_jobs(&mut self, ids: &[i64]) -> Result<()> {
        ids.iter().try_for_each(|id| self.delete_job(*id))
    }
    /// `insert_finished` of each, in order.
    fn insert_finished_rows(&mut self, rows: &[FinishedRow<'_>]) -> Result<()> {
        rows.iter().try_for_each(|row| self.insert_finished(row))
    }
    /// `record_attempt` of each, in order.
    fn record_attempts(&mut self, rows: &[AttemptRecord<'_>]) -> Result<()> {
        rows.iter().try_for_each(|row| self.record_attempt(row))
    }
    /// Add an ended attempt to the rollup of its minute, queue and outcome.
    fn record_metric(&mut self, sample: &crate::domain::metrics::Sample<'_>) -> Result<()>;
    /// The samples of a group of ends; a dialect may add those of one row together first.
    fn record_metrics(&mut self, samples: &[crate::domain::metrics::Sample<'_>]) -> Result<()> {
        samples.iter().try_for_each(|s| self.record_metric(s))
    }
    /// The job `uuid` if it is in the jobs table.
    fn queued(&mut self, uuid: &str) -> Result<Option<QueuedRow>>;
    /// Job `id` is available now (and waits on no lock).
    fn make_available(&mut self, id: i64) -> Result<()>;
    /// Forget the attempts of `uuid` if it is in no table any more.
    fn forget_attempts(&mut self, uuid: &str) -> Result<()>;
    fn requeue(&mut self, requeue: &Requeue<'_>) -> Result<()>;
    fn hold_back(&mut self, hold: &HoldBack<'_>) -> Result<()>;
    /// The job runs: it waits on no lock any more.
    fn unpark(&mut self, id: i64) -> Result<()>;
    /// The first job parked on `key` becomes available now; returns its queue, if one was.
    fn wake_parked(&mut self, key: &str) -> Result<Option<String>>;

    /// Take `key` for `owner` until `expires_at`, freeing it first when its holder is gone (an
    /// expired lock; a unique lock whose job left the queue; an overlap or funnel lock whose
    /// attempt no longer runs). Returns the holder when someone else holds it.
    fn take_lock(&mut self, key: &str, owner: &str, expires_at: i64) -> Result<Option<String>>;
    /// Give `key` back if `owner` holds it.
    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()>;
    /// Transactions that touch the same middleware keys take turns until they end (PostgreSQL
    /// takes advisory locks in key order; SQLite's writers already take turns).
    fn serialize(&mut self, _keys: &[String]) -> Result<()> {
        Ok(())
    }

    /// The open window of the limiter `key`, if any.
    fn window(&mut self, key: &str) -> Result<Option<Window>>;
    /// Count one hit in a fixed window of `seconds` that opens at the first hit.
    fn hit(&mut self, key: &str, seconds: u64) -> Result<()>;
    fn reset_limiter(&mut self, key: &str) -> Result<()>;

    fn batch(&mut self, id: &str, lock: BatchLock) -> Result<Option<BatchView>>;
    fn update_batch(&mut self, update: &BatchUpdate<'_>) -> Result<()>;
    fn insert_batch(&mut self, row: &BatchRow<'_>) -> Result<()>;
    /// Count `added` more jobs in a batch, re-opening it if it had finished; false when there
    /// is no such batch.
    fn grow_batch(&mut self, id: &str, added: i64) -> Result<bool>;

    /// The intent column of the running attempt `uuid` / `token` (locked until the end of the
    /// transaction); None when no running attempt has them.
    fn running_intent(&mut self, uuid: &str, token: &str) -> Result<Option<Option<String>>>;
    fn set_intent(&mut self, uuid: &str, token: &str, intent: &str) -> Result<()>;
    /// Replace a batch's options (JSON).
    fn set_batch_options(&mut self, id: &str, options: &str) -> Result<()>;

    /// Record one event (its `id`, `connection` and `host` are not stored: the table numbers
    /// the rows, the reader adds the rest); returns its id.
    fn insert_event(&mut self, event: &Event) -> Result<i64>;
    /// Record these events, in order (a streamed dispatch's `job.queued` for a chunk of jobs:
    /// one statement on PostgreSQL instead of a round trip each).
    fn insert_events(&mut self, events: &[Event]) -> Result<()> {
        for event in events {
            self.insert_event(event)?;
        }
        Ok(())
    }
    /// Record a `job.queued` event (message `message`) for each of these jobs, now in the jobs
    /// table (`queue retry` puts many back at once: one statement on PostgreSQL).
    fn insert_queued_events(&mut self, uuids: &[String], message: &str) -> Result<()>;
}
