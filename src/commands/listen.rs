//! `queue listen`: like `queue work`, but each job runs in a fresh `queue work --once` process,
//! so queue.toml and the scripts it names are read anew for every job (no restart after a
//! deploy). The parent enforces --timeout on each child as a backstop, and stops on SIGTERM.

use super::work::CommonFlags;
use crate::app::Ctx;
use crate::worker::{process::KILL_GRACE, resident_mb, signals};
use anyhow::{anyhow, Context, Result};
use std::process::{Command, ExitCode};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonFlags,
}

enum Event {
    Signal(signals::Signal),
    ChildExited(std::io::Result<std::process::ExitStatus>),
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let args = args.common;
    let parsed = args.parse()?;
    let timeout = Duration::from_secs(parsed.timeout_secs);
    // Check the store once here, so a bad setup is one clear error instead of a child per loop.
    let target = ctx.target(args.connection.as_deref())?;
    drop(ctx.open(&target)?);

    let exe = std::env::current_exe().context("cannot find the queue binary")?;
    let (tx, rx) = mpsc::channel();
    let signal_handle = signals::forward(tx.clone(), Event::Signal)?;
    let mut stopping = false;
    let result = loop {
        let mut cmd = Command::new(&exe);
        cmd.arg("work");
        // The children use this process's store and config (global flags are not inherited).
        let selection = &ctx.selection;
        if let Some(database) = &selection.database {
            cmd.args(["--database", database]);
        }
        if let Some(connection) = &selection.connection {
            cmd.args(["--connection", connection]);
        }
        if let Some(config) = &selection.config {
            cmd.arg("--config").arg(config);
        }
        if let Some(conn) = &args.connection {
            cmd.arg(conn);
        }
        if let Some(q) = &args.queue {
            cmd.args(["--queue", q]);
        }
        cmd.args(["--once", "--sleep", &args.sleep, "--timeout", &args.timeout])
            .args([
                "--tries",
                &args.tries.to_string(),
                "--backoff",
                &args.backoff,
            ])
            .args(["--memory", "0", "--rest", "0"]);
        if args.force {
            cmd.arg("--force");
        }
        if ctx.out.json {
            cmd.arg("--json");
        }
        if ctx.out.quiet {
            cmd.arg("--quiet");
        }
        let mut child = cmd.spawn().context("cannot start a worker process")?;
        let pid = child.id() as i32;
        let waiter_tx = tx.clone();
        std::thread::spawn(move || {
            let _ = waiter_tx.send(Event::ChildExited(child.wait()));
        });
        // The backstop: the child enforces job timeouts itself; if it overruns them anyway,
        // stop it (its guard then kills the job, which comes back after retry_after).
        let deadline = (!timeout.is_zero()).then(|| Instant::now() + timeout + KILL_GRACE * 3);
        let mut signalled = 0;
        let status = loop {
            let wait = deadline
                .map(|d| d.saturating_duration_since(Instant::now()))
                .unwrap_or(Duration::from_secs(3600));
            match rx.recv_timeout(wait) {
                Ok(Event::ChildExited(status)) => break status,
                Ok(Event::Signal(signals::Signal::Stop)) => {
                    stopping = true;
                    // SAFETY: kill has no memory-safety preconditions.
                    unsafe { libc::kill(pid, libc::SIGTERM) };
                }
                Ok(Event::Signal(_)) => {}
                Err(_) => {
                    signalled += 1;
                    let sig = if signalled == 1 {
                        libc::SIGTERM
                    } else {
                        libc::SIGKILL
                    };
                    ctx.out.note(&format!(
                        "queue listen: the worker process overran --timeout {}; stopping it",
                        args.timeout
                    ));
                    // SAFETY: as above.
                    unsafe { libc::kill(pid, sig) };
                }
            }
        };
        let status = status.context("waiting for the worker process failed")?;
        if status.code() == Some(1) {
            break Err(anyhow!("the worker process failed (see its error above)"));
        }
        if stopping {
            break Ok(ExitCode::SUCCESS);
        }
        if args.memory > 0 && resident_mb() >= args.memory {
            break Ok(ExitCode::from(12));
        }
        if !parsed.rest.is_zero() {
            std::thread::sleep(parsed.rest);
        }
    };
    signal_handle.close();
    result
}
