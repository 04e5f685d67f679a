//! `queue jobs`: jobs in any state, newest first, read a page at a time (memory bounded by
//! the page, not the store; each page read from the tables' indexes, `store::listing`).

use crate::app::Ctx;
use crate::clock::format_local;
use crate::domain::duration::parse_duration;
use crate::domain::job::JobState;
use crate::domain::select::glob_match;
use crate::store::{JobQuery, JobSummary, Store};
use anyhow::Result;
use std::process::ExitCode;

/// How many rows one read of the store returns.
const PAGE: usize = 500;
/// What a table shows without --limit.
const TABLE_DEFAULT: usize = 100;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum State {
    Pending,
    Delayed,
    Reserved,
    Done,
    Failed,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only jobs in this state.
    #[arg(long, value_enum)]
    pub state: Option<State>,
    /// Only jobs of this queue.
    #[arg(long, value_name = "Q")]
    pub queue: Option<String>,
    /// Only jobs whose name matches this glob (`*`, `?`).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Only jobs whose command, output or error contains this text.
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only jobs created (failed jobs: failed) within this long ago, e.g. 1h.
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub since: Option<std::time::Duration>,
    /// At most N jobs (0 = all). A table shows the newest 100 by default; --json all.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

impl From<State> for JobState {
    fn from(s: State) -> JobState {
        match s {
            State::Pending => JobState::Pending,
            State::Delayed => JobState::Delayed,
            State::Reserved => JobState::Reserved,
            State::Done => JobState::Done,
            State::Failed => JobState::Failed,
        }
    }
}

/// Walk the matching jobs newest first, a page at a time, calling `each` until it returns false.
pub fn each_job(
    store: &mut dyn Store,
    args: &Args,
    now: i64,
    mut each: impl FnMut(JobSummary) -> bool,
) -> Result<()> {
    let mut query = job_query(args, now);
    query.page = PAGE;
    loop {
        let page = store.list_jobs(&query, now)?;
        for job in page.jobs {
            if !matches(args, &job) {
                continue;
            }
            if !each(job) {
                return Ok(());
            }
        }
        match page.next {
            Some(next) => query.from = Some(next),
            None => return Ok(()),
        }
    }
}

/// The store's part of the filters of `args` (the name and the text are found in SQL too).
pub fn job_query(args: &Args, now: i64) -> JobQuery {
    JobQuery {
        state: args.state.map(JobState::from),
        queue: args.queue.clone(),
        since_ms: args.since.map(|d| now - d.as_millis() as i64),
        name: args.name.clone().filter(|n| !n.is_empty()),
        grep: args.grep.clone().filter(|g| !g.is_empty()),
        ..JobQuery::default()
    }
}

pub fn matches(args: &Args, job: &JobSummary) -> bool {
    if let Some(state) = args.state {
        // The store's page filters queued states by its own clock reading; keep ours.
        if job.state != JobState::from(state) {
            return false;
        }
    }
    if let Some(glob) = &args.name {
        if !glob_match(glob, &job.name) {
            return false;
        }
    }
    if let Some(text) = &args.grep {
        if !(job.name.contains(text.as_str())
            || job.queue.contains(text.as_str())
            || job.payload.contains(text.as_str())
            || job.text.contains(text.as_str()))
        {
            return false;
        }
    }
    true
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    let now = ctx.now_ms();
    let limit = match args.limit {
        Some(0) => usize::MAX,
        Some(n) => n,
        None if ctx.out.json => usize::MAX,
        None => TABLE_DEFAULT,
    };
    if ctx.out.json {
        // A JSON array written as it is read.
        let mut out = std::io::stdout().lock();
        use std::io::Write;
        write!(out, "[")?;
        let mut n = 0usize;
        let mut failed = None;
        each_job(store.as_mut(), &args, now, |job| {
            let sep = if n == 0 { "" } else { "," };
            if let Err(e) = serde_json::to_string(&job)
                .map_err(anyhow::Error::from)
                .and_then(|text| Ok(write!(out, "{sep}{text}")?))
            {
                failed = Some(e);
                return false;
            }
            n += 1;
            n < limit
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        writeln!(out, "]")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows = Vec::new();
    let mut more = 0usize;
    each_job(store.as_mut(), &args, now, |job| {
        if rows.len() < limit {
            rows.push(vec![
                job.uuid.clone(),
                job.state.as_str().to_string(),
                job.queue.clone(),
                job.name.clone(),
                job.attempts.to_string(),
                format_local(job.at_ms),
            ]);
        } else {
            more += 1;
        }
        true
    })?;
    if rows.is_empty() {
        ctx.out.say("No jobs found.");
        return Ok(ExitCode::SUCCESS);
    }
    ctx.out.table(
        &[
            "uuid",
            "state",
            "queue",
            "job",
            "attempts",
            "created / failed",
        ],
        rows,
    );
    if more > 0 {
        ctx.out.say(&format!(
            "… and {more} more (--limit N shows more, --limit 0 all)"
        ));
    }
    Ok(ExitCode::SUCCESS)
}
