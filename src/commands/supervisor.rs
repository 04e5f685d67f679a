//! `queue supervisor-config` and `queue systemd-unit`: print a process-manager configuration
//! that runs workers for this store. The stop timeout is longer than the longest job timeout, so
//! SIGTERM lets running jobs finish before the manager resorts to SIGKILL.

use crate::app::Ctx;
use anyhow::{anyhow, Context, Result};
use std::process::ExitCode;

// Options shared by both generators (a plain comment: a doc comment would become the about
// text of each command that flattens it, once subcommands are built deferred).
#[derive(Debug, clap::Args)]
pub struct WorkerFlags {
    /// Arguments for `queue work` (e.g. --queue high,default --tries 3).
    #[arg(
        long,
        value_name = "ARGS",
        default_value = "--sleep 3 --tries 3",
        allow_hyphen_values = true
    )]
    pub work_args: String,
    /// The workers' job timeout, in seconds (given to `queue work --timeout` unless
    /// --work-args has one); the stop timeout is the longest timeout plus a margin.
    #[arg(long, value_name = "S")]
    pub timeout: Option<u64>,
    /// The user the workers run as (default: the current one).
    #[arg(long)]
    pub user: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SupervisorArgs {
    /// The supervisord program name.
    #[arg(long, default_value = "queue-worker")]
    pub program: String,
    /// How many worker processes.
    #[arg(long, default_value_t = 2)]
    pub numprocs: u32,
    #[command(flatten)]
    pub worker: WorkerFlags,
}

#[derive(Debug, clap::Args)]
pub struct SystemdArgs {
    #[command(flatten)]
    pub worker: WorkerFlags,
}

/// What both generators need: the binary, the store, the directory, the stop timeout.
struct Setup {
    command: String,
    directory: String,
    database: String,
    user: String,
    stop_secs: u64,
}

fn setup(ctx: &Ctx, flags: &WorkerFlags) -> Result<Setup> {
    let target = ctx.target(None)?;
    let exe = std::env::current_exe().context("cannot find the queue binary")?;
    let user = match &flags.user {
        Some(u) => u.clone(),
        None => std::env::var("USER").unwrap_or_else(|_| "root".into()),
    };
    if flags.work_args.contains('\n') {
        return Err(anyhow!("--work-args must be one line"));
    }
    let in_args = work_args_timeout(&flags.work_args);
    let mut work_args = flags.work_args.clone();
    if let (Some(timeout), 0) = (flags.timeout, in_args) {
        work_args = format!("{} --timeout {timeout}", work_args.trim_end());
    }
    Ok(Setup {
        command: format!("{} work {}", exe.display(), work_args.trim())
            .trim_end()
            .to_string(),
        directory: ctx.cwd.display().to_string(),
        database: target.location.as_env(),
        user,
        // Enough for the longest job, its kill grace, and the worker's own exit.
        stop_secs: flags.timeout.unwrap_or(60).max(in_args) + 30,
    })
}

/// A `--timeout` given inside --work-args counts too: the stop timeout must outlast it.
fn work_args_timeout(work_args: &str) -> u64 {
    let words: Vec<&str> = work_args.split_whitespace().collect();
    words
        .iter()
        .enumerate()
        .filter_map(|(i, w)| match w.strip_prefix("--timeout") {
            Some("") => words.get(i + 1).copied(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        })
        .filter_map(|t| crate::domain::duration::parse_duration(t).ok())
        .map(|d| d.as_secs_f64().ceil() as u64)
        .max()
        .unwrap_or(0)
}

pub fn supervisor(args: SupervisorArgs, ctx: &Ctx) -> Result<ExitCode> {
    let s = setup(ctx, &args.worker)?;
    let program = &args.program;
    let text = format!(
        "[program:{program}]
process_name=%(program_name)s_%(process_num)02d
command={command}
directory={directory}
environment=QUEUE_DATABASE=\"{database}\"
user={user}
numprocs={numprocs}
autostart=true
autorestart=true
stopasgroup=false
killasgroup=false
stopsignal=TERM
stopwaitsecs={stop}
redirect_stderr=true
stdout_logfile=/var/log/{program}.log
",
        command = s.command,
        directory = s.directory,
        database = s.database,
        user = s.user,
        numprocs = args.numprocs,
        stop = s.stop_secs,
    );
    print_config(ctx, &s, text)
}

pub fn systemd(args: SystemdArgs, ctx: &Ctx) -> Result<ExitCode> {
    let s = setup(ctx, &args.worker)?;
    let text = format!(
        "# Save as /etc/systemd/system/queue-worker@.service, then:
#   systemctl daemon-reload && systemctl enable --now queue-worker@1 queue-worker@2
[Unit]
Description=queue worker %i
After=network.target

[Service]
Type=simple
User={user}
WorkingDirectory={directory}
Environment=QUEUE_DATABASE={database}
ExecStart={command}
# `queue restart` makes a worker exit 0 after its current job: start it again.
Restart=always
RestartSec=1
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec={stop}

[Install]
WantedBy=multi-user.target
",
        user = s.user,
        directory = s.directory,
        database = s.database,
        command = s.command,
        stop = s.stop_secs,
    );
    print_config(ctx, &s, text)
}

/// The configuration as it is, or with --json its parts and the text.
fn print_config(ctx: &Ctx, s: &Setup, text: String) -> Result<ExitCode> {
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "command": s.command,
            "directory": s.directory,
            "database": s.database,
            "user": s.user,
            "stop_timeout_s": s.stop_secs,
            "config": text,
        }))?;
    } else {
        ctx.out.line(&text);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::work_args_timeout;

    #[test]
    fn a_timeout_in_the_work_args_lengthens_the_stop_timeout() {
        assert_eq!(work_args_timeout("--sleep 3 --tries 3"), 0);
        assert_eq!(work_args_timeout("--timeout 300 --tries 3"), 300);
        assert_eq!(work_args_timeout("--timeout=5m"), 300);
    }
}
