//! A fresh database per test on the server of `QUEUE_TEST_PG_URL` (default
//! `DEFAULT_URL`), dropped afterwards; the conformance suite and this store's tests use it.

use super::url::{connect, parse_url};
use anyhow::Result;
use std::time::Duration;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl TestDatabase {
    /// None (and a note on stderr) when no server answers, unless PostgreSQL is required
    /// (`QUEUE_REQUIRE_POSTGRES=1`): then it panics.
    pub fn create() -> Option<TestDatabase> {
        let admin = std::env::var("QUEUE_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_URL.to_string());
        let required = std::env::var("QUEUE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let name = format!("q_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let created = (|| -> Result<()> {
            let (mut config, place) = parse_url(&admin)?;
            config.connect_timeout(Duration::from_secs(3));
            let mut client = connect(&config, &place)?;
            client.batch_execute(&format!("CREATE DATABASE {name}"))?;
            Ok(())
        })();
        match created {
            Ok(()) => Some(TestDatabase {
                url: with_database(&admin, &name),
                admin,
                name,
            }),
            Err(e) if required => panic!("PostgreSQL is required for these tests: {e:#}"),
            Err(e) => {
                crate::store::conformance::say_skipped_once(&format!(
                    "no PostgreSQL server to test against at {} ({e:#})",
                    crate::store::location::redact_url(&admin)
                ));
                None
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok((config, place)) = parse_url(&self.admin) {
            if let Ok(mut client) = connect(&config, &place) {
                let _ = client.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        }
    }
}

/// The same URL naming another database.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{db}{query}", &base[..host_end])
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/test?sslmode=disable", "q_1"),
        "postgres://u:p@h:5432/q_1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "q_1"), "postgres://h/q_1");
}
