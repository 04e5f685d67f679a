//! Events (PRODUCT.md §9): the names of Laravel's queue events, an event as it is stored and
//! shown, the store-wide hooks of queue.toml and the follow-up job a hook runs as. No I/O: the
//! store records events in the transaction of the change (`store::events`), the worker runs
//! `before` itself.

use super::batch::{env_value, shell_job};
use super::job::NewJob;
use serde::Serialize;
use std::collections::BTreeMap;

/// Laravel's event names, as `queue events` shows them.
pub mod name {
    pub const QUEUED: &str = "job.queued";
    pub const UNIQUE_SKIPPED: &str = "job.unique_skipped";
    pub const PROCESSING: &str = "job.processing";
    pub const PROCESSED: &str = "job.processed";
    pub const RELEASED: &str = "job.released";
    pub const EXCEPTION: &str = "job.exception";
    pub const RELEASED_AFTER_EXCEPTION: &str = "job.released_after_exception";
    pub const TIMED_OUT: &str = "job.timed_out";
    pub const FAILED: &str = "job.failed";
    pub const CANCELLED: &str = "job.cancelled";
    pub const WORKER_STARTING: &str = "worker.starting";
    pub const WORKER_STOPPING: &str = "worker.stopping";
    pub const QUEUE_PAUSED: &str = "queue.paused";
    pub const QUEUE_RESUMED: &str = "queue.resumed";
    pub const BATCH_FINISHED: &str = "batch.finished";
    pub const BATCH_CANCELLED: &str = "batch.cancelled";

    /// Every name, for `--event` checks and completions.
    pub const ALL: &[&str] = &[
        QUEUED,
        UNIQUE_SKIPPED,
        PROCESSING,
        PROCESSED,
        RELEASED,
        EXCEPTION,
        RELEASED_AFTER_EXCEPTION,
        TIMED_OUT,
        FAILED,
        CANCELLED,
        WORKER_STARTING,
        WORKER_STOPPING,
        QUEUE_PAUSED,
        QUEUE_RESUMED,
        BATCH_FINISHED,
        BATCH_CANCELLED,
    ];
}

/// One event, as stored (a row of job_events) and as `queue events --json` prints it (the
/// fields of PRODUCT.md §9; those that do not apply are null).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Event {
    /// The cursor: increasing in commit order (0 until stored).
    pub id: i64,
    pub event: String,
    /// Unix ms.
    #[serde(serialize_with = "ms_as_rfc3339")]
    pub at: i64,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub queue: Option<String>,
    /// The reader's name for the store (not stored).
    pub connection: Option<String>,
    pub attempt: Option<i64>,
    pub worker: Option<String>,
    /// The first part of the worker's id (not stored).
    pub host: Option<String>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration_ms: Option<i64>,
    pub message: Option<String>,
    pub batch_id: Option<String>,
}

fn ms_as_rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::clock::format_rfc3339(*ms))
}

/// The host of a worker id (`host:pid:random`, see `worker::run`).
pub fn host_of(worker: &str) -> Option<String> {
    worker
        .split_once(':')
        .map(|(host, _)| host.to_string())
        .filter(|h| !h.is_empty())
}

impl Event {
    /// The fields a reader adds: its connection name, the worker's host.
    pub fn completed(mut self, connection: &str) -> Event {
        self.connection = Some(connection.to_string());
        self.host = self.worker.as_deref().and_then(host_of);
        self
    }
}

/// The store-wide listeners of queue.toml's `[hooks]` (Laravel's Queue::failing, ::exception,
/// ::after, WorkerStopping and ::before), and where their jobs go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hooks {
    pub failing: Option<String>,
    pub exception: Option<String>,
    pub after: Option<String>,
    pub stopping: Option<String>,
    /// Run by the worker itself before each attempt; non-zero releases the job unrun.
    pub before: Option<String>,
    /// `hooks_queue`: the queue of every hook job (default: the job's own).
    pub queue: Option<String>,
    /// The directory hooks run in: queue.toml's (its paths are relative to it).
    pub dir: String,
}

impl Hooks {
    /// Whether any hook queues a job (an end may then not take a store's fast path).
    pub fn queues_jobs(&self) -> bool {
        self.failing.is_some()
            || self.exception.is_some()
            || self.after.is_some()
            || self.stopping.is_some()
    }
}

/// The environment a hook gets beside the event JSON on its stdin (PRODUCT.md §9). Values go
/// in as data: nothing of the event is ever part of the hook's command string.
pub fn hook_env(event: &Event) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("QUEUE_EVENT".into(), event.event.clone());
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            env.insert(key.into(), env_value(&value));
        }
    };
    put(
        "QUEUE_EVENT_ID",
        (event.id > 0).then(|| event.id.to_string()),
    );
    put("QUEUE_EVENT_JOB_ID", event.uuid.clone());
    put("QUEUE_EVENT_JOB_NAME", event.name.clone());
    put("QUEUE_EVENT_QUEUE", event.queue.clone());
    put("QUEUE_EVENT_ATTEMPT", event.attempt.map(|a| a.to_string()));
    put(
        "QUEUE_EVENT_EXIT_CODE",
        event.exit_code.map(|c| c.to_string()),
    );
    put("QUEUE_EVENT_ERROR", event.message.clone());
    put("QUEUE_EVENT_BATCH_ID", event.batch_id.clone());
    env
}

/// A hook as a job of its own: `command` run with `sh -c` in `cwd`, the event as its payload
/// (JSON on stdin) and in its environment. `what` names it in listings ("failing hook").
pub fn hook_job(
    command: &str,
    what: &str,
    event: &Event,
    queue: &str,
    cwd: &str,
    uuid: String,
    now_ms: i64,
) -> NewJob {
    let about = event.name.as_deref().unwrap_or(event.event.as_str());
    let mut job = shell_job(
        command,
        format!("{what} for {about}"),
        hook_env(event),
        queue,
        cwd,
        uuid,
        now_ms,
    );
    // A hook job runs with its worker's --tries (retried by its own tries), not once.
    job.payload.max_tries = None;
    job.payload.data = serde_json::to_value(event).unwrap_or_default();
    job.payload.hook = true;
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_gets_the_event_as_data_never_in_its_command() {
        let event = Event {
            id: 7,
            event: name::FAILED.into(),
            at: 1_000,
            uuid: Some("u-1".into()),
            name: Some("send".into()),
            queue: Some("emails".into()),
            attempt: Some(3),
            exit_code: Some(2),
            message: Some("'; touch /tmp/x; $(reboot)".into()),
            ..Event::default()
        };
        let job = hook_job(
            "./bin/page",
            "failing hook",
            &event,
            "q",
            "/srv",
            "h".into(),
            5,
        );
        assert_eq!(
            job.payload.command,
            crate::domain::job::JobCommand::Shell("./bin/page".into())
        );
        let env = &job.payload.env;
        assert_eq!(env["QUEUE_EVENT"], "job.failed");
        assert_eq!(env["QUEUE_EVENT_ERROR"], "'; touch /tmp/x; $(reboot)");
        assert_eq!(env["QUEUE_EVENT_ATTEMPT"], "3");
        assert_eq!(env["QUEUE_EVENT_EXIT_CODE"], "2");
        assert!(!env.contains_key("QUEUE_EVENT_BATCH_ID"));
        assert_eq!(job.payload.data["uuid"], "u-1");
        assert!(job.payload.hook && job.queue == "q" && job.payload.cwd == "/srv");
    }

    #[test]
    fn hosts_come_from_worker_ids() {
        assert_eq!(host_of("web-1:42:abcd").as_deref(), Some("web-1"));
        assert_eq!(host_of("nohost"), None);
    }
}

/// Where `queue events --since` starts: after a cursor (a bare number, an event's id) or at an
/// instant (a duration ago, as in `1h`, or an RFC 3339 time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Since {
    Cursor(i64),
    At(i64),
}

pub fn parse_since(text: &str, now_ms: i64) -> Result<Since, String> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text
            .parse()
            .map(Since::Cursor)
            .map_err(|_| format!("invalid cursor '{text}'"));
    }
    if let Ok(d) = super::duration::parse_duration(text) {
        return Ok(Since::At(now_ms - d.as_millis() as i64));
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| Since::At(t.timestamp_millis()))
        .map_err(|_| {
            format!(
                "invalid --since '{text}': give an event's id (a cursor, as printed), a duration ago (30s, 5m, 1h) or an RFC 3339 time"
            )
        })
}

/// Which events `queue events` prints.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub queues: Vec<String>,
    pub events: Vec<String>,
    /// A uuid or its prefix.
    pub uuid: Option<String>,
}

impl EventFilter {
    pub fn matches(&self, e: &Event) -> bool {
        let queue_ok = self.queues.is_empty()
            || e.queue.as_deref().is_some_and(|q| {
                // A worker's event names all its queues ("a,b").
                q.split(',').any(|one| self.queues.iter().any(|w| w == one))
            });
        let event_ok = self.events.is_empty() || self.events.contains(&e.event);
        let uuid_ok = match &self.uuid {
            None => true,
            Some(prefix) => e
                .uuid
                .as_deref()
                .is_some_and(|u| u.starts_with(prefix.as_str())),
        };
        queue_ok && event_ok && uuid_ok
    }
}

#[cfg(test)]
mod since_tests {
    use super::*;

    #[test]
    fn since_takes_a_cursor_a_duration_or_a_time() {
        assert_eq!(parse_since("42", 10_000), Ok(Since::Cursor(42)));
        assert_eq!(parse_since("5s", 10_000), Ok(Since::At(5_000)));
        assert_eq!(parse_since("1970-01-01T00:00:01Z", 0), Ok(Since::At(1_000)));
        assert!(parse_since("soon", 0).is_err());
    }

    #[test]
    fn filters_match_queues_names_and_uuid_prefixes() {
        let e = Event {
            event: name::FAILED.into(),
            uuid: Some("0193abcd".into()),
            queue: Some("emails".into()),
            ..Event::default()
        };
        let f = |queues: &[&str], events: &[&str], uuid: Option<&str>| EventFilter {
            queues: queues.iter().map(|s| s.to_string()).collect(),
            events: events.iter().map(|s| s.to_string()).collect(),
            uuid: uuid.map(str::to_string),
        };
        assert!(f(&[], &[], None).matches(&e));
        assert!(f(&["emails"], &["job.failed"], Some("0193")).matches(&e));
        assert!(!f(&["default"], &[], None).matches(&e));
        assert!(!f(&[], &["job.queued"], None).matches(&e));
        assert!(!f(&[], &[], Some("0194")).matches(&e));
    }
}
