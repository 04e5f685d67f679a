#!/usr/bin/env bash
# The PostgreSQL store beside the SQLite store, measured in the same run on this machine:
#   - drain: N queued no-op (`true`) jobs worked off by 1, 2 and 4 `queue work --stop-when-empty`
#     processes at once;
#   - dispatch: one `queue dispatch` process per job (200 in a row), and one `--file` of N jobs;
#   - idle pickup: bench/pickup.py (one idle worker, `--sleep 3`, 100 jobs at 100/s).
# Each store is new and empty: a SQLite file in a temporary directory, and a PostgreSQL database
# created on the server of ADMIN_URL (its user may create databases) and dropped at the end.
# SYNCHRONOUS=full measures both stores with `synchronous = "full"` (every commit waits for the
# disk, workers' included); the default is each store's default durability (see the README).
# usage: bench/postgres.sh [path/to/queue] [N] [ADMIN_URL] [ROUNDS]
#        (defaults: target/release/queue, 10000, postgres://postgres@127.0.0.1:5432/test, 2)
set -euo pipefail
here=$(dirname "$0")
queue=$(realpath "${1:-target/release/queue}")
n=${2:-10000}
admin=${3:-postgres://postgres@127.0.0.1:5432/test}
rounds=${4:-2}
tmp=$(mktemp -d)
db=queue_bench_$$
# PG_QUERY, e.g. '?options=-c%20synchronous_commit%3Doff', is added to the store's URL.
pg="${admin%/*}/$db${PG_QUERY:-}"
cleanup() {
  rm -rf "$tmp"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql "$admin" -qc "CREATE DATABASE $db"
sqlite=$tmp/q.sqlite
if [ -n "${SYNCHRONOUS:-}" ]; then
  printf 'default = "bench"\n\n[connections.bench]\nsynchronous = "%s"\n' "$SYNCHRONOUS" > "$tmp/queue.toml"
  export QUEUE_CONFIG=$tmp/queue.toml
fi

python3 -c "import sys; [print('{\"command\": [\"true\"]}') for _ in range(int(sys.argv[1]))]" "$n" > "$tmp/jobs.jsonl"
seconds() { python3 -c "print(f'{$2 - $1:.3f}')"; }
rate() { python3 -c "print(f'{$1 / $2:.0f}')"; }

# drain STORE WORKERS: prints jobs/s
drain() {
  local store=$1 workers=$2 start end
  QUEUE_DATABASE=$store $queue clear -q >/dev/null
  QUEUE_DATABASE=$store $queue dispatch -q --file "$tmp/jobs.jsonl" >/dev/null
  start=$(date +%s.%N)
  for _ in $(seq "$workers"); do
    QUEUE_DATABASE=$store $queue work --stop-when-empty --quiet &
  done
  wait
  end=$(date +%s.%N)
  rate "$n" "$(seconds "$start" "$end")"
}

# dispatch STORE: ms per `queue dispatch` process, and jobs/s for one --file of N jobs
dispatch() {
  local store=$1 start end one bulk
  QUEUE_DATABASE=$store $queue clear -q >/dev/null
  start=$(date +%s.%N)
  for _ in $(seq 200); do QUEUE_DATABASE=$store $queue dispatch -q -- true >/dev/null; done
  end=$(date +%s.%N)
  one=$(python3 -c "print(f'{($end - $start) * 1000 / 200:.2f}')")
  start=$(date +%s.%N)
  QUEUE_DATABASE=$store $queue dispatch -q --file "$tmp/jobs.jsonl" >/dev/null
  end=$(date +%s.%N)
  bulk=$(rate "$n" "$(seconds "$start" "$end")")
  QUEUE_DATABASE=$store $queue clear -q >/dev/null
  echo "$one ms per process; --file of $n: $bulk jobs/s"
}

best() { python3 -c "import sys; print(max(int(x) for x in sys.argv[1:]))" "$@"; }

QUEUE_DATABASE=$sqlite $queue migrate -q
QUEUE_DATABASE=$pg $queue migrate -q
# Rounds alternate the two stores, so that whatever else the machine does falls on both; each
# figure is the best of its rounds.
declare -A results
for round in $(seq "$rounds"); do
  for workers in 1 2 4; do
    for name in sqlite postgres; do
      if [ "$name" = sqlite ]; then store=$sqlite; else store=$pg; fi
      results[$name,$workers]+=" $(drain "$store" "$workers")"
    done
  done
done
for name in sqlite postgres; do
  echo "$name: drain of $n true jobs (best of $rounds): 1 worker $(best ${results[$name,1]}) jobs/s, 2 workers $(best ${results[$name,2]}) jobs/s, 4 workers $(best ${results[$name,4]}) jobs/s"
done
for name in sqlite postgres; do
  if [ "$name" = sqlite ]; then store=$sqlite; else store=$pg; fi
  echo "$name: dispatch: $(dispatch "$store")"
done
for name in sqlite postgres; do
  if [ "$name" = sqlite ]; then store=$sqlite; else store=$pg; fi
  echo "$name: $(QUEUE_BENCH_STORE=$store python3 "$here/pickup.py" "$queue")"
done
