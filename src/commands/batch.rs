//! `queue batch …`: many jobs that run in parallel as one unit, with callbacks when it
//! progresses, succeeds, first fails and finishes (reference §9). A JSON file may nest arrays:
//! each inner array is a chain inside the batch. Also `batch-add`, from inside a batched job.

use super::dispatch::{build, job_from_json, new_uuid, seal, JobFlags};
use super::now::{self, Control};
use crate::app::Ctx;
use crate::config::Target;
use crate::domain::batch::BatchOptions;
use crate::domain::job::{self, JobCommand, JobOptions, NewJob};
use crate::store::NewBatch;
use anyhow::{anyhow, bail, Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Callbacks run as jobs on the batch's queue, with QUEUE_BATCH_ID, QUEUE_BATCH_NAME,\nQUEUE_BATCH_TOTAL, _PENDING, _PROCESSED, _FAILED, _PROGRESS and _CANCELLED in their\nenvironment (and QUEUE_FAILED_JOB_ID, _NAME, _ERROR for --catch).\n\nExamples:\n  queue batch --name import --then './report.sh' --catch './alert.sh' './import.sh 1' './import.sh 2'\n  queue batch --file import.json      # [\"./a.sh\", [\"./b1.sh\", \"./b2.sh\"], {\"command\": [\"./c\"]}]"
)]
pub struct Args {
    #[command(flatten)]
    pub job: JobFlags,
    #[command(flatten)]
    pub control: Control,
    /// The batch's name.
    #[arg(long, value_name = "N")]
    pub name: Option<String>,
    /// Run when every job has succeeded.
    #[arg(long, value_name = "CMD")]
    pub then: Option<String>,
    /// Run at the batch's first failure.
    #[arg(long, value_name = "CMD")]
    pub catch: Option<String>,
    /// Run when every job has either succeeded or failed.
    #[arg(long, value_name = "CMD")]
    pub finally: Option<String>,
    /// Run after each success (and each failure with --allow-failures).
    #[arg(long, value_name = "CMD")]
    pub progress: Option<String>,
    /// Keep going after a failure instead of cancelling the batch.
    #[arg(long)]
    pub allow_failures: bool,
    /// A JSON list of jobs (shell strings or job objects); an inner list is a chain.
    #[arg(long, value_name = "BATCH.json", conflicts_with = "jobs")]
    pub file: Option<PathBuf>,
    /// The jobs, as shell commands.
    #[arg(value_name = "CMD")]
    pub jobs: Vec<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    if let Some(code) = args.control.check(ctx)? {
        return Ok(code);
    }
    let target = ctx.target(None)?;
    let now = ctx.now_ms();
    let flags = args.job.to_options()?;
    let batch = NewBatch {
        id: new_uuid(),
        name: args.name.clone().unwrap_or_default(),
        options: BatchOptions {
            then: args.then.clone(),
            catch: args.catch.clone(),
            finally: args.finally.clone(),
            progress: args.progress.clone(),
            allow_failures: args.allow_failures,
            queue: flags
                .queue
                .clone()
                .unwrap_or_else(|| target.default_queue.clone()),
            cwd: ctx.cwd.display().to_string(),
            ..Default::default()
        },
        created_at: now,
    };
    crate::domain::job::validate_queue_name(&batch.options.queue).map_err(anyhow::Error::msg)?;
    let entries: Vec<serde_json::Value> = match &args.file {
        Some(path) => {
            let text = std::fs::read_to_string(ctx.cwd.join(path))
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| anyhow!("{}: expected a JSON list of jobs: {e}", path.display()))?
        }
        None => args
            .jobs
            .iter()
            .cloned()
            .map(serde_json::Value::String)
            .collect(),
    };
    let source = args
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the command line".into());
    let jobs = jobs_of(
        entries,
        &flags,
        &target,
        ctx,
        now,
        &batch.id,
        !args.control.sync,
        &source,
    )?;
    if jobs.is_empty() {
        let message =
            "a batch needs at least one job: queue batch 'CMD1' 'CMD2' … or --file BATCH.json";
        // No commands on the command line is a usage error; an empty --file is bad input.
        return Err(match args.file {
            None => crate::app::usage_error(message),
            Some(_) => anyhow!("{message}"),
        });
    }
    if args.control.sync {
        return now::batch(&batch.id, &batch.name, &batch.options, &jobs, &target, ctx);
    }
    let total: usize = jobs.iter().map(|j| 1 + j.payload.chained.len()).sum();
    let mut store = ctx.open(&target)?;
    store.create_batch(&batch, &jobs)?;
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "id": batch.id, "total_jobs": total }))?;
    } else {
        ctx.out.line(&batch.id);
    }
    Ok(ExitCode::SUCCESS)
}

/// A batch's jobs from its entries (a list of jobs, an inner list being a chain), each marked
/// with the batch and (with `sealed`) sealed; `source` names where they came from in errors.
#[allow(clippy::too_many_arguments)]
pub(super) fn jobs_of(
    entries: Vec<serde_json::Value>,
    flags: &JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
    batch_id: &str,
    sealed: bool,
    source: &str,
) -> Result<Vec<NewJob>> {
    let mut jobs = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let chain = match entry {
            serde_json::Value::Array(links) => links,
            single => vec![single],
        };
        let mut links = chain
            .into_iter()
            .map(|link| job_from_json(link, flags, target, ctx, now))
            .collect::<Result<Vec<_>>>()
            .map_err(|e| anyhow!("{source}, entry {}: {e:#}", i + 1))?;
        for link in &mut links {
            link.payload.batch_id = Some(batch_id.to_string());
        }
        if sealed {
            seal(&mut links)?;
        }
        if let Some(first) = job::chain(links, None) {
            jobs.push(first);
        }
    }
    Ok(jobs)
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub job: JobFlags,
    /// The jobs to add, as shell commands.
    #[arg(value_name = "CMD", required = true)]
    pub jobs: Vec<String>,
}

/// `queue batch-add 'CMD'…`, inside a batched job: add jobs to its own batch.
pub fn add(args: AddArgs, ctx: &Ctx) -> Result<ExitCode> {
    let Ok(batch_id) = std::env::var("QUEUE_BATCH_ID") else {
        bail!("batch-add only works inside a batched job (QUEUE_BATCH_ID is not set)");
    };
    let target = ctx.target(None)?;
    let now = ctx.now_ms();
    let mut store = ctx.open(&target)?;
    let Some(batch) = store.batch(&batch_id)? else {
        bail!("no batch with id {batch_id} (it may have been pruned)");
    };
    let mut flags: JobOptions = args.job.to_options()?;
    flags.queue = flags.queue.or(Some(batch.options.queue.clone()));
    let mut jobs: Vec<NewJob> = args
        .jobs
        .iter()
        .map(|cmd| {
            build(
                JobCommand::Shell(cmd.clone()),
                flags.clone(),
                &target,
                ctx,
                now,
            )
        })
        .collect::<Result<_>>()?;
    for job in &mut jobs {
        job.payload.batch_id = Some(batch_id.clone());
    }
    seal(&mut jobs)?;
    store.add_to_batch(&batch_id, &jobs)?;
    for job in &jobs {
        ctx.out.line(&job.payload.uuid);
    }
    Ok(ExitCode::SUCCESS)
}
