//! Output: human tables and lines on a terminal or in a pipe, JSON for scripts. Commands hand
//! their results here so the two views cannot drift. Data goes to stdout, diagnostics to stderr.

use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Cell, ColumnConstraint, ContentArrangement, Row, Table,
};
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

    /// The result of a command that changes something: a JSON document with --json, else a
    /// human message (suppressed by --quiet).
    pub fn done(&self, json: serde_json::Value, text: &str) -> anyhow::Result<()> {
        if self.json {
            self.json(&json)
        } else {
            self.say(text);
            Ok(())
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

    /// A table with these headers and rows. Id columns (`uuid`, `id`, `worker`) and times (`… at`)
    /// never wrap, so an
    /// id can be copied: where the table would not fit they show the shortest prefix that is
    /// unique among the rows (at least 8 characters) instead. Other cells are truncated to
    /// one line rather than wrapped.
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) {
        self.line(&table_text(headers, rows));
    }

    /// A table whose rows are printed as they come (`row`, then `finish`), for listings of
    /// any length: up to a page of rows it is `table`; past that, the first page is laid out as
    /// `table` lays it out and every later row is printed at once in the same columns, cut to
    /// their widths.
    pub fn streamed_table(&self, headers: &[&str]) -> StreamedTable {
        StreamedTable {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            layout: None,
        }
    }
}

/// See `Output::streamed_table`.
pub struct StreamedTable {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Once the first page is printed: each column's inner width and the bottom border.
    layout: Option<(Vec<usize>, String)>,
}

impl StreamedTable {
    /// Rows laid out together before the columns are fixed.
    pub const PAGE: usize = 1_000;

    pub fn row(&mut self, row: Vec<String>) {
        if let Some((widths, _)) = &self.layout {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .zip(&self.headers)
                .map(|((cell, w), header)| {
                    let cell = cell.lines().next().unwrap_or("");
                    // Ids are shortened to a prefix, as `table` does, other text cut with `…`.
                    if matches!(header.as_str(), "uuid" | "id" | "worker") {
                        fit(&cell.chars().take(*w).collect::<String>(), *w)
                    } else {
                        fit(cell, *w)
                    }
                })
                .collect();
            write_stdout(format!("│ {} │\n", cells.join(" ┆ ")).as_bytes());
            return;
        }
        self.rows.push(row);
        if self.rows.len() > Self::PAGE {
            let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
            let text = table_text(&headers, std::mem::take(&mut self.rows));
            let mut lines: Vec<&str> = text.lines().collect();
            let bottom = lines.pop().unwrap_or_default().to_string();
            // The top border (┌───┬──┐) gives each column's width, its padding included.
            let widths = lines
                .first()
                .map(|top| {
                    top.trim_start_matches('┌')
                        .trim_end_matches('┐')
                        .split('┬')
                        .map(|seg| seg.chars().count().saturating_sub(2))
                        .collect()
                })
                .unwrap_or_default();
            let mut head = lines.join("\n");
            head.push('\n');
            write_stdout(head.as_bytes());
            self.layout = Some((widths, bottom));
        }
    }

    /// Print what is left; false when there were no rows at all.
    pub fn finish(self) -> bool {
        match self.layout {
            Some((_, bottom)) => {
                write_stdout(format!("{bottom}\n").as_bytes());
                true
            }
            None if self.rows.is_empty() => false,
            None => {
                let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
                write_stdout(format!("{}\n", table_text(&headers, self.rows)).as_bytes());
                true
            }
        }
    }
}

/// `text` padded or cut (with …) to `width` characters.
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text}{}", " ".repeat(width - n))
    } else if width == 0 {
        String::new()
    } else {
        let mut cut: String = text.chars().take(width - 1).collect();
        cut.push('…');
        cut
    }
}

/// The text of the table `Output::table` prints.
fn table_text(headers: &[&str], mut rows: Vec<Vec<String>>) -> String {
    let width = table_width();
    let is_id = |h: &str| matches!(h, "uuid" | "id" | "worker");
    let natural = |rows: &[Vec<String>]| -> usize {
        (0..headers.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([headers[i].chars().count()])
                    .max()
                    .unwrap_or(0)
                    + 3
            })
            .sum::<usize>()
            + 1
    };
    if natural(&rows) > width {
        for (i, _) in headers.iter().enumerate().filter(|(_, h)| is_id(h)) {
            let ids: Vec<String> = rows.iter().map(|r| r[i].clone()).collect();
            let keep = unique_prefix_len(&ids);
            for row in &mut rows {
                if row[i].chars().count() > keep {
                    row[i] = row[i].chars().take(keep).collect();
                }
            }
        }
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_truncation_indicator("…")
        .set_width(width.min(u16::MAX as usize) as u16)
        .set_header(headers.iter().map(Cell::new));
    for row in rows {
        let mut row = Row::from(row);
        row.max_height(1);
        table.add_row(row);
    }
    for (i, header) in headers.iter().enumerate() {
        // Ids and times are never wrapped or cut; free text gives way.
        if is_id(header) || header.ends_with(" at") {
            if let Some(column) = table.column_mut(i) {
                column.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }
    table.to_string()
}

/// The width tables are laid out for: `COLUMNS` if set, else the terminal's, else (in a pipe)
/// 200 columns.
fn table_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n >= 20)
    {
        return n;
    }
    if std::io::stdout().is_terminal() {
        if let Some(w) = Table::new().width() {
            return w as usize;
        }
    }
    200
}

/// The shortest prefix length (at least 8) at which every id of the list differs from the
/// others.
pub fn unique_prefix_len(ids: &[String]) -> usize {
    let longest = ids.iter().map(|i| i.chars().count()).max().unwrap_or(0);
    let mut len = 8.min(longest);
    while len < longest {
        let mut seen = std::collections::HashSet::new();
        if ids
            .iter()
            .all(|id| seen.insert(id.chars().take(len).collect::<String>()))
        {
            break;
        }
        len += 1;
    }
    len
}

/// A stored payload as `--json` shows it: every key in snake_case like the rest of the output
/// (the store keeps Laravel's camelCase), except inside the user's own `data` and `env`.
pub fn snake_case_payload(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if k == "data" || k == "env" {
                        v
                    } else {
                        snake_case_payload(v)
                    };
                    (snake_case(&k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_case_payload).collect()),
        other => other,
    }
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
