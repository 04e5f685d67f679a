//! Running one attempt of a job as a child process: its own process group (so a timeout can kill
//! everything it started), the job's cwd and environment, the payload on stdin, the last 64 KiB
//! of stdout and stderr kept, and a death signal so it never outlives the thread that runs it.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

/// How much output is kept per attempt.
pub const OUTPUT_TAIL_BYTES: usize = 64 * 1024;
/// How long a timed-out job gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// What to run, where, and with what.
#[derive(Debug, Clone)]
pub struct Spec {
    pub argv: Vec<String>,
    pub cwd: String,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    /// None = no limit.
    pub timeout: Option<Duration>,
    /// Keep a tail of the output (workers) or pass it through to ours (`dispatch --sync`).
    pub capture: bool,
    /// Ask the kernel to kill the job's first process when the spawning thread dies. This
    /// forces fork+exec instead of the much cheaper posix_spawn, so workers use it only when
    /// their guard process (which covers the whole process group) could not be started.
    pub die_with_parent: bool,
    /// Where the output tail is kept while it runs, for the worker to read (`logs --follow`).
    pub live: Option<LiveTail>,
}

/// The output tail of a running attempt, shared with its worker's loop.
#[derive(Debug, Clone, Default)]
pub struct LiveTail(Arc<Mutex<Tail>>);

impl LiveTail {
    /// How many bytes were written so far, and the tail now.
    pub fn read(&self) -> (u64, String) {
        self.0
            .lock()
            .map(|t| (t.pushed, t.text()))
            .unwrap_or_default()
    }

    /// How many bytes were written so far.
    pub fn pushed(&self) -> u64 {
        self.0.lock().map(|t| t.pushed).unwrap_or_default()
    }
}

/// How the process ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    SpawnError(String),
    TimedOut,
}

impl Exit {
    fn from_status(status: ExitStatus) -> Exit {
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(sig)) => Exit::Signal(sig),
            (None, None) => Exit::Code(-1),
        }
    }

    /// A one-line description for error texts.
    pub fn describe(&self) -> String {
        match self {
            Exit::Code(code) => format!("exited with status {code}"),
            Exit::Signal(sig) => format!("killed by signal {sig} ({})", signal_name(*sig)),
            Exit::SpawnError(e) => format!("could not be started: {e}"),
            Exit::TimedOut => "timed out".into(),
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => "signal",
    }
}

/// The result of one attempt.
#[derive(Debug, Clone)]
pub struct Finished {
    pub exit: Exit,
    pub output: String,
    pub elapsed: Duration,
}

/// A bounded tail of bytes shared by the stdout and stderr readers.
#[derive(Debug, Default)]
pub struct Tail {
    bytes: VecDeque<u8>,
    pushed: u64,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.pushed += chunk.len() as u64;
        self.bytes.extend(chunk);
        let excess = self.bytes.len().saturating_sub(OUTPUT_TAIL_BYTES);
        self.bytes.drain(..excess);
    }

    fn text(&self) -> String {
        let (a, b) = self.bytes.as_slices();
        let mut all = Vec::with_capacity(a.len() + b.len());
        all.extend_from_slice(a);
        all.extend_from_slice(b);
        String::from_utf8_lossy(&all).into_owned()
    }
}

/// Send a signal to a whole process group; a group that is already gone is fine.
pub fn signal_group(pgid: u32, signal: i32) {
    // SAFETY: killpg has no memory-safety preconditions.
    unsafe {
        libc::killpg(pgid as libc::pid_t, signal);
    }
}

fn group_alive(pgid: u32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::killpg(pgid as libc::pid_t, 0) == 0 }
}

/// Reap the exited members of a job's process group that are our children: its orphans, once
/// its main process has been waited for (they come to us as a subreaper, or as PID 1). Only
/// called after that, so no `Child` of ours is in the group. A zombie still counts as a member
/// of its group: unreaped, it would hold the job's end for the whole grace.
fn reap_group(pgid: u32) {
    loop {
        // SAFETY: waitpid with a null status pointer and WNOHANG has no other preconditions.
        let pid =
            unsafe { libc::waitpid(-(pgid as libc::pid_t), std::ptr::null_mut(), libc::WNOHANG) };
        if pid <= 0 {
            return;
        }
    }
}

/// The processes this process has spawned and waits for itself (jobs' first processes, the
/// guard): `reap_strays` leaves them to their `Child::wait`. Locked across each spawn, so a
/// child that exits at once is never taken for a stray.
static OWN_CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Held for reading across each spawn (spawns of several slots still run at once) and for
/// writing by `reap_strays`, so that a child that exits at once is in `OWN_CHILDREN` before any
/// reaping round can see it.
static SPAWNING: RwLock<()> = RwLock::new(());

/// Make this process the reaper of its orphaned descendants (Linux; elsewhere false), as a
/// worker does, so that a job's exited grandchildren are reaped (also as PID 1 in a container)
/// and never count as running.
pub fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER) only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// Count `pid` as a child that its owner waits for (see `OWN_CHILDREN`).
pub fn own_child(pid: u32) {
    if let Ok(mut own) = OWN_CHILDREN.lock() {
        own.push(pid);
    }
}

fn disown_child(pid: u32) {
    if let Ok(mut own) = OWN_CHILDREN.lock() {
        own.retain(|p| *p != pid);
    }
}

/// Reap exited orphans that came to this process (a subreaper, or PID 1) and are no job's own
/// group's (a daemon that left it, say); returns how many. Children of ours that their owner
/// waits for are left alone: finding one of them exited ends this round.
pub fn reap_strays() -> usize {
    let _no_spawn = SPAWNING.write().unwrap_or_else(|e| e.into_inner());
    let Ok(own) = OWN_CHILDREN.lock() else {
        return 0;
    };
    let mut reaped = 0;
    loop {
        // SAFETY: a zeroed siginfo_t is a valid out-parameter; WNOWAIT leaves the child as is.
        let pid = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            if libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            ) != 0
            {
                return reaped;
            }
            info.si_pid()
        };
        if pid <= 0 || own.contains(&(pid as u32)) {
            return reaped;
        }
        // SAFETY: as in reap_group; this pid is an exited child nobody else waits for.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        reaped += 1;
    }
}

/// How much a new pipe takes without blocking, however low the user's pipe limits are: one
/// page (Linux gives a pipe at least that, and 64 KiB unless limits say otherwise).
const PIPE_MIN_CAPACITY: usize = 4096;

/// Run one attempt to the end. `on_start` receives the process-group id once the child runs
/// (the worker uses it to terminate jobs on a second stop signal).
pub fn run(spec: &Spec, on_start: impl FnOnce(u32)) -> Finished {
    let started = Instant::now();
    let (mut child, output) = match spawn(spec) {
        Ok(spawned) => spawned,
        Err(e) => {
            return Finished {
                exit: Exit::SpawnError(e),
                output: String::new(),
                elapsed: started.elapsed(),
            }
        }
    };
    let pgid = child.id();
    on_start(pgid);

    let tail = spec.live.clone().map(|l| l.0).unwrap_or_default();
    if let Some(mut stdin) = child.stdin.take() {
        if spec.stdin.len() <= PIPE_MIN_CAPACITY {
            // A new pipe takes this much without blocking, read or not (EPIPE is ignored).
            let _ = stdin.write_all(&spec.stdin);
        } else {
            // A job that never reads stdin must not block us: write from a thread.
            let data = spec.stdin.clone();
            thread::spawn(move || {
                let _ = stdin.write_all(&data);
            });
        }
    }
    let deadline = spec.timeout.map(|t| started + t);
    // This thread waits for the process and reads its output itself, polling a pidfd (Linux
    // 5.3+) beside the pipe: no thread per job. Where there is no pidfd, a reader and a waiter
    // thread do it.
    let (status, mut output) = match pidfd(pgid) {
        Some(fd) => wait_polling(&mut child, &fd, output, &tail, deadline),
        None => wait_with_threads(child, output, &tail, deadline),
    };

    // The job is over when its main process is; anything it left behind in its group would
    // hold the output pipes open and outlive the attempt, so it goes too.
    // Its exited members are reaped first: they hold nothing open and must not delay the end.
    reap_group(pgid);
    if group_alive(pgid) {
        signal_group(pgid, libc::SIGTERM);
        let until = Instant::now() + KILL_GRACE;
        while group_alive(pgid) && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
            reap_group(pgid);
        }
        if group_alive(pgid) {
            signal_group(pgid, libc::SIGKILL);
            // Reap what the kill leaves (bounded: zombies that are not ours are not ours to wait).
            let until = Instant::now() + Duration::from_millis(500);
            while group_alive(pgid) && Instant::now() < until {
                thread::sleep(Duration::from_millis(5));
                reap_group(pgid);
            }
        }
    }
    // What is still in the pipe, up to its end (the group that held it open is gone).
    match output.take() {
        Some(Output::Pipe(pipe)) => drain_into(pipe, &tail),
        Some(Output::Reader(reader)) => {
            let _ = reader.join();
        }
        None => {}
    }

    let exit = match status {
        None => Exit::TimedOut,
        Some(Ok(status)) => Exit::from_status(status),
        Some(Err(e)) => Exit::SpawnError(format!("waiting for the job failed: {e}")),
    };
    let output = tail.lock().map(|t| t.text()).unwrap_or_default();
    Finished {
        exit,
        output,
        elapsed: started.elapsed(),
    }
}

/// How the main process ended: None when it timed out (and was killed).
type Waited = Option<std::io::Result<ExitStatus>>;

/// The output not read yet when the main process ended: the pipe itself, or its reader thread.
enum Output {
    Pipe(std::io::PipeReader),
    Reader(thread::JoinHandle<()>),
}

/// A pidfd of our child `pid` (Linux 5.3+), readable once it has exited.
fn pidfd(pid: u32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a descriptor pidfd_open just returned, owned by nobody else.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

/// Wait for the main process on this thread: poll its pidfd and the output pipe together,
/// reading output as it comes, until the process exits or the deadline passes (then SIGTERM to
/// the group, SIGKILL after the grace, and the wait goes on until it is dead).
fn wait_polling(
    child: &mut Child,
    pidfd: &std::os::fd::OwnedFd,
    mut pipe: Option<std::io::PipeReader>,
    tail: &Mutex<Tail>,
    mut deadline: Option<Instant>,
) -> (Waited, Option<Output>) {
    use std::os::fd::AsRawFd;
    let pgid = child.id();
    let mut timed_out = false;
    let mut killed = false;
    let mut buf = [0u8; 8192];
    loop {
        let mut fds = [
            libc::pollfd {
                fd: pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: pipe.as_ref().map_or(-1, |p| p.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let wait_ms = deadline.map_or(-1, |d| {
            d.saturating_duration_since(Instant::now())
                .as_millis()
                .min(i32::MAX as u128) as i32
        });
        // SAFETY: fds is a valid array of two pollfds (a negative fd is ignored by poll).
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, wait_ms) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // poll itself failed: wait the plain way (the output is read at the end).
            let status = child.wait();
            disown_child(pgid);
            return (Some(status), pipe.map(Output::Pipe));
        }
        if fds[1].revents != 0 {
            if let Some(p) = pipe.as_mut() {
                match p.read(&mut buf) {
                    Ok(0) | Err(_) => pipe = None,
                    Ok(n) => {
                        if let Ok(mut t) = tail.lock() {
                            t.push(&buf[..n]);
                        }
                    }
                }
            }
        }
        if fds[0].revents != 0 {
            let status = child.wait();
            disown_child(pgid);
            let status = if timed_out { None } else { Some(status) };
            return (status, pipe.map(Output::Pipe));
        }
        if ready == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
            if !timed_out {
                timed_out = true;
                signal_group(pgid, libc::SIGTERM);
                deadline = Some(Instant::now() + KILL_GRACE);
            } else if !killed {
                killed = true;
                signal_group(pgid, libc::SIGKILL);
                deadline = None;
            }
        }
    }
}

/// Wait for the main process on a waiter thread (with the deadline) while a reader thread
/// drains the output: for systems without pidfds.
fn wait_with_threads(
    mut child: Child,
    pipe: Option<std::io::PipeReader>,
    tail: &Arc<Mutex<Tail>>,
    deadline: Option<Instant>,
) -> (Waited, Option<Output>) {
    let pgid = child.id();
    // One pipe carries stdout and stderr, so the tail keeps their real order.
    let reader = pipe.map(|pipe| {
        let tail = Arc::clone(tail);
        thread::spawn(move || drain_into(pipe, &tail))
    });
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        disown_child(pgid);
        let _ = tx.send(status);
    });
    let status = match deadline {
        None => rx.recv().ok(),
        Some(deadline) => {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(status) => Some(status),
                Err(_) => {
                    signal_group(pgid, libc::SIGTERM);
                    if rx.recv_timeout(KILL_GRACE).is_err() {
                        signal_group(pgid, libc::SIGKILL);
                        let _ = rx.recv();
                    }
                    None
                }
            }
        }
    };
    let _ = waiter.join();
    (status, reader.map(Output::Reader))
}

fn drain_into(mut stream: impl Read, tail: &Mutex<Tail>) {
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if let Ok(mut t) = tail.lock() {
                    t.push(&buf[..n]);
                }
            }
        }
    }
}

const NOT_FOUND: &str = "command not found";
const NOT_EXECUTABLE: &str = "not executable (permission denied)";

/// The status a shell gives a command that could not be started: 127 not found, 126 not
/// executable, else 1.
pub fn spawn_error_status(message: &str) -> i32 {
    if message.ends_with(NOT_FOUND) {
        127
    } else if message.ends_with(NOT_EXECUTABLE) {
        126
    } else {
        1
    }
}

/// Start the child; with `capture`, also the read end of its combined output pipe.
fn spawn(spec: &Spec) -> Result<(Child, Option<std::io::PipeReader>), String> {
    let Some((program, args)) = spec.argv.split_first() else {
        return Err("the job has an empty command".into());
    };
    if !std::path::Path::new(&spec.cwd).is_dir() {
        return Err(format!("the working directory {} does not exist", spec.cwd));
    }
    // The file PATH gives for the program, found once per worker (`program`): the child then
    // execs it at once instead of trying each PATH directory.
    let job_path = spec
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str());
    let cached = super::program::resolve(program, job_path);
    let command =
        |file: Option<&std::path::Path>| -> Result<(Command, Option<std::io::PipeReader>), String> {
            let mut cmd = match file {
                // argv[0] stays the name the job gave.
                Some(file) => {
                    let mut cmd = Command::new(file);
                    cmd.arg0(program);
                    cmd
                }
                None => Command::new(program),
            };
            cmd.args(args)
                .current_dir(&spec.cwd)
                .envs(spec.env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::piped())
                .process_group(0);
            let mut reader = None;
            if spec.capture {
                let (read, write) =
                    std::io::pipe().map_err(|e| format!("cannot make a pipe: {e}"))?;
                let write2 = write
                    .try_clone()
                    .map_err(|e| format!("cannot make a pipe: {e}"))?;
                cmd.stdout(write).stderr(write2);
                reader = Some(read);
            }
            if spec.die_with_parent {
                die_with_parent(&mut cmd);
            }
            Ok((cmd, reader))
        };
    let (mut cmd, mut reader) = command(cached.as_deref())?;
    // Spawned and counted as our own before a reaping round can look (`SPAWNING`), so
    // `reap_strays` never takes it for a stray; other slots spawn meanwhile.
    let child = {
        let _spawning = SPAWNING.read().unwrap_or_else(|e| e.into_inner());
        let mut child = cmd.spawn();
        if cached.is_some()
            && child.as_ref().is_err_and(|e| {
                matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                )
            })
        {
            // The file found earlier is gone or no longer executable: search PATH again.
            super::program::forget(program);
            drop(cmd);
            (cmd, reader) = command(None)?;
            child = cmd.spawn();
        }
        let child = child.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{program}: {NOT_FOUND}"),
            std::io::ErrorKind::PermissionDenied => format!("{program}: {NOT_EXECUTABLE}"),
            _ => format!("{program}: {e}"),
        });
        if let Ok(child) = &child {
            own_child(child.id());
        }
        child
    };
    // Our copies of the write end must go now, or the reader would never see the end.
    drop(cmd);
    Ok((child?, reader))
}

fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure only calls async-signal-safe functions (prctl, getppid, kill).
    unsafe {
        let parent = libc::getpid();
        cmd.pre_exec(move || {
            // Die with the thread that runs us: a dead worker leaves no job running.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str]) -> Spec {
        Spec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            cwd: "/".into(),
            env: vec![],
            stdin: b"{\"a\":1}".to_vec(),
            timeout: None,
            capture: true,
            die_with_parent: true,
            live: None,
        }
    }

    #[test]
    fn exit_codes_output_and_stdin() {
        let done = run(&spec(&["sh", "-c", "cat; echo oops >&2; exit 3"]), |_| {});
        assert_eq!(done.exit, Exit::Code(3));
        assert!(done.output.contains("{\"a\":1}"), "{}", done.output);
        assert!(done.output.contains("oops"));
    }

    #[test]
    fn only_the_tail_of_the_output_is_kept() {
        let done = run(
            &spec(&[
                "sh",
                "-c",
                "head -c 200000 /dev/zero | tr '\\0' x; echo END",
            ]),
            |_| {},
        );
        assert_eq!(done.output.len(), OUTPUT_TAIL_BYTES);
        assert!(done.output.ends_with("END\n"));
    }

    #[test]
    fn a_timeout_kills_the_whole_group() {
        let mut s = spec(&["sh", "-c", "sleep 30 & sleep 30; wait"]);
        s.timeout = Some(Duration::from_millis(200));
        let done = run(&s, |_| {});
        assert_eq!(done.exit, Exit::TimedOut);
        assert!(done.elapsed < Duration::from_secs(10));
    }

    #[test]
    fn spawn_errors_are_reported() {
        let done = run(&spec(&["/no/such/program"]), |_| {});
        assert!(matches!(done.exit, Exit::SpawnError(_)));
        let mut s = spec(&["true"]);
        s.cwd = "/no/such/dir".into();
        assert!(
            matches!(run(&s, |_| {}).exit, Exit::SpawnError(e) if e.contains("does not exist"))
        );
    }
}
