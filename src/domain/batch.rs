//! Chains and batches (reference §8–9): the rules for when a batch's callbacks fire, as pure
//! functions of its counters. The store applies them in the transaction that updates the
//! counters, so each callback is decided exactly once however many workers there are.

use super::job::{build, JobCommand, JobOptions, Link, NewJob};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A batch's options, stored with it (`job_batches.options`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct BatchOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finally: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(default)]
    pub allow_failures: bool,
    /// Where callbacks and added jobs go.
    pub queue: String,
    /// Where callbacks run (the dispatcher's directory).
    pub cwd: String,
    /// A batch that is a link of a chain: the rest of that chain, queued once the batch has
    /// finished (every job ran, and it was not cancelled). Cleared once decided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chained: Vec<Link>,
    /// That chain's `--catch`, queued at the batch's first failure (unless it allows failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_catch: Option<String>,
}

/// What a batch that is a link of a chain does to that chain after one of its jobs ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuation {
    /// Nothing yet (or it is not in a chain).
    Wait,
    /// Every job ran and it was not cancelled: queue the next link (as Laravel's ChainedBatch,
    /// whose rest of the chain is a `finally` that goes on only if the batch is not cancelled).
    Next,
    /// Its first failure cancelled it: the chain stops and its catch runs.
    Catch,
    /// It ended cancelled without a failure of its own to report: the chain stops.
    Stop,
}

/// The continuation of a batch's chain after an update that fired `effects`; decided once,
/// since the caller clears the chain from the batch's options when it is not `Wait`.
pub fn continuation(options: &BatchOptions, effects: &Effects, cancelled: bool) -> Continuation {
    if options.chained.is_empty() && options.chain_catch.is_none() {
        return Continuation::Wait;
    }
    if effects.cancel && !options.allow_failures {
        return Continuation::Catch;
    }
    if effects.callbacks.contains(&Callback::Finally) {
        return if cancelled {
            Continuation::Stop
        } else {
            Continuation::Next
        };
    }
    Continuation::Wait
}

/// The counters after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub total: i64,
    pub pending: i64,
    pub failed: i64,
}

impl Counts {
    pub fn processed(&self) -> i64 {
        self.total - self.pending
    }

    /// round(processed / total * 100), 0 for an empty batch.
    pub fn progress(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            (self.processed() as f64 / self.total as f64 * 100.0).round() as i64
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    Progress,
    Then,
    Catch,
    Finally,
}

impl Callback {
    pub fn as_str(self) -> &'static str {
        match self {
            Callback::Progress => "progress",
            Callback::Then => "then",
            Callback::Catch => "catch",
            Callback::Finally => "finally",
        }
    }
}

/// What a job's end does to its batch, beyond the counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effects {
    /// Set finished_at now (all jobs succeeded).
    pub finish: bool,
    /// Cancel the batch now (its first failure, failures not allowed).
    pub cancel: bool,
    pub callbacks: Vec<Callback>,
}

/// A batched job succeeded (or was skipped because its batch was cancelled); `after` holds the
/// counters once pending was decremented.
pub fn on_success(after: Counts) -> Effects {
    let mut effects = Effects {
        callbacks: vec![Callback::Progress],
        ..Default::default()
    };
    if after.pending == 0 {
        effects.finish = true;
        effects.callbacks.push(Callback::Then);
    }
    if after.pending - after.failed == 0 {
        effects.callbacks.push(Callback::Finally);
    }
    effects
}

/// A batched job failed for good; `after` holds the counters once failed was incremented.
pub fn on_failure(after: Counts, allow_failures: bool) -> Effects {
    let mut effects = Effects::default();
    if after.failed == 1 && !allow_failures {
        effects.cancel = true;
    }
    if allow_failures {
        effects.callbacks.push(Callback::Progress);
    }
    if after.failed == 1 {
        effects.callbacks.push(Callback::Catch);
    }
    if after.pending - after.failed == 0 {
        effects.callbacks.push(Callback::Finally);
    }
    effects
}

/// A batch after one of its jobs ended: its new counters and failed ids, what that fires, and
/// whether it is now cancelled.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub counts: Counts,
    pub failed_job_ids: Vec<String>,
    pub effects: Effects,
    pub cancelled: bool,
}

/// Count a batched job's success or final failure (reference §9.2): a success decrements
/// pending and takes the job off the failed ids (a retried job "un-fails"); a failure counts
/// one more failure and adds it to the failed ids, pending unchanged.
pub fn tally(
    before: Counts,
    failed_job_ids: &[String],
    cancelled: bool,
    allow_failures: bool,
    uuid: &str,
    job_failed: bool,
) -> Tally {
    let mut ids = failed_job_ids.to_vec();
    let (counts, effects) = if job_failed {
        if !ids.iter().any(|id| id == uuid) {
            ids.push(uuid.to_string());
        }
        let counts = Counts {
            failed: before.failed + 1,
            ..before
        };
        (counts, on_failure(counts, allow_failures))
    } else {
        ids.retain(|id| id != uuid);
        let counts = Counts {
            pending: before.pending - 1,
            ..before
        };
        (counts, on_success(counts))
    };
    Tally {
        counts,
        failed_job_ids: ids,
        cancelled: cancelled || effects.cancel,
        effects,
    }
}

/// The failed job a catch callback is about.
#[derive(Debug, Clone)]
pub struct FailedInfo<'a> {
    pub uuid: &'a str,
    pub name: &'a str,
    pub error: &'a str,
}

fn failed_env(env: &mut BTreeMap<String, String>, failed: &FailedInfo<'_>) {
    env.insert("QUEUE_FAILED_JOB_ID".into(), failed.uuid.into());
    env.insert("QUEUE_FAILED_JOB_NAME".into(), env_value(failed.name));
    env.insert("QUEUE_FAILED_ERROR".into(), env_value(failed.error));
}

/// The most an environment value of a callback carries. Linux refuses to start a process with
/// one variable over 128 KiB, and an error's output tail (64 KiB of bytes) grows up to three
/// times when invalid UTF-8 is replaced.
const MAX_ENV_VALUE: usize = 64 * 1024;

/// `text` made fit for an environment variable, so that the callback can always start: NUL
/// bytes (which no variable can hold) replaced, and when too long, its first line (what
/// failed) and as much of its end (the last output) as fits.
pub(crate) fn env_value(text: &str) -> String {
    let text = text.replace('\0', "\u{FFFD}");
    if text.len() <= MAX_ENV_VALUE {
        return text;
    }
    let mut head_end = text.find('\n').unwrap_or(text.len()).min(MAX_ENV_VALUE / 4);
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let gap = "\n…\n";
    let mut tail_start = text.len() - (MAX_ENV_VALUE - head_end - gap.len());
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!("{}{gap}{}", &text[..head_end], &text[tail_start..])
}

pub(crate) fn shell_job(
    command: &str,
    name: String,
    env: BTreeMap<String, String>,
    queue: &str,
    cwd: &str,
    uuid: String,
    now_ms: i64,
) -> NewJob {
    let opts = JobOptions {
        name: Some(name),
        env: Some(env),
        tries: Some(1),
        queue: Some(queue.to_string()),
        ..Default::default()
    };
    let mut job = build(
        JobCommand::Shell(command.to_string()),
        &opts,
        queue,
        Path::new(cwd),
        uuid,
        now_ms,
    )
    .unwrap_or_else(|_| unreachable!("a callback's options are always valid"));
    job.payload.cwd = cwd.to_string();
    job
}

/// A batch callback as a job of its own, with the batch's state in its environment:
/// QUEUE_BATCH_ID, QUEUE_BATCH_NAME, QUEUE_BATCH_TOTAL, _PENDING, _PROCESSED, _FAILED,
/// _PROGRESS, _CANCELLED, and for `catch` the failed job (QUEUE_FAILED_JOB_ID, _NAME, _ERROR).
#[allow(clippy::too_many_arguments)]
pub fn callback_job(
    kind: Callback,
    batch_id: &str,
    batch_name: &str,
    options: &BatchOptions,
    counts: Counts,
    cancelled: bool,
    failed: Option<&FailedInfo<'_>>,
    uuid: String,
    now_ms: i64,
) -> Option<NewJob> {
    let command = match kind {
        Callback::Progress => options.progress.as_ref(),
        Callback::Then => options.then.as_ref(),
        Callback::Catch => options.catch.as_ref(),
        Callback::Finally => options.finally.as_ref(),
    }?;
    let mut env = BTreeMap::new();
    for (key, value) in [
        ("QUEUE_BATCH_ID", batch_id.to_string()),
        ("QUEUE_BATCH_NAME", batch_name.to_string()),
        ("QUEUE_BATCH_TOTAL", counts.total.to_string()),
        ("QUEUE_BATCH_PENDING", counts.pending.to_string()),
        ("QUEUE_BATCH_PROCESSED", counts.processed().to_string()),
        ("QUEUE_BATCH_FAILED", counts.failed.to_string()),
        ("QUEUE_BATCH_PROGRESS", counts.progress().to_string()),
        ("QUEUE_BATCH_CANCELLED", (cancelled as u8).to_string()),
    ] {
        env.insert(key.to_string(), value);
    }
    if let Some(failed) = failed {
        failed_env(&mut env, failed);
    }
    let label = if batch_name.is_empty() {
        batch_id
    } else {
        batch_name
    };
    Some(shell_job(
        command,
        format!("batch {label}: {}", kind.as_str()),
        env,
        &options.queue,
        &options.cwd,
        uuid,
        now_ms,
    ))
}

/// A chain's `--catch` as a job, with the failed link in its environment.
pub fn chain_catch_job(
    command: &str,
    failed: &FailedInfo<'_>,
    queue: &str,
    cwd: &str,
    uuid: String,
    now_ms: i64,
) -> NewJob {
    let mut env = BTreeMap::new();
    failed_env(&mut env, failed);
    shell_job(
        command,
        format!("chain catch for {}", failed.name),
        env,
        queue,
        cwd,
        uuid,
        now_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Callback::*;

    #[test]
    fn a_chained_batch_goes_on_at_finally_unless_cancelled_and_catches_at_its_cancelling_failure() {
        let mut o = BatchOptions::default();
        let fin = Effects {
            callbacks: vec![Progress, Finally],
            ..Default::default()
        };
        assert_eq!(
            continuation(&o, &fin, false),
            Continuation::Wait,
            "in no chain"
        );
        o.chain_catch = Some("c".into());
        assert_eq!(continuation(&o, &fin, false), Continuation::Next);
        assert_eq!(continuation(&o, &fin, true), Continuation::Stop);
        let cancel = Effects {
            cancel: true,
            callbacks: vec![Catch, Finally],
            ..Default::default()
        };
        assert_eq!(continuation(&o, &cancel, true), Continuation::Catch);
        let progress = Effects {
            callbacks: vec![Progress],
            ..Default::default()
        };
        assert_eq!(continuation(&o, &progress, false), Continuation::Wait);
    }

    fn c(total: i64, pending: i64, failed: i64) -> Counts {
        Counts {
            total,
            pending,
            failed,
        }
    }

    #[test]
    fn successes_report_progress_and_the_last_one_finishes() {
        assert_eq!(on_success(c(3, 2, 0)).callbacks, vec![Progress]);
        let last = on_success(c(3, 0, 0));
        assert!(last.finish);
        assert_eq!(last.callbacks, vec![Progress, Then, Finally]);
    }

    #[test]
    fn the_first_failure_cancels_and_catches_unless_failures_are_allowed() {
        // Laravel trace 7a: [j1 throws, j2, j3]: catch at once, finally with the last job.
        let first = on_failure(c(3, 3, 1), false);
        assert!(first.cancel);
        assert_eq!(first.callbacks, vec![Catch]);
        assert_eq!(on_success(c(3, 2, 1)).callbacks, vec![Progress]);
        let last = on_success(c(3, 1, 1));
        assert!(!last.finish, "a failed job keeps the batch unfinished");
        assert_eq!(last.callbacks, vec![Progress, Finally]);
    }

    #[test]
    fn allowed_failures_report_progress_and_catch_only_the_first() {
        let first = on_failure(c(3, 3, 1), true);
        assert!(!first.cancel);
        assert_eq!(first.callbacks, vec![Progress, Catch]);
        assert_eq!(on_failure(c(3, 3, 2), true).callbacks, vec![Progress]);
        assert_eq!(
            on_failure(c(3, 3, 3), true).callbacks,
            vec![Progress, Finally]
        );
    }

    #[test]
    fn a_retried_failure_that_succeeds_fires_then_but_not_finally_again() {
        let retried = on_success(c(2, 0, 1));
        assert!(retried.finish);
        assert_eq!(retried.callbacks, vec![Progress, Then]);
    }

    #[test]
    fn tallies_move_ids_in_and_out_of_the_failed_list() {
        let failed = tally(c(2, 2, 0), &[], false, false, "a", true);
        assert_eq!(failed.counts, c(2, 2, 1));
        assert_eq!(failed.failed_job_ids, vec!["a"]);
        assert!(failed.cancelled);
        let retried = tally(
            failed.counts,
            &failed.failed_job_ids,
            true,
            false,
            "a",
            false,
        );
        assert_eq!(retried.counts, c(2, 1, 1));
        assert!(retried.failed_job_ids.is_empty());
        assert!(retried.cancelled, "a cancelled batch stays cancelled");
    }

    #[test]
    fn progress_is_rounded_percent() {
        assert_eq!(c(3, 2, 0).progress(), 33);
        assert_eq!(c(3, 1, 0).progress(), 67);
        assert_eq!(c(0, 0, 0).progress(), 0);
    }

    #[test]
    fn a_failed_jobs_error_always_fits_in_an_environment_variable() {
        assert_eq!(env_value("exited with status 1"), "exited with status 1");
        assert_eq!(env_value("a\0b"), "a\u{FFFD}b");
        let long = format!("exited with status 1\n{}", "é\u{FFFD}".repeat(40_000));
        let value = env_value(&long);
        assert!(value.len() <= MAX_ENV_VALUE, "{}", value.len());
        assert!(value.starts_with("exited with status 1\n…\n"));
        assert!(long.ends_with(value.rsplit('\n').next().unwrap()));
    }
}
