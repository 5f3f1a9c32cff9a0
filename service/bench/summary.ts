/**
 * `npm run bench:summary [-- file.json ...]`: the median and range of each headline number over
 * saved `npm run bench` runs (default: every file in service/bench-results/), so that a claim
 * rests on several runs rather than one. Runs whose service ran on different Nodes (BENCH_NODE)
 * are summarised side by side, one column per Node, with each Node's medians over the first's.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { commandLineOrExit } from "../../scripts/cli-usage.js";
import { median } from "./stats.js";

const USAGE = `Usage:
  npm run bench:summary -- [<result file> ...]
      The median and range of each headline number over saved npm run bench runs (default: every file in
      service/bench-results/), one column per Node when the runs' services ran on several.

Options:
  -h, --help             this text`;

/** The numbers worth comparing across runs: a label and where run.ts saves it. */
const METRICS: Array<[label: string, path: string]> = [
  ["1. hand-off: in place / handed off (event-loop CPU)", "handOff.ratio"],
  ["   event-loop us per count handed off", "handOff.handedOffUs"],
  ["2. serving efficiency at the k6 range", "service.efficiency"],
  ["   service count-prime req/s", "service.countPrimeRps"],
  ["   service count-prime latency p50 (ms)", "service.latencyMs.p50"],
  ["   service count-prime latency p99 (ms)", "service.latencyMs.p99"],
  ["   service CPU ms per count-prime request", "service.serverCpuMsPerRequest"],
  ["   raw bound on the pool's threads (before)", "raw.parallelBefore"],
  ["   raw bound on one thread (calls/s)", "raw.perThreadCallsPerSecond"],
  ["3. /api/health p50 under 4x load (ms)", "health.p50Ms"],
  ["   /api/health p99 under 4x load (ms)", "health.p99Ms"],
  ["4. /api/count-prime/2: service / peer", "trivial.ratio"],
  ["   /2: service req/s (median of turns)", "trivial.serviceRps"],
  ["   /2: service latency p50 (ms)", "trivial.serviceLatencyMs.p50"],
  ["   /2: service latency p99 (ms)", "trivial.serviceLatencyMs.p99"],
  ["   /2: service event-loop us per request", "trivial.serviceEventLoopUsPerRequest"],
  ["5. seed range: service / peer", "seedRange.ratio"],
  ["   seed range: service req/s (median of turns)", "seedRange.serviceRps"],
  ["6. overload: peak RSS (MiB)", "overload.rssPeakMiB"],
  ["   overload: 503 without Retry-After", "overload.without503RetryAfter"],
];

/** The number at `keys` in a run; for a list of numbers (a comparison's turns), their median. */
function at(value: unknown, keys: string): number | undefined {
  let v = value;
  for (const key of keys.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number")) return median(v as number[]);
  return typeof v === "number" ? v : undefined;
}

/** The Node that ran the service in a run: serviceNode, or node for runs saved before BENCH_NODE. */
function serviceNodeOf(run: unknown): string {
  const r = (run ?? {}) as { serviceNode?: unknown; node?: unknown };
  return String(r.serviceNode ?? r.node ?? "unknown");
}

const versionKey = (v: string) => (v.match(/\d+/g) ?? []).map(Number);
function compareVersions(a: string, b: string): number {
  const [x, y] = [versionKey(a), versionKey(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return a.localeCompare(b);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Median and range of one metric over some runs. */
function stats(runs: unknown[], key: string): { median: number; range: string; runs: number } | undefined {
  const values = runs.map((run) => at(run, key)).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const fmt = (x: number) => String(round3(x));
  return { median: round3(median(values)), range: `${fmt(values[0]!)}–${fmt(values.at(-1)!)}`, runs: values.length };
}

const dir = fileURLToPath(new URL("../bench-results/", import.meta.url));
const args = commandLineOrExit(process.argv.slice(2), {}, { command: "npm run bench:summary --", text: USAGE }, (parsed) => parsed.positionals);
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
const groups = new Map<string, unknown[]>();
for (const run of runs) groups.set(serviceNodeOf(run), [...(groups.get(serviceNodeOf(run)) ?? []), run]);
const nodes = [...groups.keys()].sort(compareVersions);

if (nodes.length === 1) {
  const rows: Record<string, { median: number | string; range: string; runs: number }> = {};
  for (const [label, key] of METRICS) rows[label] = stats(runs, key) ?? { median: "-", range: "(in no run)", runs: 0 };
  console.table(rows);
} else {
  // One column per Node (median, range, runs), then each later Node's median over the first's.
  const [first, ...later] = nodes as [string, ...string[]];
  console.log(`service on ${nodes.map((n) => `Node ${n} (${groups.get(n)!.length} runs)`).join(", ")}; ratios are medians over Node ${first}'s`);
  const rows: Record<string, Record<string, string | number>> = {};
  for (const [label, key] of METRICS) {
    const byNode = new Map(nodes.map((n) => [n, stats(groups.get(n)!, key)]));
    if ([...byNode.values()].every((s) => s === undefined)) continue;
    const row: Record<string, string | number> = {};
    for (const [n, s] of byNode) row[n] = s ? `${s.median} (${s.range})` : "-";
    const base = byNode.get(first)?.median;
    for (const n of later) {
      const m = byNode.get(n)?.median;
      row[`${n.split(".")[0]}/${first.split(".")[0]}`] = base !== undefined && m !== undefined && base !== 0 ? round3(m / base) : "-";
    }
    rows[label] = row;
  }
  console.table(rows);
}
