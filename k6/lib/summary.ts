/**
 * End of test: a JSON file with the run's window and settings plus k6's full summary data, and a
 * compact text summary on stdout.
 *
 * k6 prints its own end-of-test summary only when the script exports no handleSummary(), and has
 * no built-in way to keep it alongside a custom one (grafana/k6#2729: the documented way is the
 * remote jslib textSummary, which these scripts avoid so they run offline). So textSummary()
 * below renders the parts that matter here: thresholds, checks and the main metrics, with the
 * run's UTC window to line up with the CloudWatch dashboard (a remote target's).
 *
 * Written against the summary data k6 v1 and v2 pass to handleSummary() ("metrics", "root_group",
 * "state"); any other shape still gets its JSON file, and a note on stdout.
 */
import type { EnvReader } from "./env.ts";

/**
 * Trend statistics in the summary: p(99), since the thresholds use it, and count, without which an
 * empty trend (every statistic 0) looks like a fast one (metrics/sample.go, GetResolversForTrendColumns).
 */
export const SUMMARY_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"];

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

/** Hosts that are this machine: a run against one has no CloudWatch dashboard to look at. */
const LOCAL_HOSTS = ["localhost", "::1", "0.0.0.0"];
const LOOPBACK_V4 = /^127(?:\.\d{1,3}){3}$/;

/** Whether `baseUrl` points at this machine (localhost, 127.0.0.0/8, ::1, 0.0.0.0). By pattern: k6 has no URL class. */
export function isLocalUrl(baseUrl: string): boolean {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(baseUrl)?.[1] ?? "";
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1).toLowerCase();
  const host = hostPort.startsWith("[") ? hostPort.slice(1, hostPort.indexOf("]")) : hostPort.replace(/:\d*$/, "");
  return LOCAL_HOSTS.includes(host) || LOOPBACK_V4.test(host);
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

/** One trend statistic: `count` is a number of samples, the others are in the trend's unit. */
export function formatTrendStat(stat: string, value: number, contains: string | undefined): string {
  return stat === "count" ? String(value) : formatNumber(value, contains);
}

/** One metric's values on one line, by metric type. */
export function formatMetricValues(metric: SummaryMetric): string {
  const v = metric.values;
  switch (metric.type) {
    case "trend":
      return SUMMARY_TREND_STATS.filter((stat) => v[stat] !== undefined)
        .map((stat) => `${stat}=${formatTrendStat(stat, v[stat], metric.contains)}`)
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

/**
 * Whether a metric's thresholds passed without a measurement: a trend or rate with no samples. k6
 * judges those too when the run ends (internal/metrics/engine/engine.go, evaluateThresholds with
 * ignoreEmptySinks false), with every statistic of an empty trend 0 and an empty rate passing any
 * threshold (metrics/thresholds.go, Run and runNoTaint), so its ✓ would mean nothing. An empty
 * counter is 0, which its thresholds judge as meant (`count>0` fails). A trend's count is only in
 * the summary when summaryTrendStats asks for it, as {@link SUMMARY_TREND_STATS} does.
 */
export function unmeasured(metric: SummaryMetric): boolean {
  const v = metric.values;
  if (metric.type === "trend") return v.count === 0;
  if (metric.type === "rate") return (v.passes ?? 0) + (v.fails ?? 0) === 0;
  return false;
}

/** A sub-metric of answered requests: the expected ones, or those with an HTTP status. */
const ANSWERED_SELECTION = /[{,](?:expected_response:true|status:[1-5]\d\d)[,}]/;

/** Why a threshold is unmeasured, in the words of what its metric selects. */
function unmeasuredReason(metricName: string): string {
  return ANSWERED_SELECTION.test(metricName) ? "no answered requests" : "no samples";
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

/** What the run's window is for: a remote target's CloudWatch dashboard; a local target has none. */
function windowUse(baseUrl: string): string {
  return isLocalUrl(baseUrl)
    ? "the run's window (local target: no CloudWatch dashboard)"
    : "the window to open on the CloudWatch dashboard";
}

/** "all passed", "2 of 6 FAILED", "2 of 6 FAILED, 1 unmeasured": unmeasured ones never count as passed. */
function thresholdsHeadline(total: number, failed: number, unmeasuredCount: number): string {
  if (total === 0) return "none";
  const verdict = failed > 0 ? `${failed} of ${total} FAILED` : unmeasuredCount > 0 ? "none failed" : "all passed";
  return unmeasuredCount > 0 ? `${verdict}, ${unmeasuredCount} unmeasured` : verdict;
}

/** Passed by k6 without a sample ({@link unmeasured}): not judged, so neither ✓ nor ✗. */
function notJudged(result: ThresholdResult, metric: SummaryMetric): boolean {
  return result.ok && unmeasured(metric);
}

/** One threshold's line: ✓ passed, ✗ failed, – not judged. */
function thresholdLine(result: ThresholdResult, metric: SummaryMetric): string {
  const empty = notJudged(result, metric);
  const value = thresholdValue(metric, result.expression);
  const note = empty ? `${unmeasuredReason(result.metric)}: not judged` : value;
  return `    ${empty ? "–" : result.ok ? "✓" : "✗"} ${result.metric} ${result.expression}${note === "" ? "" : `  (${note})`}`;
}

/** The text summary printed on stdout. */
export function textSummary(data: SummaryData, run: RunInfo, window: RunWindow, jsonPath: string): string {
  const lines = [
    "",
    `  ecs-loadlab ${run.script} against ${run.baseUrl}`,
    `  ${window.startedAt} → ${window.finishedAt} UTC (${window.durationSeconds.toFixed(1)} s): ${windowUse(run.baseUrl)}`,
    "",
  ];
  if (data.metrics === undefined) {
    lines.push("  (this k6 passed a summary format this script does not read; the JSON file has all of it)");
  } else {
    const metrics = data.metrics;
    const thresholds = thresholdResults(data);
    const failed = thresholds.filter((result) => !result.ok).length;
    const empty = thresholds.filter((result) => notJudged(result, metrics[result.metric])).length;
    lines.push(`  THRESHOLDS: ${thresholdsHeadline(thresholds.length, failed, empty)}`);
    for (const result of thresholds) lines.push(thresholdLine(result, metrics[result.metric]));

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
