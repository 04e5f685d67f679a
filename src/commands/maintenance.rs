//! `queue down` / `queue up`: maintenance mode. Workers take no jobs while it is on, unless they
//! were started with --force; running jobs are not disturbed.

use crate::app::Ctx;
use crate::store::MAINTENANCE_KEY;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DownArgs {}

#[derive(Debug, clap::Args)]
pub struct UpArgs {}

pub fn down(_args: DownArgs, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.store()?;
    store.set_setting(MAINTENANCE_KEY, Some(&ctx.now_ms().to_string()))?;
    ctx.out.done(
        serde_json::json!({"maintenance": true}),
        "Maintenance mode is on: workers take no jobs (except with --force).",
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn up(_args: UpArgs, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.store()?;
    store.set_setting(MAINTENANCE_KEY, None)?;
    ctx.out.done(
        serde_json::json!({"maintenance": false}),
        "Maintenance mode is off.",
    )?;
    Ok(ExitCode::SUCCESS)
}
