//! Output: human tables and lines on a terminal or in a pipe, JSON for scripts. Commands hand
//! their results here so the two views cannot drift. Data goes to stdout, diagnostics to stderr.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use serde::Serialize;
use std::io::{IsTerminal, Write};

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
        let mut out = std::io::stdout().lock();
        // A closed pipe (`queue failed | head`) is not an error worth a message.
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
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
            eprintln!("{text}");
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
