//! `queue batch` and the batch commands: the counters and the then / catch / finally / progress
//! callbacks exactly as reference §9.2–9.3 (and Laravel traces 7–9), each callback exactly once
//! with several workers, chains inside a batch, `batch-add` from inside a batched job,
//! `batch-cancel`, `batches` / `batch-show`, `retry-batch` and `prune-batches`.
//! Time is moved with `env.advance`, never waited for.

use crate::util::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn log(env: &TestEnv, name: &str) -> Vec<String> {
    lines(&env.path().join(name))
}

/// The four callback flags; each callback appends one line to `file`: its kind and the counts
/// of its environment (p = pending, d = processed, f = failed, pr = progress, c = cancelled),
/// plus the failed job for catch.
fn callbacks(file: &str) -> Vec<String> {
    let counts = "$QUEUE_BATCH_NAME p=$QUEUE_BATCH_PENDING d=$QUEUE_BATCH_PROCESSED \
                  f=$QUEUE_BATCH_FAILED pr=$QUEUE_BATCH_PROGRESS c=$QUEUE_BATCH_CANCELLED";
    let mut flags = Vec::new();
    for kind in ["progress", "then", "catch", "finally"] {
        let extra = if kind == "catch" {
            " id=$QUEUE_FAILED_JOB_ID"
        } else {
            ""
        };
        flags.push(format!("--{kind}"));
        flags.push(format!("echo \"{kind} {counts}{extra}\" >> {file}"));
    }
    flags
}

/// `queue batch ARGS…` with the four callbacks writing to cb.log; returns the batch id.
fn batch(env: &TestEnv, args: &[&str]) -> String {
    let flags = callbacks("cb.log");
    let mut all: Vec<&str> = vec!["batch"];
    all.extend(flags.iter().map(String::as_str));
    all.extend_from_slice(args);
    env.ok(&all).trim().to_string()
}

/// `batch-show ID --json`.
fn show(env: &TestEnv, id: &str) -> Value {
    env.json(&["batch-show", id])
}

/// (total, pending, processed, failed, progress) of a batch.
fn batch_counts(env: &TestEnv, id: &str) -> (i64, i64, i64, i64, i64) {
    let b = show(env, id);
    let n = |k: &str| {
        b[k].as_i64()
            .unwrap_or_else(|| panic!("{k} is not a number: {b}"))
    };
    (
        n("total_jobs"),
        n("pending_jobs"),
        n("processed_jobs"),
        n("failed_jobs"),
        n("progress"),
    )
}

fn failed_jobs(env: &TestEnv) -> Vec<Value> {
    env.json(&["failed"]).as_array().unwrap().clone()
}

/// The uuid of the one failed job named `name`.
fn failed_uuid(env: &TestEnv, name: &str) -> String {
    let failed = failed_jobs(env);
    let found: Vec<&Value> = failed.iter().filter(|f| f["name"] == name).collect();
    assert_eq!(found.len(), 1, "one failed job named {name}: {failed:#?}");
    found[0]["uuid"].as_str().unwrap().to_string()
}

/// How many lines of `lines` start with `kind` followed by a space.
fn count(lines: &[String], kind: &str) -> usize {
    lines
        .iter()
        .filter(|l| l.starts_with(&format!("{kind} ")))
        .count()
}

fn total_queued(env: &TestEnv) -> i64 {
    let status = env.json(&["status"]);
    status["queues"]
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

// Counters and callbacks ------------------------------------------------------------------

#[test]
fn a_batch_that_succeeds_reports_progress_per_job_then_then_and_finally_once() {
    let env = TestEnv::new();
    let id = batch(
        &env,
        &[
            "--name",
            "import",
            "echo 1 >> jobs.log",
            "echo 2 >> jobs.log",
            "echo 3 >> jobs.log",
        ],
    );
    assert_eq!(batch_counts(&env, &id), (3, 3, 0, 0, 0));
    drain(&env, &[]);

    let mut ran = log(&env, "jobs.log");
    ran.sort();
    assert_eq!(ran, ["1", "2", "3"]);
    // One worker runs in queue order, so the callbacks come in this exact order.
    assert_eq!(
        log(&env, "cb.log"),
        [
            "progress import p=2 d=1 f=0 pr=33 c=0",
            "progress import p=1 d=2 f=0 pr=67 c=0",
            "progress import p=0 d=3 f=0 pr=100 c=0",
            "then import p=0 d=3 f=0 pr=100 c=0",
            "finally import p=0 d=3 f=0 pr=100 c=0",
        ]
    );
    let b = show(&env, &id);
    assert_eq!(batch_counts(&env, &id), (3, 0, 3, 0, 100));
    assert!(b["finished_at"].is_string(), "{b}");
    assert!(b["cancelled_at"].is_null(), "{b}");
    assert_eq!(total_queued(&env), 0);
}

#[test]
fn callbacks_know_their_batch_id() {
    let env = TestEnv::new();
    let id = env
        .ok(&[
            "batch",
            "--then",
            "printf '%s' \"$QUEUE_BATCH_ID:$QUEUE_BATCH_TOTAL\" > then.txt",
            "printf '%s' \"$QUEUE_BATCH_ID\" > job.txt",
        ])
        .trim()
        .to_string();
    drain(&env, &[]);
    let read = |n: &str| std::fs::read_to_string(env.path().join(n)).unwrap();
    assert_eq!(read("then.txt"), format!("{id}:1"));
    // A batched job itself also has QUEUE_BATCH_ID.
    assert_eq!(read("job.txt"), id);
}

#[test]
fn the_first_failure_cancels_the_batch_and_the_rest_is_skipped_yet_counted() {
    // Laravel trace 7b: [j1 throws, j2, j3], no allowFailures.
    let env = TestEnv::new();
    let id = batch(
        &env,
        &[
            "--name",
            "b",
            "echo boom; exit 1",
            "echo j2 >> jobs.log",
            "echo j3 >> jobs.log",
        ],
    );
    drain(&env, &[]);

    let j1 = failed_uuid(&env, "echo boom; exit 1");
    // j2 and j3 never ran: their batch was cancelled.
    assert!(log(&env, "jobs.log").is_empty());
    assert_eq!(
        log(&env, "cb.log"),
        [
            format!("catch b p=3 d=0 f=1 pr=0 c=1 id={j1}"),
            "progress b p=2 d=1 f=1 pr=33 c=1".to_string(),
            "progress b p=1 d=2 f=1 pr=67 c=1".to_string(),
            "finally b p=1 d=2 f=1 pr=67 c=1".to_string(),
        ]
    );
    // The failed job stays pending; the batch was cancelled and finished at the failure.
    assert_eq!(batch_counts(&env, &id), (3, 1, 2, 1, 67));
    let b = show(&env, &id);
    assert!(b["cancelled_at"].is_string(), "{b}");
    assert!(b["finished_at"].is_string(), "{b}");
    assert_eq!(failed_jobs(&env).len(), 1);
    assert_eq!(total_queued(&env), 0);
}

#[test]
fn with_allow_failures_failures_report_progress_catch_fires_once_and_finally_at_the_end() {
    // Laravel trace 8, with two failures.
    let env = TestEnv::new();
    let id = batch(
        &env,
        &[
            "--name",
            "b",
            "--allow-failures",
            "exit 1",
            "exit 2",
            "echo j3 >> jobs.log",
            "echo j4 >> jobs.log",
        ],
    );
    drain(&env, &[]);

    let first = failed_uuid(&env, "exit 1");
    failed_uuid(&env, "exit 2");
    assert_eq!(log(&env, "jobs.log"), ["j3", "j4"]);
    assert_eq!(
        log(&env, "cb.log"),
        [
            "progress b p=4 d=0 f=1 pr=0 c=0".to_string(),
            format!("catch b p=4 d=0 f=1 pr=0 c=0 id={first}"),
            "progress b p=4 d=0 f=2 pr=0 c=0".to_string(),
            "progress b p=3 d=1 f=2 pr=25 c=0".to_string(),
            "progress b p=2 d=2 f=2 pr=50 c=0".to_string(),
            "finally b p=2 d=2 f=2 pr=50 c=0".to_string(),
        ]
    );
    // A batch with a failed job never finishes, even with failures allowed.
    assert_eq!(batch_counts(&env, &id), (4, 2, 2, 2, 50));
    let b = show(&env, &id);
    assert!(b["cancelled_at"].is_null(), "{b}");
    assert!(b["finished_at"].is_null(), "{b}");
}

/// The catch callback starts whatever the failed job printed (NUL bytes, or invalid UTF-8
/// that would make its error too long for an environment variable).
#[test]
fn the_catch_callback_runs_even_when_the_failed_jobs_output_is_binary() {
    let env = TestEnv::new();
    env.write(
        "binary.sh",
        "printf 'a\\000b'; head -c 70000 /dev/zero | tr '\\000' '\\377'; exit 4\n",
    );
    let id = env
        .ok(&[
            "batch",
            "--catch",
            "printf '%s' \"$QUEUE_FAILED_ERROR\" | head -n 1 > caught.txt",
            "--finally",
            "echo finally >> cb.log",
            "sh binary.sh",
        ])
        .trim()
        .to_string();
    drain(&env, &[]);
    let caught = std::fs::read_to_string(env.path().join("caught.txt")).unwrap();
    assert_eq!(caught.trim(), "exited with status 4 (attempt 1 of 1)");
    assert_eq!(log(&env, "cb.log"), ["finally"]);
    // Only the batched job failed, not its callbacks.
    assert_eq!(failed_jobs(&env).len(), 1);
    assert_eq!(batch_counts(&env, &id), (1, 1, 0, 1, 0));
}

#[test]
fn a_failed_link_of_a_chain_inside_a_batch_means_finally_never_fires() {
    for allow in [false, true] {
        let env = TestEnv::new();
        env.write(
            "batch.json",
            r#"[["echo a1 >> jobs.log", "echo a2 >> jobs.log; exit 1", "echo a3 >> jobs.log"],
                "echo b >> jobs.log"]"#,
        );
        let mut args = vec!["--name", "c", "--file", "batch.json"];
        if allow {
            args.push("--allow-failures");
        }
        let id = batch(&env, &args);
        // total_jobs counts every link of the chain.
        assert_eq!(batch_counts(&env, &id).0, 4);
        drain(&env, &[]);

        let ran = log(&env, "jobs.log");
        assert!(ran.contains(&"a1".to_string()), "{ran:?}");
        assert!(ran.contains(&"a2".to_string()), "{ran:?}");
        assert!(!ran.contains(&"a3".to_string()), "a3 ran: {ran:?}");
        let cb = log(&env, "cb.log");
        assert_eq!(count(&cb, "catch"), 1, "allow={allow}: {cb:#?}");
        assert_eq!(count(&cb, "finally"), 0, "allow={allow}: {cb:#?}");
        assert_eq!(count(&cb, "then"), 0, "allow={allow}: {cb:#?}");
        // a3 never ran, so pending - failed never reaches 0.
        let (total, pending, _, failed, _) = batch_counts(&env, &id);
        assert_eq!((total, pending, failed), (4, 2, 1), "allow={allow}");
        assert!(show(&env, &id)["finished_at"].is_null() || !allow);
        assert_eq!(total_queued(&env), 0);
    }
}

#[test]
fn chains_inside_a_batch_run_in_order_and_every_link_counts() {
    let env = TestEnv::new();
    env.write(
        "batch.json",
        r#"[["echo a1 >> a.log", "echo a2 >> a.log", "echo a3 >> a.log"],
            {"shell": "echo b >> b.log", "queue": "default"},
            ["echo c1 >> c.log", {"command": ["sh", "-c", "echo c2 >> c.log"]}]]"#,
    );
    let out = {
        let flags = callbacks("cb.log");
        let mut all: Vec<&str> = vec!["batch", "--name", "n", "--file", "batch.json"];
        all.extend(flags.iter().map(String::as_str));
        env.json(&all)
    };
    assert_eq!(out["total_jobs"], 6, "{out}");
    let id = out["id"].as_str().unwrap().to_string();
    drain(&env, &["--concurrency", "3"]);

    assert_eq!(log(&env, "a.log"), ["a1", "a2", "a3"]);
    assert_eq!(log(&env, "b.log"), ["b"]);
    assert_eq!(log(&env, "c.log"), ["c1", "c2"]);
    let cb = log(&env, "cb.log");
    assert_eq!(count(&cb, "progress"), 6, "{cb:#?}");
    assert_eq!(count(&cb, "then"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "finally"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "catch"), 0, "{cb:#?}");
    assert_eq!(batch_counts(&env, &id), (6, 0, 6, 0, 100));
}

// Retrying a batch's failed jobs ----------------------------------------------------------

#[test]
fn a_retried_failed_job_that_succeeds_fires_then_but_not_finally_again() {
    // Laravel trace 9b: allowFailures, j1 fails the first time only.
    let env = TestEnv::new();
    let id = batch(
        &env,
        &[
            "--name",
            "r",
            "--allow-failures",
            "[ -e fixed ] || exit 1; echo j1 >> jobs.log",
            "echo j2 >> jobs.log",
        ],
    );
    drain(&env, &[]);
    let cb = log(&env, "cb.log");
    assert_eq!(count(&cb, "finally"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "then"), 0, "{cb:#?}");
    let j1 = failed_uuid(&env, "[ -e fixed ] || exit 1; echo j1 >> jobs.log");
    assert_eq!(show(&env, &id)["failed_job_ids"], serde_json::json!([j1]));

    env.write("fixed", "");
    assert_eq!(env.ok(&["retry-batch", &id]).trim(), j1);
    drain(&env, &[]);

    assert_eq!(log(&env, "jobs.log"), ["j2", "j1"]);
    let cb = log(&env, "cb.log");
    assert_eq!(
        &cb[cb.len() - 2..],
        [
            "progress r p=0 d=2 f=1 pr=100 c=0",
            "then r p=0 d=2 f=1 pr=100 c=0"
        ],
        "{cb:#?}"
    );
    assert_eq!(count(&cb, "then"), 1, "{cb:#?}");
    assert_eq!(
        count(&cb, "finally"),
        1,
        "finally does not fire again: {cb:#?}"
    );
    assert_eq!(count(&cb, "catch"), 1, "{cb:#?}");
    // failed_jobs is not decremented; the job is no longer among the failed ids; finished.
    let b = show(&env, &id);
    assert_eq!(batch_counts(&env, &id), (2, 0, 2, 1, 100));
    assert_eq!(b["failed_job_ids"], serde_json::json!([]));
    assert!(b["finished_at"].is_string(), "{b}");
    assert!(failed_jobs(&env).is_empty());
}

#[test]
fn retrying_the_failed_job_of_a_cancelled_batch_finishes_it_and_fires_then() {
    // Laravel trace 9a: no allowFailures; j1 fails only the first time. A retried failed job
    // runs even though its batch is cancelled (only the batch's other jobs are skipped); its
    // success fires progress and then, not finally again.
    let env = TestEnv::new();
    let id = batch(
        &env,
        &[
            "--name",
            "r",
            "test -f once || { touch once; exit 1; }",
            "echo j2 >> jobs.log",
        ],
    );
    drain(&env, &[]);
    let cb = log(&env, "cb.log");
    assert_eq!(count(&cb, "catch"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "finally"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "then"), 0, "{cb:#?}");
    assert_eq!(batch_counts(&env, &id), (2, 1, 1, 1, 50));

    env.ok(&["retry-batch", &id]);
    drain(&env, &[]);
    let cb = log(&env, "cb.log");
    assert_eq!(
        cb.last().unwrap(),
        "then r p=0 d=2 f=1 pr=100 c=1",
        "{cb:#?}"
    );
    assert_eq!(count(&cb, "then"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "finally"), 1, "{cb:#?}");
    assert_eq!(batch_counts(&env, &id), (2, 0, 2, 1, 100));
    assert!(failed_jobs(&env).is_empty());
}

#[test]
fn retry_batch_resumes_a_chain_inside_the_batch_at_its_failed_link() {
    let env = TestEnv::new();
    env.write(
        "batch.json",
        r#"[["echo a1 >> jobs.log", "[ -e fixed ] || exit 1; echo a2 >> jobs.log", "echo a3 >> jobs.log"],
            "echo b >> jobs.log"]"#,
    );
    let id = batch(
        &env,
        &["--name", "rc", "--allow-failures", "--file", "batch.json"],
    );
    drain(&env, &[]);
    assert_eq!(batch_counts(&env, &id), (4, 2, 2, 1, 50));
    assert_eq!(count(&log(&env, "cb.log"), "finally"), 0);

    env.write("fixed", "");
    env.ok(&["retry-batch", &id]);
    drain(&env, &[]);
    let mut ran = log(&env, "jobs.log");
    ran.sort();
    assert_eq!(ran, ["a1", "a2", "a3", "b"]);
    // a2's success brought pending - failed to 0 (finally, its first time); a3's brought
    // pending to 0 (then).
    let cb = log(&env, "cb.log");
    assert_eq!(count(&cb, "finally"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "then"), 1, "{cb:#?}");
    assert_eq!(cb.last().unwrap(), "then rc p=0 d=4 f=1 pr=100 c=0");
    assert_eq!(batch_counts(&env, &id), (4, 0, 4, 1, 100));
}

#[test]
fn retry_batch_takes_several_batches() {
    let env = TestEnv::new();
    let flaky = "[ -e fixed ] || exit 1";
    let first = env
        .ok(&["batch", "--allow-failures", flaky, "true"])
        .trim()
        .to_string();
    let second = env
        .ok(&["batch", "--allow-failures", flaky])
        .trim()
        .to_string();
    drain(&env, &[]);
    assert_eq!(failed_jobs(&env).len(), 2);

    env.write("fixed", "");
    let retried = env.json(&["retry-batch", &first, &second]);
    assert_eq!(retried["retried"].as_array().unwrap().len(), 2, "{retried}");
    drain(&env, &[]);
    assert!(failed_jobs(&env).is_empty());
    assert_eq!(batch_counts(&env, &first), (2, 0, 2, 1, 100));
    assert_eq!(batch_counts(&env, &second), (1, 0, 1, 1, 100));
}

#[test]
fn retry_batch_with_nothing_failed_retries_nothing() {
    let env = TestEnv::new();
    let id = batch(&env, &["true"]);
    drain(&env, &[]);
    let out = env.run(&["retry-batch", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "");
    assert!(text(&out.stderr).contains(&id), "{}", text(&out.stderr));
    assert_eq!(
        env.json(&["retry-batch", &id])["retried"],
        serde_json::json!([])
    );
    assert_eq!(total_queued(&env), 0);
}

// Exactly once with several workers -------------------------------------------------------

#[test]
fn each_callback_fires_exactly_once_with_four_workers() {
    let env = TestEnv::new();
    const N: usize = 100;
    // A: every job succeeds. B: failures allowed, every tenth job fails. C: no failures
    // allowed, every tenth job fails (the first failure cancels the rest).
    // Each job notes which worker ran it (its parent process).
    let ok_jobs: Vec<String> = (0..N)
        .map(|_| "echo $PPID >> pids.log".to_string())
        .collect();
    let some_fail: Vec<String> = (0..N)
        .map(|i| {
            if i % 10 == 5 {
                "exit 1"
            } else {
                "echo $PPID >> pids.log"
            }
            .to_string()
        })
        .collect();
    let mut ids = BTreeMap::new();
    for (name, jobs, allow) in [
        ("A", &ok_jobs, false),
        ("B", &some_fail, true),
        ("C", &some_fail, false),
    ] {
        let mut args = vec!["--name", name];
        if allow {
            args.push("--allow-failures");
        }
        args.extend(jobs.iter().map(String::as_str));
        ids.insert(name, batch(&env, &args));
    }

    let workers: Vec<_> = (0..4)
        .map(|_| env.spawn(&["work", "--stop-when-empty", "--sleep", "0.05", "--quiet"]))
        .collect();
    for worker in workers {
        let out = wait_exit(worker, LIMIT);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    // A worker that ended a job picks up the callbacks it queued, so nothing is left behind.
    assert_eq!(total_queued(&env), 0);
    let pids: std::collections::BTreeSet<String> = log(&env, "pids.log").into_iter().collect();
    assert!(
        pids.len() >= 2,
        "the workers really ran side by side: {pids:?}"
    );

    let cb = log(&env, "cb.log");
    let of = |name: &str| -> Vec<String> {
        cb.iter()
            .filter(|l| l.split(' ').nth(1) == Some(name))
            .cloned()
            .collect()
    };

    // A: progress once per job, each with a different processed count; then and finally once.
    let a = of("A");
    assert_eq!(count(&a, "then"), 1, "{a:#?}");
    assert_eq!(count(&a, "finally"), 1, "{a:#?}");
    assert_eq!(count(&a, "catch"), 0, "{a:#?}");
    let mut processed: Vec<usize> = a
        .iter()
        .filter(|l| l.starts_with("progress "))
        .map(|l| {
            l.split(' ')
                .find_map(|w| w.strip_prefix("d="))
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    processed.sort();
    assert_eq!(processed, (1..=N).collect::<Vec<_>>());
    assert!(
        a.contains(&"then A p=0 d=100 f=0 pr=100 c=0".to_string()),
        "{a:#?}"
    );
    assert_eq!(batch_counts(&env, &ids["A"]), (100, 0, 100, 0, 100));

    // B: progress for every job (failures too), catch once, finally once, then never.
    let b = of("B");
    assert_eq!(count(&b, "progress"), N, "{b:#?}");
    assert_eq!(count(&b, "catch"), 1, "{b:#?}");
    assert_eq!(count(&b, "finally"), 1, "{b:#?}");
    assert_eq!(count(&b, "then"), 0, "{b:#?}");
    assert!(
        b.contains(&"finally B p=10 d=90 f=10 pr=90 c=0".to_string()),
        "{b:#?}"
    );
    assert_eq!(batch_counts(&env, &ids["B"]), (100, 10, 90, 10, 90));

    // C: cancelled at its first failure; jobs running then may still fail, the rest are
    // skipped and counted; catch once, finally once, then never.
    let c = of("C");
    let (total, pending, processed, failed, _) = batch_counts(&env, &ids["C"]);
    assert_eq!(total, 100);
    assert!(failed >= 1, "{failed}");
    assert_eq!(pending, failed, "every job that did not fail was counted");
    assert_eq!(count(&c, "progress") as i64, processed, "{c:#?}");
    assert_eq!(count(&c, "catch"), 1, "{c:#?}");
    assert_eq!(count(&c, "finally"), 1, "{c:#?}");
    assert_eq!(count(&c, "then"), 0, "{c:#?}");
    assert!(show(&env, &ids["C"])["cancelled_at"].is_string());

    // Every failed job of B and C is in the failed store, once.
    assert_eq!(failed_jobs(&env).len() as i64, 10 + failed);
}

// batch-add ---------------------------------------------------------------------------------

#[test]
fn batch_add_inside_a_batched_job_adds_to_its_batch() {
    let env = TestEnv::new();
    let adder = format!(
        "'{}' batch-add 'echo added1 >> jobs.log' 'echo added2 >> jobs.log' > added.txt && echo adder >> jobs.log",
        queue_bin()
    );
    let id = batch(&env, &["--name", "g", &adder, "echo other >> jobs.log"]);
    assert_eq!(batch_counts(&env, &id).0, 2);
    drain(&env, &[]);

    let mut ran = log(&env, "jobs.log");
    ran.sort();
    assert_eq!(ran, ["added1", "added2", "adder", "other"]);
    // batch-add printed the uuids of the added jobs; they ran as part of the batch.
    let added = log(&env, "added.txt");
    assert_eq!(added.len(), 2, "{added:?}");
    for uuid in &added {
        assert_eq!(env.state(uuid), "done");
    }
    assert_eq!(batch_counts(&env, &id), (4, 0, 4, 0, 100));
    let cb = log(&env, "cb.log");
    assert_eq!(count(&cb, "progress"), 4, "{cb:#?}");
    assert_eq!(count(&cb, "then"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "finally"), 1, "{cb:#?}");
    assert_eq!(cb.last().unwrap(), "finally g p=0 d=4 f=0 pr=100 c=0");
}

#[test]
fn batch_add_reopens_a_finished_batch() {
    let env = TestEnv::new();
    // The finally callback (which has its batch's id) adds a job on another queue, once.
    let add_once = format!(
        "[ -e added ] || {{ touch added; '{}' batch-add --queue later 'echo extra >> jobs.log'; }}",
        queue_bin()
    );
    let id = env
        .ok(&[
            "batch",
            "--then",
            "echo then >> cb.log",
            "--finally",
            &add_once,
            "echo j1 >> jobs.log",
        ])
        .trim()
        .to_string();
    drain(&env, &[]);
    assert_eq!(log(&env, "jobs.log"), ["j1"]);
    assert_eq!(log(&env, "cb.log"), ["then"]);
    // Finished, then re-opened by the added job.
    let b = show(&env, &id);
    assert!(b["finished_at"].is_null(), "re-opened: {b}");
    assert_eq!(batch_counts(&env, &id), (2, 1, 1, 0, 50));

    drain(&env, &["--queue", "later,default"]);
    assert_eq!(log(&env, "jobs.log"), ["j1", "extra"]);
    assert_eq!(log(&env, "cb.log"), ["then", "then"]);
    let b = show(&env, &id);
    assert!(b["finished_at"].is_string(), "{b}");
    assert_eq!(batch_counts(&env, &id), (2, 0, 2, 0, 100));
}

#[test]
fn batch_add_outside_a_batched_job_is_an_error() {
    let env = TestEnv::new();
    let out = env
        .cmd(&["batch-add", "true"])
        .env_remove("QUEUE_BATCH_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("QUEUE_BATCH_ID"),
        "{}",
        text(&out.stderr)
    );
    // With an id that names no batch.
    let out = env
        .cmd(&["batch-add", "true"])
        .env("QUEUE_BATCH_ID", "no-such-batch")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no-such-batch"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(total_queued(&env), 0);
}

// batch-cancel ------------------------------------------------------------------------------

#[test]
fn batch_cancel_skips_the_queued_jobs_and_counts_them() {
    let env = TestEnv::new();
    let id = batch(
        &env,
        &[
            "--name",
            "x",
            "echo 1 >> jobs.log",
            "echo 2 >> jobs.log",
            "echo 3 >> jobs.log",
        ],
    );
    env.ok(&["batch-cancel", &id]);
    let b = show(&env, &id);
    assert!(b["cancelled_at"].is_string(), "{b}");
    assert!(b["finished_at"].is_string(), "{b}");
    drain(&env, &[]);

    // No job ran; each was skipped and counted as a success (so the batch reaches 0 pending,
    // and `then` fires: reference §9.3 has no check for cancellation).
    assert!(log(&env, "jobs.log").is_empty());
    assert_eq!(batch_counts(&env, &id), (3, 0, 3, 0, 100));
    let cb = log(&env, "cb.log");
    assert_eq!(count(&cb, "progress"), 3, "{cb:#?}");
    assert_eq!(count(&cb, "catch"), 0, "{cb:#?}");
    assert_eq!(count(&cb, "then"), 1, "{cb:#?}");
    assert_eq!(count(&cb, "finally"), 1, "{cb:#?}");
    assert!(cb.iter().all(|l| l.ends_with("c=1")), "{cb:#?}");
    assert_eq!(total_queued(&env), 0);
    assert!(failed_jobs(&env).is_empty());
}

// batches / batch-show ------------------------------------------------------------------------

const FIELDS: [&str; 10] = [
    "id",
    "name",
    "total_jobs",
    "pending_jobs",
    "processed_jobs",
    "failed_jobs",
    "progress",
    "cancelled_at",
    "finished_at",
    "created_at",
];

#[test]
fn batches_and_batch_show_give_the_documented_json_fields() {
    let env = TestEnv::new();
    let first = env
        .ok(&["batch", "--name", "first", "true", "exit 1", "true"])
        .trim()
        .to_string();
    env.advance(secs(1));
    let second = env
        .ok(&["batch", "--name", "second", "--queue", "idle", "true"])
        .trim()
        .to_string();
    drain(&env, &[]);

    let one = show(&env, &first);
    for field in FIELDS {
        assert!(
            one.get(field).is_some(),
            "batch-show --json lacks {field}: {one}"
        );
    }
    assert_eq!(one["id"], first.as_str());
    assert_eq!(one["name"], "first");
    assert_eq!(one["total_jobs"], 3);
    assert_eq!(one["pending_jobs"], 1);
    assert_eq!(one["processed_jobs"], 2);
    assert_eq!(one["failed_jobs"], 1);
    assert_eq!(one["progress"], 67);
    for field in ["cancelled_at", "finished_at", "created_at"] {
        let t = one[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {one}"));
        assert!(
            t.contains('T') && t.ends_with('Z'),
            "{field} is RFC 3339 UTC: {t}"
        );
    }
    assert!(one["created_at"].as_str() <= one["finished_at"].as_str());

    // `batches --json`: the same rows, newest first.
    let all = env.json(&["batches"]);
    let rows = all.as_array().expect("a JSON list");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], second.as_str());
    assert_eq!(rows[1]["id"], first.as_str());
    for row in rows {
        for field in FIELDS {
            assert!(
                row.get(field).is_some(),
                "batches --json lacks {field}: {row}"
            );
        }
    }
    assert_eq!(rows[1], one);
    let idle = &rows[0];
    assert_eq!(idle["name"], "second");
    assert_eq!(idle["total_jobs"], 1);
    assert_eq!(idle["pending_jobs"], 1);
    assert_eq!(idle["processed_jobs"], 0);
    assert_eq!(idle["progress"], 0);
    assert!(idle["finished_at"].is_null() && idle["cancelled_at"].is_null());

    // The human forms name the batches and their progress.
    let table = env.ok(&["batches"]);
    for needle in [first.as_str(), second.as_str(), "first", "second", "67%"] {
        assert!(table.contains(needle), "{needle} not in:\n{table}");
    }
    let shown = env.ok(&["batch-show", &first]);
    assert!(shown.contains("67%"), "{shown}");
    assert!(shown.contains("cancelled"), "{shown}");
    assert!(
        !shown.contains("[#"),
        "no progress bar when not on a terminal: {shown}"
    );
}

/// Run `queue ARGS…` with its stdout on a pseudo-terminal; returns what it printed there.
fn on_terminal(env: &TestEnv, args: &[&str]) -> String {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the given integers; the rest may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both descriptors are fresh and owned here from now on.
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::process::Stdio::from_raw_fd(slave),
        )
    };
    let child = {
        let mut cmd = env.cmd(args);
        cmd.stdout(slave).stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
        // The command, with our copy of the terminal's slave side, is dropped here, so that
        // reading the master ends once the child has exited.
    };
    let out = wait_exit(child, LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut printed = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break, // EIO: no process has the terminal open any more
            Ok(n) => printed.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&printed).into_owned()
}

#[test]
fn batch_show_draws_a_progress_bar_on_a_terminal() {
    let env = TestEnv::new();
    let id = env
        .ok(&["batch", "true", "true", "true", "--queue", "later"])
        .trim()
        .to_string();
    drain(&env, &["--queue", "later", "--max-jobs", "1"]);
    let shown = on_terminal(&env, &["batch-show", &id]);
    let bar = shown
        .lines()
        .find(|l| l.trim_start().starts_with('['))
        .unwrap_or_else(|| panic!("no progress bar in:\n{shown}"));
    // 1 of 3 done: 33 %, a third of the bar filled.
    assert!(bar.contains("33%"), "{bar}");
    let filled = bar.matches('#').count();
    let empty = bar.matches('.').count();
    assert!(filled > 0 && empty > filled, "{bar}");
    assert!(shown.contains(&id), "{shown}");
}

#[test]
fn no_batches_is_an_empty_list() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    assert_eq!(env.json(&["batches"]), serde_json::json!([]));
    let out = env.run(&["batches"]);
    assert!(out.status.success());
}

// prune-batches -------------------------------------------------------------------------------

fn prune(env: &TestEnv, args: &[&str]) -> (i64, i64, i64) {
    let mut all = vec!["prune-batches"];
    all.extend_from_slice(args);
    let out = env.json(&all);
    let n = |k: &str| out[k].as_i64().unwrap_or_else(|| panic!("{k}: {out}"));
    (
        n("deleted"),
        n("unfinished_deleted"),
        n("cancelled_deleted"),
    )
}

fn batch_ids(env: &TestEnv) -> Vec<String> {
    let mut ids: Vec<String> = env
        .json(&["batches"])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn prune_batches_deletes_old_finished_unfinished_and_cancelled_batches() {
    let env = TestEnv::new();
    let hours = |h: u64| secs(h * 3600);
    // At t0: one finished batch, one that never runs (no worker for its queue), one that will
    // be cancelled later.
    let finished = env.ok(&["batch", "true"]).trim().to_string();
    drain(&env, &[]);
    let unfinished = env
        .ok(&["batch", "--queue", "nobody", "true"])
        .trim()
        .to_string();
    let cancelled = env
        .ok(&["batch", "--queue", "nobody", "true"])
        .trim()
        .to_string();

    // At t0 + 10h: cancel one (finished_at = now), and finish a new batch.
    env.advance(hours(10));
    env.ok(&["batch-cancel", &cancelled]);
    let recent = env.ok(&["batch", "true"]).trim().to_string();
    drain(&env, &[]);
    assert_eq!(batch_ids(&env).len(), 4);

    // Now t0 + 12h.
    env.advance(hours(2));
    // The default keeps finished batches for 24 hours.
    assert_eq!(prune(&env, &[]), (0, 0, 0));
    let out = env.ok(&["prune-batches"]);
    assert_eq!(
        out.trim(),
        "Nothing to delete: no batches finished at least 24 hours ago."
    );
    assert_eq!(batch_ids(&env).len(), 4);

    // --hours 11: only the batch finished at t0.
    assert_eq!(prune(&env, &["--hours", "11"]), (1, 0, 0));
    let mut left = vec![unfinished.clone(), cancelled.clone(), recent.clone()];
    left.sort();
    assert_eq!(batch_ids(&env), left);
    assert!(!batch_ids(&env).contains(&finished));

    // --cancelled counts from creation (t0), not from the cancellation (t0 + 10h).
    assert_eq!(
        prune(&env, &["--hours", "11", "--cancelled", "13"]),
        (0, 0, 0)
    );
    assert_eq!(
        prune(&env, &["--hours", "11", "--cancelled", "11"]),
        (0, 0, 1)
    );

    // --unfinished: created more than H hours ago and not finished.
    assert_eq!(prune(&env, &["--unfinished", "13"]), (0, 0, 0));
    let out = env.ok(&["prune-batches", "--unfinished", "11"]);
    assert!(
        out.contains("Deleted 1 unfinished batch created at least 11 hours ago."),
        "{out}"
    );
    assert_eq!(batch_ids(&env), std::slice::from_ref(&recent));

    // A day after it finished (at t0 + 10h), the last one goes too.
    env.advance(hours(21));
    assert_eq!(prune(&env, &[]), (0, 0, 0));
    env.advance(hours(2));
    assert_eq!(prune(&env, &[]), (1, 0, 0));
    assert!(batch_ids(&env).is_empty());
}

#[test]
fn prune_batches_rejects_a_negative_number_of_hours() {
    let env = TestEnv::new();
    let err = env.fails(&["prune-batches", "--hours=-1"], 1);
    assert!(err.contains("-1"), "{err}");
}

// Bad input ---------------------------------------------------------------------------------

#[test]
fn an_unknown_batch_id_is_a_clear_error() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    for cmd in ["batch-show", "batch-cancel", "retry-batch"] {
        let err = env.fails(&[cmd, "no-such-batch"], 1);
        assert!(err.contains("no-such-batch"), "{cmd}: {err}");
        assert!(err.contains("no batch"), "{cmd}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{cmd}: one line: {err}");
    }
}

#[test]
fn a_malformed_batch_file_is_an_error_naming_the_file_and_creates_nothing() {
    let env = TestEnv::new();
    env.write("broken.json", "[\"true\", [\"true\"");
    let err = env.fails(&["batch", "--file", "broken.json"], 1);
    assert!(err.contains("broken.json"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    env.write("object.json", r#"{"jobs": ["true"]}"#);
    let err = env.fails(&["batch", "--file", "object.json"], 1);
    assert!(err.contains("object.json"), "{err}");

    let err = env.fails(&["batch", "--file", "missing.json"], 1);
    assert!(err.contains("missing.json"), "{err}");

    // A bad entry (here inside a chain) names the file; nothing of the batch is stored.
    env.write(
        "badentry.json",
        r#"["true", ["true", {"shell": "true", "delay": "soon"}]]"#,
    );
    let err = env.fails(&["batch", "--file", "badentry.json"], 1);
    assert!(err.contains("badentry.json"), "{err}");
    assert!(err.contains("entry 2"), "{err}");
    env.write("number.json", "[\"true\", 42]");
    let err = env.fails(&["batch", "--file", "number.json"], 1);
    assert!(err.contains("number.json"), "{err}");

    assert_eq!(env.json(&["batches"]), serde_json::json!([]));
    assert_eq!(total_queued(&env), 0);
}
