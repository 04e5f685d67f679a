-- SQLite's 0006 adds reserved_at to jobs_pending so that the index covers `status`'s counts.
-- PostgreSQL's index-only scans already leave out the column of a partial index's predicate,
-- so its jobs_pending covers them as it is: nothing changes here.
SELECT 1;
