//! Unique jobs: `--unique [ID]`, `--unique-for S`, `--unique-until-processing`. The lock is
//! taken with the insert; a skipped dispatch exits 0 and says so; the lock is released after
//! success or the final failure (kept while the job is released for another try), before the
//! command runs for until-processing, when unique-for lapses, and never held forever by a dead
//! worker. Absence is shown by state (status / show / failed), never by waiting.

use crate::util::*;
use serde_json::{json, Value};

/// A dispatch that must be skipped: exit 0, nothing on stdout, a note on stderr naming the lock.
fn skipped(env: &TestEnv, args: &[&str]) -> String {
    let out = env.run(&[&["dispatch"], args].concat());
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a skipped dispatch exits 0: {stderr}"
    );
    assert_eq!(text(&out.stdout), "", "a skipped dispatch prints no uuid");
    assert!(stderr.contains("not dispatched"), "{stderr}");
    assert!(stderr.contains("unique lock"), "{stderr}");
    stderr
}

/// `dispatch --json ARGS…`: the one object it prints.
fn dispatch_json(env: &TestEnv, args: &[&str]) -> Value {
    env.json(&[&["dispatch"], args].concat())
}

fn counts(env: &TestEnv) -> (i64, i64, i64) {
    let status = env.json(&["status"]);
    status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .fold((0, 0, 0), |(p, d, r), q| {
            (
                p + q["pending"].as_i64().unwrap(),
                d + q["delayed"].as_i64().unwrap(),
                r + q["reserved"].as_i64().unwrap(),
            )
        })
}

fn queued(env: &TestEnv) -> i64 {
    let (p, d, r) = counts(env);
    p + d + r
}

#[test]
fn a_duplicate_is_skipped_with_exit_0_a_note_and_dispatched_false() {
    let env = TestEnv::new();
    let first = env.dispatch(&["--unique", "--", "true"]);
    let shown = env.show(&first);
    assert_eq!(
        shown["payload"]["unique"]["key"], "unique:true:true",
        "{shown:#}"
    );

    let note = skipped(&env, &["--unique", "--", "true"]);
    assert!(note.contains("unique:true:true"), "{note}");
    assert!(note.contains(&first), "the note names the holder: {note}");

    let j = dispatch_json(&env, &["--unique", "--", "true"]);
    assert_eq!(j["dispatched"], false, "{j}");
    assert_eq!(j["queue"], "default");
    assert!(j["uuid"].is_string());
    // The skipped job does not exist.
    env.fails(&["show", j["uuid"].as_str().unwrap()], 1);
    assert_eq!(counts(&env), (1, 0, 0));

    // A dispatched one says "dispatched": true.
    let j = dispatch_json(&env, &["--unique", "other", "--", "true"]);
    assert_eq!(j["dispatched"], true, "{j}");
    assert_eq!(env.state(j["uuid"].as_str().unwrap()), "pending");
    assert_eq!(counts(&env), (2, 0, 0));
}

#[test]
fn the_lock_is_the_job_name_and_the_id() {
    let env = TestEnv::new();
    env.dispatch(&["--unique", "order-7", "--name", "import", "--", "true"]);
    // Same name and id, another command: the same job as far as uniqueness goes.
    skipped(
        &env,
        &["--unique", "order-7", "--name", "import", "--", "false"],
    );
    // Another id, or another name with the same id: other locks.
    env.dispatch(&["--unique", "order-8", "--name", "import", "--", "true"]);
    env.dispatch(&["--unique", "order-7", "--name", "export", "--", "true"]);
    // Without --unique there is no lock at all.
    env.dispatch(&["--name", "import", "--", "true"]);
    assert_eq!(queued(&env), 4);
}

#[test]
fn a_named_job_is_unique_by_its_name_by_default() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "[jobs.sync-users]\ncommand = [\"touch\", \"synced\"]\nunique = true\n\n[jobs.per-user]\ncommand = [\"true\", \"{id}\"]\nunique = \"user\"\n",
    );
    let first = env.dispatch(&["sync-users"]);
    assert_eq!(
        env.show(&first)["payload"]["unique"]["key"],
        "unique:sync-users:sync-users"
    );
    skipped(&env, &["sync-users"]);
    // --unique ID on the command line picks another lock.
    env.dispatch(&["sync-users", "--unique", "again"]);
    env.dispatch(&["per-user", "--payload", r#"{"id": 1}"#]);
    skipped(&env, &["per-user", "--payload", r#"{"id": 2}"#]);
    assert_eq!(queued(&env), 3);
}

#[test]
fn the_lock_is_released_when_the_job_succeeds() {
    let env = TestEnv::new();
    let first = env.dispatch(&["--unique", "--", "true"]);
    drain(&env, &[]);
    assert_eq!(env.state(&first), "done");
    let second = env.dispatch(&["--unique", "--", "true"]);
    assert_ne!(first, second);
    assert_eq!(env.state(&second), "pending");

    // unique-for is only an upper bound: the end of the job releases the lock before it.
    env.ok(&["clear"]);
    let long = env.dispatch(&["--unique", "u", "--unique-for", "1h", "--", "true"]);
    drain(&env, &[]);
    assert_eq!(env.state(&long), "done");
    env.dispatch(&["--unique", "u", "--unique-for", "1h", "--", "true"]);
}

#[test]
fn the_lock_is_kept_while_the_job_is_released_and_freed_at_its_final_failure() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--unique",
        "job",
        "--tries",
        "2",
        "--backoff",
        "10",
        "--",
        "false",
    ]);
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "delayed");
    // Released after an exception: the queued copy still owns the lock.
    skipped(&env, &["--unique", "job", "--", "false"]);

    env.advance(secs(10));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    // The final failure released it.
    let again = env.dispatch(&["--unique", "job", "--", "false"]);
    assert_eq!(env.state(&again), "pending");
}

#[test]
fn a_release_by_exit_75_keeps_the_lock_and_queue_fail_frees_it() {
    let env = TestEnv::new();
    let bin = assert_cmd::cargo::cargo_bin("queue");
    let script = format!(
        "if [ \"$QUEUE_ATTEMPT\" = 1 ]; then exit 75; else '{}' fail 'gave up'; fi",
        bin.display()
    );
    let uuid = env.dispatch(&[
        "--unique",
        "--name",
        "flaky",
        "--tries",
        "5",
        "--backoff",
        "30",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    drain(&env, &[]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "delayed", "{job:#}");
    assert_eq!(job["attempt_count"], 1);
    skipped(&env, &["--unique", "--name", "flaky", "--", "true"]);

    env.advance(secs(30));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    env.dispatch(&["--unique", "--name", "flaky", "--", "true"]);
}

#[test]
fn until_processing_releases_the_lock_as_the_command_starts() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let wait_for = |name: &str| {
        format!(
            "touch {name}-started; while [ ! -e go ]; do sleep 0.05; done; echo x >> {name}-ran"
        )
    };
    let early = wait_for("early");
    let late = wait_for("late");
    env.dispatch(&[
        "--unique",
        "early",
        "--unique-until-processing",
        "--",
        "sh",
        "-c",
        &early,
    ]);
    env.dispatch(&["--unique", "late", "--", "sh", "-c", &late]);
    // Queued and not started: both locks are held.
    skipped(
        &env,
        &[
            "--unique",
            "early",
            "--unique-until-processing",
            "--",
            "sh",
            "-c",
            &early,
        ],
    );
    skipped(&env, &["--unique", "late", "--", "sh", "-c", &late]);

    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet", "--concurrency", "2"]);
    wait_until(LIMIT, "both jobs to start", || {
        env.path().join("early-started").exists() && env.path().join("late-started").exists()
    });
    // Running: the until-processing lock is gone, the other is held until the job ends.
    let again = env.dispatch(&[
        "--unique",
        "early",
        "--unique-until-processing",
        "--",
        "sh",
        "-c",
        &early,
    ]);
    skipped(&env, &["--unique", "late", "--", "sh", "-c", &late]);

    std::fs::write(env.path().join("go"), "").unwrap();
    wait_until(LIMIT, "every job to finish", || {
        env.show(&again)["state"] == "done" && queued(&env) == 0
    });
    send_signal(&worker, libc::SIGTERM);
    assert_eq!(wait_exit(worker, LIMIT).status.code(), Some(0));
    let ran = |name: &str| {
        std::fs::read_to_string(env.path().join(format!("{name}-ran")))
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert_eq!((ran("early"), ran("late")), (2, 1));
    // Both locks are free now.
    env.dispatch(&["--unique", "late", "--", "sh", "-c", &late]);
    env.dispatch(&["--unique", "early", "--", "sh", "-c", &early]);
}

#[test]
fn until_processing_keeps_the_lock_while_middleware_holds_the_job_back() {
    let env = TestEnv::new();
    // Use up the rate-limit window, then queue a unique job behind it.
    env.dispatch(&["--rate-limit", "api=1/60", "--", "true"]);
    drain(&env, &[]);
    let uuid = env.dispatch(&[
        "--unique",
        "u",
        "--name",
        "held",
        "--unique-until-processing",
        "--rate-limit",
        "api=1/60",
        "--tries",
        "5",
        "--",
        "touch",
        "ran",
    ]);
    drain(&env, &[]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "delayed", "{job:#}");
    assert_eq!(job["attempt_count"], 1);
    assert!(!env.path().join("ran").exists());
    // Held back, not processed: the lock is still its own.
    skipped(&env, &["--unique", "u", "--name", "held", "--", "true"]);

    env.advance(secs(60));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "done");
    assert!(env.path().join("ran").exists());
    env.dispatch(&["--unique", "u", "--name", "held", "--", "true"]);
}

#[test]
fn unique_for_lets_the_lock_lapse() {
    let env = TestEnv::new();
    let first = env.dispatch(&["--unique", "--unique-for", "60", "--", "true"]);
    skipped(&env, &["--unique", "--unique-for", "60", "--", "true"]);
    env.advance(secs(58));
    skipped(&env, &["--unique", "--", "true"]);
    env.advance(secs(3));
    // The first job is still queued, but its lock has lapsed.
    assert_eq!(env.state(&first), "pending");
    let second = env.dispatch(&["--unique", "--unique-for", "1m", "--", "true"]);
    assert_eq!(queued(&env), 2);
    // The new lock is the second job's.
    let note = skipped(&env, &["--unique", "--", "true"]);
    assert!(note.contains(&second), "{note}");

    // unique-for and until-processing only go with --unique.
    let err = env.fails(&["dispatch", "--unique-for", "60", "--", "true"], 1);
    assert!(err.contains("--unique"), "{err}");
    let err = env.fails(&["dispatch", "--unique-until-processing", "--", "true"], 1);
    assert!(err.contains("--unique"), "{err}");
}

#[test]
fn concurrent_dispatchers_queue_exactly_one_unique_job() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let results: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let env = &env;
                scope.spawn(move || dispatch_json(env, &["--unique", "race", "--", "true"]))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let dispatched: Vec<&Value> = results.iter().filter(|r| r["dispatched"] == true).collect();
    assert_eq!(dispatched.len(), 1, "{results:?}");
    assert_eq!(
        results.iter().filter(|r| r["dispatched"] == false).count(),
        9
    );
    assert_eq!(queued(&env), 1);
    let uuid = dispatched[0]["uuid"].as_str().unwrap();
    assert_eq!(env.state(uuid), "pending");
}

#[test]
fn a_jobs_file_skips_a_duplicate_within_the_same_file() {
    let env = TestEnv::new();
    let lines = [
        json!({"command": ["true"], "unique": "x"}),
        json!({"command": ["true"], "unique": "x"}),
        json!({"command": ["true"], "unique": "y", "unique_for": 30}),
        json!({"command": ["true"]}),
    ];
    let file = env.write(
        "jobs.jsonl",
        &lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    );
    let out = env.ok(&["--json", "dispatch", "--file", file.to_str().unwrap()]);
    let flags: Vec<bool> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["dispatched"]
                .as_bool()
                .unwrap()
        })
        .collect();
    assert_eq!(flags, [true, false, true, true]);
    assert_eq!(queued(&env), 3);
}

#[test]
fn clearing_a_queue_releases_the_locks_of_its_jobs() {
    let env = TestEnv::new();
    env.dispatch(&["--unique", "--", "true"]);
    skipped(&env, &["--unique", "--", "true"]);
    env.ok(&["clear"]);
    assert_eq!(queued(&env), 0);
    env.dispatch(&["--unique", "--", "true"]);
}

#[test]
fn a_dead_worker_does_not_hold_a_unique_lock_forever() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "default = \"local\"\n[connections.local]\nretry_after = 5\n",
    );
    let uuid = env.dispatch(&[
        "--unique",
        "--name",
        "stuck",
        "--",
        "sh",
        "-c",
        "touch started; sleep 30",
    ]);
    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet"]);
    wait_until(LIMIT, "the job to start", || {
        env.path().join("started").exists()
    });
    send_signal(&worker, libc::SIGKILL);
    let _ = wait_exit(worker, LIMIT);

    // Its job is still reserved by the dead worker, so the lock is still held.
    assert_eq!(env.state(&uuid), "reserved");
    skipped(&env, &["--unique", "--name", "stuck", "--", "true"]);

    // After retry_after the job is free again; its next attempt is past --tries 1 and fails,
    // which releases the lock.
    env.advance(secs(6));
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    let again = env.dispatch(&["--unique", "--name", "stuck", "--", "true"]);
    assert_eq!(env.state(&again), "pending");
}

#[test]
fn several_workers_run_each_unique_job_once_and_free_every_lock() {
    // Several workers draining many unique jobs: each id runs exactly once while queued,
    // and every lock is free at the end.
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let log = env.path().join("ran.log");
    let script = format!("echo \"$QUEUE_JOB_NAME\" >> '{}'", log.display());
    for i in 0..10 {
        let name = format!("job-{i}");
        env.dispatch(&["--unique", "--name", &name, "--", "sh", "-c", &script]);
        skipped(
            &env,
            &["--unique", "--name", &name, "--", "sh", "-c", &script],
        );
    }
    let workers: Vec<_> = (0..3)
        .map(|_| env.spawn(&["work", "--stop-when-empty", "--sleep", "0.05", "--quiet"]))
        .collect();
    for w in workers {
        assert_eq!(wait_exit(w, LIMIT).status.code(), Some(0));
    }
    let mut ran: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    ran.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("job-{i}")).collect();
    want.sort();
    assert_eq!(ran, want);
    for i in 0..10 {
        env.dispatch(&["--unique", "--name", &format!("job-{i}"), "--", "true"]);
    }
    assert_eq!(queued(&env), 10);
}
