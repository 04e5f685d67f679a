//! The worker's upkeep in the store: registering it (so `queue status` lists it), heartbeats
//! that extend its jobs' leases and its own entry, and pruning finished jobs past retention.
//! Heartbeats come often enough that a lease is never lost to a live worker.

use super::hostname;
use super::main_loop::Worker;
use crate::store::WorkerInfo;
use anyhow::Result;
use std::time::{Duration, Instant};

const PRUNE_EVERY: Duration = Duration::from_secs(600);

impl Worker<'_> {
    pub(super) fn register(&mut self) -> Result<()> {
        let now = self.clock.now_ms();
        let info = WorkerInfo {
            id: self.worker_id.clone(),
            name: self.opts.name.clone(),
            host: hostname(),
            pid: std::process::id(),
            queues: self.opts.queues.clone(),
            concurrency: self.opts.concurrency,
            started_at: now,
            last_seen_at: now,
            jobs: vec![],
        };
        self.store.register_worker(&info, now + self.alive_for())
    }

    /// How long a worker counts as alive after a heartbeat: three missed beats, and never
    /// less than its leases (so a listed worker's jobs are never up for grabs).
    fn alive_for(&self) -> i64 {
        (self.heartbeat_every() * 3)
            .max(self.opts.lease)
            .as_millis() as i64
    }

    pub(super) fn heartbeat_every(&self) -> Duration {
        (self.opts.lease / 3).clamp(Duration::from_millis(100), Duration::from_secs(30))
    }

    pub(super) fn heartbeat_if_due(&mut self) -> Result<()> {
        if self.last_heartbeat.elapsed() < self.heartbeat_every() {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let lease_until = now + self.opts.lease.as_millis() as i64;
        self.store
            .heartbeat(&self.worker_id, now, lease_until, now + self.alive_for())?;
        self.last_heartbeat = Instant::now();
        Ok(())
    }

    pub(super) fn prune_if_due(&mut self) -> Result<()> {
        if self.last_prune.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
            return Ok(());
        }
        let now = self.clock.now_ms();
        self.store.prune_finished(now - self.opts.retain_done_ms)?;
        self.store.prune_events(now - self.opts.retain_events_ms)?;
        self.store
            .prune_metrics(now - self.opts.retain_metrics_ms)?;
        self.last_prune = Some(Instant::now());
        Ok(())
    }
}
