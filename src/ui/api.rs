//! The JSON API (PRODUCT.md §10), with the field names of the CLI's `--json`: every answer
//! passes through `redact` first.

use super::actions::{self, FailedFilter, JobFilter};
use super::auth::Caller;
use super::error::{refused, Failure};
use super::health::{self, Window};
use super::redact;
use super::state::App;
use crate::commands::failed::json_of;
use crate::store::MetricQuery;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

type Answer = Result<Response, Failure>;

fn answer(v: Value) -> Answer {
    let mut v = v;
    redact::value(&mut v);
    Ok(Json(v).into_response())
}

/// An answer with the cursor of the next page in `X-Next-Cursor` (the body stays the CLI's
/// array).
fn paged(v: Value, next: Option<String>) -> Answer {
    let mut response = answer(v)?;
    if let Some(next) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-next-cursor"), next);
    }
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WindowQuery {
    pub window: Option<String>,
}

pub fn window(text: Option<&str>) -> Result<Window, Failure> {
    Window::parse(text).ok_or_else(|| Failure::bad_request("window: use hour, day or week"))
}

/// `GET /api/queues`: `status --json`, each queue with its verdict and its metrics over the
/// window (`?window=hour|day|week`).
pub async fn queues(State(app): State<Arc<App>>, Query(q): Query<WindowQuery>) -> Answer {
    let window = window(q.window.as_deref())?;
    let snapshot = app.snapshot().await?;
    let (rows, workers, controls) = app
        .store(move |s, now| {
            let rows = s.metric_rollups(&MetricQuery {
                since_ms: Some(window.start_ms(now)),
                step_ms: Some(window.step_ms()),
            })?;
            Ok((
                health::by_queue(&rows, window, now),
                s.workers(now)?,
                s.controls()?,
            ))
        })
        .await?;
    let mut snapshot = snapshot;
    super::pages::overview::with_metered_queues(&mut snapshot.queues, &rows, &app.opts.connection);
    let queues: Vec<Value> = snapshot
        .queues
        .iter()
        .map(|row| {
            let m = rows.get(&row.queue);
            let (verdict, reason) = health::verdict(row, m);
            let mut v = serde_json::to_value(row).unwrap_or_default();
            v["health"] = json!(verdict.label());
            v["health_reason"] = json!(reason);
            v["metrics"] = match m {
                Some(m) => {
                    let mut m = serde_json::to_value(m).unwrap_or_default();
                    m.as_object_mut().map(|o| o.remove("points"));
                    m
                }
                None => Value::Null,
            };
            v
        })
        .collect();
    answer(json!({
        "queues": queues,
        "workers": workers,
        "maintenance": controls.maintenance,
        "paused": controls.paused,
    }))
}

/// `GET /api/workers`: the live workers, as `status --json` lists them.
pub async fn workers(State(app): State<Arc<App>>) -> Answer {
    let workers = app.store(|s, now| s.workers(now)).await?;
    answer(serde_json::to_value(workers).map_err(anyhow::Error::from)?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JobsQuery {
    #[serde(flatten)]
    pub filter: JobFilter,
    pub limit: Option<usize>,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// `GET /api/jobs`: `queue jobs --json` a page at a time (`?limit=`, default 100, at most
/// 1000; the next (older) page's `?after=` is in `X-Next-Cursor`, the one before's `?before=`
/// in `X-Prev-Cursor`). A filter that no index serves looks at a bounded window of jobs per
/// page, so a page may hold fewer than `limit` and still have a next one.
pub async fn jobs(State(app): State<Arc<App>>, Query(q): Query<JobsQuery>) -> Answer {
    let size = q.limit.unwrap_or(100).clamp(1, 1000);
    let from = actions::JobsFrom {
        after: q.after.clone(),
        before: q.before.clone(),
    };
    let shown = app
        .store(move |s, now| actions::jobs_page(s, &q.filter, &from, size, now))
        .await?;
    let mut response = paged(
        serde_json::to_value(&shown.jobs).map_err(anyhow::Error::from)?,
        shown.older,
    )?;
    if let Some(prev) = shown.newer.and_then(|n| HeaderValue::from_str(&n).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-prev-cursor"), prev);
    }
    Ok(response)
}

/// `GET /api/jobs/{uuid}`: `queue show UUID --json` (a unique prefix will do).
pub async fn job(State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    let job = app.store(move |s, now| actions::job(s, &id, now)).await?;
    let mut v = serde_json::to_value(&job).map_err(anyhow::Error::from)?;
    v["payload"] = crate::output::snake_case_payload(v["payload"].take());
    answer(v)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FailedQueryString {
    #[serde(flatten)]
    pub filter: FailedFilter,
    pub page_size: Option<usize>,
    pub after: Option<i64>,
}

/// `GET /api/failed`: `queue failed --json` with its selection (`?queue= &name= &since=
/// &before= &grep= &exit_code= &limit=`), a page at a time (`?page_size=`, default 100).
pub async fn failed(State(app): State<Arc<App>>, Query(q): Query<FailedQueryString>) -> Answer {
    let size = q.page_size.unwrap_or(100).clamp(1, 1000);
    let (jobs, next) = app
        .store(move |s, now| {
            let selection = q.filter.selection(now)?;
            actions::failed_page(s, &selection, q.after, size)
        })
        .await?;
    let rows = jobs
        .iter()
        .map(json_of)
        .collect::<anyhow::Result<Vec<Value>>>()?;
    paged(Value::Array(rows), next.map(|id| id.to_string()))
}

/// The body of `POST /api/failed/retry` and `/forget`: `{"uuids": […]}`, a filter as in §8,
/// or `{"all": true}` for every failed job.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailedAction {
    pub uuids: Option<Vec<String>>,
    pub all: bool,
    pub queue: Option<String>,
    pub name: Option<String>,
    pub since: Option<String>,
    pub before: Option<String>,
    pub grep: Option<String>,
    pub exit_code: Option<Value>,
    pub limit: Option<Value>,
}

/// Which failed jobs an action names.
pub enum Which {
    Uuids(Vec<String>),
    Matching(FailedFilter),
}

fn text_of(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

impl FailedAction {
    fn which(self) -> anyhow::Result<Which> {
        let filter = FailedFilter {
            queue: self.queue,
            name: self.name,
            since: self.since,
            before: self.before,
            grep: self.grep,
            exit_code: text_of(&self.exit_code),
            limit: text_of(&self.limit),
        };
        let narrowed = filter != FailedFilter::default();
        match self.uuids {
            Some(_) if narrowed || self.all => Err(refused(
                StatusCode::BAD_REQUEST,
                "give uuids or a filter (or all), not both",
            )),
            Some(uuids) if uuids.is_empty() => {
                Err(refused(StatusCode::BAD_REQUEST, "uuids: the list is empty"))
            }
            Some(uuids) => Ok(Which::Uuids(uuids)),
            None if !narrowed && !self.all => Err(refused(
                StatusCode::BAD_REQUEST,
                "say which failed jobs: {\"uuids\": [...]}, a filter (queue, name, since, before, grep, exit_code, limit), or {\"all\": true}",
            )),
            None => Ok(Which::Matching(filter)),
        }
    }
}

fn body(
    b: Result<Json<FailedAction>, axum::extract::rejection::JsonRejection>,
) -> Result<FailedAction, Failure> {
    b.map(|Json(b)| b)
        .map_err(|e| Failure::bad_request(format!("the body is not a failed-job selection: {e}")))
}

/// `POST /api/failed/retry`: `{"retried": [uuid…]}`, as `queue retry --json`.
pub async fn retry(
    State(app): State<Arc<App>>,
    _caller: Extension<Caller>,
    b: Result<Json<FailedAction>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let which = body(b)?;
    let retried = app
        .store(move |s, now| match which.which()? {
            Which::Uuids(ids) => actions::retry_uuids(s, &ids, now),
            Which::Matching(f) => actions::retry_matching(s, &f.selection(now)?, now),
        })
        .await?;
    answer(json!({ "retried": retried }))
}

/// `POST /api/failed/forget`: `{"forgotten": [uuid…]}`, as `queue forget --json`.
pub async fn forget(
    State(app): State<Arc<App>>,
    _caller: Extension<Caller>,
    b: Result<Json<FailedAction>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let which = body(b)?;
    let forgotten = app
        .store(move |s, now| match which.which()? {
            Which::Uuids(ids) => actions::forget_uuids(s, &ids),
            Which::Matching(f) => actions::forget_matching(s, &f.selection(now)?),
        })
        .await?;
    answer(json!({ "forgotten": forgotten }))
}

/// `POST /api/queues/{queue}/pause` and `/resume`: as `queue pause --json`.
pub async fn pause(State(app): State<Arc<App>>, Path(queue): Path<String>) -> Answer {
    set_paused(app, queue, true).await
}

pub async fn resume(State(app): State<Arc<App>>, Path(queue): Path<String>) -> Answer {
    set_paused(app, queue, false).await
}

async fn set_paused(app: Arc<App>, queue: String, paused: bool) -> Answer {
    let connection = app.opts.connection.clone();
    let name = format!("{connection}:{queue}");
    app.store(move |s, _| actions::set_paused(s, &connection, &queue, paused))
        .await?;
    answer(json!({ "queue": name, "paused": paused }))
}

/// `POST /api/queues/{queue}/clear`: as `queue clear --json`.
pub async fn clear(State(app): State<Arc<App>>, Path(queue): Path<String>) -> Answer {
    let q = queue.clone();
    let cleared = app
        .store(move |s, _| {
            let q = actions::queue_name(&q)?;
            s.clear(&q)
        })
        .await?;
    answer(json!({ "queue": queue, "connection": app.opts.connection, "cleared": cleared }))
}

/// `GET /api/batches`: `queue batches --json`.
pub async fn batches(State(app): State<Arc<App>>) -> Answer {
    let batches = app.store(|s, _| s.batches()).await?;
    answer(serde_json::to_value(batches).map_err(anyhow::Error::from)?)
}

/// `POST /api/batches/{id}/cancel`.
pub async fn cancel_batch(State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    let i = id.clone();
    app.store(move |s, now| actions::cancel_batch(s, &i, now))
        .await?;
    answer(json!({ "id": id, "cancelled": true }))
}

/// `POST /api/batches/{id}/retry`: as `queue retry-batch --json`.
pub async fn retry_batch(State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    let retried = app
        .store(move |s, now| actions::retry_batch(s, &id, now))
        .await?;
    answer(json!({ "retried": retried }))
}

/// `GET /api/csrf`: the session's CSRF token, for a script without the bearer token (its
/// session cookie comes with the answer).
pub async fn csrf(Extension(caller): Extension<Caller>) -> Answer {
    if caller.csrf.is_empty() {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "no session: a bearer-token client needs no CSRF token",
        ));
    }
    answer(json!({ "csrf": caller.csrf }))
}
