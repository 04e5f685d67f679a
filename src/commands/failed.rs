//! `queue failed [--queue Q]`: failed jobs, newest first.

use crate::app::Ctx;
use crate::clock::format_local;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only failed jobs of this queue.
    #[arg(long, value_name = "Q")]
    pub queue: Option<String>,
}

/// The listing is printed as it is read (a JSON array written item by item, or a table whose
/// later rows keep the first page's columns), so any number of failed jobs fits in memory.
pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let (_, mut store) = ctx.read_store()?;
    if ctx.out.json {
        let mut n = 0usize;
        store.each_failed(args.queue.as_deref(), &mut |job| {
            let mut value = serde_json::to_value(&job)?;
            value["payload"] = crate::output::snake_case_payload(value["payload"].take());
            let sep = if n == 0 { "[" } else { "," };
            crate::output::write_stdout(
                format!("{sep}{}", serde_json::to_string(&value)?).as_bytes(),
            );
            n += 1;
            Ok(())
        })?;
        crate::output::write_stdout(if n == 0 { "[]\n" } else { "]\n" }.as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    let mut table =
        ctx.out
            .streamed_table(&["uuid", "connection", "queue", "job", "failed at", "error"]);
    store.each_failed(args.queue.as_deref(), &mut |j| {
        table.row(vec![
            j.uuid,
            j.connection,
            j.queue,
            j.name,
            format_local(j.failed_at_ms),
            j.error.lines().next().unwrap_or("").to_string(),
        ]);
        Ok(())
    })?;
    if !table.finish() {
        ctx.out.say("No failed jobs found.");
    }
    Ok(ExitCode::SUCCESS)
}
