//! `queue work`: tries, backoff, retry-until, max-exceptions, releases and manual failures,
//! timeouts, the job protocol, worker flags, maintenance / pause / restart, and signals.
//! Time is moved with `env.advance`, never waited for.

use crate::util::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// `queue work ARGS…` run to its exit, with a deadline.
fn work(env: &TestEnv, args: &[&str]) -> Output {
    wait_exit(env.spawn(&[&["work"], args].concat()), LIMIT)
}

/// Drain and check that the job was released with a delay of `secs` (available again at
/// now + secs, measured around the worker run).
fn drain_expect_delay(env: &TestEnv, uuid: &str, extra: &[&str], attempts: i64, secs: i64) {
    let before = now_ms(env);
    drain(env, extra);
    let after = now_ms(env);
    let job = env.show(uuid);
    assert_eq!(job["state"], "delayed", "{job:#}");
    assert_eq!(job["attempt_count"], attempts, "{job:#}");
    let at = rfc3339_ms(&job["available_at"]);
    assert!(
        at >= before + secs * 1000 - 1 && at <= after + secs * 1000 + 1,
        "available_at should be now + {secs}s: {at} not in [{}, {}]",
        before + secs * 1000,
        after + secs * 1000
    );
}

fn failed_jobs(env: &TestEnv) -> Vec<Value> {
    env.json(&["failed"]).as_array().unwrap().clone()
}

fn the_failed_job(env: &TestEnv, uuid: &str) -> Value {
    failed_jobs(env)
        .into_iter()
        .find(|f| f["uuid"] == uuid)
        .unwrap_or_else(|| panic!("{uuid} is not in `queue failed`"))
}

// 1. Tries and backoff ------------------------------------------------------------------------

#[test]
fn tries_and_a_backoff_list_release_by_attempt_then_fail() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--tries", "3", "--backoff", "10,20", "--", "false"]);

    drain_expect_delay(&env, &uuid, &[], 1, 10);
    assert_eq!(env.show(&uuid)["exceptions"], 1);

    // Not yet due: a worker takes nothing (halfway, so that a PostgreSQL server's running
    // clock on a loaded machine cannot make it due).
    env.advance(secs(5));
    drain(&env, &[]);
    assert_eq!(env.show(&uuid)["attempt_count"], 1);

    env.advance(secs(5));
    drain_expect_delay(&env, &uuid, &[], 2, 20);

    env.advance(secs(20));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    let failed = failed_jobs(&env);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["uuid"], uuid.as_str());
    assert_eq!(failed[0]["attempts"], 3);
}

#[test]
fn the_last_backoff_entry_repeats() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--tries", "4", "--backoff", "3,7", "--", "false"]);
    drain_expect_delay(&env, &uuid, &[], 1, 3);
    env.advance(secs(3));
    drain_expect_delay(&env, &uuid, &[], 2, 7);
    env.advance(secs(7));
    drain_expect_delay(&env, &uuid, &[], 3, 7);
}

#[test]
fn by_default_a_failing_job_fails_at_its_first_exception() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--", "false"]);
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(the_failed_job(&env, &uuid)["attempts"], 1);
}

#[test]
fn worker_tries_and_backoff_apply_when_the_job_has_none() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--", "false"]);
    let flags = ["--tries", "2", "--backoff", "5"];
    drain_expect_delay(&env, &uuid, &flags, 1, 5);
    env.advance(secs(5));
    drain(&env, &flags);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(the_failed_job(&env, &uuid)["attempts"], 2);
}

#[test]
fn job_options_override_worker_flags() {
    let env = TestEnv::new();
    // The job's --tries 1 wins over the worker's --tries 5.
    let once = env.dispatch(&["--tries", "1", "--", "false"]);
    drain(&env, &["--tries", "5", "--backoff", "5"]);
    assert_eq!(env.state(&once), "failed");

    // The job's --tries 3 and --backoff 30 win over --tries 1 --backoff 5.
    let own = env.dispatch(&["--tries", "3", "--backoff", "30", "--", "false"]);
    drain_expect_delay(&env, &own, &["--tries", "1", "--backoff", "5"], 1, 30);
}

#[test]
fn tries_zero_and_minus_one_are_unlimited_on_the_job_and_on_the_worker() {
    let env = TestEnv::new();
    for (job_tries, worker_tries) in [
        (Some("0"), "1"),
        (Some("-1"), "1"),
        (None, "0"),
        (None, "-1"),
    ] {
        let mut args = vec![];
        if let Some(t) = job_tries {
            args.extend(["--tries", t]);
        }
        args.extend(["--queue", "unlimited", "--", "false"]);
        let uuid = env.dispatch(&args);
        // Backoff 0: the job is available again at once, so one worker keeps retrying it.
        drain(
            &env,
            &[
                "--queue",
                "unlimited",
                "--tries",
                worker_tries,
                "--max-jobs",
                "5",
            ],
        );
        let job = env.show(&uuid);
        assert_eq!(
            job["state"], "pending",
            "job --tries {job_tries:?}, worker --tries {worker_tries}: {job:#}"
        );
        assert_eq!(job["attempt_count"], 5);
        env.ok(&["clear", "--queue", "unlimited"]);
    }
    assert!(failed_jobs(&env).is_empty());
}

// 2. retry-until ------------------------------------------------------------------------------

#[test]
fn retry_until_overrides_tries_until_the_deadline_passes() {
    let env = TestEnv::new();
    let runs = env.path().join("runs");
    let uuid = env.dispatch(&[
        "--tries",
        "1",
        "--retry-until",
        "1h",
        "--backoff",
        "700",
        "--",
        "sh",
        "-c",
        "echo run >> runs; exit 1",
    ]);
    // Attempts at +0s, +700s … +3500s are all before the deadline: released every time.
    for attempt in 1..=6 {
        drain(&env, &[]);
        let job = env.show(&uuid);
        assert_eq!(job["state"], "delayed", "attempt {attempt}: {job:#}");
        assert_eq!(job["attempt_count"], attempt);
        env.advance(secs(700));
    }
    // +4200s is past the deadline: the reservation fails it without running it.
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(lines(&runs).len(), 6);
    let failed = the_failed_job(&env, &uuid);
    assert_eq!(failed["attempts"], 7);
    assert!(
        failed["error"].as_str().unwrap().contains("retry-until"),
        "{failed:#}"
    );
}

// 3. max-exceptions ---------------------------------------------------------------------------

#[test]
fn max_exceptions_fails_at_the_nth_exception_with_tries_left() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "10",
        "--max-exceptions",
        "2",
        "--backoff",
        "5",
        "--",
        "false",
    ]);
    drain_expect_delay(&env, &uuid, &[], 1, 5);
    env.advance(secs(5));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    let failed = the_failed_job(&env, &uuid);
    assert_eq!(failed["attempts"], 2);
    assert!(
        failed["error"].as_str().unwrap().contains("exceptions"),
        "{failed:#}"
    );
}

// 4. Releases and manual failures -------------------------------------------------------------

#[test]
fn exit_75_releases_without_counting_as_an_exception() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "10",
        "--max-exceptions",
        "2",
        "--backoff",
        "5",
        "--",
        "sh",
        "-c",
        r#"if [ "$QUEUE_ATTEMPT" -le 2 ]; then exit 75; fi; exit 1"#,
    ]);
    // Two releases (backoff 5s each) and no exception recorded.
    for attempt in 1..=2 {
        drain_expect_delay(&env, &uuid, &[], attempt, 5);
        assert_eq!(env.show(&uuid)["exceptions"], 0);
        env.advance(secs(5));
    }
    // The first real exception is only the first of the two allowed.
    drain_expect_delay(&env, &uuid, &[], 3, 5);
    assert_eq!(env.show(&uuid)["exceptions"], 1);
    env.advance(secs(5));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(the_failed_job(&env, &uuid)["attempts"], 4);
}

#[test]
fn a_release_with_no_tries_left_fails_at_the_next_reservation() {
    let env = TestEnv::new();
    let runs = env.path().join("runs");
    // Default --tries 1 and --backoff 0: released, taken again at once, and failed unrun.
    let uuid = env.dispatch(&["--", "sh", "-c", "echo run >> runs; exit 75"]);
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(lines(&runs).len(), 1);
    let failed = the_failed_job(&env, &uuid);
    assert_eq!(failed["attempts"], 2);
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("attempted too many times"), "{failed:#}");
    // The final error keeps what became of the attempt before it.
    assert!(
        error.contains("attempt 1 exited with status 75"),
        "{failed:#}"
    );
}

#[test]
fn queue_release_inside_a_job_delays_it_and_tries_still_count() {
    let env = TestEnv::new();
    let runs = env.path().join("runs");
    let q = format!("Q={}", queue_bin());
    let uuid = env.dispatch(&[
        "--tries",
        "1",
        "--backoff",
        "5",
        "--env",
        &q,
        "--",
        "sh",
        "-c",
        r#""$Q" release --delay 30 && echo run >> runs"#,
    ]);
    // Exit 0 after `queue release`: released with its own delay, not done.
    drain_expect_delay(&env, &uuid, &[], 1, 30);
    assert_eq!(lines(&runs).len(), 1);
    assert_eq!(env.show(&uuid)["exceptions"], 0);

    env.advance(secs(29));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "delayed");

    // Tries 1 is used up: the next reservation fails it without running it.
    env.advance(secs(1));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(lines(&runs).len(), 1);
    let failed = the_failed_job(&env, &uuid);
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("attempted too many times"),
        "{failed:#}"
    );
}

#[test]
fn queue_fail_inside_a_job_fails_it_at_once_with_the_message() {
    let env = TestEnv::new();
    let q = format!("Q={}", queue_bin());
    let uuid = env.dispatch(&[
        "--tries",
        "5",
        "--backoff",
        "5",
        "--env",
        &q,
        "--",
        "sh",
        "-c",
        r#""$Q" fail the input is bad && echo run >> runs"#,
    ]);
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(lines(&env.path().join("runs")).len(), 1);
    let failed = the_failed_job(&env, &uuid);
    assert_eq!(failed["attempts"], 1);
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("the input is bad"),
        "{failed:#}"
    );
}

#[test]
fn queue_release_and_fail_outside_a_job_are_errors() {
    let env = TestEnv::new();
    env.fails(&["release"], 1);
    env.fails(&["fail", "nope"], 1);
}

// 5. Timeouts ---------------------------------------------------------------------------------

#[test]
fn a_timeout_kills_the_whole_process_group_and_the_worker_goes_on() {
    let env = TestEnv::new();
    let slow = env.dispatch(&[
        "--timeout",
        "1",
        "--tries",
        "3",
        "--backoff",
        "60",
        "--",
        "sh",
        "-c",
        "sleep 60 & echo $! > gc.pid; sleep 60",
    ]);
    let next = env.dispatch(&["--", "touch", "next-ran"]);
    let started = Instant::now();
    let out = drain(&env, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the timeout was not enforced"
    );

    // The grandchild went with its group.
    let pid: i32 = std::fs::read_to_string(env.path().join("gc.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_until(secs(10), "the grandchild to be killed", || {
        !process_alive(pid)
    });

    // The worker carried on with the next job.
    assert!(
        env.path().join("next-ran").exists(),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(env.state(&next), "done");

    // The timed-out attempt counted as an exception and was released with its backoff.
    let job = env.show(&slow);
    assert_eq!(job["state"], "delayed", "{job:#}");
    assert_eq!(job["attempt_count"], 1);
    assert_eq!(job["exceptions"], 1);
}

#[test]
fn a_timeout_counts_toward_max_exceptions() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--timeout",
        "1",
        "--tries",
        "5",
        "--max-exceptions",
        "1",
        "--",
        "sleep",
        "60",
    ]);
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    assert_eq!(the_failed_job(&env, &uuid)["attempts"], 1);
}

#[test]
fn fail_on_timeout_fails_at_once() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--timeout",
        "1",
        "--tries",
        "5",
        "--fail-on-timeout",
        "--",
        "sleep",
        "60",
    ]);
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    let failed = the_failed_job(&env, &uuid);
    assert_eq!(failed["attempts"], 1);
    assert!(
        failed["error"].as_str().unwrap().contains("timed out"),
        "{failed:#}"
    );
}

#[test]
fn the_worker_timeout_applies_when_the_job_has_none() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--", "sleep", "60"]);
    let started = Instant::now();
    drain(&env, &["--timeout", "1"]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(env.state(&uuid), "failed");
    assert!(the_failed_job(&env, &uuid)["error"]
        .as_str()
        .unwrap()
        .contains("timed out"));
}

// 6. The job protocol -------------------------------------------------------------------------

fn read_env_file(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_job_gets_the_protocol_environment_payload_and_cwd() {
    let env = TestEnv::new();
    let sub = env.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let uuid = env.dispatch(&[
        "--queue",
        "jobs",
        "--name",
        "proto",
        "--tries",
        "2",
        "--backoff",
        "5",
        "--payload",
        r#"{"to":"a@b.c","n":7}"#,
        "--env",
        "GREETING=hello",
        "--cwd",
        "sub",
        "--",
        "sh",
        "-c",
        r#"a=$QUEUE_ATTEMPT; env > "env-$a"; cat > "stdin-$a"; pwd -P > "cwd-$a"; [ "$a" -ge 2 ]"#,
    ]);
    // The worker gets the store by --database only, so QUEUE_DATABASE must come from it.
    let db = env.database.clone();
    let run_worker = || {
        let mut cmd = env.cmd(&[
            "work",
            "--stop-when-empty",
            "--sleep",
            "0.05",
            "--queue",
            "jobs",
            "--database",
            &db,
        ]);
        cmd.env_remove("QUEUE_DATABASE");
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    run_worker();
    env.advance(secs(5));
    run_worker();
    assert_eq!(env.state(&uuid), "done");

    let first = read_env_file(&sub.join("env-1"));
    let second = read_env_file(&sub.join("env-2"));
    for (attempt, vars) in [("1", &first), ("2", &second)] {
        assert_eq!(vars["QUEUE_JOB_ID"], uuid, "stable across retries");
        assert_eq!(vars["QUEUE_ATTEMPT"], attempt);
        assert_eq!(vars["QUEUE_JOB_NAME"], "proto");
        assert_eq!(vars["QUEUE_MAX_TRIES"], "2");
        assert_eq!(vars["QUEUE_QUEUE"], "jobs");
        assert_eq!(vars["QUEUE_CONNECTION"], "default");
        assert_eq!(vars["QUEUE_DATABASE"], db);
        assert_eq!(vars["GREETING"], "hello");
        assert!(!vars["QUEUE_JOB_TOKEN"].is_empty());
        let stdin: Value = serde_json::from_str(
            &std::fs::read_to_string(sub.join(format!("stdin-{attempt}"))).unwrap(),
        )
        .unwrap();
        assert_eq!(stdin, serde_json::json!({"to": "a@b.c", "n": 7}));
        let cwd = std::fs::read_to_string(sub.join(format!("cwd-{attempt}"))).unwrap();
        assert_eq!(Path::new(cwd.trim()), sub.canonicalize().unwrap());
    }
    assert_ne!(
        first["QUEUE_JOB_TOKEN"], second["QUEUE_JOB_TOKEN"],
        "the token is per attempt"
    );
}

const BIG_OUTPUT: &str =
    "echo HEAD-MARKER; head -c 200000 /dev/zero | tr '\\0' x; echo; echo TAIL-MARKER >&2";

#[test]
fn only_the_last_64_kib_of_a_done_jobs_output_is_kept() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--", "sh", "-c", BIG_OUTPUT]);
    drain(&env, &[]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "done");
    let output = job["output"].as_str().expect("output kept");
    assert!(output.contains("TAIL-MARKER"), "the tail is kept");
    assert!(!output.contains("HEAD-MARKER"), "the head is dropped");
    assert!(
        output.len() <= 64 * 1024 + 64,
        "{} bytes kept",
        output.len()
    );
    assert!(output.len() >= 60 * 1024, "{} bytes kept", output.len());
}

#[test]
fn a_failed_jobs_error_has_the_exit_status_and_the_output_tail() {
    let env = TestEnv::new();
    let script = format!("{BIG_OUTPUT}; exit 3");
    let uuid = env.dispatch(&["--", "sh", "-c", &script]);
    drain(&env, &[]);
    let failed = the_failed_job(&env, &uuid);
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains('3') && error.contains("status"),
        "{}",
        &error[..200.min(error.len())]
    );
    assert!(error.contains("TAIL-MARKER"));
    assert!(!error.contains("HEAD-MARKER"));
    assert!(error.len() <= 64 * 1024 + 1024, "{} bytes", error.len());
    // `show` of the failed job gives the same error.
    assert_eq!(env.show(&uuid)["error"].as_str().unwrap(), error);
}

// 7. Worker flags -----------------------------------------------------------------------------

/// A job that appends `tag` to order.txt.
fn append(env: &TestEnv, queue: &str, tag: &str) -> String {
    env.dispatch(&[
        "--queue",
        queue,
        "--",
        "sh",
        "-c",
        &format!("echo {tag} >> order.txt"),
    ])
}

#[test]
fn queue_list_is_strict_priority() {
    let env = TestEnv::new();
    let q = format!("Q={}", queue_bin());
    append(&env, "b", "b1");
    // a1 adds a3 to `a` while it runs: the worker goes back to `a` before touching `b`.
    env.dispatch(&[
        "--queue",
        "a",
        "--env",
        &q,
        "--",
        "sh",
        "-c",
        r#"echo a1 >> order.txt; "$Q" dispatch --queue a -- sh -c 'echo a3 >> order.txt'"#,
    ]);
    append(&env, "a", "a2");
    drain(&env, &["--queue", "a,b"]);
    assert_eq!(
        lines(&env.path().join("order.txt")),
        ["a1", "a2", "a3", "b1"]
    );
}

#[test]
fn once_runs_one_job_and_exits_0() {
    let env = TestEnv::new();
    let first = append(&env, "default", "one");
    let second = append(&env, "default", "two");
    let out = work(&env, &["--once", "--sleep", "0.05"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lines(&env.path().join("order.txt")), ["one"]);
    assert_eq!(env.state(&first), "done");
    assert_eq!(env.state(&second), "pending");
}

#[test]
fn max_jobs_stops_after_n_jobs() {
    let env = TestEnv::new();
    let uuids: Vec<String> = (1..=3)
        .map(|i| append(&env, "default", &format!("j{i}")))
        .collect();
    let out = work(&env, &["--max-jobs", "2", "--sleep", "0.05"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lines(&env.path().join("order.txt")), ["j1", "j2"]);
    assert_eq!(env.state(&uuids[2]), "pending");
}

#[test]
fn max_time_stops_an_idle_worker() {
    let env = TestEnv::new();
    env.start_clock();
    let started = Instant::now();
    let out = work(&env, &["--max-time", "1", "--sleep", "0.1"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[test]
fn stop_when_empty_leaves_delayed_jobs_queued() {
    let env = TestEnv::new();
    let later = env.dispatch(&["--delay", "1h", "--", "touch", "later"]);
    let now = env.dispatch(&["--", "touch", "now"]);
    drain(&env, &[]);
    assert_eq!(env.state(&now), "done");
    let job = env.show(&later);
    assert_eq!(job["state"], "delayed");
    assert_eq!(job["attempt_count"], 0);
    assert!(!env.path().join("later").exists());
}

#[test]
fn memory_limit_exits_12_after_a_job() {
    let env = TestEnv::new();
    let first = append(&env, "default", "one");
    let second = append(&env, "default", "two");
    let out = work(&env, &["--memory", "1", "--sleep", "0.05"]);
    assert_eq!(out.status.code(), Some(12), "{}", text(&out.stderr));
    assert_eq!(env.state(&first), "done");
    assert_eq!(env.state(&second), "pending");
}

#[test]
fn concurrency_2_runs_two_jobs_at_once() {
    let env = TestEnv::new();
    // Each job marks itself, then waits (at most ~10 s) for the other's mark.
    let job = |me: &str, other: &str| {
        env.dispatch(&[
            "--",
            "sh",
            "-c",
            &format!(
                "touch {me}; i=0; while [ ! -e {other} ]; do i=$((i+1)); [ $i -gt 200 ] && exit 1; sleep 0.05; done"
            ),
        ])
    };
    let a = job("mark-a", "mark-b");
    let b = job("mark-b", "mark-a");
    drain(&env, &["--concurrency", "2"]);
    assert_eq!(env.state(&a), "done");
    assert_eq!(env.state(&b), "done");
}

#[test]
fn json_worker_lines() {
    let env = TestEnv::new();
    let ok = env.dispatch(&["--name", "good", "--", "true"]);
    let bad = env.dispatch(&["--name", "bad", "--", "false"]);
    let out = drain(&env, &["--json"]);
    let events: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let statuses = |uuid: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["uuid"] == uuid)
            .map(|e| e["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(statuses(&ok), ["starting", "success"]);
    assert_eq!(statuses(&bad), ["starting", "failed"]);
    for e in &events {
        assert_eq!(e["queue"], "default");
        assert!(e["job"] == "good" || e["job"] == "bad", "{e}");
        assert_eq!(e["attempts"], 1);
    }
}

#[test]
fn human_worker_lines() {
    let env = TestEnv::new();
    env.dispatch(&["--name", "good-job", "--", "true"]);
    env.dispatch(&["--name", "bad-job", "--", "false"]);
    let out = drain(&env, &[]);
    let stdout = text(&out.stdout);
    let line =
        |name: &str, word: &str| stdout.lines().any(|l| l.contains(name) && l.contains(word));
    assert!(
        line("good-job", "RUNNING") && line("good-job", "DONE"),
        "{stdout}"
    );
    assert!(
        line("bad-job", "RUNNING") && line("bad-job", "FAIL"),
        "{stdout}"
    );
    assert!(
        !line("good-job", "FAIL") && !line("bad-job", "DONE"),
        "{stdout}"
    );
}

#[test]
fn maintenance_mode_takes_nothing_unless_forced() {
    let env = TestEnv::new();
    env.ok(&["down"]);
    let uuid = append(&env, "default", "one");
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "pending");
    drain(&env, &["--force"]);
    assert_eq!(env.state(&uuid), "done");

    // A running worker starts taking jobs once `queue up` ends maintenance mode.
    let second = append(&env, "default", "two");
    let worker = env.spawn(&["work", "--sleep", "0.05"]);
    drain(&env, &[]);
    assert_eq!(env.state(&second), "pending");
    env.ok(&["up"]);
    wait_until(secs(20), "the job to run after `queue up`", || {
        env.state(&second) == "done"
    });
    send_signal(&worker, libc::SIGTERM);
    assert_eq!(wait_exit(worker, LIMIT).status.code(), Some(0));
}

#[test]
fn a_paused_queue_is_skipped_until_resumed() {
    let env = TestEnv::new();
    env.ok(&["pause", "default"]);
    let paused = append(&env, "default", "d");
    let other = append(&env, "other", "o");
    drain(&env, &["--queue", "default,other"]);
    assert_eq!(env.state(&other), "done");
    assert_eq!(env.state(&paused), "pending");
    env.ok(&["resume", "default"]);
    drain(&env, &["--queue", "default,other"]);
    assert_eq!(env.state(&paused), "done");
}

#[test]
fn restart_makes_a_running_worker_exit_0() {
    let env = TestEnv::new();
    let uuid = append(&env, "default", "one");
    let worker = env.spawn(&["work", "--sleep", "0.2"]);
    // Once it has run a job the worker is surely in its loop.
    wait_until(secs(20), "the worker to run a job", || {
        env.state(&uuid) == "done"
    });
    env.ok(&["restart"]);
    let out = wait_exit(worker, secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

// 8. Signals ----------------------------------------------------------------------------------

#[test]
fn sigterm_lets_the_running_job_finish() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--name",
        "slowish",
        "--",
        "sh",
        "-c",
        "touch started; sleep 1; touch finished",
    ]);
    let worker = env.spawn(&["work", "--sleep", "0.1"]);
    wait_until(secs(20), "the job to start", || {
        env.path().join("started").exists()
    });
    send_signal(&worker, libc::SIGTERM);
    let out = wait_exit(worker, secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(env.path().join("finished").exists());
    assert!(text(&out.stdout).contains("DONE"), "{}", text(&out.stdout));
    assert_eq!(env.state(&uuid), "done");
}

#[test]
fn sigterm_stops_an_idle_worker_promptly() {
    let env = TestEnv::new();
    let uuid = append(&env, "default", "one");
    let worker = env.spawn(&["work", "--sleep", "30"]);
    wait_until(secs(20), "the worker to run a job", || {
        env.state(&uuid) == "done"
    });
    let signalled = Instant::now();
    send_signal(&worker, libc::SIGTERM);
    let out = wait_exit(worker, secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(signalled.elapsed() < Duration::from_secs(5));
}

#[test]
fn max_time_is_checked_after_each_job_before_the_next_claim() {
    let env = TestEnv::new();
    // The first job takes "2 s" of the worker's clock; the worker then starts nothing more.
    let slow = env.dispatch(&["--", "sh", "-c", "echo 2000 > \"$QUEUE_TEST_CLOCK_FILE\""]);
    let quick1 = append(&env, "default", "q1");
    let quick2 = append(&env, "default", "q2");
    let out = work(
        &env,
        &["--stop-when-empty", "--max-time", "1", "--sleep", "0.05"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(env.state(&slow), "done");
    assert_eq!(env.state(&quick1), "pending");
    assert_eq!(env.state(&quick2), "pending");
}
