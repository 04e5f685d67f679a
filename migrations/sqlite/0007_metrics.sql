-- Per-minute metric rollups for `queue ui` and `/metrics`: every attempt's end adds to the row
-- of its minute, queue and outcome in the transaction that ends it (no extra commit per job),
-- so every worker on every host feeds one history. Rows older than `retain_metrics` (default
-- 7 days) are folded into minute 0 and deleted by workers, where finished jobs are pruned.
CREATE TABLE queue_metrics (
    -- Unix minute (ms / 60000) in which the attempts ended; 0 holds what pruning folded in, so
    -- that totals (`queue_jobs_processed_total`) never go down.
    minute      INTEGER NOT NULL,
    queue       TEXT    NOT NULL,
    -- succeeded, failed, released or timed_out.
    outcome     TEXT    NOT NULL,
    -- Spreads one minute's counts over rows by worker (PostgreSQL), so workers do not wait on
    -- one row's lock; SQLite writes shard 0.
    shard       INTEGER NOT NULL,
    jobs        INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    wait_ms     INTEGER NOT NULL DEFAULT 0,
    -- Run-time histogram: dN counts the attempts in bucket N of domain::metrics::BOUNDS_MS.
    d0  INTEGER NOT NULL DEFAULT 0,
    d1  INTEGER NOT NULL DEFAULT 0,
    d2  INTEGER NOT NULL DEFAULT 0,
    d3  INTEGER NOT NULL DEFAULT 0,
    d4  INTEGER NOT NULL DEFAULT 0,
    d5  INTEGER NOT NULL DEFAULT 0,
    d6  INTEGER NOT NULL DEFAULT 0,
    d7  INTEGER NOT NULL DEFAULT 0,
    d8  INTEGER NOT NULL DEFAULT 0,
    d9  INTEGER NOT NULL DEFAULT 0,
    d10 INTEGER NOT NULL DEFAULT 0,
    d11 INTEGER NOT NULL DEFAULT 0,
    d12 INTEGER NOT NULL DEFAULT 0,
    d13 INTEGER NOT NULL DEFAULT 0,
    d14 INTEGER NOT NULL DEFAULT 0,
    d15 INTEGER NOT NULL DEFAULT 0,
    -- Wait-time histogram (reserved_at - available_at), the same buckets.
    w0  INTEGER NOT NULL DEFAULT 0,
    w1  INTEGER NOT NULL DEFAULT 0,
    w2  INTEGER NOT NULL DEFAULT 0,
    w3  INTEGER NOT NULL DEFAULT 0,
    w4  INTEGER NOT NULL DEFAULT 0,
    w5  INTEGER NOT NULL DEFAULT 0,
    w6  INTEGER NOT NULL DEFAULT 0,
    w7  INTEGER NOT NULL DEFAULT 0,
    w8  INTEGER NOT NULL DEFAULT 0,
    w9  INTEGER NOT NULL DEFAULT 0,
    w10 INTEGER NOT NULL DEFAULT 0,
    w11 INTEGER NOT NULL DEFAULT 0,
    w12 INTEGER NOT NULL DEFAULT 0,
    w13 INTEGER NOT NULL DEFAULT 0,
    w14 INTEGER NOT NULL DEFAULT 0,
    w15 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, queue, outcome, shard)
) WITHOUT ROWID;
