//! `queue`'s side of `bench/peers.sh`: the library's Rust-handler worker measured as the peers'
//! in-process handlers are, on a store given by path or `postgres://` URL.
//!
//! ```text
//! cargo run --release --example peer -- noop STORE N CONCURRENCY   # jobs/s of the drain
//! cargo run --release --example peer -- pickup STORE N             # p50 p99 in ms
//! ```
//!
//! `noop` dispatches N no-op handler jobs (not timed), then times one library worker of
//! CONCURRENCY slots draining them (`stop_when_empty`), and checks that each ran exactly once.
//! `pickup` runs an idle library worker (`--sleep 3`) on a thread of its own and dispatches N
//! jobs at 100/s through another connection; a job's latency is from just before its dispatch to
//! its handler's first instruction, on the same clock.

use anyhow::{bail, ensure, Context, Result};
use queue::api::{Job, Queue};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> Result<usize> {
        args.get(i)
            .with_context(|| format!("argument {i} is missing"))?
            .parse()
            .with_context(|| format!("argument {i} is not a number"))
    };
    match args.first().map(String::as_str) {
        Some("noop") => {
            let rate = noop(&args[1], number(2)?, number(3)?)?;
            println!("{rate:.0}");
        }
        Some("pickup") => {
            let (p50, p99) = pickup(&args[1], number(2)?)?;
            println!("{p50:.2} {p99:.2}");
        }
        _ => bail!("usage: peer noop STORE N CONCURRENCY | peer pickup STORE N"),
    }
    Ok(())
}

/// Jobs/s of a library worker draining `n` queued no-op jobs.
fn noop(store: &str, n: usize, concurrency: usize) -> Result<f64> {
    let q = Queue::open(store)?;
    q.migrate()?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
        q.dispatch_many(
            chunk
                .iter()
                .map(|i| Job::handler("noop").payload(serde_json::json!({ "i": i })))
                .collect(),
        )?;
    }
    let seen = Arc::new(Mutex::new(HashSet::with_capacity(n)));
    let twice = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let (s, t) = (Arc::clone(&seen), Arc::clone(&twice));
    q.worker()
        .handle("noop", move |ctx| {
            let i = ctx.payload["i"].as_u64().unwrap_or(u64::MAX);
            if !s.lock().expect("not poisoned").insert(i) {
                t.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .concurrency(concurrency)
        .stop_when_empty()
        .sleep(Duration::from_millis(10))
        .run()?;
    let took = started.elapsed();
    let ran = seen.lock().expect("not poisoned").len();
    ensure!(
        ran == n && twice.load(Ordering::Relaxed) == 0,
        "{ran} of {n} jobs ran, {} twice",
        twice.load(Ordering::Relaxed)
    );
    Ok(n as f64 / took.as_secs_f64())
}

/// (p50, p99) ms from just before a library dispatch to the handler's first instruction.
fn pickup(store: &str, n: usize) -> Result<(f64, f64)> {
    let q = Queue::open(store)?;
    q.migrate()?;
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let worker_store = store.to_string();
    let seen = Arc::clone(&latencies);
    std::thread::spawn(move || -> Result<()> {
        Queue::open(&worker_store)?
            .worker()
            .handle("pickup", move |ctx| {
                let now = queue::clock::system_now_us();
                let t0 = ctx.payload["t0"].as_i64().unwrap_or(now);
                seen.lock()
                    .expect("not poisoned")
                    .push((now - t0) as f64 / 1000.0);
                Ok(())
            })
            .sleep(Duration::from_secs(3))
            .max_jobs(n as u64)
            .run()?;
        Ok(())
    });
    // Let the worker go idle first (connected, listening, its first claim found nothing).
    std::thread::sleep(Duration::from_secs(1));
    for _ in 0..n {
        let t0 = queue::clock::system_now_us();
        q.dispatch(Job::handler("pickup").payload(serde_json::json!({ "t0": t0 })))?;
        let spent = Duration::from_micros((queue::clock::system_now_us() - t0).max(0) as u64);
        std::thread::sleep(Duration::from_millis(10).saturating_sub(spent));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while latencies.lock().expect("not poisoned").len() < n {
        ensure!(Instant::now() < deadline, "not every job ran within 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut ms = latencies.lock().expect("not poisoned").clone();
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    Ok((at(0.5), at(0.99)))
}
