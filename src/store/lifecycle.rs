//! The lifecycle of a job, written once for every store: what a dispatch inserts and which
//! unique locks it takes, what an attempt's admission checks and takes, and everything an
//! attempt's end changes in the same transaction (its own row, the locks it held, the limiters
//! it counts, the next link of its chain, its chain's catch, its batch's counters and callbacks)
//! and whom that wakes. Each function runs inside one transaction the store opened, and speaks
//! to the database only through `Verbs`, one statement at a time; the rules themselves are pure
//! functions of `domain`.

use super::grouped::Group;
use super::verbs::{
    AttemptRecord, AttemptRow, BatchLock, BatchRow, BatchUpdate, FailedRow, FinishedRow, HoldBack,
    JobRow, Requeue, Reservation, Verbs,
};
use super::{
    events, Admission, Cancelled, Ending, Enqueued, Finished, NewBatch, Reserved, StoreOptions,
    Verdict,
};
use crate::clock::new_uuid;
use crate::domain::batch::{
    callback_job, chain_catch_job, continuation, tally, Continuation, Counts, FailedInfo, Tally,
};
use crate::domain::events::name as event_name;
use crate::domain::job::NewJob;
use crate::domain::job::{link_job, ChainAdditions, Payload};
use crate::domain::metrics::{metric_outcome, Sample};
use crate::domain::middleware::{
    funnel_key, funnel_slot_key, overlap_key, rate_key, throttle_key, Middleware,
};
use crate::domain::policy::{failure_text, Decision, Intent, Recorded};
use anyhow::Result;

/// A job to insert, serialized before the transaction opens (so a retried transaction does not
/// serialize again).
pub struct Serialized<'a> {
    pub job: &'a NewJob,
    pub payload: String,
}

impl<'a> Serialized<'a> {
    pub fn all(jobs: &'a [NewJob]) -> Result<Vec<Serialized<'a>>> {
        jobs.iter()
            .map(|job| {
                Ok(Serialized {
                    job,
                    payload: serde_json::to_string(&job.payload)?,
                })
            })
            .collect()
    }
}

/// On which clock a job's instants were computed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Times {
    /// The caller's (a dispatch): moved onto the store's clock.
    Caller,
    /// The transaction's `now` (a chain link, a callback): already on it.
    Store,
}

/// A job's row, its instants moved onto the store's clock when they are the caller's.
fn job_row<'a>(v: &dyn Verbs, job: &'a NewJob, payload: &'a str, times: Times) -> JobRow<'a> {
    let at = |t: i64| match times {
        Times::Caller => v.rebase(t),
        Times::Store => t,
    };
    JobRow {
        uuid: &job.payload.uuid,
        queue: &job.queue,
        name: &job.payload.display_name,
        payload,
        available_at: at(job.available_at),
        created_at: at(job.payload.created_at),
    }
}

/// Insert one job (and its `job.queued` event) and wake the idle workers of its queue at the
/// commit.
fn insert(v: &mut dyn Verbs, job: &NewJob, payload: &str, times: Times) -> Result<()> {
    let row = job_row(v, job, payload, times);
    v.insert_job(&row)?;
    events::job_added(v, job, None)?;
    // Delayed jobs too: an idle worker sleeping out a long --sleep must learn that it now has
    // to wake when this job's delay passes.
    v.wake(&job.queue);
    Ok(())
}

/// A job the lifecycle made itself (a chain link, a catch, callback or hook job), timed by
/// `now`.
pub(super) fn insert_made(v: &mut dyn Verbs, job: &NewJob) -> Result<()> {
    insert(v, job, &serde_json::to_string(&job.payload)?, Times::Store)
}

/// The next link of a chain: a job, or a batch (`{"batch": …}` in `chain --file`), which
/// starts now with the rest of the chain and its catch in its options.
fn insert_link(v: &mut dyn Verbs, link: &NewJob) -> Result<()> {
    let Some(batch) = &link.payload.chained_batch else {
        return insert_made(v, link);
    };
    let now = v.now();
    let mut options = batch.options.clone();
    options.chained = link.payload.chained.clone();
    options.chain_catch = link.payload.chain_catch.clone();
    v.insert_batch(&BatchRow {
        id: &link.payload.uuid,
        name: &batch.name,
        options: &serde_json::to_string(&options)?,
        total_jobs: batch.total(),
        created_at: now,
    })?;
    for job in batch.jobs_at(now) {
        insert_made(v, &job)?;
    }
    Ok(())
}

/// Dispatch: insert the jobs in order; a unique job whose lock is held is skipped.
pub fn enqueue(v: &mut dyn Verbs, jobs: &[Serialized<'_>]) -> Result<Vec<Enqueued>> {
    let mut results = Vec::with_capacity(jobs.len());
    for Serialized { job, payload } in jobs {
        if let Some(unique) = &job.payload.unique {
            let expires = v.rebase(job.unique_expires_at.unwrap_or(i64::MAX));
            if let Some(holder) = v.take_lock(&unique.key, &job.payload.uuid, expires)? {
                events::job_added(v, job, Some(&holder))?;
                results.push(Enqueued::Skipped { held_by: holder });
                continue;
            }
        }
        insert(v, job, payload, Times::Caller)?;
        results.push(Enqueued::Dispatched);
    }
    Ok(results)
}

/// A failed job was just put back on its queue by `queue retry` at `now_ms` (the caller's
/// clock, on which its deadline was computed): a relative `--retry-until` counts again from now.
pub fn renew_for_retry(v: &mut dyn Verbs, uuid: &str, now_ms: i64) -> Result<()> {
    let Some((id, text)) = v.queued_payload(uuid)? else {
        return Ok(());
    };
    // Most payloads have no window: do not parse those.
    if !text.contains("\"retryWindow\"") {
        return Ok(());
    }
    let payload: crate::domain::job::Payload = serde_json::from_str(&text)?;
    if let Some(renewed) = payload.renewed_for_retry(now_ms) {
        v.set_payload(id, &serde_json::to_string(&renewed)?)?;
    }
    Ok(())
}

/// One chunk of a streamed dispatch (`Store::enqueue_stream`): as `enqueue`, but each run of
/// jobs without unique locks is inserted together (`insert_jobs`).
pub fn enqueue_chunk(v: &mut dyn Verbs, jobs: &[Serialized<'_>]) -> Result<Vec<Enqueued>> {
    let mut results = Vec::with_capacity(jobs.len());
    let mut rest = jobs;
    while !rest.is_empty() {
        let plain = rest
            .iter()
            .take_while(|s| s.job.payload.unique.is_none())
            .count();
        if plain == 0 {
            results.extend(enqueue(v, &rest[..1])?);
            rest = &rest[1..];
            continue;
        }
        let (run, after) = rest.split_at(plain);
        let rows: Vec<JobRow<'_>> = run
            .iter()
            .map(|s| job_row(v, s.job, &s.payload, Times::Caller))
            .collect();
        v.insert_jobs(&rows)?;
        // As `insert` does for each (the stores keep one wake-up per queue).
        events::jobs_queued(v, run.iter().map(|s| s.job))?;
        for s in run {
            v.wake(&s.job.queue);
        }
        results.extend(std::iter::repeat_n(Enqueued::Dispatched, plain));
        rest = after;
    }
    Ok(results)
}

/// Store a batch and its jobs (each chain's first link); total_jobs counts every link.
pub fn create_batch(v: &mut dyn Verbs, batch: &NewBatch, jobs: &[Serialized<'_>]) -> Result<()> {
    let options = serde_json::to_string(&batch.options)?;
    let created_at = v.rebase(batch.created_at);
    v.insert_batch(&BatchRow {
        id: &batch.id,
        name: &batch.name,
        options: &options,
        total_jobs: links(jobs),
        created_at,
    })?;
    for s in jobs {
        insert(v, s.job, &s.payload, Times::Caller)?;
    }
    Ok(())
}

/// Add jobs to a batch, re-opening it if it had finished (as Laravel's add() does).
pub fn add_to_batch(v: &mut dyn Verbs, batch_id: &str, jobs: &[Serialized<'_>]) -> Result<()> {
    if !v.grow_batch(batch_id, links(jobs))? {
        anyhow::bail!("no batch with id {batch_id} (see `queue batches`)");
    }
    for s in jobs {
        insert(v, s.job, &s.payload, Times::Caller)?;
    }
    Ok(())
}

/// Every link of every chain counts as a job of its batch.
fn links(jobs: &[Serialized<'_>]) -> i64 {
    jobs.iter()
        .map(|s| 1 + s.job.payload.chained.len() as i64)
        .sum()
}

/// Before an attempt runs: skip it in a cancelled batch; check and take what its middleware
/// needs, or hold it back; free an until-processing unique lock.
pub fn admit(v: &mut dyn Verbs, job: &Reserved, lease_ms: i64) -> Result<Admission> {
    let p = &job.payload;
    if let Some(batch_id) = &p.batch_id {
        // A failed job put back with `retry` / `retry-batch` runs even in its cancelled
        // batch: it is what the user asked for (it is still in failed_job_ids).
        if let Some(batch) = v.batch(batch_id, BatchLock::Share)? {
            if batch.cancelled_at.is_some() && !batch.failed_job_ids.contains(&job.uuid) {
                return Ok(Admission::Skip {
                    reason: format!("skipped: batch {batch_id} was cancelled"),
                });
            }
        }
    }
    let mw = &p.middleware;
    v.serialize(&mw.serial_keys())?;
    if let Some(held) = admission_check(v, job, mw)? {
        if held.droppable && mw.dont_release {
            // dontRelease(): the job is dropped as a success (its chain goes on, its batch
            // counts it), as a Laravel middleware that returns without calling next.
            return Ok(Admission::Skip {
                reason: format!("dropped (--dont-release): {}", held.reason),
            });
        }
        let delay_ms = held.delay_ms.unwrap_or(lease_ms);
        let available_at = v.now() + delay_ms;
        v.hold_back(&HoldBack {
            id: job.id,
            token: &job.token,
            available_at,
            parked_on: held.park_on.as_deref(),
        })?;
        return Ok(Admission::HeldBack {
            delay_ms,
            reason: held.reason,
        });
    }
    if let Some(unique) = p.unique.as_ref().filter(|u| u.until_processing) {
        v.release_lock(&unique.key, &job.uuid)?;
    }
    // It runs, so it waits on no lock any more (it may have come back by its delay rather than
    // by a wake-up): a later release must not cut short its backoff.
    if mw.funnel.is_some() || mw.without_overlapping.is_some() {
        v.unpark(job.id)?;
    }
    Ok(Admission::Run)
}

/// Why middleware holds an attempt back.
struct Held {
    /// None: until a lease's length (or the lock it parks on is released, if sooner).
    delay_ms: Option<i64>,
    /// The lock whose release lets it go at once.
    park_on: Option<String>,
    reason: String,
    /// Held back by the overlap lock or the rate limit: `--dont-release` drops it instead.
    droppable: bool,
}

/// The middleware checks, in order; the first that holds the job back decides. When it may
/// run, what it needs is taken: a funnel slot, the overlap lock, a rate-limit hit.
fn admission_check(v: &mut dyn Verbs, job: &Reserved, mw: &Middleware) -> Result<Option<Held>> {
    let now = v.now();
    if let Some(t) = &mw.throttle_exceptions {
        if let Some(w) = v.window(&throttle_key(&t.key))? {
            if w.hits >= t.max as i64 {
                return Ok(Some(Held {
                    delay_ms: Some(w.ends_at - now),
                    park_on: None,
                    reason: format!(
                        "throttled: {} exceptions for '{}' within {}s",
                        w.hits, t.key, t.seconds
                    ),
                    droppable: false,
                }));
            }
        }
    }
    if let Some(r) = &mw.rate_limit {
        if let Some(w) = v.window(&rate_key(&r.key))? {
            if w.hits >= r.max as i64 {
                return Ok(Some(Held {
                    delay_ms: Some(w.ends_at - now),
                    park_on: None,
                    reason: format!(
                        "rate limit '{}': {} per {}s reached",
                        r.key, r.max, r.seconds
                    ),
                    droppable: true,
                }));
            }
        }
    }
    let mut slot_taken = None;
    if let Some(f) = &mw.funnel {
        for slot in 1..=f.max {
            let key = funnel_slot_key(&f.key, slot);
            if v.take_lock(&key, &job.token, i64::MAX)?.is_none() {
                slot_taken = Some(key);
                break;
            }
        }
        if slot_taken.is_none() {
            return Ok(Some(Held {
                delay_ms: None,
                park_on: Some(funnel_key(&f.key)),
                reason: format!("funnel '{}': {} running", f.key, f.max),
                droppable: false,
            }));
        }
    }
    if let Some(key) = &mw.without_overlapping {
        let lock = overlap_key(key);
        let expires = mw
            .overlap_expire_after
            .map_or(i64::MAX, |s| now + s as i64 * 1000);
        if v.take_lock(&lock, &job.token, expires)?.is_some() {
            if let Some(slot) = slot_taken {
                v.release_lock(&slot, &job.token)?;
            }
            // releaseAfter: back after that long, not parked on the lock's release.
            let (delay_ms, park_on) = match mw.overlap_release_after {
                Some(s) => (Some(s as i64 * 1000), None),
                None => (None, Some(lock)),
            };
            return Ok(Some(Held {
                delay_ms,
                park_on,
                reason: format!("without-overlapping '{key}': another job holds it"),
                droppable: true,
            }));
        }
    }
    if let Some(r) = &mw.rate_limit {
        v.hit(&rate_key(&r.key), r.seconds)?;
    }
    Ok(None)
}

/// End an attempt: read what the job asked for from inside, let `decide` turn that into a
/// verdict, and apply it with everything it implies. LeaseLost when the attempt no longer holds
/// the job (its lease ran out and someone else has it, or it was cleared): nothing changes.
pub fn finish(
    v: &mut dyn Verbs,
    job: &Reserved,
    output: &str,
    decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    options: &StoreOptions,
) -> Result<Finished> {
    let row = v.attempt_row(job.id, &job.token)?;
    let mut group = Group::default();
    let finished = finish_held(v, job, row.as_ref(), output, decide, options, &mut group)?;
    group.write(v)?;
    Ok(finished)
}

/// `finish` for each of several attempts, in the same transaction: their rows are read in one
/// verb, and the writes of those whose end changes only their own rows are made together at
/// the end (`Group`), so that a group of plain ends costs a few statements, not a few each.
pub fn finish_all(
    v: &mut dyn Verbs,
    endings: &mut [Ending<'_>],
    options: &StoreOptions,
) -> Result<Vec<Finished>> {
    let held: Vec<Reservation<'_>> = endings
        .iter()
        .map(|e| Reservation {
            id: e.job.id,
            token: &e.job.token,
        })
        .collect();
    let rows = v.attempt_rows(&held)?;
    let mut group = Group::default();
    let mut finished = Vec::with_capacity(endings.len());
    for (e, row) in endings.iter_mut().zip(&rows) {
        let (job, output) = (e.job, e.output);
        let decide = &mut *e.decide;
        finished.push(finish_held(
            v,
            job,
            row.as_ref(),
            output,
            decide,
            options,
            &mut group,
        )?);
    }
    group.write(v)?;
    Ok(finished)
}

/// `finish` once the attempt's row has been read (None: the lease was lost).
fn finish_held<'r>(
    v: &mut dyn Verbs,
    job: &'r Reserved,
    row: Option<&'r AttemptRow>,
    output: &'r str,
    decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    options: &StoreOptions,
    group: &mut Group<'r>,
) -> Result<Finished> {
    let Some(row) = row else {
        return Ok(Finished::LeaseLost);
    };
    let verdict = decide(row.intent.ask());
    release_after_attempt(v, job, &verdict)?;
    // A final failure's whole text, for its event and hooks.
    let mut error = String::new();
    let now = v.now();
    let outcome = attempt_outcome(&verdict);
    let added = &row.intent.chain;
    // Its end touches only its own rows: those writes may wait for the group's.
    let alone = job.payload.ends_alone() && added.is_empty();
    // A failure discarded (`[failed] driver = "null"`) leaves nothing to keep its attempts for.
    if !(outcome == "failed" && options.discard_failed) {
        group.record_attempt(
            v,
            alone,
            AttemptRecord {
                token: &job.token,
                uuid: &job.uuid,
                attempt: job.attempts,
                started_at: row.reserved_at,
                finished_at: now,
                worker: &row.worker_id,
                exit: &job.exit,
                outcome,
                output,
            },
        )?;
    }
    // The rollup of this minute, in this same transaction (no extra commit per job).
    group.record_metric(Sample {
        minute: now.div_euclid(60_000),
        queue: &job.queue,
        outcome: metric_outcome(outcome, job.exit.timed_out),
        worker: &row.worker_id,
        duration_ms: (now - row.reserved_at).max(0),
        wait_ms: (row.reserved_at - row.available_at).max(0),
    });
    match &verdict.decision {
        Decision::Complete => {
            group.delete_job(v, alone, job.id)?;
            if added.is_empty() {
                let done = finished_row(job, row, &row.payload, output, now);
                group.insert_finished(v, alone, done)?;
            } else {
                // The done job's payload shows the chain it went on with (`queue wait
                // --chain` follows it), from the stored text (a sealed job stays sealed).
                let payload = with_chain(&row.payload, &job.uuid, added)?;
                v.insert_finished(&finished_row(job, row, &payload, output, now))?;
            }
            after_success(v, job, added)?;
        }
        Decision::Release {
            delay_ms,
            exception,
        } => {
            v.requeue(&Requeue {
                id: job.id,
                available_at: now + delay_ms,
                exception: *exception,
                output,
            })?;
            v.wake(&job.queue);
        }
        Decision::Fail { reason } => {
            group.delete_job(v, alone, job.id)?;
            error = failure_text(reason, output);
            if !options.discard_failed {
                v.insert_failed(&FailedRow {
                    uuid: &job.uuid,
                    connection: &options.connection,
                    queue: &job.queue,
                    name: &row.name,
                    payload: &row.payload,
                    exception: &error,
                    attempts: job.attempts,
                    exceptions: job.exceptions + u32::from(verdict.threw),
                    failed_at: now,
                })?;
            }
            let failed = FailedInfo {
                uuid: &job.uuid,
                name: &row.name,
                error: &error,
            };
            after_failure(v, job, &failed)?;
            // Waiters (`queue wait`) on any host hear of a final failure at once.
            v.wake(&job.queue);
        }
    }
    let error = (!error.is_empty()).then_some(error.as_str());
    events::attempt_ended(v, job, row, &verdict, error, options)?;
    Ok(Finished::Applied(verdict.decision))
}

/// A completed attempt's row in finished_jobs.
fn finished_row<'a>(
    job: &'a Reserved,
    row: &'a AttemptRow,
    payload: &'a str,
    output: &'a str,
    finished_at: i64,
) -> FinishedRow<'a> {
    FinishedRow {
        uuid: &job.uuid,
        queue: &job.queue,
        name: &row.name,
        payload,
        attempts: job.attempts,
        exceptions: job.exceptions,
        output,
        created_at: row.created_at,
        finished_at,
    }
}

/// What an attempt's row says of its end: succeeded, released (it asked, or was released
/// without an exception), retrying (it threw and runs again), failed (for good).
pub fn attempt_outcome(verdict: &Verdict) -> &'static str {
    match &verdict.decision {
        Decision::Complete => "succeeded",
        Decision::Release { .. } if verdict.threw => "retrying",
        Decision::Release { .. } => "released",
        Decision::Fail { .. } => "failed",
    }
}

/// After an attempt, whatever its end: give back the locks it held (waking the first job
/// parked on each) and count what its middleware counts.
fn release_after_attempt(v: &mut dyn Verbs, job: &Reserved, verdict: &Verdict) -> Result<()> {
    let p = &job.payload;
    let mw = &p.middleware;
    v.serialize(&mw.serial_keys())?;
    if let Some(key) = &mw.without_overlapping {
        let lock = overlap_key(key);
        v.release_lock(&lock, &job.token)?;
        wake_parked(v, &lock)?;
    }
    if let Some(f) = &mw.funnel {
        for slot in 1..=f.max {
            v.release_lock(&funnel_slot_key(&f.key, slot), &job.token)?;
        }
        wake_parked(v, &funnel_key(&f.key))?;
    }
    let ended = matches!(verdict.decision, Decision::Complete | Decision::Fail { .. });
    if let Some(unique) = p.unique.as_ref().filter(|_| ended) {
        v.release_lock(&unique.key, &job.uuid)?;
    }
    if let Some(t) = &mw.throttle_exceptions {
        let key = throttle_key(&t.key);
        if verdict.threw {
            v.hit(&key, t.seconds)?;
        } else if verdict.decision == Decision::Complete {
            // It counts consecutive exceptions: a success starts over.
            v.reset_limiter(&key)?;
        }
    }
    Ok(())
}

fn wake_parked(v: &mut dyn Verbs, key: &str) -> Result<()> {
    if let Some(queue) = v.wake_parked(key)? {
        v.wake(&queue);
    }
    Ok(())
}

/// The stored payload `text` with its chain as `added` leaves it.
fn with_chain(text: &str, uuid: &str, added: &ChainAdditions) -> Result<String> {
    let mut payload: Payload = super::rows::parse_payload(text, uuid)?;
    payload.chained = payload.chain_with(added);
    Ok(serde_json::to_string(&payload)?)
}

/// `queue release` / `queue fail` / `queue chain-add` from inside a running job: change what
/// its attempt recorded (what it asked for, what it added to its chain), keeping the rest.
pub fn record(
    v: &mut dyn Verbs,
    uuid: &str,
    token: &str,
    change: &mut dyn FnMut(&mut Recorded),
) -> Result<bool> {
    let Some(text) = v.running_intent(uuid, token)? else {
        return Ok(false);
    };
    let mut recorded = Recorded::parse(text.as_deref());
    change(&mut recorded);
    v.set_intent(uuid, token, &serde_json::to_string(&recorded)?)?;
    Ok(true)
}

/// A success goes on: the next link of its chain (with what the attempt added to it), and its
/// batch's count.
fn after_success(v: &mut dyn Verbs, job: &Reserved, added: &ChainAdditions) -> Result<()> {
    let p = &job.payload;
    if let Some(link) = p.next_link_with(added, v.now()) {
        insert_link(v, &link)?;
    }
    if let Some(batch_id) = &p.batch_id {
        // The added links are jobs of its batch too, counted before this success so that the
        // batch cannot finish before they have run.
        if !added.is_empty() {
            v.grow_batch(batch_id, added.len() as i64)?;
        }
        count_in_batch(v, batch_id, &job.uuid, None)?;
    }
    Ok(())
}

/// A failure for good stops its chain (whose catch runs) and counts in its batch.
fn after_failure(v: &mut dyn Verbs, job: &Reserved, failed: &FailedInfo<'_>) -> Result<()> {
    let p = &job.payload;
    if let Some(command) = &p.chain_catch {
        let catch = chain_catch_job(command, failed, &job.queue, &p.cwd, new_uuid(), v.now());
        insert_made(v, &catch)?;
    }
    if let Some(batch_id) = &p.batch_id {
        count_in_batch(v, batch_id, &job.uuid, Some(failed))?;
    }
    Ok(())
}

/// Count a batched job's success (failed = None) or final failure, and queue the callbacks
/// this update fires. The batch row is locked first, so that concurrent ends of jobs of one
/// batch count one after another and each callback is queued exactly once.
fn count_in_batch(
    v: &mut dyn Verbs,
    batch_id: &str,
    uuid: &str,
    failed: Option<&FailedInfo<'_>>,
) -> Result<()> {
    let Some(batch) = v.batch(batch_id, BatchLock::ForUpdate)? else {
        return Ok(()); // pruned meanwhile: nothing to count
    };
    let Tally {
        counts,
        failed_job_ids,
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
    v.update_batch(&BatchUpdate {
        id: batch_id,
        pending: counts.pending,
        failed: counts.failed,
        failed_job_ids: &failed_job_ids,
        finish: effects.finish,
        cancel: effects.cancel,
    })?;
    if effects.cancel && batch.cancelled_at.is_none() {
        events::batch(v, event_name::BATCH_CANCELLED, batch_id, &batch.name)?;
    }
    if effects.finish {
        events::batch(v, event_name::BATCH_FINISHED, batch_id, &batch.name)?;
    }
    let now = v.now();
    // A batch that is a link of a chain: go on with the chain, or stop it, exactly once.
    let next = continuation(&batch.options, &effects, cancelled);
    if next != Continuation::Wait {
        let mut options = batch.options.clone();
        options.chained = Vec::new();
        options.chain_catch = None;
        v.set_batch_options(batch_id, &serde_json::to_string(&options)?)?;
    }
    match next {
        Continuation::Next => {
            let o = &batch.options;
            if let Some(link) = link_job(&o.chained, &o.chain_catch, &None, now) {
                insert_link(v, &link)?;
            }
        }
        Continuation::Catch => {
            if let (Some(command), Some(failed)) = (&batch.options.chain_catch, failed) {
                let o = &batch.options;
                let catch = chain_catch_job(command, failed, &o.queue, &o.cwd, new_uuid(), now);
                insert_made(v, &catch)?;
            }
        }
        Continuation::Wait | Continuation::Stop => {}
    }
    for kind in effects.callbacks {
        let job = callback_job(
            kind,
            batch_id,
            &batch.name,
            &batch.options,
            counts,
            cancelled,
            failed,
            new_uuid(),
            now,
        );
        if let Some(job) = job {
            insert_made(v, &job)?;
        }
    }
    Ok(())
}

/// `queue cancel`: a queued or delayed job is deleted with its unique lock and attempts; a
/// running one is refused (its worker holds it).
pub fn cancel(v: &mut dyn Verbs, uuid: &str) -> Result<Cancelled> {
    let Some(job) = v.queued(uuid)? else {
        return Ok(Cancelled::NotQueued);
    };
    if job.reserved {
        return Ok(Cancelled::Running);
    }
    v.delete_job(job.id)?;
    let mut name = String::new();
    if let Ok(payload) = super::rows::parse_payload(&job.payload, uuid) {
        if let Some(unique) = &payload.unique {
            v.release_lock(&unique.key, uuid)?;
        }
        name = payload.display_name;
    }
    v.forget_attempts(uuid)?;
    events::cancelled(v, uuid, &job.queue, &name)?;
    Ok(Cancelled::Deleted)
}

/// `queue run-now`: a delayed job becomes available now, and its queue's idle workers wake.
pub fn run_now(v: &mut dyn Verbs, uuid: &str) -> Result<bool> {
    let Some(job) = v.queued(uuid)? else {
        return Ok(false);
    };
    if job.reserved || job.available_at <= v.now() {
        return Ok(false);
    }
    v.make_available(job.id)?;
    v.wake(&job.queue);
    Ok(true)
}

/// A claimed row whose payload the worker cannot read (it does not parse, or has a shape this
/// version does not know) goes to failed jobs with the reason, its payload kept as the text it
/// is, so that one bad row cannot stop the queue; the claim goes on with the other jobs. False
/// when the reservation is gone already.
pub fn fail_unreadable(
    v: &mut dyn Verbs,
    job: &super::rows::Unreadable,
    options: &StoreOptions,
) -> Result<bool> {
    let Some(row) = v.attempt_row(job.id, &job.token)? else {
        return Ok(false);
    };
    v.delete_job(job.id)?;
    let now = v.now();
    if !options.discard_failed {
        v.insert_failed(&FailedRow {
            uuid: &job.uuid,
            connection: &options.connection,
            queue: &job.queue,
            name: &row.name,
            payload: &row.payload,
            exception: &job.reason,
            attempts: job.attempts,
            exceptions: job.exceptions,
            failed_at: now,
        })?;
    }
    events::unreadable_failed(v, job, &row.name, &job.reason)?;
    // Waiters (`queue wait`) hear of the failure at once.
    v.wake(&job.queue);
    Ok(true)
}
