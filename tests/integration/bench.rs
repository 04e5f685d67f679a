//! `queue bench` on the store it is given (`--database` / QUEUE_DATABASE): its figures are
//! measured there, on queues of its own, and the store's own jobs are left alone.

use crate::util::*;

#[test]
fn bench_measures_the_store_it_is_given_on_queues_of_its_own() {
    let env = TestEnv::new();
    // A job of the store's own, which the bench must neither run nor remove.
    let mine = env.dispatch(&["--delay", "1h", "--", "true"]);
    let out = env.cmd(&["--json", "bench", "--quick"]).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    assert!(stderr.contains("Measuring on"), "{stderr}");
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = figures
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["what"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("--concurrency 2")),
        "{names:?}"
    );
    // Its jobs ran in this store, on its own queues, and none of them is left queued.
    let count = |sql: &str| -> i64 { env.sql(sql, &[])[0][0].clone().unwrap().parse().unwrap() };
    let ran = count("SELECT CAST(COUNT(*) AS TEXT) FROM finished_jobs WHERE queue LIKE 'bench-%'");
    assert!(ran >= 2000, "{ran} bench jobs finished in the store");
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE queue LIKE 'bench-%'"),
        0
    );
    // The store's own job is where it was.
    let shown = env.json(&["show", &mine]);
    assert_eq!(shown["state"], "delayed", "{shown}");
    // The limits' scratch table is gone.
    if env.is_postgres() {
        assert_eq!(
            count(
                "SELECT CAST(COUNT(*) AS TEXT) FROM information_schema.tables
                 WHERE table_name LIKE 'queue_bench_raw_%'"
            ),
            0
        );
    }
}
