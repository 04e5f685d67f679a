//! `queue cancel UUID…`: delete queued or delayed jobs (a running one is refused).

use super::resolve_uuids;
use crate::app::Ctx;
use crate::store::Cancelled;
use anyhow::{bail, Result};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Jobs to delete: uuids or unique prefixes.
    #[arg(required = true, value_name = "UUID")]
    pub uuids: Vec<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.store()?;
    let uuids = resolve_uuids(store.as_mut(), &args.uuids)?;
    let mut refused = Vec::new();
    for uuid in &uuids {
        match store.cancel(uuid, ctx.now_ms())? {
            Cancelled::Deleted => ctx.out.line(uuid),
            Cancelled::Running => refused.push(format!(
                "{uuid} is running now: it can only end by itself (or its worker's `--timeout`)"
            )),
            Cancelled::NotQueued => {
                refused.push(format!("{uuid} is not queued (it is done or failed)"))
            }
        }
    }
    match refused.as_slice() {
        [] => Ok(ExitCode::SUCCESS),
        [one] => bail!("not cancelled: {one}"),
        many => bail!("not cancelled: {}", many.join("; ")),
    }
}
