//! The worker runtime: the loop that claims jobs, runs each in a supervised child process on its
//! own thread, heartbeats their leases, records every outcome in one transaction, and stops
//! for the reasons Laravel's worker stops (signal, restart, empty, max-time, max-jobs, memory).
//!
//! All store access happens on the loop's thread; job threads only run processes and report
//! back over a channel, which also carries signals so that an idle wait ends at once.

pub mod guard;
pub mod handler;
mod pool;
pub mod process;
pub mod signals;

use crate::clock::Clock;
use crate::crypto::Keys;
use crate::domain::job::JobCommand;
use crate::domain::named::NamedJob;
use crate::domain::policy::{verdict, Attempt, Decision, Limits, Outcome};
use crate::store::{
    Admission, Claim, Ending, Finished, Intent, Reserved, Store, Verdict, WorkerInfo,
};
use anyhow::Result;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Exit status a job uses to ask to be released (EX_TEMPFAIL).
pub const EXIT_RELEASE: i32 = 75;

/// `queue work` flags, with defaults applied.
#[derive(Debug, Clone)]
pub struct Options {
    pub queues: Vec<String>,
    pub sleep: Duration,
    pub max_jobs: u64,
    pub max_time: Option<Duration>,
    pub stop_when_empty: bool,
    pub once: bool,
    /// Seconds; 0 = no timeout. A job's own timeout wins.
    pub timeout_secs: u64,
    /// A job's own tries win; 0 or -1 = unlimited.
    pub tries: i64,
    pub backoff: Vec<u64>,
    pub rest: Duration,
    /// 0 = no limit.
    pub memory_mb: u64,
    pub name: String,
    pub force: bool,
    pub concurrency: usize,
    /// How long a reservation holds without a heartbeat (the connection's retry_after).
    pub lease: Duration,
    pub connection: String,
    /// QUEUE_DATABASE for the jobs, so that `queue` inside a job reaches this store.
    pub database_env: String,
    pub retain_done_ms: i64,
    /// The named jobs of the config this worker loaded.
    pub named_jobs: BTreeMap<String, NamedJob>,
    /// False: run only named jobs.
    pub allow_commands: bool,
    /// QUEUE_KEY and QUEUE_PREVIOUS_KEYS, for encrypted jobs.
    pub keys: Arc<Keys>,
    /// Rust handlers by job name (library use); they win over queue.toml's named jobs.
    pub handlers: handler::Handlers,
    /// Handle SIGTERM, SIGINT, SIGQUIT, SIGUSR2 and SIGCONT (the `queue` binary does; a program
    /// embedding a worker may keep its own signal handling).
    pub handle_signals: bool,
    /// Start the guard process (`queue guard`, this same binary) that kills a dead worker's
    /// jobs; without it jobs only get a death signal on their first process.
    pub guard: bool,
}

/// Why a worker stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupted,
    Restart,
    Empty,
    MaxTime,
    MaxJobs,
    Once,
    Memory,
}

impl Stop {
    /// The worker's exit code: 12 for the memory limit (as Laravel), 0 otherwise.
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Memory => 12,
            _ => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stop::Interrupted => "interrupted",
            Stop::Restart => "restart_signal",
            Stop::Empty => "empty",
            Stop::MaxTime => "max_time",
            Stop::MaxJobs => "max_jobs",
            Stop::Once => "once",
            Stop::Memory => "memory",
        }
    }
}

/// What a worker tells its output about.
pub enum Event<'a> {
    Started {
        job: &'a Reserved,
    },
    Finished {
        job: &'a Reserved,
        decision: &'a Decision,
        elapsed: Duration,
    },
    /// The job's reservation was lost (freed after a missed heartbeat and taken again).
    Lost {
        job: &'a Reserved,
    },
    /// Its middleware held the job back without running it.
    HeldBack {
        job: &'a Reserved,
        delay_ms: i64,
        reason: &'a str,
    },
}

pub trait Reporter {
    fn report(&mut self, event: Event<'_>);
}

enum Message {
    Spawned {
        slot: u64,
        pgid: u32,
    },
    Done {
        slot: u64,
        end: AttemptEnd,
    },
    Signal(signals::Signal),
    /// The store says work may have come (a dispatch, a retry, restart / resume / up).
    Wake,
}

struct Running {
    job: Reserved,
    pgid: Option<u32>,
    /// A handler's deadline, enforced by the loop (a process's by its own thread).
    handler_deadline: Option<Instant>,
}

/// How an attempt ended, as its thread saw it.
struct AttemptEnd {
    outcome: Outcome,
    output: String,
    elapsed: Duration,
}

impl AttemptEnd {
    fn from_process(done: process::Finished, timeout_secs: u64) -> AttemptEnd {
        let outcome = match &done.exit {
            process::Exit::Code(0) => Outcome::Succeeded,
            process::Exit::Code(EXIT_RELEASE) => Outcome::Released { delay_secs: None },
            process::Exit::TimedOut => Outcome::TimedOut { timeout_secs },
            other => Outcome::Exception {
                message: other.describe(),
            },
        };
        AttemptEnd {
            outcome,
            output: done.output,
            elapsed: done.elapsed,
        }
    }

    fn from_handler(
        result: std::thread::Result<handler::HandlerResult>,
        elapsed: Duration,
    ) -> AttemptEnd {
        let outcome = match result {
            Ok(Ok(())) => Outcome::Succeeded,
            Ok(Err(handler::JobError::Release(delay))) => Outcome::Released {
                delay_secs: delay.map(|d| d.as_secs_f64().round() as u64),
            },
            Ok(Err(handler::JobError::Fail(message))) => Outcome::FailRequested { message },
            Ok(Err(handler::JobError::Exception(message))) => Outcome::Exception { message },
            Err(panic) => Outcome::Exception {
                message: format!("the handler panicked: {}", panic_text(&panic)),
            },
        };
        AttemptEnd {
            outcome,
            output: String::new(),
            elapsed,
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// One handler attempt for the pool.
struct HandlerTask {
    slot: u64,
    job: Reserved,
    handler: handler::Handler,
    deadline: Option<Instant>,
    done: Sender<Message>,
}

fn run_handler(task: HandlerTask) {
    let started = Instant::now();
    let job = &task.job;
    let ctx = handler::JobContext {
        uuid: &job.uuid,
        name: &job.payload.display_name,
        queue: &job.queue,
        attempt: job.attempts,
        payload: &job.payload.data,
        deadline: task.deadline,
    };
    let handler = &task.handler;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&ctx)));
    let end = AttemptEnd::from_handler(result, started.elapsed());
    let _ = task.done.send(Message::Done {
        slot: task.slot,
        end,
    });
}

/// What a job runs: a command, or a Rust handler of this worker.
enum Resolved {
    Command(Vec<String>),
    Handler(handler::Handler),
}

/// The limits in force for a job under these worker options.
pub fn limits_for(job: &Reserved, opts: &Options) -> Limits {
    let p = &job.payload;
    Limits {
        max_tries: p.max_tries.unwrap_or(opts.tries),
        retry_until: p.retry_until,
        max_exceptions: p.max_exceptions,
        backoff: p.backoff.clone().unwrap_or_else(|| opts.backoff.clone()),
        fail_on_timeout: p.fail_on_timeout,
    }
}

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
        started: Instant::now(),
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

struct Worker<'a> {
    /// The threads that run Rust handlers (started on first use).
    handlers: Option<pool::Pool<HandlerTask>>,
    /// Kills the jobs' process groups if this worker dies.
    guard: Option<guard::Guard>,
    /// The restart marker seen at start; a different one means `queue restart` was run.
    restart_marker: Option<String>,
    store: &'a mut dyn Store,
    clock: Arc<dyn Clock>,
    opts: &'a Options,
    reporter: &'a mut dyn Reporter,
    worker_id: String,
    tx: Sender<Message>,
    running: HashMap<u64, Running>,
    /// Attempts that ended and are not yet recorded: the next claim records them in the same
    /// store call.
    ended: Vec<(Running, AttemptEnd)>,
    next_slot: u64,
    popped: u64,
    stopping: Option<Stop>,
    stop_signals: u32,
    /// After a second stop signal: when to SIGKILL jobs that ignored SIGTERM.
    kill_at: Option<Instant>,
    paused: bool,
    started: Instant,
    last_heartbeat: Instant,
    last_prune: Option<Instant>,
}

const PRUNE_EVERY: Duration = Duration::from_secs(600);

impl Worker<'_> {
    fn run_loop(&mut self, rx: &mpsc::Receiver<Message>) -> Result<Stop> {
        loop {
            self.prune_if_due()?;
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
            Ok(queues) => queues,
            Err(found_nothing) => {
                self.settle(None)?;
                return Ok(found_nothing);
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
            let jobs = self.settle(Some((&queues, limit)))?;
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

    /// The queues to claim from now, or Err(found_nothing) when the worker takes nothing:
    /// stopping, paused, full, restarted, or (found nothing, so --stop-when-empty still stops)
    /// in maintenance mode without --force or with every queue paused.
    fn claimable_queues(&mut self) -> Result<Result<Vec<String>, bool>> {
        if self.stopping.is_some() || self.paused {
            return Ok(Err(false));
        }
        if self.running.len() >= self.opts.concurrency {
            return Ok(Err(false));
        }
        let controls = self.store.controls()?;
        if controls.restart != self.restart_marker {
            self.stopping = Some(Stop::Restart);
            return Ok(Err(false));
        }
        if controls.maintenance && !self.opts.force {
            return Ok(Err(true));
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
            return Ok(Err(true));
        }
        Ok(Ok(queues))
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
        } else if self
            .opts
            .max_time
            .is_some_and(|max| self.started.elapsed() >= max)
        {
            self.stopping = Some(Stop::MaxTime);
        } else if self.opts.memory_mb > 0 && resident_mb() >= self.opts.memory_mb {
            self.stopping = Some(Stop::Memory);
        }
    }

    /// Fail an attempt before it runs (limits passed, undecryptable, unknown named job …).
    fn fail_unrun(&mut self, job: &Reserved, reason: String) -> Result<()> {
        let now = self.clock.now_ms();
        let verdict = Verdict {
            decision: Decision::Fail { reason },
            threw: false,
        };
        let applied = self.store.finish(job, "", now, &mut |_| verdict.clone())?;
        self.report_finish(job, applied, Duration::ZERO);
        Ok(())
    }

    /// The argv to run: the job's own command, or its named job resolved from this worker's
    /// config. Decrypts an encrypted job in place. Err is the reason the job fails unrun.
    fn resolve(&self, job: &mut Reserved) -> Result<Resolved, String> {
        if let Some(secret) = job.payload.secret.clone() {
            let sealed = self
                .opts
                .keys
                .open(&secret, &job.uuid)
                .map_err(|e| format!("{e:#}"))?;
            job.payload.unseal(sealed);
        }
        match &job.payload.command {
            JobCommand::Named(name) if self.opts.handlers.get(name).is_some() => Ok(
                Resolved::Handler(Arc::clone(self.opts.handlers.get(name).expect("checked"))),
            ),
            JobCommand::Named(name) => {
                let named = self.opts.named_jobs.get(name).ok_or_else(|| {
                    format!("unknown job '{name}': this worker's queue.toml has no [jobs.{name}] (restart workers after a deploy)")
                })?;
                crate::domain::named::fill(&named.command, &job.payload.data)
                    .map(Resolved::Command)
                    .map_err(|e| format!("job '{name}': {e}"))
            }
            _ if !self.opts.allow_commands => Err(
                "this worker runs only named jobs ([worker] allow_commands = false in its queue.toml)"
                    .to_string(),
            ),
            command => command
                .argv()
                .filter(|argv| !argv.is_empty())
                .map(Resolved::Command)
                .ok_or_else(|| "the job has no command".to_string()),
        }
    }

    /// Start an attempt: fail it at once if it is already past its limits or cannot run, hold
    /// it back if its middleware says so, else run it.
    fn start(&mut self, mut job: Reserved) -> Result<()> {
        let limits = limits_for(&job, self.opts);
        let now = self.clock.now_ms();
        self.reporter.report(Event::Started { job: &job });
        if let Some(reason) = limits.exceeded_before_run(job.attempts, now) {
            return self.fail_unrun(&job, reason);
        }
        let resolved = match self.resolve(&mut job) {
            Ok(resolved) => resolved,
            Err(reason) => return self.fail_unrun(&job, reason),
        };
        let lease_ms = self.opts.lease.as_millis() as i64;
        // Only jobs with middleware, a batch or an until-processing lock need admission: the
        // rest skip its transaction.
        let admission = if job.payload.needs_admission() {
            self.store.admit(&job, now, lease_ms)?
        } else {
            Admission::Run
        };
        match admission {
            Admission::Run => {}
            Admission::HeldBack { delay_ms, reason } => {
                self.reporter.report(Event::HeldBack {
                    job: &job,
                    delay_ms,
                    reason: &reason,
                });
                return Ok(());
            }
            Admission::Skip { reason } => {
                // Ends as a success without running (Laravel's SkipIfBatchCancelled).
                let verdict = Verdict {
                    decision: Decision::Complete,
                    threw: false,
                };
                let applied = self
                    .store
                    .finish(&job, &reason, now, &mut |_| verdict.clone())?;
                self.report_finish(&job, applied, Duration::ZERO);
                return Ok(());
            }
        }

        let timeout_secs = job.payload.timeout.unwrap_or(self.opts.timeout_secs);
        let timeout = (timeout_secs > 0).then(|| Duration::from_secs(timeout_secs));
        let slot = self.next_slot;
        self.next_slot += 1;
        let tx = self.tx.clone();
        let mut handler_deadline = None;
        match resolved {
            Resolved::Command(argv) => {
                let spec = process::Spec {
                    argv,
                    cwd: job.payload.cwd.clone(),
                    env: self.job_env(&job, &limits),
                    stdin: serde_json::to_vec(&job.payload.data)?,
                    timeout,
                    capture: true,
                    die_with_parent: self.guard.is_none(),
                };
                let guard = self.guard.as_ref().map(guard::Guard::handle);
                std::thread::Builder::new()
                    .name(format!("job-{slot}"))
                    .spawn(move || {
                        let spawned = tx.clone();
                        let mut group = None;
                        let done = process::run(&spec, |pgid| {
                            if let Some(guard) = &guard {
                                guard.watch(pgid);
                            }
                            group = Some(pgid);
                            let _ = spawned.send(Message::Spawned { slot, pgid });
                        });
                        if let (Some(guard), Some(pgid)) = (&guard, group) {
                            guard.forget(pgid);
                        }
                        let end = AttemptEnd::from_process(done, timeout_secs);
                        let _ = tx.send(Message::Done { slot, end });
                    })?;
            }
            Resolved::Handler(handler) => {
                let deadline = timeout.map(|t| Instant::now() + t);
                handler_deadline = deadline;
                let task = HandlerTask {
                    slot,
                    job: job.clone(),
                    handler,
                    deadline,
                    done: tx,
                };
                self.handler_pool().send(task)?;
            }
        }
        self.running.insert(
            slot,
            Running {
                job,
                pgid: None,
                handler_deadline,
            },
        );
        Ok(())
    }

    fn job_env(&self, job: &Reserved, limits: &Limits) -> Vec<(String, String)> {
        let p = &job.payload;
        let mut env: Vec<(String, String)> =
            p.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        env.extend([
            ("QUEUE_JOB_ID".into(), job.uuid.clone()),
            ("QUEUE_JOB_NAME".into(), p.display_name.clone()),
            ("QUEUE_ATTEMPT".into(), job.attempts.to_string()),
            (
                "QUEUE_MAX_TRIES".into(),
                limits.max_tries.max(0).to_string(),
            ),
            ("QUEUE_QUEUE".into(), job.queue.clone()),
            ("QUEUE_CONNECTION".into(), self.opts.connection.clone()),
            ("QUEUE_DATABASE".into(), self.opts.database_env.clone()),
            ("QUEUE_JOB_TOKEN".into(), job.token.clone()),
        ]);
        if let Some(batch_id) = &p.batch_id {
            env.push(("QUEUE_BATCH_ID".into(), batch_id.clone()));
        }
        env
    }

    /// The threads that run Rust handlers, started on first use: one per slot, so a job
    /// costs no thread creation.
    fn handler_pool(&mut self) -> &pool::Pool<HandlerTask> {
        let size = self.opts.concurrency;
        self.handlers
            .get_or_insert_with(|| pool::Pool::new(size, run_handler))
    }

    /// Wait up to `timeout` for messages, handling every one that arrives. Ended attempts
    /// are kept for the next claim to record, unless the worker rests between jobs.
    fn wait(&mut self, rx: &mpsc::Receiver<Message>, timeout: Duration) -> Result<()> {
        let mut ended = std::mem::take(&mut self.ended);
        match rx.recv_timeout(timeout) {
            Ok(msg) => self.handle(msg, &mut ended),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
        }
        while let Ok(msg) = rx.try_recv() {
            self.handle(msg, &mut ended);
        }
        self.time_out_handlers(&mut ended);
        let count = ended.len();
        self.ended = ended;
        if count > 0 && !self.opts.rest.is_zero() {
            self.settle(None)?;
            std::thread::sleep(self.opts.rest * count as u32);
        }
        Ok(())
    }

    /// A handler past its deadline is recorded as timed out; its thread cannot be killed, and
    /// what it reports later is ignored.
    fn time_out_handlers(&mut self, ended: &mut Vec<(Running, AttemptEnd)>) {
        let now = Instant::now();
        let late: Vec<u64> = self
            .running
            .iter()
            .filter(|(_, r)| r.handler_deadline.is_some_and(|d| d <= now))
            .map(|(slot, _)| *slot)
            .collect();
        for slot in late {
            // Its thread is still busy with the late handler: the pool grows by one so the
            // slot can take work again.
            if let Some(pool) = &mut self.handlers {
                pool.grow(run_handler);
            }
            let running = self.running.remove(&slot).expect("listed above");
            let timeout_secs = running
                .job
                .payload
                .timeout
                .unwrap_or(self.opts.timeout_secs);
            let end = AttemptEnd {
                outcome: Outcome::TimedOut { timeout_secs },
                output: String::new(),
                elapsed: Duration::from_secs(timeout_secs),
            };
            ended.push((running, end));
        }
    }

    fn handle(&mut self, msg: Message, ended: &mut Vec<(Running, AttemptEnd)>) {
        match msg {
            Message::Spawned { slot, pgid } => {
                if let Some(r) = self.running.get_mut(&slot) {
                    r.pgid = Some(pgid);
                    if self.stop_signals >= 2 {
                        // Started just as the second signal came: it goes too.
                        process::signal_group(pgid, libc::SIGTERM);
                    }
                }
            }
            Message::Done { slot, mut end } => {
                if let Some(running) = self.running.remove(&slot) {
                    // A handler that returned after its deadline still timed out.
                    if running
                        .handler_deadline
                        .is_some_and(|d| d <= Instant::now())
                    {
                        end.outcome = Outcome::TimedOut {
                            timeout_secs: running
                                .job
                                .payload
                                .timeout
                                .unwrap_or(self.opts.timeout_secs),
                        };
                    }
                    ended.push((running, end));
                }
            }
            Message::Signal(signals::Signal::Stop) => {
                self.stop_signals += 1;
                self.stopping = Some(Stop::Interrupted);
                if self.stop_signals == 2 {
                    // A second stop signal: terminate the running jobs (SIGKILL for those still
                    // there after the grace) and go; their attempts are recorded as they end.
                    self.signal_jobs(libc::SIGTERM);
                    self.kill_at = Some(Instant::now() + process::KILL_GRACE);
                }
            }
            Message::Wake => {}
            Message::Signal(signals::Signal::Pause) => self.paused = true,
            Message::Signal(signals::Signal::Resume) => self.paused = false,
        }
    }

    fn signal_jobs(&self, signal: i32) {
        for pgid in self.running.values().filter_map(|r| r.pgid) {
            process::signal_group(pgid, signal);
        }
    }

    /// Record the ended attempts (all in one transaction) and report them, and claim up to
    /// `next`'s limit of jobs from its queues in the same store call; returns the jobs claimed.
    fn settle(&mut self, next: Option<(&[String], usize)>) -> Result<Vec<Reserved>> {
        // One instant for both: a job released without delay is available to the claim.
        let now = self.clock.now_ms();
        let worker_id = self.worker_id.clone();
        let claim = next.map(|(queues, limit)| {
            let claim = Claim {
                queues,
                worker_id: &worker_id,
                now_ms: now,
                lease_ms: self.opts.lease.as_millis() as i64,
            };
            (claim, limit)
        });
        let next = claim.as_ref().map(|(claim, limit)| (claim, *limit));
        let ended = std::mem::take(&mut self.ended);
        if ended.is_empty() {
            return match next {
                Some((claim, limit)) if limit > 0 => self.store.claim_many(claim, limit),
                _ => Ok(Vec::new()),
            };
        }
        let opts = self.opts;
        let mut endings: Vec<Ending<'_>> = ended
            .iter()
            .map(|(running, end)| {
                let job = &running.job;
                let attempt = Attempt {
                    attempts: job.attempts,
                    exceptions: job.exceptions,
                    limits: limits_for(job, opts),
                    throttled: job.payload.middleware.throttle_exceptions.is_some(),
                };
                let observed = end.outcome.clone();
                let decide =
                    move |intent: Option<Intent>| verdict(&attempt, &observed, intent, now);
                Ending {
                    job,
                    output: &end.output,
                    decide: Box::new(decide),
                }
            })
            .collect();
        let (applied, claimed) = self.store.finish_and_claim(&mut endings, now, next)?;
        drop(endings);
        for ((running, end), applied) in ended.iter().zip(applied) {
            self.report_finish(&running.job, applied, end.elapsed);
        }
        Ok(claimed)
    }

    fn report_finish(&mut self, job: &Reserved, applied: Finished, elapsed: Duration) {
        match applied {
            Finished::Applied(decision) => self.reporter.report(Event::Finished {
                job,
                decision: &decision,
                elapsed,
            }),
            Finished::LeaseLost => self.reporter.report(Event::Lost { job }),
        }
    }

    fn register(&mut self) -> Result<()> {
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

    fn heartbeat_every(&self) -> Duration {
        (self.opts.lease / 3).clamp(Duration::from_millis(100), Duration::from_secs(30))
    }

    fn heartbeat_if_due(&mut self) -> Result<()> {
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

    fn prune_if_due(&mut self) -> Result<()> {
        if self.last_prune.is_some_and(|t| t.elapsed() < PRUNE_EVERY) {
            return Ok(());
        }
        let before = self.clock.now_ms() - self.opts.retain_done_ms;
        self.store.prune_finished(before)?;
        self.last_prune = Some(Instant::now());
        Ok(())
    }
}

/// This process's resident memory in MiB (Linux /proc; 0 where unknown).
pub fn resident_mb() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page / (1024 * 1024)
}

/// This machine's host name, for worker ids.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".into()
    }
}
