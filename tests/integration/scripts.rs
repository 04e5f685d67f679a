//! Scripts and CI (PRODUCT.md §8): every attempt kept and shown, finding jobs, waiting for them,
//! following their output, and failing when they failed.

use crate::util::*;

#[test]
fn show_lists_every_attempt_with_its_exit_status() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--tries", "2", "--", "sh", "-c", "echo try; exit 3"]);
    drain(&env, &[]);
    env.advance(secs(60));
    drain(&env, &[]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "failed", "{job:#}");
    let attempts = job["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{job:#}");
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a["attempt"], i as i64 + 1, "{a}");
        assert_eq!(a["exit_code"], 3, "{a}");
        assert!(a["signal"].is_null(), "{a}");
        assert_eq!(a["output"], "try\n", "{a}");
        assert!(a["duration_ms"].as_i64().unwrap() >= 0, "{a}");
        assert!(!a["worker"].as_str().unwrap().is_empty(), "{a}");
        assert!(!a["host"].as_str().unwrap().is_empty(), "{a}");
        assert!(
            a["started_at"].is_string() && a["finished_at"].is_string(),
            "{a}"
        );
    }
    assert_eq!(attempts[0]["outcome"], "retrying");
    assert_eq!(attempts[1]["outcome"], "failed");
    let table = env.ok(&["show", &uuid]);
    assert!(table.contains("#1") && table.contains("exit 3"), "{table}");

    // A job killed by a signal.
    let killed = env.dispatch(&["--", "sh", "-c", "kill -9 $$"]);
    drain(&env, &[]);
    let a = &env.show(&killed)["attempts"][0];
    assert_eq!(a["signal"], 9, "{a}");
    assert!(a["exit_code"].is_null(), "{a}");
}

#[test]
fn jobs_lists_any_state_and_prefixes_cancel_and_run_now() {
    let env = TestEnv::new();
    let done = env.dispatch(&["--queue", "a", "--", "true"]);
    drain(&env, &["--queue", "a"]);
    let failed = env.dispatch(&["--queue", "a", "--", "sh", "-c", "echo oops; exit 2"]);
    drain(&env, &["--queue", "a"]);
    let pending = env.dispatch(&["--queue", "b", "--name", "report-1", "--", "true"]);
    let delayed = env.dispatch(&["--queue", "b", "--delay", "1h", "--", "true"]);

    let all = env.json(&["jobs"]);
    let listed: Vec<(&str, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["uuid"].as_str().unwrap(), j["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            (delayed.as_str(), "delayed"),
            (pending.as_str(), "pending"),
            (failed.as_str(), "failed"),
            (done.as_str(), "done"),
        ],
        "newest first: {all:#}"
    );
    let only = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["jobs"];
        all.extend_from_slice(args);
        env.json(&all)
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["uuid"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(only(&["--state", "failed"]), [failed.clone()]);
    assert_eq!(
        only(&["--queue", "b", "--state", "pending"]),
        [pending.clone()]
    );
    assert_eq!(only(&["--name", "report-*"]), [pending.clone()]);
    assert_eq!(only(&["--grep", "oops"]), [failed.clone()]);
    assert_eq!(only(&["--limit", "1"]), [delayed.clone()]);
    let table = env.ok(&["jobs", "--limit", "2"]);
    assert!(table.contains("2 more"), "{table}");

    // A unique prefix works wherever a uuid is taken; an ambiguous one names the candidates.
    let mut n = 8;
    while only(&[])
        .iter()
        .filter(|u| u.starts_with(&done[..n]))
        .count()
        > 1
    {
        n += 1;
    }
    assert_eq!(env.show(&done[..n])["uuid"], done.as_str());
    let common: String = done
        .chars()
        .zip(failed.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect();
    if common.len() >= 4 {
        let err = env.fails(&["show", &common], 1);
        assert!(err.contains("ambiguous") && err.contains(&failed), "{err}");
    }
    let err = env.fails(&["show", "ffffffff"], 1);
    assert!(err.contains("no job"), "{err}");

    env.ok(&["run-now", &delayed]);
    assert_eq!(env.state(&delayed), "pending");
    let err = env.fails(&["run-now", &delayed], 1);
    assert!(err.contains("not delayed"), "{err}");
    env.ok(&["cancel", &delayed, &pending]);
    assert_eq!(only(&["--queue", "b"]), Vec::<String>::new());
    let err = env.fails(&["cancel", &done], 1);
    assert!(err.contains("not queued"), "{err}");
}

#[test]
fn a_running_job_cannot_be_cancelled() {
    let env = TestEnv::new();
    let gate = env.path().join("gate");
    let uuid = env.dispatch(&[
        "--",
        "sh",
        "-c",
        &format!("while [ ! -e {} ]; do sleep 0.05; done", gate.display()),
    ]);
    let worker = env.spawn(&["work", "--stop-when-empty", "--sleep", "0.05"]);
    wait_until(LIMIT, "the job to run", || env.state(&uuid) == "reserved");
    let err = env.fails(&["cancel", &uuid], 1);
    assert!(err.contains("running"), "{err}");
    std::fs::write(&gate, "").unwrap();
    wait_exit(worker, LIMIT);
    assert_eq!(env.state(&uuid), "done");
}

#[test]
fn work_exit_on_failure_and_stop_when_done_wait_out_retries() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    let flaky = env.path().join("flaky");
    // Fails once, then succeeds on its retry after a backoff.
    let uuid = env.dispatch(&[
        "--tries",
        "2",
        "--backoff",
        "1",
        "--",
        "sh",
        "-c",
        &format!("[ -e {0} ] || {{ touch {0}; exit 1; }}", flaky.display()),
    ]);
    let out = wait_exit(
        env.spawn(&[
            "work",
            "--stop-when-done",
            "--exit-on-failure",
            "--sleep",
            "0.05",
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(env.state(&uuid), "done", "the worker waited out the retry");

    env.dispatch(&["--", "sh", "-c", "exit 4"]);
    let out = wait_exit(
        env.spawn(&[
            "work",
            "--stop-when-empty",
            "--exit-on-failure",
            "--sleep",
            "0.05",
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("failed for good"));

    // --stop-when-empty-for: exits 0 once nothing came for that long.
    let out = wait_exit(
        env.spawn(&["work", "--stop-when-empty-for", "0.3", "--sleep", "0.05"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
