//! `queue chain`: links run in order, each once the one before has succeeded; the first final
//! failure runs `--catch` and stops the chain; retrying the failed link resumes it; `--file`
//! links with their own options; the chain's delay; and a chain that outlives its worker (a
//! `queue restart` between links, a worker killed with SIGKILL in the middle of one).
//! Time is moved with `env.advance`, never waited for.

use crate::util::*;
use serde_json::Value;

/// (pending, delayed, reserved, failed) of one queue in `status --json`; zeros when absent.
fn counts(env: &TestEnv, queue: &str) -> (i64, i64, i64, i64) {
    let status = env.json(&["status"]);
    let row = status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == queue)
        .cloned()
        .unwrap_or_else(
            || serde_json::json!({"pending": 0, "delayed": 0, "reserved": 0, "failed": 0}),
        );
    let n = |k: &str| row[k].as_i64().unwrap_or(0);
    (n("pending"), n("delayed"), n("reserved"), n("failed"))
}

fn failed_jobs(env: &TestEnv) -> Vec<Value> {
    env.json(&["failed"]).as_array().unwrap().clone()
}

/// A shell line that appends `word` to `file`.
fn append(word: &str, file: &str) -> String {
    format!("echo {word} >> {file}")
}

// Order -----------------------------------------------------------------------------------

#[test]
fn links_run_in_order_each_only_after_the_one_before_succeeded() {
    let env = TestEnv::new();
    // The first link is the slowest: were the links queued together, a worker with three slots
    // would run the later ones first.
    let first = env
        .ok(&[
            "chain",
            "sleep 0.3; echo 1 >> log",
            "sleep 0.1; echo 2 >> log",
            &append("3", "log"),
        ])
        .trim()
        .to_string();
    // Only the first link is on the queue; the rest travel with it.
    assert_eq!(counts(&env, "default"), (1, 0, 0, 0));
    assert_eq!(env.state(&first), "pending");

    drain(&env, &["--concurrency", "3"]);
    assert_eq!(lines(&env.path().join("log")), ["1", "2", "3"]);
    assert_eq!(env.state(&first), "done");
    assert_eq!(counts(&env, "default"), (0, 0, 0, 0));
    assert!(failed_jobs(&env).is_empty());
}

#[test]
fn chain_json_reports_the_first_uuid_and_the_number_of_links() {
    let env = TestEnv::new();
    let out = env.json(&["chain", "true", "true", "true", "--queue", "builds"]);
    assert_eq!(out["links"], 3, "{out}");
    assert_eq!(out["queue"], "builds", "{out}");
    assert_eq!(out["dispatched"], true, "{out}");
    let uuid = out["uuid"].as_str().unwrap();
    assert_eq!(env.show(uuid)["queue"], "builds");
    assert_eq!(counts(&env, "builds"), (1, 0, 0, 0));
}

#[test]
fn a_released_link_advances_the_chain_only_once_it_succeeds() {
    let env = TestEnv::new();
    let flaky = "echo 2:$QUEUE_ATTEMPT >> log; [ \"$QUEUE_ATTEMPT\" -ge 2 ]";
    env.ok(&[
        "chain",
        "--tries",
        "3",
        "--catch",
        &append("catch", "catch.log"),
        &append("1", "log"),
        flaky,
        &append("3", "log"),
    ]);
    drain(&env, &[]);
    // Attempt 1 of link 2 failed and was released (not a final failure): no catch, and link 3
    // ran only after attempt 2 succeeded.
    assert_eq!(lines(&env.path().join("log")), ["1", "2:1", "2:2", "3"]);
    assert!(lines(&env.path().join("catch.log")).is_empty());
    assert!(failed_jobs(&env).is_empty());
}

// Failure and catch -----------------------------------------------------------------------

#[test]
fn the_first_final_failure_runs_catch_with_the_failed_link_in_its_env_and_stops_the_chain() {
    let env = TestEnv::new();
    let failing = "echo boom-output; exit 3";
    let catch = "echo ran >> catch.log; printf '%s' \"$QUEUE_FAILED_JOB_ID\" > catch.id; \
                 printf '%s' \"$QUEUE_FAILED_JOB_NAME\" > catch.name; \
                 printf '%s' \"$QUEUE_FAILED_ERROR\" > catch.error";
    env.ok(&[
        "chain",
        "--catch",
        catch,
        &append("1", "log"),
        failing,
        &append("3", "log"),
        &append("4", "log"),
    ]);
    drain(&env, &[]);

    // The links after the failed one never ran, and nothing of the chain is left queued.
    assert_eq!(lines(&env.path().join("log")), ["1"]);
    assert_eq!(counts(&env, "default"), (0, 0, 0, 1));
    let failed = failed_jobs(&env);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let uuid = failed[0]["uuid"].as_str().unwrap();
    assert_eq!(failed[0]["name"], failing);

    // The catch ran once, told which job failed and why.
    assert_eq!(lines(&env.path().join("catch.log")), ["ran"]);
    let read = |name: &str| std::fs::read_to_string(env.path().join(name)).unwrap();
    assert_eq!(read("catch.id"), uuid);
    assert_eq!(read("catch.name"), failing);
    let error = read("catch.error");
    assert!(error.contains("exited with status 3"), "{error}");
    assert!(
        error.contains("boom-output"),
        "the error has the output tail: {error}"
    );

    // Another worker run changes nothing: the rest of the chain is gone with the failure.
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1"]);
    assert_eq!(lines(&env.path().join("catch.log")), ["ran"]);
}

/// Whatever the failed link printed, the catch can start: a NUL byte cannot be in an
/// environment variable, and 64 KiB of invalid UTF-8 (3 bytes each once replaced) is more than
/// Linux allows in one.
#[test]
fn catch_runs_even_when_the_failed_links_output_is_binary() {
    let env = TestEnv::new();
    env.write("nul.sh", "printf 'before\\000after\\n'; exit 1\n");
    env.write(
        "binary.sh",
        "head -c 70000 /dev/zero | tr '\\000' '\\377'; exit 4\n",
    );
    let catch = "printf '%s' \"$QUEUE_FAILED_ERROR\" > \"caught-$QUEUE_FAILED_JOB_NAME\"";
    env.ok(&["chain", "--catch", catch, "sh nul.sh", "echo never >> log"]);
    env.ok(&[
        "chain",
        "--catch",
        catch,
        "sh binary.sh",
        "echo never >> log",
    ]);
    drain(&env, &[]);

    // Only the two links failed (not their catches).
    let failed = failed_jobs(&env);
    let mut names: Vec<&str> = failed.iter().map(|f| f["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["sh binary.sh", "sh nul.sh"], "{failed:#?}");
    assert!(lines(&env.path().join("log")).is_empty());

    let nul = std::fs::read_to_string(env.path().join("caught-sh nul.sh")).unwrap();
    assert!(nul.starts_with("exited with status 1"), "{nul}");
    assert!(nul.contains("before") && nul.contains("after"), "{nul}");
    let binary = std::fs::read(env.path().join("caught-sh binary.sh")).unwrap();
    let binary = String::from_utf8_lossy(&binary);
    assert!(
        binary.starts_with("exited with status 4"),
        "{}",
        &binary[..80]
    );
    assert!(binary.len() <= 128 * 1024, "{}", binary.len());
}

#[test]
fn a_chain_without_catch_just_stops_at_its_failure() {
    let env = TestEnv::new();
    env.ok(&["chain", &append("1", "log"), "exit 1", &append("3", "log")]);
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1"]);
    assert_eq!(failed_jobs(&env).len(), 1);
    assert_eq!(counts(&env, "default"), (0, 0, 0, 1));
}

#[test]
fn retrying_the_failed_link_resumes_the_chain_where_it_stopped() {
    let env = TestEnv::new();
    let first = env
        .ok(&[
            "chain",
            "--catch",
            &append("catch", "catch.log"),
            &append("1", "log"),
            "[ -e fixed ] || exit 1; echo 2 >> log",
            &append("3", "log"),
            &append("4", "log"),
        ])
        .trim()
        .to_string();
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1"]);
    let failed = failed_jobs(&env);
    assert_eq!(failed.len(), 1);
    let uuid = failed[0]["uuid"].as_str().unwrap().to_string();
    assert_ne!(
        uuid, first,
        "the failed job is the second link, not the first"
    );

    // Fix the cause, retry the failed link: it runs, then the rest of the chain, in order.
    env.write("fixed", "");
    assert_eq!(env.ok(&["retry", &uuid]).trim(), uuid);
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1", "2", "3", "4"]);
    assert_eq!(env.state(&uuid), "done");
    assert!(failed_jobs(&env).is_empty());
    // The catch ran for the first failure only; link 1 did not run again.
    assert_eq!(lines(&env.path().join("catch.log")), ["catch"]);
    assert_eq!(counts(&env, "default"), (0, 0, 0, 0));
}

// --file and options ----------------------------------------------------------------------

#[test]
fn chain_file_links_are_shell_strings_or_job_objects_with_their_own_options() {
    let env = TestEnv::new();
    env.write(
        "deploy.json",
        r#"[
            "echo 1:$QUEUE_QUEUE:$QUEUE_MAX_TRIES >> log",
            {"command": ["sh", "-c", "echo 2:$QUEUE_QUEUE:$QUEUE_MAX_TRIES:$QUEUE_ATTEMPT >> log; [ $QUEUE_ATTEMPT -ge 2 ]"],
             "queue": "other", "tries": 3},
            {"shell": "echo 3:$QUEUE_QUEUE:$QUEUE_JOB_NAME:$GREETING >> log", "name": "third",
             "env": {"GREETING": "hi"}}
        ]"#,
    );
    // Chain-wide options apply to every link that does not set its own.
    env.ok(&["chain", "--tries", "5", "--file", "deploy.json"]);

    // A worker of the default queue runs link 1; link 2 waits on its own queue.
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1:default:5"]);
    assert_eq!(counts(&env, "other"), (1, 0, 0, 0));

    drain(&env, &["--queue", "other,default"]);
    assert_eq!(
        lines(&env.path().join("log")),
        [
            "1:default:5",
            "2:other:3:1",
            "2:other:3:2",
            "3:default:third:hi"
        ]
    );
    assert!(failed_jobs(&env).is_empty());
}

#[test]
fn a_link_object_with_too_few_tries_fails_the_chain_and_runs_catch() {
    let env = TestEnv::new();
    env.write(
        "chain.json",
        r#"[{"shell": "echo $QUEUE_ATTEMPT >> log; exit 1", "tries": 2, "name": "flaky"},
            "echo never >> log"]"#,
    );
    env.ok(&[
        "chain",
        "--file",
        "chain.json",
        "--catch",
        "echo \"$QUEUE_FAILED_JOB_NAME\" >> catch.log",
    ]);
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1", "2"]);
    assert_eq!(lines(&env.path().join("catch.log")), ["flaky"]);
}

// Delays ----------------------------------------------------------------------------------

#[test]
fn the_chains_delay_applies_to_the_first_link_only() {
    let env = TestEnv::new();
    let first = env
        .ok(&[
            "chain",
            "--delay",
            "60",
            &append("1", "log"),
            &append("2", "log"),
            &append("3", "log"),
        ])
        .trim()
        .to_string();
    drain(&env, &[]);
    assert!(lines(&env.path().join("log")).is_empty());
    assert_eq!(env.state(&first), "delayed");

    env.advance(secs(61));
    // Links 2 and 3 are not delayed again: one worker run does the whole chain.
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1", "2", "3"]);
    assert_eq!(counts(&env, "default"), (0, 0, 0, 0));
}

#[test]
fn a_links_own_delay_counts_from_the_success_of_the_link_before() {
    let env = TestEnv::new();
    env.write(
        "chain.json",
        r#"["echo 1 >> log", {"shell": "echo 2 >> log", "delay": "30s"}, "echo 3 >> log"]"#,
    );
    env.ok(&["chain", "--file", "chain.json"]);
    // The dispatch was a while ago: the 30 s start when link 1 succeeds, not at dispatch.
    env.advance(secs(120));
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1"]);
    assert_eq!(counts(&env, "default"), (0, 1, 0, 0));

    env.advance(secs(25));
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1"]);

    env.advance(secs(6));
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1", "2", "3"]);
}

// Across worker restarts ------------------------------------------------------------------

#[test]
fn a_chain_continues_after_queue_restart_between_links() {
    let env = TestEnv::new();
    let restart = format!("echo 1 >> log; '{}' restart", queue_bin());
    env.ok(&["chain", &restart, &append("2", "log"), &append("3", "log")]);

    // A long-running worker: link 1 broadcasts a restart, so it exits after link 1.
    let worker = env.spawn(&["work", "--sleep", "0.05"]);
    let out = wait_exit(worker, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lines(&env.path().join("log")), ["1"]);
    // Link 2 is waiting in the store.
    assert_eq!(counts(&env, "default"), (1, 0, 0, 0));

    // A new worker (started after the restart) finishes the chain; every link ran once.
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["1", "2", "3"]);
    assert_eq!(counts(&env, "default"), (0, 0, 0, 0));
    assert!(failed_jobs(&env).is_empty());
}

#[test]
fn a_chain_continues_after_its_worker_is_killed_in_the_middle_of_a_link() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        "default = \"local\"\n[connections.local]\nretry_after = 30\n",
    );
    let second = "echo 2:$QUEUE_ATTEMPT:$QUEUE_JOB_ID >> log; \
                  if [ \"$QUEUE_ATTEMPT\" = 1 ]; then touch started; sleep 300; fi";
    env.ok(&[
        "chain",
        "--tries",
        "3",
        "--catch",
        &append("catch", "catch.log"),
        &append("1", "log"),
        second,
        &append("3", "log"),
    ]);
    let worker = env.spawn(&["work", "--sleep", "0.05"]);
    wait_until(secs(30), "link 2 to start", || {
        env.path().join("started").exists()
    });
    send_signal(&worker, libc::SIGKILL);
    let _ = wait_exit(worker, secs(10));

    // Link 2 is still reserved by the dead worker; link 3 is not queued yet.
    assert_eq!(counts(&env, "default"), (0, 0, 1, 0));
    let log = lines(&env.path().join("log"));
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0], "1");
    let uuid = log[1]
        .strip_prefix("2:1:")
        .unwrap_or_else(|| panic!("{log:?}"))
        .to_string();

    // Within retry_after nobody takes it; after it, a new worker finishes the chain.
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")).len(), 2);
    env.advance(secs(31));
    drain(&env, &[]);
    assert_eq!(
        lines(&env.path().join("log")),
        [
            "1".to_string(),
            format!("2:1:{uuid}"),
            format!("2:2:{uuid}"),
            "3".to_string()
        ]
    );
    assert_eq!(env.state(&uuid), "done");
    assert_eq!(counts(&env, "default"), (0, 0, 0, 0));
    assert!(failed_jobs(&env).is_empty());
    assert!(lines(&env.path().join("catch.log")).is_empty());
}

// Bad input -------------------------------------------------------------------------------

/// Nothing is queued after a rejected chain.
fn assert_nothing_queued(env: &TestEnv) {
    let status = env.json(&["status"]);
    let queues = status["queues"].as_array().unwrap();
    assert!(
        queues
            .iter()
            .all(|q| q["pending"] == 0 && q["delayed"] == 0),
        "{status}"
    );
}

#[test]
fn a_malformed_chain_file_is_an_error_naming_the_file() {
    let env = TestEnv::new();
    env.write("broken.json", "[\"echo 1\", ");
    let err = env.fails(&["chain", "--file", "broken.json"], 1);
    assert!(err.contains("broken.json"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    env.write("object.json", r#"{"shell": "echo 1"}"#);
    let err = env.fails(&["chain", "--file", "object.json"], 1);
    assert!(err.contains("object.json"), "{err}");

    let err = env.fails(&["chain", "--file", "missing.json"], 1);
    assert!(err.contains("missing.json"), "{err}");

    // A bad link names the file and the link; no link of the chain is queued.
    env.write(
        "badlink.json",
        r#"["echo 1", {"shell": "echo 2", "tries": "many"}]"#,
    );
    let err = env.fails(&["chain", "--file", "badlink.json"], 1);
    assert!(err.contains("badlink.json"), "{err}");
    assert!(err.contains("link 2"), "{err}");
    env.write("nocommand.json", r#"["echo 1", {"queue": "q"}]"#);
    let err = env.fails(&["chain", "--file", "nocommand.json"], 1);
    assert!(err.contains("nocommand.json"), "{err}");
    assert_nothing_queued(&env);
}

#[test]
fn a_chain_needs_a_link() {
    let env = TestEnv::new();
    let err = env.fails(&["chain"], 2);
    assert!(err.contains("at least one"), "{err}");
    env.write("empty.json", "[]");
    env.fails(&["chain", "--file", "empty.json"], 1);
    assert_nothing_queued(&env);
}

// chain-add -------------------------------------------------------------------------------

#[test]
fn chain_add_prepends_and_appends_to_the_rest_of_the_chain() {
    let env = TestEnv::new();
    let q = queue_bin();
    // A later --prepend runs before an earlier one (Laravel's prependToChain); the links of
    // one call keep their order; appended links run after the rest of the chain.
    let first = env
        .ok(&[
            "chain",
            &format!(
                "echo 1 >> log; '{q}' chain-add 'echo end1 >> log' 'echo end2 >> log' && \
                 '{q}' chain-add --prepend 'echo p1 >> log' 'echo p2 >> log' && \
                 '{q}' chain-add --prepend 'echo p0 >> log' > added.txt"
            ),
            &append("2", "log"),
        ])
        .trim()
        .to_string();
    drain(&env, &[]);
    assert_eq!(
        lines(&env.path().join("log")),
        ["1", "p0", "p1", "p2", "2", "end1", "end2"]
    );
    // chain-add printed the uuid of the link it added, which ran.
    let added = lines(&env.path().join("added.txt"));
    assert_eq!(added.len(), 1);
    assert_eq!(env.state(&added[0]), "done");
    assert_eq!(counts(&env, "default"), (0, 0, 0, 0));
    // `queue wait --chain` follows the chain as it was extended, to its last link.
    let out = env.json(&["wait", "--chain", &first, "--timeout", "5"]);
    let last = out["ended"][0]["id"].as_str().unwrap();
    assert_eq!(env.show(last)["name"], "echo end2 >> log", "{out}");
    assert!(failed_jobs(&env).is_empty());
}

#[test]
fn chain_add_from_a_job_in_no_chain_makes_it_one_on_its_queue() {
    let env = TestEnv::new();
    let q = queue_bin();
    env.write(
        "more.json",
        r#"["echo f1 >> log", {"shell": "echo f2 >> log", "queue": "other"}]"#,
    );
    env.dispatch(&[
        "--queue",
        "jobs",
        "--",
        "sh",
        "-c",
        &format!("echo 1 >> log; '{q}' chain-add --file more.json"),
    ]);
    drain(&env, &["--queue", "jobs"]);
    assert_eq!(lines(&env.path().join("log")), ["1", "f1"]);
    // The link with its own queue waits there.
    assert_eq!(counts(&env, "other"), (1, 0, 0, 0));
    drain(&env, &["--queue", "other"]);
    assert_eq!(lines(&env.path().join("log")), ["1", "f1", "f2"]);
}

#[test]
fn links_added_by_a_released_attempt_are_dropped_and_a_failed_one_stops_them() {
    let env = TestEnv::new();
    let q = queue_bin();
    // Attempt 1 adds a link, then releases itself: the link goes with the attempt. Attempt 2
    // adds another and succeeds: only that one runs.
    env.ok(&[
        "chain",
        "--tries",
        "3",
        &format!(
            "'{q}' chain-add \"echo added$QUEUE_ATTEMPT >> log\"; \
             [ \"$QUEUE_ATTEMPT\" -ge 2 ] || '{q}' release"
        ),
        &append("last", "log"),
    ]);
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["last", "added2"]);

    // A link that adds, then fails with `queue fail`: nothing added runs; the catch does.
    let env = TestEnv::new();
    env.ok(&[
        "chain",
        "--catch",
        &append("caught", "log"),
        &format!("'{q}' chain-add --prepend 'echo no >> log' && '{q}' fail broken"),
        &append("never", "log"),
    ]);
    drain(&env, &[]);
    assert_eq!(lines(&env.path().join("log")), ["caught"]);
    assert_eq!(failed_jobs(&env).len(), 1);
}

#[test]
fn chain_add_outside_a_job_is_an_error() {
    let env = TestEnv::new();
    let err = env.fails(&["chain-add", "true"], 1);
    assert!(err.contains("inside a job"), "{err}");
    assert_nothing_queued(&env);
}

// A batch as a link --------------------------------------------------------------------------

#[test]
fn a_batch_link_runs_after_the_link_before_and_the_chain_goes_on_when_it_finishes() {
    let env = TestEnv::new();
    // chain → batch → chain: the batch's inner list is a chain of its own.
    env.write(
        "chain.json",
        r#"["echo a >> log",
            {"batch": ["echo b1 >> log", ["echo c1 >> log", "echo c2 >> log"]],
             "name": "middle", "then": "echo then >> log", "queue": "callbacks"},
            "echo d >> log"]"#,
    );
    let first = env
        .ok(&["chain", "--file", "chain.json"])
        .trim()
        .to_string();
    assert_eq!(env.state(&first), "pending");
    drain(&env, &["--queue", "default,callbacks"]);
    let all = lines(&env.path().join("log"));
    // The batch's `then` callback and the next link are queued together, in no set order.
    assert_eq!(all.iter().filter(|l| *l == "then").count(), 1, "{all:?}");
    let log: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|l| *l != "then")
        .collect();
    assert_eq!(log.first(), Some(&"a"), "{all:?}");
    assert_eq!(log.last(), Some(&"d"), "{all:?}");
    let mut middle = log[1..log.len() - 1].to_vec();
    let c1 = middle.iter().position(|l| *l == "c1").unwrap();
    let c2 = middle.iter().position(|l| *l == "c2").unwrap();
    assert!(c1 < c2, "{all:?}");
    middle.sort();
    assert_eq!(middle, ["b1", "c1", "c2"], "{all:?}");
    let batches = env.json(&["batches"]);
    let batch = &batches.as_array().unwrap()[0];
    assert_eq!(batch["name"], "middle");
    assert_eq!(batch["total_jobs"], 3);
    assert!(failed_jobs(&env).is_empty());
}

#[test]
fn a_failed_batch_link_stops_the_chain_and_runs_its_catch_unless_it_allows_failures() {
    let env = TestEnv::new();
    env.write(
        "chain.json",
        r#"[{"batch": ["echo ok >> log", "exit 3"], "catch": "echo batch-catch >> log"},
            "echo never >> log"]"#,
    );
    let id = env
        .ok(&[
            "chain",
            "--file",
            "chain.json",
            "--catch",
            &append("chain-catch", "log"),
        ])
        .trim()
        .to_string();
    drain(&env, &[]);
    let mut log = lines(&env.path().join("log"));
    log.sort();
    assert!(!log.contains(&"never".to_string()), "{log:?}");
    assert!(log.contains(&"chain-catch".to_string()), "{log:?}");
    assert!(log.contains(&"batch-catch".to_string()), "{log:?}");
    assert_eq!(log.iter().filter(|l| *l == "chain-catch").count(), 1);
    // The chain started with the batch: it printed the batch's id.
    assert!(env.json(&["batch-show", &id])["cancelled_at"].is_string());

    let env = TestEnv::new();
    env.write(
        "chain.json",
        r#"["true", {"batch": ["exit 3", "echo ok >> log"], "allow_failures": true},
            "echo after >> log"]"#,
    );
    env.ok(&[
        "chain",
        "--file",
        "chain.json",
        "--catch",
        &append("chain-catch", "log"),
    ]);
    drain(&env, &[]);
    let log = lines(&env.path().join("log"));
    assert_eq!(log.last().map(String::as_str), Some("after"), "{log:?}");
    assert!(!log.contains(&"chain-catch".to_string()), "{log:?}");
}

#[test]
fn a_bad_batch_link_names_the_link() {
    let env = TestEnv::new();
    env.write("chain.json", r#"["true", {"batch": [], "name": "x"}]"#);
    let err = env.fails(&["chain", "--file", "chain.json"], 1);
    assert!(err.contains("link 2"), "{err}");
    env.write(
        "chain.json",
        r#"["true", {"batch": ["true"], "colour": "red"}]"#,
    );
    let err = env.fails(&["chain", "--file", "chain.json"], 1);
    assert!(err.contains("link 2"), "{err}");
    assert_nothing_queued(&env);
}
