//! The metric rollups on SQLite (`store::metrics` spelled with `?N`); one shard, since
//! SQLite's writers take turns anyway.

use super::super::metrics::{self as m, Dialect, MetricQuery, MetricRow};
use crate::domain::metrics::{bucket_of, Sample};
use anyhow::Result;
use rusqlite::{params, Connection, Transaction};
use std::sync::LazyLock;

const SQLITE: Dialect = Dialect {
    param: |n| format!("?{n}"),
    as_count: |e| format!("({e})"),
    shard: |_| "0".to_string(),
    sum_cast: "",
};

static UPSERT: LazyLock<String> = LazyLock::new(|| m::upsert(&SQLITE));
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
