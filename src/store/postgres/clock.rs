//! Whose time: the server's. Hosts whose clocks differ by a few seconds must agree on leases and
//! availability, so claims, heartbeats and releases read the database server's clock and add
//! durations to it. What a caller gives on its own clock (a dispatch's `available_at`, a prune's
//! cutoff) is moved onto the server's by the measured difference (`rebase`), and what is handed
//! back (`next_available_at`) moved back. The difference is measured here: at the first use and
//! every minute, the best of three samples, or for free beside the schema look.
//!
//! The test offset. Tests move time by an offset (`Clock::offset_ms`: `QUEUE_TEST_CLOCK_FILE`,
//! or the conformance suite's clock) that may change between any two statements, and the store
//! must then see the server's clock moved by it. Statement texts read the server's clock plainly,
//! as `statement_timestamp()`, and carry no offset. Before a statement runs on its own
//! (`PostgresStore::query`, and the dispatch's insert), `at_offset` gives the text to run: with
//! offset 0, always the case in production, the text itself, for the cost of one comparison;
//! with another, the text with every `statement_timestamp()` moved by the offset, written into
//! it as an interval literal, and prepared and cached as any text is (a prepare per offset and
//! statement, in tests only). A transaction reads the server's clock once, at BEGIN, and adds
//! the offset there (`Tx::now`); statements inside take that as a parameter and never read the
//! clock themselves (checked in debug builds).
//!
//! Not chosen: a session setting read with `current_setting` puts the offset back into every
//! production statement, only as text instead of a parameter, and costs a lookup at each
//! execution; a `now_ms()` SQL function needs a migration, a schema version that older binaries
//! refuse and that hand-made schemas lack.

use super::PostgresStore;
use postgres::SimpleQueryMessage;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// How often the clock difference is measured again.
const SKEW_EVERY: Duration = Duration::from_secs(60);
/// Differences below this are measurement noise. A dispatch measures the difference as the
/// time from its host's reading to the server's, which includes the statement's way there: on a
/// loaded host that alone can pass 5 ms, and moving a job's times by it would be a false skew.
/// Clocks kept by NTP agree far better than this, and 25 ms is nothing to a queue's delays.
pub(super) const SKEW_NOISE_MS: i64 = 25;
/// A clock sample is within half its round trip of the truth: one whose error cannot reach
/// the noise is good enough (a dispatch then needs no sample of its own beside the schema's).
pub(super) const GOOD_SAMPLE_RTT_US: i64 = 2 * SKEW_NOISE_MS * 1000;

/// The server's clock minus this host's, and when that was measured.
#[derive(Debug, Clone, Copy)]
pub(super) struct Skew {
    pub ms: i64,
    pub measured_at: Instant,
}

/// One reading of the server's clock beside a value, timed by this host's clock.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ClockSample {
    /// The value selected with the reading.
    pub value: i64,
    /// The round trip, in µs.
    pub rtt_us: i64,
    /// The server's clock minus this host's at the middle of the round trip, in µs.
    pub skew_us: i64,
}

impl PostgresStore {
    /// The server's clock minus this host's in milliseconds (0 on one machine), measured at
    /// the first use and every minute: the sample with the shortest round trip of three.
    pub(super) fn skew(&mut self) -> anyhow::Result<i64> {
        if let Some(skew) = self.skew {
            if skew.measured_at.elapsed() < SKEW_EVERY {
                return Ok(skew.ms);
            }
        }
        let mut best: Option<ClockSample> = None;
        for _ in 0..3 {
            let sample = self.clock_sample("0", "")?;
            if best.is_none_or(|b| sample.rtt_us < b.rtt_us) {
                best = Some(sample);
            }
            if sample.rtt_us < GOOD_SAMPLE_RTT_US {
                break;
            }
        }
        Ok(self.set_skew(&best.unwrap_or_default()))
    }

    /// Remember a measured clock difference (rounded; noise is 0); returns it in ms.
    pub(super) fn set_skew(&mut self, sample: &ClockSample) -> i64 {
        let mut ms = (sample.skew_us as f64 / 1000.0).round() as i64;
        if ms.abs() < SKEW_NOISE_MS {
            ms = 0;
        }
        self.skew = Some(Skew {
            ms,
            measured_at: Instant::now(),
        });
        ms
    }

    /// `SELECT {column}, <the server's clock in µs> {from}` as one simple query (one round
    /// trip): the column's value, and the clocks as they were then.
    pub(super) fn clock_sample(
        &mut self,
        column: &str,
        from: &str,
    ) -> Result<ClockSample, postgres::Error> {
        let sql = format!(
            "SELECT {column}, (extract(epoch from clock_timestamp()) * 1000000)::bigint {from}"
        );
        let before = crate::clock::system_now_us();
        let messages = self.client.simple_query(&sql)?;
        let after = crate::clock::system_now_us();
        let row = messages.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        });
        let value = |i: usize| -> i64 {
            row.and_then(|r| r.get(i))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let server = value(1);
        Ok(ClockSample {
            value: value(0),
            rtt_us: after - before,
            skew_us: server - (before + after) / 2,
        })
    }

    /// The caller's clock's distance from the system clock (the test offset).
    pub(super) fn offset(&self) -> i64 {
        self.clock.offset_ms()
    }
}

/// An instant on this host's clock as the server's clock reads it (`skew` = server - host);
/// `i64::MAX` (never) stays never.
pub(super) fn rebase(at: i64, skew: i64) -> i64 {
    if at == i64::MAX {
        return at;
    }
    at.saturating_add(skew)
}

/// How a statement reads the server's clock; `at_offset` moves every occurrence.
pub(super) const SERVER_CLOCK: &str = "statement_timestamp()";

/// The text to run for `sql` under the test offset `offset_ms`: `sql` itself when there is
/// none, else `sql` with every reading of the server's clock moved by it.
pub(super) fn at_offset(sql: &'static str, offset_ms: i64) -> Cow<'static, str> {
    if offset_ms == 0 {
        return Cow::Borrowed(sql);
    }
    Cow::Owned(sql.replace(
        SERVER_CLOCK,
        &format!("({SERVER_CLOCK} + interval '{offset_ms} milliseconds')"),
    ))
}
