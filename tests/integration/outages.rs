//! A PostgreSQL cluster of the test's own restarted, or its connections terminated, in the
//! middle of a drain, and one-shot commands waiting for it. Figures (the time from the fault to
//! the next job started) go to stderr; run with `--nocapture` to see them.

use crate::faults::{count, queue_cmd, stats};
use crate::util::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// A PostgreSQL cluster of the test's own (not the shared server), to restart at will.

pub(crate) struct Cluster {
    _dir: tempfile::TempDir,
    pub(crate) data: PathBuf,
    bin: PathBuf,
    pub(crate) as_postgres: bool,
    pub(crate) url: String,
}

impl Cluster {
    /// initdb + pg_ctl start on a free port. None (with a note) when PostgreSQL's server
    /// binaries are not installed, unless QUEUE_REQUIRE_POSTGRES=1.
    pub(crate) fn start() -> Option<Cluster> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                let mut dirs: Vec<PathBuf> = versions
                    .filter_map(|v| Some(v.ok()?.path().join("bin")))
                    .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
                    .collect();
                dirs.sort();
                dirs.pop()
            });
        let Some(bin) = bin else {
            let required = std::env::var("QUEUE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "QUEUE_REQUIRE_POSTGRES=1 but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
            );
            eprintln!("skipped: no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin");
            return None;
        };
        // SAFETY: geteuid has no preconditions.
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres", &dir.path().display().to_string()])
                .status()
                .unwrap();
            assert!(status.success(), "chown postgres");
        }
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let cluster = Cluster {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres?connect_timeout=5"),
            _dir: dir,
            data,
            bin,
            as_postgres,
        };
        cluster.pg(
            "initdb",
            &[
                "-D",
                &cluster.data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        cluster.start_server(port);
        Some(cluster)
    }

    fn port(&self) -> u16 {
        let (_, rest) = self.url.rsplit_once(':').unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    fn start_server(&self, port: u16) {
        let socket_dir = self.data.parent().unwrap().display().to_string();
        let log = self.data.parent().unwrap().join("log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-l",
                &log.display().to_string(),
                "-o",
                &format!("-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"),
                "-w",
                "start",
            ],
        );
    }

    fn stop_server(&self) {
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    /// Run one of the server's programs (as the postgres user when we are root).
    fn pg(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program).display().to_string();
        let out = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--", &exe])
                .args(args)
                .current_dir("/")
                .output()
        } else {
            Command::new(&exe).args(args).output()
        }
        .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    /// `pg_ctl restart -m fast` (its server writes to the log, not to our pipe).
    pub(crate) fn restart(&self) {
        let log = self.data.parent().unwrap().join("log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-l",
                &log.display().to_string(),
                "-m",
                "fast",
                "-w",
                "restart",
            ],
        );
    }

    /// Terminate every connection but ours (the workers' and their LISTEN connections).
    fn terminate_backends(&self) -> i64 {
        let mut client = PgDatabase::client(&self.url);
        client
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
                &[],
            )
            .unwrap()
            .get(0)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl").display().to_string();
        let data = self.data.display().to_string();
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--", &exe])
                .args(args)
                .current_dir("/")
                .output()
        } else {
            Command::new(&exe).args(args).output()
        };
    }
}

/// Workers on the test's own cluster while it is restarted (or its connections terminated)
/// in the middle of a drain: every job completes, no worker exits, each says once that the
/// store went away and once that it is back. Returns the time from the fault's end to the
/// first job started after it.
fn ride_out(fault: &str) {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let env = TestEnv::new();
    env.start_clock();
    env.write(
        "queue.toml",
        &format!(
            "default = \"local\"\n[connections.local]\ndriver = \"postgres\"\nurl = \"{}\"\nretry_after = 10\n",
            cluster.url
        ),
    );
    let ok = queue_cmd(&env, &["migrate"], None).output().unwrap();
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let log = env.path().join("runs.log");
    let job = env.write(
        "job.sh",
        &format!("sleep 0.2\necho \"$QUEUE_JOB_ID\" >> '{}'\n", log.display()),
    );
    let lines_file = |i: usize| env.path().join(format!("worker-{i}.jsonl"));
    let workers: Vec<Child> = (0..2)
        .map(|i| {
            queue_cmd(
                &env,
                &["--json", "work", "--concurrency", "2", "--sleep", "1"],
                Some(&lines_file(i)),
            )
            .spawn()
            .unwrap()
        })
        .collect();
    const JOBS: usize = 40;
    let jobs = (0..JOBS)
        .map(|_| format!("{{\"command\": [\"sh\", \"{}\"]}}", job.display()))
        .collect::<Vec<_>>()
        .join("\n");
    env.write("jobs.jsonl", &jobs);
    let out = queue_cmd(&env, &["dispatch", "--file", "jobs.jsonl"], None)
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dispatched: BTreeSet<String> = text(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    assert_eq!(dispatched.len(), JOBS);

    wait_until(secs(60), "a few jobs to have run", || {
        lines(&log).len() >= 6
    });
    match fault {
        "restart" => cluster.restart(),
        _ => {
            assert!(cluster.terminate_backends() > 0);
        }
    }
    let after_fault = chrono::Utc::now().timestamp_millis();
    let deadline = Instant::now() + secs(120);
    loop {
        let ran: BTreeSet<String> = lines(&log).into_iter().collect();
        if dispatched.is_subset(&ran) && {
            let s = stats(&env);
            count(&s, "pending") + count(&s, "reserved") + count(&s, "delayed") == 0
        } {
            break;
        }
        if Instant::now() > deadline {
            let missing: Vec<&String> = dispatched.difference(&ran).collect();
            let jobs = queue_cmd(&env, &["--json", "jobs", "--limit", "100"], None)
                .stdout(Stdio::piped())
                .output()
                .unwrap();
            let worker_lines: Vec<String> = (0..2)
                .map(|i| {
                    let all = lines(&lines_file(i));
                    let tail = all.len().saturating_sub(15);
                    all[tail..].join("\n")
                })
                .collect();
            panic!(
                "timed out waiting for every job to complete after the fault\nmissing: {missing:?}\nstatus: {}\njobs: {}\nworkers: {worker_lines:#?}",
                stats(&env),
                text(&jobs.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let s = stats(&env);
    assert_eq!(count(&s, "failed"), 0, "{s}");
    let mut first_start_after: Option<i64> = None;
    for (i, mut worker) in workers.into_iter().enumerate() {
        assert!(
            worker.try_wait().unwrap().is_none(),
            "worker {i} exited during the fault"
        );
        send_signal(&worker, libc::SIGTERM);
        let deadline = Instant::now() + secs(30);
        while worker.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "worker {i} did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut stderr = String::new();
        if let Some(mut e) = worker.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        assert_eq!(
            worker.wait().unwrap().code(),
            Some(0),
            "worker {i}: {stderr}"
        );
        let events: Vec<Value> = lines(&lines_file(i))
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let said = |status: &str| events.iter().filter(|e| e["status"] == status).count();
        assert!(
            said("store_unavailable") <= 2 && said("store_unavailable") == said("store_available"),
            "worker {i}: every outage it saw is one line going and one back: {events:?}"
        );
        first_start_after = events
            .iter()
            .filter(|e| e["status"] == "starting")
            .map(|e| rfc3339_ms(&e["timestamp"]))
            .filter(|at| *at >= after_fault)
            .chain(first_start_after)
            .min();
    }
    let first = first_start_after.expect("a job started after the fault");
    eprintln!(
        "PostgreSQL {fault}: {JOBS} jobs completed, no worker exited; first job started {} ms after the fault ended",
        first - after_fault
    );
}

#[test]
fn workers_ride_out_a_postgres_restart() {
    ride_out("restart");
}

#[test]
fn workers_ride_out_terminated_postgres_connections() {
    ride_out("terminate");
}

/// A one-shot command waits for a store that is away for up to connect_timeout, then fails
/// in one line.
#[test]
fn one_shot_commands_wait_for_a_restarting_postgres() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let env = TestEnv::new();
    // A store that is away when the command starts and back within its connect_timeout.
    cluster.stop_server();
    let dispatch = env
        .cmd(&["--database", &cluster.url, "dispatch", "--", "true"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Not an assertion: only so that the dispatch starts while the server is down.
    std::thread::sleep(Duration::from_millis(300));
    cluster.start_server(cluster.port());
    let out = wait_exit(dispatch, secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Away for longer than connect_timeout (5 s in the URL; 1 s here): one line, exit 1.
    cluster.stop_server();
    let url = cluster
        .url
        .replace("connect_timeout=5", "connect_timeout=1");
    let stderr = env.fails(&["--database", &url, "status"], 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("gave up after 1s"), "{stderr}");
    cluster.start_server(cluster.port());
}
