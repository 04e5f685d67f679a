//! The loop and its state: `run` sets a worker up (id, signals, wake-ups, guard, registry) and
//! turns the loop until a stop reason applies. Each turn prunes and heartbeats when due, records
//! ended attempts and claims into free slots, checks the stop reasons, and waits no longer than
//! the next heartbeat, handler deadline or kill.

use super::attempt::{Ended, Running};
use super::handler_pool::HandlerTask;
use super::messages::Message;
use super::settle::NextClaim;
use super::{guard, hostname, pool, resident_mb, signals, Options, Reporter, Stop};
use crate::clock::Clock;
use crate::store::Store;
use anyhow::Result;
use std::collections::HashMap;
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Run the worker loop until a stop reason applies; returns it.
pub fn run(
    store: &mut dyn Store,
    clock: Arc<dyn Clock>,
    opts: &Options,
    reporter: &mut dyn Reporter,
) -> Result<Stop> {
    // 64 random bits: unique across hosts even when every container is `localhost`, pid 1.
    let worker_id = format!(
        "{}:{}:{}",
        hostname(),
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    );
    let (tx, rx) = mpsc::channel::<Message>();
    let signal_handle = if opts.handle_signals {
        Some(signals::forward(tx.clone(), Message::Signal)?)
    } else {
        None
    };
    // Instant pickup: the store wakes this idle worker when work may have come.
    let wake_tx = tx.clone();
    let _wakeups = store.subscribe(
        &worker_id,
        &opts.queues,
        Box::new(move || wake_tx.send(Message::Wake).is_ok()),
    )?;
    let restart_marker = store.controls()?.restart;
    let guard = if opts.guard {
        guard::Guard::start()
    } else {
        None
    };
    let started_ms = clock.now_ms();
    let mut worker = Worker {
        handlers: None,
        guard,
        restart_marker,
        store,
        clock,
        opts,
        reporter,
        worker_id,
        tx,
        running: HashMap::new(),
        ended: Vec::new(),
        next_slot: 0,
        popped: 0,
        stopping: None,
        stop_signals: 0,
        kill_at: None,
        paused: false,
        started_ms,
        last_heartbeat: Instant::now(),
        last_prune: None,
    };
    worker.register()?;
    let result = worker.run_loop(&rx);
    if let Some(handle) = signal_handle {
        handle.close();
    }
    // Leave the registry on the way out; a worker that cannot is forgotten when its row expires.
    let _ = worker.store.unregister_worker(&worker.worker_id);
    result
}

/// A running worker's state; its methods are spread over the files of `worker/` by concern.
pub(super) struct Worker<'a> {
    /// The threads that run Rust handlers (started on first use).
    pub handlers: Option<pool::Pool<HandlerTask>>,
    /// Kills the jobs' process groups if this worker dies.
    pub guard: Option<guard::Guard>,
    /// The restart marker seen at start; a different one means `queue restart` was run.
    pub restart_marker: Option<String>,
    pub store: &'a mut dyn Store,
    pub clock: Arc<dyn Clock>,
    pub opts: &'a Options,
    pub reporter: &'a mut dyn Reporter,
    pub worker_id: String,
    pub tx: Sender<Message>,
    /// The attempts in flight, by slot.
    pub running: HashMap<u64, Running>,
    /// Attempts that ended and are not yet recorded: the next claim records them in the same
    /// store call.
    pub ended: Vec<Ended>,
    pub next_slot: u64,
    /// Jobs claimed so far (for --max-jobs and --once).
    pub popped: u64,
    pub stopping: Option<Stop>,
    pub stop_signals: u32,
    /// After a second stop signal: when to SIGKILL jobs that ignored SIGTERM.
    pub kill_at: Option<Instant>,
    pub paused: bool,
    /// When it started, on its clock (for --max-time; tests move that clock).
    pub started_ms: i64,
    pub last_heartbeat: Instant,
    pub last_prune: Option<Instant>,
}

/// What the worker may claim from this turn.
enum Claimable {
    /// These queues: the worker's, less the paused ones.
    Queues(Vec<String>),
    /// Nothing for now: stopping, paused, every slot busy, or restarted.
    NotNow,
    /// Nothing, and that counts as finding nothing (so --stop-when-empty still stops):
    /// maintenance mode without --force, or every queue paused.
    Closed,
}

impl Worker<'_> {
    fn run_loop(&mut self, rx: &mpsc::Receiver<Message>) -> Result<Stop> {
        loop {
            self.prune_if_due()?;
            // --max-time and --memory are checked after each job, before the next claim (as
            // Laravel's stopIfNecessary does): a worker past its limit starts nothing more.
            if self.popped > 0 {
                self.check_time_and_memory();
            }
            let found_nothing = self.take_jobs()?;
            self.check_limits(found_nothing);

            if let Some(stop) = self.stopping {
                if self.running.is_empty() {
                    if stop == Stop::Once && self.popped == 0 && !self.opts.stop_when_empty {
                        // Laravel's --once sleeps when it found nothing, then exits.
                        self.wait(rx, self.opts.sleep)?;
                    }
                    self.settle(None)?;
                    return Ok(stop);
                }
            }

            // Idle slots wait for a job (or a wake-up); busy ones only for their jobs' ends.
            // Either way the heartbeat is never late.
            let idle = self.running.is_empty()
                || (self.running.len() < self.opts.concurrency && found_nothing);
            let mut wait = if idle {
                self.idle_wait(found_nothing)?.min(self.heartbeat_every())
            } else {
                self.heartbeat_every()
            };
            if let Some(at) = self.kill_at {
                wait = wait.min(at.saturating_duration_since(Instant::now()));
            }
            // Wake for the first handler deadline too: a handler's timeout is the loop's to see.
            if let Some(at) = self
                .running
                .values()
                .filter_map(|r| r.handler_deadline)
                .min()
            {
                wait = wait.min(at.saturating_duration_since(Instant::now()));
            }
            self.wait(rx, wait)?;
            if self.kill_at.is_some_and(|at| Instant::now() >= at) {
                self.signal_jobs(libc::SIGKILL);
                self.kill_at = None;
            }
            self.heartbeat_if_due()?;
        }
    }

    /// Record the attempts that ended and claim jobs into the free slots, both in one store
    /// call where the worker may claim; returns true when a claim found nothing available.
    fn take_jobs(&mut self) -> Result<bool> {
        let queues = match self.claimable_queues()? {
            Claimable::Queues(queues) => queues,
            Claimable::NotNow => {
                self.settle(None)?;
                return Ok(false);
            }
            Claimable::Closed => {
                self.settle(None)?;
                return Ok(true);
            }
        };
        while self.running.len() < self.opts.concurrency && self.stopping.is_none() {
            // Fill every free slot with one claim (one transaction).
            let mut limit = self.opts.concurrency - self.running.len();
            if self.opts.once {
                limit = 1;
            }
            if self.opts.max_jobs > 0 {
                limit = limit.min(self.opts.max_jobs.saturating_sub(self.popped) as usize);
            }
            let jobs = self.settle(Some(NextClaim {
                queues: &queues,
                limit,
            }))?;
            let got = jobs.len();
            for job in jobs {
                self.popped += 1;
                self.start(job)?;
            }
            if self.opts.once && got > 0 {
                self.stopping = Some(Stop::Once);
            } else if self.opts.max_jobs > 0 && self.popped >= self.opts.max_jobs {
                self.stopping = Some(Stop::MaxJobs);
            }
            if got < limit {
                return Ok(true);
            }
        }
        self.settle(None)?;
        Ok(false)
    }

    /// The queues to claim from now, or why the worker takes nothing this turn.
    fn claimable_queues(&mut self) -> Result<Claimable> {
        if self.stopping.is_some() || self.paused {
            return Ok(Claimable::NotNow);
        }
        if self.running.len() >= self.opts.concurrency {
            return Ok(Claimable::NotNow);
        }
        let controls = self.store.controls()?;
        if controls.restart != self.restart_marker {
            self.stopping = Some(Stop::Restart);
            return Ok(Claimable::NotNow);
        }
        if controls.maintenance && !self.opts.force {
            return Ok(Claimable::Closed);
        }
        let queues: Vec<String> = self
            .opts
            .queues
            .iter()
            .filter(|q| {
                !controls
                    .paused
                    .contains(&format!("{}:{q}", self.opts.connection))
            })
            .cloned()
            .collect();
        if queues.is_empty() {
            return Ok(Claimable::Closed);
        }
        Ok(Claimable::Queues(queues))
    }

    /// How long to wait when there is nothing to take: --sleep, but no later than the moment
    /// the next delayed job of our queues becomes available.
    fn idle_wait(&mut self, found_nothing: bool) -> Result<Duration> {
        if !found_nothing || self.paused || self.stopping.is_some() {
            return Ok(self.opts.sleep);
        }
        let Some(next) = self.store.next_available_at(&self.opts.queues)? else {
            return Ok(self.opts.sleep);
        };
        let until = Duration::from_millis((next - self.clock.now_ms()).max(0) as u64);
        Ok(self.opts.sleep.min(until))
    }

    fn check_limits(&mut self, found_nothing: bool) {
        if self.stopping.is_some() {
            return;
        }
        if self.opts.once && found_nothing && self.running.is_empty() {
            self.stopping = Some(Stop::Once);
        } else if self.opts.stop_when_empty && found_nothing && self.running.is_empty() {
            self.stopping = Some(Stop::Empty);
        } else {
            self.check_time_and_memory();
        }
    }

    fn check_time_and_memory(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        if self
            .opts
            .max_time
            .is_some_and(|max| self.clock.now_ms() - self.started_ms >= max.as_millis() as i64)
        {
            self.stopping = Some(Stop::MaxTime);
        } else if self.opts.memory_mb > 0 && resident_mb() >= self.opts.memory_mb {
            self.stopping = Some(Stop::Memory);
        }
    }
}
