//! `queue forget UUID`: delete one failed job.

use super::parse_uuid;
use crate::app::Ctx;
use anyhow::{bail, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The failed job's uuid.
    #[arg(add = crate::commands::complete::with(crate::commands::complete::failed_uuids))]
    pub uuid: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let uuid = parse_uuid(&args.uuid)?;
    let (_, mut store) = ctx.store()?;
    if !store.forget_failed(&uuid)? {
        bail!("no failed job with id {uuid} (see `queue failed`)");
    }
    ctx.out.say(&format!("Deleted failed job {uuid}."));
    Ok(ExitCode::SUCCESS)
}
