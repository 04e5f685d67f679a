-- PostgreSQL: the same as migrations/sqlite/0003_failed_exceptions.sql, with a BIGINT count.
-- How many of a failed job's attempts ended in an exception (`queue show`'s "exceptions"), so
-- that a job failed by "max-exceptions 5 reached" says 5, not 0.
ALTER TABLE failed_jobs ADD COLUMN exceptions BIGINT NOT NULL DEFAULT 0;
