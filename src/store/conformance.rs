//! One conformance suite for the `Store` trait, run against every backend: a temporary SQLite
//! file always, and a fresh PostgreSQL database (created and dropped by each test) when a
//! server answers at `QUEUE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/test).
//! Without a server the PostgreSQL half says so on stderr and passes; with
//! `QUEUE_REQUIRE_POSTGRES=1` (as CI sets) it fails instead.
//!
//! Time is the system clock plus an offset the test moves, which the SQLite store gets as
//! `now_ms` and the PostgreSQL store adds to its server's clock: both see the same time.

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::*;
use crate::clock::{system_now_ms, Clock};
use crate::domain::job::{build, JobCommand, JobOptions, NewJob};
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LEASE: i64 = 2_000;

/// The system clock plus an offset the test moves.
#[derive(Default)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        system_now_ms() + self.0.load(Ordering::SeqCst)
    }
    fn offset_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

enum Where {
    Sqlite(tempfile::TempDir),
    Postgres(crate::store::postgres::tests_support::TestDatabase),
}

struct Env {
    at: Where,
    clock: Arc<TestClock>,
    discard_failed: bool,
}

impl Env {
    fn sqlite() -> Env {
        Env {
            at: Where::Sqlite(tempfile::tempdir().unwrap()),
            clock: Arc::default(),
            discard_failed: false,
        }
    }

    fn postgres() -> Option<Env> {
        let db = crate::store::postgres::tests_support::TestDatabase::create()?;
        Some(Env {
            at: Where::Postgres(db),
            clock: Arc::default(),
            discard_failed: false,
        })
    }

    fn options(&self) -> StoreOptions {
        StoreOptions {
            connection: "main".into(),
            discard_failed: self.discard_failed,
            auto_migrate: true,
            synchronous_full: false,
        }
    }

    /// A new connection to this environment's store.
    fn open(&self) -> Box<dyn Store> {
        match &self.at {
            Where::Sqlite(dir) => {
                Box::new(SqliteStore::open(&dir.path().join("q.sqlite"), self.options()).unwrap())
            }
            Where::Postgres(db) => {
                Box::new(PostgresStore::open(&db.url, self.options(), self.clock.clone()).unwrap())
            }
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn advance(&self, ms: i64) {
        self.clock.0.fetch_add(ms, Ordering::SeqCst);
    }

    fn job(&self, queue: &str) -> NewJob {
        self.job_at(queue, self.now())
    }

    fn job_at(&self, queue: &str, available_at: i64) -> NewJob {
        let opts = JobOptions {
            queue: Some(queue.into()),
            ..Default::default()
        };
        let mut job = build(
            JobCommand::Argv(vec!["true".into()]),
            &opts,
            "default",
            std::path::Path::new("/"),
            uuid::Uuid::new_v4().to_string(),
            self.now(),
        )
        .unwrap();
        job.available_at = available_at;
        job
    }

    fn claim(&self, store: &mut dyn Store, queues: &[&str], worker: &str) -> Option<Reserved> {
        let queues: Vec<String> = queues.iter().map(|q| q.to_string()).collect();
        store
            .claim(&Claim {
                queues: &queues,
                worker_id: worker,
                now_ms: self.now(),
                lease_ms: LEASE,
            })
            .unwrap()
    }

    fn finish(&self, store: &mut dyn Store, job: &Reserved, decision: Decision) -> Finished {
        self.finish_seeing(store, job, decision, &mut None)
    }

    /// Finish, and record the intent the store handed to the decision.
    fn finish_seeing(
        &self,
        store: &mut dyn Store,
        job: &Reserved,
        decision: Decision,
        seen: &mut Option<Intent>,
    ) -> Finished {
        store
            .finish(job, "out\n", self.now(), &mut |intent| {
                *seen = intent;
                Verdict {
                    decision: decision.clone(),
                    threw: false,
                }
            })
            .unwrap()
    }
}

fn uuids(jobs: &[NewJob]) -> Vec<String> {
    jobs.iter().map(|j| j.payload.uuid.clone()).collect()
}

fn state(env: &Env, store: &mut dyn Store, uuid: &str) -> Option<JobState> {
    store.show(uuid, env.now()).unwrap().map(|v| v.state)
}

fn stats(env: &Env, store: &mut dyn Store, queue: &str) -> QueueStats {
    store
        .queue_stats(env.now())
        .unwrap()
        .into_iter()
        .find(|s| s.queue == queue)
        .unwrap_or_default()
}

fn worker_info(env: &Env, id: &str) -> WorkerInfo {
    WorkerInfo {
        id: id.into(),
        name: "w".into(),
        host: "host-a".into(),
        pid: 42,
        queues: vec!["default".into(), "low".into()],
        concurrency: 2,
        started_at: env.now(),
        last_seen_at: env.now(),
        jobs: vec![],
    }
}

// ---------------------------------------------------------------------------------------------

fn claims_in_dispatch_order_and_counts_attempts(env: &Env) {
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

fn claim_order_is_available_at_then_id(env: &Env) {
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

fn queues_are_strict_priority(env: &Env) {
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

fn claim_many_fills_free_slots_in_priority_order(env: &Env) {
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

fn delayed_jobs_wait_for_their_time(env: &Env) {
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

fn next_available_at_is_the_earliest_of_the_queues(env: &Env) {
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

fn each_job_is_claimed_once_across_connections(env: &Env) {
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

fn an_expired_lease_is_rescued_as_a_new_attempt(env: &Env) {
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

fn heartbeats_keep_leases_and_workers_alive(env: &Env) {
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

fn the_worker_registry(env: &Env) {
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

fn finishing_complete_keeps_the_job_for_show(env: &Env) {
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

fn a_release_goes_to_the_back_after_its_delay(env: &Env) {
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

fn a_failure_moves_the_job_to_failed_jobs_at_once(env: &Env) {
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

fn the_null_failed_driver_discards_failed_jobs(env: &mut Env) {
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

fn intents_reach_the_decision_with_the_right_token_only(env: &Env) {
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

fn finish_and_claim_ends_attempts_then_claims_in_priority_order(env: &Env) {
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

/// Fail `n` jobs on `queue`, one after another (so that newer failures come later).
fn fail_jobs(env: &Env, s: &mut dyn Store, queue: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let job = env.job(queue);
        s.enqueue(std::slice::from_ref(&job), env.now()).unwrap();
        let r = env.claim(s, &[queue], "w").unwrap();
        env.finish(
            s,
            &r,
            Decision::Fail {
                reason: "boom".into(),
            },
        );
        out.push(r.uuid);
    }
    out
}

fn retry_puts_failed_jobs_back_by_all_queue_or_uuid(env: &Env) {
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

fn forget_flush_and_clear(env: &Env) {
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

fn queue_stats_count_each_state(env: &Env) {
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

fn controls_and_settings(env: &Env) {
    let mut s = env.open();
    let mut other = env.open();
    assert_eq!(s.controls().unwrap(), Controls::default());
    s.set_setting(RESTART_KEY, Some("1")).unwrap();
    s.set_setting(MAINTENANCE_KEY, Some("now")).unwrap();
    s.set_setting(&format!("{PAUSED_PREFIX}main:mail"), Some("1"))
        .unwrap();
    let c = other.controls().unwrap();
    assert_eq!(c.restart.as_deref(), Some("1"));
    assert!(c.maintenance);
    assert_eq!(c.paused, ["main:mail"]);
    s.set_setting(RESTART_KEY, Some("2")).unwrap();
    s.set_setting(MAINTENANCE_KEY, None).unwrap();
    s.set_setting(&format!("{PAUSED_PREFIX}main:mail"), None)
        .unwrap();
    let c = other.controls().unwrap();
    assert_eq!(
        c,
        Controls {
            restart: Some("2".into()),
            maintenance: false,
            paused: vec![],
        }
    );
}

fn locks_are_exclusive_until_released_or_expired(env: &Env) {
    let mut a = env.open();
    let mut b = env.open();
    let now = env.now();
    assert_eq!(a.acquire_lock("k", "one", now + 10_000, now).unwrap(), None);
    assert_eq!(
        b.acquire_lock("k", "two", now + 10_000, now).unwrap(),
        Some("one".into())
    );
    assert_eq!(
        a.acquire_lock("k", "one", now + 20_000, now).unwrap(),
        None,
        "the owner renews"
    );
    b.release_lock("k", "two").unwrap();
    assert!(b.acquire_lock("k", "two", now, now).unwrap().is_some());
    a.release_lock("k", "one").unwrap();
    assert_eq!(b.acquire_lock("k", "two", now + 1_000, now).unwrap(), None);
    env.advance(2_000);
    let now = env.now();
    assert_eq!(
        a.acquire_lock("k", "one", now + 1_000, now).unwrap(),
        None,
        "an expired lock is free"
    );
}

fn idle_workers_are_woken_by_commits_elsewhere(env: &Env) {
    let mut worker = env.open();
    let mut other = env.open();
    let (tx, rx) = std::sync::mpsc::channel();
    let Some(_wakeups) = worker
        .subscribe(
            "host:1:wake",
            &["default".into()],
            Box::new(move || tx.send(()).is_ok()),
        )
        .unwrap()
    else {
        panic!("every store wakes its workers");
    };
    let woken = |what: &str| {
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no wake-up after {what}"));
        while rx.try_recv().is_ok() {}
    };
    other.enqueue(&[env.job("default")], env.now()).unwrap();
    woken("a dispatch");
    other.set_setting(RESTART_KEY, Some("x")).unwrap();
    woken("a restart");
    fail_jobs(env, other.as_mut(), "default", 1);
    while rx.try_recv().is_ok() {}
    other.retry_failed(&RetrySelection::All, env.now()).unwrap();
    woken("a retry");
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    #[allow(unused_mut)]
                    let mut env = super::Env::sqlite();
                    super::$name(&mut env);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    #[allow(unused_mut)]
                    if let Some(mut env) = super::Env::postgres() {
                        super::$name(&mut env);
                    }
                }
            )*
        }
    };
}

conformance!(
    claims_in_dispatch_order_and_counts_attempts,
    claim_order_is_available_at_then_id,
    queues_are_strict_priority,
    claim_many_fills_free_slots_in_priority_order,
    finish_and_claim_ends_attempts_then_claims_in_priority_order,
    delayed_jobs_wait_for_their_time,
    next_available_at_is_the_earliest_of_the_queues,
    each_job_is_claimed_once_across_connections,
    an_expired_lease_is_rescued_as_a_new_attempt,
    heartbeats_keep_leases_and_workers_alive,
    the_worker_registry,
    finishing_complete_keeps_the_job_for_show,
    a_release_goes_to_the_back_after_its_delay,
    a_failure_moves_the_job_to_failed_jobs_at_once,
    the_null_failed_driver_discards_failed_jobs,
    intents_reach_the_decision_with_the_right_token_only,
    retry_puts_failed_jobs_back_by_all_queue_or_uuid,
    forget_flush_and_clear,
    queue_stats_count_each_state,
    controls_and_settings,
    locks_are_exclusive_until_released_or_expired,
    idle_workers_are_woken_by_commits_elsewhere,
);

/// Say once, on the real stderr (past the test harness's capture), why PostgreSQL was skipped.
pub(crate) fn say_skipped_once(why: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\nnote: the PostgreSQL store tests were SKIPPED: {why}. Set QUEUE_TEST_PG_URL to a server \
             whose user may create databases; QUEUE_REQUIRE_POSTGRES=1 makes this an error (CI sets it).\n"
        );
    });
}
