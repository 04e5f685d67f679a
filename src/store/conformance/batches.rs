//! Batches: the counters a job's end updates, and the callbacks that fire, each exactly once,
//! in that end's transaction (reference §9.2–9.4), however many connections end jobs at once.

use super::*;
use crate::domain::job::chain;

/// The callback jobs queued on `queue` so far, as "<batch name>: <kind>", in order; each is
/// claimed and completed (callbacks belong to no batch, so that changes no counter).
fn callbacks(env: &Env, s: &mut dyn Store, queue: &str) -> Vec<String> {
    env.claim_all(s, queue)
        .into_iter()
        .map(|r| {
            env.finish(s, &r, Decision::Complete);
            let name = r.payload.display_name;
            name.strip_prefix("batch ").unwrap_or(&name).to_string()
        })
        .collect()
}

/// (total, pending, processed, failed, progress) of a batch.
fn counts(s: &mut dyn Store, id: &str) -> (i64, i64, i64, i64, i64) {
    let b = s.batch(id).unwrap().expect("the batch");
    (
        b.total_jobs,
        b.pending_jobs,
        b.processed_jobs,
        b.failed_jobs,
        b.progress,
    )
}

fn jobs_on(env: &Env, queue: &str, n: usize) -> Vec<NewJob> {
    (0..n).map(|_| env.job(queue)).collect()
}

pub(super) fn a_batch_counts_successes_and_fires_then_and_finally_once(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", false);
    let jobs = in_batch(&batch, jobs_on(env, "work", 4));
    s.create_batch(&batch, &jobs).unwrap();
    assert_eq!(counts(s.as_mut(), &batch.id), (4, 4, 0, 0, 0));
    let listed = s.batches().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].name.as_str()),
        (batch.id.as_str(), "import")
    );
    assert_eq!(listed[0].options, batch.options);

    let r = env.claim(s.as_mut(), &["work"], "w").unwrap();
    env.finish(s.as_mut(), &r, Decision::Complete);
    assert_eq!(counts(s.as_mut(), &batch.id), (4, 3, 1, 0, 25));
    assert_eq!(callbacks(env, s.as_mut(), "cb"), ["import: progress"]);
    // A release is not an end: nothing counts.
    let r = env.claim(s.as_mut(), &["work"], "w").unwrap();
    env.finish(s.as_mut(), &r, release(0));
    assert_eq!(counts(s.as_mut(), &batch.id), (4, 3, 1, 0, 25));
    assert!(callbacks(env, s.as_mut(), "cb").is_empty());

    for r in env.claim_all(s.as_mut(), "work") {
        env.finish(s.as_mut(), &r, Decision::Complete);
    }
    assert_eq!(counts(s.as_mut(), &batch.id), (4, 0, 4, 0, 100));
    let b = s.batch(&batch.id).unwrap().unwrap();
    assert!(b.finished_at.is_some() && b.cancelled_at.is_none());
    assert_eq!(
        callbacks(env, s.as_mut(), "cb"),
        [
            "import: progress",
            "import: progress",
            "import: progress",
            "import: then",
            "import: finally"
        ]
    );
}

pub(super) fn callbacks_carry_the_batch_in_their_environment(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", false);
    let jobs = in_batch(&batch, jobs_on(env, "work", 2));
    s.create_batch(&batch, &jobs).unwrap();
    let r = env.claim(s.as_mut(), &["work"], "w").unwrap();
    env.finish(s.as_mut(), &r, fail());
    let catch = env.claim(s.as_mut(), &["cb"], "w").unwrap();
    assert_eq!(catch.payload.command, JobCommand::Shell("catch".into()));
    assert_eq!(catch.payload.cwd, "/");
    let vars = &catch.payload.env;
    for (key, want) in [
        ("QUEUE_BATCH_ID", batch.id.as_str()),
        ("QUEUE_BATCH_NAME", "import"),
        ("QUEUE_BATCH_TOTAL", "2"),
        ("QUEUE_BATCH_PENDING", "2"),
        ("QUEUE_BATCH_PROCESSED", "0"),
        ("QUEUE_BATCH_FAILED", "1"),
        ("QUEUE_BATCH_PROGRESS", "0"),
        ("QUEUE_BATCH_CANCELLED", "1"),
        ("QUEUE_FAILED_JOB_ID", r.uuid.as_str()),
    ] {
        assert_eq!(vars.get(key).map(String::as_str), Some(want), "{key}");
    }
}

pub(super) fn the_first_failure_cancels_catches_once_and_finally_waits_for_the_rest(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", false);
    let jobs = in_batch(&batch, jobs_on(env, "work", 3));
    s.create_batch(&batch, &jobs).unwrap();
    let held = env.claim_all(s.as_mut(), "work");
    env.finish(s.as_mut(), &held[0], fail());
    let b = s.batch(&batch.id).unwrap().unwrap();
    assert!(b.cancelled_at.is_some(), "cancelled at its first failure");
    assert_eq!(b.failed_job_ids, [held[0].uuid.clone()]);
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 3, 0, 1, 0));
    assert_eq!(callbacks(env, s.as_mut(), "cb"), ["import: catch"]);

    // A skipped job counts as a success; a second failure catches nothing more.
    env.finish(s.as_mut(), &held[1], Decision::Complete);
    assert_eq!(callbacks(env, s.as_mut(), "cb"), ["import: progress"]);
    env.finish(s.as_mut(), &held[2], fail());
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 2, 1, 2, 33));
    assert_eq!(
        callbacks(env, s.as_mut(), "cb"),
        ["import: finally"],
        "every job ran once; then never fires while a job is failed"
    );

    // Retried failures that succeed un-fail: then fires at last, finally not again.
    s.retry_failed(&RetrySelection::All, env.now()).unwrap();
    for r in env.claim_all(s.as_mut(), "work") {
        env.finish(s.as_mut(), &r, Decision::Complete);
    }
    let b = s.batch(&batch.id).unwrap().unwrap();
    assert!(b.failed_job_ids.is_empty());
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 0, 3, 2, 100));
    assert_eq!(
        callbacks(env, s.as_mut(), "cb"),
        ["import: progress", "import: progress", "import: then"]
    );
}

pub(super) fn allowed_failures_keep_the_batch_going_and_catch_only_the_first(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", true);
    let jobs = in_batch(&batch, jobs_on(env, "work", 3));
    s.create_batch(&batch, &jobs).unwrap();
    let held = env.claim_all(s.as_mut(), "work");
    env.finish(s.as_mut(), &held[0], fail());
    assert_eq!(
        callbacks(env, s.as_mut(), "cb"),
        ["import: progress", "import: catch"]
    );
    assert!(s.batch(&batch.id).unwrap().unwrap().cancelled_at.is_none());
    assert_eq!(
        env.admit(s.as_mut(), &held[1]),
        Admission::Run,
        "not cancelled"
    );
    env.finish(s.as_mut(), &held[1], fail());
    assert_eq!(callbacks(env, s.as_mut(), "cb"), ["import: progress"]);
    env.finish(s.as_mut(), &held[2], Decision::Complete);
    assert_eq!(
        callbacks(env, s.as_mut(), "cb"),
        ["import: progress", "import: finally"]
    );
    let b = s.batch(&batch.id).unwrap().unwrap();
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 2, 1, 2, 33));
    assert!(b.finished_at.is_none(), "a failed job keeps it unfinished");
}

pub(super) fn a_cancelled_batch_keeps_counting_its_skipped_jobs(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", false);
    let jobs = in_batch(&batch, jobs_on(env, "work", 2));
    s.create_batch(&batch, &jobs).unwrap();
    assert!(!s.cancel_batch("no-such-batch", env.now()).unwrap());
    assert!(s.cancel_batch(&batch.id, env.now()).unwrap());
    let b = s.batch(&batch.id).unwrap().unwrap();
    let (cancelled_at, finished_at) = (b.cancelled_at.clone(), b.finished_at.clone());
    assert!(cancelled_at.is_some() && finished_at.is_some());
    env.advance(5_000);
    assert!(s.cancel_batch(&batch.id, env.now()).unwrap());
    let b = s.batch(&batch.id).unwrap().unwrap();
    assert_eq!(b.cancelled_at, cancelled_at, "cancelled once");

    // Its jobs are still queued; each is skipped at admission and ends as a success.
    for r in env.claim_all(s.as_mut(), "work") {
        assert!(matches!(env.admit(s.as_mut(), &r), Admission::Skip { .. }));
        env.finish(s.as_mut(), &r, Decision::Complete);
    }
    assert_eq!(counts(s.as_mut(), &batch.id), (2, 0, 2, 0, 100));
    assert_eq!(
        callbacks(env, s.as_mut(), "cb"),
        [
            "import: progress",
            "import: progress",
            "import: then",
            "import: finally"
        ],
        "as Laravel: the skipped jobs bring pending to 0"
    );
}

pub(super) fn adding_to_a_finished_batch_reopens_it(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", false);
    s.create_batch(&batch, &in_batch(&batch, jobs_on(env, "work", 1)))
        .unwrap();
    let r = env.claim(s.as_mut(), &["work"], "w").unwrap();
    env.finish(s.as_mut(), &r, Decision::Complete);
    assert!(s.batch(&batch.id).unwrap().unwrap().finished_at.is_some());
    callbacks(env, s.as_mut(), "cb");

    let err = s
        .add_to_batch("no-such-batch", &jobs_on(env, "work", 1))
        .unwrap_err();
    assert!(format!("{err:#}").contains("no-such-batch"), "{err:#}");
    // A chain added counts every link.
    let (a, b) = (env.job("work"), env.job("work"));
    let added = chain(in_batch(&batch, vec![a, b]), None).unwrap();
    s.add_to_batch(&batch.id, &[added]).unwrap();
    let view = s.batch(&batch.id).unwrap().unwrap();
    assert!(view.finished_at.is_none(), "re-opened");
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 2, 1, 0, 33));

    while let Some(r) = env.claim(s.as_mut(), &["work"], "w") {
        env.finish(s.as_mut(), &r, Decision::Complete);
    }
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 0, 3, 0, 100));
    assert!(s.batch(&batch.id).unwrap().unwrap().finished_at.is_some());
    assert_eq!(
        callbacks(env, s.as_mut(), "cb"),
        [
            "import: progress",
            "import: progress",
            "import: then",
            "import: finally"
        ]
    );
}

pub(super) fn a_chain_in_a_batch_carries_the_batch_and_counts_every_link(env: &Env) {
    let mut s = env.open();
    let batch = new_batch(env, "import", "cb", false);
    let links = in_batch(&batch, vec![env.named("a", "a1"), env.named("b", "a2")]);
    let second = links[1].payload.uuid.clone();
    let jobs = vec![
        chain(links, None).unwrap(),
        in_batch(&batch, vec![env.job("a")]).remove(0),
    ];
    s.create_batch(&batch, &jobs).unwrap();
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 3, 0, 0, 0));
    for r in env.claim_all(s.as_mut(), "a") {
        env.finish(s.as_mut(), &r, Decision::Complete);
    }
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 1, 2, 0, 67));
    let link = env.claim(s.as_mut(), &["b"], "w").unwrap();
    assert_eq!(link.uuid, second);
    assert_eq!(link.payload.batch_id.as_deref(), Some(batch.id.as_str()));
    env.finish(s.as_mut(), &link, Decision::Complete);
    assert_eq!(counts(s.as_mut(), &batch.id), (3, 0, 3, 0, 100));
    let fired = callbacks(env, s.as_mut(), "cb");
    assert_eq!(fired.iter().filter(|c| *c == "import: then").count(), 1);
}

/// Two batches, ended by four connections at once: `ok` (every job succeeds) and `mixed` (failures
/// allowed, every fourth job fails). Each callback fires as often as the rules say, no more:
/// the counters are read and written by one end at a time.
pub(super) fn callbacks_fire_once_when_connections_end_jobs_at_once(env: &Env) {
    const N: usize = 24;
    let mut s = env.open();
    let ok = new_batch(env, "ok", "cb", false);
    let mixed = new_batch(env, "mixed", "cb", true);
    let ok_jobs = in_batch(&ok, jobs_on(env, "work", N));
    let mixed_jobs: Vec<NewJob> = (0..N)
        .map(|i| env.named("work", if i % 4 == 0 { "fails" } else { "works" }))
        .collect();
    s.create_batch(&ok, &ok_jobs).unwrap();
    s.create_batch(&mixed, &in_batch(&mixed, mixed_jobs))
        .unwrap();
    std::thread::scope(|scope| {
        for w in 0..4 {
            let mut store = env.open();
            scope.spawn(move || {
                let id = format!("w{w}");
                while let Some(r) = env.claim(store.as_mut(), &["work"], &id) {
                    let decision = if r.payload.display_name == "fails" {
                        fail()
                    } else {
                        Decision::Complete
                    };
                    env.finish(store.as_mut(), &r, decision);
                }
            });
        }
    });
    assert_eq!(counts(s.as_mut(), &ok.id), (24, 0, 24, 0, 100));
    assert_eq!(counts(s.as_mut(), &mixed.id), (24, 6, 18, 6, 75));

    let fired = env.claim_all(s.as_mut(), "cb");
    let count = |name: &str| {
        fired
            .iter()
            .filter(|r| r.payload.display_name == format!("batch {name}"))
            .count()
    };
    let seen = [
        count("ok: progress"),
        count("ok: then"),
        count("ok: catch"),
        count("ok: finally"),
    ];
    assert_eq!(seen, [N, 1, 0, 1], "ok: progress, then, catch, finally");
    let seen = [
        count("mixed: progress"),
        count("mixed: then"),
        count("mixed: catch"),
        count("mixed: finally"),
    ];
    assert_eq!(seen, [N, 0, 1, 1], "mixed: progress, then, catch, finally");
    // Each success of `ok` saw its own count: the ends took turns.
    let processed: HashSet<&str> = fired
        .iter()
        .filter(|r| r.payload.display_name == "batch ok: progress")
        .map(|r| r.payload.env["QUEUE_BATCH_PROCESSED"].as_str())
        .collect();
    assert_eq!(processed.len(), N, "{processed:?}");
}
