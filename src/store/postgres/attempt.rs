//! The rules around an attempt that are more than one statement, each in one transaction:
//! admission before it runs (a cancelled batch, rate limits, throttles, funnels, overlap locks,
//! an until-processing unique lock), and its end when it is not plain (the intent it recorded,
//! the locks it gives back, parked jobs woken, the next link of its chain or its catch, its
//! batch's counters and callbacks). The same rules as the SQLite store's, written in
//! PostgreSQL's SQL; moving them into one backend-neutral layer is the next step, so they are
//! kept here as they were.

use super::clock::rebase;
use super::hot::is_plain;
use super::queries::batch_from_row;
use super::sql::{BATCH_FOR_UPDATE, INSERT_FINISHED};
use super::tx::Tx;
use super::PostgresStore;
use crate::domain::job::NewJob;
use crate::domain::policy::Decision;
use crate::store::{Admission, Finished, Intent, Reserved, Verdict};
use anyhow::Result;

/// `Store::admit`: check and take what the attempt's middleware needs, or hold it back.
pub(super) fn admit(store: &mut PostgresStore, job: &Reserved, lease_ms: i64) -> Result<Admission> {
    let mw = &job.payload.middleware;
    let until_processing = job.payload.unique.as_ref().filter(|u| u.until_processing);
    if mw.is_empty() && until_processing.is_none() && job.payload.batch_id.is_none() {
        // Nothing to check or take: no round trip.
        return Ok(Admission::Run);
    }
    store.write(|tx| {
        let now = tx.now;
        if let Some(batch_id) = &job.payload.batch_id {
            // A failed job put back with `retry` / `retry-batch` runs even in its cancelled
            // batch: it is what the user asked for (it is still in failed_job_ids).
            let row = tx.opt(
                "SELECT cancelled_at IS NOT NULL, failed_job_ids FROM job_batches WHERE id = $1",
                &[batch_id],
            )?;
            if let Some(row) = row {
                let cancelled: bool = row.get(0);
                let ids: Vec<String> =
                    serde_json::from_str(row.get::<_, &str>(1)).unwrap_or_default();
                if cancelled && !ids.contains(&job.uuid) {
                    return Ok(Admission::Skip {
                        reason: format!("skipped: batch {batch_id} was cancelled"),
                    });
                }
            }
        }
        serialize_middleware(tx, job)?;
        // Each check may hold the job back; the first that does decides.
        if let Some(HeldBack {
            delay_ms,
            park_on,
            reason,
        }) = admission_check(tx, job, mw)?
        {
            let delay_ms = delay_ms.unwrap_or(lease_ms);
            tx.execute(
                "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                        token = NULL, intent = NULL, available_at = $2, parked_on = $3
                 WHERE id = $1 AND token = $4",
                &[&job.id, &(now + delay_ms), &park_on, &job.token],
            )?;
            return Ok(Admission::HeldBack { delay_ms, reason });
        }
        if let Some(unique) = until_processing {
            release_owned(tx, &unique.key, &job.uuid)?;
        }
        // It runs, so it waits on no lock any more (it may have come back by its delay
        // rather than by a wake-up): a later release must not cut short its backoff.
        if mw.funnel.is_some() || mw.without_overlapping.is_some() {
            tx.execute(
                "UPDATE jobs SET parked_on = NULL WHERE id = $1 AND parked_on IS NOT NULL",
                &[&job.id],
            )?;
        }
        Ok(Admission::Run)
    })
}

/// `Store::finish`: a plain attempt in one statement when it asked for nothing, else the
/// transaction that reads its intent, lets `decide` decide, and applies that.
pub(super) fn finish(
    store: &mut PostgresStore,
    job: &Reserved,
    output: &str,
    decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
) -> Result<Finished> {
    store.vacuum_if_due(1);
    // PostgreSQL text cannot hold NUL bytes, which a job's output may have.
    let output = &*without_nul(output);
    if is_plain(&job.payload) {
        if let Some(finished) = store.finish_plain(job, output, decide)? {
            return Ok(finished);
        }
    }
    let discard_failed = store.options.discard_failed;
    let connection = store.options.connection.clone();
    let attempts = job.attempts;
    let exceptions = job.exceptions as i64;
    store.write(|tx| {
        let now = tx.now;
        let row = tx.opt(
            "SELECT intent, payload, name, created_at FROM jobs
             WHERE id = $1 AND token = $2 FOR UPDATE",
            &[&job.id, &job.token],
        )?;
        let Some(row) = row else {
            return Ok(Finished::LeaseLost);
        };
        let intent: Option<String> = row.get(0);
        let raw_payload: String = row.get(1);
        let name: String = row.get(2);
        let created_at: i64 = row.get(3);
        let intent = intent.and_then(|text| serde_json::from_str::<Intent>(&text).ok());
        let verdict = decide(intent);
        release_after_attempt(tx, job, &verdict)?;
        let decision = verdict.decision;
        match &decision {
            Decision::Complete => {
                tx.execute("DELETE FROM jobs WHERE id = $1", &[&job.id])?;
                tx.execute(
                    INSERT_FINISHED,
                    &[
                        &job.uuid,
                        &job.queue,
                        &name,
                        &raw_payload,
                        &attempts,
                        &exceptions,
                        &output,
                        &created_at,
                        &now,
                    ],
                )?;
            }
            Decision::Release {
                delay_ms,
                exception,
            } => {
                tx.execute(
                    "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                            token = NULL, intent = NULL, available_at = $2,
                            exceptions = exceptions + $3, last_output = $4
                     WHERE id = $1",
                    &[&job.id, &(now + delay_ms), &(*exception as i64), &output],
                )?;
            }
            Decision::Fail { reason } => {
                tx.execute("DELETE FROM jobs WHERE id = $1", &[&job.id])?;
                if !discard_failed {
                    let exception = failure_text(reason, output);
                    tx.execute(
                        "INSERT INTO failed_jobs
                             (uuid, connection, queue, name, payload, exception, attempts, failed_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                         ON CONFLICT (uuid) DO UPDATE SET
                             connection = excluded.connection, queue = excluded.queue,
                             name = excluded.name, payload = excluded.payload,
                             exception = excluded.exception, attempts = excluded.attempts,
                             failed_at = excluded.failed_at",
                        &[
                            &job.uuid,
                            &connection,
                            &job.queue,
                            &name,
                            &raw_payload,
                            &exception,
                            &attempts,
                            &now,
                        ],
                    )?;
                }
            }
        }
        after_job(tx, job, &decision, &name, output)?;
        Ok(Finished::Applied(decision))
    })
}

/// Insert one job row inside a transaction; `skew` moves its instants onto the server's clock
/// (0 for jobs whose times were computed from the transaction's `now`). Idle workers of its
/// queue hear of it at the commit.
pub(super) fn insert_job(tx: &mut Tx<'_>, job: &NewJob, skew: i64) -> Result<()> {
    let raw = serde_json::to_string(&job.payload)?;
    tx.execute(
        "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &job.payload.uuid,
            &job.queue,
            &job.payload.display_name,
            &raw,
            &rebase(job.available_at, skew),
            &rebase(job.payload.created_at, skew),
        ],
    )?;
    tx.notify_queues.push(job.queue.clone());
    Ok(())
}

/// What a job's end means beyond its own row, in the same transaction: the next link of its
/// chain, the chain's catch, and its batch's counters and callbacks (as the SQLite store).
fn after_job(
    tx: &mut Tx<'_>,
    job: &Reserved,
    decision: &Decision,
    name: &str,
    output: &str,
) -> Result<()> {
    use crate::domain::batch::{chain_catch_job, FailedInfo};
    let now = tx.now;
    let p = &job.payload;
    match decision {
        Decision::Complete => {
            if let Some((next, rest)) = p.chained.split_first() {
                let mut payload = next.payload.clone();
                payload.chained = rest.to_vec();
                payload.chain_catch = p.chain_catch.clone();
                payload.batch_id = p.batch_id.clone();
                payload.created_at = now;
                let link = NewJob {
                    queue: next.queue.clone(),
                    available_at: now + next.delay_ms,
                    unique_expires_at: None,
                    encrypt: false,
                    payload,
                };
                insert_job(tx, &link, 0)?;
            }
            if let Some(batch_id) = &p.batch_id {
                batch_counts(tx, batch_id, &job.uuid, None)?;
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
                let catch = chain_catch_job(
                    command,
                    &failed,
                    &job.queue,
                    &p.cwd,
                    crate::clock::new_uuid(),
                    now,
                );
                insert_job(tx, &catch, 0)?;
            }
            if let Some(batch_id) = &p.batch_id {
                batch_counts(tx, batch_id, &job.uuid, Some(&failed))?;
            }
        }
        Decision::Release { .. } => {}
    }
    Ok(())
}

/// Count a batched job's success (failed = None) or final failure, and queue the callbacks
/// that this update fires (reference §9.3). The batch row is locked first, so concurrent ends
/// of jobs of one batch count one after another and each callback fires once.
fn batch_counts(
    tx: &mut Tx<'_>,
    batch_id: &str,
    uuid: &str,
    failed: Option<&crate::domain::batch::FailedInfo<'_>>,
) -> Result<()> {
    use crate::domain::batch::{callback_job, tally, Counts, Tally};
    let now = tx.now;
    let row = tx.opt(BATCH_FOR_UPDATE, &[&batch_id])?;
    let Some(batch) = row.as_ref().map(batch_from_row) else {
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
    tx.execute(
        "UPDATE job_batches SET pending_jobs = $2, failed_jobs = $3, failed_job_ids = $4,
                finished_at = CASE WHEN $5 THEN $7
                                   WHEN $6 THEN COALESCE(finished_at, $7)
                                   ELSE finished_at END,
                cancelled_at = CASE WHEN $6 THEN COALESCE(cancelled_at, $7) ELSE cancelled_at END
         WHERE id = $1",
        &[
            &batch_id,
            &counts.pending,
            &counts.failed,
            &serde_json::to_string(&ids)?,
            &effects.finish,
            &effects.cancel,
            &now,
        ],
    )?;
    for kind in effects.callbacks {
        let job = callback_job(
            kind,
            batch_id,
            &batch.name,
            &batch.options,
            counts,
            cancelled,
            failed,
            crate::clock::new_uuid(),
            now,
        );
        if let Some(job) = job {
            insert_job(tx, &job, 0)?;
        }
    }
    Ok(())
}

/// Take `key` for `owner` until `expires_at` (server time), freeing it first if its holder is
/// gone: an expired lock, a unique lock whose job left the queue, or an overlap/funnel lock
/// whose attempt is no longer running (its worker died: the lease expired or was freed).
/// Returns the holder when busy.
pub(super) fn take_lock(
    tx: &mut Tx<'_>,
    key: &str,
    owner: &str,
    expires_at: i64,
) -> Result<Option<String>> {
    let now = tx.now;
    tx.execute(
        "DELETE FROM locks WHERE key = $1 AND owner <> $2 AND (
             expires_at <= $3
             OR (key LIKE 'unique:%' AND NOT EXISTS (SELECT 1 FROM jobs WHERE uuid = locks.owner))
             OR ((key LIKE 'overlap:%' OR key LIKE 'funnel:%') AND NOT EXISTS (
                 SELECT 1 FROM jobs WHERE token = locks.owner AND reserved_at IS NOT NULL
                                      AND lease_expires_at > $3)))",
        &[&key, &owner, &now],
    )?;
    tx.execute(
        "INSERT INTO locks (key, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
         WHERE locks.owner = excluded.owner",
        &[&key, &owner, &expires_at],
    )?;
    let holder: String = tx
        .one("SELECT owner FROM locks WHERE key = $1", &[&key])?
        .get(0);
    Ok((holder != owner).then_some(holder))
}

pub(super) fn release_owned(tx: &mut Tx<'_>, key: &str, owner: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM locks WHERE key = $1 AND owner = $2",
        &[&key, &owner],
    )?;
    Ok(())
}

/// A lock was released: the first job parked on it may go now (and idle workers hear of it).
fn wake_parked(tx: &mut Tx<'_>, key: &str) -> Result<()> {
    let now = tx.now;
    let woken = tx.execute(
        "UPDATE jobs SET available_at = $2, parked_on = NULL
         WHERE id = (SELECT id FROM jobs WHERE parked_on = $1 AND reserved_at IS NULL
                     ORDER BY available_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)",
        &[&key, &now],
    )?;
    if woken > 0 {
        tx.notify = true;
    }
    Ok(())
}

/// A fixed window that is open: its hits so far, and when it closes.
struct Window {
    hits: i64,
    ends_at: i64,
}

/// A fixed window's count while the window is open.
fn window(tx: &mut Tx<'_>, key: &str) -> Result<Option<Window>> {
    let now = tx.now;
    Ok(tx
        .opt(
            "SELECT hits, window_ends_at FROM limiters WHERE key = $1 AND window_ends_at > $2",
            &[&key, &now],
        )?
        .map(|r| Window {
            hits: r.get(0),
            ends_at: r.get(1),
        }))
}

/// Count one hit in a fixed window of `seconds` that opens at the first hit.
fn hit(tx: &mut Tx<'_>, key: &str, seconds: u64) -> Result<()> {
    let now = tx.now;
    tx.execute(
        "INSERT INTO limiters (key, hits, window_ends_at) VALUES ($1, 1, $2::bigint + $3::bigint)
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN limiters.window_ends_at > $2 THEN limiters.hits + 1 ELSE 1 END,
             window_ends_at = CASE WHEN limiters.window_ends_at > $2
                                   THEN limiters.window_ends_at ELSE $2::bigint + $3::bigint END",
        &[&key, &now, &(seconds as i64 * 1000)],
    )?;
    Ok(())
}

/// Why and for how long an admission check holds a job back.
struct HeldBack {
    /// None means "until the lease length".
    delay_ms: Option<i64>,
    /// The lock whose release wakes the job early.
    park_on: Option<String>,
    reason: String,
}

/// The middleware checks of `admit`, in order; takes what it needs when the job may run.
fn admission_check(
    tx: &mut Tx<'_>,
    job: &Reserved,
    mw: &crate::domain::middleware::Middleware,
) -> Result<Option<HeldBack>> {
    use crate::domain::middleware::{funnel_slot_key, overlap_key, rate_key, throttle_key};
    let now = tx.now;
    if let Some(t) = &mw.throttle_exceptions {
        if let Some(Window { hits, ends_at }) = window(tx, &throttle_key(&t.key))? {
            if hits >= t.max as i64 {
                let reason = format!(
                    "throttled: {} exceptions for '{}' within {}s",
                    hits, t.key, t.seconds
                );
                return Ok(Some(HeldBack {
                    delay_ms: Some(ends_at - now),
                    park_on: None,
                    reason,
                }));
            }
        }
    }
    if let Some(r) = &mw.rate_limit {
        if let Some(Window { hits, ends_at }) = window(tx, &rate_key(&r.key))? {
            if hits >= r.max as i64 {
                let reason = format!(
                    "rate limit '{}': {} per {}s reached",
                    r.key, r.max, r.seconds
                );
                return Ok(Some(HeldBack {
                    delay_ms: Some(ends_at - now),
                    park_on: None,
                    reason,
                }));
            }
        }
    }
    let mut slot_taken = None;
    if let Some(f) = &mw.funnel {
        for slot in 1..=f.max {
            let key = funnel_slot_key(&f.key, slot);
            if take_lock(tx, &key, &job.token, i64::MAX)?.is_none() {
                slot_taken = Some(key);
                break;
            }
        }
        if slot_taken.is_none() {
            let reason = format!("funnel '{}': {} running", f.key, f.max);
            return Ok(Some(HeldBack {
                delay_ms: None,
                park_on: Some(format!("funnel:{}", f.key)),
                reason,
            }));
        }
    }
    if let Some(key) = &mw.without_overlapping {
        let lock = overlap_key(key);
        if take_lock(tx, &lock, &job.token, i64::MAX)?.is_some() {
            if let Some(slot) = slot_taken {
                release_owned(tx, &slot, &job.token)?;
            }
            let reason = format!("without-overlapping '{key}': another job holds it");
            return Ok(Some(HeldBack {
                delay_ms: None,
                park_on: Some(lock),
                reason,
            }));
        }
    }
    if let Some(r) = &mw.rate_limit {
        hit(tx, &rate_key(&r.key), r.seconds)?;
    }
    Ok(None)
}

/// Concurrent transactions on the same middleware keys take turns, as SQLite's writers do:
/// a rate-limit window is read and counted, or a funnel's slots tried, by one at a time.
/// Locks are taken in key order (no deadlock) and held until the transaction ends.
fn serialize_middleware(tx: &mut Tx<'_>, job: &Reserved) -> Result<()> {
    use crate::domain::middleware::{overlap_key, rate_key, throttle_key};
    let mw = &job.payload.middleware;
    let mut keys: Vec<String> = Vec::new();
    keys.extend(mw.rate_limit.as_ref().map(|r| rate_key(&r.key)));
    keys.extend(
        mw.throttle_exceptions
            .as_ref()
            .map(|t| throttle_key(&t.key)),
    );
    keys.extend(mw.funnel.as_ref().map(|f| format!("funnel:{}", f.key)));
    keys.extend(mw.without_overlapping.as_ref().map(|k| overlap_key(k)));
    if keys.is_empty() {
        return Ok(());
    }
    keys.sort();
    tx.query(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
         FROM unnest($1::text[]) AS k ORDER BY k",
        &[&keys],
    )?;
    Ok(())
}

/// After an attempt: give back what it held and count what its middleware counts.
fn release_after_attempt(tx: &mut Tx<'_>, job: &Reserved, verdict: &Verdict) -> Result<()> {
    use crate::domain::middleware::{funnel_slot_key, overlap_key, throttle_key};
    serialize_middleware(tx, job)?;
    let p = &job.payload;
    if let Some(key) = &p.middleware.without_overlapping {
        let lock = overlap_key(key);
        release_owned(tx, &lock, &job.token)?;
        wake_parked(tx, &lock)?;
    }
    if let Some(f) = &p.middleware.funnel {
        for slot in 1..=f.max {
            release_owned(tx, &funnel_slot_key(&f.key, slot), &job.token)?;
        }
        wake_parked(tx, &format!("funnel:{}", f.key))?;
    }
    let ended = matches!(verdict.decision, Decision::Complete | Decision::Fail { .. });
    if let Some(unique) = p.unique.as_ref().filter(|_| ended) {
        release_owned(tx, &unique.key, &job.uuid)?;
    }
    if let Some(t) = &p.middleware.throttle_exceptions {
        let key = throttle_key(&t.key);
        if verdict.threw {
            hit(tx, &key, t.seconds)?;
        } else if verdict.decision == Decision::Complete {
            // It counts consecutive exceptions: a success starts over.
            tx.execute("DELETE FROM limiters WHERE key = $1", &[&key])?;
        }
    }
    Ok(())
}

/// Text as PostgreSQL can store it: NUL bytes become U+FFFD.
pub(super) fn without_nul(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The text stored in failed_jobs.exception: the reason on the first line, then the output tail.
pub(super) fn failure_text(reason: &str, output: &str) -> String {
    if output.trim().is_empty() {
        reason.to_string()
    } else {
        format!("{reason}\n--- output (last 64 KiB) ---\n{output}")
    }
}
