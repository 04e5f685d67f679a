//! `queue logs UUID [--follow] [--attempt N]`: an attempt's output (the last by default);
//! `--follow` streams a running attempt's output as its worker writes it to the store (from
//! any host) and exits when the job has ended.

use super::resolve_uuid;
use crate::app::Ctx;
use crate::store::Store;
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The job: its uuid or a unique prefix.
    pub uuid: String,
    /// Stream the output as it is written, until the job has ended.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// This attempt's output (1 = the first) instead of the last.
    #[arg(long, value_name = "N", conflicts_with = "follow")]
    pub attempt: Option<i64>,
}

/// An attempt's output as printed: an encrypted job's is stored sealed and is not shown here.
fn readable(output: &str) -> &str {
    if output.starts_with(crate::crypto::SEALED_OUTPUT) {
        "(the output of an encrypted job is sealed; `queue show --decrypt` opens it)\n"
    } else {
        output
    }
}

/// Prints what is new in each attempt's output since the last call.
#[derive(Default)]
pub struct Follower {
    /// By attempt number: how much of its output was printed.
    printed: HashMap<i64, String>,
}

impl Follower {
    pub fn print_new(&mut self, store: &mut dyn Store, uuid: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        for mut a in store.attempts(uuid)? {
            a.output = readable(&a.output).to_string();
            let seen = self.printed.entry(a.attempt).or_default();
            if a.output == *seen {
                continue;
            }
            match a.output.strip_prefix(seen.as_str()) {
                Some(new) => out.write_all(new.as_bytes())?,
                // The kept tail moved on (more than 64 KiB): print what it holds now.
                None => {
                    writeln!(out, "[…]")?;
                    out.write_all(a.output.as_bytes())?;
                }
            }
            out.flush()?;
            *seen = a.output;
        }
        Ok(())
    }
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    let uuid = resolve_uuid(store.as_mut(), &args.uuid)?;
    if args.follow {
        let mut follower = Follower::default();
        let outcome = super::wait::wait_for(
            ctx,
            store.as_mut(),
            &super::wait::Target::Jobs(vec![uuid.clone()]),
            None,
            |store| follower.print_new(store, &uuid),
        )?;
        let ok = outcome.ended.iter().all(|e| e.succeeded);
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let attempts = store.attempts(&uuid)?;
    let chosen = match args.attempt {
        Some(n) => attempts.iter().find(|a| a.attempt == n),
        None => attempts.last(),
    };
    let Some(a) = chosen else {
        match args.attempt {
            Some(n) => bail!("job {uuid} has no attempt {n} (it has {})", attempts.len()),
            None => {
                ctx.out.note("no attempt has run yet");
                return Ok(ExitCode::SUCCESS);
            }
        }
    };
    if ctx.out.json {
        ctx.out.json(a)?;
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(readable(&a.output).as_bytes())?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}
