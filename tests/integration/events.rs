//! Events and hooks through the binary (PRODUCT.md §9), on either store: hooks fire once each
//! with several workers and one SIGKILLed mid-job; a hook sees its event by environment and
//! stdin and an injection in an error text stays inert; `events --follow` sees a job's whole
//! life in order and `--since ID` goes on exactly after it; a failing `before` hook releases a
//! job unrun; TRACEPARENT reaches every attempt; the worker's --json lines carry event names.

use crate::util::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::mpsc;

/// The lines of `name` in the test's directory (none when it does not exist yet).
fn read_lines(env: &TestEnv, name: &str) -> Vec<String> {
    lines(&env.path().join(name))
}

/// `queue events --json [ARGS]`, parsed.
fn events(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--json", "events"];
    all.extend_from_slice(args);
    env.ok(&all)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn names_for(events: &[Value], uuid: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["uuid"] == uuid)
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect()
}

fn executable(env: &TestEnv, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = env.write(name, script);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn each_hook_fires_once_with_four_workers_and_one_killed_mid_job() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "[hooks]\nafter = \"echo \\\"$QUEUE_EVENT_JOB_ID\\\" >> after.log\"\nfailing = \"echo \\\"$QUEUE_EVENT_JOB_ID\\\" >> failing.log\"\n",
    );
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for i in 0..12 {
        ok.push(env.dispatch(&[
            "--name",
            &format!("ok-{i}"),
            "--on-success",
            "echo \"$QUEUE_EVENT_JOB_ID\" >> success.log",
            "--on-failure",
            "echo never >> never.log",
            "--",
            "true",
        ]));
    }
    for i in 0..4 {
        bad.push(env.dispatch(&[
            "--name",
            &format!("bad-{i}"),
            "--tries",
            "1",
            "--on-failure",
            "echo \"$QUEUE_EVENT_JOB_ID\" >> failure.log",
            "--",
            "sh",
            "-c",
            "exit 4",
        ]));
    }
    // Its first attempt hangs until its worker is killed; the second succeeds.
    let slow = env.dispatch(&[
        "--name",
        "slow",
        "--tries",
        "3",
        "--on-success",
        "echo \"$QUEUE_EVENT_JOB_ID\" >> success.log",
        "--",
        "sh",
        "-c",
        "if [ ! -e started ]; then touch started; sleep 300; fi",
    ]);
    let mut workers: Vec<std::process::Child> = (0..4)
        .map(|_| env.spawn(&["work", "--sleep", "0.1", "--tries", "3"]))
        .collect();
    // Everything but the slow job (and the hooks it will fire) is done.
    wait_until(LIMIT, "the quick jobs and their hooks", || {
        read_lines(&env, "success.log").len() == ok.len()
            && read_lines(&env, "failure.log").len() == bad.len()
            && read_lines(&env, "after.log").len() == ok.len()
            && read_lines(&env, "failing.log").len() == bad.len()
            && env.path().join("started").exists()
    });
    wait_until(LIMIT, "only the slow job left", || {
        let status = env.json(&["status"]);
        let queued: i64 = status["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["pending"].as_i64().unwrap() + q["reserved"].as_i64().unwrap())
            .sum();
        queued == 1
    });
    // SIGKILL the worker running the slow job, mid-job.
    let status = env.json(&["status"]);
    let holder = status["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["jobs"].as_array().unwrap().iter().any(|j| j == &slow))
        .map(|w| w["pid"].as_u64().unwrap() as u32)
        .expect("a worker holds the slow job");
    let index = workers.iter().position(|w| w.id() == holder).unwrap();
    let killed = workers.remove(index);
    send_signal(&killed, libc::SIGKILL);
    let _ = wait_exit(killed, secs(20));
    // Past retry_after without a heartbeat: another worker runs it again.
    env.advance(secs(100));
    wait_until(LIMIT, "the slow job's second attempt and its hooks", || {
        read_lines(&env, "success.log").len() == ok.len() + 1
            && read_lines(&env, "after.log").len() == ok.len() + 1
    });
    for w in &workers {
        send_signal(w, libc::SIGTERM);
    }
    for w in workers {
        let _ = wait_exit(w, LIMIT);
    }
    let count = |name: &str| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for line in read_lines(&env, name) {
            *counts.entry(line).or_default() += 1;
        }
        counts
    };
    let once = |uuids: &[String]| -> BTreeMap<String, usize> {
        uuids.iter().map(|u| (u.clone(), 1)).collect()
    };
    let mut succeeded = ok.clone();
    succeeded.push(slow.clone());
    assert_eq!(
        count("success.log"),
        once(&succeeded),
        "on-success: once per job"
    );
    assert_eq!(
        count("after.log"),
        once(&succeeded),
        "after: once per job, none for hooks"
    );
    assert_eq!(count("failure.log"), once(&bad), "on-failure: once per job");
    assert_eq!(count("failing.log"), once(&bad), "failing: once per job");
    assert!(read_lines(&env, "never.log").is_empty());
    assert_eq!(env.state(&slow), "done");
    assert_eq!(env.show(&slow)["attempt_count"], 2);
}

#[test]
fn a_hook_sees_the_event_by_env_and_stdin_and_an_injection_stays_inert() {
    let env = TestEnv::new();
    executable(
        &env,
        "hook.sh",
        "#!/bin/sh\nprintf '%s' \"$QUEUE_EVENT_ERROR\" > error.txt\ncat > event.json\nenv | grep '^QUEUE_EVENT' | sort > env.txt\n",
    );
    // The job's output (part of its error text) tries every way into a shell command.
    executable(
        &env,
        "fail.sh",
        "#!/bin/sh\nprintf '%s\\n' '\"; touch INJECTED1; $(touch INJECTED2) `touch INJECTED3` '\"'\"'; touch INJECTED4'\nexit 7\n",
    );
    env.write("queue.toml", "[hooks]\nfailing = \"./hook.sh\"\n");
    let uuid = env.dispatch(&[
        "--name",
        "it's \"quoted\"; $(touch INJECTED5)",
        "--tries",
        "1",
        "--on-failure",
        "printf '%s' \"$QUEUE_EVENT_JOB_NAME\" > own.txt",
        "--",
        "./fail.sh",
    ]);
    drain(&env, &[]);
    let error = std::fs::read_to_string(env.path().join("error.txt")).unwrap();
    assert!(error.contains("exited with status 7"), "{error}");
    assert!(
        error.contains("$(touch INJECTED2) `touch INJECTED3`"),
        "{error}"
    );
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path().join("event.json")).unwrap())
            .unwrap();
    assert_eq!(event["event"], "job.failed");
    assert_eq!(event["uuid"], uuid.as_str());
    assert_eq!(event["exit_code"], 7);
    assert_eq!(event["attempt"], 1);
    assert_eq!(event["message"].as_str().unwrap(), error);
    let vars = std::fs::read_to_string(env.path().join("env.txt")).unwrap();
    for want in [
        "QUEUE_EVENT=job.failed".to_string(),
        format!("QUEUE_EVENT_JOB_ID={uuid}"),
        "QUEUE_EVENT_QUEUE=default".to_string(),
        "QUEUE_EVENT_ATTEMPT=1".to_string(),
        "QUEUE_EVENT_EXIT_CODE=7".to_string(),
    ] {
        assert!(vars.contains(&want), "{want} in {vars}");
    }
    assert_eq!(
        std::fs::read_to_string(env.path().join("own.txt")).unwrap(),
        "it's \"quoted\"; $(touch INJECTED5)"
    );
    for i in 1..=5 {
        assert!(
            !env.path().join(format!("INJECTED{i}")).exists(),
            "INJECTED{i} was created: an event's text ran as a command"
        );
    }
}

#[test]
fn events_follow_sees_a_jobs_whole_life_in_order_and_since_resumes_after_a_cursor() {
    let env = TestEnv::new();
    let mut follower = env.spawn(&["--json", "events", "--follow"]);
    let stdout = follower.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                return;
            }
        }
    });
    // Fails once, then succeeds.
    let uuid = env.dispatch(&[
        "--tries",
        "2",
        "--backoff",
        "0",
        "--",
        "sh",
        "-c",
        "test -e again || { touch again; echo first >&2; exit 3; }",
    ]);
    drain(&env, &[]);
    let mut seen: Vec<Value> = Vec::new();
    // The worker has exited, but the follower may not have read its last events yet.
    wait_until(
        LIMIT,
        "the follower to see the job end and the worker stop",
        || {
            seen.extend(rx.try_iter());
            seen.iter()
                .any(|e| e["event"] == "job.processed" && e["uuid"] == uuid)
                && seen.iter().any(|e| e["event"] == "worker.stopping")
        },
    );
    let life = names_for(&seen, &uuid);
    assert_eq!(
        life,
        [
            "job.queued",
            "job.processing",
            "job.exception",
            "job.released_after_exception",
            "job.processing",
            "job.processed"
        ]
    );
    let ids: Vec<i64> = seen.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in order, once: {ids:?}"
    );
    let worker_events: Vec<&str> = seen
        .iter()
        .filter(|e| e["uuid"].is_null())
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(worker_events, ["worker.starting", "worker.stopping"]);
    let stopping = seen
        .iter()
        .find(|e| e["event"] == "worker.stopping")
        .unwrap();
    assert_eq!(stopping["message"], "empty");
    let exception = seen.iter().find(|e| e["event"] == "job.exception").unwrap();
    assert_eq!(exception["exit_code"], 3);
    assert_eq!(exception["message"], "exited with status 3");
    assert_eq!(exception["connection"], "default");
    assert!(exception["host"].is_string() && exception["worker"].is_string());
    send_signal(&follower, libc::SIGTERM);
    let _ = wait_exit(follower, secs(20));

    // A cursor resumes exactly after its event; filters narrow the listing.
    let cursor = exception["id"].as_i64().unwrap();
    let after = events(
        &env,
        &["--since", &cursor.to_string(), "--uuid", &uuid[..8]],
    );
    assert_eq!(
        names_for(&after, &uuid),
        [
            "job.released_after_exception",
            "job.processing",
            "job.processed"
        ]
    );
    let failed_only = events(&env, &["--event", "job.exception,job.processed"]);
    assert_eq!(failed_only.len(), 2);
    env.fails(&["events", "--event", "job.nope"], 2);
    env.fails(&["events", "--since", "soon"], 2);
}

#[test]
fn a_failing_before_hook_releases_the_job_with_its_backoff_unrun() {
    let env = TestEnv::new();
    env.write("queue.toml", "[hooks]\nbefore = \"test -e allow\"\n");
    let uuid = env.dispatch(&["--tries", "3", "--backoff", "30", "--", "touch", "ran"]);
    let out = env.run(&["--json", "work", "--once", "--sleep", "0.05"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!env.path().join("ran").exists(), "the job did not run");
    assert_eq!(env.state(&uuid), "delayed");
    let released = events(&env, &["--event", "job.released"]);
    assert_eq!(released.len(), 1);
    assert_eq!(
        released[0]["message"],
        "before hook exited with status 1; retried in 30s"
    );
    // Once the gate opens and the backoff has passed, it runs.
    env.write("allow", "");
    env.advance(secs(31));
    drain(&env, &[]);
    assert!(env.path().join("ran").exists());
    assert_eq!(env.state(&uuid), "done");
    assert_eq!(env.show(&uuid)["attempt_count"], 2);
}

#[test]
fn traceparent_reaches_every_attempt_and_work_json_lines_name_their_events() {
    let env = TestEnv::new();
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let out = env
        .cmd(&[
            "dispatch",
            "--tries",
            "2",
            "--",
            "sh",
            "-c",
            "echo \"$TRACEPARENT $TRACESTATE\" >> tp.log; test \"$QUEUE_ATTEMPT\" -ge 2 || exit 5",
        ])
        .env("TRACEPARENT", tp)
        .env("TRACESTATE", "vendor=1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let uuid = text(&out.stdout).trim().to_string();
    let out = drain(&env, &["--json"]);
    assert_eq!(
        read_lines(&env, "tp.log"),
        [format!("{tp} vendor=1"), format!("{tp} vendor=1")]
    );
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mine: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["uuid"] == uuid)
        .map(|l| {
            (
                l["event"].as_str().unwrap().to_string(),
                l["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        mine,
        [
            ("job.processing".into(), "starting".into()),
            (
                "job.released_after_exception".into(),
                "released_after_exception".into()
            ),
            ("job.processing".into(), "starting".into()),
            ("job.processed".into(), "success".into()),
        ]
    );
    let released = lines
        .iter()
        .find(|l| l["event"] == "job.released_after_exception")
        .unwrap();
    assert_eq!(released["message"], "exited with status 5; retried in 0s");
    assert_eq!(released["exit_code"], 5);
    assert_eq!(released["attempt"], 1);
}
