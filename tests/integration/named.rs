//! Named jobs: `[jobs.NAME]` in queue.toml, dispatched as `queue dispatch NAME --payload JSON`.
//! Placeholders fill one argv element each (never a shell), a missing field is an error at
//! dispatch, queue.toml gives the defaults, and a worker resolves the name from the config it
//! loaded (`work`: at start, so a deploy needs a restart; `listen`: for every job).

use crate::util::*;
use serde_json::{json, Value};
use std::path::Path;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn failed_error(env: &TestEnv, uuid: &str) -> String {
    let failed = env.json(&["failed"]);
    let row = failed
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["uuid"] == uuid)
        .unwrap_or_else(|| panic!("{uuid} is not in `queue failed`: {failed:#}"));
    row["error"].as_str().unwrap().to_string()
}

fn pending_total(env: &TestEnv) -> i64 {
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

/// A job script that appends its arguments, bracketed, as one line to args.txt and copies
/// its stdin to stdin.txt.
const RECORD_SH: &str = "printf '[%s]' \"$@\" >> args.txt\necho >> args.txt\ncat > stdin.txt\n";

fn record_env() -> TestEnv {
    let env = TestEnv::new();
    env.write("record.sh", RECORD_SH);
    env.write(
        "queue.toml",
        r#"
[jobs.record]
command = ["sh", "record.sh", "--to={to}", "{n}", "{user.email}", "{{literal}}"]
"#,
    );
    env
}

#[test]
fn placeholders_fill_one_argument_each_and_never_go_through_a_shell() {
    let env = record_env();
    let payload = json!({
        "to": "a b; touch pwned $(touch pwned2) `touch pwned3`",
        "n": 3,
        "user": {"email": "x@y"}
    });
    let uuid = env.dispatch(&["record", "--payload", &payload.to_string()]);
    let shown = env.show(&uuid);
    assert_eq!(shown["name"], "record", "{shown:#}");
    assert_eq!(shown["state"], "pending");

    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "done");
    assert_eq!(
        read(&env.path().join("args.txt")),
        "[--to=a b; touch pwned $(touch pwned2) `touch pwned3`][3][x@y][{literal}]\n"
    );
    for file in ["pwned", "pwned2", "pwned3"] {
        assert!(
            !env.path().join(file).exists(),
            "a payload value reached a shell"
        );
    }
    // The payload is the job's stdin too.
    let stdin: Value = serde_json::from_str(&read(&env.path().join("stdin.txt"))).unwrap();
    assert_eq!(stdin, payload);
}

#[test]
fn a_missing_placeholder_field_is_an_error_at_dispatch_and_nothing_is_queued() {
    let env = record_env();
    let err = env.fails(
        &["dispatch", "record", "--payload", r#"{"n": 1, "user": {}}"#],
        1,
    );
    assert!(err.contains("no field 'to'"), "{err}");
    assert!(err.contains("--payload"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    // A nested field, and no payload at all.
    let err = env.fails(
        &["dispatch", "record", "--payload", r#"{"to": "a", "n": 1}"#],
        1,
    );
    assert!(err.contains("no field 'user.email'"), "{err}");
    let err = env.fails(&["dispatch", "record"], 1);
    assert!(err.contains("no field"), "{err}");

    // A null counts as missing.
    let err = env.fails(
        &[
            "dispatch",
            "record",
            "--payload",
            r#"{"to": null, "n": 1, "user": {"email": "e"}}"#,
        ],
        1,
    );
    assert!(err.contains("no field 'to'"), "{err}");

    env.ok(&["migrate"]);
    assert_eq!(pending_total(&env), 0);
}

#[test]
fn an_unknown_name_at_dispatch_is_a_clear_error() {
    let env = record_env();
    let err = env.fails(&["dispatch", "nope"], 1);
    assert!(err.contains("unknown job 'nope'"), "{err}");
    assert!(err.contains("[jobs.nope]"), "{err}");

    // Without any queue.toml.
    let bare = TestEnv::new();
    let err = bare.fails(&["dispatch", "nope"], 1);
    assert!(err.contains("unknown job 'nope'"), "{err}");
    assert!(err.contains("no queue.toml"), "{err}");

    // A name and a program at once: a usage error.
    let err = env.fails(&["dispatch", "record", "--", "true"], 2);
    assert!(err.contains("not both"), "{err}");
}

#[test]
fn an_invalid_named_job_in_queue_toml_is_a_clear_error() {
    let env = TestEnv::new();
    env.write("queue.toml", "[jobs.x]\ncommand = \"./run.sh\"\n");
    let err = env.fails(&["dispatch", "x"], 1);
    assert!(err.contains("[jobs.x]"), "{err}");
    assert!(err.contains("list of arguments"), "{err}");

    env.write("queue.toml", "[jobs.x]\ncommand = [\"true\"]\ntriez = 3\n");
    let err = env.fails(&["dispatch", "x"], 1);
    assert!(err.contains("[jobs.x]"), "{err}");
    assert!(err.contains("triez"), "{err}");
}

#[test]
fn queue_toml_gives_defaults_for_every_option_and_flags_override_them() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        r#"
[jobs.mail]
command = ["sh", "-c", "echo \"$GREETING\" >> greeting.txt; exit 3"]
queue = "emails"
tries = 3
backoff = [7, 11]
timeout = 30
max_exceptions = 5
name = "Send mail"
env = { GREETING = "hello" }
unique = "mailer"
unique_for = 600
rate_limit = "smtp=100/60"
throttle_exceptions = "10/60@smtp"
funnel = "smtp=4"
without_overlapping = "outbox"
"#,
    );
    let uuid = env.dispatch(&["mail"]);
    let job = env.show(&uuid);
    let p = &job["payload"];
    assert_eq!(job["queue"], "emails", "{job:#}");
    assert_eq!(job["name"], "Send mail");
    assert_eq!(p["max_tries"], 3, "{job:#}");
    assert_eq!(p["backoff"], json!([7, 11]));
    assert_eq!(p["timeout"], 30);
    assert_eq!(p["max_exceptions"], 5);
    assert_eq!(p["env"]["GREETING"], "hello");
    assert_eq!(p["command"], json!({"named": "mail"}));
    assert_eq!(p["unique"]["key"], "unique:Send mail:mailer");
    let mw = &p["middleware"];
    assert_eq!(
        mw["rate_limit"],
        json!({"key": "smtp", "max": 100, "seconds": 60})
    );
    assert_eq!(
        mw["throttle_exceptions"],
        json!({"max": 10, "seconds": 60, "key": "smtp"})
    );
    assert_eq!(mw["funnel"], json!({"key": "smtp", "max": 4}));
    assert_eq!(mw["without_overlapping"], "outbox");

    // Flags win over queue.toml; --env merges with its env.
    let own = env.dispatch(&[
        "mail", "--queue", "other", "--tries", "5", "--unique", "second", "--env", "EXTRA=1",
    ]);
    let job = env.show(&own);
    assert_eq!(job["queue"], "other");
    assert_eq!(job["payload"]["max_tries"], 5);
    assert_eq!(job["payload"]["env"]["GREETING"], "hello");
    assert_eq!(job["payload"]["env"]["EXTRA"], "1");
    assert_eq!(job["payload"]["unique"]["key"], "unique:Send mail:second");

    // The worker runs it with those options: its env, and its backoff after the failure.
    drain(&env, &["--queue", "emails"]);
    assert_eq!(read(&env.path().join("greeting.txt")), "hello\n");
    let job = env.show(&uuid);
    assert_eq!(job["state"], "delayed", "{job:#}");
    assert_eq!(job["attempt_count"], 1);
}

#[test]
fn named_jobs_in_a_jobs_file_and_with_sync() {
    let env = record_env();
    let lines = [
        json!({"job": "record", "payload": {"to": "one", "n": 1, "user": {"email": "a"}}}),
        json!({"job": "record", "payload": {"to": "two", "n": 2, "user": {"email": "b"}}, "queue": "other"}),
    ];
    let file = env.write(
        "jobs.jsonl",
        &lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    );
    let out = env.ok(&["dispatch", "--file", file.to_str().unwrap()]);
    let uuids: Vec<&str> = out.lines().collect();
    assert_eq!(uuids.len(), 2);
    assert_eq!(env.show(uuids[1])["queue"], "other");
    drain(&env, &["--queue", "default,other"]);
    assert_eq!(
        read(&env.path().join("args.txt")),
        "[--to=one][1][a][{literal}]\n[--to=two][2][b][{literal}]\n"
    );

    // A line whose payload lacks a field: the whole file is refused, naming the line.
    let bad = env.write(
        "bad.jsonl",
        &format!(
            "{}\n{}\n",
            lines[0],
            json!({"job": "record", "payload": {"n": 1}})
        ),
    );
    let err = env.fails(&["dispatch", "--file", bad.to_str().unwrap()], 1);
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("no field 'to'"), "{err}");
    assert_eq!(pending_total(&env), 0);

    // --sync runs the named job here, with its placeholders filled.
    env.ok(&[
        "dispatch",
        "record",
        "--sync",
        "--payload",
        r#"{"to": "now", "n": 9, "user": {"email": "s"}}"#,
    ]);
    assert!(read(&env.path().join("args.txt")).ends_with("[--to=now][9][s][{literal}]\n"));
}

fn version_toml(version: &str) -> String {
    format!("[jobs.deploy]\ncommand = [\"sh\", \"-c\", \"echo {version} >> ran.txt\"]\n")
}

fn ran_lines(env: &TestEnv) -> Vec<String> {
    read(&env.path().join("ran.txt"))
        .lines()
        .map(String::from)
        .collect()
}

fn wait_workers(env: &TestEnv, n: usize) {
    wait_until(LIMIT, "the worker to register", || {
        env.json(&["status"])["workers"].as_array().unwrap().len() == n
    });
}

#[test]
fn a_worker_runs_named_jobs_from_the_config_it_loaded_at_start_until_restarted() {
    let env = TestEnv::new();
    env.write("queue.toml", &version_toml("v1"));
    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet"]);
    wait_workers(&env, 1);

    env.dispatch(&["deploy"]);
    wait_until(LIMIT, "the first job", || ran_lines(&env).len() == 1);

    // A deploy changes queue.toml: the running worker keeps the command it loaded.
    env.write("queue.toml", &version_toml("v2"));
    env.dispatch(&["deploy"]);
    wait_until(LIMIT, "the second job", || ran_lines(&env).len() == 2);
    assert_eq!(ran_lines(&env), ["v1", "v1"]);

    // After `queue restart` a new worker runs the new command.
    env.ok(&["restart"]);
    let out = wait_exit(worker, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    env.dispatch(&["deploy"]);
    drain(&env, &[]);
    assert_eq!(ran_lines(&env), ["v1", "v1", "v2"]);
}

#[test]
fn a_worker_fails_a_named_job_its_own_config_does_not_know() {
    let env = TestEnv::new();
    env.write("queue.toml", &version_toml("v1"));
    let worker = env.spawn(&["work", "--sleep", "0.05", "--quiet"]);
    wait_workers(&env, 1);

    // The deploy adds a job; the worker started before it does not know it.
    env.write(
        "queue.toml",
        &format!(
            "{}\n[jobs.fresh]\ncommand = [\"touch\", \"fresh-ran\"]\n",
            version_toml("v2")
        ),
    );
    let uuid = env.dispatch(&["fresh", "--tries", "3"]);
    wait_until(LIMIT, "the job to fail", || {
        env.show(&uuid)["state"] == "failed"
    });
    let error = failed_error(&env, &uuid);
    assert!(error.contains("unknown job 'fresh'"), "{error}");
    assert!(error.contains("restart"), "{error}");
    assert!(!env.path().join("fresh-ran").exists());
    // It failed at once: an unknown name is not retried.
    assert_eq!(env.show(&uuid)["attempt_count"], 1);

    send_signal(&worker, libc::SIGTERM);
    assert_eq!(wait_exit(worker, LIMIT).status.code(), Some(0));

    // A worker started after the deploy knows it: retry it.
    env.ok(&["retry", &uuid]);
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "done");
    assert!(env.path().join("fresh-ran").exists());
}

#[test]
fn listen_reads_queue_toml_for_every_job() {
    let env = TestEnv::new();
    env.write("queue.toml", &version_toml("v1"));
    env.ok(&["migrate"]);
    let listener = env.spawn(&["listen", "--sleep", "0.05", "--quiet"]);

    env.dispatch(&["deploy"]);
    wait_until(LIMIT, "the first job", || ran_lines(&env).len() == 1);
    env.write("queue.toml", &version_toml("v2"));
    // A `work --once` child already waiting read the old file, as Laravel's would: wait until
    // two children that started after the rewrite have registered, so the next one is new.
    let pids = |env: &TestEnv| -> Vec<u64> {
        env.json(&["status"])["workers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w["pid"].as_u64())
            .collect()
    };
    let before = pids(&env);
    let mut fresh = std::collections::BTreeSet::new();
    wait_until(LIMIT, "new listener children", || {
        fresh.extend(pids(&env).into_iter().filter(|p| !before.contains(p)));
        fresh.len() >= 2
    });
    env.dispatch(&["deploy"]);
    wait_until(LIMIT, "the second job", || ran_lines(&env).len() == 2);
    assert_eq!(ran_lines(&env), ["v1", "v2"]);

    send_signal(&listener, libc::SIGTERM);
    let out = wait_exit(listener, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn named_jobs_run_on_several_workers_each_once_with_their_own_payload() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "[jobs.note]\ncommand = [\"sh\", \"-c\", \"echo \\\"$0\\\" >> notes.txt\", \"{id}\"]\n",
    );
    env.ok(&["migrate"]);
    let workers: Vec<_> = (0..3)
        .map(|_| env.spawn(&["work", "--sleep", "0.05", "--quiet"]))
        .collect();
    let lines: String = (0..30)
        .map(|i| json!({"job": "note", "payload": {"id": format!("n{i}")}}).to_string() + "\n")
        .collect();
    let file = env.write("jobs.jsonl", &lines);
    env.ok(&["dispatch", "--file", file.to_str().unwrap()]);
    let notes = env.path().join("notes.txt");
    wait_until(LIMIT, "every job", || read(&notes).lines().count() >= 30);
    wait_until(LIMIT, "an empty queue", || pending_total(&env) == 0);
    for w in workers {
        send_signal(&w, libc::SIGTERM);
        assert_eq!(wait_exit(w, LIMIT).status.code(), Some(0));
    }
    let mut got: Vec<String> = read(&notes).lines().map(String::from).collect();
    got.sort();
    let mut want: Vec<String> = (0..30).map(|i| format!("n{i}")).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn listen_with_a_config_flag_resolves_named_jobs_from_that_file() {
    let env = TestEnv::new();
    env.write(
        "etc/jobs.toml",
        "[jobs.hello]\ncommand = [\"touch\", \"hello-ran\"]\n",
    );
    let uuid = env.dispatch(&["--config", "etc/jobs.toml", "hello"]);
    let listener = env.spawn(&[
        "--config",
        "etc/jobs.toml",
        "listen",
        "--sleep",
        "0.05",
        "--quiet",
    ]);
    wait_until(LIMIT, "the job to end", || {
        matches!(env.state(&uuid).as_str(), "done" | "failed")
    });
    send_signal(&listener, libc::SIGTERM);
    let out = wait_exit(listener, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(env.state(&uuid), "done", "{:#}", env.json(&["failed"]));
    // A named job runs in its queue.toml's directory.
    assert!(env.path().join("etc/hello-ran").exists());
}
