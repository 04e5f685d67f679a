//! The library API: open a store, dispatch jobs, and run a worker whose jobs are Rust handlers
//! registered by name, with the same tries, backoff, timeouts, middleware and failed-job rules
//! as command jobs (and command jobs too).
//!
//! ```no_run
//! use queue::api::{Job, JobError, Queue};
//! use std::time::Duration;
//!
//! let q = Queue::open("/var/lib/myapp/queue.sqlite")?;
//! q.dispatch(Job::handler("resize").payload(serde_json::json!({"id": 7})).tries(3))?;
//! q.worker()
//!     .handle("resize", |ctx| {
//!         let id = ctx.payload["id"].as_i64().ok_or(JobError::Fail("no id".into()))?;
//!         println!("resizing {id} (attempt {})", ctx.attempt);
//!         Ok(())
//!     })
//!     .stop_when_empty()
//!     .run()?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use crate::clock::{Clock, SystemClock};
use crate::config::{self, Selection, Target};
use crate::domain::job::{self, Backoff, JobCommand, JobOptions, NewJob, StringOrNumber};
use crate::store::{Enqueued, Location, Store};
use crate::worker::handler::{Handler, Handlers};
use crate::worker::{self, Event, Options, Reporter, Stop};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::worker::handler::{HandlerResult, JobContext, JobError};
/// The versions of the database crates the `dispatch_in_*` transactions come from.
pub use postgres;
pub use rusqlite;

/// A store, opened by path or `postgres://` URL.
pub struct Queue {
    target: Target,
    clock: Arc<dyn Clock>,
    cwd: PathBuf,
    /// The connection dispatches share, made at the first: a program that dispatches many jobs
    /// pays for connecting (milliseconds, for PostgreSQL) once. Dispatches from several threads
    /// through one `Queue` take turns on it; open a `Queue` per thread to dispatch in parallel.
    dispatcher: Mutex<Option<Box<dyn Store>>>,
}

/// A dispatch in the caller's transaction that failed, perhaps on a store never migrated.
fn needs_schema(e: anyhow::Error) -> anyhow::Error {
    e.context("dispatch in the caller's transaction failed (the store's tables must exist before it begins: call Queue::migrate() or run `queue migrate` once)")
}

/// For each job, its uuid, or None when a unique job's lock was held.
fn uuids(built: &[NewJob], results: Vec<Enqueued>) -> Vec<Option<String>> {
    built
        .iter()
        .zip(results)
        .map(|(job, r)| (r == Enqueued::Dispatched).then(|| job.payload.uuid.clone()))
        .collect()
}

impl Queue {
    /// Open (and create and migrate, if needed) the store at a SQLite path or PostgreSQL URL.
    pub fn open(database: &str) -> Result<Queue> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let selection = Selection {
            database: Some(database.to_string()),
            // The library does not read queue.toml: point it at an empty directory's config.
            config: None,
            connection: None,
            failed_driver: None,
        };
        let mut target = config::resolve(&selection, &cwd)?;
        target.config = None;
        target.named_jobs.clear();
        target.allow_commands = true;
        Ok(Queue {
            target,
            clock: Arc::new(SystemClock::from_env()),
            cwd,
            dispatcher: Mutex::new(None),
        })
    }

    /// A connection to the store (one per thread that uses it).
    pub fn store(&self) -> Result<Box<dyn Store>> {
        crate::store::open(
            &self.target.location,
            self.target.store_options(),
            Arc::clone(&self.clock),
        )
    }

    fn build(&self, job: Job, now: i64) -> Result<NewJob> {
        let uuid = crate::clock::new_uuid();
        job::build(
            job.command,
            &job.options,
            &self.target.default_queue,
            &self.cwd,
            uuid,
            now,
        )
        .map_err(anyhow::Error::msg)
    }

    /// Queue one job; returns its uuid (None when a unique job's lock is held).
    pub fn dispatch(&self, job: Job) -> Result<Option<String>> {
        Ok(self.dispatch_many(vec![job])?.pop().flatten())
    }

    /// Queue many jobs in one transaction; for each, its uuid or None if skipped as a duplicate.
    pub fn dispatch_many(&self, jobs: Vec<Job>) -> Result<Vec<Option<String>>> {
        let now = self.clock.now_ms();
        let mut built = jobs
            .into_iter()
            .map(|j| self.build(j, now))
            .collect::<Result<Vec<_>>>()?;
        if built.iter().any(|j| j.encrypt) {
            bail!("encrypted jobs are dispatched with the `queue` command (they need QUEUE_KEY)");
        }
        let results = {
            // A dispatch that panicked elsewhere leaves the connection as good as it was.
            let mut shared = self.dispatcher.lock().unwrap_or_else(|p| p.into_inner());
            if shared.is_none() {
                *shared = Some(self.store()?);
            }
            let enqueued = shared.as_mut().expect("made above").enqueue(&built, now);
            if enqueued.is_err() {
                // Whatever went wrong, the next dispatch starts from a new connection.
                *shared = None;
            }
            enqueued?
        };
        Ok(built
            .iter_mut()
            .zip(results)
            .map(|(job, r)| (r == Enqueued::Dispatched).then(|| job.payload.uuid.clone()))
            .collect())
    }

    /// Build jobs for a dispatch inside the caller's transaction.
    fn build_for_transaction(&self, jobs: Vec<Job>) -> Result<(Vec<NewJob>, i64)> {
        let now = self.clock.now_ms();
        let built = jobs
            .into_iter()
            .map(|j| self.build(j, now))
            .collect::<Result<Vec<_>>>()?;
        if built.iter().any(|j| j.encrypt) {
            bail!("encrypted jobs are dispatched with the `queue` command (they need QUEUE_KEY)");
        }
        Ok((built, now))
    }

    /// Queue jobs inside the caller's own transaction on the store's SQLite file, so that they
    /// exist if and only if that transaction commits (what Laravel's `afterCommit`
    /// approximates). Idle workers learn of them when the caller calls [`Queue::notify`]
    /// after the commit (or they find them at their next poll, `--sleep` at the latest).
    ///
    /// ```no_run
    /// # use queue::api::{Job, Queue};
    /// let q = Queue::open("/var/lib/myapp/queue.sqlite")?;
    /// q.migrate()?;
    /// let mut conn = queue::api::rusqlite::Connection::open("/var/lib/myapp/queue.sqlite")?;
    /// let tx = conn.transaction()?;
    /// tx.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER)", [])?;
    /// q.dispatch_in_sqlite(&tx, vec![Job::shell("./ship-order 7")])?;
    /// tx.commit()?;
    /// q.notify();
    /// # Ok::<(), anyhow::Error>(())
    /// ```
    pub fn dispatch_in_sqlite(
        &self,
        tx: &rusqlite::Transaction<'_>,
        jobs: Vec<Job>,
    ) -> Result<Vec<Option<String>>> {
        let Location::Sqlite(path) = &self.target.location else {
            bail!("dispatch_in_sqlite needs a SQLite store; this one is PostgreSQL: use dispatch_in_postgres");
        };
        let same = tx
            .path()
            .map(|p| std::fs::canonicalize(p).ok() == std::fs::canonicalize(path).ok())
            .unwrap_or(false);
        if !same {
            bail!(
                "the transaction is not on the store's file {}: open that file to dispatch in its transaction",
                path.display()
            );
        }
        let (built, now) = self.build_for_transaction(jobs)?;
        let (results, _wake) =
            crate::store::sqlite::enqueue_in(tx, &built, now).map_err(needs_schema)?;
        Ok(uuids(&built, results))
    }

    /// Queue jobs inside the caller's own transaction on the store's PostgreSQL database, so
    /// that they exist if and only if that transaction commits. Idle workers are woken by the
    /// commit itself (the NOTIFY is part of the transaction): nothing to call afterwards.
    pub fn dispatch_in_postgres(
        &self,
        tx: &mut postgres::Transaction<'_>,
        jobs: Vec<Job>,
    ) -> Result<Vec<Option<String>>> {
        if !matches!(self.target.location, Location::Postgres(_)) {
            bail!("dispatch_in_postgres needs a PostgreSQL store; this one is a SQLite file: use dispatch_in_sqlite");
        }
        let (built, _) = self.build_for_transaction(jobs)?;
        let results = crate::store::postgres::enqueue_in(tx, &built, self.clock.as_ref())
            .map_err(needs_schema)?;
        Ok(uuids(&built, results))
    }

    /// Create or update the store's schema now (a dispatch in the caller's transaction does
    /// not: the tables must exist before that transaction begins).
    pub fn migrate(&self) -> Result<()> {
        self.store()?.migrate()?;
        Ok(())
    }

    /// Wake the store's idle workers: call it after committing a transaction in which
    /// `dispatch_in_sqlite` queued jobs. (Harmless at any time; a no-op on PostgreSQL, whose
    /// commit wakes them.)
    pub fn notify(&self) {
        if let Location::Sqlite(path) = &self.target.location {
            crate::store::sqlite::notify_workers(path);
        }
    }

    /// A worker for this store; register handlers, then `run()`.
    pub fn worker(&self) -> WorkerBuilder<'_> {
        WorkerBuilder {
            queue: self,
            opts: Options {
                queues: vec![self.target.default_queue.clone()],
                sleep: Duration::from_secs(3),
                max_jobs: 0,
                max_time: None,
                stop_when_empty: false,
                stop_when_empty_for: None,
                stop_when_done: false,
                once: false,
                timeout_secs: 60,
                tries: 1,
                backoff: vec![],
                rest: Duration::ZERO,
                memory_mb: 0,
                name: "default".into(),
                force: false,
                concurrency: 1,
                lease: Duration::from_secs(self.target.retry_after_secs),
                connection: self.target.connection.clone(),
                database_env: self.target.location.as_env(),
                retain_done_ms: self.target.retain_done_ms,
                retain_events_ms: self.target.retain_events_ms,
                hooks: self.target.hooks.clone(),
                retain_metrics_ms: self.target.retain_metrics_ms,
                named_jobs: Default::default(),
                allow_commands: true,
                keys: Arc::new(
                    crate::crypto::Keys::from_env().unwrap_or_else(|_| crate::crypto::Keys::none()),
                ),
                handlers: Handlers::default(),
                claim_ahead: false,
                handle_signals: false,
                guard: false,
            },
            on_event: None,
        }
    }
}

/// A job to dispatch: a Rust handler by name, or a command.
#[derive(Debug, Clone)]
pub struct Job {
    command: JobCommand,
    options: JobOptions,
}

impl Job {
    /// A job for the handler registered under `name`.
    pub fn handler(name: &str) -> Job {
        Job {
            command: JobCommand::Named(name.to_string()),
            options: JobOptions::default(),
        }
    }

    /// A program with arguments (no shell).
    pub fn command<I: IntoIterator<Item = S>, S: Into<String>>(argv: I) -> Job {
        Job {
            command: JobCommand::Argv(argv.into_iter().map(Into::into).collect()),
            options: JobOptions::default(),
        }
    }

    /// A shell command (`sh -c`).
    pub fn shell(script: &str) -> Job {
        Job {
            command: JobCommand::Shell(script.to_string()),
            options: JobOptions::default(),
        }
    }

    pub fn payload(mut self, payload: Value) -> Job {
        self.options.payload = Some(payload);
        self
    }
    pub fn queue(mut self, queue: &str) -> Job {
        self.options.queue = Some(queue.to_string());
        self
    }
    /// 0 or -1: unlimited.
    pub fn tries(mut self, tries: i64) -> Job {
        self.options.tries = Some(tries);
        self
    }
    pub fn backoff(mut self, seconds: &[u64]) -> Job {
        self.options.backoff = Some(Backoff::List(seconds.to_vec()));
        self
    }
    pub fn timeout(mut self, timeout: Duration) -> Job {
        self.options.timeout = Some(StringOrNumber::Number(timeout.as_secs_f64()));
        self
    }
    pub fn delay(mut self, delay: Duration) -> Job {
        self.options.delay = Some(StringOrNumber::Number(delay.as_secs_f64()));
        self
    }
    pub fn retry_until(mut self, from_now: Duration) -> Job {
        self.options.retry_until = Some(StringOrNumber::Number(from_now.as_secs_f64()));
        self
    }
    pub fn max_exceptions(mut self, max: u32) -> Job {
        self.options.max_exceptions = Some(max);
        self
    }
    pub fn name(mut self, name: &str) -> Job {
        self.options.name = Some(name.to_string());
        self
    }
    /// The job options of the command line, for what has no method here (`unique`,
    /// `rate_limit`, `funnel`, …), as the JSON object a `dispatch --file` line takes.
    pub fn options(mut self, options: Value) -> Result<Job> {
        let given: JobOptions = serde_json::from_value(options)?;
        self.options = given.or(&self.options);
        Ok(self)
    }
}

/// What `on_event` keeps.
type EventFn<'q> = Box<dyn FnMut(&Event<'_>) + 'q>;

/// A worker being set up.
pub struct WorkerBuilder<'q> {
    queue: &'q Queue,
    opts: Options,
    on_event: Option<EventFn<'q>>,
}

impl<'q> WorkerBuilder<'q> {
    /// Run `handler` for jobs dispatched with `Job::handler(name)`.
    pub fn handle<F>(mut self, name: &str, handler: F) -> Self
    where
        F: Fn(&JobContext<'_>) -> HandlerResult + Send + Sync + 'static,
    {
        let handler: Handler = Arc::new(handler);
        self.opts.handlers.0.insert(name.to_string(), handler);
        self
    }
    /// Queues in priority order.
    pub fn queues(mut self, queues: &[&str]) -> Self {
        self.opts.queues = queues.iter().map(|q| q.to_string()).collect();
        self
    }
    pub fn concurrency(mut self, n: usize) -> Self {
        self.opts.concurrency = n.max(1);
        self
    }
    /// Return once no job is available now.
    pub fn stop_when_empty(mut self) -> Self {
        self.opts.stop_when_empty = true;
        self
    }
    pub fn max_jobs(mut self, n: u64) -> Self {
        self.opts.max_jobs = n;
        self
    }
    pub fn sleep(mut self, sleep: Duration) -> Self {
        self.opts.sleep = sleep;
        self
    }
    /// Tries for jobs that do not say (default 1).
    pub fn tries(mut self, tries: i64) -> Self {
        self.opts.tries = tries;
        self
    }
    /// Timeout for jobs that do not say (default 60 s; zero: none).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.timeout_secs = timeout.as_secs_f64().ceil() as u64;
        self
    }
    pub fn backoff(mut self, seconds: &[u64]) -> Self {
        self.opts.backoff = seconds.to_vec();
        self
    }
    /// Claim ahead of the handler threads when handlers are quick (SQLite only; about 5 ms of
    /// work, at most 1,024 jobs), and record up to 512 ends per transaction: about twice the
    /// throughput for no-op-sized handlers. Off by default because a worker that is killed
    /// has charged an attempt to every job it held, including those it claimed ahead and never
    /// started: give such jobs `tries` of 2 or more, or leave this off.
    pub fn claim_ahead(mut self) -> Self {
        self.opts.claim_ahead = true;
        self
    }
    /// Stop gracefully on SIGTERM / SIGINT / SIGQUIT, pause on SIGUSR2 (off by default, so
    /// an embedding program keeps its own signal handling).
    pub fn handle_signals(mut self) -> Self {
        self.opts.handle_signals = true;
        self
    }
    /// Be told about every job event (started, finished, held back).
    pub fn on_event<F: FnMut(&Event<'_>) + 'q>(mut self, f: F) -> Self {
        self.on_event = Some(Box::new(f));
        self
    }

    /// Run until a stop reason applies (empty queue with `stop_when_empty`, max jobs, a
    /// signal with `handle_signals`, `queue restart`).
    /// A store that is unavailable for a while is ridden out (the first connect is tried for
    /// up to its `connect_timeout`).
    pub fn run(self) -> Result<Stop> {
        let timeout = crate::store::connect_timeout(&self.queue.target.location);
        let mut store = crate::store::retry_unavailable(timeout, || self.queue.store())?;
        let mut reporter = Callback(self.on_event);
        worker::run(
            store.as_mut(),
            Arc::clone(&self.queue.clock),
            &self.opts,
            &mut reporter,
        )
    }
}

struct Callback<'q>(Option<EventFn<'q>>);

impl Reporter for Callback<'_> {
    fn report(&mut self, event: Event<'_>) {
        if let Some(f) = &mut self.0 {
            f(&event);
        }
    }
}
