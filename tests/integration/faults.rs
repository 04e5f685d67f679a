//! Faults, injected through the binary: a kill storm (workers SIGKILLed and replaced while
//! dispatchers add jobs, on either store), jobs that cannot start, encrypted output, children
//! that exit or are orphaned, poison rows and a full disk (PostgreSQL restarts: `outages`). Figures (kills, duplicates, the time from a
//! restart to the next job started) go to stderr; run with `--nocapture` to see them.

use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// queue.toml for this test's store with a short lease, so killed workers' jobs come back soon.
fn short_lease(env: &TestEnv, retry_after: u64) {
    env.write(
        "queue.toml",
        &format!(
            "default = \"local\"\n[connections.local]\n{}retry_after = {retry_after}\n",
            env.connection_keys()
        ),
    );
}

/// A `queue` command that finds its store through queue.toml, with stdout to `out` (or nowhere).
pub(crate) fn queue_cmd(env: &TestEnv, args: &[&str], out: Option<&Path>) -> Command {
    let mut cmd = env.cmd(args);
    cmd.env_remove("QUEUE_DATABASE");
    match out {
        Some(path) => cmd.stdout(std::fs::File::create(path).unwrap()),
        None => cmd.stdout(Stdio::null()),
    };
    cmd.stderr(Stdio::piped());
    cmd
}

/// The processes that carry `marker` in their environment (a job's processes, all of them).
fn processes_with_env(marker: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me && process_alive(*pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

/// The zombie children of `parent`.
fn zombie_children(parent: u32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(')')?;
                    let mut fields = rest.split_whitespace();
                    let state = fields.next()?;
                    let ppid: u32 = fields.next()?.parse().ok()?;
                    Some(state == "Z" && ppid == parent)
                })
                .unwrap_or(false)
        })
        .collect()
}

/// A cheap random number (no generator crate needed for picking a victim).
fn random(below: usize) -> usize {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as usize;
    (nanos / 7 + nanos % 1013) % below.max(1)
}

pub(crate) fn stats(env: &TestEnv) -> Value {
    let mut cmd = env.cmd(&["--json", "status"]);
    cmd.env_remove("QUEUE_DATABASE");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    all["queues"]
        .as_array()
        .and_then(|q| q.first().cloned())
        .unwrap_or(Value::Null)
}

pub(crate) fn count(stats: &Value, field: &str) -> i64 {
    stats[field].as_i64().unwrap_or(0)
}

/// Several workers with --concurrency, dispatchers adding jobs meanwhile, and a random worker
/// SIGKILLed about every second and replaced. Every job completes at least once, none is lost
/// or left reserved, a job completes twice only where a killed worker ran it, and no job
/// process outlives the storm.
#[test]
fn a_kill_storm_loses_no_job_and_leaves_no_process() {
    let env = TestEnv::new();
    env.start_clock();
    short_lease(&env, 2);
    let log = env.path().join("runs.log");
    let job = env.write(
        "job.sh",
        &format!(
            "sleep 0.1\necho \"$QUEUE_JOB_ID $PPID\" >> '{}'\n",
            log.display()
        ),
    );
    let job = job.display().to_string();
    let ok = queue_cmd(&env, &["migrate"], None).output().unwrap();
    assert!(ok.status.success(), "{}", text(&ok.stderr));

    const WORKERS: usize = 3;
    const DISPATCHERS: usize = 2;
    const JOBS_EACH: usize = 40;
    let spawn_worker = || {
        queue_cmd(
            &env,
            &[
                "work",
                "--concurrency",
                "3",
                "--tries",
                "0",
                "--sleep",
                "0.2",
            ],
            None,
        )
        .spawn()
        .unwrap()
    };
    let mut workers: Vec<Child> = (0..WORKERS).map(|_| spawn_worker()).collect();
    let mut killed: BTreeSet<u32> = BTreeSet::new();

    let dispatched = std::thread::scope(|s| {
        let dispatchers: Vec<_> = (0..DISPATCHERS)
            .map(|_| {
                let job = job.clone();
                let env = &env;
                s.spawn(move || {
                    (0..JOBS_EACH)
                        .map(|_| {
                            let out = queue_cmd(env, &["dispatch", "--", "sh", &job], None)
                                .stdout(Stdio::piped())
                                .output()
                                .unwrap();
                            assert!(out.status.success(), "{}", text(&out.stderr));
                            String::from_utf8(out.stdout).unwrap().trim().to_string()
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        // The storm: while the dispatchers run, and a few seconds more.
        let storm_until = Instant::now() + secs(6);
        while Instant::now() < storm_until || dispatchers.iter().any(|d| !d.is_finished()) {
            std::thread::sleep(Duration::from_millis(700 + random(600) as u64));
            let victim = random(workers.len());
            let mut worker = workers.swap_remove(victim);
            killed.insert(worker.id());
            let _ = worker.kill();
            let _ = worker.wait();
            workers.push(spawn_worker());
        }
        dispatchers
            .into_iter()
            .flat_map(|d| d.join().unwrap())
            .collect::<Vec<String>>()
    });
    assert_eq!(dispatched.len(), DISPATCHERS * JOBS_EACH);

    // After the storm the survivors finish everything (killed workers' jobs after the lease).
    wait_until(secs(90), "every job to be done", || {
        let s = stats(&env);
        count(&s, "pending") + count(&s, "delayed") + count(&s, "reserved") == 0
    });
    let s = stats(&env);
    assert_eq!(count(&s, "failed"), 0, "{s}");
    assert_eq!(count(&s, "reserved"), 0, "{s}");
    for mut worker in workers {
        send_signal(&worker, libc::SIGTERM);
        let deadline = Instant::now() + secs(30);
        while worker.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "a worker did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = worker.wait().unwrap();
        assert_eq!(status.code(), Some(0), "a surviving worker failed");
    }

    // Every job completed, and twice only where a killed worker ran it.
    let mut runs: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for line in lines(&log) {
        let (uuid, ppid) = line.split_once(' ').unwrap();
        runs.entry(uuid.to_string())
            .or_default()
            .push(ppid.parse().unwrap());
    }
    let mut duplicates = 0;
    for uuid in &dispatched {
        let by = runs.get(uuid).cloned().unwrap_or_default();
        assert!(!by.is_empty(), "job {uuid} never completed");
        let by_survivors = by.iter().filter(|pid| !killed.contains(pid)).count();
        assert!(
            by_survivors <= 1,
            "job {uuid} ran to the end {} times by workers that were not killed",
            by_survivors
        );
        duplicates += by.len() - 1;
        let mut show = env.cmd(&["--json", "show", uuid]);
        show.env_remove("QUEUE_DATABASE");
        let job: Value = serde_json::from_slice(&show.output().unwrap().stdout).unwrap();
        assert_eq!(job["state"], "done", "{job}");
    }
    // No job process is left (the guard kills a killed worker's jobs).
    let marker = "QUEUE_CONNECTION=local";
    let dir_marker = env.path().display().to_string();
    wait_until(secs(20), "no job process to be left", || {
        processes_with_env(marker).into_iter().all(|pid| {
            // Only ours: processes whose cwd is this test's directory.
            std::fs::read_link(format!("/proc/{pid}/cwd"))
                .map(|cwd| !cwd.display().to_string().starts_with(&dir_marker))
                .unwrap_or(true)
        })
    });
    eprintln!(
        "kill storm ({}): {} jobs, {} kills, 0 lost, {duplicates} completed twice (all by killed workers), 0 left reserved, 0 orphans",
        if env.is_postgres() { "postgres" } else { "sqlite" },
        dispatched.len(),
        killed.len()
    );
}

/// A job whose child outlives it for a moment (`sleep 0.01 &`) ends as soon as that child has
/// exited, well under the grace the worker gives leftovers, and the worker leaves no zombie:
/// it reaps its jobs' orphans, also those that left the job's process group.
#[test]
fn exited_children_do_not_hold_a_job_and_orphans_are_reaped() {
    let env = TestEnv::new();
    let quick: Vec<String> = (0..3)
        .map(|_| env.dispatch(&["--", "sh", "-c", "sleep 0.01 & exit 0"]))
        .collect();
    let daemon = env.dispatch(&["--", "sh", "-c", "setsid sh -c 'sleep 0.2' & exit 0"]);
    let out_file = env.path().join("work.jsonl");
    let worker = env
        .cmd(&["--json", "work", "--sleep", "0.1"])
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(secs(30), "the jobs to be done", || {
        quick
            .iter()
            .chain([&daemon])
            .all(|uuid| env.state(uuid) == "done")
    });
    // The daemon left the job's group; once it exits the worker reaps it too.
    wait_until(secs(20), "no zombie child of the worker", || {
        zombie_children(worker.id()).is_empty()
    });
    let mut worker = worker;
    send_signal(&worker, libc::SIGTERM);
    let _ = worker.wait();
    let durations: Vec<f64> = lines(&out_file)
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["status"] == "success" && quick.iter().any(|u| v["uuid"] == u.as_str()))
        .filter_map(|v| v["duration"].as_f64())
        .collect();
    assert_eq!(durations.len(), 3, "{durations:?}");
    // The worker's grace for leftovers is 2 s: a job held by an exited child would take it all.
    assert!(
        durations.iter().all(|d| *d < 1.5),
        "a job waited for a child that had exited: {durations:?}"
    );
    eprintln!("`sh -c 'sleep 0.01 & exit 0'` took {durations:?} s");
}

/// A job that cannot start says why on its line (without -v), waits out a floor (1 s, doubling)
/// before its next try even with unlimited tries, so --stop-when-empty returns; dispatch warns
/// about a cwd or program missing here but dispatches. Jobs that ran keep their backoff.
#[test]
fn a_job_that_cannot_start_says_why_and_does_not_spin() {
    let env = TestEnv::new();
    let out = env.run(&["dispatch", "--cwd", "/nonexistent-dir", "--", "true"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("working directory /nonexistent-dir does not exist"),
        "{}",
        text(&out.stderr)
    );
    let no_cwd = text(&out.stdout).trim().to_string();
    let out = env.run(&["dispatch", "--", "no-such-program-here", "x"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("no-such-program-here was not found"),
        "{}",
        text(&out.stderr)
    );
    let no_program = text(&out.stdout).trim().to_string();
    // A program that exists: no warning.
    let out = env.run(&["dispatch", "--tries", "3", "--", "false"]);
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let ran = text(&out.stdout).trim().to_string();

    let out = drain(&env, &["--tries", "-1"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("could not be started: the working directory /nonexistent-dir does not exist; retried in 1s"),
        "{stdout}"
    );
    assert!(
        stdout.contains("could not be started: no-such-program-here: command not found"),
        "{stdout}"
    );
    for uuid in [&no_cwd, &no_program] {
        let job = env.show(uuid);
        assert_eq!(job["state"], "delayed", "{job}");
        assert_eq!(job["attempt_count"], 1, "{job}");
    }
    // `false` ran and failed: its three tries went without delay, as Laravel's backoff 0.
    let job = env.show(&ran);
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempt_count"], 3, "{job}");

    // The floor doubles: the second try comes 2 s after it.
    env.advance(secs(1));
    drain(&env, &["--tries", "-1"]);
    let job = env.show(&no_cwd);
    assert_eq!(job["attempt_count"], 2, "{job}");
    let wait_ms = rfc3339_ms(&job["available_at"]) - now_ms(&env);
    assert!((1000..=2100).contains(&wait_ms), "{wait_ms} ms: {job}");
}

/// An encrypted job's output is stored sealed like its payload: `show` says it is encrypted,
/// `show --decrypt` (with the key) opens it.
#[test]
fn an_encrypted_jobs_output_is_sealed() {
    let env = TestEnv::new();
    let key = env.ok(&["key-generate"]).trim().to_string();
    let with_key = |args: &[&str]| {
        let out = env.cmd(args).env("QUEUE_KEY", &key).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let done = with_key(&[
        "dispatch",
        "--encrypt",
        "--",
        "sh",
        "-c",
        "echo s3cret-done",
    ])
    .trim()
    .to_string();
    let failed = with_key(&[
        "dispatch",
        "--encrypt",
        "--",
        "sh",
        "-c",
        "echo s3cret-failed; exit 3",
    ])
    .trim()
    .to_string();
    with_key(&["work", "--stop-when-empty", "--sleep", "0.05"]);
    assert!(
        !String::from_utf8_lossy(&env.store_contents()).contains("s3cret"),
        "an encrypted job's output is in the store in clear"
    );
    for (uuid, secret) in [(&done, "s3cret-done"), (&failed, "s3cret-failed")] {
        let shown = env.ok(&["show", uuid]);
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("(encrypted; --decrypt shows it)"), "{shown}");
        let opened = with_key(&["show", "--decrypt", uuid]);
        assert!(opened.contains(secret), "{opened}");
    }
    assert_eq!(env.state(&failed), "failed");
}

/// Poison rows: a job row the worker cannot read (not JSON; JSON of a shape it does not know)
/// goes to failed jobs with the reason, the worker drains the good jobs around it and exits 0,
/// and `show`, `jobs` and `failed` show it.
#[test]
fn unreadable_rows_go_to_failed_jobs_and_the_worker_goes_on() {
    let env = TestEnv::new();
    let good: Vec<String> = (0..3)
        .map(|i| env.dispatch(&["--", "echo", &format!("good {i}")]))
        .collect();
    let not_json = env.dispatch(&["--", "echo", "never"]);
    let unknown = env.dispatch(&["--", "echo", "never either"]);
    let last = env.dispatch(&["--", "echo", "last"]);
    for (uuid, payload) in [
        (&not_json, "{this is not json"),
        (&unknown, r#"{"version": 99, "from": "another program"}"#),
    ] {
        env.sql(
            "UPDATE jobs SET payload = $1 WHERE uuid = $2",
            &[payload, uuid.as_str()],
        );
    }
    // Still queued: shown and listed, with the reason.
    let job = env.show(&not_json);
    assert_eq!(job["state"], "pending", "{job}");
    assert!(
        job["error"]
            .as_str()
            .unwrap()
            .starts_with("unreadable payload: "),
        "{job}"
    );
    assert!(env.ok(&["jobs"]).contains(&not_json[..8]));

    let out = drain(&env, &[]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for uuid in good.iter().chain([&last]) {
        assert_eq!(env.state(uuid), "done", "{uuid}");
    }
    let failed = env.json(&["failed"]);
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for uuid in [&not_json, &unknown] {
        let row = failed.iter().find(|f| f["uuid"] == **uuid).unwrap();
        assert!(
            row["error"]
                .as_str()
                .unwrap()
                .starts_with("unreadable payload: "),
            "{row}"
        );
        assert_eq!(env.state(uuid), "failed");
    }
    let listing = env.ok(&["failed"]);
    assert!(listing.contains("unreadable payload"), "{listing}");
    assert!(
        failed.iter().any(|f| f["payload"] == "{this is not json"),
        "the raw payload is kept as text: {failed:?}"
    );
    env.ok(&["jobs"]);
}

/// A tmpfs of the test's own, unmounted when the test ends (also on failure).
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// None (with a note) when not root or the mount fails.
    fn mount(at: PathBuf, size: &str) -> Option<Tmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: mounting a small tmpfs needs root");
            return None;
        }
        std::fs::create_dir_all(&at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs(at)),
            Ok(out) => {
                eprintln!("skipped: cannot mount a tmpfs: {}", text(&out.stderr));
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

/// Fill the file system of `path` up: write `path` until the disk says it is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
}

/// Checkpoint the store's write-ahead log into the database and truncate it to nothing, waiting
/// out any reader that still needs it.
fn empty_the_log(db: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    wait_until(secs(20), "the log is checkpointed and truncated", || {
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        busy == 0
    });
}

/// A SQLite store on a small file system that fills up: dispatches fail with one clear line
/// (exit 1), a worker running a job meanwhile rides it out and records the job's success once
/// space is freed, nothing dispatched before is lost, and the file passes integrity_check.
#[test]
fn a_full_disk_fails_dispatches_clearly_and_loses_nothing() {
    let env = TestEnv::new();
    if env.skip_on_postgres("a SQLite file on a full disk") {
        return;
    }
    let Some(disk) = Tmpfs::mount(env.path().join("small"), "4m") else {
        return;
    };
    let db = disk.0.join("queue.sqlite").display().to_string();
    let q = |args: &[&str]| {
        let mut all = vec!["--database", db.as_str()];
        all.extend_from_slice(args);
        all.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: &[&str]| {
        let all = q(args);
        env.run(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let go = env.path().join("go");
    let ended = env.path().join("ended");
    let script = format!(
        "while [ ! -e {go} ]; do sleep 0.02; done; touch {ended}; head -c 60000 /dev/zero | tr '\\0' x; echo; echo finished",
        go = go.display(),
        ended = ended.display()
    );
    let slow = text(&run(&["dispatch", "--", "sh", "-c", &script]).stdout)
        .trim()
        .to_string();
    let mut before: Vec<String> = (0..20)
        .map(|i| {
            let out = run(&["dispatch", "--", "echo", &i.to_string()]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            text(&out.stdout).trim().to_string()
        })
        .collect();
    let all = q(&["work", "--stop-when-empty", "--sleep", "0.05"]);
    let worker = env.spawn(&all.iter().map(String::as_str).collect::<Vec<_>>());
    let state = |uuid: &str| {
        let out = run(&["--json", "show", uuid]);
        let job: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        job["state"].as_str().unwrap_or("").to_string()
    };
    wait_until(secs(20), "the slow job runs", || state(&slow) == "reserved");

    // The write-ahead log is emptied first: a log with room left from earlier writes lets the
    // worker's next commit land in space it already has, and the full disk would go unmet.
    empty_the_log(&db);
    // The disk fills up; dispatches of big payloads go in until one fails, with one line.
    fill(&disk.0.join("filler"));
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(100_000));
    let mut refused = None;
    for _ in 0..40 {
        let out = run(&["dispatch", "--payload", &big, "--", "true"]);
        if out.status.success() {
            before.push(text(&out.stdout).trim().to_string());
        } else {
            refused = Some(out);
            break;
        }
    }
    let refused = refused.expect("a dispatch on a full disk fails");
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("its disk is full"), "{err}");

    // The job ends while the disk is full: the worker cannot record it, says so, and does not
    // exit. (Space comes back only once it has said so: freeing it as soon as the job ends
    // raced the worker's attempt to record it.)
    let mut worker = worker;
    let stderr = worker.stderr.take().unwrap();
    let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let collected = std::sync::Arc::clone(&said);
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let mut text = collected.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    std::fs::write(&go, "").unwrap();
    wait_until(secs(20), "the slow job ends", || ended.exists());
    wait_until(secs(20), "the worker to meet the full disk", || {
        said.lock().unwrap().contains("the store is unavailable")
    });
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker rides it out"
    );

    // Space comes back: the success is recorded, everything else runs, the worker exits 0.
    std::fs::remove_file(disk.0.join("filler")).unwrap();
    let out = wait_exit(worker, secs(60));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    reader.join().unwrap();
    let said = said.lock().unwrap().clone();
    assert!(
        said.contains("the store is unavailable") && said.contains("available again"),
        "the worker met the full disk: {said}"
    );
    let show = run(&["--json", "show", &slow]);
    let job: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(job["state"], "done", "a healthy job is not failed: {job}");
    // Its output is tens of kilobytes, so recording it needed pages the full disk did not have.
    let output = job["output"].as_str().unwrap_or("");
    assert!(output.ends_with("x\nfinished\n"), "{job}");
    assert!(output.len() > 60_000, "{}", output.len());
    for uuid in &before {
        assert_eq!(state(uuid), "done", "{uuid} was not lost");
    }
    let failed = run(&["--json", "failed"]);
    assert_eq!(text(&failed.stdout).trim(), "[]");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
