//! `queue dispatch`: every job option, --if / --unless, --sync, --file, bad input, where the
//! store is (PRODUCT.md §2) and how it is created (§7).

use crate::util::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Unix milliseconds of an RFC 3339 string in a JSON document.
fn ms(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {text}"))
        .timestamp_millis()
}

/// Every job the store holds in any queue (pending, delayed, reserved), from `status --json`.
fn queued_jobs(env: &TestEnv) -> i64 {
    let status = env.json(&["status"]);
    status["queues"]
        .as_array()
        .unwrap_or_else(|| panic!("no queues array: {status}"))
        .iter()
        .map(|q| {
            q["pending"].as_i64().unwrap()
                + q["delayed"].as_i64().unwrap()
                + q["reserved"].as_i64().unwrap()
        })
        .sum()
}

/// The stderr of a failed command must be one line starting with "queue: error:".
fn assert_one_error_line(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got:\n{stderr}"
    );
    assert!(
        lines[0].starts_with("queue: error: "),
        "expected 'queue: error: …', got: {stderr}"
    );
}

/// Run a prepared command to the end.
fn output(mut cmd: Command) -> Output {
    cmd.output().expect("run queue")
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A prepared command must succeed; returns its stdout.
fn succeeds(cmd: Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "expected success, got {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout_of(&out),
        stderr_of(&out)
    );
    stdout_of(&out)
}

/// A prepared command must exit with `code` and not panic; returns its stderr.
fn exits_with(cmd: Command, code: i32) -> String {
    let out = output(cmd);
    let stderr = stderr_of(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}\nstdout: {}\nstderr: {stderr}",
        stdout_of(&out)
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    stderr
}

/// A `queue` command that finds its store by configuration, not QUEUE_DATABASE, run in `dir`.
fn configured(env: &TestEnv, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = env.cmd(args);
    cmd.env_remove("QUEUE_DATABASE").current_dir(dir);
    cmd
}

/// `show UUID --json` against an explicit store file.
fn show_in(env: &TestEnv, db: &Path, uuid: &str) -> Value {
    let text = succeeds(env.cmd(&["--json", "--database", db.to_str().unwrap(), "show", uuid]));
    serde_json::from_str(&text).unwrap()
}

/// Does the store at `db` know the job `uuid`?
fn store_has(env: &TestEnv, db: impl AsRef<std::ffi::OsStr>, uuid: &str) -> bool {
    env.run(&["--database", db.as_ref().to_str().unwrap(), "show", uuid])
        .status
        .success()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------------------------
// Job options

#[test]
fn queue_option_puts_the_job_on_that_queue() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--queue", "emails", "--", "true"]);
    assert_eq!(env.show(&uuid)["queue"], "emails");
    let status = env.json(&["status"]);
    let queues = status["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 1, "{status}");
    assert_eq!(queues[0]["queue"], "emails");
    assert_eq!(queues[0]["pending"], 1);
}

#[test]
fn without_queue_option_the_job_goes_to_default() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--", "true"]);
    assert_eq!(env.show(&uuid)["queue"], "default");
}

#[test]
fn json_output_has_uuid_queue_connection_and_dispatched() {
    let env = TestEnv::new();
    let doc = env.json(&["dispatch", "--queue", "reports", "--", "true"]);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in ["uuid", "queue", "connection", "dispatched"] {
        assert!(keys.contains(&key), "missing {key} in {doc}");
    }
    assert_eq!(doc["queue"], "reports");
    assert_eq!(doc["connection"], "default");
    assert_eq!(doc["dispatched"], true);
    let uuid = doc["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    // The uuid printed is the stored job's.
    assert_eq!(env.show(uuid)["queue"], "reports");
}

#[test]
fn delay_in_every_duration_form_delays_the_job_by_that_long() {
    let env = TestEnv::new();
    let cases = [
        ("30", 30_000),
        ("30s", 30_000),
        ("5m", 300_000),
        ("2h", 7_200_000),
        ("1d", 86_400_000),
    ];
    for (delay, expected_ms) in cases {
        let uuid = env.dispatch(&["--delay", delay, "--", "true"]);
        let job = env.show(&uuid);
        assert_eq!(job["state"], "delayed", "--delay {delay}: {job}");
        let waited = ms(&job["available_at"]) - ms(&job["created_at"]);
        assert_eq!(waited, expected_ms, "--delay {delay}: {job}");
    }
    let status = env.json(&["status"]);
    assert_eq!(status["queues"][0]["delayed"], 5, "{status}");
    assert_eq!(status["queues"][0]["pending"], 0, "{status}");
}

#[test]
fn delay_as_an_rfc3339_time_makes_the_job_available_at_that_time() {
    let env = TestEnv::new();
    let at = chrono::Utc::now().timestamp() * 1000 + 3 * 3_600_000;
    let text = chrono::DateTime::from_timestamp_millis(at)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let uuid = env.dispatch(&["--delay", &text, "--", "true"]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "delayed", "{job}");
    assert_eq!(ms(&job["available_at"]), at, "{job}");

    // An offset other than Z names the same instant.
    let plus_two = chrono::DateTime::from_timestamp_millis(at)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339();
    assert!(plus_two.contains("+02:00"), "{plus_two}");
    let uuid = env.dispatch(&["--delay", &plus_two, "--", "true"]);
    assert_eq!(ms(&env.show(&uuid)["available_at"]), at);
}

#[test]
fn a_delayed_job_runs_only_once_the_clock_passes_its_delay() {
    let env = TestEnv::new();
    let marker = env.path().join("ran");
    let uuid = env.dispatch(&["--delay", "5m", "--", "touch", marker.to_str().unwrap()]);
    let out = env.drain(&[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!marker.exists(), "a job delayed 5m ran at once");
    assert_eq!(env.state(&uuid), "delayed");

    env.advance(Duration::from_secs(4 * 60));
    env.drain(&[]);
    assert!(!marker.exists(), "a job delayed 5m ran after 4m");

    env.advance(Duration::from_secs(61));
    assert_eq!(env.state(&uuid), "pending");
    env.drain(&[]);
    assert!(marker.exists(), "a job delayed 5m did not run after 5m");
    assert_eq!(env.state(&uuid), "done");
}

#[test]
fn job_options_are_stored_with_the_job() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "4",
        "--backoff",
        "1,5,10",
        "--timeout",
        "2m",
        "--retry-until",
        "1h",
        "--max-exceptions",
        "3",
        "--fail-on-timeout",
        "--name",
        "nightly-report",
        "--",
        "echo",
        "hi",
    ]);
    let job = env.show(&uuid);
    let p = &job["payload"];
    assert_eq!(job["name"], "nightly-report", "{job}");
    assert_eq!(p["display_name"], "nightly-report");
    assert_eq!(p["command"]["argv"], serde_json::json!(["echo", "hi"]));
    assert_eq!(p["max_tries"], 4);
    assert_eq!(p["backoff"], serde_json::json!([1, 5, 10]));
    assert_eq!(p["timeout"], 120);
    assert_eq!(p["max_exceptions"], 3);
    assert_eq!(p["fail_on_timeout"], true);
    let created = ms(&job["created_at"]);
    assert_eq!(
        p["retry_until"].as_i64().unwrap() - created,
        3_600_000,
        "{job}"
    );
}

#[test]
fn options_not_given_are_left_to_the_worker() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--", "echo", "hi"]);
    let job = env.show(&uuid);
    let p = &job["payload"];
    assert_eq!(job["name"], "echo hi");
    for key in [
        "maxTries",
        "backoff",
        "timeout",
        "retryUntil",
        "maxExceptions",
        "delay",
    ] {
        assert!(p[key].is_null(), "{key} should be unset: {job}");
    }
    assert_eq!(p["fail_on_timeout"], false);
}

#[test]
fn retry_until_accepts_an_rfc3339_time() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--retry-until", "2030-01-02T03:04:05Z", "--", "true"]);
    let expected = chrono::DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
        .unwrap()
        .timestamp_millis();
    assert_eq!(env.show(&uuid)["payload"]["retry_until"], expected);
}

#[test]
fn tries_zero_and_minus_one_are_stored_and_mean_unlimited() {
    let env = TestEnv::new();
    // Fails three times, then succeeds; the worker's own --tries 1 must not stop it.
    let script = "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $n -ge 4 ]";
    for tries in ["0", "-1"] {
        let _ = std::fs::remove_file(env.path().join("count"));
        let uuid = env.dispatch(&["--tries", tries, "--", "sh", "-c", script]);
        assert_eq!(
            env.show(&uuid)["payload"]["max_tries"],
            tries.parse::<i64>().unwrap()
        );
        let out = env.drain(&["--tries", "1"]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        let job = env.show(&uuid);
        assert_eq!(job["state"], "done", "--tries {tries}: {job}");
        assert_eq!(job["attempt_count"], 4, "--tries {tries}: {job}");
    }
}

#[test]
fn tries_limits_the_attempts_before_the_job_fails() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "3",
        "--",
        "sh",
        "-c",
        "echo x >> attempts; exit 1",
    ]);
    env.drain(&["--tries", "1"]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempt_count"], 3, "{job}");
    let ran = std::fs::read_to_string(env.path().join("attempts")).unwrap();
    assert_eq!(ran.lines().count(), 3);
}

#[test]
fn backoff_delays_each_retry_by_its_entry() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "3",
        "--backoff",
        "10,60",
        "--",
        "sh",
        "-c",
        "exit 1",
    ]);
    env.drain(&[]);
    let job = env.show(&uuid);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("delayed"), Some(1)),
        "{job}"
    );

    // Halfway (a PostgreSQL server's clock runs on while a loaded machine runs the test).
    env.advance(Duration::from_secs(5));
    env.drain(&[]);
    assert_eq!(
        env.show(&uuid)["attempt_count"],
        1,
        "retried before its 10s backoff"
    );

    env.advance(Duration::from_secs(6));
    env.drain(&[]);
    let job = env.show(&uuid);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("delayed"), Some(2)),
        "{job}"
    );

    env.advance(Duration::from_secs(30));
    env.drain(&[]);
    assert_eq!(
        env.show(&uuid)["attempt_count"],
        2,
        "retried before its 60s backoff"
    );

    env.advance(Duration::from_secs(31));
    env.drain(&[]);
    let job = env.show(&uuid);
    assert_eq!(
        (job["state"].as_str(), job["attempt_count"].as_i64()),
        (Some("failed"), Some(3)),
        "{job}"
    );
}

#[test]
fn max_exceptions_fails_the_job_before_its_tries_run_out() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "10",
        "--max-exceptions",
        "2",
        "--",
        "sh",
        "-c",
        "exit 3",
    ]);
    env.drain(&[]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempt_count"], 2, "{job}");
}

#[test]
fn timeout_with_fail_on_timeout_fails_the_job_at_its_first_timeout() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "5",
        "--timeout",
        "1",
        "--fail-on-timeout",
        "--",
        "sleep",
        "30",
    ]);
    let started = std::time::Instant::now();
    env.drain(&[]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the 1s timeout was not enforced"
    );
    let job = env.show(&uuid);
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempt_count"], 1, "{job}");
}

#[test]
fn payload_is_given_to_the_job_on_stdin() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--payload",
        r#"{"to": "a@b.c", "ids": [1, 2]}"#,
        "--",
        "sh",
        "-c",
        "cat > payload.json",
    ]);
    assert_eq!(
        env.show(&uuid)["payload"]["data"],
        serde_json::json!({"to": "a@b.c", "ids": [1, 2]})
    );
    let out = env.drain(&[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(env.path().join("payload.json")).unwrap();
    let got: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(got, serde_json::json!({"to": "a@b.c", "ids": [1, 2]}));
}

#[test]
fn env_options_are_seen_by_the_job() {
    let env = TestEnv::new();
    env.dispatch(&[
        "--env",
        "GREETING=hello world",
        "--env",
        "EQUATION=a=b",
        "--env",
        "EMPTY=",
        "--",
        "sh",
        "-c",
        "printf '%s|%s|%s|%s' \"$GREETING\" \"$EQUATION\" \"${EMPTY-unset}\" \"$QUEUE_QUEUE\" > env.txt",
    ]);
    env.drain(&[]);
    let text = std::fs::read_to_string(env.path().join("env.txt")).unwrap();
    assert_eq!(text, "hello world|a=b||default");
}

#[test]
fn cwd_is_relative_to_the_dispatchers_directory() {
    let env = TestEnv::new();
    let here = env.path().join("project");
    std::fs::create_dir_all(here.join("work")).unwrap();
    let out = succeeds({
        let mut cmd = env.cmd(&["dispatch", "--cwd", "work", "--", "sh", "-c", "pwd > where"]);
        cmd.current_dir(&here);
        cmd
    });
    let uuid = out.trim();
    let cwd = env.show(uuid)["payload"]["cwd"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        std::fs::canonicalize(&cwd).unwrap(),
        std::fs::canonicalize(here.join("work")).unwrap()
    );
    env.drain(&[]);
    let written = here.join("work/where");
    assert!(written.exists(), "the job did not run in project/work");
    assert_eq!(
        std::fs::canonicalize(std::fs::read_to_string(written).unwrap().trim()).unwrap(),
        std::fs::canonicalize(here.join("work")).unwrap()
    );
}

#[test]
fn job_runs_in_the_dispatchers_directory_by_default() {
    let env = TestEnv::new();
    let here = env.path().join("elsewhere");
    std::fs::create_dir_all(&here).unwrap();
    let mut cmd = env.cmd(&["dispatch", "--", "touch", "made-here"]);
    cmd.current_dir(&here);
    succeeds(cmd);
    // The worker runs in the TestEnv root, not in `elsewhere`.
    env.drain(&[]);
    assert!(here.join("made-here").exists());
    assert!(!env.path().join("made-here").exists());
}

// ---------------------------------------------------------------------------------------------
// --if / --unless

#[test]
fn if_dispatches_only_when_its_command_succeeds() {
    let env = TestEnv::new();
    let out = env.run(&["dispatch", "--if", "test -e flag", "--", "true"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout_of(&out).trim().is_empty(), "{}", stdout_of(&out));
    assert!(
        stderr_of(&out).contains("not dispatched"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(queued_jobs(&env), 0);

    env.write("flag", "");
    let uuid = env.dispatch(&["--if", "test -e flag", "--", "true"]);
    assert_eq!(env.state(&uuid), "pending");
    assert_eq!(queued_jobs(&env), 1);
}

#[test]
fn unless_dispatches_only_when_its_command_fails() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--unless", "test -e flag", "--", "true"]);
    assert_eq!(env.state(&uuid), "pending");

    env.write("flag", "");
    let out = env.run(&["dispatch", "--unless", "test -e flag", "--", "true"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout_of(&out).trim().is_empty(), "{}", stdout_of(&out));
    assert!(
        stderr_of(&out).contains("not dispatched"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(queued_jobs(&env), 1);
}

#[test]
fn a_skipped_dispatch_with_json_prints_dispatched_false() {
    let env = TestEnv::new();
    for args in [
        ["dispatch", "--if", "false", "--", "true"],
        ["dispatch", "--unless", "true", "--", "true"],
    ] {
        let doc = env.json(&args);
        assert_eq!(doc["dispatched"], false, "{args:?}: {doc}");
    }
    assert_eq!(queued_jobs(&env), 0);
}

// ---------------------------------------------------------------------------------------------
// --sync

#[test]
fn sync_runs_now_passes_output_through_and_stores_nothing() {
    let env = TestEnv::new();
    let out = env.run(&[
        "dispatch",
        "--sync",
        "--",
        "sh",
        "-c",
        "echo to-stdout; echo to-stderr >&2; touch ran",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("to-stdout"), "{}", stdout_of(&out));
    assert!(stderr_of(&out).contains("to-stderr"), "{}", stderr_of(&out));
    assert!(env.path().join("ran").exists());
    assert_eq!(queued_jobs(&env), 0);
    assert_eq!(env.json(&["failed"]).as_array().map(Vec::len), Some(0));
}

#[test]
fn sync_exits_with_the_jobs_status() {
    let env = TestEnv::new();
    let out = env.run(&["dispatch", "--sync", "--", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    assert_eq!(queued_jobs(&env), 0);
    assert_eq!(
        env.json(&["failed"]).as_array().map(Vec::len),
        Some(0),
        "a failed --sync job must not be stored"
    );
}

#[test]
fn sync_gives_the_job_its_payload_env_and_cwd() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path().join("sub")).unwrap();
    let out = env.run(&[
        "dispatch",
        "--sync",
        "--payload",
        r#"{"n":1}"#,
        "--env",
        "COLOR=blue",
        "--cwd",
        "sub",
        "--",
        "sh",
        "-c",
        "cat; echo \" $COLOR $QUEUE_ATTEMPT\"; touch here",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).trim(), r#"{"n":1} blue 1"#);
    assert!(env.path().join("sub/here").exists());
}

#[test]
fn sync_with_a_missing_program_is_a_clear_error() {
    let env = TestEnv::new();
    // 127, as a shell exits for a command not found.
    let stderr = env.fails(&["dispatch", "--sync", "--", "/nonexistent/program"], 127);
    assert_one_error_line(&stderr);
    assert!(stderr.contains("/nonexistent/program"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// --file

#[test]
fn file_dispatches_every_line_and_prints_one_uuid_per_line() {
    let env = TestEnv::new();
    env.write(
        "jobs.jsonl",
        concat!(
            r#"{"command": ["echo", "one"]}"#,
            "\n",
            r#"{"shell": "echo two | tr a-z A-Z", "queue": "emails", "delay": "5m"}"#,
            "\n\n",
            r#"{"command": ["echo", "three"], "tries": 3, "backoff": [1, 2], "name": "third"}"#,
            "\n",
        ),
    );
    let out = env.ok(&["dispatch", "--file", "jobs.jsonl"]);
    let uuids: Vec<&str> = out.lines().collect();
    assert_eq!(uuids.len(), 3, "{out}");

    let first = env.show(uuids[0]);
    assert_eq!(first["queue"], "default");
    assert_eq!(first["state"], "pending");
    assert_eq!(
        first["payload"]["command"]["argv"],
        serde_json::json!(["echo", "one"])
    );

    let second = env.show(uuids[1]);
    assert_eq!(second["queue"], "emails");
    assert_eq!(second["state"], "delayed");
    assert_eq!(
        second["payload"]["command"]["shell"],
        "echo two | tr a-z A-Z"
    );
    assert_eq!(
        ms(&second["available_at"]) - ms(&second["created_at"]),
        300_000
    );

    let third = env.show(uuids[2]);
    assert_eq!(third["name"], "third");
    assert_eq!(third["payload"]["max_tries"], 3);
    assert_eq!(third["payload"]["backoff"], serde_json::json!([1, 2]));

    assert_eq!(queued_jobs(&env), 3);
}

#[test]
fn file_jobs_run_like_any_other() {
    let env = TestEnv::new();
    env.write(
        "jobs.jsonl",
        concat!(
            r#"{"command": ["touch", "from-argv"]}"#,
            "\n",
            r#"{"shell": "echo $X > from-shell", "env": {"X": "shell-ran"}}"#,
            "\n",
        ),
    );
    env.ok(&["dispatch", "--file", "jobs.jsonl"]);
    env.drain(&[]);
    assert!(env.path().join("from-argv").exists());
    assert_eq!(
        std::fs::read_to_string(env.path().join("from-shell"))
            .unwrap()
            .trim(),
        "shell-ran"
    );
}

#[test]
fn file_with_json_prints_one_object_per_job() {
    let env = TestEnv::new();
    env.write(
        "jobs.jsonl",
        "{\"command\": [\"true\"]}\n{\"command\": [\"true\"], \"queue\": \"other\"}\n",
    );
    let out = env.ok(&["--json", "dispatch", "--file", "jobs.jsonl"]);
    let docs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(docs.len(), 2, "{out}");
    assert_eq!(docs[0]["queue"], "default");
    assert_eq!(docs[1]["queue"], "other");
    for doc in &docs {
        assert_eq!(doc["dispatched"], true);
        assert_eq!(doc["connection"], "default");
        assert_eq!(env.state(doc["uuid"].as_str().unwrap()), "pending");
    }
}

#[test]
fn file_flags_are_defaults_that_each_line_may_override() {
    let env = TestEnv::new();
    env.write(
        "jobs.jsonl",
        "{\"command\": [\"true\"]}\n{\"command\": [\"true\"], \"queue\": \"mine\", \"tries\": 7}\n",
    );
    let out = env.ok(&[
        "dispatch",
        "--queue",
        "bulk",
        "--tries",
        "2",
        "--file",
        "jobs.jsonl",
    ]);
    let uuids: Vec<&str> = out.lines().collect();
    let first = env.show(uuids[0]);
    assert_eq!(
        (
            first["queue"].as_str(),
            first["payload"]["max_tries"].as_i64()
        ),
        (Some("bulk"), Some(2))
    );
    let second = env.show(uuids[1]);
    assert_eq!(
        (
            second["queue"].as_str(),
            second["payload"]["max_tries"].as_i64()
        ),
        (Some("mine"), Some(7))
    );
}

#[test]
fn file_dash_reads_jobs_from_stdin() {
    let env = TestEnv::new();
    let mut cmd = env.cmd(&["dispatch", "--file", "-"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"{\"command\": [\"true\"]}\n{\"shell\": \"true\"}\n")
            .unwrap();
    }
    let out = wait_exit(child, Duration::from_secs(30));
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).lines().count(), 2);
    assert_eq!(queued_jobs(&env), 2);
}

#[test]
fn a_file_with_one_bad_line_queues_nothing_and_names_the_line() {
    let good = r#"{"command": ["true"]}"#;
    let cases = [
        ("malformed JSON", r#"{"command": ["true"]"#),
        ("not an object", r#"["true"]"#),
        ("unknown field", r#"{"command": ["true"], "colour": "red"}"#),
        ("bad delay", r#"{"command": ["true"], "delay": "soon"}"#),
        ("bad queue", r#"{"command": ["true"], "queue": "a,b"}"#),
        ("missing command", r#"{"queue": "emails"}"#),
        ("empty command", r#"{"command": []}"#),
        (
            "command and shell",
            r#"{"command": ["true"], "shell": "true"}"#,
        ),
        ("non-string argv", r#"{"command": ["sleep", 1]}"#),
    ];
    for (what, bad) in cases {
        let env = TestEnv::new();
        env.write("jobs.jsonl", &format!("{good}\n{good}\n{bad}\n{good}\n"));
        let out = env.run(&["dispatch", "--file", "jobs.jsonl"]);
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert_one_error_line(&stderr);
        assert!(
            stderr.contains("line 3"),
            "{what}: the error must name line 3: {stderr}"
        );
        assert!(
            stdout_of(&out).trim().is_empty(),
            "{what}: printed uuids: {}",
            stdout_of(&out)
        );
        assert_eq!(queued_jobs(&env), 0, "{what}: some jobs were queued");
    }
}

/// A file far larger than one chunk of the stream: a bad line past the chunks already
/// inserted still undoes them all, and the error names it.
#[test]
fn a_big_file_with_a_bad_line_in_the_middle_queues_nothing() {
    let env = TestEnv::new();
    let good = r#"{"command": ["true"]}"#;
    let mut text = String::new();
    for n in 1..=12_000 {
        text.push_str(if n == 7_321 {
            r#"{"command": "true"}"#
        } else {
            good
        });
        text.push('\n');
    }
    env.write("jobs.jsonl", &text);
    let out = env.run(&["dispatch", "--file", "jobs.jsonl"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_one_error_line(&stderr);
    assert!(stderr.contains("jobs.jsonl line 7321"), "{stderr}");
    assert!(stdout_of(&out).trim().is_empty(), "printed uuids");
    assert_eq!(queued_jobs(&env), 0);
    // The same file without the bad line goes in whole, one uuid per job, in order.
    env.write("jobs.jsonl", &text.replace(r#"{"command": "true"}"#, good));
    let out = env.ok(&["dispatch", "--file", "jobs.jsonl"]);
    let uuids: Vec<&str> = out.lines().collect();
    assert_eq!(uuids.len(), 12_000);
    let mut sorted = uuids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 12_000);
    assert_eq!(queued_jobs(&env), 12_000);
}

/// Unique jobs in a streamed file: the lock is taken as the file is read, so a copy further
/// down the file (in a later chunk) is skipped, and said so.
#[test]
fn unique_jobs_in_a_big_file_are_queued_once() {
    let env = TestEnv::new();
    let mut text = String::new();
    for n in 0..6_000 {
        if n % 1_000 == 0 {
            text.push_str(r#"{"command": ["true"], "unique": "nightly"}"#);
        } else {
            text.push_str(r#"{"command": ["true"]}"#);
        }
        text.push('\n');
    }
    env.write("jobs.jsonl", &text);
    let out = env.run(&["--json", "dispatch", "--file", "jobs.jsonl"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let docs: Vec<Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 6_000);
    let skipped: Vec<usize> = (0..docs.len())
        .filter(|i| docs[*i]["dispatched"] == false)
        .collect();
    assert_eq!(skipped, [1_000, 2_000, 3_000, 4_000, 5_000]);
    assert_eq!(
        stderr_of(&out).matches("not dispatched").count(),
        5,
        "{}",
        stderr_of(&out)
    );
    assert_eq!(queued_jobs(&env), 5_995);
}

#[test]
fn an_empty_file_is_an_error() {
    let env = TestEnv::new();
    for text in ["", "\n  \n"] {
        env.write("jobs.jsonl", text);
        let stderr = env.fails(&["dispatch", "--file", "jobs.jsonl"], 1);
        assert_one_error_line(&stderr);
        assert!(stderr.contains("jobs.jsonl"), "{stderr}");
    }
    assert_eq!(queued_jobs(&env), 0);
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let env = TestEnv::new();
    let stderr = env.fails(&["dispatch", "--file", "nope.jsonl"], 1);
    assert_one_error_line(&stderr);
    assert!(stderr.contains("nope.jsonl"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Bad input

/// Each of these must exit 1 with one "queue: error:" line containing `mentions`, and queue
/// nothing.
/// A dispatch whose flags or arguments are wrong: a usage error (exit 2), one line.
fn rejects(args: &[&str], mentions: &str) {
    let env = TestEnv::new();
    let mut all = vec!["dispatch"];
    all.extend_from_slice(args);
    let stderr = env.fails(&all, 2);
    assert_one_error_line(&stderr);
    assert!(
        stderr.contains(mentions),
        "{args:?}: expected the error to mention {mentions:?}: {stderr}"
    );
    assert_eq!(queued_jobs(&env), 0, "{args:?} queued a job");
}

#[test]
fn malformed_durations_are_rejected() {
    rejects(&["--delay", "5x", "--", "true"], "5x");
    rejects(&["--delay", "soon", "--", "true"], "--delay");
    rejects(&["--delay=-3", "--", "true"], "--delay");
    rejects(&["--timeout", "forever", "--", "true"], "--timeout");
    rejects(&["--retry-until", "later", "--", "true"], "--retry-until");
    rejects(&["--backoff", "1,,5", "--", "true"], "backoff");
    rejects(&["--backoff", "fast", "--", "true"], "backoff");
}

#[test]
fn tries_below_minus_one_is_rejected() {
    rejects(&["--tries", "-2", "--", "true"], "--tries");
}

#[test]
fn malformed_payload_json_is_rejected() {
    rejects(&["--payload", "{not json", "--", "true"], "--payload");
    rejects(&["--payload", "", "--", "true"], "--payload");
}

#[test]
fn env_without_equals_is_rejected() {
    rejects(&["--env", "NOVALUE", "--", "true"], "NOVALUE");
    rejects(&["--env", "=value", "--", "true"], "environment");
}

#[test]
fn bad_queue_names_are_rejected() {
    rejects(&["--queue", "a,b", "--", "true"], "a,b");
    rejects(&["--queue", "conn:q", "--", "true"], "conn:q");
    rejects(&["--queue", "has space", "--", "true"], "has space");
    rejects(&["--queue", "", "--", "true"], "queue");
}

#[test]
fn dispatch_without_a_command_is_rejected() {
    rejects(&[], "nothing to dispatch");
    rejects(&["--"], "nothing to dispatch");
    rejects(&["--", ""], "no command");
}

#[test]
fn a_named_job_without_config_is_rejected() {
    // An unknown name is bad input (exit 1), like an unknown id.
    let env = TestEnv::new();
    let err = env.fails(
        &["dispatch", "send-email", "--payload", r#"{"to": "a@b"}"#],
        1,
    );
    assert_one_error_line(&err);
    assert!(err.contains("send-email"), "{err}");
    assert_eq!(queued_jobs(&env), 0);
}

#[test]
fn unknown_flags_and_non_numbers_are_usage_errors() {
    let env = TestEnv::new();
    for args in [
        vec!["dispatch", "--bogus", "--", "true"],
        vec!["dispatch", "--tries", "many", "--", "true"],
        vec!["dispatch", "--max-exceptions", "-1", "--", "true"],
        vec!["dispatch", "--sync", "--file", "jobs.jsonl"],
    ] {
        let stderr = env.fails(&args, 2);
        assert!(!stderr.trim().is_empty(), "{args:?}: no usage message");
    }
    assert_eq!(queued_jobs(&env), 0);
}

// ---------------------------------------------------------------------------------------------
// Where the store is (PRODUCT.md §2)

#[test]
fn database_flag_beats_the_queue_database_variable() {
    let env = TestEnv::new();
    let other = env.path().join("other.sqlite");
    let uuid = env.dispatch(&["--database", other.to_str().unwrap(), "--", "true"]);
    assert!(store_has(&env, &other, &uuid));
    assert!(
        !store_has(&env, &env.database, &uuid),
        "the job went to QUEUE_DATABASE"
    );
}

#[test]
fn database_flag_paths_are_relative_to_the_current_directory() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path().join("sub")).unwrap();
    let mut cmd = env.cmd(&["dispatch", "--database", "rel/q.sqlite", "--", "true"]);
    cmd.current_dir(env.path().join("sub"));
    let uuid = succeeds(cmd).trim().to_string();
    let expected = env.path().join("sub/rel/q.sqlite");
    assert!(expected.exists());
    assert!(store_has(&env, &expected, &uuid));
}

#[test]
fn queue_database_variable_beats_queue_toml() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "default = \"local\"\n[connections.local]\ndatabase = \"var/q.sqlite\"\n",
    );
    let uuid = env.dispatch(&["--", "true"]);
    assert!(store_has(&env, &env.database, &uuid));
    assert!(
        !env.path().join("var/q.sqlite").exists(),
        "queue.toml's store was used"
    );
    // Even a connection named on the command line does not beat QUEUE_DATABASE.
    let uuid = env.dispatch(&["--connection", "local", "--", "true"]);
    assert!(store_has(&env, &env.database, &uuid));
    assert!(!env.path().join("var/q.sqlite").exists());
}

#[test]
fn queue_toml_is_found_from_a_subdirectory_and_its_paths_are_relative_to_it() {
    let env = TestEnv::new();
    env.write(
        "project/queue.toml",
        "default = \"local\"\n\n[connections.local]\ndriver = \"sqlite\"\ndatabase = \"var/queue.sqlite\"\nqueue = \"mail\"\nretry_after = 30\n",
    );
    let deep = env.path().join("project/src/deep");
    std::fs::create_dir_all(&deep).unwrap();
    let out = succeeds(configured(
        &env,
        &deep,
        &["--json", "dispatch", "--", "true"],
    ));
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(doc["connection"], "local", "{doc}");
    assert_eq!(
        doc["queue"], "mail",
        "the connection's default queue: {doc}"
    );
    let store = env.path().join("project/var/queue.sqlite");
    assert!(store.exists(), "the store is not next to queue.toml");
    assert!(
        !deep.join("var").exists(),
        "the store path was taken from the current directory"
    );
    let uuid = doc["uuid"].as_str().unwrap();
    let job = show_in(&env, &store, uuid);
    assert_eq!(job["queue"], "mail");
    // Nothing went to the harness's store or the per-user default.
    assert!(!env.db.exists());
    assert!(!env.path().join(".local/share/queue/queue.sqlite").exists());
    // An explicit --queue still wins over the connection's default queue.
    let out = succeeds(configured(
        &env,
        &deep,
        &["--json", "dispatch", "--queue", "x", "--", "true"],
    ));
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap()["queue"],
        "x"
    );
}

#[test]
fn connection_flag_and_variable_choose_another_connection() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        concat!(
            "default = \"one\"\n",
            "[connections.one]\ndatabase = \"one.sqlite\"\n",
            "[connections.two]\ndatabase = \"two.sqlite\"\nqueue = \"second\"\n",
            "[connections.three]\ndatabase = \"three.sqlite\"\n",
        ),
    );
    let one = env.path().join("one.sqlite");
    let two = env.path().join("two.sqlite");
    let three = env.path().join("three.sqlite");

    let by_default = succeeds(configured(&env, env.path(), &["dispatch", "--", "true"]));
    assert!(store_has(&env, &one, by_default.trim()));

    let out = succeeds(configured(
        &env,
        env.path(),
        &["--json", "--connection", "two", "dispatch", "--", "true"],
    ));
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (doc["connection"].as_str(), doc["queue"].as_str()),
        (Some("two"), Some("second"))
    );
    assert!(store_has(&env, &two, doc["uuid"].as_str().unwrap()));
    assert!(!store_has(&env, &one, doc["uuid"].as_str().unwrap()));

    let mut cmd = configured(&env, env.path(), &["dispatch", "--", "true"]);
    cmd.env("QUEUE_CONNECTION", "three");
    let by_env = succeeds(cmd);
    assert!(store_has(&env, &three, by_env.trim()));

    // The flag beats the variable.
    let mut cmd = configured(
        &env,
        env.path(),
        &["--connection", "two", "dispatch", "--", "true"],
    );
    cmd.env("QUEUE_CONNECTION", "three");
    let both = succeeds(cmd);
    assert!(store_has(&env, &two, both.trim()));
    assert!(!store_has(&env, &three, both.trim()));
}

#[test]
fn config_flag_and_variable_name_the_config_file() {
    let env = TestEnv::new();
    // A queue.toml in the current directory that must be ignored when a config is named.
    env.write(
        "queue.toml",
        "[connections.default]\ndatabase = \"wrong.sqlite\"\n",
    );
    env.write(
        "conf/alt.toml",
        "default = \"alt\"\n[connections.alt]\ndatabase = \"data/alt.sqlite\"\n",
    );
    let alt = env.path().join("conf/data/alt.sqlite");

    let out = succeeds(configured(
        &env,
        env.path(),
        &[
            "--json",
            "--config",
            "conf/alt.toml",
            "dispatch",
            "--",
            "true",
        ],
    ));
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(doc["connection"], "alt");
    assert!(store_has(&env, &alt, doc["uuid"].as_str().unwrap()));

    let mut cmd = configured(&env, env.path(), &["dispatch", "--", "true"]);
    cmd.env("QUEUE_CONFIG", env.path().join("conf/alt.toml"));
    let uuid = succeeds(cmd);
    assert!(store_has(&env, &alt, uuid.trim()));
    assert!(!env.path().join("wrong.sqlite").exists());
}

#[test]
fn an_unknown_connection_is_a_clear_error() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "[connections.local]\ndatabase = \"q.sqlite\"\n",
    );
    let stderr = exits_with(
        configured(
            &env,
            env.path(),
            &["--connection", "nope", "dispatch", "--", "true"],
        ),
        1,
    );
    assert_one_error_line(&stderr);
    assert!(
        stderr.contains("nope") && stderr.contains("local"),
        "{stderr}"
    );

    let mut cmd = configured(&env, env.path(), &["dispatch", "--", "true"]);
    cmd.env("QUEUE_CONNECTION", "nope");
    let stderr = exits_with(cmd, 1);
    assert_one_error_line(&stderr);
    assert!(stderr.contains("nope"), "{stderr}");

    // A `default` naming a connection that is not defined.
    env.write(
        "queue.toml",
        "default = \"missing\"\n[connections.local]\ndatabase = \"q.sqlite\"\n",
    );
    let stderr = exits_with(configured(&env, env.path(), &["dispatch", "--", "true"]), 1);
    assert_one_error_line(&stderr);
    assert!(stderr.contains("missing"), "{stderr}");

    // With no queue.toml at all.
    std::fs::remove_file(env.path().join("queue.toml")).unwrap();
    let stderr = exits_with(
        configured(
            &env,
            env.path(),
            &["--connection", "nope", "dispatch", "--", "true"],
        ),
        1,
    );
    assert_one_error_line(&stderr);
    assert!(stderr.contains("nope"), "{stderr}");
    assert!(!env.path().join("q.sqlite").exists());
    assert!(!env.path().join(".local/share/queue/queue.sqlite").exists());
}

#[test]
fn an_invalid_queue_toml_is_a_clear_error_naming_the_file() {
    let env = TestEnv::new();
    let cases = [
        ("syntax", "default = \n"),
        (
            "unknown key",
            "[conections.local]\ndatabase = \"q.sqlite\"\n",
        ),
        (
            "wrong type",
            "[connections.local]\nretry_after = \"soon\"\n",
        ),
    ];
    for (what, text) in cases {
        env.write("queue.toml", text);
        let stderr = exits_with(configured(&env, env.path(), &["dispatch", "--", "true"]), 1);
        assert_one_error_line(&stderr);
        assert!(stderr.contains("queue.toml"), "{what}: {stderr}");
    }
    // A named config file that does not exist.
    let stderr = exits_with(
        configured(
            &env,
            env.path(),
            &["--config", "absent.toml", "dispatch", "--", "true"],
        ),
        1,
    );
    assert_one_error_line(&stderr);
    assert!(stderr.contains("absent.toml"), "{stderr}");
}

#[test]
fn without_any_setting_the_store_is_under_home() {
    let env = TestEnv::new();
    let uuid = succeeds(configured(&env, env.path(), &["dispatch", "--", "true"]));
    let store = env.path().join(".local/share/queue/queue.sqlite");
    assert!(
        store.exists(),
        "no store at ~/.local/share/queue/queue.sqlite"
    );
    assert!(store_has(&env, &store, uuid.trim()));
    assert!(!env.db.exists());
}

#[test]
fn without_any_setting_the_store_is_under_xdg_data_home_when_set() {
    let env = TestEnv::new();
    let xdg = env.path().join("xdg");
    let mut cmd = configured(&env, env.path(), &["dispatch", "--", "true"]);
    cmd.env("XDG_DATA_HOME", &xdg);
    let uuid = succeeds(cmd);
    let store = xdg.join("queue/queue.sqlite");
    assert!(
        store.exists(),
        "no store at $XDG_DATA_HOME/queue/queue.sqlite"
    );
    assert!(store_has(&env, &store, uuid.trim()));
    assert!(!env.path().join(".local/share/queue/queue.sqlite").exists());
}

#[test]
fn retry_after_of_the_connection_frees_a_dead_workers_job() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "default = \"local\"\n[connections.local]\ndatabase = \"q.sqlite\"\nretry_after = 60\n",
    );
    let script = "if [ -e started ]; then touch second; else touch started; exec sleep 120; fi";
    let uuid = succeeds(configured(
        &env,
        env.path(),
        &["dispatch", "--tries", "3", "--", "sh", "-c", script],
    ));
    let uuid = uuid.trim();
    let mut worker = configured(&env, env.path(), &["work", "--sleep", "0.05"]);
    worker
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = worker.spawn().unwrap();
    wait_until(Duration::from_secs(20), "the job to start", || {
        env.path().join("started").exists()
    });
    send_signal(&child, libc::SIGKILL);
    wait_exit(child, Duration::from_secs(10));

    let drain = || {
        let out = output(configured(
            &env,
            env.path(),
            &["work", "--stop-when-empty", "--sleep", "0.05"],
        ));
        assert!(out.status.success(), "{}", stderr_of(&out));
    };
    // Within retry_after the reservation still holds.
    env.advance(Duration::from_secs(30));
    drain();
    assert!(
        !env.path().join("second").exists(),
        "the job was taken again before retry_after"
    );
    // After retry_after (60s, not the default 90s) it is free again.
    env.advance(Duration::from_secs(32));
    drain();
    assert!(
        env.path().join("second").exists(),
        "the job was not freed after retry_after"
    );
    let job = show_in(&env, &env.path().join("q.sqlite"), uuid);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["attempt_count"], 2, "{job}");
}

// ---------------------------------------------------------------------------------------------
// Creating the store (PRODUCT.md §7)

#[test]
fn a_new_store_file_is_0600_in_0700_directories() {
    let env = TestEnv::new();
    if env.skip_on_postgres("file modes of a SQLite store") {
        return;
    }
    env.dispatch(&["--", "true"]);
    assert_eq!(mode(&env.db), 0o600, "{}", env.db.display());
    assert_eq!(mode(env.db.parent().unwrap()), 0o700);

    let nested = env.path().join("a/b/c/q.sqlite");
    env.dispatch(&["--database", nested.to_str().unwrap(), "--", "true"]);
    assert_eq!(mode(&nested), 0o600);
    for dir in ["a", "a/b", "a/b/c"] {
        assert_eq!(mode(&env.path().join(dir)), 0o700, "{dir}");
    }
    for sidecar in ["-wal", "-shm", "-journal"] {
        let path = env.path().join(format!("a/b/c/q.sqlite{sidecar}"));
        if path.exists() {
            assert_eq!(
                mode(&path) & 0o077,
                0,
                "{} is readable by others",
                path.display()
            );
        }
    }
}

#[test]
fn the_default_store_is_created_private_too() {
    let env = TestEnv::new();
    succeeds(configured(&env, env.path(), &["dispatch", "--", "true"]));
    let store = env.path().join(".local/share/queue/queue.sqlite");
    assert_eq!(mode(&store), 0o600);
    assert_eq!(mode(store.parent().unwrap()), 0o700);
}

#[test]
fn an_unwritable_store_path_is_a_clear_error() {
    let env = TestEnv::new();
    env.write("a-file", "not a directory");
    let under_file = env.path().join("a-file/q.sqlite");
    let under_deeper = env.path().join("a-file/sub/q.sqlite");
    for db in [
        under_file.to_str().unwrap(),
        under_deeper.to_str().unwrap(),
        "/proc/x/y",
    ] {
        let stderr = env.fails(&["--database", db, "dispatch", "--", "true"], 1);
        assert_one_error_line(&stderr);
        assert!(
            stderr.contains("store") && stderr.contains("--database"),
            "{db}: the error should name the store and say what to do: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(env.path().join("a-file")).unwrap(),
        "not a directory"
    );
}

#[test]
fn migrate_on_a_fresh_store_says_what_it_applied_then_nothing_to_migrate() {
    let env = TestEnv::new();
    assert!(!env.db.exists());
    let first = env.ok(&["migrate"]);
    assert!(first.contains("Migrated:"), "{first}");
    assert!(!first.contains("Nothing to migrate."), "{first}");
    if !env.is_postgres() {
        assert!(env.db.exists());
        assert_eq!(mode(&env.db), 0o600);
    }
    let second = env.ok(&["migrate"]);
    assert_eq!(second.trim(), "Nothing to migrate.");
    // The migrated store is usable.
    let uuid = env.dispatch(&["--", "true"]);
    assert_eq!(env.state(&uuid), "pending");
}

#[test]
fn migrate_after_automatic_migration_has_nothing_to_do() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    assert_eq!(env.ok(&["migrate"]).trim(), "Nothing to migrate.");
    let doc = env.json(&["migrate"]);
    assert_eq!(doc["applied"], serde_json::json!([]));
}
