//! The supervisor story end to end: the real supervisord runs three workers from the config that
//! `queue supervisor-config` prints; `queue restart` makes them exit, supervisord starts them
//! again, and every job runs exactly once across the restart.
//!
//! supervisord comes from the Debian package `supervisor`. Without it this test says so and
//! passes, unless QUEUE_REQUIRE_SUPERVISOR=1 (set by .ci/run, which installs it).

use crate::util::*;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

fn supervisord() -> Option<std::path::PathBuf> {
    ["/usr/bin/supervisord", "/usr/local/bin/supervisord"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
}

fn worker_pids(env: &TestEnv) -> BTreeSet<u64> {
    env.json(&["status"])["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["pid"].as_u64().unwrap())
        .collect()
}

fn run_count(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn supervisord_runs_workers_and_brings_them_back_after_queue_restart() {
    let Some(supervisord) = supervisord() else {
        assert!(
            std::env::var_os("QUEUE_REQUIRE_SUPERVISOR").is_none(),
            "supervisord is required (QUEUE_REQUIRE_SUPERVISOR is set) but not installed"
        );
        eprintln!("SKIPPED: supervisord is not installed (apt-get install supervisor)");
        return;
    };
    let env = TestEnv::new();
    env.ok(&["migrate"]);
    let dir = env.path();
    let program = env.ok(&[
        "supervisor-config",
        "--numprocs",
        "3",
        "--work-args",
        "--sleep 0.2 --quiet",
    ]);
    assert!(program.contains("numprocs=3") && program.contains("stopwaitsecs="));
    let program = program.replace(
        "stdout_logfile=/var/log/queue-worker.log",
        &format!("stdout_logfile={}/worker.log", dir.display()),
    );
    let conf = env.write(
        "supervisord.conf",
        &format!(
            "[supervisord]\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nnodaemon=true\n\
             [unix_http_server]\nfile={d}/supervisor.sock\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
             [supervisorctl]\nserverurl=unix://{d}/supervisor.sock\n\n{program}",
            d = dir.display()
        ),
    );
    let mut daemon = Command::new(&supervisord)
        .args(["-c", conf.to_str().unwrap()])
        .env("QUEUE_DATABASE", &env.db)
        .spawn()
        .expect("start supervisord");

    let log = dir.join("ran.log");
    let script = format!("echo \"$QUEUE_JOB_ID\" >> '{}'", log.display());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until(Duration::from_secs(30), "three workers", || {
            worker_pids(&env).len() == 3
        });
        let before = worker_pids(&env);
        let mut ids: Vec<String> = (0..30)
            .map(|_| env.dispatch(&["--", "sh", "-c", &script]))
            .collect();
        wait_until(Duration::from_secs(60), "the first jobs", || {
            run_count(&log) == 30
        });

        env.ok(&["restart"]);
        wait_until(Duration::from_secs(60), "three new workers", || {
            let now = worker_pids(&env);
            now.len() == 3 && now.is_disjoint(&before)
        });
        ids.extend((0..30).map(|_| env.dispatch(&["--", "sh", "-c", &script])));
        wait_until(Duration::from_secs(60), "the second jobs", || {
            run_count(&log) == 60
        });

        let ran: Vec<String> = std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let unique: BTreeSet<&String> = ran.iter().collect();
        assert_eq!(unique.len(), ran.len(), "a job ran twice");
        assert_eq!(unique, ids.iter().collect::<BTreeSet<_>>());
    }));
    // SIGTERM makes supervisord stop its workers (gracefully) and exit.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let _ = daemon.wait();
    if let Err(panic) = result {
        let log = std::fs::read_to_string(dir.join("supervisord.log")).unwrap_or_default();
        eprintln!("supervisord.log:\n{log}");
        std::panic::resume_unwind(panic);
    }
}
