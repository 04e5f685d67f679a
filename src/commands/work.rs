//! `queue work`: a long-lived worker. Flags as Laravel's queue:work.

use crate::app::Ctx;
use crate::clock::{format_local, format_rfc3339, Clock};
use crate::domain::duration::{parse_backoff, parse_duration};
use crate::domain::events::name as event_name;
use crate::domain::job::validate_queue_name;
use crate::domain::policy::Decision;
use crate::output::{Color, Output};
use crate::worker::{self, Event, Options, Reporter};
use anyhow::{anyhow, bail, Result};
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

// Flags that `queue work` and `queue listen` share (listen passes them to its children). A
// plain comment: a doc comment would become the about text of the commands that flatten it.
#[derive(Debug, clap::Args)]
pub struct CommonFlags {
    /// The connection of queue.toml to work (default: --connection, else its `default`).
    // Its own id: `connection` is taken by the global --connection flag.
    #[arg(id = "worker_connection", value_name = "CONNECTION")]
    pub connection: Option<String>,
    /// Queues in priority order: a,b (default: the connection's queue).
    #[arg(long, value_name = "a,b", add = crate::commands::complete::with(crate::commands::complete::queues))]
    pub queue: Option<String>,
    /// Seconds to wait when no job is available (fractions allowed).
    #[arg(long, default_value = "3", value_name = "S")]
    pub sleep: String,
    /// Seconds a job may run when it does not say (0 = no limit).
    #[arg(long, default_value = "60", value_name = "S")]
    pub timeout: String,
    /// Attempts a job gets when it does not say (0 or -1 = unlimited).
    #[arg(
        long,
        default_value_t = 1,
        value_name = "N",
        allow_hyphen_values = true
    )]
    pub tries: i64,
    /// Seconds before a failed job is retried, when it does not say: 0, or a list 1,5,10.
    #[arg(long, default_value = "0", value_name = "LIST")]
    pub backoff: String,
    /// Seconds to rest after each job.
    #[arg(long, default_value = "0", value_name = "S")]
    pub rest: String,
    /// Exit with status 12 once this process uses this many MB (0 = no limit).
    #[arg(long, default_value_t = 128, value_name = "MB")]
    pub memory: u64,
    /// Work even in maintenance mode (`queue down`).
    #[arg(long)]
    pub force: bool,
}

/// The common flags, checked and parsed.
pub struct Parsed {
    pub sleep: Duration,
    pub timeout_secs: u64,
    pub tries: i64,
    pub backoff: Vec<u64>,
    pub rest: Duration,
}

impl CommonFlags {
    pub fn parse(&self) -> Result<Parsed> {
        if self.tries < -1 {
            bail!(
                "--tries {}: use a number of attempts, or 0 (or -1) for unlimited",
                self.tries
            );
        }
        Ok(Parsed {
            sleep: seconds("sleep", &self.sleep)?,
            timeout_secs: seconds("timeout", &self.timeout)?.as_secs_f64().ceil() as u64,
            tries: self.tries,
            backoff: parse_backoff(&self.backoff).map_err(|e| anyhow!("--backoff: {e}"))?,
            rest: seconds("rest", &self.rest)?,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonFlags,
    /// Exit after this many jobs (0 = no limit).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub max_jobs: u64,
    /// Exit after running this long (0 = no limit).
    #[arg(long, default_value = "0", value_name = "S")]
    pub max_time: String,
    /// Exit as soon as no job is available now (delayed jobs stay queued).
    #[arg(long)]
    pub stop_when_empty: bool,
    /// Exit once no job has been available for S seconds.
    #[arg(long, value_name = "S")]
    pub stop_when_empty_for: Option<String>,
    /// Exit once no job of these queues is available or delayed (waits out retries' backoff).
    #[arg(long)]
    pub stop_when_done: bool,
    /// Exit 1 if any job this worker ran failed for good (for CI).
    #[arg(long)]
    pub exit_on_failure: bool,
    /// Process at most one job, then exit.
    #[arg(long)]
    pub once: bool,
    /// This worker's name.
    #[arg(long, default_value = "default")]
    pub name: String,
    /// Jobs to run at once in this worker.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub concurrency: usize,
}

fn seconds(flag: &str, text: &str) -> Result<Duration> {
    parse_duration(text).map_err(|e| anyhow!("--{flag}: {e}"))
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let common = args.common.parse()?;
    let target = ctx.target(args.common.connection.as_deref())?;
    let queues: Vec<String> = match &args.common.queue {
        Some(list) => list.split(',').map(|q| q.trim().to_string()).collect(),
        None => vec![target.default_queue.clone()],
    };
    for q in &queues {
        validate_queue_name(q).map_err(|e| anyhow!("--queue: {e}"))?;
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let max_time = seconds("max-time", &args.max_time)?;
    let opts = Options {
        queues,
        sleep: common.sleep,
        max_jobs: args.max_jobs,
        max_time: (!max_time.is_zero()).then_some(max_time),
        stop_when_empty: args.stop_when_empty,
        stop_when_empty_for: args
            .stop_when_empty_for
            .as_deref()
            .map(|s| seconds("stop-when-empty-for", s))
            .transpose()?,
        stop_when_done: args.stop_when_done,
        once: args.once,
        timeout_secs: common.timeout_secs,
        tries: common.tries,
        backoff: common.backoff,
        rest: common.rest,
        memory_mb: args.common.memory,
        name: args.name.clone(),
        force: args.common.force,
        concurrency: args.concurrency,
        lease: Duration::from_secs(target.retry_after_secs),
        connection: target.connection.clone(),
        database_env: target.location.as_env(),
        retain_done_ms: target.retain_done_ms,
        retain_events_ms: target.retain_events_ms,
        hooks: target.hooks.clone(),
        retain_metrics_ms: target.retain_metrics_ms,
        named_jobs: target.named_jobs.clone(),
        allow_commands: target.allow_commands,
        keys: Arc::new(crate::crypto::Keys::from_env()?),
        handlers: Default::default(),
        claim_ahead: false,
        handle_signals: true,
        guard: true,
    };
    if let crate::config::Location::Sqlite(path) = &target.location {
        refuse_writable_by_others(path)?;
    }
    let mut store = ctx.open_waiting(&target)?;
    if !ctx.out.json && !ctx.out.quiet && ctx.out.verbose {
        crate::output::error_line(&format!(
            "Processing jobs from {} ({}).",
            opts.queues
                .iter()
                .map(|q| format!("{}:{q}", target.connection))
                .collect::<Vec<_>>()
                .join(", "),
            target.location.describe()
        ));
    }
    crate::output::keep_running_on_closed_pipe();
    let mut reporter = WorkLines {
        out: ctx.out,
        clock: Arc::clone(&ctx.clock),
        connection: target.connection.clone(),
        failed: 0,
    };
    let stop = worker::run(store.as_mut(), Arc::clone(&ctx.clock), &opts, &mut reporter)?;
    if stop == worker::Stop::Memory && !ctx.out.quiet {
        // Exit 12 is for the supervisor; a person reading the log is told why.
        crate::output::error_line(&format!(
            "Worker stopped: its memory use reached --memory {} MB (exit 12; the supervisor starts a fresh one).",
            opts.memory_mb
        ));
    } else if ctx.out.verbose && !ctx.out.json {
        crate::output::error_line(&format!("Worker stopped: {}.", stop.as_str()));
    }
    if args.exit_on_failure && reporter.failed > 0 && stop.exit_code() == 0 {
        eprintln!(
            "queue: {} job(s) failed for good (see `queue failed`)",
            reporter.failed
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::from(stop.exit_code()))
}

/// Whoever can write the store can make this worker run commands: refuse a store file or
/// directory that group or others may write.
fn refuse_writable_by_others(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    for (what, p, fix) in [("file", path, "600"), ("directory", dir, "700")] {
        let Ok(meta) = std::fs::metadata(p) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        // A sticky shared directory such as /tmp is fine: others cannot replace our file.
        let sticky = meta.permissions().mode() & 0o1000 != 0;
        if mode & 0o022 != 0 && !(what == "directory" && sticky) {
            bail!(
                "refusing to work: the store {what} {} is writable by group or others (mode {mode:03o}), so anyone could make this worker run commands; run `chmod {fix} {}`",
                p.display(),
                p.display()
            );
        }
    }
    Ok(())
}

/// One line per job event: time, job name, RUNNING, then DONE / RELEASED / FAIL with the
/// duration; or JSON Lines with --json.
struct WorkLines {
    out: Output,
    clock: Arc<dyn Clock>,
    connection: String,
    /// Jobs that failed for good (for --exit-on-failure).
    failed: u64,
}

const LINE_WIDTH: usize = 78;

impl WorkLines {
    fn human(&self, name: &str, detail: &str, status: &str, color: Color) {
        let time = format_local(self.clock.now_ms());
        let used = time.len() + name.chars().count() + detail.chars().count() + status.len() + 6;
        let dots = ".".repeat(LINE_WIDTH.saturating_sub(used).max(3));
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!("{detail} ")
        };
        self.out.line(&format!(
            "  {} {name} {} {detail}{}",
            self.out.paint(&time, Color::Dim),
            self.out.paint(&dots, Color::Dim),
            self.out.paint(status, color)
        ));
    }
}

impl Reporter for WorkLines {
    fn report(&mut self, event: Event<'_>) {
        if let Event::Finished {
            decision: Decision::Fail { .. },
            ..
        } = &event
        {
            self.failed += 1;
        }
        if self.out.quiet {
            return;
        }
        let (job, status, result, message, elapsed) = match &event {
            Event::StoreUnavailable { .. } | Event::StoreBack { .. } => {
                return self.store_event(&event);
            }
            Event::Started { job } => (*job, "starting", None, None, None),
            Event::Finished {
                job,
                decision,
                elapsed,
                not_started: Some(why),
                ..
            } => match decision {
                Decision::Release { delay_ms, .. } => (
                    *job,
                    "released_after_exception",
                    Some("released"),
                    Some(format!(
                        "{why}; retried in {}s",
                        (*delay_ms as f64 / 1000.0).ceil()
                    )),
                    Some(*elapsed),
                ),
                _ => (
                    *job,
                    "failed",
                    Some("failed"),
                    Some(why.to_string()),
                    Some(*elapsed),
                ),
            },
            Event::Finished {
                job,
                decision,
                elapsed,
                cause,
                not_started: None,
            } => match decision {
                Decision::Complete => (*job, "success", Some("deleted"), None, Some(*elapsed)),
                Decision::Release {
                    exception: false, ..
                } => (*job, "success", Some("released"), None, Some(*elapsed)),
                Decision::Release {
                    exception: true,
                    delay_ms,
                } => (
                    *job,
                    "released_after_exception",
                    Some("released"),
                    // Why it threw, and when it runs again (as its event says).
                    Some(format!(
                        "{}; retried in {}s",
                        cause.unwrap_or("an exception"),
                        (*delay_ms as f64 / 1000.0).ceil()
                    )),
                    Some(*elapsed),
                ),
                Decision::Fail { reason } => (
                    *job,
                    "failed",
                    Some("failed"),
                    Some(reason.lines().next().unwrap_or("").to_string()),
                    Some(*elapsed),
                ),
            },
            Event::HeldBack { job, reason, .. } => (
                *job,
                "held",
                Some("released"),
                Some(reason.to_string()),
                None,
            ),
            Event::Skipped { job, reason } => (
                *job,
                "skipped",
                Some("deleted"),
                Some(reason.to_string()),
                None,
            ),
            Event::Lost { job } => (
                *job,
                "lease_lost",
                None,
                Some("the reservation expired and the job was taken again; this attempt's outcome was not recorded".to_string()),
                None,
            ),
        };
        if self.out.json {
            // The event's name and fields (PRODUCT.md §9) beside the fields lines had before.
            let event = match (status, result) {
                ("starting", _) => Some(event_name::PROCESSING),
                ("success", Some("deleted")) | ("skipped", _) => Some(event_name::PROCESSED),
                ("success", _) | ("held", _) => Some(event_name::RELEASED),
                ("released_after_exception", _) => Some(event_name::RELEASED_AFTER_EXCEPTION),
                ("failed", _) => Some(event_name::FAILED),
                _ => None,
            };
            let mut record = json!({
                "event": event,
                "at": format_rfc3339(self.clock.now_ms()),
                "name": job.payload.display_name,
                "attempt": job.attempts,
                "host": worker::hostname(),
                "exit_code": job.exit.code,
                "signal": job.exit.signal,
                "duration_ms": elapsed.map(|e| e.as_millis() as i64),
                "batch_id": job.payload.batch_id,
                "level": if matches!(status, "starting" | "success" | "held" | "skipped") { "info" } else { "warning" },
                "uuid": job.uuid,
                "connection": self.connection,
                "queue": job.queue,
                "job": job.payload.display_name,
                "status": status,
                "attempts": job.attempts,
                "timestamp": format_rfc3339(self.clock.now_ms()),
            });
            if let Some(result) = result {
                record["result"] = json!(result);
            }
            if let Some(message) = message {
                record["message"] = json!(message);
            }
            if let Some(elapsed) = elapsed {
                record["duration"] = json!((elapsed.as_secs_f64() * 1e6).round() / 1e6);
            }
            let _ = self.out.json_line(&record);
            return;
        }
        let name = if self.out.verbose {
            format!(
                "{} [{} {}:{} attempt {}]",
                job.payload.display_name, job.uuid, self.connection, job.queue, job.attempts
            )
        } else {
            job.payload.display_name.clone()
        };
        let took = elapsed.map(format_elapsed).unwrap_or_default();
        match (status, result) {
            ("starting", _) => self.human(&name, "", "RUNNING", Color::Blue),
            ("success", Some("deleted")) => self.human(&name, &took, "DONE", Color::Green),
            ("success", _) => self.human(&name, &took, "RELEASED", Color::Yellow),
            ("held" | "skipped" | "released_after_exception", _) => {
                let word = match status {
                    "held" => "HELD",
                    "skipped" => "SKIPPED",
                    _ => "FAIL",
                };
                self.human(&name, &took, word, Color::Yellow);
                if let Some(message) = message {
                    self.out
                        .line(&format!("    {}", self.out.paint(&message, Color::Yellow)));
                }
            }
            ("lease_lost", _) => self.human(&name, "", "LOST", Color::Red),
            _ => {
                self.human(&name, &took, "FAIL", Color::Red);
                if let Some(message) = message {
                    self.out
                        .line(&format!("    {}", self.out.paint(&message, Color::Red)));
                }
            }
        }
    }
}

impl WorkLines {
    /// The store went away or came back: one line on stderr, or a JSON Lines record.
    fn store_event(&self, event: &Event<'_>) {
        let (status, level, text, down) = match event {
            Event::StoreUnavailable { error } => (
                "store_unavailable",
                "warning",
                format!("the store is unavailable, retrying (running jobs go on): {error}"),
                None,
            ),
            Event::StoreBack { down } => (
                "store_available",
                "info",
                format!(
                    "the store is available again after {}",
                    format_elapsed(*down)
                ),
                Some(*down),
            ),
            _ => return,
        };
        if self.out.json {
            let mut record = json!({
                "level": level,
                "connection": self.connection,
                "status": status,
                "message": text,
                "timestamp": format_rfc3339(self.clock.now_ms()),
            });
            if let Some(down) = down {
                record["duration"] = json!((down.as_secs_f64() * 1e6).round() / 1e6);
            }
            let _ = self.out.json_line(&record);
        } else {
            eprintln!("  {} queue: {text}", format_local(self.clock.now_ms()));
        }
    }
}

fn format_elapsed(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.2}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}
