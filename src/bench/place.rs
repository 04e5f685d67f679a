//! Where `queue bench` measures. Without a store named, each figure gets a new SQLite file in a
//! temporary directory. Given one (`--database PATH|URL`, PostgreSQL included), every figure
//! runs on that store, on a queue of its own (`bench-PID-FIGURE`), so the store's other jobs are
//! neither run nor counted, and that queue is cleared after its figure (the jobs that ran stay
//! as finished jobs, pruned after `retain_done` like any others). The limits are measured on
//! the same kind of store, as near as can be: raw statements on a scratch SQLite file in the
//! store's own directory, or on a scratch table in the PostgreSQL database (dropped afterwards).

use crate::api::Queue;
use anyhow::{Context, Result};
use rusqlite::{params, Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A temporary directory, removed when dropped.
pub struct Scratch {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Scratch> {
        Scratch::in_dir(&std::env::temp_dir())
    }

    fn in_dir(parent: &Path) -> Result<Scratch> {
        let dir = tempfile::Builder::new()
            .prefix("queue-bench-")
            .tempdir_in(parent)
            .with_context(|| {
                format!("cannot make a temporary directory in {}", parent.display())
            })?;
        let root = dir.path().to_path_buf();
        Ok(Scratch { _dir: dir, root })
    }

    pub fn store(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

/// The store the figures are measured on.
#[derive(Debug, Clone)]
pub enum Place {
    /// A new SQLite file per figure, in a temporary directory.
    Scratch,
    /// The store given: a SQLite path or a `postgres://` URL.
    Given(String),
}

fn is_postgres(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// One figure's store and queue.
pub struct Site {
    /// A SQLite path or a PostgreSQL URL, as QUEUE_DATABASE takes it.
    pub database: String,
    pub queue: String,
    given: bool,
    /// Files the figure may write (job output, a scratch store).
    pub scratch: Scratch,
}

impl Place {
    /// The place of a figure named `figure` (a word: it becomes part of a queue name).
    pub fn site(&self, figure: &str) -> Result<Site> {
        let scratch = Scratch::new()?;
        Ok(match self {
            Place::Scratch => Site {
                database: scratch.store(&format!("{figure}.sqlite")),
                queue: "default".into(),
                given: false,
                scratch,
            },
            Place::Given(database) => Site {
                database: database.clone(),
                queue: format!("bench-{}-{figure}", std::process::id()),
                given: true,
                scratch,
            },
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Place::Given(d) if is_postgres(d))
    }

    /// The raw statements the limits are measured with, on the same kind of store.
    pub fn raw(&self) -> Result<Raw> {
        match self {
            Place::Given(url) if is_postgres(url) => Raw::postgres(url),
            Place::Given(path) => {
                let parent = Path::new(path)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                Raw::sqlite(Scratch::in_dir(parent)?)
            }
            Place::Scratch => Raw::sqlite(Scratch::new()?),
        }
    }
}

impl Site {
    pub fn open(&self) -> Result<Queue> {
        let q = Queue::open(&self.database)?;
        q.migrate()?;
        Ok(q)
    }

    /// Clear the figure's queue on a given store (the scratch files go with `self`).
    pub fn done(self) -> Result<()> {
        if self.given {
            Queue::open(&self.database)?.store()?.clear(&self.queue)?;
        }
        Ok(())
    }
}

/// The columns of the limits' scratch table: a job row's size without the queue's columns.
const PAYLOAD_BYTES: usize = 300;

/// A connection to a scratch table of the store's kind, for the limits.
pub enum Raw {
    Sqlite {
        conn: Connection,
        path: String,
        _scratch: Scratch,
    },
    Postgres {
        client: postgres::Client,
        url: String,
        table: String,
    },
}

impl Raw {
    fn sqlite(scratch: Scratch) -> Result<Raw> {
        let path = scratch.store("raw.sqlite");
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE TABLE jobs (id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT);",
        )?;
        Ok(Raw::Sqlite {
            conn,
            path,
            _scratch: scratch,
        })
    }

    fn postgres(url: &str) -> Result<Raw> {
        let mut client = crate::store::postgres::connect_url(url)?;
        let table = format!("queue_bench_raw_{}", std::process::id());
        client
            .batch_execute(&format!(
                "CREATE TABLE {table} (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                 queue TEXT, payload TEXT, available_at BIGINT)"
            ))
            .with_context(|| format!("cannot create the scratch table {table} for the limits"))?;
        Ok(Raw::Postgres {
            client,
            url: url.to_string(),
            table,
        })
    }

    /// The machine's limit for a job's store work: one INSERT and one DELETE transaction.
    pub fn cycles(&mut self, n: usize) -> Result<f64> {
        let payload = "x".repeat(PAYLOAD_BYTES);
        let started = Instant::now();
        match self {
            Raw::Sqlite { conn, .. } => {
                for _ in 0..n {
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    tx.execute(
                        "INSERT INTO jobs (queue, payload, available_at) VALUES ('default', ?1, 0)",
                        [&payload],
                    )?;
                    tx.commit()?;
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    tx.execute(
                        "DELETE FROM jobs WHERE id = (SELECT id FROM jobs ORDER BY id LIMIT 1)",
                        [],
                    )?;
                    tx.commit()?;
                }
            }
            Raw::Postgres { client, table, .. } => {
                let insert = client.prepare(&format!(
                    "INSERT INTO {table} (queue, payload, available_at) VALUES ('default', $1, 0)"
                ))?;
                let delete = client.prepare(&format!(
                    "DELETE FROM {table} WHERE id = (SELECT id FROM {table} ORDER BY id LIMIT 1)"
                ))?;
                for _ in 0..n {
                    client.execute(&insert, &[&payload])?;
                    client.execute(&delete, &[])?;
                }
            }
        }
        Ok(super::rate(n, started.elapsed()))
    }

    /// The limit for bulk dispatch: `n` INSERTs of rows of a job's size in one transaction.
    pub fn bulk(&mut self, n: usize) -> Result<f64> {
        let payload = "x".repeat(PAYLOAD_BYTES);
        let started = Instant::now();
        match self {
            Raw::Sqlite { conn, .. } => {
                let tx = conn.transaction()?;
                {
                    let mut insert = tx.prepare(
                        "INSERT INTO jobs (queue, payload, available_at) VALUES ('default', ?1, ?2)",
                    )?;
                    for i in 0..n {
                        insert.execute(params![payload, i as i64])?;
                    }
                }
                tx.commit()?;
            }
            Raw::Postgres { client, table, .. } => {
                // One statement per 1,000 rows, as the store's own bulk insert does.
                let mut tx = client.transaction()?;
                let rows = 1000;
                let values: Vec<String> = (0..rows)
                    .map(|i| format!("('default', $1, ${})", i + 2))
                    .collect();
                let insert = tx.prepare(&format!(
                    "INSERT INTO {table} (queue, payload, available_at) VALUES {}",
                    values.join(", ")
                ))?;
                for start in (0..n).step_by(rows) {
                    let at: Vec<i64> = (start..start + rows).map(|i| i as i64).collect();
                    let mut args: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&payload];
                    args.extend(at.iter().map(|a| a as &(dyn postgres::types::ToSql + Sync)));
                    tx.execute(&insert, &args)?;
                }
                tx.commit()?;
            }
        }
        Ok(super::rate(n, started.elapsed()))
    }

    /// Milliseconds per CLI process inserting one row (`sqlite3`, or `psql` for PostgreSQL),
    /// or None when that CLI is not installed.
    pub fn cli_insert(&mut self, n: usize) -> Option<f64> {
        let row =
            "(queue, payload, available_at) VALUES ('default', '{\"command\":[\"true\"]}', 0)";
        let mut command = match self {
            Raw::Sqlite { path, .. } => {
                let mut c = Command::new("sqlite3");
                c.args([path.as_str(), &format!("INSERT INTO jobs {row}")]);
                c
            }
            Raw::Postgres { url, table, .. } => {
                let mut c = Command::new("psql");
                c.args([url.as_str(), "-qXc", &format!("INSERT INTO {table} {row}")]);
                c
            }
        };
        command.stdout(Stdio::null()).stderr(Stdio::null());
        let started = Instant::now();
        for _ in 0..n {
            if !command.status().ok()?.success() {
                return None;
            }
        }
        Some(started.elapsed().as_secs_f64() * 1000.0 / n as f64)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        if let Raw::Postgres { client, table, .. } = self {
            let _ = client.batch_execute(&format!("DROP TABLE IF EXISTS {table}"));
        }
    }
}

/// Ask a `queue work` process to stop (SIGTERM: it unregisters itself) and wait for it, for at
/// most `grace`; then kill it.
pub fn stop_worker(worker: &mut std::process::Child, grace: Duration) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(worker.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = worker.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = worker.kill();
    let _ = worker.wait();
}
