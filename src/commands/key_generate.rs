//! `queue key-generate`: print a new random key for QUEUE_KEY (encrypted jobs).

use crate::app::Ctx;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let key = crate::crypto::generate_key()?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({ "key": key }))?;
    } else {
        ctx.out.line(&key);
    }
    Ok(ExitCode::SUCCESS)
}
