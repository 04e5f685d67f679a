//! `queue completions SHELL` and the hidden `queue man`: generated from the clap definition, so
//! they always match the binary. The copies under completions/ and man/ are kept current by a test.

use crate::cli::Cli;
use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    // Rendered in memory first: clap_complete panics on a failed write (a closed pipe).
    let mut text = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "queue", &mut text);
    crate::output::write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

pub fn man(_args: ManArgs) -> Result<ExitCode> {
    let mut text = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut text)?;
    crate::output::write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}
