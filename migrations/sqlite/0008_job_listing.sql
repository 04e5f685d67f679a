-- `queue jobs` and the dashboard's /jobs list every table newest first, a page at a time: each
-- table is read in the order of one of these indexes from the last row shown (created_at, or
-- failed_at, then uuid: a job is in one table only, so (at, uuid) orders all three), and the
-- tables are merged, so a page costs its own rows, not a sort of every job (1,000,000 queued:
-- 1.9 s before). The queue's indexes serve `--queue Q`.
CREATE INDEX jobs_listed ON jobs (created_at, uuid);
CREATE INDEX jobs_queue_listed ON jobs (queue, created_at, uuid);
CREATE INDEX finished_jobs_listed ON finished_jobs (created_at, uuid);
CREATE INDEX finished_jobs_queue_listed ON finished_jobs (queue, created_at, uuid);
CREATE INDEX failed_jobs_listed ON failed_jobs (failed_at, uuid);
CREATE INDEX failed_jobs_queue_listed ON failed_jobs (queue, failed_at, uuid);
