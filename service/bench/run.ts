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
 *     and the cores the client side (this process and wrk) used meanwhile;
 *  3. /api/health latency p50/p99 while count-prime load is 4× the pool's capacity (4 × WORKERS
 *     connections, so three in four requests wait in the queue) (target p99 ≤ 10 ms);
 *  4. req/s for trivial requests (/api/count-prime/2).
 *
 * The service is the built dist/server.js (as in the image), started with PORT=0 on 127.0.0.1.
 * The load generator is wrk when it is on PATH (a C program: it takes far less of the CPU the
 * service needs than autocannon, which runs in this Node process), autocannon otherwise; the run
 * prints and saves which one ran.
 * Environment: BENCH_SECONDS (per load phase, default 10), BENCH_LIMIT_MIN / BENCH_LIMIT_MAX
 * (default: the k6 load test's calibrated range, k6/lib/limits.ts), WORKERS (pool size,
 * default os.availableParallelism()), BENCH_TRIVIAL_CONNECTIONS (default 32), BENCH_GENERATOR
 * (wrk or autocannon; default wrk when on PATH, else autocannon).
 */
import autocannon from "autocannon";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { DEFAULT_LIMIT_RANGE } from "../../k6/lib/limits.js";
import { countPrimesBelow } from "../src/primes.js";

const HOST = "127.0.0.1";
const SECONDS = positiveInt("BENCH_SECONDS", 10);
const LIMIT_MIN = positiveInt("BENCH_LIMIT_MIN", DEFAULT_LIMIT_RANGE.min);
const LIMIT_MAX = positiveInt("BENCH_LIMIT_MAX", DEFAULT_LIMIT_RANGE.max);
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
const COUNT_PRIME_PATHS = LIMITS.map((limit) => `/api/count-prime/${limit}`);

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

/**
 * CPU seconds used so far by process `pid` (all its threads), from /proc; undefined off Linux.
 * With `withChildren`, plus those of its children that have exited and been waited for (wrk runs).
 */
function processCpuSeconds(pid: number | "self" | undefined, withChildren = false): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime + stime (+ cutime + cstime), in USER_HZ (100/s on Linux)
    const ticks = [11, 12, ...(withChildren ? [13, 14] : [])].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100;
  } catch {
    return undefined;
  }
}

/** after - before, two processCpuSeconds() readings; NaN off Linux. */
function cpuSecondsSince(before: number | undefined, after: number | undefined): number {
  return before !== undefined && after !== undefined ? after - before : Number.NaN;
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

/** What a load generator measured in one run. */
interface LoadResult {
  /** 2xx responses. */
  ok: number;
  /** Non-2xx responses, socket errors and timeouts. */
  failed: number;
  /** How long the run lasted. */
  seconds: number;
  /** Latency percentiles of the responses, in milliseconds. */
  latencyMs: { p50: number; p99: number; max: number };
}

interface LoadOptions {
  port: number;
  /** Request paths, sent in turn. */
  paths: readonly string[];
  connections: number;
  /** Whole seconds (wrk's -d takes no fractions). */
  seconds: number;
}

/** Runs load against the service; the phases below use only this. */
interface LoadGenerator {
  /** Name and version, printed and saved with the results. */
  name: string;
  /** As many requests as `connections` keep-alive connections can send, each as soon as the last answered. */
  load(options: LoadOptions): Promise<LoadResult>;
  /** One keep-alive connection, one request at a time, `intervalMs` between a response and the next request. */
  probe(options: { port: number; path: string; intervalMs: number; seconds: number }): Promise<LoadResult>;
}

const LOAD_TIMEOUT_SECONDS = 60;

/** Sorted latencies (ms) to the percentiles LoadResult reports. */
function latencySummary(sorted: number[]): LoadResult["latencyMs"] {
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * autocannon, in this process. The probe is a plain http.get loop instead: autocannon can only
 * cap a connection's requests per second (in bursts), and keeps latencies in whole milliseconds.
 */
function autocannonGenerator(): LoadGenerator {
  const version = (createRequire(import.meta.url)("autocannon/package.json") as { version: string }).version;
  return {
    name: `autocannon ${version}`,
    async load({ port, paths, connections, seconds }) {
      const result = await autocannon({
        url: `http://${HOST}:${port}`,
        connections,
        duration: seconds,
        timeout: LOAD_TIMEOUT_SECONDS,
        requests: paths.map((path) => ({ method: "GET", path })),
      });
      return {
        ok: result["2xx"],
        failed: result.non2xx + result.errors, // errors include timeouts
        seconds: result.duration,
        latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      };
    },
    async probe({ port, path, intervalMs, seconds }) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const latencies: number[] = [];
      let failed = 0;
      const get = () =>
        new Promise<void>((resolve, reject) => {
          const start = performance.now();
          http
            .get({ host: HOST, port, path, agent }, (res) => {
              res.resume();
              res.on("end", () => {
                if (res.statusCode === 200) latencies.push(performance.now() - start);
                else failed++;
                resolve();
              });
            })
            .on("error", reject);
        });
      const start = performance.now();
      const end = start + seconds * 1000;
      try {
        while (performance.now() < end) {
          await get();
          await sleep(intervalMs);
        }
      } finally {
        agent.destroy();
      }
      return {
        ok: latencies.length,
        failed,
        seconds: (performance.now() - start) / 1000,
        latencyMs: latencySummary(latencies.sort((a, b) => a - b)),
      };
    },
  };
}

/** The line wrk's done() hook prints, and the numbers it must hold. */
const WRK_RESULT_PREFIX = "BENCH_RESULT ";
const WRK_RESULT_KEYS = ["requests", "durationUs", "status", "connect", "read", "write", "timeout", "p50Us", "p99Us", "maxUs"] as const;

/**
 * The Lua script for one wrk run: sends `paths` in turn (wrk.format), waits `delayMs` after each
 * response when asked, and prints the summary as one JSON line (latencies in microseconds).
 */
function wrkScript(paths: readonly string[], delayMs: number): string {
  const fields = WRK_RESULT_KEYS.map((key) => `"${key}":%d`).join(",");
  return `-- written by service/bench/run.ts for one run
local paths = { ${paths.map((p) => JSON.stringify(p)).join(", ")} }
local i = 0
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
${delayMs > 0 ? `function delay() return ${delayMs} end\n` : ""}function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${WRK_RESULT_PREFIX}{${fields}}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;
}

/** Reads the done() hook's line from wrk's output; throws, quoting the output, if it is not all there. */
function parseWrkResult(stdout: string): LoadResult {
  const line = stdout
    .split("\n")
    .filter((l) => l.startsWith(WRK_RESULT_PREFIX))
    .at(-1);
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = line === undefined ? undefined : (JSON.parse(line.slice(WRK_RESULT_PREFIX.length)) as Record<string, unknown>);
  } catch {
    parsed = undefined;
  }
  const value = (key: (typeof WRK_RESULT_KEYS)[number]): number => {
    const v = parsed?.[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new Error(`wrk printed no usable ${key} in its ${WRK_RESULT_PREFIX.trim()} line; its output:\n${stdout}`);
    }
    return v;
  };
  // summary.requests counts every response; errors.status those with a status of 400 or more.
  const status = value("status");
  return {
    ok: value("requests") - status,
    failed: status + value("connect") + value("read") + value("write") + value("timeout"),
    seconds: value("durationUs") / 1e6,
    latencyMs: { p50: value("p50Us") / 1000, p99: value("p99Us") / 1000, max: value("maxUs") / 1000 },
  };
}

/**
 * wrk, as a child process with one thread (enough for these rates: more would only take CPU from
 * the service). undefined when wrk is not on PATH.
 */
function wrkGenerator(): LoadGenerator | undefined {
  const check = spawnSync("wrk", ["-v"], { encoding: "utf8" }); // prints the version, exits 1
  if (check.error) return undefined;
  const version = /\d+\.\d+\.\d+/.exec(`${check.stdout}${check.stderr}`)?.[0] ?? "(unknown version)";

  async function run(port: number, paths: readonly string[], connections: number, seconds: number, delayMs: number): Promise<LoadResult> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-wrk-"));
    try {
      const script = path.join(dir, "load.lua");
      writeFileSync(script, wrkScript(paths, delayMs));
      const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", `${LOAD_TIMEOUT_SECONDS}s`, "-s", script, `http://${HOST}:${port}/`];
      const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("close", resolve);
      });
      if (code !== 0) throw new Error(`wrk ${args.join(" ")} exited with ${code}:\n${stdout}${stderr}`);
      return parseWrkResult(stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    name: `wrk ${version}`,
    load: ({ port, paths, connections, seconds }) => run(port, paths, connections, seconds, 0),
    probe: ({ port, path, intervalMs, seconds }) => run(port, [path], 1, seconds, intervalMs),
  };
}

/** BENCH_GENERATOR=wrk or autocannon picks one; by default wrk when it is on PATH. */
function pickGenerator(): LoadGenerator {
  const wanted = process.env.BENCH_GENERATOR ?? "";
  if (wanted === "autocannon") return autocannonGenerator();
  if (wanted !== "" && wanted !== "wrk") throw new Error(`BENCH_GENERATOR must be wrk or autocannon, got ${wanted}`);
  const wrk = wrkGenerator();
  if (wrk) return wrk;
  if (wanted === "wrk") throw new Error("BENCH_GENERATOR=wrk, but wrk is not on PATH");
  return autocannonGenerator();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const generator = pickGenerator();
  console.log(
    `bench: Node ${process.version}, ${os.availableParallelism()} cores, pool size ${WORKERS}, ` +
      `limits ${LIMIT_MIN}-${LIMIT_MAX}, ${SECONDS} s per load phase, load generator ${generator.name}`,
  );

  // 1. Raw compute bound (before the server exists: nothing else competes for the CPU).
  const raw = rawCallsPerSecond(Math.min(SECONDS, 5));
  const perThread = raw.wall;
  const bound = perThread * WORKERS;
  const parallel = await parallelCallsPerSecond(WORKERS, Math.min(SECONDS, 5));

  const server = await startServer();
  const countPrimeLoad = (connections: number, seconds: number) =>
    generator.load({ port: server.port, paths: COUNT_PRIME_PATHS, connections, seconds });
  try {
    // Warm the workers' JIT on the same mix.
    await countPrimeLoad(2 * WORKERS, 2);

    // 2. Service throughput on the same limits (2 requests per worker: one running, one ready).
    // CPU of the server process, and of the client side: this process (autocannon, or waiting on
    // wrk and draining the server's logs) and its children that have finished (wrk).
    const serverCpuBefore = processCpuSeconds(server.pid);
    const clientCpuBefore = processCpuSeconds("self", true);
    const throughput = await countPrimeLoad(2 * WORKERS, SECONDS);
    const serverCpuSeconds = cpuSecondsSince(serverCpuBefore, processCpuSeconds(server.pid));
    const clientCpuSeconds = cpuSecondsSince(clientCpuBefore, processCpuSeconds("self", true));
    const serviceRps = throughput.ok / throughput.seconds;
    // Requests per CPU-second of the whole server process (event loop + workers), against the raw
    // calls per CPU-second: the service's own overhead, whatever else runs on the machine.
    const servicePerCpuSecond = throughput.ok / serverCpuSeconds;

    // 3. Health latency under 4x the pool's capacity, probed from 0.5 s into the load (its steady
    // state) until about 0.5 s before its end.
    const [overloadResult, health] = await Promise.all([
      countPrimeLoad(4 * WORKERS, SECONDS),
      sleep(500).then(() =>
        generator.probe({ port: server.port, path: "/api/health", intervalMs: 10, seconds: Math.max(1, SECONDS - 1) }),
      ),
    ]);
    if (health.failed > 0) throw new Error(`/api/health failed ${health.failed} of ${health.ok + health.failed} probes`);

    // 4. Trivial requests.
    const trivial = await generator.load({
      port: server.port,
      paths: ["/api/count-prime/2"],
      connections: TRIVIAL_CONNECTIONS,
      seconds: SECONDS,
    });
    const trivialRps = trivial.ok / trivial.seconds;

    const results = {
      date: new Date().toISOString(),
      generator: generator.name,
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
      serviceErrors: throughput.failed,
      serverCoresUsed: round(serverCpuSeconds / throughput.seconds, 2),
      clientCoresUsed: round(clientCpuSeconds / throughput.seconds, 2),
      rawCallsPerCpuSecond: round(raw.cpu),
      serviceRequestsPerCpuSecond: round(servicePerCpuSecond),
      cpuEfficiencyRatio: round(servicePerCpuSecond / raw.cpu, 3),
      healthUnderLoad: {
        countPrimeConnections: 4 * WORKERS,
        countPrimeRps: round(overloadResult.ok / overloadResult.seconds),
        countPrimeNon2xx: overloadResult.failed,
        samples: health.ok,
        p50Ms: round(health.latencyMs.p50, 2),
        p99Ms: round(health.latencyMs.p99, 2),
        maxMs: round(health.latencyMs.max, 2),
      },
      trivialRps: round(trivialRps),
      trivialConnections: TRIVIAL_CONNECTIONS,
      trivialLatencyP99Ms: round(trivial.latencyMs.p99, 2),
      trivialErrors: trivial.failed,
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
        detail: `${results.serviceRequestsPerCpuSecond} req per server CPU-s (${results.serverCoresUsed} cores busy; bench process + load generator ${results.clientCoresUsed}) vs ${results.rawCallsPerCpuSecond} raw calls per CPU-s`,
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
