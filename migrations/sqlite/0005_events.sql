-- Every state change of a job and worker, named after Laravel's queue events (PRODUCT.md §9),
-- written in the transaction that makes the change and kept for `retain_events`. `id` is the
-- cursor of `queue events --since` / `--follow`: SQLite's writers take turns, so ids increase in
-- commit order. The connection and the worker's host are not stored: the connection is the
-- reader's name for this store, the host the first part of the worker's id.
CREATE TABLE job_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event       TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    uuid        TEXT,
    name        TEXT,
    queue       TEXT,
    attempt     INTEGER,
    worker      TEXT,
    exit_code   INTEGER,
    signal      INTEGER,
    duration_ms INTEGER,
    message     TEXT,
    batch_id    TEXT
);
CREATE INDEX job_events_at ON job_events (at);
