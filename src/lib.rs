//! `queue`: Laravel's queue system for shell commands, on an embedded SQLite store.
//!
//! Layers: `cli` and `commands` (the command line) → `app` (what commands share) →
//! `domain` (the rules, no I/O), `store` (persistence behind one trait), `worker` (processes,
//! timeouts, signals) and `output` (tables and JSON). Only `clock` reads the wall clock.
//!
//! As a library: [`api`] opens a store, dispatches jobs and runs workers with Rust handlers.
//! The command line is private to the crate; the `queue` binary runs it through [`main_cli`].

pub mod api;
mod app;
mod bench;
mod cli;
pub mod clock;
mod commands;
pub mod config;
pub mod crypto;
pub mod domain;
mod output;
pub mod store;
mod ui;
pub mod worker;

use anyhow::Result;
use cli::{Cli, Command};
use commands::*;
use std::process::ExitCode;

/// The `queue` command line: parse the arguments, run the command, and turn an error into one
/// line on stderr with exit status 1 (clap's usage errors exit 2).
pub fn main_cli() -> ExitCode {
    // `COMPLETE=bash queue` prints the shell's registration; the shell then calls back with
    // COMPLETE set for each completion (named jobs, queues and ids come from commands::complete).
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command).complete();
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout (exit 0), usage errors to stderr (exit 2); a closed
            // pipe ends quietly.
            let e = without_env_in_usage(e);
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` joins the context chain into one line: "what failed: why".
            output::error_line(&format!("queue: error: {e:#}"));
            ExitCode::from(app::exit_code_of(&e))
        }
    }
}

/// `Cli::try_parse()`, without taking clap's command tree and matches apart afterwards: they
/// live until the process exits, which frees them all at once (dropping them cost about a
/// twentieth of a short command such as `queue dispatch`).
fn parse_args() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let command = Box::leak(Box::new(Cli::command()));
    let matches = Box::leak(Box::new(
        command.try_get_matches_from_mut(std::env::args_os())?,
    ));
    Cli::from_arg_matches_mut(matches).map_err(|e| e.format(&mut Cli::command()))
}

/// clap's usage line of an error names every flag that was given, and a flag the environment
/// gave (QUEUE_DATABASE …) counts: `Usage: queue show --database <URL|PATH> <UUID>` reads as if
/// `--database` were required. Parse again without the environment's values, for the same error
/// with the usage line of what was typed.
fn without_env_in_usage(e: clap::Error) -> clap::Error {
    use clap::CommandFactory;
    if !matches!(
        e.kind(),
        clap::error::ErrorKind::MissingRequiredArgument
            | clap::error::ErrorKind::MissingSubcommand
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            | clap::error::ErrorKind::ArgumentConflict
            | clap::error::ErrorKind::TooManyValues
            | clap::error::ErrorKind::TooFewValues
            | clap::error::ErrorKind::WrongNumberOfValues
            | clap::error::ErrorKind::UnknownArgument
            | clap::error::ErrorKind::InvalidSubcommand
    ) {
        return e;
    }
    let cmd = ["database", "connection", "config"]
        .into_iter()
        .fold(Cli::command(), |cmd, id| {
            cmd.mut_arg(id, |arg| arg.env(None::<&str>))
        });
    match cmd.try_get_matches_from(std::env::args_os()) {
        Err(plain) if plain.kind() == e.kind() => plain,
        _ => e,
    }
}

/// Run a parsed command line; errors are reported by `main_cli`.
fn run(cli: Cli) -> Result<ExitCode> {
    let out = output::Output::new(cli.json, cli.quiet, cli.verbose, cli.no_color);
    let selection = config::Selection {
        database: cli.database.filter(|d| !d.is_empty()),
        connection: cli.connection.filter(|c| !c.is_empty()),
        config: cli.config,
        failed_driver: std::env::var("QUEUE_FAILED_DRIVER")
            .ok()
            .filter(|d| !d.is_empty()),
    };
    // Commands that need no store or config.
    match cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return completions::man(args),
        Command::Guard => return Ok(worker::guard::run_guard()),
        _ => {}
    }
    let ctx = app::Ctx::new(selection, out)?;
    match cli.command {
        Command::Dispatch(args) => dispatch::run(*args, &ctx),
        Command::Work(args) => work::run(args, &ctx),
        Command::Chain(args) => chain::run(*args, &ctx),
        Command::Batch(args) => batch::run(*args, &ctx),
        Command::BatchAdd(args) => batch::add(*args, &ctx),
        Command::ChainAdd(args) => chain_add::run(*args, &ctx),
        Command::Batches(args) => batches::list(args, &ctx),
        Command::BatchShow(args) => batches::show(args, &ctx),
        Command::BatchCancel(args) => batches::cancel(args, &ctx),
        Command::RetryBatch(args) => batches::retry(args, &ctx),
        Command::PruneBatches(args) => batches::prune(args, &ctx),
        Command::Table(args) => table::run(table::Which::Jobs, args, &ctx),
        Command::FailedTable(args) => table::run(table::Which::Failed, args, &ctx),
        Command::BatchesTable(args) => table::run(table::Which::Batches, args, &ctx),
        Command::Listen(args) => listen::run(args, &ctx),
        Command::Monitor(args) => monitor::run(args, &ctx),
        Command::SupervisorConfig(args) => supervisor::supervisor(args, &ctx),
        Command::SystemdUnit(args) => supervisor::systemd(args, &ctx),
        Command::Release(args) => release::run(args, &ctx),
        Command::Fail(args) => fail::run(args, &ctx),
        Command::Status(args) => status::run(args, &ctx),
        Command::Ui(args) => commands::ui::run(args, &ctx),
        Command::Show(args) => show::run(args, &ctx),
        Command::Jobs(args) => commands::jobs::run(args, &ctx),
        Command::Cancel(args) => commands::cancel::run(args, &ctx),
        Command::RunNow(args) => commands::run_now::run(args, &ctx),
        Command::Wait(args) => commands::wait::run(args, &ctx),
        Command::Logs(args) => commands::logs::run(args, &ctx),
        Command::Events(args) => commands::events::run(args, &ctx),
        Command::Failed(args) => failed::run(args, &ctx),
        Command::Retry(args) => retry::run(args, &ctx),
        Command::Forget(args) => forget::run(args, &ctx),
        Command::Flush(args) => flush::run(args, &ctx),
        Command::PruneFailed(args) => prune_failed::run(args, &ctx),
        Command::Clear(args) => clear::run(args, &ctx),
        Command::Restart(args) => restart::run(args, &ctx),
        Command::Pause(args) => pause::pause(args, &ctx),
        Command::Resume(args) => pause::resume(args, &ctx),
        Command::Down(args) => maintenance::down(args, &ctx),
        Command::Up(args) => maintenance::up(args, &ctx),
        Command::Migrate(args) => migrate::run(args, &ctx),
        Command::Bench(args) => commands::bench::run(args, &ctx),
        Command::Lock(args) => lock::run(args, &ctx),
        Command::KeyGenerate(args) => key_generate::run(args, &ctx),
        Command::Completions(_) | Command::Man(_) | Command::Guard => {
            unreachable!("handled above")
        }
    }
}
