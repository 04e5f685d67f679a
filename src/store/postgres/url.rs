//! Reaching the server: a URL parsed into a driver `Config` (with the timeouts and keepalives a
//! store wants), the `HOST:PORT/DB` every message names it by (never the password), and one
//! line of text for a driver error. Kept apart so that the tests' database helper and the
//! LISTEN thread connect exactly as the store does.

use anyhow::{anyhow, Result};
use postgres::{Client, Config, NoTls};
use std::time::Duration;

/// A parsed URL and how messages name it.
pub fn parse_url(url: &str) -> Result<(Config, String)> {
    let mut config: Config = url.parse().map_err(|e: postgres::Error| {
        anyhow!(
            "invalid PostgreSQL URL {}: {}",
            crate::store::location::redact_url(url),
            error_text(&e)
        )
    })?;
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
    Ok((config, format!("{host}:{port}/{db}")))
}

/// A new connection; the error says where and what to check.
pub(super) fn connect(config: &Config, place: &str) -> Result<Client> {
    config.connect(NoTls).map_err(|e| {
        anyhow!(
            "cannot connect to PostgreSQL at {place}: {}; check the URL or that the server runs",
            error_text(&e)
        )
    })
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
