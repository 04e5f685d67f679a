//! Jobs handled by Rust code in the worker's own process (the library API): a handler is
//! registered under a job name and runs with the same tries, backoff, retry-until, failed-job
//! and middleware rules as a command. A handler cannot be killed: at its timeout the attempt is
//! recorded as timed out, and the handler should watch `JobContext::deadline` to stop early.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a handler sees of its job.
#[derive(Debug, Clone)]
pub struct JobContext<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub queue: &'a str,
    /// 1 on the first run.
    pub attempt: i64,
    pub payload: &'a Value,
    /// When the attempt times out, if it has a timeout.
    pub deadline: Option<Instant>,
}

/// How a handler says that an attempt did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// An exception: retried with backoff while the job's tries allow, then failed.
    Exception(String),
    /// Back on the queue after the delay (default: the backoff); not an exception.
    Release(Option<Duration>),
    /// Failed now, no more tries.
    Fail(String),
}

impl<E: std::fmt::Display> From<E> for JobError {
    fn from(e: E) -> Self {
        JobError::Exception(e.to_string())
    }
}

pub type HandlerResult = Result<(), JobError>;
pub type Handler = Arc<dyn Fn(&JobContext<'_>) -> HandlerResult + Send + Sync>;

/// The handlers a worker knows, by job name.
#[derive(Clone, Default)]
pub struct Handlers(pub BTreeMap<String, Handler>);

impl Handlers {
    pub fn get(&self, name: &str) -> Option<&Handler> {
        self.0.get(name)
    }
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}
