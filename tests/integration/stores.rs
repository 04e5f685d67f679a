//! What both stores promise beyond single commands: concurrent first starts, controls that reach
//! idle workers at once, and clear errors for a PostgreSQL server that does not answer. (Run on
//! PostgreSQL with QUEUE_TEST_STORE=postgres, like every integration test.)

use crate::util::*;
use std::process::Child;
use std::time::{Duration, Instant};

#[test]
fn an_unreachable_postgres_server_is_one_line_without_the_password() {
    let env = TestEnv::new();
    // Port 1 on the loopback: nothing listens there, so the connection is refused at once;
    // commands retry for connect_timeout, then give up in one line.
    let url = "postgres://queue:s3cret-pw@127.0.0.1:1/jobs?connect_timeout=1";
    for args in [
        vec!["--database", url, "status"],
        vec!["--database", url, "dispatch", "--", "true"],
        vec!["--database", url, "work", "--stop-when-empty"],
        vec!["--database", url, "migrate"],
    ] {
        let stderr = env.fails(&args, 1);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("queue: error: cannot connect to PostgreSQL at 127.0.0.1:1/jobs: ")
                && stderr.trim_end().ends_with(
                    "check the URL or that the server runs (gave up after 1s: connect_timeout)"
                ),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{args:?}: {stderr}");
    }
    // The same through queue.toml.
    env.write(
        "queue.toml",
        &format!(
            "default = \"shared\"\n[connections.shared]\ndriver = \"postgres\"\nurl = \"{url}\"\n"
        ),
    );
    let mut cmd = env.cmd(&["status"]);
    cmd.env_remove("QUEUE_DATABASE");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:1/jobs"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[test]
fn processes_starting_together_on_a_new_store_migrate_it_once() {
    let env = TestEnv::new();
    let children: Vec<Child> = (0..4)
        .map(|i| {
            if i % 2 == 0 {
                env.spawn(&["migrate"])
            } else {
                env.spawn(&["dispatch", "--", "true"])
            }
        })
        .collect();
    for child in children {
        let out = wait_exit(child, secs(60));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let versions = env.sql(
        "SELECT CAST(version AS TEXT) FROM queue_migrations ORDER BY version",
        &[],
    );
    let versions: Vec<String> = versions.into_iter().filter_map(|r| r[0].clone()).collect();
    let unique: std::collections::BTreeSet<&String> = versions.iter().collect();
    assert_eq!(
        unique.len(),
        versions.len(),
        "each migration once: {versions:?}"
    );
    assert_eq!(env.ok(&["migrate"]).trim(), "Nothing to migrate.");
    assert_eq!(env.json(&["status"])["queues"][0]["pending"], 2);
}

/// An idle worker with a long --sleep: only a wake-up makes it react within the deadline.
fn idle_worker(env: &TestEnv) -> Child {
    env.ok(&["migrate"]);
    let worker = env.spawn(&["work", "--sleep", "30", "--quiet"]);
    wait_until(secs(20), "the worker to register", || {
        !env.json(&["status"])["workers"]
            .as_array()
            .unwrap()
            .is_empty()
    });
    worker
}

#[test]
fn restart_reaches_an_idle_worker_at_once() {
    let env = TestEnv::new();
    let worker = idle_worker(&env);
    let started = Instant::now();
    env.ok(&["restart"]);
    let out = wait_exit(worker, secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        started.elapsed() < secs(10),
        "the restart took {:?}",
        started.elapsed()
    );
}

#[test]
fn pause_and_resume_reach_an_idle_worker_at_once() {
    let env = TestEnv::new();
    let worker = idle_worker(&env);
    env.ok(&["pause", "default"]);
    let held = env.dispatch(&["--", "true"]);
    // Paused: the job waits (a bounded look, long enough for a wake-up to have been acted on).
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(env.state(&held), "pending");
    env.ok(&["resume", "default"]);
    wait_until(secs(10), "the job to run after resume", || {
        env.state(&held) == "done"
    });
    send_signal(&worker, libc::SIGTERM);
    let out = wait_exit(worker, secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Another application's SQLite file (tables, no queue schema) is refused by every command
/// with one line, untouched; `queue migrate` adds the queue's tables when asked, and then it
/// is a store like any other, the application's tables kept.
#[test]
fn another_applications_sqlite_file_is_refused_until_migrated_explicitly() {
    let env = TestEnv::new();
    if env.skip_on_postgres("a SQLite file of another application") {
        return;
    }
    let app = env.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&app).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO users (name) VALUES ('ann');",
        )
        .unwrap();
    }
    let tables = || -> Vec<String> {
        let conn = rusqlite::Connection::open(&app).unwrap();
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.collect::<Result<_, _>>().unwrap()
    };
    let database = app.display().to_string();
    let commands: &[&[&str]] = &[
        &["status"],
        &["dispatch", "--", "true"],
        &["work", "--stop-when-empty"],
        &["failed"],
        &["jobs"],
        &["batches"],
        &["retry", "all"],
    ];
    for args in commands {
        let mut all = vec!["--database", database.as_str()];
        all.extend_from_slice(args);
        let stderr = env.fails(&all, 1);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains("has tables of another application and no queue schema: run `queue migrate` to add the queue's tables to it, or choose another --database"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(tables(), vec!["users".to_string()], "nothing was added");

    env.ok(&["--database", &database, "migrate"]);
    let uuid = env.ok(&["--database", &database, "dispatch", "--", "true"]);
    let out = env.run(&["--database", &database, "work", "--stop-when-empty"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let job = env.json(&["--database", &database, "show", uuid.trim()]);
    assert_eq!(job["state"], "done", "{job}");
    assert!(tables().contains(&"users".to_string()));
    assert!(tables().contains(&"jobs".to_string()));

    // A new, empty file is still a new store, migrated at once.
    let fresh = env.path().join("fresh.db");
    std::fs::File::create(&fresh).unwrap();
    env.ok(&[
        "--database",
        &fresh.display().to_string(),
        "dispatch",
        "--",
        "true",
    ]);
}
