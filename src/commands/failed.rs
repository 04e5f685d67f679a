//! `queue failed [SELECTION]`: failed jobs, newest first; and the failed-job selection that
//! `failed`, `retry` and `forget` share (PRODUCT.md §8), read a page at a time.

use crate::app::Ctx;
use crate::clock::format_local;
use crate::domain::select::{parse_past, FailedFacts, FailedSelection};
use crate::store::{FailedJob, FailedQuery, Store};
use anyhow::Result;
use std::process::ExitCode;

/// How many failed jobs one read of the store returns (each carries its error and its last
/// attempt's output, up to 64 KiB each).
const PAGE: usize = 100;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Selection {
    /// Only failed jobs of this queue.
    #[arg(long, value_name = "Q", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
    /// Only failed jobs whose name matches this glob (`*`, `?`).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Only jobs that failed since then: a duration ago (1h) or an RFC 3339 time.
    #[arg(long, value_name = "D", value_parser = check_past)]
    pub since: Option<String>,
    /// Only jobs that failed before then: a duration ago (1d) or an RFC 3339 time.
    #[arg(long, value_name = "D", value_parser = check_past)]
    pub before: Option<String>,
    /// Only failed jobs whose error or output contains this text.
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only failed jobs whose last attempt exited with N (or, killed by a signal or timed
    /// out, whose exit status is N: 128+signal, 124).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub exit_code: Option<i32>,
    /// At most N failed jobs, newest first (0 = all).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

fn check_past(text: &str) -> Result<String, String> {
    parse_past(text, 0).map(|_| text.to_string())
}

impl Selection {
    /// The selection, its times read against `now_ms`.
    pub fn resolve(&self, now_ms: i64) -> Result<FailedSelection> {
        let past = |t: &Option<String>| {
            t.as_deref()
                .map(|t| parse_past(t, now_ms).map_err(anyhow::Error::msg))
                .transpose()
        };
        Ok(FailedSelection {
            queue: self.queue.clone(),
            name: self.name.clone(),
            since_ms: past(&self.since)?,
            before_ms: past(&self.before)?,
            grep: self.grep.clone(),
            exit_code: self.exit_code,
            limit: self.limit.filter(|&n| n > 0),
        })
    }
}

/// Walk the selected failed jobs newest first, a page at a time: `each` gets the store and the
/// page's matches and returns whether to go on. Pages follow the failure order (`id`) downwards,
/// so the set is fixed when the walk starts: a job retried by `each` that fails again gets a new,
/// higher id and is never met again, nor is any job that fails for the first time meanwhile.
pub fn each_page(
    store: &mut dyn Store,
    selection: &FailedSelection,
    mut each: impl FnMut(&mut dyn Store, Vec<FailedJob>) -> Result<bool>,
) -> Result<()> {
    let mut query = FailedQuery {
        queue: selection.queue.clone(),
        since_ms: selection.since_ms,
        before_ms: selection.before_ms,
        after_id: None,
        page: PAGE,
    };
    let mut left = selection.limit.unwrap_or(usize::MAX);
    while left > 0 {
        let page = store.list_failed(&query)?;
        let full = page.len() == PAGE;
        query.after_id = page.last().map(|j| j.id);
        let mut picked: Vec<FailedJob> = page
            .into_iter()
            .filter(|job| selection.matches(&facts(job)))
            .take(left)
            .collect();
        left -= picked.len();
        picked.shrink_to_fit();
        if !picked.is_empty() && !each(store, picked)? {
            return Ok(());
        }
        if !full {
            break;
        }
    }
    Ok(())
}

pub fn facts(job: &FailedJob) -> FailedFacts<'_> {
    FailedFacts {
        name: &job.name,
        error: &job.error,
        output: &job.last_output,
        exit: job
            .last_exit
            .as_ref()
            .map(|exit| (exit.code, exit.exit_status() as i32)),
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub select: Selection,
}

/// A failed job as `failed --json` shows it.
pub fn json_of(job: &FailedJob) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(job)?;
    value["payload"] = crate::output::snake_case_payload(value["payload"].take());
    Ok(value)
}

/// A failed job as a row of the `failed` table.
pub fn row_of(j: &FailedJob) -> Vec<String> {
    vec![
        j.uuid.clone(),
        j.connection.clone(),
        j.queue.clone(),
        j.name.clone(),
        format_local(j.failed_at_ms),
        j.error.lines().next().unwrap_or("").to_string(),
    ]
}

pub const HEADERS: [&str; 6] = ["uuid", "connection", "queue", "job", "failed at", "error"];

/// The listing is printed as it is read, a page at a time (a JSON array written item by item,
/// or a table whose later rows keep the first page's columns), so any number of failed jobs
/// fits in memory.
pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    let selection = args.select.resolve(ctx.now_ms())?;
    if ctx.out.json {
        // A JSON array written as it is read.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        write!(out, "[")?;
        let mut n = 0usize;
        each_page(store.as_mut(), &selection, |_, page| {
            for job in &page {
                let sep = if n == 0 { "" } else { "," };
                write!(out, "{sep}{}", serde_json::to_string(&json_of(job)?)?)?;
                n += 1;
            }
            Ok(true)
        })?;
        writeln!(out, "]")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = ctx.out.streamed_table(&HEADERS);
    each_page(store.as_mut(), &selection, |_, page| {
        for job in &page {
            table.row(row_of(job));
        }
        Ok(true)
    })?;
    if !table.finish() {
        ctx.out.say("No failed jobs found.");
    }
    Ok(ExitCode::SUCCESS)
}

/// The failed jobs named by uuid, as rows of the `failed` table (for `--dry-run`); a uuid that
/// names no failed job is an error.
pub fn explicit_failed(
    store: &mut dyn Store,
    uuids: &[String],
    now_ms: i64,
) -> Result<Vec<(String, Vec<String>)>> {
    let mut rows = Vec::new();
    for uuid in uuids {
        let job = store
            .show(uuid, now_ms)?
            .filter(|j| j.state == crate::domain::job::JobState::Failed);
        let Some(job) = job else {
            anyhow::bail!("no failed job with id {uuid} (see `queue failed`)");
        };
        let error = job.error.unwrap_or_default();
        rows.push((
            uuid.clone(),
            vec![
                job.uuid,
                job.connection,
                job.queue,
                job.name,
                job.failed_at.unwrap_or_default(),
                error.lines().next().unwrap_or("").to_string(),
            ],
        ));
    }
    Ok(rows)
}

/// What `retry --dry-run` / `forget --dry-run` print: the jobs they would act on (`--json`:
/// `{"dry_run": true, "would_VERB": [uuid…]}`), and that nothing was done.
pub fn print_dry_run(ctx: &Ctx, verb: &str, rows: Vec<(String, Vec<String>)>) -> Result<ExitCode> {
    if ctx.out.json {
        let uuids: Vec<&String> = rows.iter().map(|(uuid, _)| uuid).collect();
        let mut doc = serde_json::Map::new();
        doc.insert("dry_run".into(), true.into());
        doc.insert(format!("would_{verb}"), serde_json::json!(uuids));
        ctx.out.json(&doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    let n = rows.len();
    if n > 0 {
        ctx.out
            .table(&HEADERS, rows.into_iter().map(|(_, row)| row).collect());
    }
    ctx.out.note(&format!(
        "Dry run: {n} failed job{} would be {}; nothing was done.",
        if n == 1 { "" } else { "s" },
        if verb == "retry" {
            "retried"
        } else {
            "forgotten"
        },
    ));
    Ok(ExitCode::SUCCESS)
}
