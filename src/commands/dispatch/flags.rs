//! The job flags every way of creating a job shares (`dispatch`, `chain`, `batch`,
//! `chain:add`), and their checks: a bad value is a usage error, with the message the same
//! value gets in a JSONL line.

use crate::domain::job::{self, Backoff, JobOptions, StringOrNumber, UniqueOption};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;

// Options shared by every way of creating a job. A plain comment: a doc comment would become
// the about text of the commands that flatten it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JobFlags {
    /// The queue to put the job on (default: the connection's queue, else `default`).
    #[arg(long, value_name = "Q", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
    /// Run no earlier than this: 30, 30s, 5m, 2h, 1d, or an RFC 3339 time.
    #[arg(long, value_name = "D")]
    pub delay: Option<String>,
    /// Attempts allowed (0 or -1 = unlimited; default: the worker's --tries).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub tries: Option<i64>,
    /// Seconds to wait before each retry, by attempt, the last repeating: 1,5,10.
    #[arg(long, value_name = "LIST")]
    pub backoff: Option<String>,
    /// Seconds the job may run (default: the worker's --timeout; 0 = none).
    #[arg(long, value_name = "S")]
    pub timeout: Option<String>,
    /// Retry until this time (a duration from now or an RFC 3339 time), whatever --tries says.
    #[arg(long, value_name = "D")]
    pub retry_until: Option<String>,
    /// Fail the job once it has thrown this many exceptions (non-zero exits, timeouts).
    #[arg(long, value_name = "N")]
    pub max_exceptions: Option<u32>,
    /// Fail the job at its first timeout, whatever --tries says.
    #[arg(long)]
    pub fail_on_timeout: bool,
    /// JSON given to the job on stdin.
    #[arg(long, value_name = "JSON")]
    pub payload: Option<String>,
    /// An environment variable for the job (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// The directory the job runs in (default: this one).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Queue it only if no job with this unique id (default: the job's name) is queued or
    /// running; otherwise skip it (exit 0, said on stderr).
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub unique: Option<String>,
    /// The unique lock lapses after this long even if the job has not finished.
    #[arg(long, value_name = "S")]
    pub unique_for: Option<String>,
    /// Release the unique lock when the job starts instead of when it ends.
    #[arg(long)]
    pub unique_until_processing: bool,
    /// Never run at the same time as another job with this key (it waits, using an attempt).
    #[arg(long, value_name = "KEY")]
    pub without_overlapping: Option<String>,
    /// With --without-overlapping: a held-back job comes back after S seconds (instead of when
    /// the holder ends).
    #[arg(long, value_name = "S")]
    pub overlap_release_after: Option<String>,
    /// With --without-overlapping: the lock lapses after S seconds even if its holder still
    /// runs.
    #[arg(long, value_name = "S")]
    pub overlap_expire_after: Option<String>,
    /// A job held back by --without-overlapping or --rate-limit is deleted (as a success)
    /// instead of released.
    #[arg(long)]
    pub dont_release: bool,
    /// After MAX exceptions within SECONDS, hold back jobs with this key (default: the name).
    #[arg(long, value_name = "MAX/SECONDS[@KEY]")]
    pub throttle_exceptions: Option<String>,
    /// At most N starts per SECONDS for jobs with this key.
    #[arg(long, value_name = "KEY=N/SECONDS")]
    pub rate_limit: Option<String>,
    /// At most N jobs with this key running at once.
    #[arg(long, value_name = "KEY=N")]
    pub funnel: Option<String>,
    /// Store the command, payload and env encrypted under QUEUE_KEY (AES-256-GCM).
    #[arg(long)]
    pub encrypt: bool,
    /// Run this shell command (as a job) once when the job fails for good; the event is on
    /// its stdin and in QUEUE_EVENT_* variables.
    #[arg(long, value_name = "CMD")]
    pub on_failure: Option<String>,
    /// Run this shell command (as a job) once when the job succeeds.
    #[arg(long, value_name = "CMD")]
    pub on_success: Option<String>,
}

impl JobFlags {
    /// `--delay 5 minutes` unquoted: the shell gave `minutes` as a separate word, which would
    /// be taken for a named job. Say what happened instead (a usage error).
    pub fn check_split_unit(&self, word: &str) -> Result<()> {
        if !crate::domain::duration::is_unit_word(word) {
            return Ok(());
        }
        let flags = [
            ("--delay", &self.delay),
            ("--timeout", &self.timeout),
            ("--retry-until", &self.retry_until),
            ("--unique-for", &self.unique_for),
        ];
        for (flag, value) in flags {
            if let Some(v) = value.as_deref().filter(|v| v.parse::<f64>().is_ok()) {
                return Err(crate::app::usage_error(format!(
                    "{flag} {v} {word}: the unit was split from its number; write {flag} {v}{word} or {flag} '{v} {word}'"
                )));
            }
        }
        Ok(())
    }

    /// The values of the flags, checked: a bad one is a usage error (exit 2), with the message
    /// the same value gets in a JSONL line.
    fn check(&self) -> Result<(), String> {
        use crate::domain::duration::{parse_backoff, parse_duration, parse_instant};
        if let Some(q) = &self.queue {
            job::validate_queue_name(q)?;
        }
        if let Some(d) = &self.delay {
            parse_instant(d, 0).map_err(|e| format!("--delay: {e}"))?;
        }
        if let Some(tries) = self.tries.filter(|t| *t < -1) {
            return Err(format!(
                "--tries {tries}: use a number of attempts, or 0 (or -1) for unlimited"
            ));
        }
        if let Some(b) = &self.backoff {
            parse_backoff(b)?;
        }
        for (flag, value) in [
            ("--timeout", &self.timeout),
            ("--unique-for", &self.unique_for),
        ] {
            if let Some(v) = value {
                parse_duration(v).map_err(|e| format!("{flag}: {e}"))?;
            }
        }
        if let Some(t) = &self.retry_until {
            parse_instant(t, 0).map_err(|e| format!("--retry-until: {e}"))?;
        }
        Ok(())
    }

    /// The flags as job options (the same shape a JSONL line has). A bad value is a usage
    /// error.
    pub fn to_options(&self) -> Result<JobOptions> {
        self.check().map_err(crate::app::usage_error)?;
        let payload = match &self.payload {
            None => None,
            Some(text) => Some(serde_json::from_str(text).map_err(|e| {
                crate::app::usage_error(format!(
                    "invalid --payload: {e}; give a JSON value such as '{{\"to\": \"a@b.c\"}}'"
                ))
            })?),
        };
        let mut env = BTreeMap::new();
        for pair in &self.env {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                crate::app::usage_error(format!("invalid --env '{pair}': use KEY=VALUE"))
            })?;
            if k.is_empty() || k.contains('\0') {
                return Err(crate::app::usage_error(format!(
                    "invalid environment variable name '{k}' in --env '{pair}'"
                )));
            }
            env.insert(k.to_string(), v.to_string());
        }
        Ok(JobOptions {
            queue: self.queue.clone(),
            delay: self.delay.clone().map(StringOrNumber::Text),
            tries: self.tries,
            backoff: self.backoff.clone().map(Backoff::Text),
            timeout: self.timeout.clone().map(StringOrNumber::Text),
            retry_until: self.retry_until.clone().map(StringOrNumber::Text),
            max_exceptions: self.max_exceptions,
            fail_on_timeout: self.fail_on_timeout.then_some(true),
            name: None,
            payload,
            env: (!env.is_empty()).then_some(env),
            cwd: self.cwd.as_ref().map(|p| p.display().to_string()),
            unique: self.unique.clone().map(|id| {
                if id.is_empty() {
                    UniqueOption::Flag(true)
                } else {
                    UniqueOption::Id(id)
                }
            }),
            unique_for: self.unique_for.clone().map(StringOrNumber::Text),
            unique_until_processing: self.unique_until_processing.then_some(true),
            without_overlapping: self.without_overlapping.clone(),
            overlap_release_after: self.overlap_release_after.clone().map(StringOrNumber::Text),
            overlap_expire_after: self.overlap_expire_after.clone().map(StringOrNumber::Text),
            dont_release: self.dont_release.then_some(true),
            throttle_exceptions: self.throttle_exceptions.clone(),
            rate_limit: self.rate_limit.clone(),
            funnel: self.funnel.clone(),
            encrypt: self.encrypt.then_some(true),
            on_failure: self.on_failure.clone(),
            on_success: self.on_success.clone(),
        })
    }
}
