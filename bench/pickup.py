#!/usr/bin/env python3
"""W3 of shared/reference/peer-benchmarks.md: idle pickup latency.

One worker with the default --sleep 3 waits on an empty store. The client offers 100 jobs/s;
each job is `touch FILE`, and the latency of a job is FILE's mtime minus the client's clock just
before it started `queue dispatch` (so it includes the dispatch process itself). "first" is the
first job after the worker has been idle for 2 s.

usage: bench/pickup.py [path/to/queue] [jobs]   (default 200 jobs, as issue 18 measures it)
The store is a new SQLite file, or QUEUE_BENCH_STORE (a path or a postgres:// URL) if set.
"""
import os, statistics, subprocess, sys, tempfile, time

queue = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/queue")
jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
tmp = tempfile.mkdtemp(prefix="queue-pickup-")
store = os.environ.get("QUEUE_BENCH_STORE") or os.path.join(tmp, "q.sqlite")
env = dict(os.environ, QUEUE_DATABASE=store)
subprocess.run([queue, "migrate", "-q"], env=env, check=True)
worker = subprocess.Popen([queue, "work", "--sleep", "3", "-q"], env=env)
try:
    time.sleep(2)
    latencies = []
    for i in range(jobs):
        path = os.path.join(tmp, f"job-{i}")
        t0 = time.time_ns()
        subprocess.run([queue, "dispatch", "-q", "--", "touch", path], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        latencies.append((path, t0))
        time.sleep(max(0.0, 0.01 - (time.time_ns() - t0) / 1e9))
    deadline = time.time() + 30
    while not all(os.path.exists(p) for p, _ in latencies):
        if time.time() > deadline:
            sys.exit("jobs did not run within 30 s")
        time.sleep(0.01)
    ms = [(os.stat(p).st_mtime_ns - t0) / 1e6 for p, t0 in latencies]
    q = statistics.quantiles(ms, n=100)
    print(f"pickup over {jobs} jobs at 100/s, --sleep 3: p50 {q[49]:.2f} ms, p99 {q[98]:.2f} ms, "
          f"max {max(ms):.2f} ms, first {ms[0]:.2f} ms")
finally:
    worker.terminate()
    worker.wait()
