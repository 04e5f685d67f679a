#!/usr/bin/env bash
# W1, one process per job: the time of one `queue dispatch` process beside the sqlite3 CLI
# inserting one row of the same size into a WAL database, measured by hyperfine in one run.
# Measured twice: with no other process holding the store (each dispatch must then rebuild the
# WAL index), and while a worker holds it open, as in production.
# With COUNT=1, the user-space instructions of each (callgrind, one run after a warm-up run)
# instead of the times: they do not depend on the machine's load, so they compare across runs
# on a shared machine.
# usage: [COUNT=1] bench/dispatch.sh [path/to/queue]
#   (needs hyperfine and sqlite3: apt-get install hyperfine sqlite3; COUNT=1 needs valgrind)
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
tmp=$(mktemp -d)
# (`kill 0` would signal this whole process group: only a worker that was started is killed.)
trap 'if [ -n "${worker:-}" ]; then kill "$worker" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
export QUEUE_DATABASE=$tmp/q.sqlite
$queue migrate -q
sqlite3 "$tmp/raw.sqlite" "PRAGMA journal_mode=WAL; CREATE TABLE jobs(id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT, created_at INT);" >/dev/null
row="INSERT INTO jobs(queue, payload, available_at, created_at) VALUES('default', '{\"command\":[\"true\"]}', 0, 0)"
if [ "${COUNT:-0}" = 1 ]; then
  count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
  $queue dispatch -q -- true >/dev/null
  sqlite3 "$tmp/raw.sqlite" "$row"
  q=$(count "$queue" dispatch -q -- true)
  s=$(count sqlite3 "$tmp/raw.sqlite" "$row")
  python3 -c "import sys; q, s = int(sys.argv[1]), int(sys.argv[2]); print(f'one dispatch process: queue {q / 1e6:.2f} M instructions, sqlite3 CLI insert {s / 1e6:.2f} M ({q / s:.2f}x)')" "$q" "$s"
  exit 0
fi
hyperfine -N --warmup 20 --runs 300 \
  "$queue dispatch -q -- true" \
  "sqlite3 $tmp/raw.sqlite \"$row\""
echo "== again, while a worker (on another queue) holds the store open"
$queue work --queue idle --quiet &
worker=$!
sleep 0.5
hyperfine -N --warmup 20 --runs 300 \
  "$queue dispatch -q -- true" \
  "sqlite3 $tmp/raw.sqlite \"$row\""
