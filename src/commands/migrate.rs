//! `queue migrate`: apply pending schema migrations (also done automatically on first use
//! unless the connection says `auto_migrate = false`).

use crate::app::Ctx;
use crate::config::Location;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::StoreOptions;
use anyhow::Result;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let target = ctx.target(None)?;
    // Open without migrating, then migrate explicitly so that we can say what was applied.
    let options = StoreOptions {
        connection: target.connection.clone(),
        discard_failed: target.discard_failed,
        auto_migrate: true,
        synchronous_full: target.synchronous_full,
    };
    let applied = match &target.location {
        Location::Sqlite(path) => SqliteStore::open_unmigrated(path, options)?.migrate()?,
        Location::Postgres(url) => {
            PostgresStore::open_unmigrated(url, options, Arc::clone(&ctx.clock))?.migrate()?
        }
    };
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
