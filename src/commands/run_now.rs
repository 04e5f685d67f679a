//! `queue run-now UUID…`: make delayed jobs available now.

use super::resolve_uuids;
use crate::app::Ctx;
use anyhow::{bail, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Delayed jobs: uuids or unique prefixes.
    #[arg(required = true, value_name = "UUID")]
    pub uuids: Vec<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.store()?;
    let uuids = resolve_uuids(store.as_mut(), &args.uuids)?;
    let mut not_waiting = Vec::new();
    for uuid in &uuids {
        if store.run_now(uuid, ctx.now_ms())? {
            ctx.out.line(uuid);
        } else {
            not_waiting.push(uuid.as_str());
        }
    }
    if !not_waiting.is_empty() {
        bail!(
            "not delayed (already available, running, done or failed): {}",
            not_waiting.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
