//! `status` counts exactly, on either store, while workers change the jobs. On PostgreSQL its
//! waiting and reserved counts are the sums of queue_counts' shards, which migration 0009's
//! triggers keep in every transaction that changes jobs: they are compared with a plain
//! count(*) of the rows in one statement (one snapshot) again and again while several workers
//! claim, release, fail and complete jobs, and after cancel, clear, retry, flush and a killed
//! worker's lease running out. Both stores: `status` against the rows.

use crate::util::*;
use std::collections::BTreeMap;

/// Per queue: pending, delayed, reserved and failed.
type Counts = BTreeMap<String, [i64; 4]>;

/// What `status` says.
fn status(env: &TestEnv) -> Counts {
    let all = env.json(&["status"]);
    let field = |q: &serde_json::Value, f: &str| q[f].as_i64().unwrap();
    all["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let counts = ["pending", "delayed", "reserved", "failed"].map(|f| field(q, f));
            (q["queue"].as_str().unwrap().to_string(), counts)
        })
        .filter(|(_, counts)| counts.iter().any(|&n| n != 0))
        .collect()
}

/// What the rows say, at the binary's now (no job here is due near it).
fn rows(env: &TestEnv) -> Counts {
    let now = now_ms(env).to_string();
    let found = env.sql(
        "SELECT queue,
                CAST(SUM(CASE WHEN reserved_at IS NULL AND available_at <= CAST(CAST($1 AS TEXT) AS BIGINT) THEN 1 ELSE 0 END) AS TEXT),
                CAST(SUM(CASE WHEN reserved_at IS NULL AND available_at > CAST(CAST($1 AS TEXT) AS BIGINT) THEN 1 ELSE 0 END) AS TEXT),
                CAST(SUM(CASE WHEN reserved_at IS NOT NULL THEN 1 ELSE 0 END) AS TEXT),
                '0'
         FROM jobs GROUP BY queue
         UNION ALL
         SELECT queue, '0', '0', '0', CAST(COUNT(*) AS TEXT) FROM failed_jobs GROUP BY queue",
        &[&now],
    );
    let mut counts = Counts::new();
    for row in found {
        let entry = counts.entry(row[0].clone().unwrap()).or_default();
        for (total, cell) in entry.iter_mut().zip(&row[1..]) {
            *total += cell.as_deref().unwrap().parse::<i64>().unwrap();
        }
    }
    counts
}

/// PostgreSQL: the queues whose counters differ from their rows, in one snapshot (none).
fn counters_off(env: &TestEnv) -> Vec<Vec<Option<String>>> {
    env.sql(
        "SELECT queue, c.waiting::text, c.reserved::text, r.waiting::text, r.reserved::text
         FROM (SELECT queue, sum(waiting) AS waiting, sum(reserved) AS reserved
               FROM queue_counts GROUP BY queue
               HAVING sum(waiting) <> 0 OR sum(reserved) <> 0) c
         FULL JOIN (SELECT queue, count(*) FILTER (WHERE reserved_at IS NULL) AS waiting,
                           count(*) FILTER (WHERE reserved_at IS NOT NULL) AS reserved
                    FROM jobs GROUP BY queue) r USING (queue)
         WHERE c.waiting IS DISTINCT FROM r.waiting OR c.reserved IS DISTINCT FROM r.reserved",
        &[],
    )
}

fn assert_exact(env: &TestEnv, when: &str) {
    if env.is_postgres() {
        let off = counters_off(env);
        assert!(
            off.is_empty(),
            "{when}: counters differ from the rows: {off:?}"
        );
    }
    assert_eq!(status(env), rows(env), "{when}: status against the rows");
}

#[test]
fn status_counts_exactly_while_workers_change_the_jobs() {
    let env = TestEnv::new();
    let q = queue_bin();
    let kinds = [
        serde_json::json!({"shell": "true"}),
        serde_json::json!({
            "shell": format!("[ \"$QUEUE_ATTEMPT\" -ge 2 ] || '{q}' release"),
            "tries": 3
        }),
        serde_json::json!({"shell": format!("'{q}' fail broken")}),
        serde_json::json!({"shell": "exit 3", "tries": 2}),
        serde_json::json!({"shell": "true", "delay": "2d"}),
    ];
    let mut lines = String::new();
    for i in 0..300 {
        let mut job = kinds[i % kinds.len()].clone();
        job["queue"] = ["a", "b", "c"][i % 3].into();
        lines.push_str(&format!("{job}\n"));
    }
    let file = env.write("jobs.jsonl", &lines);
    env.ok(&["dispatch", "-q", "--file", file.to_str().unwrap()]);
    assert_exact(&env, "dispatched");

    // Several workers at once, each running two jobs at a time; checked while they run.
    let workers: Vec<_> = (0..3)
        .map(|_| {
            env.spawn(&[
                "work",
                "--queue",
                "a,b,c",
                "--concurrency",
                "2",
                "--stop-when-empty",
                "--sleep",
                "0.05",
            ])
        })
        .collect();
    let mut checks = 0;
    wait_until(LIMIT, "the workers to drain the queues", || {
        if env.is_postgres() {
            let off = counters_off(&env);
            assert!(off.is_empty(), "while workers run: {off:?}");
            checks += 1;
        }
        workers.iter().all(|w| !process_alive(w.id() as i32))
    });
    for w in workers {
        let out = wait_exit(w, LIMIT);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    assert!(!env.is_postgres() || checks > 0);
    assert_exact(&env, "drained");
    let after_drain = status(&env);
    assert_eq!(
        after_drain["a"][1], 20,
        "the delayed jobs wait: {after_drain:?}"
    );
    assert!(after_drain.values().all(|c| c[0] == 0 && c[2] == 0));
    assert!(after_drain.values().map(|c| c[3]).sum::<i64>() == 120);

    // Cancel one delayed job, clear a queue, retry the failed jobs, then forget the failures
    // that come back.
    let delayed = env.json(&["jobs", "--state", "delayed", "--queue", "a", "--limit", "1"]);
    env.ok(&["cancel", delayed[0]["uuid"].as_str().unwrap()]);
    env.ok(&["clear", "--queue", "c"]);
    assert_exact(&env, "cancelled and cleared");
    env.ok(&["retry", "all"]);
    assert_exact(&env, "retried");
    drain(&env, &["--queue", "a,b,c"]);
    assert_exact(&env, "retried jobs ran");
    env.ok(&["flush"]);
    assert_exact(&env, "flushed");

    // A worker killed with its job reserved: the job stays reserved until its lease runs out,
    // then the next claim frees it and runs it again.
    let uuid = env.dispatch(&[
        "--queue",
        "a",
        "--tries",
        "2",
        "--",
        "sh",
        "-c",
        "[ \"$QUEUE_ATTEMPT\" -ge 2 ] || sleep 60",
    ]);
    let mut worker = env.spawn(&["work", "--queue", "a", "--sleep", "0.05"]);
    wait_until(LIMIT, "the job to run", || env.state(&uuid) == "reserved");
    assert_exact(&env, "reserved");
    worker.kill().unwrap();
    let _ = worker.wait();
    assert_exact(&env, "its worker killed");
    env.advance(secs(100));
    drain(&env, &["--queue", "a"]);
    assert_eq!(env.state(&uuid), "done");
    assert_exact(&env, "its lease ran out and it ran again");
}
