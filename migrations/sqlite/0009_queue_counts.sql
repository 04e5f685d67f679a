-- PostgreSQL's 0009 adds exact per-queue counters kept by triggers; SQLite counts a million
-- queued jobs from its covering index fast enough (0006), so nothing changes here.
SELECT 1;
