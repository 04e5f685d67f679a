//! How stored rows become what `status`, `show`, `failed`, `batches` and the worker registry
//! show, the same for every store: each dialect reads its columns (by name) into these plain
//! rows, and the shaping (states, counts, times as RFC 3339, lists kept as text) happens here.

use super::{
    AttemptExit, AttemptView, BatchView, Controls, FailedJob, JobSummary, JobView, QueueStats,
    Reserved, WorkerInfo, MAINTENANCE_KEY, PAUSED_PREFIX, RESTART_KEY,
};
use crate::clock::format_rfc3339;
use crate::domain::batch::Counts;
use crate::domain::job::{JobState, Payload};
use anyhow::{Context, Result};
use std::collections::BTreeMap;

/// A stored payload, parsed; the error names the job.
pub fn parse_payload(raw: &str, uuid: &str) -> Result<Payload> {
    serde_json::from_str(raw).with_context(|| format!("job {uuid} has an unreadable payload"))
}

/// A claimed row's payload, or why the worker cannot read it (the row then goes to failed
/// jobs with this reason instead of stopping the worker).
pub fn claimed_payload(raw: &str) -> std::result::Result<Payload, String> {
    serde_json::from_str(raw).map_err(|e| format!("unreadable payload: {e}"))
}

/// A claimed job, or a row whose payload does not parse (with the reason).
pub type ClaimedJob = std::result::Result<Reserved, Unreadable>;

/// A claimed row the worker cannot read: it is moved to failed jobs (`lifecycle::fail_unreadable`)
/// and the claim returns the others.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub id: i64,
    pub token: String,
    pub uuid: String,
    pub queue: String,
    pub attempts: i64,
    pub exceptions: u32,
    /// "unreadable payload: <serde error>".
    pub reason: String,
}

/// A claimed row, its payload parsed: a job to run, or an unreadable row.
pub fn claimed_job(
    id: i64,
    uuid: String,
    queue: String,
    attempts: i64,
    exceptions: u32,
    token: String,
    raw: &str,
) -> ClaimedJob {
    match claimed_payload(raw) {
        Ok(payload) => Ok(Reserved {
            id,
            uuid,
            queue,
            attempts,
            exceptions,
            token,
            payload,
            exit: Default::default(),
            cause: None,
        }),
        Err(reason) => Err(Unreadable {
            id,
            token,
            uuid,
            queue,
            attempts,
            exceptions,
            reason,
        }),
    }
}

/// Which table a job was found in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Table {
    Jobs,
    Failed,
    Finished,
}

impl Table {
    /// The name `show`'s one query gives each table's rows.
    pub fn from_source(source: &str) -> Table {
        match source {
            "failed" => Table::Failed,
            "done" => Table::Finished,
            _ => Table::Jobs,
        }
    }
}

/// One job as `show` reads it from whichever table holds it; columns a table does not have
/// are None.
#[derive(Debug, Clone)]
pub struct ShowRow {
    pub table: Table,
    pub queue: String,
    pub name: String,
    pub payload: String,
    pub attempts: i64,
    pub exceptions: u32,
    pub reserved_at: Option<i64>,
    pub available_at: Option<i64>,
    pub created_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub error: Option<String>,
    pub output: Option<String>,
    /// failed_jobs records the connection it failed on; the others are this store's.
    pub connection: Option<String>,
}

/// The job of a `show` row, its state as of `now` (on the store's clock).
pub fn job_view(row: ShowRow, uuid: &str, now: i64, connection: &str) -> Result<JobView> {
    let mut row = row;
    // A row whose payload cannot be read is shown as far as it can be: its payload as the text
    // it is, and why it cannot run.
    let payload = match claimed_payload(&row.payload) {
        Ok(payload) => payload,
        Err(reason) => {
            if row.error.is_none() {
                row.error = Some(reason);
            }
            unreadable_payload(uuid, &row)
        }
    };
    let state = match (row.table, row.reserved_at, row.available_at) {
        (Table::Failed, ..) => JobState::Failed,
        (Table::Finished, ..) => JobState::Done,
        (_, Some(_), _) => JobState::Reserved,
        (_, None, Some(at)) if at > now => JobState::Delayed,
        _ => JobState::Pending,
    };
    Ok(JobView {
        uuid: uuid.into(),
        name: row.name,
        queue: row.queue,
        connection: row.connection.unwrap_or_else(|| connection.to_string()),
        state,
        history: Vec::new(),
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
    })
}

/// What `show` gives for a payload that does not parse: the row's own columns, and the stored
/// text as its data.
fn unreadable_payload(uuid: &str, row: &ShowRow) -> Payload {
    Payload {
        uuid: uuid.into(),
        display_name: row.name.clone(),
        command: crate::domain::job::JobCommand::Argv(Vec::new()),
        data: serde_json::Value::String(row.payload.clone()),
        env: Default::default(),
        cwd: String::new(),
        max_tries: None,
        max_exceptions: None,
        fail_on_timeout: false,
        backoff: None,
        timeout: None,
        retry_until: None,
        retry_window: None,
        created_at: row.created_at.unwrap_or(0),
        delay: None,
        unique: None,
        middleware: Default::default(),
        secret: None,
        chained: Vec::new(),
        chained_batch: None,
        on_failure: None,
        on_success: None,
        hook: false,
        chain_catch: None,
        batch_id: None,
    }
}

/// Counts of one queue from one table (the jobs table, or failed_jobs for `failed`).
#[derive(Debug, Clone, Default)]
pub struct StatsRow {
    pub queue: String,
    pub pending: i64,
    pub delayed: i64,
    pub reserved: i64,
    /// The available_at of the longest-waiting pending job.
    pub oldest_pending_at: Option<i64>,
    pub failed: i64,
}

/// Every queue's counts, by queue name, from rows of both tables, as of `now`.
pub fn queue_stats(
    rows: impl IntoIterator<Item = StatsRow>,
    now: i64,
    connection: &str,
) -> Vec<QueueStats> {
    let mut by_queue: BTreeMap<String, QueueStats> = BTreeMap::new();
    for row in rows {
        let entry = by_queue
            .entry(row.queue.clone())
            .or_insert_with(|| QueueStats {
                queue: row.queue,
                connection: connection.to_string(),
                ..Default::default()
            });
        entry.pending += row.pending;
        entry.delayed += row.delayed;
        entry.reserved += row.reserved;
        entry.failed += row.failed;
        if let Some(oldest) = row.oldest_pending_at {
            entry.oldest_pending_age_s = Some((now - oldest).max(0) / 1000);
        }
    }
    by_queue.into_values().collect()
}

/// The switches of the settings table's (key, value) rows.
pub fn controls(settings: impl IntoIterator<Item = (String, String)>) -> Controls {
    let mut controls = Controls::default();
    for (key, value) in settings {
        if key == RESTART_KEY {
            controls.restart = Some(value);
        } else if key == MAINTENANCE_KEY {
            controls.maintenance = true;
        } else if let Some(queue) = key.strip_prefix(PAUSED_PREFIX) {
            controls.paused.push(queue.to_string());
        }
    }
    controls
}

/// A row of job_batches as stored.
#[derive(Debug, Clone)]
pub struct StoredBatch {
    pub id: String,
    pub name: String,
    pub total_jobs: i64,
    pub pending_jobs: i64,
    pub failed_jobs: i64,
    /// A JSON array of uuids.
    pub failed_job_ids: String,
    /// JSON `BatchOptions`; None in a hand-made table that has no options yet.
    pub options: Option<String>,
    pub cancelled_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub created_at: i64,
}

/// The columns every batch read selects, in the names `StoredBatch` has.
pub const BATCH_COLUMNS: &str = "id, name, total_jobs, pending_jobs, failed_jobs, \
     failed_job_ids, options, cancelled_at, finished_at, created_at";

impl From<StoredBatch> for BatchView {
    fn from(b: StoredBatch) -> BatchView {
        let counts = Counts {
            total: b.total_jobs,
            pending: b.pending_jobs,
            failed: b.failed_jobs,
        };
        BatchView {
            id: b.id,
            name: b.name,
            total_jobs: b.total_jobs,
            pending_jobs: b.pending_jobs,
            processed_jobs: counts.processed(),
            failed_jobs: b.failed_jobs,
            progress: counts.progress(),
            failed_job_ids: serde_json::from_str(&b.failed_job_ids).unwrap_or_default(),
            options: b
                .options
                .and_then(|o| serde_json::from_str(&o).ok())
                .unwrap_or_default(),
            cancelled_at: b.cancelled_at.map(format_rfc3339),
            finished_at: b.finished_at.map(format_rfc3339),
            created_at: format_rfc3339(b.created_at),
        }
    }
}

/// A row of the workers table with the uuids of the jobs it holds.
#[derive(Debug, Clone)]
pub struct StoredWorker {
    pub id: String,
    pub name: String,
    pub host: String,
    pub pid: i64,
    /// Comma-separated.
    pub queues: String,
    pub concurrency: i64,
    pub started_at: i64,
    pub last_seen_at: i64,
    /// Comma-separated; None when it holds none.
    pub jobs: Option<String>,
}

impl From<StoredWorker> for WorkerInfo {
    fn from(w: StoredWorker) -> WorkerInfo {
        let list = |text: &str| text.split(',').map(String::from).collect::<Vec<_>>();
        WorkerInfo {
            id: w.id,
            name: w.name,
            host: w.host,
            pid: w.pid as u32,
            queues: list(&w.queues),
            concurrency: w.concurrency as usize,
            started_at: w.started_at,
            last_seen_at: w.last_seen_at,
            jobs: w.jobs.as_deref().map(list).unwrap_or_default(),
        }
    }
}

/// A row of failed_jobs as `failed` lists it.
#[derive(Debug, Clone)]
pub struct StoredFailure {
    pub id: i64,
    pub uuid: String,
    pub connection: String,
    pub queue: String,
    pub name: String,
    pub failed_at: i64,
    pub attempts: i64,
    pub exception: String,
    pub payload: String,
    /// Its last attempt's exit, if one was recorded.
    pub last_exit: Option<AttemptExit>,
    pub last_output: Option<String>,
}

impl From<StoredFailure> for FailedJob {
    fn from(f: StoredFailure) -> FailedJob {
        FailedJob {
            id: f.id,
            uuid: f.uuid,
            connection: f.connection,
            queue: f.queue,
            name: f.name,
            failed_at_ms: f.failed_at,
            failed_at: format_rfc3339(f.failed_at),
            attempts: f.attempts,
            error: f.exception,
            // An unreadable payload is shown as the text it is rather than hiding the job.
            payload: serde_json::from_str(&f.payload)
                .unwrap_or(serde_json::Value::String(f.payload)),
            last_exit: f.last_exit,
            last_output: f.last_output.unwrap_or_default(),
        }
    }
}

/// A row of job_attempts as stored.
#[derive(Debug, Clone)]
pub struct StoredAttempt {
    pub attempt: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub worker: String,
    pub exit: AttemptExit,
    pub outcome: Option<String>,
    pub output: String,
}

/// The columns every attempt read selects, oldest first is the caller's ORDER BY.
pub const ATTEMPT_COLUMNS: &str =
    "attempt, started_at, finished_at, worker, exit_code, signal, timed_out, outcome, output";

/// The host of a worker id (`host:pid:random`).
pub fn worker_host(worker: &str) -> &str {
    let mut parts = worker.rsplitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(_), Some(host)) => host,
        _ => worker,
    }
}

impl From<StoredAttempt> for AttemptView {
    fn from(a: StoredAttempt) -> AttemptView {
        AttemptView {
            attempt: a.attempt,
            started_at: format_rfc3339(a.started_at),
            finished_at: a.finished_at.map(format_rfc3339),
            duration_ms: a.finished_at.map(|f| (f - a.started_at).max(0)),
            host: worker_host(&a.worker).to_string(),
            worker: a.worker,
            exit_code: a.exit.code,
            signal: a.exit.signal,
            timed_out: a.exit.timed_out,
            outcome: a.outcome.unwrap_or_else(|| "running".into()),
            output: a.output,
        }
    }
}

#[cfg(test)]
mod attempt_tests {
    use super::worker_host;

    #[test]
    fn a_worker_id_names_its_host() {
        assert_eq!(worker_host("web-1:42:abcdef"), "web-1");
        assert_eq!(worker_host("fe80::1:42:abcdef"), "fe80::1");
        assert_eq!(worker_host("odd"), "odd");
    }
}

/// A row of the union `jobs` lists (all three tables), as stored.
#[derive(Debug, Clone)]
pub struct ListedRow {
    pub table: Table,
    pub uuid: String,
    pub queue: String,
    pub name: String,
    pub payload: String,
    pub attempts: i64,
    pub reserved_at: Option<i64>,
    pub available_at: Option<i64>,
    pub at: i64,
    pub text: Option<String>,
}

/// The SQL state of a `jobs` row, as `JobQuery::state` names it ('queued' rows split by time).
pub fn state_of(
    table: Table,
    reserved_at: Option<i64>,
    available_at: Option<i64>,
    now: i64,
) -> JobState {
    match (table, reserved_at, available_at) {
        (Table::Failed, ..) => JobState::Failed,
        (Table::Finished, ..) => JobState::Done,
        (_, Some(_), _) => JobState::Reserved,
        (_, None, Some(at)) if at > now => JobState::Delayed,
        _ => JobState::Pending,
    }
}

impl ListedRow {
    pub fn summary(self, now: i64) -> JobSummary {
        JobSummary {
            state: state_of(self.table, self.reserved_at, self.available_at, now),
            uuid: self.uuid,
            name: self.name,
            queue: self.queue,
            attempts: self.attempts,
            at: format_rfc3339(self.at),
            at_ms: self.at,
            text: self.text.unwrap_or_default(),
            payload: self.payload,
        }
    }
}

/// The exclusive upper bound of uuids that start with `prefix` (uuids are hex and dashes).
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}~")
}
