#!/usr/bin/env bash
# Flat with depth: the drain rate of the first M jobs (default 2,000 `true` jobs, one worker,
# --concurrency 2, --max-jobs M) with 1,000 jobs queued behind them, beside the same with
# 1,000,000 queued behind, in the same run; the goal is a ratio of at least 0.9. Rounds alternate
# the shallow and the deep queue, and each figure is the median of its rounds. With PG_URL (a
# database the user may write; its queues `shallow` and `deep` are cleared) PostgreSQL too, and
# with SQLITE=0 PostgreSQL only.
# usage: bench/depth.sh [path/to/queue] [M] [DEEP] [ROUNDS]
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
m=${2:-2000}
deep=${3:-1000000}
rounds=${4:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jobs() { python3 -c 'import json, sys; line = json.dumps({"command": ["true"], "queue": sys.argv[2]}); [print(line) for _ in range(int(sys.argv[1]))]' "$1" "$2"; }
# drain QUEUE: jobs/s of the first M jobs of QUEUE
drain() {
  local start end
  start=$(date +%s%N)
  $queue work --queue "$1" --max-jobs "$m" --concurrency 2 --quiet
  end=$(date +%s%N)
  python3 -c "print(f'{$m / (($end - $start) / 1e9):.0f}')"
}
median() { python3 -c "import sys; v=sorted(float(x) for x in sys.argv[1:]); print(f'{v[len(v)//2]:.0f}')" "$@"; }
run() {
  local name=$1 shallow="" deeprates=""
  $queue clear -q --queue shallow > /dev/null; $queue clear -q --queue deep > /dev/null
  jobs "$deep" deep > "$tmp/deep.jsonl"; $queue dispatch -q --file "$tmp/deep.jsonl" > /dev/null
  jobs 1000 shallow > "$tmp/shallow.jsonl"
  jobs "$m" deep > "$tmp/deep-top.jsonl"
  if [ "$name" = PostgreSQL ]; then psql -q "$QUEUE_DATABASE" -c "VACUUM ANALYZE jobs"; fi
  for _ in $(seq "$rounds"); do
    # The shallow queue: M jobs with 1,000 behind them.
    jobs "$m" shallow > "$tmp/shallow-top.jsonl"
    $queue dispatch -q --file "$tmp/shallow-top.jsonl" > /dev/null
    $queue dispatch -q --file "$tmp/shallow.jsonl" > /dev/null
    shallow+=" $(drain shallow)"
    $queue clear -q --queue shallow > /dev/null
    # The deep queue: its first M jobs are drained; it is topped up so that DEEP stay behind.
    deeprates+=" $(drain deep)"
    $queue dispatch -q --file "$tmp/deep-top.jsonl" > /dev/null
  done
  local a b
  a=$(median $shallow); b=$(median $deeprates)
  echo "$name: drain of $m jobs with 1,000 queued behind: $a jobs/s; with $deep queued behind: $b jobs/s; ratio $(python3 -c "print(f'{$b / $a:.2f}')") (goal >= 0.9)"
  $queue clear -q --queue shallow > /dev/null; $queue clear -q --queue deep > /dev/null
}
if [ "${SQLITE:-1}" != 0 ]; then
  export QUEUE_DATABASE=$tmp/q.sqlite
  $queue migrate -q
  run SQLite
fi
if [ -n "${PG_URL:-}" ]; then
  export QUEUE_DATABASE=$PG_URL
  $queue migrate -q
  run PostgreSQL
fi
