//! The migration generators (`queue table`, `queue failed-table`, `queue batches-table`) and
//! hand-managed schemas: the SQL lands in ./migrations/ (or --path) in the connection's dialect,
//! an existing migration is never overwritten, the SQL applied by hand makes a working store
//! under `auto_migrate = false`, and such a store names the generator (or the migration) it
//! lacks instead of migrating itself.
//!
//! These tests use SQLite files of their own (named in queue.toml), whatever the test store.

use crate::util::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// queue.toml: the default connection is a hand-managed SQLite file `hand.sqlite`; `pg` is a
/// PostgreSQL connection that is never reached (generators do not connect).
const CONFIG: &str = "default = \"local\"\n\
    [connections.local]\ndriver = \"sqlite\"\ndatabase = \"hand.sqlite\"\nauto_migrate = false\n\
    [connections.pg]\ndriver = \"postgres\"\nurl = \"postgres://nobody@127.0.0.1:1/none\"\n";

fn setup() -> TestEnv {
    let env = TestEnv::new();
    env.write("queue.toml", CONFIG);
    env
}

/// `queue ARGS…` on the connections of queue.toml (not the test's QUEUE_DATABASE).
fn run(env: &TestEnv, args: &[&str]) -> Output {
    env.cmd(args)
        .env_remove("QUEUE_DATABASE")
        .output()
        .expect("run queue")
}

fn ok(env: &TestEnv, args: &[&str]) -> String {
    let out = run(env, args);
    assert!(
        out.status.success(),
        "queue {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn fails(env: &TestEnv, args: &[&str], code: i32) -> String {
    let out = run(env, args);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "queue {args:?}\nstdout: {}\nstderr: {stderr}",
        text(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The files of a directory, sorted (empty when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

/// The one file in `dir` whose name ends with `_create_TABLE_table.sql`.
fn migration(dir: &Path, table: &str) -> PathBuf {
    let suffix = format!("_create_{table}_table.sql");
    let found: Vec<PathBuf> = files(dir)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(&suffix))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {suffix} in {}: {found:?}",
        dir.display()
    );
    let name = found[0].file_name().unwrap().to_string_lossy().into_owned();
    // <YYYY_MM_DD_HHMMSS>_create_<table>_table.sql, like Laravel's migrations.
    let stamp = name.strip_suffix(&suffix).unwrap();
    assert_eq!(stamp.len(), 17, "{name}");
    assert!(
        stamp
            .chars()
            .enumerate()
            .all(|(i, c)| if [4, 7, 10].contains(&i) {
                c == '_'
            } else {
                c.is_ascii_digit()
            }),
        "{name}"
    );
    found[0].clone()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The tables of a SQLite file.
fn tables(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    names
}

/// Apply SQL files to a SQLite file by hand, as a user managing their own schema would.
fn apply(db: &Path, sql_files: &[PathBuf]) {
    let conn = rusqlite::Connection::open(db).unwrap();
    for file in sql_files {
        conn.execute_batch(&read(file))
            .unwrap_or_else(|e| panic!("applying {}: {e}", file.display()));
    }
    drop(conn);
    std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600)).unwrap();
}

// Writing the files -------------------------------------------------------------------------

#[test]
fn each_generator_writes_its_tables_sql_into_migrations() {
    let env = setup();
    let dir = env.path().join("migrations");
    let out = ok(&env, &["table"]);
    let jobs = migration(&dir, "jobs");
    assert!(out.contains(&jobs.display().to_string()), "{out}");
    let failed_out = env
        .cmd(&["--json", "failed-table"])
        .env_remove("QUEUE_DATABASE")
        .output()
        .unwrap();
    assert!(failed_out.status.success());
    let failed = migration(&dir, "failed_jobs");
    let json: serde_json::Value = serde_json::from_slice(&failed_out.stdout).unwrap();
    assert_eq!(json["path"], failed.display().to_string());
    ok(&env, &["batches-table"]);
    let batches = migration(&dir, "job_batches");
    assert_eq!(files(&dir).len(), 3);

    // The jobs migration holds the jobs table, its indexes and later changes, and the other
    // tables workers use; each other generator holds its own table only.
    let sql = read(&jobs);
    for needle in [
        "CREATE TABLE jobs",
        "CREATE INDEX jobs_pending",
        "ALTER TABLE jobs ADD COLUMN parked_on",
        "CREATE TABLE finished_jobs",
        "CREATE TABLE workers",
        "CREATE TABLE settings",
        "CREATE TABLE locks",
        "CREATE TABLE limiters",
        "AUTOINCREMENT",
    ] {
        assert!(sql.contains(needle), "{needle} not in:\n{sql}");
    }
    assert!(!sql.contains("failed_jobs"), "{sql}");
    assert!(!sql.contains("job_batches"), "{sql}");
    let sql = read(&failed);
    assert!(sql.contains("CREATE TABLE failed_jobs"), "{sql}");
    assert!(!sql.contains("CREATE TABLE jobs"), "{sql}");
    assert!(!sql.contains("job_batches"), "{sql}");
    let sql = read(&batches);
    assert!(sql.contains("CREATE TABLE job_batches"), "{sql}");
    assert!(!sql.contains("CREATE TABLE jobs"), "{sql}");

    // Writing SQL neither creates nor migrates the store.
    assert!(!env.path().join("hand.sqlite").exists());
}

#[test]
fn path_chooses_the_directory_and_is_created() {
    let env = setup();
    ok(&env, &["table", "--path", "db/sql"]);
    ok(&env, &["batches-table", "--path", "db/sql"]);
    let dir = env.path().join("db/sql");
    migration(&dir, "jobs");
    migration(&dir, "job_batches");
    assert_eq!(files(&dir).len(), 2);
    assert!(files(&env.path().join("migrations")).is_empty());
}

#[test]
fn a_generator_refuses_to_overwrite_an_existing_migration() {
    let env = setup();
    let dir = env.path().join("migrations");
    ok(&env, &["table"]);
    let jobs = migration(&dir, "jobs");
    // A user edited it: a second run must not touch it (nor write another beside it).
    std::fs::write(&jobs, "-- mine\n").unwrap();
    let err = fails(&env, &["table"], 1);
    assert!(err.contains("already exists"), "{err}");
    assert!(
        err.contains(jobs.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(read(&jobs), "-- mine\n");
    assert_eq!(files(&dir), std::slice::from_ref(&jobs));

    // The same for the other generators, and in --path.
    ok(&env, &["failed-table"]);
    fails(&env, &["failed-table"], 1);
    ok(&env, &["batches-table", "--path", "other"]);
    let err = fails(&env, &["batches-table", "--path", "other"], 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(files(&dir).len(), 2);
    assert_eq!(files(&env.path().join("other")).len(), 1);
}

#[test]
fn the_sql_is_in_the_dialect_of_the_connection() {
    let env = setup();
    // A PostgreSQL connection (never reached: generating SQL needs no server).
    ok(&env, &["--connection", "pg", "table", "--path", "pg"]);
    ok(
        &env,
        &["--connection", "pg", "failed-table", "--path", "pg"],
    );
    ok(
        &env,
        &["--connection", "pg", "batches-table", "--path", "pg"],
    );
    ok(&env, &["table", "--path", "lite"]);
    let pg = read(&migration(&env.path().join("pg"), "jobs"));
    let lite = read(&migration(&env.path().join("lite"), "jobs"));
    assert!(pg.contains("postgres"), "{pg}");
    assert!(pg.contains("CREATE TABLE jobs"), "{pg}");
    assert!(!pg.contains("AUTOINCREMENT"), "{pg}");
    assert!(lite.contains("sqlite"), "{lite}");
    assert!(lite.contains("AUTOINCREMENT"), "{lite}");
    assert_ne!(pg, lite);
    let pg_batches = read(&migration(&env.path().join("pg"), "job_batches"));
    assert!(
        pg_batches.contains("CREATE TABLE job_batches"),
        "{pg_batches}"
    );
}

// Hand-managed schemas ----------------------------------------------------------------------

#[test]
fn the_generated_sql_applied_by_hand_makes_a_working_store_under_auto_migrate_false() {
    let env = setup();
    ok(&env, &["table"]);
    ok(&env, &["failed-table"]);
    ok(&env, &["batches-table"]);
    let dir = env.path().join("migrations");
    let db = env.path().join("hand.sqlite");
    apply(
        &db,
        &[
            migration(&dir, "jobs"),
            migration(&dir, "failed_jobs"),
            migration(&dir, "job_batches"),
        ],
    );
    let before = tables(&db);

    // Every part of the queue works on it: jobs, failures, chains, batches, workers.
    let done = ok(
        &env,
        &["dispatch", "--", "sh", "-c", "echo ran >> jobs.log"],
    )
    .trim()
    .to_string();
    ok(&env, &["dispatch", "--", "false"]);
    ok(
        &env,
        &["chain", "echo c1 >> jobs.log", "echo c2 >> jobs.log"],
    );
    let batch = ok(&env, &["batch", "--then", "echo then >> jobs.log", "true"])
        .trim()
        .to_string();
    let worker = env
        .cmd(&["work", "--stop-when-empty", "--sleep", "0.05"])
        .env_remove("QUEUE_DATABASE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_exit(worker, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let log = read(&env.path().join("jobs.log"));
    assert_eq!(log, "ran\nc1\nc2\nthen\n");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&env, &["--json", "show", &done])).unwrap();
    assert_eq!(shown["state"], "done");
    let failed: serde_json::Value = serde_json::from_str(&ok(&env, &["--json", "failed"])).unwrap();
    assert_eq!(failed.as_array().unwrap().len(), 1);
    let b: serde_json::Value =
        serde_json::from_str(&ok(&env, &["--json", "batch-show", &batch])).unwrap();
    assert_eq!(b["pending_jobs"], 0);
    ok(&env, &["status"]);

    // It never migrated itself: the tables are the ones applied by hand.
    assert_eq!(tables(&db), before);
    assert!(
        !before.iter().any(|t| t == "queue_migrations"),
        "{before:?}"
    );
}

#[test]
fn a_store_missing_a_table_names_the_generator_to_run_and_is_not_migrated() {
    let env = setup();
    ok(&env, &["table"]);
    ok(&env, &["failed-table"]);
    ok(&env, &["batches-table"]);
    let dir = env.path().join("migrations");
    let db = env.path().join("hand.sqlite");

    // An empty file (a command that writes creates it): the jobs table is missing.
    let err = fails(&env, &["dispatch", "--", "true"], 1);
    assert!(err.contains("no jobs table"), "{err}");
    assert!(err.contains("queue table"), "{err}");
    assert!(err.contains("auto_migrate"), "{err}");
    assert!(err.contains("or `queue migrate`"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        tables(&db).is_empty(),
        "it migrated itself: {:?}",
        tables(&db)
    );
    let err = fails(&env, &["dispatch", "--", "true"], 1);
    assert!(err.contains("queue table"), "{err}");

    apply(&db, &[migration(&dir, "jobs")]);
    let err = fails(&env, &["status"], 1);
    assert!(err.contains("no failed_jobs table"), "{err}");
    assert!(err.contains("queue failed-table"), "{err}");
    // With some tables made by hand, `queue migrate` (which creates them all) is no way out.
    assert!(!err.contains("queue migrate"), "{err}");

    apply(&db, &[migration(&dir, "failed_jobs")]);
    let err = fails(&env, &["batches"], 1);
    assert!(err.contains("no job_batches table"), "{err}");
    assert!(err.contains("queue batches-table"), "{err}");
    assert!(!tables(&db).iter().any(|t| t == "job_batches"));

    apply(&db, &[migration(&dir, "job_batches")]);
    ok(&env, &["status"]);
    ok(&env, &["batches"]);
}

#[test]
fn a_store_behind_the_binary_names_the_migration_it_needs_under_auto_migrate_false() {
    let env = setup();
    let db = env.path().join("hand.sqlite");
    // A store at schema version 1 (as an older queue left it).
    let first =
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite/0001_init.sql"));
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(&first).unwrap();
        conn.execute_batch(
            "CREATE TABLE queue_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
             INSERT INTO queue_migrations VALUES (1, '0001_init.sql', 0);",
        )
        .unwrap();
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();

    let err = fails(&env, &["status"], 1);
    assert!(err.contains("0002_locks.sql"), "{err}");
    assert!(err.contains("queue migrate"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    // Not migrated behind the user's back.
    assert!(!tables(&db).iter().any(|t| t == "locks"));

    // `queue migrate` is the explicit way forward.
    let out = ok(&env, &["migrate"]);
    assert!(out.contains("0002_locks.sql"), "{out}");
    ok(&env, &["status"]);
    assert!(tables(&db).iter().any(|t| t == "locks"));
}

#[test]
fn an_empty_store_under_auto_migrate_false_can_follow_the_advice_to_migrate() {
    let env = setup();
    let err = fails(&env, &["dispatch", "--", "true"], 1);
    assert!(err.contains("`queue migrate`"), "{err}");
    let out = ok(&env, &["migrate"]);
    assert!(out.contains("0001_init.sql"), "{out}");
    ok(&env, &["dispatch", "--", "true"]);
    ok(&env, &["batches"]);
}
