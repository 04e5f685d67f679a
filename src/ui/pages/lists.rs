//! Batches (progress, counts, retry failed, cancel), workers (host, pid, queues, running jobs,
//! last heartbeat) and queues (pause/resume, clear after a confirmation).

use super::super::actions;
use super::super::auth::Caller;
use super::super::error::{Failure, PageFailure};
use super::super::state::App;
use super::layout::{age_s, csrf, enc, flash, page, when, Frame};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::html;
use std::sync::Arc;

/// How many batches the page lists (newest first).
const BATCHES: usize = 200;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Done {
    pub done: Option<String>,
}

fn frame<'a>(here: &'a str, title: &'a str, live: bool) -> Frame<'a> {
    Frame { here, title, live }
}

pub async fn batches(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(d): Query<Done>,
) -> Result<Html<String>, PageFailure> {
    let batches = app
        .store(|s, _| Ok(s.batches()?.into_iter().take(BATCHES).collect::<Vec<_>>()))
        .await?;
    let writable = !app.opts.read_only;
    let body = html! {
        h1 { "Batches" }
        (flash(d.done.as_deref()))
        div.card {
            table #batches {
                thead { tr { th { "batch" } th { "progress" } th.n { "total" } th.n { "pending" } th.n { "failed" } th { "state" } th { "created" } @if writable { th {} } } }
                tbody {
                    @if batches.is_empty() { tr { td colspan="8" .muted { "No batches." } } }
                    @for b in &batches {
                        @let state = if b.cancelled_at.is_some() { ("cancelled", "bad") } else if b.finished_at.is_some() { ("finished", "good") } else { ("running", "warn") };
                        tr data-batch=(b.id) {
                            td { strong { (if b.name.is_empty() { "(unnamed)" } else { &b.name }) } br; span.mono.muted { (b.id) } }
                            td { div.progress title={ (b.progress) "%" } { div.failed[b.failed_jobs > 0] style={ "width:" (b.progress) "%" } {} } span.muted { (b.progress) "%" } }
                            td.n { (b.total_jobs) } td.n { (b.pending_jobs) } td.n { (b.failed_jobs) }
                            td { span class={ "badge " (state.1) } { (state.0) } }
                            td.muted { (when(&b.created_at)) }
                            @if writable {
                                td { div.actions style="margin:0" {
                                    @if b.failed_jobs > 0 {
                                        form method="post" action=(app.at(&format!("/batches/{}/retry", enc(&b.id)))) {
                                            (csrf(&caller)) button type="submit" { "Retry failed" }
                                        }
                                    }
                                    @if b.cancelled_at.is_none() && b.finished_at.is_none() {
                                        form method="post" action=(app.at(&format!("/batches/{}/cancel", enc(&b.id)))) {
                                            (csrf(&caller)) button.danger type="submit" { "Cancel" }
                                        }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&app, frame("batches", "Batches", false), body))
}

pub async fn batch_action(
    State(app): State<Arc<App>>,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response, PageFailure> {
    let done = match action.as_str() {
        "retry" => {
            let n = app
                .store(move |s, now| actions::retry_batch(s, &id, now))
                .await?
                .len();
            format!(
                "Retried {n} failed job{} of the batch.",
                if n == 1 { "" } else { "s" }
            )
        }
        "cancel" => {
            app.store(move |s, now| actions::cancel_batch(s, &id, now))
                .await?;
            "Cancelled the batch: its queued jobs will be skipped.".to_string()
        }
        _ => return Err(Failure::not_found("no such action").into()),
    };
    Ok(Redirect::to(&app.at(&format!("/batches?done={}", enc(&done)))).into_response())
}

pub async fn workers(State(app): State<Arc<App>>) -> Result<Html<String>, PageFailure> {
    let (workers, now) = app.store(|s, now| Ok((s.workers(now)?, now))).await?;
    let body = html! {
        h1 { "Workers" }
        div.card {
            table #workers {
                thead { tr { th { "worker" } th { "host" } th.n { "pid" } th { "queues" } th { "running" } th.n { "up" } th.n { "last heartbeat" } } }
                tbody {
                    @if workers.is_empty() { tr { td colspan="7" .muted { "No workers running. Start one: queue work" } } }
                    @for w in &workers {
                        tr {
                            td { strong { (w.name) } br; span.mono.muted { (w.id) } }
                            td { (w.host) } td.n { (w.pid) }
                            td { (w.queues.join(", ")) }
                            td {
                                (w.jobs.len()) " / " (w.concurrency)
                                @for j in &w.jobs { br; a.mono href=(app.at(&format!("/jobs/{j}"))) { (j.get(..8).unwrap_or(j)) } }
                            }
                            td.n { (age_s(Some((now - w.started_at) / 1000))) }
                            td.n { (age_s(Some((now - w.last_seen_at) / 1000))) " ago" }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&app, frame("workers", "Workers", false), body))
}

pub async fn queues(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(d): Query<Done>,
) -> Result<Html<String>, PageFailure> {
    let snapshot = app.snapshot().await?;
    let writable = !app.opts.read_only;
    let body = html! {
        h1 { "Queues" }
        (flash(d.done.as_deref()))
        div.card {
            table #queues {
                thead { tr { th { "queue" } th { "state" } th.n { "pending" } th.n { "delayed" } th.n { "running" } th.n { "failed" } th.n { "oldest wait" } th.n { "workers" } @if writable { th {} } } }
                tbody #queue-rows {
                    @if snapshot.queues.is_empty() { tr #no-queues { td colspan="9" .muted { "No queues yet." } } }
                    @for q in snapshot.queues.iter().filter(|q| q.connection == app.opts.connection) {
                        tr data-queue=(q.queue) {
                            td { strong data-k="name" { (q.queue) } }
                            td { span class={ "badge " (if q.paused { "off" } else { "good" }) } data-k="state" { (if q.paused { "paused" } else { "active" }) } }
                            td.n data-k="pending" { (q.pending) } td.n data-k="delayed" { (q.delayed) }
                            td.n data-k="reserved" { (q.reserved) } td.n data-k="failed" { (q.failed) }
                            td.n data-k="oldest" { (age_s(q.oldest_pending_age_s)) } td.n data-k="workers" { (q.workers) }
                            @if writable {
                                td { div.actions style="margin:0" {
                                    @let path = enc(&q.queue);
                                    @if q.paused {
                                        form method="post" action=(app.at(&format!("/queues/{path}/resume"))) { (csrf(&caller)) button.primary.resume type="submit" { "Resume" } }
                                    } @else {
                                        form method="post" action=(app.at(&format!("/queues/{path}/pause"))) { (csrf(&caller)) button.pause type="submit" { "Pause" } }
                                    }
                                    form method="post" action=(app.at(&format!("/queues/{path}/clear"))) { (csrf(&caller)) button.danger.clear type="submit" { "Clear…" } }
                                } }
                            }
                        }
                    }
                }
                template #queue-row {
                    tr data-queue="" {
                        td { strong data-k="name" {} } td { span.badge.good data-k="state" { "active" } }
                        td.n data-k="pending" {} td.n data-k="delayed" {} td.n data-k="reserved" {}
                        td.n data-k="failed" {} td.n data-k="oldest" {} td.n data-k="workers" {}
                        @if writable { td.muted { "reload to act" } }
                    }
                }
            }
        }
    };
    Ok(page(&app, frame("queues", "Queues", true), body))
}

pub async fn queue_action(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path((queue, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageFailure> {
    let connection = app.opts.connection.clone();
    let q = queue.clone();
    let done = match action.as_str() {
        "pause" | "resume" => {
            let paused = action == "pause";
            app.store(move |s, _| actions::set_paused(s, &connection, &q, paused))
                .await?;
            match paused {
                true => {
                    format!("Paused {queue}: workers take no jobs from it until it is resumed.")
                }
                false => format!("Resumed {queue}: workers take its jobs again."),
            }
        }
        "clear" => {
            if !fields.iter().any(|(k, v)| k == "confirm" && v == "yes") {
                let n = app
                    .snapshot()
                    .await?
                    .queues
                    .iter()
                    .find(|r| r.queue == queue && r.connection == app.opts.connection)
                    .map_or(0, |r| r.pending + r.delayed + r.reserved);
                return Ok(confirm_clear(&app, &caller, &queue, n).into_response());
            }
            let n = app
                .store(move |s, _| s.clear(&actions::queue_name(&q)?))
                .await?;
            format!(
                "Cleared {queue}: deleted {n} job{}.",
                if n == 1 { "" } else { "s" }
            )
        }
        _ => return Err(Failure::not_found("no such action").into()),
    };
    Ok(Redirect::to(&app.at(&format!("/queues?done={}", enc(&done)))).into_response())
}

fn confirm_clear(app: &App, caller: &Caller, queue: &str, n: i64) -> Html<String> {
    let body = html! {
        h1 { "Confirm" }
        div.card {
            p #confirm-text { "Clear queue " strong { (queue) } ": delete its " strong { (n) " job" @if n != 1 { "s" } } " (pending, delayed and running)? This cannot be undone." }
            div.actions {
                form method="post" action=(app.at(&format!("/queues/{}/clear", enc(queue)))) {
                    (csrf(caller)) input type="hidden" name="confirm" value="yes";
                    button.danger.solid #confirm type="submit" { "Clear " (queue) }
                }
                a.button href=(app.at("/queues")) { "Cancel" }
            }
        }
    };
    page(app, frame("queues", "Confirm", false), body)
}
