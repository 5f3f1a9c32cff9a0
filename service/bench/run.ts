/**
 * `npm run bench`: service benchmarks on 127.0.0.1, one run, printed as a table and saved as JSON
 * under service/bench-results/ (git-ignored). Not part of `npm test`.
 *
 *  1. raw compute bound: countPrimesBelow() calls per second on one thread, in process, over the
 *     load-test limit range, times the pool size (plus, for reference, the pool size's threads
 *     measured in parallel);
 *  2. the service's count-prime req/s over the same limits, and its ratio to 1 (target ≥ 0.95);
 *     also per CPU-second (requests per CPU-second of the whole server process against raw calls
 *     per CPU-second): the service's own overhead, which other load on a shared machine cannot skew;
 *  3. /api/health latency p50/p99 while count-prime load is 4× the pool's capacity (4 × WORKERS
 *     connections, so three in four requests wait in the queue) (target p99 ≤ 10 ms);
 *  4. req/s for trivial requests (/api/count-prime/2).
 *
 * The service is the built dist/server.js (as in the image), started with PORT=0 on 127.0.0.1.
 * Environment: BENCH_SECONDS (per load phase, default 10), BENCH_LIMIT_MIN / BENCH_LIMIT_MAX
 * (default 150000 / 250000, the k6 load-test range until k6 calibrates it), WORKERS (pool size,
 * default os.availableParallelism()), BENCH_TRIVIAL_CONNECTIONS (default 32).
 */
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { countPrimesBelow } from "../src/primes.js";

const HOST = "127.0.0.1";
const SECONDS = positiveInt("BENCH_SECONDS", 10);
const LIMIT_MIN = positiveInt("BENCH_LIMIT_MIN", 150_000);
const LIMIT_MAX = positiveInt("BENCH_LIMIT_MAX", 250_000);
const WORKERS = positiveInt("WORKERS", os.availableParallelism());
const TRIVIAL_CONNECTIONS = positiveInt("BENCH_TRIVIAL_CONNECTIONS", 32);
const SERVER_ENTRY = fileURLToPath(new URL("../dist/server.js", import.meta.url));
const PRIMES_MODULE = new URL("../dist/primes.js", import.meta.url).href;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** 101 limits evenly over [LIMIT_MIN, LIMIT_MAX]: the same mix for the raw bound and the service. */
const LIMITS = Array.from({ length: 101 }, (_, i) => Math.round(LIMIT_MIN + ((LIMIT_MAX - LIMIT_MIN) * i) / 100));

/**
 * countPrimesBelow over LIMITS on this thread for about `seconds`: calls per second of wall time,
 * and per second of CPU time (which other processes on the machine cannot skew).
 */
function rawCallsPerSecond(seconds: number): { wall: number; cpu: number } {
  for (let i = 0; i < 20; i++) countPrimesBelow(LIMITS[i % LIMITS.length]!); // warm-up (JIT)
  let calls = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) countPrimesBelow(LIMITS[calls++ % LIMITS.length]!);
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { wall: calls / wallSeconds, cpu: calls / ((cpu.user + cpu.system) / 1e6) };
}

/** CPU seconds used so far by process `pid` (all its threads), from /proc; undefined off Linux. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s on Linux)
  } catch {
    return undefined;
  }
}

/** The same measurement on `threads` worker threads at once (dist/primes.js): their summed calls/s. */
async function parallelCallsPerSecond(threads: number, seconds: number): Promise<number> {
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.primes).then(({ countPrimesBelow }) => {
      const { limits, seconds } = workerData;
      for (let i = 0; i < 20; i++) countPrimesBelow(limits[i % limits.length]);
      let calls = 0;
      const start = performance.now(), end = start + seconds * 1000;
      while (performance.now() < end) countPrimesBelow(limits[calls++ % limits.length]);
      parentPort.postMessage(calls / ((performance.now() - start) / 1000));
    });`;
  const rates = await Promise.all(
    Array.from({ length: threads }, () => {
      const worker = new Worker(source, { eval: true, workerData: { primes: PRIMES_MODULE, limits: LIMITS, seconds } });
      return new Promise<number>((resolve, reject) => {
        worker.once("message", (rate: number) => resolve(rate));
        worker.once("error", reject);
      }).finally(() => void worker.terminate());
    }),
  );
  return rates.reduce((a, b) => a + b, 0);
}

/** Starts dist/server.js on an ephemeral port; resolves once it logs "listening". */
async function startServer(): Promise<{ port: number; pid: number | undefined; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { ...process.env, PORT: "0", HOST, WORKERS: String(WORKERS), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const match = /"port":(\d+).*"msg":"listening"/.exec(buffer);
      if (match) {
        child.stdout.off("data", onData);
        child.stdout.resume(); // keep draining the request logs (they are part of the cost)
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return {
    port,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

function countPrimeLoad(port: number, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://${HOST}:${port}`,
    connections,
    duration: seconds,
    timeout: 60,
    requests: LIMITS.map((limit) => ({ method: "GET", path: `/api/count-prime/${limit}` })),
  });
}

/** Sequential /api/health probes on one keep-alive connection until `until` resolves; latencies in ms. */
async function probeHealth(port: number, until: Promise<unknown>, intervalMs = 10): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let done = false;
  void until.then(() => (done = true));
  const latencies: number[] = [];
  const get = () =>
    new Promise<void>((resolve, reject) => {
      const start = performance.now();
      http
        .get({ host: HOST, port, path: "/api/health", agent }, (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode !== 200) reject(new Error(`health answered ${res.statusCode}`));
            latencies.push(performance.now() - start);
            resolve();
          });
        })
        .on("error", reject);
    });
  await sleep(500); // let the load reach its steady state first
  while (!done) {
    await get();
    await sleep(intervalMs);
  }
  agent.destroy();
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  console.log(
    `bench: Node ${process.version}, ${os.availableParallelism()} cores, pool size ${WORKERS}, ` +
      `limits ${LIMIT_MIN}-${LIMIT_MAX}, ${SECONDS} s per load phase`,
  );

  // 1. Raw compute bound (before the server exists: nothing else competes for the CPU).
  const raw = rawCallsPerSecond(Math.min(SECONDS, 5));
  const perThread = raw.wall;
  const bound = perThread * WORKERS;
  const parallel = await parallelCallsPerSecond(WORKERS, Math.min(SECONDS, 5));

  const server = await startServer();
  try {
    // Warm the workers' JIT on the same mix.
    await countPrimeLoad(server.port, 2 * WORKERS, 2);

    // 2. Service throughput on the same limits (2 requests per worker: one running, one ready).
    const cpuBefore = processCpuSeconds(server.pid);
    const throughput = await countPrimeLoad(server.port, 2 * WORKERS, SECONDS);
    const cpuAfter = processCpuSeconds(server.pid);
    const serviceRps = throughput["2xx"] / throughput.duration;
    // Requests per CPU-second of the whole server process (event loop + workers), against the raw
    // calls per CPU-second: the service's own overhead, whatever else runs on the machine.
    const serverCpuSeconds = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : Number.NaN;
    const servicePerCpuSecond = throughput["2xx"] / serverCpuSeconds;

    // 3. Health latency under 4x the pool's capacity.
    const overload = countPrimeLoad(server.port, 4 * WORKERS, SECONDS);
    const latencies = (await probeHealth(server.port, overload)).sort((a, b) => a - b);
    const overloadResult = await overload;

    // 4. Trivial requests.
    const trivial = await autocannon({
      url: `http://${HOST}:${server.port}/api/count-prime/2`,
      connections: TRIVIAL_CONNECTIONS,
      duration: SECONDS,
    });
    const trivialRps = trivial["2xx"] / trivial.duration;

    const results = {
      date: new Date().toISOString(),
      node: process.version,
      cores: os.availableParallelism(),
      workers: WORKERS,
      limits: [LIMIT_MIN, LIMIT_MAX],
      seconds: SECONDS,
      rawPerThreadCallsPerSecond: round(perThread),
      rawBoundCallsPerSecond: round(bound),
      rawParallelCallsPerSecond: round(parallel),
      serviceCountPrimeRps: round(serviceRps),
      serviceToBoundRatio: round(serviceRps / bound, 3),
      serviceToParallelRatio: round(serviceRps / parallel, 3),
      serviceErrors: throughput.errors + throughput.non2xx,
      serverCoresUsed: round(serverCpuSeconds / throughput.duration, 2),
      rawCallsPerCpuSecond: round(raw.cpu),
      serviceRequestsPerCpuSecond: round(servicePerCpuSecond),
      cpuEfficiencyRatio: round(servicePerCpuSecond / raw.cpu, 3),
      healthUnderLoad: {
        countPrimeConnections: 4 * WORKERS,
        countPrimeRps: round(overloadResult["2xx"] / overloadResult.duration),
        countPrimeNon2xx: overloadResult.non2xx + overloadResult.errors,
        samples: latencies.length,
        p50Ms: round(percentile(latencies, 50), 2),
        p99Ms: round(percentile(latencies, 99), 2),
        maxMs: round(latencies.at(-1) ?? Number.NaN, 2),
      },
      trivialRps: round(trivialRps),
      trivialConnections: TRIVIAL_CONNECTIONS,
      trivialLatencyP99Ms: trivial.latency.p99,
      trivialErrors: trivial.errors + trivial.non2xx,
    };

    const h = results.healthUnderLoad;
    console.table({
      "1. raw compute bound (calls/s)": {
        value: results.rawBoundCallsPerSecond,
        detail: `${results.rawPerThreadCallsPerSecond}/s per thread x ${WORKERS}; ${results.rawParallelCallsPerSecond}/s measured on ${WORKERS} threads at once`,
      },
      "2. service count-prime (req/s)": {
        value: results.serviceCountPrimeRps,
        detail: `ratio to 1: ${results.serviceToBoundRatio} (target >= 0.95); to the parallel measurement: ${results.serviceToParallelRatio}; non-2xx/errors: ${results.serviceErrors}`,
      },
      "2b. per CPU-second: service / raw": {
        value: results.cpuEfficiencyRatio,
        detail: `${results.serviceRequestsPerCpuSecond} req per server CPU-s (${results.serverCoresUsed} cores busy) vs ${results.rawCallsPerCpuSecond} raw calls per CPU-s`,
      },
      "3. /api/health p99 under 4x load (ms)": {
        value: h.p99Ms,
        detail: `p50 ${h.p50Ms} ms, max ${h.maxMs} ms, ${h.samples} probes (target p99 <= 10 ms); count-prime ${h.countPrimeRps} req/s on ${h.countPrimeConnections} connections, non-2xx/errors: ${h.countPrimeNon2xx}`,
      },
      "4. trivial /api/count-prime/2 (req/s)": {
        value: results.trivialRps,
        detail: `${TRIVIAL_CONNECTIONS} connections, p99 ${results.trivialLatencyP99Ms} ms, non-2xx/errors: ${results.trivialErrors}`,
      },
    });

    const dir = fileURLToPath(new URL("../bench-results/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}${results.date.replace(/[:.]/g, "-")}.json`;
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`saved ${file}`);
  } finally {
    const code = await server.stop();
    if (code !== 0) console.error(`the server exited with ${code} on SIGTERM`);
  }
}

await main();
