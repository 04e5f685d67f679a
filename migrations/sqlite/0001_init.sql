-- The queue's tables. Names and meanings follow Laravel's database driver (jobs, failed_jobs,
-- job_batches) where Laravel has them; times are unix milliseconds.

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid             TEXT    NOT NULL UNIQUE,
    queue            TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    exceptions       INTEGER NOT NULL DEFAULT 0 CHECK (exceptions >= 0),
    reserved_at      INTEGER,
    available_at     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    -- The lease of the current reservation: the worker extends it while the job runs.
    lease_expires_at INTEGER,
    worker_id        TEXT,
    -- Per-attempt secret that `queue release` / `queue fail` inside the job must present.
    token            TEXT,
    -- What the running job asked for (`queue release` / `queue fail`), as JSON.
    intent           TEXT,
    -- The output tail of the last finished attempt.
    last_output      TEXT,
    CHECK ((reserved_at IS NULL) = (lease_expires_at IS NULL))
);

-- The claim: the first available job of a queue in (available_at, id) order, which this index
-- covers, so claiming stays fast however many jobs are queued or delayed.
CREATE INDEX jobs_pending ON jobs (queue, available_at, id) WHERE reserved_at IS NULL;
-- The reserved rows: expired leases (dead workers), heartbeats, and the attempts that hold
-- locks. They are few (one per running job), so this index serves every lookup among them;
-- every other index would be one more page written for each job.
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE reserved_at IS NOT NULL;

CREATE TABLE failed_jobs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid       TEXT    NOT NULL UNIQUE,
    connection TEXT    NOT NULL,
    queue      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    exception  TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    failed_at  INTEGER NOT NULL
);
CREATE INDEX failed_jobs_failed_at ON failed_jobs (failed_at);
CREATE INDEX failed_jobs_queue ON failed_jobs (queue);

-- Jobs that succeeded, kept for `retain_done` so that `queue show` answers after the job ran.
CREATE TABLE finished_jobs (
    uuid        TEXT    PRIMARY KEY,
    queue       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    exceptions  INTEGER NOT NULL DEFAULT 0,
    output      TEXT,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL
);
CREATE INDEX finished_jobs_finished_at ON finished_jobs (finished_at);

CREATE TABLE job_batches (
    id             TEXT    PRIMARY KEY,
    name           TEXT    NOT NULL DEFAULT '',
    total_jobs     INTEGER NOT NULL,
    pending_jobs   INTEGER NOT NULL,
    failed_jobs    INTEGER NOT NULL,
    failed_job_ids TEXT    NOT NULL DEFAULT '[]',
    options        TEXT,
    cancelled_at   INTEGER,
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER
);

-- Live workers: each registers at start, refreshes alive_until with its heartbeat and removes
-- itself on exit. Rows whose alive_until passed belong to dead workers and are forgotten.
CREATE TABLE workers (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    host         TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    queues       TEXT    NOT NULL,
    concurrency  INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    alive_until  INTEGER NOT NULL
);

-- Store-wide switches and markers: restart broadcasts, paused queues, maintenance mode.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
