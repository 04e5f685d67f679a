//! `queue wait UUID… | --batch ID | --chain UUID | --queue Q,…`: block until what was named has
//! ended, and exit by how it ended (0 all succeeded, 1 any failed for good, 124 on timeout).
//! It subscribes to the store's wake-ups before it looks, so an end in between is never
//! missed; ends that wake no one (a plain success) are seen by a short fallback poll. It works
//! as well for jobs that ended long before (their rows are kept for `retain_done`).

use super::resolve_uuids;
use crate::app::Ctx;
use crate::domain::duration::parse_duration;
use crate::domain::job::JobState;
use crate::store::{AttemptView, Store};
use anyhow::{bail, Result};
use serde::Serialize;
use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest a wait sleeps between looks when no wake-up comes.
const FALLBACK_POLL: Duration = Duration::from_millis(50);
/// The exit status of a wait that timed out (as timeout(1)).
pub const EXIT_TIMEOUT: u8 = 124;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Jobs to wait for: uuids or unique prefixes.
    #[arg(value_name = "UUID")]
    pub uuids: Vec<String>,
    /// Wait for a batch to finish (or be cancelled).
    #[arg(long, value_name = "ID", conflicts_with_all = ["uuids", "chain", "queue"])]
    pub batch: Option<String>,
    /// Wait for a chain (its first job's uuid): its last link, or its first final failure.
    #[arg(long, value_name = "UUID", conflicts_with_all = ["uuids", "queue"])]
    pub chain: Option<String>,
    /// Wait until these queues have nothing pending, delayed or reserved.
    #[arg(long, value_name = "Q,…", conflicts_with = "uuids")]
    pub queue: Option<String>,
    /// Give up after this long (exit 124; the jobs stay queued).
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

/// What to wait for.
pub enum Target {
    Jobs(Vec<String>),
    Batch(String),
    Chain(String),
    Queues(Vec<String>),
}

/// How one named thing ended.
#[derive(Debug, Clone, Serialize)]
pub struct Ended {
    pub id: String,
    /// done, failed, gone (cancelled or pruned), a batch's finished / cancelled, or a queue's
    /// empty.
    pub state: String,
    pub succeeded: bool,
    /// The failure's last attempt (for `dispatch --wait`'s exit status).
    #[serde(skip)]
    pub last_attempt: Option<AttemptView>,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub ended: Vec<Ended>,
    pub timed_out: bool,
}

/// Look once: Some(ends) when everything named has ended.
fn look(
    store: &mut dyn Store,
    target: &Target,
    now: i64,
    failed_before: &HashSet<String>,
) -> Result<Option<Vec<Ended>>> {
    match target {
        Target::Jobs(uuids) => {
            let mut ends = Vec::new();
            for uuid in uuids {
                match job_end(store, uuid, now)? {
                    Some(end) => ends.push(end),
                    None => return Ok(None),
                }
            }
            Ok(Some(ends))
        }
        Target::Chain(first) => {
            let mut uuid = first.clone();
            loop {
                let Some(job) = store.show(&uuid, now)? else {
                    return Ok(Some(vec![gone(&uuid)]));
                };
                match job.state {
                    JobState::Done => match job.payload.chained.first() {
                        Some(next) => uuid = next.payload.uuid.clone(),
                        None => return Ok(Some(vec![ended(&uuid, "done", true, None)])),
                    },
                    JobState::Failed => {
                        let last = store.attempts(&uuid)?.pop();
                        return Ok(Some(vec![ended(&uuid, "failed", false, last)]));
                    }
                    _ => return Ok(None),
                }
            }
        }
        Target::Batch(id) => {
            let Some(b) = store.batch(id)? else {
                bail!("no batch with id {id} (see `queue batches`)");
            };
            if b.cancelled_at.is_some() {
                return Ok(Some(vec![ended(id, "cancelled", false, None)]));
            }
            // Finished, or every job not yet counted as processed has failed (a failure
            // counts as pending until the batch is retried).
            if b.finished_at.is_some() || b.pending_jobs <= b.failed_jobs {
                let mut ends = vec![ended(id, "finished", b.failed_jobs == 0, None)];
                ends.extend(
                    b.failed_job_ids
                        .iter()
                        .map(|u| ended(u, "failed", false, None)),
                );
                return Ok(Some(ends));
            }
            Ok(None)
        }
        Target::Queues(queues) => {
            let stats = store.queue_stats(now)?;
            let busy = stats
                .iter()
                .filter(|s| queues.contains(&s.queue))
                .any(|s| s.pending + s.delayed + s.reserved > 0);
            if busy {
                return Ok(None);
            }
            let mut ends: Vec<Ended> = queues
                .iter()
                .map(|q| ended(q, "empty", true, None))
                .collect();
            for q in queues {
                for f in store.failed_jobs(Some(q))? {
                    if !failed_before.contains(&f.uuid) {
                        ends.push(ended(&f.uuid, "failed", false, None));
                    }
                }
            }
            Ok(Some(ends))
        }
    }
}

fn ended(id: &str, state: &str, succeeded: bool, last: Option<AttemptView>) -> Ended {
    Ended {
        id: id.to_string(),
        state: state.to_string(),
        succeeded,
        last_attempt: last,
    }
}

fn gone(uuid: &str) -> Ended {
    ended(uuid, "gone", false, None)
}

/// A job's end, None while it is still queued or running.
fn job_end(store: &mut dyn Store, uuid: &str, now: i64) -> Result<Option<Ended>> {
    let Some(job) = store.show(uuid, now)? else {
        return Ok(Some(gone(uuid)));
    };
    Ok(match job.state {
        JobState::Done => Some(ended(uuid, "done", true, None)),
        JobState::Failed => {
            let last = store.attempts(uuid)?.pop();
            Some(ended(uuid, "failed", false, last))
        }
        _ => None,
    })
}

/// The queues whose wake-ups tell of `target`'s ends.
fn queues_of(store: &mut dyn Store, target: &Target, now: i64) -> Result<Vec<String>> {
    Ok(match target {
        Target::Queues(q) => q.clone(),
        Target::Jobs(uuids) => {
            let mut qs = Vec::new();
            for u in uuids {
                if let Some(j) = store.show(u, now)? {
                    qs.push(j.queue);
                }
            }
            qs
        }
        Target::Chain(u) => store
            .show(u, now)?
            .map(|j| vec![j.queue])
            .unwrap_or_default(),
        Target::Batch(_) => Vec::new(),
    })
}

/// Block until `target` has ended or `timeout` passes; `tick` is called at every look (to
/// stream output while waiting).
pub fn wait_for(
    ctx: &Ctx,
    store: &mut dyn Store,
    target: &Target,
    timeout: Option<Duration>,
    mut tick: impl FnMut(&mut dyn Store) -> Result<()>,
) -> Result<Outcome> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut queues = queues_of(store, target, ctx.now_ms())?;
    queues.sort();
    queues.dedup();
    // Subscribe first, then look: an end committed in between wakes us.
    let (tx, rx) = mpsc::channel::<()>();
    let id = format!(
        "wait:{}:{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let _wakeups = store.subscribe(&id, &queues, Box::new(move || tx.send(()).is_ok()))?;
    let failed_before: HashSet<String> = match target {
        Target::Queues(qs) => {
            let mut seen = HashSet::new();
            for q in qs {
                seen.extend(store.failed_jobs(Some(q))?.into_iter().map(|f| f.uuid));
            }
            seen
        }
        _ => HashSet::new(),
    };
    loop {
        tick(store)?;
        if let Some(ended) = look(store, target, ctx.now_ms(), &failed_before)? {
            tick(store)?;
            return Ok(Outcome {
                ended,
                timed_out: false,
            });
        }
        let mut nap = FALLBACK_POLL;
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Outcome {
                    ended: Vec::new(),
                    timed_out: true,
                });
            }
            nap = nap.min(left);
        }
        let _ = rx.recv_timeout(nap);
        while rx.try_recv().is_ok() {}
    }
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    let target = match (&args.batch, &args.chain, &args.queue) {
        (Some(b), _, _) => Target::Batch(b.clone()),
        (_, Some(c), _) => Target::Chain(super::resolve_uuid(store.as_mut(), c)?),
        (_, _, Some(q)) => Target::Queues(q.split(',').map(|s| s.trim().to_string()).collect()),
        _ if args.uuids.is_empty() => {
            bail!("say what to wait for: UUID…, --batch ID, --chain UUID or --queue Q")
        }
        _ => Target::Jobs(resolve_uuids(store.as_mut(), &args.uuids)?),
    };
    let outcome = wait_for(ctx, store.as_mut(), &target, args.timeout, |_| Ok(()))?;
    report(ctx, &outcome)
}

/// Print the outcome and choose the exit status.
pub fn report(ctx: &Ctx, outcome: &Outcome) -> Result<ExitCode> {
    if ctx.out.json {
        ctx.out.json(outcome)?;
    }
    if outcome.timed_out {
        eprintln!("queue: timed out waiting; the jobs stay queued");
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    }
    let failed: Vec<&Ended> = outcome.ended.iter().filter(|e| !e.succeeded).collect();
    for e in &failed {
        eprintln!("queue: {} {}", e.id, e.state);
    }
    if !ctx.out.json && failed.is_empty() {
        ctx.out.say("All succeeded.");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
