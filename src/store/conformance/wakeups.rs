//! Instant pickup: commits that make work available wake idle workers elsewhere.

use super::*;

pub(super) fn idle_workers_are_woken_by_commits_elsewhere(env: &Env) {
    let mut worker = env.open();
    let mut other = env.open();
    let (tx, rx) = std::sync::mpsc::channel();
    let Some(_wakeups) = worker
        .subscribe(
            "host:1:wake",
            &["default".into()],
            Box::new(move || tx.send(()).is_ok()),
        )
        .unwrap()
    else {
        panic!("every store wakes its workers");
    };
    let woken = |what: &str| {
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no wake-up after {what}"));
        while rx.try_recv().is_ok() {}
    };
    other.enqueue(&[env.job("default")], env.now()).unwrap();
    woken("a dispatch");
    other.set_setting(RESTART_KEY, Some("x")).unwrap();
    woken("a restart");
    fail_jobs(env, other.as_mut(), "default", 1);
    while rx.try_recv().is_ok() {}
    other.retry_failed(&RetrySelection::All, env.now()).unwrap();
    woken("a retry");
}
