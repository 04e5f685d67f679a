//! The metric rollups on SQLite (`store::metrics` spelled with `?N`); one shard, since
//! SQLite's writers take turns anyway.

use super::super::metrics::{self as m, Dialect, MetricQuery, MetricRow};
use crate::domain::metrics::{bucket_of, Sample, BUCKETS};
use anyhow::Result;
use rusqlite::{params, Connection, Transaction};
use std::collections::BTreeMap;
use std::sync::LazyLock;

const SQLITE: Dialect = Dialect {
    param: |n| format!("?{n}"),
    as_count: |e| format!("({e})"),
    shard: |_| "0".to_string(),
    sum_cast: "",
};

static UPSERT: LazyLock<String> = LazyLock::new(|| m::upsert(&SQLITE));
static UPSERT_SUMMED: LazyLock<String> = LazyLock::new(|| m::upsert_summed(&SQLITE));
static FOLD_OLD: LazyLock<String> = LazyLock::new(|| m::fold_old(&SQLITE));
static DELETE_OLD: LazyLock<String> = LazyLock::new(|| m::delete_old(&SQLITE));
static READ_STEPPED: LazyLock<String> = LazyLock::new(|| m::read(&SQLITE, true));
static READ_TOTALS: LazyLock<String> = LazyLock::new(|| m::read(&SQLITE, false));

/// `Verbs::record_metric`.
pub fn record(tx: &Transaction<'_>, s: &Sample<'_>) -> Result<()> {
    tx.prepare_cached(&UPSERT)?.execute(params![
        s.minute,
        s.queue,
        s.outcome,
        s.worker,
        s.duration_ms,
        s.wait_ms,
        bucket_of(s.duration_ms) as i64,
        bucket_of(s.wait_ms) as i64,
    ])?;
    Ok(())
}

/// `Verbs::record_metrics`: one statement per row the samples add to (one shard: the worker
/// does not pick the row), its counts summed here.
pub fn record_all(tx: &Transaction<'_>, samples: &[Sample<'_>]) -> Result<()> {
    if let [one] = samples {
        return record(tx, one);
    }
    let mut rows: BTreeMap<(i64, &str, &str), Summed> = BTreeMap::new();
    for s in samples {
        rows.entry((s.minute, s.queue, s.outcome))
            .or_default()
            .add(s);
    }
    let mut upsert = tx.prepare_cached(&UPSERT_SUMMED)?;
    for ((minute, queue, outcome), sum) in rows {
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![
            &minute,
            &queue,
            &outcome,
            &"",
            &sum.jobs,
            &sum.duration_ms,
            &sum.wait_ms,
        ];
        args.extend(sum.buckets.iter().map(|b| b as &dyn rusqlite::ToSql));
        upsert.execute(args.as_slice())?;
    }
    Ok(())
}

/// The counts of one row's samples added together.
#[derive(Default)]
struct Summed {
    jobs: i64,
    duration_ms: i64,
    wait_ms: i64,
    /// The duration buckets, then the wait buckets.
    buckets: [i64; 2 * BUCKETS],
}

impl Summed {
    fn add(&mut self, s: &Sample<'_>) {
        self.jobs += 1;
        self.duration_ms += s.duration_ms;
        self.wait_ms += s.wait_ms;
        self.buckets[bucket_of(s.duration_ms)] += 1;
        self.buckets[BUCKETS + bucket_of(s.wait_ms)] += 1;
    }
}

/// `Store::prune_metrics`: fold the minutes before `before_ms` into minute 0; returns the rows
/// deleted.
pub fn prune(tx: &Transaction<'_>, before_ms: i64) -> Result<usize> {
    let minute = before_ms.div_euclid(60_000);
    tx.prepare_cached(&FOLD_OLD)?.execute([minute])?;
    Ok(tx.prepare_cached(&DELETE_OLD)?.execute([minute])?)
}

/// `Store::metric_rollups`.
pub fn read(conn: &Connection, q: &MetricQuery) -> Result<Vec<MetricRow>> {
    let (first, step) = m::read_params(q);
    let row = |r: &rusqlite::Row<'_>| {
        Ok(m::row_of(r.get(0)?, r.get(1)?, r.get(2)?, |i| {
            r.get::<_, Option<i64>>(i).ok().flatten().unwrap_or(0)
        }))
    };
    let rows = match step {
        Some(step) => conn
            .prepare_cached(&READ_STEPPED)?
            .query_map([first, step], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
        None => conn
            .prepare_cached(&READ_TOTALS)?
            .query_map([first], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
    };
    Ok(rows)
}
