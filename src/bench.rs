//! `queue bench` and `cargo bench`: measure this machine, each figure of the queue beside the
//! machine's own limit for the same work, measured in the same run. Everything runs in a
//! temporary directory with its own store.
//!
//! Not library API: `benches/throughput.rs` compiles this file into the benchmark as a module
//! of its own, so it may use only the library's public modules (`api`, `clock`) and the
//! package's dependencies.

use crate::api::{Job, Queue};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, TransactionBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, UNIX_EPOCH};

/// One measured figure and the limit it is compared with.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub what: String,
    pub value: f64,
    pub unit: &'static str,
    pub limit_what: Option<String>,
    pub limit: Option<f64>,
}

impl Figure {
    /// value / limit, for rates (higher is better) and times (lower is better) alike.
    pub fn ratio(&self) -> Option<f64> {
        self.limit.map(|l| self.value / l)
    }
}

/// The widest line `render` writes: the figures fit a 100-column terminal.
pub const RENDER_WIDTH: usize = 100;

/// The figures as plain lines that fit `RENDER_WIDTH` columns: each figure on one line, the
/// limit it is compared with (and the ratio) on the next, indented.
pub fn render(figures: &[Figure]) -> String {
    fn cut(text: &str, width: usize) -> String {
        if text.chars().count() <= width {
            text.to_string()
        } else {
            let mut cut: String = text.chars().take(width - 1).collect();
            cut.push('…');
            cut
        }
    }
    let mut out = String::new();
    for f in figures {
        out.push_str(&format!(
            "{:<60} {:>12.1} {}\n",
            cut(&f.what, 60),
            f.value,
            f.unit
        ));
        if let (Some(what), Some(limit), Some(ratio)) = (&f.limit_what, f.limit, f.ratio()) {
            let tail = format!(": {limit:.1} {} ({ratio:.2}x)", f.unit);
            let room = RENDER_WIDTH - 7 - tail.chars().count().min(RENDER_WIDTH - 20);
            out.push_str(&format!("    vs {}{tail}\n", cut(what, room)));
        }
    }
    out
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
        let root = dir.path().to_path_buf();
        Ok(Scratch { _dir: dir, root })
    }

    fn store(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

fn raw_connection(path: &str) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE jobs (id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT);",
    )?;
    Ok(conn)
}

/// No-op Rust-handler jobs end to end: dispatched in bulk, reserved, run, completed.
pub fn handler_jobs(n: usize, concurrency: usize) -> Result<f64> {
    let scratch = Scratch::new()?;
    let q = Queue::open(&scratch.store("handlers.sqlite"))?;
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        q.dispatch_many(chunk.iter().map(|_| Job::handler("noop")).collect())?;
    }
    q.worker()
        .handle("noop", |_| Ok(()))
        .concurrency(concurrency)
        .stop_when_empty()
        .sleep(Duration::from_millis(10))
        .run()?;
    Ok(rate(n, started.elapsed()))
}

/// The machine's limit for a job's store work: one INSERT and one DELETE transaction.
pub fn raw_cycles(n: usize) -> Result<f64> {
    let scratch = Scratch::new()?;
    let mut conn = raw_connection(&scratch.store("raw.sqlite"))?;
    let payload = "x".repeat(300);
    let started = Instant::now();
    for _ in 0..n {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO jobs (queue, payload, available_at) VALUES ('default', ?1, 0)",
            [&payload],
        )?;
        tx.commit()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM jobs WHERE id = (SELECT id FROM jobs ORDER BY id LIMIT 1)",
            [],
        )?;
        tx.commit()?;
    }
    Ok(rate(n, started.elapsed()))
}

/// Dispatch `n` jobs in one transaction through the library.
pub fn bulk_dispatch(n: usize) -> Result<f64> {
    let scratch = Scratch::new()?;
    let q = Queue::open(&scratch.store("bulk.sqlite"))?;
    let jobs: Vec<Job> = (0..n).map(|_| Job::command(["true"])).collect();
    let started = Instant::now();
    q.dispatch_many(jobs)?;
    Ok(rate(n, started.elapsed()))
}

/// The limit for bulk dispatch: `n` raw INSERTs of rows of the same size in one transaction.
pub fn raw_bulk(n: usize) -> Result<f64> {
    let scratch = Scratch::new()?;
    let mut conn = raw_connection(&scratch.store("rawbulk.sqlite"))?;
    let payload = "x".repeat(300);
    let started = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO jobs (queue, payload, available_at) VALUES ('default', ?1, ?2)",
        )?;
        for i in 0..n {
            insert.execute(params![payload, i as i64])?;
        }
    }
    tx.commit()?;
    Ok(rate(n, started.elapsed()))
}

/// Time of one claim and completion with `queued` jobs waiting (it should not grow).
pub fn claim_with_queued(queued: usize) -> Result<Duration> {
    let scratch = Scratch::new()?;
    let q = Queue::open(&scratch.store("depth.sqlite"))?;
    for chunk in (0..queued).collect::<Vec<_>>().chunks(10_000) {
        q.dispatch_many(chunk.iter().map(|_| Job::handler("noop")).collect())?;
    }
    let rounds = 200.min(queued).max(1) as u64;
    let started = Instant::now();
    q.worker()
        .handle("noop", |_| Ok(()))
        .max_jobs(rounds)
        .stop_when_empty()
        .run()?;
    Ok(started.elapsed() / rounds as u32)
}

/// Drain `n` queued `true` jobs with one `queue work` process.
pub fn drain_true(exe: &Path, n: usize, concurrency: usize) -> Result<f64> {
    let scratch = Scratch::new()?;
    let store = scratch.store("drain.sqlite");
    let q = Queue::open(&store)?;
    q.dispatch_many((0..n).map(|_| Job::command(["true"])).collect())?;
    let started = Instant::now();
    let status = Command::new(exe)
        .args(["work", "--stop-when-empty", "--quiet", "--concurrency"])
        .arg(concurrency.to_string())
        .env("QUEUE_DATABASE", &store)
        .status()?;
    anyhow::ensure!(status.success(), "the worker failed: {status}");
    Ok(rate(n, started.elapsed()))
}

/// The limit for draining: run `true` n times, `parallel` at a time (like `xargs -P`).
pub fn spawn_true(n: usize, parallel: usize) -> Result<f64> {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..parallel {
            scope.spawn(move || {
                for _ in (t..n).step_by(parallel) {
                    let _ = Command::new("true").status();
                }
            });
        }
    });
    Ok(rate(n, started.elapsed()))
}

/// Milliseconds per `queue dispatch` process, and per `sqlite3` CLI insert when it exists.
pub fn dispatch_process(exe: &Path, n: usize) -> Result<(f64, Option<f64>)> {
    let scratch = Scratch::new()?;
    let store = scratch.store("procs.sqlite");
    Queue::open(&store)?;
    let started = Instant::now();
    for _ in 0..n {
        Command::new(exe)
            .args(["dispatch", "-q", "--", "true"])
            .env("QUEUE_DATABASE", &store)
            .stdout(Stdio::null())
            .status()?;
    }
    let ours = started.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let raw = scratch.store("cli.sqlite");
    drop(raw_connection(&raw)?);
    let sqlite3 = (|| -> Option<f64> {
        let row = "INSERT INTO jobs (queue, payload, available_at) VALUES ('default', '{\"command\":[\"true\"]}', 0)";
        let started = Instant::now();
        for _ in 0..n {
            let ok = Command::new("sqlite3")
                .args([&raw, row])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .ok()?
                .success();
            if !ok {
                return None;
            }
        }
        Some(started.elapsed().as_secs_f64() * 1000.0 / n as f64)
    })();
    Ok((ours, sqlite3))
}

/// Pickup latency of an idle worker (`--sleep 3`): milliseconds from just before a dispatch to
/// the job's first instruction, for `n` jobs offered 100 a second. Returns (p50, p99).
pub fn pickup(exe: &Path, n: usize) -> Result<(f64, f64)> {
    let scratch = Scratch::new()?;
    pickup_at(exe, &scratch.store("pickup.sqlite"), n)
}

/// `pickup` on a given store (a path or a `postgres://` URL; its queue `default` should be
/// empty): the library dispatches through one connection, as a long-lived program would.
pub fn pickup_at(exe: &Path, store: &str, n: usize) -> Result<(f64, f64)> {
    let scratch = Scratch::new()?;
    let q = Queue::open(store)?;
    let mut worker = Command::new(exe)
        .args(["work", "--sleep", "3", "--quiet"])
        .env("QUEUE_DATABASE", store)
        .spawn()?;
    std::thread::sleep(Duration::from_millis(500));
    let mut sent = Vec::new();
    for i in 0..n {
        let file = scratch.root.join(format!("job-{i}"));
        let t0 = crate::clock::system_now_us();
        q.dispatch(Job::command([
            "touch".to_string(),
            file.display().to_string(),
        ]))?;
        sent.push((file, t0));
        std::thread::sleep(Duration::from_millis(10));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sent.iter().all(|(f, _)| f.exists()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = worker.kill();
    let _ = worker.wait();
    let mut ms: Vec<f64> = sent
        .iter()
        .filter_map(|(f, t0)| {
            // The file's time against the system clock (unshifted, as file times are).
            let ran = std::fs::metadata(f).ok()?.modified().ok()?;
            let ran_us = ran
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_micros() as i64;
            Some((ran_us - t0).max(0) as f64 / 1000.0)
        })
        .collect();
    anyhow::ensure!(
        ms.len() == n,
        "only {} of {n} jobs ran within 30 s",
        ms.len()
    );
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    Ok((at(0.5), at(0.99)))
}

/// Every figure; `quick` uses smaller counts.
pub fn run_all(exe: Option<&Path>, quick: bool) -> Result<Vec<Figure>> {
    let (n, bulk, drain, procs) = if quick {
        (2_000, 5_000, 300, 30)
    } else {
        (20_000, 50_000, 2_000, 200)
    };
    let mut figures = Vec::new();
    let raw = raw_cycles(n)?;
    for c in [1, 32] {
        figures.push(Figure {
            what: format!("no-op Rust-handler jobs, concurrency {c}"),
            value: handler_jobs(n, c)?,
            unit: "jobs/s",
            limit_what: Some("INSERT + DELETE transactions".into()),
            limit: Some(raw),
        });
    }
    figures.push(Figure {
        what: format!("bulk dispatch of {bulk} jobs (library, one transaction)"),
        value: bulk_dispatch(bulk)?,
        unit: "jobs/s",
        limit_what: Some("raw INSERTs in one transaction".into()),
        limit: Some(raw_bulk(bulk)?),
    });
    for queued in [100, 10_000] {
        figures.push(Figure {
            what: format!("claim + complete with {queued} jobs queued"),
            value: claim_with_queued(queued)?.as_secs_f64() * 1e6,
            unit: "us/job",
            limit_what: None,
            limit: None,
        });
    }
    if let Some(exe) = exe {
        let xargs = spawn_true(drain, 2)?;
        for c in [1, 2] {
            figures.push(Figure {
                what: format!("drain {drain} `true` jobs, one worker, --concurrency {c}"),
                value: drain_true(exe, drain, c)?,
                unit: "jobs/s",
                limit_what: Some("spawning `true`, 2 at a time".into()),
                limit: Some(xargs),
            });
        }
        let (ours, sqlite3) = dispatch_process(exe, procs)?;
        figures.push(Figure {
            what: "one `queue dispatch` process".into(),
            value: ours,
            unit: "ms",
            limit_what: sqlite3.map(|_| "one `sqlite3` CLI insert".into()),
            limit: sqlite3,
        });
        let (p50, p99) = pickup(exe, if quick { 30 } else { 100 })?;
        for (label, v) in [("p50", p50), ("p99", p99)] {
            figures.push(Figure {
                what: format!("idle pickup {label}, --sleep 3"),
                value: v,
                unit: "ms",
                limit_what: None,
                limit: None,
            });
        }
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rendered_figures_fit_100_columns() {
        use super::{render, Figure, RENDER_WIDTH};
        let figure = |what: &str, limit_what: Option<&str>| Figure {
            what: what.into(),
            value: 123_456_789.123,
            unit: "jobs/s",
            limit_what: limit_what.map(Into::into),
            limit: limit_what.map(|_| 987_654_321.5),
        };
        let text = render(&[
            figure(
                "drain 2000 `true` jobs, one worker, --concurrency 2",
                Some("spawning `true`, 2 at a time"),
            ),
            figure(
                "bulk dispatch of 50000 jobs (library, one transaction)",
                Some("raw INSERTs in one transaction"),
            ),
            figure("claim + complete with 10000 jobs queued", None),
            figure(
                &"a very long figure ".repeat(10),
                Some(&"a long limit ".repeat(12)),
            ),
        ]);
        for line in text.lines() {
            assert!(
                line.chars().count() <= RENDER_WIDTH,
                "{} > 100: {line}",
                line.len()
            );
        }
        assert!(text.contains("    vs spawning `true`, 2 at a time: 987654321.5 jobs/s (0.12x)"));
        assert_eq!(text.lines().count(), 7);
    }
}
