//! What the API and the pages do to the store, written once: the failed-job selection of
//! PRODUCT.md §8 (`commands::failed`'s, walked the same way, so "all that match" is fixed
//! before acting), job listing with the filters of `queue jobs`, pause and resume, clear,
//! batches. Each runs inside one store call (`App::store`), on the blocking pool.

use super::error::refused;
use crate::commands::failed::{each_page, facts};
use crate::commands::jobs::{self, State};
use crate::domain::select::{parse_past, FailedSelection};
use crate::store::PAUSED_PREFIX;
use crate::store::{
    Direction, FailedJob, FailedQuery, JobCursor, JobPage, JobSummary, JobView, RetrySelection,
    Store,
};
use anyhow::Result;
use axum::http::StatusCode;
use serde::Deserialize;

/// The failed-job selection as a query string or a JSON body gives it (`queue failed`'s
/// flags, by the same names).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FailedFilter {
    pub queue: Option<String>,
    pub name: Option<String>,
    pub since: Option<String>,
    pub before: Option<String>,
    pub grep: Option<String>,
    pub exit_code: Option<String>,
    pub limit: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl FailedFilter {
    pub fn selection(&self, now_ms: i64) -> Result<FailedSelection> {
        let bad = |what: &str, e: String| refused(StatusCode::BAD_REQUEST, format!("{what}: {e}"));
        let past = |key: &str, v: &Option<String>| {
            given(v)
                .map(|t| parse_past(t, now_ms).map_err(|e| bad(key, e)))
                .transpose()
        };
        let number = |key: &str, v: &Option<String>| {
            given(v)
                .map(|t| {
                    t.parse::<i64>()
                        .map_err(|_| bad(key, format!("'{t}' is not a whole number")))
                })
                .transpose()
        };
        Ok(FailedSelection {
            queue: given(&self.queue).map(str::to_string),
            name: given(&self.name).map(str::to_string),
            since_ms: past("since", &self.since)?,
            before_ms: past("before", &self.before)?,
            grep: given(&self.grep).map(str::to_string),
            exit_code: number("exit_code", &self.exit_code)?.map(|n| n as i32),
            limit: number("limit", &self.limit)?
                .filter(|&n| n > 0)
                .map(|n| n as usize),
        })
    }

    /// The filter as a query string (for links and the confirmation form).
    pub fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("queue", &self.queue),
            ("name", &self.name),
            ("since", &self.since),
            ("before", &self.before),
            ("grep", &self.grep),
            ("exit_code", &self.exit_code),
            ("limit", &self.limit),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// One page of the selected failed jobs, newest first, after the row `after_id`; and where
/// the next page starts, if there is one.
pub fn failed_page(
    store: &mut dyn Store,
    selection: &FailedSelection,
    after_id: Option<i64>,
    size: usize,
) -> Result<(Vec<FailedJob>, Option<i64>)> {
    const READ: usize = 100;
    let mut query = FailedQuery {
        queue: selection.queue.clone(),
        since_ms: selection.since_ms,
        before_ms: selection.before_ms,
        after_id,
        page: READ,
    };
    let size = size.min(selection.limit.unwrap_or(usize::MAX));
    let mut found = Vec::new();
    loop {
        let page = store.list_failed(&query)?;
        let full = page.len() == READ;
        query.after_id = page.last().map(|j| j.id);
        for job in page {
            if selection.matches(&facts(&job)) {
                if found.len() == size {
                    let next = found.last().map(|j: &FailedJob| j.id);
                    return Ok((found, next));
                }
                found.push(job);
            }
        }
        if !full {
            return Ok((found, None));
        }
    }
}

/// How many failed jobs the selection picks now (for the confirmation of "all that match").
pub fn count_matching(store: &mut dyn Store, selection: &FailedSelection) -> Result<usize> {
    let mut n = 0;
    each_page(store, selection, |_, page| {
        n += page.len();
        Ok(true)
    })?;
    Ok(n)
}

/// Retry every failed job the selection picks, a page at a time as `queue retry` does.
pub fn retry_matching(
    store: &mut dyn Store,
    selection: &FailedSelection,
    now_ms: i64,
) -> Result<Vec<String>> {
    let mut retried = Vec::new();
    each_page(store, selection, |store, page| {
        let uuids = page.into_iter().map(|j| j.uuid).collect();
        retried.extend(store.retry_failed(&RetrySelection::Selected(uuids), now_ms)?);
        Ok(true)
    })?;
    Ok(retried)
}

/// Forget every failed job the selection picks, as `queue forget` does.
pub fn forget_matching(store: &mut dyn Store, selection: &FailedSelection) -> Result<Vec<String>> {
    let mut forgotten = Vec::new();
    each_page(store, selection, |store, page| {
        for job in page {
            if store.forget_failed(&job.uuid)? {
                forgotten.push(job.uuid);
            }
        }
        Ok(true)
    })?;
    Ok(forgotten)
}

/// Full uuids of the given ids (a unique prefix will do, as on the command line).
pub fn resolve(store: &mut dyn Store, ids: &[String]) -> Result<Vec<String>> {
    ids.iter()
        .map(|id| {
            crate::commands::resolve_uuid(store, id)
                .map_err(|e| refused(StatusCode::NOT_FOUND, format!("{e:#}")))
        })
        .collect()
}

/// Retry the failed jobs named (one that is no longer failed is passed over).
pub fn retry_uuids(store: &mut dyn Store, ids: &[String], now_ms: i64) -> Result<Vec<String>> {
    let uuids = resolve(store, ids)?;
    store.retry_failed(&RetrySelection::Selected(uuids), now_ms)
}

pub fn forget_uuids(store: &mut dyn Store, ids: &[String]) -> Result<Vec<String>> {
    let mut forgotten = Vec::new();
    for uuid in resolve(store, ids)? {
        if store.forget_failed(&uuid)? {
            forgotten.push(uuid);
        }
    }
    Ok(forgotten)
}

/// The job filters of `queue jobs`, as a query string gives them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct JobFilter {
    pub state: Option<String>,
    pub queue: Option<String>,
    pub name: Option<String>,
    pub grep: Option<String>,
    pub since: Option<String>,
}

impl JobFilter {
    fn args(&self) -> Result<jobs::Args> {
        let state = match given(&self.state) {
            None => None,
            Some("pending") => Some(State::Pending),
            Some("delayed") => Some(State::Delayed),
            Some("reserved") => Some(State::Reserved),
            Some("done") => Some(State::Done),
            Some("failed") => Some(State::Failed),
            Some(other) => {
                return Err(refused(
                    StatusCode::BAD_REQUEST,
                    format!("state: '{other}' is none of pending, delayed, reserved, done, failed"),
                ))
            }
        };
        let since = given(&self.since)
            .map(|t| {
                crate::domain::duration::parse_duration(t)
                    .map_err(|e| refused(StatusCode::BAD_REQUEST, format!("since: {e}")))
            })
            .transpose()?;
        Ok(jobs::Args {
            state,
            queue: given(&self.queue).map(str::to_string),
            name: given(&self.name).map(str::to_string),
            grep: given(&self.grep).map(str::to_string),
            since,
            limit: None,
        })
    }

    pub fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("state", &self.state),
            ("queue", &self.queue),
            ("name", &self.name),
            ("grep", &self.grep),
            ("since", &self.since),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// A page cursor of `jobs`: the (at, uuid) of a job shown, as `at.uuid`.
pub fn parse_job_cursor(text: Option<&str>) -> Result<Option<JobCursor>> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let (at_ms, uuid) = text
        .split_once('.')
        .and_then(|(a, u)| Some((a.parse::<i64>().ok()?, u.to_string())))
        .ok_or_else(|| refused(StatusCode::BAD_REQUEST, "not a cursor of this list"))?;
    Ok(Some(JobCursor { at_ms, uuid }))
}

pub fn job_cursor(cursor: &JobCursor) -> String {
    format!("{}.{}", cursor.at_ms, cursor.uuid)
}

/// Where a page of jobs starts: `?after=` (older than that job) or `?before=` (newer: the page
/// before it); neither is the newest page.
#[derive(Debug, Clone, Default)]
pub struct JobsFrom {
    pub after: Option<String>,
    pub before: Option<String>,
}

/// A page of jobs, newest first, and the cursors of the pages on either side (None: nothing
/// more that way).
#[derive(Debug, Clone, Default)]
pub struct JobsShown {
    pub jobs: Vec<JobSummary>,
    pub older: Option<String>,
    pub newer: Option<String>,
}

/// One page of jobs in any state, newest first, with `queue jobs`' filters applied. It is one
/// read of the store (`store::listing`): a page costs its rows; a filter no index serves looks
/// at a bounded window of each table, so a rare match may leave the page short, with an
/// "Older" cursor from where the window ended.
pub fn jobs_page(
    store: &mut dyn Store,
    filter: &JobFilter,
    from: &JobsFrom,
    size: usize,
    now_ms: i64,
) -> Result<JobsShown> {
    let args = filter.args()?;
    let after = parse_job_cursor(from.after.as_deref())?;
    let before = parse_job_cursor(from.before.as_deref())?;
    let mut query = jobs::job_query(&args, now_ms);
    query.page = size;
    let (start, direction) = match (before, after) {
        (Some(before), _) => (Some(before), Direction::Newer),
        (None, after) => (after, Direction::Older),
    };
    query.from = start.clone();
    query.direction = direction;
    let mut page = store.list_jobs(&query, now_ms)?;
    if direction == Direction::Newer && page.next.is_none() {
        // Back at the newest: that page is the first one, full.
        query.from = None;
        query.direction = Direction::Older;
        page = store.list_jobs(&query, now_ms)?;
        return Ok(shown(page, &args, None, None));
    }
    let (older, newer) = match direction {
        Direction::Older => (
            page.next.clone(),
            start.map(|s| page.jobs.first().map_or(s, JobSummary::cursor)),
        ),
        Direction::Newer => (
            page.jobs.last().map(JobSummary::cursor).or(start),
            page.next.clone(),
        ),
    };
    Ok(shown(page, &args, older, newer))
}

fn shown(
    page: JobPage,
    args: &jobs::Args,
    older: Option<JobCursor>,
    newer: Option<JobCursor>,
) -> JobsShown {
    JobsShown {
        // The store's page read queued states by its own clock reading; keep ours.
        jobs: page
            .jobs
            .into_iter()
            .filter(|j| jobs::matches(args, j))
            .collect(),
        older: older.as_ref().map(job_cursor),
        newer: newer.as_ref().map(job_cursor),
    }
}

/// One job with every attempt; 404 when it is not (or no longer) in the store.
pub fn job(store: &mut dyn Store, id: &str, now_ms: i64) -> Result<JobView> {
    let uuid = resolve(store, &[id.to_string()])?.remove(0);
    let Some(mut job) = store.show(&uuid, now_ms)? else {
        return Err(refused(
            StatusCode::NOT_FOUND,
            format!("no job with id {uuid}: it never existed here, or it finished longer ago than retain_done"),
        ));
    };
    job.history = store.attempts(&uuid)?;
    Ok(job)
}

/// A queue name from a path, checked as the command line checks it.
pub fn queue_name(queue: &str) -> Result<String> {
    crate::domain::job::validate_queue_name(queue)
        .map_err(|e| refused(StatusCode::BAD_REQUEST, format!("queue: {e}")))?;
    Ok(queue.to_string())
}

/// Pause or resume a queue of this connection (`queue pause` / `queue resume`).
pub fn set_paused(
    store: &mut dyn Store,
    connection: &str,
    queue: &str,
    paused: bool,
) -> Result<()> {
    let key = format!("{PAUSED_PREFIX}{connection}:{}", queue_name(queue)?);
    store.set_setting(&key, paused.then_some("1"))
}

/// Put a batch's failed jobs back (those still failed), as `queue retry-batch` does.
pub fn retry_batch(store: &mut dyn Store, id: &str, now_ms: i64) -> Result<Vec<String>> {
    let Some(batch) = store.batch(id)? else {
        return Err(refused(
            StatusCode::NOT_FOUND,
            format!("no batch with id {id}"),
        ));
    };
    if batch.failed_job_ids.is_empty() {
        return Ok(Vec::new());
    }
    store.retry_failed(&RetrySelection::Selected(batch.failed_job_ids), now_ms)
}

pub fn cancel_batch(store: &mut dyn Store, id: &str, now_ms: i64) -> Result<()> {
    if !store.cancel_batch(id, now_ms)? {
        return Err(refused(
            StatusCode::NOT_FOUND,
            format!("no batch with id {id}"),
        ));
    }
    Ok(())
}
