#!/usr/bin/env bash
# `queue ui` at scale (PRODUCT.md §10's limits): a store with 1,000,000 queued jobs
# (`dispatch --file`, streamed, over three queues) and 100,000 failed ones (real failures: a
# worker runs 100,000 jobs that exit 2, one in a hundred saying "disk-full"), then the
# dashboard's answers timed over HTTP (one warm-up, then the median and worst of 20 requests):
#   overview (/)                       limit 200 ms
#   failed-jobs search (/failed?grep=) limit 200 ms
#   /metrics                           limit 100 ms
#   jobs page (/jobs), and its next page (the "Older" link)   limit 200 ms
# and, for information, /api/queues, /api/failed, and /jobs filtered: by queue and by state
# (served by indexes), and searching a text (a bounded window of each table per page).
# usage: bench/ui.sh [path/to/queue] [QUEUED] [FAILED]   (PG_URL=postgres://… for PostgreSQL)
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
queued=${2:-1000000}
failed=${3:-100000}
tmp=$(mktemp -d)
ui=
trap '[ -n "$ui" ] && kill "$ui" 2>/dev/null; rm -rf "$tmp"' EXIT
export QUEUE_DATABASE=${PG_URL:-$tmp/q.sqlite}
$queue migrate -q
python3 - "$failed" > "$tmp/failed.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    said = "disk-full on /var" if i % 100 == 0 else "upstream said 503"
    print(json.dumps({"shell": f"echo 'import {i}: {said}'; exit 2", "queue": "imports",
                      "name": f"import-{i}", "tries": 1}))
PY
python3 - "$queued" > "$tmp/queued.jsonl" <<'PY'
import json, sys
queues = ["default", "emails", "reports"]
for i in range(int(sys.argv[1])):
    print(json.dumps({"command": ["true"], "queue": queues[i % 3], "name": f"job-{i % 1000}"}))
PY
start=$(date +%s)
$queue dispatch -q --file "$tmp/failed.jsonl" > /dev/null
$queue work -q --queue imports --stop-when-empty --concurrency 8 > /dev/null 2>&1
echo "failed $failed jobs for real in $(( $(date +%s) - start )) s"
start=$(date +%s)
$queue dispatch -q --file "$tmp/queued.jsonl" > /dev/null
echo "dispatched $queued jobs in $(( $(date +%s) - start )) s"
$queue ui --listen 127.0.0.1:0 > "$tmp/ui.out" &
ui=$!
for _ in $(seq 100); do grep -q http "$tmp/ui.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[^ /]*' "$tmp/ui.out")
python3 - "$url" <<'PY'
import html, re, statistics, sys, time, urllib.request
url = sys.argv[1]
with urllib.request.urlopen(url + "/jobs") as r:
    older = html.unescape(re.search(r'id="next" href="([^"]+)"', r.read().decode()).group(1))
cases = [
    ("overview (/)", "/", 200),
    ("failed search (/failed?grep=disk-full)", "/failed?grep=disk-full", 200),
    ("/metrics", "/metrics", 100),
    ("jobs page (/jobs)", "/jobs", 200),
    ("jobs next page (/jobs?after=…)", older, 200),
    ("/api/queues", "/api/queues", None),
    ("/api/failed?queue=imports&grep=disk-full", "/api/failed?queue=imports&grep=disk-full", None),
    ("/jobs?queue=emails", "/jobs?queue=emails", None),
    ("/jobs?state=failed", "/jobs?state=failed", None),
    ("/jobs?state=pending&queue=reports", "/jobs?state=pending&queue=reports", None),
    ("/jobs?grep=disk-full (one page's window)", "/jobs?grep=disk-full", None),
    ("/jobs?state=failed&grep=disk-full", "/jobs?state=failed&grep=disk-full", None),
    ("/api/jobs?limit=1000", "/api/jobs?limit=1000", None),
]
for name, path, limit in cases:
    times = []
    for i in range(21):
        t = time.perf_counter()
        with urllib.request.urlopen(url + path) as r:
            r.read()
            assert r.status == 200
        if i:
            times.append((time.perf_counter() - t) * 1000)
    med, worst = statistics.median(times), max(times)
    verdict = "" if limit is None else (f"  limit {limit} ms: " + ("ok" if med < limit else "OVER"))
    print(f"{name:45s} median {med:7.1f} ms  worst {worst:7.1f} ms{verdict}")
PY
