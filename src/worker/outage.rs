//! Riding out a store that is unavailable for a while (a PostgreSQL restart or failover, a
//! dropped connection, a full disk, an I/O error; `store::is_unavailable`): the worker's store
//! steps go through `guarded`, which turns such an error into an outage instead of the
//! worker's end. Meanwhile running jobs keep running, ended attempts and jobs claimed but not
//! yet started are kept, and no store step is tried; the store is probed with backoff (100 ms,
//! doubling, at most 5 s apart). Once it answers, the worker says so, registers again (its row
//! may have expired), frees what the store reserved in its name that it never received (a
//! claim committed as the connection broke), and goes around its loop: that records what ended, heartbeats, and
//! claims (the catch-up for wake-ups missed meanwhile). One line when the store goes, one
//! when it is back.

use super::main_loop::Worker;
use super::Event;
use crate::store::{is_unavailable, retry_pause, Reserved};
use anyhow::Result;
use std::time::{Duration, Instant};

/// The store has been unavailable since `since`; the next probe is due at `next_try`.
pub(super) struct Outage {
    since: Instant,
    failures: u32,
    next_try: Instant,
}

/// A job claimed whose start could not reach the store (admission, or failing it unrun): it is
/// started again once the store is back.
pub(super) struct Unstarted {
    pub job: Reserved,
    /// Its RUNNING line was printed already.
    pub announced: bool,
    /// It came encrypted (its payload may be open by now): its output is sealed.
    pub encrypted: bool,
}

impl Worker<'_> {
    /// Run a store step, unless the store is away (then `idle`, without trying). An
    /// unavailable store starts an outage and yields `idle` too; other errors are returned.
    pub(super) fn guarded<T>(
        &mut self,
        idle: T,
        step: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        if self.outage.is_some() {
            return Ok(idle);
        }
        match step(self) {
            Ok(value) => Ok(value),
            Err(e) if is_unavailable(&e) => {
                self.store_gone(&e);
                Ok(idle)
            }
            Err(e) => Err(e),
        }
    }

    /// True when the store may be used this turn: there is no outage, or a probe that was due
    /// found the store back.
    pub(super) fn store_up(&mut self) -> Result<bool> {
        let Some(since) = self.outage.as_ref().map(|o| o.since) else {
            return Ok(true);
        };
        if self.until_probe().is_some_and(|left| !left.is_zero()) {
            return Ok(false);
        }
        // A real query on both stores (PostgreSQL's controls may answer from the LISTEN copy).
        let probe = self
            .store
            .next_available_at(&self.opts.queues)
            .and_then(|_| self.register())
            .and_then(|_| self.free_unheld());
        match probe {
            Ok(()) => {
                let down = since.elapsed();
                self.outage = None;
                self.reporter.report(Event::StoreBack { down });
                // Heartbeat at once: leases may be close to their end.
                self.last_heartbeat = Instant::now() - self.heartbeat_every();
                Ok(true)
            }
            Err(e) if is_unavailable(&e) => {
                self.store_gone(&e);
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Free what the store reserved in this worker's name that it does not hold: a claim
    /// that committed while the connection broke never reached the worker, and its
    /// heartbeats (which extend every lease in its name) would keep that job reserved.
    fn free_unheld(&mut self) -> Result<()> {
        let held: Vec<&str> = self
            .running
            .values()
            .map(|r| r.job.token.as_str())
            .chain(self.ended.iter().map(|e| e.running.job.token.as_str()))
            .chain(self.unstarted.iter().map(|u| u.job.token.as_str()))
            .collect();
        let now = self.clock.now_ms();
        self.store.free_unheld(&self.worker_id, &held, now)?;
        Ok(())
    }

    /// How long the loop may wait before the next probe, during an outage.
    pub(super) fn until_probe(&self) -> Option<Duration> {
        self.outage
            .as_ref()
            .map(|o| o.next_try.saturating_duration_since(Instant::now()))
    }

    fn store_gone(&mut self, e: &anyhow::Error) {
        let now = Instant::now();
        match &mut self.outage {
            Some(outage) => {
                outage.failures += 1;
                outage.next_try = now + retry_pause(outage.failures);
            }
            None => {
                let error = format!("{e:#}");
                self.reporter
                    .report(Event::StoreUnavailable { error: &error });
                self.outage = Some(Outage {
                    since: now,
                    failures: 1,
                    next_try: now + retry_pause(1),
                });
            }
        }
    }
}
