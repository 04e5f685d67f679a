//! Reaching the server: a URL parsed into a driver `Config` (with the timeouts and keepalives a
//! store wants) and how to secure the link (`tls`), the `HOST:PORT/DB` every message names it
//! by (never the password), and one line of text for a driver error. Kept apart so that the
//! tests' database helper and the LISTEN thread connect exactly as the store does.

use super::tls::{self, Tls};
use anyhow::{anyhow, Result};
use postgres::{Client, Config};
use std::time::Duration;

/// Where and how to connect: the driver's `Config`, and the TLS the URL's `sslmode` and
/// `sslrootcert` ask for (read through `Deref` as the `Config` it wraps).
#[derive(Clone)]
pub struct Target {
    config: Config,
    tls: Tls,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("config", &self.config)
            .field("sslmode", &self.tls.mode())
            .finish()
    }
}

impl std::ops::Deref for Target {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.config
    }
}

impl std::ops::DerefMut for Target {
    fn deref_mut(&mut self) -> &mut Config {
        &mut self.config
    }
}

/// A parsed URL and how messages name it.
pub fn parse_url(url: &str) -> Result<(Target, String)> {
    let invalid = |why: String| {
        anyhow!(
            "invalid PostgreSQL URL {}: {why}",
            crate::store::location::redact_url(url)
        )
    };
    // The driver knows only disable/prefer/require and no sslrootcert: those are read here.
    let (rest, mode, root) = tls::take_ssl_params(url).map_err(invalid)?;
    let mut config: Config = rest
        .parse()
        .map_err(|e: postgres::Error| invalid(error_text(&e)))?;
    config.ssl_mode(mode.driver_mode());
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("queue");
    }
    // A listening worker notices a server or network that went away within a minute or so.
    config.keepalives_idle(Duration::from_secs(30));
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres")
        .to_string();
    let tls = Tls::new(mode, root.as_deref())?;
    Ok((Target { config, tls }, format!("{host}:{port}/{db}")))
}

/// The URL's `connect_timeout`, if it gives one (its TLS parameters are not looked at).
pub fn connect_timeout_of(url: &str) -> Option<Duration> {
    let (rest, _, _) = tls::take_ssl_params(url).ok()?;
    rest.parse::<Config>()
        .ok()
        .and_then(|c| c.get_connect_timeout().copied())
}

/// A new connection; the error says where and what to check.
pub(super) fn connect(target: &Target, place: &str) -> Result<Client> {
    let connected = match target.tls.connector() {
        None => target.config.connect(postgres::NoTls),
        Some(tls) => target.config.connect(tls),
    };
    connected.map_err(|e| {
        let text = error_text(&e);
        if let Some(advice) = target.tls.advice(&text) {
            return anyhow!("cannot connect to PostgreSQL at {place} over TLS: {text}; {advice}");
        }
        anyhow!("cannot connect to PostgreSQL at {place}: {text}; check the URL or that the server runs")
    })
}

/// A plain connection to the server of `url`, as a store's own (TLS included), for what is not
/// a store: `queue bench`'s scratch table.
pub fn connect_url(url: &str) -> Result<Client> {
    let (target, place) = parse_url(url)?;
    connect(&target, &place)
}

/// One line for a driver error: the server's message, else the chain of causes.
pub(super) fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
