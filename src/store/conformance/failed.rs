//! Failed jobs and the queue's housekeeping: retry, forget, flush, clear, stats.

use super::*;

pub(super) fn retry_puts_failed_jobs_back_by_all_queue_or_uuid(env: &Env) {
    let mut s = env.open();
    let mail = fail_jobs(env, s.as_mut(), "mail", 2);
    let other = fail_jobs(env, s.as_mut(), "other", 2);

    // Unknown uuids are an error and nothing is retried.
    let err = s
        .retry_failed(
            &RetrySelection::Uuids(vec![mail[0].clone(), "nope".into()]),
            env.now(),
        )
        .unwrap_err();
    assert!(format!("{err:#}").contains("nope"), "{err:#}");
    assert_eq!(s.failed_jobs(None).unwrap().len(), 4);

    let retried = s
        .retry_failed(&RetrySelection::Uuids(vec![mail[1].clone()]), env.now())
        .unwrap();
    assert_eq!(retried, vec![mail[1].clone()]);
    let view = s.show(&mail[1], env.now()).unwrap().unwrap();
    assert_eq!((view.state, view.attempts), (JobState::Pending, 0));
    let r = env.claim(s.as_mut(), &["mail"], "w").unwrap();
    assert_eq!((r.uuid.as_str(), r.attempts), (mail[1].as_str(), 1));
    env.finish(s.as_mut(), &r, Decision::Complete);

    let retried = s
        .retry_failed(&RetrySelection::Queue("other".into()), env.now())
        .unwrap();
    assert_eq!(
        retried,
        vec![other[1].clone(), other[0].clone()],
        "newest first"
    );
    assert_eq!(stats(env, s.as_mut(), "other").pending, 2);

    let retried = s.retry_failed(&RetrySelection::All, env.now()).unwrap();
    assert_eq!(retried, vec![mail[0].clone()]);
    assert!(s.failed_jobs(None).unwrap().is_empty());
    assert!(s
        .retry_failed(&RetrySelection::All, env.now())
        .unwrap()
        .is_empty());
}

pub(super) fn forget_flush_and_clear(env: &Env) {
    let mut s = env.open();
    let failed = fail_jobs(env, s.as_mut(), "default", 3);
    assert!(s.forget_failed(&failed[0]).unwrap());
    assert!(!s.forget_failed(&failed[0]).unwrap());
    assert_eq!(s.flush_failed(Some(env.now() - 60_000)).unwrap(), 0);
    env.advance(120_000);
    assert_eq!(s.flush_failed(Some(env.now() - 60_000)).unwrap(), 2);
    fail_jobs(env, s.as_mut(), "default", 1);
    assert_eq!(s.flush_failed(None).unwrap(), 1);

    let now = env.now();
    s.enqueue(
        &[
            env.job("a"),
            env.job_at("a", now + 60_000),
            env.job("a"),
            env.job("b"),
        ],
        now,
    )
    .unwrap();
    env.claim(s.as_mut(), &["a"], "w").unwrap();
    assert_eq!(s.clear("a").unwrap(), 3, "reserved and delayed jobs too");
    assert_eq!(stats(env, s.as_mut(), "a").pending, 0);
    assert_eq!(stats(env, s.as_mut(), "b").pending, 1);
}

pub(super) fn queue_stats_count_each_state(env: &Env) {
    let mut s = env.open();
    let now = env.now();
    s.enqueue(
        &[
            env.job_at("q", now - 10_000),
            env.job("q"),
            env.job("q"),
            env.job_at("q", now + 60_000),
        ],
        now,
    )
    .unwrap();
    env.claim(s.as_mut(), &["q"], "w").unwrap();
    fail_jobs(env, s.as_mut(), "f", 1);
    let all = s.queue_stats(env.now()).unwrap();
    let q = all.iter().find(|s| s.queue == "q").unwrap();
    assert_eq!((q.pending, q.delayed, q.reserved, q.failed), (2, 1, 1, 0));
    assert_eq!(q.connection, "main");
    assert!(q.oldest_pending_age_s.is_some());
    let f = all.iter().find(|s| s.queue == "f").unwrap();
    assert_eq!((f.pending, f.failed), (0, 1));
}
