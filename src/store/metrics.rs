//! The statements of the per-minute metric rollups (`queue_metrics`, migration 0007), written
//! once for both dialects: they differ only in how parameters are spelled, how a truth value
//! becomes a count, and how a row picks its shard. The bucket columns (`d0`…`d15`, `w0`…`w15`)
//! follow `domain::metrics::BUCKETS`.

use crate::domain::metrics::{Rollup, BUCKETS};
use serde::Serialize;

/// Which rollups a read returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricQuery {
    /// Only minutes at or after this instant (unix ms); None: every row, the totals folded in
    /// by pruning included.
    pub since_ms: Option<i64>,
    /// Sum into steps of this many ms (a chart's points); None: one sum per queue and outcome.
    pub step_ms: Option<i64>,
}

/// Summed rollups of one step (or of all time), queue and outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    /// Start of the step, unix ms (0 for all-time sums).
    pub at_ms: i64,
    pub queue: String,
    pub outcome: String,
    #[serde(skip)]
    pub rollup: Rollup,
}

/// How a dialect spells what differs.
pub struct Dialect {
    /// The placeholder of parameter `n` (1-based).
    pub param: fn(usize) -> String,
    /// A boolean expression as 0 or 1.
    pub as_count: fn(&str) -> String,
    /// The shard of a row written by worker `expr`.
    pub shard: fn(&str) -> String,
    /// What follows `SUM(…)` so that it stays an integer (PostgreSQL sums bigints to numeric).
    pub sum_cast: &'static str,
}

fn bucket_columns() -> Vec<String> {
    (0..BUCKETS)
        .map(|i| format!("d{i}"))
        .chain((0..BUCKETS).map(|i| format!("w{i}")))
        .collect()
}

fn summed_columns(d: &Dialect) -> String {
    ["jobs", "duration_ms", "wait_ms"]
        .into_iter()
        .map(str::to_string)
        .chain(bucket_columns())
        .map(|c| format!("SUM({c}){} AS {c}", d.sum_cast))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ON CONFLICT … DO UPDATE` adding every count of the new row to the existing one.
fn add_on_conflict() -> String {
    let sets = ["jobs", "duration_ms", "wait_ms"]
        .into_iter()
        .map(str::to_string)
        .chain(bucket_columns())
        .map(|c| format!("{c} = queue_metrics.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("ON CONFLICT (minute, queue, outcome, shard) DO UPDATE SET {sets}")
}

fn all_columns() -> String {
    format!(
        "minute, queue, outcome, shard, jobs, duration_ms, wait_ms, {}",
        bucket_columns().join(", ")
    )
}

/// Add one ended attempt: parameters minute, queue, outcome, worker, duration_ms, wait_ms,
/// duration bucket, wait bucket.
pub fn upsert(d: &Dialect) -> String {
    let p = d.param;
    let buckets = (0..BUCKETS)
        .map(|i| (d.as_count)(&format!("{} = {i}", p(7))))
        .chain((0..BUCKETS).map(|i| (d.as_count)(&format!("{} = {i}", p(8)))))
        .collect::<Vec<_>>()
        .join(", ");
    add_to_row(d, ["1".into(), p(5), p(6)], &buckets)
}

/// The statement adding `counts` (jobs, duration_ms, wait_ms) and `buckets` (the bucket
/// columns' values, joined) to the row of parameters 1–4 (minute, queue, outcome, worker).
fn add_to_row(d: &Dialect, counts: [String; 3], buckets: &str) -> String {
    let p = d.param;
    let [jobs, duration, wait] = counts;
    format!(
        "INSERT INTO queue_metrics ({}) VALUES ({}, {}, {}, {}, {jobs}, {duration}, {wait}, {buckets}) {}",
        all_columns(),
        p(1),
        p(2),
        p(3),
        (d.shard)(&p(4)),
        add_on_conflict()
    )
}

/// Add the sum of several ended attempts of one (minute, queue, outcome, worker): parameters
/// minute, queue, outcome, worker, jobs, duration_ms, wait_ms, then the counts of the duration
/// buckets and of the wait buckets. The row it leaves is the one `upsert` once per attempt
/// would.
pub fn upsert_summed(d: &Dialect) -> String {
    let p = d.param;
    let buckets = (8..8 + 2 * BUCKETS).map(p).collect::<Vec<_>>().join(", ");
    add_to_row(d, [p(5), p(6), p(7)], &buckets)
}

/// Fold the rows of minutes before parameter 1 (a unix minute) into minute 0.
pub fn fold_old(d: &Dialect) -> String {
    format!(
        "INSERT INTO queue_metrics ({}) SELECT 0, queue, outcome, 0, {} FROM queue_metrics
         WHERE minute > 0 AND minute < {} GROUP BY queue, outcome {}",
        all_columns(),
        summed_columns(d),
        (d.param)(1),
        add_on_conflict()
    )
}

/// Delete what `fold_old` folded in.
pub fn delete_old(d: &Dialect) -> String {
    format!(
        "DELETE FROM queue_metrics WHERE minute > 0 AND minute < {}",
        (d.param)(1)
    )
}

/// Sums by step (parameter 1 the first minute, parameter 2 the step in minutes), or over all
/// time by queue and outcome.
pub fn read(d: &Dialect, stepped: bool) -> String {
    let p = d.param;
    match stepped {
        true => format!(
            "SELECT (minute / {step}) * {step} * 60000 AS at_ms, queue, outcome, {}
             FROM queue_metrics WHERE minute >= {first}
             GROUP BY (minute / {step}), queue, outcome ORDER BY 1, 2, 3",
            summed_columns(d),
            step = p(2),
            first = p(1),
        ),
        false => format!(
            "SELECT CAST(0 AS BIGINT) AS at_ms, queue, outcome, {} FROM queue_metrics
             WHERE minute >= {} GROUP BY queue, outcome ORDER BY 2, 3",
            summed_columns(d),
            p(1),
        ),
    }
}

/// The query's parameters for `read`: the first minute and the step in minutes.
pub fn read_params(q: &MetricQuery) -> (i64, Option<i64>) {
    let first = q.since_ms.map_or(0, |ms| ms.div_euclid(60_000));
    (first, q.step_ms.map(|s| (s / 60_000).max(1)))
}

/// A read's row: `at_ms`, `queue`, `outcome`, then the counts in `all_columns` order from
/// `jobs` on; `get(i)` reads column i as an integer (0 for NULL).
pub fn row_of(at_ms: i64, queue: String, outcome: String, get: impl Fn(usize) -> i64) -> MetricRow {
    let mut rollup = Rollup {
        jobs: get(3),
        duration_ms: get(4),
        wait_ms: get(5),
        ..Rollup::default()
    };
    for i in 0..BUCKETS {
        rollup.duration[i] = get(6 + i);
        rollup.wait[i] = get(6 + BUCKETS + i);
    }
    MetricRow {
        at_ms,
        queue,
        outcome,
        rollup,
    }
}
