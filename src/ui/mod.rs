//! `queue ui`: the operations dashboard and the machine endpoints (PRODUCT.md §10), served by
//! axum on a small tokio runtime of its own. The rest of `queue` is synchronous; here every
//! store call runs on tokio's blocking pool (`App::store`), over a few store connections kept
//! for reuse. Pages are rendered on the server (maud) with one small script for live updates
//! over server-sent events; the script and the stylesheet are compiled into the binary.
//!
//! Files: `routes` (the router), `auth` (token, sessions, CSRF, read-only), `state` (the
//! store pool and the live snapshot), `api` (JSON), `metrics` (`/metrics`, `/health`), `sse`
//! (`/api/events`), `health` (what the overview computes from counts and rollups), `redact`
//! (no secret of an encrypted job, no password of a URL, in any answer), `pages/` (HTML),
//! `assets` (CSS and JS).

mod actions;
mod api;
mod assets;
mod auth;
mod error;
mod health;
mod metrics;
mod pages;
mod redact;
mod routes;
mod sse;
mod state;

use crate::clock::Clock;
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

pub use state::Opener;

/// How the dashboard was asked to run (`queue ui` flags), checked.
#[derive(Debug, Clone)]
pub struct Options {
    pub addr: SocketAddr,
    pub read_only: bool,
    pub token: Option<String>,
    /// "" or "/P" (no trailing slash): every path is served under it.
    pub base: String,
    /// The connection's name, as `status` shows it.
    pub connection: String,
    /// Where the store is, for the page header (a URL's password left out).
    pub place: String,
}

impl Options {
    /// Check the flags: the address resolves; anything but loopback needs a token; the base
    /// path is `/P`.
    pub fn new(
        listen: &str,
        read_only: bool,
        token: Option<String>,
        base_path: &str,
        connection: String,
        place: String,
    ) -> Result<Options> {
        let addrs: Vec<SocketAddr> = listen
            .to_socket_addrs()
            .with_context(|| {
                format!("invalid --listen {listen}: give ADDR:PORT, such as 127.0.0.1:8080")
            })?
            .collect();
        let Some(&addr) = addrs.first() else {
            bail!("invalid --listen {listen}: it names no address");
        };
        let token = token.filter(|t| !t.is_empty());
        if token.is_none() && !addrs.iter().all(|a| a.ip().is_loopback()) {
            bail!(
                "refusing to listen on {listen} without a token: anyone who reaches it could run \
                 jobs' commands; give --token TOKEN (or QUEUE_UI_TOKEN), or listen on 127.0.0.1"
            );
        }
        if let Some(t) = &token {
            if t.len() < 16 {
                bail!("the --token is too short: use at least 16 characters (`queue key-generate` prints a good one)");
            }
        }
        let base = base_path.trim_end_matches('/').to_string();
        if !base.is_empty()
            && (!base.starts_with('/')
                || base.contains("//")
                || !base
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c)))
        {
            bail!("invalid --base-path {base_path}: give a path such as /queue");
        }
        Ok(Options {
            addr,
            read_only,
            token,
            base,
            connection,
            place: redact::url_passwords(&place),
        })
    }
}

/// Serve until the process is stopped. `ready` is told the address bound (a port of 0 picks
/// one) once requests are answered.
pub fn serve(
    options: Options,
    opener: Opener,
    clock: Arc<dyn Clock>,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_name("queue-ui")
        .enable_all()
        .build()
        .context("cannot start the dashboard's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .with_context(|| format!("cannot listen on {}", options.addr))?;
        let bound = listener.local_addr()?;
        let app = state::App::new(options, opener, clock);
        let router = routes::router(app.clone());
        sse::start(app);
        ready(bound);
        axum::serve(listener, router)
            .await
            .context("the dashboard's server stopped")
    })
}

/// A store for the dashboard: each call retried while the store is unavailable.
pub fn opener(open: impl Fn() -> Result<Box<dyn Store>> + Send + Sync + 'static) -> Opener {
    Arc::new(open)
}
