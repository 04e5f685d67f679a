//! `queue chain [OPTS] [--catch CMD] 'CMD1' 'CMD2' … | --file CHAIN.json`: jobs that run one
//! after another, each once the one before has succeeded. The rest of the chain travels in the
//! store with the running link, and the next link is queued in the transaction that records
//! the success, so a crash or restart between links loses nothing. The first link that fails
//! for good stops the chain and queues `--catch`; retrying that link resumes the chain.

use super::batch;
use super::dispatch::{build, job_from_json, seal, JobFlags};
use super::now::{self, Control};
use crate::app::Ctx;
use crate::config::Target;
use crate::domain::batch::BatchOptions;
use crate::domain::duration::parse_instant;
use crate::domain::job::{self, ChainedBatch, JobCommand, JobOptions, Link, NewJob};
use crate::store::NewBatch;
use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  queue chain 'make build' 'make test' './deploy.sh' --catch './notify-failure.sh'\n  queue chain --file deploy-chain.json"
)]
pub struct Args {
    #[command(flatten)]
    pub job: JobFlags,
    #[command(flatten)]
    pub control: Control,
    /// A shell command queued as a job when a link fails for good; its environment has
    /// QUEUE_FAILED_JOB_ID, QUEUE_FAILED_JOB_NAME and QUEUE_FAILED_ERROR.
    #[arg(long, value_name = "CMD")]
    pub catch: Option<String>,
    /// A JSON list of links: shell strings, or job objects ({"command": [...]}, {"shell": "..."},
    /// {"job": "NAME", "payload": {...}}) with options, or batches ({"batch": [...], "then": ...}).
    #[arg(long, value_name = "CHAIN.json", conflicts_with = "links")]
    pub file: Option<PathBuf>,
    /// The links, as shell commands, in order.
    #[arg(value_name = "CMD")]
    pub links: Vec<String>,
}

/// The links of a chain: read from a `--file` list, or the shell commands given.
pub(super) fn links(
    file: Option<&Path>,
    commands: &[String],
    flags: &JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
) -> Result<Vec<NewJob>> {
    let Some(path) = file else {
        return commands
            .iter()
            .map(|cmd| {
                build(
                    JobCommand::Shell(cmd.clone()),
                    flags.clone(),
                    target,
                    ctx,
                    now,
                )
            })
            .collect();
    };
    let text = std::fs::read_to_string(ctx.cwd.join(path))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let list: Vec<serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: expected a JSON list of links: {e}", path.display()))?;
    list.into_iter()
        .enumerate()
        .map(|(i, link)| {
            let place = format!("{} link {}", path.display(), i + 1);
            match link {
                serde_json::Value::Object(o) if o.contains_key("batch") => batch_link(
                    serde_json::Value::Object(o),
                    flags,
                    target,
                    ctx,
                    now,
                    &place,
                ),
                link => job_from_json(link, flags, target, ctx, now),
            }
            .map_err(|e| anyhow!("{place}: {e:#}"))
        })
        .collect()
}

/// `{"batch": [...], "name", "then", "catch", "finally", "progress", "allow_failures",
/// "queue"}`: a link of a chain that is a batch (Laravel's ChainedBatch).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLinkSpec {
    batch: Vec<serde_json::Value>,
    name: Option<String>,
    then: Option<String>,
    catch: Option<String>,
    finally: Option<String>,
    progress: Option<String>,
    #[serde(default)]
    allow_failures: bool,
    /// Where its callbacks go (its jobs' own queue otherwise follows the chain's options).
    queue: Option<String>,
}

/// A batch link: a placeholder job whose uuid is the batch's id, carrying the batch.
fn batch_link(
    value: serde_json::Value,
    flags: &JobOptions,
    target: &Target,
    ctx: &Ctx,
    now: i64,
    place: &str,
) -> Result<NewJob> {
    let spec: BatchLinkSpec =
        serde_json::from_value(value).map_err(|e| anyhow!("invalid batch link: {e}"))?;
    let queue = spec
        .queue
        .clone()
        .or_else(|| flags.queue.clone())
        .unwrap_or_else(|| target.default_queue.clone());
    job::validate_queue_name(&queue).map_err(anyhow::Error::msg)?;
    let name = spec.name.clone().unwrap_or_default();
    let own = JobOptions {
        queue: Some(queue.clone()),
        name: Some(if name.is_empty() {
            "batch".into()
        } else {
            name.clone()
        }),
        ..Default::default()
    };
    let mut link = build(JobCommand::Shell(String::new()), own, target, ctx, now)?;
    let id = link.payload.uuid.clone();
    let jobs = batch::jobs_of(spec.batch, flags, target, ctx, now, &id, true, place)?;
    if jobs.is_empty() {
        bail!("a batch link needs at least one job");
    }
    link.payload.chained_batch = Some(Box::new(ChainedBatch {
        name,
        options: BatchOptions {
            then: spec.then,
            catch: spec.catch,
            finally: spec.finally,
            progress: spec.progress,
            allow_failures: spec.allow_failures,
            queue,
            cwd: ctx.cwd.display().to_string(),
            ..Default::default()
        },
        jobs: jobs.into_iter().map(Link::from_job).collect(),
    }));
    Ok(link)
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    if let Some(code) = args.control.check(ctx)? {
        return Ok(code);
    }
    let target = ctx.target(None)?;
    let now = ctx.now_ms();
    let mut flags = args.job.to_options()?;
    // A chain's delay applies to its first link only (as Laravel's chain ->delay()).
    let first_delay = flags.delay.take();
    let mut jobs = links(args.file.as_deref(), &args.links, &flags, &target, ctx, now)?;
    if jobs.is_empty() {
        let message = "a chain needs at least one command: queue chain 'CMD1' 'CMD2' …";
        // No commands on the command line is a usage error; an empty --file is bad input.
        return Err(match args.file {
            None => crate::app::usage_error(message),
            Some(_) => anyhow!("{message}"),
        });
    }
    // The chain's delay is the first link's, unless that link has its own.
    if let Some(delay) = first_delay.filter(|_| jobs[0].payload.delay.is_none()) {
        let at = parse_instant(&delay.as_text(), now).map_err(|e| anyhow!("--delay: {e}"))?;
        jobs[0].available_at = at;
        jobs[0].payload.delay = (at > now).then_some(at - now);
    }
    let batches = jobs.iter().any(|j| j.payload.chained_batch.is_some());
    if args.control.sync && batches {
        bail!("a chain with a batch link cannot run with --sync");
    }
    if args.control.sync {
        let first = job::chain(jobs, args.catch.clone()).expect("at least one link");
        return now::chain(&first, &target, ctx);
    }
    seal(&mut jobs)?;
    let first = job::chain(jobs, args.catch.clone()).expect("at least one link");
    let mut store = ctx.open(&target)?;
    if let Some(batch) = &first.payload.chained_batch {
        // It starts with a batch: the batch now, with the rest of the chain in its options.
        let mut options = batch.options.clone();
        options.chained = first.payload.chained.clone();
        options.chain_catch = first.payload.chain_catch.clone();
        let new = NewBatch {
            id: first.payload.uuid.clone(),
            name: batch.name.clone(),
            options,
            created_at: now,
        };
        store.create_batch(&new, &batch.jobs_at(now))?;
        if ctx.out.json {
            ctx.out.json(&serde_json::json!({
                "batch_id": new.id,
                "connection": target.connection,
                "dispatched": true,
                "links": 1 + first.payload.chained.len(),
            }))?;
        } else {
            ctx.out.line(&new.id);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let results = store.enqueue(std::slice::from_ref(&first), now)?;
    let dispatched = results.first() == Some(&crate::store::Enqueued::Dispatched);
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "uuid": first.payload.uuid,
            "queue": first.queue,
            "connection": target.connection,
            "dispatched": dispatched,
            "links": 1 + first.payload.chained.len(),
        }))?;
    } else if dispatched {
        ctx.out.line(&first.payload.uuid);
    } else {
        ctx.out
            .note("not dispatched: the first link's unique lock is held");
    }
    Ok(ExitCode::SUCCESS)
}
