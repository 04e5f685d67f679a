-- PostgreSQL: the same as migrations/sqlite/0007_metrics.sql, with BIGINT counts.
-- Per-minute metric rollups for `queue ui` and `/metrics`: every attempt's end adds to the row
-- of its minute, queue and outcome in the transaction that ends it (no extra commit per job),
-- so every worker on every host feeds one history. Rows older than `retain_metrics` (default
-- 7 days) are folded into minute 0 and deleted by workers, where finished jobs are pruned.
CREATE TABLE queue_metrics (
    -- Unix minute (ms / 60000) in which the attempts ended; 0 holds what pruning folded in, so
    -- that totals (`queue_jobs_processed_total`) never go down.
    minute      BIGINT NOT NULL,
    queue       TEXT    NOT NULL,
    -- succeeded, failed, released or timed_out.
    outcome     TEXT    NOT NULL,
    -- Spreads one minute's counts over rows by worker (PostgreSQL), so workers do not wait on
    -- one row's lock; SQLite writes shard 0.
    shard       INTEGER NOT NULL,
    jobs        BIGINT NOT NULL DEFAULT 0,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    wait_ms     BIGINT NOT NULL DEFAULT 0,
    -- Run-time histogram: dN counts the attempts in bucket N of domain::metrics::BOUNDS_MS.
    d0  BIGINT NOT NULL DEFAULT 0,
    d1  BIGINT NOT NULL DEFAULT 0,
    d2  BIGINT NOT NULL DEFAULT 0,
    d3  BIGINT NOT NULL DEFAULT 0,
    d4  BIGINT NOT NULL DEFAULT 0,
    d5  BIGINT NOT NULL DEFAULT 0,
    d6  BIGINT NOT NULL DEFAULT 0,
    d7  BIGINT NOT NULL DEFAULT 0,
    d8  BIGINT NOT NULL DEFAULT 0,
    d9  BIGINT NOT NULL DEFAULT 0,
    d10 BIGINT NOT NULL DEFAULT 0,
    d11 BIGINT NOT NULL DEFAULT 0,
    d12 BIGINT NOT NULL DEFAULT 0,
    d13 BIGINT NOT NULL DEFAULT 0,
    d14 BIGINT NOT NULL DEFAULT 0,
    d15 BIGINT NOT NULL DEFAULT 0,
    -- Wait-time histogram (reserved_at - available_at), the same buckets.
    w0  BIGINT NOT NULL DEFAULT 0,
    w1  BIGINT NOT NULL DEFAULT 0,
    w2  BIGINT NOT NULL DEFAULT 0,
    w3  BIGINT NOT NULL DEFAULT 0,
    w4  BIGINT NOT NULL DEFAULT 0,
    w5  BIGINT NOT NULL DEFAULT 0,
    w6  BIGINT NOT NULL DEFAULT 0,
    w7  BIGINT NOT NULL DEFAULT 0,
    w8  BIGINT NOT NULL DEFAULT 0,
    w9  BIGINT NOT NULL DEFAULT 0,
    w10 BIGINT NOT NULL DEFAULT 0,
    w11 BIGINT NOT NULL DEFAULT 0,
    w12 BIGINT NOT NULL DEFAULT 0,
    w13 BIGINT NOT NULL DEFAULT 0,
    w14 BIGINT NOT NULL DEFAULT 0,
    w15 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, queue, outcome, shard)
);
