//! The worker runtime: the loop that claims jobs, runs each in a supervised child process on its
//! own thread, heartbeats their leases, records every outcome in one transaction, and stops
//! for the reasons Laravel's worker stops (signal, restart, empty, max-time, max-jobs, memory).
//!
//! All store access happens on the loop's thread; job threads only run processes and report
//! back over a channel, which also carries signals so that an idle wait ends at once.
//!
//! This file holds what callers see: the options, why a worker stopped, what it reports, and
//! `run`. The loop itself is split by concern:
//!
//! - `main_loop`: the loop and its state, what may be claimed, when to stop;
//! - `start`: the start of an attempt (limits, resolving its command and env, admission);
//! - `messages`: waiting on the channel and handling what the job threads and signals send;
//! - `handler_pool`: running Rust handlers on a pool of threads, and their deadlines;
//! - `settle`: recording ended attempts (with the next claim) and reporting them;
//! - `registry`: registration, heartbeats and pruning;
//! - `outage`: riding out a store that is unavailable for a while;
//! - `attempt`: an attempt in flight and how it ended; `host`: host name and memory.

mod attempt;
pub mod guard;
pub mod handler;
mod handler_pool;
mod host;
mod main_loop;
mod messages;
mod outage;
mod pool;
pub mod process;
mod program;
mod registry;
mod settle;
pub mod signals;
mod start;

pub use host::{hostname, resident_mb};
pub use main_loop::run;

use crate::crypto::Keys;
use crate::domain::named::NamedJob;
use crate::domain::policy::{Decision, Limits};
use crate::store::Reserved;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

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
    /// Exit once no job has been available for this long (Laravel 12's --stop-when-empty-for).
    pub stop_when_empty_for: Option<Duration>,
    /// Stop only when no job of these queues is available or delayed (retries included).
    pub stop_when_done: bool,
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
    /// How long events are kept (`retain_events`): the worker prunes older ones.
    pub retain_events_ms: i64,
    /// queue.toml's `[hooks]`: `before` runs in this worker before each attempt.
    pub hooks: crate::domain::events::Hooks,
    /// How long the metric rollups are kept (`retain_metrics`).
    pub retain_metrics_ms: i64,
    /// The named jobs of the config this worker loaded.
    pub named_jobs: BTreeMap<String, NamedJob>,
    /// False: run only named jobs.
    pub allow_commands: bool,
    /// QUEUE_KEY and QUEUE_PREVIOUS_KEYS, for encrypted jobs.
    pub keys: Arc<Keys>,
    /// Rust handlers by job name (library use); they win over queue.toml's named jobs.
    pub handlers: handler::Handlers,
    /// Claim more jobs than there are threads for quick Rust handlers (SQLite; the library's
    /// `claim_ahead`). Off by default: a worker that dies has charged an attempt to every job
    /// it held, and so to jobs claimed ahead that never started.
    pub claim_ahead: bool,
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
        /// Why the attempt ended in an exception (its first line), when it did.
        cause: Option<&'a str>,
        /// Why the attempt could not even start (a missing program or cwd, an exec error).
        not_started: Option<&'a str>,
    },
    /// Ended without running: a job of a cancelled batch (counted as a success).
    Skipped {
        job: &'a Reserved,
        reason: &'a str,
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
    /// The store cannot be reached or written (once per outage): the worker keeps its jobs
    /// running and retries.
    StoreUnavailable {
        error: &'a str,
    },
    /// The store answers again after being away this long.
    StoreBack {
        down: Duration,
    },
}

pub trait Reporter {
    fn report(&mut self, event: Event<'_>);
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
