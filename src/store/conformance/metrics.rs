//! The per-minute metric rollups: every end of an attempt adds to its minute's row in the
//! transaction that ends it (the one-statement ends of PostgreSQL too), and pruning folds old
//! minutes into the all-time totals so that they never go down.

use super::*;
use crate::domain::metrics::{bucket_of, quantile_ms};
use crate::store::{MetricQuery, MetricRow};

fn totals(s: &mut dyn Store) -> Vec<MetricRow> {
    s.metric_rollups(&MetricQuery {
        since_ms: None,
        step_ms: None,
    })
    .unwrap()
}

fn jobs_of(rows: &[MetricRow], queue: &str, outcome: &str) -> i64 {
    rows.iter()
        .filter(|r| r.queue == queue && r.outcome == outcome)
        .map(|r| r.rollup.jobs)
        .sum()
}

pub(super) fn every_end_of_an_attempt_adds_to_its_minutes_rollup(env: &Env) {
    let mut s = env.open();
    let jobs: Vec<NewJob> = (0..4).map(|_| env.job("mail")).collect();
    s.enqueue(&jobs, env.now()).unwrap();
    // They wait 2 s before a worker takes them, and each runs 300 ms.
    env.advance(2_000);
    let held: Vec<Reserved> = (0..4)
        .map(|_| env.claim(s.as_mut(), &["mail"], "w-1").unwrap())
        .collect();
    env.advance(300);
    // One ends in the busy worker's step (PostgreSQL's fused statement), one alone, one
    // released, one failed.
    s.enqueue(&[env.job("mail")], env.now()).unwrap();
    let (finished, _) = env.complete_and_claim(
        s.as_mut(),
        &held[0],
        "out
",
        "mail",
        "w-1",
    );
    assert_eq!(finished, vec![Finished::Applied(Decision::Complete)]);
    env.finish(s.as_mut(), &held[1], Decision::Complete);
    env.finish(s.as_mut(), &held[2], release(0));
    env.finish(s.as_mut(), &held[3], fail());

    let all = totals(s.as_mut());
    assert_eq!(jobs_of(&all, "mail", "succeeded"), 2, "{all:?}");
    assert_eq!(jobs_of(&all, "mail", "released"), 1);
    assert_eq!(jobs_of(&all, "mail", "failed"), 1);
    let ok = all
        .iter()
        .find(|r| r.outcome == "succeeded")
        .unwrap()
        .rollup
        .clone();
    // Each ran at least 300 ms and waited at least 2 s (the clock moved that much; a busy
    // machine may add to it): the buckets, and the quantiles read from them, say so.
    let at_least = |b: &crate::domain::metrics::Buckets, ms: i64| {
        b[..bucket_of(ms)].iter().sum::<i64>() == 0 && b.iter().sum::<i64>() == 2
    };
    assert!(at_least(&ok.duration, 300), "{ok:?}");
    assert!(at_least(&ok.wait, 2_000), "{ok:?}");
    let p50 = quantile_ms(&ok.duration, 0.5).unwrap();
    assert!(p50 >= 250.0, "{p50}");
    assert!(
        ok.duration_ms >= 2 * 300 && ok.wait_ms >= 2 * 2_000,
        "{ok:?}"
    );

    // By minute: everything in the current one.
    let stepped = s
        .metric_rollups(&MetricQuery {
            since_ms: Some(env.now() - 3_600_000),
            step_ms: Some(60_000),
        })
        .unwrap();
    let minute = env.now().div_euclid(60_000) * 60_000;
    assert!(
        stepped
            .iter()
            .all(|r| (minute - 60_000..=minute).contains(&r.at_ms)),
        "{stepped:?}"
    );
    assert_eq!(jobs_of(&stepped, "mail", "succeeded"), 2);

    // Eight days later the rows are pruned past a 7-day retention, and the totals stay.
    env.advance(8 * 86_400_000);
    assert!(s.prune_metrics(env.now() - 7 * 86_400_000).unwrap() >= 3);
    let recent = s
        .metric_rollups(&MetricQuery {
            since_ms: Some(env.now() - 86_400_000),
            step_ms: Some(3_600_000),
        })
        .unwrap();
    assert!(recent.is_empty(), "{recent:?}");
    let after = totals(s.as_mut());
    assert_eq!(jobs_of(&after, "mail", "succeeded"), 2, "{after:?}");
    assert_eq!(jobs_of(&after, "mail", "failed"), 1);
    assert_eq!(
        after
            .iter()
            .find(|r| r.outcome == "succeeded")
            .unwrap()
            .rollup,
        ok,
        "folding keeps every count"
    );
    assert_eq!(s.prune_metrics(env.now() - 7 * 86_400_000).unwrap(), 0);
}

pub(super) fn a_timed_out_attempt_counts_as_timed_out(env: &Env) {
    let mut s = env.open();
    s.enqueue(&[env.job("slow")], env.now()).unwrap();
    let mut r = env.claim(s.as_mut(), &["slow"], "w").unwrap();
    r.exit = AttemptExit {
        code: None,
        signal: Some(15),
        timed_out: true,
    };
    env.finish(s.as_mut(), &r, fail());
    let all = totals(s.as_mut());
    assert_eq!(jobs_of(&all, "slow", "timed_out"), 1, "{all:?}");
    assert_eq!(jobs_of(&all, "slow", "failed"), 0);
}
