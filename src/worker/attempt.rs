//! An attempt as the loop sees it: one in flight (`Running`), how it ended as its thread saw it
//! (`AttemptEnd`), and the two together until the next store call records them (`Ended`).
//! Turning a process's exit or a handler's result into a policy `Outcome` happens here, once.

use super::{handler, process, EXIT_RELEASE};
use crate::domain::policy::Outcome;
use crate::store::{AttemptExit, Reserved};
use std::time::{Duration, Instant};

/// An attempt in flight, in its slot.
pub(super) struct Running {
    pub job: Reserved,
    /// The job's process group, once its thread has spawned it.
    pub pgid: Option<u32>,
    /// A handler's deadline, enforced by the loop (a process's by its own thread).
    pub handler_deadline: Option<Instant>,
    /// A process's output so far, and how much of it the store has (`logs --follow`).
    pub live: Option<process::LiveTail>,
    pub live_stored: u64,
    pub started: Instant,
    /// The job came encrypted: its output is stored sealed too.
    pub encrypted: bool,
}

impl Running {
    /// A Rust handler on the pool's threads (a process has its output tail).
    pub fn in_process(&self) -> bool {
        self.live.is_none()
    }
}

/// How an attempt ended, as its thread saw it.
pub(super) struct AttemptEnd {
    pub outcome: Outcome,
    pub output: String,
    pub elapsed: Duration,
    /// The process's exit, recorded with the attempt.
    pub exit: AttemptExit,
}

/// An attempt that ended and is not yet recorded.
pub(super) struct Ended {
    pub running: Running,
    pub end: AttemptEnd,
}

impl AttemptEnd {
    /// Why the attempt ended in an exception (its first line), for its `job.exception` event.
    pub fn cause(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Exception { message } | Outcome::NotStarted { message } => {
                Some(message.lines().next().unwrap_or("").to_string())
            }
            Outcome::TimedOut { timeout_secs } => Some(format!("timed out after {timeout_secs}s")),
            _ => None,
        }
    }

    /// Why the attempt could not even start, for its line in the worker's output.
    pub fn not_started(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::NotStarted { message } => Some(message),
            _ => None,
        }
    }

    pub fn from_process(done: process::Finished, timeout_secs: u64) -> AttemptEnd {
        let exit = match &done.exit {
            process::Exit::Code(code) => AttemptExit {
                code: Some(*code),
                ..AttemptExit::default()
            },
            process::Exit::Signal(sig) => AttemptExit {
                signal: Some(*sig),
                ..AttemptExit::default()
            },
            process::Exit::SpawnError(_) => AttemptExit::default(),
            process::Exit::TimedOut => AttemptExit {
                timed_out: true,
                ..AttemptExit::default()
            },
        };
        let outcome = match &done.exit {
            process::Exit::Code(0) => Outcome::Succeeded,
            process::Exit::Code(EXIT_RELEASE) => Outcome::Released { delay_secs: None },
            process::Exit::TimedOut => Outcome::TimedOut { timeout_secs },
            process::Exit::SpawnError(_) => Outcome::NotStarted {
                message: done.exit.describe(),
            },
            other => Outcome::Exception {
                message: other.describe(),
            },
        };
        AttemptEnd {
            outcome,
            output: done.output,
            elapsed: done.elapsed,
            exit,
        }
    }

    pub fn from_handler(
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
            exit: AttemptExit::default(),
        }
    }

    /// A timed-out attempt, as the loop records a handler past its deadline.
    pub fn timed_out(timeout_secs: u64) -> AttemptEnd {
        AttemptEnd {
            outcome: Outcome::TimedOut { timeout_secs },
            output: String::new(),
            elapsed: Duration::from_secs(timeout_secs),
            exit: AttemptExit {
                timed_out: true,
                ..AttemptExit::default()
            },
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
