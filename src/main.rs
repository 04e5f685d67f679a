//! The `queue` binary: parse the command line, run it, and turn errors into one line on stderr
//! with exit status 1 (clap's usage errors exit 2).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = queue::cli::Cli::parse();
    match queue::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` joins the context chain into one line: "what failed: why".
            eprintln!("queue: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
