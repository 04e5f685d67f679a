//! The schema: which version the server has, migrating it (under an advisory lock, so that
//! processes starting at the same time on several hosts do not race), refusing a newer one, and
//! checking a schema made by hand (`auto_migrate = false`, no `queue_migrations`). A store looks
//! once, at its first use; a dispatch folds that look into its insert instead (see
//! `insert_all`), and the look measures the clocks' difference in the same round trip.

use super::clock::GOOD_SAMPLE_RTT_US;
use super::url::error_text;
use super::PostgresStore;
use crate::store::migrate::{self, Migration};
use anyhow::{anyhow, bail, Result};
use postgres::error::SqlState;

/// Serializes concurrent first starts: the key of the transaction-level advisory lock that
/// migrations run under ("queue_mg").
const MIGRATION_LOCK: i64 = 0x7175_6575_655f_6d67;

impl PostgresStore {
    /// The schema version; measures the clocks' difference in the same round trip.
    fn schema_version(&mut self) -> Result<i64> {
        match self.clock_sample("COALESCE(MAX(version), 0)", "FROM queue_migrations") {
            Ok(sample) => {
                if sample.rtt_us < GOOD_SAMPLE_RTT_US {
                    self.set_skew(&sample);
                }
                Ok(sample.value)
            }
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Ok(0),
            Err(e) => Err(anyhow!(
                "cannot read the schema of the store at {}: {}",
                self.place,
                error_text(&e)
            )),
        }
    }

    /// The schema is current after this: migrated if it may be, else an error that says what
    /// to run.
    pub(super) fn ensure_schema(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        let latest = migrate::latest(migrate::POSTGRES);
        if current > latest {
            bail!(
                "the store at {} has schema version {current}, newer than this queue binary knows ({latest}): upgrade queue",
                self.place
            );
        }
        if current < latest {
            if !self.options.auto_migrate {
                if current == 0 {
                    return self.check_hand_made_schema();
                }
                let next = &migrate::POSTGRES[current as usize];
                bail!(
                    "the store at {} is at schema version {current} and needs migration {}: run `queue migrate`",
                    self.place,
                    next.name
                );
            }
            self.migrate()?;
        }
        Ok(())
    }

    /// A schema managed by hand (from `queue table` and friends, no `queue_migrations`): every
    /// table must be there; say which generator writes the first missing one. `queue migrate`
    /// is only a way out while none of them exists: it creates them all.
    fn check_hand_made_schema(&mut self) -> Result<()> {
        let all = || migrate::TABLES.iter().chain(migrate::POSTGRES_ONLY_TABLES);
        let tables: Vec<&str> = all().map(|(t, _)| *t).collect();
        let missing: Vec<String> = self
            .client
            .query(
                "SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n)
                 WHERE to_regclass(t) IS NULL ORDER BY n",
                &[&tables],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let Some(first) = missing.first() else {
            return Ok(());
        };
        let generator = all().find(|(t, _)| t == first).map_or("table", |(_, g)| *g);
        bail!(
            "the store at {} has no {first} table and auto_migrate is off: run `queue {generator}` and apply the SQL it writes{}",
            self.place,
            if missing.len() == tables.len() {
                ", or `queue migrate`"
            } else {
                ""
            }
        )
    }

    /// Apply every pending migration under an advisory lock, so that processes starting at
    /// the same time on several hosts do not race; returns the names applied.
    pub fn migrate(&mut self) -> Result<Vec<&'static str>> {
        let place = self.place.clone();
        self.transaction(|tx| {
            tx.client
                .execute_sql("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.client.batch_execute(
                "CREATE TABLE IF NOT EXISTS queue_migrations (
                     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )?;
            let current: i64 = tx
                .client
                .query_one_sql("SELECT COALESCE(MAX(version), 0) FROM queue_migrations", &[])?
                .get(0);
            let pending: Vec<&Migration> = migrate::POSTGRES
                .iter()
                .filter(|m| m.version > current)
                .collect();
            for m in &pending {
                tx.client.batch_execute(m.sql).map_err(|e| {
                    anyhow!("migration {} failed at {place}: {}", m.name, error_text(&e))
                })?;
                tx.client.execute_sql(
                    "INSERT INTO queue_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    &[&m.version, &m.name, &tx.now],
                )?;
            }
            Ok(pending.iter().map(|m| m.name).collect())
        })
        .map_err(|e| {
            if format!("{e:#}").contains("permission denied") {
                anyhow!("{e:#}: the user needs the right to create tables in this database, or apply migrations/postgres/*.sql by hand")
            } else {
                e
            }
        })
    }
}
