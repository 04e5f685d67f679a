//! Facts of the SQLite store that the conformance suite cannot see: WAL upkeep, the
//! synchronous setting, and the claim's query plan.

use super::hot::{CLAIM_SQL, HEARTBEAT_SQL};
use super::*;

fn plan(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
    let rows = stmt
        .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
        .unwrap();
    rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
}

fn options(synchronous_full: bool) -> StoreOptions {
    StoreOptions {
        connection: "default".into(),
        discard_failed: false,
        auto_migrate: true,
        synchronous_full,
        hooks: Default::default(),
    }
}

#[test]
fn a_dispatch_truncates_a_long_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.sqlite");
    let mut store = SqliteStore::open(&path, options(false)).unwrap();
    let job = |i: usize| {
        crate::domain::job::build(
            crate::domain::job::JobCommand::Argv(vec!["true".into(), "x".repeat(500)]),
            &Default::default(),
            "default",
            dir.path(),
            format!("00000000-0000-7000-8000-{i:012}"),
            0,
        )
        .unwrap()
    };
    let wal = dir.path().join("q.sqlite-wal");
    // Enough rows for several MiB of WAL in one transaction, then one more dispatch.
    store
        .enqueue(&(0..3000).map(job).collect::<Vec<_>>(), 0)
        .unwrap();
    assert_eq!(
        std::fs::metadata(&wal).unwrap().len(),
        0,
        "truncated after the big one"
    );
    store.enqueue(&[job(3000)], 0).unwrap();
    assert!(std::fs::metadata(&wal).unwrap().len() < 1 << 20);
    let count: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 3001, "nothing lost by the checkpoint");
}

#[test]
fn synchronous_full_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    for (full, want) in [(false, 1), (true, 2)] {
        let store = SqliteStore::open(&dir.path().join("q.sqlite"), options(full)).unwrap();
        let level: i64 = store
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(level, want);
    }
}

#[test]
fn the_claim_uses_the_pending_index_in_order_without_sorting() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("q.sqlite"), options(false)).unwrap();
    let claim = plan(&store.conn, CLAIM_SQL);
    assert!(claim.contains("jobs_pending"), "{claim}");
    assert!(!claim.contains("TEMP B-TREE"), "the claim sorts: {claim}");
    // Heartbeats and lock checks look among reserved rows only, through their index.
    let heartbeat = plan(&store.conn, HEARTBEAT_SQL);
    assert!(heartbeat.contains("jobs_leases"), "{heartbeat}");
}

#[test]
fn queue_counts_read_indexes_only_never_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("q.sqlite"), options(false)).unwrap();
    let stats = plan(&store.conn, super::queries::QUEUE_STATS_SQL);
    // `status`, the dashboard and /metrics count a million queued jobs from the indexes.
    assert!(
        stats.contains("COVERING INDEX jobs_pending"),
        "the waiting jobs are counted from the rows: {stats}"
    );
    assert!(stats.contains("jobs_leases"), "{stats}");
    assert!(
        stats.contains("COVERING INDEX failed_jobs_queue"),
        "{stats}"
    );
}
