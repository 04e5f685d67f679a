//! The paths every job takes, each as few round trips and commits as it can be, all measured:
//! - a dispatch of jobs without unique locks is one statement (`insert_all`), which on a fresh
//!   connection also checks the schema version (`INSERT_JOB(S)_IF_CURRENT`);
//! - a claim is one statement (`CLAIM`, `FOR UPDATE SKIP LOCKED`), after the worker's session
//!   settings (`enter_worker_session`) and, at most once a second per connection, the sweep that
//!   frees expired leases (`FREE_EXPIRED`);
//! - a busy worker completes its plain attempts and claims the next jobs in one statement
//!   (`FINISH_AND_CLAIM`), and any plain attempt ends in one (`FINISH_COMPLETE` / `_RELEASE` /
//!   `_FAIL` / `_DISCARD`); everything else ends in `attempt::finish`'s transaction;
//! - now and then the worker vacuums the jobs table itself.

use super::attempt::{failure_text, take_lock, without_nul};
use super::clock::{at_offset, rebase, SKEW_NOISE_MS};
use super::queries::parse_payload;
use super::sql::{
    CLAIM, FINISH_AND_CLAIM, FINISH_COMPLETE, FINISH_DISCARD, FINISH_FAIL, FINISH_RELEASE,
    FREE_EXPIRED, INSERT_JOB, INSERT_JOBS, INSERT_JOBS_IF_CURRENT, INSERT_JOB_IF_CURRENT,
};
use super::{PostgresStore, WAKE_CHANNEL};
use crate::domain::job::{NewJob, Payload};
use crate::domain::policy::Decision;
use crate::store::migrate;
use crate::store::{Claim, Ending, Enqueued, Finished, Intent, Reserved, Store, Verdict};
use anyhow::{bail, Result};
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::Row;
use std::collections::HashSet;
use std::time::Duration;

/// A busy worker vacuums the jobs table after this many attempts, at most this often.
const VACUUM_EVERY_JOBS: u64 = 1_000;
const VACUUM_GAP: Duration = Duration::from_secs(2);

/// How often, by the caller's clock, a claiming connection frees expired reservations. Leases
/// last a minute or more, so a second more before a dead worker's job runs again is nothing.
const FREE_EXPIRED_EVERY_MS: i64 = 1_000;

/// A job to dispatch, with its payload as stored.
pub(super) struct Encoded<'a> {
    pub payload: String,
    pub job: &'a NewJob,
}

/// `Store::enqueue`: jobs without unique locks in one statement (`insert_all`); otherwise one
/// transaction that takes each unique lock and inserts the jobs whose lock it got.
pub(super) fn enqueue(store: &mut PostgresStore, jobs: &[NewJob]) -> Result<Vec<Enqueued>> {
    store.leave_worker_session()?;
    let rows: Vec<Encoded<'_>> = jobs
        .iter()
        .map(|job| {
            Ok(Encoded {
                payload: serde_json::to_string(&job.payload)?,
                job,
            })
        })
        .collect::<Result<_>>()?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    if jobs.iter().all(|j| j.payload.unique.is_none()) {
        return store.insert_all(&rows);
    }
    store.write(|tx| {
        let skew = tx.skew;
        let mut results = Vec::with_capacity(rows.len());
        for Encoded { payload: raw, job } in &rows {
            if let Some(unique) = &job.payload.unique {
                let expires = rebase(job.unique_expires_at.unwrap_or(i64::MAX), skew);
                if let Some(holder) = take_lock(tx, &unique.key, &job.payload.uuid, expires)? {
                    results.push(Enqueued::Skipped { held_by: holder });
                    continue;
                }
            }
            tx.execute(
                "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &job.payload.uuid,
                    &job.queue,
                    &job.payload.display_name,
                    raw,
                    &rebase(job.available_at, skew),
                    &rebase(job.payload.created_at, skew),
                ],
            )?;
            results.push(Enqueued::Dispatched);
        }
        tx.notify_queues = rows
            .iter()
            .zip(&results)
            .filter(|(_, r)| **r == Enqueued::Dispatched)
            .map(|(row, _)| row.job.queue.clone())
            .collect();
        Ok(results)
    })
}

/// `Store::claim_many`: strict priority, the next queue only for what the ones before could
/// not fill.
pub(super) fn claim_many(
    store: &mut PostgresStore,
    claim: &Claim<'_>,
    limit: usize,
) -> Result<Vec<Reserved>> {
    store.before_claim()?;
    let mut jobs: Vec<Reserved> = Vec::new();
    for queue in claim.queues {
        if jobs.len() >= limit {
            break;
        }
        let want = (limit - jobs.len()) as i64;
        let rows = store.query(CLAIM, &[queue, &claim.lease_ms, &claim.worker_id, &want])?;
        jobs.extend(claimed_jobs(rows)?);
    }
    Ok(jobs)
}

/// `Store::finish_and_claim`: the plain completions and the claim of the first queue in one
/// statement (`FINISH_AND_CLAIM`); every other end first, in its own transaction.
pub(super) fn finish_and_claim(
    store: &mut PostgresStore,
    endings: &mut [Ending<'_>],
    now_ms: i64,
    next: Option<(&Claim<'_>, usize)>,
) -> Result<(Vec<Finished>, Vec<Reserved>)> {
    let Some((claim, limit)) = next.filter(|(c, limit)| *limit > 0 && !c.queues.is_empty()) else {
        let finished = store.finish_many(endings, now_ms)?;
        return Ok((finished, Vec::new()));
    };
    // Attempts whose end needs more than deleting their row (a release, a failure, a
    // chain, a batch, middleware, an intent …) end first in their own transactions.
    let mut finished: Vec<Option<Finished>> = vec![None; endings.len()];
    let mut together: Vec<usize> = Vec::new();
    for (i, e) in endings.iter_mut().enumerate() {
        if is_plain(&e.job.payload) && (e.decide)(None).decision == Decision::Complete {
            together.push(i);
        } else {
            finished[i] = Some(store.finish(e.job, e.output, now_ms, &mut *e.decide)?);
        }
    }
    if together.is_empty() {
        let finished = finished
            .into_iter()
            .map(|f| f.expect("set above"))
            .collect();
        return Ok((finished, store.claim_many(claim, limit)?));
    }
    store.before_claim()?;
    let ids: Vec<i64> = together.iter().map(|&i| endings[i].job.id).collect();
    let tokens: Vec<&str> = together
        .iter()
        .map(|&i| endings[i].job.token.as_str())
        .collect();
    // PostgreSQL text cannot hold NUL bytes, which a job's output may have.
    let outputs: Vec<String> = together
        .iter()
        .map(|&i| without_nul(endings[i].output).into_owned())
        .collect();
    let want = limit as i64;
    let rows = store.query(
        FINISH_AND_CLAIM,
        &[
            &claim.queues[0],
            &claim.lease_ms,
            &claim.worker_id,
            &want,
            &ids,
            &tokens,
            &outputs,
        ],
    )?;
    store.vacuum_if_due(together.len() as u64);
    let completed: HashSet<String> = rows
        .first()
        .and_then(|r| r.get::<_, Option<Vec<String>>>("uuids"))
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut jobs = claimed_jobs(rows)?;
    for i in together {
        let e = &mut endings[i];
        finished[i] = Some(if completed.contains(&e.job.uuid) {
            Finished::Applied(Decision::Complete)
        } else {
            // It asked for something from inside, or its reservation is gone: the full
            // transaction reads which and decides again.
            store.finish(e.job, e.output, now_ms, &mut *e.decide)?
        });
    }
    // Later queues only for what the first could not fill.
    if jobs.len() < limit && claim.queues.len() > 1 {
        let rest = Claim {
            queues: &claim.queues[1..],
            ..claim.clone()
        };
        jobs.extend(store.claim_many(&rest, limit - jobs.len())?);
    }
    let finished = finished
        .into_iter()
        .map(|f| f.expect("set above"))
        .collect();
    Ok((finished, jobs))
}

impl PostgresStore {
    /// Every claimed and finished job leaves dead row versions at the head of the claim index,
    /// which each claim then walks past until they are vacuumed; autovacuum looks only once a
    /// minute, so a busy worker vacuums the jobs table itself now and then (a few ms; skipped
    /// while another worker does it, and a no-op with a warning for a user that does not own
    /// the table).
    pub(super) fn vacuum_if_due(&mut self, finished: u64) {
        self.finished += finished;
        if self.finished < VACUUM_EVERY_JOBS
            || self.vacuumed.is_some_and(|at| at.elapsed() < VACUUM_GAP)
        {
            return;
        }
        self.finished = 0;
        self.vacuumed = Some(std::time::Instant::now());
        let _ = self.client.batch_execute("VACUUM (SKIP_LOCKED) jobs");
    }

    /// Before a claim: the worker's session settings, and expired reservations freed unless
    /// this connection did that in the last second (a clock that moved back counts as due).
    fn before_claim(&mut self) -> Result<()> {
        self.ensure_connected()?;
        self.enter_worker_session();
        let now = self.clock.now_ms();
        if self
            .freed_expired_at
            .is_some_and(|at| (0..FREE_EXPIRED_EVERY_MS).contains(&(now - at)))
        {
            return Ok(());
        }
        self.query(FREE_EXPIRED, &[&WAKE_CHANNEL])?;
        self.freed_expired_at = Some(now);
        Ok(())
    }

    /// Jobs without unique locks, all at once and the wake-up with them: one statement (one
    /// round trip, one transaction) however many jobs; ids follow the given order. Until the
    /// schema was looked at, the statement looks at it too: it inserts only into a current
    /// schema, and otherwise the schema is checked (or migrated) as at any first use and the
    /// insert made again.
    fn insert_all(&mut self, rows: &[Encoded<'_>]) -> Result<Vec<Enqueued>> {
        let uuids: Vec<&str> = rows.iter().map(|r| r.job.payload.uuid.as_str()).collect();
        let queues: Vec<&str> = rows.iter().map(|r| r.job.queue.as_str()).collect();
        let names: Vec<&str> = rows
            .iter()
            .map(|r| r.job.payload.display_name.as_str())
            .collect();
        let payloads: Vec<&str> = rows.iter().map(|r| r.payload.as_str()).collect();
        let available: Vec<i64> = rows.iter().map(|r| r.job.available_at).collect();
        let created: Vec<i64> = rows.iter().map(|r| r.job.payload.created_at).collect();
        let latest = migrate::latest(migrate::POSTGRES);
        let one = rows.len() == 1;
        for _ in 0..2 {
            self.ensure_connected()?;
            let checked = self.schema_checked;
            let host_now = self.clock.now_ms();
            let sql = match (one, checked) {
                (true, true) => INSERT_JOB,
                (true, false) => INSERT_JOB_IF_CURRENT,
                (false, true) => INSERT_JOBS,
                (false, false) => INSERT_JOBS_IF_CURRENT,
            };
            let sql = at_offset(sql, self.offset());
            let mut params: Vec<(&(dyn ToSql + Sync), Type)> = Vec::with_capacity(10);
            if one {
                params.extend([
                    (&uuids[0] as &(dyn ToSql + Sync), Type::TEXT),
                    (&queues[0], Type::TEXT),
                    (&names[0], Type::TEXT),
                    (&payloads[0], Type::TEXT),
                    (&available[0], Type::INT8),
                    (&created[0], Type::INT8),
                ]);
            } else {
                params.extend([
                    (&uuids as &(dyn ToSql + Sync), Type::TEXT_ARRAY),
                    (&queues, Type::TEXT_ARRAY),
                    (&names, Type::TEXT_ARRAY),
                    (&payloads, Type::TEXT_ARRAY),
                    (&available, Type::INT8_ARRAY),
                    (&created, Type::INT8_ARRAY),
                ]);
            }
            params.extend([
                (&WAKE_CHANNEL as &(dyn ToSql + Sync), Type::TEXT),
                (&host_now, Type::INT8),
                (&latest, Type::INT8),
                (&SKEW_NOISE_MS, Type::INT8),
            ]);
            // Typed parameters: no separate round trip to prepare (a dispatch runs this once).
            let inserted = self.client.query_typed(&sql, &params);
            match inserted {
                Ok(found)
                    if found.first().map(|r| r.get::<_, i64>(0)) == Some(rows.len() as i64) =>
                {
                    self.schema_checked = true;
                    return Ok(vec![Enqueued::Dispatched; rows.len()]);
                }
                // Another version of the schema: nothing was inserted.
                Ok(_) => {}
                // No schema yet, or one managed by hand (no `queue_migrations`).
                Err(e) if !checked && e.code() == Some(&SqlState::UNDEFINED_TABLE) => {}
                Err(e) => return Err(e.into()),
            }
            self.ensure_ready()?;
        }
        bail!(
            "the schema of the store at {} changed while jobs were being dispatched: dispatch them again",
            self.place
        )
    }

    /// The usual end of an attempt in one statement (one round trip, one transaction): a
    /// plain job whose attempt asked for nothing from inside. None when it did ask, or its
    /// reservation is gone: then the full transaction reads the intent and decides. (`decide`
    /// may so be called twice; the decision applied is the one made with the true intent.)
    pub(super) fn finish_plain(
        &mut self,
        job: &Reserved,
        output: &str,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Option<Finished>> {
        let verdict = decide(None);
        let rows = match &verdict.decision {
            Decision::Complete => self.query(FINISH_COMPLETE, &[&job.id, &job.token, &output])?,
            Decision::Release {
                delay_ms,
                exception,
            } => self.query(
                FINISH_RELEASE,
                &[&job.id, &job.token, delay_ms, &(*exception as i64), &output],
            )?,
            Decision::Fail { .. } if self.options.discard_failed => {
                self.query(FINISH_DISCARD, &[&job.id, &job.token])?
            }
            Decision::Fail { reason } => {
                let connection = self.options.connection.clone();
                self.query(
                    FINISH_FAIL,
                    &[
                        &job.id,
                        &job.token,
                        &connection,
                        &failure_text(reason, output),
                    ],
                )?
            }
        };
        Ok((!rows.is_empty()).then_some(Finished::Applied(verdict.decision)))
    }
}

/// A claimed job from a claim's row; None for the empty row of `FINISH_AND_CLAIM` that
/// claimed nothing.
fn reserved_from_row(row: &Row) -> Result<Option<Reserved>> {
    let Some(id) = row.get::<_, Option<i64>>("id") else {
        return Ok(None);
    };
    let uuid: String = row.get("uuid");
    let raw: String = row.get("payload");
    let payload = parse_payload(&raw, &uuid)?;
    Ok(Some(Reserved {
        id,
        uuid,
        queue: row.get("queue"),
        attempts: row.get("attempts"),
        exceptions: row.get::<_, i64>("exceptions") as u32,
        token: row.get::<_, Option<String>>("token").unwrap_or_default(),
        payload,
    }))
}

/// The jobs of a claim's rows, in queue order (RETURNING has none): (available_at, id).
fn claimed_jobs(mut rows: Vec<Row>) -> Result<Vec<Reserved>> {
    rows.sort_by_key(|r| {
        (
            r.get::<_, Option<i64>>("available_at").unwrap_or(0),
            r.get::<_, Option<i64>>("id").unwrap_or(0),
        )
    });
    let mut jobs = Vec::with_capacity(rows.len());
    for row in &rows {
        jobs.extend(reserved_from_row(row)?);
    }
    Ok(jobs)
}

/// A job whose attempt's end changes nothing but its own row: no middleware, unique lock,
/// chain or batch.
pub(super) fn is_plain(p: &Payload) -> bool {
    p.middleware.is_empty()
        && p.unique.is_none()
        && p.chained.is_empty()
        && p.chain_catch.is_none()
        && p.batch_id.is_none()
}
