//! The statements every job passes through: the claim, the heartbeat, and the look for the next
//! delayed job. Each is kept to what an index answers in its own order, so its cost does not
//! grow with the number of jobs queued (a test checks the claim's plan).

use super::super::rows::{claimed_job, ClaimedJob};
use super::super::Claim;
use anyhow::Result;
use rusqlite::{params, Connection, Transaction};

/// Reserve up to ?5 jobs of queue ?1, each with its own token. The inner SELECT is answered by
/// the `jobs_pending` index in its own order, so it costs the same with 100 or 100,000 jobs
/// queued.
///
/// A token is the claim's instant (12 hex digits) then 80 random bits (the secret a job's
/// `queue release` / `queue fail` presents): it keys the attempt's row in job_attempts, and
/// tokens that grow with time put each group's new rows on the index's last pages instead of
/// one random page each, which is most of what a group's commit would write.
pub const CLAIM_SQL: &str =
    "UPDATE jobs SET reserved_at = ?2, lease_expires_at = ?3, worker_id = ?4,
        token = printf('%012x', ?2) || lower(hex(randomblob(10))), intent = NULL,
        attempts = attempts + 1
 WHERE id IN (SELECT id FROM jobs
              WHERE queue = ?1 AND reserved_at IS NULL AND available_at <= ?2
              ORDER BY available_at, id LIMIT ?5)
 RETURNING id, uuid, queue, attempts, exceptions, token, payload";

/// Extend the leases of every job a worker holds (through the partial index of reserved rows).
pub const HEARTBEAT_SQL: &str =
    "UPDATE jobs SET lease_expires_at = ?2 WHERE worker_id = ?1 AND reserved_at IS NOT NULL";

/// A claimed row before its payload is parsed (parsing happens outside the transaction).
pub struct ClaimedRow {
    id: i64,
    uuid: String,
    queue: String,
    attempts: i64,
    exceptions: u32,
    token: Option<String>,
    payload: String,
}

fn claimed_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimedRow> {
    Ok(ClaimedRow {
        id: r.get("id")?,
        uuid: r.get("uuid")?,
        queue: r.get("queue")?,
        attempts: r.get("attempts")?,
        exceptions: r.get("exceptions")?,
        token: r.get("token")?,
        payload: any_text(r.get("payload")?),
    })
}

/// A column as text whatever SQLite holds in it (a row written by hand may have a blob or a
/// number where the payload should be: it must not stop the claim).
fn any_text(value: rusqlite::types::Value) -> String {
    use rusqlite::types::Value;
    match value {
        Value::Text(text) => text,
        Value::Blob(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Null => String::new(),
    }
}

/// Free the reservations of workers that stopped heartbeating, then reserve up to `limit` jobs
/// in strict queue priority: later queues only fill what the earlier ones could not.
pub fn claim_rows(
    tx: &Transaction<'_>,
    claim: &Claim<'_>,
    limit: usize,
) -> Result<Vec<ClaimedRow>> {
    // A dead worker's job keeps its place in line; its next reservation is a new attempt.
    tx.prepare_cached(
        "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                token = NULL, intent = NULL
         WHERE reserved_at IS NOT NULL AND lease_expires_at <= ?1",
    )?
    .execute([claim.now_ms])?;
    let mut reserve = tx.prepare_cached(CLAIM_SQL)?;
    let mut rows = Vec::new();
    for queue in claim.queues {
        let wanted = limit - rows.len();
        if wanted == 0 {
            break;
        }
        let found = reserve.query_map(
            params![
                queue,
                claim.now_ms,
                claim.now_ms + claim.lease_ms,
                claim.worker_id,
                wanted as i64
            ],
            claimed_row,
        )?;
        let mut found = found.collect::<rusqlite::Result<Vec<_>>>()?;
        // RETURNING has no order: put them back in queue order.
        found.sort_by_key(|row| row.id);
        rows.extend(found);
    }
    Ok(rows)
}

/// The claimed jobs, payloads parsed (rows that do not parse come back as `Unreadable`).
pub fn reserved(rows: Vec<ClaimedRow>) -> Vec<ClaimedJob> {
    rows.into_iter()
        .map(|row| {
            claimed_job(
                row.id,
                row.uuid,
                row.queue,
                row.attempts,
                row.exceptions,
                row.token.unwrap_or_default(),
                &row.payload,
            )
        })
        .collect()
}

/// When the earliest waiting job of these queues becomes available.
pub fn next_available_at(conn: &Connection, queues: &[String]) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT MIN(available_at) FROM jobs WHERE queue = ?1 AND reserved_at IS NULL",
    )?;
    let mut earliest: Option<i64> = None;
    for queue in queues {
        let at: Option<i64> = stmt.query_row([queue], |r| r.get(0))?;
        earliest = match (earliest, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(earliest)
}

/// After an outage, the jobs reserved for worker `?1` under tokens it does not hold (`?2`, a
/// JSON array) go back to the queue as if never claimed; returns how many.
pub fn free_unheld(tx: &Transaction<'_>, worker_id: &str, held: &[&str]) -> Result<u64> {
    let held = serde_json::to_string(held)?;
    let freed = tx
        .prepare_cached(
            "UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL, \
             token = NULL, intent = NULL, attempts = max(attempts - 1, 0) \
             WHERE worker_id = ?1 AND reserved_at IS NOT NULL \
               AND token NOT IN (SELECT value FROM json_each(?2))",
        )?
        .execute(params![worker_id, held])?;
    Ok(freed as u64)
}

pub fn heartbeat(
    tx: &Transaction<'_>,
    worker_id: &str,
    now_ms: i64,
    lease_until_ms: i64,
    alive_until_ms: i64,
) -> Result<()> {
    tx.prepare_cached(HEARTBEAT_SQL)?
        .execute(params![worker_id, lease_until_ms])?;
    tx.prepare_cached("UPDATE workers SET last_seen_at = ?2, alive_until = ?3 WHERE id = ?1")?
        .execute(params![worker_id, now_ms, alive_until_ms])?;
    Ok(())
}
