-- Unique jobs, job middleware and `queue lock`: locks and fixed-window counters in the store,
-- so that they hold across processes and hosts.

-- A lock per key. Owners: a job's uuid (unique jobs), a running attempt's token
-- (without-overlapping, funnel slots), or a `queue lock` process. A lock whose owner is gone
-- (the job finished, the attempt's lease was lost) is free, so a dead worker cannot hold one.
CREATE TABLE locks (
    key        TEXT    PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Fixed windows for --rate-limit (starts) and --throttle-exceptions (exceptions).
CREATE TABLE limiters (
    key            TEXT    PRIMARY KEY,
    hits           INTEGER NOT NULL,
    window_ends_at INTEGER NOT NULL
);

-- A job held back by a busy lock waits on it: the lock's release makes one waiter available.
ALTER TABLE jobs ADD COLUMN parked_on TEXT;
CREATE INDEX jobs_parked ON jobs (parked_on, available_at, id) WHERE parked_on IS NOT NULL;
