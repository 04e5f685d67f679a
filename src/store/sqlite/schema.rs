//! The store file and its schema: created 0600 in a 0700 directory before SQLite touches it,
//! put in WAL mode, and migrated (or, with `auto_migrate = false`, checked) at open.

use super::super::migrate::{self, Migration};
use super::{retry_busy, SqliteStore, StoreOptions, BUSY_TIMEOUT};
use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

impl SqliteStore {
    /// Open without looking at the schema (for `queue migrate`).
    pub fn open_unmigrated(path: &Path, options: StoreOptions) -> Result<Self> {
        create_private_file(path)?;
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        // SQLite quietly opens a file it may not write read-only; a command that writes would
        // then fail at its first statement with "attempt to write a readonly database".
        if conn.is_readonly(rusqlite::DatabaseName::Main)? || !may_write(path) {
            return Err(read_only_error(path));
        }
        Self::finish_open(conn, path, options, false)
    }

    /// Open a store this user may only read, for a command that only reads.
    pub(super) fn open_read_only(path: &Path, options: StoreOptions) -> Result<Self> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let conn = if std::path::Path::new(&wal).exists() {
            Connection::open_with_flags(path, flags)
        } else {
            // No WAL, and no way to create its shared-memory file in a directory we may not
            // write: read the file as it is (nobody has it open for writing now).
            let escaped = path
                .display()
                .to_string()
                .replace('%', "%25")
                .replace('?', "%3f")
                .replace('#', "%23");
            Connection::open_with_flags(
                format!("file:{escaped}?immutable=1"),
                flags | OpenFlags::SQLITE_OPEN_URI,
            )
        }
        .with_context(|| format!("cannot read the store {}", path.display()))?;
        Self::finish_open(conn, path, options, true)
    }

    fn finish_open(
        conn: Connection,
        path: &Path,
        options: StoreOptions,
        read_only: bool,
    ) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // A worker's turn uses a dozen statements (claim, the ends of a group, controls,
        // heartbeat …): room for all, so that none is parsed again (rusqlite keeps 16).
        conn.set_prepared_statement_cache_capacity(64);
        if read_only {
            return Ok(SqliteStore {
                conn,
                path: path.to_path_buf(),
                options,
                read_only,
            });
        }
        // journal_mode needs a write lock the first time; the busy handler covers it.
        let mode: String =
            retry_busy(|| conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)))
                .with_context(|| format!("cannot use the store {}", path.display()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!(
                "the store {} cannot use WAL mode (it is in {mode} mode): put it on a local file system",
                path.display()
            );
        }
        // NORMAL in WAL mode: a commit survives any process crash; FULL also a power loss.
        let synchronous = if options.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
        ))?;
        // A short-lived process (one `queue dispatch`) must not checkpoint the WAL and fsync
        // as it closes: that would cost more than its whole insert. SQLite's automatic
        // checkpoints during commits keep the WAL small instead.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            options,
            read_only,
        })
    }

    pub(super) fn ensure_schema(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        let latest = migrate::latest(migrate::SQLITE);
        if current > latest {
            bail!(
                "the store {} has schema version {current}, newer than this queue binary knows ({latest}): upgrade queue",
                self.path.display()
            );
        }
        if current == 0 && self.options.auto_migrate && self.has_foreign_tables_only()? {
            bail!(
                "the store {} has tables of another application and no queue schema: run `queue migrate` to add the queue's tables to it, or choose another --database",
                self.path.display()
            );
        }
        if current < latest {
            if self.read_only {
                bail!(
                    "the store {} needs migrating, and this user may only read it: ask its owner to run `queue migrate`",
                    self.path.display()
                );
            }
            if !self.options.auto_migrate {
                if current == 0 {
                    // A schema managed by hand (from `queue table` and friends): every table
                    // must be there; say which generator writes the first missing one.
                    // `queue migrate` is only a way out while none of them exists: it creates
                    // them all, and fails on a table that is already there.
                    let mut missing = None;
                    let mut any = false;
                    for (table, generator) in migrate::TABLES {
                        if self.has_table(table)? {
                            any = true;
                        } else if missing.is_none() {
                            missing = Some((table, generator));
                        }
                    }
                    if let Some((table, generator)) = missing {
                        bail!(
                            "the store {} has no {table} table and auto_migrate is off: run `queue {generator}` and apply the SQL it writes{}",
                            self.path.display(),
                            if any { "" } else { ", or `queue migrate`" }
                        );
                    }
                    return Ok(());
                }
                let next = &migrate::SQLITE[current as usize];
                bail!(
                    "the store {} is at schema version {current} and needs migration {}: run `queue migrate`",
                    self.path.display(),
                    next.name
                );
            }
            self.apply_migrations()?;
        }
        Ok(())
    }

    /// A process that opens a store nobody else has open must first read the whole WAL to
    /// rebuild its index, so a long WAL makes every lone `queue dispatch` slow. Once it passes
    /// 1 MiB, a dispatcher folds it back into the database and truncates it, if that can be done
    /// without waiting (a worker reading the store makes it skip; its own open connection keeps
    /// the index valid for dispatchers anyway).
    pub(super) fn keep_wal_short(&self) {
        const LIMIT: u64 = 1 << 20;
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let long = std::fs::metadata(&wal).is_ok_and(|m| m.len() > LIMIT);
        if long && self.conn.busy_timeout(Duration::ZERO).is_ok() {
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        }
    }

    /// The file has tables, and none of them is the queue's: another application's database,
    /// which only an explicit `queue migrate` may add the queue's tables to.
    fn has_foreign_tables_only(&self) -> Result<bool> {
        let tables: Vec<String> = retry_busy(|| {
            self.conn
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )?
                .query_map([], |r| r.get(0))?
                .collect()
        })?;
        let ours = |t: &String| {
            t == "queue_migrations" || migrate::TABLES.iter().any(|(table, _)| t == table)
        };
        Ok(!tables.is_empty() && !tables.iter().any(ours))
    }

    fn has_table(&self, name: &str) -> Result<bool> {
        Ok(retry_busy(|| {
            self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                [name],
                |r| r.get(0),
            )
        })?)
    }

    fn schema_version(&self) -> Result<i64> {
        let has_table: bool = retry_busy(|| {
            self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_migrations')",
                [],
                |r| r.get(0),
            )
        })?;
        if !has_table {
            return Ok(0);
        }
        Ok(retry_busy(|| {
            self.conn.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM queue_migrations",
                [],
                |r| r.get(0),
            )
        })?)
    }

    /// Apply every pending migration; returns the names applied.
    pub(super) fn apply_migrations(&mut self) -> Result<Vec<&'static str>> {
        self.write(|tx| {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS queue_migrations (
                     version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
            )?;
            let current: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM queue_migrations",
                [],
                |r| r.get(0),
            )?;
            let pending: Vec<&Migration> = migrate::SQLITE
                .iter()
                .filter(|m| m.version > current)
                .collect();
            for m in &pending {
                tx.execute_batch(m.sql).map_err(|e| match e {
                    // The message alone: SQLite's error would quote the whole file.
                    rusqlite::Error::SqlInputError { msg, .. } => {
                        anyhow::anyhow!("migration {} failed: {msg}", m.name)
                    }
                    other => {
                        anyhow::Error::new(other).context(format!("migration {} failed", m.name))
                    }
                })?;
                tx.execute(
                    "INSERT INTO queue_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    params![m.version, m.name, crate::clock::system_now_ms()],
                )?;
            }
            Ok(pending.iter().map(|m| m.name).collect())
        })
    }
}

/// Whether this user may write the store: the file, and its directory (for the WAL and
/// shared-memory files) unless those already exist and are writable.
pub(super) fn may_write(path: &Path) -> bool {
    fn writable(p: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: a valid NUL-terminated path.
        unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
    }
    let sibling = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => std::path::PathBuf::from("."),
    };
    writable(path) && (writable(&dir) || (writable(&sibling("-wal")) && writable(&sibling("-shm"))))
}

/// The error of a command that must write a store this user may only read.
pub(super) fn read_only_error(path: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "the store {} is read-only for this user: commands that change it need write access to the file and its directory (run them as the store's owner, or fix the permissions)",
        path.display()
    )
}

/// Create the store file 0600 (and missing directories 0700) before SQLite touches it, so the
/// database, which holds commands that workers will run, is never readable by others.
fn create_private_file(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| {
                    format!(
                        "cannot create the store directory {}: choose a writable path with --database",
                        dir.display()
                    )
                })?;
        }
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .with_context(|| {
            format!(
                "cannot create the store {}: choose a writable path with --database",
                path.display()
            )
        })?;
    Ok(())
}
