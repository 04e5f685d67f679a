//! Chains: the rest of a chain travels with the running link; the store queues the next link
//! (or the chain's catch job) in the transaction that records the link's end.

use super::*;
use crate::domain::job::{chain, ChainedBatch, Link};

/// Links named `link-1`, `link-2` … on these (queue, delay) pairs, as one chain with `catch`;
/// the first link to dispatch, and every link's uuid.
fn chain_of(env: &Env, links: &[(&str, i64)], catch: Option<&str>) -> (NewJob, Vec<String>) {
    let jobs: Vec<NewJob> = links
        .iter()
        .enumerate()
        .map(|(i, (queue, delay_ms))| {
            let mut job = env.named(queue, &format!("link-{}", i + 1));
            job.available_at += delay_ms;
            job
        })
        .collect();
    let uuids = uuids(&jobs);
    (chain(jobs, catch.map(String::from)).unwrap(), uuids)
}

pub(super) fn a_completed_link_queues_the_next_on_its_queue_after_its_delay(env: &Env) {
    let mut s = env.open();
    let (first, links) = chain_of(
        env,
        &[("a", 0), ("b", 30_000), ("c", 0)],
        Some("echo caught"),
    );
    s.enqueue(&[first], env.now()).unwrap();
    assert_eq!(
        state(env, s.as_mut(), &links[1]),
        None,
        "only the first is queued"
    );
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    assert_eq!(r.payload.chained.len(), 2);
    env.finish(s.as_mut(), &r, Decision::Complete);

    // The second link waits out its own delay, counted from the first one's success.
    let view = s.show(&links[1], env.now()).unwrap().unwrap();
    assert_eq!((view.state, view.queue.as_str()), (JobState::Delayed, "b"));
    let at = s.next_available_at(&["b".into()]).unwrap().unwrap();
    assert!(about(at, env.now() + 30_000), "{at}");
    assert!(env.claim(s.as_mut(), &["a", "b", "c"], "w").is_none());
    env.advance(31_000);
    let second = env.claim(s.as_mut(), &["a", "b", "c"], "w").unwrap();
    assert_eq!(
        (second.uuid.as_str(), second.queue.as_str()),
        (links[1].as_str(), "b")
    );
    // It carries the rest of the chain and its catch.
    let rest: Vec<&str> = second
        .payload
        .chained
        .iter()
        .map(|l| l.payload.uuid.as_str())
        .collect();
    assert_eq!(rest, [links[2].as_str()]);
    assert_eq!(second.payload.chain_catch.as_deref(), Some("echo caught"));
    assert_eq!(second.payload.batch_id, None);
    env.finish(s.as_mut(), &second, Decision::Complete);

    let third = env.claim(s.as_mut(), &["a", "b", "c"], "w").unwrap();
    assert_eq!(
        (third.uuid.as_str(), third.queue.as_str()),
        (links[2].as_str(), "c")
    );
    assert!(third.payload.chained.is_empty());
    env.finish(s.as_mut(), &third, Decision::Complete);
    assert!(
        env.claim(s.as_mut(), &["a", "b", "c"], "w").is_none(),
        "the chain's end queues nothing, and no catch"
    );
}

pub(super) fn a_link_that_fails_for_good_queues_the_catch_and_stops_the_chain(env: &Env) {
    let mut s = env.open();
    let (first, links) = chain_of(env, &[("a", 0), ("b", 0), ("c", 0)], Some("echo caught"));
    s.enqueue(&[first], env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    env.finish(s.as_mut(), &r, Decision::Complete);
    let second = env.claim(s.as_mut(), &["b"], "w").unwrap();
    env.finish(s.as_mut(), &second, fail());

    // The catch job is queued on the failed link's queue, about that link; nothing else is.
    let catch = env.claim(s.as_mut(), &["a", "b", "c"], "w").unwrap();
    assert_eq!(catch.queue, "b");
    assert_eq!(
        catch.payload.command,
        JobCommand::Shell("echo caught".into())
    );
    assert_eq!(catch.payload.display_name, "chain catch for link-2");
    let env_of = &catch.payload.env;
    assert_eq!(env_of["QUEUE_FAILED_JOB_ID"], links[1]);
    assert!(env_of["QUEUE_FAILED_ERROR"].starts_with("boom"));
    assert!(catch.payload.chained.is_empty() && catch.payload.chain_catch.is_none());
    env.finish(s.as_mut(), &catch, Decision::Complete);
    assert!(env.claim(s.as_mut(), &["a", "b", "c"], "w").is_none());
    assert_eq!(state(env, s.as_mut(), &links[2]), None, "never queued");
}

pub(super) fn a_released_link_neither_advances_nor_catches(env: &Env) {
    let mut s = env.open();
    let (first, links) = chain_of(env, &[("a", 0), ("b", 0)], Some("echo caught"));
    s.enqueue(&[first], env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    env.finish(s.as_mut(), &r, release(0));
    // Only the released link itself comes back, with its chain.
    let again = env.claim(s.as_mut(), &["a", "b"], "w").unwrap();
    assert_eq!(
        (again.uuid.as_str(), again.attempts),
        (links[0].as_str(), 2)
    );
    assert_eq!(again.payload.chained.len(), 1);
    assert!(env.claim(s.as_mut(), &["a", "b"], "w").is_none());
    // An exception that is released counts for nothing in the chain either.
    env.finish(
        s.as_mut(),
        &again,
        Decision::Release {
            delay_ms: 0,
            exception: true,
        },
    );
    let third = env.claim(s.as_mut(), &["a", "b"], "w").unwrap();
    assert_eq!(third.uuid, links[0]);
    env.finish(s.as_mut(), &third, Decision::Complete);
    let next = env.claim(s.as_mut(), &["a", "b"], "w").unwrap();
    assert_eq!(next.uuid, links[1], "its success advances the chain");
}

pub(super) fn a_retried_failed_link_resumes_the_chain(env: &Env) {
    let mut s = env.open();
    let (first, links) = chain_of(env, &[("a", 0), ("b", 0)], Some("echo caught"));
    s.enqueue(&[first], env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    env.finish(s.as_mut(), &r, fail());
    let catch = env.claim(s.as_mut(), &["a"], "w").unwrap();
    env.finish(s.as_mut(), &catch, Decision::Complete);

    s.retry_failed(&RetrySelection::Uuids(vec![links[0].clone()]), env.now())
        .unwrap();
    let retried = env.claim(s.as_mut(), &["a", "b"], "w").unwrap();
    assert_eq!(retried.uuid, links[0]);
    assert_eq!(
        retried.payload.chained.len(),
        1,
        "the rest came back with it"
    );
    env.finish(s.as_mut(), &retried, Decision::Complete);
    let next = env.claim(s.as_mut(), &["a", "b"], "w").unwrap();
    assert_eq!(
        (next.uuid.as_str(), next.queue.as_str()),
        (links[1].as_str(), "b")
    );
    assert_eq!(next.payload.chain_catch.as_deref(), Some("echo caught"));
}

/// The uuids of the links the next claims on `queues` run, finishing each as a success.
fn run_all(env: &Env, s: &mut dyn Store, queues: &[&str]) -> Vec<String> {
    let mut ran = Vec::new();
    while let Some(r) = env.claim(s, queues, "w") {
        ran.push(r.uuid.clone());
        env.finish(s, &r, Decision::Complete);
    }
    ran
}

pub(super) fn links_added_by_an_attempt_run_prepended_then_the_chain_then_appended(env: &Env) {
    let mut s = env.open();
    let mut inside = env.open();
    let (first, links) = chain_of(env, &[("a", 0), ("a", 0)], Some("echo caught"));
    s.enqueue(&[first], env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    let link = |name: &str| Link::from_job(env.named("a", name));
    let (p1, p2, p0, e1) = (link("p1"), link("p2"), link("p0"), link("e1"));
    let uuid = |l: &Link| l.payload.uuid.clone();
    assert!(inside
        .add_to_chain(&r.uuid, &r.token, false, std::slice::from_ref(&e1))
        .unwrap());
    assert!(inside
        .add_to_chain(&r.uuid, &r.token, true, &[p1.clone(), p2.clone()])
        .unwrap());
    assert!(inside
        .add_to_chain(&r.uuid, &r.token, true, std::slice::from_ref(&p0))
        .unwrap());
    // Added again (a retried request): not twice.
    assert!(inside
        .add_to_chain(&r.uuid, &r.token, false, std::slice::from_ref(&e1))
        .unwrap());
    assert!(!inside
        .add_to_chain(&r.uuid, "wrong", false, std::slice::from_ref(&e1))
        .unwrap());
    env.finish(s.as_mut(), &r, Decision::Complete);

    let next = env.claim(s.as_mut(), &["a"], "w").unwrap();
    assert_eq!(next.uuid, uuid(&p0));
    assert_eq!(next.payload.chain_catch.as_deref(), Some("echo caught"));
    env.finish(s.as_mut(), &next, Decision::Complete);
    let ran = run_all(env, s.as_mut(), &["a"]);
    assert_eq!(ran, [uuid(&p1), uuid(&p2), links[1].clone(), uuid(&e1)]);
    // The done link's payload shows the chain it went on with.
    let done = s.show(&links[0], env.now()).unwrap().unwrap();
    let chained: Vec<String> = done.payload.chained.iter().map(uuid).collect();
    assert_eq!(
        chained,
        [uuid(&p0), uuid(&p1), uuid(&p2), links[1].clone(), uuid(&e1)]
    );
}

pub(super) fn links_added_belong_to_the_attempt_and_survive_its_intent(env: &Env) {
    let mut s = env.open();
    let mut inside = env.open();
    let job = env.job("a");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    let added = Link::from_job(env.named("a", "added"));
    assert!(inside
        .add_to_chain(&r.uuid, &r.token, false, std::slice::from_ref(&added))
        .unwrap());
    // It then asks to be released: the decision sees the release; the links are dropped with
    // the attempt.
    let release_ask = Intent::Release { delay_secs: None };
    assert!(inside
        .record_intent(&r.uuid, &r.token, &release_ask)
        .unwrap());
    let mut seen = None;
    env.finish_seeing(s.as_mut(), &r, release(0), &mut seen);
    assert_eq!(seen, Some(release_ask));
    let again = env.claim(s.as_mut(), &["a"], "w").unwrap();
    assert_eq!(again.uuid, job.payload.uuid);
    env.finish(s.as_mut(), &again, Decision::Complete);
    assert!(
        env.claim(s.as_mut(), &["a"], "w").is_none(),
        "dropped with the release"
    );

    // A job in no chain that adds a link, then asks for nothing else: the link runs, as the
    // start of a chain; a `queue fail` after a chain-add still fails it (and nothing runs).
    let job = env.job("a");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    let fail_ask = Intent::Fail {
        message: "no".into(),
    };
    inside
        .add_to_chain(&r.uuid, &r.token, false, std::slice::from_ref(&added))
        .unwrap();
    inside.record_intent(&r.uuid, &r.token, &fail_ask).unwrap();
    let mut seen = None;
    env.finish_seeing(s.as_mut(), &r, fail(), &mut seen);
    assert_eq!(seen, Some(fail_ask));
    assert!(env.claim(s.as_mut(), &["a"], "w").is_none());

    let job = env.job("a");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    inside
        .add_to_chain(&r.uuid, &r.token, true, std::slice::from_ref(&added))
        .unwrap();
    let mut seen = Some(Intent::Release { delay_secs: None });
    env.finish_seeing(s.as_mut(), &r, Decision::Complete, &mut seen);
    assert_eq!(seen, None, "a chain-add alone asks for nothing");
    assert_eq!(
        run_all(env, s.as_mut(), &["a"]),
        std::slice::from_ref(&added.payload.uuid)
    );
}

pub(super) fn links_added_in_a_batch_count_in_it(env: &Env) {
    let mut s = env.open();
    let mut inside = env.open();
    let batch = new_batch(env, "b", "then", false);
    let jobs = in_batch(&batch, vec![env.job("a")]);
    s.create_batch(&batch, &jobs).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    let added = Link::from_job(env.named("a", "added"));
    inside
        .add_to_chain(&r.uuid, &r.token, false, std::slice::from_ref(&added))
        .unwrap();
    env.finish(s.as_mut(), &r, Decision::Complete);
    let view = s.batch(&batch.id).unwrap().unwrap();
    assert_eq!((view.total_jobs, view.pending_jobs), (2, 1));
    assert!(view.finished_at.is_none(), "the added link is still to run");
    let next = env.claim(s.as_mut(), &["a"], "w").unwrap();
    assert_eq!(next.uuid, added.payload.uuid);
    assert_eq!(next.payload.batch_id.as_deref(), Some(batch.id.as_str()));
    env.finish(s.as_mut(), &next, Decision::Complete);
    let view = s.batch(&batch.id).unwrap().unwrap();
    assert_eq!(view.pending_jobs, 0);
    assert!(view.finished_at.is_some());
}

/// A chain [link-1, batch of (b1, b2), link-3]: the batch's jobs carry its id.
fn chain_with_batch(env: &Env, allow_failures: bool) -> (NewJob, String, Vec<String>, String) {
    let mut placeholder = env.named("a", "batch");
    let id = placeholder.payload.uuid.clone();
    let jobs: Vec<NewJob> = ["b1", "b2"]
        .iter()
        .map(|name| {
            let mut job = env.named("b", name);
            job.payload.batch_id = Some(id.clone());
            job
        })
        .collect();
    let inner = uuids(&jobs);
    let mut options = new_batch(env, "inner", "callbacks", allow_failures).options;
    options.queue = "callbacks".into();
    placeholder.payload.chained_batch = Some(Box::new(ChainedBatch {
        name: "inner".into(),
        options,
        jobs: jobs.into_iter().map(Link::from_job).collect(),
    }));
    let last = env.named("a", "link-3");
    let last_uuid = last.payload.uuid.clone();
    let first = chain(
        vec![env.named("a", "link-1"), placeholder, last],
        Some("echo caught".into()),
    )
    .unwrap();
    (first, id, inner, last_uuid)
}

pub(super) fn a_batch_link_goes_on_once_when_it_finishes_and_catches_when_cancelled(env: &Env) {
    let mut s = env.open();
    let (first, id, inner, last) = chain_with_batch(env, true);
    s.enqueue(&[first], env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    env.finish(s.as_mut(), &r, Decision::Complete);
    let view = s
        .batch(&id)
        .unwrap()
        .expect("the batch starts with the link before's success");
    assert_eq!((view.name.as_str(), view.total_jobs), ("inner", 2));
    assert!(
        env.claim(s.as_mut(), &["a"], "w").is_none(),
        "the chain waits on the batch"
    );
    let b1 = env.claim(s.as_mut(), &["b"], "w").unwrap();
    let b2 = env.claim(s.as_mut(), &["b"], "w").unwrap();
    assert_eq!(b1.payload.batch_id.as_deref(), Some(id.as_str()));
    env.finish(s.as_mut(), &b1, fail());
    assert!(env.claim(s.as_mut(), &["a"], "w").is_none());
    env.finish(s.as_mut(), &b2, Decision::Complete);
    // It allows failures: finished (every job ran), the chain goes on.
    let next = env.claim(s.as_mut(), &["a"], "w").unwrap();
    assert_eq!(next.uuid, last);
    assert_eq!(next.payload.batch_id, None);
    assert_eq!(next.payload.chain_catch.as_deref(), Some("echo caught"));
    env.finish(s.as_mut(), &next, Decision::Complete);
    // The failed job retried and succeeding fires `finally` again, but not the chain.
    s.retry_failed(&RetrySelection::Uuids(vec![inner[0].clone()]), env.now())
        .unwrap();
    let again = env.claim(s.as_mut(), &["b"], "w").unwrap();
    env.finish(s.as_mut(), &again, Decision::Complete);
    assert!(env.claim(s.as_mut(), &["a"], "w").is_none(), "decided once");

    // Failures not allowed: the first cancels the batch, which stops the chain and queues its
    // catch (once), besides the batch's own catch callback.
    let (first, _, _, _) = chain_with_batch(env, false);
    s.enqueue(&[first], env.now()).unwrap();
    let r = env.claim(s.as_mut(), &["a"], "w").unwrap();
    env.finish(s.as_mut(), &r, Decision::Complete);
    let b1 = env.claim(s.as_mut(), &["b"], "w").unwrap();
    let b2 = env.claim(s.as_mut(), &["b"], "w").unwrap();
    env.finish(s.as_mut(), &b1, fail());
    env.finish(s.as_mut(), &b2, Decision::Complete);
    assert!(
        env.claim(s.as_mut(), &["a"], "w").is_none(),
        "the chain stops"
    );
    // The chain's catch goes to the batch's queue, with its callbacks.
    let catches: Vec<String> = env
        .claim_all(s.as_mut(), "callbacks")
        .iter()
        .map(|r| r.payload.display_name.clone())
        .filter(|name| name.starts_with("chain catch"))
        .collect();
    assert_eq!(catches.len(), 1, "{catches:?}");
}
