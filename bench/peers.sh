#!/usr/bin/env bash
# `queue` beside its PostgreSQL peers, graphile-worker and pg-boss (from the npm registry) and
# procrastinate (from PyPI), on the same local PostgreSQL server in one run:
#   - shell drain: N queued jobs that run `true`, concurrency 2 (queue: `queue work`);
#   - no-op drain: N queued no-op jobs run by each one's in-process handler, concurrency C
#     (queue: the library's Rust-handler worker, examples/peer.rs);
#   - idle pickup p50 / p99: an idle worker, jobs enqueued through each one's library at 100/s;
#     from just before the enqueue call to the handler's first instruction (same process clock).
# The jobs of a drain are enqueued before it starts and are not timed; each drain checks that
# every job ran exactly once. Every measurement gets a database of its own, created on the server
# of ADMIN_URL and dropped after it. Rounds alternate the peers, so that whatever else the
# machine does falls on all of them; each figure is the best of its rounds.
# The peers are installed into PEERS_CACHE (default ~/.cache/queue-bench-peers), not the repo.
#
# usage: bench/peers.sh [path/to/queue] [N] [ADMIN_URL] [ROUNDS]
#   defaults: target/release/queue, 10000, postgres://postgres@127.0.0.1:5432/test, 2
#   needs: node and npm, python3 with venv, psql; `cargo build --release --example peer`
#   (PEER_BIN, default beside the queue binary: examples/peer)
# env: NOOP_CONCURRENCY (default 10), PICKUP_JOBS (default 200), PEERS (default all four)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
queue=$(realpath "${1:-target/release/queue}")
n=${2:-10000}
admin=${3:-postgres://postgres@127.0.0.1:5432/test}
rounds=${4:-2}
peer_bin=${PEER_BIN:-$(dirname "$queue")/examples/peer}
noop_c=${NOOP_CONCURRENCY:-10}
pickup_n=${PICKUP_JOBS:-200}
peers=${PEERS:-queue graphile-worker pg-boss procrastinate}
cache=${PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/queue-bench-peers}
[ -x "$peer_bin" ] || { echo "peers.sh: $peer_bin is missing: cargo build --release --example peer" >&2; exit 1; }

# Install the peers once into the cache (versions that run on the node found here).
mkdir -p "$cache/node"
if [ ! -d "$cache/node/node_modules/graphile-worker" ] || [ ! -d "$cache/node/node_modules/pg-boss" ]; then
  echo "installing graphile-worker and pg-boss into $cache/node ..." >&2
  (cd "$cache/node" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --silent graphile-worker@0.17 pg-boss@10 >&2)
fi
if [ ! -x "$cache/venv/bin/python" ] || ! "$cache/venv/bin/python" -c 'import procrastinate' 2>/dev/null; then
  echo "installing procrastinate into $cache/venv ..." >&2
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q 'procrastinate==3.*' 'psycopg[binary]' >&2
fi
export NODE_PATH=$cache/node/node_modules
python=$cache/venv/bin/python
versions=$(cd "$cache/node" && node -e 'for (const p of ["graphile-worker","pg-boss"]) process.stdout.write(p + " " + require(p + "/package.json").version + ", ")')
versions+="procrastinate $("$python" -c 'import importlib.metadata as m; print(m.version("procrastinate"))')"

tmp=$(mktemp -d)
dbs=()
cleanup() {
  rm -rf "$tmp"
  for db in "${dbs[@]}"; do
    psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
count=0
# fresh: a new empty database; prints its URL
fresh() {
  count=$((count + 1))
  local db=queue_peers_$$_$count
  dbs+=("$db")
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
  echo "${admin%/*}/$db"
}
drop() { psql "$admin" -qc "DROP DATABASE IF EXISTS ${1##*/} WITH (FORCE)" >/dev/null; }

python3 -c "import sys; [print('{\"command\": [\"true\"]}') for _ in range(int(sys.argv[1]))]" "$n" > "$tmp/true.jsonl"

# queue_shell URL: jobs/s of `queue work --concurrency 2` draining N `true` jobs
queue_shell() {
  local url=$1 start end
  QUEUE_DATABASE=$url "$queue" migrate -q >/dev/null
  QUEUE_DATABASE=$url "$queue" dispatch -q --file "$tmp/true.jsonl" >/dev/null
  start=$(date +%s.%N)
  QUEUE_DATABASE=$url "$queue" work --stop-when-empty --quiet --concurrency 2
  end=$(date +%s.%N)
  local left
  left=$(QUEUE_DATABASE=$url "$queue" status --json | python3 -c 'import json,sys; print(sum(q.get("pending",0)+q.get("reserved",0) for q in json.load(sys.stdin).get("queues",[])))' 2>/dev/null || echo "?")
  [ "$left" = 0 ] || echo "queue: $left jobs left after the drain" >&2
  python3 -c "print(f'{$n / ($end - $start):.0f}')"
}

# measure PEER ROW: one figure (jobs/s, or "p50 p99" ms) on a fresh database
measure() {
  local peer=$1 row=$2 url out
  url=$(fresh)
  case "$peer,$row" in
    queue,shell) out=$(queue_shell "$url") ;;
    queue,noop) out=$("$peer_bin" noop "$url" "$n" "$noop_c") ;;
    queue,pickup) out=$("$peer_bin" pickup "$url" "$pickup_n") ;;
    graphile-worker,shell) out=$(node "$here/peers/graphile.js" shell "$url" "$n" 2) ;;
    graphile-worker,noop) out=$(node "$here/peers/graphile.js" noop "$url" "$n" "$noop_c") ;;
    graphile-worker,pickup) out=$(node "$here/peers/graphile.js" pickup "$url" "$pickup_n" 1) ;;
    pg-boss,shell) out=$(node "$here/peers/pgboss.js" shell "$url" "$n" 2) ;;
    pg-boss,noop) out=$(node "$here/peers/pgboss.js" noop "$url" "$n" 1 "$noop_c") ;;
    pg-boss,pickup) out=$(node "$here/peers/pgboss.js" pickup "$url" "$pickup_n" 1) ;;
    procrastinate,shell) out=$("$python" -W ignore "$here/peers/procrastinate_peer.py" shell "$url" "$n" 2) ;;
    procrastinate,noop) out=$("$python" -W ignore "$here/peers/procrastinate_peer.py" noop "$url" "$n" "$noop_c") ;;
    procrastinate,pickup) out=$("$python" -W ignore "$here/peers/procrastinate_peer.py" pickup "$url" "$pickup_n" 1) ;;
  esac
  drop "$url"
  echo "$out"
}

declare -A results
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$rounds"); do
  for row in shell noop pickup; do
    for peer in $peers; do
      figure=$(measure "$peer" "$row") || figure="failed"
      echo "round $round: $peer $row: $figure" >&2
      results[$peer,$row]+="$figure;"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The table: rates are the best of the rounds (highest), latencies the best (lowest p50, and
# the p99 of that round).
python3 - "$n" "$noop_c" "$pickup_n" "$versions" "$load_before" "$load_after" "$peers" <<EOF
import sys
n, c, pickup_n, versions, before, after, peers = sys.argv[1:]
peers = peers.split()
raw = {$(for key in "${!results[@]}"; do printf '"%s": "%s", ' "$key" "${results[$key]}"; done)}
def runs(peer, row):
    return [r for r in raw.get(f"{peer},{row}", "").split(";") if r and r != "failed"]
def rate(peer, row):
    got = [float(r) for r in runs(peer, row)]
    return f"{max(got):,.0f}" if got else "failed"
def pickup(peer, i):
    got = sorted((tuple(map(float, r.split())) for r in runs(peer, "pickup")), key=lambda p: p[0])
    return f"{got[0][i]:.1f}" if got else "failed"
rows = [
    (f"shell drain, {int(n):,} true, c=2 (jobs/s)", lambda p: rate(p, "shell")),
    (f"no-op drain, {int(n):,} jobs, c={c} (jobs/s)", lambda p: rate(p, "noop")),
    (f"idle pickup p50, {pickup_n} at 100/s (ms)", lambda p: pickup(p, 0)),
    (f"idle pickup p99 (ms)", lambda p: pickup(p, 1)),
]
head = ["", *peers]
table = [head] + [[what, *(f(p) for p in peers)] for what, f in rows]
widths = [max(len(r[i]) for r in table) for i in range(len(head))]
for i, r in enumerate(table):
    print("| " + " | ".join(x.ljust(w) if j == 0 else x.rjust(w) for j, (x, w) in enumerate(zip(r, widths))) + " |")
    if i == 0:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
print(f"\n{versions}; load average before {before}, after {after}")
EOF
