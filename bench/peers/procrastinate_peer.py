"""procrastinate's side of bench/peers.sh. usage: python procrastinate_peer.py MODE URL N CONCURRENCY
  shell:  N jobs whose async task runs `true` as a subprocess, a worker of CONCURRENCY; jobs/s
  noop:   N no-op async jobs, a worker of CONCURRENCY; jobs/s
  pickup: an idle worker (LISTEN/NOTIFY on, its default); N jobs deferred at 100/s; p50 p99 ms
The jobs are deferred before the drain starts (not timed); `run_worker_async(wait=False)`
returns once the queue is empty and every job's status is written.
"""
import asyncio
import sys
import time

import procrastinate

mode, url, n, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
seen = set()
latencies = []


def now_ms():
    return time.perf_counter_ns() / 1e6


@app.task(name="t")
async def t(i, t0=None):
    if mode == "shell":
        child = await asyncio.create_subprocess_exec("true")
        await child.wait()
    if t0 is not None:
        latencies.append(now_ms() - t0)
    if i in seen:
        raise RuntimeError(f"job {i} ran twice")
    seen.add(i)


async def main():
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        options = dict(concurrency=concurrency, install_signal_handlers=False, name="bench")
        if mode != "pickup":
            for start in range(0, n, 1000):
                await t.batch_defer_async(*({"i": i} for i in range(start, min(n, start + 1000))))
            started = now_ms()
            await app.run_worker_async(wait=False, **options)
            took = (now_ms() - started) / 1000
            assert len(seen) == n, f"{len(seen)} of {n} jobs ran"
            print(f"{n / took:.0f}")
            return
        worker = asyncio.create_task(app.run_worker_async(wait=True, **options))
        await asyncio.sleep(1)
        for i in range(n):
            t0 = now_ms()
            await t.defer_async(i=i, t0=t0)
            await asyncio.sleep(max(0, 0.01 - (now_ms() - t0) / 1000))
        deadline = time.time() + 30
        while len(seen) < n and time.time() < deadline:
            await asyncio.sleep(0.005)
        worker.cancel()
        try:
            await worker
        except asyncio.CancelledError:
            pass
        latencies.sort()
        at = lambda p: latencies[round((len(latencies) - 1) * p)]
        print(f"{at(0.5):.2f} {at(0.99):.2f}")


asyncio.run(main())
