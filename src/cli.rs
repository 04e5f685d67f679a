//! The command line: global flags and one subcommand per file under `commands/`.

use crate::commands::*;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Laravel's queue system for shell commands: dispatch jobs into a durable store and run
/// workers that honour tries, backoff, timeouts and delays, then inspect and retry failures.
#[derive(Debug, Parser)]
#[command(
    name = "queue",
    version,
    max_term_width = 100,
    propagate_version = true
)]
pub struct Cli {
    /// The store: a SQLite file path, or a postgres:// URL.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "QUEUE_DATABASE",
        value_name = "URL|PATH"
    )]
    pub database: Option<String>,

    /// The connection of queue.toml to use (default: its `default`).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "QUEUE_CONNECTION",
        value_name = "NAME"
    )]
    pub connection: Option<String>,

    /// The queue.toml to read instead of searching upwards from the current directory.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "QUEUE_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    /// Machine-readable output: one JSON document (JSON Lines for streams).
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,

    /// Print nothing but data and errors.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,

    /// Print more detail.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub verbose: bool,

    /// Never colour the output.
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
// Each subcommand's arguments are built only when it is the one invoked: building all of them
// was most of the instructions a one-job `queue dispatch` process ran.
#[command(defer = true)]
pub enum Command {
    /// Put a job on a queue: `queue dispatch -- PROGRAM ARGS…`.
    Dispatch(Box<dispatch::Args>),
    /// Queue commands that run one after another: 'CMD1' 'CMD2' … [--catch CMD].
    Chain(Box<chain::Args>),
    /// Inside a job: add links to the rest of its chain ([--prepend] 'CMD'…).
    ChainAdd(Box<chain_add::Args>),
    /// Queue commands that run as one batch, with then / catch / finally / progress callbacks.
    Batch(Box<batch::Args>),
    /// Inside a batched job: add jobs to its batch.
    BatchAdd(Box<batch::AddArgs>),
    /// List batches, newest first.
    Batches(batches::ListArgs),
    /// Show one batch: counts, progress, state.
    BatchShow(batches::ShowArgs),
    /// Cancel a batch: its queued jobs are skipped.
    BatchCancel(batches::CancelArgs),
    /// Put a batch's failed jobs back on their queue.
    RetryBatch(batches::RetryArgs),
    /// Delete old batches: finished (--hours), unfinished, cancelled.
    PruneBatches(batches::PruneArgs),
    /// Run a worker that processes jobs until it is told to stop.
    Work(work::Args),
    /// Run each job in a fresh `queue work --once` process (re-reads queue.toml every time).
    Listen(listen::Args),
    /// Inside a job: put this job back on its queue (after --delay seconds, or its backoff).
    Release(release::Args),
    /// Inside a job: fail this job now, with no more tries.
    Fail(fail::Args),
    /// Show queue sizes and the oldest waiting job of each queue.
    Status(status::Args),
    /// Serve the operations dashboard, /metrics and the JSON API (loopback unless --token).
    Ui(ui::Args),
    /// Show one job: state, attempts, options and last output.
    Show(show::Args),
    /// List jobs in any state, newest first (filters, --limit, --json).
    Jobs(jobs::Args),
    /// Delete queued or delayed jobs.
    Cancel(cancel::Args),
    /// Make delayed jobs available now.
    RunNow(run_now::Args),
    /// Block until jobs, a batch, a chain or queues have ended; exit 1 if any failed.
    Wait(wait::Args),
    /// Print an attempt's output; --follow streams a running one's.
    Logs(logs::Args),
    /// Print the recorded events (job.queued, job.failed, worker.stopping …); --follow streams
    /// new ones from every host.
    Events(events::Args),
    /// List failed jobs, newest first (--queue, --name, --since, --grep, --exit-code …).
    Failed(failed::Args),
    /// Put failed jobs back on their queue: UUID…, `all`, or a selection (--queue, --since …).
    Retry(retry::Args),
    /// Exit 1 with ALERT rows when a queue holds --max jobs or more (for cron).
    Monitor(monitor::Args),
    /// Delete failed jobs: UUID…, `all`, or a selection (--queue, --since …).
    Forget(forget::Args),
    /// Delete all failed jobs (or those older than --hours).
    Flush(flush::Args),
    /// Delete failed jobs older than --hours (default 24).
    PruneFailed(prune_failed::Args),
    /// Delete every job of a queue, including delayed and reserved ones.
    Clear(clear::Args),
    /// Tell every worker to exit after its current job (for deploys).
    Restart(restart::Args),
    /// Stop workers from taking jobs from a queue: [CONNECTION:]QUEUE.
    Pause(pause::PauseArgs),
    /// Let workers take jobs from a paused queue again: [CONNECTION:]QUEUE.
    Resume(pause::ResumeArgs),
    /// Maintenance mode: workers take no jobs (unless started with --force).
    Down(maintenance::DownArgs),
    /// Leave maintenance mode.
    Up(maintenance::UpArgs),
    /// Print a supervisord program section that runs workers for this store.
    SupervisorConfig(supervisor::SupervisorArgs),
    /// Print a systemd unit that runs workers for this store.
    SystemdUnit(supervisor::SystemdArgs),
    /// Run a command while holding a store-wide lock: KEY [--block S] [--for S] -- CMD…
    Lock(lock::Args),
    /// Print a new random key for QUEUE_KEY (encrypted jobs).
    KeyGenerate(key_generate::Args),
    /// Write the SQL for the jobs table (and the tables workers use) into ./migrations/.
    Table(table::Args),
    /// Write the SQL for the failed_jobs table into ./migrations/.
    FailedTable(table::Args),
    /// Write the SQL for the job_batches table into ./migrations/.
    BatchesTable(table::Args),
    /// Measure this machine: dispatch, drain, pickup and handler rates beside their limits.
    Bench(bench::Args),
    /// Apply pending schema migrations to the store.
    Migrate(migrate::Args),
    /// Print shell completions: bash, zsh, fish, elvish or powershell.
    Completions(completions::Args),
    /// Print the man page (roff).
    #[command(hide = true)]
    Man(completions::ManArgs),
    /// Internal: the helper that kills a dead worker's jobs.
    #[command(hide = true)]
    Guard,
}
