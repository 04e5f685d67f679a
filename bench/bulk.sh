#!/usr/bin/env bash
# `dispatch --file` of N jobs (one transaction), beside the sqlite3 CLI inserting N rows of the
# same size in one transaction, in the same run. usage: bench/bulk.sh [path/to/queue] [N]
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
n=${2:-50000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QUEUE_DATABASE=$tmp/q.sqlite
$queue migrate -q
python3 -c "import sys; [print('{\"command\": [\"true\"]}') for _ in range(int(sys.argv[1]))]" "$n" > "$tmp/jobs.jsonl"
payload=$(printf '%0300d' 0)
{
  echo "PRAGMA journal_mode=WAL; CREATE TABLE jobs(id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT); BEGIN;"
  python3 -c "import sys; [print(\"INSERT INTO jobs(queue, payload, available_at) VALUES('default', '$payload', 0);\") for _ in range(int(sys.argv[1]))]" "$n"
  echo "COMMIT;"
} > "$tmp/rows.sql"
secs() { python3 -c "import time,subprocess,sys; t=time.time(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(f'{time.time()-t:.3f}')" "$@"; }
ours=$(secs "$queue" dispatch -q --file "$tmp/jobs.jsonl")
theirs=$(secs sh -c "sqlite3 '$tmp/raw.sqlite' < '$tmp/rows.sql'")
python3 -c "n=$n; a=$ours; b=$theirs; print(f'dispatch --file of {n} jobs: {n/a:.0f} jobs/s ({a}s); sqlite3 CLI, {n} rows in one transaction: {n/b:.0f} rows/s ({b}s); ratio {b/a:.2f}')"
