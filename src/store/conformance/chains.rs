//! Chains: the rest of a chain travels with the running link; the store queues the next link
//! (or the chain's catch job) in the transaction that records the link's end.

use super::*;
use crate::domain::job::chain;

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
