//! A store that cannot be reached or written right now (PostgreSQL restarting or failing over, a
//! dropped connection, a full disk, an I/O error, a file locked out): one classification,
//! `is_unavailable`, that the worker rides out and one-shot commands retry for a while
//! (`connect_timeout`, 10 s unless the PostgreSQL URL says `connect_timeout=S`).
//!
//! One-shot commands get their store wrapped in `Retrying`: every call that fails because the
//! store is unavailable is made again, with backoff, until the deadline; then its error is
//! returned (one line, exit 1). A call is made again only after it failed, and a store's
//! transaction that failed changed nothing, with one exception no client can tell apart: a
//! PostgreSQL connection that broke while the server was committing. A dispatch may then be
//! made twice (`--unique` guards against that).

use super::*;
use std::time::{Duration, Instant};

/// The default time one-shot commands wait for an unavailable store.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The first pause before a retry; it doubles after each failure.
pub const RETRY_FIRST: Duration = Duration::from_millis(100);
/// The longest pause between two retries.
pub const RETRY_MAX: Duration = Duration::from_secs(5);

/// True when `e` says the store cannot be reached or written right now, as opposed to a bad
/// request, a bad row or a bug: the same call may well succeed later.
pub fn is_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        if let Some(pg) = cause.downcast_ref::<::postgres::Error>() {
            return pg_unavailable(pg);
        }
        if let Some(sqlite) = cause.downcast_ref::<rusqlite::Error>() {
            return sqlite_unavailable(sqlite);
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return false;
        }
        // The PostgreSQL store reports a failed connect as text (its driver error is not kept
        // as the source): "cannot connect to PostgreSQL at HOST:PORT/DB: WHY; …".
        let text = cause.to_string();
        text.starts_with("cannot connect to PostgreSQL at") && connect_text_unavailable(&text)
    })
}

fn pg_unavailable(e: &::postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let code = code.code();
        return code.starts_with("08")
            || code.starts_with("53")
            || matches!(code, "57P01" | "57P02" | "57P03");
    }
    // Not a server error: the driver's own (connect, I/O, timeout) are all about the link.
    let text = e.to_string();
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        || text.starts_with("error connecting to server")
        || text.starts_with("error communicating with the server")
        || text.starts_with("timeout waiting for server")
}

/// A connect failure that is about the server being away, not about the URL or the login.
fn connect_text_unavailable(text: &str) -> bool {
    const AWAY: &[&str] = &[
        "error connecting to server",
        "error communicating with the server",
        "connection closed",
        "timeout waiting for server",
        "the database system is",
        "Connection refused",
        "Connection reset",
        "No such file or directory",
        "Network is unreachable",
        "No route to host",
        "too many clients",
        "connection slots are reserved",
        "terminating connection",
        "server closed the connection",
    ];
    AWAY.iter().any(|away| text.contains(away))
}

fn sqlite_unavailable(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                DiskFull | SystemIoFailure | CannotOpen | ReadOnly | DatabaseBusy | DatabaseLocked
            )
    )
}

/// How long one-shot commands wait for an unavailable store at `location`: the PostgreSQL
/// URL's `connect_timeout=S`, else 10 s.
pub fn connect_timeout(location: &Location) -> Duration {
    match location {
        Location::Postgres(url) => {
            super::postgres::connect_timeout_of(url).unwrap_or(DEFAULT_CONNECT_TIMEOUT)
        }
        Location::Sqlite(_) => DEFAULT_CONNECT_TIMEOUT,
    }
}

/// The pause after the `failures`-th failure in a row: 100 ms, doubling, at most 5 s.
pub fn retry_pause(failures: u32) -> Duration {
    RETRY_FIRST
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
        .min(RETRY_MAX)
}

/// Call `f` until it succeeds, fails for another reason than an unavailable store, or
/// `timeout` has passed (then its last error is returned, saying how long it was tried).
pub fn retry_unavailable<T>(timeout: Duration, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let mut failures = 0;
    loop {
        match f() {
            Err(e) if is_unavailable(&e) => {
                failures += 1;
                let left = timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(anyhow::anyhow!(
                        "{e:#} (gave up after {:.0}s: connect_timeout)",
                        timeout.as_secs_f64()
                    ));
                }
                std::thread::sleep(retry_pause(failures).min(left));
            }
            other => return other,
        }
    }
}

/// A store whose every call is retried while the store is unavailable, up to a timeout: what
/// one-shot commands use. Workers use the store itself and ride out outages in their loop.
pub struct Retrying {
    inner: Box<dyn Store>,
    timeout: Duration,
}

impl Retrying {
    pub fn new(inner: Box<dyn Store>, timeout: Duration) -> Retrying {
        Retrying { inner, timeout }
    }

    fn retry<T>(&mut self, mut f: impl FnMut(&mut dyn Store) -> Result<T>) -> Result<T> {
        let inner = self.inner.as_mut();
        retry_unavailable(self.timeout, || f(&mut *inner))
    }
}

impl Store for Retrying {
    fn connection_name(&self) -> &str {
        self.inner.connection_name()
    }
    fn claims_ahead(&self) -> bool {
        self.inner.claims_ahead()
    }
    fn migrate(&mut self) -> Result<Vec<&'static str>> {
        self.retry(|s| s.migrate())
    }
    fn subscribe(
        &mut self,
        worker_id: &str,
        queues: &[String],
        wake: WakeFn,
    ) -> Result<Option<Wakeups>> {
        self.inner.subscribe(worker_id, queues, wake)
    }
    fn enqueue(&mut self, jobs: &[NewJob], now_ms: i64) -> Result<Vec<Enqueued>> {
        self.retry(|s| s.enqueue(jobs, now_ms))
    }
    /// Made again only from the first job (`JobSource::rewind`): a source that cannot be read
    /// again (stdin) fails instead.
    fn enqueue_stream(&mut self, source: &mut dyn JobSource, now_ms: i64) -> Result<u64> {
        let mut began = false;
        self.retry(|s| {
            if std::mem::replace(&mut began, true) && !source.rewind()? {
                anyhow::bail!(
                    "the store was unavailable and the jobs cannot be read again: nothing was dispatched; dispatch them again"
                );
            }
            s.enqueue_stream(source, now_ms)
        })
    }
    fn find_uuids(&mut self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        self.retry(|s| s.find_uuids(prefix, limit))
    }
    fn list_jobs(&mut self, query: &JobQuery, now_ms: i64) -> Result<JobPage> {
        self.retry(|s| s.list_jobs(query, now_ms))
    }
    fn cancel(&mut self, uuid: &str, now_ms: i64) -> Result<Cancelled> {
        self.retry(|s| s.cancel(uuid, now_ms))
    }
    fn run_now(&mut self, uuid: &str, now_ms: i64) -> Result<bool> {
        self.retry(|s| s.run_now(uuid, now_ms))
    }
    fn list_failed(&mut self, query: &FailedQuery) -> Result<Vec<FailedJob>> {
        self.retry(|s| s.list_failed(query))
    }
    fn attempts(&mut self, uuid: &str) -> Result<Vec<AttemptView>> {
        self.retry(|s| s.attempts(uuid))
    }
    fn attempt_output(&mut self, job: &Reserved, output: &str) -> Result<()> {
        self.retry(|s| s.attempt_output(job, output))
    }
    fn claim(&mut self, claim: &Claim<'_>) -> Result<Option<Reserved>> {
        self.retry(|s| s.claim(claim))
    }
    fn claim_many(&mut self, claim: &Claim<'_>, limit: usize) -> Result<Vec<Reserved>> {
        self.retry(|s| s.claim_many(claim, limit))
    }
    fn next_available_at(&mut self, queues: &[String]) -> Result<Option<i64>> {
        self.retry(|s| s.next_available_at(queues))
    }
    fn register_worker(&mut self, worker: &WorkerInfo, alive_until_ms: i64) -> Result<()> {
        self.retry(|s| s.register_worker(worker, alive_until_ms))
    }
    fn unregister_worker(&mut self, worker_id: &str) -> Result<()> {
        self.retry(|s| s.unregister_worker(worker_id))
    }
    fn workers(&mut self, now_ms: i64) -> Result<Vec<WorkerInfo>> {
        self.retry(|s| s.workers(now_ms))
    }
    fn admit(&mut self, job: &Reserved, now_ms: i64, lease_ms: i64) -> Result<Admission> {
        self.retry(|s| s.admit(job, now_ms, lease_ms))
    }
    fn free_unheld(&mut self, worker_id: &str, held: &[&str], now_ms: i64) -> Result<u64> {
        self.retry(|s| s.free_unheld(worker_id, held, now_ms))
    }
    fn heartbeat(
        &mut self,
        worker_id: &str,
        now_ms: i64,
        lease_until_ms: i64,
        alive_until_ms: i64,
    ) -> Result<()> {
        self.retry(|s| s.heartbeat(worker_id, now_ms, lease_until_ms, alive_until_ms))
    }
    fn finish(
        &mut self,
        job: &Reserved,
        output: &str,
        now_ms: i64,
        decide: &mut dyn FnMut(Option<Intent>) -> Verdict,
    ) -> Result<Finished> {
        self.retry(|s| s.finish(job, output, now_ms, &mut *decide))
    }
    fn finish_many(&mut self, endings: &mut [Ending<'_>], now_ms: i64) -> Result<Vec<Finished>> {
        self.retry(|s| s.finish_many(endings, now_ms))
    }
    fn finish_and_claim(
        &mut self,
        endings: &mut [Ending<'_>],
        now_ms: i64,
        next: Option<(&Claim<'_>, usize)>,
    ) -> Result<(Vec<Finished>, Vec<Reserved>)> {
        self.retry(|s| s.finish_and_claim(endings, now_ms, next))
    }
    fn record_intent(&mut self, uuid: &str, token: &str, intent: &Intent) -> Result<bool> {
        self.retry(|s| s.record_intent(uuid, token, intent))
    }
    fn add_to_chain(
        &mut self,
        uuid: &str,
        token: &str,
        prepend: bool,
        links: &[Link],
    ) -> Result<bool> {
        // Links already added (a commit whose answer was lost) are not added twice.
        self.retry(|s| s.add_to_chain(uuid, token, prepend, links))
    }
    fn queue_stats(&mut self, now_ms: i64) -> Result<Vec<QueueStats>> {
        self.retry(|s| s.queue_stats(now_ms))
    }
    fn show(&mut self, uuid: &str, now_ms: i64) -> Result<Option<JobView>> {
        self.retry(|s| s.show(uuid, now_ms))
    }
    fn failed_jobs(&mut self, queue: Option<&str>) -> Result<Vec<FailedJob>> {
        self.retry(|s| s.failed_jobs(queue))
    }
    fn retry_failed(&mut self, selection: &RetrySelection, now_ms: i64) -> Result<Vec<String>> {
        self.retry(|s| s.retry_failed(selection, now_ms))
    }
    fn forget_failed(&mut self, uuid: &str) -> Result<bool> {
        self.retry(|s| s.forget_failed(uuid))
    }
    fn flush_failed(&mut self, before_ms: Option<i64>) -> Result<usize> {
        self.retry(|s| s.flush_failed(before_ms))
    }
    fn clear(&mut self, queue: &str) -> Result<usize> {
        self.retry(|s| s.clear(queue))
    }
    fn prune_finished(&mut self, before_ms: i64) -> Result<usize> {
        self.retry(|s| s.prune_finished(before_ms))
    }
    fn worker_stopping(
        &mut self,
        worker_id: &str,
        queues: &[String],
        reason: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.retry(|s| s.worker_stopping(worker_id, queues, reason, now_ms))
    }
    fn read_events(&mut self, after: i64, limit: usize) -> Result<events::EventRead> {
        self.retry(|s| s.read_events(after, limit))
    }
    fn event_cursor_at(&mut self, at_ms: i64) -> Result<i64> {
        self.retry(|s| s.event_cursor_at(at_ms))
    }
    fn prune_events(&mut self, before_ms: i64) -> Result<usize> {
        self.retry(|s| s.prune_events(before_ms))
    }
    fn metric_rollups(&mut self, query: &super::MetricQuery) -> Result<Vec<super::MetricRow>> {
        self.retry(|s| s.metric_rollups(query))
    }
    fn prune_metrics(&mut self, before_ms: i64) -> Result<usize> {
        self.retry(|s| s.prune_metrics(before_ms))
    }
    fn controls(&mut self) -> Result<Controls> {
        self.retry(|s| s.controls())
    }
    fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        self.retry(|s| s.set_setting(key, value))
    }
    fn create_batch(&mut self, batch: &NewBatch, jobs: &[NewJob]) -> Result<()> {
        self.retry(|s| s.create_batch(batch, jobs))
    }
    fn add_to_batch(&mut self, batch_id: &str, jobs: &[NewJob]) -> Result<()> {
        self.retry(|s| s.add_to_batch(batch_id, jobs))
    }
    fn batches(&mut self) -> Result<Vec<BatchView>> {
        self.retry(|s| s.batches())
    }
    fn batch(&mut self, id: &str) -> Result<Option<BatchView>> {
        self.retry(|s| s.batch(id))
    }
    fn cancel_batch(&mut self, id: &str, now_ms: i64) -> Result<bool> {
        self.retry(|s| s.cancel_batch(id, now_ms))
    }
    fn prune_batches(
        &mut self,
        finished_before: i64,
        unfinished_before: Option<i64>,
        cancelled_before: Option<i64>,
    ) -> Result<PrunedBatches> {
        self.retry(|s| s.prune_batches(finished_before, unfinished_before, cancelled_before))
    }
    fn acquire_lock(
        &mut self,
        key: &str,
        owner: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Option<String>> {
        self.retry(|s| s.acquire_lock(key, owner, expires_at_ms, now_ms))
    }
    fn release_lock(&mut self, key: &str, owner: &str) -> Result<()> {
        self.retry(|s| s.release_lock(key, owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_error(code: i32) -> anyhow::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None).into()
    }

    #[test]
    fn full_disks_io_errors_and_locked_files_are_unavailable() {
        for code in [
            rusqlite::ffi::SQLITE_FULL,
            rusqlite::ffi::SQLITE_IOERR,
            rusqlite::ffi::SQLITE_IOERR_WRITE,
            rusqlite::ffi::SQLITE_CANTOPEN,
            rusqlite::ffi::SQLITE_READONLY,
            rusqlite::ffi::SQLITE_BUSY,
            rusqlite::ffi::SQLITE_LOCKED,
        ] {
            let e = sqlite_error(code).context("while claiming");
            assert!(is_unavailable(&e), "{code}: {e:#}");
        }
        for code in [
            rusqlite::ffi::SQLITE_CONSTRAINT,
            rusqlite::ffi::SQLITE_CORRUPT,
        ] {
            assert!(!is_unavailable(&sqlite_error(code)), "{code}");
        }
        assert!(!is_unavailable(&anyhow::anyhow!(
            "job 1 has an unreadable payload"
        )));
    }

    #[test]
    fn a_postgres_server_that_is_away_is_unavailable() {
        let refused = anyhow::anyhow!("cannot connect to PostgreSQL at h:5432/db: error connecting to server: Connection refused (os error 111); check the URL or that the server runs");
        assert!(is_unavailable(&refused));
        let starting = anyhow::anyhow!("cannot connect to PostgreSQL at h:5432/db: the database system is starting up; check the URL or that the server runs");
        assert!(is_unavailable(&starting));
        let login = anyhow::anyhow!("cannot connect to PostgreSQL at h:5432/db: password authentication failed for user \"u\"; check the URL or that the server runs");
        assert!(!is_unavailable(&login));
    }

    #[test]
    fn pauses_double_up_to_five_seconds() {
        let pauses: Vec<u128> = (1..=9).map(|n| retry_pause(n).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    }

    #[test]
    fn retries_stop_at_the_deadline_and_on_other_errors() {
        let mut calls = 0;
        let e = retry_unavailable(Duration::from_millis(250), || -> Result<()> {
            calls += 1;
            Err(sqlite_error(rusqlite::ffi::SQLITE_FULL))
        })
        .unwrap_err();
        assert!(calls >= 2, "{calls}");
        assert!(format!("{e:#}").contains("connect_timeout"), "{e:#}");
        let mut calls = 0;
        let _ = retry_unavailable(Duration::from_secs(5), || -> Result<()> {
            calls += 1;
            anyhow::bail!("bad input")
        });
        assert_eq!(calls, 1);
        let mut calls = 0;
        let got = retry_unavailable(Duration::from_secs(5), || {
            calls += 1;
            if calls < 3 {
                Err(sqlite_error(rusqlite::ffi::SQLITE_BUSY))
            } else {
                Ok(calls)
            }
        });
        assert_eq!(got.unwrap(), 3);
    }

    #[test]
    fn connect_timeout_comes_from_the_url() {
        let pg = Location::Postgres("postgres://u@h/db?connect_timeout=3".into());
        assert_eq!(connect_timeout(&pg), Duration::from_secs(3));
        let pg = Location::Postgres("postgres://u@h/db".into());
        assert_eq!(connect_timeout(&pg), DEFAULT_CONNECT_TIMEOUT);
        let pg = Location::Postgres(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=4".into(),
        );
        assert_eq!(connect_timeout(&pg), Duration::from_secs(4));
    }
}
