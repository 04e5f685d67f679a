#!/usr/bin/env bash
# W1 counted instead of timed: the user-space instructions (callgrind) of one `queue dispatch
# -- true` process beside the sqlite3 CLI inserting one row of the same size into a WAL
# database, each run once after a warm-up run. Instruction counts do not depend on the
# machine's load, so this is the figure to compare across runs on a shared machine.
# usage: bench/dispatch-instructions.sh [path/to/queue]   (needs valgrind and sqlite3)
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QUEUE_DATABASE=$tmp/q.sqlite
$queue migrate -q
sqlite3 "$tmp/raw.sqlite" "PRAGMA journal_mode=WAL; CREATE TABLE jobs(id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT, created_at INT);" >/dev/null
row="INSERT INTO jobs(queue, payload, available_at, created_at) VALUES('default', '{\"command\":[\"true\"]}', 0, 0)"
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
$queue dispatch -q -- true >/dev/null
sqlite3 "$tmp/raw.sqlite" "$row"
q=$(count "$queue" dispatch -q -- true)
s=$(count sqlite3 "$tmp/raw.sqlite" "$row")
python3 -c "import sys; q, s = int(sys.argv[1]), int(sys.argv[2]); print(f'one dispatch process: queue {q / 1e6:.2f} M instructions, sqlite3 CLI insert {s / 1e6:.2f} M ({q / s:.2f}x)')" "$q" "$s"
