//! Per-minute metric rollups, with no I/O: the fixed histogram buckets that every worker on
//! every host adds to (so that p50/p95/p99 can be read from buckets summed over any window and
//! any number of rows), the outcome an attempt counts under, and reading quantiles back.

/// Upper bounds (inclusive, in ms) of the histogram buckets of run times and wait times; a
/// 16th bucket holds everything above the last. Fixed once: rows written by any version add up.
/// The PostgreSQL statements spell the same list (a test checks them).
pub const BOUNDS_MS: [i64; 15] = [
    10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000,
    3_600_000,
];

/// How many buckets a histogram has (the bounds and +Inf).
pub const BUCKETS: usize = BOUNDS_MS.len() + 1;

/// How many rows each (minute, queue, outcome) is spread over on PostgreSQL: each worker adds to
/// its own shard (by a hash of its id), so that workers ending jobs at the same moment on many
/// hosts do not wait on one row's lock. SQLite's writers take turns anyway: one shard.
pub const SHARDS: i64 = 16;

/// The outcomes `queue_jobs_processed_total` counts (PRODUCT.md §10).
pub const OUTCOMES: [&str; 4] = ["succeeded", "failed", "released", "timed_out"];

/// The bucket a value in ms falls in: the first whose bound it does not exceed.
pub fn bucket_of(ms: i64) -> usize {
    BOUNDS_MS.iter().take_while(|&&b| ms > b).count()
}

/// The outcome an ended attempt counts under: a timeout is `timed_out` whatever followed it;
/// an attempt released by the job or after an exception is `released`.
pub fn metric_outcome(attempt_outcome: &str, timed_out: bool) -> &'static str {
    match attempt_outcome {
        _ if timed_out => "timed_out",
        "succeeded" => "succeeded",
        "failed" => "failed",
        _ => "released",
    }
}

/// One ended attempt, as the rollup of its minute counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// Unix minute in which the attempt ended.
    pub minute: i64,
    pub queue: &'a str,
    pub outcome: &'static str,
    /// The worker that ran it: PostgreSQL spreads a minute's row over `SHARDS` rows by it.
    pub worker: &'a str,
    /// How long the attempt ran.
    pub duration_ms: i64,
    /// How long it waited between becoming available and being reserved.
    pub wait_ms: i64,
}

/// A histogram of counts per bucket.
pub type Buckets = [i64; BUCKETS];

/// Counts of some (minute, queue, outcome) rows summed: what charts and `/metrics` read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollup {
    pub jobs: i64,
    pub duration_ms: i64,
    pub wait_ms: i64,
    pub duration: Buckets,
    pub wait: Buckets,
}

impl Rollup {
    pub fn add(&mut self, other: &Rollup) {
        self.jobs += other.jobs;
        self.duration_ms += other.duration_ms;
        self.wait_ms += other.wait_ms;
        for i in 0..BUCKETS {
            self.duration[i] += other.duration[i];
            self.wait[i] += other.wait[i];
        }
    }
}

/// The q-quantile (0 < q ≤ 1) of a histogram in ms, interpolated linearly inside its bucket
/// (the last, unbounded bucket answers its lower bound); None when it is empty.
pub fn quantile_ms(buckets: &Buckets, q: f64) -> Option<f64> {
    let total: i64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total as f64;
    let mut seen = 0i64;
    for (i, &n) in buckets.iter().enumerate() {
        if n == 0 {
            continue;
        }
        if (seen + n) as f64 >= rank {
            let lower = if i == 0 { 0 } else { BOUNDS_MS[i - 1] } as f64;
            let Some(&upper) = BOUNDS_MS.get(i) else {
                return Some(lower);
            };
            let within = ((rank - seen as f64) / n as f64).clamp(0.0, 1.0);
            return Some(lower + (upper as f64 - lower) * within);
        }
        seen += n;
    }
    Some(*BOUNDS_MS.last().expect("bounds") as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_include_their_bound() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(10), 0);
        assert_eq!(bucket_of(11), 1);
        assert_eq!(bucket_of(3_600_000), 14);
        assert_eq!(bucket_of(3_600_001), 15);
    }

    #[test]
    fn outcomes_follow_the_attempt() {
        assert_eq!(metric_outcome("succeeded", false), "succeeded");
        assert_eq!(metric_outcome("retrying", false), "released");
        assert_eq!(metric_outcome("released", false), "released");
        assert_eq!(metric_outcome("failed", false), "failed");
        assert_eq!(metric_outcome("failed", true), "timed_out");
    }

    #[test]
    fn quantiles_come_from_summed_buckets() {
        let mut b = [0; BUCKETS];
        assert_eq!(quantile_ms(&b, 0.5), None);
        b[bucket_of(5)] = 90; // 90 jobs of ≤ 10 ms
        b[bucket_of(400)] = 10; // 10 of 250–500 ms
        let p50 = quantile_ms(&b, 0.5).unwrap();
        assert!(p50 <= 10.0, "{p50}");
        let p95 = quantile_ms(&b, 0.95).unwrap();
        assert!((250.0..=500.0).contains(&p95), "{p95}");
        b[BUCKETS - 1] = 1_000;
        assert_eq!(quantile_ms(&b, 0.99), Some(3_600_000.0));
    }
}
