//! Claims: order, priority, delays, leases, heartbeats and the worker registry.

use super::*;

pub(super) fn claims_in_dispatch_order_and_counts_attempts(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..3).map(|_| env.job("default")).collect();
    let result = s.enqueue(&jobs, env.now()).unwrap();
    assert_eq!(result, vec![Enqueued::Dispatched; 3]);
    for uuid in uuids(&jobs) {
        let r = env.claim(s.as_mut(), &["default"], "w1").unwrap();
        assert_eq!(r.uuid, uuid);
        assert_eq!(
            (r.attempts, r.exceptions, r.queue.as_str()),
            (1, 0, "default")
        );
        assert!(!r.token.is_empty());
        assert_eq!(r.payload.uuid, uuid);
        assert_eq!(state(env, s.as_mut(), &uuid), Some(JobState::Reserved));
    }
    assert!(env.claim(s.as_mut(), &["default"], "w1").is_none());
}

pub(super) fn claim_order_is_available_at_then_id(env: &Env) {
    let mut s = env.open();
    let now = env.now();
    let late = env.job_at("default", now - 1_000);
    let early = env.job_at("default", now - 5_000);
    let same_a = env.job_at("default", now - 3_000);
    let same_b = env.job_at("default", now - 3_000);
    s.enqueue(
        &[late.clone(), early.clone(), same_a.clone(), same_b.clone()],
        now,
    )
    .unwrap();
    let order: Vec<String> = (0..4)
        .map(|_| env.claim(s.as_mut(), &["default"], "w").unwrap().uuid)
        .collect();
    assert_eq!(
        order,
        uuids(&[early, same_a, same_b, late]),
        "ORDER BY available_at, id"
    );
}

pub(super) fn queues_are_strict_priority(env: &Env) {
    let mut s = env.open();
    let low = env.job("low");
    let high = env.job("high");
    let other = env.job("other");
    s.enqueue(&[low.clone(), high.clone(), other], env.now())
        .unwrap();
    let first = env.claim(s.as_mut(), &["high", "low"], "w").unwrap();
    assert_eq!(first.uuid, high.payload.uuid);
    let second = env.claim(s.as_mut(), &["high", "low"], "w").unwrap();
    assert_eq!(second.uuid, low.payload.uuid);
    assert!(
        env.claim(s.as_mut(), &["high", "low"], "w").is_none(),
        "queues not listed are not taken"
    );
}

pub(super) fn claim_many_fills_free_slots_in_priority_order(env: &Env) {
    let mut s = env.open();
    let high: Vec<NewJob> = (0..2).map(|_| env.job("high")).collect();
    let low: Vec<NewJob> = (0..3).map(|_| env.job("low")).collect();
    s.enqueue(&[low.clone(), high.clone()].concat(), env.now())
        .unwrap();
    let queues = vec!["high".to_string(), "low".to_string()];
    let claim = Claim {
        queues: &queues,
        worker_id: "w",
        now_ms: env.now(),
        lease_ms: LEASE,
    };
    let got = s.claim_many(&claim, 3).unwrap();
    let order: Vec<String> = got.iter().map(|r| r.uuid.clone()).collect();
    let mut want = uuids(&high);
    want.push(low[0].payload.uuid.clone());
    assert_eq!(order, want, "the first queue first, each in dispatch order");
    let tokens: HashSet<&str> = got.iter().map(|r| r.token.as_str()).collect();
    assert_eq!(tokens.len(), 3, "a token per attempt");
    assert!(got.iter().all(|r| r.attempts == 1 && !r.token.is_empty()));
    let rest = s.claim_many(&claim, 5).unwrap();
    assert_eq!(rest.len(), 2);
    assert!(s.claim_many(&claim, 5).unwrap().is_empty());
}

pub(super) fn delayed_jobs_wait_for_their_time(env: &Env) {
    let mut s = env.open();
    assert_eq!(s.next_available_at(&["default".into()]).unwrap(), None);
    let at = env.now() + 60_000;
    let delayed = env.job_at("default", at);
    s.enqueue(std::slice::from_ref(&delayed), env.now())
        .unwrap();
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());
    let uuid = &delayed.payload.uuid;
    assert_eq!(state(env, s.as_mut(), uuid), Some(JobState::Delayed));
    let st = stats(env, s.as_mut(), "default");
    assert_eq!((st.pending, st.delayed, st.reserved), (0, 1, 0));

    let next = s
        .next_available_at(&["other".into(), "default".into()])
        .unwrap()
        .expect("a delayed job");
    assert!((next - at).abs() < 1_000, "next {next} vs {at}");
    assert_eq!(s.next_available_at(&["other".into()]).unwrap(), None);

    env.advance(61_000);
    assert_eq!(state(env, s.as_mut(), uuid), Some(JobState::Pending));
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(&r.uuid, uuid);
    assert_eq!(
        s.next_available_at(&["default".into()]).unwrap(),
        None,
        "reserved jobs are not waiting"
    );
}

pub(super) fn next_available_at_is_the_earliest_of_the_queues(env: &Env) {
    let mut s = env.open();
    let now = env.now();
    s.enqueue(
        &[
            env.job_at("a", now + 90_000),
            env.job_at("b", now + 30_000),
            env.job_at("a", now + 60_000),
        ],
        now,
    )
    .unwrap();
    let next = s
        .next_available_at(&["a".into(), "b".into()])
        .unwrap()
        .unwrap();
    assert!((next - (now + 30_000)).abs() < 1_000);
    let next = s.next_available_at(&["a".into()]).unwrap().unwrap();
    assert!((next - (now + 60_000)).abs() < 1_000);
}

pub(super) fn each_job_is_claimed_once_across_connections(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..120).map(|_| env.job("default")).collect();
    s.enqueue(&jobs, env.now()).unwrap();
    let claimed = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|scope| {
        for w in 0..4 {
            let claimed = Arc::clone(&claimed);
            let mut store = env.open();
            scope.spawn(move || {
                let id = format!("w{w}");
                while let Some(job) = env.claim(store.as_mut(), &["default"], &id) {
                    claimed.lock().unwrap().push(job.uuid.clone());
                    env.finish(store.as_mut(), &job, Decision::Complete);
                }
            });
        }
    });
    let claimed = claimed.lock().unwrap();
    let unique: HashSet<&String> = claimed.iter().collect();
    assert_eq!(claimed.len(), 120, "every job once");
    assert_eq!(unique.len(), 120, "no job twice");
}

pub(super) fn an_expired_lease_is_rescued_as_a_new_attempt(env: &Env) {
    let mut a = env.open();
    let mut b = env.open();
    let job = env.job("default");
    let other = env.job("default");
    a.enqueue(&[job.clone(), other.clone()], env.now()).unwrap();
    let first = env.claim(a.as_mut(), &["default"], "dead").unwrap();
    assert_eq!(first.uuid, job.payload.uuid);
    // While the lease holds, nobody else gets it.
    let second = env.claim(b.as_mut(), &["default"], "alive").unwrap();
    assert_eq!(second.uuid, other.payload.uuid);
    assert!(env.claim(b.as_mut(), &["default"], "alive").is_none());

    env.advance(LEASE + 1_000);
    let again = env.claim(b.as_mut(), &["default"], "alive").unwrap();
    assert_eq!(again.uuid, job.payload.uuid, "it keeps its place in line");
    assert_eq!(again.attempts, 2);
    assert_ne!(again.token, first.token);
    // The dead worker's late outcome changes nothing.
    assert_eq!(
        env.finish(a.as_mut(), &first, Decision::Complete),
        Finished::LeaseLost
    );
    assert_eq!(
        state(env, b.as_mut(), &job.payload.uuid),
        Some(JobState::Reserved)
    );
    assert_eq!(
        env.finish(b.as_mut(), &again, Decision::Complete),
        Finished::Applied(Decision::Complete)
    );
}

pub(super) fn heartbeats_keep_leases_and_workers_alive(env: &Env) {
    let mut a = env.open();
    let mut b = env.open();
    a.register_worker(&worker_info(env, "w-a"), env.now() + LEASE)
        .unwrap();
    let job = env.job("default");
    a.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let held = env.claim(a.as_mut(), &["default"], "w-a").unwrap();
    for _ in 0..3 {
        env.advance(LEASE / 2);
        let now = env.now();
        a.heartbeat("w-a", now, now + LEASE, now + LEASE).unwrap();
    }
    assert!(
        env.claim(b.as_mut(), &["default"], "w-b").is_none(),
        "a heartbeating worker keeps its job"
    );
    let workers = b.workers(env.now()).unwrap();
    assert_eq!(workers.len(), 1);
    assert_eq!(workers[0].jobs, vec![held.uuid.clone()]);

    env.advance(LEASE + 1_000);
    assert!(
        b.workers(env.now()).unwrap().is_empty(),
        "a silent worker is forgotten"
    );
    assert_eq!(
        env.claim(b.as_mut(), &["default"], "w-b").unwrap().uuid,
        held.uuid
    );
}

/// A claim whose answer the worker never received (the connection broke after the commit) is
/// freed when the worker comes back, as if never claimed; what it holds stays held, and other
/// workers' jobs are not touched.
pub(super) fn claims_a_worker_never_received_are_freed(env: &Env) {
    let mut a = env.open();
    let mut b = env.open();
    let jobs: Vec<_> = (0..4).map(|_| env.job("default")).collect();
    a.enqueue(&jobs, env.now()).unwrap();
    let held = env.claim(a.as_mut(), &["default"], "w-a").unwrap();
    let lost = env.claim(a.as_mut(), &["default"], "w-a").unwrap();
    let others = env.claim(b.as_mut(), &["default"], "w-b").unwrap();
    let now = env.now();
    assert_eq!(
        a.free_unheld("w-a", &[held.token.as_str()], now).unwrap(),
        1
    );
    assert_eq!(state(env, a.as_mut(), &lost.uuid), Some(JobState::Pending));
    for kept in [&held, &others] {
        assert_eq!(state(env, a.as_mut(), &kept.uuid), Some(JobState::Reserved));
    }
    // Freed at once (no lease to wait out), in its place in line, and its attempt not counted.
    let again = env.claim(b.as_mut(), &["default"], "w-b").unwrap();
    assert_eq!(again.uuid, lost.uuid);
    assert_eq!(again.attempts, 1);
    // Nothing held: every job in its name goes back; a worker with nothing changes nothing.
    assert_eq!(a.free_unheld("w-a", &[], now).unwrap(), 1);
    assert_eq!(b.free_unheld("nobody", &[], now).unwrap(), 0);
    assert_eq!(
        env.finish(b.as_mut(), &again, Decision::Complete),
        Finished::Applied(Decision::Complete)
    );
}

pub(super) fn the_worker_registry(env: &Env) {
    let mut s = env.open();
    let t0 = env.now();
    s.register_worker(&worker_info(env, "host-a:1:aaaa"), t0 + 60_000)
        .unwrap();
    let mut second = worker_info(env, "host-b:1:bbbb");
    second.host = "host-b".into();
    second.pid = 1;
    s.register_worker(&second, t0 + 60_000).unwrap();
    // Registering again refreshes the row; it does not add one.
    s.register_worker(&second, t0 + 60_000).unwrap();
    let workers = s.workers(env.now()).unwrap();
    let ids: Vec<&str> = workers.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["host-a:1:aaaa", "host-b:1:bbbb"]);
    let w = &workers[0];
    assert_eq!(
        (w.name.as_str(), w.host.as_str(), w.pid, w.concurrency),
        ("w", "host-a", 42, 2)
    );
    assert_eq!(w.queues, ["default", "low"]);
    assert!((w.started_at - t0).abs() < 1_000);
    assert!(w.jobs.is_empty());

    s.unregister_worker("host-a:1:aaaa").unwrap();
    let workers = s.workers(env.now()).unwrap();
    assert_eq!(workers.len(), 1);
    env.advance(61_000);
    assert!(s.workers(env.now()).unwrap().is_empty());
}

pub(super) fn unreadable_rows_go_to_failed_jobs_and_the_claim_goes_on(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..7).map(|_| env.job("default")).collect();
    s.enqueue(&jobs, env.now()).unwrap();
    let ids = uuids(&jobs);
    // Not JSON; JSON of a shape this version does not know; and one left queued for `show`.
    let not_json = "{not json";
    let unknown = r#"{"version": 99, "job": "elsewhere"}"#;
    env.set_payload(&ids[1], not_json);
    env.set_payload(&ids[2], unknown);
    env.set_payload(&ids[4], not_json);
    env.set_payload(&ids[6], not_json);

    // Still queued, it is shown with the reason, and listed.
    let view = s.show(&ids[6], env.now()).unwrap().unwrap();
    assert_eq!(view.state, JobState::Pending);
    assert!(view.error.unwrap().starts_with("unreadable payload: "));
    let everything = JobQuery {
        page: 100,
        ..JobQuery::default()
    };
    let listed = s.list_jobs(&everything, env.now()).unwrap().jobs;
    assert!(listed.iter().any(|j| j.uuid == ids[6]));

    let queues = vec!["default".to_string()];
    let claim = Claim {
        queues: &queues,
        worker_id: "w",
        now_ms: env.now(),
        lease_ms: LEASE,
    };
    let got = s.claim_many(&claim, 2).unwrap();
    let got: Vec<String> = got.iter().map(|r| r.uuid.clone()).collect();
    assert_eq!(got, vec![ids[0].clone(), ids[3].clone()], "the good jobs");

    // A busy worker's fused end-and-claim goes past one too.
    let held = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(
        held.uuid, ids[5],
        "the next good job, past the unreadable row"
    );
    let mut endings = vec![Ending {
        job: &held,
        output: "",
        decide: Box::new(|_| Verdict {
            decision: Decision::Complete,
            threw: false,
        }),
    }];
    let (_, claimed) = s
        .finish_and_claim(&mut endings, env.now(), Some((&claim, 1)))
        .unwrap();
    drop(endings);
    assert!(claimed.is_empty(), "only the unreadable row was left");

    let failed = s.failed_jobs(None).unwrap();
    for (uuid, raw) in [
        (&ids[1], not_json),
        (&ids[2], unknown),
        (&ids[4], not_json),
        (&ids[6], not_json),
    ] {
        let f = failed
            .iter()
            .find(|f| &f.uuid == uuid)
            .unwrap_or_else(|| panic!("{uuid} is in failed jobs"));
        assert!(
            f.error.starts_with("unreadable payload: "),
            "the reason: {}",
            f.error
        );
        let kept = serde_json::from_str(raw).unwrap_or(serde_json::Value::String(raw.into()));
        assert_eq!(f.payload, kept, "kept as it was");
        assert_eq!((f.queue.as_str(), f.attempts), ("default", 1));
        assert_eq!(state(env, s.as_mut(), uuid), Some(JobState::Failed));
    }
    assert_eq!(failed.len(), 4);
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());
}
