//! Failed jobs and looking at the store: `failed`, `retry`, `forget`, `flush`, `prune-failed`,
//! the null failed driver, `clear`, `status` and `show`.

use crate::util::*;
use serde_json::Value;
use std::time::Duration;

const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

/// Dispatch a job named `name` on `queue` that prints two lines and exits 3, and work it to
/// failure (the default --tries 1).
fn fail_job(env: &TestEnv, queue: &str, name: &str) -> String {
    let uuid = env.dispatch(&[
        "--queue",
        queue,
        "--name",
        name,
        "--payload",
        r#"{"n":1}"#,
        "--",
        "sh",
        "-c",
        &format!("echo boom-{name}; echo second line; exit 3"),
    ]);
    drain(env, &["--queue", queue]);
    assert_eq!(env.state(&uuid), "failed");
    uuid
}

fn failed_jobs(env: &TestEnv, extra: &[&str]) -> Vec<Value> {
    let args = [&["failed"], extra].concat();
    env.json(&args).as_array().expect("an array").clone()
}

fn failed_uuids(env: &TestEnv) -> Vec<String> {
    failed_jobs(env, &[])
        .iter()
        .map(|f| f["uuid"].as_str().unwrap().to_string())
        .collect()
}

/// `queue show UUID` must say there is no such job.
fn assert_unknown(env: &TestEnv, uuid: &str) {
    let err = env.fails(&["show", uuid], 1);
    assert!(err.contains(uuid), "{err}");
}

// `queue failed` ------------------------------------------------------------------------------

#[test]
fn failed_json_lists_every_field_newest_first() {
    let env = TestEnv::new();
    let older = fail_job(&env, "emails", "send-mail");
    let newer = fail_job(&env, "reports", "build-report");
    let jobs = failed_jobs(&env, &[]);
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["uuid"], newer.as_str());
    assert_eq!(jobs[1]["uuid"], older.as_str());
    let job = &jobs[1];
    for field in [
        "uuid",
        "connection",
        "queue",
        "name",
        "failed_at",
        "error",
        "payload",
    ] {
        assert!(!job[field].is_null(), "missing {field}: {job:#}");
    }
    assert_eq!(job["connection"], "default");
    assert_eq!(job["queue"], "emails");
    assert_eq!(job["name"], "send-mail");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains("status 3"), "{error}");
    assert!(
        error.contains("boom-send-mail") && error.contains("second line"),
        "the whole error text: {error}"
    );
    assert_eq!(job["payload"]["uuid"], older.as_str());
    assert!(job["failed_at"].as_str().unwrap().contains('T'));
}

#[test]
fn failed_table_shows_uuid_queue_job_and_the_first_error_line() {
    let env = TestEnv::new();
    let uuid = fail_job(&env, "emails", "send-mail");
    let table = env.ok(&["failed"]);
    assert!(table.contains(&uuid), "{table}");
    assert!(table.contains("emails"), "{table}");
    assert!(table.contains("send-mail"), "{table}");
    assert!(table.contains("status 3"), "{table}");
    assert!(
        !table.contains("boom-send-mail"),
        "only the first error line: {table}"
    );

    env.ok(&["flush"]);
    let empty = env.run(&["failed"]);
    assert!(empty.status.success());
    let said = text(&empty.stdout) + &text(&empty.stderr);
    assert!(said.contains("No failed jobs"), "{said}");
}

#[test]
fn failed_filters_by_queue() {
    let env = TestEnv::new();
    let mail = fail_job(&env, "emails", "a");
    fail_job(&env, "reports", "b");
    let only = failed_jobs(&env, &["--queue", "emails"]);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["uuid"], mail.as_str());
    assert!(failed_jobs(&env, &["--queue", "nothing-here"]).is_empty());
}

// `queue retry` -------------------------------------------------------------------------------

#[test]
fn retry_puts_the_job_back_on_its_queue_with_its_uuid_and_fresh_attempts() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--queue",
        "emails",
        "--",
        "sh",
        "-c",
        "[ -e ok ] && echo ran >> runs",
    ]);
    drain(&env, &["--queue", "emails"]);
    assert_eq!(env.state(&uuid), "failed");

    std::fs::write(env.path().join("ok"), "").unwrap();
    let out = env.ok(&["retry", &uuid]);
    assert!(out.contains(&uuid), "{out}");
    assert!(failed_uuids(&env).is_empty());
    let job = env.show(&uuid);
    assert_eq!(job["state"], "pending", "{job:#}");
    assert_eq!(job["queue"], "emails");
    assert_eq!(job["attempt_count"], 0);

    // It is on `emails`, not on the default queue.
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "pending");
    drain(&env, &["--queue", "emails"]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "done");
    assert_eq!(job["attempt_count"], 1);
    assert_eq!(
        std::fs::read_to_string(env.path().join("runs")).unwrap(),
        "ran\n"
    );
}

#[test]
fn retry_all_puts_back_every_failed_job() {
    let env = TestEnv::new();
    let a = fail_job(&env, "emails", "a");
    let b = fail_job(&env, "reports", "b");
    env.ok(&["retry", "all"]);
    assert!(failed_uuids(&env).is_empty());
    for (uuid, queue) in [(&a, "emails"), (&b, "reports")] {
        let job = env.show(uuid);
        assert_eq!(job["state"], "pending");
        assert_eq!(job["queue"], queue);
    }
}

/// `n` copies of one failed job, made by SQL (uuids `big-1` … `big-n`, the last the newest).
fn many_failed(env: &TestEnv, n: usize) {
    fail_job(env, "bulk", "big");
    env.sql(
        &format!(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n})
             INSERT INTO failed_jobs
                 (uuid, connection, queue, name, payload, exception, attempts, failed_at)
             SELECT 'big-' || i, connection, queue, name, payload, exception, attempts,
                    failed_at + i
             FROM failed_jobs, k"
        ),
        &[],
    );
    env.sql("DELETE FROM failed_jobs WHERE uuid NOT LIKE 'big-%'", &[]);
}

/// Past the first page of the streamed listing: every row, newest first, in one table (the
/// later rows in the first page's columns) and in one JSON array; then `retry all` puts every
/// one back.
#[test]
fn a_large_failed_listing_and_retry_all_cover_every_job() {
    let env = TestEnv::new();
    const N: usize = 2_500;
    many_failed(&env, N);
    let listed = failed_uuids(&env);
    let expected: Vec<String> = (1..=N).rev().map(|i| format!("big-{i}")).collect();
    assert_eq!(listed, expected);
    let table = env.ok(&["failed"]);
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('│')).collect();
    assert_eq!(rows.len(), N + 1, "a header and a row per job");
    let width = rows[0].chars().count();
    assert!(rows.iter().all(|r| r.chars().count() == width), "one width");
    assert!(rows[1].contains(&format!("big-{N} ")), "{}", rows[1]);
    assert!(rows[N].contains("big-1 "), "{}", rows[N]);
    assert!(table.trim_end().ends_with('┘'), "closed");
    let retried = env.ok(&["retry", "all"]);
    assert_eq!(retried.lines().collect::<Vec<_>>(), expected);
    assert!(failed_uuids(&env).is_empty());
    let status = env.json(&["status"]);
    let bulk = status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "bulk")
        .cloned()
        .unwrap();
    assert_eq!(bulk["pending"], N as i64, "{status}");
}

#[test]
fn retry_queue_puts_back_only_that_queues_failed_jobs() {
    let env = TestEnv::new();
    let a1 = fail_job(&env, "emails", "a1");
    let a2 = fail_job(&env, "emails", "a2");
    let b = fail_job(&env, "reports", "b");
    env.ok(&["retry", "--queue", "emails"]);
    assert_eq!(env.state(&a1), "pending");
    assert_eq!(env.state(&a2), "pending");
    assert_eq!(env.state(&b), "failed");
    assert_eq!(failed_uuids(&env), [b]);
}

#[test]
fn retry_of_an_unknown_uuid_fails_and_retries_nothing() {
    let env = TestEnv::new();
    let known = fail_job(&env, "default", "known");
    let err = env.fails(&["retry", UNKNOWN], 1);
    assert!(err.contains(UNKNOWN), "{err}");
    // Given with a known one, the unknown one still makes it an error, and nothing moves.
    let err = env.fails(&["retry", &known, UNKNOWN], 1);
    assert!(err.contains(UNKNOWN), "{err}");
    assert_eq!(env.state(&known), "failed");
    assert_eq!(failed_uuids(&env), [known]);
}

#[test]
fn retry_of_a_malformed_uuid_is_a_clear_error() {
    let env = TestEnv::new();
    let known = fail_job(&env, "default", "known");
    let err = env.fails(&["retry", &known, "not-a-uuid"], 1);
    assert!(err.contains("not-a-uuid") && err.contains("uuid"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(env.state(&known), "failed");
}

// `queue forget`, `flush`, `prune-failed` -----------------------------------------------------

#[test]
fn forget_deletes_one_failed_job() {
    let env = TestEnv::new();
    let a = fail_job(&env, "default", "a");
    let b = fail_job(&env, "default", "b");
    env.ok(&["forget", &a]);
    assert_eq!(failed_uuids(&env), [b]);
    assert_unknown(&env, &a);

    let err = env.fails(&["forget", &a], 1);
    assert!(err.contains(&a), "{err}");
    env.fails(&["forget", "nope"], 1);
    assert_eq!(failed_uuids(&env).len(), 1);
}

#[test]
fn flush_deletes_every_failed_job() {
    let env = TestEnv::new();
    fail_job(&env, "emails", "a");
    fail_job(&env, "reports", "b");
    env.ok(&["flush"]);
    assert!(failed_uuids(&env).is_empty());
}

#[test]
fn flush_hours_deletes_only_the_older_failed_jobs() {
    let env = TestEnv::new();
    let old = fail_job(&env, "default", "old");
    env.advance(Duration::from_secs(3 * 3600));
    let young = fail_job(&env, "default", "young");
    env.ok(&["flush", "--hours", "2"]);
    assert_eq!(failed_uuids(&env), [young]);
    assert_unknown(&env, &old);
}

#[test]
fn prune_failed_deletes_failed_jobs_older_than_hours() {
    let env = TestEnv::new();
    let old = fail_job(&env, "default", "old");
    env.advance(Duration::from_secs(30 * 3600));
    let young = fail_job(&env, "default", "young");
    // The default is 24 hours.
    env.ok(&["prune-failed"]);
    assert_eq!(failed_uuids(&env), [young.as_str()]);
    assert_unknown(&env, &old);

    env.advance(Duration::from_secs(2 * 3600));
    env.ok(&["prune-failed", "--hours", "3"]);
    assert_eq!(failed_uuids(&env), [young]);
    env.ok(&["prune-failed", "--hours", "1"]);
    assert!(failed_uuids(&env).is_empty());
}

#[test]
fn the_null_failed_driver_discards_failed_jobs() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--name", "doomed", "--", "false"]);
    let out = env
        .cmd(&["work", "--stop-when-empty", "--sleep", "0.05"])
        .env("QUEUE_FAILED_DRIVER", "null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("FAIL"), "{}", text(&out.stdout));
    assert!(failed_uuids(&env).is_empty());
    assert_unknown(&env, &uuid);
    let status = env.json(&["status"]);
    let failed: i64 = status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["failed"].as_i64().unwrap())
        .sum();
    assert_eq!(failed, 0);
}

// `queue clear` -------------------------------------------------------------------------------

#[test]
fn clear_removes_the_pending_and_delayed_jobs_of_one_queue_only() {
    let env = TestEnv::new();
    let failed = fail_job(&env, "emails", "failed-one");
    let pending = env.dispatch(&["--queue", "emails", "--", "true"]);
    let delayed = env.dispatch(&["--queue", "emails", "--delay", "1h", "--", "true"]);
    let other = env.dispatch(&["--queue", "reports", "--", "true"]);
    let out = env.ok(&["clear", "--queue", "emails"]);
    assert!(out.contains('2'), "{out}");
    assert_unknown(&env, &pending);
    assert_unknown(&env, &delayed);
    assert_eq!(env.state(&other), "pending");
    assert_eq!(
        env.state(&failed),
        "failed",
        "failed jobs are not queued jobs"
    );
}

// `queue status` ------------------------------------------------------------------------------

fn queue_row(status: &Value, queue: &str) -> Value {
    status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == queue)
        .unwrap_or_else(|| panic!("no row for {queue}: {status:#}"))
        .clone()
}

#[test]
fn status_json_counts_pending_delayed_reserved_and_failed() {
    let env = TestEnv::new();
    fail_job(&env, "work", "failed-one");
    env.dispatch(&["--queue", "work", "--", "true"]);
    env.advance(Duration::from_secs(100));
    env.dispatch(&["--queue", "work", "--", "true"]);
    env.dispatch(&["--queue", "work", "--delay", "1h", "--", "true"]);
    // A job held by a running worker until the test lets it go.
    let held = env.dispatch(&[
        "--queue",
        "busy",
        "--",
        "sh",
        "-c",
        "touch holding; while [ ! -e go ]; do sleep 0.05; done",
    ]);
    let worker = env.spawn(&["work", "--queue", "busy", "--sleep", "0.05"]);
    wait_until(Duration::from_secs(20), "the job to be reserved", || {
        env.path().join("holding").exists()
    });

    let status = env.json(&["status"]);
    let work = queue_row(&status, "work");
    assert_eq!(work["connection"], "default");
    assert_eq!(work["pending"], 2, "{work:#}");
    assert_eq!(work["delayed"], 1, "{work:#}");
    assert_eq!(work["reserved"], 0, "{work:#}");
    assert_eq!(work["failed"], 1, "{work:#}");
    let age = work["oldest_pending_age_s"].as_i64().unwrap();
    assert!((100..110).contains(&age), "oldest pending age {age}");
    let busy = queue_row(&status, "busy");
    assert_eq!(busy["reserved"], 1, "{busy:#}");
    assert_eq!(busy["pending"], 0, "{busy:#}");
    assert!(busy["oldest_pending_age_s"].is_null(), "{busy:#}");
    assert_eq!(env.state(&held), "reserved");

    std::fs::write(env.path().join("go"), "").unwrap();
    wait_until(Duration::from_secs(20), "the held job to finish", || {
        env.state(&held) == "done"
    });
    send_signal(&worker, libc::SIGTERM);
    assert!(wait_exit(worker, LIMIT).status.success());
    let after = env.json(&["status"]);
    assert!(
        after["queues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["queue"] != "busy" || q["reserved"] == 0),
        "{after:#}"
    );
}

// `queue show` --------------------------------------------------------------------------------

#[test]
fn show_tells_each_state() {
    let env = TestEnv::new();
    let failed = fail_job(&env, "default", "broken");
    let pending = env.dispatch(&["--name", "waiting", "--", "true"]);
    let delayed = env.dispatch(&["--delay", "1h", "--", "true"]);
    for (uuid, state) in [
        (&pending, "pending"),
        (&delayed, "delayed"),
        (&failed, "failed"),
    ] {
        let job = env.show(uuid);
        assert_eq!(job["uuid"], uuid.as_str());
        assert_eq!(job["state"], state, "{job:#}");
        assert_eq!(job["queue"], "default");
    }
    assert_eq!(env.show(&pending)["name"], "waiting");
    assert_eq!(env.show(&pending)["attempt_count"], 0);
    assert!(env.show(&failed)["error"]
        .as_str()
        .unwrap()
        .contains("boom-broken"));

    drain(&env, &[]);
    let done = env.show(&pending);
    assert_eq!(done["state"], "done");
    assert_eq!(done["attempt_count"], 1);
    assert_eq!(env.state(&delayed), "delayed");

    let human = env.ok(&["show", &failed]);
    assert!(
        human.contains("failed") && human.contains("broken"),
        "{human}"
    );

    assert_unknown(&env, UNKNOWN);
    env.fails(&["show", "not-a-uuid"], 1);
}

/// A job that fails until the file `ok` exists, with `--retry-until UNTIL`, worked until its
/// window has passed (the clock moved past it) and it failed for good.
fn fail_past_its_window(env: &TestEnv, until: &str) -> String {
    let uuid = env.dispatch(&[
        "--retry-until",
        until,
        "--backoff",
        "30",
        "--",
        "sh",
        "-c",
        "test -e ok",
    ]);
    drain(env, &[]);
    assert_eq!(env.show(&uuid)["attempt_count"], 1);
    env.advance(Duration::from_secs(60));
    drain(env, &[]);
    assert_eq!(env.state(&uuid), "failed");
    uuid
}

#[test]
fn retry_counts_a_relative_retry_until_again_from_the_retry() {
    let env = TestEnv::new();
    let uuid = fail_past_its_window(&env, "10s");
    env.write("ok", "");
    let before = now_ms(&env);
    env.ok(&["retry", &uuid]);
    let job = env.show(&uuid);
    let until = job["payload"]["retry_until"].as_i64().unwrap();
    assert!(
        until >= before + 10_000 && until <= now_ms(&env) + 10_000,
        "{job:#}"
    );
    drain(&env, &[]);
    assert_eq!(env.state(&uuid), "done");
}

#[test]
fn retry_keeps_an_absolute_retry_until() {
    let env = TestEnv::new();
    let deadline = chrono::DateTime::from_timestamp_millis(now_ms(&env) + 10_000)
        .unwrap()
        .to_rfc3339();
    let uuid = fail_past_its_window(&env, &deadline);
    env.write("ok", "");
    env.ok(&["retry", &uuid]);
    drain(&env, &[]);
    // Its deadline has passed: it fails again without running.
    assert_eq!(env.state(&uuid), "failed");
}
