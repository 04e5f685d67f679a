//! `queue table`, `queue failed-table`, `queue batches-table`: write the SQL that creates a
//! table, in the connection's dialect, for people who manage their own schema (then set
//! `auto_migrate = false`). Like Laravel's make:queue-table, they never overwrite a migration.

use crate::app::Ctx;
use crate::config::Location;
use crate::store::migrate::{self, statements_for};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to write into.
    #[arg(long, default_value = "migrations", value_name = "DIR")]
    pub path: PathBuf,
}

/// Which generator: its main table and every table its SQL creates.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    Jobs,
    Failed,
    Batches,
}

impl Which {
    fn main_table(self) -> &'static str {
        match self {
            Which::Jobs => "jobs",
            Which::Failed => "failed_jobs",
            Which::Batches => "job_batches",
        }
    }

    fn command(self) -> &'static str {
        match self {
            Which::Jobs => "table",
            Which::Failed => "failed-table",
            Which::Batches => "batches-table",
        }
    }

    fn tables(self) -> Vec<&'static str> {
        migrate::TABLES
            .iter()
            .filter(|(_, command)| *command == self.command())
            .map(|(table, _)| *table)
            .collect()
    }
}

pub fn run(which: Which, args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let target = ctx.target(None)?;
    let (dialect, migrations) = match target.location {
        Location::Sqlite(_) => ("sqlite", migrate::SQLITE),
        Location::Postgres(_) => ("postgres", migrate::POSTGRES),
    };
    let dir = ctx.cwd.join(&args.path);
    let suffix = format!("_create_{}_table.sql", which.main_table());
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(&suffix) {
                bail!(
                    "Migration already exists: {} (remove it to write a new one)",
                    entry.path().display()
                );
            }
        }
    }
    let tables = which.tables();
    let sql = statements_for(migrations, &tables).join("\n\n");
    let stamp = crate::clock::format_stamp(ctx.now_ms());
    let file = dir.join(format!("{stamp}{suffix}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let text = format!(
        "-- queue {}: the {} table{} for {dialect}, as `queue migrate` would create {}.\n\
         -- Apply it yourself, then set auto_migrate = false on the connection.\n\n{sql}\n",
        env!("CARGO_PKG_VERSION"),
        which.main_table(),
        if tables.len() > 1 {
            format!(
                " and the tables its workers use ({})",
                tables[1..].join(", ")
            )
        } else {
            String::new()
        },
        if tables.len() > 1 { "them" } else { "it" },
    );
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .with_context(|| format!("cannot write {}", file.display()))?;
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "path": file.display().to_string() }))?;
    } else {
        ctx.out
            .say(&format!("Migration created: {}", file.display()));
    }
    Ok(ExitCode::SUCCESS)
}
