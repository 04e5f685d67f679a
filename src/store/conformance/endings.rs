//! Ending an attempt: complete, release, fail, intents from inside, and finish_and_claim.

use super::*;

pub(super) fn finishing_complete_keeps_the_job_for_show(env: &Env) {
    let mut s = env.open();
    let job = env.job("default");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(
        env.finish(s.as_mut(), &r, Decision::Complete),
        Finished::Applied(Decision::Complete)
    );
    let view = s.show(&r.uuid, env.now()).unwrap().unwrap();
    assert_eq!(view.state, JobState::Done);
    assert_eq!(view.attempts, 1);
    assert_eq!(view.output.as_deref(), Some("out\n"));
    assert_eq!(view.connection, "main");
    assert!(view.finished_at.is_some());
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());
    assert_eq!(
        env.finish(s.as_mut(), &r, Decision::Complete),
        Finished::LeaseLost,
        "an attempt ends once"
    );

    // prune_finished forgets finished jobs older than the cutoff.
    assert_eq!(s.prune_finished(env.now() - 60_000).unwrap(), 0);
    env.advance(10_000);
    assert_eq!(s.prune_finished(env.now() - 5_000).unwrap(), 1);
    assert!(s.show(&r.uuid, env.now()).unwrap().is_none());
}

pub(super) fn a_release_goes_to_the_back_after_its_delay(env: &Env) {
    let mut s = env.open();
    let job = env.job("default");
    let behind = env.job("default");
    s.enqueue(&[job.clone(), behind.clone()], env.now())
        .unwrap();
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    env.advance(1_000);
    let release = Decision::Release {
        delay_ms: 0,
        exception: true,
    };
    assert_eq!(
        env.finish(s.as_mut(), &r, release.clone()),
        Finished::Applied(release)
    );
    let view = s.show(&r.uuid, env.now()).unwrap().unwrap();
    assert_eq!(view.state, JobState::Pending);
    assert_eq!((view.attempts, view.exceptions), (1, 1));
    assert_eq!(view.output.as_deref(), Some("out\n"));
    // Released with no delay, it is behind the job that was already waiting.
    let first = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(first.uuid, behind.payload.uuid);
    env.finish(s.as_mut(), &first, Decision::Complete);
    let again = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!(again.uuid, job.payload.uuid);
    assert_eq!((again.attempts, again.exceptions), (2, 1));

    // A release with a delay waits it out; not an exception this time.
    env.finish(
        s.as_mut(),
        &again,
        Decision::Release {
            delay_ms: 30_000,
            exception: false,
        },
    );
    assert_eq!(state(env, s.as_mut(), &r.uuid), Some(JobState::Delayed));
    assert!(env.claim(s.as_mut(), &["default"], "w").is_none());
    env.advance(31_000);
    let third = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert_eq!((third.attempts, third.exceptions), (3, 1));
}

pub(super) fn a_failure_moves_the_job_to_failed_jobs_at_once(env: &Env) {
    let mut s = env.open();
    let job = env.job("mail");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["mail"], "w").unwrap();
    let fail = Decision::Fail {
        reason: "exited with status 3".into(),
    };
    assert_eq!(
        env.finish(s.as_mut(), &r, fail.clone()),
        Finished::Applied(fail)
    );
    let failed = s.failed_jobs(None).unwrap();
    assert_eq!(failed.len(), 1);
    let f = &failed[0];
    assert_eq!(
        (f.uuid.as_str(), f.queue.as_str(), f.connection.as_str()),
        (r.uuid.as_str(), "mail", "main")
    );
    assert_eq!(f.attempts, 1);
    assert!(f.error.starts_with("exited with status 3\n"), "{}", f.error);
    assert!(
        f.error.contains("out"),
        "the output tail is kept: {}",
        f.error
    );
    assert_eq!(f.payload["uuid"], r.uuid.as_str());
    assert!(s.failed_jobs(Some("other")).unwrap().is_empty());
    assert_eq!(s.failed_jobs(Some("mail")).unwrap().len(), 1);

    let view = s.show(&r.uuid, env.now()).unwrap().unwrap();
    assert_eq!(view.state, JobState::Failed);
    assert!(view.error.unwrap().starts_with("exited with status 3"));
    let st = stats(env, s.as_mut(), "mail");
    assert_eq!((st.pending, st.reserved, st.failed), (0, 0, 1));
    assert!(env.claim(s.as_mut(), &["mail"], "w").is_none());
}

pub(super) fn the_null_failed_driver_discards_failed_jobs(env: &mut Env) {
    env.discard_failed = true;
    let mut s = env.open();
    let job = env.job("default");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    env.finish(
        s.as_mut(),
        &r,
        Decision::Fail {
            reason: "boom".into(),
        },
    );
    assert!(s.failed_jobs(None).unwrap().is_empty());
    assert!(s.show(&r.uuid, env.now()).unwrap().is_none());
}

pub(super) fn intents_reach_the_decision_with_the_right_token_only(env: &Env) {
    let mut s = env.open();
    let mut inside = env.open();
    let job = env.job("default");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let intent = Intent::Release {
        delay_secs: Some(5),
    };
    assert!(
        !inside
            .record_intent(&job.payload.uuid, "x", &intent)
            .unwrap(),
        "not reserved yet"
    );
    let r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    assert!(!inside.record_intent(&r.uuid, "wrong", &intent).unwrap());
    assert!(inside.record_intent(&r.uuid, &r.token, &intent).unwrap());
    let fail = Intent::Fail {
        message: "no".into(),
    };
    assert!(
        inside.record_intent(&r.uuid, &r.token, &fail).unwrap(),
        "the last one counts"
    );
    let mut seen = None;
    env.finish_seeing(
        s.as_mut(),
        &r,
        Decision::Release {
            delay_ms: 0,
            exception: false,
        },
        &mut seen,
    );
    assert_eq!(seen, Some(fail));

    // The next attempt starts with no intent.
    let again = env.claim(s.as_mut(), &["default"], "w").unwrap();
    let mut seen = Some(intent);
    env.finish_seeing(s.as_mut(), &again, Decision::Complete, &mut seen);
    assert_eq!(seen, None);
    assert!(!inside
        .record_intent(
            &r.uuid,
            &again.token,
            &Intent::Fail {
                message: "late".into()
            }
        )
        .unwrap());
}

/// An ending that decides `decision`, or fails when the job asked to (`queue fail`).
fn ending<'a>(job: &'a Reserved, decision: Decision) -> Ending<'a> {
    Ending {
        job,
        output: "out\n",
        decide: Box::new(move |intent| Verdict {
            decision: match intent {
                Some(Intent::Fail { message }) => Decision::Fail { reason: message },
                _ => decision.clone(),
            },
            threw: false,
        }),
    }
}

pub(super) fn finish_and_claim_ends_attempts_then_claims_in_priority_order(env: &Env) {
    let mut s = env.open();
    let mut inside = env.open();
    let ran: Vec<NewJob> = (0..3).map(|_| env.job("default")).collect();
    s.enqueue(&ran, env.now()).unwrap();
    let held: Vec<Reserved> = (0..3)
        .map(|_| env.claim(s.as_mut(), &["default"], "w").unwrap())
        .collect();
    // The second asked to fail from inside; the third is released for a minute.
    let fail = Intent::Fail {
        message: "asked".into(),
    };
    assert!(inside
        .record_intent(&held[1].uuid, &held[1].token, &fail)
        .unwrap());
    let high = env.job("high");
    let low: Vec<NewJob> = (0..3).map(|_| env.job("low")).collect();
    s.enqueue(&[low.clone(), vec![high.clone()]].concat(), env.now())
        .unwrap();

    let release = Decision::Release {
        delay_ms: 60_000,
        exception: false,
    };
    let mut endings = vec![
        ending(&held[0], Decision::Complete),
        ending(&held[1], Decision::Complete),
        ending(&held[2], release.clone()),
    ];
    let queues = vec!["high".to_string(), "low".to_string()];
    let claim = Claim {
        queues: &queues,
        worker_id: "w",
        now_ms: env.now(),
        lease_ms: LEASE,
    };
    let (finished, claimed) = s
        .finish_and_claim(&mut endings, env.now(), Some((&claim, 3)))
        .unwrap();
    drop(endings);
    assert_eq!(
        finished,
        vec![
            Finished::Applied(Decision::Complete),
            Finished::Applied(Decision::Fail {
                reason: "asked".into()
            }),
            Finished::Applied(release),
        ],
        "each attempt ends as decided, with what it asked for"
    );
    let order: Vec<String> = claimed.iter().map(|r| r.uuid.clone()).collect();
    let mut want = vec![high.payload.uuid.clone()];
    want.extend(uuids(&low[..2]));
    assert_eq!(order, want, "the first queue first, each in dispatch order");
    assert!(claimed
        .iter()
        .all(|r| r.attempts == 1 && !r.token.is_empty()));
    assert_eq!(state(env, s.as_mut(), &held[0].uuid), Some(JobState::Done));
    assert_eq!(
        state(env, s.as_mut(), &held[1].uuid),
        Some(JobState::Failed)
    );
    assert_eq!(
        state(env, s.as_mut(), &held[2].uuid),
        Some(JobState::Delayed)
    );
    for r in &claimed {
        assert_eq!(state(env, s.as_mut(), &r.uuid), Some(JobState::Reserved));
    }

    // An attempt whose lease ran out and was claimed again ends as lost, and changes nothing;
    // with no claim asked for, only the endings happen.
    env.advance(LEASE + 1_000);
    let mut other = env.open();
    let again = env.claim(other.as_mut(), &["high"], "w2").unwrap();
    assert_eq!(again.uuid, high.payload.uuid);
    let mut endings = vec![ending(&claimed[0], Decision::Complete)];
    let (finished, none) = s.finish_and_claim(&mut endings, env.now(), None).unwrap();
    assert_eq!(finished, vec![Finished::LeaseLost]);
    assert!(none.is_empty());
    assert_eq!(
        state(env, s.as_mut(), &again.uuid),
        Some(JobState::Reserved)
    );
}

/// A group of ends in one transaction (`finish_many`, the lifecycle's `finish_all`): plain
/// ends whose writes are made together, ends that need their own steps, and an attempt whose
/// lease was lost, side by side, each as it would end alone.
pub(super) fn a_group_of_ends_applies_each_as_alone(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..5).map(|_| env.job("default")).collect();
    s.enqueue(&jobs, env.now()).unwrap();
    // The first is held by "a" a second before the others, by "b": only its lease runs out.
    let lost = env.claim(s.as_mut(), &["default"], "a").unwrap();
    env.advance(LEASE / 2);
    let held: Vec<Reserved> = (0..4)
        .map(|_| env.claim(s.as_mut(), &["default"], "b").unwrap())
        .collect();
    env.advance(LEASE / 2 + 100);
    let mut other = env.open();
    let again = env.claim(other.as_mut(), &["default"], "c").unwrap();
    assert_eq!(again.uuid, lost.uuid);
    let release = Decision::Release {
        delay_ms: 60_000,
        exception: true,
    };
    let fail = Decision::Fail {
        reason: "boom".into(),
    };
    let mut endings = vec![
        ending(&held[0], Decision::Complete),
        ending(&lost, Decision::Complete),
        ending(&held[1], release.clone()),
        ending(&held[2], fail.clone()),
        ending(&held[3], Decision::Complete),
    ];
    let finished = s.finish_many(&mut endings, env.now()).unwrap();
    drop(endings);
    assert_eq!(
        finished,
        vec![
            Finished::Applied(Decision::Complete),
            Finished::LeaseLost,
            Finished::Applied(release),
            Finished::Applied(fail),
            Finished::Applied(Decision::Complete),
        ]
    );
    let states: Vec<Option<JobState>> = [&held[0], &lost, &held[1], &held[2], &held[3]]
        .iter()
        .map(|r| state(env, s.as_mut(), &r.uuid))
        .collect();
    assert_eq!(
        states,
        vec![
            Some(JobState::Done),
            Some(JobState::Reserved),
            Some(JobState::Delayed),
            Some(JobState::Failed),
            Some(JobState::Done)
        ]
    );
    // Each ended attempt is recorded once, with its end; the lost one's record is not touched.
    for (r, outcome) in [
        (&held[0], "succeeded"),
        (&held[1], "released"),
        (&held[2], "failed"),
        (&held[3], "succeeded"),
    ] {
        let attempts = s.attempts(&r.uuid).unwrap();
        assert_eq!(attempts.len(), 1, "{outcome}");
        assert_eq!(attempts[0].outcome, outcome);
        assert_eq!(attempts[0].worker, "b");
    }
    let view = s.show(&held[3].uuid, env.now()).unwrap().unwrap();
    assert_eq!(view.output.as_deref(), Some("out\n"));
    assert!(s
        .attempts(&lost.uuid)
        .unwrap()
        .iter()
        .all(|a| a.outcome != "succeeded"));
}
