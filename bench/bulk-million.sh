#!/usr/bin/env bash
# `dispatch --file` of N small jobs (default 1,000,000; one transaction, streamed): jobs/s and
# peak RSS, beside the sqlite3 CLI inserting N rows of the same size in one transaction, in the
# same run. With PG_URL set (a database the user may write), the same file on PostgreSQL too.
# usage: bench/bulk-million.sh [path/to/queue] [N]
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
n=${2:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c "import sys; [print('{\"command\": [\"true\"]}') for _ in range(int(sys.argv[1]))]" "$n" > "$tmp/jobs.jsonl"
export QUEUE_DATABASE=$tmp/q.sqlite
$queue migrate -q
# The stored size of one job of the file, for the sqlite3 rows.
$queue dispatch -- true > /dev/null
size=$(sqlite3 "$QUEUE_DATABASE" "SELECT length(payload) FROM jobs LIMIT 1")
sqlite3 "$QUEUE_DATABASE" "DELETE FROM jobs"
payload=$(printf "%0${size}d" 0)
{
  echo "PRAGMA journal_mode=WAL; CREATE TABLE jobs(id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT); BEGIN;"
  python3 -c "import sys; [print(\"INSERT INTO jobs(queue, payload, available_at) VALUES('default', '$payload', 0);\") for _ in range(int(sys.argv[1]))]" "$n"
  echo "COMMIT;"
} > "$tmp/rows.sql"
# Wall seconds and peak RSS (KiB) of one command, its stdout thrown away.
measure() { /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > /dev/null; cat "$tmp/time"; }
read -r ours ours_kb < <(measure "$queue" dispatch -q --file "$tmp/jobs.jsonl")
read -r theirs theirs_kb < <(measure sh -c "sqlite3 '$tmp/raw.sqlite' < '$tmp/rows.sql'")
python3 -c "n=$n; a=$ours; b=$theirs; print(f'SQLite: dispatch --file of {n} jobs: {n/a:,.0f} jobs/s ({a}s), peak RSS {$ours_kb/1024:.1f} MB; sqlite3 CLI, {n} rows of {$size} bytes in one transaction: {n/b:,.0f} rows/s ({b}s), peak RSS {$theirs_kb/1024:.1f} MB; ratio {b/a:.2f}')"
if [ -n "${PG_URL:-}" ]; then
  QUEUE_DATABASE=$PG_URL $queue migrate -q
  read -r pg pg_kb < <(QUEUE_DATABASE=$PG_URL measure "$queue" dispatch -q --file "$tmp/jobs.jsonl")
  QUEUE_DATABASE=$PG_URL $queue clear -q --queue default > /dev/null
  python3 -c "n=$n; a=$pg; print(f'PostgreSQL: dispatch --file of {n} jobs: {n/a:,.0f} jobs/s ({a}s), peak RSS {$pg_kb/1024:.1f} MB')"
fi
