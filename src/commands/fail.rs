//! `queue fail [MESSAGE]`, inside a job: fail this job now, with no more tries.

use super::release::record_from_job;
use crate::app::Ctx;
use crate::store::Intent;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Why the job failed (stored with the failed job).
    #[arg(value_name = "MESSAGE", num_args = 0..)]
    pub message: Vec<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    record_from_job(
        ctx,
        &Intent::Fail {
            message: args.message.join(" "),
        },
    )
}
