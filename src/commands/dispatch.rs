//! `queue dispatch`: put one job (or a JSONL file of jobs, in one transaction) on a queue, or run
//! it now with --sync.

use crate::app::Ctx;
use crate::domain::job::{self, Backoff, JobCommand, JobOptions, NewJob, StringOrNumber};
use crate::worker::process;
use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options shared by every way of creating a job.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JobFlags {
    /// The queue to put the job on (default: the connection's queue, else `default`).
    #[arg(long, value_name = "Q")]
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
    /// The name shown in listings (default: the command).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// JSON given to the job on stdin.
    #[arg(long, value_name = "JSON")]
    pub payload: Option<String>,
    /// An environment variable for the job (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// The directory the job runs in (default: this one).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
}

impl JobFlags {
    /// The flags as job options (the same shape a JSONL line has).
    pub fn to_options(&self) -> Result<JobOptions> {
        let payload = match &self.payload {
            None => None,
            Some(text) => Some(serde_json::from_str(text).map_err(|e| {
                anyhow!("invalid --payload: {e}; give a JSON value such as '{{\"to\": \"a@b.c\"}}'")
            })?),
        };
        let mut env = BTreeMap::new();
        for pair in &self.env {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| anyhow!("invalid --env '{pair}': use KEY=VALUE"))?;
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
            name: self.name.clone(),
            payload,
            env: (!env.is_empty()).then_some(env),
            cwd: self.cwd.as_ref().map(|p| p.display().to_string()),
        })
    }
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  queue dispatch -- ./bin/send-report --daily\n  queue dispatch --queue emails --tries 3 --backoff 1,5,10 -- ./send.sh\n  queue dispatch --delay 5m --payload '{\"id\": 7}' -- ./import.sh\n  queue dispatch --file jobs.jsonl"
)]
pub struct Args {
    #[command(flatten)]
    pub job: JobFlags,
    /// Run the job now in this process (no queue, no retries) and exit with its status.
    #[arg(long, conflicts_with = "file")]
    pub sync: bool,
    /// Dispatch only if this shell command exits 0.
    #[arg(long = "if", value_name = "CMD")]
    pub if_cmd: Option<String>,
    /// Dispatch only if this shell command exits non-zero.
    #[arg(long = "unless", value_name = "CMD")]
    pub unless_cmd: Option<String>,
    /// Dispatch every job of a JSON Lines file in one transaction (all or nothing).
    #[arg(long, value_name = "JOBS.jsonl")]
    pub file: Option<PathBuf>,
    /// A named job from queue.toml ([jobs.NAME]).
    #[arg(value_name = "NAME", conflicts_with = "file")]
    pub named: Option<String>,
    /// The program and its arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    pub command: Vec<String>,
}

#[derive(Serialize)]
struct Dispatched<'a> {
    uuid: &'a str,
    queue: &'a str,
    connection: &'a str,
    dispatched: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    if let Some(reason) = skip_reason(&args)? {
        ctx.out.note(&format!("not dispatched: {reason}"));
        if ctx.out.json {
            ctx.out
                .json_line(&serde_json::json!({ "dispatched": false, "reason": reason }))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let target = ctx.target(None)?;
    let now = ctx.now_ms();
    let jobs: Vec<NewJob> = match &args.file {
        Some(path) => {
            if !args.command.is_empty() {
                bail!("give either --file or a command after `--`, not both");
            }
            read_jobs_file(path, &args.job, &target.default_queue, ctx, now)?
        }
        None => {
            let command = single_command(&args)?;
            let opts = args.job.to_options()?;
            vec![job::build(
                command,
                &opts,
                &target.default_queue,
                &ctx.cwd,
                new_uuid(),
                now,
            )
            .map_err(anyhow::Error::msg)?]
        }
    };
    if args.sync {
        return run_sync(&jobs[0], &target.connection, ctx);
    }
    let mut store = ctx.open(&target)?;
    store.enqueue(&jobs)?;
    if jobs.iter().any(|j| j.available_at <= now) {
        target.location.wake_workers();
    }
    for job in &jobs {
        if ctx.out.json {
            ctx.out.json_line(&Dispatched {
                uuid: &job.payload.uuid,
                queue: &job.queue,
                connection: &target.connection,
                dispatched: true,
            })?;
        } else {
            ctx.out.line(&job.payload.uuid);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

fn single_command(args: &Args) -> Result<JobCommand> {
    match (&args.named, args.command.is_empty()) {
        (Some(name), _) => bail!(
            "'{name}' is not a program: named jobs ([jobs.{name}] in queue.toml) are not available yet; to run a program put it after `--`, as in `queue dispatch -- {name}`"
        ),
        (None, true) => bail!(
            "nothing to dispatch: put the program after `--`, as in `queue dispatch -- echo hi`, or use --file JOBS.jsonl"
        ),
        (None, false) => Ok(JobCommand::Argv(args.command.clone())),
    }
}

/// --if / --unless: run the condition with `sh -c`; Some(reason) when the job must be skipped.
fn skip_reason(args: &Args) -> Result<Option<String>> {
    let check = |cmd: &str| -> Result<bool> {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .status()
            .with_context(|| format!("cannot run the condition '{cmd}'"))?;
        Ok(status.success())
    };
    if let Some(cmd) = &args.if_cmd {
        if !check(cmd)? {
            return Ok(Some(format!("the --if command failed: {cmd}")));
        }
    }
    if let Some(cmd) = &args.unless_cmd {
        if check(cmd)? {
            return Ok(Some(format!("the --unless command succeeded: {cmd}")));
        }
    }
    Ok(None)
}

/// Parse a JSONL file: every line an object with `command` (argv list) or `shell` (string),
/// plus job options in snake_case. Flags given on the command line are defaults for each line.
fn read_jobs_file(
    path: &PathBuf,
    flags: &JobFlags,
    default_queue: &str,
    ctx: &Ctx,
    now: i64,
) -> Result<Vec<NewJob>> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read jobs from stdin")?
    } else {
        std::fs::read_to_string(ctx.cwd.join(path))
            .with_context(|| format!("cannot read {}", path.display()))?
    };
    let defaults = flags.to_options()?;
    let mut jobs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{} line {}", path.display(), index + 1);
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).map_err(|e| anyhow!("{}: not a JSON object: {e}", at()))?;
        let command = match (object.remove("command"), object.remove("shell"), object.remove("job")) {
            (Some(serde_json::Value::Array(items)), None, None) => JobCommand::Argv(
                items
                    .into_iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => Ok(s),
                        other => Err(anyhow!("{}: \"command\" must be a list of strings, found {other}", at())),
                    })
                    .collect::<Result<_>>()?,
            ),
            (None, Some(serde_json::Value::String(script)), None) => JobCommand::Shell(script),
            (None, None, Some(serde_json::Value::String(name))) => bail!(
                "{}: named job '{name}': named jobs are not available yet; use \"command\" or \"shell\"",
                at()
            ),
            _ => bail!(
                "{}: give exactly one of \"command\" (a list of strings) or \"shell\" (a string)",
                at()
            ),
        };
        let opts: JobOptions = serde_json::from_value(serde_json::Value::Object(object))
            .map_err(|e| anyhow!("{}: {e}", at()))?;
        let merged = merge(&defaults, opts);
        let job = job::build(command, &merged, default_queue, &ctx.cwd, new_uuid(), now)
            .map_err(|e| anyhow!("{}: {e}", at()))?;
        jobs.push(job);
    }
    if jobs.is_empty() {
        bail!(
            "{} has no jobs: write one JSON object per line",
            path.display()
        );
    }
    Ok(jobs)
}

/// A line's own options win over the command-line flags.
fn merge(defaults: &JobOptions, line: JobOptions) -> JobOptions {
    let d = defaults.clone();
    JobOptions {
        queue: line.queue.or(d.queue),
        delay: line.delay.or(d.delay),
        tries: line.tries.or(d.tries),
        backoff: line.backoff.or(d.backoff),
        timeout: line.timeout.or(d.timeout),
        retry_until: line.retry_until.or(d.retry_until),
        max_exceptions: line.max_exceptions.or(d.max_exceptions),
        fail_on_timeout: line.fail_on_timeout.or(d.fail_on_timeout),
        name: line.name.or(d.name),
        payload: line.payload.or(d.payload),
        env: match (d.env, line.env) {
            (Some(mut base), Some(own)) => {
                base.extend(own);
                Some(base)
            }
            (base, own) => own.or(base),
        },
        cwd: line.cwd.or(d.cwd),
    }
}

/// --sync: run the job here and now with the job protocol, output passed through, and exit
/// with its status (like dispatchSync: no queue, no retries, nothing stored).
fn run_sync(job: &NewJob, connection: &str, ctx: &Ctx) -> Result<ExitCode> {
    let p = &job.payload;
    let mut env: Vec<(String, String)> = p.env.clone().into_iter().collect();
    env.extend([
        ("QUEUE_JOB_ID".to_string(), p.uuid.clone()),
        ("QUEUE_JOB_NAME".to_string(), p.display_name.clone()),
        ("QUEUE_ATTEMPT".to_string(), "1".to_string()),
        ("QUEUE_MAX_TRIES".to_string(), "1".to_string()),
        ("QUEUE_QUEUE".to_string(), job.queue.clone()),
        ("QUEUE_CONNECTION".to_string(), connection.to_string()),
    ]);
    let spec = process::Spec {
        argv: p.command.argv(),
        cwd: p.cwd.clone(),
        env,
        stdin: serde_json::to_vec(&p.data)?,
        timeout: p
            .timeout
            .filter(|t| *t > 0)
            .map(std::time::Duration::from_secs),
        capture: false,
        die_with_parent: false,
    };
    let done = process::run(&spec, |_| {});
    let code = match done.exit {
        process::Exit::Code(code) => code,
        process::Exit::Signal(sig) => 128 + sig,
        process::Exit::TimedOut => {
            ctx.out
                .note(&format!("queue: job {} timed out", p.display_name));
            124
        }
        process::Exit::SpawnError(e) => bail!("the job {e}"),
    };
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}
