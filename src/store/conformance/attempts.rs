//! Every attempt's result: recorded in the transaction that ends it (on every path, the fused
//! ones too), its output kept while it runs, and gone with its job.

use super::*;

fn with_exit(mut r: Reserved, exit: AttemptExit) -> Reserved {
    r.exit = exit;
    r
}

fn outcomes(s: &mut dyn Store, uuid: &str) -> Vec<(i64, String)> {
    s.attempts(uuid)
        .unwrap()
        .into_iter()
        .map(|a| (a.attempt, a.outcome))
        .collect()
}

pub(super) fn each_attempt_is_recorded_with_its_end(env: &Env) {
    let mut s = env.open();
    let job = env.job("default");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let uuid = job.payload.uuid.clone();

    let r = env.claim(s.as_mut(), &["default"], "web-1:7:abc").unwrap();
    let r = with_exit(
        r,
        AttemptExit {
            code: Some(3),
            ..AttemptExit::default()
        },
    );
    env.advance(1_500);
    env.finish_threw(s.as_mut(), &r, release(0));
    let r = env.claim(s.as_mut(), &["default"], "web-2:8:def").unwrap();
    let r = with_exit(
        r,
        AttemptExit {
            signal: Some(9),
            ..AttemptExit::default()
        },
    );
    env.finish_threw(s.as_mut(), &r, fail());

    let attempts = s.attempts(&uuid).unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    let (first, second) = (&attempts[0], &attempts[1]);
    assert_eq!((first.attempt, first.outcome.as_str()), (1, "retrying"));
    assert_eq!((first.exit_code, first.signal), (Some(3), None));
    assert_eq!(
        (first.worker.as_str(), first.host.as_str()),
        ("web-1:7:abc", "web-1")
    );
    assert!(
        (1_400..5_000).contains(&first.duration_ms.unwrap()),
        "{first:?}"
    );
    assert_eq!(first.output, "out\n");
    assert_eq!(first.exit_status(), 3);
    assert_eq!((second.attempt, second.outcome.as_str()), (2, "failed"));
    assert_eq!(second.host, "web-2");
    assert_eq!(second.exit_status(), 128 + 9);
    assert!(second.finished_at.is_some());

    // Kept as long as the failed job; forgetting it forgets them.
    assert!(s.forget_failed(&uuid).unwrap());
    assert!(s.attempts(&uuid).unwrap().is_empty());
}

pub(super) fn plain_and_fused_ends_record_their_attempts(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..3).map(|_| env.job("default")).collect();
    s.enqueue(&jobs, env.now()).unwrap();
    // A plain completion and release on their own (PostgreSQL: one statement each).
    let a = env.claim(s.as_mut(), &["default"], "w:1:a").unwrap();
    let a = with_exit(
        a,
        AttemptExit {
            code: Some(0),
            ..AttemptExit::default()
        },
    );
    env.finish(s.as_mut(), &a, Decision::Complete);
    assert_eq!(
        outcomes(s.as_mut(), &a.uuid),
        [(1, "succeeded".to_string())]
    );
    let b = env.claim(s.as_mut(), &["default"], "w:1:a").unwrap();
    // Released a moment after the dispatch, so it goes behind the third job (within one
    // millisecond it would keep its place, ahead of it: jobs are taken by available_at, id).
    env.advance(10);
    env.finish(s.as_mut(), &b, release(0));
    assert_eq!(outcomes(s.as_mut(), &b.uuid), [(1, "released".to_string())]);

    // A busy worker's fused finish-and-claim.
    let c = env.claim(s.as_mut(), &["default"], "w:1:a").unwrap();
    let c = with_exit(
        c,
        AttemptExit {
            timed_out: true,
            ..AttemptExit::default()
        },
    );
    let (_, claimed) = env.complete_and_claim(
        s.as_mut(),
        &c,
        "fused
",
        "default",
        "w:1:a",
    );
    let fused = s.attempts(&c.uuid).unwrap();
    assert_eq!(fused.len(), 1);
    assert_eq!(fused[0].outcome, "succeeded");
    assert_eq!(fused[0].output, "fused\n");
    assert!(fused[0].timed_out);
    assert_eq!(claimed[0].uuid, b.uuid);
    env.finish(s.as_mut(), &claimed[0], Decision::Complete);
    assert_eq!(
        outcomes(s.as_mut(), &b.uuid),
        [(1, "released".to_string()), (2, "succeeded".to_string())]
    );

    // Pruned with their finished job.
    env.advance(10_000);
    s.prune_finished(env.now() - 5_000).unwrap();
    for uuid in [&a.uuid, &b.uuid, &c.uuid] {
        assert!(s.attempts(uuid).unwrap().is_empty());
    }
}

pub(super) fn a_running_attempt_keeps_its_output_so_far(env: &Env) {
    let mut s = env.open();
    let job = env.job("default");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["default"], "w:1:a").unwrap();
    assert!(s.attempts(&r.uuid).unwrap().is_empty());
    s.attempt_output(&r, "line 1\n").unwrap();
    s.attempt_output(&r, "line 1\nline 2\n").unwrap();
    let running = s.attempts(&r.uuid).unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].outcome, "running");
    assert_eq!(running[0].finished_at, None);
    assert_eq!(running[0].output, "line 1\nline 2\n");
    env.finish(s.as_mut(), &r, Decision::Complete);
    let ended = s.attempts(&r.uuid).unwrap();
    assert_eq!(ended.len(), 1, "the end replaces the running row");
    assert_eq!(ended[0].outcome, "succeeded");
    assert_eq!(ended[0].output, "out\n");
    // A late write of a lost attempt changes nothing.
    s.attempt_output(&r, "late").unwrap();
    assert_eq!(s.attempts(&r.uuid).unwrap()[0].output, "out\n");
}
