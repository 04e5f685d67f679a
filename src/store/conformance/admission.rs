//! Admission: what `admit` checks and takes before an attempt runs. Each middleware holds the
//! job back (off its worker, the attempt used) with the delay it names: a window's remaining
//! time, or the lease for a job parked on a lock, which the lock's release cuts short. Also the
//! batch and unique-lock rules that apply when a job starts.

use super::*;
use crate::domain::job::{StringOrNumber, UniqueOption};

/// The delay and reason of an attempt held back; any other admission fails the test.
fn held_back(admission: Admission) -> (i64, String) {
    match admission {
        Admission::HeldBack { delay_ms, reason } => (delay_ms, reason),
        other => panic!("expected the attempt to be held back, got {other:?}"),
    }
}

/// An attempt that ended in an exception and is released for another try.
fn exception() -> Decision {
    Decision::Release {
        delay_ms: 0,
        exception: true,
    }
}

fn rate_limited(env: &Env, queue: &str, spec: &str) -> NewJob {
    env.job_with(
        queue,
        JobOptions {
            rate_limit: Some(spec.into()),
            ..Default::default()
        },
    )
}

fn throttled(env: &Env) -> NewJob {
    env.job_with(
        "default",
        JobOptions {
            throttle_exceptions: Some("2/60@pay".into()),
            ..Default::default()
        },
    )
}

fn funneled(env: &Env) -> NewJob {
    env.job_with(
        "default",
        JobOptions {
            funnel: Some("ffmpeg=2".into()),
            ..Default::default()
        },
    )
}

fn exclusive(env: &Env, key: &str) -> NewJob {
    env.job_with(
        "default",
        JobOptions {
            without_overlapping: Some(key.into()),
            ..Default::default()
        },
    )
}

pub(super) fn a_rate_limit_holds_back_starts_beyond_its_window(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..3)
        .map(|_| rate_limited(env, "default", "api=2/60"))
        .collect();
    s.enqueue(&jobs, env.now()).unwrap();
    // The window opens at the first start and counts starts, however they end.
    let first = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(env.admit(s.as_mut(), &first), Admission::Run);
    env.finish(s.as_mut(), &first, fail());
    env.advance(10_000);
    let held = env.claim_all(s.as_mut(), "default");
    assert_eq!(env.admit(s.as_mut(), &held[0]), Admission::Run);
    env.finish(s.as_mut(), &held[0], Decision::Complete);
    let (delay, reason) = held_back(env.admit(s.as_mut(), &held[1]));
    assert!(
        about(delay, 50_000),
        "the window's remaining 50 s, not {delay} ms"
    );
    assert!(reason.contains("rate limit 'api'"), "{reason}");
    assert_eq!(
        state(env, s.as_mut(), &held[1].uuid),
        Some(JobState::Delayed)
    );
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());

    // Another key has its own window.
    s.enqueue(&[rate_limited(env, "other", "mail=1/60")], env.now())
        .unwrap();
    let other = env.claim(s.as_mut(), &["other"], "w").unwrap();
    assert_eq!(env.admit(s.as_mut(), &other), Admission::Run);

    // Once the window has passed, the job held back starts, on a new attempt.
    env.advance(51_000);
    let again = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(
        (again.uuid.as_str(), again.attempts),
        (held[1].uuid.as_str(), 2)
    );
    assert_eq!(
        env.admit(s.as_mut(), &again),
        Admission::Run,
        "a new window"
    );
}

pub(super) fn throttle_exceptions_holds_back_while_its_window_is_full(env: &Env) {
    let mut s = env.open();
    let job = throttled(env);
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let attempt = |s: &mut dyn Store| {
        let r = env.claim(s, &["default"], "w").unwrap();
        (env.admit(s, &r), r)
    };
    // An exception is counted (the window opens at the first); a plain release is not.
    let (admitted, r) = attempt(s.as_mut());
    assert_eq!(admitted, Admission::Run);
    env.finish_threw(s.as_mut(), &r, exception());
    let (admitted, r) = attempt(s.as_mut());
    assert_eq!(admitted, Admission::Run);
    env.finish(s.as_mut(), &r, release(0));
    env.advance(10_000);
    let (admitted, r) = attempt(s.as_mut());
    assert_eq!(admitted, Admission::Run, "one exception of two allowed");
    env.finish_threw(s.as_mut(), &r, exception());

    let (admitted, r) = attempt(s.as_mut());
    let (delay, reason) = held_back(admitted);
    assert!(
        about(delay, 50_000),
        "the window's remaining 50 s, not {delay} ms"
    );
    assert!(
        reason.contains("throttled") && reason.contains("'pay'"),
        "{reason}"
    );
    assert_eq!(state(env, s.as_mut(), &r.uuid), Some(JobState::Delayed));
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());

    env.advance(51_000);
    let (admitted, r) = attempt(s.as_mut());
    assert_eq!(admitted, Admission::Run, "the window has passed");
    assert_eq!(r.attempts, 5, "every hold-back used an attempt");
}

pub(super) fn a_success_resets_the_exception_count(env: &Env) {
    let mut s = env.open();
    let (first, second) = (throttled(env), throttled(env));
    s.enqueue(&[first, second], env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(env.admit(s.as_mut(), &r), Admission::Run);
    env.advance(1_000); // released behind the other job
    env.finish_threw(s.as_mut(), &r, exception());
    // The other job of the key succeeds: the count starts over.
    let other = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_ne!(other.uuid, r.uuid);
    assert_eq!(env.admit(s.as_mut(), &other), Admission::Run);
    env.finish(s.as_mut(), &other, Decision::Complete);
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(env.admit(s.as_mut(), &r), Admission::Run);
    env.finish_threw(s.as_mut(), &r, exception());
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(
        env.admit(s.as_mut(), &r),
        Admission::Run,
        "one exception since the success, not two"
    );
}

pub(super) fn a_funnel_runs_n_at_once_and_frees_a_slot_when_one_ends(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..4).map(|_| funneled(env)).collect();
    s.enqueue(&jobs, env.now()).unwrap();
    let held = env.claim_all(s.as_mut(), "default");
    assert_eq!(env.admit(s.as_mut(), &held[0]), Admission::Run);
    assert_eq!(env.admit(s.as_mut(), &held[1]), Admission::Run);
    let (delay, reason) = held_back(env.admit(s.as_mut(), &held[2]));
    assert_eq!(delay, PARK, "parked for the lease unless a slot frees");
    assert!(reason.contains("funnel 'ffmpeg': 2 running"), "{reason}");
    held_back(env.admit(s.as_mut(), &held[3]));
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());

    // An end frees a slot, and the first job parked on the funnel may go at once.
    env.finish(s.as_mut(), &held[0], Decision::Complete);
    let next = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(next.uuid, held[2].uuid);
    assert!(
        env.claim(s.as_mut(), &["default"], "w").is_none(),
        "the other stays parked"
    );
    assert_eq!(env.admit(s.as_mut(), &next), Admission::Run);

    // A release ends an attempt too.
    env.finish(s.as_mut(), &held[1], release(60_000));
    let last = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(last.uuid, held[3].uuid);
    assert_eq!(env.admit(s.as_mut(), &last), Admission::Run);
}

pub(super) fn without_overlapping_parks_jobs_until_the_holder_ends(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..3).map(|_| exclusive(env, "report")).collect();
    s.enqueue(&jobs, env.now()).unwrap();
    let held = env.claim_all(s.as_mut(), "default");
    assert_eq!(env.admit(s.as_mut(), &held[0]), Admission::Run);
    let (delay, reason) = held_back(env.admit(s.as_mut(), &held[1]));
    assert_eq!(delay, PARK);
    assert!(reason.contains("without-overlapping 'report'"), "{reason}");
    held_back(env.admit(s.as_mut(), &held[2]));
    assert_eq!(
        state(env, s.as_mut(), &held[1].uuid),
        Some(JobState::Delayed)
    );

    // Another key is not held back by this one.
    s.enqueue(&[exclusive(env, "other")], env.now()).unwrap();
    let other = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(env.admit(s.as_mut(), &other), Admission::Run);

    // The holder ends: the first parked job is available at once, not after its delay (the
    // clock has not moved), and only that one.
    env.finish(s.as_mut(), &held[0], Decision::Complete);
    let next = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(
        (next.uuid.as_str(), next.attempts),
        (held[1].uuid.as_str(), 2)
    );
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());
    assert_eq!(env.admit(s.as_mut(), &next), Admission::Run);

    // A failure frees the lock as well.
    env.finish(s.as_mut(), &next, fail());
    let last = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(last.uuid, held[2].uuid);
    assert_eq!(env.admit(s.as_mut(), &last), Admission::Run);
}

/// What a job takes at admission it takes only when it may run: one held back by its overlap
/// lock keeps no funnel slot and counts no rate-limit hit.
pub(super) fn a_job_held_back_by_its_lock_takes_no_slot_and_no_hit(env: &Env) {
    let mut s = env.open();
    let holder = exclusive(env, "k");
    let held = env.job_with(
        "default",
        JobOptions {
            funnel: Some("f=1".into()),
            rate_limit: Some("r=1/60".into()),
            without_overlapping: Some("k".into()),
            ..Default::default()
        },
    );
    let funneled = env.job_with(
        "default",
        JobOptions {
            funnel: Some("f=1".into()),
            ..Default::default()
        },
    );
    let limited = rate_limited(env, "default", "r=1/60");
    s.enqueue(&[holder, held, funneled, limited], env.now())
        .unwrap();
    let jobs = env.claim_all(s.as_mut(), "default");
    assert_eq!(env.admit(s.as_mut(), &jobs[0]), Admission::Run);
    let (_, reason) = held_back(env.admit(s.as_mut(), &jobs[1]));
    assert!(reason.contains("without-overlapping"), "{reason}");
    assert_eq!(
        env.admit(s.as_mut(), &jobs[2]),
        Admission::Run,
        "the funnel's one slot was not kept"
    );
    assert_eq!(
        env.admit(s.as_mut(), &jobs[3]),
        Admission::Run,
        "the window's one start was not used"
    );
}

fn unique_until_processing(env: &Env) -> NewJob {
    env.job_with(
        "default",
        JobOptions {
            unique: Some(UniqueOption::Id("sync-1".into())),
            unique_until_processing: Some(true),
            ..Default::default()
        },
    )
}

pub(super) fn an_until_processing_unique_lock_is_released_when_the_job_starts(env: &Env) {
    let mut s = env.open();
    let first = unique_until_processing(env);
    assert_eq!(
        s.enqueue(std::slice::from_ref(&first), env.now()).unwrap(),
        [Enqueued::Dispatched]
    );
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(
        s.enqueue(&[unique_until_processing(env)], env.now())
            .unwrap(),
        [Enqueued::Skipped {
            held_by: first.payload.uuid.clone()
        }],
        "reserved is not processing yet"
    );
    assert_eq!(env.admit(s.as_mut(), &r), Admission::Run);
    let third = unique_until_processing(env);
    assert_eq!(
        s.enqueue(std::slice::from_ref(&third), env.now()).unwrap(),
        [Enqueued::Dispatched],
        "free while the first runs"
    );
    // The first's end gives back nothing of the third's.
    env.finish(s.as_mut(), &r, Decision::Complete);
    assert_eq!(
        s.enqueue(&[unique_until_processing(env)], env.now())
            .unwrap(),
        [Enqueued::Skipped {
            held_by: third.payload.uuid.clone()
        }]
    );
}

pub(super) fn a_cancelled_batch_skips_its_jobs_but_runs_a_retried_failure(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "b", "callbacks", false);
    let jobs = in_batch(&batch, (0..3).map(|_| env.job("default")).collect());
    s.create_batch(&batch, &jobs).unwrap();
    let first = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(env.admit(s.as_mut(), &first), Admission::Run);
    env.finish(s.as_mut(), &first, fail());

    // The first failure cancelled the batch: the next job ends without running.
    let second = env.claim(s.as_mut(), &["default"], "w").unwrap();
    match env.admit(s.as_mut(), &second) {
        Admission::Skip { reason } => assert!(reason.contains("cancelled"), "{reason}"),
        other => panic!("a job of a cancelled batch is skipped, not {other:?}"),
    }
    assert_eq!(
        state(env, s.as_mut(), &second.uuid),
        Some(JobState::Reserved),
        "a skip ends through finish, as a success"
    );
    env.finish(s.as_mut(), &second, Decision::Complete);

    // The failed job, retried by hand, runs in its cancelled batch; the job never retried
    // is still skipped.
    s.retry_failed(&RetrySelection::Uuids(vec![first.uuid.clone()]), env.now())
        .unwrap();
    let third = env.claim(s.as_mut(), &["default"], "w").unwrap();
    let retried = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(retried.uuid, first.uuid);
    assert_eq!(env.admit(s.as_mut(), &retried), Admission::Run);
    assert!(matches!(
        env.admit(s.as_mut(), &third),
        Admission::Skip { .. }
    ));
}

fn exclusive_with(env: &Env, key: &str, opts: JobOptions) -> NewJob {
    env.job_with(
        "default",
        JobOptions {
            without_overlapping: Some(key.into()),
            ..opts
        },
    )
}

pub(super) fn overlap_release_after_and_expire_after(env: &Env) {
    let mut s = env.open();
    let holder = exclusive_with(
        env,
        "k",
        JobOptions {
            overlap_expire_after: Some(StringOrNumber::Number(1.0)),
            ..Default::default()
        },
    );
    let waiter = exclusive_with(
        env,
        "k",
        JobOptions {
            overlap_release_after: Some(StringOrNumber::Number(1.0)),
            ..Default::default()
        },
    );
    s.enqueue(&[holder, waiter], env.now()).unwrap();
    let held = env.claim_all(s.as_mut(), "default");
    assert_eq!(env.admit(s.as_mut(), &held[0]), Admission::Run);
    // releaseAfter: back after its 1 s, not parked on the lock.
    let (delay, _) = held_back(env.admit(s.as_mut(), &held[1]));
    assert_eq!(delay, 1_000);
    // expireAfter: 1 s on, the lock has lapsed although its holder still runs (within its
    // 2 s lease).
    env.advance(1_500);
    let again = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(again.uuid, held[1].uuid);
    assert_eq!(env.admit(s.as_mut(), &again), Admission::Run);
    // The holder's end does not free the lock it no longer holds.
    env.finish(s.as_mut(), &held[0], Decision::Complete);
    s.enqueue(&[exclusive(env, "k")], env.now()).unwrap();
    let third = env.claim(s.as_mut(), &["default"], "w").unwrap();
    held_back(env.admit(s.as_mut(), &third));
}

pub(super) fn dont_release_drops_a_held_back_job_as_a_success(env: &Env) {
    let mut s = env.open();
    let dropping = |opts: JobOptions| {
        env.job_with(
            "default",
            JobOptions {
                dont_release: Some(true),
                ..opts
            },
        )
    };
    let overlap = || JobOptions {
        without_overlapping: Some("k".into()),
        ..Default::default()
    };
    let limited = || JobOptions {
        rate_limit: Some("api=1/60".into()),
        ..Default::default()
    };
    let jobs = [
        dropping(overlap()),
        dropping(overlap()),
        dropping(limited()),
        dropping(limited()),
    ];
    s.enqueue(&jobs, env.now()).unwrap();
    let r = env.claim_all(s.as_mut(), "default");
    assert_eq!(env.admit(s.as_mut(), &r[0]), Admission::Run);
    assert_eq!(env.admit(s.as_mut(), &r[2]), Admission::Run);
    for dropped in [&r[1], &r[3]] {
        match env.admit(s.as_mut(), dropped) {
            Admission::Skip { reason } => assert!(reason.contains("--dont-release"), "{reason}"),
            other => panic!("expected the job to be dropped, got {other:?}"),
        }
    }
}
