//! Job middleware with every counter and lock in the store, checked with several worker
//! processes: `--without-overlapping KEY`, `--funnel KEY=N`, `--rate-limit KEY=N/SECONDS`
//! and `--throttle-exceptions MAX/SECONDS[@KEY]`. A held-back job uses an attempt and comes
//! back after the right delay (the window's end, or the lock holder's release), never in a
//! busy loop. Windows are crossed with `env.advance`.

use crate::util::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::process::Child;
use std::time::Duration;

/// `n` drains at once, as separate processes.
fn drain_together(env: &TestEnv, n: usize) {
    let workers: Vec<Child> = (0..n)
        .map(|_| env.spawn(&["work", "--stop-when-empty", "--sleep", "0.05", "--quiet"]))
        .collect();
    for w in workers {
        let out = wait_exit(w, LIMIT);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
}

fn start_workers(env: &TestEnv, n: usize) -> Vec<Child> {
    (0..n)
        .map(|_| env.spawn(&["work", "--sleep", "0.05", "--quiet"]))
        .collect()
}

fn stop_workers(workers: Vec<Child>) {
    for w in &workers {
        send_signal(w, libc::SIGTERM);
    }
    for w in workers {
        let out = wait_exit(w, LIMIT);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
}

fn queued(env: &TestEnv) -> i64 {
    env.json(&["status"])["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            q["pending"].as_i64().unwrap()
                + q["delayed"].as_i64().unwrap()
                + q["reserved"].as_i64().unwrap()
        })
        .sum()
}

fn failed_count(env: &TestEnv) -> usize {
    env.json(&["failed"]).as_array().unwrap().len()
}

/// A shell script that logs `start NS ID` and `end NS ID` around `sleep SECS`.
fn timed_script(log: &Path, sleep: &str) -> String {
    format!(
        "echo \"start $(date +%s%N) $QUEUE_JOB_ID\" >> '{log}'; sleep {sleep}; echo \"end $(date +%s%N) $QUEUE_JOB_ID\" >> '{log}'",
        log = log.display()
    )
}

/// Dispatch `n` jobs in one transaction (so that idle workers race for them), each with the
/// given options; returns their uuids.
fn dispatch_many(env: &TestEnv, n: usize, job: Value) -> Vec<String> {
    let body: String = (0..n).map(|_| job.to_string() + "\n").collect();
    let file = env.write("jobs.jsonl", &body);
    env.ok(&["dispatch", "--file", file.to_str().unwrap()])
        .lines()
        .map(String::from)
        .collect()
}

/// The run intervals in the log, one per job: (start ns, end ns). Each job must have run once.
fn intervals(log: &Path, uuids: &[String]) -> Vec<(u128, u128)> {
    let mut by_job: HashMap<String, (Vec<u128>, Vec<u128>)> = HashMap::new();
    for line in lines(log) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts.len(), 3, "bad log line {line:?}");
        let at: u128 = parts[1].parse().unwrap();
        let entry = by_job.entry(parts[2].to_string()).or_default();
        match parts[0] {
            "start" => entry.0.push(at),
            "end" => entry.1.push(at),
            other => panic!("bad log line {other}"),
        }
    }
    let mut out = Vec::new();
    for uuid in uuids {
        let (starts, ends) = by_job
            .get(uuid)
            .unwrap_or_else(|| panic!("job {uuid} never ran"));
        assert_eq!(
            (starts.len(), ends.len()),
            (1, 1),
            "job {uuid} ran more than once"
        );
        out.push((starts[0], ends[0]));
    }
    assert_eq!(by_job.len(), uuids.len(), "unknown jobs in the log");
    out
}

/// The most intervals running at one instant.
fn max_overlap(intervals: &[(u128, u128)]) -> usize {
    let mut events: Vec<(u128, i32)> = intervals
        .iter()
        .flat_map(|&(s, e)| [(s, 1), (e, -1)])
        .collect();
    // At a tie, an end comes before a start.
    events.sort();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, d) in events {
        now += d;
        max = max.max(now);
    }
    max as usize
}

fn total_attempts(env: &TestEnv, uuids: &[String]) -> i64 {
    uuids
        .iter()
        .map(|u| env.show(u)["attempt_count"].as_i64().unwrap())
        .sum()
}

/// A queue.toml with a short retry_after, so that anything waiting on a lease is quick.
fn short_lease(env: &TestEnv) {
    env.write(
        "queue.toml",
        "default = \"local\"\n[connections.local]\nretry_after = 5\n",
    );
}

// Without overlapping -------------------------------------------------------------------------

#[test]
fn without_overlapping_never_runs_two_jobs_with_one_key_at_once_across_three_workers() {
    let env = TestEnv::new();
    short_lease(&env);
    env.ok(&["migrate"]);
    let log = env.path().join("runs.log");
    let workers = start_workers(&env, 3);
    let uuids = dispatch_many(
        &env,
        6,
        json!({
            "shell": timed_script(&log, "0.3"),
            "without_overlapping": "media",
            "tries": 20,
        }),
    );
    // Another key is not held back by this one.
    let free = env.dispatch(&["--without-overlapping", "other", "--", "touch", "other-ran"]);
    wait_until(LIMIT, "every job to run", || {
        lines(&log).iter().filter(|l| l.starts_with("end")).count() == 6
            && env.path().join("other-ran").exists()
    });
    wait_until(LIMIT, "an empty queue", || queued(&env) == 0);
    stop_workers(workers);

    let runs = intervals(&log, &uuids);
    assert_eq!(max_overlap(&runs), 1, "two jobs ran at once: {runs:?}");
    for uuid in &uuids {
        assert_eq!(env.state(uuid), "done");
    }
    assert_eq!(env.state(&free), "done");
    assert_eq!(failed_count(&env), 0);
    // Jobs that found the key busy were released, each release using an attempt.
    let attempts = total_attempts(&env, &uuids);
    assert!(
        attempts > 6,
        "no job was ever held back ({attempts} attempts)"
    );
    assert!(attempts < 6 * 20, "held-back jobs came back in a loop");
}

#[test]
fn a_held_back_job_waits_for_the_lock_holder_and_is_not_retried_in_a_loop() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet", "--concurrency", "2"]);
    let holder = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--",
        "sh",
        "-c",
        "touch held; while [ ! -e go ]; do sleep 0.05; done",
    ]);
    wait_until(LIMIT, "the holder to start", || {
        env.path().join("held").exists()
    });
    let before = now_ms(&env);
    let waiter = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--tries",
        "5",
        "--",
        "touch",
        "waiter-ran",
    ]);
    wait_until(LIMIT, "the waiter to be held back", || {
        let job = env.show(&waiter);
        job["state"] == "delayed" && job["attempt_count"] == 1
    });
    // It waits for the release (or, were the holder to die, for retry_after: 90 s here), and
    // an idle worker polling every 50 ms does not take it again meanwhile.
    let job = env.show(&waiter);
    assert!(
        rfc3339_ms(&job["available_at"]) >= before + 89_000,
        "{job:#}"
    );
    std::thread::sleep(Duration::from_millis(500));
    let job = env.show(&waiter);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("delayed"), Some(1))
    );
    assert!(!env.path().join("waiter-ran").exists());
    assert_eq!(env.state(&holder), "reserved");

    // The holder ends: the waiter comes back at once and runs on its second attempt.
    std::fs::write(env.path().join("go"), "").unwrap();
    wait_until(LIMIT, "the waiter to run", || env.state(&waiter) == "done");
    assert_eq!(env.show(&waiter)["attempt_count"], 2);
    assert!(env.path().join("waiter-ran").exists());
    assert_eq!(env.state(&holder), "done");
    stop_workers(vec![worker]);
}

/// A lock (overlap key or funnel slot) held by a worker that is killed is freed with its
/// lease: after retry_after another job with the key runs.
fn a_dead_workers_lock_is_freed_with_its_lease(flag: &str, value: &str) {
    let env = TestEnv::new();
    short_lease(&env);
    let first = env.dispatch(&[flag, value, "--", "sh", "-c", "touch started; sleep 30"]);
    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet"]);
    wait_until(LIMIT, "the first job to start", || {
        env.path().join("started").exists()
    });
    send_signal(&worker, libc::SIGKILL);
    let _ = wait_exit(worker, LIMIT);

    let second = env.dispatch(&[flag, value, "--tries", "5", "--", "touch", "second-ran"]);
    // The lease of the dead worker's job has not run out: the key is busy.
    drain(&env, &[]);
    let job = env.show(&second);
    assert_eq!(job["state"], "delayed", "{job:#}");
    assert_eq!(job["attempt_count"], 1);
    assert!(!env.path().join("second-ran").exists());

    // After retry_after the dead worker's job is free again (and fails: --tries 1), and its
    // lock is gone with it.
    env.advance(secs(6));
    drain(&env, &[]);
    assert_eq!(env.state(&first), "failed");
    assert_eq!(env.state(&second), "done");
    assert!(env.path().join("second-ran").exists());
}

#[test]
fn an_overlap_lock_dies_with_the_lease_of_a_dead_worker() {
    a_dead_workers_lock_is_freed_with_its_lease("--without-overlapping", "k");
}

#[test]
fn a_funnel_slot_of_a_dead_worker_is_freed() {
    a_dead_workers_lock_is_freed_with_its_lease("--funnel", "ff=1");
}

// Funnel --------------------------------------------------------------------------------------

#[test]
fn a_funnel_runs_at_most_n_jobs_at_once_across_three_workers() {
    let env = TestEnv::new();
    short_lease(&env);
    env.ok(&["migrate"]);
    let log = env.path().join("runs.log");
    let workers = start_workers(&env, 3);
    let uuids = dispatch_many(
        &env,
        6,
        json!({"shell": timed_script(&log, "0.4"), "funnel": "ffmpeg=2", "tries": 20}),
    );
    wait_until(LIMIT, "every job to run", || {
        lines(&log).iter().filter(|l| l.starts_with("end")).count() == 6
    });
    wait_until(LIMIT, "an empty queue", || queued(&env) == 0);
    stop_workers(workers);

    let runs = intervals(&log, &uuids);
    // Never more than 2; and with 3 workers racing for 6 jobs, 2 did run side by side.
    assert_eq!(max_overlap(&runs), 2, "{runs:?}");
    assert_eq!(failed_count(&env), 0);
    assert!(total_attempts(&env, &uuids) > 6);
}

#[test]
fn a_funnel_of_one_serialises_jobs_across_workers() {
    let env = TestEnv::new();
    short_lease(&env);
    env.ok(&["migrate"]);
    let log = env.path().join("runs.log");
    let workers = start_workers(&env, 2);
    let uuids = dispatch_many(
        &env,
        4,
        json!({"shell": timed_script(&log, "0.2"), "funnel": "single=1", "tries": 20}),
    );
    wait_until(LIMIT, "every job to run", || {
        lines(&log).iter().filter(|l| l.starts_with("end")).count() == 4
    });
    wait_until(LIMIT, "an empty queue", || queued(&env) == 0);
    stop_workers(workers);
    assert_eq!(max_overlap(&intervals(&log, &uuids)), 1);
    assert_eq!(failed_count(&env), 0);
}

// Rate limit ----------------------------------------------------------------------------------

#[test]
fn a_rate_limit_allows_n_starts_per_fixed_window_across_workers() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let log = env.path().join("ran.log");
    let uuids = dispatch_many(
        &env,
        6,
        json!({
            "shell": format!("echo \"$QUEUE_JOB_ID\" >> '{}'", log.display()),
            "rate_limit": "api=2/60",
            "tries": 20,
        }),
    );
    let before = now_ms(&env);
    drain_together(&env, 3);
    let after = now_ms(&env);
    assert_eq!(lines(&log).len(), 2, "only 2 starts in the window");

    // The other 4 were held back once each, until the window's end (60 s after its first hit).
    let held: Vec<Value> = uuids
        .iter()
        .map(|u| env.show(u))
        .filter(|j| j["state"] != "done")
        .collect();
    assert_eq!(held.len(), 4);
    let ends: Vec<i64> = held
        .iter()
        .map(|j| {
            assert_eq!(j["state"], "delayed", "{j:#}");
            assert_eq!(j["attempt_count"], 1, "{j:#}");
            rfc3339_ms(&j["available_at"])
        })
        .collect();
    assert!(ends.iter().all(|&e| e == ends[0]), "{ends:?}");
    assert!(
        ends[0] >= before + 60_000 && ends[0] <= after + 60_000,
        "the window ends 60 s after its first hit: {} not in [{}, {}]",
        ends[0],
        before + 60_000,
        after + 60_000
    );

    // Another key has its own window.
    let other = env.dispatch(&["--rate-limit", "mail=2/60", "--", "touch", "mail-ran"]);
    drain(&env, &[]);
    assert_eq!(env.state(&other), "done");
    assert_eq!(lines(&log).len(), 2);

    // Not before the window ends.
    env.advance(secs(55));
    drain_together(&env, 3);
    assert_eq!(lines(&log).len(), 2);

    env.advance(secs(6));
    drain_together(&env, 3);
    assert_eq!(lines(&log).len(), 4);

    env.advance(secs(61));
    drain_together(&env, 3);
    assert_eq!(lines(&log).len(), 6);
    for uuid in &uuids {
        assert_eq!(env.state(uuid), "done");
    }
    let mut ran = lines(&log);
    ran.sort();
    let mut want = uuids.clone();
    want.sort();
    assert_eq!(ran, want, "each job ran once");
}

#[test]
fn every_hold_back_uses_an_attempt() {
    let env = TestEnv::new();
    env.dispatch(&["--rate-limit", "api=1/60", "--", "true"]);
    drain(&env, &[]);
    // The window is used up: this job is held back on its only try...
    let uuid = env.dispatch(&[
        "--rate-limit",
        "api=1/60",
        "--tries",
        "1",
        "--",
        "touch",
        "ran",
    ]);
    drain(&env, &[]);
    let job = env.show(&uuid);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("delayed"), Some(1))
    );
    // ...so when the window reopens it has been attempted too many times, as in Laravel.
    env.advance(secs(60));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    let failed = env.json(&["failed"]);
    let error = failed[0]["error"].as_str().unwrap();
    assert!(error.contains("attempted too many times"), "{error}");
    assert!(!env.path().join("ran").exists());
}

// Throttle exceptions -------------------------------------------------------------------------

#[test]
fn throttle_exceptions_holds_jobs_back_after_max_exceptions_within_the_window() {
    let env = TestEnv::new();
    let log = env.path().join("tries.log");
    let failing = format!("echo x >> '{}'; exit 1", log.display());
    let before = now_ms(&env);
    let uuid = env.dispatch(&[
        "--throttle-exceptions",
        "2/60@payments",
        "--tries",
        "20",
        "--",
        "sh",
        "-c",
        &failing,
    ]);
    drain(&env, &[]);
    let after = now_ms(&env);
    // Two exceptions (released at once: backoff 0), then held back without running.
    assert_eq!(lines(&log).len(), 2);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "delayed", "{job:#}");
    assert_eq!(job["attempt_count"], 3);
    let at = rfc3339_ms(&job["available_at"]);
    assert!(
        at >= before + 60_000 && at <= after + 60_000,
        "held back until the window ends: {at} not in [{}, {}]",
        before + 60_000,
        after + 60_000
    );
    // The exceptions were swallowed by the throttle: it did not fail.
    assert_eq!(failed_count(&env), 0);

    // Another job with the same key is held back too, one with another key is not.
    let same = env.dispatch(&[
        "--throttle-exceptions",
        "2/60@payments",
        "--tries",
        "5",
        "--",
        "touch",
        "same-ran",
    ]);
    let other = env.dispatch(&[
        "--throttle-exceptions",
        "2/60@mail",
        "--",
        "touch",
        "other-ran",
    ]);
    drain(&env, &[]);
    assert_eq!(env.state(&other), "done");
    let job = env.show(&same);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("delayed"), Some(1))
    );
    assert!(!env.path().join("same-ran").exists());

    // After the window the jobs run again.
    env.advance(secs(61));
    drain(&env, &[]);
    assert_eq!(env.state(&same), "done");
    assert!(env.path().join("same-ran").exists());
    assert!(lines(&log).len() > 2);
}

#[test]
fn a_success_resets_the_exception_throttle() {
    let env = TestEnv::new();
    // Each job fails on its first attempt and succeeds on its second.
    let flaky = ["sh", "-c", "[ \"$QUEUE_ATTEMPT\" -ge 2 ]"];
    let args = |tries: &str| -> Vec<String> {
        ["--throttle-exceptions", "2/600@k", "--tries", tries, "--"]
            .iter()
            .chain(flaky.iter())
            .map(|s| s.to_string())
            .collect()
    };
    for _ in 0..3 {
        let a = args("5");
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let uuid = env.dispatch(&a);
        drain(&env, &[]);
        // Without the reset the second job's exception would be the 2nd in the window and the
        // third job would be held back.
        let job = env.show(&uuid);
        assert_eq!(job["state"], "done", "{job:#}");
        assert_eq!(job["attempt_count"], 2);
    }
}

#[test]
fn the_throttle_key_defaults_to_the_job_name() {
    let env = TestEnv::new();
    let a = env.dispatch(&[
        "--throttle-exceptions",
        "1/60",
        "--name",
        "a",
        "--tries",
        "5",
        "--",
        "false",
    ]);
    drain(&env, &[]);
    assert_eq!(
        env.show(&a)["payload"]["middleware"]["throttle_exceptions"]["key"],
        "a"
    );
    assert_eq!(env.show(&a)["attempt_count"], 2);
    // Another name: its own counter.
    let b = env.dispatch(&["--throttle-exceptions", "1/60", "--name", "b", "--", "true"]);
    drain(&env, &[]);
    assert_eq!(env.state(&b), "done");
}

#[test]
fn bad_middleware_options_are_clear_errors_at_dispatch() {
    let env = TestEnv::new();
    for (flag, value, needle) in [
        ("--rate-limit", "api", "KEY=N/SECONDS"),
        ("--rate-limit", "api=0/60", "above 0"),
        ("--rate-limit", "=1/60", "key"),
        ("--funnel", "ff", "KEY=N"),
        ("--funnel", "ff=0", "above 0"),
        ("--throttle-exceptions", "5", "MAX/SECONDS"),
        ("--throttle-exceptions", "5/600@", "key"),
        ("--without-overlapping", " ", "key"),
    ] {
        let err = env.fails(&["dispatch", flag, value, "--", "true"], 1);
        assert!(err.contains(flag), "{flag} {value}: {err}");
        assert!(err.contains(needle), "{flag} {value}: {err}");
    }
    env.ok(&["migrate"]);
    assert_eq!(queued(&env), 0);
}

#[test]
fn a_job_that_ran_after_waiting_is_not_woken_early_from_its_backoff() {
    // A job held back on a lock, that later runs (its wait ran out while the lock had been
    // left by a job that is gone) and is released with a backoff, waits out that backoff: the
    // next release of the lock does not make it available early.
    let env = TestEnv::new();
    short_lease(&env);
    env.dispatch(&[
        "--queue",
        "a",
        "--without-overlapping",
        "k",
        "--",
        "sh",
        "-c",
        "touch started; sleep 30",
    ]);
    let worker = env.spawn(&["work", "--queue", "a", "--sleep", "0.05", "--quiet"]);
    wait_until(LIMIT, "the holder to start", || {
        env.path().join("started").exists()
    });
    send_signal(&worker, libc::SIGKILL);
    let _ = wait_exit(worker, LIMIT);

    let waiter = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--tries",
        "5",
        "--backoff",
        "100",
        "--",
        "false",
    ]);
    drain(&env, &[]);
    assert_eq!(env.show(&waiter)["attempt_count"], 1);
    // The holder is gone with its queue; its lock is stale.
    env.ok(&["clear", "--queue", "a"]);
    env.advance(secs(6));
    drain(&env, &[]);
    let job = env.show(&waiter);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("delayed"), Some(2)),
        "{job:#}"
    );

    // Another job with the key runs and releases the lock: the waiter keeps its backoff.
    let other = env.dispatch(&["--without-overlapping", "k", "--", "true"]);
    drain(&env, &[]);
    assert_eq!(env.state(&other), "done");
    let job = env.show(&waiter);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("delayed"), Some(2)),
        "woken early from its backoff: {job:#}"
    );
}

#[test]
fn overlap_release_after_brings_a_held_back_job_back_after_its_delay_and_dont_release_drops_it() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet", "--concurrency", "2"]);
    let holder = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--",
        "sh",
        "-c",
        "touch held; while [ ! -e go ]; do sleep 0.05; done",
    ]);
    wait_until(LIMIT, "the holder to start", || {
        env.path().join("held").exists()
    });
    let before = now_ms(&env);
    let later = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--overlap-release-after",
        "30",
        "--tries",
        "5",
        "--",
        "touch",
        "later-ran",
    ]);
    wait_until(LIMIT, "the job to be held back", || {
        let job = env.show(&later);
        job["state"] == "delayed" && job["attempt_count"] == 1
    });
    let available = rfc3339_ms(&env.show(&later)["available_at"]);
    assert!(
        available >= before + 30_000 && available <= now_ms(&env) + 30_000,
        "back after 30 s"
    );
    let dropped = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--dont-release",
        "--",
        "touch",
        "dropped-ran",
    ]);
    wait_until(LIMIT, "the job to be dropped", || {
        env.state(&dropped) == "done"
    });
    assert!(!env.path().join("dropped-ran").exists());

    // The holder's end does not bring back a job waiting out its release-after.
    std::fs::write(env.path().join("go"), "").unwrap();
    wait_until(LIMIT, "the holder to end", || env.state(&holder) == "done");
    assert_eq!(env.state(&later), "delayed");
    env.advance(secs(31));
    wait_until(LIMIT, "the job to run", || env.state(&later) == "done");
    assert!(env.path().join("later-ran").exists());
    stop_workers(vec![worker]);
}

#[test]
fn overlap_expire_after_lets_the_lock_lapse_while_its_holder_runs() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet", "--concurrency", "2"]);
    let holder = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--overlap-expire-after",
        "10",
        "--",
        "sh",
        "-c",
        "touch held; while [ ! -e go ]; do sleep 0.05; done",
    ]);
    wait_until(LIMIT, "the holder to start", || {
        env.path().join("held").exists()
    });
    let waiter = env.dispatch(&[
        "--without-overlapping",
        "k",
        "--overlap-release-after",
        "20",
        "--tries",
        "5",
        "--",
        "touch",
        "waiter-ran",
    ]);
    wait_until(LIMIT, "the waiter to be held back", || {
        env.show(&waiter)["attempt_count"] == 1
    });
    env.advance(secs(21));
    wait_until(LIMIT, "the waiter to run", || env.state(&waiter) == "done");
    assert_eq!(env.state(&holder), "reserved");
    std::fs::write(env.path().join("go"), "").unwrap();
    wait_until(LIMIT, "the holder to end", || env.state(&holder) == "done");
    stop_workers(vec![worker]);
}

#[test]
fn dont_release_drops_a_rate_limited_job_as_a_success() {
    let env = TestEnv::new();
    let job = |tag: &str| {
        env.dispatch(&[
            "--rate-limit",
            "api=1/60",
            "--dont-release",
            "--",
            "sh",
            "-c",
            &format!("echo {tag} >> ran.txt"),
        ])
    };
    let first = job("one");
    let second = job("two");
    drain(&env, &[]);
    assert_eq!(env.state(&first), "done");
    assert_eq!(env.state(&second), "done");
    assert_eq!(lines(&env.path().join("ran.txt")), ["one"]);
    assert_eq!(failed_count(&env), 0);
}

#[test]
fn overlap_options_need_their_middleware() {
    let env = TestEnv::new();
    for args in [
        &["--overlap-release-after", "5", "--", "true"][..],
        &["--overlap-expire-after", "5", "--", "true"],
        &["--dont-release", "--", "true"],
        &[
            "--without-overlapping",
            "k",
            "--dont-release",
            "--overlap-release-after",
            "5",
            "--",
            "true",
        ],
    ] {
        let err = env.fails(&[&["dispatch"], args].concat(), 1);
        assert!(err.contains("--"), "{err}");
    }
}
