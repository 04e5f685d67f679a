//! The state changes people and scripts make from the command line rather than a worker's loop:
//! retrying, forgetting and flushing failed jobs, clearing a queue, pruning, settings, and
//! batches (create, add to, cancel, prune). Each is one transaction; instants the caller gives
//! on its own clock are moved onto the server's (`rebase`).

use super::clock::rebase;
use super::tx::Tx;
use super::PostgresStore;
use crate::domain::job::NewJob;
use crate::store::lifecycle::{self, Serialized};
use crate::store::verbs::Verbs;
use crate::store::{Enqueued, NewBatch, PrunedBatches, RetrySelection};
use anyhow::{bail, Result};

/// `Store::retry_failed`.
pub(super) fn retry_failed(
    store: &mut PostgresStore,
    selection: &RetrySelection,
    now_ms: i64,
) -> Result<Vec<String>> {
    store.leave_worker_session()?;
    store.write(|tx| {
        let now = tx.now;
        let retried: Vec<String> = match selection {
            RetrySelection::All | RetrySelection::Queue(_) => {
                let queue = match selection {
                    RetrySelection::Queue(q) => Some(q.as_str()),
                    _ => None,
                };
                // Newest failure first, as SQLite's store puts them back.
                tx.query(
                    "WITH moved AS (
                         DELETE FROM failed_jobs WHERE ($1::text IS NULL OR queue = $1)
                         RETURNING id, uuid, queue, name, payload),
                     inserted AS (
                         INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                         SELECT uuid, queue, name, payload, $2, $2 FROM moved ORDER BY id DESC),
                     forgotten AS (
                         DELETE FROM finished_jobs WHERE uuid IN (SELECT uuid FROM moved))
                     SELECT uuid, queue FROM moved ORDER BY id DESC",
                    &[&queue, &now],
                )?
                .iter()
                .map(|r| {
                    tx.wake(r.get("queue"));
                    r.get("uuid")
                })
                .collect()
            }
            RetrySelection::Uuids(list) | RetrySelection::Selected(list) => {
                let strict = matches!(selection, RetrySelection::Uuids(_));
                let mut retried: Vec<String> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for uuid in list {
                    if !seen.insert(uuid.as_str()) {
                        continue;
                    }
                    // The job goes back with its uuid and payload, attempts and exceptions reset.
                    let moved = tx.query(
                        "WITH moved AS (
                             DELETE FROM failed_jobs WHERE uuid = $1
                             RETURNING uuid, queue, name, payload)
                         INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                         SELECT uuid, queue, name, payload, $2, $2 FROM moved
                         RETURNING queue",
                        &[uuid, &now],
                    )?;
                    if moved.is_empty() && !strict {
                        continue;
                    }
                    if moved.is_empty() {
                        // An id that names no failed job is an error, and the whole retry
                        // is undone.
                        bail!(
                            "no failed job with id {uuid} (see `queue failed`); nothing was retried"
                        );
                    }
                    tx.execute("DELETE FROM finished_jobs WHERE uuid = $1", &[uuid])?;
                    tx.wake(moved[0].get("queue"));
                    retried.push(uuid.clone());
                }
                retried
            }
        };
        // A relative --retry-until counts again from the retry (on the caller's clock, as at
        // dispatch).
        for uuid in &retried {
            lifecycle::renew_for_retry(tx, uuid, now_ms)?;
        }
        crate::store::events::retried(tx, &retried)?;
        Ok(retried)
    })
}

/// `Store::flush_failed`.
pub(super) fn flush_failed(store: &mut PostgresStore, before_ms: Option<i64>) -> Result<usize> {
    store.write(|tx| {
        let before = before_ms.map_or(i64::MAX, |b| rebase(b, tx.skew));
        tx.execute(
            "DELETE FROM job_attempts a WHERE uuid IN
                 (SELECT uuid FROM failed_jobs WHERE failed_at <= $1)
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.uuid = a.uuid)",
            &[&before],
        )?;
        let n = tx.execute("DELETE FROM failed_jobs WHERE failed_at <= $1", &[&before])?;
        Ok(n as usize)
    })
}

/// `Store::clear`.
pub(super) fn clear(store: &mut PostgresStore, queue: &str) -> Result<usize> {
    store.write(|tx| {
        // The unique locks of the cleared jobs go with them.
        tx.execute(
            "DELETE FROM locks WHERE key LIKE 'unique:%'
               AND owner IN (SELECT uuid FROM jobs WHERE queue = $1)",
            &[&queue],
        )?;
        tx.execute(
            "DELETE FROM job_attempts a WHERE uuid IN (SELECT uuid FROM jobs WHERE queue = $1)
               AND NOT EXISTS (SELECT 1 FROM failed_jobs f WHERE f.uuid = a.uuid)",
            &[&queue],
        )?;
        Ok(tx.execute("DELETE FROM jobs WHERE queue = $1", &[&queue])? as usize)
    })
}

/// `Store::prune_finished`.
pub(super) fn prune_finished(store: &mut PostgresStore, before_ms: i64) -> Result<usize> {
    store.write(|tx| {
        let before = rebase(before_ms, tx.skew);
        // The attempts go with their job (unless it was retried and is back, or failed).
        // NOT EXISTS, a lookup by each table's uuid index: `NOT IN (SELECT uuid FROM jobs)`
        // is hashed only while the uuids fit in work_mem, and with a million jobs queued it
        // scanned them all for every attempt row, holding a worker for minutes.
        tx.execute(
            "DELETE FROM job_attempts a WHERE uuid IN
                 (SELECT uuid FROM finished_jobs WHERE finished_at < $1)
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.uuid = a.uuid)
               AND NOT EXISTS (SELECT 1 FROM failed_jobs f WHERE f.uuid = a.uuid)",
            &[&before],
        )?;
        Ok(tx.execute(
            "DELETE FROM finished_jobs WHERE finished_at < $1",
            &[&before],
        )? as usize)
    })
}

/// `Store::set_setting`.
pub(super) fn set_setting(store: &mut PostgresStore, key: &str, value: Option<&str>) -> Result<()> {
    store.write(|tx| {
        match value {
            Some(v) => tx.execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &v],
            )?,
            None => tx.execute("DELETE FROM settings WHERE key = $1", &[&key])?,
        };
        // `restart`, `resume` and `up` must reach idle workers on every host at once.
        tx.wake_all();
        crate::store::events::setting_changed(tx, key, value)
    })
}

/// `Store::create_batch`.
pub(super) fn create_batch(
    store: &mut PostgresStore,
    batch: &NewBatch,
    jobs: &[NewJob],
) -> Result<()> {
    store.leave_worker_session()?;
    let jobs = Serialized::all(jobs)?;
    store.write(|tx| lifecycle::create_batch(tx, batch, &jobs))
}

/// `Store::add_to_batch`.
pub(super) fn add_to_batch(
    store: &mut PostgresStore,
    batch_id: &str,
    jobs: &[NewJob],
) -> Result<()> {
    store.leave_worker_session()?;
    let jobs = Serialized::all(jobs)?;
    store.write(|tx| lifecycle::add_to_batch(tx, batch_id, &jobs))
}

/// `Store::cancel_batch`.
pub(super) fn cancel_batch(store: &mut PostgresStore, id: &str) -> Result<bool> {
    store.write(|tx| {
        let now = tx.now;
        // Only a batch not cancelled before is cancelled now (one event).
        let cancelled = tx.opt(
            "UPDATE job_batches SET cancelled_at = $2, finished_at = COALESCE(finished_at, $2)
             WHERE id = $1 AND cancelled_at IS NULL RETURNING name",
            &[&id, &now],
        )?;
        if let Some(row) = cancelled {
            let name: String = row.get(0);
            let event = crate::domain::events::name::BATCH_CANCELLED;
            crate::store::events::batch(tx, event, id, &name)?;
            return Ok(true);
        }
        Ok(tx
            .opt("SELECT 1 FROM job_batches WHERE id = $1", &[&id])?
            .is_some())
    })
}

/// `Store::prune_batches`.
pub(super) fn prune_batches(
    store: &mut PostgresStore,
    finished_before: i64,
    unfinished_before: Option<i64>,
    cancelled_before: Option<i64>,
) -> Result<PrunedBatches> {
    store.write(|tx| {
        let skew = tx.skew;
        let finished = tx.execute(
            "DELETE FROM job_batches WHERE finished_at IS NOT NULL AND finished_at < $1",
            &[&rebase(finished_before, skew)],
        )?;
        let unfinished = match unfinished_before {
            Some(t) => tx.execute(
                "DELETE FROM job_batches WHERE finished_at IS NULL AND created_at < $1",
                &[&rebase(t, skew)],
            )?,
            None => 0,
        };
        let cancelled = match cancelled_before {
            Some(t) => tx.execute(
                "DELETE FROM job_batches WHERE cancelled_at IS NOT NULL AND created_at < $1",
                &[&rebase(t, skew)],
            )?,
            None => 0,
        };
        Ok(PrunedBatches {
            finished: finished as usize,
            unfinished: unfinished as usize,
            cancelled: cancelled as usize,
        })
    })
}

/// Dispatch inside a caller's own transaction on the store's database (the library's
/// `dispatch_in_postgres`): the jobs exist if and only if that transaction commits, and the
/// NOTIFY that wakes idle workers is delivered with that commit (PostgreSQL sends a
/// transaction's notifications when it commits, and drops them when it rolls back).
pub fn enqueue_in(
    tx: &mut postgres::Transaction<'_>,
    jobs: &[NewJob],
    clock: &dyn crate::clock::Clock,
) -> Result<Vec<Enqueued>> {
    let jobs = Serialized::all(jobs)?;
    let db_now: i64 = tx
        .query_one(
            "SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint",
            &[],
        )?
        .get(0);
    // The server's clock minus this host's (both moved by the test offset alike).
    let skew = db_now - crate::clock::system_now_ms();
    let mut cache = Default::default();
    let mut v = Tx::new(tx, &mut cache, db_now + clock.offset_ms(), skew);
    let results = lifecycle::enqueue(&mut v, &jobs)?;
    v.send_notifies()?;
    Ok(results)
}
