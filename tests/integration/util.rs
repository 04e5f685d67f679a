//! The test harness: a temporary directory with its own store, a controllable clock, a builder
//! for `queue` commands, and polling waits with a deadline (never fixed sleeps).
//!
//! The store is a SQLite file in the directory; with `QUEUE_TEST_STORE=postgres` it is a fresh
//! PostgreSQL database per test instead (created on the server of `QUEUE_TEST_PG_URL`, default
//! postgres://postgres@127.0.0.1:5432/test, and dropped when the test ends), so that the same
//! tests check both stores. Tests of what only a SQLite file has skip themselves there.

#![allow(dead_code)]

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// The SQLite store file (on PostgreSQL: unused, and never created).
    pub db: PathBuf,
    /// QUEUE_DATABASE: the SQLite file, or this test's PostgreSQL database URL.
    pub database: String,
    clock_file: PathBuf,
    /// Processes started with `spawn`: a failing test must not leave its workers running.
    spawned: std::sync::Mutex<Vec<u32>>,
    // Dropped after everything above: the database goes when the test is over.
    pg: Option<PgDatabase>,
}

impl TestEnv {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("store/queue.sqlite");
        let clock_file = dir.path().join("clock-offset-ms");
        // On SQLite the clock stands still until a test moves it (`advance`), so that
        // comparisons of times (a backoff not yet due, a delay to the millisecond) do not
        // depend on how fast a loaded machine runs the test; `start_clock` lets it run. A
        // PostgreSQL store reads its server's clock and adds the offset, so a stopped clock
        // would stand still only to within a statement's way to the server (a few ms): there
        // it runs, and tests measure around what they run.
        let clock = if on_postgres() {
            "0".to_string()
        } else {
            format!("@{}", chrono::Utc::now().timestamp_millis())
        };
        std::fs::write(&clock_file, clock).unwrap();
        let pg = on_postgres().then(PgDatabase::create);
        let database = match &pg {
            Some(pg) => pg.url.clone(),
            None => db.display().to_string(),
        };
        TestEnv {
            dir,
            db,
            database,
            clock_file,
            spawned: Default::default(),
            pg,
        }
    }

    /// The store is PostgreSQL (`QUEUE_TEST_STORE=postgres`).
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// For a test of what only a SQLite store has (its file, its directory, its wake-up
    /// sockets): on PostgreSQL, say so and return true, and the test returns.
    pub fn skip_on_postgres(&self, why: &str) -> bool {
        if self.is_postgres() {
            eprintln!("skipped on PostgreSQL: {why}");
        }
        self.is_postgres()
    }

    /// Run SQL on this test's store directly, as someone with access to the database could
    /// (parameters `$1`, `$2` … in order, all text); every column must be text.
    pub fn sql(&self, query: &str, params: &[&str]) -> Vec<Vec<Option<String>>> {
        match &self.pg {
            Some(pg) => {
                let mut client = PgDatabase::client(&pg.url);
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|p| p as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                client
                    .query(query, &params)
                    .unwrap_or_else(|e| panic!("{query}: {e:?}"))
                    .iter()
                    .map(|row| (0..row.len()).map(|i| row.get(i)).collect())
                    .collect()
            }
            None => {
                let conn = rusqlite::Connection::open(&self.db).unwrap();
                let mut stmt = conn.prepare(query).unwrap();
                let columns = stmt.column_count();
                // SQLite numbers `$N` parameters by first appearance: bind them by name.
                for (i, value) in params.iter().enumerate() {
                    let index = stmt
                        .parameter_index(&format!("${}", i + 1))
                        .unwrap()
                        .unwrap_or_else(|| panic!("{query}: no ${}", i + 1));
                    stmt.raw_bind_parameter(index, value).unwrap();
                }
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next().unwrap() {
                    out.push((0..columns).map(|i| r.get(i).unwrap()).collect());
                }
                out
            }
        }
    }

    /// Everything the store holds, as bytes: a SQLite store's files (the database, its WAL and
    /// shared memory), or every row of every table of a PostgreSQL store as text.
    pub fn store_contents(&self) -> Vec<u8> {
        let mut all = Vec::new();
        if self.is_postgres() {
            let tables = self.sql(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            );
            for table in tables.into_iter().filter_map(|r| r[0].clone()) {
                for row in self.sql(&format!("SELECT t::text FROM {table} t"), &[]) {
                    all.extend(row[0].clone().unwrap_or_default().into_bytes());
                    all.push(b'\n');
                }
            }
        } else {
            for entry in std::fs::read_dir(self.db.parent().unwrap()).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    all.extend(std::fs::read(path).unwrap());
                }
            }
        }
        assert!(!all.is_empty());
        all
    }

    /// The keys of a `[connections.NAME]` block of queue.toml for this test's store.
    pub fn connection_keys(&self) -> String {
        match &self.pg {
            Some(pg) => format!("driver = \"postgres\"\nurl = \"{}\"\n", pg.url),
            None => format!(
                "driver = \"sqlite\"\ndatabase = \"{}\"\n",
                self.db.display()
            ),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `queue` command in this environment: its own store, HOME and clock.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("queue").expect("the queue binary");
        cmd.args(args)
            .current_dir(self.path())
            .env("QUEUE_DATABASE", &self.database)
            .env("QUEUE_TEST_CLOCK_FILE", &self.clock_file)
            .env("HOME", self.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("QUEUE_CONNECTION")
            .env_remove("QUEUE_CONFIG")
            .env_remove("QUEUE_FAILED_DRIVER")
            .env_remove("QUEUE_JOB_ID")
            .env_remove("QUEUE_JOB_TOKEN")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Run a command to the end and return its output (whatever the exit status).
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run queue")
    }

    /// Run a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "queue {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run a command that must fail with `code`; returns its stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "queue {args:?}: expected exit {code}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr.contains("panicked"), "panic: {stderr}");
        stderr
    }

    /// Run a command with --json and parse its stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        // Read-only commands never create a store ("no store at PATH", exit 1): a test that asks
        // what a store holds before anything wrote it gets what it would show, nothing.
        if !self.is_postgres() && !self.db.exists() {
            match args {
                ["status"] => {
                    return serde_json::json!({
                        "queues": [], "workers": [], "maintenance": false, "paused": []
                    })
                }
                ["failed"] | ["batches"] => return serde_json::json!([]),
                _ => {}
            }
        }
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Dispatch a job and return its uuid.
    pub fn dispatch(&self, args: &[&str]) -> String {
        let mut all = vec!["dispatch"];
        all.extend_from_slice(args);
        self.ok(&all).trim().to_string()
    }

    /// Start a process in the background (a worker, say).
    pub fn spawn(&self, args: &[&str]) -> Child {
        let child = self
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn queue");
        self.spawned.lock().unwrap().push(child.id());
        child
    }

    /// Move this environment's clock forward.
    pub fn advance(&self, by: Duration) {
        let by = by.as_millis() as i64;
        let moved = match self.clock() {
            TestClock::StoppedAt(at) => format!("@{}", at + by),
            TestClock::Offset(offset) => (offset + by).to_string(),
        };
        self.set_clock(&moved);
    }

    /// Let this environment's clock run with the system's from where it stands (a test's
    /// clock starts stopped: see `new`), for tests of what real time drives, such as a
    /// worker's --max-time or a lease that lapses while the test waits.
    pub fn start_clock(&self) {
        if let TestClock::StoppedAt(at) = self.clock() {
            let offset = at - chrono::Utc::now().timestamp_millis();
            self.set_clock(&offset.to_string());
        }
    }

    /// What the clock file says (the binary reads it the same way: `clock::SystemClock`).
    fn clock(&self) -> TestClock {
        let text = std::fs::read_to_string(&self.clock_file).unwrap();
        let text = text.trim();
        match text.strip_prefix('@') {
            Some(at) => TestClock::StoppedAt(at.parse().unwrap()),
            None => TestClock::Offset(text.parse().unwrap()),
        }
    }

    /// Replace the clock file at once (a rename), so that no process reads it half-written.
    fn set_clock(&self, text: &str) {
        let next = self.clock_file.with_extension("next");
        std::fs::write(&next, text).unwrap();
        std::fs::rename(&next, &self.clock_file).unwrap();
    }

    /// `queue show UUID --json`.
    pub fn show(&self, uuid: &str) -> Value {
        self.json(&["show", uuid])
    }

    pub fn state(&self, uuid: &str) -> String {
        self.show(uuid)["state"].as_str().unwrap().to_string()
    }

    /// Work until no job is available now.
    pub fn drain(&self, extra: &[&str]) -> Output {
        let mut all = vec!["work", "--stop-when-empty", "--sleep", "0.05"];
        all.extend_from_slice(extra);
        self.run(&all)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The longest a single worker run in a test may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(120);

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Lines of a file the jobs append to (empty when it does not exist).
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The path of the binary under test, for jobs that run `queue …` themselves.
pub fn queue_bin() -> String {
    assert_cmd::cargo::cargo_bin("queue")
        .to_str()
        .unwrap()
        .to_string()
}

/// A test's clock: an offset from the system clock, or an instant it stands still at.
enum TestClock {
    Offset(i64),
    StoppedAt(i64),
}

/// "now" as the binary sees it: the system clock plus the environment's offset, or the
/// instant its stopped clock stands at.
pub fn now_ms(env: &TestEnv) -> i64 {
    match env.clock() {
        TestClock::StoppedAt(at) => at,
        TestClock::Offset(offset) => chrono::Utc::now().timestamp_millis() + offset,
    }
}

/// Unix ms of an RFC 3339 time in a JSON value, such as `2024-05-01T12:34:56.789Z`.
pub fn rfc3339_ms(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("not an RFC 3339 time ({e}): {text}"))
        .timestamp_millis()
}

/// Output bytes as text, for messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `queue work --stop-when-empty --sleep 0.05 EXTRA…` with a deadline; it must exit 0.
pub fn drain(env: &TestEnv, extra: &[&str]) -> Output {
    let args = [&["work", "--stop-when-empty", "--sleep", "0.05"], extra].concat();
    let out = wait_exit(env.spawn(&args), LIMIT);
    assert_eq!(
        out.status.code(),
        Some(0),
        "worker failed\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Poll `cond` until it holds or `limit` passes; panics with `what` on timeout.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait for a child to exit, with a deadline; returns its output.
pub fn wait_exit(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "process did not exit in time\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn send_signal(child: &Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
}

/// Is a process still running (not gone and not a zombie)?
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("X");
            state != "Z" && state != "X"
        }
    }
}

/// Run the integration tests against PostgreSQL (`QUEUE_TEST_STORE=postgres`)?
pub fn on_postgres() -> bool {
    match std::env::var("QUEUE_TEST_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("QUEUE_TEST_STORE={other}: use sqlite or postgres"),
    }
}

/// A database of its own for one test, dropped (with any connection left) when it is done.
pub struct PgDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl PgDatabase {
    const DEFAULT_URL: &'static str = "postgres://postgres@127.0.0.1:5432/test";

    fn admin_url() -> String {
        std::env::var("QUEUE_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| Self::DEFAULT_URL.to_string())
    }

    pub fn client(admin: &str) -> postgres::Client {
        let mut config: postgres::Config = admin.parse().expect("QUEUE_TEST_PG_URL is a URL");
        config.connect_timeout(Duration::from_secs(5));
        config.connect(postgres::NoTls).unwrap_or_else(|e| {
            panic!(
                "QUEUE_TEST_STORE=postgres needs a PostgreSQL server whose user may create databases \
                 (QUEUE_TEST_PG_URL, default {}): {e}",
                Self::DEFAULT_URL
            )
        })
    }

    fn create() -> PgDatabase {
        let admin = Self::admin_url();
        let name = format!("q_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        Self::client(&admin)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("CREATE DATABASE");
        PgDatabase {
            url: with_database(&admin, &name),
            admin,
            name,
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Whatever a test started and did not stop (it failed half-way) goes with it. Only our
        // own binary is killed, in case a pid was reused.
        for pid in self.spawned.lock().unwrap().iter() {
            let ours = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|cmd| String::from_utf8_lossy(&cmd).contains("queue"))
                .unwrap_or(false);
            if ours && process_alive(*pid as i32) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe {
                    libc::kill(*pid as i32, libc::SIGKILL);
                }
            }
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Self::client(&self.admin).batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// The same URL naming another database.
fn with_database(url: &str, db: &str) -> String {
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
