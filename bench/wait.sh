#!/bin/sh
# The time from a job's end to `queue wait` returning, p50 over N runs (not a test).
# Usage: bench/wait.sh [N]            (SQLite, a temporary store)
#        QUEUE_DATABASE=postgres://postgres@127.0.0.1:5432/bench bench/wait.sh [N]
# Each run: a worker is idle; `queue wait UUID` is waiting; the job writes the time it ends
# (its last act) to a file; the script notes when `wait` returned. The difference is the latency
# (process exit and the worker's recording of the attempt included).
set -eu
N=${1:-50}
Q=${QUEUE_BIN:-$(dirname "$0")/../target/release/queue}
dir=$(mktemp -d)
trap 'kill $worker 2>/dev/null; rm -rf "$dir"' EXIT
export QUEUE_DATABASE="${QUEUE_DATABASE:-$dir/q.sqlite}"
"$Q" migrate >/dev/null
"$Q" work --queue bench-wait --sleep 3 >/dev/null 2>&1 &
worker=$!
sleep 0.5
ms() { date +%s%3N; }
: > "$dir/lat"
i=0
while [ "$i" -lt "$N" ]; do
  i=$((i + 1))
  uuid=$("$Q" dispatch --queue bench-wait --delay 0.3 -- sh -c "date +%s%3N > $dir/end")
  "$Q" wait "$uuid" >/dev/null
  back=$(ms)
  echo $((back - $(cat "$dir/end"))) >> "$dir/lat"
done
sort -n "$dir/lat" | awk '{a[NR]=$1} END {printf "wait latency over %d runs: p50 %d ms, p90 %d ms, max %d ms\n", NR, a[int(NR*0.5+0.5)], a[int(NR*0.9+0.5)], a[NR]}'
