//! The `queue` binary: the command line of the library (`queue::main_cli`), which parses it,
//! runs it, and turns errors into one line on stderr with exit status 1 (clap's usage errors
//! exit 2).

fn main() -> std::process::ExitCode {
    queue::main_cli()
}
