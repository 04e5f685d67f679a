//! One conformance suite for the `Store` trait, run against every backend: a temporary SQLite
//! file always, and a fresh PostgreSQL database (created and dropped by each test) when a
//! server answers at `QUEUE_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/test).
//! Without a server the PostgreSQL half says so on stderr and passes; with
//! `QUEUE_REQUIRE_POSTGRES=1` (as CI sets) it fails instead.
//!
//! Time is the system clock plus an offset the test moves, which the SQLite store gets as
//! `now_ms` and the PostgreSQL store adds to its server's clock: both see the same time.
//!
//! This file holds the environment and the helpers; each verb family has a file of scenarios,
//! and the `conformance!` list at the end runs every scenario on both stores, as
//! `store::conformance::<store>::<family>::<scenario>` (so `cargo test sqlite::wakeups` runs one
//! family on one store).

mod admission;
mod attempts;
mod batches;
mod chains;
mod claims;
mod controls;
mod endings;
mod events;
mod failed;
mod listing;
mod metrics;
mod streams;
mod unique;
mod wakeups;

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::*;
use crate::clock::{system_now_ms, Clock};
use crate::domain::batch::BatchOptions;
use crate::domain::job::{build, JobCommand, JobOptions, NewJob};
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LEASE: i64 = 2_000;
/// The lease `admit` is given: how long a job held back on a lock (a funnel, an overlap) stays
/// away unless the lock's release wakes it.
const PARK: i64 = 60_000;

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
    /// queue.toml's `[hooks]` for the stores this environment opens.
    hooks: crate::domain::events::Hooks,
}

impl Env {
    fn sqlite() -> Env {
        Env {
            at: Where::Sqlite(tempfile::tempdir().unwrap()),
            clock: Arc::default(),
            discard_failed: false,
            hooks: Default::default(),
        }
    }

    fn postgres() -> Option<Env> {
        let db = crate::store::postgres::tests_support::TestDatabase::create()?;
        Some(Env {
            at: Where::Postgres(db),
            clock: Arc::default(),
            discard_failed: false,
            hooks: Default::default(),
        })
    }

    fn options(&self) -> StoreOptions {
        StoreOptions {
            connection: "main".into(),
            discard_failed: self.discard_failed,
            auto_migrate: true,
            synchronous_full: false,
            hooks: self.hooks.clone(),
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

    /// Overwrite a queued job's stored payload behind the store's back (a row the worker
    /// cannot read: written by hand, by another version, or damaged).
    fn set_payload(&self, uuid: &str, payload: &str) {
        match &self.at {
            Where::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join("q.sqlite")).unwrap();
                let n = conn
                    .execute(
                        "UPDATE jobs SET payload = ?2 WHERE uuid = ?1",
                        rusqlite::params![uuid, payload],
                    )
                    .unwrap();
                assert_eq!(n, 1);
            }
            Where::Postgres(db) => {
                let mut client = ::postgres::Client::connect(&db.url, ::postgres::NoTls).unwrap();
                let n = client
                    .execute(
                        "UPDATE jobs SET payload = $2 WHERE uuid = $1",
                        &[&uuid, &payload],
                    )
                    .unwrap();
                assert_eq!(n, 1);
            }
        }
    }

    fn advance(&self, ms: i64) {
        self.clock.0.fetch_add(ms, Ordering::SeqCst);
    }

    fn job(&self, queue: &str) -> NewJob {
        self.job_at(queue, self.now())
    }

    fn job_at(&self, queue: &str, available_at: i64) -> NewJob {
        let mut job = self.job_with(queue, JobOptions::default());
        job.available_at = available_at;
        job
    }

    /// A job of `true` on `queue` with these options, built as `queue dispatch` builds it.
    fn job_with(&self, queue: &str, opts: JobOptions) -> NewJob {
        let opts = JobOptions {
            queue: Some(queue.into()),
            ..opts
        };
        build(
            JobCommand::Argv(vec!["true".into()]),
            &opts,
            "default",
            std::path::Path::new("/"),
            uuid::Uuid::new_v4().to_string(),
            self.now(),
        )
        .unwrap()
    }

    /// A job named `name` on `queue`, for scenarios that tell jobs apart by name.
    fn named(&self, queue: &str, name: &str) -> NewJob {
        self.job_with(
            queue,
            JobOptions {
                name: Some(name.into()),
                ..Default::default()
            },
        )
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

    /// Finish an attempt that ended in an exception (what --throttle-exceptions counts).
    fn finish_threw(&self, store: &mut dyn Store, job: &Reserved, decision: Decision) -> Finished {
        store
            .finish(job, "out\n", self.now(), &mut |_| Verdict {
                decision: decision.clone(),
                threw: true,
            })
            .unwrap()
    }

    /// Admit an attempt as the worker does before running it; a job held back on a lock waits
    /// `PARK` at most, long enough that only a wake-up can bring it back within a test.
    fn admit(&self, store: &mut dyn Store, job: &Reserved) -> Admission {
        store.admit(job, self.now(), PARK).unwrap()
    }

    /// Claim every job available on `queue`, one claim each.
    fn claim_all(&self, store: &mut dyn Store, queue: &str) -> Vec<Reserved> {
        std::iter::from_fn(|| self.claim(store, &[queue], "w")).collect()
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

    /// A busy worker's fused step: `job` completes with `output`, and the same call claims
    /// one job of `queue` for `worker`.
    fn complete_and_claim(
        &self,
        store: &mut dyn Store,
        job: &Reserved,
        output: &str,
        queue: &str,
        worker: &str,
    ) -> (Vec<Finished>, Vec<Reserved>) {
        let queues = vec![queue.to_string()];
        let claim = Claim {
            queues: &queues,
            worker_id: worker,
            now_ms: self.now(),
            lease_ms: LEASE,
        };
        let mut endings = vec![Ending {
            job,
            output,
            decide: Box::new(|_| Verdict {
                decision: Decision::Complete,
                threw: false,
            }),
        }];
        store
            .finish_and_claim(&mut endings, self.now(), Some((&claim, 1)))
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

/// For each family, a module per store with a test per scenario that runs it in a fresh
/// environment of that store.
macro_rules! conformance {
    ($($family:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
        mod sqlite {
            $(
                mod $family {
                    $(
                        #[test]
                        fn $name() {
                            #[allow(unused_mut)]
                            let mut env = crate::store::conformance::Env::sqlite();
                            crate::store::conformance::$family::$name(&mut env);
                        }
                    )*
                }
            )*
        }
        mod postgres {
            $(
                mod $family {
                    $(
                        #[test]
                        fn $name() {
                            #[allow(unused_mut)]
                            if let Some(mut env) = crate::store::conformance::Env::postgres() {
                                crate::store::conformance::$family::$name(&mut env);
                            }
                        }
                    )*
                }
            )*
        }
    };
}

conformance! {
    claims: [
        claims_in_dispatch_order_and_counts_attempts,
        claim_order_is_available_at_then_id,
        queues_are_strict_priority,
        claim_many_fills_free_slots_in_priority_order,
        delayed_jobs_wait_for_their_time,
        next_available_at_is_the_earliest_of_the_queues,
        each_job_is_claimed_once_across_connections,
        an_expired_lease_is_rescued_as_a_new_attempt,
        heartbeats_keep_leases_and_workers_alive,
        claims_a_worker_never_received_are_freed,
        the_worker_registry,
        unreadable_rows_go_to_failed_jobs_and_the_claim_goes_on,
    ],
    endings: [
        finishing_complete_keeps_the_job_for_show,
        a_release_goes_to_the_back_after_its_delay,
        a_failure_moves_the_job_to_failed_jobs_at_once,
        the_null_failed_driver_discards_failed_jobs,
        intents_reach_the_decision_with_the_right_token_only,
        finish_and_claim_ends_attempts_then_claims_in_priority_order,
        a_group_of_ends_applies_each_as_alone,
    ],
    attempts: [
        each_attempt_is_recorded_with_its_end,
        plain_and_fused_ends_record_their_attempts,
        a_running_attempt_keeps_its_output_so_far,
    ],
    failed: [
        retry_puts_failed_jobs_back_by_all_queue_or_uuid,
        forget_flush_and_clear,
        queue_stats_count_each_state,
        list_failed_pages_by_queue_and_window_with_the_last_exit,
    ],
    listing: [
        every_table_is_listed_newest_first_and_paged_both_ways,
        each_filter_is_found_whole_through_small_windows,
    ],
    controls: [
        controls_and_settings,
        locks_are_exclusive_until_released_or_expired,
    ],
    admission: [
        a_rate_limit_holds_back_starts_beyond_its_window,
        throttle_exceptions_holds_back_while_its_window_is_full,
        a_success_resets_the_exception_count,
        a_funnel_runs_n_at_once_and_frees_a_slot_when_one_ends,
        without_overlapping_parks_jobs_until_the_holder_ends,
        a_job_held_back_by_its_lock_takes_no_slot_and_no_hit,
        an_until_processing_unique_lock_is_released_when_the_job_starts,
        a_cancelled_batch_skips_its_jobs_but_runs_a_retried_failure,
        overlap_release_after_and_expire_after,
        dont_release_drops_a_held_back_job_as_a_success,
    ],
    streams: [
        a_streamed_dispatch_inserts_every_chunk_in_order,
        a_stream_that_fails_inserts_nothing,
        an_empty_stream_inserts_nothing,
    ],
    unique: [
        a_unique_job_is_queued_once_while_its_lock_is_held,
        the_unique_lock_outlives_releases_and_ends_with_the_job,
        a_unique_lock_whose_job_left_the_queue_does_not_block,
        unique_for_lapses_while_the_job_waits,
    ],
    chains: [
        a_completed_link_queues_the_next_on_its_queue_after_its_delay,
        a_link_that_fails_for_good_queues_the_catch_and_stops_the_chain,
        a_released_link_neither_advances_nor_catches,
        a_retried_failed_link_resumes_the_chain,
        links_added_by_an_attempt_run_prepended_then_the_chain_then_appended,
        links_added_belong_to_the_attempt_and_survive_its_intent,
        links_added_in_a_batch_count_in_it,
        a_batch_link_goes_on_once_when_it_finishes_and_catches_when_cancelled,
    ],
    batches: [
        a_batch_counts_successes_and_fires_then_and_finally_once,
        callbacks_carry_the_batch_in_their_environment,
        the_first_failure_cancels_catches_once_and_finally_waits_for_the_rest,
        allowed_failures_keep_the_batch_going_and_catch_only_the_first,
        a_cancelled_batch_keeps_counting_its_skipped_jobs,
        adding_to_a_finished_batch_reopens_it,
        a_chain_in_a_batch_carries_the_batch_and_counts_every_link,
        callbacks_fire_once_when_connections_end_jobs_at_once,
    ],
    events: [
        a_jobs_life_is_recorded_in_order_with_its_fields,
        exceptions_releases_and_a_final_failure_each_record_their_events,
        on_failure_and_on_success_each_queue_one_hook_job_with_the_event,
        store_wide_hooks_fire_on_their_queue_but_not_for_hook_jobs,
        cancel_pause_resume_unique_and_workers_are_events,
        a_follower_gets_every_event_of_concurrent_writers_once_in_order,
        old_events_are_pruned,
    ],
    metrics: [
        every_end_of_an_attempt_adds_to_its_minutes_rollup,
        a_timed_out_attempt_counts_as_timed_out,
    ],
    wakeups: [
        a_dispatch_wakes_an_idle_worker_of_its_queue,
        a_retried_failed_job_wakes_an_idle_worker_of_its_queue,
        a_release_wakes_an_idle_worker_of_its_queue,
        a_delayed_release_wakes_an_idle_worker_of_its_queue,
        a_chains_next_link_wakes_an_idle_worker_of_its_queue,
        a_chains_next_link_ended_in_a_workers_loop_wakes_its_queue,
        a_chains_catch_job_wakes_an_idle_worker_of_its_queue,
        a_batch_callback_wakes_an_idle_worker_of_its_queue,
        a_batch_and_jobs_added_to_it_wake_an_idle_worker_of_their_queue,
        a_job_freed_from_its_lock_wakes_an_idle_worker_of_its_queue,
        restart_resume_and_up_wake_idle_workers_of_every_queue,
    ],
}

fn fail() -> Decision {
    Decision::Fail {
        reason: "boom".into(),
    }
}

fn release(delay_ms: i64) -> Decision {
    Decision::Release {
        delay_ms,
        exception: false,
    }
}

/// Whether `instant` is `expected`, within the second a test's own run may take.
fn about(instant: i64, expected: i64) -> bool {
    (instant - expected).abs() < 1_000
}

/// A batch named `name` with every callback, each a shell command named after its kind
/// (`then`, `catch`, `finally`, `progress`), queued on `callbacks`.
fn new_batch(env: &Env, name: &str, callbacks: &str, allow_failures: bool) -> NewBatch {
    NewBatch {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.into(),
        options: BatchOptions {
            then: Some("then".into()),
            catch: Some("catch".into()),
            finally: Some("finally".into()),
            progress: Some("progress".into()),
            allow_failures,
            queue: callbacks.into(),
            cwd: "/".into(),
            ..Default::default()
        },
        created_at: env.now(),
    }
}

/// These jobs as jobs of `batch` (each stays on its own queue), as `queue batch` marks them.
fn in_batch(batch: &NewBatch, mut jobs: Vec<NewJob>) -> Vec<NewJob> {
    for job in &mut jobs {
        job.payload.batch_id = Some(batch.id.clone());
    }
    jobs
}

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
