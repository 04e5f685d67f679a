//! The metric rollups on PostgreSQL (`store::metrics` spelled with `$N`), each worker's counts
//! in its own shard; and the fragment the one-statement ends of attempts (`sql.rs`) add.

use super::super::metrics::{self as m, Dialect, MetricQuery, MetricRow};
use super::tx::Tx;
use super::PostgresStore;
use crate::domain::metrics::{bucket_of, Sample};
use anyhow::Result;
use std::sync::LazyLock;

const POSTGRES: Dialect = Dialect {
    param: |n| format!("${n}"),
    as_count: |e| format!("CASE WHEN {e} THEN 1 ELSE 0 END"),
    shard: |worker| format!("abs(hashtext({worker}::text)) % 16"),
    sum_cast: "::bigint",
};

static UPSERT: LazyLock<String> = LazyLock::new(|| {
    // Typed parameters: `$7 = 0` alone would not say what $7 is.
    m::upsert(&POSTGRES)
        .replacen("VALUES ($1,", "VALUES ($1::bigint,", 1)
        .replace("$7 = ", "$7::bigint = ")
        .replace("$8 = ", "$8::bigint = ")
});
static FOLD_OLD: LazyLock<String> = LazyLock::new(|| m::fold_old(&POSTGRES));
static DELETE_OLD: LazyLock<String> = LazyLock::new(|| m::delete_old(&POSTGRES));
static READ_STEPPED: LazyLock<String> = LazyLock::new(|| m::read(&POSTGRES, true));
static READ_TOTALS: LazyLock<String> = LazyLock::new(|| m::read(&POSTGRES, false));

/// `Verbs::record_metric`.
pub(super) fn record(tx: &mut Tx<'_>, s: &Sample<'_>) -> Result<()> {
    tx.execute(
        UPSERT.as_str(),
        &[
            &s.minute,
            &s.queue,
            &s.outcome,
            &s.worker,
            &s.duration_ms,
            &s.wait_ms,
            &(bucket_of(s.duration_ms) as i64),
            &(bucket_of(s.wait_ms) as i64),
        ],
    )?;
    Ok(())
}

/// `Store::prune_metrics` (the cut on the server's clock).
pub(super) fn prune(store: &mut PostgresStore, before_ms: i64) -> Result<usize> {
    store.write(|tx| {
        let minute = super::clock::rebase(before_ms, tx.skew).div_euclid(60_000);
        tx.execute(FOLD_OLD.as_str(), &[&minute])?;
        Ok(tx.execute(DELETE_OLD.as_str(), &[&minute])? as usize)
    })
}

/// `Store::metric_rollups`.
pub(super) fn read(store: &mut PostgresStore, q: &MetricQuery) -> Result<Vec<MetricRow>> {
    let (first, step) = m::read_params(q);
    let rows = match step {
        Some(step) => store.query(READ_STEPPED.as_str(), &[&first, &step])?,
        None => store.query(READ_TOTALS.as_str(), &[&first])?,
    };
    Ok(rows
        .iter()
        .map(|r| {
            m::row_of(r.get(0), r.get(1), r.get(2), |i| {
                r.get::<_, Option<i64>>(i).unwrap_or(0)
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::domain::metrics::BOUNDS_MS;

    #[test]
    fn the_fused_statements_bucket_as_the_domain_does() {
        let bounds = BOUNDS_MS.map(|b| b.to_string()).join(",");
        let array = format!("ARRAY[{bounds}]::bigint[]");
        for sql in [
            super::super::sql::FINISH_AND_CLAIM,
            super::super::sql::FINISH_COMPLETE,
        ] {
            assert_eq!(sql.matches(&array).count(), 2, "{sql}");
            assert!(sql.contains("d15, w0,"), "{sql}");
        }
    }
}
