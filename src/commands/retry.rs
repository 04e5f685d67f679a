//! `queue retry UUID… | all | SELECTION [--dry-run]`: put failed jobs back on their original
//! queue with the same uuid and payload and fresh attempts.

use super::failed::{each_page, explicit_failed, print_dry_run, row_of, Selection};
use super::resolve_uuids;
use crate::app::Ctx;
use crate::domain::select::FailedSelection;
use crate::store::RetrySelection;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Failed job uuids, or `all`.
    #[arg(value_name = "UUID|all", add = crate::commands::complete::with(crate::commands::complete::retry_ids))]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub select: Selection,
    /// Print the failed jobs that would be retried; retry nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.store()?;
    let now = ctx.now_ms();
    let selection = args.select.resolve(now)?;
    let all = matches!(args.ids.as_slice(), [one] if one == "all");
    let retried = if !args.ids.is_empty() && !all {
        if selection.is_narrowed() {
            return Err(crate::app::usage_error(
                "give failed job uuids or a selection (--queue, --name, --since …), not both",
            ));
        }
        let uuids = resolve_uuids(store.as_mut(), &args.ids)?;
        if args.dry_run {
            let rows = explicit_failed(store.as_mut(), &uuids, now)?;
            return print_dry_run(ctx, "retry", rows);
        }
        store.retry_failed(&RetrySelection::Uuids(uuids), now)?
    } else if !all && !selection.is_narrowed() {
        return Err(crate::app::usage_error(
            "say which failed jobs to retry: UUID…, `all`, or a selection (--queue Q, --name GLOB, --since D …)",
        ));
    } else if !args.dry_run
        && selection
            == (FailedSelection {
                queue: selection.queue.clone(),
                ..FailedSelection::default()
            })
    {
        // Every failed job (of a queue): one statement.
        let which = match &selection.queue {
            Some(q) => RetrySelection::Queue(q.clone()),
            None => RetrySelection::All,
        };
        store.retry_failed(&which, now)?
    } else {
        // The selection a page at a time, newest first, each page one transaction.
        let mut retried = Vec::new();
        let mut rows = Vec::new();
        each_page(store.as_mut(), &selection, |store, page| {
            if args.dry_run {
                rows.extend(page.iter().map(|j| (j.uuid.clone(), row_of(j))));
            } else {
                let uuids = page.into_iter().map(|j| j.uuid).collect();
                retried.extend(store.retry_failed(&RetrySelection::Selected(uuids), now)?);
            }
            Ok(true)
        })?;
        if args.dry_run {
            return print_dry_run(ctx, "retry", rows);
        }
        retried
    };
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "retried": retried }))?;
    } else if retried.is_empty() {
        ctx.out.note(&match &selection.queue {
            _ if selection.is_narrowed() && selection.queue.is_none() => {
                "Nothing to retry: no failed job matches the selection.".to_string()
            }
            Some(q) => format!("Nothing to retry: no failed jobs on queue {q}."),
            None => "Nothing to retry: no failed jobs.".to_string(),
        });
    } else {
        for uuid in &retried {
            ctx.out.line(uuid);
        }
    }
    Ok(ExitCode::SUCCESS)
}
