//! The statement texts that are more than a line or two: the worker's hot path (claims, the
//! fused finish-and-claim, the one-statement finishes), the dispatch's inserts, every statement
//! that reads the server's clock, and those used in more than one place. A short statement used
//! once inside a transaction stays beside its code.
//!
//! Each text is whole, as the server receives it; a few lines repeat between statements (the
//! claim inside `FINISH_AND_CLAIM`, the ON CONFLICT of finished_jobs) so that each can be read on
//! its own. The server's clock in unix milliseconds reads
//! `floor(extract(epoch from statement_timestamp()) * 1000)::bigint`; under a test offset every
//! `statement_timestamp()` is moved by it before the text is prepared (see `clock.rs`).

/// The metric rollups of the attempts ended by CTE `$src` (columns queue, worker_id,
/// reserved_at, available_at), each counted under `$outcome`: the same upsert as
/// `store::metrics::upsert`, grouped so that one statement adds to each row once. The bucket
/// bounds are `domain::metrics::BOUNDS_MS` (a test checks them).
macro_rules! metered {
    ($src:literal, $outcome:literal) => {
        concat!(
            "metered AS (
         INSERT INTO queue_metrics (minute, queue, outcome, shard, jobs, duration_ms, wait_ms,
                                    d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15)
         SELECT minute, queue, outcome, shard, count(*), sum(dur)::bigint, sum(wt)::bigint,
                count(*) FILTER (WHERE db = 0), count(*) FILTER (WHERE db = 1), count(*) FILTER (WHERE db = 2), count(*) FILTER (WHERE db = 3), count(*) FILTER (WHERE db = 4), count(*) FILTER (WHERE db = 5), count(*) FILTER (WHERE db = 6), count(*) FILTER (WHERE db = 7), count(*) FILTER (WHERE db = 8), count(*) FILTER (WHERE db = 9), count(*) FILTER (WHERE db = 10), count(*) FILTER (WHERE db = 11), count(*) FILTER (WHERE db = 12), count(*) FILTER (WHERE db = 13), count(*) FILTER (WHERE db = 14), count(*) FILTER (WHERE db = 15), count(*) FILTER (WHERE wb = 0), count(*) FILTER (WHERE wb = 1), count(*) FILTER (WHERE wb = 2), count(*) FILTER (WHERE wb = 3), count(*) FILTER (WHERE wb = 4), count(*) FILTER (WHERE wb = 5), count(*) FILTER (WHERE wb = 6), count(*) FILTER (WHERE wb = 7), count(*) FILTER (WHERE wb = 8), count(*) FILTER (WHERE wb = 9), count(*) FILTER (WHERE wb = 10), count(*) FILTER (WHERE wb = 11), count(*) FILTER (WHERE wb = 12), count(*) FILTER (WHERE wb = 13), count(*) FILTER (WHERE wb = 14), count(*) FILTER (WHERE wb = 15)
         FROM (SELECT t.n / 60000 AS minute, queue, ",
            $outcome,
            " AS outcome,
                      abs(hashtext(worker_id::text)) % 16 AS shard,
                      greatest(t.n - reserved_at, 0) AS dur,
                      greatest(reserved_at - available_at, 0) AS wt,
                      width_bucket(greatest(t.n - reserved_at, 0) - 1, ARRAY[10,25,50,100,250,500,1000,2500,5000,10000,30000,60000,300000,900000,3600000]::bigint[]) AS db,
                      width_bucket(greatest(reserved_at - available_at, 0) - 1, ARRAY[10,25,50,100,250,500,1000,2500,5000,10000,30000,60000,300000,900000,3600000]::bigint[]) AS wb
               FROM ",
            $src,
            ", (SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint AS n) t) m
         GROUP BY minute, queue, outcome, shard
         ON CONFLICT (minute, queue, outcome, shard) DO UPDATE SET
             jobs = queue_metrics.jobs + excluded.jobs, duration_ms = queue_metrics.duration_ms + excluded.duration_ms, wait_ms = queue_metrics.wait_ms + excluded.wait_ms, d0 = queue_metrics.d0 + excluded.d0, d1 = queue_metrics.d1 + excluded.d1, d2 = queue_metrics.d2 + excluded.d2, d3 = queue_metrics.d3 + excluded.d3, d4 = queue_metrics.d4 + excluded.d4, d5 = queue_metrics.d5 + excluded.d5, d6 = queue_metrics.d6 + excluded.d6, d7 = queue_metrics.d7 + excluded.d7, d8 = queue_metrics.d8 + excluded.d8, d9 = queue_metrics.d9 + excluded.d9, d10 = queue_metrics.d10 + excluded.d10, d11 = queue_metrics.d11 + excluded.d11, d12 = queue_metrics.d12 + excluded.d12, d13 = queue_metrics.d13 + excluded.d13, d14 = queue_metrics.d14 + excluded.d14, d15 = queue_metrics.d15 + excluded.d15, w0 = queue_metrics.w0 + excluded.w0, w1 = queue_metrics.w1 + excluded.w1, w2 = queue_metrics.w2 + excluded.w2, w3 = queue_metrics.w3 + excluded.w3, w4 = queue_metrics.w4 + excluded.w4, w5 = queue_metrics.w5 + excluded.w5, w6 = queue_metrics.w6 + excluded.w6, w7 = queue_metrics.w7 + excluded.w7, w8 = queue_metrics.w8 + excluded.w8, w9 = queue_metrics.w9 + excluded.w9, w10 = queue_metrics.w10 + excluded.w10, w11 = queue_metrics.w11 + excluded.w11, w12 = queue_metrics.w12 + excluded.w12, w13 = queue_metrics.w13 + excluded.w13, w14 = queue_metrics.w14 + excluded.w14, w15 = queue_metrics.w15 + excluded.w15)"
        )
    };
}

/// Claim up to `$4` jobs of queue `$1` for worker `$3`, leased for `$2` ms: the first available
/// ones in (available_at, id) order. Rows other workers are claiming are skipped, never waited
/// for. Each attempt gets a new secret token. Reservations whose lease ran out are freed by
/// `FREE_EXPIRED` beforehand, so that this statement, which every job passes through, stays as
/// small as it can be. The columns are those `hot::reserved_from_row` reads.
///
/// A token is the claim's instant in hex, then a random uuid's 122 bits (the secret): it keys
/// the attempt's row in job_attempts, and keys that grow with time keep each group's inserts
/// on the index's last pages rather than one random page each.
pub const CLAIM: &str = "
WITH c AS (
         SELECT id FROM jobs
         WHERE queue = $1 AND reserved_at IS NULL
           AND available_at <= floor(extract(epoch from statement_timestamp()) * 1000)::bigint
         ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED),
     claimed AS (
         UPDATE jobs
         SET reserved_at = floor(extract(epoch from statement_timestamp()) * 1000)::bigint,
             lease_expires_at = floor(extract(epoch from statement_timestamp()) * 1000)::bigint + $2,
             worker_id = $3,
             token = lpad(to_hex(floor(extract(epoch from statement_timestamp()) * 1000)::bigint), 12, '0')
                     || replace(gen_random_uuid()::text, '-', ''),
             intent = NULL, attempts = attempts + 1
         WHERE jobs.id = ANY (ARRAY(SELECT id FROM c))
         RETURNING jobs.id, jobs.uuid, jobs.queue, jobs.attempts, jobs.exceptions, jobs.token,
                   jobs.payload, jobs.available_at, jobs.name),
     processing AS (
         INSERT INTO job_events (event, at, uuid, name, queue, attempt, worker)
         SELECT 'job.processing', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue, attempts, $3
         FROM claimed ORDER BY available_at, id)
SELECT claimed.id, claimed.uuid, claimed.queue, claimed.attempts, claimed.exceptions,
       claimed.token, claimed.payload, claimed.available_at
FROM claimed";

/// A busy worker's usual step, in one statement (one round trip, one commit): complete the
/// plain attempts that ended (`$5` ids, `$6` tokens, `$7` outputs, `$8` exit codes, `$9`
/// signals, `$10` timed out, each attempt recorded in job_attempts; only those still held that
/// asked for nothing from inside) and claim the next jobs exactly as `CLAIM` does (`$1` queue,
/// `$2` lease in ms, `$3` worker id, `$4` how many). Every row carries the uuids completed
/// (`uuids`, NULL when none) after the claimed job's columns (NULL when none was claimed). The
/// rows completed are reserved, so the claim, which takes only unreserved rows, never touches
/// them: one statement must not change a row twice.
pub const FINISH_AND_CLAIM: &str = concat!(
    "
WITH ending AS (
         SELECT * FROM unnest($5::bigint[], $6::text[], $7::text[], $8::int[], $9::int[],
                              $10::bool[])
                       AS e(id, token, output, exit_code, signal, timed_out)),
     done AS (
         DELETE FROM jobs USING ending
         WHERE jobs.id = ending.id AND jobs.token = ending.token AND jobs.intent IS NULL
         RETURNING jobs.uuid, jobs.queue, jobs.name, jobs.payload, jobs.attempts,
                   jobs.exceptions, ending.output, jobs.created_at, jobs.token,
                   jobs.reserved_at, jobs.worker_id, ending.exit_code, ending.signal,
                   ending.timed_out, jobs.available_at),
     ",
    metered!(
        "done",
        "CASE WHEN timed_out THEN 'timed_out' ELSE 'succeeded' END"
    ),
    ",
     attempted AS (
         INSERT INTO job_attempts
             (token, uuid, attempt, started_at, finished_at, worker, exit_code, signal,
              timed_out, outcome, output)
         SELECT token, uuid, attempts, reserved_at,
                floor(extract(epoch from statement_timestamp()) * 1000)::bigint, worker_id,
                exit_code, signal, timed_out, 'succeeded', output
         FROM done
         ON CONFLICT (token) DO UPDATE SET
             finished_at = excluded.finished_at, exit_code = excluded.exit_code,
             signal = excluded.signal, timed_out = excluded.timed_out,
             outcome = excluded.outcome, output = excluded.output),
     processed AS (
         INSERT INTO job_events
             (event, at, uuid, name, queue, attempt, worker, exit_code, signal, duration_ms)
         SELECT 'job.processed', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue, attempts,
                worker_id, exit_code, signal, floor(extract(epoch from statement_timestamp()) * 1000)::bigint - reserved_at
         FROM done),
     completed AS (
         INSERT INTO finished_jobs
             (uuid, queue, name, payload, attempts, exceptions, output, created_at, finished_at)
         SELECT uuid, queue, name, payload, attempts, exceptions, output, created_at,
                floor(extract(epoch from statement_timestamp()) * 1000)::bigint
         FROM done
         ON CONFLICT (uuid) DO UPDATE SET
             queue = excluded.queue, name = excluded.name, payload = excluded.payload,
             attempts = excluded.attempts, exceptions = excluded.exceptions,
             output = excluded.output, created_at = excluded.created_at,
             finished_at = excluded.finished_at
         RETURNING uuid),
     c AS (
         SELECT id FROM jobs
         WHERE queue = $1 AND reserved_at IS NULL
           AND available_at <= floor(extract(epoch from statement_timestamp()) * 1000)::bigint
         ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED),
     claimed AS (
         UPDATE jobs
         SET reserved_at = floor(extract(epoch from statement_timestamp()) * 1000)::bigint,
             lease_expires_at = floor(extract(epoch from statement_timestamp()) * 1000)::bigint + $2,
             worker_id = $3,
             token = lpad(to_hex(floor(extract(epoch from statement_timestamp()) * 1000)::bigint), 12, '0')
                     || replace(gen_random_uuid()::text, '-', ''),
             intent = NULL, attempts = attempts + 1
         WHERE jobs.id = ANY (ARRAY(SELECT id FROM c))
         RETURNING jobs.id, jobs.uuid, jobs.queue, jobs.attempts, jobs.exceptions, jobs.token,
                   jobs.payload, jobs.available_at, jobs.name),
     processing AS (
         INSERT INTO job_events (event, at, uuid, name, queue, attempt, worker)
         SELECT 'job.processing', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue, attempts, $3
         FROM claimed ORDER BY available_at, id)
SELECT claimed.id, claimed.uuid, claimed.queue, claimed.attempts, claimed.exceptions,
       claimed.token, claimed.payload, claimed.available_at, f.uuids
FROM (SELECT array_agg(uuid) AS uuids FROM completed) f LEFT JOIN claimed ON true"
);

/// Free the reservations whose lease ran out (their worker died): each job keeps its place in
/// line, and its next claim is a new attempt. Idle workers of those queues are woken (`$1` is
/// the wake-up channel).
pub const FREE_EXPIRED: &str = "
WITH freed AS (
         UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                token = NULL, intent = NULL
         WHERE reserved_at IS NOT NULL
           AND lease_expires_at <= floor(extract(epoch from statement_timestamp()) * 1000)::bigint
         RETURNING queue)
SELECT pg_notify($1, q) FROM (SELECT DISTINCT queue AS q FROM freed) d";

// The plain ends of an attempt, each one statement, only while the attempt holds the job
// (`$1` the job's id, `$2` its attempt's token) and asked for nothing from inside; each returns
// a row when it applied.

/// Complete: the job moves to finished_jobs with output `$3` (replacing the row of an earlier
/// job with the same uuid).
pub const FINISH_COMPLETE: &str = concat!(
    "
WITH done AS (
         DELETE FROM jobs WHERE id = $1 AND token = $2 AND intent IS NULL
         RETURNING uuid, queue, name, payload, attempts, exceptions, created_at, token,
                   reserved_at, worker_id, available_at),
     ",
    metered!(
        "done",
        "CASE WHEN $6::bool THEN 'timed_out' ELSE 'succeeded' END"
    ),
    ",
     attempted AS (
         INSERT INTO job_attempts
             (token, uuid, attempt, started_at, finished_at, worker, exit_code, signal,
              timed_out, outcome, output)
         SELECT token, uuid, attempts, reserved_at,
                floor(extract(epoch from statement_timestamp()) * 1000)::bigint, worker_id,
                $4::int, $5::int, $6::bool, 'succeeded', $3
         FROM done
         ON CONFLICT (token) DO UPDATE SET
             finished_at = excluded.finished_at, exit_code = excluded.exit_code,
             signal = excluded.signal, timed_out = excluded.timed_out,
             outcome = excluded.outcome, output = excluded.output),
     processed AS (
         INSERT INTO job_events
             (event, at, uuid, name, queue, attempt, worker, exit_code, signal, duration_ms)
         SELECT 'job.processed', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue, attempts,
                worker_id, $4::int, $5::int, floor(extract(epoch from statement_timestamp()) * 1000)::bigint - reserved_at
         FROM done)
INSERT INTO finished_jobs
    (uuid, queue, name, payload, attempts, exceptions, output, created_at, finished_at)
SELECT uuid, queue, name, payload, attempts, exceptions, $3, created_at,
       floor(extract(epoch from statement_timestamp()) * 1000)::bigint
FROM done
ON CONFLICT (uuid) DO UPDATE SET
    queue = excluded.queue, name = excluded.name, payload = excluded.payload,
    attempts = excluded.attempts, exceptions = excluded.exceptions,
    output = excluded.output, created_at = excluded.created_at,
    finished_at = excluded.finished_at
RETURNING 1"
);

// A dispatch's insert, in four variants: one job or many, and with or without the guard that
// inserts only into a schema at version `$9` (the one this binary knows; `queue_migrations`
// must exist). The jobs are `$1` uuid, `$2` queue, `$3` name, `$4` payload, `$5` available_at
// and `$6` created_at on the host's clock (scalars for one job, arrays for many), whose reading
// as the statement was sent is `$8`; idle workers of their queues hear of them on channel
// `$7`. The host's instants are moved onto the server's clock by the difference of the two
// readings, which counts as none below `$10` ms (SKEW_NOISE_MS) as a measured skew does: no
// clock sample needed first. The one column of the one row is the number of jobs inserted (0
// when the guard kept them out). The four take the same ten parameters (typed by the caller;
// the unguarded ones ignore `$9`).
//
// One job's statement is kept small on purpose: on the new server process of a `queue
// dispatch`, every function and relation a statement names is looked up in the catalogs
// first, which costs milliseconds.

/// One job, into any schema.
pub const INSERT_JOB: &str = "
WITH skew AS (
         SELECT CASE WHEN abs(d) < $10::bigint THEN 0 ELSE d END AS ms
         FROM (SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint
                      - $8::bigint AS d) x),
     inserted AS (
         INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         SELECT $1::text, $2::text, $3::text, $4::text,
                available_at + (SELECT ms FROM skew), created_at + (SELECT ms FROM skew)
         FROM (SELECT $5::bigint AS available_at, $6::bigint AS created_at) t
         RETURNING id, uuid, name, queue),
     queued AS (
         INSERT INTO job_events (event, at, uuid, name, queue)
         SELECT 'job.queued', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue
         FROM inserted ORDER BY id)
SELECT count(*) FROM (SELECT pg_notify($7, queue) FROM inserted) w";

/// One job, only into a schema at version `$9`.
pub const INSERT_JOB_IF_CURRENT: &str = "
WITH skew AS (
         SELECT CASE WHEN abs(d) < $10::bigint THEN 0 ELSE d END AS ms
         FROM (SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint
                      - $8::bigint AS d) x),
     inserted AS (
         INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         SELECT $1::text, $2::text, $3::text, $4::text,
                available_at + (SELECT ms FROM skew), created_at + (SELECT ms FROM skew)
         FROM (SELECT $5::bigint AS available_at, $6::bigint AS created_at) t
         WHERE (SELECT COALESCE(MAX(version), 0) FROM queue_migrations) = $9::bigint
         RETURNING id, uuid, name, queue),
     queued AS (
         INSERT INTO job_events (event, at, uuid, name, queue)
         SELECT 'job.queued', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue
         FROM inserted ORDER BY id)
SELECT count(*) FROM (SELECT pg_notify($7, queue) FROM inserted) w";

/// Many jobs, from arrays, in the order given (ids follow it), into any schema.
pub const INSERT_JOBS: &str = "
WITH skew AS (
         SELECT CASE WHEN abs(d) < $10::bigint THEN 0 ELSE d END AS ms
         FROM (SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint
                      - $8::bigint AS d) x),
     inserted AS (
         INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         SELECT uuid, queue, name, payload,
                available_at + (SELECT ms FROM skew), created_at + (SELECT ms FROM skew)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
              WITH ORDINALITY AS t(uuid, queue, name, payload, available_at, created_at, n)
         RETURNING id, uuid, name, queue),
     queued AS (
         INSERT INTO job_events (event, at, uuid, name, queue)
         SELECT 'job.queued', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue
         FROM inserted ORDER BY id)
SELECT (SELECT count(*) FROM inserted),
       (SELECT count(*) FROM (SELECT pg_notify($7, q)
                              FROM (SELECT DISTINCT queue AS q FROM inserted) d) w)";

/// Many jobs, only into a schema at version `$9`.
pub const INSERT_JOBS_IF_CURRENT: &str = "
WITH skew AS (
         SELECT CASE WHEN abs(d) < $10::bigint THEN 0 ELSE d END AS ms
         FROM (SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint
                      - $8::bigint AS d) x),
     inserted AS (
         INSERT INTO jobs (uuid, queue, name, payload, available_at, created_at)
         SELECT uuid, queue, name, payload,
                available_at + (SELECT ms FROM skew), created_at + (SELECT ms FROM skew)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
              WITH ORDINALITY AS t(uuid, queue, name, payload, available_at, created_at, n)
         WHERE (SELECT COALESCE(MAX(version), 0) FROM queue_migrations) = $9::bigint
         RETURNING id, uuid, name, queue),
     queued AS (
         INSERT INTO job_events (event, at, uuid, name, queue)
         SELECT 'job.queued', floor(extract(epoch from statement_timestamp()) * 1000)::bigint, uuid, name, queue
         FROM inserted ORDER BY id)
SELECT (SELECT count(*) FROM inserted),
       (SELECT count(*) FROM (SELECT pg_notify($7, q)
                              FROM (SELECT DISTINCT queue AS q FROM inserted) d) w)";

/// Inside a finishing transaction: a completed job's row in finished_jobs (`$1` uuid, `$2`
/// queue, `$3` name, `$4` payload, `$5` attempts, `$6` exceptions, `$7` output, `$8`
/// created_at, `$9` finished_at), replacing the row of an earlier job with the same uuid.
pub const INSERT_FINISHED: &str = "
INSERT INTO finished_jobs
    (uuid, queue, name, payload, attempts, exceptions, output, created_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (uuid) DO UPDATE SET
    queue = excluded.queue, name = excluded.name, payload = excluded.payload,
    attempts = excluded.attempts, exceptions = excluded.exceptions,
    output = excluded.output, created_at = excluded.created_at,
    finished_at = excluded.finished_at";

/// After an outage, the jobs reserved for worker `$1` under tokens it does not hold (`$2`) go
/// back to the queue as if never claimed, and their queues are woken (channel `$3`); returns
/// how many. A reserved row always has a token, so `<> ALL` is never NULL for one.
pub const FREE_UNHELD: &str = "
WITH freed AS (
         UPDATE jobs SET reserved_at = NULL, lease_expires_at = NULL, worker_id = NULL,
                token = NULL, intent = NULL, attempts = greatest(attempts - 1, 0)
         WHERE worker_id = $1 AND reserved_at IS NOT NULL AND token <> ALL ($2::text[])
         RETURNING queue),
     woken AS (
         SELECT pg_notify($3, q) FROM (SELECT DISTINCT queue AS q FROM freed) d)
SELECT (SELECT count(*) FROM freed), (SELECT count(*) FROM woken)";

/// A worker's heartbeat (`$1` its id): the leases of the jobs it holds last `$2` ms more, and
/// its own row `$3` ms.
pub const HEARTBEAT: &str = "
WITH j AS (
         UPDATE jobs
         SET lease_expires_at = floor(extract(epoch from statement_timestamp()) * 1000)::bigint + $2
         WHERE worker_id = $1 AND reserved_at IS NOT NULL)
UPDATE workers
SET last_seen_at = floor(extract(epoch from statement_timestamp()) * 1000)::bigint,
    alive_until = floor(extract(epoch from statement_timestamp()) * 1000)::bigint + $3
WHERE id = $1";

/// The live workers, each with the uuids of the jobs it holds (`jobs`, comma-separated, NULL
/// when none); the rows of workers whose heartbeat stopped are deleted. No parameters.
pub const WORKERS: &str = "
WITH gone AS (
         DELETE FROM workers
         WHERE alive_until < floor(extract(epoch from statement_timestamp()) * 1000)::bigint)
SELECT w.id, w.name, w.host, w.pid, w.queues, w.concurrency, w.started_at, w.last_seen_at,
       (SELECT string_agg(uuid, ',' ORDER BY id) FROM jobs j
        WHERE j.worker_id = w.id AND j.reserved_at IS NOT NULL) AS jobs
FROM workers w
WHERE w.alive_until >= floor(extract(epoch from statement_timestamp()) * 1000)::bigint
ORDER BY w.started_at, w.id";

/// Counts per queue, each with the server's `now`: the waiting and reserved jobs are the sums of
/// queue_counts' shards (kept by migration 0009's triggers in every transaction that changes
/// jobs, so they are exact as of this statement's snapshot); which waiting jobs are delayed
/// depends on now, so those are counted through jobs_pending (one range per queue, usually
/// short) and the rest are pending; the oldest pending job is the first entry of its queue's
/// range. Failed jobs are counted through failed_jobs_queue; the caller adds the rows up per
/// queue. No parameters.
pub const QUEUE_STATS: &str = "
WITH n AS (SELECT floor(extract(epoch from statement_timestamp()) * 1000)::bigint AS now),
     c AS (SELECT queue, sum(waiting)::bigint AS waiting, sum(reserved)::bigint AS reserved
           FROM queue_counts GROUP BY queue HAVING sum(waiting) <> 0 OR sum(reserved) <> 0)
SELECT c.queue, c.waiting - d.delayed AS pending, d.delayed, c.reserved,
       (SELECT min(j.available_at) FROM jobs j
        WHERE j.queue = c.queue AND j.reserved_at IS NULL AND j.available_at <= n.now)
           AS oldest_pending_at,
       0::bigint AS failed, n.now
FROM c CROSS JOIN n
     CROSS JOIN LATERAL (SELECT count(*) AS delayed FROM jobs j
                         WHERE j.queue = c.queue AND j.reserved_at IS NULL
                           AND j.available_at > n.now) d
UNION ALL
SELECT queue, 0, 0, 0, NULL, COUNT(*), MIN(n.now) FROM failed_jobs, n GROUP BY queue";

/// The job with uuid `$1` wherever it is: a job is in exactly one of the three tables, and one
/// query reads it in one shape (`source` says which; `now` is the server's, for a queued job).
pub const SHOW: &str = "
SELECT 'queued' AS source, queue, name, payload, attempts, exceptions, reserved_at,
       available_at, created_at, NULL::bigint AS finished_at, NULL::bigint AS failed_at,
       NULL::text AS error, last_output AS output, NULL::text AS connection,
       floor(extract(epoch from statement_timestamp()) * 1000)::bigint AS now
FROM jobs WHERE uuid = $1
UNION ALL
SELECT 'failed', queue, name, payload, attempts, exceptions, NULL,
       NULL, NULL, NULL, failed_at, exception, NULL, connection, 0
FROM failed_jobs WHERE uuid = $1
UNION ALL
SELECT 'done', queue, name, payload, attempts, exceptions, NULL,
       NULL, created_at, finished_at, NULL, NULL, output, NULL, 0
FROM finished_jobs WHERE uuid = $1
LIMIT 1";

// Batches, with the columns `queries::batch_from_row` reads.

/// All batches, newest first. No parameters.
pub const BATCHES: &str = "
SELECT id, name, total_jobs, pending_jobs, failed_jobs, failed_job_ids, options,
       cancelled_at, finished_at, created_at
FROM job_batches ORDER BY created_at DESC, id DESC";

/// The batch with id `$1`.
pub const BATCH: &str = "
SELECT id, name, total_jobs, pending_jobs, failed_jobs, failed_job_ids, options,
       cancelled_at, finished_at, created_at
FROM job_batches WHERE id = $1";

/// The batch with id `$1`, locked until the transaction ends: concurrent ends of jobs of one
/// batch count one after another.
pub const BATCH_FOR_UPDATE: &str = "
SELECT id, name, total_jobs, pending_jobs, failed_jobs, failed_job_ids, options,
       cancelled_at, finished_at, created_at
FROM job_batches WHERE id = $1 FOR UPDATE";

/// An attempt's row: its end, or while it runs (`$5` finished_at and `$10` outcome NULL) its
/// output so far; an end replaces the running row.
pub const ATTEMPT_UPSERT: &str = "
INSERT INTO job_attempts
    (token, uuid, attempt, started_at, finished_at, worker, exit_code, signal, timed_out,
     outcome, output)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (token) DO UPDATE SET
    finished_at = excluded.finished_at, exit_code = excluded.exit_code,
    signal = excluded.signal, timed_out = excluded.timed_out, outcome = excluded.outcome,
    output = excluded.output
WHERE job_attempts.finished_at IS NULL";

/// While a long attempt runs: its output so far (`$3`), while `$2` still holds job `$1`.
pub const ATTEMPT_OUTPUT: &str = "
INSERT INTO job_attempts (token, uuid, attempt, started_at, worker, output)
SELECT token, uuid, attempts, reserved_at, worker_id, $3 FROM jobs
WHERE id = $1 AND token = $2 AND reserved_at IS NOT NULL
ON CONFLICT (token) DO UPDATE SET output = excluded.output
WHERE job_attempts.finished_at IS NULL";

/// Every recorded attempt of job `$1`, oldest first.
pub const ATTEMPTS: &str = "
SELECT attempt, started_at, finished_at, worker, exit_code, signal, timed_out, outcome, output
FROM job_attempts WHERE uuid = $1 ORDER BY started_at, attempt";

/// The attempts of job `$1` once it is gone from every table (forgotten, cleared, pruned).
pub const FORGET_GONE_ATTEMPTS: &str = "
DELETE FROM job_attempts WHERE uuid = $1
   AND NOT EXISTS (SELECT 1 FROM jobs WHERE uuid = $1)
   AND NOT EXISTS (SELECT 1 FROM failed_jobs WHERE uuid = $1)
   AND NOT EXISTS (SELECT 1 FROM finished_jobs WHERE uuid = $1)";

/// Uuids that start with `$1`, in any table, at most `$2`.
pub const FIND_UUIDS: &str = "
SELECT uuid FROM jobs WHERE starts_with(uuid, $1)
UNION SELECT uuid FROM finished_jobs WHERE starts_with(uuid, $1)
UNION SELECT uuid FROM failed_jobs WHERE starts_with(uuid, $1)
LIMIT $2";
