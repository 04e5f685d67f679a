//! The overview: a line of totals, then a card per queue that says at a glance whether it is
//! healthy (a verdict and why), its counts now (live), and over the chosen window (hour, day,
//! week) its throughput, failure rate, run-time p50/p95/p99 and wait p50/p95, with charts.

use super::super::api::window;
use super::super::error::PageFailure;
use super::super::health::{self, QueueMetrics, Window};
use super::super::state::{App, QueueRowView};
use super::charts;
use super::layout::{age_s, enc, ms, page, percent, rate, Frame};
use crate::store::MetricQuery;
use axum::extract::{Query, State};
use axum::response::Html;
use maud::{html, Markup};
use std::sync::Arc;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Params {
    pub window: Option<String>,
}

pub async fn page_handler(
    State(app): State<Arc<App>>,
    Query(p): Query<Params>,
) -> Result<Html<String>, PageFailure> {
    let window = window(p.window.as_deref())?;
    let snapshot = app.snapshot().await?;
    let metrics = app
        .store(move |s, now| {
            let rows = s.metric_rollups(&MetricQuery {
                since_ms: Some(window.start_ms(now)),
                step_ms: Some(window.step_ms()),
            })?;
            Ok(health::by_queue(&rows, window, now))
        })
        .await?;
    let mut snapshot = snapshot;
    with_metered_queues(&mut snapshot.queues, &metrics, &app.opts.connection);
    let total = |f: fn(&QueueRowView) -> i64| snapshot.queues.iter().map(f).sum::<i64>();
    let mut cards: Vec<(health::Verdict, Markup)> = snapshot
        .queues
        .iter()
        .map(|row| {
            let m = metrics.get(&row.queue);
            let (verdict, reason) = health::verdict(row, m);
            (verdict, card(&app, row, m, verdict, &reason, window))
        })
        .collect();
    // The worst first: what needs a look is at the top.
    cards.sort_by_key(|(v, _)| *v);
    let body = html! {
        div.summary {
            div.card.stat { div.v data-k="total-pending" { (total(|q| q.pending)) } div.k { "pending" } }
            div.card.stat { div.v data-k="total-delayed" { (total(|q| q.delayed)) } div.k { "delayed" } }
            div.card.stat { div.v data-k="total-reserved" { (total(|q| q.reserved)) } div.k { "running" } }
            div.card.stat { div.v data-k="total-failed" { (total(|q| q.failed)) } div.k { "failed" } }
            div.card.stat { div.v data-k="total-workers" { (snapshot.workers) } div.k { "workers" } }
        }
        @if snapshot.maintenance {
            div.flash { "Maintenance mode is on: workers take no jobs unless --force (`queue up` ends it)." }
        }
        div.bar-head {
            h1.grow { "Queues" }
            div.tabs {
                @for w in Window::ALL {
                    a.here[w == window] href=(app.at(&format!("/?window={}", w.name()))) { "Last " (w.name()) }
                }
            }
        }
        div.card {
            table #queue-table {
                thead { tr {
                    th { "queue" } th { "health" } th.n { "pending" } th.n { "delayed" } th.n { "running" }
                    th.n { "failed" } th.n { "oldest wait" } th.n { "workers" } th.n { "jobs/min" }
                    th.n { "failure rate" } th.n { "run p95" } th.n { "wait p95" }
                } }
                tbody #queue-rows {
                    @if snapshot.queues.is_empty() {
                        tr #no-queues { td colspan="12" .muted { "No jobs yet. Dispatch one: queue dispatch -- echo hello" } }
                    }
                    @for row in &snapshot.queues {
                        (table_row(row, metrics.get(&row.queue)))
                    }
                }
                template #queue-row {
                    tr data-queue="" {
                        td data-k="name" {} td { span.badge.off { "new" } }
                        td.n data-k="pending" {} td.n data-k="delayed" {} td.n data-k="reserved" {}
                        td.n data-k="failed" {} td.n data-k="oldest" {} td.n data-k="workers" {}
                        td.n { "–" } td.n { "–" } td.n { "–" } td.n { "–" }
                    }
                }
            }
        }
        div.card {
            h2 { "Latest events" }
            ol #feed data-max="15" {
                li.muted #feed-empty { "Waiting for the store's events…" }
            }
        }
        @for (_, card) in &cards { (card) }
    };
    Ok(page(
        &app,
        Frame {
            here: "overview",
            title: "Overview",
            live: true,
        },
        body,
    ))
}

fn table_row(row: &QueueRowView, m: Option<&QueueMetrics>) -> Markup {
    let (verdict, reason) = health::verdict(row, m);
    html! {
        tr data-queue=(row.queue) {
            td { a href={ "#q-" (row.queue) } { strong { (row.queue) } } }
            td { span class={ "badge " (verdict.tone()) } title=(reason) { (verdict.label()) } }
            td.n data-k="pending" { (row.pending) }
            td.n data-k="delayed" { (row.delayed) }
            td.n data-k="reserved" { (row.reserved) }
            td.n data-k="failed" { (row.failed) }
            td.n data-k="oldest" { (age_s(row.oldest_pending_age_s)) }
            td.n data-k="workers" { (row.workers) }
            td.n { (m.map_or("0".into(), |m| rate(m.throughput_per_min))) }
            td.n { (percent(m.and_then(|m| m.failure_rate))) }
            td.n { (ms(m.and_then(|m| m.runtime_p95_ms))) }
            td.n { (ms(m.and_then(|m| m.wait_p95_ms))) }
        }
    }
}

fn card(
    app: &App,
    row: &QueueRowView,
    m: Option<&QueueMetrics>,
    verdict: health::Verdict,
    reason: &str,
    window: Window,
) -> Markup {
    let empty: Vec<health::Point> = Vec::new();
    let points = m.map_or(&empty, |m| &m.points);
    let stat = |k: &str, v: String, key: Option<&str>| {
        html! { div.stat { div.v data-k=[key] { (v) } div.k { (k) } } }
    };
    html! {
        section.card.qcard.(verdict.tone()) id={ "q-" (row.queue) } data-queue=(row.queue) {
            div.qhead {
                h2 { (row.queue) }
                span class={ "badge " (verdict.tone()) } { (verdict.label()) }
                span.reason { (reason) }
                span.grow {}
                a.muted href=(app.at(&format!("/jobs?queue={}", enc(&row.queue)))) { "jobs" }
                " · "
                a.muted href=(app.at(&format!("/failed?queue={}", enc(&row.queue)))) { "failed" }
            }
            div.qnums {
                (stat("pending", row.pending.to_string(), Some("pending")))
                (stat("failed", row.failed.to_string(), Some("failed")))
                (stat("oldest wait", age_s(row.oldest_pending_age_s), Some("oldest")))
                (stat("jobs/min", m.map_or("0".into(), |m| rate(m.throughput_per_min)), None))
                (stat("failure rate", percent(m.and_then(|m| m.failure_rate)), None))
                (stat("run p50", ms(m.and_then(|m| m.runtime_p50_ms)), None))
                (stat("run p95", ms(m.and_then(|m| m.runtime_p95_ms)), None))
                (stat("run p99", ms(m.and_then(|m| m.runtime_p99_ms)), None))
                (stat("wait p50", ms(m.and_then(|m| m.wait_p50_ms)), None))
                (stat("wait p95", ms(m.and_then(|m| m.wait_p95_ms)), None))
            }
            div.charts {
                div.chart {
                    div.title {
                        span { "Jobs ended, last " (window.name()) }
                        span.legend {
                            span { i style="background:var(--ok-bar)" {} "succeeded" }
                            span { i style="background:var(--rel-bar)" {} "released" }
                            span { i style="background:var(--to-bar)" {} "timed out" }
                            span { i style="background:var(--fail-bar)" {} "failed" }
                        }
                    }
                    (charts::bars(points))
                }
                div.chart {
                    div.title { span { "Run time p95" } span { "max " (ms(charts::max_of(points, |p| p.runtime_p95_ms))) } }
                    (charts::line(points, |p| p.runtime_p95_ms, "#2563eb"))
                }
                div.chart {
                    div.title { span { "Wait time p95" } span { "max " (ms(charts::max_of(points, |p| p.wait_p95_ms))) } }
                    (charts::line(points, |p| p.wait_p95_ms, "#7c3aed"))
                }
            }
        }
    }
}

/// Queues that ran jobs in the window but hold none now are listed too (with zero counts):
/// a drained queue is the healthy case, not a missing one.
pub fn with_metered_queues(
    rows: &mut Vec<QueueRowView>,
    metrics: &std::collections::BTreeMap<String, QueueMetrics>,
    connection: &str,
) {
    for queue in metrics.keys() {
        if !rows.iter().any(|r| &r.queue == queue) {
            rows.push(QueueRowView {
                queue: queue.clone(),
                connection: connection.to_string(),
                pending: 0,
                delayed: 0,
                reserved: 0,
                failed: 0,
                oldest_pending_age_s: None,
                paused: false,
                workers: 0,
            });
        }
    }
}
