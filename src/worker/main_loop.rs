//! The loop and its state: `run` sets a worker up (id, signals, wake-ups, guard, registry) and
//! turns the loop until a stop reason applies. Each turn prunes and heartbeats when due, records
//! ended attempts and claims into free slots, checks the stop reasons, and waits no longer than
//! the next heartbeat, handler deadline or kill.

use super::attempt::{Ended, Running};
use super::handler_pool::InHand;
use super::messages::Message;
use super::outage::{Outage, Unstarted};
use super::settle::NextClaim;
use super::{guard, hostname, process, resident_mb, signals, Options, Reporter, Stop};
use crate::clock::Clock;
use crate::store::Store;
use anyhow::Result;
use std::collections::{HashMap, VecDeque};
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
    // The `queue` binary's worker reaps its jobs' orphans (a library's may have children of
    // its own to wait for, so it does not).
    let subreaper = opts.guard && process::become_subreaper();
    let guard = if opts.guard {
        guard::Guard::start()
    } else {
        None
    };
    let started_ms = clock.now_ms();
    let mut worker = Worker {
        in_hand: InHand::default(),
        guard,
        subreaper,
        restart_marker,
        store,
        clock,
        opts,
        reporter,
        worker_id,
        tx,
        running: HashMap::new(),
        ended: Vec::new(),
        unstarted: VecDeque::new(),
        outage: None,
        next_slot: 0,
        popped: 0,
        stopping: None,
        stop_signals: 0,
        kill_at: None,
        paused: false,
        started_ms,
        last_heartbeat: Instant::now(),
        last_prune: None,
        empty_since: None,
    };
    worker.register()?;
    let result = worker.run_loop(&rx);
    if let Some(handle) = signal_handle {
        handle.close();
    }
    // Leave the registry on the way out (with its `worker.stopping` event and hook); a worker
    // that cannot is forgotten when its row expires.
    let reason = match &result {
        Ok(Stop::Empty) if opts.stop_when_empty_for.is_some() && !opts.stop_when_empty => {
            "empty_for"
        }
        Ok(stop) => stop.as_str(),
        Err(_) => "lost_connection",
    };
    let now = worker.clock.now_ms();
    let _ = worker
        .store
        .worker_stopping(&worker.worker_id, &opts.queues, reason, now);
    result
}

/// A running worker's state; its methods are spread over the files of `worker/` by concern.
pub(super) struct Worker<'a> {
    /// The Rust handlers' pool and the tasks handed to it.
    pub in_hand: InHand,
    /// Kills the jobs' process groups if this worker dies.
    pub guard: Option<guard::Guard>,
    /// Orphaned descendants come to this worker, which reaps them.
    pub subreaper: bool,
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
    /// Jobs claimed and not started yet (their start could not reach the store).
    pub unstarted: VecDeque<Unstarted>,
    /// The store is unavailable (since when, the next probe).
    pub outage: Option<Outage>,
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
    /// Since when no job was available (for --stop-when-empty-for).
    pub empty_since: Option<Instant>,
}

/// How often a running attempt's new output is written to the store, and how long an attempt
/// runs before it is (short jobs never pay for it).
const LIVE_EVERY: Duration = Duration::from_millis(200);

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
            // While the store is away (`outage`), store steps are skipped and yield their idle
            // value; running jobs go on and what ends is kept.
            let found_nothing = if self.store_up()? {
                self.guarded(false, |w| {
                    w.prune_if_due()?;
                    // --max-time and --memory are checked after each job, before the next
                    // claim (as Laravel's stopIfNecessary does): a worker past its limit
                    // starts nothing more.
                    if w.popped > 0 {
                        w.check_time_and_memory();
                    }
                    w.take_jobs()
                })?
            } else {
                false
            };
            // A limit that needs the store (--stop-when-done) is checked again once it is back.
            self.guarded((), |w| w.check_limits(found_nothing))?;

            if let Some(stop) = self.stopping {
                // Jobs claimed and not started yet are started first (unless the store is
                // away, when they run again after their lease).
                let in_hand = self.unstarted.is_empty() || self.outage.is_some();
                if self.running.is_empty() && in_hand {
                    if stop == Stop::Once && self.popped == 0 && !self.opts.stop_when_empty {
                        // Laravel's --once sleeps when it found nothing, then exits.
                        self.wait(rx, self.opts.sleep)?;
                    }
                    self.guarded(Vec::new(), |w| w.settle(None))?;
                    // Attempts the store could not record yet are waited for; a second stop
                    // signal gives up on them (their jobs run again after their lease).
                    if self.ended.is_empty() || self.stop_signals >= 2 {
                        return Ok(stop);
                    }
                }
            }

            // Idle slots wait for a job (or a wake-up); busy ones only for their jobs' ends.
            // Either way the heartbeat is never late.
            let idle = self.running.is_empty()
                || (self.running.len() < self.opts.concurrency && found_nothing);
            let mut wait = if idle {
                let sleep = self.opts.sleep;
                let mut wait = self
                    .guarded(sleep, |w| w.idle_wait(found_nothing))?
                    .min(self.heartbeat_every());
                if let (Some(for_), Some(since)) = (self.opts.stop_when_empty_for, self.empty_since)
                {
                    wait = wait.min(for_.saturating_sub(since.elapsed()));
                }
                wait
            } else {
                self.heartbeat_every()
            };
            if let Some(probe) = self.until_probe() {
                wait = wait.min(probe);
            }
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
            // A running process's output reaches the store every LIVE_EVERY (`logs --follow`).
            if self.running.values().any(|r| r.live.is_some()) {
                wait = wait.min(LIVE_EVERY);
            }
            self.wait(rx, wait)?;
            self.store_live_output();
            if self.subreaper {
                process::reap_strays();
            }
            if self.kill_at.is_some_and(|at| Instant::now() >= at) {
                self.signal_jobs(libc::SIGKILL);
                self.kill_at = None;
            }
            self.guarded((), |w| w.heartbeat_if_due())?;
        }
    }

    /// Record the attempts that ended and claim jobs into the free slots, both in one store
    /// call where the worker may claim; returns true when a claim found nothing available.
    fn take_jobs(&mut self) -> Result<bool> {
        self.start_unstarted()?;
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
        let room = self.room();
        while self.running.len() + self.unstarted.len() < room && self.stopping.is_none() {
            // Fill every free slot (and the handler pool's queue) with one claim (one
            // transaction).
            let mut limit = room - self.running.len() - self.unstarted.len();
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
                let encrypted = job.payload.secret.is_some();
                self.unstarted.push_back(Unstarted {
                    job,
                    announced: false,
                    encrypted,
                });
            }
            self.start_unstarted()?;
            // A command job waits for a free slot: claim no more behind it.
            let waiting = !self.unstarted.is_empty();
            if self.opts.once && got > 0 {
                self.stopping = Some(Stop::Once);
            } else if self.opts.max_jobs > 0 && self.popped >= self.opts.max_jobs {
                self.stopping = Some(Stop::MaxJobs);
            }
            if got < limit {
                return Ok(true);
            }
            if waiting {
                break;
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
        if self.running.len() + self.unstarted.len() >= self.room() {
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

    /// Write the output of running attempts that printed something since the last time, once
    /// they have run LIVE_EVERY; a store error here only delays the stream.
    fn store_live_output(&mut self) {
        let due: Vec<u64> = self
            .running
            .iter()
            // An encrypted job's output is stored sealed at its end only, never streamed in
            // clear.
            .filter(|(_, r)| !r.encrypted && r.started.elapsed() >= LIVE_EVERY)
            .filter(|(_, r)| r.live.as_ref().is_some_and(|l| l.pushed() != r.live_stored))
            .map(|(slot, _)| *slot)
            .collect();
        for slot in due {
            let Some(r) = self.running.get_mut(&slot) else {
                continue;
            };
            let (pushed, text) = r.live.as_ref().map(|l| l.read()).unwrap_or_default();
            if self.store.attempt_output(&r.job, &text).is_ok() {
                r.live_stored = pushed;
            }
        }
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

    fn check_limits(&mut self, found_nothing: bool) -> Result<()> {
        if self.stopping.is_some() {
            return Ok(());
        }
        let empty = found_nothing && self.running.is_empty();
        if !empty {
            self.empty_since = None;
        } else if self.empty_since.is_none() {
            self.empty_since = Some(Instant::now());
        }
        let empty_long_enough = match (self.opts.stop_when_empty_for, self.empty_since) {
            (Some(for_), Some(since)) => since.elapsed() >= for_,
            _ => false,
        };
        if self.opts.once && empty {
            self.stopping = Some(Stop::Once);
        } else if self.opts.stop_when_done && empty {
            // Done: nothing available now, and nothing delayed either (a retry's backoff).
            if self.store.next_available_at(&self.opts.queues)?.is_none() {
                self.stopping = Some(Stop::Empty);
            }
        } else if (self.opts.stop_when_empty && empty) || empty_long_enough {
            self.stopping = Some(Stop::Empty);
        } else {
            self.check_time_and_memory();
        }
        Ok(())
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
