#!/usr/bin/env bash
# W2 of shared/reference/peer-benchmarks.md: drain N queued `true` jobs with one worker, then with
# --concurrency 2, beside the machine's own limit for the same work measured in the same run:
# `seq N | xargs -P2 -n1 true`.
# usage: bench/drain.sh [path/to/queue] [N]
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
n=${2:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QUEUE_DATABASE=$tmp/q.sqlite
rate() { python3 -c "import sys; print(f'{$1 / float(sys.argv[1]):.0f}')" "$2"; }
fill() {
  $queue clear -q >/dev/null
  python3 -c "import sys; [print('{\"command\": [\"true\"]}') for _ in range(int(sys.argv[1]))]" "$n" > "$tmp/jobs.jsonl"
  $queue dispatch -q --file "$tmp/jobs.jsonl" >/dev/null
}
drain() {
  local start end
  start=$(date +%s.%N)
  $queue work --stop-when-empty --quiet "$@"
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.3f}')"
}
fill; t1=$(drain)
fill; t2=$(drain --concurrency 2)
start=$(date +%s.%N); seq "$n" | xargs -P2 -n1 true; end=$(date +%s.%N)
tx=$(python3 -c "print(f'{$end - $start:.3f}')")
echo "drain of $n true jobs: 1 worker $(rate "$n" "$t1") jobs/s (${t1}s); --concurrency 2 $(rate "$n" "$t2") jobs/s (${t2}s); xargs -P2 $(rate "$n" "$tx") runs/s (${tx}s)"
