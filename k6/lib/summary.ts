/**
 * End of test: a JSON file with the run's window and settings plus k6's full summary data, and a
 * compact text summary on stdout.
 *
 * k6 prints its own end-of-test summary only when the script exports no handleSummary(), and has
 * no built-in way to keep it alongside a custom one (grafana/k6#2729: the documented way is the
 * remote jslib textSummary, which these scripts avoid so they run offline). So textSummary()
 * below renders the parts that matter here: thresholds, checks and the main metrics, with the
 * run's UTC window to line up with the CloudWatch dashboard.
 *
 * Written against the summary data k6 v1 and v2 pass to handleSummary() ("metrics", "root_group",
 * "state"); any other shape still gets its JSON file, and a note on stdout.
 */
import type { EnvReader } from "./env.ts";

/** Trend statistics in the summary: p(99) included, since the thresholds use it. */
export const SUMMARY_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"];

export interface SummaryMetric {
  type: string;
  contains?: string;
  values: { [stat: string]: number };
  thresholds?: { [expression: string]: { ok: boolean } };
}

export interface SummaryCheck {
  name: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name: string;
  checks?: SummaryCheck[];
  groups?: SummaryGroup[];
}

/** What k6 passes to handleSummary(), as far as these scripts read it. */
export interface SummaryData {
  metrics?: { [name: string]: SummaryMetric };
  root_group?: SummaryGroup;
  state?: { testRunDurationMs?: number };
}

export interface RunInfo {
  /** Script name without extension: "load", "smoke", "stress". */
  readonly script: string;
  readonly baseUrl: string;
  /** The resolved profile, limits and thresholds, recorded in the JSON file. */
  readonly settings: { readonly [key: string]: unknown };
}

/** Directory the JSON summaries go to by default (relative to where k6 runs: the repository root). */
export const RESULTS_DIR = "k6/results";

/** "2025-11-25T13:00:10.123Z" → "20251125T130010Z", for file names. */
export function compactTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

/** SUMMARY_PATH, or k6/results/<script>-<UTC end time>.json so runs never overwrite each other. */
export function readSummaryPath(env: EnvReader, script: string, finishedAt: Date): string {
  const fallback = `${RESULTS_DIR}/${script}-${compactTimestamp(finishedAt)}.json`;
  const path = env.string("SUMMARY_PATH", fallback);
  if (path === "stdout" || path === "stderr") {
    env.reject(["SUMMARY_PATH"], `-e SUMMARY_PATH=${path} is invalid: expected a file path (stdout carries the text summary)`);
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(1)}ms`;
  return `${(ms * 1000).toFixed(0)}µs`;
}

function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

/** A metric's value as the summary prints it: a time in ms or s, data in B/kB/MB, else a number. */
export function formatNumber(value: number, contains: string | undefined): string {
  if (contains === "time") return formatMs(value);
  if (contains === "data") return formatBytes(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** One metric's values on one line, by metric type. */
export function formatMetricValues(metric: SummaryMetric): string {
  const v = metric.values;
  switch (metric.type) {
    case "trend":
      return SUMMARY_TREND_STATS.filter((stat) => v[stat] !== undefined)
        .map((stat) => `${stat}=${formatNumber(v[stat], metric.contains)}`)
        .join(" ");
    case "rate": {
      const total = (v.passes ?? 0) + (v.fails ?? 0);
      return `${formatPercent(v.rate ?? 0)} (${v.passes ?? 0} of ${total})`;
    }
    case "counter":
      return `${formatNumber(v.count ?? 0, metric.contains)} (${formatNumber(v.rate ?? 0, metric.contains)}/s)`;
    case "gauge":
      return `${formatNumber(v.value ?? 0, metric.contains)} (min ${v.min ?? 0}, max ${v.max ?? 0})`;
    default:
      return JSON.stringify(v);
  }
}

/** The statistic a threshold expression tests: "p(99)<3000" → "p(99)", "rate<=0.01" → "rate". */
export function thresholdStat(expression: string): string | undefined {
  const match = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(?:<=|>=|==|!=|===|<|>)/.exec(expression);
  return match === null ? undefined : match[1];
}

/** The value a threshold expression tests, e.g. "p(99)=212.3ms"; empty when the metric lacks it. */
export function thresholdValue(metric: SummaryMetric, expression: string): string {
  const stat = thresholdStat(expression);
  if (stat === undefined || metric.values[stat] === undefined) return "";
  const value = metric.values[stat];
  return `${stat}=${metric.type === "rate" ? formatPercent(value) : formatNumber(value, metric.contains)}`;
}

/** Every check in the group tree, in order. */
export function collectChecks(group: SummaryGroup | undefined): SummaryCheck[] {
  if (group === undefined) return [];
  return [...(group.checks ?? []), ...(group.groups ?? []).flatMap((child) => collectChecks(child))];
}

/** Timing breakdowns that http_req_duration already sums up; left out of the text (still in the JSON). */
export const DETAIL_METRICS = /^http_req_(blocked|connecting|tls_handshaking|sending|waiting|receiving)$/;

export interface ThresholdResult {
  readonly metric: string;
  readonly expression: string;
  readonly ok: boolean;
}

export function thresholdResults(data: SummaryData): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  const metrics = data.metrics ?? {};
  for (const name of Object.keys(metrics).sort()) {
    const thresholds = metrics[name].thresholds ?? {};
    for (const expression of Object.keys(thresholds)) {
      results.push({ metric: name, expression, ok: thresholds[expression].ok });
    }
  }
  return results;
}

/** The text summary printed on stdout. */
export function textSummary(data: SummaryData, run: RunInfo, window: RunWindow, jsonPath: string): string {
  const lines = [
    "",
    `  ecs-loadlab ${run.script} against ${run.baseUrl}`,
    `  ${window.startedAt} → ${window.finishedAt} UTC (${window.durationSeconds.toFixed(1)} s):` +
      " the window to open on the CloudWatch dashboard",
    "",
  ];
  if (data.metrics === undefined) {
    lines.push("  (this k6 passed a summary format this script does not read; the JSON file has all of it)");
  } else {
    const thresholds = thresholdResults(data);
    const failed = thresholds.filter((result) => !result.ok).length;
    lines.push(
      `  THRESHOLDS: ${thresholds.length === 0 ? "none" : failed === 0 ? "all passed" : `${failed} of ${thresholds.length} FAILED`}`,
    );
    for (const result of thresholds) {
      const value = thresholdValue(data.metrics[result.metric], result.expression);
      lines.push(`    ${result.ok ? "✓" : "✗"} ${result.metric} ${result.expression}${value === "" ? "" : `  (${value})`}`);
    }

    const checks = collectChecks(data.root_group);
    if (checks.length > 0) {
      const passes = checks.reduce((sum, check) => sum + check.passes, 0);
      const total = checks.reduce((sum, check) => sum + check.passes + check.fails, 0);
      lines.push("", `  CHECKS: ${passes} of ${total} passed (${formatPercent(total === 0 ? 1 : passes / total)})`);
      for (const check of checks) {
        lines.push(`    ${check.fails === 0 ? "✓" : "✗"} ${check.name}  ${check.passes}/${check.passes + check.fails}`);
      }
    }

    lines.push("", "  METRICS");
    const names = Object.keys(data.metrics)
      .filter((name) => !DETAIL_METRICS.test(name))
      .sort();
    const width = Math.max(...names.map((name) => name.length));
    for (const name of names) {
      lines.push(`    ${`${name} `.padEnd(width + 2, ".")} ${formatMetricValues(data.metrics[name])}`);
    }
  }
  lines.push("", `  JSON summary: ${jsonPath}`, "");
  return lines.join("\n");
}

export interface RunWindow {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
}

/** The run's UTC window, from k6's measured duration and the time handleSummary() runs. */
export function runWindow(data: SummaryData, finishedAt: Date): RunWindow {
  const durationMs = data.state?.testRunDurationMs ?? 0;
  return {
    startedAt: new Date(finishedAt.getTime() - durationMs).toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: durationMs / 1000,
  };
}

/**
 * The handleSummary() result: the text summary on stdout and the JSON file at `jsonPath`, which
 * holds the run (script, target, window, settings, threshold verdict) and k6's data unchanged.
 */
export function summaryOutputs(
  data: SummaryData,
  run: RunInfo,
  jsonPath: string,
  finishedAt: Date,
): { [destination: string]: string } {
  const window = runWindow(data, finishedAt);
  const thresholds = thresholdResults(data);
  const file = {
    run: {
      script: run.script,
      baseUrl: run.baseUrl,
      ...window,
      thresholdsPassed: thresholds.every((result) => result.ok),
      failedThresholds: thresholds.filter((result) => !result.ok).map((r) => `${r.metric}: ${r.expression}`),
      settings: run.settings,
    },
    k6: data,
  };
  return { stdout: textSummary(data, run, window, jsonPath), [jsonPath]: JSON.stringify(file, null, 2) + "\n" };
}
