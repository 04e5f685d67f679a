#!/usr/bin/env bash
# What PostgreSQL's exact counters (migration 0008: statement triggers on jobs that keep
# queue_counts) cost on the hot path: the same binary and database with the triggers enabled
# and disabled, alternating every round so that whatever else the machine does falls on both.
# Each round dispatches N `true` jobs with one `--file` and drains them with 2 workers
# (`--stop-when-empty`); each figure is the median of its rounds. A database of its own is
# created on the server of ADMIN_URL and dropped at the end.
# usage: bench/pg-counters.sh [path/to/queue] [N] [ADMIN_URL] [ROUNDS]
#        (defaults: target/release/queue, 5000, postgres://postgres@127.0.0.1:5432/test, 5)
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
n=${2:-5000}
admin=${3:-postgres://postgres@127.0.0.1:5432/test}
rounds=${4:-5}
tmp=$(mktemp -d)
db=queue_counters_$$
export QUEUE_DATABASE="${admin%/*}/$db"
cleanup() {
  rm -rf "$tmp"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql "$admin" -qc "CREATE DATABASE $db"
$queue migrate -q
python3 -c "import sys; [print('{\"command\": [\"true\"]}') for _ in range(int(sys.argv[1]))]" "$n" > "$tmp/jobs.jsonl"
now() { date +%s%N; }
declare -A drains dispatches
for _ in $(seq "$rounds"); do
  for mode in enable disable; do
    for t in insert update delete; do
      psql -q "$QUEUE_DATABASE" -c "ALTER TABLE jobs $mode TRIGGER jobs_counted_$t"
    done
    start=$(now)
    $queue dispatch -q --file "$tmp/jobs.jsonl" > /dev/null
    mid=$(now)
    $queue work --stop-when-empty --quiet & $queue work --stop-when-empty --quiet & wait
    end=$(now)
    dispatches[$mode]+=" $(python3 -c "print(round($n / (($mid - $start) / 1e9)))")"
    drains[$mode]+=" $(python3 -c "print(round($n / (($end - $mid) / 1e9)))")"
  done
done
median() { python3 -c "import sys; v=sorted(int(x) for x in sys.argv[1:]); print(v[len(v)//2])" "$@"; }
on=$(median ${drains[enable]}); off=$(median ${drains[disable]})
echo "drain of $n true jobs, 2 workers (median of $rounds): counters $on jobs/s, without $off jobs/s ($(python3 -c "print(f'{$on / $off:.3f}')")×); rounds: with${drains[enable]}; without${drains[disable]}"
on=$(median ${dispatches[enable]}); off=$(median ${dispatches[disable]})
echo "dispatch --file of $n (median of $rounds): counters $on jobs/s, without $off jobs/s ($(python3 -c "print(f'{$on / $off:.3f}')")×)"
