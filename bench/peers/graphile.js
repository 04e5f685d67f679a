// graphile-worker's side of bench/peers.sh. usage: node graphile.js MODE URL N CONCURRENCY
//   shell:  N jobs whose task spawns `true`, drained by a runner of CONCURRENCY; prints jobs/s
//   noop:   N no-op jobs, drained with its batching on (local queue, batched completions)
//   pickup: an idle runner; N jobs added at 100/s; prints p50 p99 ms (addJob to task start)
// The jobs are added before the drain starts (not timed); the drain ends when every job ran.
const { run, makeWorkerUtils, Logger } = require("graphile-worker");
const { spawn } = require("child_process");

const [mode, connectionString, nText, cText] = process.argv.slice(2);
const n = Number(nText);
const concurrency = Number(cText || 1);
// Quiet, as the other workers run: a line per job would be most of the cost.
const logger = new Logger(() => () => {});
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn("true", { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

function quantile(sorted, p) {
  return sorted[Math.round((sorted.length - 1) * p)];
}

async function main() {
  const utils = await makeWorkerUtils({ connectionString, logger });
  await utils.migrate();
  let done = 0;
  let finish;
  const allDone = new Promise((resolve) => (finish = resolve));
  const seen = new Set();
  const latencies = [];
  const task = async (payload) => {
    if (mode === "shell") await spawnTrue();
    if (mode === "pickup") latencies.push(nowMs() - payload.t0);
    if (seen.has(payload.i)) throw new Error(`job ${payload.i} ran twice`);
    seen.add(payload.i);
    if (++done === n) finish();
  };
  const options = { connectionString, logger, concurrency, noHandleSignals: true, taskList: { t: task } };
  if (mode === "noop") {
    // Its documented throughput settings: a local queue of fetched jobs, batched completions.
    options.preset = {
      worker: { localQueue: { size: 10 * concurrency }, completeJobBatchDelay: 0 },
    };
  }
  if (mode !== "pickup") {
    for (let i = 0; i < n; i += 1000) {
      const specs = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) specs.push({ identifier: "t", payload: { i: j } });
      await utils.addJobs(specs);
    }
    const started = nowMs();
    const runner = await run(options);
    await allDone;
    const took = (nowMs() - started) / 1000;
    await runner.stop();
    await utils.release();
    console.log((n / took).toFixed(0));
    return;
  }
  const runner = await run(options);
  await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < n; i++) {
    const t0 = nowMs();
    await utils.addJob("t", { i, t0 });
    const spent = nowMs() - t0;
    await new Promise((r) => setTimeout(r, Math.max(0, 10 - spent)));
  }
  await allDone;
  await runner.stop();
  await utils.release();
  latencies.sort((a, b) => a - b);
  console.log(`${quantile(latencies, 0.5).toFixed(2)} ${quantile(latencies, 0.99).toFixed(2)}`);
}

main().catch((e) => {
  console.error(`graphile-worker: ${e.stack || e}`);
  process.exit(1);
});
