//! `queue dispatch`: put one job (or a JSONL file of jobs, in one transaction) on a queue, or run
//! it now with --sync.

mod file;
mod flags;
mod job;
mod warnings;

pub use flags::JobFlags;
pub use job::{build, job_from_json, new_uuid, seal};

use super::now::{self, Control};
use crate::app::Ctx;
use crate::config::Target;
use crate::domain::job::{JobCommand, JobOptions, NewJob};
use crate::store::Enqueued;
use anyhow::{bail, Result};
use file::dispatch_file;
use job::named_job;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use warnings::Unstartable;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  queue dispatch -- ./bin/send-report --daily\n  queue dispatch --queue emails --tries 3 --backoff 1,5,10 -- ./send.sh\n  queue dispatch --delay 5m --payload '{\"id\": 7}' -- ./import.sh\n  queue dispatch --file jobs.jsonl"
)]
pub struct Args {
    #[command(flatten)]
    pub job: JobFlags,
    /// The name shown in listings (default: the command, or the named job).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub control: Control,
    /// Dispatch every job of a JSON Lines file in one transaction (all or nothing).
    #[arg(long, value_name = "JOBS.jsonl", conflicts_with = "sync")]
    pub file: Option<PathBuf>,
    /// A named job from queue.toml ([jobs.NAME]).
    #[arg(value_name = "NAME", conflicts_with = "file", add = crate::commands::complete::with(crate::commands::complete::named_jobs))]
    pub named: Option<String>,
    /// The program and its arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    pub command: Vec<String>,
    /// Then block until the job succeeded (exit 0) or failed for good (its last attempt's
    /// exit status: 128+N for a signal, 124 for a timeout, 1 if it could not start).
    #[arg(long, conflicts_with = "sync")]
    pub wait: bool,
    /// With --wait: give up waiting after this long (exit 124; the job stays queued).
    #[arg(long, value_name = "D", requires = "wait", value_parser = crate::domain::duration::parse_duration)]
    pub wait_timeout: Option<std::time::Duration>,
    /// With --wait: stream the job's output while waiting.
    #[arg(long, requires = "wait")]
    pub follow: bool,
}

#[derive(Serialize)]
struct Dispatched<'a> {
    uuid: &'a str,
    queue: &'a str,
    connection: &'a str,
    dispatched: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    if let Some(code) = args.control.check(ctx)? {
        return Ok(code);
    }
    let target = ctx.target(None)?;
    let now = ctx.now_ms();
    let mut flags = args.job.to_options()?;
    flags.name = args.name.clone();
    if let Some(path) = &args.file {
        if !args.command.is_empty() {
            bail!("give either --file or a command after `--`, not both");
        }
        if args.control.sync {
            bail!("--sync runs one job: it cannot be used with --file");
        }
        return dispatch_file(path, &flags, &target, ctx, now, &args);
    }
    let (command, defaults) = single_command(&args, &target)?;
    let mut jobs = vec![build(command, flags.or(&defaults), &target, ctx, now)?];
    if args.control.sync {
        let job = &jobs[0];
        let status = now::run_job(&job.payload, &job.queue, &target, ctx)?;
        if ctx.out.json {
            ctx.out.json_line(&serde_json::json!({
                "uuid": job.payload.uuid,
                "queue": job.queue,
                "connection": target.connection,
                "dispatched": true,
                "sync": true,
                "exit_code": status,
            }))?;
        }
        return Ok(now::exit_code(status));
    }
    // (--sync above runs the job here and says itself why it could not start.)
    Unstartable::default().warn(&jobs, ctx);
    seal(&mut jobs)?;
    let mut store = ctx.open(&target)?;
    // The store wakes idle workers once the jobs are committed.
    let results = store.enqueue(&jobs, now)?;
    for (job, result) in jobs.iter().zip(&results) {
        if let Some(note) = skipped_note(job, result) {
            ctx.out.note(&note);
        }
        let line = result_line(job, result, &target, ctx)?;
        if !line.is_empty() {
            crate::output::write_stdout(line.as_bytes());
        }
    }
    if args.wait {
        let uuids: Vec<String> = jobs
            .iter()
            .zip(&results)
            .filter(|(_, r)| **r == Enqueued::Dispatched)
            .map(|(j, _)| j.payload.uuid.clone())
            .collect();
        return wait_dispatched(ctx, store.as_mut(), uuids, &args);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a dispatch prints on stdout for one job: its uuid if it was dispatched (one JSON
/// object with --json).
pub(super) fn result_line(
    job: &NewJob,
    result: &Enqueued,
    target: &Target,
    ctx: &Ctx,
) -> Result<String> {
    let dispatched = *result == Enqueued::Dispatched;
    Ok(if ctx.out.json {
        let mut line = serde_json::to_string(&Dispatched {
            uuid: &job.payload.uuid,
            queue: &job.queue,
            connection: &target.connection,
            dispatched,
        })?;
        line.push('\n');
        line
    } else if dispatched {
        format!("{}\n", job.payload.uuid)
    } else {
        String::new()
    })
}

/// The notice for a unique job that was not dispatched.
pub(super) fn skipped_note(job: &NewJob, result: &Enqueued) -> Option<String> {
    let Enqueued::Skipped { held_by } = result else {
        return None;
    };
    let key = job.payload.unique.as_ref().map_or("", |u| u.key.as_str());
    Some(format!(
        "queue: not dispatched: {} is a unique job and job {held_by} holds its unique lock '{key}' (exit 0)",
        job.payload.display_name
    ))
}

/// `dispatch --wait`: wait for the jobs just dispatched; exit as §8 says.
pub(super) fn wait_dispatched(
    ctx: &Ctx,
    store: &mut dyn crate::store::Store,
    uuids: Vec<String>,
    args: &Args,
) -> Result<ExitCode> {
    use super::wait::{wait_for, Target, EXIT_TIMEOUT};
    let mut follow = super::logs::Follower::default();
    let outcome = wait_for(
        ctx,
        store,
        &Target::Jobs(uuids.clone()),
        args.wait_timeout,
        |store| {
            if args.follow {
                for uuid in &uuids {
                    follow.print_new(store, uuid)?;
                }
            }
            Ok(())
        },
    )?;
    if outcome.timed_out {
        eprintln!("queue: --wait-timeout passed; the job stays queued");
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    }
    let mut code = ExitCode::SUCCESS;
    for e in outcome.ended.iter().filter(|e| !e.succeeded) {
        let status = e.last_attempt.as_ref().map_or(1, |a| a.exit_status());
        eprintln!("queue: job {} {} (exit status {status})", e.id, e.state);
        if code == ExitCode::SUCCESS {
            code = ExitCode::from(status);
        }
    }
    Ok(code)
}

fn single_command(args: &Args, target: &Target) -> Result<(JobCommand, JobOptions)> {
    if let Some(name) = &args.named {
        args.job.check_split_unit(name)?;
    }
    match (&args.named, args.command.is_empty()) {
        (Some(name), true) => named_job(name, target),
        (Some(name), false) => Err(crate::app::usage_error(format!(
            "give either a named job ({name}) or a program after `--`, not both"
        ))),
        (None, true) => Err(crate::app::usage_error(
            "nothing to dispatch: put the program after `--`, as in `queue dispatch -- echo hi`, name a job of queue.toml, or use --file JOBS.jsonl"
        )),
        (None, false) if args.command[0].is_empty() => Err(crate::app::usage_error(
            "the job has no command: put it after `--`, as in `queue dispatch -- echo hi`",
        )),
        (None, false) => Ok((JobCommand::Argv(args.command.clone()), JobOptions::default())),
    }
}
