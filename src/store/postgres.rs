//! The PostgreSQL store: one server shared by dispatchers and workers on any number of hosts.
//!
//! The semantics are those of the SQLite store (read sqlite.rs first); what differs is how they
//! are reached on a server with many concurrent writers:
//! - A claim is one statement: the first available job of a queue in (available_at, id) order,
//!   or a job whose lease expired (its worker died: it keeps its place in line), locked with
//!   `FOR UPDATE SKIP LOCKED` so that concurrent workers never wait for, or take, the same row.
//! - Every other state change is one transaction, retried on a serialization failure or a
//!   deadlock.
//! - Time is the database server's clock (plus the test offset of `QUEUE_TEST_CLOCK_FILE`), so
//!   hosts whose clocks differ by a few seconds agree on leases and availability: claims,
//!   heartbeats and releases read the server's clock and add durations to it. Instants the
//!   caller gives on its own clock (a dispatch's `available_at`) are moved by the measured
//!   difference between the two clocks, and those handed back (`next_available_at`) moved back.
//! - Instant pickup: state changes that make work available NOTIFY `queue_wake` in their
//!   transaction; each idle worker LISTENs on a connection of its own.

use super::migrate::{self, Migration};
use super::{
    Admission, BatchView, Claim, Controls, Ending, Enqueued, FailedJob, Finished, Intent, JobView,
    NewBatch, QueueStats, Reserved, RetrySelection, Store, StoreOptions, Verdict, WakeFn, Wakeups,
    WorkerInfo, MAINTENANCE_KEY, PAUSED_PREFIX, RESTART_KEY,
};
use crate::clock::{format_rfc3339, Clock};
use crate::domain::job::{JobState, NewJob, Payload};
use crate::domain::policy::Decision;
use anyhow::{anyhow, bail, Context, Result};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls, Row, SimpleQueryMessage, Statement};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The channel of wake-up notifications; the payload is a queue name, or empty for "any".
const WAKE_CHANNEL: &str = "queue_wake";

/// Serializes concurrent first starts: the key of the transaction-level advisory lock that
/// migrations run under ("queue_mg").
const MIGRATION_LOCK: i64 = 0x7175_6575_655f_6d67;

/// The server's clock in unix milliseconds plus the test offset, which is always `$1`.
macro_rules! now_ms {
    () => {
        "(floor(extract(epoch from statement_timestamp()) * 1000)::bigint + $1::bigint)"
    };
}

pub struct PostgresStore {
    client: Client,
    config: Config,
    /// HOST:PORT/DB, for messages (never the password).
    place: String,
    options: StoreOptions,
    /// The caller's clock: its offset from the system clock is added to the server's.
    clock: Arc<dyn Clock>,
    statements: HashMap<&'static str, Statement>,
    /// The server's clock minus this host's, and when that was measured.
    skew: Option<(i64, std::time::Instant)>,
    /// While a worker's LISTEN connection is up, `controls` answers from this copy until a
    /// notification says the settings changed.
    watch: Option<Arc<Watch>>,
    controls: Option<Controls>,
    /// Attempts finished since this connection last vacuumed the jobs table, and when.
    finished: u64,
    vacuumed: Option<std::time::Instant>,
    /// When (by the caller's clock) this connection last freed expired reservations.
    freed_expired_at: Option<i64>,
    /// This connection has a worker's session settings (see `enter_worker_session`).
    worker_session: bool,
    /// The schema was found current (or migrated); until then each use looks first.
    schema_checked: bool,
}

/// A busy worker vacuums the jobs table after this many attempts, at most this often.
const VACUUM_EVERY_JOBS: u64 = 1_000;
const VACUUM_GAP: Duration = Duration::from_secs(2);

/// How often the clock difference is measured again.
const SKEW_EVERY: Duration = Duration::from_secs(60);
/// Differences below this are measurement noise (they are within a network round trip).
const SKEW_NOISE_MS: i64 = 5;
/// A clock sample is within half its round trip of the truth: one whose error cannot reach
/// the noise is good enough (a dispatch then needs no sample of its own beside the schema's).
const GOOD_SAMPLE_RTT_US: i64 = 2 * SKEW_NOISE_MS * 1000;

/// A parsed URL and how messages name it.
pub fn parse_url(url: &str) -> Result<(Config, String)> {
    let mut config: Config = url.parse().map_err(|e: postgres::Error| {
        anyhow!(
            "invalid PostgreSQL URL {}: {}",
            super::location::redact_url(url),
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

fn connect(config: &Config, place: &str) -> Result<Client> {
    config.connect(NoTls).map_err(|e| {
        anyhow!(
            "cannot connect to PostgreSQL at {place}: {}; check the URL or that the server runs",
            error_text(&e)
        )
    })
}

/// One line for a driver error: the server's message, else the chain of causes.
fn error_text(e: &postgres::Error) -> String {
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

fn prepare(
    client: &mut Client,
    cache: &mut HashMap<&'static str, Statement>,
    sql: &'static str,
) -> Result<Statement> {
    if let Some(stmt) = cache.get(sql) {
        return Ok(stmt.clone());
    }
    let stmt = client.prepare(sql)?;
    cache.insert(sql, stmt.clone());
    Ok(stmt)
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// A transaction in progress. `now` is the server's clock plus the test offset, read as the
/// transaction began: every time written in it is based on that.
struct Tx<'a> {
    client: &'a mut Client,
    cache: &'a mut HashMap<&'static str, Statement>,
    now: i64,
    /// The server's clock minus this host's, for instants the caller gives.
    skew: i64,
    /// Wake idle workers of any queue with the commit.
    notify: bool,
    /// Wake idle workers of these queues with the commit.
    notify_queues: Vec<String>,
}

impl Tx<'_> {
    fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let stmt = prepare(self.client, self.cache, sql)?;
        Ok(self.client.query(&stmt, params)?)
    }

    fn opt(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>> {
        let stmt = prepare(self.client, self.cache, sql)?;
        Ok(self.client.query_opt(&stmt, params)?)
    }

    fn one(&mut self, sql: &'static str, params: Params<'_>) -> Result<Row> {
        let stmt = prepare(self.client, self.cache, sql)?;
        Ok(self.client.query_one(&stmt, params)?)
    }

    fn execute(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let stmt = prepare(self.client, self.cache, sql)?;
        Ok(self.client.execute(&stmt, params)?)
    }
}

impl PostgresStore {
    /// Connect. The schema is looked at (and migrated unless told not to) at the first use,
    /// where a dispatch can fold that look into its insert: one round trip less for every
    /// `queue dispatch` process.
    pub fn open(url: &str, options: StoreOptions, clock: Arc<dyn Clock>) -> Result<Self> {
        let mut store = Self::open_unmigrated(url, options, clock)?;
        store.schema_checked = false;
        Ok(store)
    }

    /// Connect, and never look at the schema (for `queue migrate`, which migrates).
    pub fn open_unmigrated(
        url: &str,
        options: StoreOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let (config, place) = parse_url(url)?;
        let client = connect(&config, &place)?;
        Ok(PostgresStore {
            client,
            config,
            place,
            options,
            clock,
            statements: HashMap::new(),
            skew: None,
            watch: None,
            controls: None,
            finished: 0,
            vacuumed: None,
            freed_expired_at: None,
            worker_session: false,
            schema_checked: true,
        })
    }

    /// HOST:PORT/DB.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// A connection that went away (the server restarted) is made again before the next use.
    fn ensure_connected(&mut self) -> Result<()> {
        if self.client.is_closed() {
            self.client = connect(&self.config, &self.place)?;
            self.statements.clear();
            self.worker_session = false;
        }
        Ok(())
    }

    /// Connected, with the schema looked at once.
    fn ensure_ready(&mut self) -> Result<()> {
        self.ensure_connected()?;
        if !self.schema_checked {
            self.ensure_schema()?;
            self.schema_checked = true;
        }
        Ok(())
    }

    /// Before this connection's first claim, the settings of a worker's session:
    /// - Generic plans. Every statement a worker repeats is short, parameterized, and best run
    ///   with the same plan whatever its values. Left to choose, PostgreSQL plans the claim
    ///   afresh at every execution (its generic plan, costed for an unknown LIMIT, always looks
    ///   dearer than a custom one), and that planning costs more CPU than the claim itself.
    /// - Unless `synchronous = "full"`: commits that do not wait for the WAL flush, the bargain
    ///   of SQLite's default `synchronous = NORMAL`. A worker's bookkeeping (claims, the ends of
    ///   attempts, heartbeats) then costs no disk wait per job. A crash of the server may lose
    ///   its last fraction of a second of such commits: those jobs run again, as after a
    ///   worker's crash, and none is lost, because dispatches still wait for the flush (and
    ///   each flush makes every commit before it durable too).
    ///
    /// (Not at connect: a dispatch would pay a round trip for nothing.) An optimisation only:
    /// a server that refuses a setting still runs every statement.
    fn enter_worker_session(&mut self) {
        if !self.worker_session {
            let settings = if self.options.synchronous_full {
                "SET plan_cache_mode = force_generic_plan"
            } else {
                "SET plan_cache_mode = force_generic_plan; SET synchronous_commit = off"
            };
            let _ = self.client.batch_execute(settings);
            self.worker_session = true;
        }
    }

    /// Before a dispatch on a connection that also claimed (a library's own use of the
    /// store): its commits wait for the WAL flush again.
    fn leave_worker_session(&mut self) -> Result<()> {
        self.ensure_connected()?;
        if self.worker_session && !self.options.synchronous_full {
            self.client.batch_execute("RESET synchronous_commit")?;
            self.worker_session = false;
        }
        Ok(())
    }

    /// The server's clock minus this host's in milliseconds (0 on one machine), measured at
    /// the first use and every minute: the sample with the shortest round trip of three.
    fn skew(&mut self) -> Result<i64> {
        if let Some((skew, at)) = self.skew {
            if at.elapsed() < SKEW_EVERY {
                return Ok(skew);
            }
        }
        let mut best: Option<(i64, i64)> = None;
        for _ in 0..3 {
            let (rtt, skew_us) = self.clock_sample("0", "")?.1;
            if best.is_none_or(|(best_rtt, _)| rtt < best_rtt) {
                best = Some((rtt, skew_us));
            }
            if rtt < GOOD_SAMPLE_RTT_US {
                break;
            }
        }
        let (rtt, skew_us) = best.unwrap_or((0, 0));
        Ok(self.set_skew(rtt, skew_us))
    }

    /// Remember a measured clock difference (rounded; noise is 0); returns it in ms.
    fn set_skew(&mut self, _rtt_us: i64, skew_us: i64) -> i64 {
        let mut skew = (skew_us as f64 / 1000.0).round() as i64;
        if skew.abs() < SKEW_NOISE_MS {
            skew = 0;
        }
        self.skew = Some((skew, std::time::Instant::now()));
        skew
    }

    /// `SELECT {column}, <the server's clock in µs> {from}` as one simple query (one round
    /// trip); returns the column, and (round trip, server minus host) in µs.
    fn clock_sample(
        &mut self,
        column: &str,
        from: &str,
    ) -> Result<(i64, (i64, i64)), postgres::Error> {
        let sql = format!(
            "SELECT {column}, (extract(epoch from clock_timestamp()) * 1000000)::bigint {from}"
        );
        let before = crate::clock::system_now_us();
        let messages = self.client.simple_query(&sql)?;
        let after = crate::clock::system_now_us();
        let row = messages.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        });
        let value = |i: usize| -> i64 {
            row.and_then(|r| r.get(i))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let server = value(1);
        Ok((value(0), (after - before, server - (before + after) / 2)))
    }

    /// The schema version; measures the clocks' difference in the same round trip.
    fn schema_version(&mut self) -> Result<i64> {
        match self.clock_sample("COALESCE(MAX(version), 0)", "FROM queue_migrations") {
            Ok((version, (rtt, skew_us))) => {
                if rtt < GOOD_SAMPLE_RTT_US {
                    self.set_skew(rtt, skew_us);
                }
                Ok(version)
            }
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Ok(0),
            Err(e) => Err(anyhow!(
                "cannot read the schema of the store at {}: {}",
                self.place,
                error_text(&e)
            )),
        }
    }

    fn ensure_schema(&mut self) -> Result<()> {
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
        let tables: Vec<&str> = migrate::TABLES.iter().map(|(t, _)| *t).collect();
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
        let generator = migrate::TABLES
            .iter()
            .find(|(t, _)| t == first)
            .map_or("table", |(_, g)| *g);
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
                .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.client.batch_execute(
                "CREATE TABLE IF NOT EXISTS queue_migrations (
                     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )?;
            let current: i64 = tx
                .client
                .query_one("SELECT COALESCE(MAX(version), 0) FROM queue_migrations", &[])?
                .get(0);
            let pending: Vec<&Migration> = migrate::POSTGRES
                .iter()
                .filter(|m| m.version > current)
                .collect();
            for m in &pending {
                tx.client.batch_execute(m.sql).map_err(|e| {
                    anyhow!("migration {} failed at {place}: {}", m.name, error_text(&e))
                })?;
                tx.client.execute(
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

    /// Every claimed and finished job leaves dead row versions at the head of the claim index,
    /// which each claim then walks past until they are vacuumed; autovacuum looks only once a
    /// minute, so a busy worker vacuums the jobs table itself now and then (a few ms; skipped
    /// while another worker does it, and a no-op with a warning for a user that does not own
    /// the table).
    fn vacuum_if_due(&mut self, finished: u64) {
        self.finished += finished;
        if self.finished < VACUUM_EVERY_JOBS
            || self.vacuumed.is_some_and(|at| at.elapsed() < VACUUM_GAP)
        {
            return;
        }
        self.finished = 0;
        self.vacuumed = Some(std::time::Instant::now());
        let _ = self.client.batch_execute("VACUUM (SKIP_LOCKED) jobs");
    }

    /// Before a claim: the worker's session settings, and expired reservations freed unless
    /// this connection did that in the last second (a clock that moved back counts as due).
    fn before_claim(&mut self) -> Result<()> {
        self.ensure_connected()?;
        self.enter_worker_session();
        let now = self.clock.now_ms();
        if self
            .freed_expired_at
            .is_some_and(|at| (0..FREE_EXPIRED_EVERY_MS).contains(&(now - at)))
        {
            return Ok(());
        }
        let offset = self.offset();
        self.query(FREE_EXPIRED, &[&offset, &WAKE_CHANNEL])?;
        self.freed_expired_at = Some(now);
        Ok(())
    }

    /// Jobs without unique locks, all at once and the wake-up with them: one statement (one
    /// round trip, one transaction) however many jobs; ids follow the given order. Until the
    /// schema was looked at, the statement looks at it too: it inserts only into a current
    /// schema, and otherwise the schema is checked (or migrated) as at any first use and the
    /// insert made again.
    fn insert_all(&mut self, rows: &[(String, &NewJob)]) -> Result<Vec<Enqueued>> {
        let uuids: Vec<&str> = rows.iter().map(|(_, j)| j.payload.uuid.as_str()).collect();
        let queues: Vec<&str> = rows.iter().map(|(_, j)| j.queue.as_str()).collect();
        let names: Vec<&str> = rows
            .iter()
            .map(|(_, j)| j.payload.display_name.as_str())
            .collect();
        let payloads: Vec<&str> = rows.iter().map(|(raw, _)| raw.as_str()).collect();
        let available: Vec<i64> = rows.iter().map(|(_, j)| j.available_at).collect();
        let created: Vec<i64> = rows.iter().map(|(_, j)| j.payload.created_at).collect();
        let latest = migrate::latest(migrate::POSTGRES);
        let one = rows.len() == 1;
        for _ in 0..2 {
            self.ensure_connected()?;
            let checked = self.schema_checked;
            let offset = self.offset();
            let host_now = self.clock.now_ms();
            let sql = match (one, checked) {
                (true, true) => INSERT_JOB,
                (true, false) => INSERT_JOB_IF_CURRENT,
                (false, true) => INSERT_JOBS,
                (false, false) => INSERT_JOBS_IF_CURRENT,
            };
            let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![(&offset, Type::INT8)];
            if one {
                params.extend([
                    (&uuids[0] as &(dyn ToSql + Sync), Type::TEXT),
                    (&queues[0], Type::TEXT),
                    (&names[0], Type::TEXT),
                    (&payloads[0], Type::TEXT),
                    (&available[0], Type::INT8),
                    (&created[0], Type::INT8),
                ]);
            } else {
                params.extend([
                    (&uuids as &(dyn ToSql + Sync), Type::TEXT_ARRAY),
                    (&queues, Type::TEXT_ARRAY),
                    (&names, Type::TEXT_ARRAY),
                    (&payloads, Type::TEXT_ARRAY),
                    (&available, Type::INT8_ARRAY),
                    (&created, Type::INT8_ARRAY),
                ]);
            }
            params.extend([
                (&WAKE_CHANNEL as &(dyn ToSql + Sync), Type::TEXT),
                (&host_now, Type::INT8),
                (&latest, Type::INT8),
                (&SKEW_NOISE_MS, Type::INT8),
            ]);
            // Typed parameters: no separate round trip to prepare (a dispatch runs this once).
            let inserted = self.client.query_typed(sql, &params);
            match inserted {
                Ok(found)
                    if found.first().map(|r| r.get::<_, i64>(0)) == Some(rows.len() as i64) =>
                {
                    self.schema_checked = true;
                    return Ok(vec![Enqueued::Dispatched; rows.len()]);
                }
                // Another version of the schema: nothing was inserted.
                Ok(_) => {}
                // No schema yet, or one managed by hand (no `queue_migrations`).
                Err(e) if !checked && e.code() == Some(&SqlState::UNDEFINED_TABLE) => {}
                Err(e) => return Err(e.into()),
            }
            self.ensure_ready()?;
        }
        bail!(
            "the schema of the store at {} changed while jobs were being dispatched: dispatch them again",
            self.place
        )
    }

    /// The usual end of an attempt in one statement (one round trip, one transaction): a
    /// plain job whose attempt asked for nothing from inside. None when it did ask, or its
    /// reservation is gone: then the full transaction reads the intent and decides. (`decide`
    /// may so be called twice; the decision applied is the one made with the true intent.)
    fn finish_plain(
        &mut self,
        job: &Reserved,
        output: &str,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Option<Finished>> {
        let verdict = decide(None);
        let offset = self.offset();
        let rows = match &verdict.decision {
            Decision::Complete => {
                self.query(FINISH_COMPLETE, &[&offset, &job.id, &job.token, &output])?
            }
            Decision::Release {
                delay_ms,
                exception,
            } => self.query(
                FINISH_RELEASE,
                &[
                    &offset,
                    &job.id,
                    &job.token,
                    delay_ms,
                    &(*exception as i64),
                    &output,
                ],
            )?,
            Decision::Fail { .. } if self.options.discard_failed => {
                self.query(FINISH_DISCARD, &[&job.id, &job.token])?
            }
            Decision::Fail { reason } => {
                let connection = self.options.connection.clone();
                self.query(
                    FINISH_FAIL,
                    &[
                        &offset,
                        &job.id,
                        &job.token,
                        &connection,
                        &failure_text(reason, output),
                    ],
                )?
            }
        };
        Ok((!rows.is_empty()).then_some(Finished::Applied(verdict.decision)))
    }

    /// The caller's clock's distance from the system clock (the test offset).
    fn offset(&self) -> i64 {
        self.clock.offset_ms()
    }

    /// Run `f` in one transaction whose `now` is the server's clock; retried on a
    /// serialization failure or deadlock. Statements inside may not swallow errors.
    fn write<T>(&mut self, f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.ensure_ready()?;
        self.transaction(f)
    }

    /// `write` without looking at the schema first (migrations run in this).
    fn transaction<T>(&mut self, mut f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
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
                if tx.notify {
                    tx.client
                        .execute("SELECT pg_notify($1, '')", &[&WAKE_CHANNEL])?;
                } else if !tx.notify_queues.is_empty() {
                    tx.notify_queues.sort();
                    tx.notify_queues.dedup();
                    tx.client.execute(
                        "SELECT pg_notify($1, q) FROM unnest($2::text[]) AS q",
                        &[&WAKE_CHANNEL, &tx.notify_queues],
                    )?;
                }
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

    /// One statement on its own (its own transaction), with `$1` the test offset.
    fn query(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        self.ensure_ready()?;
        loop {
            self.ensure_connected()?;
            let stmt = prepare(&mut self.client, &mut self.statements, sql)?;
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

/// An instant on this host's clock as the server's clock reads it (`skew` = server - host);
/// `i64::MAX` (never) stays never.
fn rebase(at: i64, skew: i64) -> i64 {
    if at == i64::MAX {
        return at;
    }
    at.saturating_add(skew)
}

fn parse_payload(raw: &str, uuid: &str) -> Result<Payload> {
    serde_json::from_str(raw).with_context(|| format!("job {uuid} has an unreadable payload"))
}

/// The claim of up to `$5` jobs of queue `$2` for worker `$4`, leased for `$3` ms, as the CTE
/// `claimed`: the first available ones in (available_at, id) order. Rows other workers are
/// claiming are skipped, never waited for. Each attempt gets a new secret token. Reservations
/// whose lease ran out are freed by `FREE_EXPIRED` beforehand, so that this statement, which
/// every job passes through, stays as small as it can be.
macro_rules! claim_ctes {
    () => {
        concat!(
            "c AS (
         SELECT id FROM jobs
         WHERE queue = $2 AND reserved_at IS NULL AND available_at <= ",
            now_ms!(),
            "
         ORDER BY available_at, id LIMIT $5 FOR UPDATE SKIP LOCKED),
     claimed AS (
         UPDATE jobs SET reserved_at = ",
            now_ms!(),
            ", lease_expires_at = ",
            now_ms!(),
            " + $3, worker_id = $4, token = replace(gen_random_uuid()::text, '-', ''),
             intent = NULL, attempts = attempts + 1
         FROM c WHERE jobs.id = c.id
         RETURNING jobs.id, jobs.uuid, jobs.queue, jobs.attempts, jobs.exceptions, jobs.token,
                   jobs.payload, jobs.available_at)"
        )
    };
}

/// The columns of a claimed job, in the order `reserved_from_row` reads them.
macro_rules! claimed_columns {
    () => {
        "claimed.id, claimed.uuid, claimed.queue, claimed.attempts, claimed.exceptions,
         claimed.token, claimed.payload, claimed.available_at"
    };
}

/// A claim on its own (see `claim_ctes`).
const CLAIM: &str = concat!(
    "WITH ",
    claim_ctes!(),
    " SELECT ",
    claimed_columns!(),
    " FROM claimed"
);

/// Free the reservations whose lease ran out (their worker died): each job keeps its place in
/// line, and its next claim is a new attempt. Idle workers of those queues are woken (`$2` is
/// the wake-up channel).
const FREE_EXPIRED: &str = concat!(
    "WITH freed AS (
         UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                token = NULL, intent = NULL
         WHERE reserved_at IS NOT NULL AND lease_expires_at <= ",
    now_ms!(),
    " RETURNING queue)
     SELECT pg_notify($2, q) FROM (SELECT DISTINCT queue AS q FROM freed) d"
);

/// How often, by the caller's clock, a claiming connection frees expired reservations. Leases
/// last a minute or more, so a second more before a dead worker's job runs again is nothing.
const FREE_EXPIRED_EVERY_MS: i64 = 1_000;

/// Insert jobs (`$2` uuid, `$3` queue, `$4` name, `$5` payload, `$6` available_at and `$7`
/// created_at on the host's clock, whose reading as the statement was sent is `$9`) and wake
/// `$8`'s idle workers of their queues; the one column of the one row is the number of jobs
/// inserted. The host's instants are moved onto the server's clock by the difference of the
/// two readings, which counts as none below `$11` ms (SKEW_NOISE_MS) as a measured skew does:
/// no clock sample needed first. `$guard` may keep the insert from happening; `$10` is the
/// schema version this binary knows (ignored without a guard).
///
/// `$rows` is where the rows come from. One job's statement is kept small on purpose: on the
/// new server process of a `queue dispatch`, every function and relation a statement names is
/// looked up in the catalogs first, which costs milliseconds.
macro_rules! insert_jobs {
    ($select:literal, $rows:literal, $guard:expr, $result:literal) => {
        concat!(
            "WITH skew AS (
                 SELECT CASE WHEN abs(d) < $11::bigint THEN 0 ELSE d END AS ms
                 FROM (SELECT ",
            now_ms!(),
            " - $9::bigint AS d) x),
             inserted AS (
                 INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                 SELECT ",
            $select,
            ", available_at + (SELECT ms FROM skew), created_at + (SELECT ms FROM skew)
                 FROM ",
            $rows,
            $guard,
            " RETURNING queue) ",
            $result
        )
    };
}

/// The guard: only into a schema at version `$10` (where `queue_migrations` exists).
macro_rules! if_current {
    () => {
        " WHERE (SELECT COALESCE(MAX(version), 0) FROM queue_migrations) = $10::bigint"
    };
}

/// Many jobs, from arrays, in the order given (ids follow it).
macro_rules! insert_many {
    ($guard:expr) => {
        insert_jobs!(
            "uuid, queue, name, payload",
            "unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
                  WITH ORDINALITY AS t(uuid, queue, name, payload, available_at, created_at, n)",
            $guard,
            "SELECT (SELECT count(*) FROM inserted),
                    (SELECT count(*) FROM (SELECT pg_notify($8, q)
                                           FROM (SELECT DISTINCT queue AS q FROM inserted) d) w)"
        )
    };
}

/// One job, from scalars.
macro_rules! insert_one {
    ($guard:expr) => {
        insert_jobs!(
            "$2::text, $3::text, $4::text, $5::text",
            "(SELECT $6::bigint AS available_at, $7::bigint AS created_at) t",
            $guard,
            "SELECT count(*) FROM (SELECT pg_notify($8, queue) FROM inserted) w"
        )
    };
}

const INSERT_JOBS: &str = insert_many!("");
const INSERT_JOBS_IF_CURRENT: &str = insert_many!(if_current!());
const INSERT_JOB: &str = insert_one!("");
const INSERT_JOB_IF_CURRENT: &str = insert_one!(if_current!());

/// The end of an INSERT into finished_jobs: a job finished again (the same uuid dispatched
/// anew) replaces its old row.
macro_rules! replace_finished {
    () => {
        " ON CONFLICT (uuid) DO UPDATE SET
             queue = excluded.queue, name = excluded.name, payload = excluded.payload,
             attempts = excluded.attempts, exceptions = excluded.exceptions,
             output = excluded.output, created_at = excluded.created_at,
             finished_at = excluded.finished_at"
    };
}

/// A busy worker's usual step, in one statement (one round trip, one commit): complete the plain
/// attempts that ended (`$6` ids, `$7` tokens, `$8` outputs; only those still held that asked
/// for nothing from inside) and claim the next jobs as `CLAIM` does. Every row carries the
/// uuids completed (NULL when none) after the claimed job's columns (NULL when none was
/// claimed). The rows completed are reserved, so the claim, which takes only unreserved rows,
/// never touches them: one statement must not change a row twice.
const FINISH_AND_CLAIM: &str = concat!(
    "WITH ending AS (
         SELECT * FROM unnest($6::bigint[], $7::text[], $8::text[]) AS e(id, token, output)),
     done AS (
         DELETE FROM jobs USING ending
         WHERE jobs.id = ending.id AND jobs.token = ending.token AND jobs.intent IS NULL
         RETURNING jobs.uuid, jobs.queue, jobs.name, jobs.payload, jobs.attempts,
                   jobs.exceptions, ending.output, jobs.created_at),
     completed AS (
         INSERT INTO finished_jobs
             (uuid, queue, name, payload, attempts, exceptions, output, created_at, finished_at)
         SELECT uuid, queue, name, payload, attempts, exceptions, output, created_at, ",
    now_ms!(),
    " FROM done",
    replace_finished!(),
    " RETURNING uuid),
     ",
    claim_ctes!(),
    " SELECT ",
    claimed_columns!(),
    ", f.uuids
     FROM (SELECT array_agg(uuid) AS uuids FROM completed) f LEFT JOIN claimed ON true"
);

/// A claimed job from the first eight columns of a claim's row; None for the empty row of
/// `FINISH_AND_CLAIM` that claimed nothing.
fn reserved_from_row(row: &Row) -> Result<Option<Reserved>> {
    let Some(id) = row.get::<_, Option<i64>>(0) else {
        return Ok(None);
    };
    let uuid: String = row.get(1);
    let raw: String = row.get(6);
    let payload = parse_payload(&raw, &uuid)?;
    Ok(Some(Reserved {
        id,
        uuid,
        queue: row.get(2),
        attempts: row.get(3),
        exceptions: row.get::<_, i64>(4) as u32,
        token: row.get::<_, Option<String>>(5).unwrap_or_default(),
        payload,
    }))
}

/// The jobs of a claim's rows, in queue order (RETURNING has none): (available_at, id).
fn claimed_jobs(mut rows: Vec<Row>) -> Result<Vec<Reserved>> {
    rows.sort_by_key(|r| {
        (
            r.get::<_, Option<i64>>(7).unwrap_or(0),
            r.get::<_, Option<i64>>(0).unwrap_or(0),
        )
    });
    let mut jobs = Vec::with_capacity(rows.len());
    for row in &rows {
        jobs.extend(reserved_from_row(row)?);
    }
    Ok(jobs)
}

/// A job whose attempt's end changes nothing but its own row: no middleware, unique lock,
/// chain or batch.
fn is_plain(p: &Payload) -> bool {
    p.middleware.is_empty()
        && p.unique.is_none()
        && p.chained.is_empty()
        && p.chain_catch.is_none()
        && p.batch_id.is_none()
}

// The plain ends of an attempt, each one statement: `$1` the test offset, `$2` the job's id,
// `$3` its attempt's token; only while the attempt holds the job and asked for nothing.
const FINISH_COMPLETE: &str = concat!(
    "WITH done AS (
         DELETE FROM jobs WHERE id = $2 AND token = $3 AND intent IS NULL
         RETURNING uuid, queue, name, payload, attempts, exceptions, created_at)
     INSERT INTO finished_jobs
         (uuid, queue, name, payload, attempts, exceptions, output, created_at, finished_at)
     SELECT uuid, queue, name, payload, attempts, exceptions, $4, created_at, ",
    now_ms!(),
    " FROM done",
    replace_finished!(),
    " RETURNING 1"
);
const FINISH_RELEASE: &str = concat!(
    "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL, token = NULL,
         intent = NULL, available_at = ",
    now_ms!(),
    " + $4, exceptions = exceptions + $5, last_output = $6
     WHERE id = $2 AND token = $3 AND intent IS NULL
     RETURNING 1"
);
const FINISH_FAIL: &str = concat!(
    "WITH gone AS (
         DELETE FROM jobs WHERE id = $2 AND token = $3 AND intent IS NULL
         RETURNING uuid, queue, name, payload, attempts)
     INSERT INTO failed_jobs
         (uuid, connection, queue, name, payload, exception, attempts, failed_at)
     SELECT uuid, $4, queue, name, payload, $5, attempts, ",
    now_ms!(),
    " FROM gone
     ON CONFLICT (uuid) DO UPDATE SET
         connection = excluded.connection, queue = excluded.queue, name = excluded.name,
         payload = excluded.payload, exception = excluded.exception,
         attempts = excluded.attempts, failed_at = excluded.failed_at
     RETURNING 1"
);
const FINISH_DISCARD: &str =
    "DELETE FROM jobs WHERE id = $1 AND token = $2 AND intent IS NULL RETURNING 1";

impl Store for PostgresStore {
    fn connection_name(&self) -> &str {
        &self.options.connection
    }

    fn migrate(&mut self) -> Result<Vec<&'static str>> {
        PostgresStore::migrate(self)
    }

    fn subscribe(
        &mut self,
        _worker_id: &str,
        queues: &[String],
        wake: WakeFn,
    ) -> Result<Option<Wakeups>> {
        // LISTEN before the worker's first claim, so that nothing committed after that claim
        // goes unnoticed.
        let mut client = connect(&self.config, &self.place)?;
        client.batch_execute(&format!("LISTEN {WAKE_CHANNEL}"))?;
        let watch = Arc::new(Watch::default());
        watch.listening.store(true, Ordering::SeqCst);
        watch.changed.store(true, Ordering::SeqCst);
        self.watch = Some(Arc::clone(&watch));
        let listener = Listener {
            config: self.config.clone(),
            place: self.place.clone(),
            queues: queues.iter().cloned().collect(),
            wake,
            watch: Arc::clone(&watch),
        };
        std::thread::Builder::new()
            .name("listen".into())
            .spawn(move || listener.run(client))?;
        Ok(Some(Box::new(StopOnDrop(watch))))
    }

    fn enqueue(&mut self, jobs: &[NewJob], _now_ms: i64) -> Result<Vec<Enqueued>> {
        self.leave_worker_session()?;
        let rows: Vec<(String, &NewJob)> = jobs
            .iter()
            .map(|j| Ok((serde_json::to_string(&j.payload)?, j)))
            .collect::<Result<_>>()?;
        if rows.is_empty() {
            return Ok(vec![]);
        }
        if jobs.iter().all(|j| j.payload.unique.is_none()) {
            return self.insert_all(&rows);
        }
        self.write(|tx| {
            let skew = tx.skew;
            let mut results = Vec::with_capacity(rows.len());
            for (raw, job) in &rows {
                if let Some(unique) = &job.payload.unique {
                    let expires = rebase(job.unique_expires_at.unwrap_or(i64::MAX), skew);
                    if let Some(holder) = take_lock(tx, &unique.key, &job.payload.uuid, expires)? {
                        results.push(Enqueued::Skipped { held_by: holder });
                        continue;
                    }
                }
                tx.execute(
                    "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &job.payload.uuid,
                        &job.queue,
                        &job.payload.display_name,
                        raw,
                        &rebase(job.available_at, skew),
                        &rebase(job.payload.created_at, skew),
                    ],
                )?;
                results.push(Enqueued::Dispatched);
            }
            tx.notify_queues = rows
                .iter()
                .zip(&results)
                .filter(|(_, r)| **r == Enqueued::Dispatched)
                .map(|((_, j), _)| j.queue.clone())
                .collect();
            Ok(results)
        })
    }

    fn claim(&mut self, claim: &Claim<'_>) -> Result<Option<Reserved>> {
        Ok(self.claim_many(claim, 1)?.pop())
    }

    fn claim_many(&mut self, claim: &Claim<'_>, limit: usize) -> Result<Vec<Reserved>> {
        self.before_claim()?;
        let offset = self.offset();
        let mut jobs: Vec<Reserved> = Vec::new();
        // Strict priority: the next queue only for what the ones before could not fill.
        for queue in claim.queues {
            if jobs.len() >= limit {
                break;
            }
            let want = (limit - jobs.len()) as i64;
            let rows = self.query(
                CLAIM,
                &[&offset, queue, &claim.lease_ms, &claim.worker_id, &want],
            )?;
            jobs.extend(claimed_jobs(rows)?);
        }
        Ok(jobs)
    }

    fn finish_and_claim(
        &mut self,
        endings: &mut [Ending<'_>],
        now_ms: i64,
        next: Option<(&Claim<'_>, usize)>,
    ) -> Result<(Vec<Finished>, Vec<Reserved>)> {
        let Some((claim, limit)) = next.filter(|(c, limit)| *limit > 0 && !c.queues.is_empty())
        else {
            let finished = self.finish_many(endings, now_ms)?;
            return Ok((finished, Vec::new()));
        };
        // Attempts whose end needs more than deleting their row (a release, a failure, a
        // chain, a batch, middleware, an intent …) end first in their own transactions.
        let mut finished: Vec<Option<Finished>> = vec![None; endings.len()];
        let mut together: Vec<usize> = Vec::new();
        for (i, e) in endings.iter_mut().enumerate() {
            if is_plain(&e.job.payload) && (e.decide)(None).decision == Decision::Complete {
                together.push(i);
            } else {
                finished[i] = Some(self.finish(e.job, e.output, now_ms, &mut *e.decide)?);
            }
        }
        if together.is_empty() {
            let finished = finished
                .into_iter()
                .map(|f| f.expect("set above"))
                .collect();
            return Ok((finished, self.claim_many(claim, limit)?));
        }
        self.before_claim()?;
        let ids: Vec<i64> = together.iter().map(|&i| endings[i].job.id).collect();
        let tokens: Vec<&str> = together
            .iter()
            .map(|&i| endings[i].job.token.as_str())
            .collect();
        // PostgreSQL text cannot hold NUL bytes, which a job's output may have.
        let outputs: Vec<String> = together
            .iter()
            .map(|&i| without_nul(endings[i].output).into_owned())
            .collect();
        let offset = self.offset();
        let want = limit as i64;
        let rows = self.query(
            FINISH_AND_CLAIM,
            &[
                &offset,
                &claim.queues[0],
                &claim.lease_ms,
                &claim.worker_id,
                &want,
                &ids,
                &tokens,
                &outputs,
            ],
        )?;
        self.vacuum_if_due(together.len() as u64);
        let completed: HashSet<String> = rows
            .first()
            .and_then(|r| r.get::<_, Option<Vec<String>>>(8))
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut jobs = claimed_jobs(rows)?;
        for i in together {
            let e = &mut endings[i];
            finished[i] = Some(if completed.contains(&e.job.uuid) {
                Finished::Applied(Decision::Complete)
            } else {
                // It asked for something from inside, or its reservation is gone: the full
                // transaction reads which and decides again.
                self.finish(e.job, e.output, now_ms, &mut *e.decide)?
            });
        }
        // Later queues only for what the first could not fill.
        if jobs.len() < limit && claim.queues.len() > 1 {
            let rest = Claim {
                queues: &claim.queues[1..],
                ..claim.clone()
            };
            jobs.extend(self.claim_many(&rest, limit - jobs.len())?);
        }
        let finished = finished
            .into_iter()
            .map(|f| f.expect("set above"))
            .collect();
        Ok((finished, jobs))
    }

    fn next_available_at(&mut self, queues: &[String]) -> Result<Option<i64>> {
        let skew = self.skew()?;
        let rows = self.query(
            "SELECT MIN(x.available_at) FROM unnest($1::text[]) AS q(name),
                 LATERAL (SELECT available_at FROM jobs
                          WHERE queue = q.name AND reserved_at IS NULL
                          ORDER BY available_at LIMIT 1) x",
            &[&queues],
        )?;
        let at: Option<i64> = rows.first().and_then(|r| r.get(0));
        Ok(at.map(|at| at - skew))
    }

    fn register_worker(&mut self, w: &WorkerInfo, alive_until_ms: i64) -> Result<()> {
        let queues = w.queues.join(",");
        self.write(|tx| {
            let now = tx.now;
            tx.execute(
                "INSERT INTO workers
                     (id, name, host, pid, queues, concurrency, started_at, last_seen_at, alive_until)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET
                     name = excluded.name, host = excluded.host, pid = excluded.pid,
                     queues = excluded.queues, concurrency = excluded.concurrency,
                     started_at = excluded.started_at, last_seen_at = excluded.last_seen_at,
                     alive_until = excluded.alive_until",
                &[
                    &w.id,
                    &w.name,
                    &w.host,
                    &(w.pid as i64),
                    &queues,
                    &(w.concurrency as i64),
                    &(now - (w.last_seen_at - w.started_at)),
                    &now,
                    &(now + (alive_until_ms - w.last_seen_at)),
                ],
            )?;
            Ok(())
        })
    }

    fn unregister_worker(&mut self, worker_id: &str) -> Result<()> {
        self.query("DELETE FROM workers WHERE id = $1", &[&worker_id])?;
        Ok(())
    }

    fn workers(&mut self, _now_ms: i64) -> Result<Vec<WorkerInfo>> {
        let offset = self.offset();
        let rows = self.query(
            concat!(
                "WITH gone AS (DELETE FROM workers WHERE alive_until < ",
                now_ms!(),
                ")
                 SELECT w.id, w.name, w.host, w.pid, w.queues, w.concurrency, w.started_at,
                        w.last_seen_at,
                        (SELECT string_agg(uuid, ',' ORDER BY id) FROM jobs j
                         WHERE j.worker_id = w.id AND j.reserved_at IS NOT NULL)
                 FROM workers w WHERE w.alive_until >= ",
                now_ms!(),
                " ORDER BY w.started_at, w.id"
            ),
            &[&offset],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let queues: String = r.get(4);
                let jobs: Option<String> = r.get(8);
                WorkerInfo {
                    id: r.get(0),
                    name: r.get(1),
                    host: r.get(2),
                    pid: r.get::<_, i64>(3) as u32,
                    queues: queues.split(',').map(String::from).collect(),
                    concurrency: r.get::<_, i64>(5) as usize,
                    started_at: r.get(6),
                    last_seen_at: r.get(7),
                    jobs: jobs
                        .map(|j| j.split(',').map(String::from).collect())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    fn admit(&mut self, job: &Reserved, _now_ms: i64, lease_ms: i64) -> Result<Admission> {
        let mw = &job.payload.middleware;
        let until_processing = job.payload.unique.as_ref().filter(|u| u.until_processing);
        if mw.is_empty() && until_processing.is_none() && job.payload.batch_id.is_none() {
            // Nothing to check or take: no round trip.
            return Ok(Admission::Run);
        }
        self.write(|tx| {
            let now = tx.now;
            if let Some(batch_id) = &job.payload.batch_id {
                // A failed job put back with `retry` / `retry-batch` runs even in its cancelled
                // batch: it is what the user asked for (it is still in failed_job_ids).
                let row = tx.opt(
                    "SELECT cancelled_at IS NOT NULL, failed_job_ids FROM job_batches WHERE id = $1",
                    &[batch_id],
                )?;
                if let Some(row) = row {
                    let cancelled: bool = row.get(0);
                    let ids: Vec<String> =
                        serde_json::from_str(row.get::<_, &str>(1)).unwrap_or_default();
                    if cancelled && !ids.contains(&job.uuid) {
                        return Ok(Admission::Skip {
                            reason: format!("skipped: batch {batch_id} was cancelled"),
                        });
                    }
                }
            }
            serialize_middleware(tx, job)?;
            // Each check may hold the job back; the first that does decides.
            if let Some((delay_ms, park_on, reason)) = admission_check(tx, job, mw)? {
                let delay_ms = delay_ms.unwrap_or(lease_ms);
                tx.execute(
                    "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                            token = NULL, intent = NULL, available_at = $2, parked_on = $3
                     WHERE id = $1 AND token = $4",
                    &[&job.id, &(now + delay_ms), &park_on, &job.token],
                )?;
                return Ok(Admission::HeldBack { delay_ms, reason });
            }
            if let Some(unique) = until_processing {
                release_owned(tx, &unique.key, &job.uuid)?;
            }
            // It runs, so it waits on no lock any more (it may have come back by its delay
            // rather than by a wake-up): a later release must not cut short its backoff.
            if mw.funnel.is_some() || mw.without_overlapping.is_some() {
                tx.execute(
                    "UPDATE jobs SET parked_on = NULL WHERE id = $1 AND parked_on IS NOT NULL",
                    &[&job.id],
                )?;
            }
            Ok(Admission::Run)
        })
    }

    fn heartbeat(
        &mut self,
        worker_id: &str,
        now_ms: i64,
        lease_until_ms: i64,
        alive_until_ms: i64,
    ) -> Result<()> {
        let offset = self.offset();
        let lease_ms = lease_until_ms - now_ms;
        let alive_ms = alive_until_ms - now_ms;
        self.query(
            concat!(
                "WITH j AS (UPDATE jobs SET lease_expires_at = ",
                now_ms!(),
                " + $3 WHERE worker_id = $2 AND reserved_at IS NOT NULL)
                 UPDATE workers SET last_seen_at = ",
                now_ms!(),
                ", alive_until = ",
                now_ms!(),
                " + $4 WHERE id = $2"
            ),
            &[&offset, &worker_id, &lease_ms, &alive_ms],
        )?;
        Ok(())
    }

    fn finish(
        &mut self,
        job: &Reserved,
        output: &str,
        _now_ms: i64,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Finished> {
        self.vacuum_if_due(1);
        // PostgreSQL text cannot hold NUL bytes, which a job's output may have.
        let output = &*without_nul(output);
        if is_plain(&job.payload) {
            if let Some(finished) = self.finish_plain(job, output, decide)? {
                return Ok(finished);
            }
        }
        let discard_failed = self.options.discard_failed;
        let connection = self.options.connection.clone();
        let attempts = job.attempts;
        let exceptions = job.exceptions as i64;
        self.write(|tx| {
            let now = tx.now;
            let row = tx.opt(
                "SELECT intent, payload, name, created_at FROM jobs
                 WHERE id = $1 AND token = $2 FOR UPDATE",
                &[&job.id, &job.token],
            )?;
            let Some(row) = row else {
                return Ok(Finished::LeaseLost);
            };
            let intent: Option<String> = row.get(0);
            let raw_payload: String = row.get(1);
            let name: String = row.get(2);
            let created_at: i64 = row.get(3);
            let intent = intent.and_then(|text| serde_json::from_str::<Intent>(&text).ok());
            let verdict = decide(intent);
            release_after_attempt(tx, job, &verdict)?;
            let decision = verdict.decision;
            match &decision {
                Decision::Complete => {
                    tx.execute("DELETE FROM jobs WHERE id = $1", &[&job.id])?;
                    tx.execute(
                        concat!(
                            "INSERT INTO finished_jobs
                                 (uuid, queue, name, payload, attempts, exceptions, output,
                                  created_at, finished_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            replace_finished!()
                        ),
                        &[
                            &job.uuid,
                            &job.queue,
                            &name,
                            &raw_payload,
                            &attempts,
                            &exceptions,
                            &output,
                            &created_at,
                            &now,
                        ],
                    )?;
                }
                Decision::Release {
                    delay_ms,
                    exception,
                } => {
                    tx.execute(
                        "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                                token = NULL, intent = NULL, available_at = $2,
                                exceptions = exceptions + $3, last_output = $4
                         WHERE id = $1",
                        &[&job.id, &(now + delay_ms), &(*exception as i64), &output],
                    )?;
                }
                Decision::Fail { reason } => {
                    tx.execute("DELETE FROM jobs WHERE id = $1", &[&job.id])?;
                    if !discard_failed {
                        let exception = failure_text(reason, output);
                        tx.execute(
                            "INSERT INTO failed_jobs
                                 (uuid, connection, queue, name, payload, exception, attempts, failed_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                             ON CONFLICT (uuid) DO UPDATE SET
                                 connection = excluded.connection, queue = excluded.queue,
                                 name = excluded.name, payload = excluded.payload,
                                 exception = excluded.exception, attempts = excluded.attempts,
                                 failed_at = excluded.failed_at",
                            &[
                                &job.uuid,
                                &connection,
                                &job.queue,
                                &name,
                                &raw_payload,
                                &exception,
                                &attempts,
                                &now,
                            ],
                        )?;
                    }
                }
            }
            after_job(tx, job, &decision, &name, output)?;
            Ok(Finished::Applied(decision))
        })
    }

    fn record_intent(&mut self, uuid: &str, token: &str, intent: &Intent) -> Result<bool> {
        let text = serde_json::to_string(intent)?;
        let rows = self.query(
            "UPDATE jobs SET intent = $3 WHERE uuid = $1 AND token = $2 AND reserved_at IS NOT NULL
             RETURNING id",
            &[&uuid, &token, &text],
        )?;
        Ok(rows.len() == 1)
    }

    fn queue_stats(&mut self, _now_ms: i64) -> Result<Vec<QueueStats>> {
        let offset = self.offset();
        let rows = self.query(
            concat!(
                "WITH n AS (SELECT ",
                now_ms!(),
                " AS now)
                 SELECT queue,
                        COUNT(*) FILTER (WHERE reserved_at IS NULL AND available_at <= n.now),
                        COUNT(*) FILTER (WHERE reserved_at IS NULL AND available_at > n.now),
                        COUNT(*) FILTER (WHERE reserved_at IS NOT NULL),
                        MIN(available_at) FILTER (WHERE reserved_at IS NULL AND available_at <= n.now),
                        0::bigint, MIN(n.now)
                 FROM jobs, n GROUP BY queue
                 UNION ALL
                 SELECT queue, 0, 0, 0, NULL, COUNT(*), MIN(n.now) FROM failed_jobs, n GROUP BY queue"
            ),
            &[&offset],
        )?;
        let connection = self.options.connection.clone();
        let mut by_queue: std::collections::BTreeMap<String, QueueStats> = Default::default();
        for r in &rows {
            let queue: String = r.get(0);
            let now: i64 = r.get(6);
            let entry = by_queue.entry(queue.clone()).or_insert_with(|| QueueStats {
                queue,
                connection: connection.clone(),
                ..Default::default()
            });
            entry.pending += r.get::<_, i64>(1);
            entry.delayed += r.get::<_, i64>(2);
            entry.reserved += r.get::<_, i64>(3);
            entry.failed += r.get::<_, i64>(5);
            if let Some(oldest) = r.get::<_, Option<i64>>(4) {
                entry.oldest_pending_age_s = Some((now - oldest).max(0) / 1000);
            }
        }
        Ok(by_queue.into_values().collect())
    }

    fn show(&mut self, uuid: &str, _now_ms: i64) -> Result<Option<JobView>> {
        let offset = self.offset();
        // A job is in exactly one of the three tables; one query reads it in one shape.
        let rows = self.query(
            concat!(
                "SELECT 'queued', queue, name, payload, attempts, exceptions, reserved_at,
                        available_at, created_at, NULL::bigint, NULL::bigint, NULL::text,
                        last_output, NULL::text, ",
                now_ms!(),
                "
                 FROM jobs WHERE uuid = $2
                 UNION ALL
                 SELECT 'failed', queue, name, payload, attempts, 0, NULL,
                        NULL, NULL, NULL, failed_at, exception, NULL, connection, 0
                 FROM failed_jobs WHERE uuid = $2
                 UNION ALL
                 SELECT 'done', queue, name, payload, attempts, exceptions, NULL,
                        NULL, created_at, finished_at, NULL, NULL, output, NULL, 0
                 FROM finished_jobs WHERE uuid = $2
                 LIMIT 1"
            ),
            &[&offset, &uuid],
        )?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let source: String = r.get(0);
        let raw: String = r.get(3);
        let payload = parse_payload(&raw, uuid)?;
        let reserved_at: Option<i64> = r.get(6);
        let available_at: Option<i64> = r.get(7);
        let created_at: Option<i64> = r.get(8);
        let finished_at: Option<i64> = r.get(9);
        let failed_at: Option<i64> = r.get(10);
        let now: i64 = r.get(14);
        let state = match (source.as_str(), reserved_at, available_at) {
            ("failed", ..) => JobState::Failed,
            ("done", ..) => JobState::Done,
            (_, Some(_), _) => JobState::Reserved,
            (_, None, Some(at)) if at > now => JobState::Delayed,
            _ => JobState::Pending,
        };
        let connection: Option<String> = r.get(13);
        Ok(Some(JobView {
            uuid: uuid.into(),
            name: r.get(2),
            queue: r.get(1),
            connection: connection.unwrap_or_else(|| self.options.connection.clone()),
            state,
            attempts: r.get(4),
            exceptions: r.get::<_, i64>(5) as u32,
            created_at: format_rfc3339(created_at.unwrap_or(payload.created_at)),
            available_at: available_at.map(format_rfc3339),
            reserved_at: reserved_at.map(format_rfc3339),
            finished_at: finished_at.map(format_rfc3339),
            failed_at: failed_at.map(format_rfc3339),
            error: r.get(11),
            output: r.get(12),
            payload,
        }))
    }

    fn failed_jobs(&mut self, queue: Option<&str>) -> Result<Vec<FailedJob>> {
        let rows = self.query(
            "SELECT uuid, connection, queue, name, failed_at, attempts, exception, payload
             FROM failed_jobs WHERE ($1::text IS NULL OR queue = $1) ORDER BY id DESC",
            &[&queue],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let failed_at: i64 = r.get(4);
                let raw: String = r.get(7);
                FailedJob {
                    uuid: r.get(0),
                    connection: r.get(1),
                    queue: r.get(2),
                    name: r.get(3),
                    failed_at_ms: failed_at,
                    failed_at: format_rfc3339(failed_at),
                    attempts: r.get(5),
                    error: r.get(6),
                    payload: serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw)),
                }
            })
            .collect())
    }

    fn retry_failed(&mut self, selection: &RetrySelection, _now_ms: i64) -> Result<Vec<String>> {
        self.leave_worker_session()?;
        self.write(|tx| {
            let now = tx.now;
            let retried: Vec<String> = match selection {
                RetrySelection::All | RetrySelection::Queue(_) => {
                    let queue = match selection {
                        RetrySelection::Queue(q) => Some(q.as_str()),
                        _ => None,
                    };
                    // Newest failure first, as SQLite's store puts them back.
                    tx.query(
                        "WITH moved AS (
                             DELETE FROM failed_jobs WHERE ($1::text IS NULL OR queue = $1)
                             RETURNING id, uuid, queue, name, payload),
                         inserted AS (
                             INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                             SELECT uuid, queue, name, payload, $2, $2 FROM moved ORDER BY id DESC),
                         forgotten AS (
                             DELETE FROM finished_jobs WHERE uuid IN (SELECT uuid FROM moved))
                         SELECT uuid FROM moved ORDER BY id DESC",
                        &[&queue, &now],
                    )?
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
                }
                RetrySelection::Uuids(list) => {
                    let mut retried: Vec<String> = Vec::new();
                    for uuid in list {
                        if retried.contains(uuid) {
                            continue;
                        }
                        // The job goes back with its uuid and payload, attempts and exceptions reset.
                        let moved = tx.query(
                            "WITH moved AS (
                                 DELETE FROM failed_jobs WHERE uuid = $1
                                 RETURNING uuid, queue, name, payload)
                             INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
                             SELECT uuid, queue, name, payload, $2, $2 FROM moved
                             RETURNING uuid",
                            &[uuid, &now],
                        )?;
                        if moved.is_empty() {
                            // An id that names no failed job is an error, and the whole retry
                            // is undone.
                            bail!(
                                "no failed job with id {uuid} (see `queue failed`); nothing was retried"
                            );
                        }
                        tx.execute("DELETE FROM finished_jobs WHERE uuid = $1", &[uuid])?;
                        retried.push(uuid.clone());
                    }
                    retried
                }
            };
            tx.notify = !retried.is_empty();
            Ok(retried)
        })
    }

    fn forget_failed(&mut self, uuid: &str) -> Result<bool> {
        let rows = self.query(
            "DELETE FROM failed_jobs WHERE uuid = $1 RETURNING id",
            &[&uuid],
        )?;
        Ok(rows.len() == 1)
    }

    fn flush_failed(&mut self, before_ms: Option<i64>) -> Result<usize> {
        self.write(|tx| {
            let n = match before_ms {
                Some(before) => tx.execute(
                    "DELETE FROM failed_jobs WHERE failed_at <= $1",
                    &[&rebase(before, tx.skew)],
                )?,
                None => tx.execute("DELETE FROM failed_jobs", &[])?,
            };
            Ok(n as usize)
        })
    }

    fn clear(&mut self, queue: &str) -> Result<usize> {
        self.write(|tx| {
            // The unique locks of the cleared jobs go with them.
            tx.execute(
                "DELETE FROM locks WHERE key LIKE 'unique:%'
                   AND owner IN (SELECT uuid FROM jobs WHERE queue = $1)",
                &[&queue],
            )?;
            Ok(tx.execute("DELETE FROM jobs WHERE queue = $1", &[&queue])? as usize)
        })
    }

    fn prune_finished(&mut self, before_ms: i64) -> Result<usize> {
        self.write(|tx| {
            let before = rebase(before_ms, tx.skew);
            Ok(tx.execute(
                "DELETE FROM finished_jobs WHERE finished_at < $1",
                &[&before],
            )? as usize)
        })
    }

    fn controls(&mut self) -> Result<Controls> {
        // A listening worker reads the settings again only when told they changed (every
        // change notifies): one round trip less per job.
        if let Some(watch) = &self.watch {
            let trusted = watch.listening.load(Ordering::SeqCst);
            let changed = watch.changed.swap(false, Ordering::SeqCst);
            if let (true, false, Some(controls)) = (trusted, changed, &self.controls) {
                return Ok(controls.clone());
            }
        }
        let rows = self.query("SELECT key, value FROM settings", &[])?;
        let mut controls = Controls::default();
        for r in &rows {
            let key: String = r.get(0);
            let value: String = r.get(1);
            if key == RESTART_KEY {
                controls.restart = Some(value);
            } else if key == MAINTENANCE_KEY {
                controls.maintenance = true;
            } else if let Some(queue) = key.strip_prefix(PAUSED_PREFIX) {
                controls.paused.push(queue.to_string());
            }
        }
        if self.watch.is_some() {
            self.controls = Some(controls.clone());
        }
        Ok(controls)
    }

    fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        self.write(|tx| {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO settings (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&key, &v],
                )?,
                None => tx.execute("DELETE FROM settings WHERE key = $1", &[&key])?,
            };
            // `restart`, `resume` and `up` must reach idle workers on every host at once.
            tx.notify = true;
            Ok(())
        })
    }

    fn acquire_lock(
        &mut self,
        key: &str,
        owner: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Option<String>> {
        self.write(|tx| {
            // How long it is held counts from the server's now.
            let expires = match expires_at_ms {
                i64::MAX => i64::MAX,
                at => tx.now.saturating_add(at - now_ms),
            };
            take_lock(tx, key, owner, expires)
        })
    }

    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()> {
        self.write(|tx| release_owned(tx, key, owner))
    }

    fn create_batch(&mut self, batch: &NewBatch, jobs: &[NewJob]) -> Result<()> {
        self.leave_worker_session()?;
        let options = serde_json::to_string(&batch.options)?;
        let total: i64 = jobs
            .iter()
            .map(|j| 1 + j.payload.chained.len() as i64)
            .sum();
        self.write(|tx| {
            let skew = tx.skew;
            tx.execute(
                "INSERT INTO job_batches (id, name, total_jobs, pending_jobs, failed_jobs,
                                          failed_job_ids, options, created_at)
                 VALUES ($1, $2, $3, $3, 0, '[]', $4, $5)",
                &[
                    &batch.id,
                    &batch.name,
                    &total,
                    &options,
                    &rebase(batch.created_at, skew),
                ],
            )?;
            for job in jobs {
                insert_job(tx, job, skew)?;
            }
            Ok(())
        })
    }

    fn add_to_batch(&mut self, batch_id: &str, jobs: &[NewJob]) -> Result<()> {
        self.leave_worker_session()?;
        let added: i64 = jobs
            .iter()
            .map(|j| 1 + j.payload.chained.len() as i64)
            .sum();
        self.write(|tx| {
            // Adding re-opens a finished batch, as Laravel's add() does.
            let changed = tx.execute(
                "UPDATE job_batches SET total_jobs = total_jobs + $2,
                        pending_jobs = pending_jobs + $2, finished_at = NULL
                 WHERE id = $1",
                &[&batch_id, &added],
            )?;
            if changed == 0 {
                bail!("no batch with id {batch_id} (see `queue batches`)");
            }
            let skew = tx.skew;
            for job in jobs {
                insert_job(tx, job, skew)?;
            }
            Ok(())
        })
    }

    fn batches(&mut self) -> Result<Vec<BatchView>> {
        let rows = self.query(
            concat!(
                "SELECT ",
                batch_columns!(),
                " FROM job_batches ORDER BY created_at DESC, id DESC"
            ),
            &[],
        )?;
        Ok(rows.iter().map(batch_from_row).collect())
    }

    fn batch(&mut self, id: &str) -> Result<Option<BatchView>> {
        let rows = self.query(
            concat!(
                "SELECT ",
                batch_columns!(),
                " FROM job_batches WHERE id = $1"
            ),
            &[&id],
        )?;
        Ok(rows.first().map(batch_from_row))
    }

    fn cancel_batch(&mut self, id: &str, _now_ms: i64) -> Result<bool> {
        self.write(|tx| {
            let now = tx.now;
            let exists = tx.execute(
                "UPDATE job_batches SET cancelled_at = COALESCE(cancelled_at, $2),
                        finished_at = COALESCE(finished_at, $2)
                 WHERE id = $1",
                &[&id, &now],
            )?;
            Ok(exists == 1)
        })
    }

    fn prune_batches(
        &mut self,
        finished_before: i64,
        unfinished_before: Option<i64>,
        cancelled_before: Option<i64>,
    ) -> Result<super::PrunedBatches> {
        self.write(|tx| {
            let skew = tx.skew;
            let finished = tx.execute(
                "DELETE FROM job_batches WHERE finished_at IS NOT NULL AND finished_at < $1",
                &[&rebase(finished_before, skew)],
            )?;
            let unfinished = match unfinished_before {
                Some(t) => tx.execute(
                    "DELETE FROM job_batches WHERE finished_at IS NULL AND created_at < $1",
                    &[&rebase(t, skew)],
                )?,
                None => 0,
            };
            let cancelled = match cancelled_before {
                Some(t) => tx.execute(
                    "DELETE FROM job_batches WHERE cancelled_at IS NOT NULL AND created_at < $1",
                    &[&rebase(t, skew)],
                )?,
                None => 0,
            };
            Ok(super::PrunedBatches {
                finished: finished as usize,
                unfinished: unfinished as usize,
                cancelled: cancelled as usize,
            })
        })
    }
}

/// Insert one job row inside a transaction; `skew` moves its instants onto the server's clock
/// (0 for jobs whose times were computed from the transaction's `now`). Idle workers of its
/// queue hear of it at the commit.
fn insert_job(tx: &mut Tx<'_>, job: &NewJob, skew: i64) -> Result<()> {
    let raw = serde_json::to_string(&job.payload)?;
    tx.execute(
        "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &job.payload.uuid,
            &job.queue,
            &job.payload.display_name,
            &raw,
            &rebase(job.available_at, skew),
            &rebase(job.payload.created_at, skew),
        ],
    )?;
    tx.notify_queues.push(job.queue.clone());
    Ok(())
}

/// What a job's end means beyond its own row, in the same transaction: the next link of its
/// chain, the chain's catch, and its batch's counters and callbacks (as the SQLite store).
fn after_job(
    tx: &mut Tx<'_>,
    job: &Reserved,
    decision: &Decision,
    name: &str,
    output: &str,
) -> Result<()> {
    use crate::domain::batch::{chain_catch_job, FailedInfo};
    let now = tx.now;
    let p = &job.payload;
    match decision {
        Decision::Complete => {
            if let Some((next, rest)) = p.chained.split_first() {
                let mut payload = next.payload.clone();
                payload.chained = rest.to_vec();
                payload.chain_catch = p.chain_catch.clone();
                payload.batch_id = p.batch_id.clone();
                payload.created_at = now;
                let link = NewJob {
                    queue: next.queue.clone(),
                    available_at: now + next.delay_ms,
                    unique_expires_at: None,
                    encrypt: false,
                    payload,
                };
                insert_job(tx, &link, 0)?;
            }
            if let Some(batch_id) = &p.batch_id {
                batch_counts(tx, batch_id, &job.uuid, None)?;
            }
        }
        Decision::Fail { reason } => {
            let error = failure_text(reason, output);
            let failed = FailedInfo {
                uuid: &job.uuid,
                name,
                error: &error,
            };
            if let Some(command) = &p.chain_catch {
                let catch = chain_catch_job(
                    command,
                    &failed,
                    &job.queue,
                    &p.cwd,
                    crate::clock::new_uuid(),
                    now,
                );
                insert_job(tx, &catch, 0)?;
            }
            if let Some(batch_id) = &p.batch_id {
                batch_counts(tx, batch_id, &job.uuid, Some(&failed))?;
            }
        }
        Decision::Release { .. } => {}
    }
    Ok(())
}

/// Count a batched job's success (failed = None) or final failure, and queue the callbacks
/// that this update fires (reference §9.3). The batch row is locked first, so concurrent ends
/// of jobs of one batch count one after another and each callback fires once.
fn batch_counts(
    tx: &mut Tx<'_>,
    batch_id: &str,
    uuid: &str,
    failed: Option<&crate::domain::batch::FailedInfo<'_>>,
) -> Result<()> {
    use crate::domain::batch::{callback_job, tally, Counts, Tally};
    let now = tx.now;
    let row = tx.opt(
        concat!(
            "SELECT ",
            batch_columns!(),
            " FROM job_batches WHERE id = $1 FOR UPDATE"
        ),
        &[&batch_id],
    )?;
    let Some(batch) = row.as_ref().map(batch_from_row) else {
        return Ok(()); // pruned meanwhile: nothing to count
    };
    let Tally {
        counts,
        failed_job_ids: ids,
        effects,
        cancelled,
    } = tally(
        Counts {
            total: batch.total_jobs,
            pending: batch.pending_jobs,
            failed: batch.failed_jobs,
        },
        &batch.failed_job_ids,
        batch.cancelled_at.is_some(),
        batch.options.allow_failures,
        uuid,
        failed.is_some(),
    );
    tx.execute(
        "UPDATE job_batches SET pending_jobs = $2, failed_jobs = $3, failed_job_ids = $4,
                finished_at = CASE WHEN $5 THEN $7
                                   WHEN $6 THEN COALESCE(finished_at, $7)
                                   ELSE finished_at END,
                cancelled_at = CASE WHEN $6 THEN COALESCE(cancelled_at, $7) ELSE cancelled_at END
         WHERE id = $1",
        &[
            &batch_id,
            &counts.pending,
            &counts.failed,
            &serde_json::to_string(&ids)?,
            &effects.finish,
            &effects.cancel,
            &now,
        ],
    )?;
    for kind in effects.callbacks {
        let job = callback_job(
            kind,
            batch_id,
            &batch.name,
            &batch.options,
            counts,
            cancelled,
            failed,
            crate::clock::new_uuid(),
            now,
        );
        if let Some(job) = job {
            insert_job(tx, &job, 0)?;
        }
    }
    Ok(())
}

/// The columns `batch_from_row` reads.
macro_rules! batch_columns {
    () => {
        "id, name, total_jobs, pending_jobs, failed_jobs, failed_job_ids, options, \
         cancelled_at, finished_at, created_at"
    };
}
use batch_columns;

fn batch_from_row(r: &Row) -> BatchView {
    let total: i64 = r.get(2);
    let pending: i64 = r.get(3);
    let failed: i64 = r.get(4);
    let ids: String = r.get(5);
    let options: Option<String> = r.get(6);
    let counts = crate::domain::batch::Counts {
        total,
        pending,
        failed,
    };
    BatchView {
        id: r.get(0),
        name: r.get(1),
        total_jobs: total,
        pending_jobs: pending,
        processed_jobs: counts.processed(),
        failed_jobs: failed,
        progress: counts.progress(),
        failed_job_ids: serde_json::from_str(&ids).unwrap_or_default(),
        options: options
            .and_then(|o| serde_json::from_str(&o).ok())
            .unwrap_or_default(),
        cancelled_at: r.get::<_, Option<i64>>(7).map(format_rfc3339),
        finished_at: r.get::<_, Option<i64>>(8).map(format_rfc3339),
        created_at: format_rfc3339(r.get(9)),
    }
}

/// Take `key` for `owner` until `expires_at` (server time), freeing it first if its holder is
/// gone: an expired lock, a unique lock whose job left the queue, or an overlap/funnel lock
/// whose attempt is no longer running (its worker died: the lease expired or was freed).
/// Returns the holder when busy.
fn take_lock(tx: &mut Tx<'_>, key: &str, owner: &str, expires_at: i64) -> Result<Option<String>> {
    let now = tx.now;
    tx.execute(
        "DELETE FROM locks WHERE key = $1 AND owner <> $2 AND (
             expires_at <= $3
             OR (key LIKE 'unique:%' AND NOT EXISTS (SELECT 1 FROM jobs WHERE uuid = locks.owner))
             OR ((key LIKE 'overlap:%' OR key LIKE 'funnel:%') AND NOT EXISTS (
                 SELECT 1 FROM jobs WHERE token = locks.owner AND reserved_at IS NOT NULL
                                      AND lease_expires_at > $3)))",
        &[&key, &owner, &now],
    )?;
    tx.execute(
        "INSERT INTO locks (key, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
         WHERE locks.owner = excluded.owner",
        &[&key, &owner, &expires_at],
    )?;
    let holder: String = tx
        .one("SELECT owner FROM locks WHERE key = $1", &[&key])?
        .get(0);
    Ok((holder != owner).then_some(holder))
}

fn release_owned(tx: &mut Tx<'_>, key: &str, owner: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM locks WHERE key = $1 AND owner = $2",
        &[&key, &owner],
    )?;
    Ok(())
}

/// A lock was released: the first job parked on it may go now (and idle workers hear of it).
fn wake_parked(tx: &mut Tx<'_>, key: &str) -> Result<()> {
    let now = tx.now;
    let woken = tx.execute(
        "UPDATE jobs SET available_at = $2, parked_on = NULL
         WHERE id = (SELECT id FROM jobs WHERE parked_on = $1 AND reserved_at IS NULL
                     ORDER BY available_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)",
        &[&key, &now],
    )?;
    if woken > 0 {
        tx.notify = true;
    }
    Ok(())
}

/// A fixed window's count: (hits, window end) while the window is open.
fn window(tx: &mut Tx<'_>, key: &str) -> Result<Option<(i64, i64)>> {
    let now = tx.now;
    Ok(tx
        .opt(
            "SELECT hits, window_ends_at FROM limiters WHERE key = $1 AND window_ends_at > $2",
            &[&key, &now],
        )?
        .map(|r| (r.get(0), r.get(1))))
}

/// Count one hit in a fixed window of `seconds` that opens at the first hit.
fn hit(tx: &mut Tx<'_>, key: &str, seconds: u64) -> Result<()> {
    let now = tx.now;
    tx.execute(
        "INSERT INTO limiters (key, hits, window_ends_at) VALUES ($1, 1, $2::bigint + $3::bigint)
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN limiters.window_ends_at > $2 THEN limiters.hits + 1 ELSE 1 END,
             window_ends_at = CASE WHEN limiters.window_ends_at > $2
                                   THEN limiters.window_ends_at ELSE $2::bigint + $3::bigint END",
        &[&key, &now, &(seconds as i64 * 1000)],
    )?;
    Ok(())
}

/// Held back: (delay, the lock to wait on, why). A None delay means "until the lease length".
type Held = (Option<i64>, Option<String>, String);

/// The middleware checks of `admit`, in order; takes what it needs when the job may run.
fn admission_check(
    tx: &mut Tx<'_>,
    job: &Reserved,
    mw: &crate::domain::middleware::Middleware,
) -> Result<Option<Held>> {
    use crate::domain::middleware::{funnel_slot_key, overlap_key, rate_key, throttle_key};
    let now = tx.now;
    if let Some(t) = &mw.throttle_exceptions {
        if let Some((hits, ends)) = window(tx, &throttle_key(&t.key))? {
            if hits >= t.max as i64 {
                let why = format!(
                    "throttled: {} exceptions for '{}' within {}s",
                    hits, t.key, t.seconds
                );
                return Ok(Some((Some(ends - now), None, why)));
            }
        }
    }
    if let Some(r) = &mw.rate_limit {
        if let Some((hits, ends)) = window(tx, &rate_key(&r.key))? {
            if hits >= r.max as i64 {
                let why = format!(
                    "rate limit '{}': {} per {}s reached",
                    r.key, r.max, r.seconds
                );
                return Ok(Some((Some(ends - now), None, why)));
            }
        }
    }
    let mut slot_taken = None;
    if let Some(f) = &mw.funnel {
        for slot in 1..=f.max {
            let key = funnel_slot_key(&f.key, slot);
            if take_lock(tx, &key, &job.token, i64::MAX)?.is_none() {
                slot_taken = Some(key);
                break;
            }
        }
        if slot_taken.is_none() {
            let why = format!("funnel '{}': {} running", f.key, f.max);
            return Ok(Some((None, Some(format!("funnel:{}", f.key)), why)));
        }
    }
    if let Some(key) = &mw.without_overlapping {
        let lock = overlap_key(key);
        if take_lock(tx, &lock, &job.token, i64::MAX)?.is_some() {
            if let Some(slot) = slot_taken {
                release_owned(tx, &slot, &job.token)?;
            }
            let why = format!("without-overlapping '{key}': another job holds it");
            return Ok(Some((None, Some(lock), why)));
        }
    }
    if let Some(r) = &mw.rate_limit {
        hit(tx, &rate_key(&r.key), r.seconds)?;
    }
    Ok(None)
}

/// Concurrent transactions on the same middleware keys take turns, as SQLite's writers do:
/// a rate-limit window is read and counted, or a funnel's slots tried, by one at a time.
/// Locks are taken in key order (no deadlock) and held until the transaction ends.
fn serialize_middleware(tx: &mut Tx<'_>, job: &Reserved) -> Result<()> {
    use crate::domain::middleware::{overlap_key, rate_key, throttle_key};
    let mw = &job.payload.middleware;
    let mut keys: Vec<String> = Vec::new();
    keys.extend(mw.rate_limit.as_ref().map(|r| rate_key(&r.key)));
    keys.extend(
        mw.throttle_exceptions
            .as_ref()
            .map(|t| throttle_key(&t.key)),
    );
    keys.extend(mw.funnel.as_ref().map(|f| format!("funnel:{}", f.key)));
    keys.extend(mw.without_overlapping.as_ref().map(|k| overlap_key(k)));
    if keys.is_empty() {
        return Ok(());
    }
    keys.sort();
    tx.query(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
         FROM unnest($1::text[]) AS k ORDER BY k",
        &[&keys],
    )?;
    Ok(())
}

/// After an attempt: give back what it held and count what its middleware counts.
fn release_after_attempt(tx: &mut Tx<'_>, job: &Reserved, verdict: &Verdict) -> Result<()> {
    use crate::domain::middleware::{funnel_slot_key, overlap_key, throttle_key};
    serialize_middleware(tx, job)?;
    let p = &job.payload;
    if let Some(key) = &p.middleware.without_overlapping {
        let lock = overlap_key(key);
        release_owned(tx, &lock, &job.token)?;
        wake_parked(tx, &lock)?;
    }
    if let Some(f) = &p.middleware.funnel {
        for slot in 1..=f.max {
            release_owned(tx, &funnel_slot_key(&f.key, slot), &job.token)?;
        }
        wake_parked(tx, &format!("funnel:{}", f.key))?;
    }
    let ended = matches!(verdict.decision, Decision::Complete | Decision::Fail { .. });
    if let Some(unique) = p.unique.as_ref().filter(|_| ended) {
        release_owned(tx, &unique.key, &job.uuid)?;
    }
    if let Some(t) = &p.middleware.throttle_exceptions {
        let key = throttle_key(&t.key);
        if verdict.threw {
            hit(tx, &key, t.seconds)?;
        } else if verdict.decision == Decision::Complete {
            // It counts consecutive exceptions: a success starts over.
            tx.execute("DELETE FROM limiters WHERE key = $1", &[&key])?;
        }
    }
    Ok(())
}

/// Text as PostgreSQL can store it: NUL bytes become U+FFFD.
fn without_nul(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The text stored in failed_jobs.exception: the reason on the first line, then the output tail.
fn failure_text(reason: &str, output: &str) -> String {
    if output.trim().is_empty() {
        reason.to_string()
    } else {
        format!("{reason}\n--- output (last 64 KiB) ---\n{output}")
    }
}

/// What a worker's store and its listener thread share.
#[derive(Default)]
struct Watch {
    /// The worker dropped its subscription: the thread ends.
    stop: AtomicBool,
    /// The LISTEN connection is up, so no notification can be missed.
    listening: AtomicBool,
    /// A setting changed (or may have, while the connection was down).
    changed: AtomicBool,
}

/// Stops a listener thread when the worker drops its subscription.
struct StopOnDrop(Arc<Watch>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.listening.store(false, Ordering::SeqCst);
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

/// A worker's LISTEN connection: every notification for one of its queues (or for any queue)
/// becomes a wake-up. A lost connection is made again; meanwhile the worker polls.
struct Listener {
    config: Config,
    place: String,
    queues: HashSet<String>,
    wake: WakeFn,
    watch: Arc<Watch>,
}

impl Listener {
    fn run(self, mut client: Client) {
        loop {
            if !self.drain(&mut client) {
                return;
            }
            // The connection is gone: make it again, then look once, as anything may have
            // been committed meanwhile.
            self.watch.listening.store(false, Ordering::SeqCst);
            loop {
                std::thread::sleep(Duration::from_secs(1));
                if self.watch.stop.load(Ordering::SeqCst) {
                    return;
                }
                let listening = connect(&self.config, &self.place).and_then(|mut c| {
                    c.batch_execute(&format!("LISTEN {WAKE_CHANNEL}"))?;
                    Ok(c)
                });
                if let Ok(c) = listening {
                    client = c;
                    break;
                }
            }
            self.watch.changed.store(true, Ordering::SeqCst);
            self.watch.listening.store(true, Ordering::SeqCst);
            if !(self.wake)() {
                return;
            }
        }
    }

    /// Forward notifications until the connection breaks (true) or the worker is gone (false).
    fn drain(&self, client: &mut Client) -> bool {
        loop {
            {
                let mut notifications = client.notifications();
                let mut iter = notifications.timeout_iter(Duration::from_secs(2));
                loop {
                    match iter.next() {
                        Ok(Some(n)) => {
                            let payload = n.payload();
                            if payload.is_empty() {
                                self.watch.changed.store(true, Ordering::SeqCst);
                            }
                            let ours = payload.is_empty() || self.queues.contains(payload);
                            if ours && !(self.wake)() {
                                return false;
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return true,
                    }
                }
            }
            if self.watch.stop.load(Ordering::SeqCst) {
                return false;
            }
            if client.is_closed() {
                return true;
            }
        }
    }
}

/// A fresh database per test on the server of `QUEUE_TEST_PG_URL`, dropped afterwards.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_name_host_port_and_database_but_never_the_password() {
        let (_, place) = parse_url("postgres://u:secret@db.example:6543/jobs").unwrap();
        assert_eq!(place, "db.example:6543/jobs");
        let (_, place) = parse_url("postgresql://u:secret@db.example").unwrap();
        assert_eq!(place, "db.example:5432/u");
        let err = parse_url("postgres://u:secret@db.example:notaport/x").unwrap_err();
        assert!(!format!("{err:#}").contains("secret"), "{err:#}");
    }

    fn open(
        db: &tests_support::TestDatabase,
        auto_migrate: bool,
        synchronous_full: bool,
    ) -> Result<PostgresStore> {
        let options = StoreOptions {
            connection: "main".into(),
            discard_failed: false,
            auto_migrate,
            synchronous_full,
        };
        let clock = Arc::new(crate::clock::SystemClock::default());
        PostgresStore::open(&db.url, options, clock)
    }

    fn hand_managed(db: &tests_support::TestDatabase) -> Result<PostgresStore> {
        open(db, false, false)
    }

    /// Claim the next job of the queue `default`.
    fn claim_default(store: &mut PostgresStore) -> Option<Reserved> {
        let queues = vec!["default".to_string()];
        let claim = Claim {
            queues: &queues,
            worker_id: "w",
            now_ms: crate::clock::system_now_ms(),
            lease_ms: 60_000,
        };
        store.claim(&claim).unwrap()
    }

    fn job() -> NewJob {
        crate::domain::job::build(
            crate::domain::job::JobCommand::Argv(vec!["true".into()]),
            &Default::default(),
            "default",
            std::path::Path::new("/"),
            uuid::Uuid::new_v4().to_string(),
            crate::clock::system_now_ms(),
        )
        .unwrap()
    }

    /// `auto_migrate = false` with the tables made by hand from the generated SQL (no
    /// `queue_migrations`): dispatch and claim work; with a table missing, the first use says
    /// which generator writes it.
    #[test]
    fn a_schema_made_by_hand_is_used_and_a_missing_table_is_named() {
        let Some(db) = tests_support::TestDatabase::create() else {
            return;
        };
        let err = hand_managed(&db).unwrap().enqueue(&[job()], 0).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("has no jobs table and auto_migrate is off: run `queue table`")
                && text.contains("or `queue migrate`"),
            "{text}"
        );

        let (config, place) = parse_url(&db.url).unwrap();
        let mut admin = connect(&config, &place).unwrap();
        let tables: Vec<&str> = migrate::TABLES
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t != "failed_jobs")
            .collect();
        for statement in migrate::statements_for(migrate::POSTGRES, &tables) {
            admin.batch_execute(&statement).unwrap();
        }
        let err = hand_managed(&db).unwrap().failed_jobs(None).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains(
                "has no failed_jobs table and auto_migrate is off: run `queue failed-table`"
            ) && !text.contains("queue migrate"),
            "{text}"
        );

        for statement in migrate::statements_for(migrate::POSTGRES, &["failed_jobs"]) {
            admin.batch_execute(&statement).unwrap();
        }
        let mut store = hand_managed(&db).unwrap();
        let new = job();
        assert_eq!(
            store.enqueue(std::slice::from_ref(&new), 0).unwrap(),
            vec![Enqueued::Dispatched]
        );
        assert_eq!(claim_default(&mut store).unwrap().uuid, new.payload.uuid);
        assert!(store.failed_jobs(None).unwrap().is_empty());
    }

    /// A dispatch folds the schema check into its insert: into a schema newer than this
    /// binary knows it inserts nothing and says so, as every other first use does.
    #[test]
    fn a_dispatch_into_a_newer_schema_inserts_nothing() {
        let Some(db) = tests_support::TestDatabase::create() else {
            return;
        };
        open(&db, true, false)
            .unwrap()
            .enqueue(&[job()], 0)
            .unwrap();
        let (config, place) = parse_url(&db.url).unwrap();
        let mut admin = connect(&config, &place).unwrap();
        admin
            .batch_execute(
                "INSERT INTO queue_migrations (version, name, applied_at) VALUES (99, 'x', 0)",
            )
            .unwrap();
        for jobs in [vec![job()], vec![job(), job()]] {
            let err = open(&db, true, false)
                .unwrap()
                .enqueue(&jobs, 0)
                .unwrap_err();
            let text = format!("{err:#}");
            assert!(
                text.contains("has schema version 99, newer than this queue binary knows"),
                "{text}"
            );
        }
        let count: i64 = admin
            .query_one("SELECT count(*) FROM jobs", &[])
            .unwrap()
            .get(0);
        assert_eq!(count, 1, "only the job dispatched before");
    }

    fn setting(store: &mut PostgresStore, name: &str) -> String {
        store
            .client
            .query_one(&format!("SHOW {name}"), &[])
            .unwrap()
            .get(0)
    }

    /// A claiming connection commits without waiting for the WAL flush, unless
    /// `synchronous = "full"`; a dispatch on it waits again.
    #[test]
    fn workers_commit_without_waiting_for_the_flush_unless_synchronous_is_full() {
        let Some(db) = tests_support::TestDatabase::create() else {
            return;
        };
        for full in [false, true] {
            let mut store = open(&db, true, full).unwrap();
            store.enqueue(&[job()], 0).unwrap();
            assert_eq!(setting(&mut store, "synchronous_commit"), "on");
            assert!(claim_default(&mut store).is_some());
            let want = if full { "on" } else { "off" };
            assert_eq!(
                setting(&mut store, "synchronous_commit"),
                want,
                "full: {full}"
            );
            assert_eq!(setting(&mut store, "plan_cache_mode"), "force_generic_plan");
            store.enqueue(&[job()], 0).unwrap();
            assert_eq!(setting(&mut store, "synchronous_commit"), "on");
        }
    }

    #[test]
    fn rebase_moves_instants_but_not_never() {
        assert_eq!(rebase(1_500, 3_000), 4_500);
        assert_eq!(rebase(1_500, -500), 1_000);
        assert_eq!(rebase(i64::MAX, 1_000), i64::MAX);
    }
}
