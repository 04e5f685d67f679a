//! Everyday use (issue 16): what a new user trips over. Named jobs that are unique per payload,
//! connection names that are really queues, read-only commands that never create a store,
//! closed pipes, exit codes, duration spellings and messages that say what happened.

use crate::util::*;
use std::process::Stdio;

fn stderr_of(out: &std::process::Output) -> String {
    text(&out.stderr)
}

#[test]
fn a_unique_named_job_is_unique_per_payload_and_a_skip_is_said() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "[jobs.send-email]\ncommand = [\"echo\", \"{to}\"]\nunique = true\n\n[jobs.per-user]\ncommand = [\"echo\", \"{to}\"]\nunique = \"{to}\"\n",
    );
    let ann = env.dispatch(&["send-email", "--payload", r#"{"to": "ann@example.com"}"#]);
    let bob = env.dispatch(&["send-email", "--payload", r#"{"to": "bob@example.com"}"#]);
    assert!(!ann.is_empty() && !bob.is_empty() && ann != bob);
    // The same payload again is the same job: skipped, exit 0, said on stderr.
    let again = env.run(&[
        "dispatch",
        "send-email",
        "--payload",
        r#"{"to": "ann@example.com"}"#,
    ]);
    assert!(again.status.success());
    assert!(again.stdout.is_empty());
    let err = stderr_of(&again);
    assert!(
        err.contains("not dispatched") && err.contains(&ann),
        "{err}"
    );

    // `unique = "{to}"` takes the id from the payload.
    env.dispatch(&["per-user", "--payload", r#"{"to": "a", "n": 1}"#]);
    let out = env.run(&[
        "dispatch",
        "per-user",
        "--payload",
        r#"{"to": "a", "n": 2}"#,
    ]);
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    env.dispatch(&["per-user", "--payload", r#"{"to": "b", "n": 1}"#]);
    let err = env.fails(&["dispatch", "per-user", "--payload", r#"{"n": 1}"#], 1);
    assert!(err.contains("no field 'to'"), "{err}");
}

#[test]
fn a_queue_given_where_a_connection_goes_is_an_error() {
    let env = TestEnv::new();
    env.dispatch(&["--queue", "emails", "--", "true"]);
    let err = env.fails(&["work", "emails", "--stop-when-empty"], 1);
    assert!(err.contains("unknown connection 'emails'"), "{err}");
    assert!(err.contains("did you mean `--queue emails`?"), "{err}");
    // `default` is the one connection of a store without queue.toml.
    env.ok(&["work", "default", "--stop-when-empty", "--queue", "emails"]);
}

#[test]
fn read_only_commands_never_create_a_store() {
    let env = TestEnv::new();
    if env.skip_on_postgres("a SQLite file that does not exist") {
        return;
    }
    let missing = env.path().join("nonexistent/dir/q.sqlite");
    let db = missing.display().to_string();
    for args in [
        vec!["status"],
        vec!["failed"],
        vec!["batches"],
        vec!["show", "01a2314f-a39d-70d3-8826-6e12d5dce860"],
        vec!["batch-show", "x"],
    ] {
        let mut all = vec!["--database", db.as_str()];
        all.extend(args.iter());
        let err = env.fails(&all, 1);
        assert!(
            err.contains(&format!("no store at {db}")),
            "{args:?}: {err}"
        );
    }
    let err = env.fails(&["--database", &db, "monitor", "default"], 3);
    assert!(err.contains("no store at"), "{err}");
    assert!(!env.path().join("nonexistent").exists());
    // A command that writes creates it.
    env.ok(&["--database", &db, "dispatch", "--", "true"]);
    assert!(missing.exists());
    env.ok(&["--database", &db, "status"]);
}

#[test]
fn a_store_this_user_may_only_read_is_readable_and_writes_say_why_not() {
    let env = TestEnv::new();
    if env.skip_on_postgres("file permissions") {
        return;
    }
    // root may write anything: nothing to check there.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("skipped: running as root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let uuid = env.dispatch(&["--", "true"]);
    let dir = env.db.parent().unwrap().to_path_buf();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let status = env.run(&["status"]);
    let shown = env.run(&["show", &uuid]);
    let dispatch = env.run(&["dispatch", "--", "true"]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(status.status.success(), "{}", stderr_of(&status));
    assert!(shown.status.success(), "{}", stderr_of(&shown));
    assert_eq!(dispatch.status.code(), Some(1));
    let err = stderr_of(&dispatch);
    assert!(
        err.contains("read-only for this user") && err.contains(&env.database),
        "{err}"
    );
    assert!(!err.contains("Error code"), "{err}");
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let env = TestEnv::new();
    for args in [vec!["completions", "bash"], vec!["man"], vec!["--help"]] {
        let mut child = env
            .cmd(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr_of(&out);
        assert!(err.is_empty(), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    for args in [
        vec!["dispatch", "--tries", "-2", "--", "true"],
        vec!["dispatch", "--backoff", "1,,2", "--", "true"],
        vec!["dispatch", "--delay", "soon", "--", "true"],
        vec!["dispatch", "--timeout", "x", "--", "true"],
        vec!["retry"],
        vec!["chain"],
        vec!["batch"],
        vec!["dispatch", "--tries", "abc", "--", "true"],
    ] {
        env.fails(&args, 2);
    }
}

#[test]
fn durations_take_units_as_people_write_them() {
    let env = TestEnv::new();
    let err = env.fails(&["dispatch", "--delay", "5", "minutes", "--", "true"], 2);
    assert!(err.contains("split from its number"), "{err}");
    assert!(err.contains("--delay 5minutes"), "{err}");
    let now = now_ms(&env);
    for (spelling, secs) in [("5minutes", 300), ("1h30m", 5400), ("1w", 604_800)] {
        let uuid = env.dispatch(&["--delay", spelling, "--", "true"]);
        let at = rfc3339_ms(&env.show(&uuid)["available_at"]);
        let want = now + secs * 1000;
        assert!((at - want).abs() < 60_000, "{spelling}: {at} vs {want}");
    }
}

#[test]
fn a_memory_stop_says_why() {
    let env = TestEnv::new();
    env.dispatch(&["--", "true"]);
    let out = env.run(&["work", "--memory", "1", "--sleep", "0.05"]);
    assert_eq!(out.status.code(), Some(12));
    let err = stderr_of(&out);
    assert!(err.contains("--memory 1 MB"), "{err}");
}

#[test]
fn a_failed_job_shows_its_exceptions() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "0",
        "--max-exceptions",
        "3",
        "--",
        "sh",
        "-c",
        "exit 3",
    ]);
    drain(&env, &[]);
    let shown = env.show(&uuid);
    assert_eq!(shown["state"], "failed");
    assert_eq!(shown["exceptions"], 3, "{shown:#}");
    assert_eq!(shown["attempt_count"], 3, "{shown:#}");
}

#[test]
fn worker_lines_say_why_an_attempt_failed_and_what_did_not_run() {
    let env = TestEnv::new();
    env.dispatch(&["--tries", "2", "--", "sh", "-c", "exit 3"]);
    let out = env.drain(&[]);
    let lines = text(&out.stdout);
    let fails: Vec<&str> = lines
        .lines()
        .filter(|l| l.contains("exited with status 3"))
        .collect();
    assert_eq!(fails.len(), 2, "the reason under both FAIL lines: {lines}");

    // Held back by middleware: HELD with the reason, never RUNNING.
    env.dispatch(&["--rate-limit", "k=1/60", "--name", "first", "--", "true"]);
    env.dispatch(&[
        "--rate-limit",
        "k=1/60",
        "--tries",
        "3",
        "--name",
        "second",
        "--",
        "true",
    ]);
    let out = env.drain(&[]);
    let lines = text(&out.stdout);
    let second: Vec<&str> = lines.lines().filter(|l| l.contains(" second ")).collect();
    assert_eq!(second.len(), 1, "{lines}");
    assert!(second[0].ends_with("HELD"), "{lines}");
    assert!(lines.contains("rate limit 'k'"), "{lines}");

    // A job of a cancelled batch: SKIPPED, never RUNNING.
    let batch = env.ok(&["batch", "true"]).trim().to_string();
    env.ok(&["batch-cancel", &batch]);
    let out = env.drain(&[]);
    let lines = text(&out.stdout);
    assert!(lines.contains("SKIPPED"), "{lines}");
    assert!(!lines.contains("RUNNING"), "{lines}");
    assert!(lines.contains("was cancelled"), "{lines}");
}

#[test]
fn a_generated_config_gives_the_workers_its_timeout() {
    let env = TestEnv::new();
    let conf = env.ok(&["supervisor-config", "--timeout", "120"]);
    assert!(conf.contains("--timeout 120"), "{conf}");
    assert!(conf.contains("stopwaitsecs=150"), "{conf}");
    let unit = env.ok(&["systemd-unit", "--timeout", "120"]);
    assert!(unit.contains("--timeout 120"), "{unit}");
    // A --timeout in --work-args is kept as it is.
    let conf = env.ok(&[
        "supervisor-config",
        "--timeout",
        "120",
        "--work-args",
        "--timeout 30",
    ]);
    assert!(conf.contains("work --timeout 30\n"), "{conf}");
    assert!(!conf.contains("--timeout 120"), "{conf}");
}

#[test]
fn a_sync_job_that_cannot_start_exits_like_a_shell() {
    let env = TestEnv::new();
    let err = env.fails(&["dispatch", "--sync", "--", "/no/such/program"], 127);
    assert!(err.contains("command not found"), "{err}");
    env.write("not-executable.sh", "echo hi\n");
    let err = env.fails(&["dispatch", "--sync", "--", "./not-executable.sh"], 126);
    assert!(err.contains("not executable"), "{err}");
    let err = env.fails(
        &["dispatch", "--sync", "--cwd", "/nonexistent", "--", "true"],
        1,
    );
    assert!(
        err.contains("the working directory /nonexistent does not exist"),
        "{err}"
    );
    assert!(!err.contains("its working"), "{err}");
}

#[test]
fn show_decrypt_shows_the_env_and_a_missing_key_is_said_plainly() {
    let env = TestEnv::new();
    let key = env.ok(&["key-generate"]).trim().to_string();
    let uuid = env
        .cmd(&[
            "dispatch",
            "--encrypt",
            "--env",
            "TOKEN=s3cret",
            "--",
            "true",
        ])
        .env("QUEUE_KEY", &key)
        .output()
        .unwrap();
    let uuid = text(&uuid.stdout).trim().to_string();
    let shown = env
        .cmd(&["show", "--decrypt", &uuid])
        .env("QUEUE_KEY", &key)
        .output()
        .unwrap();
    assert!(
        text(&shown.stdout).contains("TOKEN=s3cret"),
        "{}",
        text(&shown.stdout)
    );
    let err = env.fails(&["show", "--decrypt", &uuid], 1);
    assert!(err.contains("QUEUE_KEY is not set"), "{err}");
    assert!(!err.contains("worker"), "{err}");
}

#[test]
fn config_errors_name_the_file_and_line_in_plain_words() {
    let env = TestEnv::new();
    for (toml, line, words) in [
        (
            "[jobs.x]\ncommand = [\"true\"]\ntris = 3\n",
            3,
            "unknown field `tris`",
        ),
        (
            "[jobs.x]\ncommand = [\"true\"]\n\ntries = \"a\"\n",
            4,
            "expected a whole number",
        ),
        (
            "default = \"a\"\n[connections.a]\nqueue = \"q\"\nretain_done = \"x\"\n",
            4,
            "invalid retain_done",
        ),
        (
            "[connections.default]\nretry_after = \"x\"\n",
            2,
            "expected a whole number of seconds",
        ),
    ] {
        env.write("queue.toml", toml);
        let err = env
            .cmd(&["dispatch", "--", "true"])
            .env_remove("QUEUE_DATABASE")
            .output()
            .unwrap();
        let err = text(&err.stderr);
        assert!(err.contains("queue.toml (line "), "{toml}: {err}");
        assert!(err.contains(&format!("(line {line})")), "{toml}: {err}");
        assert!(err.contains(words), "{toml}: {err}");
        assert!(!err.contains("u64") && !err.contains("i64"), "{err}");
    }
}

#[test]
fn json_everywhere_and_payloads_in_snake_case() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--tries", "1", "--", "false"]);
    drain(&env, &[]);
    let failed = env.json(&["failed"]);
    let payload = &failed[0]["payload"];
    assert_eq!(payload["display_name"], "false", "{payload:#}");
    assert_eq!(payload["max_tries"], 1, "{payload:#}");
    assert!(payload.get("displayName").is_none());
    assert_eq!(env.show(&uuid)["payload"]["max_tries"], 1);

    assert_eq!(env.json(&["pause", "emails"])["paused"], true);
    assert_eq!(env.json(&["resume", "emails"])["paused"], false);
    assert_eq!(env.json(&["down"])["maintenance"], true);
    assert_eq!(env.json(&["up"])["maintenance"], false);
    assert!(env.json(&["restart"])["restart"].is_string());
    assert!(env.json(&["supervisor-config"])["config"]
        .as_str()
        .unwrap()
        .contains("[program:"));
    let sync = env.json(&["dispatch", "--sync", "--", "true"]);
    assert_eq!(sync["exit_code"], 0);
}

#[test]
fn a_batch_nothing_has_run_of_is_pending() {
    let env = TestEnv::new();
    let id = env.ok(&["batch", "true", "true"]).trim().to_string();
    let shown = env.ok(&["batch-show", &id]);
    assert!(shown.contains("pending"), "{shown}");
    assert!(!shown.contains("running"), "{shown}");
    drain(&env, &[]);
    assert!(env.ok(&["batch-show", &id]).contains("finished"));
}

#[test]
fn tables_never_break_ids() {
    let env = TestEnv::new();
    let ids: Vec<String> = (0..3)
        .map(|_| {
            env.dispatch(&[
                "--name",
                "a rather long job name that would wrap",
                "--",
                "false",
            ])
        })
        .collect();
    drain(&env, &[]);
    for columns in ["120", "80"] {
        let out = env
            .cmd(&["failed"])
            .env("COLUMNS", columns)
            .output()
            .unwrap();
        let table = text(&out.stdout);
        for line in table.lines() {
            assert!(
                line.chars().count() <= columns.parse().unwrap(),
                "{columns}: {table}"
            );
        }
        for id in &ids {
            // The whole id, or a prefix of at least 8 characters, on one line.
            let shown = table.lines().any(|l| l.contains(&id[..8]));
            assert!(shown, "{columns}: {id} not on one line: {table}");
        }
    }
}
