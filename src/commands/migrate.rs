//! `queue migrate`: apply pending schema migrations (also done automatically on first use
//! unless the connection says `auto_migrate = false`).

use crate::app::Ctx;
use anyhow::Result;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let target = ctx.target(None)?;
    // Open without migrating, then migrate explicitly so that we can say what was applied.
    let options = crate::store::StoreOptions {
        auto_migrate: true,
        ..target.store_options()
    };
    let applied = crate::store::open_unmigrated(&target.location, options, Arc::clone(&ctx.clock))?
        .migrate()?;
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
