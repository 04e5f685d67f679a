//! `queue ui [--listen ADDR:PORT] [--read-only] [--token TOKEN] [--base-path /P]`: the
//! operations dashboard and the machine endpoints (`/health`, `/metrics`, the JSON API) for
//! this store; the work is in `crate::ui`.

use crate::app::Ctx;
use anyhow::Result;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to listen. Anything but loopback needs --token.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Refuse every change (POST): a dashboard to look at only.
    #[arg(long)]
    pub read_only: bool,
    /// Require this token: `Authorization: Bearer TOKEN`, or a session started with it at
    /// /login.
    #[arg(
        long,
        env = "QUEUE_UI_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Serve every page under this path (behind a reverse proxy), such as /queue.
    #[arg(long, value_name = "/P", default_value = "")]
    pub base_path: String,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let target = ctx.target(None)?;
    let options = crate::ui::Options::new(
        &args.listen,
        args.read_only,
        args.token,
        &args.base_path,
        target.connection.clone(),
        target.location.describe(),
    )?;
    // The store must answer before the dashboard says it is up.
    drop(ctx.open(&target)?);
    let clock = Arc::clone(&ctx.clock);
    let opener = {
        let clock = Arc::clone(&clock);
        let target = target.clone();
        crate::ui::opener(move || {
            let timeout = crate::store::connect_timeout(&target.location);
            let store = crate::store::retry_unavailable(timeout, || {
                crate::store::open(&target.location, target.store_options(), Arc::clone(&clock))
            })?;
            Ok(Box::new(crate::store::Retrying::new(store, timeout))
                as Box<dyn crate::store::Store>)
        })
    };
    let read_only = options.read_only;
    let base = options.base.clone();
    let quiet = ctx.out.quiet;
    crate::ui::serve(options, opener, clock, |addr| {
        if !quiet {
            // Tests and scripts read the address from this line (a port of 0 picks one).
            println!(
                "Dashboard at http://{addr}{base}/{}",
                if read_only { " (read-only)" } else { "" }
            );
            use std::io::Write;
            let _ = std::io::stdout().flush();
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
