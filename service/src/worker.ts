/**
 * Piscina task module: runs on a worker thread, never on the event loop.
 * The pool (src/pool.ts) loads this file by URL; its default export is the task.
 */
import { performance } from "node:perf_hooks";
import { countPrimesBelow } from "./primes.js";

/** What one count-prime task returns to the event loop. */
export interface PrimeCount {
  /** The number of primes below the limit. */
  result: number;
  /** Time spent computing on the worker thread, excluding the wait in the pool's queue. */
  durationSeconds: number;
}

export default function countPrimesTask(limit: number): PrimeCount {
  const start = performance.now();
  const result = countPrimesBelow(limit);
  const durationSeconds = Math.round((performance.now() - start) * 1000) / 1e6; // µs resolution
  return { result, durationSeconds };
}
