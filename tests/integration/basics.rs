//! The end-to-end path: dispatch, work, done, and the job protocol.

use crate::util::*;

#[test]
fn a_dispatched_job_runs_and_is_done() {
    let env = TestEnv::new();
    let marker = env.path().join("ran");
    let uuid = env.dispatch(&["--", "touch", marker.to_str().unwrap()]);
    assert_eq!(uuid.len(), 36);
    assert_eq!(env.state(&uuid), "pending");
    let out = env.drain(&[]);
    assert!(out.status.success());
    let lines = String::from_utf8_lossy(&out.stdout);
    assert!(
        lines.contains("RUNNING") && lines.contains("DONE"),
        "{lines}"
    );
    assert!(marker.exists());
    let job = env.show(&uuid);
    assert_eq!(job["state"], "done");
    assert_eq!(job["attempt_count"], 1);
}
