//! The start of an attempt: fail it at once when it is past its limits or cannot run (unknown
//! named job, undecryptable, commands not allowed), resolve what it runs (its command, a named
//! job of this worker's config, or a Rust handler) and the environment a command gets, pass it
//! through admission when it needs one, then hand it to a thread and give it a slot.

use super::attempt::{AttemptEnd, Running};
use super::main_loop::Worker;
use super::messages::Message;
use super::outage::Unstarted;
use super::{guard, handler, limits_for, process, Event};
use crate::domain::job::JobCommand;
use crate::domain::policy::{Decision, Limits};
use crate::store::{is_unavailable, Admission, Finished, Reserved, Verdict};
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a job runs: a command, or a Rust handler of this worker.
enum Resolved {
    Command(Vec<String>),
    Handler(handler::Handler),
}

impl Worker<'_> {
    /// Start the jobs claimed and not started yet, in order. One whose start could not reach
    /// the store stays first in line for when it is back.
    pub(super) fn start_unstarted(&mut self) -> Result<()> {
        while let Some(mut next) = self.unstarted.pop_front() {
            // Only handlers go beyond the worker's slots (into its pool's queue): a command
            // waits for a free slot, and what was claimed after it waits behind it.
            if self.running.len() >= self.opts.concurrency && !self.is_handler(&next.job) {
                self.unstarted.push_front(next);
                break;
            }
            match self.prepare(&mut next) {
                Ok(Some((resolved, limits))) => {
                    self.run_attempt(next.job, next.encrypted, resolved, &limits)?
                }
                Ok(None) => {}
                Err(e) => {
                    if is_unavailable(&e) {
                        self.unstarted.push_front(next);
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Before an attempt runs: fail it at once if it is already past its limits or cannot
    /// run, hold it back if its middleware says so (None both), else say what it runs.
    fn prepare(&mut self, next: &mut Unstarted) -> Result<Option<(Resolved, Limits)>> {
        let job = &mut next.job;
        let limits = limits_for(job, self.opts);
        let now = self.clock.now_ms();
        if let Some(reason) = limits.exceeded_before_run(job.attempts, now) {
            let reason = self.with_earlier_cause(job, reason)?;
            self.fail_unrun(job, reason)?;
            return Ok(None);
        }
        let resolved = match self.resolve(job) {
            Ok(resolved) => resolved,
            Err(reason) => {
                self.fail_unrun(job, reason)?;
                return Ok(None);
            }
        };
        let lease_ms = self.opts.lease.as_millis() as i64;
        // Only jobs with middleware, a batch or an until-processing lock need admission: the
        // rest skip its transaction.
        let admission = if job.payload.needs_admission() {
            self.store.admit(job, now, lease_ms)?
        } else {
            Admission::Run
        };
        match admission {
            Admission::Run => {}
            Admission::HeldBack { delay_ms, reason } => {
                self.reporter.report(Event::HeldBack {
                    job,
                    delay_ms,
                    reason: &reason,
                });
                return Ok(None);
            }
            Admission::Skip { reason } => {
                // Ends as a success without running (Laravel's SkipIfBatchCancelled).
                let verdict = Verdict {
                    decision: Decision::Complete,
                    threw: false,
                };
                let applied = self
                    .store
                    .finish(job, &reason, now, &mut |_| verdict.clone())?;
                match applied {
                    Finished::Applied(_) => self.reporter.report(Event::Skipped {
                        job,
                        reason: &reason,
                    }),
                    lost => self.report_finish(job, lost, Duration::ZERO, None, None),
                }
                return Ok(None);
            }
        }
        // queue.toml's `before` hook, synchronously: non-zero releases the job with its
        // backoff without running it (the attempt is used, as a held-back one's is).
        if let Some(why) = self.run_before(job) {
            let delay_ms = limits.backoff_for(job.attempts) as i64 * 1000;
            job.cause = Some(why.clone());
            let verdict = Verdict {
                decision: Decision::Release {
                    delay_ms,
                    exception: false,
                },
                threw: false,
            };
            let applied = self.store.finish(job, "", now, &mut |_| verdict.clone())?;
            match applied {
                Finished::Applied(_) => self.reporter.report(Event::HeldBack {
                    job,
                    delay_ms,
                    reason: &why,
                }),
                lost => self.report_finish(job, lost, Duration::ZERO, None, None),
            }
            return Ok(None);
        }
        // Only now does it run: held-back, skipped and unrunnable jobs never say RUNNING.
        if !next.announced {
            self.reporter.report(Event::Started { job });
            next.announced = true;
        }
        Ok(Some((resolved, limits)))
    }

    /// Give an admitted attempt a slot and a thread: its own for a process, the pool's for a
    /// handler.
    fn run_attempt(
        &mut self,
        job: Reserved,
        encrypted: bool,
        resolved: Resolved,
        limits: &Limits,
    ) -> Result<()> {
        let timeout_secs = job.payload.timeout.unwrap_or(self.opts.timeout_secs);
        let timeout = (timeout_secs > 0).then(|| Duration::from_secs(timeout_secs));
        let slot = self.next_slot;
        self.next_slot += 1;
        let mut handler_deadline = None;
        let mut live = None;
        match resolved {
            Resolved::Command(argv) => {
                let tail = process::LiveTail::default();
                live = Some(tail.clone());
                let spec = process::Spec {
                    argv,
                    cwd: job.payload.cwd.clone(),
                    env: self.job_env(&job, limits),
                    stdin: serde_json::to_vec(&job.payload.data)?,
                    timeout,
                    capture: true,
                    die_with_parent: self.guard.is_none(),
                    live: Some(tail),
                };
                self.spawn_process(slot, spec, timeout_secs)?;
            }
            Resolved::Handler(handler) => {
                handler_deadline = self.hand_over(slot, job.clone(), handler, timeout)?;
            }
        }
        self.running.insert(
            slot,
            Running {
                job,
                pgid: None,
                handler_deadline,
                live,
                live_stored: 0,
                started: Instant::now(),
                encrypted,
            },
        );
        Ok(())
    }

    /// Run a command on a thread of its own, which tells the loop the process group it spawned
    /// (for signals, and to the guard) and then how it ended. (A pool of one thread per slot
    /// lost jobs across a PostgreSQL restart in the fault tests; not kept.)
    fn spawn_process(&mut self, slot: u64, spec: process::Spec, timeout_secs: u64) -> Result<()> {
        let task = ProcessTask {
            slot,
            spec,
            timeout_secs,
            tx: self.tx.clone(),
            guard: self.guard.as_ref().map(guard::Guard::handle),
        };
        std::thread::Builder::new()
            .name(format!("job-{slot}"))
            .spawn(move || run_process(task))?;
        Ok(())
    }

    /// Run the `before` hook for `job`, if there is one: the event (a `job.processing`) on its
    /// stdin and in its environment. Some(why) when it exited non-zero or could not start.
    fn run_before(&self, job: &Reserved) -> Option<String> {
        let command = self.opts.hooks.before.as_deref()?;
        let event = crate::domain::events::Event {
            event: crate::domain::events::name::PROCESSING.into(),
            at: self.clock.now_ms(),
            uuid: Some(job.uuid.clone()),
            name: Some(job.payload.display_name.clone()),
            queue: Some(job.queue.clone()),
            attempt: Some(job.attempts),
            worker: Some(self.worker_id.clone()),
            batch_id: job.payload.batch_id.clone(),
            ..Default::default()
        }
        .completed(&self.opts.connection);
        let dir = match self.opts.hooks.dir.as_str() {
            "" => job.payload.cwd.clone(),
            dir => dir.to_string(),
        };
        let mut env: Vec<(String, String)> = crate::domain::events::hook_env(&event)
            .into_iter()
            .collect();
        env.push(("QUEUE_DATABASE".into(), self.opts.database_env.clone()));
        let timeout = self.opts.timeout_secs.max(1);
        let spec = process::Spec {
            argv: vec!["sh".into(), "-c".into(), command.to_string()],
            cwd: dir,
            env,
            stdin: serde_json::to_vec(&event).unwrap_or_default(),
            timeout: Some(Duration::from_secs(timeout)),
            capture: true,
            die_with_parent: true,
            live: None,
        };
        let done = process::run(&spec, |_| {});
        match done.exit {
            process::Exit::Code(0) => None,
            exit => Some(format!("before hook {}", exit.describe())),
        }
    }

    /// "Attempted too many times" hides why the tries ran out: say what became of the attempt
    /// before this one, as its recorded result says (none when middleware held it back or its
    /// worker died before recording it).
    fn with_earlier_cause(&mut self, job: &Reserved, reason: String) -> Result<String> {
        let earlier = job.attempts - 1;
        let attempts = self.store.attempts(&job.uuid)?;
        let Some(a) = attempts.iter().rev().find(|a| a.attempt == earlier) else {
            return Ok(format!(
                "{reason}; attempt {earlier} left no result: its middleware held it back, or its worker stopped or lost the store before it ended"
            ));
        };
        let how = if a.finished_at.is_none() {
            "never ended: its worker stopped or lost the store before recording it, and its lease ran out".to_string()
        } else if a.timed_out {
            "timed out".to_string()
        } else if let Some(signal) = a.signal {
            format!("was killed by signal {signal}")
        } else if let Some(code) = a.exit_code {
            format!("exited with status {code}")
        } else {
            a.outcome.clone()
        };
        Ok(format!("{reason}; attempt {earlier} {how}"))
    }

    /// Fail an attempt before it runs (limits passed, undecryptable, unknown named job …).
    fn fail_unrun(&mut self, job: &Reserved, reason: String) -> Result<()> {
        let now = self.clock.now_ms();
        let verdict = Verdict {
            decision: Decision::Fail { reason },
            threw: false,
        };
        let applied = self.store.finish(job, "", now, &mut |_| verdict.clone())?;
        self.report_finish(job, applied, Duration::ZERO, None, None);
        Ok(())
    }

    /// A job this worker runs with a Rust handler (an encrypted one is not known to be until
    /// it is opened: it counts as a command).
    fn is_handler(&self, job: &Reserved) -> bool {
        job.payload.secret.is_none()
            && matches!(&job.payload.command,
                JobCommand::Named(name) if self.opts.handlers.get(name).is_some())
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

    /// The environment a command job gets: its own, then the QUEUE_* variables.
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
}

/// A command for a job's thread.
struct ProcessTask {
    slot: u64,
    spec: process::Spec,
    timeout_secs: u64,
    tx: std::sync::mpsc::Sender<Message>,
    guard: Option<guard::Handle>,
}

fn run_process(task: ProcessTask) {
    let ProcessTask {
        slot,
        spec,
        timeout_secs,
        tx,
        guard,
    } = task;
    let mut group = None;
    let done = process::run(&spec, |pgid| {
        if let Some(guard) = &guard {
            guard.watch(pgid);
        }
        group = Some(pgid);
        let _ = tx.send(Message::Spawned { slot, pgid });
    });
    if let (Some(guard), Some(pgid)) = (&guard, group) {
        guard.forget(pgid);
    }
    let end = AttemptEnd::from_process(done, timeout_secs);
    let _ = tx.send(Message::Done { slot, end });
}
