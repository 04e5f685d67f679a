//! Scripts and CI (PRODUCT.md §8): every attempt kept and shown, finding jobs, waiting for them,
//! following their output, and failing when they failed.

use crate::util::*;

#[test]
fn show_lists_every_attempt_with_its_exit_status() {
    let env = TestEnv::new();
    let uuid = env.dispatch(&["--tries", "2", "--", "sh", "-c", "echo try; exit 3"]);
    drain(&env, &[]);
    env.advance(secs(60));
    drain(&env, &[]);
    let job = env.show(&uuid);
    assert_eq!(job["state"], "failed", "{job:#}");
    let attempts = job["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{job:#}");
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a["attempt"], i as i64 + 1, "{a}");
        assert_eq!(a["exit_code"], 3, "{a}");
        assert!(a["signal"].is_null(), "{a}");
        assert_eq!(a["output"], "try\n", "{a}");
        assert!(a["duration_ms"].as_i64().unwrap() >= 0, "{a}");
        assert!(!a["worker"].as_str().unwrap().is_empty(), "{a}");
        assert!(!a["host"].as_str().unwrap().is_empty(), "{a}");
        assert!(
            a["started_at"].is_string() && a["finished_at"].is_string(),
            "{a}"
        );
    }
    assert_eq!(attempts[0]["outcome"], "retrying");
    assert_eq!(attempts[1]["outcome"], "failed");
    let table = env.ok(&["show", &uuid]);
    assert!(table.contains("#1") && table.contains("exit 3"), "{table}");

    // A job killed by a signal.
    let killed = env.dispatch(&["--", "sh", "-c", "kill -9 $$"]);
    drain(&env, &[]);
    let a = &env.show(&killed)["attempts"][0];
    assert_eq!(a["signal"], 9, "{a}");
    assert!(a["exit_code"].is_null(), "{a}");
}
