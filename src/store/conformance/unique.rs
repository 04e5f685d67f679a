//! Unique jobs: the lock is taken in the dispatch's transaction, held while the job is queued
//! (through its releases), and given back when it completes or fails for good, when its job
//! leaves the queue, or when `--unique-for` lapses.

use super::*;
use crate::domain::job::{StringOrNumber, UniqueOption};

fn unique(env: &Env, id: &str) -> NewJob {
    env.job_with(
        "default",
        JobOptions {
            unique: Some(UniqueOption::Id(id.into())),
            ..Default::default()
        },
    )
}

fn held_by(job: &NewJob) -> Enqueued {
    Enqueued::Skipped {
        held_by: job.payload.uuid.clone(),
    }
}

pub(super) fn a_unique_job_is_queued_once_while_its_lock_is_held(env: &Env) {
    let mut s = env.open();
    let mut other = env.open();
    let first = unique(env, "order-42");
    assert_eq!(
        s.enqueue(std::slice::from_ref(&first), env.now()).unwrap(),
        [Enqueued::Dispatched]
    );
    // Another dispatcher's copy is skipped and told who holds the key; the rest of its
    // dispatch still goes in, and so does another id.
    let copy = unique(env, "order-42");
    let plain = env.job("default");
    let another = unique(env, "order-43");
    assert_eq!(
        other
            .enqueue(&[copy.clone(), plain.clone(), another], env.now())
            .unwrap(),
        [held_by(&first), Enqueued::Dispatched, Enqueued::Dispatched]
    );
    assert_eq!(state(env, s.as_mut(), &copy.payload.uuid), None);
    assert_eq!(stats(env, s.as_mut(), "default").pending, 3);
    // Two copies in one dispatch: the second is skipped by the first.
    let (a, b) = (unique(env, "order-44"), unique(env, "order-44"));
    assert_eq!(
        s.enqueue(&[a.clone(), b], env.now()).unwrap(),
        [Enqueued::Dispatched, held_by(&a)]
    );
}

pub(super) fn the_unique_lock_outlives_releases_and_ends_with_the_job(env: &Env) {
    let mut s = env.open();
    let first = unique(env, "sync");
    s.enqueue(std::slice::from_ref(&first), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    env.finish(s.as_mut(), &r, release(0));
    assert_eq!(
        s.enqueue(&[unique(env, "sync")], env.now()).unwrap(),
        [held_by(&first)],
        "the queued copy still owns it"
    );
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    env.finish(s.as_mut(), &r, fail());
    let second = unique(env, "sync");
    assert_eq!(
        s.enqueue(std::slice::from_ref(&second), env.now()).unwrap(),
        [Enqueued::Dispatched],
        "a final failure frees it"
    );
    assert_eq!(
        s.enqueue(&[unique(env, "sync")], env.now()).unwrap(),
        [held_by(&second)]
    );
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    env.finish(s.as_mut(), &r, Decision::Complete);
    assert_eq!(
        s.enqueue(&[unique(env, "sync")], env.now()).unwrap(),
        [Enqueued::Dispatched],
        "a completion frees it"
    );
}

pub(super) fn a_unique_lock_whose_job_left_the_queue_does_not_block(env: &Env) {
    let mut s = env.open();
    s.enqueue(&[unique(env, "nightly")], env.now()).unwrap();
    assert_eq!(s.clear("default").unwrap(), 1);
    assert_eq!(
        s.enqueue(&[unique(env, "nightly")], env.now()).unwrap(),
        [Enqueued::Dispatched],
        "cleared with its job"
    );
    // A lock row whose owner is no queued job (left behind however) is stale.
    let stale = crate::domain::middleware::unique_key("true", "weekly");
    let now = env.now();
    assert_eq!(
        s.acquire_lock(&stale, "a-job-long-gone", i64::MAX, now)
            .unwrap(),
        None
    );
    assert_eq!(
        s.enqueue(&[unique(env, "weekly")], env.now()).unwrap(),
        [Enqueued::Dispatched]
    );
}

pub(super) fn unique_for_lapses_while_the_job_waits(env: &Env) {
    let mut s = env.open();
    let for_ten_seconds = || {
        env.job_with(
            "default",
            JobOptions {
                unique: Some(UniqueOption::Id("digest".into())),
                unique_for: Some(StringOrNumber::Text("10s".into())),
                ..Default::default()
            },
        )
    };
    let first = for_ten_seconds();
    s.enqueue(std::slice::from_ref(&first), env.now()).unwrap();
    // Halfway, not just before the end: on PostgreSQL the server's clock runs on between the
    // statements (the test's clock only adds its offset), and a loaded machine may take seconds.
    env.advance(5_000);
    assert_eq!(
        s.enqueue(&[for_ten_seconds()], env.now()).unwrap(),
        [held_by(&first)]
    );
    env.advance(6_000);
    let later = for_ten_seconds();
    assert_eq!(
        s.enqueue(std::slice::from_ref(&later), env.now()).unwrap(),
        [Enqueued::Dispatched],
        "lapsed, though the first is still queued"
    );
    assert_eq!(stats(env, s.as_mut(), "default").pending, 2);
    assert_eq!(
        s.enqueue(&[for_ten_seconds()], env.now()).unwrap(),
        [held_by(&later)],
        "the new copy holds it for its own ten seconds"
    );
}
