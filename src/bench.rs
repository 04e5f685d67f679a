//! `queue bench` and `cargo bench`: measure this machine, each figure of the queue beside the
//! machine's own limit for the same work, measured in the same run: in a temporary directory
//! with a store of its own per figure, or on the store given (`place`).
//!
//! Not library API: `benches/throughput.rs` compiles this file into the benchmark as a module
//! of its own, so it may use only the library's public modules (`api`, `clock`) and the
//! package's dependencies.

// A path of its own: `benches/throughput.rs` includes this file by #[path], and children of
// such a file are looked up beside it.
#[path = "bench/place.rs"]
mod place;

use crate::api::Job;
use anyhow::Result;
use place::stop_worker;
pub use place::{Place, Site};
use serde::Serialize;
use std::path::Path;
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

/// Dispatch `n` jobs of the `noop` handler to the site's queue, 5,000 a transaction.
fn dispatch_noop(q: &crate::api::Queue, site: &Site, n: usize) -> Result<()> {
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        q.dispatch_many(
            chunk
                .iter()
                .map(|_| Job::handler("noop").queue(&site.queue))
                .collect(),
        )?;
    }
    Ok(())
}

/// No-op Rust-handler jobs end to end: dispatched in bulk, reserved, run, completed.
pub fn handler_jobs(site: &Site, n: usize, concurrency: usize) -> Result<f64> {
    Ok(handler_run(site, n, concurrency)?.end_to_end)
}

/// The rates of one run of no-op Rust-handler jobs.
// The drain alone is printed by `cargo bench -- --library` only, not by `queue bench`.
#[allow(dead_code)]
pub struct HandlerRun {
    /// From the first dispatch to the worker's return.
    pub end_to_end: f64,
    /// From the worker's start to its return (the jobs all queued before).
    pub drain: f64,
}

/// `handler_jobs`, with the drain alone timed too.
pub fn handler_run(site: &Site, n: usize, concurrency: usize) -> Result<HandlerRun> {
    let q = site.open()?;
    let started = Instant::now();
    dispatch_noop(&q, site, n)?;
    let draining = Instant::now();
    q.worker()
        .handle("noop", |_| Ok(()))
        .claim_ahead()
        .queues(&[&site.queue])
        .concurrency(concurrency)
        .stop_when_empty()
        .sleep(Duration::from_millis(10))
        .run()?;
    Ok(HandlerRun {
        end_to_end: rate(n, started.elapsed()),
        drain: rate(n, draining.elapsed()),
    })
}

/// Jobs per transaction in `grouped_writes`.
#[allow(dead_code)] // `cargo bench -- --library` only
pub const GROUP: usize = 256;

/// The limit for the library's drain on SQLite: the rows a no-op job writes from its claim to
/// its end (the claim's UPDATE, its `job.processing` event, its attempt, the job's DELETE, its
/// finished row and `job.processed` event), as bare statements on the store's own tables and
/// indexes, `GROUP` jobs a transaction, with `n` jobs dispatched through the library first (not
/// timed; the drain is). None on PostgreSQL.
#[allow(dead_code)] // `cargo bench -- --library` only
pub fn grouped_writes(site: &Site, n: usize) -> Result<Option<f64>> {
    if site.database.starts_with("postgres") {
        return Ok(None);
    }
    let q = site.open()?;
    dispatch_noop(&q, site, n)?;
    let mut conn = rusqlite::Connection::open(&site.database)?;
    conn.execute_batch("PRAGMA synchronous = NORMAL")?;
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now = crate::clock::system_now_us() / 1000;
        let claimed: Vec<(i64, String, String, String)> = tx
            .prepare_cached(
                "UPDATE jobs SET reserved_at = ?2, lease_expires_at = ?2 + 60000, worker_id = 'w',
                    token = printf('%012x', ?2) || lower(hex(randomblob(10))), intent = NULL,
                    attempts = attempts + 1
                 WHERE id IN (SELECT id FROM jobs WHERE queue = ?1 AND reserved_at IS NULL
                              AND available_at <= ?2 ORDER BY available_at, id LIMIT ?3)
                 RETURNING id, uuid, token, payload",
            )?
            .query_map(rusqlite::params![site.queue, now, GROUP as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        anyhow::ensure!(!claimed.is_empty(), "the jobs ran out after {done}");
        let event = "INSERT INTO job_events (event, at, uuid, name, queue, attempt, worker)
                     VALUES (?1, ?2, ?3, 'noop', ?4, 1, 'w')";
        for (_, uuid, _, _) in &claimed {
            tx.prepare_cached(event)?.execute(rusqlite::params![
                "job.processing",
                now,
                uuid,
                site.queue
            ])?;
        }
        for (id, uuid, token, payload) in &claimed {
            tx.prepare_cached(
                "INSERT INTO job_attempts (token, uuid, attempt, started_at, finished_at, worker,
                                           timed_out, outcome, output)
                 VALUES (?1, ?2, 1, ?3, ?3, 'w', 0, 'succeeded', '')",
            )?
            .execute(rusqlite::params![token, uuid, now])?;
            tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?
                .execute([id])?;
            tx.prepare_cached(
                "INSERT OR REPLACE INTO finished_jobs (uuid, queue, name, payload, attempts,
                                                       exceptions, output, created_at, finished_at)
                 VALUES (?1, ?2, 'noop', ?3, 1, 0, '', ?4, ?4)",
            )?
            .execute(rusqlite::params![uuid, site.queue, payload, now])?;
            tx.prepare_cached(event)?.execute(rusqlite::params![
                "job.processed",
                now,
                uuid,
                site.queue
            ])?;
        }
        tx.commit()?;
        done += claimed.len();
    }
    Ok(Some(rate(n, started.elapsed())))
}

/// Dispatch `n` jobs in one transaction through the library.
pub fn bulk_dispatch(site: &Site, n: usize) -> Result<f64> {
    let q = site.open()?;
    let jobs: Vec<Job> = (0..n)
        .map(|_| Job::command(["true"]).queue(&site.queue))
        .collect();
    let started = Instant::now();
    q.dispatch_many(jobs)?;
    Ok(rate(n, started.elapsed()))
}

/// Time of one claim and completion with `queued` jobs waiting (it should not grow).
pub fn claim_with_queued(site: &Site, queued: usize) -> Result<Duration> {
    let q = site.open()?;
    dispatch_noop(&q, site, queued)?;
    let rounds = 200.min(queued).max(1) as u64;
    let started = Instant::now();
    q.worker()
        .handle("noop", |_| Ok(()))
        .queues(&[&site.queue])
        .max_jobs(rounds)
        .stop_when_empty()
        .run()?;
    Ok(started.elapsed() / rounds as u32)
}

/// Drain `n` queued `true` jobs with one `queue work` process.
pub fn drain_true(exe: &Path, site: &Site, n: usize, concurrency: usize) -> Result<f64> {
    let q = site.open()?;
    q.dispatch_many(
        (0..n)
            .map(|_| Job::command(["true"]).queue(&site.queue))
            .collect(),
    )?;
    let started = Instant::now();
    let status = Command::new(exe)
        .args([
            "work",
            "--stop-when-empty",
            "--quiet",
            "--queue",
            &site.queue,
        ])
        .arg("--concurrency")
        .arg(concurrency.to_string())
        .env("QUEUE_DATABASE", &site.database)
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

/// Milliseconds per `queue dispatch` process.
pub fn dispatch_process(exe: &Path, site: &Site, n: usize) -> Result<f64> {
    site.open()?;
    let started = Instant::now();
    for _ in 0..n {
        let status = Command::new(exe)
            .args(["dispatch", "-q", "--queue", &site.queue, "--", "true"])
            .env("QUEUE_DATABASE", &site.database)
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "queue dispatch failed: {status}");
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / n as f64)
}

/// Pickup latency of an idle worker (`--sleep 3`): milliseconds from just before a dispatch to
/// the job's first instruction, for `n` jobs offered 100 a second, the library dispatching
/// through one connection as a long-lived program would. Returns (p50, p99).
pub fn pickup(exe: &Path, site: &Site, n: usize) -> Result<(f64, f64)> {
    let q = site.open()?;
    let mut worker = Command::new(exe)
        .args(["work", "--sleep", "3", "--quiet", "--queue", &site.queue])
        .env("QUEUE_DATABASE", &site.database)
        .spawn()?;
    std::thread::sleep(Duration::from_millis(500));
    let mut sent = Vec::new();
    for i in 0..n {
        let file = site.scratch.root.join(format!("job-{i}"));
        let t0 = crate::clock::system_now_us();
        q.dispatch(
            Job::command(["touch".to_string(), file.display().to_string()]).queue(&site.queue),
        )?;
        sent.push((file, t0));
        std::thread::sleep(Duration::from_millis(10));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sent.iter().all(|(f, _)| f.exists()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop_worker(&mut worker, Duration::from_secs(5));
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

/// Run one figure on its own site of `place`, then clear that site.
pub fn on<T>(place: &Place, figure: &str, measure: impl FnOnce(&Site) -> Result<T>) -> Result<T> {
    let site = place.site(figure)?;
    let value = measure(&site);
    // Cleared even when the figure failed: the bench leaves no queued jobs behind.
    let cleared = site.done();
    let value = value?;
    cleared?;
    Ok(value)
}

/// Every figure, measured on `place`; `quick` uses smaller counts.
pub fn run_all(exe: Option<&Path>, place: &Place, quick: bool) -> Result<Vec<Figure>> {
    let (n, bulk, drain, procs) = if quick {
        (2_000, 5_000, 300, 30)
    } else {
        (20_000, 50_000, 2_000, 200)
    };
    let mut figures = Vec::new();
    let mut raw = place.raw()?;
    let cycles = raw.cycles(n)?;
    for c in [1, 32] {
        figures.push(Figure {
            what: format!("no-op Rust-handler jobs, concurrency {c}"),
            value: on(place, &format!("handlers{c}"), |s| handler_jobs(s, n, c))?,
            unit: "jobs/s",
            limit_what: Some("INSERT + DELETE transactions".into()),
            limit: Some(cycles),
        });
    }
    figures.push(Figure {
        what: format!("bulk dispatch of {bulk} jobs (library, one transaction)"),
        value: on(place, "bulk", |s| bulk_dispatch(s, bulk))?,
        unit: "jobs/s",
        limit_what: Some("raw INSERTs in one transaction".into()),
        limit: Some(raw.bulk(bulk)?),
    });
    for queued in [100, 10_000] {
        figures.push(Figure {
            what: format!("claim + complete with {queued} jobs queued"),
            value: on(place, &format!("depth{queued}"), |s| {
                claim_with_queued(s, queued)
            })?
            .as_secs_f64()
                * 1e6,
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
                value: on(place, &format!("drain{c}"), |s| {
                    drain_true(exe, s, drain, c)
                })?,
                unit: "jobs/s",
                limit_what: Some("spawning `true`, 2 at a time".into()),
                limit: Some(xargs),
            });
        }
        let ours = on(place, "dispatch", |s| dispatch_process(exe, s, procs))?;
        let cli = raw.cli_insert(procs);
        let cli_name = if place.is_postgres() {
            "psql"
        } else {
            "sqlite3"
        };
        figures.push(Figure {
            what: "one `queue dispatch` process".into(),
            value: ours,
            unit: "ms",
            limit_what: cli.map(|_| format!("one `{cli_name}` CLI insert")),
            limit: cli,
        });
        let jobs = if quick { 30 } else { 100 };
        let (p50, p99) = on(place, "pickup", |s| pickup(exe, s, jobs))?;
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
