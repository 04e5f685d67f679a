//! Failed jobs: search with the selection of PRODUCT.md §8, then retry or forget the selected
//! ones, or all that match (after a confirmation that says how many; the set is fixed when the
//! walk starts, as for `queue retry`).

use super::super::actions::{self, FailedFilter};
use super::super::auth::Caller;
use super::super::error::{Failure, PageFailure};
use super::super::redact;
use super::super::state::App;
use super::layout::{csrf, enc, flash, page, when, Frame};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use std::sync::Arc;

const PAGE: usize = 50;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Params {
    #[serde(flatten)]
    pub filter: FailedFilter,
    pub after: Option<i64>,
    pub done: Option<String>,
}

fn filter_fields(f: &FailedFilter) -> Markup {
    let fields = [
        ("queue", &f.queue),
        ("name", &f.name),
        ("since", &f.since),
        ("before", &f.before),
        ("grep", &f.grep),
        ("exit_code", &f.exit_code),
        ("limit", &f.limit),
    ];
    html! {
        @for (k, v) in fields {
            @if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                input type="hidden" name=(k) value=(v);
            }
        }
    }
}

pub async fn list(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<Params>,
) -> Result<Html<String>, PageFailure> {
    let filter = p.filter.clone();
    let after = p.after;
    let (jobs, next) = app
        .store(move |s, now| {
            let selection = filter.selection(now)?;
            actions::failed_page(s, &selection, after, PAGE)
        })
        .await?;
    let f = &p.filter;
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let query = f.query();
    let narrowed = !query.is_empty();
    let writable = !app.opts.read_only;
    let body = html! {
        h1 { "Failed jobs" }
        (flash(p.done.as_deref()))
        div.card {
            form.filters #search method="get" action=(app.at("/failed")) {
                label { "queue" input name="queue" value=(v(&f.queue)) size="12"; }
                label { "name (glob)" input name="name" value=(v(&f.name)) size="14"; }
                label { "text (error, output)" input name="grep" value=(v(&f.grep)) size="22"; }
                label { "exit code" input name="exit_code" value=(v(&f.exit_code)) size="4"; }
                label { "since" input name="since" value=(v(&f.since)) size="6" placeholder="1h"; }
                label { "before" input name="before" value=(v(&f.before)) size="6" placeholder="1d"; }
                button.primary type="submit" { "Search" }
                a.button href=(app.at("/failed")) { "Clear" }
            }
        }
        @if writable && !jobs.is_empty() {
            div.actions {
                form method="post" action=(app.at("/failed/act")) {
                    (csrf(&caller)) (filter_fields(f))
                    input type="hidden" name="op" value="retry-all";
                    button #retry-all type="submit" { "Retry all that match…" }
                }
                form method="post" action=(app.at("/failed/act")) {
                    (csrf(&caller)) (filter_fields(f))
                    input type="hidden" name="op" value="forget-all";
                    button.danger #forget-all type="submit" { "Forget all that match…" }
                }
                span.muted { @if narrowed { "“All that match” is every failed job this search finds, on every page." } @else { "No filter: “all that match” is every failed job." } }
            }
        }
        form #selected method="post" action=(app.at("/failed/act")) {
            (csrf(&caller)) (filter_fields(f))
            div.card {
                table #failed {
                    thead { tr {
                        @if writable { th { input #select-all type="checkbox" title="select all on this page"; } }
                        th { "uuid" } th { "queue" } th { "name" } th { "failed at" } th { "error" }
                    } }
                    tbody {
                        @if jobs.is_empty() { tr { td colspan="6" .muted { "No failed job matches." } } }
                        @for j in &jobs {
                            tr data-uuid=(j.uuid) {
                                @if writable { td { input type="checkbox" name="uuid" value=(j.uuid); } }
                                td.mono { a href=(app.at(&format!("/jobs/{}", j.uuid))) { (j.uuid) } }
                                td { (j.queue) }
                                td { (redact::text(&j.name)) }
                                td.muted { (when(&j.failed_at)) }
                                td.err1 title=(redact::text(&j.error)) { (redact::text(&summary(&j.error))) }
                            }
                        }
                    }
                }
                @if writable && !jobs.is_empty() {
                    div.actions {
                        button #retry-selected type="submit" name="op" value="retry-selected" { "Retry selected" }
                        button.danger #forget-selected type="submit" name="op" value="forget-selected" { "Forget selected" }
                    }
                }
                div.pager {
                    @if p.after.is_some() { a href=(app.at(&format!("/failed?{query}"))) { "« Newest" } }
                    @if let Some(next) = next {
                        a #next href=(app.at(&format!("/failed?{query}{}after={next}", if query.is_empty() { "" } else { "&" }))) { "Older »" }
                    }
                }
            }
        }
    };
    Ok(page(
        &app,
        Frame {
            here: "failed",
            title: "Failed jobs",
            live: false,
        },
        body,
    ))
}

/// A form's fields, repeated ones (`uuid`) included.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn filter_of(fields: &Fields) -> FailedFilter {
    let get = |k: &str| field(fields, k).map(str::to_string);
    FailedFilter {
        queue: get("queue"),
        name: get("name"),
        since: get("since"),
        before: get("before"),
        grep: get("grep"),
        exit_code: get("exit_code"),
        limit: get("limit"),
    }
}

fn back(app: &App, filter: &FailedFilter, done: &str) -> Response {
    let query = filter.query();
    let sep = if query.is_empty() { "" } else { "&" };
    Redirect::to(&app.at(&format!("/failed?{query}{sep}done={}", enc(done)))).into_response()
}

fn counted(n: usize, verb: &str) -> String {
    match n {
        0 => format!("Nothing {verb}: no failed job matched."),
        1 => format!("{} 1 failed job.", capital(verb)),
        n => format!("{} {n} failed jobs.", capital(verb)),
    }
}

fn capital(verb: &str) -> String {
    let mut c = verb.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `POST /failed/act`: retry or forget the selected jobs, or (confirmed) all that match.
pub async fn act(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageFailure> {
    let filter = filter_of(&fields);
    let op = field(&fields, "op").unwrap_or("").to_string();
    let uuids: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "uuid")
        .map(|(_, v)| v.clone())
        .collect();
    let confirmed = field(&fields, "confirm") == Some("yes");
    match op.as_str() {
        "retry-selected" | "forget-selected" => {
            if uuids.is_empty() {
                return Ok(back(
                    &app,
                    &filter,
                    "Select failed jobs first (the boxes on the left).",
                ));
            }
            let retry = op == "retry-selected";
            let done = app
                .store(move |s, now| match retry {
                    true => actions::retry_uuids(s, &uuids, now),
                    false => actions::forget_uuids(s, &uuids),
                })
                .await?;
            let verb = if retry { "retried" } else { "forgot" };
            Ok(back(&app, &filter, &counted(done.len(), verb)))
        }
        "retry-all" | "forget-all" => {
            let retry = op == "retry-all";
            let f = filter.clone();
            if !confirmed {
                let n = app
                    .store(move |s, now| actions::count_matching(s, &f.selection(now)?))
                    .await?;
                return Ok(confirm(&app, &caller, &filter, &op, n).into_response());
            }
            let done = app
                .store(move |s, now| {
                    let selection = f.selection(now)?;
                    match retry {
                        true => actions::retry_matching(s, &selection, now),
                        false => actions::forget_matching(s, &selection),
                    }
                })
                .await?;
            let verb = if retry { "retried" } else { "forgot" };
            Ok(back(&app, &filter, &counted(done.len(), verb)))
        }
        _ => Err(Failure::bad_request("unknown action: use retry or forget").into()),
    }
}

fn confirm(app: &App, caller: &Caller, filter: &FailedFilter, op: &str, n: usize) -> Html<String> {
    let retry = op == "retry-all";
    let what = if filter.query().is_empty() {
        "every failed job".to_string()
    } else {
        format!("the failed jobs matching {}", describe(filter))
    };
    let body = html! {
        h1 { "Confirm" }
        div.card {
            p #confirm-text {
                @if retry { "Retry " } @else { "Forget (delete) " }
                strong { (n) " failed job" @if n != 1 { "s" } } ": " (what) "?"
                @if retry { " They go back on their queues with fresh attempts." }
                @else { " This cannot be undone." }
            }
            div.actions {
                form method="post" action=(app.at("/failed/act")) {
                    (csrf(caller)) (filter_fields(filter))
                    input type="hidden" name="op" value=(op);
                    input type="hidden" name="confirm" value="yes";
                    @if retry { button.primary #confirm type="submit" { "Retry " (n) } }
                    @else { button.danger.solid #confirm type="submit" { "Forget " (n) } }
                }
                a.button href=(app.at(&format!("/failed?{}", filter.query()))) { "Cancel" }
            }
        }
    };
    page(
        app,
        Frame {
            here: "failed",
            title: "Confirm",
            live: false,
        },
        body,
    )
}

fn describe(f: &FailedFilter) -> String {
    let parts: Vec<String> = [
        ("queue", &f.queue),
        ("name", &f.name),
        ("since", &f.since),
        ("before", &f.before),
        ("text", &f.grep),
        ("exit code", &f.exit_code),
        ("at most", &f.limit),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| format!("{k} {v}"))
    })
    .collect();
    parts.join(", ")
}

/// A failed job's error in one line: what failed, and the first line of its output.
fn summary(error: &str) -> String {
    let mut lines = error.lines();
    let head = lines.next().unwrap_or("").to_string();
    let said = lines
        .skip_while(|l| !l.starts_with("--- output"))
        .skip(1)
        .find(|l| !l.trim().is_empty());
    match said {
        Some(line) => format!("{head} — {}", line.trim()),
        None => head,
    }
}
