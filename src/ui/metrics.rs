//! `GET /metrics` (Prometheus' text format, the names of PRODUCT.md §10) and `GET /health`.
//! The gauges are the store's counts now; the counters and histograms are the rollups summed
//! over all time (pruning folds old minutes into totals, so counters never go down), so every
//! `queue ui` on every host answers the same.

use super::state::App;
use crate::domain::metrics::{Rollup, BOUNDS_MS, OUTCOMES};
use crate::store::{MetricQuery, QueueStats};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn seconds(ms: i64) -> String {
    let s = ms as f64 / 1000.0;
    format!("{s}")
}

/// Everything `/metrics` reports, read in one go.
pub struct Scrape {
    pub stats: Vec<QueueStats>,
    pub paused: Vec<String>,
    pub workers: usize,
    /// All-time sums by (queue, outcome).
    pub totals: Vec<crate::store::MetricRow>,
}

pub fn render(connection: &str, s: &Scrape) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let _ = writeln!(out, "# HELP queue_jobs Jobs in the store, by state.");
    let _ = writeln!(out, "# TYPE queue_jobs gauge");
    for q in &s.stats {
        let (c, n) = (label(&q.connection), label(&q.queue));
        for (state, v) in [
            ("pending", q.pending),
            ("delayed", q.delayed),
            ("reserved", q.reserved),
            ("failed", q.failed),
        ] {
            let _ = writeln!(
                out,
                "queue_jobs{{connection=\"{c}\",queue=\"{n}\",state=\"{state}\"}} {v}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP queue_oldest_pending_job_age_seconds How long the oldest pending job has waited."
    );
    let _ = writeln!(out, "# TYPE queue_oldest_pending_job_age_seconds gauge");
    for q in &s.stats {
        let _ = writeln!(
            out,
            "queue_oldest_pending_job_age_seconds{{connection=\"{}\",queue=\"{}\"}} {}",
            label(&q.connection),
            label(&q.queue),
            q.oldest_pending_age_s.unwrap_or(0)
        );
    }
    // Totals by queue, each outcome listed (a counter that is 0 still exists).
    let mut by_queue: BTreeMap<&str, BTreeMap<&str, &Rollup>> = BTreeMap::new();
    for r in &s.totals {
        by_queue
            .entry(r.queue.as_str())
            .or_default()
            .insert(r.outcome.as_str(), &r.rollup);
    }
    let _ = writeln!(
        out,
        "# HELP queue_jobs_processed_total Attempts ended, by outcome (succeeded, failed, released, timed_out)."
    );
    let _ = writeln!(out, "# TYPE queue_jobs_processed_total counter");
    for (queue, outcomes) in &by_queue {
        for outcome in OUTCOMES {
            let n = outcomes.get(outcome).map_or(0, |r| r.jobs);
            let _ = writeln!(
                out,
                "queue_jobs_processed_total{{queue=\"{}\",outcome=\"{outcome}\"}} {n}",
                label(queue)
            );
        }
    }
    for (name, help, pick) in [
        (
            "queue_job_duration_seconds",
            "How long attempts ran.",
            (|r: &Rollup| (r.duration, r.duration_ms)) as fn(&Rollup) -> _,
        ),
        (
            "queue_job_wait_seconds",
            "How long jobs waited between becoming available and being reserved.",
            |r: &Rollup| (r.wait, r.wait_ms),
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (queue, outcomes) in &by_queue {
            let mut sum = Rollup::default();
            for r in outcomes.values() {
                sum.add(r);
            }
            let (buckets, total_ms) = pick(&sum);
            let q = label(queue);
            let mut cumulative = 0;
            for (i, bound) in BOUNDS_MS.iter().enumerate() {
                cumulative += buckets[i];
                let _ = writeln!(
                    out,
                    "{name}_bucket{{queue=\"{q}\",le=\"{}\"}} {cumulative}",
                    seconds(*bound)
                );
            }
            cumulative += buckets[BOUNDS_MS.len()];
            let _ = writeln!(
                out,
                "{name}_bucket{{queue=\"{q}\",le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(out, "{name}_sum{{queue=\"{q}\"}} {}", seconds(total_ms));
            let _ = writeln!(out, "{name}_count{{queue=\"{q}\"}} {cumulative}");
        }
    }
    let _ = writeln!(out, "# HELP queue_workers Live workers.");
    let _ = writeln!(out, "# TYPE queue_workers gauge");
    let _ = writeln!(out, "queue_workers {}", s.workers);
    let _ = writeln!(
        out,
        "# HELP queue_paused Whether a queue is paused (1) or not (0)."
    );
    let _ = writeln!(out, "# TYPE queue_paused gauge");
    let mut queues: Vec<&str> = s
        .stats
        .iter()
        .filter(|q| q.connection == connection)
        .map(|q| q.queue.as_str())
        .collect();
    let prefix = format!("{connection}:");
    queues.extend(s.paused.iter().filter_map(|p| p.strip_prefix(&prefix)));
    queues.sort();
    queues.dedup();
    for q in queues {
        let paused = s.paused.iter().any(|p| p == &format!("{prefix}{q}"));
        let _ = writeln!(
            out,
            "queue_paused{{queue=\"{}\"}} {}",
            label(q),
            u8::from(paused)
        );
    }
    out
}

pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let scrape = app
        .store(|s, now| {
            Ok(Scrape {
                stats: s.queue_stats(now)?,
                paused: s.controls()?.paused,
                workers: s.workers(now)?.len(),
                totals: s.metric_rollups(&MetricQuery {
                    since_ms: None,
                    step_ms: None,
                })?,
            })
        })
        .await;
    match scrape {
        Ok(scrape) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            render(&app.opts.connection, &scrape),
        )
            .into_response(),
        Err(f) => f.into_response(),
    }
}

/// 200 when the store answers, 503 (and why) when it does not.
pub async fn health(State(app): State<Arc<App>>) -> Response {
    match app.store(|s, _| s.controls().map(|_| ())).await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
            .into_response(),
        Err(f) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "status": "unavailable",
                "error": super::redact::url_passwords(&f.message),
            })),
        )
            .into_response(),
    }
}
