//! Many processes on one store: every job runs exactly once, nothing is lost when a worker is
//! killed, and no "database is locked" ever reaches a user.

use crate::util::*;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::time::Duration;

const DISPATCHERS: usize = 3;
const SINGLE_DISPATCHES: usize = 40;
const FILES: usize = 2;
const JOBS_PER_FILE: usize = 320;
const WORKERS: usize = 4;

#[test]
fn four_workers_and_three_dispatchers_run_every_job_exactly_once() {
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let log = env.path().join("ran.log");
    let script = format!("echo \"$QUEUE_JOB_ID\" >> '{}'", log.display());

    let workers: Vec<_> = (0..WORKERS)
        .map(|_| env.spawn(&["work", "--sleep", "0.05", "--quiet", "--tries", "3"]))
        .collect();

    let dispatched: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..DISPATCHERS)
            .map(|d| {
                let env = &env;
                let script = &script;
                scope.spawn(move || {
                    let mut ids = Vec::new();
                    for _ in 0..SINGLE_DISPATCHES {
                        ids.push(env.dispatch(&["--", "sh", "-c", script]));
                    }
                    for f in 0..FILES {
                        let line = serde_json::json!({ "shell": script }).to_string();
                        let path = env.path().join(format!("jobs-{d}-{f}.jsonl"));
                        let mut file = std::fs::File::create(&path).unwrap();
                        for _ in 0..JOBS_PER_FILE {
                            writeln!(file, "{line}").unwrap();
                        }
                        let out = env.ok(&["dispatch", "--file", path.to_str().unwrap()]);
                        ids.extend(out.lines().map(String::from));
                    }
                    ids
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let expected = DISPATCHERS * (SINGLE_DISPATCHES + FILES * JOBS_PER_FILE);
    assert_eq!(dispatched.len(), expected);
    assert!(expected >= 2000);

    wait_until(Duration::from_secs(240), "every job to run", || {
        std::fs::read_to_string(&log)
            .map(|t| t.lines().count() >= expected)
            .unwrap_or(false)
    });
    wait_until(Duration::from_secs(30), "the queue to be empty", || {
        let status = env.json(&["status"]);
        status["queues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["pending"] == 0 && q["reserved"] == 0)
    });

    let mut outputs = Vec::new();
    for worker in workers {
        send_signal(&worker, libc::SIGTERM);
        outputs.push(wait_exit(worker, Duration::from_secs(30)));
    }
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("locked"),
            "a worker saw a locked database: {stderr}"
        );
    }

    let text = std::fs::read_to_string(&log).unwrap();
    let mut runs: HashMap<&str, usize> = HashMap::new();
    for id in text.lines() {
        *runs.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "jobs ran more than once: {twice:?}");
    let ran: BTreeSet<&str> = runs.keys().copied().collect();
    let want: BTreeSet<&str> = dispatched.iter().map(String::as_str).collect();
    assert_eq!(ran, want, "the jobs that ran are not the jobs dispatched");
    assert_eq!(env.json(&["failed"]).as_array().unwrap().len(), 0);
}

/// A worker killed with SIGKILL loses nothing: its job's processes die with it (grandchildren
/// too), and the job comes back retry_after seconds after the last heartbeat, as a new attempt.
#[test]
fn a_killed_worker_loses_no_job_and_leaves_no_process() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        &format!(
            "default = \"local\"\n[connections.local]\n{}retry_after = 5\n",
            env.connection_keys()
        ),
    );
    let pids = env.path().join("pids");
    let log = env.path().join("attempts");
    let script = format!(
        "echo \"$QUEUE_ATTEMPT\" >> '{log}'; if [ \"$QUEUE_ATTEMPT\" = 1 ]; then sleep 300 & echo $! >> '{pids}'; echo $$ >> '{pids}'; sleep 300; fi",
        log = log.display(),
        pids = pids.display()
    );
    let mut cmd = env.cmd(&["dispatch", "--tries", "3", "--", "sh", "-c", &script]);
    cmd.env_remove("QUEUE_DATABASE");
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let uuid = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let mut worker = env.cmd(&["work", "--sleep", "0.05", "--quiet"]);
    worker.env_remove("QUEUE_DATABASE");
    let worker = worker.spawn().unwrap();
    wait_until(Duration::from_secs(20), "the job to start", || {
        std::fs::read_to_string(&pids)
            .map(|t| t.lines().count() == 2)
            .unwrap_or(false)
    });
    send_signal(&worker, libc::SIGKILL);
    let _ = wait_exit(worker, Duration::from_secs(10));

    let job_pids: Vec<i32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    wait_until(
        Duration::from_secs(10),
        "the job's processes to die",
        || job_pids.iter().all(|pid| !process_alive(*pid)),
    );
    assert_eq!(env.state(&uuid), "reserved");

    // Before retry_after has passed since the last heartbeat, nobody may take the job.
    let mut early = env.cmd(&["work", "--stop-when-empty", "--sleep", "0.05"]);
    early.env_remove("QUEUE_DATABASE");
    assert!(early.output().unwrap().status.success());
    assert_eq!(env.state(&uuid), "reserved");

    env.advance(Duration::from_secs(6));
    let mut late = env.cmd(&["work", "--stop-when-empty", "--sleep", "0.05"]);
    late.env_remove("QUEUE_DATABASE");
    let out = late.output().unwrap();
    assert!(out.status.success());
    let job = env.show(&uuid);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["attempt_count"], 2);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "1\n2\n");
}

/// A job that runs longer than retry_after is never handed to a second worker while its own
/// worker lives: the heartbeat keeps its lease.
#[test]
fn a_long_job_keeps_its_lease_while_its_worker_lives() {
    let env = TestEnv::new();
    env.write(
        "queue.toml",
        &format!(
            "default = \"local\"\n[connections.local]\n{}retry_after = 1\n",
            env.connection_keys()
        ),
    );
    let log = env.path().join("runs");
    let script = format!("echo run >> '{}'; sleep 3", log.display());
    let mut cmd = env.cmd(&["dispatch", "--tries", "5", "--", "sh", "-c", &script]);
    cmd.env_remove("QUEUE_DATABASE");
    let uuid = String::from_utf8(cmd.output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let spawn_worker = || {
        let mut w = env.cmd(&["work", "--sleep", "0.05", "--quiet"]);
        w.env_remove("QUEUE_DATABASE");
        w.spawn().unwrap()
    };
    let first = spawn_worker();
    let second = spawn_worker();
    wait_until(Duration::from_secs(30), "the job to finish", || {
        env.state(&uuid) == "done"
    });
    for w in [first, second] {
        send_signal(&w, libc::SIGTERM);
        assert_eq!(wait_exit(w, Duration::from_secs(10)).status.code(), Some(0));
    }
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "run\n");
    assert_eq!(env.show(&uuid)["attempt_count"], 1);
}
