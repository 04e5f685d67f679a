//! Small things of issue 16, item 20: one queue notation (`connection:queue`), clean-up messages
//! in one style, usage lines that do not show what the environment gave, completions of names
//! and ids, `batch-show --watch`, and `bench` output that fits 100 columns.

use crate::util::*;

#[test]
fn usage_lines_do_not_show_flags_the_environment_gave() {
    let env = TestEnv::new();
    for (args, usage) in [
        (&["show"][..], "Usage: queue show <UUID>"),
        (&["batch-show"][..], "Usage: queue batch-show"),
        (&["logs"][..], "Usage: queue logs <UUID>"),
        (&["pause"][..], "Usage: queue pause <QUEUE>"),
    ] {
        let out = env
            .cmd(args)
            .env("QUEUE_CONNECTION", "default")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.contains(usage), "{args:?}: {err}");
        assert!(!err.contains("--database"), "{args:?}: {err}");
        assert!(!err.contains("--connection"), "{args:?}: {err}");
    }
    // --help never showed them; it still does not.
    let help = env.ok(&["dispatch", "--help"]);
    let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert!(!usage.contains("--database"), "{usage}");
}

#[test]
fn queues_are_written_connection_colon_queue() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--queue", "emails", "--", "true"]);
    let out = env.run(&["-v", "work", "--queue", "emails", "--stop-when-empty"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("Processing jobs from default:emails ("),
        "{err}"
    );
    let all = format!("{}{err}", text(&out.stdout));
    assert!(
        all.contains(&format!("[{uuid} default:emails attempt 1]")),
        "{all}"
    );
    // (The store's own URL may hold an `@`, as a PostgreSQL one does: only the job lines count.)
    let job_lines = all.lines().filter(|l| l.contains("attempt 1]"));
    assert!(
        job_lines.clone().count() > 0 && job_lines.clone().all(|l| !l.contains('@')),
        "{all}"
    );
    let out = env.ok(&["pause", "emails"]);
    assert!(out.starts_with("Paused default:emails:"), "{out}");
    let out = env.ok(&["resume", "emails"]);
    assert!(out.starts_with("Resumed default:emails:"), "{out}");
    assert_eq!(
        env.ok(&["clear", "--queue", "emails"]).trim(),
        "Nothing to delete: no jobs in default:emails."
    );
}

#[test]
fn clean_up_messages_have_one_style() {
    let env = TestEnv::new();
    for _ in 0..3 {
        env.dispatch(&["--queue", "q", "--", "false"]);
    }
    env.dispatch(&["--queue", "q", "--delay", "1h", "--", "true"]);
    assert_eq!(
        env.ok(&["clear", "--queue", "q"]).trim(),
        "Deleted 4 jobs in default:q."
    );
    let empty = env.run(&["retry", "all"]);
    assert_eq!(
        text(&empty.stderr).trim(),
        "Nothing to retry: no failed jobs."
    );
    for _ in 0..3 {
        env.dispatch(&["--", "false"]);
    }
    drain(&env, &[]);
    assert_eq!(
        env.ok(&["prune-failed"]).trim(),
        "Nothing to delete: no failed jobs at least 24 hours old."
    );
    assert_eq!(
        env.ok(&["flush", "--hours", "1"]).trim(),
        "Nothing to delete: no failed jobs at least 1 hour old."
    );
    let failed = env.json(&["failed"]);
    let one = failed[0]["uuid"].as_str().unwrap();
    assert_eq!(
        env.ok(&["forget", one]).trim(),
        format!("Deleted failed job {one}.")
    );
    env.advance(secs(2 * 3600));
    assert_eq!(
        env.ok(&["prune-failed", "--hours", "1"]).trim(),
        "Deleted 2 failed jobs at least 1 hour old."
    );
    assert_eq!(
        env.ok(&["flush"]).trim(),
        "Nothing to delete: no failed jobs."
    );
    env.dispatch(&["--", "false"]);
    drain(&env, &[]);
    assert_eq!(env.ok(&["flush"]).trim(), "Deleted 1 failed job.");
    assert_eq!(
        env.ok(&["prune-batches", "--unfinished", "1"]),
        "Nothing to delete: no batches finished at least 24 hours ago.\n\
         Nothing to delete: no unfinished batches created at least 1 hour ago.\n"
    );
    // --json keeps its shapes.
    assert_eq!(env.json(&["flush"]), serde_json::json!({"deleted": 0}));
    assert_eq!(
        env.json(&["clear", "--queue", "q"]),
        serde_json::json!({"queue": "q", "connection": "default", "cleared": 0})
    );
}

/// `batch-show ID --watch` off a terminal, after its first line has been read: the child and
/// the rest of its stdout.
fn watching(
    env: &TestEnv,
    id: &str,
    json: bool,
) -> (std::process::Child, String, impl std::io::BufRead) {
    use std::io::BufRead;
    let args: &[&str] = if json {
        &["--json", "batch-show", id, "--watch"]
    } else {
        &["batch-show", id, "--watch"]
    };
    let mut child = env.spawn(args);
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    (child, first, out)
}

fn rest(child: std::process::Child, mut out: impl std::io::BufRead) -> (Option<i32>, Vec<String>) {
    let status = wait_exit(child, secs(30)).status.code();
    let mut text = String::new();
    out.read_to_string(&mut text).unwrap();
    (status, text.lines().map(str::to_string).collect())
}

#[test]
fn batch_show_watch_follows_a_batch_to_its_end() {
    let env = TestEnv::new();
    let id = env.ok(&["batch", "--queue", "w", "true", "true", "true"]);
    let id = id.trim();
    let (child, first, out) = watching(&env, id, false);
    assert_eq!(first.trim(), "pending: 0/3 processed, 0 failed (0%)");
    drain(&env, &["--queue", "w"]);
    let (status, lines) = rest(child, out);
    assert_eq!(status, Some(0), "{lines:?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("finished: 3/3 processed, 0 failed (100%)"),
        "{lines:?}"
    );

    // A failure cancels the batch: exit 1.
    let id = env.ok(&["batch", "--queue", "w", "false", "true"]);
    let id = id.trim();
    let (child, _, out) = watching(&env, id, false);
    drain(&env, &["--queue", "w"]);
    let (status, lines) = rest(child, out);
    assert_eq!(status, Some(1), "{lines:?}");
    assert!(
        lines.last().unwrap().starts_with("cancelled: "),
        "{lines:?}"
    );

    // With --allow-failures a failed job keeps the batch from finishing: the watch ends when
    // every job has ended, exit 1.
    let id = env.ok(&["batch", "--queue", "w", "--allow-failures", "false", "true"]);
    let id = id.trim();
    let (child, _, out) = watching(&env, id, false);
    drain(&env, &["--queue", "w"]);
    let (status, lines) = rest(child, out);
    assert_eq!(status, Some(1), "{lines:?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("failing: 1/2 processed, 1 failed (50%)"),
        "{lines:?}"
    );

    // Cancelled while watched: it ends at once, exit 1; --json gives a document per change.
    let id = env.ok(&["batch", "--queue", "nobody", "true"]);
    let id = id.trim();
    let (child, first, out) = watching(&env, id, true);
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["id"], id);
    assert!(doc["cancelled_at"].is_null());
    env.ok(&["batch-cancel", id]);
    let (status, lines) = rest(child, out);
    assert_eq!(status, Some(1), "{lines:?}");
    let last: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert!(last["cancelled_at"].is_string(), "{last}");

    // An unknown batch is an error, as without --watch.
    let err = env.fails(&["batch-show", "nope", "--watch"], 1);
    assert!(err.contains("no batch with id nope"), "{err}");
}

/// What the shell gets for the last word of `line` (clap_complete's protocol, as fish calls it:
/// one `value<TAB>help` per line).
fn complete(env: &TestEnv, line: &[&str]) -> Vec<String> {
    let mut args = vec!["--", "queue"];
    args.extend_from_slice(line);
    let out = env.cmd(&args).env("COMPLETE", "fish").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .filter(|v| !v.starts_with('-'))
        .collect()
}

#[test]
fn completion_offers_named_jobs_queues_and_ids() {
    let env = TestEnv::new();
    // Before there is a store: nothing to offer, and no store is created.
    assert!(complete(&env, &["retry", ""]) == ["all"]);
    if !env.is_postgres() {
        assert!(!env.db.exists());
    }
    env.write(
        "queue.toml",
        "[jobs.send-email]\ncommand = [\"echo\"]\n\n[jobs.sync]\ncommand = [\"true\"]\n",
    );
    assert_eq!(complete(&env, &["dispatch", "s"]), ["send-email", "sync"]);
    assert_eq!(complete(&env, &["dispatch", "se"]), ["send-email"]);

    env.dispatch(&["--queue", "emails", "--", "false"]);
    env.dispatch(&["--queue", "high", "--", "true"]);
    drain(&env, &["--queue", "emails"]);
    let failed = env.json(&["failed"])[0]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        complete(&env, &["work", "--queue", "high,e"]),
        ["high,emails"]
    );
    assert_eq!(
        complete(&env, &["dispatch", "--queue", ""]),
        ["default", "emails", "high"]
    );
    assert_eq!(complete(&env, &["pause", "default:h"]), ["default:high"]);
    assert_eq!(complete(&env, &["retry", ""]), ["all", failed.as_str()]);
    assert_eq!(complete(&env, &["forget", &failed[..4]]), [failed.as_str()]);
    assert_eq!(complete(&env, &["show", &failed[..4]]), [failed.as_str()]);

    let batch = env.ok(&["batch", "--queue", "nobody", "true"]);
    let batch = batch.trim();
    assert_eq!(complete(&env, &["batch-show", ""]), [batch]);
    assert_eq!(complete(&env, &["batch-cancel", ""]), [batch]);

    // The shell's registration script.
    let out = env.cmd(&[]).env("COMPLETE", "bash").output().unwrap();
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("complete "),
        "{}",
        text(&out.stdout)
    );
}
