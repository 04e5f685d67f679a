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

pub(super) fn list_failed_pages_by_queue_and_window_with_the_last_exit(env: &Env) {
    let mut s = env.open();
    let old = fail_jobs(env, s.as_mut(), "mail", 2);
    env.advance(120_000);
    let middle = env.now();
    let new = fail_jobs(env, s.as_mut(), "other", 1);
    env.advance(120_000);
    // One that ended by a signal after an earlier attempt that exited 3.
    let job = env.job("mail");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let mut r = env.claim(s.as_mut(), &["mail"], "w").unwrap();
    r.exit.code = Some(3);
    env.finish_threw(s.as_mut(), &r, release(0));
    let mut r = env.claim(s.as_mut(), &["mail"], "w").unwrap();
    r.exit = AttemptExit {
        signal: Some(9),
        ..AttemptExit::default()
    };
    env.finish_threw(s.as_mut(), &r, fail());
    let killed = r.uuid.clone();

    let uuids = |jobs: Vec<FailedJob>| jobs.into_iter().map(|j| j.uuid).collect::<Vec<_>>();
    let query = |f: fn(&mut FailedQuery)| {
        let mut q = FailedQuery {
            page: 100,
            ..FailedQuery::default()
        };
        f(&mut q);
        q
    };
    let all = s.list_failed(&query(|_| {})).unwrap();
    assert_eq!(
        uuids(all.clone()),
        vec![
            killed.clone(),
            new[0].clone(),
            old[1].clone(),
            old[0].clone()
        ],
        "newest first"
    );
    let last = &all[0].last_exit.clone().unwrap();
    assert_eq!(
        (last.code, last.signal),
        (None, Some(9)),
        "the last attempt's"
    );
    assert_eq!(last.exit_status(), 137);
    assert_eq!(all[0].last_output, "out\n");

    // Pages follow the id downwards.
    let mut seen = Vec::new();
    let mut q = query(|q| q.page = 3);
    loop {
        let page = s.list_failed(&q).unwrap();
        q.after_id = page.last().map(|j| j.id);
        let n = page.len();
        seen.extend(uuids(page));
        if n < 3 {
            break;
        }
    }
    assert_eq!(seen, uuids(all));

    let mail = s
        .list_failed(&query(|q| q.queue = Some("mail".into())))
        .unwrap();
    assert_eq!(
        uuids(mail),
        vec![killed.clone(), old[1].clone(), old[0].clone()]
    );
    let mut q = query(|_| {});
    q.since_ms = Some(middle - 1_000);
    q.before_ms = Some(middle + 60_000);
    assert_eq!(uuids(s.list_failed(&q).unwrap()), new);
    q.since_ms = None;
    assert_eq!(
        uuids(s.list_failed(&q).unwrap()),
        vec![new[0].clone(), old[1].clone(), old[0].clone()]
    );
    assert_eq!(s.failed_jobs(Some("other")).unwrap().len(), 1);

    // A selected uuid that is no longer failed is passed over, not an error.
    let retried = s
        .retry_failed(
            &RetrySelection::Selected(vec!["gone".into(), new[0].clone()]),
            env.now(),
        )
        .unwrap();
    assert_eq!(retried, new);
}
