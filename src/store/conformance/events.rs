//! Events (PRODUCT.md §9): each recorded in the transaction of its change, with its fields, in
//! order; the hooks they fire queued once as jobs; a follower that reads after a cursor while
//! others write sees every event once, in id order; old events pruned.

use super::*;
use crate::domain::events::{name, Event, Hooks};
use crate::store::events::Follow;

/// Every event recorded so far, oldest first.
fn all_events(s: &mut dyn Store) -> Vec<Event> {
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        let read = s.read_events(cursor, 500).unwrap();
        let Some(last) = read.events.last() else {
            return out;
        };
        cursor = last.id;
        out.extend(read.events);
    }
}

/// The names of the events of job `uuid`, in order.
fn names_of(s: &mut dyn Store, uuid: &str) -> Vec<String> {
    all_events(s)
        .into_iter()
        .filter(|e| e.uuid.as_deref() == Some(uuid))
        .map(|e| e.event)
        .collect()
}

fn threw(decision: Decision) -> impl FnMut(Option<Intent>) -> Verdict {
    move |_| Verdict {
        decision: decision.clone(),
        threw: true,
    }
}

pub(super) fn a_jobs_life_is_recorded_in_order_with_its_fields(env: &Env) {
    let mut s = env.open();
    let jobs = [
        env.named("default", "first"),
        env.named("default", "second"),
    ];
    s.enqueue(&jobs, env.now()).unwrap();
    let r = env
        .claim(s.as_mut(), &["default"], "host-a:1:aaaa")
        .unwrap();
    env.advance(50);
    assert_eq!(
        env.finish(s.as_mut(), &r, Decision::Complete),
        Finished::Applied(Decision::Complete)
    );
    let first = &jobs[0].payload.uuid;
    assert_eq!(
        names_of(s.as_mut(), first),
        [name::QUEUED, name::PROCESSING, name::PROCESSED]
    );
    let events = all_events(s.as_mut());
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    let done = events.iter().find(|e| e.event == name::PROCESSED).unwrap();
    assert_eq!(done.uuid.as_deref(), Some(first.as_str()));
    assert_eq!(done.name.as_deref(), Some("first"));
    assert_eq!(done.queue.as_deref(), Some("default"));
    assert_eq!(done.connection.as_deref(), Some("main"));
    assert_eq!(done.attempt, Some(1));
    assert_eq!(done.worker.as_deref(), Some("host-a:1:aaaa"));
    assert_eq!(done.host.as_deref(), Some("host-a"));
    assert!(done.duration_ms.is_some_and(|d| d >= 40), "{done:?}");
    assert!(about(done.at, env.now()), "{done:?}");

    // A busy worker's fused step (finish and claim in one call) records both too.
    let second = env.claim(s.as_mut(), &["default"], "w").unwrap();
    s.enqueue(&[env.job("default")], env.now()).unwrap();
    let (_, claimed) = env.complete_and_claim(s.as_mut(), &second, "", "default", "w");
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        names_of(s.as_mut(), &second.uuid),
        [name::QUEUED, name::PROCESSING, name::PROCESSED]
    );
    assert_eq!(
        names_of(s.as_mut(), &claimed[0].uuid),
        [name::QUEUED, name::PROCESSING]
    );
}

pub(super) fn exceptions_releases_and_a_final_failure_each_record_their_events(env: &Env) {
    let mut s = env.open();
    let job = env.job("default");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    // Released by the job: one event, with when it runs again.
    let mut r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    env.finish(s.as_mut(), &r, release(0));
    // Threw and goes again: the exception with its cause, then the release after it.
    r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    r.exit.code = Some(3);
    r.cause = Some("exited with status 3".into());
    let exception = Decision::Release {
        delay_ms: 5_000,
        exception: true,
    };
    s.finish(&r, "out", env.now(), &mut threw(exception))
        .unwrap();
    env.advance(5_000);
    // Timed out and failed for good.
    r = env.claim(s.as_mut(), &["default"], "w").unwrap();
    r.exit.timed_out = true;
    r.cause = Some("timed out after 1s".into());
    s.finish(&r, "out", env.now(), &mut threw(fail())).unwrap();
    assert_eq!(
        names_of(s.as_mut(), &job.payload.uuid),
        [
            name::QUEUED,
            name::PROCESSING,
            name::RELEASED,
            name::PROCESSING,
            name::EXCEPTION,
            name::RELEASED_AFTER_EXCEPTION,
            name::PROCESSING,
            name::TIMED_OUT,
            name::EXCEPTION,
            name::FAILED,
        ]
    );
    let events = all_events(s.as_mut());
    let find = |n: &str| events.iter().find(|e| e.event == n).unwrap().clone();
    assert_eq!(find(name::EXCEPTION).exit_code, Some(3));
    assert_eq!(
        find(name::RELEASED_AFTER_EXCEPTION).message.as_deref(),
        Some("exited with status 3; retried in 5s")
    );
    let failed = find(name::FAILED);
    assert_eq!(failed.attempt, Some(3));
    assert!(
        failed.message.as_deref().unwrap().starts_with("boom"),
        "{failed:?}"
    );
    // `queue retry` queues it again: one more `job.queued`, in the same transaction.
    let retried = s.retry_failed(&RetrySelection::All, env.now()).unwrap();
    assert_eq!(retried, std::slice::from_ref(&job.payload.uuid));
    let again = all_events(s.as_mut()).pop().unwrap();
    assert_eq!(again.event, name::QUEUED);
    assert_eq!(again.uuid.as_deref(), Some(job.payload.uuid.as_str()));
    assert_eq!(again.message.as_deref(), Some("retried"));
}

pub(super) fn on_failure_and_on_success_each_queue_one_hook_job_with_the_event(env: &Env) {
    let mut s = env.open();
    let hooked = |on_failure: Option<&str>, on_success: Option<&str>| {
        env.job_with(
            "work",
            JobOptions {
                name: Some("hooked".into()),
                on_failure: on_failure.map(str::to_string),
                on_success: on_success.map(str::to_string),
                ..Default::default()
            },
        )
    };
    let failing = hooked(Some("./page-oncall"), Some("never"));
    let passing = hooked(Some("never"), Some("./record"));
    s.enqueue(&[failing.clone(), passing.clone()], env.now())
        .unwrap();
    let a = env.claim(s.as_mut(), &["work"], "w").unwrap();
    s.finish(&a, "", env.now(), &mut threw(fail())).unwrap();
    let b = env.claim(s.as_mut(), &["work"], "w").unwrap();
    env.finish(s.as_mut(), &b, Decision::Complete);
    // Ending again (a lost lease) queues nothing more.
    s.finish(&a, "", env.now(), &mut threw(fail())).unwrap();
    let hooks = env.claim_all(s.as_mut(), "work");
    assert_eq!(hooks.len(), 2, "one hook job per end");
    let by_event = |event: &str| {
        hooks
            .iter()
            .find(|h| h.payload.env["QUEUE_EVENT"] == event)
            .unwrap()
    };
    let on_failure = by_event(name::FAILED);
    assert_eq!(
        on_failure.payload.command,
        JobCommand::Shell("./page-oncall".into())
    );
    let env_of = &on_failure.payload.env;
    assert_eq!(env_of["QUEUE_EVENT_JOB_ID"], failing.payload.uuid);
    assert_eq!(env_of["QUEUE_EVENT_JOB_NAME"], "hooked");
    assert_eq!(env_of["QUEUE_EVENT_QUEUE"], "work");
    assert_eq!(env_of["QUEUE_EVENT_ATTEMPT"], "1");
    assert!(env_of["QUEUE_EVENT_ERROR"].starts_with("boom"));
    assert_eq!(on_failure.payload.data["event"], name::FAILED);
    assert_eq!(
        on_failure.payload.data["uuid"],
        failing.payload.uuid.as_str()
    );
    let on_success = by_event(name::PROCESSED);
    assert_eq!(
        on_success.payload.command,
        JobCommand::Shell("./record".into())
    );
    assert_eq!(
        on_success.payload.env["QUEUE_EVENT_JOB_ID"],
        passing.payload.uuid
    );
}

pub(super) fn store_wide_hooks_fire_on_their_queue_but_not_for_hook_jobs(env: &mut Env) {
    env.hooks = Hooks {
        failing: Some("failing".into()),
        exception: Some("exception".into()),
        after: Some("after".into()),
        queue: Some("hooks".into()),
        dir: "/srv/app".into(),
        ..Hooks::default()
    };
    let mut s = env.open();
    s.enqueue(&[env.job("default"), env.job("default")], env.now())
        .unwrap();
    let ok = env.claim(s.as_mut(), &["default"], "w").unwrap();
    env.finish(s.as_mut(), &ok, Decision::Complete);
    let bad = env.claim(s.as_mut(), &["default"], "w").unwrap();
    s.finish(&bad, "", env.now(), &mut threw(fail())).unwrap();
    let hooks = env.claim_all(s.as_mut(), "hooks");
    let mut commands: Vec<String> = hooks
        .iter()
        .map(|h| match &h.payload.command {
            JobCommand::Shell(c) => c.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    commands.sort();
    assert_eq!(commands, ["after", "exception", "failing"]);
    assert!(hooks
        .iter()
        .all(|h| h.payload.cwd == "/srv/app" && h.payload.hook));
    // A hook job's own end fires no hook (else `after` would queue itself for ever).
    for h in &hooks {
        env.finish(s.as_mut(), h, Decision::Complete);
    }
    assert!(env.claim(s.as_mut(), &["hooks"], "w").is_none());
    assert_eq!(stats(env, s.as_mut(), "default").pending, 0);
}

pub(super) fn cancel_pause_resume_unique_and_workers_are_events(env: &mut Env) {
    env.hooks = Hooks {
        stopping: Some("./worker-gone".into()),
        ..Hooks::default()
    };
    let mut s = env.open();
    let job = env.job("default");
    s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
    assert_eq!(
        s.cancel(&job.payload.uuid, env.now()).unwrap(),
        Cancelled::Deleted
    );
    assert_eq!(
        names_of(s.as_mut(), &job.payload.uuid),
        [name::QUEUED, name::CANCELLED]
    );
    let unique = JobOptions {
        unique: Some(crate::domain::job::UniqueOption::Id("one".into())),
        ..Default::default()
    };
    let (held, skipped) = (
        env.job_with("default", unique.clone()),
        env.job_with("default", unique),
    );
    s.enqueue(&[held.clone(), skipped.clone()], env.now())
        .unwrap();
    assert_eq!(
        names_of(s.as_mut(), &skipped.payload.uuid),
        [name::UNIQUE_SKIPPED]
    );

    s.set_setting(&format!("{PAUSED_PREFIX}main:emails"), Some("1"))
        .unwrap();
    s.set_setting(&format!("{PAUSED_PREFIX}main:emails"), None)
        .unwrap();
    s.register_worker(&worker_info(env, "host-b:7:bbbb"), env.now() + 60_000)
        .unwrap();
    let queues = vec!["emails".to_string()];
    s.worker_stopping("host-b:7:bbbb", &queues, "max_jobs", env.now())
        .unwrap();
    let events = all_events(s.as_mut());
    let rest: Vec<(&str, Option<&str>)> = events
        .iter()
        .filter(|e| e.uuid.is_none())
        .map(|e| (e.event.as_str(), e.queue.as_deref()))
        .collect();
    assert_eq!(
        rest,
        [
            (name::QUEUE_PAUSED, Some("emails")),
            (name::QUEUE_RESUMED, Some("emails")),
            (name::WORKER_STARTING, Some("default,low")),
            (name::WORKER_STOPPING, Some("emails")),
        ]
    );
    let stopping = events
        .iter()
        .find(|e| e.event == name::WORKER_STOPPING)
        .unwrap();
    assert_eq!(stopping.message.as_deref(), Some("max_jobs"));
    assert_eq!(stopping.host.as_deref(), Some("host-b"));
    assert!(s.workers(env.now()).unwrap().is_empty());
    // The stopping hook is a job on the worker's queue, with the reason in its event.
    let hook = env.claim(s.as_mut(), &["emails"], "w").unwrap();
    assert_eq!(hook.payload.env["QUEUE_EVENT"], name::WORKER_STOPPING);
    assert_eq!(hook.payload.data["message"], "max_jobs");
}

pub(super) fn a_follower_gets_every_event_of_concurrent_writers_once_in_order(env: &Env) {
    const WRITERS: usize = 4;
    const EACH: usize = 40;
    let mut reader = env.open();
    let mut follow = Follow::after(0);
    let mut seen: Vec<i64> = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..WRITERS {
            scope.spawn(|| {
                let mut s = env.open();
                for _ in 0..EACH {
                    s.enqueue(&[env.job("default")], env.now()).unwrap();
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.len() < WRITERS * EACH && Instant::now() < deadline {
            let read = reader.read_events(follow.cursor, 7).unwrap();
            seen.extend(follow.take(read).iter().map(|e| e.id));
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    assert_eq!(seen.len(), WRITERS * EACH, "every event, once");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in id order");
    let all: Vec<i64> = all_events(reader.as_mut()).iter().map(|e| e.id).collect();
    assert_eq!(seen, all);
}

pub(super) fn old_events_are_pruned(env: &Env) {
    let mut s = env.open();
    s.enqueue(&[env.job("default")], env.now()).unwrap();
    env.advance(10_000);
    s.enqueue(&[env.job("default")], env.now()).unwrap();
    let before = all_events(s.as_mut());
    assert_eq!(before.len(), 2);
    assert_eq!(
        s.event_cursor_at(env.now() - 1_000).unwrap(),
        before[1].id - 1
    );
    assert_eq!(s.prune_events(env.now() - 5_000).unwrap(), 1);
    let after = all_events(s.as_mut());
    assert_eq!(after, before[1..]);
}
