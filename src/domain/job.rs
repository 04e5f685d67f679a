//! What a job is: the command to run, its options, and the payload stored with it.

pub use super::chain::{chain, link_job, ChainAdditions, ChainedBatch, Link};
use super::middleware::{self, Middleware, UniqueLock};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The program a job runs: an argv list (no shell) or a shell string run with `sh -c`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobCommand {
    Argv(Vec<String>),
    Shell(String),
    /// A named job of queue.toml, resolved by the worker from its own config when it runs.
    Named(String),
}

impl JobCommand {
    /// The argv a worker executes; None for a named job (the worker resolves it).
    pub fn argv(&self) -> Option<Vec<String>> {
        match self {
            JobCommand::Argv(argv) => Some(argv.clone()),
            JobCommand::Shell(script) => Some(vec!["sh".into(), "-c".into(), script.clone()]),
            JobCommand::Named(_) => None,
        }
    }

    /// How the command reads in listings when the job has no `--name`.
    pub fn display(&self) -> String {
        let text = match self {
            JobCommand::Argv(argv) => argv
                .iter()
                .map(|a| {
                    if a.is_empty() || a.contains(char::is_whitespace) {
                        format!("'{a}'")
                    } else {
                        a.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            JobCommand::Shell(script) => script.clone(),
            JobCommand::Named(name) => name.clone(),
        };
        truncate_chars(&text, 60)
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    let one_line = text.lines().next().unwrap_or("");
    if one_line.chars().count() <= max && one_line.len() == text.len() {
        return text.to_string();
    }
    let mut cut: String = one_line.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The stored form of a job (the `payload` column), kept across releases and retries.
/// Field names follow Laravel's payload where Laravel has the same idea.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub uuid: String,
    pub display_name: String,
    pub command: JobCommand,
    /// The user's JSON payload, given to the job on stdin.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    pub cwd: String,
    /// `None` falls back to the worker's `--tries`; 0 or negative means unlimited.
    // What is null or default is not written (a minimal job's payload stays small); rows
    // written before, with every field, read the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tries: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_exceptions: Option<u32>,
    /// Always written: `show` lists it as false rather than leaving it out.
    #[serde(default)]
    pub fail_on_timeout: bool,
    /// Seconds, indexed by attempt, the last repeating. `None` falls back to `--backoff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Vec<u64>>,
    /// Seconds; `None` falls back to the worker's `--timeout`; 0 disables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Unix milliseconds after which the job is not retried any more (overrides tries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_until: Option<i64>,
    /// When `--retry-until` was a duration: that duration in milliseconds, so that `queue
    /// retry` counts it again from the retry (as Laravel's RetryCommand recomputes
    /// retryUntil()). None for an RFC 3339 deadline, and in payloads stored before it existed
    /// (those keep their deadline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_window: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Dispatch delay in milliseconds, for display only (it never doubles as a backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<UniqueLock>,
    #[serde(default, skip_serializing_if = "Middleware::is_empty")]
    pub middleware: Middleware,
    /// With `--encrypt`: command, data and env, sealed with AES-256-GCM (they are then empty
    /// in the clear fields above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The rest of its chain: dispatched one by one, each when the one before succeeds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chained: Vec<Link>,
    /// The chain's `--catch` shell command, run (as a job) when a link fails for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_catch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    /// A link of a chain that is a batch (`{"batch": […]}` in `chain --file`): its jobs and
    /// options; the payload's uuid is the batch's id. Never the payload of a job row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chained_batch: Option<Box<ChainedBatch>>,
    /// `--on-failure`: a shell command run (as a job of its own) once, when it fails for good
    /// (Laravel's job `failed()` method, `dispatch()->catch()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// `--on-success`: a shell command run (as a job) once, when it succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    /// A hook's own job: the store-wide hooks do not fire for it (else an `after` hook would
    /// queue itself for ever).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hook: bool,
}

/// The parts of a job that `--encrypt` seals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sealed {
    pub command: JobCommand,
    pub data: Value,
    pub env: BTreeMap<String, String>,
}

impl Payload {
    /// Whether an attempt must be admitted before it runs (a transaction that checks and takes
    /// what its middleware needs, skips it in a cancelled batch, or frees an until-processing
    /// unique lock). The rest start without one.
    pub fn needs_admission(&self) -> bool {
        !self.middleware.is_empty()
            || self.batch_id.is_some()
            || self.unique.as_ref().is_some_and(|u| u.until_processing)
    }

    /// Whether an attempt's end changes nothing but the job's own row: no middleware, unique
    /// lock, chain or batch. Such ends may take a store's fast path.
    pub fn ends_alone(&self) -> bool {
        self.middleware.is_empty()
            && self.unique.is_none()
            && self.chained.is_empty()
            && self.chain_catch.is_none()
            && self.batch_id.is_none()
            && self.on_failure.is_none()
            && self.on_success.is_none()
    }

    /// The next link of its chain as a job to insert when this one succeeds at `now_ms`: it
    /// carries the rest of the chain, the chain's catch and the batch. None at the chain's end.
    pub fn next_link(&self, now_ms: i64) -> Option<NewJob> {
        self.next_link_with(&ChainAdditions::default(), now_ms)
    }

    /// The rest of its chain once the attempt's additions are in: the prepended links, then
    /// the chain as it was, then the appended ones.
    pub fn chain_with(&self, added: &ChainAdditions) -> Vec<Link> {
        let mut links = added.prepend.clone();
        links.extend(self.chained.iter().cloned());
        links.extend(added.append.iter().cloned());
        links
    }

    /// `next_link` after an attempt that added `added` to its chain (`queue chain-add`): a
    /// job that was in no chain becomes one.
    pub fn next_link_with(&self, added: &ChainAdditions, now_ms: i64) -> Option<NewJob> {
        let chained;
        let links = if added.is_empty() {
            &self.chained
        } else {
            chained = self.chain_with(added);
            &chained
        };
        link_job(links, &self.chain_catch, &self.batch_id, now_ms)
    }

    /// The payload a failed job goes back with on `queue retry` at `now_ms`: a relative
    /// `--retry-until` counts again from the retry; an absolute one is kept. None: unchanged.
    pub fn renewed_for_retry(&self, now_ms: i64) -> Option<Payload> {
        let window = self.retry_window?;
        let mut payload = self.clone();
        payload.retry_until = Some(now_ms + window);
        Some(payload)
    }

    pub fn sealed(&self) -> Sealed {
        Sealed {
            command: self.command.clone(),
            data: self.data.clone(),
            env: self.env.clone(),
        }
    }

    /// Put decrypted parts back in place.
    pub fn unseal(&mut self, sealed: Sealed) {
        self.command = sealed.command;
        self.data = sealed.data;
        self.env = sealed.env;
        self.secret = None;
    }

    /// Replace the sealed parts with `secret` (the ciphertext of `sealed()`).
    pub fn seal(&mut self, secret: String) {
        self.command = JobCommand::Argv(vec![]);
        self.data = Value::Null;
        self.env = BTreeMap::new();
        self.secret = Some(secret);
    }
}

/// Everything needed to insert one job.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: String,
    pub available_at: i64,
    /// When the unique lock lapses (None: when the job ends).
    pub unique_expires_at: Option<i64>,
    /// Seal command, data and env before storing (done by the caller, which holds the key).
    pub encrypt: bool,
    pub payload: Payload,
}

/// Job options as the user gives them (flags or a JSONL line), before defaults are applied.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobOptions {
    pub queue: Option<String>,
    pub delay: Option<StringOrNumber>,
    pub tries: Option<i64>,
    pub backoff: Option<Backoff>,
    pub timeout: Option<StringOrNumber>,
    pub retry_until: Option<StringOrNumber>,
    pub max_exceptions: Option<u32>,
    pub fail_on_timeout: Option<bool>,
    pub name: Option<String>,
    pub payload: Option<Value>,
    pub env: Option<BTreeMap<String, String>>,
    pub cwd: Option<String>,
    pub unique: Option<UniqueOption>,
    pub unique_for: Option<StringOrNumber>,
    pub unique_until_processing: Option<bool>,
    pub without_overlapping: Option<String>,
    pub overlap_release_after: Option<StringOrNumber>,
    pub overlap_expire_after: Option<StringOrNumber>,
    pub dont_release: Option<bool>,
    pub throttle_exceptions: Option<String>,
    pub rate_limit: Option<String>,
    pub funnel: Option<String>,
    pub encrypt: Option<bool>,
    pub on_failure: Option<String>,
    pub on_success: Option<String>,
}

impl JobOptions {
    /// These options, with `defaults` filling what they leave unset (env maps are merged).
    pub fn or(self, defaults: &JobOptions) -> JobOptions {
        let d = defaults.clone();
        JobOptions {
            queue: self.queue.or(d.queue),
            delay: self.delay.or(d.delay),
            tries: self.tries.or(d.tries),
            backoff: self.backoff.or(d.backoff),
            timeout: self.timeout.or(d.timeout),
            retry_until: self.retry_until.or(d.retry_until),
            max_exceptions: self.max_exceptions.or(d.max_exceptions),
            fail_on_timeout: self.fail_on_timeout.or(d.fail_on_timeout),
            name: self.name.or(d.name),
            payload: self.payload.or(d.payload),
            env: match (d.env, self.env) {
                (Some(mut base), Some(own)) => {
                    base.extend(own);
                    Some(base)
                }
                (base, own) => own.or(base),
            },
            cwd: self.cwd.or(d.cwd),
            unique: self.unique.or(d.unique),
            unique_for: self.unique_for.or(d.unique_for),
            unique_until_processing: self.unique_until_processing.or(d.unique_until_processing),
            without_overlapping: self.without_overlapping.or(d.without_overlapping),
            overlap_release_after: self.overlap_release_after.or(d.overlap_release_after),
            overlap_expire_after: self.overlap_expire_after.or(d.overlap_expire_after),
            dont_release: self.dont_release.or(d.dont_release),
            throttle_exceptions: self.throttle_exceptions.or(d.throttle_exceptions),
            rate_limit: self.rate_limit.or(d.rate_limit),
            funnel: self.funnel.or(d.funnel),
            encrypt: self.encrypt.or(d.encrypt),
            on_failure: self.on_failure.or(d.on_failure),
            on_success: self.on_success.or(d.on_success),
        }
    }
}

/// The options with the dispatcher's `TRACEPARENT` / `TRACESTATE` (OpenTelemetry's
/// environment carriers) in the job's environment, unless it sets them itself.
pub fn with_trace(
    mut opts: JobOptions,
    traceparent: Option<String>,
    tracestate: Option<String>,
) -> JobOptions {
    for (key, value) in [("TRACEPARENT", traceparent), ("TRACESTATE", tracestate)] {
        if let Some(value) = value {
            opts.env
                .get_or_insert_with(BTreeMap::new)
                .entry(key.to_string())
                .or_insert(value);
        }
    }
    opts
}

/// `"unique": true` (the id is the job name) or `"unique": "order-42"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum UniqueOption {
    Flag(bool),
    Id(String),
}

/// `"5m"` or `300` in a JSON job line.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StringOrNumber {
    Text(String),
    Number(f64),
}

impl StringOrNumber {
    pub fn as_text(&self) -> String {
        match self {
            StringOrNumber::Text(t) => t.clone(),
            StringOrNumber::Number(n) => n.to_string(),
        }
    }
}

/// `[1, 5, 10]`, `"1,5,10"` or `3` in a JSON job line.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Backoff {
    List(Vec<u64>),
    Text(String),
    Number(u64),
}

/// The states a job can be seen in by `show` and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Pending,
    Delayed,
    Reserved,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Delayed => "delayed",
            JobState::Reserved => "reserved",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }
}

/// A queue name must be usable in a `--queue a,b` list and in `CONN:QUEUE`.
pub fn validate_queue_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("queue name is empty: give a name such as 'default' or 'emails'".into());
    }
    if name.contains([',', ':']) || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "invalid queue name '{name}': it may not contain commas, colons or whitespace"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_payload_omits_nulls_and_defaults_and_old_rows_still_read() {
        let old = r#"{"uuid":"01a2316f-67b7-7469-abf3-7e7672a24471","displayName":"true","command":{"argv":["true"]},"data":null,"cwd":"/tmp/bnd","maxTries":null,"maxExceptions":null,"failOnTimeout":false,"backoff":null,"timeout":null,"retryUntil":null,"createdAt":1796125714340,"delay":null}"#;
        let payload: Payload = serde_json::from_str(old).unwrap();
        let new = serde_json::to_string(&payload).unwrap();
        assert_eq!(
            new,
            r#"{"uuid":"01a2316f-67b7-7469-abf3-7e7672a24471","displayName":"true","command":{"argv":["true"]},"cwd":"/tmp/bnd","failOnTimeout":false,"createdAt":1796125714340}"#
        );
        assert_eq!(serde_json::from_str::<Payload>(&new).unwrap(), payload);
        let mut set = payload.clone();
        set.max_tries = Some(3);
        set.fail_on_timeout = true;
        set.data = serde_json::json!({"id": 7});
        let text = serde_json::to_string(&set).unwrap();
        assert!(text.contains(r#""maxTries":3"#) && text.contains(r#""failOnTimeout":true"#));
        assert_eq!(serde_json::from_str::<Payload>(&text).unwrap(), set);
    }

    #[test]
    fn shell_commands_run_under_sh() {
        assert_eq!(
            JobCommand::Shell("echo hi".into()).argv(),
            Some(vec!["sh".into(), "-c".into(), "echo hi".into()])
        );
    }

    #[test]
    fn display_quotes_and_truncates() {
        let cmd = JobCommand::Argv(vec!["echo".into(), "a b".into()]);
        assert_eq!(cmd.display(), "echo 'a b'");
        let long = JobCommand::Shell("x".repeat(100));
        assert_eq!(long.display().chars().count(), 60);
        assert_eq!(JobCommand::Shell("a\nb".into()).display(), "a…");
    }

    #[test]
    fn queue_names() {
        assert!(validate_queue_name("emails").is_ok());
        assert!(validate_queue_name("").is_err());
        assert!(validate_queue_name("a,b").is_err());
        assert!(validate_queue_name("c:q").is_err());
    }
}

/// A whole number of seconds given as a duration (`30`, `30s`, `5m`), rounded up; 0 is refused.
fn seconds_option(value: &Option<StringOrNumber>, flag: &str) -> Result<Option<u64>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let d =
        super::duration::parse_duration(&value.as_text()).map_err(|e| format!("{flag}: {e}"))?;
    let secs = d.as_secs_f64().ceil() as u64;
    if secs == 0 {
        return Err(format!("{flag}: give a duration above 0, as in 30 or 5m"));
    }
    Ok(Some(secs))
}

/// Turn a command and its options into a job ready to insert. `cwd` is the dispatcher's
/// directory (relative `cwd` options are taken from it); `uuid` and `now_ms` come from outside
/// so that this stays a pure function.
pub fn build(
    command: JobCommand,
    opts: &JobOptions,
    default_queue: &str,
    cwd: &std::path::Path,
    uuid: String,
    now_ms: i64,
) -> Result<NewJob, String> {
    use super::duration::{parse_backoff, parse_duration, parse_instant};
    if let JobCommand::Argv(argv) = &command {
        if argv.is_empty() || argv[0].is_empty() {
            return Err(
                "the job has no command: put it after `--`, as in `queue dispatch -- echo hi`"
                    .into(),
            );
        }
    }
    let queue = opts
        .queue
        .clone()
        .unwrap_or_else(|| default_queue.to_string());
    validate_queue_name(&queue)?;
    let available_at = match &opts.delay {
        None => now_ms,
        Some(d) => parse_instant(&d.as_text(), now_ms).map_err(|e| format!("--delay: {e}"))?,
    };
    if let Some(tries) = opts.tries {
        if tries < -1 {
            return Err(format!(
                "--tries {tries}: use a number of attempts, or 0 (or -1) for unlimited"
            ));
        }
    }
    let backoff = match &opts.backoff {
        None => None,
        Some(Backoff::List(list)) => Some(list.clone()),
        Some(Backoff::Number(n)) => Some(vec![*n]),
        Some(Backoff::Text(t)) => Some(parse_backoff(t)?),
    };
    let timeout = match &opts.timeout {
        None => None,
        Some(t) => Some(
            parse_duration(&t.as_text())
                .map_err(|e| format!("--timeout: {e}"))?
                .as_secs_f64()
                .ceil() as u64,
        ),
    };
    let retry_until = match &opts.retry_until {
        None => None,
        Some(t) => {
            Some(parse_instant(&t.as_text(), now_ms).map_err(|e| format!("--retry-until: {e}"))?)
        }
    };
    let retry_window = opts
        .retry_until
        .as_ref()
        .and_then(|t| super::duration::parse_duration(&t.as_text()).ok())
        .map(|d| d.as_millis() as i64);
    let cwd = match &opts.cwd {
        None => cwd.to_path_buf(),
        Some(dir) => cwd.join(dir),
    };
    let encrypt = opts.encrypt.unwrap_or(false);
    // The job's name: what unique ids and throttle keys default to. An encrypted ad-hoc
    // command is not shown in the clear, not even as its name.
    let display_name = match (&opts.name, &command) {
        (Some(name), _) => name.clone(),
        (None, JobCommand::Named(name)) => name.clone(),
        (None, _) if encrypt => "(encrypted)".to_string(),
        (None, _) => command.display(),
    };
    // An encrypted ad-hoc job is named "(encrypted)", so defaults derived from its name would
    // put every such job under one key: make the user say which key.
    let anonymous = encrypt && opts.name.is_none() && !matches!(command, JobCommand::Named(_));
    if anonymous && matches!(opts.unique, Some(UniqueOption::Flag(true))) {
        return Err(
            "--unique on an encrypted command needs an id (--unique ID) or a --name".into(),
        );
    }
    if anonymous
        && opts
            .throttle_exceptions
            .as_deref()
            .is_some_and(|t| !t.contains('@'))
    {
        return Err(
            "--throttle-exceptions on an encrypted command needs a key (MAX/SECONDS@KEY) or a --name"
                .into(),
        );
    }
    let (unique, unique_expires_at) = match &opts.unique {
        None | Some(UniqueOption::Flag(false)) => (None, None),
        Some(option) => {
            let named = matches!(command, JobCommand::Named(_));
            let data = opts.payload.as_ref().unwrap_or(&Value::Null);
            let id = match option {
                // A named job's id may take fields of its payload: `unique = "{to}"`.
                UniqueOption::Id(id) if named && !id.is_empty() => {
                    super::named::fill_one(id, data).map_err(|e| format!("unique id: {e}"))?
                }
                UniqueOption::Id(id) if !id.is_empty() => id.clone(),
                // `unique = true` on a named job: one job per payload, so that two dispatches
                // with different payloads are two jobs (the payload as compact JSON with its
                // keys in order).
                _ if named && !data.is_null() => data.to_string(),
                _ => display_name.clone(),
            };
            let expires = match &opts.unique_for {
                None => None,
                Some(d) => Some(
                    now_ms
                        + parse_duration(&d.as_text())
                            .map_err(|e| format!("--unique-for: {e}"))?
                            .as_millis() as i64,
                ),
            };
            let lock = UniqueLock {
                key: middleware::unique_key(&display_name, &id),
                until_processing: opts.unique_until_processing.unwrap_or(false),
            };
            (Some(lock), expires)
        }
    };
    if unique.is_none() && (opts.unique_for.is_some() || opts.unique_until_processing == Some(true))
    {
        return Err("--unique-for and --unique-until-processing need --unique".into());
    }
    let middleware = Middleware {
        rate_limit: opts
            .rate_limit
            .as_deref()
            .map(middleware::parse_rate_limit)
            .transpose()?,
        throttle_exceptions: opts
            .throttle_exceptions
            .as_deref()
            .map(|t| middleware::parse_throttle(t, &display_name))
            .transpose()?,
        funnel: opts
            .funnel
            .as_deref()
            .map(middleware::parse_funnel)
            .transpose()?,
        without_overlapping: opts
            .without_overlapping
            .as_deref()
            .map(middleware::parse_overlap_key)
            .transpose()?,
        overlap_release_after: seconds_option(
            &opts.overlap_release_after,
            "--overlap-release-after",
        )?,
        overlap_expire_after: seconds_option(&opts.overlap_expire_after, "--overlap-expire-after")?,
        dont_release: opts.dont_release.unwrap_or(false),
    };
    middleware.check()?;
    let env = opts.env.clone().unwrap_or_default();
    for key in env.keys() {
        if key.is_empty() || key.contains('=') || key.contains('\0') {
            return Err(format!("invalid environment variable name '{key}'"));
        }
    }
    Ok(NewJob {
        queue,
        available_at,
        unique_expires_at,
        encrypt,
        payload: Payload {
            uuid,
            display_name,
            command,
            data: opts.payload.clone().unwrap_or(Value::Null),
            env,
            cwd: cwd.display().to_string(),
            max_tries: opts.tries,
            max_exceptions: opts.max_exceptions,
            fail_on_timeout: opts.fail_on_timeout.unwrap_or(false),
            backoff,
            timeout,
            retry_until,
            retry_window,
            created_at: now_ms,
            delay: (available_at > now_ms).then_some(available_at - now_ms),
            unique,
            middleware,
            secret: None,
            chained: Vec::new(),
            chain_catch: None,
            batch_id: None,
            chained_batch: None,
            on_failure: opts.on_failure.clone().filter(|c| !c.trim().is_empty()),
            on_success: opts.on_success.clone().filter(|c| !c.trim().is_empty()),
            hook: false,
        },
    })
}

#[cfg(test)]
mod build_tests {
    use super::*;
    use std::path::Path;

    fn argv() -> JobCommand {
        JobCommand::Argv(vec!["true".into()])
    }

    #[test]
    fn defaults_and_delays() {
        let opts = JobOptions {
            delay: Some(StringOrNumber::Text("5m".into())),
            ..Default::default()
        };
        let job = build(
            argv(),
            &opts,
            "default",
            Path::new("/tmp"),
            "u".into(),
            1_000,
        )
        .unwrap();
        assert_eq!(job.queue, "default");
        assert_eq!(job.available_at, 301_000);
        assert_eq!(job.payload.delay, Some(300_000));
        assert_eq!(job.payload.cwd, "/tmp");
        assert_eq!(job.payload.display_name, "true");
    }

    #[test]
    fn a_relative_retry_until_counts_again_from_a_retry() {
        let build_with = |until: &str| {
            let opts = JobOptions {
                retry_until: Some(StringOrNumber::Text(until.into())),
                ..Default::default()
            };
            build(argv(), &opts, "d", Path::new("/"), "u".into(), 1_000).unwrap()
        };
        let relative = build_with("10s").payload;
        assert_eq!(relative.retry_until, Some(11_000));
        let renewed = relative.renewed_for_retry(50_000).unwrap();
        assert_eq!(renewed.retry_until, Some(60_000));
        let absolute = build_with("2030-01-01T00:00:00Z").payload;
        assert_eq!(absolute.retry_window, None);
        assert!(absolute.renewed_for_retry(50_000).is_none());
        // A payload stored before the window existed keeps its deadline.
        let mut old = serde_json::to_value(&relative).unwrap();
        old.as_object_mut().unwrap().remove("retryWindow");
        let old: Payload = serde_json::from_value(old).unwrap();
        assert!(old.renewed_for_retry(50_000).is_none());
    }

    #[test]
    fn bad_options_are_rejected_with_the_option_named() {
        let cases = [
            JobOptions {
                delay: Some(StringOrNumber::Text("soon".into())),
                ..Default::default()
            },
            JobOptions {
                tries: Some(-2),
                ..Default::default()
            },
            JobOptions {
                timeout: Some(StringOrNumber::Text("x".into())),
                ..Default::default()
            },
            JobOptions {
                queue: Some("a,b".into()),
                ..Default::default()
            },
        ];
        for opts in cases {
            assert!(build(argv(), &opts, "default", Path::new("/"), "u".into(), 0).is_err());
        }
        assert!(build(
            JobCommand::Argv(vec![]),
            &JobOptions::default(),
            "d",
            Path::new("/"),
            "u".into(),
            0
        )
        .is_err());
    }
}
