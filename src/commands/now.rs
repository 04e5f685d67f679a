//! What `dispatch`, `chain` and `batch` share besides job options: `--if` / `--unless` (dispatch
//! only when a condition holds) and `--sync` (run now, in this process, with the job protocol
//! and output passed through, like Laravel's dispatchSync: no queue, no retries, nothing stored).

use crate::app::Ctx;
use crate::config::Target;
use crate::domain::batch::{
    callback_job, on_failure, on_success, BatchOptions, Counts, FailedInfo,
};
use crate::domain::job::{JobCommand, NewJob, Payload};
use crate::worker::process;
use anyhow::{Context, Result};
use std::process::ExitCode;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Control {
    /// Run now in this process (no queue, no retries, nothing stored) and exit with the status.
    #[arg(long)]
    pub sync: bool,
    /// Dispatch only if this shell command exits 0.
    #[arg(long = "if", value_name = "CMD")]
    pub if_cmd: Option<String>,
    /// Dispatch only if this shell command exits non-zero.
    #[arg(long = "unless", value_name = "CMD")]
    pub unless_cmd: Option<String>,
}

impl Control {
    /// Some(reason) when --if / --unless say not to dispatch.
    pub fn skip_reason(&self) -> Result<Option<String>> {
        let holds = |cmd: &str| -> Result<bool> {
            let status = std::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .status()
                .with_context(|| format!("cannot run the condition '{cmd}'"))?;
            Ok(status.success())
        };
        if let Some(cmd) = &self.if_cmd {
            if !holds(cmd)? {
                return Ok(Some(format!("the --if command failed: {cmd}")));
            }
        }
        if let Some(cmd) = &self.unless_cmd {
            if holds(cmd)? {
                return Ok(Some(format!("the --unless command succeeded: {cmd}")));
            }
        }
        Ok(None)
    }

    /// Check --if / --unless; when they say skip, report it and return the exit code.
    pub fn check(&self, ctx: &Ctx) -> Result<Option<ExitCode>> {
        let Some(reason) = self.skip_reason()? else {
            return Ok(None);
        };
        ctx.out.note(&format!("not dispatched: {reason}"));
        if ctx.out.json {
            ctx.out
                .json_line(&serde_json::json!({ "dispatched": false, "reason": reason }))?;
        }
        Ok(Some(ExitCode::SUCCESS))
    }
}

/// A status as this process's exit code.
pub fn exit_code(status: i32) -> ExitCode {
    ExitCode::from(status.clamp(0, 255) as u8)
}

/// Run one job now; its exit status (128+N for a signal, 124 for a timeout).
pub fn run_job(p: &Payload, queue: &str, target: &Target, ctx: &Ctx) -> Result<i32> {
    let argv = match &p.command {
        JobCommand::Named(name) => {
            crate::domain::named::fill(&target.named_jobs[name].command, &p.data)
                .map_err(anyhow::Error::msg)?
        }
        other => other.argv().unwrap_or_default(),
    };
    let mut env: Vec<(String, String)> = p.env.clone().into_iter().collect();
    env.extend([
        ("QUEUE_JOB_ID".to_string(), p.uuid.clone()),
        ("QUEUE_JOB_NAME".to_string(), p.display_name.clone()),
        ("QUEUE_ATTEMPT".to_string(), "1".to_string()),
        ("QUEUE_MAX_TRIES".to_string(), "1".to_string()),
        ("QUEUE_QUEUE".to_string(), queue.to_string()),
        ("QUEUE_CONNECTION".to_string(), target.connection.clone()),
    ]);
    if let Some(batch_id) = &p.batch_id {
        env.push(("QUEUE_BATCH_ID".to_string(), batch_id.clone()));
    }
    let spec = process::Spec {
        live: None,
        argv,
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
    Ok(match process::run(&spec, |_| {}).exit {
        process::Exit::Code(code) => code,
        process::Exit::Signal(sig) => 128 + sig,
        process::Exit::TimedOut => {
            ctx.out
                .note(&format!("queue: job {} timed out", p.display_name));
            124
        }
        process::Exit::SpawnError(e) => {
            // Like a shell: 127 for a command not found, 126 for one that is not executable.
            let error = anyhow::anyhow!("cannot start the job: {e}");
            return Err(crate::app::ExitWith {
                code: process::spawn_error_status(&e) as u8,
                error,
            }
            .into());
        }
    })
}

/// Run a chain's links now, in order, until one fails. Returns how many succeeded and the
/// failing link (its payload and status), if any.
fn run_links(
    first: &NewJob,
    target: &Target,
    ctx: &Ctx,
) -> Result<(usize, Option<(Payload, i32)>)> {
    let mut links = vec![(first.payload.clone(), first.queue.clone())];
    links.extend(
        first
            .payload
            .chained
            .iter()
            .map(|l| (l.payload.clone(), l.queue.clone())),
    );
    let total = links.len();
    for (i, (payload, queue)) in links.into_iter().enumerate() {
        let status = run_job(&payload, &queue, target, ctx)?;
        if status != 0 {
            return Ok((i, Some((payload, status))));
        }
    }
    Ok((total, None))
}

fn failure(p: &Payload, status: i32) -> String {
    format!("{} exited with status {status}", p.display_name)
}

/// `chain --sync`: run every link now; at the first failure run `--catch` and exit with the
/// failed link's status.
pub fn chain(first: &NewJob, target: &Target, ctx: &Ctx) -> Result<ExitCode> {
    let (_, Some((failed, status))) = run_links(first, target, ctx)? else {
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(catch) = &first.payload.chain_catch {
        let error = failure(&failed, status);
        let info = FailedInfo {
            uuid: &failed.uuid,
            name: &failed.display_name,
            error: &error,
        };
        let job = crate::domain::batch::chain_catch_job(
            catch,
            &info,
            &first.queue,
            &failed.cwd,
            String::new(),
            0,
        );
        run_job(&job.payload, &job.queue, target, ctx)?;
    }
    Ok(exit_code(status))
}

/// `batch --sync`: run every job (chains link by link) now, one after another, firing the
/// callbacks by the same rules as queued batches. Exits 0 when all succeeded, else with the
/// first failure's status.
pub fn batch(
    batch_id: &str,
    name: &str,
    options: &BatchOptions,
    jobs: &[NewJob],
    target: &Target,
    ctx: &Ctx,
) -> Result<ExitCode> {
    let total: i64 = jobs
        .iter()
        .map(|j| 1 + j.payload.chained.len() as i64)
        .sum();
    let mut counts = Counts {
        total,
        pending: total,
        failed: 0,
    };
    let mut cancelled = false;
    let mut first_status = 0;
    for first in jobs {
        if cancelled {
            // Skipped and counted as successes, link by link.
            for _ in 0..=first.payload.chained.len() {
                counts.pending -= 1;
                run_callbacks(
                    on_success(counts),
                    batch_id,
                    name,
                    options,
                    counts,
                    true,
                    None,
                    target,
                    ctx,
                )?;
            }
            continue;
        }
        let (succeeded, ran) = run_links(first, target, ctx)?;
        for _ in 0..succeeded {
            counts.pending -= 1;
            run_callbacks(
                on_success(counts),
                batch_id,
                name,
                options,
                counts,
                cancelled,
                None,
                target,
                ctx,
            )?;
        }
        if let Some((failed, status)) = ran {
            if first_status == 0 {
                first_status = status;
            }
            counts.failed += 1;
            let effects = on_failure(counts, options.allow_failures);
            cancelled |= effects.cancel;
            let error = failure(&failed, status);
            let info = FailedInfo {
                uuid: &failed.uuid,
                name: &failed.display_name,
                error: &error,
            };
            run_callbacks(
                effects,
                batch_id,
                name,
                options,
                counts,
                cancelled,
                Some(&info),
                target,
                ctx,
            )?;
        }
    }
    Ok(exit_code(first_status))
}

#[allow(clippy::too_many_arguments)]
fn run_callbacks(
    effects: crate::domain::batch::Effects,
    batch_id: &str,
    name: &str,
    options: &BatchOptions,
    counts: Counts,
    cancelled: bool,
    failed: Option<&FailedInfo<'_>>,
    target: &Target,
    ctx: &Ctx,
) -> Result<()> {
    for kind in effects.callbacks {
        if let Some(job) = callback_job(
            kind,
            batch_id,
            name,
            options,
            counts,
            cancelled,
            failed,
            String::new(),
            0,
        ) {
            run_job(&job.payload, &job.queue, target, ctx)?;
        }
    }
    Ok(())
}
