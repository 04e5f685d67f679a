//! The guard: a small helper process started with each worker. The worker tells it, over a pipe,
//! which job process groups are running; when the worker dies for any reason (SIGKILL, OOM) the
//! pipe closes and the guard kills those groups, grandchildren included. PR_SET_PDEATHSIG alone
//! would only reach each job's first process, so a re-run could overlap an orphan.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

/// The worker's end: owns the guard process.
pub struct Guard {
    child: Child,
    /// Always Some until dropped.
    handle: Option<Handle>,
}

/// A cheap clone of the pipe to the guard, for the threads that start jobs: they register a
/// process group right after spawning it, so no window is left in which a dying worker would
/// leave it behind.
#[derive(Clone)]
pub struct Handle(Arc<Mutex<ChildStdin>>);

impl Handle {
    pub fn watch(&self, pgid: u32) {
        self.send(&format!("+{pgid}\n"));
    }

    pub fn forget(&self, pgid: u32) {
        self.send(&format!("-{pgid}\n"));
    }

    fn send(&self, line: &str) {
        if let Ok(mut pipe) = self.0.lock() {
            let _ = pipe.write_all(line.as_bytes());
        }
    }
}

impl Guard {
    /// Start `queue guard` (this same binary). None if it cannot be started; jobs then rely on
    /// the death signal of their first process only.
    pub fn start() -> Option<Guard> {
        let exe = std::env::current_exe().ok()?;
        let mut child = Command::new(exe)
            .arg("guard")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .ok()?;
        // Waited for by its own Drop: not a stray for the worker to reap.
        super::process::own_child(child.id());
        let pipe = child.stdin.take()?;
        Some(Guard {
            child,
            handle: Some(Handle(Arc::new(Mutex::new(pipe)))),
        })
    }

    pub fn handle(&self) -> Handle {
        self.handle.clone().expect("a live guard has a handle")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Closing our end tells the guard that the worker is done: it kills whatever is still
        // registered (nothing, after a clean stop) and exits. If job threads still hold the pipe
        // (the worker is leaving on an error), it closes when they end or this process exits.
        let Some(handle) = self.handle.take() else {
            return;
        };
        let last = Arc::strong_count(&handle.0) == 1;
        drop(handle);
        if last {
            let _ = self.child.wait();
        }
    }
}

/// The guard process itself: read `+PGID` / `-PGID` lines until the worker is gone, then kill
/// every group still registered.
pub fn run_guard() -> std::process::ExitCode {
    // Do not die with the worker's terminal or a Ctrl-C meant for the worker.
    // SAFETY: setting signal dispositions to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    let mut groups: HashSet<u32> = HashSet::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let (op, id) = line.split_at(line.len().min(1));
        let Ok(pgid) = id.parse::<u32>() else {
            continue;
        };
        match op {
            "+" => {
                groups.insert(pgid);
            }
            "-" => {
                groups.remove(&pgid);
            }
            _ => {}
        }
    }
    for pgid in groups {
        super::process::signal_group(pgid, libc::SIGKILL);
    }
    std::process::ExitCode::SUCCESS
}
