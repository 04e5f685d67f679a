//! `queue lock KEY [--block S] [--for S] -- CMD…`: run CMD while holding a store-wide lock, like
//! Laravel's Cache::lock()->block(). Without --for the lock is kept alive while CMD runs and
//! lapses 30 s after this process dies; with --for it lapses after that long, as Laravel's does.

use crate::app::Ctx;
use crate::domain::duration::parse_duration;
use anyhow::{anyhow, bail, Context, Result};
use std::process::{Command, ExitCode};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long a kept-alive lock survives its holder, and how often it is renewed.
const KEEPALIVE: Duration = Duration::from_secs(30);
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// How often a blocked `queue lock` tries again (Laravel's default for block()).
const RETRY_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lock's name.
    pub key: String,
    /// Wait up to this long for the lock (default: do not wait).
    #[arg(long, value_name = "S")]
    pub block: Option<String>,
    /// Hold the lock at most this long (default: while CMD runs).
    #[arg(long = "for", value_name = "S")]
    pub hold_for: Option<String>,
    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let block = match &args.block {
        Some(t) => parse_duration(t).map_err(|e| anyhow!("--block: {e}"))?,
        None => Duration::ZERO,
    };
    let hold_for = args
        .hold_for
        .as_deref()
        .map(|t| parse_duration(t).map_err(|e| anyhow!("--for: {e}")))
        .transpose()?;
    if args.key.trim().is_empty() {
        bail!("the lock needs a name, as in `queue lock deploy -- ./deploy.sh`");
    }
    let (_, mut store) = ctx.store()?;
    let key = format!("lock:{}", args.key);
    let owner = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let lasts = hold_for.unwrap_or(KEEPALIVE).as_millis() as i64;

    let deadline = Instant::now() + block;
    loop {
        match store.acquire_lock(&key, &owner, ctx.now_ms() + lasts, ctx.now_ms())? {
            None => break,
            Some(_) if Instant::now() < deadline => std::thread::sleep(RETRY_EVERY),
            Some(holder) => bail!(
                "could not acquire the lock '{}' within {}s (held by {holder}); try a longer --block",
                args.key,
                block.as_secs_f64()
            ),
        }
    }

    let child = Command::new(&args.command[0])
        .args(&args.command[1..])
        .spawn()
        .with_context(|| format!("cannot run {}", args.command[0]));
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            store.release_lock(&key, &owner)?;
            return Err(e);
        }
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = loop {
        match rx.recv_timeout(RENEW_EVERY) {
            Ok(status) => break status.context("waiting for the command failed")?,
            Err(RecvTimeoutError::Timeout) => {
                // Renew a kept-alive lock while the command runs.
                if hold_for.is_none() {
                    store.acquire_lock(&key, &owner, ctx.now_ms() + lasts, ctx.now_ms())?;
                }
            }
            Err(RecvTimeoutError::Disconnected) => bail!("lost track of the command"),
        }
    };
    store.release_lock(&key, &owner)?;
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}
