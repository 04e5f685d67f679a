//! Building a job from the command line or from JSON (`--file` lines, chain and batch files),
//! and sealing it with --encrypt.

use crate::app::Ctx;
use crate::config::Target;
use crate::crypto::Keys;
use crate::domain::job::{self, JobCommand, JobOptions, NewJob};
use anyhow::{anyhow, bail, Result};

/// Seal the jobs dispatched with --encrypt (before they are chained, so each link is sealed).
pub fn seal(jobs: &mut [NewJob]) -> Result<()> {
    if jobs.iter().any(|j| j.encrypt) {
        let keys = Keys::from_env()?;
        for job in jobs.iter_mut().filter(|j| j.encrypt) {
            let secret = keys.seal(&job.payload.sealed(), &job.payload.uuid)?;
            job.payload.seal(secret);
        }
    }
    Ok(())
}

/// One job from JSON, as `--file` lines and chain/batch files give them: an object with
/// `command` (argv list), `shell` (string) or `job` (a named job) plus options in snake_case, or
/// a plain string (a shell command). Its own options win over `flags`, which win over the
/// named job's defaults.
pub fn job_from_json(
    value: serde_json::Value,
    flags: &JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
) -> Result<NewJob> {
    let mut object = match value {
        serde_json::Value::String(script) => {
            return build(JobCommand::Shell(script), flags.clone(), target, ctx, now)
        }
        serde_json::Value::Object(object) => object,
        other => bail!("expected a job (an object or a shell string), found {other}"),
    };
    let (command, defaults) = match (
        object.remove("command"),
        object.remove("shell"),
        object.remove("job"),
    ) {
        (Some(serde_json::Value::Array(items)), None, None) => (
            JobCommand::Argv(
                items
                    .into_iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => Ok(s),
                        other => Err(anyhow!("\"command\" must be a list of strings, found {other}")),
                    })
                    .collect::<Result<_>>()?,
            ),
            JobOptions::default(),
        ),
        (None, Some(serde_json::Value::String(script)), None) => {
            (JobCommand::Shell(script), JobOptions::default())
        }
        (None, None, Some(serde_json::Value::String(name))) => named_job(&name, target)?,
        _ => bail!(
            "give exactly one of \"command\" (a list of strings), \"shell\" (a string) or \"job\" (a named job)"
        ),
    };
    let opts: JobOptions = serde_json::from_value(serde_json::Value::Object(object))?;
    build(command, opts.or(flags).or(&defaults), target, ctx, now)
}

/// Build one job; a named job's command is checked against the payload here, so a missing
/// placeholder field is an error at dispatch rather than a failed job.
pub fn build(
    command: JobCommand,
    opts: JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
) -> Result<NewJob> {
    if let JobCommand::Named(name) = &command {
        let named = &target.named_jobs[name];
        let data = opts.payload.clone().unwrap_or(serde_json::Value::Null);
        crate::domain::named::fill(&named.command, &data)
            .map_err(|e| anyhow!("job '{name}': {e}; pass it with --payload"))?;
    }
    // OpenTelemetry's environment carriers go with the job to each of its attempts.
    let trace = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let opts = job::with_trace(opts, trace("TRACEPARENT"), trace("TRACESTATE"));
    job::build(
        command,
        &opts,
        &target.default_queue,
        &ctx.cwd,
        new_uuid(),
        now,
    )
    .map_err(anyhow::Error::msg)
}

/// A named job's command and its defaults from queue.toml.
pub(super) fn named_job(name: &str, target: &Target) -> Result<(JobCommand, JobOptions)> {
    match target.named_jobs.get(name) {
        Some(named) => {
            // A named job runs where its queue.toml is (paths in the file are relative to
            // it), like a job class runs in its application's directory.
            let mut defaults = named.options.clone();
            if let Some(cfg) = &target.config {
                let dir = cfg.path.parent().unwrap_or(std::path::Path::new("."));
                let cwd = match &defaults.cwd {
                    Some(own) => dir.join(own),
                    None => dir.to_path_buf(),
                };
                defaults.cwd = Some(cwd.display().to_string());
            }
            Ok((JobCommand::Named(name.to_string()), defaults))
        }
        None => {
            let where_ = match &target.config {
                Some(cfg) => {
                    let close = crate::commands::did_you_mean(name, target.named_jobs.keys());
                    match close {
                        Some(close) => format!(
                            "{} has no [jobs.{name}]; did you mean `{close}`?",
                            cfg.path.display()
                        ),
                        None => format!("{} has no [jobs.{name}]", cfg.path.display()),
                    }
                }
                None => "no queue.toml was found".to_string(),
            };
            bail!("unknown job '{name}': {where_}; to run a program put it after `--`, as in `queue dispatch -- {name}`")
        }
    }
}

pub use crate::clock::new_uuid;
