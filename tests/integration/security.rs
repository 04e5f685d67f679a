//! Security: encrypted jobs (`--encrypt`, `encrypt = true`, QUEUE_KEY, QUEUE_PREVIOUS_KEYS,
//! `queue key-generate`, `show --decrypt`), tampering, the store's file permissions,
//! `[worker] allow_commands = false`, and `queue lock`.

use crate::util::*;
use base64::Engine;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A `queue` command with exactly these keys in its environment (none when empty).
fn keyed(env: &TestEnv, args: &[&str], key: Option<&str>, previous: Option<&str>) -> Command {
    let mut cmd = env.cmd(args);
    cmd.env_remove("QUEUE_KEY")
        .env_remove("QUEUE_PREVIOUS_KEYS");
    if let Some(key) = key {
        cmd.env("QUEUE_KEY", key);
    }
    if let Some(previous) = previous {
        cmd.env("QUEUE_PREVIOUS_KEYS", previous);
    }
    cmd
}

fn run_keyed(env: &TestEnv, args: &[&str], key: Option<&str>, previous: Option<&str>) -> Output {
    let child = keyed(env, args, key, previous)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_exit(child, LIMIT)
}

fn ok_keyed(env: &TestEnv, args: &[&str], key: Option<&str>) -> String {
    let out = run_keyed(env, args, key, None);
    assert!(
        out.status.success(),
        "queue {args:?} failed\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Drain with these keys; the worker must exit 0. Returns its stdout.
fn drain_keyed(env: &TestEnv, key: Option<&str>, previous: Option<&str>) -> String {
    let out = run_keyed(
        env,
        &["work", "--stop-when-empty", "--sleep", "0.05"],
        key,
        previous,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "worker failed\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn new_key(env: &TestEnv) -> String {
    env.ok(&["key-generate"]).trim().to_string()
}

const ARG_SECRET: &str = "arg-s3cret-4d1b";
const ENV_SECRET: &str = "env-s3cret-77ac";
const PAYLOAD_SECRET: &str = "payload-s3cret-9e02";

/// Dispatch an encrypted job whose command argument, env value and payload are secrets; it
/// writes them to `out` (relative to the test directory). Returns its uuid.
fn dispatch_secret(env: &TestEnv, key: &str, out: &str) -> String {
    let script = format!("printf '%s|%s|%s' \"$1\" \"$TOKEN\" \"$(cat)\" > {out}");
    let payload = format!("{{\"card\": \"{PAYLOAD_SECRET}\"}}");
    let env_pair = format!("TOKEN={ENV_SECRET}");
    ok_keyed(
        env,
        &[
            "dispatch",
            "--encrypt",
            "--env",
            &env_pair,
            "--payload",
            &payload,
            "--",
            "sh",
            "-c",
            &script,
            "sh",
            ARG_SECRET,
        ],
        Some(key),
    )
    .trim()
    .to_string()
}

fn expected_output() -> String {
    format!("{ARG_SECRET}|{ENV_SECRET}|{{\"card\":\"{PAYLOAD_SECRET}\"}}")
}

/// Every byte of the store: the database file and its WAL and shared-memory files (on
/// PostgreSQL: every row of every table).
fn store_bytes(env: &TestEnv) -> Vec<u8> {
    env.store_contents()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn assert_no_secret(what: &str, bytes: &[u8]) {
    for secret in [ARG_SECRET, ENV_SECRET, PAYLOAD_SECRET] {
        assert!(
            !contains(bytes, secret),
            "{what} contains the secret {secret}"
        );
    }
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

// Keys ----------------------------------------------------------------------------------------

#[test]
fn key_generate_prints_a_new_32_byte_key_each_time() {
    let env = TestEnv::new();
    let a = new_key(&env);
    let b = new_key(&env);
    assert_ne!(a, b);
    let body = a.strip_prefix("base64:").expect("base64: prefix");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    assert_eq!(bytes.len(), 32);
    let j = env.json(&["key-generate"]);
    assert!(j["key"].as_str().unwrap().starts_with("base64:"), "{j}");
}

#[test]
fn encrypt_needs_a_valid_queue_key() {
    let env = TestEnv::new();
    let out = run_keyed(&env, &["dispatch", "--encrypt", "--", "true"], None, None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("QUEUE_KEY"), "{err}");
    assert!(err.contains("key-generate"), "{err}");

    let out = run_keyed(
        &env,
        &["dispatch", "--encrypt", "--", "true"],
        Some("not a key!"),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("QUEUE_KEY"),
        "{}",
        text(&out.stderr)
    );

    let short = format!(
        "base64:{}",
        base64::engine::general_purpose::STANDARD.encode([7u8; 16])
    );
    let out = run_keyed(
        &env,
        &["dispatch", "--encrypt", "--", "true"],
        Some(&short),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("32 bytes"),
        "{}",
        text(&out.stderr)
    );
    env.ok(&["migrate"]);
    assert_eq!(
        env.json(&["status"])["queues"].as_array().unwrap().len(),
        0,
        "nothing was queued"
    );
}

// Encrypted jobs ------------------------------------------------------------------------------

#[test]
fn an_encrypted_job_keeps_its_secrets_out_of_the_store_and_runs_with_the_key() {
    let env = TestEnv::new();
    let key = new_key(&env);
    let uuid = dispatch_secret(&env, &key, "out.txt");
    assert_no_secret("the store", &store_bytes(&env));

    // `show` prints no secret unless asked.
    let shown = env.show(&uuid);
    assert_no_secret("show --json", shown.to_string().as_bytes());
    assert_eq!(shown["name"], "(encrypted)");
    assert!(
        shown["payload"]["secret"]
            .as_str()
            .unwrap()
            .starts_with("v1:"),
        "{shown:#}"
    );
    let human = ok_keyed(&env, &["show", &uuid], Some(&key));
    assert_no_secret("show", human.as_bytes());
    assert!(human.contains("encrypted"), "{human}");

    // `show --decrypt` needs the key and then shows command, env and payload.
    let out = run_keyed(&env, &["show", &uuid, "--decrypt"], None, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("QUEUE_KEY"),
        "{}",
        text(&out.stderr)
    );
    let decrypted = ok_keyed(&env, &["--json", "show", &uuid, "--decrypt"], Some(&key));
    for secret in [ARG_SECRET, ENV_SECRET, PAYLOAD_SECRET] {
        assert!(decrypted.contains(secret), "{decrypted}");
    }
    let decrypted: Value = serde_json::from_str(&decrypted).unwrap();
    assert_eq!(decrypted["payload"]["env"]["TOKEN"], ENV_SECRET);
    assert_eq!(decrypted["payload"]["data"]["card"], PAYLOAD_SECRET);

    // The worker opens it: argument, env and stdin all arrive.
    let lines = drain_keyed(&env, Some(&key), None);
    assert_no_secret("the worker's output", lines.as_bytes());
    assert_eq!(env.state(&uuid), "done");
    assert_eq!(
        std::fs::read_to_string(env.path().join("out.txt")).unwrap(),
        expected_output()
    );
    // The finished job is kept sealed too.
    assert_no_secret("the store after the run", &store_bytes(&env));
    assert_no_secret(
        "show of the done job",
        env.show(&uuid).to_string().as_bytes(),
    );
}

#[test]
fn a_worker_without_the_key_or_with_a_wrong_key_fails_the_job_unrun() {
    let env = TestEnv::new();
    let key = new_key(&env);
    let no_key = dispatch_secret(&env, &key, "no-key.txt");
    drain_keyed(&env, None, None);
    assert_eq!(env.state(&no_key), "failed");
    let error = failed_error(&env, &no_key);
    assert!(error.contains("QUEUE_KEY is not set"), "{error}");
    assert!(!env.path().join("no-key.txt").exists());

    let wrong = dispatch_secret(&env, &key, "wrong-key.txt");
    let other = new_key(&env);
    drain_keyed(&env, Some(&other), None);
    assert_eq!(env.state(&wrong), "failed");
    let error = failed_error(&env, &wrong);
    assert!(error.contains("cannot be decrypted"), "{error}");
    assert!(error.contains("another key"), "{error}");
    assert!(!env.path().join("wrong-key.txt").exists());
    // Failed at once, not retried: the key will not appear by itself.
    assert_eq!(env.show(&wrong)["attempt_count"], 1);

    // `failed` shows no secret, in either form.
    let failed = env.json(&["failed"]);
    assert_no_secret("failed --json", failed.to_string().as_bytes());
    assert!(failed[0]["payload"]["secret"].is_string(), "{failed:#}");
    assert_no_secret("failed", env.ok(&["failed"]).as_bytes());
    assert_no_secret("the store", &store_bytes(&env));

    // With the right key the retried jobs run.
    env.ok(&["retry", "all"]);
    drain_keyed(&env, Some(&key), None);
    for (uuid, file) in [(&no_key, "no-key.txt"), (&wrong, "wrong-key.txt")] {
        assert_eq!(env.state(uuid), "done");
        assert_eq!(
            std::fs::read_to_string(env.path().join(file)).unwrap(),
            expected_output()
        );
    }
}

#[test]
fn previous_keys_open_jobs_sealed_before_a_rotation() {
    let env = TestEnv::new();
    let old = new_key(&env);
    let uuid = dispatch_secret(&env, &old, "rotated.txt");
    let new = new_key(&env);
    let unrelated = new_key(&env);
    let previous = format!("{unrelated},{old}");
    drain_keyed(&env, Some(&new), Some(&previous));
    assert_eq!(env.state(&uuid), "done");
    assert_eq!(
        std::fs::read_to_string(env.path().join("rotated.txt")).unwrap(),
        expected_output()
    );
    // New jobs are sealed with the new key only.
    let fresh = dispatch_secret(&env, &new, "fresh.txt");
    drain_keyed(&env, Some(&old), None);
    assert_eq!(env.state(&fresh), "failed");
    assert!(!env.path().join("fresh.txt").exists());
}

/// Read and rewrite the stored payloads of jobs directly, as an attacker with write access
/// to the store could.
fn edit_secrets(env: &TestEnv, edit: impl FnOnce(&mut Vec<(String, Value)>)) {
    let mut rows: Vec<(String, Value)> = env
        .sql("SELECT uuid, payload FROM jobs ORDER BY id", &[])
        .into_iter()
        .map(|r| {
            let raw = r[1].clone().unwrap();
            (r[0].clone().unwrap(), serde_json::from_str(&raw).unwrap())
        })
        .collect();
    edit(&mut rows);
    for (uuid, payload) in rows {
        env.sql(
            "UPDATE jobs SET payload = $2 WHERE uuid = $1",
            &[&uuid, &payload.to_string()],
        );
    }
}

#[test]
fn a_tampered_job_fails_naming_the_cause_and_never_runs() {
    let env = TestEnv::new();
    let key = new_key(&env);
    let uuid = dispatch_secret(&env, &key, "tampered.txt");
    edit_secrets(&env, |rows| {
        let secret = rows[0].1["secret"].as_str().unwrap().to_string();
        let mut chars: Vec<char> = secret.chars().collect();
        // A character well inside the base64 body: still base64, different bytes.
        let i = 3 + 20;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        rows[0].1["secret"] = Value::String(chars.into_iter().collect());
    });
    drain_keyed(&env, Some(&key), None);
    assert_eq!(env.state(&uuid), "failed");
    let error = failed_error(&env, &uuid);
    assert!(error.contains("tampered"), "{error}");
    assert!(!env.path().join("tampered.txt").exists());
}

#[test]
fn a_corrupt_secret_is_a_clear_error_too() {
    let env = TestEnv::new();
    let key = new_key(&env);
    let uuid = dispatch_secret(&env, &key, "corrupt.txt");
    edit_secrets(&env, |rows| {
        rows[0].1["secret"] = Value::String("v1:%%% not base64 %%%".into());
    });
    drain_keyed(&env, Some(&key), None);
    assert_eq!(env.state(&uuid), "failed");
    let error = failed_error(&env, &uuid);
    assert!(error.contains("corrupt"), "{error}");
    assert!(!env.path().join("corrupt.txt").exists());
}

#[test]
fn secrets_swapped_between_two_jobs_open_in_neither() {
    let env = TestEnv::new();
    let key = new_key(&env);
    let a = dispatch_secret(&env, &key, "a.txt");
    let b = dispatch_secret(&env, &key, "b.txt");
    edit_secrets(&env, |rows| {
        let first = rows[0].1["secret"].clone();
        rows[0].1["secret"] = rows[1].1["secret"].clone();
        rows[1].1["secret"] = first;
    });
    drain_keyed(&env, Some(&key), None);
    for uuid in [&a, &b] {
        assert_eq!(env.state(uuid), "failed");
        assert!(failed_error(&env, uuid).contains("tampered"));
    }
    assert!(!env.path().join("a.txt").exists());
    assert!(!env.path().join("b.txt").exists());
}

#[test]
fn a_named_job_with_encrypt_true_is_sealed() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "[jobs.charge]\ncommand = [\"sh\", \"-c\", \"printf '%s' \\\"$0\\\" > charged.txt\", \"{card}\"]\nencrypt = true\n",
    );
    let key = new_key(&env);
    let payload = format!("{{\"card\": \"{PAYLOAD_SECRET}\"}}");
    let uuid = ok_keyed(
        &env,
        &["dispatch", "charge", "--payload", &payload],
        Some(&key),
    )
    .trim()
    .to_string();
    assert_no_secret("the store", &store_bytes(&env));
    let shown = env.show(&uuid);
    assert_eq!(shown["name"], "charge");
    assert!(shown["payload"]["secret"].is_string(), "{shown:#}");

    // Without a key the dispatch itself is refused.
    let out = run_keyed(
        &env,
        &["dispatch", "charge", "--payload", &payload],
        None,
        None,
    );
    assert_eq!(out.status.code(), Some(1));

    drain_keyed(&env, Some(&key), None);
    assert_eq!(env.state(&uuid), "done");
    assert_eq!(
        std::fs::read_to_string(env.path().join("charged.txt")).unwrap(),
        PAYLOAD_SECRET
    );
}

#[test]
fn encrypted_jobs_run_on_several_workers() {
    let env = TestEnv::new();
    let key = new_key(&env);
    env.ok(&["migrate"]);
    let uuids: Vec<String> = (0..6)
        .map(|i| dispatch_secret(&env, &key, &format!("out-{i}.txt")))
        .collect();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            keyed(
                &env,
                &["work", "--stop-when-empty", "--sleep", "0.05", "--quiet"],
                Some(&key),
                None,
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for w in workers {
        assert_eq!(wait_exit(w, LIMIT).status.code(), Some(0));
    }
    for (i, uuid) in uuids.iter().enumerate() {
        assert_eq!(env.state(uuid), "done");
        assert_eq!(
            std::fs::read_to_string(env.path().join(format!("out-{i}.txt"))).unwrap(),
            expected_output()
        );
    }
}

// The store's permissions ---------------------------------------------------------------------

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_new_store_is_private() {
    let env = TestEnv::new();
    if env.skip_on_postgres("file modes of a SQLite store") {
        return;
    }
    env.ok(&["migrate"]);
    assert_eq!(mode(&env.db), 0o600);
    assert_eq!(mode(env.db.parent().unwrap()), 0o700);
}

#[test]
fn a_worker_refuses_a_store_file_or_directory_writable_by_others() {
    let env = TestEnv::new();
    if env.skip_on_postgres("file modes of a SQLite store") {
        return;
    }
    env.ok(&["migrate"]);
    let dir = env.db.parent().unwrap().to_path_buf();

    for (path, bad, fix, what) in [
        (env.db.clone(), 0o666, "chmod 600", "file"),
        (env.db.clone(), 0o620, "chmod 600", "file"),
        (dir.clone(), 0o777, "chmod 700", "directory"),
        (dir.clone(), 0o770, "chmod 700", "directory"),
    ] {
        let good = mode(&path);
        chmod(&path, bad);
        // Dispatching still works...
        let uuid = env.dispatch(&["--", "touch", "ran"]);
        // ...but no worker will run what anyone could have written.
        let err = env.fails(&["work", "--stop-when-empty", "--sleep", "0.05"], 1);
        assert!(err.contains("writable by group or others"), "{err}");
        assert!(err.contains(what), "{err}");
        assert!(err.contains(fix), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert_eq!(env.state(&uuid), "pending");
        assert!(!env.path().join("ran").exists());
        // `listen` refuses too.
        let out = wait_exit(env.spawn(&["listen", "--sleep", "0.05"]), LIMIT);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("writable by group or others"));

        chmod(&path, good);
        let out = env.drain(&[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(env.state(&uuid), "done");
        std::fs::remove_file(env.path().join("ran")).unwrap();
    }
}

// allow_commands ------------------------------------------------------------------------------

#[test]
fn allow_commands_false_makes_a_worker_run_only_named_jobs() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "[worker]\nallow_commands = false\n\n[jobs.hello]\ncommand = [\"touch\", \"named-ran\"]\n",
    );
    let adhoc = env.dispatch(&["--tries", "3", "--", "touch", "adhoc-ran"]);
    let named = env.dispatch(&["hello"]);
    let file = env.write(
        "jobs.jsonl",
        "{\"shell\": \"touch shell-ran\"}\n{\"job\": \"hello\"}\n",
    );
    let from_file: Vec<String> = env
        .ok(&["dispatch", "--file", file.to_str().unwrap()])
        .lines()
        .map(String::from)
        .collect();
    let out = env.drain(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    for uuid in [&adhoc, &from_file[0]] {
        assert_eq!(env.state(uuid), "failed");
        let error = failed_error(&env, uuid);
        assert!(error.contains("runs only named jobs"), "{error}");
        assert!(error.contains("allow_commands"), "{error}");
    }
    // Failed at once, not retried.
    assert_eq!(env.show(&adhoc)["attempt_count"], 1);
    assert!(!env.path().join("adhoc-ran").exists());
    assert!(!env.path().join("shell-ran").exists());
    assert_eq!(env.state(&named), "done");
    assert_eq!(env.state(&from_file[1]), "done");
    assert!(env.path().join("named-ran").exists());

    // The setting is the worker's: one whose config allows commands runs them.
    env.write("queue.toml", "[jobs.hello]\ncommand = [\"true\"]\n");
    env.ok(&["retry", &adhoc]);
    env.drain(&[]);
    assert_eq!(env.state(&adhoc), "done");
    assert!(env.path().join("adhoc-ran").exists());
}

// queue lock ----------------------------------------------------------------------------------

#[test]
fn lock_runs_the_command_and_passes_its_exit_code_through() {
    let env = TestEnv::new();
    let out = env.run(&["lock", "deploy", "--", "sh", "-c", "echo inside; exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), "inside\n");
    assert_eq!(
        env.run(&["lock", "deploy", "--", "true"]).status.code(),
        Some(0)
    );
    // The lock was given back each time.
    assert_eq!(
        env.run(&["lock", "deploy", "--", "true"]).status.code(),
        Some(0)
    );

    // A command that cannot start: exit 1, and the lock is given back.
    let err = env.fails(&["lock", "deploy", "--", "/nonexistent/program"], 1);
    assert!(err.contains("/nonexistent/program"), "{err}");
    assert_eq!(
        env.run(&["lock", "deploy", "--", "true"]).status.code(),
        Some(0)
    );

    // No command, or no name: usage errors.
    env.fails(&["lock", "deploy"], 2);
    let err = env.fails(&["lock", " ", "--", "true"], 1);
    assert!(err.contains("name"), "{err}");
}

/// Start `queue lock KEY EXTRA -- sh -c '…; touch TAG-started; sleep SECS; date +%s%N >
/// TAG-ended'` in the background and wait until it holds the lock.
fn hold(env: &TestEnv, key: &str, extra: &[&str], sleep: &str, tag: &str) -> std::process::Child {
    let script = format!("touch {tag}-started; sleep {sleep}; date +%s%N > {tag}-ended");
    hold_script(env, key, extra, &script, tag)
}

fn hold_script(
    env: &TestEnv,
    key: &str,
    extra: &[&str],
    script: &str,
    tag: &str,
) -> std::process::Child {
    let args = [&["lock", key], extra, &["--", "sh", "-c", script]].concat();
    let child = env.spawn(&args);
    wait_until(LIMIT, "the lock to be held", || {
        env.path().join(format!("{tag}-started")).exists()
    });
    child
}

#[test]
fn a_second_lock_fails_fast_without_block_and_waits_with_block() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let first = hold(&env, "deploy", &[], "2", "first");

    // No --block: fails at once, naming the key.
    let started = Instant::now();
    let err = env.fails(&["lock", "deploy", "--", "touch", "second-ran"], 1);
    assert!(started.elapsed() < Duration::from_millis(1500), "not fast");
    assert!(err.contains("'deploy'"), "{err}");
    assert!(err.contains("--block"), "{err}");
    assert!(!env.path().join("second-ran").exists());
    // Another key is free.
    assert_eq!(
        env.run(&["lock", "other", "--", "true"]).status.code(),
        Some(0)
    );

    // --block: waits for the first to finish, then runs.
    let out = env.run(&[
        "lock",
        "deploy",
        "--block",
        "20",
        "--",
        "sh",
        "-c",
        "date +%s%N > second-started",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let read_ns = |name: &str| -> u128 {
        std::fs::read_to_string(env.path().join(name))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert!(
        read_ns("second-started") >= read_ns("first-ended"),
        "the second command started before the first ended"
    );
    assert_eq!(wait_exit(first, LIMIT).status.code(), Some(0));
}

#[test]
fn a_block_that_runs_out_fails_with_a_clear_message() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let first = hold(&env, "deploy", &[], "3", "first");
    let started = Instant::now();
    let err = env.fails(&["lock", "deploy", "--block", "0.5", "--", "touch", "x"], 1);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500),
        "gave up early: {took:?}"
    );
    assert!(
        took < Duration::from_millis(2500),
        "waited too long: {took:?}"
    );
    assert!(err.contains("could not acquire the lock 'deploy'"), "{err}");
    assert!(err.contains("0.5"), "{err}");
    assert!(!env.path().join("x").exists());
    assert_eq!(wait_exit(first, LIMIT).status.code(), Some(0));
}

#[test]
fn many_lock_processes_never_run_their_commands_at_once() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let log = env.path().join("runs.log");
    let script = format!(
        "echo \"start $(date +%s%N)\" >> '{log}'; sleep 0.1; echo \"end $(date +%s%N)\" >> '{log}'",
        log = log.display()
    );
    let children: Vec<_> = (0..5)
        .map(|_| env.spawn(&["lock", "one", "--block", "30", "--", "sh", "-c", &script]))
        .collect();
    for c in children {
        assert_eq!(wait_exit(c, LIMIT).status.code(), Some(0));
    }
    let lines: Vec<(String, u128)> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| {
            let (what, at) = l.split_once(' ').unwrap();
            (what.to_string(), at.parse().unwrap())
        })
        .collect();
    assert_eq!(lines.len(), 10);
    let mut sorted = lines.clone();
    sorted.sort_by_key(|(_, at)| *at);
    // Strictly alternating start, end, start, end …
    for (i, (what, _)) in sorted.iter().enumerate() {
        assert_eq!(what, if i % 2 == 0 { "start" } else { "end" }, "{sorted:?}");
    }
}

#[test]
fn a_lock_held_for_a_fixed_time_lapses_after_it() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let first = hold(&env, "deploy", &["--for", "10"], "4", "first");
    env.fails(&["lock", "deploy", "--", "true"], 1);
    env.advance(Duration::from_secs(11));
    // --for lapsed: another process may take it although the first still runs.
    assert_eq!(
        env.run(&["lock", "deploy", "--", "true"]).status.code(),
        Some(0)
    );
    assert!(!env.path().join("first-ended").exists());
    assert_eq!(wait_exit(first, LIMIT).status.code(), Some(0));
}

#[test]
fn the_lock_of_a_killed_holder_lapses() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let script = "echo $$ > first-pid; touch first-started; exec sleep 30";
    let first = hold_script(&env, "deploy", &[], script, "first");
    send_signal(&first, libc::SIGKILL);
    // Its command outlived it (and keeps its output pipes open); stop that too.
    let pid: i32 = std::fs::read_to_string(env.path().join("first-pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let _ = wait_exit(first, LIMIT);

    // The dead holder's lock is still there for a while...
    env.fails(&["lock", "deploy", "--", "true"], 1);
    env.advance(Duration::from_secs(25));
    env.fails(&["lock", "deploy", "--", "true"], 1);
    // ...but not forever.
    env.advance(Duration::from_secs(10));
    assert_eq!(
        env.run(&["lock", "deploy", "--", "true"]).status.code(),
        Some(0)
    );
}
