/**
 * Measures the CPU one count-prime request costs, per limit, on this machine:
 *
 *   npx tsx k6/calibrate.ts                       # default candidate limits, 7 runs each
 *   npx tsx k6/calibrate.ts --runs 9 --limits 200000,300000,400000 --target 15-30
 *
 * It calls the service's own `countPrimesBelow` in-process (no HTTP, no worker thread) and reads
 * `process.cpuUsage()` around a batch of calls, so the figure is CPU time, not wall time, and is not
 * skewed by whatever else the machine runs. Each line prints the median (and spread) over the runs.
 * The last line suggests the LIMIT_MIN/LIMIT_MAX whose per-call CPU stays inside the target band;
 * the defaults in k6/lib/limits.ts came from this script (figures recorded there).
 *
 * A Node tool, not a k6 script: k6 never loads it (it is left out of k6/tsconfig.json).
 */
import { CommandUsage, UsageError, parseCommandLine, refuseArguments, usageErrorText } from "../scripts/cli-usage";
import { countPrimesBelow } from "../service/src/primes";

export interface CalibrationOptions {
  readonly limits: readonly number[];
  readonly runs: number;
  /** Target band for one request's CPU, in milliseconds. */
  readonly targetMs: readonly [number, number];
}

export interface LimitCost {
  readonly limit: number;
  /** Median CPU milliseconds per call over the runs, and the fastest and slowest run. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = {
  limits: [100_000, 150_000, 200_000, 250_000, 300_000, 350_000, 400_000, 450_000, 500_000],
  runs: 7,
  targetMs: [15, 30],
};

export const USAGE = `Usage:
  npx tsx k6/calibrate.ts [--runs N] [--limits L1,L2,...] [--target MIN-MAX]
      Measure the CPU one count-prime request costs at each limit, on this machine, and suggest the
      LIMIT_MIN/LIMIT_MAX whose requests cost the target band.

Options:
  --runs N               measurements per limit; each line prints their median (default: ${DEFAULT_CALIBRATION.runs})
  --limits L1,L2,...     the limits to measure (default: ${DEFAULT_CALIBRATION.limits.join(",")})
  --target MIN-MAX       the band one request's CPU should cost, in milliseconds (default: ${DEFAULT_CALIBRATION.targetMs.join("-")})
  -h, --help             this text`;

export const CALIBRATE_USAGE: CommandUsage = { command: "npx tsx k6/calibrate.ts", text: USAGE };

const OPTIONS = { runs: { type: "string" }, limits: { type: "string" }, target: { type: "string" } } as const;

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${flag} expects a whole number >= 1, got "${text}"`);
  }
  return value;
}

function targetBand(text: string): [number, number] {
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(text);
  if (match === null || Number(match[1]) >= Number(match[2])) {
    throw new UsageError(`--target expects MIN-MAX in milliseconds with MIN < MAX, got "${text}"`);
  }
  return [Number(match[1]), Number(match[2])];
}

/** Parses the command line (without `node` and the script path); "help" for -h or --help. */
export function parseArgs(argv: readonly string[]): CalibrationOptions | "help" {
  const parsed = parseCommandLine(argv, OPTIONS);
  if (parsed === "help") return "help";
  refuseArguments(parsed.positionals);
  const { runs, limits, target } = parsed.values;
  return {
    limits: (limits === undefined ? [...DEFAULT_CALIBRATION.limits] : limits.split(",").map((part) => positiveInteger("--limits", part.trim()))).sort((a, b) => a - b),
    runs: runs === undefined ? DEFAULT_CALIBRATION.runs : positiveInteger("--runs", runs),
    targetMs: target === undefined ? DEFAULT_CALIBRATION.targetMs : targetBand(target),
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** CPU milliseconds consumed by `fn`, averaged over enough calls to fill at least ~200 ms. */
function cpuMsPerCall(fn: () => void): number {
  let calls = 0;
  let used: number;
  const start = process.cpuUsage();
  do {
    fn();
    calls++;
    const delta = process.cpuUsage(start);
    used = (delta.user + delta.system) / 1000;
  } while (used < 200);
  return used / calls;
}

/** Measures `count(limit)` for every limit; `count` defaults to the service's implementation. */
export function measure(
  options: CalibrationOptions,
  count: (limit: number) => number = countPrimesBelow,
  perCall: (fn: () => void) => number = cpuMsPerCall,
): LimitCost[] {
  // Warm up so the first limit is not measured while the JIT is still compiling the loop.
  perCall(() => count(options.limits[0]));
  return options.limits.map((limit) => {
    const samples: number[] = [];
    for (let run = 0; run < options.runs; run++) samples.push(perCall(() => count(limit)));
    return { limit, medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples) };
  });
}

/**
 * The limits to use for the target band: from the first measured limit whose median cost reaches
 * the band to the last one before the cost leaves it (a contiguous run, so one noisy sample above
 * the band ends the range rather than stretching it).
 */
export function suggestRange(
  costs: readonly LimitCost[],
  [lowMs, highMs]: readonly [number, number],
): { min: number; max: number } | undefined {
  const sorted = [...costs].sort((a, b) => a.limit - b.limit);
  const start = sorted.findIndex((cost) => cost.medianMs >= lowMs);
  if (start === -1 || sorted[start].medianMs > highMs) return undefined;
  let end = start;
  while (end + 1 < sorted.length && sorted[end + 1].medianMs <= highMs) end++;
  return { min: sorted[start].limit, max: sorted[end].limit };
}

export function report(costs: readonly LimitCost[], options: CalibrationOptions): string {
  const lines = [`limit      CPU ms/call (median of ${options.runs} runs, [fastest, slowest])`];
  for (const cost of costs) {
    lines.push(
      `${String(cost.limit).padEnd(10)} ${cost.medianMs.toFixed(2).padStart(7)}  [${cost.minMs.toFixed(2)}, ${cost.maxMs.toFixed(2)}]`,
    );
  }
  const range = suggestRange(costs, options.targetMs);
  const [low, high] = options.targetMs;
  lines.push(
    range === undefined
      ? `no measured limit costs ${low}-${high} ms here: widen --limits`
      : `${low}-${high} ms per request here: -e LIMIT_MIN=${range.min} -e LIMIT_MAX=${range.max}`,
  );
  return lines.join("\n");
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  try {
    const options = parseArgs(argv);
    if (options === "help") console.log(USAGE);
    else {
      console.log(`node ${process.version}, ${process.arch}, pid ${process.pid}`);
      console.log(report(measure(options), options));
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(usageErrorText(error.message, CALIBRATE_USAGE, argv));
    process.exitCode = 2;
  }
}
