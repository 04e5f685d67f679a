//! `queue restart`: every worker on this store exits 0 after its current job, so that its
//! process manager starts it again with the new code and config.

use crate::app::Ctx;
use crate::store::RESTART_KEY;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.store()?;
    // A fresh random marker: any change tells workers to stop, even within one millisecond.
    let marker = format!("{}-{}", ctx.now_ms(), uuid::Uuid::new_v4().simple());
    // The store wakes idle workers, so they see it at once instead of after their --sleep.
    store.set_setting(RESTART_KEY, Some(&marker))?;
    ctx.out.done(
        serde_json::json!({"restart": marker}),
        "Broadcasting queue restart signal: every worker exits after its current job.",
    )?;
    Ok(ExitCode::SUCCESS)
}
