//! Output: human tables and lines on a terminal or in a pipe, JSON for scripts. Commands hand
//! their results here so the two views cannot drift. Data goes to stdout, diagnostics to stderr.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by a worker: a closed stdout must not stop it (its jobs are recorded in the store), so
/// its lines are then dropped instead of ending the process.
static KEEP_RUNNING_ON_CLOSED_PIPE: AtomicBool = AtomicBool::new(false);

/// A worker keeps running when its stdout is closed (`queue work | head`).
pub fn keep_running_on_closed_pipe() {
    KEEP_RUNNING_ON_CLOSED_PIPE.store(true, Ordering::Relaxed);
}

/// Write data to stdout. A closed pipe (`queue failed | head`, `queue completions bash | head`)
/// ends the command quietly, as it ends other Unix tools: by SIGPIPE (a worker drops the line).
pub fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let result = out.write_all(bytes).and_then(|()| out.flush());
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe
            && !KEEP_RUNNING_ON_CLOSED_PIPE.load(Ordering::Relaxed)
        {
            // SAFETY: restoring the default action and raising the signal is what a tool that
            // never ignored SIGPIPE would have had happen at this write.
            unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                libc::raise(libc::SIGPIPE);
            }
            std::process::exit(141);
        }
    }
}

/// One line on stderr; a closed stderr is ignored (never a panic).
pub fn error_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub color: bool,
}

/// ANSI colours used in worker lines.
#[derive(Debug, Clone, Copy)]
pub enum Color {
    Green,
    Yellow,
    Red,
    Blue,
    Dim,
}

impl Output {
    pub fn new(json: bool, quiet: bool, verbose: bool, no_color: bool) -> Self {
        let color =
            !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
        Output {
            json,
            quiet,
            verbose,
            color,
        }
    }

    /// Print one JSON document (pretty on a terminal, compact in a pipe).
    pub fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let text = if std::io::stdout().is_terminal() {
            serde_json::to_string_pretty(value)?
        } else {
            serde_json::to_string(value)?
        };
        self.line(&text);
        Ok(())
    }

    /// Print one JSON Lines record (always compact).
    pub fn json_line<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        self.line(&serde_json::to_string(value)?);
        Ok(())
    }

    /// A data line on stdout.
    pub fn line(&self, text: &str) {
        write_stdout(format!("{text}\n").as_bytes());
    }

    /// A human message (not data): stdout, suppressed by --quiet and in JSON mode.
    pub fn say(&self, text: &str) {
        if !self.quiet && !self.json {
            self.line(text);
        }
    }

    /// A notice on stderr (skips, warnings); suppressed by --quiet.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            error_line(text);
        }
    }

    pub fn paint(&self, text: &str, color: Color) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match color {
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Red => "31",
            Color::Blue => "34",
            Color::Dim => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A table with these headers and rows.
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(headers.iter().map(Cell::new));
        if !std::io::stdout().is_terminal() {
            table.set_width(200);
        }
        for row in rows {
            table.add_row(row);
        }
        self.line(&table.to_string());
    }
}
