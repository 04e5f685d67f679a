-- PostgreSQL only (SQLite's 0009 is empty): exact per-queue counts for `status`, `monitor`, the
-- dashboard and /metrics without stepping over a million index entries. Every statement that
-- changes jobs adds what it changed to queue_counts in its own transaction (statement-level
-- triggers over the transition tables: one upsert per queue and statement, however many rows),
-- so a reader sums a few rows and sees exactly the jobs its snapshot sees. Waiting (unreserved)
-- jobs are counted here; which of them are delayed depends on the reader's now, so the reader
-- counts those (usually few) through jobs_pending and takes them from the waiting.
CREATE TABLE queue_counts (
    queue    TEXT    NOT NULL,
    -- Each transaction adds to a shard no other open transaction holds (a transaction-level
    -- advisory lock, taken with try, never waited for while a shard is free), so concurrent
    -- workers never wait on, or deadlock over, one counter row.
    shard    INTEGER NOT NULL,
    waiting  BIGINT  NOT NULL DEFAULT 0,
    reserved BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, shard)
);

-- The shard of this transaction: the first free one from the backend's own, held to the end
-- of the transaction and remembered in a transaction-local setting. Advisory lock keys
-- (1366651220, shard) are two-int keys, a space apart from the one-bigint keys of middleware
-- locks and migrations. Called only when there is something to add, so that heartbeats and
-- empty claims take no lock.
CREATE FUNCTION queue_counts_shard() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    held integer := nullif(current_setting('queue.counts_shard', true), '')::integer;
    start integer := pg_backend_pid() % 16;
BEGIN
    IF held IS NOT NULL THEN
        RETURN held;
    END IF;
    FOR i IN 0..15 LOOP
        IF pg_try_advisory_xact_lock(1366651220, (start + i) % 16) THEN
            held := (start + i) % 16;
            EXIT;
        END IF;
    END LOOP;
    IF held IS NULL THEN
        -- More writing transactions than shards: wait for this backend's own.
        held := start;
        PERFORM pg_advisory_xact_lock(1366651220, held);
    END IF;
    PERFORM set_config('queue.counts_shard', held::text, true);
    RETURN held;
END
$$;

-- One function for the three triggers (a transition table is only named in the branch of its
-- event).
CREATE FUNCTION queue_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO queue_counts AS c (queue, shard, waiting, reserved)
        SELECT queue, queue_counts_shard(), count(*) FILTER (WHERE reserved_at IS NULL),
               count(*) FILTER (WHERE reserved_at IS NOT NULL)
        FROM new_rows GROUP BY queue ORDER BY queue
        ON CONFLICT ON CONSTRAINT queue_counts_pkey DO UPDATE
        SET waiting = c.waiting + excluded.waiting, reserved = c.reserved + excluded.reserved;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO queue_counts AS c (queue, shard, waiting, reserved)
        SELECT queue, queue_counts_shard(), -count(*) FILTER (WHERE reserved_at IS NULL),
               -count(*) FILTER (WHERE reserved_at IS NOT NULL)
        FROM old_rows GROUP BY queue ORDER BY queue
        ON CONFLICT ON CONSTRAINT queue_counts_pkey DO UPDATE
        SET waiting = c.waiting + excluded.waiting, reserved = c.reserved + excluded.reserved;
    ELSE
        -- Claims, releases and frees move a job between waiting and reserved; heartbeats and
        -- output change neither, and write nothing.
        INSERT INTO queue_counts AS c (queue, shard, waiting, reserved)
        SELECT queue, queue_counts_shard(), sum(w), sum(r)
        FROM (SELECT queue, (reserved_at IS NULL)::int AS w, (reserved_at IS NOT NULL)::int AS r
              FROM new_rows
              UNION ALL
              SELECT queue, -(reserved_at IS NULL)::int, -(reserved_at IS NOT NULL)::int
              FROM old_rows) d
        GROUP BY queue HAVING sum(w) <> 0 OR sum(r) <> 0 ORDER BY queue
        ON CONFLICT ON CONSTRAINT queue_counts_pkey DO UPDATE
        SET waiting = c.waiting + excluded.waiting, reserved = c.reserved + excluded.reserved;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_counted_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_change();
CREATE TRIGGER jobs_counted_update AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_change();
CREATE TRIGGER jobs_counted_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_change();

-- The jobs already queued. The triggers exist first, and CREATE TRIGGER's lock keeps writers
-- out until this transaction commits, so no change is counted twice or missed.
INSERT INTO queue_counts (queue, shard, waiting, reserved)
SELECT queue, 0, count(*) FILTER (WHERE reserved_at IS NULL),
       count(*) FILTER (WHERE reserved_at IS NOT NULL)
FROM jobs GROUP BY queue;
