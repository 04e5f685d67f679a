#!/usr/bin/env bash
# `queue status` and `queue monitor` with N pending jobs (default 1,000,000), exact counts: the
# median of 5 runs of each, beside the goal (0.3 s) in the same run. With PG_URL (a database the
# user may write; its queue `default` is cleared) the same on PostgreSQL: there a VACUUM ANALYZE
# first sets the visibility map, as autovacuum does after a bulk insert, so that counting is an
# index-only scan.
# usage: bench/status-million.sh [path/to/queue] [N]
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
n=${2:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c "import sys; [print('{\"command\": [\"true\"]}') for _ in range(int(sys.argv[1]))]" "$n" > "$tmp/jobs.jsonl"
# median SECONDS of 5 runs of a command, its output thrown away (monitor exits 1 on its ALERT)
median() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(5):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
    runs.append(time.perf_counter() - t)
print(f"{sorted(runs)[2]:.3f}")
PY
}
measure() {
  local name=$1
  $queue dispatch -q --file "$tmp/jobs.jsonl" > /dev/null
  local counted
  counted=$($queue --json status | python3 -c "import json,sys; print(sum(q['pending'] for q in json.load(sys.stdin)['queues']))")
  [ "$counted" -ge "$n" ] || { echo "status counted $counted of $n" >&2; exit 1; }
  if [ "$name" = PostgreSQL ]; then psql -q "$QUEUE_DATABASE" -c "VACUUM ANALYZE jobs"; fi
  echo "$name, $counted pending: status $(median "$queue" status) s, monitor $(median "$queue" monitor default) s; goal 0.3 s"
}
export QUEUE_DATABASE=$tmp/q.sqlite
measure SQLite
if [ -n "${PG_URL:-}" ]; then
  export QUEUE_DATABASE=$PG_URL
  $queue migrate -q
  $queue clear -q --queue default > /dev/null
  measure PostgreSQL
  $queue clear -q --queue default > /dev/null
fi
