//! Instant pickup: a commit that makes work available wakes idle workers elsewhere. In each
//! scenario a busy worker (or a dispatcher, or an operator) commits something; an idle worker
//! of the queue where the work appears, on a connection of its own and subscribed just before
//! (so that nothing committed earlier can wake it), must hear of it within `WAKE_WAIT`
//! instead of sleeping out its --sleep. One subscription per commit, so that a late wake-up
//! from one commit cannot pass for another's.

use super::*;

/// How long a wake-up may take to arrive: far more than any store needs.
const WAKE_WAIT: Duration = Duration::from_secs(5);

/// An idle worker on its own connection, subscribed to its queues as `queue work` subscribes.
struct IdleWorker {
    woken: Arc<AtomicBool>,
    _wakeups: Wakeups,
    _store: Box<dyn Store>,
}

impl IdleWorker {
    fn on(env: &Env, queues: &[&str]) -> IdleWorker {
        let mut store = env.open();
        let woken = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&woken);
        let id = format!(
            "host:1:{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let queues: Vec<String> = queues.iter().map(|q| q.to_string()).collect();
        let wakeups = store
            .subscribe(
                &id,
                &queues,
                Box::new(move || {
                    flag.store(true, Ordering::SeqCst);
                    true
                }),
            )
            .unwrap()
            .expect("every store wakes its workers");
        IdleWorker {
            woken,
            _wakeups: wakeups,
            _store: store,
        }
    }

    /// Wait for a wake-up; fail, naming what should have caused it, after `WAKE_WAIT`.
    fn expect_woken_by(&self, what: &str) {
        let deadline = Instant::now() + WAKE_WAIT;
        while !self.woken.load(Ordering::SeqCst) {
            assert!(
                Instant::now() < deadline,
                "an idle worker was not woken by {what} within {WAKE_WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

pub(super) fn a_dispatch_wakes_an_idle_worker_of_its_queue(env: &Env) {
    let mut dispatcher = env.open();
    let idle = IdleWorker::on(env, &["b"]);
    dispatcher.enqueue(&[env.job("b")], env.now()).unwrap();
    idle.expect_woken_by("a dispatch");
    // A delayed job too: the worker must learn that it has to wake when the delay passes.
    let idle = IdleWorker::on(env, &["b"]);
    dispatcher
        .enqueue(&[env.job_at("b", env.now() + 30_000)], env.now())
        .unwrap();
    idle.expect_woken_by("a delayed dispatch");
}

pub(super) fn a_retried_failed_job_wakes_an_idle_worker_of_its_queue(env: &Env) {
    let mut s = env.open();
    let failed = fail_jobs(env, s.as_mut(), "b", 1);
    let idle = IdleWorker::on(env, &["b"]);
    s.retry_failed(&RetrySelection::Uuids(failed), env.now())
        .unwrap();
    idle.expect_woken_by("a retry of a failed job");
}

/// A worker of `a` and `b` releases a job of `b` with `delay_ms`; an idle worker of `b` hears.
fn a_release_wakes_after(env: &Env, delay_ms: i64) {
    let mut busy = env.open();
    busy.enqueue(&[env.job("b")], env.now()).unwrap();
    let r = env.claim(busy.as_mut(), &["a", "b"], "busy").unwrap();
    let idle = IdleWorker::on(env, &["b"]);
    env.finish(busy.as_mut(), &r, release(delay_ms));
    idle.expect_woken_by(&format!("a release with a delay of {delay_ms} ms"));
}

pub(super) fn a_release_wakes_an_idle_worker_of_its_queue(env: &Env) {
    a_release_wakes_after(env, 0);
}

pub(super) fn a_delayed_release_wakes_an_idle_worker_of_its_queue(env: &Env) {
    a_release_wakes_after(env, 30_000);
}

/// A chain whose first link, on `a`, is held by a busy worker; the second is on `b`.
fn a_chain_begun(env: &Env, busy: &mut dyn Store, catch: Option<&str>) -> Reserved {
    let first =
        crate::domain::job::chain(vec![env.job("a"), env.job("b")], catch.map(String::from))
            .unwrap();
    busy.enqueue(&[first], env.now()).unwrap();
    env.claim(busy, &["a"], "busy").unwrap()
}

pub(super) fn a_chains_next_link_wakes_an_idle_worker_of_its_queue(env: &Env) {
    let mut busy = env.open();
    let link = a_chain_begun(env, busy.as_mut(), None);
    let idle = IdleWorker::on(env, &["b"]);
    env.finish(busy.as_mut(), &link, Decision::Complete);
    idle.expect_woken_by("a chain's next link on its queue");
}

/// The same, ended as a worker's loop ends it: with the claim of its next job of `a`.
pub(super) fn a_chains_next_link_ended_in_a_workers_loop_wakes_its_queue(env: &Env) {
    let mut busy = env.open();
    let link = a_chain_begun(env, busy.as_mut(), None);
    busy.enqueue(&[env.job("a")], env.now()).unwrap();
    let idle = IdleWorker::on(env, &["b"]);
    let (_, next) = env.complete_and_claim(busy.as_mut(), &link, "", "a", "busy");
    assert_eq!(next.len(), 1, "the busy worker took its next job of a");
    idle.expect_woken_by("a chain's next link, ended by finish_and_claim");
}

pub(super) fn a_chains_catch_job_wakes_an_idle_worker_of_its_queue(env: &Env) {
    let mut busy = env.open();
    let link = a_chain_begun(env, busy.as_mut(), Some("echo caught"));
    // The catch job goes on the failed link's queue.
    let idle = IdleWorker::on(env, &["a"]);
    env.finish(busy.as_mut(), &link, fail());
    idle.expect_woken_by("a chain's catch job");
}

pub(super) fn a_batch_callback_wakes_an_idle_worker_of_its_queue(env: &Env) {
    let mut busy = env.open();
    let batch = new_batch(env, "import", "b", false);
    busy.create_batch(&batch, &in_batch(&batch, vec![env.job("a")]))
        .unwrap();
    let r = env.claim(busy.as_mut(), &["a"], "busy").unwrap();
    let idle = IdleWorker::on(env, &["b"]);
    env.finish(busy.as_mut(), &r, Decision::Complete);
    idle.expect_woken_by("a batch's callback jobs on their queue");
}

pub(super) fn a_batch_and_jobs_added_to_it_wake_an_idle_worker_of_their_queue(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", false);
    let idle = IdleWorker::on(env, &["b"]);
    s.create_batch(&batch, &in_batch(&batch, vec![env.job("b")]))
        .unwrap();
    idle.expect_woken_by("a batch's creation");
    let idle = IdleWorker::on(env, &["b"]);
    s.add_to_batch(&batch.id, &in_batch(&batch, vec![env.job("b")]))
        .unwrap();
    idle.expect_woken_by("jobs added to a batch");
}

pub(super) fn a_job_freed_from_its_lock_wakes_an_idle_worker_of_its_queue(env: &Env) {
    let mut busy = env.open();
    let mut other = env.open();
    let exclusive = |queue: &str| {
        env.job_with(
            queue,
            JobOptions {
                without_overlapping: Some("report".into()),
                ..Default::default()
            },
        )
    };
    busy.enqueue(&[exclusive("a"), exclusive("b")], env.now())
        .unwrap();
    let holder = env.claim(busy.as_mut(), &["a"], "busy").unwrap();
    assert_eq!(env.admit(busy.as_mut(), &holder), Admission::Run);
    let parked = env.claim(other.as_mut(), &["b"], "other").unwrap();
    assert!(matches!(
        env.admit(other.as_mut(), &parked),
        Admission::HeldBack { .. }
    ));
    let idle = IdleWorker::on(env, &["b"]);
    env.finish(busy.as_mut(), &holder, Decision::Complete);
    idle.expect_woken_by("the release of the lock a job of its queue was parked on");
}

pub(super) fn restart_resume_and_up_wake_idle_workers_of_every_queue(env: &Env) {
    let mut s = env.open();
    let paused = format!("{PAUSED_PREFIX}main:b");
    s.set_setting(&paused, Some("1")).unwrap();
    s.set_setting(MAINTENANCE_KEY, Some("now")).unwrap();
    for (what, key, value) in [
        ("a restart", RESTART_KEY, Some("1")),
        ("a resume", paused.as_str(), None),
        ("an up", MAINTENANCE_KEY, None),
    ] {
        let idle = IdleWorker::on(env, &["b"]);
        s.set_setting(key, value).unwrap();
        idle.expect_woken_by(what);
    }
}
