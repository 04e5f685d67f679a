// pg-boss's side of bench/peers.sh. usage: node pgboss.js MODE URL N CONCURRENCY [BATCH]
//   shell:  N jobs whose handler spawns `true`, CONCURRENCY workers of batchSize 1; jobs/s
//   noop:   N no-op jobs, CONCURRENCY workers of batchSize BATCH (default 10); jobs/s
//   pickup: one idle worker; N jobs sent at 100/s; prints p50 p99 ms (send to handler start)
// A pg-boss worker waits out its polling interval (0.5 s at least) after every fetch, even one
// that found jobs; "burst" (notifyWorker after a full batch) lets it fetch again at once, and
// the pickup notifies the worker after each send (both in-process, as pg-boss offers). A drain
// ends when every job is marked completed in the database (completions are sent unawaited).
const PgBoss = require("pg-boss");
const { spawn } = require("child_process");

const [mode, connectionString, nText, cText, bText] = process.argv.slice(2);
const n = Number(nText);
const concurrency = Number(cText || 1);
const batchSize = mode === "noop" ? Number(bText || 10) : 1;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const queue = "bench";

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn("true", { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

async function main() {
  const boss = new PgBoss({ connectionString, supervise: false, schedule: false });
  boss.on("error", (e) => console.error(`pg-boss: ${e.message}`));
  await boss.start();
  await boss.createQueue(queue);
  const seen = new Set();
  const latencies = [];
  const ids = [];
  const handler = async (jobs) => {
    for (const job of jobs) {
      if (mode === "shell") await spawnTrue();
      if (mode === "pickup") latencies.push(nowMs() - job.data.t0);
      if (seen.has(job.data.i)) throw new Error(`job ${job.data.i} ran twice`);
      seen.add(job.data.i);
    }
    if (mode !== "pickup" && jobs.length === batchSize) ids.forEach((id) => boss.notifyWorker(id));
  };
  const completed = async () => {
    const { rows } = await boss.getDb().executeSql(
      "SELECT count(*)::int AS c FROM pgboss.job WHERE name = $1 AND state = 'completed'",
      [queue],
    );
    return rows[0].c;
  };
  const options = { batchSize, pollingIntervalSeconds: 0.5 };
  if (mode !== "pickup") {
    for (let i = 0; i < n; i += 1000) {
      const jobs = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) jobs.push({ name: queue, data: { i: j } });
      await boss.insert(jobs);
    }
    const started = nowMs();
    for (let w = 0; w < concurrency; w++) ids.push(await boss.work(queue, options, handler));
    while ((await completed()) < n) await sleep(2);
    const took = (nowMs() - started) / 1000;
    await boss.stop({ graceful: false, wait: true });
    console.log((n / took).toFixed(0));
    return;
  }
  const id = await boss.work(queue, { ...options, pollingIntervalSeconds: 3 }, handler);
  await sleep(1000);
  for (let i = 0; i < n; i++) {
    const t0 = nowMs();
    await boss.send(queue, { i, t0 });
    boss.notifyWorker(id);
    await sleep(Math.max(0, 10 - (nowMs() - t0)));
  }
  while (seen.size < n) await sleep(5);
  await boss.stop({ graceful: false, wait: true });
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.round((latencies.length - 1) * p)];
  console.log(`${at(0.5).toFixed(2)} ${at(0.99).toFixed(2)}`);
}

main().catch((e) => {
  console.error(`pg-boss: ${e.stack || e}`);
  process.exit(1);
});
