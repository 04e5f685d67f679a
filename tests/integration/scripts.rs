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
    assert_eq!(only(&["--state", "failed"]), [failed.as_str()]);
    assert_eq!(
        only(&["--queue", "b", "--state", "pending"]),
        [pending.as_str()]
    );
    assert_eq!(only(&["--name", "report-*"]), [pending.as_str()]);
    assert_eq!(only(&["--grep", "oops"]), [failed.as_str()]);
    assert_eq!(only(&["--limit", "1"]), [delayed.as_str()]);
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
    env.start_clock();
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

/// Run `args` in the background and return its exit code (with a deadline).
fn exit_of(env: &TestEnv, args: &[&str]) -> (Option<i32>, String, String) {
    let out = wait_exit(env.spawn(args), LIMIT);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn dispatch_wait_exits_with_the_jobs_end() {
    let env = TestEnv::new();
    let worker = env.spawn(&["work", "--sleep", "0.05"]);
    let code = |args: &[&str]| {
        let mut all = vec!["dispatch", "--wait"];
        all.extend_from_slice(args);
        exit_of(&env, &all)
    };
    assert_eq!(code(&["--", "true"]).0, Some(0));
    // A final failure after retries: the last attempt's exit status.
    let (c, _, err) = code(&["--tries", "2", "--", "sh", "-c", "exit 7"]);
    assert_eq!(c, Some(7), "{err}");
    assert!(err.contains("failed"), "{err}");
    assert_eq!(code(&["--", "sh", "-c", "kill -TERM $$"]).0, Some(128 + 15));
    assert_eq!(code(&["--timeout", "1", "--", "sleep", "30"]).0, Some(124));
    assert_eq!(code(&["--", "/nonexistent/program"]).0, Some(1));
    // --follow streams the output while waiting.
    let (c, out, _) = code(&[
        "--follow",
        "--",
        "sh",
        "-c",
        "echo one; sleep 0.5; echo two",
    ]);
    assert_eq!(c, Some(0));
    assert!(out.contains("one\n") && out.contains("two\n"), "{out}");
    send_signal(&worker, libc::SIGTERM);
    wait_exit(worker, LIMIT);

    // The wait's own timeout: no worker runs it, it stays queued.
    let (c, out, err) = code(&["--wait-timeout", "0.3", "--", "true"]);
    assert_eq!(c, Some(124), "{err}");
    assert!(err.contains("stays queued"), "{err}");
    assert_eq!(env.state(out.trim()), "pending");
}

#[test]
fn wait_for_jobs_batches_chains_and_queues() {
    let env = TestEnv::new();
    let ok = env.dispatch(&["--", "true"]);
    let bad = env.dispatch(&["--", "sh", "-c", "exit 3"]);
    // Nothing ran yet: the wait times out.
    let (c, _, _) = exit_of(&env, &["wait", &ok, "--timeout", "0.2"]);
    assert_eq!(c, Some(124));
    // A wait that begins before the jobs run.
    let waiting = env.spawn(&["wait", &ok, &bad]);
    drain(&env, &[]);
    let out = wait_exit(waiting, LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(&bad), "{}", text(&out.stderr));
    // A wait that begins long after the jobs ended.
    env.advance(secs(600));
    assert_eq!(exit_of(&env, &["wait", &ok]).0, Some(0));
    assert_eq!(exit_of(&env, &["wait", &bad[..13]]).0, Some(1));
    let json = env.json(&["wait", &ok]);
    assert_eq!(json["ended"][0]["state"], "done", "{json}");

    // A batch with a failure.
    let batch = env.ok(&["batch", "--allow-failures", "true", "false"]);
    let id = batch.split_whitespace().next().unwrap().to_string();
    let waiting = env.spawn(&["wait", "--batch", &id]);
    drain(&env, &[]);
    assert_eq!(wait_exit(waiting, LIMIT).status.code(), Some(1));

    // A chain that stops at its second link.
    let chain = env.ok(&["chain", "true", "false", "true"]);
    let first = chain.split_whitespace().next().unwrap().to_string();
    let waiting = env.spawn(&["wait", "--chain", &first]);
    drain(&env, &[]);
    drain(&env, &[]);
    assert_eq!(wait_exit(waiting, LIMIT).status.code(), Some(1));
    let chain = env.ok(&["chain", "true", "true"]);
    let first = chain.split_whitespace().next().unwrap().to_string();
    drain(&env, &[]);
    drain(&env, &[]);
    assert_eq!(exit_of(&env, &["wait", "--chain", &first]).0, Some(0));

    // Queues: until nothing is pending, delayed or reserved.
    env.dispatch(&["--queue", "q1", "--", "true"]);
    let waiting = env.spawn(&["wait", "--queue", "q1"]);
    drain(&env, &["--queue", "q1"]);
    assert_eq!(wait_exit(waiting, LIMIT).status.code(), Some(0));
}

#[test]
fn logs_follow_streams_a_job_that_prints_slowly() {
    let env = TestEnv::new();
    let gate = env.path().join("gate");
    let uuid = env.dispatch(&[
        "--",
        "sh",
        "-c",
        &format!(
            "echo first; while [ ! -e {} ]; do sleep 0.05; done; echo second",
            gate.display()
        ),
    ]);
    let worker = env.spawn(&["work", "--stop-when-empty", "--sleep", "0.05"]);
    let mut follow = env.spawn(&["logs", "--follow", &uuid[..13]]);
    // The first line arrives while the job still runs.
    let mut stdout = follow.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 64];
    use std::io::Read;
    while !String::from_utf8_lossy(&seen).contains("first\n") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "logs --follow ended early");
        seen.extend_from_slice(&buf[..n]);
    }
    assert_eq!(env.state(&uuid), "reserved");
    std::fs::write(&gate, "").unwrap();
    stdout.read_to_end(&mut seen).unwrap();
    let out = wait_exit(follow, LIMIT);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&seen), "first\nsecond\n");
    wait_exit(worker, LIMIT);
    assert_eq!(
        env.ok(&["logs", &uuid, "--attempt", "1"]),
        "first\nsecond\n"
    );
}

/// The README's CI example, exactly as written there.
fn readme_ci_example() -> String {
    let readme = include_str!("../../README.md");
    let start = readme.find("<!-- ci-example -->\n```sh\n").unwrap();
    let rest = &readme[start..];
    let body = &rest[rest.find("```sh\n").unwrap() + 6..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_readme_ci_example_fails_the_pipeline_when_a_job_failed() {
    let script = readme_ci_example();
    for (failing, expected) in [(None, 0), (Some(3), 1)] {
        let env = TestEnv::new();
        let fail_on = failing.map_or("0".to_string(), |n: i32| n.to_string());
        env.write("check.sh", &format!("#!/bin/sh\n[ \"$1\" != {fail_on} ]\n"));
        let ci = env.write("ci.sh", &script);
        use std::os::unix::fs::PermissionsExt;
        for f in [&ci, &env.path().join("check.sh")] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let bin = std::path::Path::new(&queue_bin())
            .parent()
            .unwrap()
            .to_path_buf();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let cmd = env.cmd(&[]);
        let out = std::process::Command::new("sh")
            .arg(&ci)
            .current_dir(env.path())
            .envs(
                cmd.get_envs()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
            )
            .env("PATH", path)
            .output()
            .unwrap();

        assert_eq!(
            out.status.code(),
            Some(expected),
            "fail on {failing:?}\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// A job on `queue` named `name` that prints `say` and exits with `code`, worked to failure.
fn fail_one(env: &TestEnv, queue: &str, name: &str, script: &str) -> String {
    let uuid = env.dispatch(&["--queue", queue, "--name", name, "--", "sh", "-c", script]);
    drain(env, &["--queue", queue]);
    assert_eq!(env.state(&uuid), "failed");
    uuid
}

fn uuids_of(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|j| {
            j.as_str()
                .or_else(|| j["uuid"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn failed_retry_and_forget_share_one_selection_with_dry_run() {
    let env = TestEnv::new();
    let a = fail_one(&env, "q1", "report-1", "echo alpha; exit 3");
    env.advance(secs(2 * 3600));
    let b = fail_one(&env, "q2", "mail-1", "kill -9 $$");
    let c = fail_one(&env, "q1", "report-2", "echo zeta; exit 4");
    let failed = |args: &[&str]| uuids_of(&env.json(&[&["failed"], args].concat()));

    assert_eq!(failed(&[]), [c.as_str(), b.as_str(), a.as_str()]);
    assert_eq!(failed(&["--queue", "q1"]), [c.as_str(), a.as_str()]);
    assert_eq!(failed(&["--name", "report-*"]), [c.as_str(), a.as_str()]);
    assert_eq!(failed(&["--since", "1h"]), [c.as_str(), b.as_str()]);
    assert_eq!(failed(&["--before", "1h"]), [a.as_str()]);
    assert_eq!(failed(&["--grep", "zeta"]), [c.as_str()]);
    assert_eq!(failed(&["--exit-code", "3"]), [a.as_str()]);
    assert_eq!(failed(&["--exit-code", "137"]), [b.as_str()], "128+SIGKILL");
    assert_eq!(failed(&["--limit", "1"]), [c.as_str()]);
    assert_eq!(
        failed(&["--queue", "q1", "--since", "1h", "--limit", "0"]),
        [c.as_str()]
    );
    let table = env.ok(&["failed", "--grep", "alpha"]);
    assert!(table.contains(&a) && !table.contains(&c), "{table}");
    // The JSON shape is the one `failed` always had.
    let job = &env.json(&["failed", "--exit-code", "4"])[0];
    let mut keys: Vec<&str> = job
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "attempts",
            "connection",
            "error",
            "failed_at",
            "name",
            "payload",
            "queue",
            "uuid"
        ]
    );

    // --dry-run prints what would be acted on and acts on nothing.
    let dry = env.json(&["retry", "--queue", "q1", "--dry-run"]);
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(uuids_of(&dry["would_retry"]), [c.as_str(), a.as_str()]);
    let out = env
        .cmd(&["retry", "--name", "report-*", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains(&a), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("nothing was done"),
        "{}",
        text(&out.stderr)
    );
    let dry = env.json(&["forget", &b, "--dry-run"]);
    assert_eq!(uuids_of(&dry["would_forget"]), [b.as_str()]);
    assert_eq!(failed(&[]).len(), 3, "a dry run changes nothing");

    // Acting on the selection.
    let retried = env.json(&["retry", "--name", "report-*", "--since", "1h"]);
    assert_eq!(uuids_of(&retried["retried"]), [c.as_str()]);
    assert_eq!(env.state(&c), "pending");
    let forgotten = env.json(&["forget", "--exit-code", "137"]);
    assert_eq!(uuids_of(&forgotten["forgotten"]), [b.as_str()]);
    assert_eq!(failed(&[]), [a.as_str()]);

    // A selection or ids, never neither nor both.
    env.fails(&["retry"], 2);
    env.fails(&["forget"], 2);
    env.fails(&["retry", &a, "--queue", "q1"], 2);
    env.fails(&["failed", "--since", "soon"], 2);
}

#[test]
fn a_retried_selection_is_fixed_before_acting() {
    let env = TestEnv::new();
    // More failed jobs than one page of the store holds, each failing again at once.
    let n = 130;
    let lines: String = (0..n)
        .map(|i| {
            format!("{{\"command\": [\"false\"], \"queue\": \"flaky\", \"name\": \"f-{i}\"}}\n")
        })
        .collect();
    env.write("jobs.jsonl", &lines);
    env.ok(&["dispatch", "--file", "jobs.jsonl"]);
    drain(&env, &["--queue", "flaky", "--concurrency", "8"]);
    assert_eq!(uuids_of(&env.json(&["failed"])).len(), n);

    // A worker fails them again while the retry walks the selection.
    let worker = env.spawn(&[
        "work",
        "--queue",
        "flaky",
        "--concurrency",
        "4",
        "--sleep",
        "0.05",
    ]);
    let retried = uuids_of(&env.json(&["retry", "--name", "f-*"])["retried"]);
    let unique: std::collections::HashSet<&String> = retried.iter().collect();
    assert_eq!((retried.len(), unique.len()), (n, n), "each retried once");
    send_signal(&worker, libc::SIGTERM);
    wait_exit(worker, LIMIT);
}

/// The README's cron example: the command after its five schedule fields.
fn readme_cron_example() -> String {
    let readme = include_str!("../../README.md");
    let start = readme.find("<!-- cron-example -->\n```sh\n").unwrap();
    let rest = &readme[start..];
    let body = &rest[rest.find("```sh\n").unwrap() + 6..];
    let line = body[..body.find("```").unwrap()].trim();
    line.splitn(6, ' ')
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .splitn(6, ' ')
        .nth(5)
        .unwrap()
        .to_string()
}

#[test]
fn the_readme_cron_example_mails_only_new_failures() {
    let command = readme_cron_example();
    assert!(
        command.contains("queue --quiet failed --since 1h"),
        "{command}"
    );
    let env = TestEnv::new();
    // `mail` records what it was given.
    let mail = env.write(
        "bin/mail",
        "#!/bin/sh\n{ echo \"args: $*\"; cat; } >> \"$MAIL_LOG\"\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&mail, std::fs::Permissions::from_mode(0o755)).unwrap();
    let queue_dir = std::path::Path::new(&queue_bin())
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}:{}",
        env.path().join("bin").display(),
        queue_dir.display(),
        std::env::var("PATH").unwrap()
    );
    let log = env.path().join("mail.log");
    let run_cron = || {
        let cmd = env.cmd(&[]);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(env.path())
            .envs(
                cmd.get_envs()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
            )
            .env("PATH", &path)
            .env("MAIL_LOG", &log)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        std::fs::read_to_string(&log).unwrap_or_default()
    };

    let old = fail_one(&env, "default", "old", "exit 3");
    env.advance(secs(2 * 3600));
    assert_eq!(run_cron(), "", "nothing failed in the last hour: no mail");
    let new = fail_one(&env, "default", "new", "exit 4");
    let mailed = run_cron();
    assert!(
        mailed.contains("args: -s queue: jobs failed in the last hour ops@example.com"),
        "{mailed}"
    );
    assert!(mailed.contains(&new) && !mailed.contains(&old), "{mailed}");
}

#[test]
fn status_shows_pauses_maintenance_and_empty_queues_with_workers() {
    let env = TestEnv::new();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let row = |status: &serde_json::Value, queue: &str| {
        status["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["queue"] == queue)
            .cloned()
    };
    let top = ["maintenance", "paused", "queues", "workers"];
    let row_keys = [
        "connection",
        "delayed",
        "failed",
        "oldest_pending_age_s",
        "paused",
        "pending",
        "queue",
        "reserved",
        "workers",
    ];

    // Nothing queued: the same keys.
    env.ok(&["down"]);
    env.ok(&["up"]);
    let status = env.json(&["status"]);
    assert_eq!(keys(&status), top, "{status}");
    assert_eq!(status["queues"], serde_json::json!([]));
    assert_eq!(status["maintenance"], false);

    // A paused empty queue is listed; maintenance mode is said.
    env.ok(&["pause", "idle"]);
    env.ok(&["down"]);
    env.dispatch(&["--queue", "busy", "--", "true"]);
    let status = env.json(&["status"]);
    assert_eq!(keys(&status), top, "{status}");
    assert_eq!(status["maintenance"], true, "{status}");
    let paused = status["paused"].as_array().unwrap();
    assert_eq!(paused.len(), 1, "{status}");
    assert!(paused[0].as_str().unwrap().ends_with(":idle"), "{status}");
    let idle = row(&status, "idle").expect("the paused empty queue");
    assert_eq!(keys(&idle), row_keys);
    assert_eq!(
        (idle["paused"].clone(), idle["pending"].clone()),
        (true.into(), 0.into())
    );
    let busy = row(&status, "busy").unwrap();
    assert_eq!(keys(&busy), row_keys);
    assert_eq!(
        (busy["paused"].clone(), busy["pending"].clone()),
        (false.into(), 1.into())
    );
    let table = env.ok(&["status"]);
    assert!(table.contains("Maintenance mode is on"), "{table}");
    assert!(
        table.contains("idle") && table.contains("paused"),
        "{table}"
    );
    env.ok(&["up"]);
    let table = env.ok(&["status"]);
    assert!(!table.contains("Maintenance"), "{table}");

    // An empty queue a live worker serves is listed with its worker.
    let worker = env.spawn(&["work", "--queue", "live", "--sleep", "0.05"]);
    wait_until(LIMIT, "the worker in status", || {
        row(&env.json(&["status"]), "live").is_some_and(|r| r["workers"] == 1)
    });
    let live = row(&env.json(&["status"]), "live").unwrap();
    assert_eq!(
        (live["pending"].clone(), live["paused"].clone()),
        (0.into(), false.into())
    );
    send_signal(&worker, libc::SIGTERM);
    wait_exit(worker, LIMIT);
}
