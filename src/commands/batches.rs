//! Looking after batches: `batches`, `batch-show ID`, `batch-cancel ID`, `retry-batch ID…` and
//! `prune-batches`.

use crate::app::Ctx;
use crate::store::{BatchView, RetrySelection};
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ListArgs {}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The batch id.
    #[arg(add = crate::commands::complete::with(crate::commands::complete::batch_ids))]
    pub id: String,
    /// Follow the batch to its end (finished, cancelled, or no job left to run): a live
    /// progress bar on a terminal, else a line per change (--json: a document per change).
    /// Exit 0 when it finished without a failure, 1 otherwise.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    /// The batch id.
    #[arg(add = crate::commands::complete::with(crate::commands::complete::batch_ids))]
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct RetryArgs {
    /// Batch ids.
    #[arg(required = true, add = crate::commands::complete::with(crate::commands::complete::batch_ids))]
    pub ids: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Delete finished batches older than this many hours.
    #[arg(long, default_value_t = 24.0, value_name = "H")]
    pub hours: f64,
    /// Also delete unfinished batches created more than H hours ago.
    #[arg(long, value_name = "H")]
    pub unfinished: Option<f64>,
    /// Also delete cancelled batches created more than H hours ago.
    #[arg(long, value_name = "H")]
    pub cancelled: Option<f64>,
}

fn status(b: &BatchView) -> &'static str {
    match (&b.cancelled_at, &b.finished_at) {
        (Some(_), _) => "cancelled",
        (None, Some(_)) => "finished",
        (None, None) if b.failed_jobs > 0 => "failing",
        // Nothing has ended yet: its jobs are waiting for a worker.
        (None, None) if b.processed_jobs == 0 => "pending",
        (None, None) => "running",
    }
}

pub fn list(_args: ListArgs, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    let batches = store.batches()?;
    if ctx.out.json {
        ctx.out.json(&batches)?;
        return Ok(ExitCode::SUCCESS);
    }
    if batches.is_empty() {
        ctx.out.say("No batches.");
        return Ok(ExitCode::SUCCESS);
    }
    let rows = batches
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                b.name.clone(),
                format!("{}/{}", b.processed_jobs, b.total_jobs),
                b.failed_jobs.to_string(),
                format!("{}%", b.progress),
                status(b).to_string(),
                b.created_at.clone(),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "id",
            "name",
            "processed",
            "failed",
            "progress",
            "status",
            "created at",
        ],
        rows,
    );
    Ok(ExitCode::SUCCESS)
}

/// The batch `id`, from a store opened to read only (`batch-show`) or to change it.
fn find(ctx: &Ctx, id: &str, read_only: bool) -> Result<(Box<dyn crate::store::Store>, BatchView)> {
    let (_, mut store) = if read_only {
        ctx.read_store()?
    } else {
        ctx.store()?
    };
    match store.batch(id)? {
        Some(batch) => Ok((store, batch)),
        None => bail!("no batch with id {id} (see `queue batches`)"),
    }
}

/// A text progress bar: `[########............]  40%`.
fn bar(progress: i64, width: usize) -> String {
    let filled = (progress.clamp(0, 100) as usize * width) / 100;
    format!(
        "[{}{}] {progress:>3}%",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

pub fn show(args: ShowArgs, ctx: &Ctx) -> Result<ExitCode> {
    if args.watch {
        return watch(&args.id, ctx);
    }
    let (_, batch) = find(ctx, &args.id, true)?;
    if ctx.out.json {
        ctx.out.json(&batch)?;
        return Ok(ExitCode::SUCCESS);
    }
    if std::io::stdout().is_terminal() {
        ctx.out.line(&bar(batch.progress, 40));
    }
    let rows = [
        ("id", batch.id.clone()),
        ("name", batch.name.clone()),
        ("status", status(&batch).to_string()),
        ("total jobs", batch.total_jobs.to_string()),
        ("pending jobs", batch.pending_jobs.to_string()),
        ("processed jobs", batch.processed_jobs.to_string()),
        ("failed jobs", batch.failed_jobs.to_string()),
        ("progress", format!("{}%", batch.progress)),
        ("created at", batch.created_at.clone()),
        (
            "finished at",
            batch.finished_at.clone().unwrap_or("-".into()),
        ),
        (
            "cancelled at",
            batch.cancelled_at.clone().unwrap_or("-".into()),
        ),
        ("failed job ids", batch.failed_job_ids.join(", ")),
    ];
    for (key, value) in rows {
        ctx.out.line(&format!("{key:<15} {value}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// How often `batch-show --watch` reads the batch.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// One line of `batch-show --watch` off a terminal: "running: 3/10 processed, 1 failed (30%)".
fn watch_line(b: &BatchView) -> String {
    format!(
        "{}: {}/{} processed, {} failed ({}%)",
        status(b),
        b.processed_jobs,
        b.total_jobs,
        b.failed_jobs,
        b.progress
    )
}

/// `batch-show ID --watch`: follow the batch until it finishes, is cancelled or has no job left
/// to run; exit 0 when it finished without a failure, 1 otherwise (as `wait` does for a batch).
fn watch(id: &str, ctx: &Ctx) -> Result<ExitCode> {
    let (mut store, mut batch) = find(ctx, id, true)?;
    let bar = (!ctx.out.json && std::io::stdout().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(batch.total_jobs.max(0) as u64),
            indicatif::ProgressDrawTarget::stdout(),
        );
        let style = indicatif::ProgressStyle::with_template(
            "[{bar:40}] {pos}/{len} {percent:>3}% {msg} ({elapsed})",
        )
        .expect("a valid template")
        .progress_chars("#>.");
        bar.set_style(style);
        bar
    });
    let mut last: Option<(i64, i64, i64, i64, &'static str)> = None;
    loop {
        let now = (
            batch.total_jobs,
            batch.pending_jobs,
            batch.processed_jobs,
            batch.failed_jobs,
            status(&batch),
        );
        if last != Some(now) {
            last = Some(now);
            match &bar {
                Some(bar) => {
                    bar.set_message(format!("{}, {} failed", status(&batch), batch.failed_jobs));
                    bar.set_length(batch.total_jobs.max(0) as u64);
                    bar.set_position(batch.processed_jobs.max(0) as u64);
                }
                None if ctx.out.json => ctx.out.json_line(&batch)?,
                None => ctx.out.line(&watch_line(&batch)),
            }
        }
        // Over when finished or cancelled, or when every job has either succeeded or failed
        // (`finally`'s moment): with --allow-failures a failed job keeps it from finishing.
        let ended = batch.pending_jobs <= batch.failed_jobs;
        if batch.cancelled_at.is_some() || batch.finished_at.is_some() || ended {
            break;
        }
        std::thread::sleep(WATCH_EVERY);
        batch = match store.batch(id)? {
            Some(batch) => batch,
            // Pruned while watched: it is over, and what became of it is unknown.
            None => bail!("batch {id} was deleted while it was watched"),
        };
    }
    if let Some(bar) = bar {
        bar.finish();
        // The bar is left as it ended; what follows starts on a line of its own.
        ctx.out.line("");
    }
    let clean =
        batch.cancelled_at.is_none() && batch.finished_at.is_some() && batch.failed_jobs == 0;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn cancel(args: CancelArgs, ctx: &Ctx) -> Result<ExitCode> {
    let (mut store, _) = find(ctx, &args.id, false)?;
    store.cancel_batch(&args.id, ctx.now_ms())?;
    ctx.out.say(&format!(
        "Cancelled batch {}: its queued jobs will be skipped.",
        args.id
    ));
    Ok(ExitCode::SUCCESS)
}

pub fn retry(args: RetryArgs, ctx: &Ctx) -> Result<ExitCode> {
    let mut retried = Vec::new();
    for id in &args.ids {
        let (mut store, batch) = find(ctx, id, false)?;
        // Only the failed jobs still in the failed-job store can go back.
        let failed: Vec<String> = store
            .failed_jobs(None)?
            .into_iter()
            .map(|f| f.uuid)
            .filter(|uuid| batch.failed_job_ids.contains(uuid))
            .collect();
        if failed.is_empty() {
            ctx.out
                .note(&format!("Nothing to retry: batch {id} has no failed jobs."));
            continue;
        }
        retried.extend(store.retry_failed(&RetrySelection::Uuids(failed), ctx.now_ms())?);
    }
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "retried": retried }))?;
    } else {
        for uuid in &retried {
            ctx.out.line(uuid);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn prune(args: PruneArgs, ctx: &Ctx) -> Result<ExitCode> {
    let ago = |h: f64| -> Result<i64> {
        Ok(super::prune_failed::hours_ago(ctx, Some(h))?.expect("hours given"))
    };
    let finished_before = ago(args.hours)?;
    let unfinished_before = args.unfinished.map(ago).transpose()?;
    let cancelled_before = args.cancelled.map(ago).transpose()?;
    let (_, mut store) = ctx.store()?;
    let crate::store::PrunedBatches {
        finished,
        unfinished,
        cancelled,
    } = store.prune_batches(finished_before, unfinished_before, cancelled_before)?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "deleted": finished, "unfinished_deleted": unfinished, "cancelled_deleted": cancelled
        }))?;
    } else {
        let ago = |h: f64| format!(" {} ago", super::hours(h));
        let batches = |n, scope: String| super::deleted(n, "batch", "batches", &scope);
        ctx.out.say(&batches(
            finished,
            format!(" finished at least{}", ago(args.hours)),
        ));
        if let Some(h) = args.unfinished {
            ctx.out.say(&super::deleted(
                unfinished,
                "unfinished batch",
                "unfinished batches",
                &format!(" created at least{}", ago(h)),
            ));
        }
        if let Some(h) = args.cancelled {
            ctx.out.say(&super::deleted(
                cancelled,
                "cancelled batch",
                "cancelled batches",
                &format!(" created at least{}", ago(h)),
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn progress_bars() {
        assert_eq!(super::bar(0, 10), "[..........]   0%");
        assert_eq!(super::bar(40, 10), "[####......]  40%");
        assert_eq!(super::bar(100, 10), "[##########] 100%");
    }
}
