//! The library API: Rust handlers follow the same rules as command jobs.

use crate::util::*;
use queue::api::{Job, JobError, Queue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn open(env: &TestEnv) -> Queue {
    Queue::open(&env.database).unwrap()
}

#[test]
fn handlers_run_dispatched_jobs_with_their_payload() {
    let env = TestEnv::new();
    let q = open(&env);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    for i in 0..5 {
        q.dispatch(Job::handler("collect").payload(serde_json::json!({ "i": i })))
            .unwrap()
            .expect("dispatched");
    }
    let s = Arc::clone(&seen);
    q.worker()
        .handle("collect", move |ctx| {
            s.lock().unwrap().push(ctx.payload["i"].as_i64().unwrap());
            Ok(())
        })
        .stop_when_empty()
        .run()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    // The CLI sees the same store: every job is done.
    let status = env.json(&["status"]);
    assert!(status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["pending"] == 0));
}

#[test]
fn handler_errors_follow_tries_and_end_in_failed_jobs() {
    let env = TestEnv::new();
    let q = open(&env);
    let uuid = q.dispatch(Job::handler("flaky").tries(3)).unwrap().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    q.worker()
        .handle("flaky", move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            Err(JobError::Exception("boom".into()))
        })
        .stop_when_empty()
        .sleep(Duration::from_millis(10))
        .run()
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3, "three tries, no backoff");
    let failed = env.json(&["failed"]);
    assert_eq!(failed[0]["uuid"], uuid);
    assert!(failed[0]["error"].as_str().unwrap().contains("boom"));
}

#[test]
fn release_fail_and_panics_mean_what_they_mean_for_commands() {
    let env = TestEnv::new();
    let q = open(&env);
    let released = q
        .dispatch(Job::handler("release").tries(5))
        .unwrap()
        .unwrap();
    let failed = q.dispatch(Job::handler("fail").tries(5)).unwrap().unwrap();
    let panicked = q.dispatch(Job::handler("panic").tries(1)).unwrap().unwrap();
    q.worker()
        .handle("release", |_| {
            Err(JobError::Release(Some(Duration::from_secs(60))))
        })
        .handle("fail", |_| Err(JobError::Fail("bad input".into())))
        .handle("panic", |_| panic!("oh no"))
        .stop_when_empty()
        .run()
        .unwrap();
    let r = env.show(&released);
    assert_eq!(
        (r["state"].as_str(), r["exceptions"].as_i64()),
        (Some("delayed"), Some(0))
    );
    let f = env.show(&failed);
    assert_eq!(f["state"], "failed");
    assert!(f["error"].as_str().unwrap().contains("bad input"));
    let p = env.show(&panicked);
    assert_eq!(p["state"], "failed");
    assert!(p["error"].as_str().unwrap().contains("oh no"), "{p}");
}

#[test]
fn a_handler_past_its_timeout_is_recorded_as_timed_out() {
    let env = TestEnv::new();
    let q = open(&env);
    let uuid = q
        .dispatch(
            Job::handler("slow")
                .timeout(Duration::from_secs(1))
                .tries(1),
        )
        .unwrap()
        .unwrap();
    q.worker()
        .handle("slow", |ctx| {
            // A cooperative handler would stop at ctx.deadline; this one overruns it.
            assert!(ctx.deadline.is_some());
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        })
        .stop_when_empty()
        .run()
        .unwrap();
    let job = env.show(&uuid);
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"].as_str().unwrap().contains("timed out"),
        "{job}"
    );
}

#[test]
fn command_jobs_and_unknown_handlers_work_as_from_the_cli() {
    let env = TestEnv::new();
    let q = open(&env);
    let marker = env.path().join("ran");
    let cmd = q
        .dispatch(Job::command(["touch", marker.to_str().unwrap()]))
        .unwrap()
        .unwrap();
    let unknown = q.dispatch(Job::handler("nobody")).unwrap().unwrap();
    q.worker().stop_when_empty().run().unwrap();
    assert!(marker.exists());
    assert_eq!(env.state(&cmd), "done");
    let job = env.show(&unknown);
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"].as_str().unwrap().contains("unknown job"),
        "{job}"
    );
}

/// A caller's own transaction on the store's database, with a row of its own in it; the jobs
/// dispatched in it exist if and only if it commits.
fn dispatch_in_own_transaction(env: &TestEnv, q: &Queue, commit: bool, tag: &str) -> String {
    let mark = env.path().join(tag);
    let job = || vec![Job::shell(&format!("touch '{}'", mark.display()))];
    let uuid = if env.is_postgres() {
        use queue::api::postgres::{Client, NoTls};
        let mut client = Client::connect(&env.database, NoTls).unwrap();
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS orders (tag TEXT)")
            .unwrap();
        let mut tx = client.transaction().unwrap();
        tx.execute("INSERT INTO orders VALUES ($1)", &[&tag])
            .unwrap();
        let uuid = q.dispatch_in_postgres(&mut tx, job()).unwrap()[0]
            .clone()
            .unwrap();
        assert!(
            env.sql("SELECT uuid FROM jobs", &[]).is_empty(),
            "not seen before the commit"
        );
        if commit {
            tx.commit().unwrap();
        } else {
            tx.rollback().unwrap();
        }
        uuid
    } else {
        let mut conn = queue::api::rusqlite::Connection::open(&env.db).unwrap();
        conn.busy_timeout(Duration::from_secs(30)).unwrap();
        conn.execute("CREATE TABLE IF NOT EXISTS orders (tag TEXT)", [])
            .unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO orders VALUES (?1)", [tag]).unwrap();
        let uuid = q.dispatch_in_sqlite(&tx, job()).unwrap()[0]
            .clone()
            .unwrap();
        assert!(
            env.sql("SELECT uuid FROM jobs", &[]).is_empty(),
            "not seen before the commit"
        );
        if commit {
            tx.commit().unwrap();
            q.notify();
        } else {
            tx.rollback().unwrap();
        }
        uuid
    };
    uuid
}

fn queued(env: &TestEnv) -> i64 {
    env.json(&["status"])["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["pending"].as_i64().unwrap() + q["delayed"].as_i64().unwrap())
        .sum()
}

#[test]
fn a_job_dispatched_in_the_callers_transaction_exists_iff_it_commits() {
    let env = TestEnv::new();
    env.start_clock();
    let q = open(&env);
    q.migrate().unwrap();
    // An idle worker that would sleep for ten minutes: only the commit's wake-up brings it.
    let worker = env.spawn(&["work", "--sleep", "600", "--quiet"]);
    let rolled_back = dispatch_in_own_transaction(&env, &q, false, "never");
    let err = env.fails(&["show", &rolled_back], 1);
    assert!(err.contains(&rolled_back), "{err}");
    assert_eq!(queued(&env), 0);

    let committed = dispatch_in_own_transaction(&env, &q, true, "shipped");
    wait_until(LIMIT, "the committed job to run", || {
        env.path().join("shipped").exists()
    });
    wait_until(LIMIT, "the job to be done", || {
        env.state(&committed) == "done"
    });
    assert!(!env.path().join("never").exists());
    send_signal(&worker, libc::SIGTERM);
    let out = wait_exit(worker, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn dispatch_in_a_transaction_on_another_database_is_refused() {
    let env = TestEnv::new();
    if env.skip_on_postgres("a SQLite file of its own") {
        return;
    }
    let q = open(&env);
    q.migrate().unwrap();
    let mut conn = queue::api::rusqlite::Connection::open(env.path().join("other.sqlite")).unwrap();
    let tx = conn.transaction().unwrap();
    let err = q
        .dispatch_in_sqlite(&tx, vec![Job::shell("true")])
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("not on the store's file"),
        "{err:#}"
    );
}

/// What `library_worker_process` runs (a library worker in a process of its own), when
/// QUEUE_TEST_LIBRARY_WORKER names its directory.
const LIBRARY_WORKER: &str = "QUEUE_TEST_LIBRARY_WORKER";
/// A library worker process whose handlers stop returning after this many calls.
const LIBRARY_STALL: &str = "QUEUE_TEST_LIBRARY_STALL";

/// Not a test by itself: the body of each process of the test below, run as this same test
/// binary with `--ignored --exact`. It says it is ready, waits for the go (so that every
/// process claims at the same time), then runs a library worker of 8 slots that logs the job
/// of each handler call to a file of its own, until no job is left. With LIBRARY_STALL=N its
/// handlers stop returning after N calls (until the process is killed).
#[test]
#[ignore = "run by library_workers_in_several_processes_run_each_job_exactly_once"]
fn library_worker_process() {
    let Ok(dir) = std::env::var(LIBRARY_WORKER) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let database = std::env::var("QUEUE_DATABASE").unwrap();
    let stall: Option<usize> = std::env::var(LIBRARY_STALL)
        .ok()
        .map(|n| n.parse().unwrap());
    let pid = std::process::id();
    std::fs::write(dir.join(format!("ready-{pid}")), "").unwrap();
    wait_until(secs(60), "the go", || dir.join("go").exists());
    let log = std::sync::Mutex::new((
        0usize,
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("ran-{pid}")))
            .unwrap(),
    ));
    Queue::open(&database)
        .unwrap()
        .worker()
        .handle("once", move |ctx| {
            use std::io::Write;
            let calls = {
                let mut log = log.lock().unwrap();
                writeln!(log.1, "{}", ctx.payload["i"]).unwrap();
                log.0 += 1;
                log.0
            };
            if stall.is_some_and(|n| calls >= n) {
                loop {
                    std::thread::park();
                }
            }
            Ok(())
        })
        .claim_ahead()
        .concurrency(8)
        .stop_when_empty()
        .sleep(Duration::from_millis(10))
        .run()
        .unwrap();
}

/// A library worker process of the test below, in `dir`, on `env`'s store and clock.
fn library_worker(
    env: &TestEnv,
    dir: &std::path::Path,
    stall: Option<usize>,
) -> std::process::Child {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "api::library_worker_process", "--ignored"])
        .args(["--test-threads", "1", "--quiet"])
        .env(LIBRARY_WORKER, dir)
        .env("QUEUE_DATABASE", &env.database)
        .env(
            "QUEUE_TEST_CLOCK_FILE",
            env.dir.path().join("clock-offset-ms"),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(n) = stall {
        command.env(LIBRARY_STALL, n.to_string());
    }
    command.spawn().unwrap()
}

/// The jobs each `ran-PID` file of `dir` logged, by process.
fn library_runs(dir: &std::path::Path) -> Vec<(String, Vec<usize>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let pid = name.strip_prefix("ran-")?.to_string();
            Some((
                pid,
                lines(&path).iter().map(|l| l.parse().unwrap()).collect(),
            ))
        })
        .collect()
}

#[test]
fn library_workers_in_several_processes_run_each_job_exactly_once() {
    // Each worker claims ahead of its 8 threads and records groups of ends in one transaction:
    // three processes doing so on one store must still run every job once, and only once; a
    // fourth, killed with jobs in hand (running, queued for its threads, ended and not yet
    // recorded), loses none of them: they run again once its lease is over, and only those
    // may run twice.
    let env = TestEnv::new();
    // The jobs are dispatched from this process, on the system's clock.
    env.start_clock();
    let q = open(&env);
    let n = 20_000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
        q.dispatch_many(
            chunk
                .iter()
                // A job a dead worker held counts that attempt (as Laravel's does): a second
                // try runs it again.
                .map(|i| {
                    Job::handler("once")
                        .payload(serde_json::json!({ "i": i }))
                        .tries(2)
                })
                .collect(),
        )
        .unwrap();
    }
    let dir = env.dir.path().join("workers");
    std::fs::create_dir_all(&dir).unwrap();
    let killed = library_worker(&env, &dir, Some(100));
    let workers: Vec<_> = (0..3).map(|_| library_worker(&env, &dir, None)).collect();
    let ready = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().starts_with("ready-")
            })
            .count()
    };
    wait_until(secs(60), "four ready workers", || ready() == 4);
    std::fs::write(dir.join("go"), "").unwrap();
    let killed_log = dir.join(format!("ran-{}", killed.id()));
    wait_until(secs(60), "the stalling worker's 100 jobs", || {
        lines(&killed_log).len() >= 100
    });
    send_signal(&killed, libc::SIGKILL);
    let out = wait_exit(killed, secs(30));
    assert!(!out.status.success(), "the stalling worker was not killed");
    for worker in workers {
        let out = wait_exit(worker, secs(120));
        assert!(
            out.status.success(),
            "a worker failed: {}",
            text(&out.stderr)
        );
    }
    // The killed worker's leases end; a last worker runs what it held.
    env.advance(Duration::from_secs(3600));
    let out = wait_exit(library_worker(&env, &dir, None), secs(120));
    assert!(
        out.status.success(),
        "the last worker failed: {}",
        text(&out.stderr)
    );

    let runs = library_runs(&dir);
    let mut times = vec![0u32; n];
    for (_, ran) in &runs {
        for &i in ran {
            times[i] += 1;
        }
    }
    let killed_ran: std::collections::HashSet<usize> = runs
        .iter()
        .filter(|(pid, _)| killed_log.ends_with(format!("ran-{pid}")))
        .flat_map(|(_, ran)| ran.iter().copied())
        .collect();
    let missing = times.iter().filter(|&&t| t == 0).count();
    let twice_elsewhere = (0..n)
        .filter(|i| times[*i] > 1 && !killed_ran.contains(i))
        .count();
    let thrice = times.iter().filter(|&&t| t > 2).count();
    assert_eq!(
        (missing, twice_elsewhere, thrice),
        (0, 0, 0),
        "jobs never run, jobs run twice not by the killed worker, jobs run three times"
    );
    let busy = runs.iter().filter(|(_, ran)| !ran.is_empty()).count();
    assert!(
        busy >= 3,
        "only {busy} of the processes ran jobs: the test proved nothing"
    );
    // Each job's end is recorded once: one finished row, one `job.processed` event.
    let count = |sql: &str| env.sql(sql, &[])[0][0].clone().unwrap();
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM finished_jobs"),
        n.to_string()
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM job_events WHERE event = 'job.processed'"),
        n.to_string()
    );
    // Nothing is left waiting, reserved or failed.
    let status = env.json(&["status"]);
    for queue in status["queues"].as_array().unwrap() {
        assert_eq!(
            (&queue["pending"], &queue["reserved"], &queue["failed"]),
            (&0.into(), &0.into(), &0.into()),
            "{queue}"
        );
    }
}
