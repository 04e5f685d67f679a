//! The retry rules (reference §3.6–3.9 as PRODUCT.md §4–5 adapt them): what one attempt's outcome
//! means for the job. Pure functions of the attempt count, the limits and the time.

use super::job::ChainAdditions;
use serde::{Deserialize, Serialize};

/// What a job asked for from inside, with `queue release` or `queue fail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Release { delay_secs: Option<u64> },
    Fail { message: String },
}

/// What the intent column holds: what the job last asked for (`queue release` / `queue fail`,
/// stored as `Intent` was before, so rows written by older versions read the same) and the
/// links it added to its chain (`queue chain-add`). Asking for one does not drop the other.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    release: Option<ReleaseAsk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fail: Option<FailAsk>,
    #[serde(default, skip_serializing_if = "ChainAdditions::is_empty")]
    pub chain: ChainAdditions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ReleaseAsk {
    delay_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FailAsk {
    message: String,
}

impl Recorded {
    /// The column's text; unreadable or absent reads as nothing asked.
    pub fn parse(text: Option<&str>) -> Recorded {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// What the job asked for, if anything.
    pub fn ask(&self) -> Option<Intent> {
        if let Some(f) = &self.fail {
            return Some(Intent::Fail {
                message: f.message.clone(),
            });
        }
        self.release.as_ref().map(|r| Intent::Release {
            delay_secs: r.delay_secs,
        })
    }

    /// Ask for `intent`, replacing what was asked before (the chain's additions stay).
    pub fn asking(&mut self, intent: &Intent) {
        match intent {
            Intent::Release { delay_secs } => {
                self.release = Some(ReleaseAsk {
                    delay_secs: *delay_secs,
                });
                self.fail = None;
            }
            Intent::Fail { message } => {
                self.fail = Some(FailAsk {
                    message: message.clone(),
                });
                self.release = None;
            }
        }
    }
}

/// The worker's verdict on an attempt, given what the job asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    /// The attempt ended in an exception (non-zero exit, signal, timeout): counts for
    /// --throttle-exceptions even when the job is released rather than failed.
    pub threw: bool,
}

/// What one attempt needs to be judged: its attempt and exception counts, its limits, and
/// whether its exceptions are counted by --throttle-exceptions.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempts: i64,
    pub exceptions: u32,
    pub limits: Limits,
    pub throttled: bool,
}

/// The verdict on an attempt that ended with `observed`, once the store has read what the job
/// asked for from inside (`intent`, which wins over how it exited).
pub fn verdict(
    attempt: &Attempt,
    observed: &Outcome,
    intent: Option<Intent>,
    now_ms: i64,
) -> Verdict {
    let outcome = match intent {
        Some(Intent::Fail { message }) => Outcome::FailRequested { message },
        Some(Intent::Release { delay_secs }) => Outcome::Released { delay_secs },
        None => observed.clone(),
    };
    let threw = matches!(
        outcome,
        Outcome::Exception { .. } | Outcome::NotStarted { .. } | Outcome::TimedOut { .. }
    );
    let not_started = matches!(outcome, Outcome::NotStarted { .. });
    // Under --throttle-exceptions an exception is counted by the throttle and the job released
    // with its backoff, as Laravel's ThrottlesExceptions does.
    let outcome = if threw && attempt.throttled {
        Outcome::Released { delay_secs: None }
    } else {
        outcome
    };
    let mut decision = decide(
        &outcome,
        attempt.attempts,
        attempt.exceptions,
        &attempt.limits,
        now_ms,
    );
    if let Decision::Release { delay_ms, .. } = &mut decision {
        if not_started {
            *delay_ms = (*delay_ms).max(not_started_floor_ms(attempt.attempts));
        }
    }
    Verdict { decision, threw }
}

/// The least delay before an attempt that could not even start is retried: 1 s on the first
/// attempt, doubling with each, at most 60 s, so that a job with unlimited tries whose program
/// or cwd is missing cannot spin a core (jobs that ran keep their backoff exactly).
pub fn not_started_floor_ms(attempts: i64) -> i64 {
    let doublings = (attempts.max(1) - 1).min(6) as u32;
    (1000i64 << doublings).min(60_000)
}

/// The text stored as a failed job's error: the reason on the first line, then the tail of the
/// attempt's output.
pub fn failure_text(reason: &str, output: &str) -> String {
    if output.trim().is_empty() {
        reason.to_string()
    } else {
        format!("{reason}\n--- output (last 64 KiB) ---\n{output}")
    }
}

/// The limits in force for one attempt: the job's own options, falling back to the worker's flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// 0 or negative = unlimited.
    pub max_tries: i64,
    /// Unix ms; when set, it replaces the tries limit entirely.
    pub retry_until: Option<i64>,
    pub max_exceptions: Option<u32>,
    /// Seconds, indexed by attempt (1-based), the last entry repeating.
    pub backoff: Vec<u64>,
    pub fail_on_timeout: bool,
}

/// How one attempt ended, as the worker observed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Exit 0.
    Succeeded,
    /// Exit 75 or `queue release [--delay S]`: back on the queue, not an exception.
    Released { delay_secs: Option<u64> },
    /// `queue fail [MESSAGE]`: failed now, no more tries.
    FailRequested { message: String },
    /// Any other exit, a signal, or a handler's error.
    Exception { message: String },
    /// The command could not even be started (a missing program or cwd, an exec error): an
    /// exception, released no sooner than `not_started_floor_ms` whatever its backoff.
    NotStarted { message: String },
    /// The job outlived its timeout and its process group was killed.
    TimedOut { timeout_secs: u64 },
}

/// What the store must do with the job after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Complete,
    /// Back on the queue after `delay_ms`; `exception` says whether it counted as one.
    Release {
        delay_ms: i64,
        exception: bool,
    },
    /// Off the queue and into failed_jobs with this error text (first line = the reason).
    Fail {
        reason: String,
    },
}

impl Limits {
    /// The backoff for the given attempt (1-based), in seconds.
    pub fn backoff_for(&self, attempt: i64) -> u64 {
        let index = (attempt.max(1) - 1) as usize;
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(0)
    }

    /// Before running: has this reservation already used more than the job may have?
    /// Returns the failure reason when it has (Laravel's MaxAttemptsExceededException).
    pub fn exceeded_before_run(&self, attempts: i64, now_ms: i64) -> Option<String> {
        match self.retry_until {
            Some(until) if now_ms > until => Some("retry-until has passed".into()),
            Some(_) => None,
            None if self.max_tries > 0 && attempts > self.max_tries => Some(format!(
                "has been attempted too many times ({attempts} attempts, tries = {})",
                self.max_tries
            )),
            None => None,
        }
    }

    /// After an exception or timeout: would another try be beyond the limits?
    fn exhausted_after_exception(&self, attempts: i64, now_ms: i64) -> bool {
        match self.retry_until {
            Some(until) => until <= now_ms,
            None => self.max_tries > 0 && attempts >= self.max_tries,
        }
    }
}

/// Decide what an attempt's outcome means. `exceptions` is the job's exception count before this
/// attempt; the caller stores `exceptions + 1` when the decision counts this attempt as one.
pub fn decide(
    outcome: &Outcome,
    attempts: i64,
    exceptions: u32,
    limits: &Limits,
    now_ms: i64,
) -> Decision {
    let (message, timed_out) = match outcome {
        Outcome::Succeeded => return Decision::Complete,
        Outcome::Released { delay_secs } => {
            let secs = delay_secs.unwrap_or_else(|| limits.backoff_for(attempts));
            return Decision::Release {
                delay_ms: secs as i64 * 1000,
                exception: false,
            };
        }
        Outcome::FailRequested { message } => {
            let reason = if message.is_empty() {
                "failed by the job (queue fail)".to_string()
            } else {
                format!("failed by the job: {message}")
            };
            return Decision::Fail { reason };
        }
        Outcome::Exception { message } | Outcome::NotStarted { message } => {
            (message.clone(), false)
        }
        Outcome::TimedOut { timeout_secs } => (format!("timed out after {timeout_secs}s"), true),
    };
    if timed_out && limits.fail_on_timeout {
        return Decision::Fail {
            reason: format!("{message} (fail-on-timeout)"),
        };
    }
    if limits.exhausted_after_exception(attempts, now_ms) {
        let why = match limits.retry_until {
            Some(_) => "retry-until has passed".to_string(),
            None => format!("attempt {attempts} of {}", limits.max_tries),
        };
        return Decision::Fail {
            reason: format!("{message} ({why})"),
        };
    }
    if let Some(max) = limits.max_exceptions {
        if max > 0 && exceptions + 1 >= max {
            return Decision::Fail {
                reason: format!("{message} (max-exceptions {max} reached)"),
            };
        }
    }
    Decision::Release {
        delay_ms: limits.backoff_for(attempts) as i64 * 1000,
        exception: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_intent_column_reads_rows_of_older_versions_and_keeps_additions_across_asks() {
        for old in [
            Intent::Release {
                delay_secs: Some(5),
            },
            Intent::Fail {
                message: "no".into(),
            },
        ] {
            let text = serde_json::to_string(&old).unwrap();
            let recorded = Recorded::parse(Some(&text));
            assert_eq!(recorded.ask(), Some(old.clone()));
            // Written back with nothing added, it is the old form.
            assert_eq!(serde_json::to_string(&recorded).unwrap(), text);
        }
        assert_eq!(Recorded::parse(None).ask(), None);
        assert_eq!(Recorded::parse(Some("garbage")).ask(), None);
        let mut r = Recorded::default();
        r.asking(&Intent::Fail {
            message: "x".into(),
        });
        r.asking(&Intent::Release { delay_secs: None });
        assert_eq!(
            r.ask(),
            Some(Intent::Release { delay_secs: None }),
            "the last ask counts"
        );
    }

    fn limits(max_tries: i64) -> Limits {
        Limits {
            max_tries,
            retry_until: None,
            max_exceptions: None,
            backoff: vec![],
            fail_on_timeout: false,
        }
    }

    #[test]
    fn an_attempt_that_could_not_start_waits_out_a_floor_but_others_keep_their_backoff() {
        let not_started = Outcome::NotStarted {
            message: "could not be started: its working directory /x does not exist".into(),
        };
        let delay = |outcome: &Outcome, attempts: i64, backoff: Vec<u64>| {
            let attempt = Attempt {
                attempts,
                exceptions: 0,
                limits: Limits {
                    backoff,
                    ..limits(-1)
                },
                throttled: false,
            };
            match verdict(&attempt, outcome, None, 0).decision {
                Decision::Release {
                    delay_ms,
                    exception,
                } => {
                    assert!(exception);
                    delay_ms
                }
                other => panic!("{other:?}"),
            }
        };
        let floors: Vec<i64> = [1, 2, 3, 6, 7, 100]
            .iter()
            .map(|a| delay(&not_started, *a, vec![]))
            .collect();
        assert_eq!(floors, [1000, 2000, 4000, 32000, 60000, 60000]);
        // A longer backoff wins; a job that ran keeps its backoff (here none) exactly.
        assert_eq!(delay(&not_started, 1, vec![30]), 30_000);
        assert_eq!(delay(&boom(), 5, vec![]), 0);
        // Out of tries it fails as any exception does.
        let attempt = Attempt {
            attempts: 1,
            exceptions: 0,
            limits: limits(1),
            throttled: false,
        };
        assert!(matches!(
            verdict(&attempt, &not_started, None, 0).decision,
            Decision::Fail { .. }
        ));
    }

    fn boom() -> Outcome {
        Outcome::Exception {
            message: "exit status 1".into(),
        }
    }

    #[test]
    fn backoff_is_indexed_by_attempt_and_the_last_entry_repeats() {
        let l = Limits {
            backoff: vec![1, 5, 10],
            ..limits(0)
        };
        assert_eq!(
            [1, 2, 3, 4, 9].map(|a| l.backoff_for(a)),
            [1, 5, 10, 10, 10]
        );
        assert_eq!(limits(0).backoff_for(3), 0);
    }

    #[test]
    fn tries_fail_the_last_attempt_and_release_the_others() {
        let l = Limits {
            backoff: vec![1, 2, 3],
            ..limits(4)
        };
        for (attempt, delay) in [(1, 1000), (2, 2000), (3, 3000)] {
            assert_eq!(
                decide(&boom(), attempt, 0, &l, 0),
                Decision::Release {
                    delay_ms: delay,
                    exception: true
                }
            );
        }
        assert!(matches!(
            decide(&boom(), 4, 3, &l, 0),
            Decision::Fail { .. }
        ));
    }

    #[test]
    fn zero_and_minus_one_mean_unlimited() {
        for unlimited in [0, -1] {
            let l = limits(unlimited);
            assert!(matches!(
                decide(&boom(), 1000, 0, &l, 0),
                Decision::Release { .. }
            ));
            assert_eq!(l.exceeded_before_run(1000, 0), None);
        }
    }

    #[test]
    fn a_release_past_the_tries_fails_at_the_next_reservation() {
        let l = limits(1);
        assert_eq!(l.exceeded_before_run(1, 0), None);
        let reason = l.exceeded_before_run(2, 0).unwrap();
        assert!(reason.contains("attempted too many times"), "{reason}");
    }

    #[test]
    fn retry_until_overrides_tries() {
        let l = Limits {
            retry_until: Some(10_000),
            ..limits(1)
        };
        // Before the deadline the attempt count never fails the job.
        assert_eq!(l.exceeded_before_run(50, 9_000), None);
        assert!(matches!(
            decide(&boom(), 50, 0, &l, 9_000),
            Decision::Release { .. }
        ));
        // At or after the deadline the next exception fails it, and a reservation after it too.
        assert!(matches!(
            decide(&boom(), 2, 0, &l, 10_000),
            Decision::Fail { .. }
        ));
        assert!(l.exceeded_before_run(2, 10_001).is_some());
    }

    #[test]
    fn max_exceptions_fails_when_the_count_is_reached() {
        let l = Limits {
            max_exceptions: Some(2),
            ..limits(10)
        };
        assert!(matches!(
            decide(&boom(), 1, 0, &l, 0),
            Decision::Release { .. }
        ));
        let d = decide(&boom(), 2, 1, &l, 0);
        assert!(matches!(&d, Decision::Fail { reason } if reason.contains("max-exceptions")));
    }

    #[test]
    fn releases_are_not_exceptions_and_use_their_own_delay() {
        let l = Limits {
            backoff: vec![7],
            max_exceptions: Some(1),
            ..limits(1)
        };
        assert_eq!(
            decide(
                &Outcome::Released {
                    delay_secs: Some(3)
                },
                1,
                0,
                &l,
                0
            ),
            Decision::Release {
                delay_ms: 3000,
                exception: false
            }
        );
        assert_eq!(
            decide(&Outcome::Released { delay_secs: None }, 1, 0, &l, 0),
            Decision::Release {
                delay_ms: 7000,
                exception: false
            }
        );
    }

    #[test]
    fn timeouts_count_as_exceptions_and_fail_on_timeout_fails_at_once() {
        let t = Outcome::TimedOut { timeout_secs: 2 };
        assert!(matches!(
            decide(&t, 1, 0, &limits(3), 0),
            Decision::Release {
                exception: true,
                ..
            }
        ));
        let l = Limits {
            fail_on_timeout: true,
            ..limits(3)
        };
        assert!(matches!(decide(&t, 1, 0, &l, 0), Decision::Fail { .. }));
    }

    #[test]
    fn manual_fail_ends_the_job() {
        let d = decide(
            &Outcome::FailRequested {
                message: "bad input".into(),
            },
            1,
            0,
            &limits(5),
            0,
        );
        assert_eq!(
            d,
            Decision::Fail {
                reason: "failed by the job: bad input".into()
            }
        );
    }
}
