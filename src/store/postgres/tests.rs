//! The store's own tests; the behaviour both stores share is in `store::conformance`.

use super::clock::{at_offset, rebase};
use super::url::connect;
use super::*;
use crate::clock::{system_now_ms, Clock};
use crate::store::migrate;
use std::sync::atomic::{AtomicI64, Ordering};

#[test]
fn places_name_host_port_and_database_but_never_the_password() {
    let (_, place) = parse_url("postgres://u:secret@db.example:6543/jobs").unwrap();
    assert_eq!(place, "db.example:6543/jobs");
    let (_, place) = parse_url("postgresql://u:secret@db.example").unwrap();
    assert_eq!(place, "db.example:5432/u");
    let err = parse_url("postgres://u:secret@db.example:notaport/x").unwrap_err();
    assert!(!format!("{err:#}").contains("secret"), "{err:#}");
}

fn open(
    db: &tests_support::TestDatabase,
    auto_migrate: bool,
    synchronous_full: bool,
) -> Result<PostgresStore> {
    let options = StoreOptions {
        connection: "main".into(),
        discard_failed: false,
        auto_migrate,
        synchronous_full,
        hooks: Default::default(),
    };
    let clock = Arc::new(crate::clock::SystemClock::default());
    PostgresStore::open(&db.url, options, clock)
}

fn hand_managed(db: &tests_support::TestDatabase) -> Result<PostgresStore> {
    open(db, false, false)
}

/// Claim the next job of the queue `default`.
fn claim_default(store: &mut PostgresStore) -> Option<Reserved> {
    let queues = vec!["default".to_string()];
    let claim = Claim {
        queues: &queues,
        worker_id: "w",
        now_ms: crate::clock::system_now_ms(),
        lease_ms: 60_000,
    };
    store.claim(&claim).unwrap()
}

fn job() -> NewJob {
    crate::domain::job::build(
        crate::domain::job::JobCommand::Argv(vec!["true".into()]),
        &Default::default(),
        "default",
        std::path::Path::new("/"),
        uuid::Uuid::new_v4().to_string(),
        crate::clock::system_now_ms(),
    )
    .unwrap()
}

/// `auto_migrate = false` with the tables made by hand from the generated SQL (no
/// `queue_migrations`): dispatch and claim work; with a table missing, the first use says
/// which generator writes it.
#[test]
fn a_schema_made_by_hand_is_used_and_a_missing_table_is_named() {
    let Some(db) = tests_support::TestDatabase::create() else {
        return;
    };
    let err = hand_managed(&db).unwrap().enqueue(&[job()], 0).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("has no jobs table and auto_migrate is off: run `queue table`")
            && text.contains("or `queue migrate`"),
        "{text}"
    );

    let (config, place) = parse_url(&db.url).unwrap();
    let mut admin = connect(&config, &place).unwrap();
    let tables: Vec<&str> = migrate::TABLES
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t != "failed_jobs")
        .collect();
    for statement in migrate::statements_for(migrate::POSTGRES, &tables) {
        admin.batch_execute(&statement).unwrap();
    }
    let err = hand_managed(&db).unwrap().failed_jobs(None).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("has no failed_jobs table and auto_migrate is off: run `queue failed-table`")
            && !text.contains("queue migrate"),
        "{text}"
    );

    for statement in migrate::statements_for(migrate::POSTGRES, &["failed_jobs"]) {
        admin.batch_execute(&statement).unwrap();
    }
    let mut store = hand_managed(&db).unwrap();
    let new = job();
    assert_eq!(
        store.enqueue(std::slice::from_ref(&new), 0).unwrap(),
        vec![Enqueued::Dispatched]
    );
    assert_eq!(claim_default(&mut store).unwrap().uuid, new.payload.uuid);
    assert!(store.failed_jobs(None).unwrap().is_empty());
}

/// A dispatch folds the schema check into its insert: into a schema newer than this
/// binary knows it inserts nothing and says so, as every other first use does.
#[test]
fn a_dispatch_into_a_newer_schema_inserts_nothing() {
    let Some(db) = tests_support::TestDatabase::create() else {
        return;
    };
    open(&db, true, false)
        .unwrap()
        .enqueue(&[job()], 0)
        .unwrap();
    let (config, place) = parse_url(&db.url).unwrap();
    let mut admin = connect(&config, &place).unwrap();
    admin
        .batch_execute(
            "INSERT INTO queue_migrations (version, name, applied_at) VALUES (99, 'x', 0)",
        )
        .unwrap();
    for jobs in [vec![job()], vec![job(), job()]] {
        let err = open(&db, true, false)
            .unwrap()
            .enqueue(&jobs, 0)
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("has schema version 99, newer than this queue binary knows"),
            "{text}"
        );
    }
    let count: i64 = admin
        .query_one("SELECT count(*) FROM jobs", &[])
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "only the job dispatched before");
}

fn setting(store: &mut PostgresStore, name: &str) -> String {
    store
        .client
        .query_one(&format!("SHOW {name}"), &[])
        .unwrap()
        .get(0)
}

/// A claiming connection commits without waiting for the WAL flush, unless
/// `synchronous = "full"`; a dispatch on it waits again.
#[test]
fn workers_commit_without_waiting_for_the_flush_unless_synchronous_is_full() {
    let Some(db) = tests_support::TestDatabase::create() else {
        return;
    };
    for full in [false, true] {
        let mut store = open(&db, true, full).unwrap();
        store.enqueue(&[job()], 0).unwrap();
        assert_eq!(setting(&mut store, "synchronous_commit"), "on");
        assert!(claim_default(&mut store).is_some());
        let want = if full { "on" } else { "off" };
        assert_eq!(
            setting(&mut store, "synchronous_commit"),
            want,
            "full: {full}"
        );
        assert_eq!(setting(&mut store, "plan_cache_mode"), "force_generic_plan");
        store.enqueue(&[job()], 0).unwrap();
        assert_eq!(setting(&mut store, "synchronous_commit"), "on");
    }
}

#[test]
fn rebase_moves_instants_but_not_never() {
    assert_eq!(rebase(1_500, 3_000), 4_500);
    assert_eq!(rebase(1_500, -500), 1_000);
    assert_eq!(rebase(i64::MAX, 1_000), i64::MAX);
}

#[test]
fn the_test_offset_moves_the_servers_clock_only_when_there_is_one() {
    let sql = "SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint";
    assert!(matches!(at_offset(sql, 0), std::borrow::Cow::Borrowed(text) if text == sql));
    assert_eq!(
        at_offset(sql, -1_500),
        "SELECT floor(extract(epoch from (statement_timestamp() + interval '-1500 milliseconds')) \
         * 1000)::bigint"
    );
}

/// A clock whose offset the test moves.
#[derive(Default)]
struct Offset(AtomicI64);

impl Clock for Offset {
    fn now_ms(&self) -> i64 {
        system_now_ms() + self.offset_ms()
    }
    fn offset_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Every statement that reads the server's clock sees the offset as it is when the statement
/// runs, on the same connection, whether it changed or not.
#[test]
fn statements_read_the_servers_clock_moved_by_the_current_offset() {
    let Some(db) = tests_support::TestDatabase::create() else {
        return;
    };
    let clock = Arc::new(Offset::default());
    let options = StoreOptions {
        connection: "main".into(),
        discard_failed: false,
        auto_migrate: true,
        synchronous_full: false,
        hooks: Default::default(),
    };
    let mut store = PostgresStore::open(&db.url, options, clock.clone()).unwrap();
    let server_now = |store: &mut PostgresStore| -> i64 {
        let rows = store
            .query(
                "SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint",
                &[],
            )
            .unwrap();
        rows[0].get::<_, i64>(0) - system_now_ms()
    };
    for offset in [0, 3_600_000, -86_400_000, 0, 3_600_000] {
        clock.0.store(offset, Ordering::SeqCst);
        let seen = server_now(&mut store);
        assert!((seen - offset).abs() < 2_000, "offset {offset}: {seen}");
    }
}

/// The claim's UPDATE reaches the rows it claims by their key, in the generic plan too that a
/// prepared statement gets after a few runs: joined to the claimed ids, the planner chose a hash
/// join over a scan of the whole table there (4.3 s a claim with 1,000,000 jobs queued).
#[test]
fn the_claim_reads_the_rows_it_claims_by_key_however_many_are_queued() {
    let Some(db) = tests_support::TestDatabase::create() else {
        return;
    };
    open(&db, true, false).unwrap().migrate().unwrap();
    let (config, place) = parse_url(&db.url).unwrap();
    let mut admin = connect(&config, &place).unwrap();
    admin
        .batch_execute(
            "INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
             SELECT 'u' || g, 'deep', 'x', '{}', g, 0 FROM generate_series(1, 200000) g;
             ANALYZE jobs;
             SET plan_cache_mode = force_generic_plan;",
        )
        .unwrap();
    for (name, types, args, text) in [
        (
            "claim",
            "text, bigint, text, bigint",
            "'deep', 60000, 'w', 2",
            sql::CLAIM,
        ),
        (
            "finish_and_claim",
            "text, bigint, text, bigint, bigint[], text[], text[], int[], int[], bool[]",
            "'deep', 60000, 'w', 2, '{}', '{}', '{}', '{}', '{}', '{}'",
            sql::FINISH_AND_CLAIM,
        ),
    ] {
        admin
            .batch_execute(&format!("PREPARE {name} ({types}) AS {text}"))
            .unwrap();
        let plan: Vec<String> = admin
            .query(&format!("EXPLAIN (COSTS OFF) EXECUTE {name} ({args})"), &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(!plan.contains("Seq Scan on jobs"), "{name}: {plan}");
    }
}
