/**
 * The `limit` each count-prime request asks for: uniform over [LIMIT_MIN, LIMIT_MAX].
 *
 * Calibration. The range is chosen so one request costs about what a request to the original
 * Python service did, ≈15–30 ms of CPU. Measured with the service's own `countPrimesBelow`
 * (service/src/primes.ts): in-process CPU time per call (`process.cpuUsage`; no HTTP, no worker
 * thread), on this project's 2-core AMD EPYC VM with Node 20.20, with six runs of
 *
 *   npx tsx k6/calibrate.ts --runs 9
 *   npx tsx k6/calibrate.ts --runs 9 --limits 250000,270000,300000,350000,400000,430000,450000
 *
 * (three of each). Each run prints the median of 9 samples per limit; the figure below is the
 * median of those medians over the runs that measured the limit (six for 250 000–450 000 in steps
 * of 50 000, three for the others), with their spread: the VM is shared, so runs vary by ±20%.
 *
 * The figures, with their spread over runs, are {@link CALIBRATION} below. So the default range
 * 280 000–420 000 costs ≈15–28 ms per request, ≈21 ms on average. On other hardware rerun the
 * command and pass its suggestion as `-e LIMIT_MIN=… -e LIMIT_MAX=…`. `npm run timeline -- simulate`
 * prices each simulated request with the same table.
 */
import type { EnvReader } from "./env.ts";

export interface LimitRange {
  /** Smallest and largest limit requested, both inclusive. */
  readonly min: number;
  readonly max: number;
}

/** One limit's measured CPU cost: median of the runs' medians, and the spread over runs (ms per call). */
export interface LimitCalibration {
  readonly limit: number;
  readonly cpuMs: number;
  readonly spreadMs: readonly [number, number];
}

/** The calibration measured as described above, by limit. */
export const CALIBRATION: readonly LimitCalibration[] = [
  { limit: 200_000, cpuMs: 10.3, spreadMs: [10.1, 10.4] },
  { limit: 250_000, cpuMs: 12.6, spreadMs: [11.3, 15.9] },
  { limit: 270_000, cpuMs: 14.3, spreadMs: [12.8, 16.9] },
  { limit: 300_000, cpuMs: 18.1, spreadMs: [17.0, 20.1] },
  { limit: 350_000, cpuMs: 21.5, spreadMs: [17.9, 26.9] },
  { limit: 400_000, cpuMs: 26.4, spreadMs: [21.8, 29.3] },
  { limit: 430_000, cpuMs: 30.0, spreadMs: [23.1, 31.4] },
  { limit: 450_000, cpuMs: 30.0, spreadMs: [25.2, 34.4] },
  { limit: 500_000, cpuMs: 35.8, spreadMs: [28.3, 36.7] },
];

/**
 * CPU milliseconds one request for `limit` costs on the reference machine: the calibration table,
 * interpolated linearly between its limits and extrapolated in proportion to the limit outside them
 * (the sieve's cost grows about linearly with the limit in this range).
 */
export function cpuMsForLimit(limit: number): number {
  const first = CALIBRATION[0];
  const last = CALIBRATION[CALIBRATION.length - 1];
  if (limit <= first.limit) return (first.cpuMs * limit) / first.limit;
  if (limit >= last.limit) return (last.cpuMs * limit) / last.limit;
  const upper = CALIBRATION.findIndex((point) => point.limit >= limit);
  const a = CALIBRATION[upper - 1];
  const b = CALIBRATION[upper];
  return a.cpuMs + ((b.cpuMs - a.cpuMs) * (limit - a.limit)) / (b.limit - a.limit);
}

/** Mean CPU per request over a range, each limit equally likely (as {@link pickLimit} draws them). */
export function meanCpuMs(range: LimitRange): number {
  const samples = 200;
  if (range.max === range.min) return cpuMsForLimit(range.min);
  let total = 0;
  for (let i = 0; i < samples; i++) total += cpuMsForLimit(range.min + ((i + 0.5) / samples) * (range.max - range.min));
  return total / samples;
}

/** CPU ≈15–30 ms per request on the reference machine (see the calibration note above). */
export const DEFAULT_LIMIT_RANGE: LimitRange = { min: 280_000, max: 420_000 };

/**
 * The largest limit the scripts will request: the service's default MAX_LIMIT (service/src/config.ts).
 * One such request already takes seconds of CPU; anything larger would only earn a 400.
 */
export const MAX_LIMIT = 10_000_000;

/** Reads LIMIT_MIN and LIMIT_MAX (whole numbers, 0 ≤ LIMIT_MIN ≤ LIMIT_MAX ≤ {@link MAX_LIMIT}). */
export function readLimitRange(env: EnvReader, fallback: LimitRange = DEFAULT_LIMIT_RANGE): LimitRange {
  const bounds = { min: 0, max: MAX_LIMIT, integer: true };
  const min = env.number("LIMIT_MIN", fallback.min, bounds);
  const max = env.number("LIMIT_MAX", fallback.max, bounds);
  if (min > max) {
    env.reject(
      ["LIMIT_MIN", "LIMIT_MAX"],
      `-e LIMIT_MIN=${min} is above -e LIMIT_MAX=${max}: LIMIT_MIN must be <= LIMIT_MAX` +
        ` (defaults ${fallback.min} and ${fallback.max}; set both to request a single limit)`,
    );
  }
  return { min, max };
}

/**
 * A limit drawn uniformly from the range, both ends included. `random` returns a number in [0, 1),
 * like Math.random (the default); tests pass their own.
 */
export function pickLimit(range: LimitRange, random: () => number = Math.random): number {
  const span = range.max - range.min + 1;
  return range.min + Math.min(span - 1, Math.floor(random() * span));
}

/**
 * Limits with their exact prime counts (primes strictly below the limit), for the smoke test's
 * checks. Computed independently of the service (tests/k6-limits.test.ts recounts them with a
 * sieve): edge cases 0–3, small values, 15000 from the service's examples, and one request in the
 * default range so the smoke test also exercises a realistic cost.
 */
export const KNOWN_PRIME_COUNTS: ReadonlyArray<{ readonly limit: number; readonly primes: number }> = [
  { limit: 0, primes: 0 },
  { limit: 1, primes: 0 },
  { limit: 2, primes: 0 },
  { limit: 3, primes: 1 },
  { limit: 10, primes: 4 },
  { limit: 100, primes: 25 },
  { limit: 7919, primes: 999 },
  { limit: 15_000, primes: 1754 },
  { limit: 300_000, primes: 25_997 },
];
