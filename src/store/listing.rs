//! `Store::list_jobs`, written once for both dialects: every table that holds jobs of the
//! state asked for is read on its own, in the order of its (at, uuid) index (migration 0008),
//! from the cursor with a LIMIT of one page and a row, and the tables are merged here. A page
//! then costs its own rows, however many jobs there are, instead of a sort of all of them.
//!
//! A filter that no index serves (the state of a queued job, a name glob, a text to find) is
//! applied in SQL to a bounded window of each table: the next `WINDOW` rows in index order
//! (found as the one `WINDOW - 1` entries on, by the index alone). A rare match then costs at
//! most that window per table and page, and the page may come back short, with a cursor to look
//! on from where the window ended: a search stays bounded instead of reading a million rows.
//! The dialects only run the two statements built here (`TableRead`).

use super::rows::{ListedRow, Table};
use super::{Direction, JobCursor, JobPage, JobQuery};
use crate::domain::job::JobState;
use anyhow::Result;

/// How many rows of each table one page of a filtered list looks at, at most.
pub const WINDOW: usize = 20_000;

/// The placeholders and functions that differ between the dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value bound to a statement built here.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(i64),
    Text(String),
}

/// A statement built here and the values of its placeholders, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub args: Vec<Arg>,
}

/// What a dialect runs for the listing.
pub trait TableRead {
    /// The `at` and `uuid` of the one row the statement selects, if any.
    fn cursor(&mut self, statement: &Statement) -> Result<Option<JobCursor>>;
    /// The rows (of `table`), with the columns of `ListedRow` by name.
    fn rows(&mut self, table: Table, statement: &Statement) -> Result<Vec<ListedRow>>;
}

/// A table's part of the listing: its name and the columns that play `at` and `text`.
struct Source {
    table: Table,
    name: &'static str,
    at: &'static str,
    text: &'static str,
}

const SOURCES: [Source; 3] = [
    Source {
        table: Table::Jobs,
        name: "jobs",
        at: "created_at",
        text: "last_output",
    },
    Source {
        table: Table::Finished,
        name: "finished_jobs",
        at: "created_at",
        text: "output",
    },
    Source {
        table: Table::Failed,
        name: "failed_jobs",
        at: "failed_at",
        text: "exception",
    },
];

/// Which tables hold jobs of a state.
fn holds(table: Table, state: Option<JobState>) -> bool {
    match (table, state) {
        (_, None) => true,
        (Table::Finished, Some(s)) => s == JobState::Done,
        (Table::Failed, Some(s)) => s == JobState::Failed,
        (Table::Jobs, Some(s)) => !matches!(s, JobState::Done | JobState::Failed),
    }
}

/// One page of jobs, newest first (see the module's comment).
pub fn list_jobs(
    query: &JobQuery,
    now_ms: i64,
    dialect: Dialect,
    db: &mut dyn TableRead,
) -> Result<JobPage> {
    let window = query.window.unwrap_or(WINDOW).max(1);
    let older = query.direction == Direction::Older;
    let mut rows: Vec<ListedRow> = Vec::new();
    // The window's end nearest the cursor, of the tables that have rows past their window:
    // past it, not every table has been looked at.
    let mut frontier: Option<JobCursor> = None;
    for source in SOURCES.iter().filter(|s| holds(s.table, query.state)) {
        let build = Build {
            source,
            query,
            now_ms,
            dialect,
        };
        let end = if build.filtered() {
            db.cursor(&build.window_end(window))?
        } else {
            None
        };
        rows.extend(db.rows(source.table, &build.rows(end.as_ref()))?);
        if let Some(end) = end {
            frontier = Some(match frontier {
                Some(f) if (f > end) == older => f,
                _ => end,
            });
        }
    }
    let key = |r: &ListedRow| JobCursor {
        at_ms: r.at,
        uuid: r.uuid.clone(),
    };
    rows.sort_by_key(key);
    if older {
        rows.reverse();
    }
    if let Some(f) = &frontier {
        rows.retain(|r| if older { key(r) >= *f } else { key(r) <= *f });
    }
    let more = rows.len() > query.page;
    rows.truncate(query.page);
    let next = match rows.last() {
        Some(last) if more => Some(key(last)),
        _ => frontier,
    };
    if !older {
        rows.reverse();
    }
    Ok(JobPage {
        jobs: rows.into_iter().map(|r| r.summary(now_ms)).collect(),
        next,
    })
}

/// The statements of one table for one query.
struct Build<'a> {
    source: &'a Source,
    query: &'a JobQuery,
    now_ms: i64,
    dialect: Dialect,
}

/// A WHERE clause being written, with its placeholders' values.
struct Clause {
    dialect: Dialect,
    terms: Vec<String>,
    args: Vec<Arg>,
}

impl Clause {
    /// A placeholder for `arg`.
    fn bind(&mut self, arg: Arg) -> String {
        let cast = match (&arg, self.dialect) {
            (_, Dialect::Sqlite) => "",
            (Arg::Int(_), Dialect::Postgres) => "::bigint",
            (Arg::Text(_), Dialect::Postgres) => "::text",
        };
        self.args.push(arg);
        match self.dialect {
            Dialect::Sqlite => format!("?{}{cast}", self.args.len()),
            Dialect::Postgres => format!("${}{cast}", self.args.len()),
        }
    }

    fn sql(&self) -> String {
        if self.terms.is_empty() {
            "TRUE".to_string()
        } else {
            self.terms.join(" AND ")
        }
    }
}

impl Build<'_> {
    /// Whether a filter that no index serves applies to this table.
    fn filtered(&self) -> bool {
        let state = self.source.table == Table::Jobs && self.query.state.is_some();
        state || self.query.name.is_some() || self.query.grep.is_some()
    }

    /// The uuid column, compared bytewise on both dialects (as the merge compares it).
    fn uuid(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "uuid",
            Dialect::Postgres => "uuid COLLATE \"C\"",
        }
    }

    fn order(&self) -> String {
        let dir = match self.query.direction {
            Direction::Older => "DESC",
            Direction::Newer => "ASC",
        };
        format!("{} {dir}, {} {dir}", self.source.at, self.uuid())
    }

    /// `(at, uuid) OP (cursor)`.
    fn past(&self, clause: &mut Clause, op: &str, cursor: &JobCursor) {
        let at = clause.bind(Arg::Int(cursor.at_ms));
        let uuid = clause.bind(Arg::Text(cursor.uuid.clone()));
        clause.terms.push(format!(
            "({}, {}) {op} ({at}, {uuid})",
            self.source.at,
            self.uuid()
        ));
    }

    /// What the index serves: the queue, the time and the cursor.
    fn indexed(&self) -> Clause {
        let mut c = Clause {
            dialect: self.dialect,
            terms: Vec::new(),
            args: Vec::new(),
        };
        if let Some(queue) = &self.query.queue {
            let p = c.bind(Arg::Text(queue.clone()));
            c.terms.push(format!("queue = {p}"));
        }
        if let Some(since) = self.query.since_ms {
            let p = c.bind(Arg::Int(since));
            c.terms.push(format!("{} >= {p}", self.source.at));
        }
        if let Some(from) = &self.query.from {
            let op = match self.query.direction {
                Direction::Older => "<",
                Direction::Newer => ">",
            };
            self.past(&mut c, op, from);
        }
        c
    }

    /// The last row of the next `window` rows in index order.
    fn window_end(&self, window: usize) -> Statement {
        let c = self.indexed();
        Statement {
            sql: format!(
                "SELECT {} AS at, uuid FROM {} WHERE {} ORDER BY {} LIMIT 1 OFFSET {}",
                self.source.at,
                self.source.name,
                c.sql(),
                self.order(),
                window - 1
            ),
            args: c.args,
        }
    }

    /// The rows of a page (within the window up to `end`, when there is one).
    fn rows(&self, end: Option<&JobCursor>) -> Statement {
        let mut c = self.indexed();
        if let Some(end) = end {
            let op = match self.query.direction {
                Direction::Older => ">=",
                Direction::Newer => "<=",
            };
            self.past(&mut c, op, end);
        }
        self.unindexed(&mut c);
        let queued = self.source.table == Table::Jobs;
        let (reserved, available) = match (queued, self.dialect) {
            (true, _) => ("reserved_at", "available_at"),
            (false, Dialect::Sqlite) => ("NULL", "NULL"),
            (false, Dialect::Postgres) => ("NULL::bigint", "NULL::bigint"),
        };
        Statement {
            sql: format!(
                "SELECT uuid, queue, name, payload, attempts, {reserved} AS reserved_at, \
                 {available} AS available_at, {} AS at, {} AS text FROM {} WHERE {} \
                 ORDER BY {} LIMIT {}",
                self.source.at,
                self.source.text,
                self.source.name,
                c.sql(),
                self.order(),
                self.query.page.saturating_add(1).min(i64::MAX as usize)
            ),
            args: c.args,
        }
    }

    /// The state of a queued job, the name glob and the text to find.
    fn unindexed(&self, c: &mut Clause) {
        if self.source.table == Table::Jobs {
            match self.query.state {
                Some(JobState::Reserved) => c.terms.push("reserved_at IS NOT NULL".into()),
                Some(JobState::Delayed) => {
                    let p = c.bind(Arg::Int(self.now_ms));
                    c.terms
                        .push(format!("reserved_at IS NULL AND available_at > {p}"));
                }
                Some(JobState::Pending) => {
                    let p = c.bind(Arg::Int(self.now_ms));
                    c.terms
                        .push(format!("reserved_at IS NULL AND available_at <= {p}"));
                }
                _ => {}
            }
        }
        if let Some(glob) = &self.query.name {
            // SQLite's GLOB is case-sensitive, as ours is; `[` is its only other special.
            // PostgreSQL's LIKE is case-sensitive too, with `%`, `_` and `\` escaped.
            let (op, pattern) = match self.dialect {
                Dialect::Sqlite => ("GLOB", glob.replace('[', "[[]")),
                Dialect::Postgres => ("LIKE", like_pattern(glob)),
            };
            let p = c.bind(Arg::Text(pattern));
            c.terms.push(format!("name {op} {p}"));
        }
        if let Some(text) = &self.query.grep {
            let p = c.bind(Arg::Text(text.clone()));
            let has = |column: &str| match self.dialect {
                Dialect::Sqlite => format!("instr({column}, {p}) > 0"),
                Dialect::Postgres => format!("strpos({column}, {p}) > 0"),
            };
            let text_column = format!("COALESCE({}, '')", self.source.text);
            c.terms.push(format!(
                "({} OR {} OR {} OR {})",
                has("name"),
                has("queue"),
                has("payload"),
                has(&text_column)
            ));
        }
    }
}

/// A glob (`*`, `?`) as a LIKE pattern (with `\` escaping).
fn like_pattern(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len());
    for ch in glob.chars() {
        match ch {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_becomes_a_like_pattern_with_its_specials_escaped() {
        assert_eq!(like_pattern("import-*"), "import-%");
        assert_eq!(like_pattern("a?b"), "a_b");
        assert_eq!(like_pattern("50%_off\\"), "50\\%\\_off\\\\");
    }
}
