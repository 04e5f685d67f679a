//! The test harness: a temporary directory with its own store, a controllable clock, a builder
//! for `queue` commands, and polling waits with a deadline (never fixed sleeps).

#![allow(dead_code)]

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    clock_file: PathBuf,
}

impl TestEnv {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("store/queue.sqlite");
        let clock_file = dir.path().join("clock-offset-ms");
        std::fs::write(&clock_file, "0").unwrap();
        TestEnv {
            dir,
            db,
            clock_file,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `queue` command in this environment: its own store, HOME and clock.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("queue").expect("the queue binary");
        cmd.args(args)
            .current_dir(self.path())
            .env("QUEUE_DATABASE", &self.db)
            .env("QUEUE_TEST_CLOCK_FILE", &self.clock_file)
            .env("HOME", self.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("QUEUE_CONNECTION")
            .env_remove("QUEUE_CONFIG")
            .env_remove("QUEUE_FAILED_DRIVER")
            .env_remove("QUEUE_JOB_ID")
            .env_remove("QUEUE_JOB_TOKEN")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Run a command to the end and return its output (whatever the exit status).
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run queue")
    }

    /// Run a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "queue {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run a command that must fail with `code`; returns its stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "queue {args:?}: expected exit {code}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr.contains("panicked"), "panic: {stderr}");
        stderr
    }

    /// Run a command with --json and parse its stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Dispatch a job and return its uuid.
    pub fn dispatch(&self, args: &[&str]) -> String {
        let mut all = vec!["dispatch"];
        all.extend_from_slice(args);
        self.ok(&all).trim().to_string()
    }

    /// Start a process in the background (a worker, say).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn queue")
    }

    /// Move this environment's clock forward.
    pub fn advance(&self, by: Duration) {
        let now: i64 = std::fs::read_to_string(&self.clock_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::fs::write(&self.clock_file, (now + by.as_millis() as i64).to_string()).unwrap();
    }

    /// `queue show UUID --json`.
    pub fn show(&self, uuid: &str) -> Value {
        self.json(&["show", uuid])
    }

    pub fn state(&self, uuid: &str) -> String {
        self.show(uuid)["state"].as_str().unwrap().to_string()
    }

    /// Work until no job is available now.
    pub fn drain(&self, extra: &[&str]) -> Output {
        let mut all = vec!["work", "--stop-when-empty", "--sleep", "0.05"];
        all.extend_from_slice(extra);
        self.run(&all)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// Poll `cond` until it holds or `limit` passes; panics with `what` on timeout.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait for a child to exit, with a deadline; returns its output.
pub fn wait_exit(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "process did not exit in time\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn send_signal(child: &Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
}

/// Is a process still running (not gone and not a zombie)?
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("X");
            state != "Z" && state != "X"
        }
    }
}
