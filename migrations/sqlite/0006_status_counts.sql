-- `status` and `monitor` count each queue's pending and delayed jobs as ranges of jobs_pending.
-- With reserved_at in it (always NULL there), the index covers those counts, so SQLite counts
-- index entries without reading a single job row (1,000,000 pending jobs: about 0.1 s instead
-- of 1.5 s). The claim reads the index in the same order as before.
DROP INDEX jobs_pending;
CREATE INDEX jobs_pending ON jobs (queue, available_at, id, reserved_at) WHERE reserved_at IS NULL;
