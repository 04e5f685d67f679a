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

use super::clock::{at_offset, SKEW_NOISE_MS};
use super::sql::{
    CLAIM, FINISH_AND_CLAIM, FINISH_COMPLETE, FINISH_DISCARD, FINISH_FAIL, FINISH_RELEASE,
    FREE_EXPIRED, INSERT_JOB, INSERT_JOBS, INSERT_JOBS_IF_CURRENT, INSERT_JOB_IF_CURRENT,
};
use super::verbs::without_nul;
use super::{PostgresStore, WAKE_CHANNEL};
use crate::domain::job::NewJob;
use crate::domain::metrics::metric_outcome;
use crate::domain::policy::{failure_text, Decision};
use crate::store::lifecycle::{self, Serialized};
use crate::store::migrate;
use crate::store::rows::{claimed_job, ClaimedJob};
use crate::store::{
    Claim, Ending, Enqueued, Finished, Intent, JobSource, Reserved, Store, Verdict,
};
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

/// `Store::enqueue`: jobs without unique locks in one statement (`insert_all`); otherwise the
/// lifecycle's transaction, which takes each unique lock and inserts the jobs whose lock it got.
pub(super) fn enqueue(store: &mut PostgresStore, jobs: &[NewJob]) -> Result<Vec<Enqueued>> {
    store.leave_worker_session()?;
    if jobs.is_empty() {
        return Ok(vec![]);
    }
    let jobs = Serialized::all(jobs)?;
    if jobs.iter().all(|s| s.job.payload.unique.is_none()) {
        return store.insert_all(&jobs);
    }
    store.write(|tx| lifecycle::enqueue(tx, &jobs))
}

/// `Store::enqueue_stream`: one transaction, each chunk's jobs without unique locks in one
/// multi-row insert (`Verbs::insert_jobs`), unique ones by the lifecycle's rule.
pub(super) fn enqueue_stream(store: &mut PostgresStore, source: &mut dyn JobSource) -> Result<u64> {
    store.leave_worker_session()?;
    let mut began = false;
    store.write(|tx| {
        if std::mem::replace(&mut began, true) && !source.rewind()? {
            bail!("the transaction had to be made again and the jobs cannot be read again: nothing was dispatched");
        }
        let mut total = 0u64;
        loop {
            let jobs = source.next_jobs()?;
            if jobs.is_empty() {
                return Ok(total);
            }
            let results = lifecycle::enqueue_chunk(tx, &Serialized::all(&jobs)?)?;
            total += jobs.len() as u64;
            source.enqueued(jobs, &results)?;
        }
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
        // A queue is claimed from again for the places of rows that could not be read.
        loop {
            let want = (limit - jobs.len()) as i64;
            let rows = store.query(CLAIM, &[queue, &claim.lease_ms, &claim.worker_id, &want])?;
            if !store.take_claimed(claimed_jobs(rows), &mut jobs)? || jobs.len() >= limit {
                break;
            }
        }
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
    let mut steps: Vec<Step> = Vec::with_capacity(endings.len());
    for e in endings.iter_mut() {
        if e.job.payload.ends_alone() && (e.decide)(None).decision == Decision::Complete {
            steps.push(Step::Fused);
        } else {
            steps.push(Step::Ended(store.finish(
                e.job,
                e.output,
                now_ms,
                &mut *e.decide,
            )?));
        }
    }
    let fused: Vec<&Ending<'_>> = endings
        .iter()
        .zip(&steps)
        .filter(|(_, step)| matches!(step, Step::Fused))
        .map(|(e, _)| e)
        .collect();
    let (completed, jobs) = if fused.is_empty() {
        (HashSet::new(), store.claim_many(claim, limit)?)
    } else {
        store.before_claim()?;
        let ids: Vec<i64> = fused.iter().map(|e| e.job.id).collect();
        let tokens: Vec<&str> = fused.iter().map(|e| e.job.token.as_str()).collect();
        // PostgreSQL text cannot hold NUL bytes, which a job's output may have.
        let outputs: Vec<String> = fused
            .iter()
            .map(|e| without_nul(e.output).into_owned())
            .collect();
        let codes: Vec<Option<i32>> = fused.iter().map(|e| e.job.exit.code).collect();
        let signals: Vec<Option<i32>> = fused.iter().map(|e| e.job.exit.signal).collect();
        let timed_out: Vec<bool> = fused.iter().map(|e| e.job.exit.timed_out).collect();
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
                &codes,
                &signals,
                &timed_out,
            ],
        )?;
        store.vacuum_if_due(fused.len() as u64);
        let completed: HashSet<String> = rows
            .first()
            .and_then(|r| r.get::<_, Option<Vec<String>>>("uuids"))
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut jobs = Vec::new();
        if store.take_claimed(claimed_jobs(rows), &mut jobs)? && jobs.len() < limit {
            // Rows that could not be read took places: claim again, from every queue.
            jobs.extend(store.claim_many(claim, limit - jobs.len())?);
        } else if jobs.len() < limit && claim.queues.len() > 1 {
            // Later queues only for what the first could not fill.
            let rest = Claim {
                queues: &claim.queues[1..],
                ..claim.clone()
            };
            jobs.extend(store.claim_many(&rest, limit - jobs.len())?);
        }
        (completed, jobs)
    };
    let mut finished = Vec::with_capacity(endings.len());
    let mut fell_back = false;
    for (e, step) in endings.iter_mut().zip(steps) {
        finished.push(match step {
            Step::Ended(f) => f,
            Step::Fused if completed.contains(&e.job.uuid) => Finished::Applied(Decision::Complete),
            // It asked for something from inside, or its reservation is gone: the lifecycle's
            // transaction reads which and decides again.
            Step::Fused => {
                fell_back = true;
                store.finish(e.job, e.output, now_ms, &mut *e.decide)?
            }
        });
    }
    // What those ends queued (a release, links added with `chain-add`) came after the claim:
    // claim again rather than look empty to a `--stop-when-empty` worker.
    let mut jobs = jobs;
    if fell_back && jobs.len() < limit {
        jobs.extend(store.claim_many(claim, limit - jobs.len())?);
    }
    Ok((finished, jobs))
}

/// How one attempt of a busy worker's step ends: on its own already, or in the fused statement.
enum Step {
    Ended(Finished),
    Fused,
}

impl PostgresStore {
    /// The readable jobs of a claim, added to `jobs`; the rows that cannot be read go to
    /// failed jobs, each in its own transaction. True when there was such a row.
    fn take_claimed(&mut self, claimed: Vec<ClaimedJob>, jobs: &mut Vec<Reserved>) -> Result<bool> {
        let mut unreadable = false;
        for job in claimed {
            match job {
                Ok(job) => jobs.push(job),
                Err(bad) => {
                    unreadable = true;
                    let options = self.options.clone();
                    self.write(|tx| lifecycle::fail_unreadable(tx, &bad, &options))?;
                }
            }
        }
        Ok(unreadable)
    }

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
    fn insert_all(&mut self, rows: &[Serialized<'_>]) -> Result<Vec<Enqueued>> {
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
        let output = without_nul(output);
        let output: &str = &output;
        let exit = &job.exit;
        let rows = match &verdict.decision {
            Decision::Complete => self.query(
                FINISH_COMPLETE,
                &[
                    &job.id,
                    &job.token,
                    &output,
                    &exit.code,
                    &exit.signal,
                    &exit.timed_out,
                ],
            )?,
            Decision::Release {
                delay_ms,
                exception,
            } => self.query(
                FINISH_RELEASE,
                &[
                    &job.id,
                    &job.token,
                    delay_ms,
                    &(*exception as i64),
                    &output,
                    &WAKE_CHANNEL,
                    &exit.code,
                    &exit.signal,
                    &exit.timed_out,
                    &lifecycle::attempt_outcome(&verdict),
                    &metric_outcome(lifecycle::attempt_outcome(&verdict), exit.timed_out),
                ],
            )?,
            Decision::Fail { .. } if self.options.discard_failed => self.query(
                FINISH_DISCARD,
                &[
                    &job.id,
                    &job.token,
                    &metric_outcome("failed", exit.timed_out),
                ],
            )?,
            Decision::Fail { reason } => {
                let connection = self.options.connection.clone();
                self.query(
                    FINISH_FAIL,
                    &[
                        &job.id,
                        &job.token,
                        &connection,
                        &failure_text(reason, output),
                        &output,
                        &exit.code,
                        &exit.signal,
                        &exit.timed_out,
                        &i64::from(verdict.threw),
                    ],
                )?
            }
        };
        Ok((!rows.is_empty()).then_some(Finished::Applied(verdict.decision)))
    }
}

/// A claimed job from a claim's row (or the row that cannot be read); None for the empty row
/// of `FINISH_AND_CLAIM` that claimed nothing.
fn reserved_from_row(row: &Row) -> Option<ClaimedJob> {
    let id = row.get::<_, Option<i64>>("id")?;
    let raw: String = row.get("payload");
    Some(claimed_job(
        id,
        row.get("uuid"),
        row.get("queue"),
        row.get("attempts"),
        row.get::<_, i64>("exceptions") as u32,
        row.get::<_, Option<String>>("token").unwrap_or_default(),
        &raw,
    ))
}

/// The jobs of a claim's rows, in queue order (RETURNING has none): (available_at, id).
fn claimed_jobs(mut rows: Vec<Row>) -> Vec<ClaimedJob> {
    rows.sort_by_key(|r| {
        (
            r.get::<_, Option<i64>>("available_at").unwrap_or(0),
            r.get::<_, Option<i64>>("id").unwrap_or(0),
        )
    });
    rows.iter().filter_map(reserved_from_row).collect()
}
