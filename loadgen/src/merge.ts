/**
 * The segments' recordings merged into one result, as if one k6 had run the whole test: the summary data k6 passes to
 * handleSummary() (internal/js/summary.go, summarizeMetricsToObject), every threshold judged once over the merged
 * data, and a per-step timeline of requests, failures and latency.
 *
 * The summary's types are declared here rather than imported from k6/lib/summary.ts: this package builds on its own
 * (the runner image holds loadgen/ only); test/merge.test.ts checks that a merged summary is a k6/lib `SummaryData`.
 */
import { createHash } from "node:crypto";
import { TrendDigest } from "./digest";
import { ExactSum } from "./exact-sum";
import { ADDITIVE_GAUGES, BUILTIN_METRICS, GROUP_SEPARATOR, type MetricKind, type MetricType } from "./k6-metrics";
import type { RecordedGauge, RecordedMetric, RecordedMetrics } from "./recorder";
import {
    type K6Thresholds,
    type MetricThresholds,
    type ThresholdExpression,
    aggregationProblem,
    compare,
    parseThresholds,
} from "./thresholds";

export { readRecordedMetrics } from "./recorder";

/** k6's default summaryTrendStats. */
export const DEFAULT_SUMMARY_TREND_STATS: readonly string[] = ["avg", "min", "med", "max", "p(90)", "p(95)"];

const DEFAULT_STEP_SECONDS = 60;

export interface SummaryMetric {
    readonly type: MetricType;
    readonly contains: string;
    readonly values: { readonly [stat: string]: number };
    readonly thresholds?: { readonly [expression: string]: { readonly ok: boolean } };
}

export interface SummaryCheck {
    readonly name: string;
    readonly path: string;
    readonly id: string;
    passes: number;
    fails: number;
}

export interface SummaryGroup {
    readonly name: string;
    readonly path: string;
    readonly id: string;
    readonly groups: SummaryGroup[];
    readonly checks: SummaryCheck[];
}

/** What k6 v1 passes to handleSummary(), for the merged run. */
export interface MergedSummary {
    readonly metrics: { readonly [name: string]: SummaryMetric };
    readonly root_group: SummaryGroup;
    readonly options: {
        readonly summaryTrendStats: readonly string[];
        readonly summaryTimeUnit: string;
        readonly noColor: boolean;
    };
    readonly state: { readonly testRunDurationMs: number; readonly isStdOutTTY: false; readonly isStdErrTTY: false };
}

export interface SeriesRow {
    /** Seconds from the run's start to the step's start. */
    readonly t: number;
    readonly requests: number;
    readonly failed: number;
    /** Requests per second over the step (over its part before the run ended, for the last one). */
    readonly rps: number;
    /** http_req_duration percentiles in the step; null without requests. */
    readonly p50Ms: number | null;
    readonly p99Ms: number | null;
}

export interface MergeInput {
    readonly segments: readonly RecordedMetrics[];
    readonly thresholds: K6Thresholds;
    readonly summaryTrendStats?: readonly string[];
    readonly testRunDurationMs: number;
}

export interface MergedRun {
    readonly summary: MergedSummary;
    readonly series: { readonly stepSeconds: number; readonly rows: readonly SeriesRow[] };
    /** Exact unless a trend had more samples than a segment keeps one by one: then within 0.05 % (digest.ts). */
    readonly percentiles: { readonly exact: boolean; readonly histogramMetrics: readonly string[] };
    readonly thresholdsPassed: boolean;
    /** What the merge could not do as k6 would, and unreadable k6 output: for the command to print. */
    readonly problems: readonly string[];
}

type Aggregate =
    | { readonly kind: "counter"; readonly count: number }
    | { readonly kind: "rate"; readonly passes: number; readonly total: number }
    | { readonly kind: "gauge"; readonly value: number; readonly min: number; readonly max: number }
    | { readonly kind: "trend"; readonly digest: TrendDigest };

interface MergedMetric {
    readonly contains: string;
    readonly aggregate: Aggregate;
}

type Verdicts = { [expression: string]: { ok: boolean } };

// ---------------------------------------------------------------------------------------------------------------------
// Merging one metric's records

function latestGauge(records: readonly RecordedGauge[]): RecordedGauge {
    return records.reduce((latest, record) => (record.time >= latest.time ? record : latest));
}

/** At each second, the sum of every segment's latest value so far: the whole run's VUs. */
function summedPerSecond(records: readonly RecordedGauge[]): number[] {
    const series = records.map((record) => record.perSecond ?? [[Math.floor(record.time / 1000), record.value] as const]);
    const seconds = [...new Set(series.flatMap((values) => values.map(([second]) => second)))].sort((a, b) => a - b);
    const next = series.map(() => 0);
    const current = series.map(() => 0);
    return seconds.map((second) => {
        series.forEach((values, i) => {
            while (next[i] < values.length && values[next[i]][0] <= second) current[i] = values[next[i]++][1];
        });
        return current.reduce((sum, value) => sum + value, 0);
    });
}

function mergeGauges(records: readonly RecordedGauge[], additive: boolean): Aggregate {
    if (!additive) {
        const min = records.reduce((least, record) => Math.min(least, record.min), Infinity);
        const max = records.reduce((greatest, record) => Math.max(greatest, record.max), -Infinity);
        return { kind: "gauge", value: latestGauge(records).value, min, max };
    }
    const sums = summedPerSecond(records);
    const min = sums.reduce((least, sum) => Math.min(least, sum), Infinity);
    // A gauge's max starts at 0 in k6 (metrics/sink.go, GaugeSink).
    const max = sums.reduce((greatest, sum) => Math.max(greatest, sum), 0);
    return { kind: "gauge", value: sums[sums.length - 1], min, max };
}

type RecordedOfKind<K extends RecordedMetric["kind"]> = Extract<RecordedMetric, { kind: K }>;

function ofKind<K extends RecordedMetric["kind"]>(records: readonly RecordedMetric[], kind: K): RecordedOfKind<K>[] {
    return records.filter((record): record is RecordedOfKind<K> => record.kind === kind);
}

function mergeRecords(key: string, metric: string, records: readonly RecordedMetric[]): MergedMetric {
    const kind = records[0].kind;
    const other = records.find((record) => record.kind !== kind);
    if (other !== undefined) throw new Error(`${key} was recorded as a ${kind} in one segment and a ${other.kind} in another`);
    const contains = records[0].contains;
    switch (kind) {
        case "counter": {
            const count = new ExactSum();
            for (const record of ofKind(records, "counter")) count.add(record.count);
            return { contains, aggregate: { kind, count: count.value } };
        }
        case "rate": {
            const rates = ofKind(records, "rate");
            const passes = rates.reduce((sum, record) => sum + record.passes, 0);
            const total = rates.reduce((sum, record) => sum + record.total, 0);
            return { contains, aggregate: { kind, passes, total } };
        }
        case "gauge":
            return { contains, aggregate: mergeGauges(ofKind(records, "gauge"), ADDITIVE_GAUGES.includes(metric)) };
        case "trend": {
            const trends = ofKind(records, "trend");
            const digests = trends.map((record, i) => TrendDigest.fromJSON(record.digest, `${key} (part ${i + 1})`));
            return { contains, aggregate: { kind, digest: TrendDigest.merge(digests) } };
        }
    }
}

function emptyMetric({ type, contains }: MetricKind): MergedMetric {
    switch (type) {
        case "counter":
            return { contains, aggregate: { kind: type, count: 0 } };
        case "rate":
            return { contains, aggregate: { kind: type, passes: 0, total: 0 } };
        case "gauge":
            return { contains, aggregate: { kind: type, value: 0, min: 0, max: 0 } };
        case "trend":
            return { contains, aggregate: { kind: type, digest: new TrendDigest() } };
    }
}

/** Every key's records over the segments, in the order the keys first appear. */
function collect(maps: readonly { readonly [key: string]: RecordedMetric }[]): Map<string, RecordedMetric[]> {
    const byKey = new Map<string, RecordedMetric[]>();
    for (const map of maps) {
        for (const [key, record] of Object.entries(map)) byKey.set(key, [...(byKey.get(key) ?? []), record]);
    }
    return byKey;
}

function metricOf(key: string): string {
    const brace = key.indexOf("{");
    return brace === -1 ? key : key.slice(0, brace);
}

function mergeAll(segments: readonly RecordedMetrics[]): Map<string, MergedMetric> {
    const merged = new Map<string, MergedMetric>();
    for (const part of ["metrics", "submetrics"] as const) {
        for (const [key, records] of collect(segments.map((segment) => segment[part]))) {
            merged.set(key, mergeRecords(key, metricOf(key), records));
        }
    }
    return merged;
}

// ---------------------------------------------------------------------------------------------------------------------
// Values, as k6's summary and thresholds read them

const FIXED_TREND_STATS = new Map<string, (digest: TrendDigest) => number>([
    ["avg", (digest) => digest.avg],
    ["min", (digest) => digest.min],
    ["med", (digest) => digest.med],
    ["max", (digest) => digest.max],
    ["count", (digest) => digest.count],
]);

type TrendStats = readonly (readonly [string, (digest: TrendDigest) => number])[];

/** A summaryTrendStats entry, checked as k6 does (metrics/sink.go, GetResolversForTrendColumns, parsePercentile). */
function trendStat(stat: string): (digest: TrendDigest) => number {
    const fixed = FIXED_TREND_STATS.get(stat);
    if (fixed !== undefined) return fixed;
    const percentile = /^p\(([0-9.]+)\)$/.exec(stat);
    const value = percentile === null ? NaN : Number(percentile[1]);
    if (value >= 0 && value <= 100) return (digest) => digest.percentile(value / 100);
    const allowed = "use avg, min, med, max, count or p(N), N from 0 to 100";
    throw new RangeError(`summaryTrendStats: "${stat}" is not a trend stat: ${allowed}`);
}

function counterRate(count: number, durationMs: number): number {
    return durationMs > 0 ? count / (durationMs / 1000) : 0;
}

/** The values k6 puts in the summary for each metric type (internal/js/summary.go, metricValueGetter). */
function summaryValues(
    aggregate: Aggregate,
    trendStats: TrendStats,
    durationMs: number,
): { [stat: string]: number } {
    switch (aggregate.kind) {
        case "counter":
            return { count: aggregate.count, rate: counterRate(aggregate.count, durationMs) };
        case "rate": {
            const { passes, total } = aggregate;
            return { rate: total > 0 ? passes / total : 0, passes, fails: total - passes };
        }
        case "gauge":
            return { value: aggregate.value, min: aggregate.min, max: aggregate.max };
        case "trend":
            return Object.fromEntries(trendStats.map(([stat, read]) => [stat, read(aggregate.digest)]));
    }
}

function summaryMetrics(
    merged: ReadonlyMap<string, MergedMetric>,
    verdicts: ReadonlyMap<string, Verdicts>,
    trendStats: TrendStats,
    durationMs: number,
): { [name: string]: SummaryMetric } {
    const metrics: { [name: string]: SummaryMetric } = {};
    for (const [key, { contains, aggregate }] of merged) {
        const thresholds = verdicts.get(key);
        const values = summaryValues(aggregate, trendStats, durationMs);
        metrics[key] = { type: aggregate.kind, contains, values, ...(thresholds === undefined ? {} : { thresholds }) };
    }
    return metrics;
}

function trendValue(digest: TrendDigest, expression: ThresholdExpression): number {
    switch (expression.method) {
        case "avg":
            return digest.avg;
        case "min":
            return digest.min;
        case "max":
            return digest.max;
        case "med":
            return digest.med;
        default:
            return digest.percentile((expression.percentile ?? 0) / 100);
    }
}

/**
 * What a threshold compares, as k6's Thresholds.Run computes it (metrics/thresholds.go). An empty Rate has no value
 * (k6 avoids dividing by zero, grafana/k6#2520) and k6 then passes the threshold: undefined here.
 */
function thresholdValue(aggregate: Aggregate, expression: ThresholdExpression, durationMs: number): number | undefined {
    switch (aggregate.kind) {
        case "counter":
            return expression.method === "count" ? aggregate.count : counterRate(aggregate.count, durationMs);
        case "gauge":
            return aggregate.value;
        case "rate":
            return aggregate.total === 0 ? undefined : aggregate.passes / aggregate.total;
        case "trend":
            return trendValue(aggregate.digest, expression);
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Thresholds

/**
 * Thresholds on a metric or sub-metric that no segment has a sample of are judged as k6 v1 judges them: k6 marks a
 * thresholded metric (and a sub-metric's parent) as observed from the start, so the summary shows it with empty values
 * (metrics/engine/engine.go, InitSubMetricsAndThresholds), and at the end it runs every threshold, empty sinks
 * included (evaluateThresholds with ignoreEmptySinks false). Empty, a counter's count and rate are 0, a gauge's value
 * 0, a trend's avg, min, max, med and percentiles 0, and a Rate has no value, which passes (metrics/thresholds.go):
 * `count<10` and `p(99)<3000` pass, `count>0` fails, `rate>=0.99` on an empty Rate passes. Such a metric's type is
 * known from the other segments' records or, for k6's built-in metrics, from k6-metrics.ts; a custom metric that no
 * segment ever saw has no known type, and its thresholds fail with a problem (k6 would reject a threshold on a metric
 * the script does not define; if it does define it, only its type is missing here).
 */
function addThresholdMetrics(
    metrics: Map<string, MergedMetric>,
    entries: readonly MetricThresholds[],
    problems: string[],
): void {
    const kindOf = (metric: string): MetricKind | undefined => {
        const merged = metrics.get(metric);
        return merged === undefined ? BUILTIN_METRICS[metric] : { type: merged.aggregate.kind, contains: merged.contains };
    };
    for (const entry of entries) {
        const kind = kindOf(entry.metric);
        if (kind === undefined) {
            problems.push(
                `${entry.selector}: no segment has a sample of ${entry.metric} and it is not a k6 built-in metric, ` +
                    "so its type is unknown (k6 rejects thresholds on a metric the script does not define): " +
                    "its thresholds count as failed",
            );
            continue;
        }
        if (!metrics.has(entry.metric)) metrics.set(entry.metric, emptyMetric(kind));
        if (!metrics.has(entry.selector)) metrics.set(entry.selector, emptyMetric(kind));
    }
}

function judge(
    entry: MetricThresholds,
    metric: MergedMetric | undefined,
    durationMs: number,
    problems: string[],
): Verdicts {
    const verdicts: Verdicts = {};
    for (const rule of entry.rules) {
        if (metric === undefined) {
            verdicts[rule.source] = { ok: false };
            continue;
        }
        const problem = aggregationProblem(entry.selector, rule.source, rule.expression, metric.aggregate.kind);
        if (problem !== undefined) {
            problems.push(`${entry.selector}: ${problem}`);
            verdicts[rule.source] = { ok: false };
            continue;
        }
        const value = thresholdValue(metric.aggregate, rule.expression, durationMs);
        verdicts[rule.source] = { ok: value === undefined || compare(value, rule.expression.operator, rule.expression.value) };
    }
    return verdicts;
}

// ---------------------------------------------------------------------------------------------------------------------
// Groups and checks

function md5(text: string): string {
    return createHash("md5").update(text).digest("hex");
}

/** The root group with its groups and checks, named and identified as k6 does (lib/models.go, NewGroup, NewCheck). */
function rootGroup(segments: readonly RecordedMetrics[]): SummaryGroup {
    const root: SummaryGroup = { name: "", path: "", id: md5(""), groups: [], checks: [] };
    const groups = new Map<string, SummaryGroup>([["", root]]);
    const groupAt = (path: string): SummaryGroup => {
        const known = groups.get(path);
        if (known !== undefined) return known;
        const separator = path.lastIndexOf(GROUP_SEPARATOR);
        const parent = groupAt(separator === -1 ? "" : path.slice(0, separator));
        const name = path.slice(separator + GROUP_SEPARATOR.length);
        const group: SummaryGroup = { name, path, id: md5(path), groups: [], checks: [] };
        parent.groups.push(group);
        groups.set(path, group);
        return group;
    };
    for (const segment of segments) segment.groups.forEach(groupAt);
    for (const segment of segments) {
        for (const { group: groupPath, name, passes, fails } of segment.checks) {
            const group = groupAt(groupPath);
            const path = groupPath + GROUP_SEPARATOR + name;
            let check = group.checks.find((known) => known.name === name);
            if (check === undefined) {
                check = { name, path, id: md5(path), passes: 0, fails: 0 };
                group.checks.push(check);
            }
            check.passes += passes;
            check.fails += fails;
        }
    }
    return root;
}

// ---------------------------------------------------------------------------------------------------------------------
// The timeline

function seriesRows(segments: readonly RecordedMetrics[], stepSeconds: number, durationMs: number): SeriesRow[] {
    const steps = new Map<number, { requests: number; failed: number; digests: TrendDigest[] }>();
    for (const segment of segments) {
        for (const { step, requests, failed, duration } of segment.series) {
            const row = steps.get(step) ?? { requests: 0, failed: 0, digests: [] };
            row.requests += requests;
            row.failed += failed;
            row.digests.push(TrendDigest.fromJSON(duration, `series step ${step}`));
            steps.set(step, row);
        }
    }
    const last = Math.max(-1, ...steps.keys());
    return Array.from({ length: last + 1 }, (_, step) => {
        const t = step * stepSeconds;
        const { requests, failed, digests } = steps.get(step) ?? { requests: 0, failed: 0, digests: [] };
        const duration = TrendDigest.merge(digests);
        const covered = Math.min(stepSeconds, durationMs / 1000 - t);
        const empty = duration.count === 0;
        return {
            t,
            requests,
            failed,
            rps: requests / (covered > 0 ? covered : stepSeconds),
            p50Ms: empty ? null : duration.percentile(0.5),
            p99Ms: empty ? null : duration.percentile(0.99),
        };
    });
}

// ---------------------------------------------------------------------------------------------------------------------

function checkSegmentsAgree(segments: readonly RecordedMetrics[]): void {
    for (const [i, segment] of segments.entries()) {
        if (segment.startedAt !== segments[0].startedAt || segment.seriesStepSeconds !== segments[0].seriesStepSeconds) {
            throw new Error(
                `segment ${i} started at ${segment.startedAt} with ${segment.seriesStepSeconds} s steps, segment 0 at ` +
                    `${segments[0].startedAt} with ${segments[0].seriesStepSeconds} s steps: they are not parts of one run`,
            );
        }
    }
}

function unreadableProblems(segments: readonly RecordedMetrics[]): string[] {
    return segments.flatMap(({ unreadableLines }, i) =>
        unreadableLines === 0 ? [] : [`segment ${i}: ${unreadableLines} unreadable line(s) of k6's output left out`],
    );
}

export function mergeRecorded(input: MergeInput): MergedRun {
    const { segments, testRunDurationMs: durationMs } = input;
    if (!(durationMs >= 0)) throw new RangeError(`testRunDurationMs must be a duration ≥ 0, got ${durationMs}`);
    checkSegmentsAgree(segments);
    const trendStatNames = input.summaryTrendStats ?? DEFAULT_SUMMARY_TREND_STATS;
    const trendStats = trendStatNames.map((stat) => [stat, trendStat(stat)] as const);
    const entries = parseThresholds(input.thresholds);
    const problems = unreadableProblems(segments);

    const merged = mergeAll(segments);
    const histogramMetrics = [...merged.entries()]
        .filter(([, { aggregate }]) => aggregate.kind === "trend" && !aggregate.digest.exact)
        .map(([key]) => key);
    addThresholdMetrics(merged, entries, problems);
    const verdicts = new Map(
        entries.map((entry) => [entry.selector, judge(entry, merged.get(entry.selector), durationMs, problems)] as const),
    );
    const stepSeconds = segments[0]?.seriesStepSeconds ?? DEFAULT_STEP_SECONDS;
    return {
        summary: {
            metrics: summaryMetrics(merged, verdicts, trendStats, durationMs),
            root_group: rootGroup(segments),
            options: { summaryTrendStats: [...trendStatNames], summaryTimeUnit: "", noColor: false },
            state: { testRunDurationMs: durationMs, isStdOutTTY: false, isStdErrTTY: false },
        },
        series: { stepSeconds, rows: seriesRows(segments, stepSeconds, durationMs) },
        percentiles: { exact: histogramMetrics.length === 0, histogramMetrics },
        thresholdsPassed: [...verdicts.values()].every((verdict) => Object.values(verdict).every(({ ok }) => ok)),
        problems,
    };
}
