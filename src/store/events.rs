//! The events of a job's and a worker's life (PRODUCT.md §9), written once for every store:
//! each is one row inserted (`Verbs::insert_event`) in the transaction of the change it
//! describes, and the hooks it fires (queue.toml's `[hooks]`, a job's `--on-failure` /
//! `--on-success`) are follow-up jobs inserted in that same transaction, so that a crash loses
//! none and none runs twice. `lifecycle` calls these at each change.
//!
//! Reading: `Follow` turns reads of the rows after a cursor into an exact stream. On SQLite
//! ids increase in commit order (its writers take turns). On PostgreSQL an id is taken when its
//! row is inserted, before its transaction commits, so a row with a smaller id can become
//! visible after one with a larger: a follower delivers rows up to the first gap only, and
//! steps over a gap once every transaction that was running when it saw the gap has ended
//! (the gap was a rollback, or its row is visible by then).

use super::verbs::{AttemptRow, Verbs};
use super::{Reserved, StoreOptions, Verdict};
use crate::clock::new_uuid;
use crate::domain::events::{hook_job, name, Event, Hooks};
use crate::domain::job::NewJob;
use crate::domain::policy::Decision;
use anyhow::Result;

/// Insert `event` at the transaction's instant (its id from the table) and return it with its
/// id and instant.
fn record(v: &mut dyn Verbs, mut event: Event) -> Result<Event> {
    event.at = v.now();
    event.id = v.insert_event(&event)?;
    Ok(event)
}

/// The event of a job as it is inserted: queued, or skipped for its unique lock (`held_by`).
fn added_event(job: &NewJob, held_by: Option<&str>) -> Event {
    let p = &job.payload;
    let (event, message) = match held_by {
        None => (name::QUEUED, None),
        Some(holder) => (
            name::UNIQUE_SKIPPED,
            Some(format!("its unique lock is held by job {holder}")),
        ),
    };
    Event {
        event: event.into(),
        uuid: Some(p.uuid.clone()),
        name: Some(p.display_name.clone()),
        queue: Some(job.queue.clone()),
        message,
        batch_id: p.batch_id.clone(),
        ..Event::default()
    }
}

/// Record a job's event as it is inserted (`added_event`).
pub fn job_added(v: &mut dyn Verbs, job: &NewJob, held_by: Option<&str>) -> Result<()> {
    record(v, added_event(job, held_by))?;
    Ok(())
}

/// The `job.queued` events of jobs inserted together (a chunk of a streamed dispatch), in one
/// verb.
pub fn jobs_queued<'j>(v: &mut dyn Verbs, jobs: impl Iterator<Item = &'j NewJob>) -> Result<()> {
    let at = v.now();
    let events: Vec<Event> = jobs
        .map(|job| Event {
            at,
            ..added_event(job, None)
        })
        .collect();
    v.insert_events(&events)
}

/// A job was reserved by `worker` for an attempt (Laravel's JobProcessing).
pub fn processing(v: &mut dyn Verbs, job: &Reserved, worker: &str) -> Result<()> {
    record(
        v,
        Event {
            event: name::PROCESSING.into(),
            uuid: Some(job.uuid.clone()),
            name: Some(job.payload.display_name.clone()),
            queue: Some(job.queue.clone()),
            attempt: Some(job.attempts),
            worker: Some(worker.to_string()),
            batch_id: job.payload.batch_id.clone(),
            ..Event::default()
        },
    )?;
    Ok(())
}

/// An attempt ended as `verdict` decided: its events in Laravel's order (timed out, exception,
/// then processed / released / released after exception / failed), and the hooks they fire.
/// `error` is a final failure's whole text.
pub fn attempt_ended(
    v: &mut dyn Verbs,
    job: &Reserved,
    row: &AttemptRow,
    verdict: &Verdict,
    error: Option<&str>,
    options: &StoreOptions,
) -> Result<()> {
    let now = v.now();
    let p = &job.payload;
    let base = Event {
        at: now,
        uuid: Some(job.uuid.clone()),
        name: Some(row.name.clone()),
        queue: Some(job.queue.clone()),
        attempt: Some(job.attempts),
        worker: Some(row.worker_id.clone()).filter(|w| !w.is_empty()),
        exit_code: job.exit.code,
        signal: job.exit.signal,
        duration_ms: Some((now - row.reserved_at).max(0)),
        batch_id: p.batch_id.clone(),
        ..Event::default()
    };
    let event = |event: &str, message: Option<String>| Event {
        event: event.into(),
        message,
        ..base.clone()
    };
    // Store-wide hooks do not fire for a hook's own job (a hook of a hook would never end).
    let hooks = (!p.hook).then_some(&options.hooks);
    let cause = job.cause.clone();
    if job.exit.timed_out {
        record(v, event(name::TIMED_OUT, cause.clone()))?;
    }
    if verdict.threw {
        let e = record(v, event(name::EXCEPTION, cause.clone()))?;
        if let Some(cmd) = hooks.and_then(|h| h.exception.as_deref()) {
            queue_hook(v, cmd, "exception hook", &e, job, options)?;
        }
    }
    match &verdict.decision {
        Decision::Complete => {
            let e = record(v, event(name::PROCESSED, None))?;
            if let Some(cmd) = hooks.and_then(|h| h.after.as_deref()) {
                queue_hook(v, cmd, "after hook", &e, job, options)?;
            }
            if let Some(cmd) = &p.on_success {
                queue_own(v, cmd, "on-success", &e, job, options)?;
            }
        }
        Decision::Release {
            delay_ms,
            exception,
        } => {
            let again = format!("retried in {}s", (*delay_ms as f64 / 1000.0).ceil());
            let (event_name, message) = match (exception, cause) {
                (true, Some(cause)) => {
                    (name::RELEASED_AFTER_EXCEPTION, format!("{cause}; {again}"))
                }
                (true, None) => (name::RELEASED_AFTER_EXCEPTION, again),
                (false, Some(cause)) => (name::RELEASED, format!("{cause}; {again}")),
                (false, None) => (name::RELEASED, again),
            };
            record(v, event(event_name, Some(message)))?;
        }
        Decision::Fail { reason } => {
            let text = error.unwrap_or(reason).to_string();
            let e = record(v, event(name::FAILED, Some(text)))?;
            if let Some(cmd) = hooks.and_then(|h| h.failing.as_deref()) {
                queue_hook(v, cmd, "failing hook", &e, job, options)?;
            }
            if let Some(cmd) = &p.on_failure {
                queue_own(v, cmd, "on-failure", &e, job, options)?;
            }
        }
    }
    Ok(())
}

/// A store-wide hook's job: in queue.toml's directory, on `hooks_queue` or the job's queue.
fn queue_hook(
    v: &mut dyn Verbs,
    command: &str,
    what: &str,
    event: &Event,
    job: &Reserved,
    options: &StoreOptions,
) -> Result<()> {
    let hooks = &options.hooks;
    let queue = hooks.queue.as_deref().unwrap_or(&job.queue);
    let dir = if hooks.dir.is_empty() {
        &job.payload.cwd
    } else {
        &hooks.dir
    };
    let hook = hook_job(command, what, event, queue, dir, new_uuid(), v.now());
    super::lifecycle::insert_made(v, &hook)
}

/// A job's own `--on-failure` / `--on-success`: in the job's directory, on `hooks_queue` or
/// the job's queue.
fn queue_own(
    v: &mut dyn Verbs,
    command: &str,
    what: &str,
    event: &Event,
    job: &Reserved,
    options: &StoreOptions,
) -> Result<()> {
    let queue = options.hooks.queue.as_deref().unwrap_or(&job.queue);
    let hook = hook_job(
        command,
        what,
        event,
        queue,
        &job.payload.cwd,
        new_uuid(),
        v.now(),
    );
    super::lifecycle::insert_made(v, &hook)
}

/// Failed jobs were put back on their queues by `queue retry`: each is queued again.
pub fn retried(v: &mut dyn Verbs, uuids: &[String]) -> Result<()> {
    if uuids.is_empty() {
        return Ok(());
    }
    v.insert_queued_events(uuids, "retried")
}

/// A claimed row that cannot be read went to failed jobs with `reason`.
pub fn unreadable_failed(
    v: &mut dyn Verbs,
    job: &super::rows::Unreadable,
    job_name: &str,
    reason: &str,
) -> Result<()> {
    record(
        v,
        Event {
            event: name::FAILED.into(),
            uuid: Some(job.uuid.clone()),
            name: Some(job_name.to_string()),
            queue: Some(job.queue.clone()),
            attempt: Some(job.attempts),
            message: Some(reason.to_string()),
            ..Event::default()
        },
    )?;
    Ok(())
}

/// A queued or delayed job was deleted by `queue cancel`.
pub fn cancelled(v: &mut dyn Verbs, uuid: &str, queue: &str, name: &str) -> Result<()> {
    record(
        v,
        Event {
            event: name::CANCELLED.into(),
            uuid: Some(uuid.to_string()),
            name: Some(name.to_string()),
            queue: Some(queue.to_string()),
            ..Event::default()
        },
    )?;
    Ok(())
}

/// A batch finished or was cancelled (`event` one of the two batch names).
pub fn batch(v: &mut dyn Verbs, event: &str, batch_id: &str, batch_name: &str) -> Result<()> {
    record(
        v,
        Event {
            event: event.into(),
            name: Some(batch_name.to_string()).filter(|n| !n.is_empty()),
            batch_id: Some(batch_id.to_string()),
            ..Event::default()
        },
    )?;
    Ok(())
}

/// A worker started (`stopping` None) or stops for `stopping` (the reason); a stop (but that of
/// a `--once` worker) fires the `stopping` hook, in queue.toml's directory, on `hooks_queue` or
/// the worker's first queue.
pub fn worker(
    v: &mut dyn Verbs,
    worker_id: &str,
    queues: &[String],
    stopping: Option<&str>,
    hooks: &Hooks,
) -> Result<()> {
    let event = record(
        v,
        Event {
            event: match stopping {
                None => name::WORKER_STARTING,
                Some(_) => name::WORKER_STOPPING,
            }
            .into(),
            queue: Some(queues.join(",")),
            worker: Some(worker_id.to_string()),
            message: stopping.map(str::to_string),
            ..Event::default()
        },
    )?;
    // A `--once` worker (each of `queue listen`'s) is not a stopping worker in Laravel's sense:
    // its hook would queue a job for the next one, for ever.
    let stops = stopping.filter(|reason| *reason != "once");
    if let (Some(_), Some(command)) = (stops, &hooks.stopping) {
        let queue = hooks
            .queue
            .clone()
            .or_else(|| queues.first().cloned())
            .unwrap_or_else(|| "default".into());
        let dir = if hooks.dir.is_empty() {
            "."
        } else {
            &hooks.dir
        };
        let job = hook_job(
            command,
            "stopping hook",
            &event,
            &queue,
            dir,
            new_uuid(),
            v.now(),
        );
        super::lifecycle::insert_made(v, &job)?;
    }
    Ok(())
}

/// A setting changed: pausing or resuming a queue (`paused:CONN:QUEUE`) is an event.
pub fn setting_changed(v: &mut dyn Verbs, key: &str, value: Option<&str>) -> Result<()> {
    let Some(queue) = key.strip_prefix(super::PAUSED_PREFIX) else {
        return Ok(());
    };
    let (connection_queue, event) = match value {
        Some(_) => (queue, name::QUEUE_PAUSED),
        None => (queue, name::QUEUE_RESUMED),
    };
    let queue = connection_queue
        .split_once(':')
        .map_or(connection_queue, |(_, q)| q);
    record(
        v,
        Event {
            event: event.into(),
            queue: Some(queue.to_string()),
            message: Some(connection_queue.to_string()),
            ..Event::default()
        },
    )?;
    Ok(())
}

/// A read of the events after a cursor: the rows (oldest first) and, on a store whose ids are
/// taken before commit, what its server said of the transactions in progress.
#[derive(Debug, Clone, Default)]
pub struct EventRead {
    pub events: Vec<Event>,
    /// PostgreSQL: the snapshot's (xmin, xmax) as the rows were read; None on SQLite, whose
    /// ids are in commit order.
    pub snapshot: Option<(i64, i64)>,
}

/// A follower's position: every event with an id up to `cursor` was delivered (or is known
/// never to come). At a gap after it, the follower waits for the transactions that might still
/// fill it: the xmax of the read after the one that saw the gap (by then a writer that had
/// taken its id has its transaction id too), and once a read's xmin has passed that, every
/// one of them has ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Follow {
    pub cursor: i64,
    gap: Gap,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Gap {
    #[default]
    None,
    Seen,
    Waiting {
        xmax: i64,
    },
}

impl Follow {
    pub fn after(cursor: i64) -> Follow {
        Follow {
            cursor,
            gap: Gap::None,
        }
    }

    /// Whether a gap holds the follower back (it should read again soon).
    pub fn waiting(&self) -> bool {
        self.gap != Gap::None
    }

    /// The events of `read` to deliver now, in id order; the cursor moves past them.
    pub fn take(&mut self, read: EventRead) -> Vec<Event> {
        let Some((xmin, xmax)) = read.snapshot else {
            if let Some(last) = read.events.last() {
                self.cursor = self.cursor.max(last.id);
            }
            return read.events;
        };
        let mut out = Vec::new();
        for event in read.events {
            let next = event.id == self.cursor + 1;
            let over = matches!(self.gap, Gap::Waiting { xmax: seen } if xmin >= seen);
            if next || over {
                self.cursor = event.id;
                self.gap = Gap::None;
                out.push(event);
                continue;
            }
            self.gap = match self.gap {
                Gap::None => Gap::Seen,
                Gap::Seen => Gap::Waiting { xmax },
                waiting => waiting,
            };
            break;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64) -> Event {
        Event {
            id,
            ..Event::default()
        }
    }

    fn ids(events: &[Event]) -> Vec<i64> {
        events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn a_follower_waits_at_a_gap_until_the_transactions_that_could_fill_it_end() {
        let mut f = Follow::after(0);
        let read = |events: Vec<Event>, xmin, xmax| EventRead {
            events,
            snapshot: Some((xmin, xmax)),
        };
        // 2 is not visible yet: 1 goes, 3 waits.
        assert_eq!(ids(&f.take(read(vec![ev(1), ev(3)], 100, 105))), vec![1]);
        assert!(f.waiting());
        // The next read fixes the horizon (106); transactions before it still run.
        assert_eq!(ids(&f.take(read(vec![ev(3)], 103, 106))), Vec::<i64>::new());
        assert_eq!(ids(&f.take(read(vec![ev(3)], 105, 110))), Vec::<i64>::new());
        // 2 committed meanwhile: both, in order.
        assert_eq!(ids(&f.take(read(vec![ev(2), ev(3)], 105, 110))), vec![2, 3]);
        assert!(!f.waiting());
        // A gap whose writer rolled back is stepped over once they have all ended.
        assert_eq!(ids(&f.take(read(vec![ev(5)], 110, 112))), Vec::<i64>::new());
        assert_eq!(ids(&f.take(read(vec![ev(5)], 110, 113))), Vec::<i64>::new());
        assert_eq!(ids(&f.take(read(vec![ev(5), ev(6)], 113, 115))), vec![5, 6]);
        assert_eq!(f.cursor, 6);
    }

    #[test]
    fn sqlite_reads_are_delivered_whole() {
        let mut f = Follow::after(10);
        let got = f.take(EventRead {
            events: vec![ev(12), ev(15)],
            snapshot: None,
        });
        assert_eq!(ids(&got), vec![12, 15]);
        assert_eq!(f.cursor, 15);
    }
}
