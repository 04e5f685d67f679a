-- Every attempt's result, for `queue show`, `queue logs` and `queue wait`. A row is written in
-- the transaction that ends the attempt (and, while a long attempt runs, by its worker as its
-- output grows, so `logs --follow` can tail it from any host). An attempt is known by its
-- token; rows go with their job: when its finished_jobs row is pruned, or its failed_jobs row
-- is forgotten.
CREATE TABLE job_attempts (
    token       TEXT    PRIMARY KEY,
    uuid        TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    -- NULL while the attempt runs.
    finished_at INTEGER,
    worker      TEXT    NOT NULL,
    exit_code   INTEGER,
    signal      INTEGER,
    timed_out   INTEGER NOT NULL DEFAULT 0,
    -- succeeded, released, retrying (it threw and will run again) or failed; NULL while running.
    outcome     TEXT,
    output      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX job_attempts_uuid ON job_attempts (uuid, started_at);
