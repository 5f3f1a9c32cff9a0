/**
 * `npm run bench`: service benchmarks on 127.0.0.1, one run, printed as a table against its
 * targets and saved as JSON under service/bench-results/ (git-ignored; `npm run bench:summary`
 * prints medians over saved runs). Not part of `npm test`.
 *
 *  1. hand-off: the event loop's CPU per count handed to the worker pool (at INLINE_LIMIT_MAX + 1)
 *     against a count answered in place (at INLINE_LIMIT_MAX), in this process;
 *  2. serving efficiency at the k6 load test's limit range: the service's req/s against the raw
 *     bound, countPrimesBelow() on as many threads at once (raw-bound.ts, on the service's Node),
 *     measured before and after the service phase (the machine's speed drifts);
 *  3. /api/health p50/p99 while count-prime load is 4x what the workers can run at once;
 *  4. /api/count-prime/2 on 32 connections, the service and the FastAPI peer in turns, and the
 *     service's event-loop CPU per request (its bottleneck there);
 *  5. the seed's limit range (10000-20000), the same way;
 *  6. overload: 10x as many connections as the service accepts requests (WORKERS + MAX_QUEUE),
 *     every answer a 200 or a 503 with Retry-After, and the server's resident memory.
 *
 * The service is the built dist/server.js (as in the image), with its defaults but WORKERS, run by
 * BENCH_NODE (a node binary; default: the Node running this benchmark), which also runs row 2's
 * raw bound (raw-bound.ts, in a child process); row 1 and autocannon run in this process.
 * The peer runs when Python can import fastapi and uvicorn (servers.ts says where it looks);
 * otherwise its rows say why they were skipped.
 * Environment: BENCH_SECONDS (per load phase, default 10; comparisons use 0.4 of it per turn),
 * BENCH_LIMIT_MIN / BENCH_LIMIT_MAX (default: the k6 range, k6/lib/limits.ts), WORKERS (pool size,
 * default os.availableParallelism()), BENCH_GENERATOR (wrk or autocannon), BENCH_NODE, BENCH_PEER_DIR,
 * PEER_PYTHON.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { DEFAULT_LIMIT_RANGE } from "../../k6/lib/limits.js";
import { DEFAULTS } from "../src/config.js";
import { createPrimePool, INLINE_LIMIT_MAX, type CountPrimes } from "../src/pool.js";
import { timedCountPrimesBelow } from "../src/primes.js";
import { pickGenerator, type LoadGenerator, type LoadResult } from "./load-generators.js";
import { rawBound } from "./raw-bound.js";
import {
  findPeer,
  mainThreadCpuSeconds,
  processCpuSeconds,
  residentMiB,
  serviceNode,
  startPeer,
  startService,
  type RunningServer,
} from "./servers.js";
import { median } from "./stats.js";
import { commandLineOrExit, refuseArguments } from "../../scripts/cli-usage.js";

const SECONDS = positiveInt("BENCH_SECONDS", 10);
const COMPARE_SECONDS = Math.max(2, Math.round(SECONDS * 0.4));
const COMPARE_TURNS = 3;
const LIMIT_MIN = positiveInt("BENCH_LIMIT_MIN", DEFAULT_LIMIT_RANGE.min);
const LIMIT_MAX = positiveInt("BENCH_LIMIT_MAX", DEFAULT_LIMIT_RANGE.max);
const WORKERS = positiveInt("WORKERS", os.availableParallelism());
/** The seed blog's limits: what its FastAPI service was load-tested with. */
const SEED_RANGE = { min: 10_000, max: 20_000 };
const COMPARE_CONNECTIONS = 32;
/** Requests the service accepts at once with its default MAX_QUEUE. */
const CAPACITY = WORKERS + DEFAULTS.maxQueuePerWorker * WORKERS;
const OVERLOAD_CONNECTIONS = 10 * CAPACITY;
/** The Node that runs the service and the raw bound (BENCH_NODE). */
const NODE = serviceNode();

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** 101 limits evenly over [min, max]: the same mix for the raw bound and the servers. */
function limitsOver({ min, max }: { min: number; max: number }): number[] {
  return Array.from({ length: 101 }, (_, i) => Math.round(min + ((max - min) * i) / 100));
}
const LIMITS = limitsOver({ min: LIMIT_MIN, max: LIMIT_MAX });
const countPrimePaths = (limits: readonly number[]) => limits.map((limit) => `/api/count-prime/${limit}`);

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const rps = (r: LoadResult) => r.ok / r.seconds;

/** countPrimesBelow over LIMITS on one thread for about `seconds`, on the service's Node: calls per second of wall and of CPU time. */
async function rawCallsPerSecond(seconds: number): Promise<{ wall: number; cpu: number }> {
  const { wall, cpu } = await rawBound(NODE.path, { threads: 0, seconds, limits: LIMITS });
  return { wall, cpu: cpu! };
}

/** The same loop on `threads` worker threads at once, on the service's Node: their summed calls/s. */
async function parallelCallsPerSecond(threads: number, seconds: number): Promise<number> {
  return (await rawBound(NODE.path, { threads, seconds, limits: LIMITS })).wall;
}

/**
 * This process's event-loop CPU per count, with 32 counts always outstanding (the hand-off at its
 * cheapest: answers share wake-ups), for about `seconds`.
 */
async function eventLoopMicrosPerCount(count: CountPrimes, limit: number, seconds: number): Promise<number> {
  const before = mainThreadCpuSeconds(process.pid);
  const end = performance.now() + seconds * 1000;
  let counts = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < end) {
        await count(limit);
        counts++;
      }
    }),
  );
  return ((mainThreadCpuSeconds(process.pid) - before) / counts) * 1e6;
}

async function measureHandOff() {
  const pool = createPrimePool({ threads: WORKERS, maxQueue: 32 * WORKERS, niceIncrement: DEFAULTS.workerNice });
  await pool.ready;
  const inPlace = (limit: number) => Promise.resolve(timedCountPrimesBelow(limit));
  const handedOff: number[] = [];
  const answeredInPlace: number[] = [];
  try {
    for (let turn = 0; turn < COMPARE_TURNS; turn++) {
      handedOff.push(await eventLoopMicrosPerCount(pool.countPrimes, INLINE_LIMIT_MAX + 1, 1));
      answeredInPlace.push(await eventLoopMicrosPerCount(inPlace, INLINE_LIMIT_MAX, 1));
    }
  } finally {
    await pool.close();
  }
  return { handedOffUs: round(median(handedOff), 2), inPlaceUs: round(median(answeredInPlace), 2), ratio: round(median(answeredInPlace) / median(handedOff), 2) };
}

/** The service and the peer under the same load in turns (the machine's speed drifts); req/s of each turn. */
async function compare(generator: LoadGenerator, service: RunningServer, peer: RunningServer | undefined, paths: readonly string[]) {
  const serviceRps: number[] = [];
  const serviceP50: number[] = [];
  const serviceP99: number[] = [];
  const peerRps: number[] = [];
  const failed = { service: 0, peer: 0 };
  let eventLoopSeconds = 0;
  let serviceAnswers = 0;
  for (let turn = 0; turn < COMPARE_TURNS; turn++) {
    const eventLoopBefore = mainThreadCpuSeconds(service.pid);
    const s = await generator.load({ port: service.port, paths, connections: COMPARE_CONNECTIONS, seconds: COMPARE_SECONDS });
    eventLoopSeconds += mainThreadCpuSeconds(service.pid) - eventLoopBefore;
    serviceAnswers += s.ok;
    serviceRps.push(round(rps(s)));
    serviceP50.push(s.latencyMs.p50);
    serviceP99.push(s.latencyMs.p99);
    failed.service += s.failed;
    if (peer) {
      const p = await generator.load({ port: peer.port, paths, connections: COMPARE_CONNECTIONS, seconds: COMPARE_SECONDS });
      peerRps.push(round(rps(p)));
      failed.peer += p.failed;
    }
  }
  return {
    serviceRps,
    serviceEventLoopUsPerRequest: round((eventLoopSeconds / serviceAnswers) * 1e6),
    /** The medians over the turns of each turn's p50 and p99. */
    serviceLatencyMs: { p50: round(median(serviceP50), 3), p99: round(median(serviceP99), 3) },
    peerRps: peer ? peerRps : undefined,
    failed,
    ratio: peer ? round(median(serviceRps) / median(peerRps), 2) : undefined,
  };
}

/** Runs `phase` while sampling `pid`'s resident memory every 100 ms; the phase's result and the largest sample. */
async function withPeakRss<T>(pid: number, phase: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = residentMiB(pid).now;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, residentMiB(pid).now);
      await sleep(100);
    }
  })();
  try {
    return { result: await phase(), peakMiB: peak };
  } finally {
    sampling = false;
    await sampler;
  }
}

const mark = (ok: boolean | undefined) => (ok === undefined ? "-" : ok ? "yes" : "NO");

async function main(): Promise<void> {
  const generator = pickGenerator();
  const peerSetup = findPeer();
  const nodes = NODE.path === process.execPath ? `Node ${process.version}` : `Node ${process.version}, service on Node ${NODE.version} (${NODE.path})`;
  console.log(
    `bench: ${nodes}, ${os.availableParallelism()} cores, pool size ${WORKERS}, ` +
      `limits ${LIMIT_MIN}-${LIMIT_MAX}, ${SECONDS} s per load phase (${COMPARE_TURNS} turns of ${COMPARE_SECONDS} s per comparison), ` +
      `load generator ${generator.name}, peer: ${"skipped" in peerSetup ? `skipped: ${peerSetup.skipped}` : `${peerSetup.python} ${peerSetup.dir}`}`,
  );

  // 1-2a. In this process, before any server exists: nothing else competes for the CPU.
  const handOff = await measureHandOff();
  const raw = await rawCallsPerSecond(Math.min(SECONDS, 5));
  const parallelBefore = await parallelCallsPerSecond(WORKERS, Math.min(SECONDS, 5));

  const service = await startService(WORKERS, NODE.path);
  const peer = "skipped" in peerSetup ? undefined : await startPeer(peerSetup, WORKERS);
  const servers = [service, ...(peer ? [peer] : [])];
  const stopAll = () => Promise.all(servers.map((s) => s.stop()));
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  const countPrimeLoad = (connections: number, seconds: number, statuses = false) =>
    generator.load({ port: service.port, paths: countPrimePaths(LIMITS), connections, seconds, statuses });
  try {
    await countPrimeLoad(2 * WORKERS, 2); // warm the workers' JIT on the same mix

    // 2. Throughput at the k6 range: 2 requests per worker (one running, one ready).
    const serverCpuBefore = processCpuSeconds(service.pid);
    const clientCpuBefore = processCpuSeconds("self", true);
    const throughput = await countPrimeLoad(2 * WORKERS, SECONDS);
    const serverCpuSeconds = processCpuSeconds(service.pid) - serverCpuBefore;
    const clientCpuSeconds = processCpuSeconds("self", true) - clientCpuBefore;
    const parallelAfter = await parallelCallsPerSecond(WORKERS, Math.min(SECONDS, 5));
    const serviceRps = rps(throughput);
    const parallelBound = (parallelBefore + parallelAfter) / 2;

    // 3. Health while 4x the workers' count-prime capacity is offered, probed from 0.5 s into
    // the load (its steady state) until about 0.5 s before its end.
    const [saturating, health] = await Promise.all([
      countPrimeLoad(4 * WORKERS, SECONDS),
      sleep(500).then(() => generator.probe({ port: service.port, path: "/api/health", intervalMs: 10, seconds: Math.max(1, SECONDS - 1) })),
    ]);

    // 4-5. Against the peer.
    const trivial = await compare(generator, service, peer, ["/api/count-prime/2"]);
    const seedRange = await compare(generator, service, peer, countPrimePaths(limitsOver(SEED_RANGE)));

    // 6. Overload.
    const rssBefore = residentMiB(service.pid).now;
    const { result: overload, peakMiB } = await withPeakRss(service.pid, () => countPrimeLoad(OVERLOAD_CONNECTIONS, SECONDS, true));
    const byStatus = overload.statuses?.byStatus ?? {};
    const otherStatuses = Object.entries(byStatus).filter(([code]) => code !== "200" && code !== "503");

    const results = {
      date: new Date().toISOString(),
      generator: generator.name,
      node: process.version,
      serviceNode: NODE.version,
      cores: os.availableParallelism(),
      workers: WORKERS,
      limits: [LIMIT_MIN, LIMIT_MAX],
      seconds: SECONDS,
      handOff: { limitHandedOff: INLINE_LIMIT_MAX + 1, limitInPlace: INLINE_LIMIT_MAX, ...handOff },
      raw: {
        perThreadCallsPerSecond: round(raw.wall),
        perThreadTimesWorkers: round(raw.wall * WORKERS),
        parallelBefore: round(parallelBefore),
        parallelAfter: round(parallelAfter),
        callsPerCpuSecond: round(raw.cpu),
      },
      service: {
        countPrimeRps: round(serviceRps),
        errors: throughput.failed,
        efficiency: round(serviceRps / parallelBound, 3),
        efficiencyToPerThreadBound: round(serviceRps / (raw.wall * WORKERS), 3),
        requestsPerCpuSecondRatio: round(throughput.ok / serverCpuSeconds / raw.cpu, 3),
        serverCoresUsed: round(serverCpuSeconds / throughput.seconds, 2),
        clientCoresUsed: round(clientCpuSeconds / throughput.seconds, 2),
        serverCpuMsPerRequest: round((serverCpuSeconds / throughput.ok) * 1000, 2),
        latencyMs: { p50: round(throughput.latencyMs.p50, 2), p99: round(throughput.latencyMs.p99, 2) },
      },
      health: {
        countPrimeConnections: 4 * WORKERS,
        countPrimeRps: round(rps(saturating)),
        countPrimeNon2xx: saturating.failed,
        probes: health.ok,
        failedProbes: health.failed,
        p50Ms: round(health.latencyMs.p50, 2),
        p99Ms: round(health.latencyMs.p99, 2),
        maxMs: round(health.latencyMs.max, 2),
      },
      trivial: { path: "/api/count-prime/2", connections: COMPARE_CONNECTIONS, ...trivial },
      seedRange: { limits: [SEED_RANGE.min, SEED_RANGE.max], connections: COMPARE_CONNECTIONS, ...seedRange },
      overload: {
        connections: OVERLOAD_CONNECTIONS,
        capacity: CAPACITY,
        okRps: round(rps(overload)),
        byStatus,
        without503RetryAfter: overload.statuses?.without503RetryAfter,
        socketErrors: overload.failed - Object.entries(byStatus).reduce((n, [code, count]) => n + (code === "200" ? 0 : count), 0),
        rssBeforeMiB: round(rssBefore),
        rssPeakMiB: round(peakMiB),
      },
    };

    const { service: s, health: h, overload: o } = results;
    const peerDetail = (r: typeof trivial) =>
      `${r.peerRps ? `service ${median(r.serviceRps)} req/s vs peer ${median(r.peerRps)} (turns: ${r.serviceRps.join(", ")} | ${r.peerRps.join(", ")})` : `service ${median(r.serviceRps)} req/s; peer skipped`}; service event loop ${r.serviceEventLoopUsPerRequest} us/request`;
    console.table({
      "1. hand-off vs in place (event-loop us per count)": {
        value: handOff.ratio,
        target: "< 1",
        met: mark(handOff.ratio < 1),
        detail: `in place at ${INLINE_LIMIT_MAX}: ${handOff.inPlaceUs} us; handed off at ${INLINE_LIMIT_MAX + 1}: ${handOff.handedOffUs} us`,
      },
      "2. serving efficiency at the k6 range": {
        value: s.efficiency,
        target: ">= 0.95",
        met: mark(s.efficiency >= 0.95),
        detail: `${s.countPrimeRps} req/s vs ${round(parallelBound)} calls/s on ${WORKERS} threads (before ${results.raw.parallelBefore}, after ${results.raw.parallelAfter}); per thread x ${WORKERS}: ${s.efficiencyToPerThreadBound}; per CPU-second ${s.requestsPerCpuSecondRatio}; ${s.serverCoresUsed} cores busy, client ${s.clientCoresUsed}; errors ${s.errors}`,
      },
      "3. /api/health p99 under 4x load (ms)": {
        value: h.p99Ms,
        target: "<= 10",
        met: mark(h.p99Ms <= 10 && h.failedProbes === 0),
        detail: `p50 ${h.p50Ms}, max ${h.maxMs}, ${h.probes} probes, ${h.failedProbes} failed; count-prime ${h.countPrimeRps} req/s on ${h.countPrimeConnections} connections, non-2xx ${h.countPrimeNon2xx}`,
      },
      "4. /api/count-prime/2: service / peer": {
        value: trivial.ratio ?? "skipped",
        target: ">= 1.5",
        met: mark(trivial.ratio === undefined ? undefined : trivial.ratio >= 1.5),
        detail: peerDetail(trivial),
      },
      "5. seed range 10000-20000: service / peer": {
        value: seedRange.ratio ?? "skipped",
        target: "(report)",
        met: "-",
        detail: peerDetail(seedRange),
      },
      "6. overload: statuses other than 200/503": {
        value: otherStatuses.length + (o.without503RetryAfter ?? 0),
        target: "0",
        met: mark(otherStatuses.length === 0 && o.without503RetryAfter === 0 && o.socketErrors === 0),
        detail: `${o.connections} connections (10 x ${o.capacity} accepted at once): ${JSON.stringify(o.byStatus)}, 503 without Retry-After ${o.without503RetryAfter}, socket errors ${o.socketErrors}; RSS ${o.rssBeforeMiB} -> peak ${o.rssPeakMiB} MiB`,
      },
    });

    const dir = fileURLToPath(new URL("../bench-results/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}${results.date.replace(/[:.]/g, "-")}.json`;
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`saved ${file}`);
  } finally {
    const [serviceExit] = await stopAll();
    if (serviceExit !== 0) console.error(`the service exited with ${serviceExit} on SIGTERM`);
  }
}

const USAGE = `Usage:
  npm run bench -- [--help]
      The service's benchmarks on 127.0.0.1, printed against their targets and saved under service/bench-results/
      (npm run bench:summary prints medians over the saved runs). It takes no arguments; the environment tunes it:
  BENCH_SECONDS          seconds per load phase (default 10; each comparison turn takes 0.4 of it)
  BENCH_LIMIT_MIN/MAX    the count-prime limits of row 2 (default: the k6 range, k6/lib/limits.ts)
  WORKERS                the service's pool size (default: this machine's parallelism)
  BENCH_GENERATOR        wrk or autocannon (default: wrk when it is on PATH)
  BENCH_NODE             the node binary that runs the service (default: this one)
  BENCH_PEER_DIR, PEER_PYTHON   where the FastAPI peer and its Python are`;

commandLineOrExit(process.argv.slice(2), {}, { command: "npm run bench --", text: USAGE }, (parsed) => refuseArguments(parsed.positionals));
await main();
