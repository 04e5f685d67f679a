//! `queue retry UUID… | all | --queue Q`: put failed jobs back on their original queue with the
//! same uuid and payload and fresh attempts.

use super::parse_uuid;
use crate::app::Ctx;
use crate::store::RetrySelection;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Failed job uuids, or `all`.
    #[arg(value_name = "UUID|all", add = crate::commands::complete::with(crate::commands::complete::retry_ids))]
    pub ids: Vec<String>,
    /// Retry every failed job of this queue.
    #[arg(long, value_name = "Q", conflicts_with = "ids", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let selection = match (&args.queue, args.ids.as_slice()) {
        (Some(q), _) => RetrySelection::Queue(q.clone()),
        (None, [one]) if one == "all" => RetrySelection::All,
        (None, []) => {
            return Err(crate::app::usage_error(
                "say which failed jobs to retry: UUID…, `all`, or --queue Q",
            ))
        }
        (None, ids) => {
            RetrySelection::Uuids(ids.iter().map(|i| parse_uuid(i)).collect::<Result<_>>()?)
        }
    };
    let (_, mut store) = ctx.store()?;
    let retried = store.retry_failed(&selection, ctx.now_ms())?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "retried": retried }))?;
    } else if retried.is_empty() {
        ctx.out.note(&match &selection {
            RetrySelection::All => "Nothing to retry: no failed jobs.".to_string(),
            RetrySelection::Queue(q) => format!("Nothing to retry: no failed jobs on queue {q}."),
            RetrySelection::Uuids(_) => {
                "Nothing to retry: no failed job has these ids.".to_string()
            }
        });
    } else {
        for uuid in &retried {
            ctx.out.line(uuid);
        }
    }
    Ok(ExitCode::SUCCESS)
}
