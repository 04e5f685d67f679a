//! Long-running workers from the outside: signals, instant pickup, the worker registry in
//! `status`, `queue listen`, `queue monitor`, the process-manager configs and `--concurrency`.
//! Waits poll with a deadline; the few "this does not happen" checks use a short, bounded
//! observation window and say so.

use crate::util::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

/// SIGTERM a background `queue work` / `queue listen` and require a prompt exit 0.
fn stop(child: Child) -> Output {
    send_signal(&child, libc::SIGTERM);
    let out = wait_exit(child, secs(20));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// The `workers` of `status --json`.
fn workers(env: &TestEnv) -> Vec<Value> {
    env.json(&["status"])["workers"]
        .as_array()
        .expect("status --json has a workers list")
        .clone()
}

/// The `status --json` row of one queue (zeros when the queue has no jobs).
fn queue_row(env: &TestEnv, queue: &str) -> Value {
    env.json(&["status"])["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == queue)
        .cloned()
        .unwrap_or_else(|| serde_json::json!({"pending": 0, "delayed": 0, "reserved": 0}))
}

/// A pid a job wrote to `name` in the test directory, once it is there in full.
fn wait_pid(env: &TestEnv, name: &str) -> i32 {
    let path = env.path().join(name);
    let mut pid = 0;
    wait_until(
        secs(20),
        &format!("the job to write {name}"),
        || match std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            Some(p) => {
                pid = p;
                true
            }
            None => false,
        },
    );
    pid
}

/// A job that touches `NAME.started`, then waits (at most ~60 s) until `NAME.go` exists.
fn gate_job(env: &TestEnv, name: &str, extra: &[&str]) -> String {
    let script = format!(
        "touch {name}.started; i=0; while [ ! -e {name}.go ]; do i=$((i+1)); [ $i -gt 1200 ] && exit 1; sleep 0.05; done"
    );
    env.dispatch(&[extra, &["--", "sh", "-c", &script]].concat())
}

fn wait_started(env: &TestEnv, name: &str) {
    let path = env.path().join(format!("{name}.started"));
    wait_until(secs(20), &format!("job {name} to start"), || path.exists());
}

fn open_gate(env: &TestEnv, name: &str) {
    std::fs::write(env.path().join(format!("{name}.go")), "").unwrap();
}

/// Start a worker and wait until it has run one job, so that it is surely in its loop (signal
/// handlers installed, wake-up socket bound) and idle afterwards.
fn idle_worker(env: &TestEnv, args: &[&str]) -> Child {
    let warmup = env.dispatch(&["--", "true"]);
    let worker = env.spawn(&[&["work"], args].concat());
    wait_until(secs(20), "the worker to run its first job", || {
        env.state(&warmup) == "done"
    });
    worker
}

// 1. Signals ----------------------------------------------------------------------------------

#[test]
fn a_second_sigterm_terminates_the_running_job_and_the_worker_exits() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&[
        "--tries",
        "3",
        "--backoff",
        "60",
        "--",
        "sh",
        "-c",
        "sleep 60 & echo $! > gc.pid; echo $$ > job.pid; sleep 60",
    ]);
    let worker = env.spawn(&["work", "--timeout", "0", "--sleep", "0.1"]);
    let job = wait_pid(&env, "job.pid");
    let grandchild = wait_pid(&env, "gc.pid");

    // The first SIGTERM is graceful: observed for a bounded 0.5 s, the job keeps running.
    send_signal(&worker, libc::SIGTERM);
    let window = Instant::now() + Duration::from_millis(500);
    while Instant::now() < window {
        assert!(process_alive(job), "the first SIGTERM killed the job");
        std::thread::sleep(Duration::from_millis(20));
    }

    let signalled = Instant::now();
    send_signal(&worker, libc::SIGTERM);
    let out = wait_exit(worker, secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        signalled.elapsed() < secs(10),
        "the worker took {:?} to exit",
        signalled.elapsed()
    );
    wait_until(secs(10), "the job's process group to die", || {
        !process_alive(job) && !process_alive(grandchild)
    });

    // The attempt was recorded: an exception, released with its backoff.
    let shown = env.show(&uuid);
    assert_eq!(shown["state"], "delayed", "{shown:#}");
    assert_eq!(shown["attempt_count"], 1, "{shown:#}");
    assert_eq!(shown["exceptions"], 1, "{shown:#}");
}

#[test]
fn a_second_sigterm_also_ends_a_job_that_ignores_sigterm() {
    let env = TestEnv::new();
    // An ignored SIGTERM stays ignored in the job's `sleep` children too.
    let uuid = env.dispatch(&[
        "--",
        "sh",
        "-c",
        "trap '' TERM; echo $$ > job.pid; while :; do sleep 0.1; done",
    ]);
    let worker = env.spawn(&["work", "--timeout", "0", "--sleep", "0.1"]);
    let job = wait_pid(&env, "job.pid");
    send_signal(&worker, libc::SIGTERM);
    // Bounded observation: the first SIGTERM leaves the job running for 0.3 s.
    let window = Instant::now() + Duration::from_millis(300);
    while Instant::now() < window {
        assert!(process_alive(job), "the first SIGTERM killed the job");
        std::thread::sleep(Duration::from_millis(20));
    }
    send_signal(&worker, libc::SIGTERM);
    let out = wait_exit(worker, secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    wait_until(secs(10), "the job to be killed", || !process_alive(job));
    // Default --tries 1: the killed attempt fails the job.
    assert_eq!(env.state(&uuid), "failed");
}

/// SIGINT and SIGQUIT stop a worker as SIGTERM does: the running job finishes first.
fn a_stop_signal_lets_the_running_job_finish(signal: i32) {
    let env = TestEnv::new();
    let uuid = gate_job(&env, "job", &["--name", "graceful"]);
    let worker = env.spawn(&["work", "--sleep", "0.1"]);
    wait_started(&env, "job");
    send_signal(&worker, signal);
    // The job is released only after the signal, so it can only be DONE if the worker waited.
    open_gate(&env, "job");
    let out = wait_exit(worker, secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l.contains("graceful") && l.contains("DONE")),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(env.state(&uuid), "done");
}

#[test]
fn sigint_lets_the_running_job_finish() {
    a_stop_signal_lets_the_running_job_finish(libc::SIGINT);
}

#[test]
fn sigquit_lets_the_running_job_finish() {
    a_stop_signal_lets_the_running_job_finish(libc::SIGQUIT);
}

#[test]
fn sigusr2_pauses_the_worker_and_sigcont_resumes_it() {
    let env = TestEnv::new();
    let worker = idle_worker(&env, &["--sleep", "0.05"]);
    send_signal(&worker, libc::SIGUSR2);
    let uuid = env.dispatch(&["--", "touch", "ran"]);

    // Bounded observation: for 1 s (about twenty --sleep loops, plus the dispatch's wake-up)
    // the paused worker leaves the job pending.
    let window = Instant::now() + secs(1);
    while Instant::now() < window {
        let row = queue_row(&env, "default");
        assert_eq!(row["pending"], 1, "a paused worker took the job: {row}");
        assert_eq!(row["reserved"], 0, "a paused worker took the job: {row}");
    }
    assert!(!env.path().join("ran").exists());
    assert!(
        process_alive(worker.id() as i32),
        "SIGUSR2 stopped the worker"
    );

    send_signal(&worker, libc::SIGCONT);
    wait_until(secs(10), "the job to run after SIGCONT", || {
        env.state(&uuid) == "done"
    });
    assert!(env.path().join("ran").exists());
    stop(worker);
}

// 2. Instant pickup ---------------------------------------------------------------------------

#[test]
fn an_idle_worker_takes_a_new_job_long_before_its_sleep_ends() {
    let env = TestEnv::new();
    // --sleep 30: only the wake-up from the dispatcher can make it run within the deadline.
    let worker = idle_worker(&env, &["--sleep", "30"]);
    let uuid = env.dispatch(&["--", "touch", "ran"]);
    wait_until(secs(10), "the idle worker to take the job", || {
        env.state(&uuid) == "done"
    });
    assert!(env.path().join("ran").exists());
    stop(worker);
}

#[test]
fn an_idle_worker_sleeps_only_until_the_next_delayed_job() {
    let env = TestEnv::new();
    env.start_clock();
    let worker = idle_worker(&env, &["--sleep", "30"]);
    let dispatched = Instant::now();
    let uuid = env.dispatch(&["--delay", "2s", "--", "touch", "ran"]);
    assert_eq!(env.state(&uuid), "delayed");
    wait_until(secs(15), "the delayed job to run", || {
        env.state(&uuid) == "done"
    });
    assert!(
        dispatched.elapsed() >= Duration::from_millis(1900),
        "the job ran before its delay passed ({:?})",
        dispatched.elapsed()
    );
    stop(worker);
}

// 3. The worker registry ----------------------------------------------------------------------

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn status_lists_a_running_worker_with_its_jobs_until_it_exits() {
    let env = TestEnv::new();
    let worker = env.spawn(&[
        "work",
        "--name",
        "alpha",
        "--queue",
        "default,other",
        "--concurrency",
        "2",
        "--sleep",
        "0.1",
    ]);
    wait_until(secs(20), "the worker to register", || {
        workers(&env).len() == 1
    });
    let w = &workers(&env)[0];
    assert!(w["id"].as_str().is_some_and(|id| !id.is_empty()), "{w:#}");
    assert_eq!(w["name"], "alpha", "{w:#}");
    assert_eq!(w["host"], hostname().as_str(), "{w:#}");
    assert_eq!(w["pid"], worker.id(), "{w:#}");
    assert_eq!(
        w["queues"],
        serde_json::json!(["default", "other"]),
        "{w:#}"
    );
    assert_eq!(w["concurrency"], 2, "{w:#}");
    assert_eq!(w["jobs"], serde_json::json!([]), "{w:#}");

    let a = gate_job(&env, "a", &[]);
    let b = gate_job(&env, "b", &["--queue", "other"]);
    wait_started(&env, "a");
    wait_started(&env, "b");
    let listed = workers(&env);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let jobs: BTreeSet<&str> = listed[0]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j.as_str().unwrap())
        .collect();
    assert_eq!(jobs, BTreeSet::from([a.as_str(), b.as_str()]));

    open_gate(&env, "a");
    open_gate(&env, "b");
    wait_until(secs(20), "both jobs to finish", || {
        env.state(&a) == "done" && env.state(&b) == "done"
    });
    assert_eq!(workers(&env)[0]["jobs"], serde_json::json!([]));

    stop(worker);
    assert_eq!(workers(&env), Vec::<Value>::new());
}

#[test]
fn a_killed_workers_row_is_forgotten_once_its_heartbeat_is_old() {
    let env = TestEnv::new();
    let worker = env.spawn(&["work", "--name", "doomed", "--sleep", "0.1"]);
    wait_until(secs(20), "the worker to register", || {
        workers(&env).iter().any(|w| w["name"] == "doomed")
    });
    send_signal(&worker, libc::SIGKILL);
    let _ = wait_exit(worker, secs(10));
    // retry_after is 90 s by default: past that without a heartbeat the worker is dead.
    env.advance(secs(101));
    assert_eq!(workers(&env), Vec::<Value>::new());
}

#[test]
fn two_workers_at_once_are_both_listed() {
    let env = TestEnv::new();
    let first = env.spawn(&["work", "--name", "one", "--sleep", "0.1"]);
    let second = env.spawn(&[
        "work", "--name", "two", "--queue", "other", "--sleep", "0.1",
    ]);
    wait_until(secs(20), "both workers to register", || {
        workers(&env).len() == 2
    });
    let listed = workers(&env);
    let by_pid: BTreeSet<(u64, String)> = listed
        .iter()
        .map(|w| {
            (
                w["pid"].as_u64().unwrap(),
                w["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_pid,
        BTreeSet::from([
            (first.id() as u64, "one".to_string()),
            (second.id() as u64, "two".to_string()),
        ])
    );
    let ids: BTreeSet<&str> = listed.iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "worker ids must differ: {listed:?}");
    let human = env.ok(&["status"]);
    assert!(human.contains("one") && human.contains("two"), "{human}");

    stop(first);
    stop(second);
    assert_eq!(workers(&env), Vec::<Value>::new());
}

// 4. queue listen -----------------------------------------------------------------------------

#[test]
fn listen_runs_each_job_in_a_fresh_work_once_process_and_stops_on_sigterm() {
    let env = TestEnv::new();
    let script =
        "echo $PPID >> ppids; tr '\\0' ' ' < /proc/$PPID/cmdline >> cmdlines; echo >> cmdlines";
    let first = env.dispatch(&["--", "sh", "-c", script]);
    let second = env.dispatch(&["--", "sh", "-c", script]);
    let listener = env.spawn(&["listen", "--sleep", "0.2"]);
    wait_until(secs(30), "both jobs to run", || {
        env.state(&first) == "done" && env.state(&second) == "done"
    });

    let parents = lines(&env.path().join("ppids"));
    assert_eq!(parents.len(), 2, "{parents:?}");
    assert_ne!(parents[0], parents[1], "both jobs ran in the same worker");
    assert!(!parents.contains(&listener.id().to_string()));
    for cmdline in lines(&env.path().join("cmdlines")) {
        assert!(
            cmdline.contains(" work ") && cmdline.contains("--once"),
            "a job's parent was not `queue work --once`: {cmdline}"
        );
    }

    // The listener outlives its workers and takes the next job too.
    assert!(process_alive(listener.id() as i32));
    let third = env.dispatch(&["--", "true"]);
    wait_until(secs(30), "a third job to run", || {
        env.state(&third) == "done"
    });
    stop(listener);
}

fn write_config(env: &TestEnv, failed_driver: &str) {
    env.write(
        "queue.toml",
        &format!(
            "default = \"local\"\n[connections.local]\n{}[failed]\ndriver = \"{failed_driver}\"\n",
            env.connection_keys()
        ),
    );
}

fn failed_uuids(env: &TestEnv) -> BTreeSet<String> {
    env.json(&["failed"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["uuid"].as_str().unwrap().to_string())
        .collect()
}

/// Done, failed, or gone (a failed job under the null driver is discarded).
fn settled(env: &TestEnv, uuid: &str) -> bool {
    let out = env.run(&["--json", "show", uuid]);
    if !out.status.success() {
        return true;
    }
    let job: Value = serde_json::from_slice(&out.stdout).unwrap();
    job["state"] == "done" || job["state"] == "failed"
}

#[test]
fn listen_reads_queue_toml_anew_for_every_job() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    write_config(&env, "database");
    // The listener finds its store through queue.toml only.
    let mut cmd = env.cmd(&["listen", "--sleep", "0.2"]);
    cmd.env_remove("QUEUE_DATABASE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let listener = cmd.spawn().unwrap();

    let kept = env.dispatch(&["--", "false"]);
    wait_until(secs(30), "the first failing job to be in `failed`", || {
        failed_uuids(&env).contains(&kept)
    });

    write_config(&env, "null");
    // A `work --once` child that started before the rewrite may still hold the old config.
    // The listener runs one child at a time, so the second distinct worker seen from now on
    // started after the rewrite, and so do all that follow it.
    let mut seen = BTreeSet::new();
    wait_until(secs(30), "a worker started after the rewrite", || {
        for w in workers(&env) {
            seen.insert(w["id"].as_str().unwrap().to_string());
        }
        seen.len() >= 2
    });

    let discarded = env.dispatch(&["--", "sh", "-c", "touch second-ran; exit 1"]);
    wait_until(secs(30), "the second failing job to run", || {
        env.path().join("second-ran").exists() && settled(&env, &discarded)
    });
    let failed = failed_uuids(&env);
    assert!(
        !failed.contains(&discarded),
        "the listener kept using the old [failed] driver"
    );
    assert_eq!(failed, BTreeSet::from([kept]));
    stop(listener);
}

// 5. queue monitor ----------------------------------------------------------------------------

#[test]
fn monitor_reports_sizes_and_alerts_at_the_max() {
    let env = TestEnv::new();
    // default: one pending and one delayed job; other: one reserved (running) job.
    env.dispatch(&["--", "true"]);
    env.dispatch(&["--delay", "1h", "--", "true"]);
    let running = gate_job(&env, "busy", &["--queue", "other"]);
    let worker = env.spawn(&["work", "--queue", "other", "--sleep", "0.1"]);
    wait_started(&env, "busy");
    assert_eq!(env.state(&running), "reserved");

    let human = env.ok(&["monitor", "default,other", "--max", "3"]);
    let row = |out: &str, queue: &str, status: &str| {
        out.lines()
            .any(|l| l.contains(&format!("default:{queue}")) && l.contains(status))
    };
    assert!(
        row(&human, "default", "OK") && row(&human, "other", "OK"),
        "{human}"
    );
    assert!(!human.contains("ALERT"), "{human}");

    let out = env.run(&["monitor", "default,other", "--max", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let human = text(&out.stdout);
    assert!(
        row(&human, "default", "ALERT") && row(&human, "other", "OK"),
        "{human}"
    );

    // A reserved job counts toward the size too.
    let out = env.run(&["--json", "monitor", "default,other", "--max", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"connection": "default", "queue": "default", "size": 2, "pending": 1,
             "delayed": 1, "reserved": 0, "status": "ALERT",
             "oldest_pending_age_s": rows[0]["oldest_pending_age_s"]},
            {"connection": "default", "queue": "other", "size": 1, "pending": 0,
             "delayed": 0, "reserved": 1, "status": "ALERT",
             "oldest_pending_age_s": rows[1]["oldest_pending_age_s"]},
        ])
    );

    let ok: Value = env.json(&["monitor", "default,other", "--max", "3"]);
    assert!(
        ok.as_array().unwrap().iter().all(|r| r["status"] == "OK"),
        "{ok:#}"
    );

    open_gate(&env, "busy");
    stop(worker);
}

#[test]
fn monitor_rejects_a_bad_queue_name() {
    let env = TestEnv::new();
    let err = env.fails(&["monitor", "default,bad queue"], 1);
    assert!(err.contains("invalid queue name 'bad queue'"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

// 6. supervisor-config and systemd-unit -------------------------------------------------------

/// The number after `key=` on its own line.
fn setting(config: &str, key: &str) -> u64 {
    config
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in:\n{config}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{key}= is not a number ({e}):\n{config}"))
}

#[test]
fn supervisor_config_and_systemd_unit_name_the_store_and_outlast_the_timeout() {
    let env = TestEnv::new();
    let db = env.database.clone();

    let conf = env.ok(&[
        "supervisor-config",
        "--program",
        "p",
        "--numprocs",
        "4",
        "--timeout",
        "120",
    ]);
    assert!(conf.lines().any(|l| l == "[program:p]"), "{conf}");
    assert_eq!(setting(&conf, "numprocs"), 4);
    assert!(
        conf.lines()
            .any(|l| l == format!("environment=QUEUE_DATABASE=\"{db}\"")),
        "{conf}"
    );
    assert!(
        conf.lines()
            .any(|l| l.starts_with("command=") && l.contains(" work")),
        "{conf}"
    );
    assert!(setting(&conf, "stopwaitsecs") > 120, "{conf}");

    let unit = env.ok(&["systemd-unit", "--timeout", "120"]);
    assert!(
        unit.lines()
            .any(|l| l == format!("Environment=QUEUE_DATABASE={db}")),
        "{unit}"
    );
    assert!(
        unit.lines()
            .any(|l| l.starts_with("ExecStart=") && l.contains(" work")),
        "{unit}"
    );
    assert!(setting(&unit, "TimeoutStopSec") > 120, "{unit}");

    // Without --timeout, the stop timeout still outlasts a worker's default --timeout of 60.
    let conf = env.ok(&["supervisor-config"]);
    assert!(setting(&conf, "stopwaitsecs") > 60, "{conf}");
    let unit = env.ok(&["systemd-unit"]);
    assert!(setting(&unit, "TimeoutStopSec") > 60, "{unit}");
}

// 7. --concurrency ----------------------------------------------------------------------------

#[test]
fn concurrency_3_runs_three_jobs_at_the_same_time() {
    let env = TestEnv::new();
    // Each job marks itself, then waits (at most ~10 s) until all three are marked.
    let uuids: Vec<String> = (1..=3)
        .map(|i| {
            env.dispatch(&[
                "--",
                "sh",
                "-c",
                &format!(
                    "touch mark-{i}; i=0; while [ ! -e mark-1 ] || [ ! -e mark-2 ] || [ ! -e mark-3 ]; do i=$((i+1)); [ $i -gt 200 ] && exit 1; sleep 0.05; done"
                ),
            ])
        })
        .collect();
    drain(&env, &["--concurrency", "3"]);
    for uuid in &uuids {
        assert_eq!(env.state(uuid), "done");
    }
}

#[test]
fn a_timeout_in_one_slot_does_not_disturb_the_others() {
    let env = TestEnv::new();
    let slow = env.dispatch(&[
        "--timeout",
        "1",
        "--",
        "sh",
        "-c",
        "echo $$ > slow.pid; exec sleep 30",
    ]);
    // The others run across the timeout: each waits until the slow job's process is gone.
    let survivor = "i=0; while [ ! -s slow.pid ]; do i=$((i+1)); [ $i -gt 400 ] && exit 1; sleep 0.05; done; \
                    p=$(cat slow.pid); while kill -0 $p 2>/dev/null; do i=$((i+1)); [ $i -gt 400 ] && exit 1; sleep 0.05; done";
    let others: Vec<String> = (0..2)
        .map(|_| env.dispatch(&["--", "sh", "-c", survivor]))
        .collect();
    let started = Instant::now();
    drain(&env, &["--concurrency", "3"]);
    assert!(started.elapsed() < secs(25), "the timeout was not enforced");

    let job = env.show(&slow);
    assert_eq!(job["state"], "failed", "{job:#}");
    assert!(
        job["error"].as_str().unwrap_or("").contains("timed out"),
        "{job:#}"
    );
    for uuid in &others {
        let job = env.show(uuid);
        assert_eq!(job["state"], "done", "{job:#}");
        assert_eq!(job["attempt_count"], 1, "{job:#}");
    }
}
