//! `queue show UUID`: one job wherever it is — queued, running, done (within retain_done) or
//! failed — with its attempts, options and last output.

use super::parse_uuid;
use crate::app::Ctx;
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
    let uuid = parse_uuid(&args.uuid)?;
    let (_, mut store) = ctx.read_store()?;
    let Some(mut job) = store.show(&uuid, ctx.now_ms())? else {
        bail!("no job with id {uuid}: it never existed here, or it finished longer ago than retain_done");
    };
    if args.decrypt {
        if let Some(secret) = job.payload.secret.clone() {
            let sealed = crate::crypto::Keys::from_env()?.open(&secret, &job.uuid)?;
            job.payload.unseal(sealed);
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
    if let Some(error) = &job.error {
        ctx.out.line(&format!("\nerror:\n{error}"));
    } else if let Some(output) = job.output.as_ref().filter(|o| !o.is_empty()) {
        ctx.out
            .line(&format!("\nlast output:\n{}", output.trim_end()));
    }
    Ok(ExitCode::SUCCESS)
}
