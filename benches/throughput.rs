//! `cargo bench`: the queue's own cost, each figure beside the machine's limit for the same work
//! measured in the same run (see bench/ for the command-line figures).
//!
//! - no-op Rust-handler jobs end to end (dispatch in bulk, reserve, run, complete), against
//!   single-row INSERT + DELETE transactions in SQLite (WAL, synchronous=NORMAL);
//! - bulk dispatch of 50,000 jobs in one transaction, against raw INSERTs of rows of the same
//!   size in one transaction;
//! - the claim of one job with 100, 10,000 and 100,000 jobs queued (it must stay flat).

use queue::api::{Job, Queue};
use rusqlite::{params, Connection};
use std::time::{Duration, Instant};

fn temp_store() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite").display().to_string();
    (dir, path)
}

fn raw_connection(path: &str) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE jobs (id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT);",
    )
    .unwrap();
    conn
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

fn handler_jobs(n: usize, concurrency: usize) -> f64 {
    let (_dir, path) = temp_store();
    let q = Queue::open(&path).unwrap();
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        q.dispatch_many(chunk.iter().map(|_| Job::handler("noop")).collect())
            .unwrap();
    }
    q.worker()
        .handle("noop", |_| Ok(()))
        .concurrency(concurrency)
        .stop_when_empty()
        .sleep(Duration::from_millis(10))
        .run()
        .unwrap();
    rate(n, started.elapsed())
}

fn raw_cycles(n: usize) -> f64 {
    let (_dir, path) = temp_store();
    let mut conn = raw_connection(&path);
    let payload = "x".repeat(300);
    let started = Instant::now();
    for _ in 0..n {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "INSERT INTO jobs (queue, payload, available_at) VALUES ('default', ?1, 0)",
            [&payload],
        )
        .unwrap();
        tx.commit().unwrap();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "DELETE FROM jobs WHERE id = (SELECT id FROM jobs ORDER BY id LIMIT 1)",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    rate(n, started.elapsed())
}

fn bulk_dispatch(n: usize) -> f64 {
    let (_dir, path) = temp_store();
    let q = Queue::open(&path).unwrap();
    let jobs: Vec<Job> = (0..n).map(|_| Job::command(["true"])).collect();
    let started = Instant::now();
    q.dispatch_many(jobs).unwrap();
    rate(n, started.elapsed())
}

fn raw_bulk(n: usize) -> f64 {
    let (_dir, path) = temp_store();
    let mut conn = raw_connection(&path);
    let payload = "x".repeat(300);
    let started = Instant::now();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO jobs (queue, payload, available_at) VALUES ('default', ?1, ?2)")
            .unwrap();
        for i in 0..n {
            insert.execute(params![payload, i as i64]).unwrap();
        }
    }
    tx.commit().unwrap();
    rate(n, started.elapsed())
}

/// Median time of one claim (and its completion) with `queued` jobs waiting.
fn claim_with_queued(queued: usize) -> Duration {
    let (_dir, path) = temp_store();
    let q = Queue::open(&path).unwrap();
    for chunk in (0..queued).collect::<Vec<_>>().chunks(10_000) {
        q.dispatch_many(chunk.iter().map(|_| Job::handler("noop")).collect())
            .unwrap();
    }
    let rounds = 200.min(queued) as u64;
    let started = Instant::now();
    q.worker()
        .handle("noop", |_| Ok(()))
        .max_jobs(rounds)
        .stop_when_empty()
        .run()
        .unwrap();
    started.elapsed() / rounds as u32
}

fn main() {
    // `cargo test --benches` runs this too: keep that quick.
    let quick = std::env::args().any(|a| a == "--test" || a == "--quick");
    let n = if quick { 2_000 } else { 20_000 };
    let bulk = if quick { 5_000 } else { 50_000 };

    println!("queue throughput (release build: `cargo bench`)");
    let raw = raw_cycles(n);
    for c in [1, 8, 32] {
        println!(
            "  no-op handler jobs, {n}, concurrency {c}: {:>8.0} jobs/s   (limit: INSERT+DELETE txns {:>8.0}/s, {:.2}x)",
            handler_jobs(n, c),
            raw,
            handler_jobs(n, c) / raw
        );
    }
    let (ours, theirs) = (bulk_dispatch(bulk), raw_bulk(bulk));
    println!(
        "  bulk dispatch of {bulk} jobs, one transaction: {ours:>8.0} jobs/s   (limit: raw INSERTs {theirs:>8.0} rows/s, {:.2}x)",
        ours / theirs
    );
    let sizes: &[usize] = if quick {
        &[100, 10_000]
    } else {
        &[100, 10_000, 100_000]
    };
    for &queued in sizes {
        println!(
            "  claim + complete with {queued:>6} queued: {:>7.1} us per job",
            claim_with_queued(queued).as_secs_f64() * 1e6
        );
    }
}
