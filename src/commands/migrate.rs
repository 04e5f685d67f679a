//! `queue migrate`: apply pending schema migrations (also done automatically on first use
//! unless the connection says `auto_migrate = false`).

use crate::app::Ctx;
use crate::config::Location;
use crate::store::sqlite::SqliteStore;
use crate::store::StoreOptions;
use anyhow::{bail, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let target = ctx.target(None)?;
    let Location::Sqlite(path) = &target.location else {
        bail!("PostgreSQL stores are not available in this build yet: use a SQLite path with --database");
    };
    // Open without migrating, then migrate explicitly so that we can say what was applied.
    let options = StoreOptions {
        connection: target.connection.clone(),
        discard_failed: target.discard_failed,
        auto_migrate: true,
    };
    let mut store = SqliteStore::open_unmigrated(path, options)?;
    let applied = store.migrate()?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "applied": applied }))?;
    } else if applied.is_empty() {
        ctx.out.say("Nothing to migrate.");
    } else {
        for name in applied {
            ctx.out.say(&format!("Migrated: {name}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
