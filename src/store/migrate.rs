//! Schema migrations: SQL files under migrations/<dialect>/, embedded in the binary, applied in
//! order inside one write transaction, and never edited once released.

/// One migration: its number, its file name and its SQL.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_locks.sql",
        sql: include_str!("../../migrations/sqlite/0002_locks.sql"),
    },
    Migration {
        version: 3,
        name: "0003_failed_exceptions.sql",
        sql: include_str!("../../migrations/sqlite/0003_failed_exceptions.sql"),
    },
    Migration {
        version: 4,
        name: "0004_attempts.sql",
        sql: include_str!("../../migrations/sqlite/0004_attempts.sql"),
    },
    Migration {
        version: 5,
        name: "0005_events.sql",
        sql: include_str!("../../migrations/sqlite/0005_events.sql"),
    },
    Migration {
        version: 6,
        name: "0006_status_counts.sql",
        sql: include_str!("../../migrations/sqlite/0006_status_counts.sql"),
    },
    Migration {
        version: 7,
        name: "0007_metrics.sql",
        sql: include_str!("../../migrations/sqlite/0007_metrics.sql"),
    },
    Migration {
        version: 8,
        name: "0008_job_listing.sql",
        sql: include_str!("../../migrations/sqlite/0008_job_listing.sql"),
    },
    Migration {
        version: 9,
        name: "0009_queue_counts.sql",
        sql: include_str!("../../migrations/sqlite/0009_queue_counts.sql"),
    },
];

/// The same schema for PostgreSQL, version for version (BIGINT millisecond times).
pub const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_locks.sql",
        sql: include_str!("../../migrations/postgres/0002_locks.sql"),
    },
    Migration {
        version: 3,
        name: "0003_failed_exceptions.sql",
        sql: include_str!("../../migrations/postgres/0003_failed_exceptions.sql"),
    },
    Migration {
        version: 4,
        name: "0004_attempts.sql",
        sql: include_str!("../../migrations/postgres/0004_attempts.sql"),
    },
    Migration {
        version: 5,
        name: "0005_events.sql",
        sql: include_str!("../../migrations/postgres/0005_events.sql"),
    },
    Migration {
        version: 6,
        name: "0006_status_counts.sql",
        sql: include_str!("../../migrations/postgres/0006_status_counts.sql"),
    },
    Migration {
        version: 7,
        name: "0007_metrics.sql",
        sql: include_str!("../../migrations/postgres/0007_metrics.sql"),
    },
    Migration {
        version: 8,
        name: "0008_job_listing.sql",
        sql: include_str!("../../migrations/postgres/0008_job_listing.sql"),
    },
    Migration {
        version: 9,
        name: "0009_queue_counts.sql",
        sql: include_str!("../../migrations/postgres/0009_queue_counts.sql"),
    },
];

/// The newest version this binary knows.
pub fn latest(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

/// The tables a store needs, each with the generator command that writes its SQL for people
/// who manage their own schema (`auto_migrate = false`).
pub const TABLES: &[(&str, &str)] = &[
    ("jobs", "table"),
    ("finished_jobs", "table"),
    ("workers", "table"),
    ("settings", "table"),
    ("locks", "table"),
    ("limiters", "table"),
    ("job_attempts", "table"),
    ("job_events", "table"),
    ("queue_metrics", "table"),
    ("failed_jobs", "failed-table"),
    ("job_batches", "batches-table"),
];

/// Tables only PostgreSQL has, each with the generator that writes it: `queue_counts`, which
/// the triggers of 0009 keep, is written and checked with `jobs`.
pub const POSTGRES_ONLY_TABLES: &[(&str, &str)] = &[("queue_counts", "table")];

/// The statements of a dialect's migrations that create or change `tables` (CREATE TABLE,
/// CREATE INDEX … ON, ALTER TABLE, CREATE TRIGGER … ON), in order: the schema of those tables as
/// it is now. A migration that puts triggers on one of them is written whole (its tables and
/// functions too, not what it does to existing rows), since the triggers need the rest. An
/// index that a later migration drops (to create it anew) is left out.
pub fn statements_for(migrations: &[Migration], tables: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for m in migrations {
        let statements = split_statements(m.sql);
        let triggered = statements.iter().any(|code| {
            words_of(code).get(1).map(String::as_str) == Some("trigger")
                && target_table(code).is_some_and(|t| tables.contains(&t.as_str()))
        });
        for code in statements {
            if let Some(index) = dropped_index(&code) {
                out.retain(|s: &String| created_index(s).as_deref() != Some(index.as_str()));
            } else if target_table(&code).is_some_and(|t| tables.contains(&t.as_str()))
                || (triggered && words_of(&code).first().map(String::as_str) == Some("create"))
            {
                out.push(format!("{code};"));
            }
        }
    }
    out
}

/// A migration's statements without their comments, split at the semicolons outside
/// dollar-quoted (`$$`) function bodies. (No SQL here has `--` in a string.)
fn split_statements(sql: &str) -> Vec<String> {
    // Comments go first: they may contain semicolons.
    let sql: String = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    let mut statements = Vec::new();
    let mut current = String::new();
    // Outside a body the text alternates with bodies at each `$$`.
    for (i, part) in sql.split("$$").enumerate() {
        if i > 0 {
            current.push_str("$$");
        }
        if i % 2 == 1 {
            current.push_str(part);
            continue;
        }
        let mut pieces = part.split(';');
        if let Some(first) = pieces.next() {
            current.push_str(first);
        }
        for piece in pieces {
            statements.push(std::mem::take(&mut current));
            current.push_str(piece);
        }
    }
    statements.push(current);
    statements
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The lowercased words of a statement, split at whitespace and parentheses.
fn words_of(code: &str) -> Vec<String> {
    code.split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// The index a DROP INDEX [IF EXISTS] statement drops.
fn dropped_index(code: &str) -> Option<String> {
    let words = words_of(code);
    match words.as_slice() {
        [drop, index, if_, exists, name, ..]
            if drop == "drop" && index == "index" && if_ == "if" && exists == "exists" =>
        {
            Some(name.clone())
        }
        [drop, index, name, ..] if drop == "drop" && index == "index" => Some(name.clone()),
        _ => None,
    }
}

/// The index a CREATE [UNIQUE] INDEX statement creates.
fn created_index(code: &str) -> Option<String> {
    let words = words_of(code);
    let at = words.iter().position(|w| w == "index")?;
    (words.first().map(String::as_str) == Some("create"))
        .then(|| words.get(at + 1).cloned())
        .flatten()
}

/// The table a CREATE TABLE / CREATE [UNIQUE] INDEX … ON / ALTER TABLE statement is about.
fn target_table(code: &str) -> Option<String> {
    let words: Vec<String> = code
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let after = |word: &str| {
        words
            .iter()
            .position(|w| w == word)
            .and_then(|i| words.get(i + 1))
            .cloned()
    };
    match (
        words.first().map(String::as_str),
        words.get(1).map(String::as_str),
    ) {
        (Some("create"), Some("table")) | (Some("alter"), Some("table")) => {
            let name = after("table")?;
            if name == "if" {
                words.iter().skip_while(|w| *w != "exists").nth(1).cloned()
            } else {
                Some(name)
            }
        }
        (Some("create"), Some("index"))
        | (Some("create"), Some("unique"))
        | (Some("create"), Some("trigger")) => after("on"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing_and_match_file_names() {
        for list in [SQLITE, POSTGRES] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version, i as i64 + 1);
                assert!(m.name.starts_with(&format!("{:04}_", m.version)));
            }
        }
        // Both dialects have the same migrations, so a version means the same schema.
        let names = |list: &[Migration]| list.iter().map(|m| m.name).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
    }

    #[test]
    fn generators_collect_every_statement_about_a_table() {
        for list in [SQLITE, POSTGRES] {
            let jobs = statements_for(list, &["jobs"]).join("\n");
            assert!(jobs.contains("CREATE TABLE jobs"), "{jobs}");
            assert!(jobs.contains("jobs_pending"), "{jobs}");
            assert!(
                jobs.contains("parked_on"),
                "the ALTER of 0002 is part of it: {jobs}"
            );
            assert!(!jobs.contains("failed_jobs"), "{jobs}");
            let failed = statements_for(list, &["failed_jobs"]).join("\n");
            assert!(failed.contains("CREATE TABLE failed_jobs"));
            assert!(!failed.contains("queue_counts"), "{failed}");
        }
        // PostgreSQL's jobs come with the counters its triggers keep, each function whole.
        let jobs = statements_for(POSTGRES, &["jobs"]);
        let text = jobs.join("\n");
        for part in [
            "CREATE TABLE queue_counts",
            "CREATE FUNCTION queue_counts_shard()",
            "CREATE TRIGGER jobs_counted_delete",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        let change = jobs
            .iter()
            .find(|s| s.starts_with("CREATE FUNCTION queue_counts_change()"))
            .unwrap();
        assert!(change.ends_with("END\n$$;"), "{change}");
        assert!(
            !text.contains("INSERT INTO queue_counts (queue"),
            "no backfill: {text}"
        );
        // 0005 drops jobs_pending to create it anew: the schema holds the new one only.
        let jobs = statements_for(SQLITE, &["jobs"]);
        let pending: Vec<&String> = jobs.iter().filter(|s| s.contains("jobs_pending")).collect();
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert!(pending[0].contains("reserved_at)"), "{pending:?}");
        // Every table the store needs has a generator that writes it.
        for (table, _) in TABLES {
            assert!(!statements_for(SQLITE, &[table]).is_empty(), "{table}");
        }
    }
}
