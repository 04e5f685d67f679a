//! SQLite's statements for the lifecycle (`store::verbs`), inside one BEGIN IMMEDIATE
//! transaction. SQLite's writers already take turns, so `serialize` is nothing here; time is the
//! caller's clock, so `rebase` is nothing too.

use super::super::rows::{StoredBatch, BATCH_COLUMNS};
use super::super::verbs::{
    AttemptRecord, AttemptRow, BatchLock, BatchRow, BatchUpdate, FailedRow, FinishedRow, HoldBack,
    JobRow, QueuedRow, Requeue, Reservation, Verbs, Window,
};
use super::super::{BatchView, RetrySelection};
use crate::domain::events::Event;
use crate::domain::policy::Recorded;
use anyhow::{bail, Result};
use rusqlite::{params, OptionalExtension, Transaction};

/// A write transaction and its instant; remembers whether a commit should wake idle workers.
pub struct SqliteTx<'t> {
    tx: &'t Transaction<'t>,
    now: i64,
    wake: bool,
}

impl<'t> SqliteTx<'t> {
    pub fn new(tx: &'t Transaction<'t>, now: i64) -> Self {
        SqliteTx {
            tx,
            now,
            wake: false,
        }
    }

    pub fn tx(&self) -> &'t Transaction<'t> {
        self.tx
    }

    /// Some step made work available or changed a control: wake this host's idle workers
    /// after the commit (they all share the file's socket directory, whatever their queues).
    pub fn wakes(&self) -> bool {
        self.wake
    }
}

/// Row ids as a JSON array, for `IN (SELECT value FROM json_each(?))`: one statement, one
/// cached plan, however many ids.
fn id_list(ids: impl Iterator<Item = i64>) -> String {
    let mut text = String::from("[");
    for (i, id) in ids.enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&id.to_string());
    }
    text.push(']');
    text
}

/// The columns of a batch row, by name.
pub fn stored_batch(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredBatch> {
    Ok(StoredBatch {
        id: r.get("id")?,
        name: r.get("name")?,
        total_jobs: r.get("total_jobs")?,
        pending_jobs: r.get("pending_jobs")?,
        failed_jobs: r.get("failed_jobs")?,
        failed_job_ids: r.get("failed_job_ids")?,
        options: r.get("options")?,
        cancelled_at: r.get("cancelled_at")?,
        finished_at: r.get("finished_at")?,
        created_at: r.get("created_at")?,
    })
}

impl Verbs for SqliteTx<'_> {
    fn record_metric(&mut self, sample: &crate::domain::metrics::Sample<'_>) -> Result<()> {
        super::metrics::record(self.tx, sample)
    }

    fn record_metrics(&mut self, samples: &[crate::domain::metrics::Sample<'_>]) -> Result<()> {
        super::metrics::record_all(self.tx, samples)
    }

    fn now(&self) -> i64 {
        self.now
    }

    fn wake(&mut self, _queue: &str) {
        self.wake = true;
    }

    fn wake_all(&mut self) {
        self.wake = true;
    }

    fn insert_job(&mut self, row: &JobRow<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                row.uuid,
                row.queue,
                row.name,
                row.payload,
                row.available_at,
                row.created_at
            ])?;
        Ok(())
    }

    fn queued_payload(&mut self, uuid: &str) -> Result<Option<(i64, String)>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id, payload FROM jobs WHERE uuid = ?1")?
            .query_row([uuid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn set_payload(&mut self, id: i64, payload: &str) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE jobs SET payload = ?2 WHERE id = ?1")?
            .execute(params![id, payload])?;
        Ok(())
    }

    fn attempt_row(&mut self, id: i64, token: &str) -> Result<Option<AttemptRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT intent, payload, name, created_at, reserved_at, available_at, worker_id
                 FROM jobs WHERE id = ?1 AND token = ?2",
            )?
            .query_row(params![id, token], |r| attempt_row_of(r, self.now))
            .optional()?)
    }

    fn attempt_rows(&mut self, held: &[Reservation<'_>]) -> Result<Vec<Option<AttemptRow>>> {
        if held.len() < 2 {
            return held
                .iter()
                .map(|h| self.attempt_row(h.id, h.token))
                .collect();
        }
        // One statement for the group; a row whose token is no longer the attempt's is lost.
        let mut found: std::collections::HashMap<i64, (Option<String>, AttemptRow)> =
            std::collections::HashMap::with_capacity(held.len());
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, token, intent, payload, name, created_at, reserved_at, available_at,
                    worker_id
             FROM jobs WHERE id IN (SELECT value FROM json_each(?1))",
        )?;
        let mut rows = stmt.query([id_list(held.iter().map(|h| h.id))])?;
        while let Some(r) = rows.next()? {
            let row = attempt_row_of(r, self.now)?;
            found.insert(r.get("id")?, (r.get("token")?, row));
        }
        Ok(held
            .iter()
            .map(|h| match found.remove(&h.id) {
                Some((Some(token), row)) if token == h.token => Some(row),
                _ => None,
            })
            .collect())
    }

    fn delete_jobs(&mut self, ids: &[i64]) -> Result<()> {
        if ids.len() < 2 {
            return ids.iter().try_for_each(|id| self.delete_job(*id));
        }
        self.tx
            .prepare_cached("DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?1))")?
            .execute([id_list(ids.iter().copied())])?;
        Ok(())
    }

    fn delete_job(&mut self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM jobs WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn insert_finished(&mut self, row: &FinishedRow<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO finished_jobs
                     (uuid, queue, name, payload, attempts, exceptions, output, created_at,
                      finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                row.uuid,
                row.queue,
                row.name,
                row.payload,
                row.attempts,
                row.exceptions,
                row.output,
                row.created_at,
                row.finished_at
            ])?;
        Ok(())
    }

    fn insert_failed(&mut self, row: &FailedRow<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO failed_jobs
                     (uuid, connection, queue, name, payload, exception, attempts, failed_at,
                      exceptions)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (uuid) DO UPDATE SET
                     connection = excluded.connection, queue = excluded.queue,
                     name = excluded.name, payload = excluded.payload,
                     exception = excluded.exception, attempts = excluded.attempts,
                     failed_at = excluded.failed_at, exceptions = excluded.exceptions",
            )?
            .execute(params![
                row.uuid,
                row.connection,
                row.queue,
                row.name,
                row.payload,
                row.exception,
                row.attempts,
                row.failed_at,
                row.exceptions
            ])?;
        Ok(())
    }

    fn record_attempt(&mut self, a: &AttemptRecord<'_>) -> Result<()> {
        self.tx.prepare_cached(ATTEMPT_UPSERT)?.execute(params![
            a.token,
            a.uuid,
            a.attempt,
            a.started_at,
            a.finished_at,
            a.worker,
            a.exit.code,
            a.exit.signal,
            a.exit.timed_out,
            a.outcome,
            a.output
        ])?;
        Ok(())
    }

    fn queued(&mut self, uuid: &str) -> Result<Option<QueuedRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT id, queue, reserved_at, available_at, payload FROM jobs WHERE uuid = ?1",
            )?
            .query_row([uuid], |r| {
                Ok(QueuedRow {
                    id: r.get("id")?,
                    queue: r.get("queue")?,
                    reserved: r.get::<_, Option<i64>>("reserved_at")?.is_some(),
                    available_at: r.get("available_at")?,
                    payload: r.get("payload")?,
                })
            })
            .optional()?)
    }

    fn make_available(&mut self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE jobs SET available_at = ?2, parked_on = NULL WHERE id = ?1")?
            .execute(params![id, self.now])?;
        Ok(())
    }

    fn forget_attempts(&mut self, uuid: &str) -> Result<()> {
        self.tx
            .prepare_cached(super::queries::FORGET_GONE_ATTEMPTS)?
            .execute([uuid])?;
        Ok(())
    }

    fn requeue(&mut self, r: &Requeue<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                        token = NULL, intent = NULL, available_at = ?2,
                        exceptions = exceptions + ?3, last_output = ?4
                 WHERE id = ?1",
            )?
            .execute(params![r.id, r.available_at, r.exception as i64, r.output])?;
        Ok(())
    }

    fn hold_back(&mut self, h: &HoldBack<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                        token = NULL, intent = NULL, available_at = ?2, parked_on = ?3
                 WHERE id = ?1 AND token = ?4",
            )?
            .execute(params![h.id, h.available_at, h.parked_on, h.token])?;
        Ok(())
    }

    fn unpark(&mut self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE jobs SET parked_on = NULL WHERE id = ?1 AND parked_on IS NOT NULL",
            )?
            .execute([id])?;
        Ok(())
    }

    fn wake_parked(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached(
                "UPDATE jobs SET available_at = ?2, parked_on = NULL
                 WHERE id = (SELECT id FROM jobs WHERE parked_on = ?1 AND reserved_at IS NULL
                             ORDER BY available_at, id LIMIT 1)
                 RETURNING queue",
            )?
            .query_row(params![key, self.now], |r| r.get(0))
            .optional()?)
    }

    fn take_lock(&mut self, key: &str, owner: &str, expires_at: i64) -> Result<Option<String>> {
        self.tx
            .prepare_cached(
                "DELETE FROM locks WHERE key = ?1 AND owner <> ?2 AND (
                     expires_at <= ?3
                     OR (key LIKE 'unique:%'
                         AND NOT EXISTS (SELECT 1 FROM jobs WHERE uuid = locks.owner))
                     OR ((key LIKE 'overlap:%' OR key LIKE 'funnel:%') AND NOT EXISTS (
                         SELECT 1 FROM jobs WHERE token = locks.owner AND reserved_at IS NOT NULL
                                              AND lease_expires_at > ?3)))",
            )?
            .execute(params![key, owner, self.now])?;
        self.tx
            .prepare_cached(
                "INSERT INTO locks (key, owner, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
                 WHERE locks.owner = excluded.owner",
            )?
            .execute(params![key, owner, expires_at])?;
        let holder: String = self
            .tx
            .prepare_cached("SELECT owner FROM locks WHERE key = ?1")?
            .query_row([key], |r| r.get(0))?;
        Ok((holder != owner).then_some(holder))
    }

    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM locks WHERE key = ?1 AND owner = ?2")?
            .execute(params![key, owner])?;
        Ok(())
    }

    fn window(&mut self, key: &str) -> Result<Option<Window>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT hits, window_ends_at FROM limiters WHERE key = ?1 AND window_ends_at > ?2",
            )?
            .query_row(params![key, self.now], |r| {
                Ok(Window {
                    hits: r.get("hits")?,
                    ends_at: r.get("window_ends_at")?,
                })
            })
            .optional()?)
    }

    fn hit(&mut self, key: &str, seconds: u64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO limiters (key, hits, window_ends_at) VALUES (?1, 1, ?2 + ?3)
                 ON CONFLICT (key) DO UPDATE SET
                     hits = CASE WHEN window_ends_at > ?2 THEN hits + 1 ELSE 1 END,
                     window_ends_at = CASE WHEN window_ends_at > ?2 THEN window_ends_at
                                           ELSE ?2 + ?3 END",
            )?
            .execute(params![key, self.now, seconds as i64 * 1000])?;
        Ok(())
    }

    fn reset_limiter(&mut self, key: &str) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM limiters WHERE key = ?1")?
            .execute([key])?;
        Ok(())
    }

    fn batch(&mut self, id: &str, _lock: BatchLock) -> Result<Option<BatchView>> {
        // The write transaction already holds the database's one write lock.
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {BATCH_COLUMNS} FROM job_batches WHERE id = ?1"
            ))?
            .query_row([id], stored_batch)
            .optional()?
            .map(BatchView::from))
    }

    fn update_batch(&mut self, u: &BatchUpdate<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE job_batches SET pending_jobs = ?2, failed_jobs = ?3, failed_job_ids = ?4,
                        finished_at = CASE WHEN ?5 THEN ?7
                                           WHEN ?6 THEN COALESCE(finished_at, ?7)
                                           ELSE finished_at END,
                        cancelled_at = CASE WHEN ?6 THEN COALESCE(cancelled_at, ?7)
                                            ELSE cancelled_at END
                 WHERE id = ?1",
            )?
            .execute(params![
                u.id,
                u.pending,
                u.failed,
                serde_json::to_string(u.failed_job_ids)?,
                u.finish,
                u.cancel,
                self.now
            ])?;
        Ok(())
    }

    fn insert_batch(&mut self, b: &BatchRow<'_>) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO job_batches (id, name, total_jobs, pending_jobs, failed_jobs,
                                          failed_job_ids, options, created_at)
                 VALUES (?1, ?2, ?3, ?3, 0, '[]', ?4, ?5)",
            )?
            .execute(params![b.id, b.name, b.total_jobs, b.options, b.created_at])?;
        Ok(())
    }

    fn grow_batch(&mut self, id: &str, added: i64) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE job_batches SET total_jobs = total_jobs + ?2,
                        pending_jobs = pending_jobs + ?2, finished_at = NULL
                 WHERE id = ?1",
            )?
            .execute(params![id, added])?;
        Ok(changed == 1)
    }

    fn running_intent(&mut self, uuid: &str, token: &str) -> Result<Option<Option<String>>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT intent FROM jobs
                 WHERE uuid = ?1 AND token = ?2 AND reserved_at IS NOT NULL",
            )?
            .query_row(params![uuid, token], |r| r.get::<_, Option<String>>(0))
            .optional()?)
    }

    fn set_batch_options(&mut self, id: &str, options: &str) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE job_batches SET options = ?2 WHERE id = ?1")?
            .execute(params![id, options])?;
        Ok(())
    }

    fn insert_event(&mut self, e: &Event) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO job_events (event, at, uuid, name, queue, attempt, worker, exit_code,
                                         signal, duration_ms, message, batch_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                e.event,
                e.at,
                e.uuid,
                e.name,
                e.queue,
                e.attempt,
                e.worker,
                e.exit_code,
                e.signal,
                e.duration_ms,
                e.message,
                e.batch_id
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn insert_queued_events(&mut self, uuids: &[String], message: &str) -> Result<()> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO job_events (event, at, uuid, name, queue, message)
             SELECT 'job.queued', ?2, uuid, name, queue, ?3 FROM jobs WHERE uuid = ?1",
        )?;
        for uuid in uuids {
            insert.execute(params![uuid, self.now, message])?;
        }
        Ok(())
    }

    fn set_intent(&mut self, uuid: &str, token: &str, intent: &str) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE jobs SET intent = ?3 WHERE uuid = ?1 AND token = ?2")?
            .execute(params![uuid, token, intent])?;
        Ok(())
    }
}

/// An attempt's row: its end (`?5` finished_at, `?10` outcome), or while it runs its output so
/// far (both NULL); an end replaces the running row.
pub const ATTEMPT_UPSERT: &str = "INSERT INTO job_attempts
         (token, uuid, attempt, started_at, finished_at, worker, exit_code, signal, timed_out,
          outcome, output)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
     ON CONFLICT (token) DO UPDATE SET
         finished_at = excluded.finished_at, exit_code = excluded.exit_code,
         signal = excluded.signal, timed_out = excluded.timed_out, outcome = excluded.outcome,
         output = excluded.output
     WHERE job_attempts.finished_at IS NULL";

/// Put failed jobs back on their queues (same uuid and payload, attempts and exceptions
/// reset), newest failure first; an id given that names no failed job undoes the whole retry.
pub fn retry_failed(
    v: &mut SqliteTx<'_>,
    selection: &RetrySelection,
    now_ms: i64,
) -> Result<Vec<String>> {
    let tx = v.tx;
    let queue = match selection {
        RetrySelection::All => None,
        RetrySelection::Queue(q) => Some(q.as_str()),
        RetrySelection::Uuids(list) => return retry_listed(v, list, Missing::Refuse, now_ms),
        RetrySelection::Selected(list) => return retry_listed(v, list, Missing::Skip, now_ms),
    };
    // Set-based, as PostgreSQL's: a few statements however many jobs, newest failure first.
    let retried: Vec<String> = tx
        .prepare("SELECT uuid FROM failed_jobs WHERE (?1 IS NULL OR queue = ?1) ORDER BY id DESC")?
        .query_map([queue], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if retried.is_empty() {
        return Ok(retried);
    }
    // Only jobs with a relative --retry-until need their deadline renewed (few, if any).
    let renew: Vec<String> = tx
        .prepare(
            "SELECT uuid FROM failed_jobs WHERE (?1 IS NULL OR queue = ?1)
               AND payload LIKE '%\"retryWindow\"%'",
        )?
        .query_map([queue], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute(
        "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         SELECT uuid, queue, name, payload, ?2, ?2 FROM failed_jobs
         WHERE (?1 IS NULL OR queue = ?1) ORDER BY id DESC",
        params![queue, v.now],
    )?;
    tx.execute(
        "DELETE FROM finished_jobs
         WHERE uuid IN (SELECT uuid FROM failed_jobs WHERE (?1 IS NULL OR queue = ?1))",
        [queue],
    )?;
    tx.execute(
        "DELETE FROM failed_jobs WHERE (?1 IS NULL OR queue = ?1)",
        [queue],
    )?;
    for uuid in &renew {
        super::super::lifecycle::renew_for_retry(v, uuid, now_ms)?;
    }
    v.wake_all();
    Ok(retried)
}

/// What `retry_listed` does with a uuid that names no failed job.
#[derive(Clone, Copy, PartialEq)]
enum Missing {
    /// `retry UUID…`: an error, and nothing is retried.
    Refuse,
    /// A selection fixed before acting: the job was retried or forgotten meanwhile.
    Skip,
}

/// Each named job back, in the order given.
fn retry_listed(
    v: &mut SqliteTx<'_>,
    uuids: &[String],
    missing: Missing,
    now_ms: i64,
) -> Result<Vec<String>> {
    let tx = v.tx;
    let mut seen = std::collections::HashSet::new();
    let mut retried: Vec<String> = Vec::new();
    for uuid in uuids {
        if !seen.insert(uuid.as_str()) {
            continue;
        }
        let queue: Option<String> = tx
            .prepare_cached(
                "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                 SELECT uuid, queue, name, payload, ?2, ?2 FROM failed_jobs WHERE uuid = ?1
                 RETURNING queue",
            )?
            .query_row(params![uuid, v.now], |r| r.get(0))
            .optional()?;
        let Some(queue) = queue else {
            if missing == Missing::Refuse {
                bail!("no failed job with id {uuid} (see `queue failed`); nothing was retried");
            }
            continue;
        };
        tx.prepare_cached("DELETE FROM failed_jobs WHERE uuid = ?1")?
            .execute([uuid])?;
        tx.prepare_cached("DELETE FROM finished_jobs WHERE uuid = ?1")?
            .execute([uuid])?;
        super::super::lifecycle::renew_for_retry(v, uuid, now_ms)?;
        v.wake(&queue);
        retried.push(uuid.clone());
    }
    Ok(retried)
}

/// Set (Some) or remove (None) one setting; the controls are read at every worker's loop, so
/// `restart`, `resume` and `up` wake the idle ones.
pub fn set_setting(v: &mut SqliteTx<'_>, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(value) => v.tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?,
        None => v.tx.execute("DELETE FROM settings WHERE key = ?1", [key])?,
    };
    v.wake_all();
    Ok(())
}

/// An attempt's row as `attempt_row` and `attempt_rows` read it (a row not reserved any more
/// counts as reserved `now`).
fn attempt_row_of(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<AttemptRow> {
    let intent: Option<String> = r.get("intent")?;
    Ok(AttemptRow {
        intent: Recorded::parse(intent.as_deref()),
        payload: r.get("payload")?,
        name: r.get("name")?,
        created_at: r.get("created_at")?,
        reserved_at: r.get::<_, Option<i64>>("reserved_at")?.unwrap_or(now),
        available_at: r.get("available_at")?,
        worker_id: r.get::<_, Option<String>>("worker_id")?.unwrap_or_default(),
    })
}
