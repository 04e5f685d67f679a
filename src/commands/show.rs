//! `queue show UUID`: one job wherever it is — queued, running, done (within retain_done) or
//! failed — with its attempts, options and last output.

use super::resolve_uuid;
use crate::app::Ctx;
use crate::crypto::{Keys, SEALED_OUTPUT};
use crate::domain::job::JobCommand;
use anyhow::{bail, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The job's uuid.
    #[arg(add = crate::commands::complete::with(crate::commands::complete::failed_uuids))]
    pub uuid: String,
    /// Show an encrypted job's command, payload and env (needs QUEUE_KEY).
    #[arg(long)]
    pub decrypt: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    let uuid = resolve_uuid(store.as_mut(), &args.uuid)?;
    let Some(mut job) = store.show(&uuid, ctx.now_ms())? else {
        bail!("no job with id {uuid}: it never existed here, or it finished longer ago than retain_done");
    };
    job.history = store.attempts(&uuid)?;
    // An encrypted job's output (and the tail in its error) is sealed too.
    let encrypted = job.payload.secret.is_some();
    if args.decrypt {
        if let Some(secret) = job.payload.secret.clone() {
            let keys = crate::crypto::Keys::from_env()?;
            let sealed = keys.open(&secret, &job.uuid)?;
            job.payload.unseal(sealed);
            let attempts = job.history.iter_mut().map(|a| &mut a.output);
            for text in [&mut job.output, &mut job.error]
                .into_iter()
                .flatten()
                .chain(attempts)
            {
                *text = open_sealed_output(text, &keys, &job.uuid)?;
            }
        }
    } else if encrypted && !ctx.out.json {
        let attempts = job.history.iter_mut().map(|a| &mut a.output);
        for text in [&mut job.output, &mut job.error]
            .into_iter()
            .flatten()
            .chain(attempts)
        {
            if let Some(at) = text.find(SEALED_OUTPUT) {
                text.replace_range(at.., "(encrypted; --decrypt shows it)");
            }
        }
    }
    if ctx.out.json {
        let mut value = serde_json::to_value(&job)?;
        value["payload"] = crate::output::snake_case_payload(value["payload"].take());
        ctx.out.json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    let p = &job.payload;
    let command = match &p.command {
        _ if p.secret.is_some() => "(encrypted; --decrypt shows it)".to_string(),
        JobCommand::Argv(argv) => serde_json::to_string(argv)?,
        JobCommand::Shell(script) => format!("sh -c {script:?}"),
        JobCommand::Named(name) => format!("the named job {name} (resolved by the worker)"),
    };
    let mut rows = vec![
        ("uuid", job.uuid.clone()),
        ("name", job.name.clone()),
        ("state", job.state.as_str().to_string()),
        ("queue", format!("{}:{}", job.connection, job.queue)),
        ("attempts", job.attempts.to_string()),
        ("command", command),
        ("cwd", p.cwd.clone()),
        ("created at", job.created_at.clone()),
    ];
    let optional = [
        ("available at", job.available_at.clone()),
        ("reserved at", job.reserved_at.clone()),
        ("finished at", job.finished_at.clone()),
        ("failed at", job.failed_at.clone()),
        ("tries", p.max_tries.map(|t| t.to_string())),
        ("backoff", p.backoff.as_ref().map(|b| format!("{b:?}"))),
        ("timeout", p.timeout.map(|t| format!("{t}s"))),
        (
            "retry until",
            p.retry_until.map(crate::clock::format_rfc3339),
        ),
        ("max exceptions", p.max_exceptions.map(|m| m.to_string())),
        (
            "fail on timeout",
            p.fail_on_timeout.then(|| "yes".to_string()),
        ),
        ("payload", (!p.data.is_null()).then(|| p.data.to_string())),
        (
            "env",
            (!p.env.is_empty()).then(|| {
                p.env
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
        ),
    ];
    rows.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        ctx.out.line(&format!("{key:<width$}  {value}"));
    }
    if !job.history.is_empty() {
        ctx.out.line("\nattempts:");
        for a in &job.history {
            ctx.out.line(&format!("  {}", attempt_line(a)));
        }
    }
    if let Some(error) = &job.error {
        ctx.out.line(&format!("\nerror:\n{error}"));
    } else if let Some(output) = job.output.as_ref().filter(|o| !o.is_empty()) {
        ctx.out
            .line(&format!("\nlast output:\n{}", output.trim_end()));
    }
    Ok(ExitCode::SUCCESS)
}

/// One attempt on one line: number, start, duration, worker and host, exit status, outcome.
pub fn attempt_line(a: &crate::store::AttemptView) -> String {
    let duration = a
        .duration_ms
        .map(|ms| format!("{:.2}s", ms as f64 / 1000.0))
        .unwrap_or_else(|| "running".into());
    let exit = if a.timed_out {
        "timed out".to_string()
    } else if let Some(sig) = a.signal {
        format!("signal {sig}")
    } else if let Some(code) = a.exit_code {
        format!("exit {code}")
    } else if a.finished_at.is_some() {
        "no exit status".to_string()
    } else {
        "-".to_string()
    };
    format!(
        "#{}  {}  {}  {} on {}  {}  {}",
        a.attempt, a.started_at, duration, a.worker, a.host, exit, a.outcome
    )
}

/// `text` with the sealed output it ends with (an output, or an error's tail) opened.
fn open_sealed_output(text: &str, keys: &Keys, uuid: &str) -> Result<String> {
    match text.find(SEALED_OUTPUT) {
        Some(at) => Ok(format!(
            "{}{}",
            &text[..at],
            keys.open_output(&text[at..], uuid)?
        )),
        None => Ok(text.to_string()),
    }
}
