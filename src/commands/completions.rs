//! `queue completions SHELL` and the hidden `queue man`: generated from the clap definition, so
//! they always match the binary. The copies under completions/ and man/ are kept current by a test.

use crate::cli::Cli;
use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write every page (queue.1 and one queue-COMMAND.1 per command) into this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
    /// Print this command's page instead of queue.1.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    // Rendered in memory first: clap_complete panics on a failed write (a closed pipe).
    let mut text = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "queue", &mut text);
    crate::output::write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

pub fn man(args: ManArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (file, text) in pages(&cmd)? {
            let path = dir.join(&file);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let text = match &args.command {
        None => main_page(&cmd)?,
        Some(name) => match cmd
            .get_subcommands()
            .find(|s| s.get_name() == name && !s.is_hide_set())
        {
            Some(sub) => page(sub)?,
            None => {
                return Err(crate::app::usage_error(format!(
                    "no command '{name}': `queue --help` lists them"
                )))
            }
        },
    };
    crate::output::write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

/// Every page: queue.1 and queue-COMMAND.1 for each visible command.
fn pages(cmd: &clap::Command) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = vec![("queue.1".to_string(), main_page(cmd)?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.push((format!("queue-{}.1", sub.get_name()), page(sub)?));
    }
    Ok(out)
}

/// One command's page (its options, global ones included).
fn page(sub: &clap::Command) -> Result<Vec<u8>> {
    let mut text = Vec::new();
    clap_mangen::Man::new(sub.clone()).render(&mut text)?;
    Ok(text)
}

/// queue.1: clap's sections, then exit status, environment, files and examples.
fn main_page(cmd: &clap::Command) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut text = Vec::new();
    man.render_title(&mut text)?;
    man.render_name_section(&mut text)?;
    man.render_synopsis_section(&mut text)?;
    man.render_description_section(&mut text)?;
    man.render_options_section(&mut text)?;
    man.render_subcommands_section(&mut text)?;
    text.extend_from_slice(EXTRA_SECTIONS.as_bytes());
    man.render_version_section(&mut text)?;
    Ok(text)
}

/// The sections of queue.1 that clap does not know (roff).
const EXTRA_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
0
success (also a dispatch skipped by \fB\-\-if\fR/\fB\-\-unless\fR or a held unique lock)
.TP
1
an error: bad input, unknown id, no store, unreadable store; \fBmonitor\fR: an ALERT
.TP
2
a usage error: unknown flag, missing argument, bad flag value
.TP
3
\fBmonitor\fR: the store could not be read
.TP
12
\fBwork\fR: the worker stopped for \fB\-\-memory\fR
.TP
126, 127
\fBdispatch \-\-sync\fR: the program is not executable / not found
.PP
\fBdispatch \-\-sync\fR otherwise exits with the job's status (128+N for a signal, 124 for a timeout).
.SH ENVIRONMENT
.TP
QUEUE_DATABASE
the store: a SQLite file path or a postgres:// URL (as \fB\-\-database\fR)
.TP
QUEUE_CONNECTION
the connection of queue.toml to use (as \fB\-\-connection\fR)
.TP
QUEUE_CONFIG
the queue.toml to read (as \fB\-\-config\fR)
.TP
QUEUE_KEY, QUEUE_PREVIOUS_KEYS
the key of encrypted jobs (\fBqueue key\-generate\fR prints one), and older keys to open them with
.TP
QUEUE_FAILED_DRIVER
\fBnull\fR discards failed jobs
.TP
NO_COLOR, COLUMNS
no colours; the width tables are laid out for
.TP
QUEUE_JOB_ID, QUEUE_JOB_NAME, QUEUE_ATTEMPT, QUEUE_MAX_TRIES, QUEUE_QUEUE, QUEUE_CONNECTION, QUEUE_BATCH_ID, QUEUE_JOB_TOKEN
given to every job (with QUEUE_DATABASE), so that \fBqueue release\fR and \fBqueue fail\fR work inside it
.SH FILES
.TP
queue.toml
connections, named jobs and worker settings, searched from the current directory upwards
.TP
$XDG_DATA_HOME/queue/queue.sqlite (~/.local/share/queue/queue.sqlite)
the store when nothing else names one
.SH EXAMPLES
.nf
queue dispatch \-\-queue emails \-\-tries 3 \-\-backoff 1,5,10 \-\- ./send.sh 42
queue dispatch \-\-delay 5m \-\-payload '{"id": 7}' \-\- ./import.sh
queue work \-\-queue high,default \-\-stop\-when\-empty
queue failed
queue retry all
queue monitor default,emails \-\-max 500 || notify\-oncall
.fi
.PP
Every command has its own page: \fBqueue\-dispatch\fR(1), \fBqueue\-work\fR(1) and so on
(\fBqueue man \-\-dir DIR\fR writes them all).
"#;
