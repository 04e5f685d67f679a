//! PostgreSQL's statements for the lifecycle (`store::verbs`), inside one transaction of
//! `Tx`. Its `now` is the server's clock read at BEGIN; instants the caller brings are moved
//! by the measured clock difference (`rebase`); wake-ups become NOTIFYs sent before COMMIT, so
//! that listeners on every host hear of the work exactly when it is visible. Concurrent
//! transactions on the same middleware keys take turns on advisory locks (`serialize`), as
//! SQLite's writers do by design.

use super::super::verbs::{
    AttemptRecord, AttemptRow, BatchLock, BatchRow, BatchUpdate, FailedRow, FinishedRow, HoldBack,
    JobRow, QueuedRow, Requeue, Verbs, Window,
};
use super::super::BatchView;
use super::clock::rebase;
use super::queries::stored_batch;
use super::sql::{ATTEMPT_UPSERT, BATCH, BATCH_FOR_UPDATE, INSERT_FINISHED};
use super::tx::Tx;
use crate::domain::events::Event;
use crate::domain::policy::Recorded;
use anyhow::Result;
use std::borrow::Cow;

/// Text as PostgreSQL can store it: NUL bytes (which a job's output may have) become U+FFFD.
pub fn without_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

impl Verbs for Tx<'_> {
    fn record_metric(&mut self, sample: &crate::domain::metrics::Sample<'_>) -> Result<()> {
        super::metrics::record(self, sample)
    }

    fn now(&self) -> i64 {
        self.now
    }

    fn rebase(&self, at: i64) -> i64 {
        rebase(at, self.skew)
    }

    fn wake(&mut self, queue: &str) {
        if !self.notify_queues.iter().any(|q| q == queue) {
            self.notify_queues.push(queue.to_string());
        }
    }

    fn wake_all(&mut self) {
        self.notify = true;
    }

    fn insert_job(&mut self, row: &JobRow<'_>) -> Result<()> {
        self.execute(
            "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &row.uuid,
                &row.queue,
                &row.name,
                &row.payload,
                &row.available_at,
                &row.created_at,
            ],
        )?;
        Ok(())
    }

    fn queued_payload(&mut self, uuid: &str) -> Result<Option<(i64, String)>> {
        let row = self.opt("SELECT id, payload FROM jobs WHERE uuid = $1", &[&uuid])?;
        Ok(row.map(|r| (r.get("id"), r.get("payload"))))
    }

    fn set_payload(&mut self, id: i64, payload: &str) -> Result<()> {
        self.execute(
            "UPDATE jobs SET payload = $2 WHERE id = $1",
            &[&id, &payload],
        )?;
        Ok(())
    }

    fn insert_jobs(&mut self, rows: &[JobRow<'_>]) -> Result<()> {
        if rows.len() == 1 {
            return self.insert_job(&rows[0]);
        }
        let uuids: Vec<&str> = rows.iter().map(|r| r.uuid).collect();
        let queues: Vec<&str> = rows.iter().map(|r| r.queue).collect();
        let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
        let payloads: Vec<&str> = rows.iter().map(|r| r.payload).collect();
        let available: Vec<i64> = rows.iter().map(|r| r.available_at).collect();
        let created: Vec<i64> = rows.iter().map(|r| r.created_at).collect();
        self.execute(
            "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
             SELECT uuid, queue, name, payload, available_at, created_at
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                         $6::bigint[]) WITH ORDINALITY
                  AS t(uuid, queue, name, payload, available_at, created_at, n)
             ORDER BY n",
            &[&uuids, &queues, &names, &payloads, &available, &created],
        )?;
        Ok(())
    }

    fn attempt_row(&mut self, id: i64, token: &str) -> Result<Option<AttemptRow>> {
        let row = self.opt(
            "SELECT intent, payload, name, created_at, reserved_at, available_at, worker_id FROM jobs
             WHERE id = $1 AND token = $2 FOR UPDATE",
            &[&id, &token],
        )?;
        Ok(row.map(|r| {
            let intent: Option<String> = r.get("intent");
            AttemptRow {
                intent: Recorded::parse(intent.as_deref()),
                payload: r.get("payload"),
                name: r.get("name"),
                created_at: r.get("created_at"),
                reserved_at: r.get::<_, Option<i64>>("reserved_at").unwrap_or(self.now),
                available_at: r.get("available_at"),
                worker_id: r.get::<_, Option<String>>("worker_id").unwrap_or_default(),
            }
        }))
    }

    fn delete_job(&mut self, id: i64) -> Result<()> {
        self.execute("DELETE FROM jobs WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn insert_finished(&mut self, row: &FinishedRow<'_>) -> Result<()> {
        // PostgreSQL text cannot hold NUL bytes, which a job's output may have.
        let output = without_nul(row.output);
        self.execute(
            INSERT_FINISHED,
            &[
                &row.uuid,
                &row.queue,
                &row.name,
                &row.payload,
                &row.attempts,
                &(row.exceptions as i64),
                &&*output,
                &row.created_at,
                &row.finished_at,
            ],
        )?;
        Ok(())
    }

    fn record_attempt(&mut self, a: &AttemptRecord<'_>) -> Result<()> {
        let output = without_nul(a.output);
        self.execute(
            ATTEMPT_UPSERT,
            &[
                &a.token,
                &a.uuid,
                &a.attempt,
                &a.started_at,
                &a.finished_at,
                &a.worker,
                &a.exit.code,
                &a.exit.signal,
                &a.exit.timed_out,
                &a.outcome,
                &&*output,
            ],
        )?;
        Ok(())
    }

    fn queued(&mut self, uuid: &str) -> Result<Option<QueuedRow>> {
        let row = self.opt(
            "SELECT id, queue, reserved_at, available_at, payload FROM jobs
             WHERE uuid = $1 FOR UPDATE",
            &[&uuid],
        )?;
        Ok(row.map(|r| QueuedRow {
            id: r.get("id"),
            queue: r.get("queue"),
            reserved: r.get::<_, Option<i64>>("reserved_at").is_some(),
            available_at: r.get("available_at"),
            payload: r.get("payload"),
        }))
    }

    fn make_available(&mut self, id: i64) -> Result<()> {
        let now = self.now;
        self.execute(
            "UPDATE jobs SET available_at = $2, parked_on = NULL WHERE id = $1",
            &[&id, &now],
        )?;
        Ok(())
    }

    fn forget_attempts(&mut self, uuid: &str) -> Result<()> {
        self.execute(super::sql::FORGET_GONE_ATTEMPTS, &[&uuid])?;
        Ok(())
    }

    fn insert_failed(&mut self, row: &FailedRow<'_>) -> Result<()> {
        let exception = without_nul(row.exception);
        self.execute(
            "INSERT INTO failed_jobs
                 (uuid, connection, queue, name, payload, exception, attempts, failed_at,
                  exceptions)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (uuid) DO UPDATE SET
                 connection = excluded.connection, queue = excluded.queue,
                 name = excluded.name, payload = excluded.payload,
                 exception = excluded.exception, attempts = excluded.attempts,
                 failed_at = excluded.failed_at, exceptions = excluded.exceptions",
            &[
                &row.uuid,
                &row.connection,
                &row.queue,
                &row.name,
                &row.payload,
                &&*exception,
                &row.attempts,
                &row.failed_at,
                &i64::from(row.exceptions),
            ],
        )?;
        Ok(())
    }

    fn requeue(&mut self, r: &Requeue<'_>) -> Result<()> {
        let output = without_nul(r.output);
        self.execute(
            "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                    token = NULL, intent = NULL, available_at = $2,
                    exceptions = exceptions + $3, last_output = $4
             WHERE id = $1",
            &[&r.id, &r.available_at, &(r.exception as i64), &&*output],
        )?;
        Ok(())
    }

    fn hold_back(&mut self, h: &HoldBack<'_>) -> Result<()> {
        self.execute(
            "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                    token = NULL, intent = NULL, available_at = $2, parked_on = $3
             WHERE id = $1 AND token = $4",
            &[&h.id, &h.available_at, &h.parked_on, &h.token],
        )?;
        Ok(())
    }

    fn unpark(&mut self, id: i64) -> Result<()> {
        self.execute(
            "UPDATE jobs SET parked_on = NULL WHERE id = $1 AND parked_on IS NOT NULL",
            &[&id],
        )?;
        Ok(())
    }

    fn wake_parked(&mut self, key: &str) -> Result<Option<String>> {
        let now = self.now;
        let row = self.opt(
            "UPDATE jobs SET available_at = $2, parked_on = NULL
             WHERE id = (SELECT id FROM jobs WHERE parked_on = $1 AND reserved_at IS NULL
                         ORDER BY available_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING queue",
            &[&key, &now],
        )?;
        Ok(row.map(|r| r.get("queue")))
    }

    fn take_lock(&mut self, key: &str, owner: &str, expires_at: i64) -> Result<Option<String>> {
        let now = self.now;
        self.execute(
            "DELETE FROM locks WHERE key = $1 AND owner <> $2 AND (
                 expires_at <= $3
                 OR (key LIKE 'unique:%'
                     AND NOT EXISTS (SELECT 1 FROM jobs WHERE uuid = locks.owner))
                 OR ((key LIKE 'overlap:%' OR key LIKE 'funnel:%') AND NOT EXISTS (
                     SELECT 1 FROM jobs WHERE token = locks.owner AND reserved_at IS NOT NULL
                                          AND lease_expires_at > $3)))",
            &[&key, &owner, &now],
        )?;
        self.execute(
            "INSERT INTO locks (key, owner, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
             WHERE locks.owner = excluded.owner",
            &[&key, &owner, &expires_at],
        )?;
        let holder: String = self
            .one("SELECT owner FROM locks WHERE key = $1", &[&key])?
            .get(0);
        Ok((holder != owner).then_some(holder))
    }

    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()> {
        self.execute(
            "DELETE FROM locks WHERE key = $1 AND owner = $2",
            &[&key, &owner],
        )?;
        Ok(())
    }

    fn serialize(&mut self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        // Held until the transaction ends; taken in key order, so two cannot deadlock.
        self.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
             FROM unnest($1::text[]) AS k ORDER BY k",
            &[&keys],
        )?;
        Ok(())
    }

    fn window(&mut self, key: &str) -> Result<Option<Window>> {
        let now = self.now;
        Ok(self
            .opt(
                "SELECT hits, window_ends_at FROM limiters WHERE key = $1 AND window_ends_at > $2",
                &[&key, &now],
            )?
            .map(|r| Window {
                hits: r.get("hits"),
                ends_at: r.get("window_ends_at"),
            }))
    }

    fn hit(&mut self, key: &str, seconds: u64) -> Result<()> {
        let now = self.now;
        self.execute(
            "INSERT INTO limiters (key, hits, window_ends_at) VALUES ($1, 1, $2::bigint + $3::bigint)
             ON CONFLICT (key) DO UPDATE SET
                 hits = CASE WHEN limiters.window_ends_at > $2 THEN limiters.hits + 1 ELSE 1 END,
                 window_ends_at = CASE WHEN limiters.window_ends_at > $2
                                       THEN limiters.window_ends_at
                                       ELSE $2::bigint + $3::bigint END",
            &[&key, &now, &(seconds as i64 * 1000)],
        )?;
        Ok(())
    }

    fn reset_limiter(&mut self, key: &str) -> Result<()> {
        self.execute("DELETE FROM limiters WHERE key = $1", &[&key])?;
        Ok(())
    }

    fn batch(&mut self, id: &str, lock: BatchLock) -> Result<Option<BatchView>> {
        let sql = match lock {
            BatchLock::Share => BATCH,
            // Concurrent ends of jobs of one batch count one after another.
            BatchLock::ForUpdate => BATCH_FOR_UPDATE,
        };
        let row = self.opt(sql, &[&id])?;
        Ok(row.as_ref().map(stored_batch).map(BatchView::from))
    }

    fn update_batch(&mut self, u: &BatchUpdate<'_>) -> Result<()> {
        let now = self.now;
        self.execute(
            "UPDATE job_batches SET pending_jobs = $2, failed_jobs = $3, failed_job_ids = $4,
                    finished_at = CASE WHEN $5 THEN $7
                                       WHEN $6 THEN COALESCE(finished_at, $7)
                                       ELSE finished_at END,
                    cancelled_at = CASE WHEN $6 THEN COALESCE(cancelled_at, $7)
                                        ELSE cancelled_at END
             WHERE id = $1",
            &[
                &u.id,
                &u.pending,
                &u.failed,
                &serde_json::to_string(u.failed_job_ids)?,
                &u.finish,
                &u.cancel,
                &now,
            ],
        )?;
        Ok(())
    }

    fn insert_batch(&mut self, b: &BatchRow<'_>) -> Result<()> {
        self.execute(
            "INSERT INTO job_batches (id, name, total_jobs, pending_jobs, failed_jobs,
                                      failed_job_ids, options, created_at)
             VALUES ($1, $2, $3, $3, 0, '[]', $4, $5)",
            &[&b.id, &b.name, &b.total_jobs, &b.options, &b.created_at],
        )?;
        Ok(())
    }

    fn grow_batch(&mut self, id: &str, added: i64) -> Result<bool> {
        let changed = self.execute(
            "UPDATE job_batches SET total_jobs = total_jobs + $2,
                    pending_jobs = pending_jobs + $2, finished_at = NULL
             WHERE id = $1",
            &[&id, &added],
        )?;
        Ok(changed == 1)
    }

    fn running_intent(&mut self, uuid: &str, token: &str) -> Result<Option<Option<String>>> {
        let row = self.opt(
            "SELECT intent FROM jobs
             WHERE uuid = $1 AND token = $2 AND reserved_at IS NOT NULL FOR UPDATE",
            &[&uuid, &token],
        )?;
        Ok(row.map(|r| r.get::<_, Option<String>>(0)))
    }

    fn set_batch_options(&mut self, id: &str, options: &str) -> Result<()> {
        self.execute(
            "UPDATE job_batches SET options = $2 WHERE id = $1",
            &[&id, &options],
        )?;
        Ok(())
    }

    fn insert_event(&mut self, e: &Event) -> Result<i64> {
        let message = e.message.as_deref().map(without_nul);
        let message = message.as_deref();
        let row = self.one(
            "INSERT INTO job_events (event, at, uuid, name, queue, attempt, worker, exit_code,
                                     signal, duration_ms, message, batch_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             RETURNING id",
            &[
                &e.event,
                &e.at,
                &e.uuid,
                &e.name,
                &e.queue,
                &e.attempt,
                &e.worker,
                &e.exit_code,
                &e.signal,
                &e.duration_ms,
                &message,
                &e.batch_id,
            ],
        )?;
        Ok(row.get(0))
    }

    fn insert_events(&mut self, events: &[Event]) -> Result<()> {
        let column = |f: fn(&Event) -> Option<String>| events.iter().map(f).collect::<Vec<_>>();
        let number = |f: fn(&Event) -> Option<i64>| events.iter().map(f).collect::<Vec<_>>();
        let code = |f: fn(&Event) -> Option<i32>| events.iter().map(f).collect::<Vec<_>>();
        let event = column(|e| Some(e.event.clone()));
        let at = number(|e| Some(e.at));
        let uuid = column(|e| e.uuid.clone());
        let name = column(|e| e.name.clone());
        let queue = column(|e| e.queue.clone());
        let attempt = number(|e| e.attempt);
        let worker = column(|e| e.worker.clone());
        let exit_code = code(|e| e.exit_code);
        let signal = code(|e| e.signal);
        let duration_ms = number(|e| e.duration_ms);
        let message = column(|e| e.message.as_deref().map(|m| without_nul(m).into_owned()));
        let batch_id = column(|e| e.batch_id.clone());
        self.execute(
            "INSERT INTO job_events (event, at, uuid, name, queue, attempt, worker, exit_code,
                                     signal, duration_ms, message, batch_id)
             SELECT event, at, uuid, name, queue, attempt, worker, exit_code, signal,
                    duration_ms, message, batch_id
             FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[],
                         $6::int8[], $7::text[], $8::int4[], $9::int4[], $10::int8[],
                         $11::text[], $12::text[]) WITH ORDINALITY
                  AS e(event, at, uuid, name, queue, attempt, worker, exit_code, signal,
                       duration_ms, message, batch_id, n)
             ORDER BY n",
            &[
                &event,
                &at,
                &uuid,
                &name,
                &queue,
                &attempt,
                &worker,
                &exit_code,
                &signal,
                &duration_ms,
                &message,
                &batch_id,
            ],
        )?;
        Ok(())
    }

    fn insert_queued_events(&mut self, uuids: &[String], message: &str) -> Result<()> {
        let now = self.now;
        self.execute(
            "INSERT INTO job_events (event, at, uuid, name, queue, message)
             SELECT 'job.queued', $2, j.uuid, j.name, j.queue, $3
             FROM unnest($1::text[]) WITH ORDINALITY AS u(uuid, n)
             JOIN jobs j ON j.uuid = u.uuid ORDER BY u.n",
            &[&uuids, &now, &message],
        )?;
        Ok(())
    }

    fn set_intent(&mut self, uuid: &str, token: &str, intent: &str) -> Result<()> {
        self.execute(
            "UPDATE jobs SET intent = $3 WHERE uuid = $1 AND token = $2",
            &[&uuid, &token, &intent],
        )?;
        Ok(())
    }
}
