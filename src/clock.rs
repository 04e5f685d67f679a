//! The one place that reads the wall clock. Everything that compares times (delays, backoff,
//! leases, retry-until, pruning) takes a `Clock`, so tests can move time instead of sleeping.
//!
//! Integration tests drive the real binary; for them `QUEUE_TEST_CLOCK_FILE` names a file that
//! holds an offset in milliseconds added to the system time. Tests "wait" an hour by writing
//! 3600000 into it. A file that holds `@` and an instant (`@1764600000000`) stops the clock
//! there instead, for tests that compare times to the millisecond however slowly a loaded
//! machine runs them. Without the variable the system clock is used unchanged.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> i64;

    /// How far this clock is from the system clock, in milliseconds. A store whose times come
    /// from its server's clock (PostgreSQL) adds this, so that tests can move its time too.
    fn offset_ms(&self) -> i64 {
        self.now_ms() - system_now_ms()
    }
}

/// The system clock, unshifted.
pub fn system_now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The system clock in microseconds, unshifted (to measure another clock against it).
pub fn system_now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The test offset of `QUEUE_TEST_CLOCK_FILE` in milliseconds; 0 when the variable is unset.
pub fn test_offset_ms() -> i64 {
    SystemClock::from_env().offset_ms()
}

/// The system clock, optionally shifted by the offset in `QUEUE_TEST_CLOCK_FILE`.
#[derive(Debug, Default)]
pub struct SystemClock {
    offset_file: Option<std::path::PathBuf>,
}

impl SystemClock {
    pub fn from_env() -> Self {
        SystemClock {
            offset_file: std::env::var_os("QUEUE_TEST_CLOCK_FILE").map(Into::into),
        }
    }

    fn file_setting(&self) -> TestSetting {
        let Some(path) = &self.offset_file else {
            return TestSetting::Offset(0);
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let text = text.trim();
        match text.strip_prefix('@') {
            Some(at) => at
                .parse()
                .map_or(TestSetting::Offset(0), TestSetting::StoppedAt),
            None => TestSetting::Offset(text.parse().unwrap_or(0)),
        }
    }
}

/// What a test's clock file says: an offset from the system clock, or an instant the clock
/// stands still at.
enum TestSetting {
    Offset(i64),
    StoppedAt(i64),
}

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        match self.file_setting() {
            TestSetting::Offset(offset) => system_now_ms() + offset,
            TestSetting::StoppedAt(at) => at,
        }
    }

    fn offset_ms(&self) -> i64 {
        match self.file_setting() {
            TestSetting::Offset(offset) => offset,
            TestSetting::StoppedAt(at) => at - system_now_ms(),
        }
    }
}

/// A clock that only moves when told to; for unit tests.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(ms: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(ms)))
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Local wall-clock text for a unix-ms time, as tables and worker lines show it.
pub fn format_local(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => ms.to_string(),
    }
}

/// RFC 3339 text (UTC, milliseconds) for JSON output.
pub fn format_rfc3339(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Utc.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        _ => ms.to_string(),
    }
}

/// A migration file's stamp for a unix-ms time, `YYYY_MM_DD_HHMMSS` in UTC as Laravel names
/// them.
pub fn format_stamp(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Utc.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.format("%Y_%m_%d_%H%M%S").to_string(),
        _ => ms.to_string(),
    }
}

/// A new job (or batch) id: a UUIDv7, time-ordered, so that inserting jobs appends to the
/// uuid index instead of writing to random pages of it. (It reads the system clock, hence here.)
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}
