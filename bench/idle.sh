#!/usr/bin/env bash
# An idle worker's cost: CPU time used over 10 s of waiting (it blocks on its wake-up socket and
# wakes only for its heartbeat), and its peak resident memory.
# usage: bench/idle.sh [path/to/queue]
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export QUEUE_DATABASE=$tmp/q.sqlite
$queue work --quiet &
pid=$!
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks)
sleep 10
after=$(ticks)
hz=$(getconf CLK_TCK)
echo "idle worker: $(( (after - before) * 1000 / hz )) ms of CPU over 10 s; peak RSS $(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")"
