/**
 * The raw bound row 2 measures the service against: countPrimesBelow from the built
 * dist/primes.js (the code the service's workers run) over the benchmark's limits, on one thread
 * or on several worker threads at once, with nothing else running.
 *
 * It runs in a child process of the Node that runs the service (BENCH_NODE, by default the
 * benchmark's own), so that both sides of the ratio run the same V8:
 * `node --import tsx bench/raw-bound.ts '<JSON RawBoundRequest>'` prints one JSON line.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const PRIMES_MODULE = new URL("../dist/primes.js", import.meta.url).href;
const THIS_FILE = fileURLToPath(import.meta.url);
/** tsx, as this process found it: the child needs no particular working directory. */
const TSX = import.meta.resolve("tsx");

export interface RawBoundRequest {
  /** 0: on the child's main thread, also timing its CPU; n ≥ 1: on n worker threads at once. */
  threads: number;
  seconds: number;
  limits: readonly number[];
}

/** Calls per second of wall time (summed over the threads) and, on the main thread, of CPU time. */
export interface RawBound {
  wall: number;
  cpu?: number;
}

type Count = (limit: number) => number;

/** Each worker thread's loop (as run.ts had it): a warm-up over the same limits (JIT), then calls for `seconds`. */
const WORKER_SOURCE = `
  const { parentPort, workerData } = require("node:worker_threads");
  import(workerData.primes).then(({ countPrimesBelow }) => {
    const { limits, seconds } = workerData;
    for (let i = 0; i < 20; i++) countPrimesBelow(limits[i % limits.length]);
    let calls = 0;
    const start = performance.now(), end = start + seconds * 1000;
    while (performance.now() < end) countPrimesBelow(limits[calls++ % limits.length]);
    parentPort.postMessage(calls / ((performance.now() - start) / 1000));
  });`;

async function measure({ threads, seconds, limits }: RawBoundRequest): Promise<RawBound> {
  if (threads === 0) {
    const { countPrimesBelow } = (await import(PRIMES_MODULE)) as { countPrimesBelow: Count };
    for (let i = 0; i < 20; i++) countPrimesBelow(limits[i % limits.length]!); // warm-up (JIT)
    let calls = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) countPrimesBelow(limits[calls++ % limits.length]!);
    const wallSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return { wall: calls / wallSeconds, cpu: calls / ((cpu.user + cpu.system) / 1e6) };
  }
  const rates = await Promise.all(
    Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { primes: PRIMES_MODULE, limits, seconds } });
      return new Promise<number>((resolve, reject) => {
        worker.once("message", (rate: number) => resolve(rate));
        worker.once("error", reject);
      }).finally(() => void worker.terminate());
    }),
  );
  return { wall: rates.reduce((a, b) => a + b, 0) };
}

/** Runs the measurement in a child process of `node` (a path to a node binary); rejects with its stderr if it fails. */
export function rawBound(node: string, request: RawBoundRequest): Promise<RawBound> {
  const child = spawn(node, ["--import", TSX, THIS_FILE, JSON.stringify(request)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as RawBound);
      else reject(new Error(`the raw bound (${node} ${THIS_FILE}) exited with ${code}:\n${stderr}`));
    });
  });
}

if (process.argv[1] === THIS_FILE) {
  const result = await measure(JSON.parse(process.argv[2] ?? "{}") as RawBoundRequest);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
