//! `queue chain-add [--prepend] 'CMD'… | --file CHAIN.json`, inside a job: add links to the
//! rest of its chain (Laravel's `appendToChain` / `prependToChain`); a job in no chain starts
//! one. The links belong to this attempt: they are queued when it succeeds, and dropped if it
//! is released (its next attempt may add them again) or fails.

use super::chain::links;
use super::dispatch::{seal, JobFlags};
use crate::app::Ctx;
use crate::domain::job::Link;
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Links run on the job's own queue unless --queue says otherwise.\n\nExamples:\n  queue chain-add './publish.sh' './notify.sh'     # after the rest of the chain\n  queue chain-add --prepend './migrate.sh'         # next, before the rest of the chain\n  queue chain-add --file more-links.json"
)]
pub struct Args {
    #[command(flatten)]
    pub job: JobFlags,
    /// Run the links next, before the rest of the chain (a later --prepend goes first).
    #[arg(long)]
    pub prepend: bool,
    /// A JSON list of links, as `queue chain --file` takes.
    #[arg(long, value_name = "CHAIN.json", conflicts_with = "links")]
    pub file: Option<PathBuf>,
    /// The links, as shell commands, in order.
    #[arg(value_name = "CMD", required_unless_present = "file")]
    pub links: Vec<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (Ok(uuid), Ok(token)) = (
        std::env::var("QUEUE_JOB_ID"),
        std::env::var("QUEUE_JOB_TOKEN"),
    ) else {
        bail!(
            "chain-add only works inside a job run by `queue work` (QUEUE_JOB_ID and QUEUE_JOB_TOKEN are not set)"
        );
    };
    let target = ctx.target(None)?;
    let now = ctx.now_ms();
    let mut flags = args.job.to_options()?;
    if flags.queue.is_none() {
        flags.queue = std::env::var("QUEUE_QUEUE").ok().filter(|q| !q.is_empty());
    }
    let mut jobs = links(args.file.as_deref(), &args.links, &flags, &target, ctx, now)?;
    if jobs.is_empty() {
        bail!("nothing to add: give commands, or a --file with at least one link");
    }
    seal(&mut jobs)?;
    let uuids: Vec<String> = jobs.iter().map(|j| j.payload.uuid.clone()).collect();
    let added: Vec<Link> = jobs.into_iter().map(Link::from_job).collect();
    let mut store = ctx.open(&target)?;
    if !store.add_to_chain(&uuid, &token, args.prepend, &added)? {
        bail!(
            "job {uuid} is not running under this token any more (it timed out or its reservation expired)"
        );
    }
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "uuids": uuids }))?;
    } else {
        for uuid in &uuids {
            ctx.out.line(uuid);
        }
    }
    Ok(ExitCode::SUCCESS)
}
