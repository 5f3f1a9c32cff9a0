/**
 * `npm run bench:summary [-- file.json ...]`: the median and range of each headline number over
 * saved `npm run bench` runs (default: every file in service/bench-results/), so that a claim
 * rests on several runs rather than one.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./stats.js";

/** The numbers worth comparing across runs: a label and where run.ts saves it. */
const METRICS: Array<[label: string, path: string]> = [
  ["1. hand-off: in place / handed off (event-loop CPU)", "handOff.ratio"],
  ["   event-loop us per count handed off", "handOff.handedOffUs"],
  ["2. serving efficiency at the k6 range", "service.efficiency"],
  ["   service count-prime req/s", "service.countPrimeRps"],
  ["   raw bound on the pool's threads (before)", "raw.parallelBefore"],
  ["3. /api/health p99 under 4x load (ms)", "health.p99Ms"],
  ["4. /api/count-prime/2: service / peer", "trivial.ratio"],
  ["   service event-loop us per request", "trivial.serviceEventLoopUsPerRequest"],
  ["5. seed range: service / peer", "seedRange.ratio"],
  ["6. overload: peak RSS (MiB)", "overload.rssPeakMiB"],
  ["   overload: 503 without Retry-After", "overload.without503RetryAfter"],
];

function at(value: unknown, keys: string): number | undefined {
  let v = value;
  for (const key of keys.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === "number" ? v : undefined;
}

const dir = fileURLToPath(new URL("../bench-results/", import.meta.url));
const args = process.argv.slice(2);
const files = args.length > 0 ? args : readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => path.join(dir, f));
if (files.length === 0) {
  console.error(`no saved runs in ${dir}: run \`npm run bench\` first, or pass result files`);
  process.exit(2);
}
const runs = files.map((file) => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch (err) {
    console.error(`${file}: not a bench result (${err instanceof Error ? err.message : String(err)})`);
    process.exit(2);
  }
});

console.log(`${runs.length} run(s): ${files.map((f) => path.basename(f)).join(", ")}`);
const rows: Record<string, { median: number | string; range: string; runs: number }> = {};
for (const [label, key] of METRICS) {
  const values = runs.map((run) => at(run, key)).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  rows[label] =
    values.length === 0
      ? { median: "-", range: "(in no run)", runs: 0 }
      : { median: Math.round(median(values) * 1000) / 1000, range: `${values[0]}–${values.at(-1)}`, runs: values.length };
}
console.table(rows);
