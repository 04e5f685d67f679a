//! What the overview says of each queue: its throughput, failure rate and run/wait quantiles
//! over a window (read from the rollups' summed buckets), the window's points for the charts,
//! and a verdict a person can read at a glance.

use super::state::QueueRowView;
use crate::domain::metrics::{quantile_ms, Rollup};
use crate::store::MetricRow;
use serde::Serialize;
use std::collections::BTreeMap;

/// The windows the overview shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    Hour,
    Day,
    Week,
}

impl Window {
    pub const ALL: [Window; 3] = [Window::Hour, Window::Day, Window::Week];

    pub fn parse(text: Option<&str>) -> Option<Window> {
        match text.unwrap_or("hour") {
            "hour" | "1h" => Some(Window::Hour),
            "day" | "1d" => Some(Window::Day),
            "week" | "7d" => Some(Window::Week),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Window::Hour => "hour",
            Window::Day => "day",
            Window::Week => "week",
        }
    }

    pub fn span_ms(self) -> i64 {
        match self {
            Window::Hour => 3_600_000,
            Window::Day => 86_400_000,
            Window::Week => 7 * 86_400_000,
        }
    }

    /// One chart point per step: 60 for the hour, 72 for the day, 84 for the week.
    pub fn step_ms(self) -> i64 {
        match self {
            Window::Hour => 60_000,
            Window::Day => 20 * 60_000,
            Window::Week => 2 * 3_600_000,
        }
    }

    /// The first step's start: whole steps ending with the current one.
    pub fn start_ms(self, now_ms: i64) -> i64 {
        let step = self.step_ms();
        (now_ms.div_euclid(step) + 1) * step - self.span_ms()
    }
}

/// One chart point: what ended in one step.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Point {
    pub at_ms: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub released: i64,
    pub timed_out: i64,
    pub runtime_p95_ms: Option<f64>,
    pub wait_p95_ms: Option<f64>,
}

/// A queue over a window.
#[derive(Debug, Clone, Serialize)]
pub struct QueueMetrics {
    pub window: Window,
    pub processed: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub released: i64,
    pub timed_out: i64,
    /// Attempts ended per minute, over the window.
    pub throughput_per_min: f64,
    /// (failed + timed_out) / (succeeded + failed + timed_out); None when none ended.
    pub failure_rate: Option<f64>,
    pub runtime_p50_ms: Option<f64>,
    pub runtime_p95_ms: Option<f64>,
    pub runtime_p99_ms: Option<f64>,
    pub wait_p50_ms: Option<f64>,
    pub wait_p95_ms: Option<f64>,
    pub points: Vec<Point>,
}

/// A queue's window while it is summed: the whole, each step's point and rollup, and the
/// counts of succeeded, failed, released and timed out.
type PerQueue = (Rollup, Vec<(Point, Rollup)>, [i64; 4]);

/// The rollups of one window, by queue, with a point for every step (empty ones too).
pub fn by_queue(rows: &[MetricRow], window: Window, now_ms: i64) -> BTreeMap<String, QueueMetrics> {
    let start = window.start_ms(now_ms);
    let step = window.step_ms();
    let steps = (window.span_ms() / step) as usize;
    let mut per: BTreeMap<String, PerQueue> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.at_ms >= start) {
        let entry = per.entry(r.queue.clone()).or_insert_with(|| {
            let points = (0..steps)
                .map(|i| {
                    let p = Point {
                        at_ms: start + i as i64 * step,
                        ..Point::default()
                    };
                    (p, Rollup::default())
                })
                .collect();
            (Rollup::default(), points, [0; 4])
        });
        let i = (((r.at_ms - start) / step) as usize).min(steps - 1);
        let (point, rollup) = &mut entry.1[i];
        let n = r.rollup.jobs;
        let k = match r.outcome.as_str() {
            "succeeded" => {
                point.succeeded += n;
                0
            }
            "failed" => {
                point.failed += n;
                1
            }
            "timed_out" => {
                point.timed_out += n;
                3
            }
            _ => {
                point.released += n;
                2
            }
        };
        entry.2[k] += n;
        rollup.add(&r.rollup);
        entry.0.add(&r.rollup);
    }
    per.into_iter()
        .map(
            |(queue, (total, points, [ok, failed, released, timed_out]))| {
                let ended = ok + failed + timed_out;
                let minutes = (window.span_ms() / 60_000) as f64;
                let points = points
                    .into_iter()
                    .map(|(mut p, r)| {
                        p.runtime_p95_ms = quantile_ms(&r.duration, 0.95);
                        p.wait_p95_ms = quantile_ms(&r.wait, 0.95);
                        p
                    })
                    .collect();
                let m = QueueMetrics {
                    window,
                    processed: total.jobs,
                    succeeded: ok,
                    failed,
                    released,
                    timed_out,
                    throughput_per_min: total.jobs as f64 / minutes,
                    failure_rate: (ended > 0).then(|| (failed + timed_out) as f64 / ended as f64),
                    runtime_p50_ms: quantile_ms(&total.duration, 0.5),
                    runtime_p95_ms: quantile_ms(&total.duration, 0.95),
                    runtime_p99_ms: quantile_ms(&total.duration, 0.99),
                    wait_p50_ms: quantile_ms(&total.wait, 0.5),
                    wait_p95_ms: quantile_ms(&total.wait, 0.95),
                    points,
                };
                (queue, m)
            },
        )
        .collect()
}

/// A queue's verdict, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Failing,
    NoWorkers,
    Backlog,
    Degraded,
    Paused,
    Healthy,
    Idle,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Failing => "failing",
            Verdict::NoWorkers => "no workers",
            Verdict::Backlog => "backlog",
            Verdict::Degraded => "degraded",
            Verdict::Paused => "paused",
            Verdict::Healthy => "healthy",
            Verdict::Idle => "idle",
        }
    }

    /// The CSS class of its badge: bad, warn, off, good.
    pub fn tone(self) -> &'static str {
        match self {
            Verdict::Failing | Verdict::NoWorkers => "bad",
            Verdict::Backlog | Verdict::Degraded => "warn",
            Verdict::Paused | Verdict::Idle => "off",
            Verdict::Healthy => "good",
        }
    }
}

/// Jobs waiting longer than this make a backlog.
const BACKLOG_S: i64 = 300;

/// The verdict on a queue and why, from its counts now and its last window.
pub fn verdict(row: &QueueRowView, m: Option<&QueueMetrics>) -> (Verdict, String) {
    let rate = m.and_then(|m| m.failure_rate).unwrap_or(0.0);
    let ended = m.map_or(0, |m| m.succeeded + m.failed + m.timed_out);
    if row.paused {
        return (
            Verdict::Paused,
            "paused: workers take none of its jobs".into(),
        );
    }
    if ended >= 3 && rate >= 0.2 {
        return (
            Verdict::Failing,
            format!("{:.0}% of its jobs failed", rate * 100.0),
        );
    }
    if row.pending > 0 && row.workers == 0 {
        return (
            Verdict::NoWorkers,
            "jobs wait and no worker serves it".into(),
        );
    }
    if row.oldest_pending_age_s.unwrap_or(0) > BACKLOG_S {
        return (
            Verdict::Backlog,
            format!(
                "the oldest job has waited {}",
                crate::domain::duration::humanize_ms(row.oldest_pending_age_s.unwrap_or(0) * 1000)
            ),
        );
    }
    if ended > 0 && rate >= 0.05 {
        return (
            Verdict::Degraded,
            format!("{:.1}% of its jobs failed", rate * 100.0),
        );
    }
    if row.pending + row.reserved + row.delayed == 0 && ended == 0 {
        return (Verdict::Idle, "nothing to do".into());
    }
    (Verdict::Healthy, "jobs flow".into())
}
