//! What reaches the loop over its channel (a job's process group, an attempt's end, a signal, a
//! store wake-up) and how the loop handles it: waiting, collecting ended attempts, and the
//! stop, pause and resume signals.

use super::attempt::{AttemptEnd, Ended};
use super::main_loop::Worker;
use super::{process, signals, Stop};
use crate::domain::policy::Outcome;
use anyhow::Result;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long ended attempts wait for in-process handlers still running to end too, so that
/// they are recorded in one transaction (the delay a recorded end may see, at most).
const GROUP_WINDOW: Duration = Duration::from_micros(500);

/// Ends enough for one transaction: a group this large is recorded without waiting out the
/// window (a pool with jobs claimed ahead always has handlers running).
const GROUP_ENOUGH: usize = 512;

pub(super) enum Message {
    Spawned {
        slot: u64,
        pgid: u32,
    },
    /// A queued handler task was taken by a thread: its deadline counts from now.
    HandlerStarted {
        slot: u64,
        deadline: Option<Instant>,
    },
    Done {
        slot: u64,
        end: AttemptEnd,
    },
    Signal(signals::Signal),
    /// The store says work may have come (a dispatch, a retry, restart / resume / up).
    Wake,
}

impl Worker<'_> {
    /// Wait up to `timeout` for messages, handling every one that arrives. Ended attempts
    /// are kept for the next claim to record, unless the worker rests between jobs.
    pub(super) fn wait(&mut self, rx: &mpsc::Receiver<Message>, timeout: Duration) -> Result<()> {
        let mut ended = std::mem::take(&mut self.ended);
        match rx.recv_timeout(timeout) {
            Ok(msg) => self.handle(msg, &mut ended),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
        }
        while let Ok(msg) = rx.try_recv() {
            self.handle(msg, &mut ended);
        }
        // Group commit: the attempts that ended are recorded together, in one transaction
        // with the next claim. While in-process handlers are still running, give them a moment
        // to end too, so that a pool of short handlers commits once per group of ends rather
        // than once for each (a process takes longer than the window to start and end).
        if !ended.is_empty() {
            let until = Instant::now() + GROUP_WINDOW;
            while ended.len() < GROUP_ENOUGH && self.in_hand.tasks > 0 {
                let left = until.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(msg) => self.handle(msg, &mut ended),
                    Err(_) => break,
                }
            }
        }
        self.time_out_handlers(&mut ended);
        let count = ended.len();
        self.ended = ended;
        if count > 0 && !self.opts.rest.is_zero() {
            self.guarded(Vec::new(), |w| w.settle(None))?;
            std::thread::sleep(self.opts.rest * count as u32);
        }
        Ok(())
    }

    fn handle(&mut self, msg: Message, ended: &mut Vec<Ended>) {
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
            Message::HandlerStarted { slot, deadline } => {
                if let Some(r) = self.running.get_mut(&slot) {
                    r.handler_deadline = deadline;
                }
            }
            Message::Done { slot, mut end } => {
                if let Some(mut running) = self.running.remove(&slot) {
                    if running.in_process() {
                        self.in_hand.ended(end.elapsed);
                    }
                    // An encrypted job's output is stored sealed, like its payload.
                    if running.encrypted && !end.output.is_empty() {
                        end.output = self
                            .opts
                            .keys
                            .seal_output(&end.output, &running.job.uuid)
                            .unwrap_or_else(|e| format!("(output not kept: {e:#})"));
                    }
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
                        end.exit.timed_out = true;
                    }
                    running.job.exit = end.exit.clone();
                    running.job.cause = end.cause();
                    ended.push(Ended { running, end });
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

    pub(super) fn signal_jobs(&self, signal: i32) {
        for pgid in self.running.values().filter_map(|r| r.pgid) {
            process::signal_group(pgid, signal);
        }
    }
}
