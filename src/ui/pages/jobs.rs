//! Jobs in every state (the filters of `queue jobs`, paged by cursor so that a page costs the
//! same with a million jobs), and one job: its attempts, exit statuses, outputs and payload
//! (an encrypted job's secret never shown).

use super::super::actions::{self, JobFilter};
use super::super::error::PageFailure;
use super::super::redact;
use super::super::state::App;
use super::layout::{enc, ms, page, when, Frame};
use axum::extract::{Path, Query, State};
use axum::response::Html;
use maud::html;
use std::sync::Arc;

const PAGE: usize = 50;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Params {
    #[serde(flatten)]
    pub filter: JobFilter,
    pub after: Option<String>,
    pub before: Option<String>,
}

pub async fn list(
    State(app): State<Arc<App>>,
    Query(p): Query<Params>,
) -> Result<Html<String>, PageFailure> {
    let filter = p.filter.clone();
    let from = actions::JobsFrom {
        after: p.after.clone(),
        before: p.before.clone(),
    };
    let shown = app
        .store(move |s, now| actions::jobs_page(s, &filter, &from, PAGE, now))
        .await?;
    let jobs = &shown.jobs;
    let f = &p.filter;
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let states = ["", "pending", "delayed", "reserved", "done", "failed"];
    let query = f.query();
    let sep = if query.is_empty() { "" } else { "&" };
    let body = html! {
        h1 { "Jobs" }
        div.card {
            form.filters method="get" action=(app.at("/jobs")) {
                label { "state" select name="state" {
                    @for s in states { option value=(s) selected[v(&f.state) == s] { (if s.is_empty() { "any" } else { s }) } }
                } }
                label { "queue" input name="queue" value=(v(&f.queue)) size="12"; }
                label { "name (glob)" input name="name" value=(v(&f.name)) size="14"; }
                label { "text (command, error, output)" input name="grep" value=(v(&f.grep)) size="22"; }
                label { "since" input name="since" value=(v(&f.since)) size="6" placeholder="1h"; }
                button.primary type="submit" { "Search" }
                a.button href=(app.at("/jobs")) { "Clear" }
            }
        }
        div.card {
            table #jobs {
                thead { tr { th { "uuid" } th { "state" } th { "queue" } th { "name" } th.n { "attempts" } th { "at" } } }
                tbody {
                    @if jobs.is_empty() { tr { td colspan="6" .muted { "No job matches." } } }
                    @for j in jobs {
                        tr data-uuid=(j.uuid) {
                            td.mono { a href=(app.at(&format!("/jobs/{}", j.uuid))) { (j.uuid) } }
                            td { span class={ "badge " (state_tone(j.state.as_str())) } { (j.state.as_str()) } }
                            td { (j.queue) }
                            td { (redact::text(&j.name)) }
                            td.n { (j.attempts) }
                            td.muted { (when(&j.at)) }
                        }
                    }
                }
            }
            @if jobs.len() < PAGE && shown.older.is_some() {
                p.muted #looked {
                    "A search looks at up to " (crate::store::listing::WINDOW) " jobs of each table per page: "
                    "older jobs have not been looked at yet. Older » looks on."
                }
            }
            div.pager {
                @if shown.newer.is_some() { a href=(app.at(&format!("/jobs?{query}"))) { "« Newest" } }
                @if let Some(newer) = &shown.newer {
                    a #newer href=(app.at(&format!("/jobs?{query}{sep}before={}", enc(newer)))) { "‹ Newer" }
                }
                @if let Some(older) = &shown.older {
                    a #next href=(app.at(&format!("/jobs?{query}{sep}after={}", enc(older)))) { "Older »" }
                }
            }
        }
    };
    Ok(page(
        &app,
        Frame {
            here: "jobs",
            title: "Jobs",
            live: false,
        },
        body,
    ))
}

pub fn state_tone(state: &str) -> &'static str {
    match state {
        "done" => "good",
        "failed" => "bad",
        "reserved" => "warn",
        _ => "off",
    }
}

pub async fn one(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Html<String>, PageFailure> {
    let job = app.store(move |s, now| actions::job(s, &id, now)).await?;
    let mut payload = serde_json::to_value(&job.payload).map_err(anyhow::Error::from)?;
    payload = crate::output::snake_case_payload(payload);
    redact::value(&mut payload);
    let payload = serde_json::to_string_pretty(&payload).unwrap_or_default();
    let encrypted = job.payload.secret.is_some();
    let body = html! {
        h1 { "Job " span.mono { (job.uuid) } }
        div.card {
            dl.kv {
                dt { "name" } dd { (redact::text(&job.name)) }
                dt { "state" } dd { span class={ "badge " (state_tone(job.state.as_str())) } { (job.state.as_str()) } }
                dt { "queue" } dd { (job.connection) ":" (job.queue) }
                dt { "attempts" } dd { (job.attempts) " (" (job.exceptions) " exceptions)" }
                dt { "created" } dd { (when(&job.created_at)) }
                @if let Some(t) = &job.available_at { dt { "available" } dd { (when(t)) } }
                @if let Some(t) = &job.finished_at { dt { "finished" } dd { (when(t)) } }
                @if let Some(t) = &job.failed_at { dt { "failed" } dd { (when(t)) } }
                @if encrypted { dt { "encrypted" } dd { "yes: its command, data, environment and output are not shown here" } }
            }
        }
        @if let Some(error) = &job.error {
            div.card { h2 { "Error" } pre { (redact::text(error)) } }
        }
        div.card {
            h2 { "Attempts" }
            table #attempts {
                thead { tr { th.n { "#" } th { "started" } th.n { "duration" } th { "worker" } th { "host" } th { "exit" } th { "outcome" } } }
                tbody {
                    @if job.history.is_empty() { tr { td colspan="7" .muted { "No attempt yet." } } }
                    @for a in &job.history {
                        tr {
                            td.n { (a.attempt) }
                            td { (when(&a.started_at)) }
                            td.n { (ms(a.duration_ms.map(|d| d as f64))) }
                            td.mono { (a.worker) }
                            td { (a.host) }
                            td { (exit_text(a)) }
                            td { (a.outcome) }
                        }
                    }
                }
            }
            @for a in job.history.iter().rev().filter(|a| !a.output.is_empty()) {
                h2 style="margin-top:12px" { "Output of attempt " (a.attempt) }
                pre { (redact::text(&a.output)) }
            }
        }
        div.card { h2 { "Payload" } pre #payload { (payload) } }
    };
    Ok(page(
        &app,
        Frame {
            here: "jobs",
            title: "Job",
            live: false,
        },
        body,
    ))
}

fn exit_text(a: &crate::store::AttemptView) -> String {
    if a.timed_out {
        "timed out".into()
    } else if let Some(sig) = a.signal {
        format!("signal {sig}")
    } else if let Some(code) = a.exit_code {
        format!("exit {code}")
    } else if a.finished_at.is_none() {
        "running".into()
    } else {
        "did not start".into()
    }
}
