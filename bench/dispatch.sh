#!/usr/bin/env bash
# W1, one process per job: the time of one `queue dispatch` process beside the sqlite3 CLI
# inserting one row of the same size into a WAL database, measured by hyperfine in one run.
# Measured twice: with no other process holding the store (each dispatch must then rebuild the
# WAL index), and while a worker holds it open, as in production.
# usage: bench/dispatch.sh [path/to/queue]   (needs hyperfine and sqlite3: apt-get install hyperfine sqlite3)
set -euo pipefail
queue=$(realpath "${1:-target/release/queue}")
tmp=$(mktemp -d)
trap 'kill "${worker:-0}" 2>/dev/null; rm -rf "$tmp"' EXIT
export QUEUE_DATABASE=$tmp/q.sqlite
$queue migrate -q
sqlite3 "$tmp/raw.sqlite" "PRAGMA journal_mode=WAL; CREATE TABLE jobs(id INTEGER PRIMARY KEY, queue TEXT, payload TEXT, available_at INT, created_at INT);" >/dev/null
row="INSERT INTO jobs(queue, payload, available_at, created_at) VALUES('default', '{\"command\":[\"true\"]}', 0, 0)"
hyperfine -N --warmup 20 --runs 300 \
  "$queue dispatch -q -- true" \
  "sqlite3 $tmp/raw.sqlite \"$row\""
echo "== again, while a worker (on another queue) holds the store open"
$queue work --queue idle --quiet &
worker=$!
sleep 0.5
hyperfine -N --warmup 20 --runs 300 \
  "$queue dispatch -q -- true" \
  "sqlite3 $tmp/raw.sqlite \"$row\""
