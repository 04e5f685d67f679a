//! `queue forget UUID… | all | SELECTION [--dry-run]`: delete failed jobs.

use super::failed::{each_page, explicit_failed, print_dry_run, row_of, Selection};
use super::resolve_uuids;
use crate::app::Ctx;
use anyhow::{bail, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Failed job uuids, or `all`.
    #[arg(value_name = "UUID|all", add = crate::commands::complete::with(crate::commands::complete::failed_uuids))]
    pub uuids: Vec<String>,
    #[command(flatten)]
    pub select: Selection,
    /// Print the failed jobs that would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.store()?;
    let now = ctx.now_ms();
    let selection = args.select.resolve(now)?;
    let all = matches!(args.uuids.as_slice(), [one] if one == "all");
    let mut forgotten = Vec::new();
    if !args.uuids.is_empty() && !all {
        if selection.is_narrowed() {
            return Err(crate::app::usage_error(
                "give failed job uuids or a selection (--queue, --name, --since …), not both",
            ));
        }
        let uuids = resolve_uuids(store.as_mut(), &args.uuids)?;
        if args.dry_run {
            let rows = explicit_failed(store.as_mut(), &uuids, now)?;
            return print_dry_run(ctx, "forget", rows);
        }
        for uuid in uuids {
            if !store.forget_failed(&uuid)? {
                bail!("no failed job with id {uuid} (see `queue failed`)");
            }
            forgotten.push(uuid);
        }
    } else if !all && !selection.is_narrowed() {
        return Err(crate::app::usage_error(
            "say which failed jobs to forget: UUID…, `all`, or a selection (--queue Q, --name GLOB, --since D …)",
        ));
    } else {
        // The selection a page at a time, newest first.
        let mut rows = Vec::new();
        each_page(store.as_mut(), &selection, |store, page| {
            for job in page {
                if args.dry_run {
                    rows.push((job.uuid.clone(), row_of(&job)));
                } else if store.forget_failed(&job.uuid)? {
                    forgotten.push(job.uuid);
                }
            }
            Ok(true)
        })?;
        if args.dry_run {
            return print_dry_run(ctx, "forget", rows);
        }
    }
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "forgotten": forgotten }))?;
    } else if forgotten.len() == 1 && !all && !selection.is_narrowed() {
        ctx.out
            .say(&format!("Deleted failed job {}.", forgotten[0]));
    } else {
        ctx.out.say(&super::deleted(
            forgotten.len(),
            "failed job",
            "failed jobs",
            "",
        ));
    }
    Ok(ExitCode::SUCCESS)
}
