//! How statements run. Every state change but the one-statement fast paths is one transaction
//! (`write`), retried whole on a serialization failure or a deadlock; its `now` is the server's
//! clock read at BEGIN, and the wake-ups it asked for are sent with its commit (NOTIFY is
//! delivered only if the transaction commits). A statement on its own (`query`) is its own
//! transaction, retried the same way. Statements are prepared once per connection and cached by
//! their text.

use super::clock::at_offset;
use super::{PostgresStore, WAKE_CHANNEL};
use anyhow::{Context, Result};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{GenericClient, Row, SimpleQueryMessage, Statement};
use std::borrow::Cow;
use std::collections::HashMap;

/// Prepared statements by their text (as run: see `clock::at_offset`).
pub(super) type Statements = HashMap<Cow<'static, str>, Statement>;

pub(super) type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// What a transaction runs its statements on: the store's own connection, or a caller's
/// `postgres::Transaction` (the library's `dispatch_in_postgres`).
pub(super) trait Conn {
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error>;
    fn query(&mut self, stmt: &Statement, params: Params<'_>) -> Result<Vec<Row>, postgres::Error>;
    fn query_opt(
        &mut self,
        stmt: &Statement,
        params: Params<'_>,
    ) -> Result<Option<Row>, postgres::Error>;
    fn query_one(&mut self, stmt: &Statement, params: Params<'_>) -> Result<Row, postgres::Error>;
    fn execute(&mut self, stmt: &Statement, params: Params<'_>) -> Result<u64, postgres::Error>;
    fn execute_sql(&mut self, sql: &str, params: Params<'_>) -> Result<u64, postgres::Error>;
    fn query_one_sql(&mut self, sql: &str, params: Params<'_>) -> Result<Row, postgres::Error>;
    fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error>;
}

impl<C: GenericClient> Conn for C {
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        GenericClient::prepare(self, sql)
    }
    fn query(&mut self, stmt: &Statement, params: Params<'_>) -> Result<Vec<Row>, postgres::Error> {
        GenericClient::query(self, stmt, params)
    }
    fn query_opt(
        &mut self,
        stmt: &Statement,
        params: Params<'_>,
    ) -> Result<Option<Row>, postgres::Error> {
        GenericClient::query_opt(self, stmt, params)
    }
    fn query_one(&mut self, stmt: &Statement, params: Params<'_>) -> Result<Row, postgres::Error> {
        GenericClient::query_one(self, stmt, params)
    }
    fn execute(&mut self, stmt: &Statement, params: Params<'_>) -> Result<u64, postgres::Error> {
        GenericClient::execute(self, stmt, params)
    }
    fn execute_sql(&mut self, sql: &str, params: Params<'_>) -> Result<u64, postgres::Error> {
        GenericClient::execute(self, sql, params)
    }
    fn query_one_sql(&mut self, sql: &str, params: Params<'_>) -> Result<Row, postgres::Error> {
        GenericClient::query_one(self, sql, params)
    }
    fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        GenericClient::batch_execute(self, sql)
    }
}

fn prepare(
    client: &mut dyn Conn,
    cache: &mut Statements,
    sql: Cow<'static, str>,
) -> Result<Statement> {
    if let Some(stmt) = cache.get(sql.as_ref()) {
        return Ok(stmt.clone());
    }
    let stmt = client.prepare(&sql)?;
    cache.insert(sql, stmt.clone());
    Ok(stmt)
}

fn is_retryable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<postgres::Error>()
            .and_then(|e| e.code())
            .is_some_and(|code| {
                *code == SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == SqlState::T_R_DEADLOCK_DETECTED
            })
    })
}

/// A transaction in progress. `now` is the server's clock plus the test offset, read as the
/// transaction began: every time written in it is based on that.
pub(super) struct Tx<'a> {
    pub client: &'a mut dyn Conn,
    cache: &'a mut Statements,
    pub now: i64,
    /// The server's clock minus this host's, for instants the caller gives.
    pub skew: i64,
    /// Wake idle workers of any queue with the commit.
    pub notify: bool,
    /// Wake idle workers of these queues with the commit.
    pub notify_queues: Vec<String>,
}

impl<'a> Tx<'a> {
    /// A transaction on `client` at `now` (the server's clock plus the test offset).
    pub fn new(client: &'a mut dyn Conn, cache: &'a mut Statements, now: i64, skew: i64) -> Self {
        Tx {
            client,
            cache,
            now,
            skew,
            notify: false,
            notify_queues: Vec::new(),
        }
    }

    /// The NOTIFYs of the wake-ups asked for, delivered when the transaction commits.
    pub fn send_notifies(&mut self) -> Result<()> {
        if self.notify {
            self.client
                .execute_sql("SELECT pg_notify($1, '')", &[&WAKE_CHANNEL])?;
        } else if !self.notify_queues.is_empty() {
            self.notify_queues.sort();
            self.notify_queues.dedup();
            self.client.execute_sql(
                "SELECT pg_notify($1, q) FROM unnest($2::text[]) AS q",
                &[&WAKE_CHANNEL, &self.notify_queues],
            )?;
        }
        Ok(())
    }

    /// A statement inside the transaction. It must not read the server's clock: the test
    /// offset is not applied here, and `now` is the transaction's time.
    fn prepare(&mut self, sql: &'static str) -> Result<Statement> {
        debug_assert!(
            !sql.contains(super::clock::SERVER_CLOCK),
            "a statement in a transaction takes tx.now instead of reading the clock: {sql}"
        );
        prepare(self.client, self.cache, Cow::Borrowed(sql))
    }

    pub fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let stmt = self.prepare(sql)?;
        Ok(self.client.query(&stmt, params)?)
    }

    pub fn opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>> {
        let stmt = self.prepare(sql)?;
        Ok(self.client.query_opt(&stmt, params)?)
    }

    pub fn one(&mut self, sql: &'static str, params: Params<'_>) -> Result<Row> {
        let stmt = self.prepare(sql)?;
        Ok(self.client.query_one(&stmt, params)?)
    }

    pub fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let stmt = self.prepare(sql)?;
        Ok(self.client.execute(&stmt, params)?)
    }
}

impl PostgresStore {
    /// Run `f` in one transaction whose `now` is the server's clock; retried on a
    /// serialization failure or deadlock. Statements inside may not swallow errors.
    pub(super) fn write<T>(&mut self, f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.ensure_ready()?;
        self.transaction(f)
    }

    /// `write` without looking at the schema first (migrations run in this).
    pub(super) fn transaction<T>(
        &mut self,
        mut f: impl FnMut(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        loop {
            self.ensure_connected()?;
            let skew = self.skew()?;
            let offset = self.offset();
            let messages = self.client.simple_query(
                "BEGIN; SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint",
            )?;
            let db_now: i64 = messages
                .iter()
                .find_map(|m| match m {
                    SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
                    _ => None,
                })
                .context("the server did not tell its time")?;
            let mut tx = Tx {
                client: &mut self.client,
                cache: &mut self.statements,
                now: db_now + offset,
                skew,
                notify: false,
                notify_queues: Vec::new(),
            };
            let result = f(&mut tx).and_then(|value| {
                tx.send_notifies()?;
                tx.client.batch_execute("COMMIT")?;
                Ok(value)
            });
            match result {
                Ok(value) => return Ok(value),
                Err(e) => {
                    if !self.client.is_closed() {
                        let _ = self.client.batch_execute("ROLLBACK");
                    }
                    if is_retryable(&e) {
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// One statement on its own (its own transaction), retried on a serialization failure or
    /// deadlock; its readings of the server's clock are moved by the test offset.
    pub(super) fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let sql = at_offset(sql, self.offset());
        self.query_built(sql, params)
    }

    /// `query` of a statement built at run time (it must not read the server's clock).
    pub(super) fn query_built(
        &mut self,
        sql: Cow<'static, str>,
        params: Params<'_>,
    ) -> Result<Vec<Row>> {
        self.ensure_ready()?;
        loop {
            self.ensure_connected()?;
            let stmt = prepare(&mut self.client, &mut self.statements, sql.clone())?;
            match self.client.query(&stmt, params) {
                Ok(rows) => return Ok(rows),
                Err(e) => {
                    let e = anyhow::Error::from(e);
                    if !is_retryable(&e) {
                        return Err(e);
                    }
                }
            }
        }
    }
}
