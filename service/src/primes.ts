/**
 * Prime counting by trial division: the CPU cost the service exists to produce.
 *
 * Deliberately naive (no sieve, no cache, no wheel beyond skipping even numbers): every call
 * costs the same predictable CPU for the same limit, which is what the load tests and the
 * autoscaling policies are calibrated against. Synchronous: the service calls it on a worker
 * thread (src/worker.ts), or on the event loop for counts cheaper than handing them over
 * (src/pool.ts); k6 calibration and the benchmark import it directly.
 */
import { performance } from "node:perf_hooks";

/** True when `n` is prime, by trial division with odd divisors up to √n. */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n < 4) return true; // 2 and 3
  if (n % 2 === 0) return false;
  for (let d = 3; d * d <= n; d += 2) {
    if (n % d === 0) return false;
  }
  return true;
}

/**
 * The number of primes strictly below `limit` (π(limit − 1)): 0, 1, 2 → 0; 3 → 1; 15000 → 1754;
 * 1000000 → 78498. `limit` must be a non-negative safe integer.
 */
export function countPrimesBelow(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative safe integer, got ${limit}`);
  }
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if (isPrime(n)) count++;
  }
  return count;
}

/** A count and the time it took. */
export interface PrimeCount {
  /** The number of primes below the limit. */
  result: number;
  /** Time spent counting, in seconds rounded to the microsecond (excluding any wait in the pool's queue). */
  durationSeconds: number;
}

/** countPrimesBelow, timed. */
export function timedCountPrimesBelow(limit: number): PrimeCount {
  const start = performance.now();
  const result = countPrimesBelow(limit);
  return { result, durationSeconds: Math.round((performance.now() - start) * 1000) / 1e6 };
}
