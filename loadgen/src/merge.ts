/**
 * The segments' recordings merged into one result, as if one k6 had run the whole test: the summary data k6 passes to
 * handleSummary() (internal/js/summary.go, summarizeMetricsToObject), every threshold judged once over the merged
 * data, and a per-step timeline of requests, failures and latency.
 *
 * The summary's types are declared here rather than imported from k6/lib/summary.ts: this package builds on its own
 * (the runner image holds loadgen/ only); test/merge.test.ts checks that a merged summary is a k6/lib `SummaryData`.
 */
import { createHash } from "node:crypto";
import { RUN_EXACT_SAMPLE_BUDGET, RUN_EXACT_SAMPLE_MEMORY, TrendDigest } from "./digest";
import { ExactSum } from "./exact-sum";
import { ADDITIVE_GAUGES, BUILTIN_METRICS, GROUP_SEPARATOR, type MetricKind, type MetricType } from "./k6-metrics";
import type { RecordedMetric, RecordedMetrics } from "./recorder";
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

/** What k6 passes to handleSummary() (the same shape in v1 and v2, internal/js/summary.go), for the merged run. */
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

export interface RunMergerOptions {
    /** Samples of each trend series the merge keeps one by one: the run's budget (digest.ts). */
    readonly exactSamplesPerSeries: number;
    /** Samples it keeps one by one over all series; RUN_EXACT_SAMPLE_MEMORY unless given (tests give less). */
    readonly exactSamplesInMemory?: number;
}

export interface FinishInput {
    readonly thresholds: K6Thresholds;
    readonly summaryTrendStats?: readonly string[];
    readonly testRunDurationMs: number;
    /** The run's segments: those not added make the run incomplete. */
    readonly expectedSegments: readonly number[];
}

export interface MergeInput extends Omit<FinishInput, "expectedSegments">, Partial<RunMergerOptions> {
    /** Segment i of the run is segments[i]; all of them. */
    readonly segments: readonly RecordedMetrics[];
}

export interface PercentileMode {
    /** exact: every sample kept, k6's percentiles to the last bit; histogram: within 0.05 % (digest.ts). */
    readonly mode: "exact" | "histogram";
    readonly count: number;
}

export interface MergedRun {
    readonly summary: MergedSummary;
    readonly series: { readonly stepSeconds: number; readonly rows: readonly SeriesRow[] };
    /** The exact budget per series, and how each trend metric and sub-metric that had a sample was merged. */
    readonly percentiles: { readonly budget: number; readonly series: { readonly [key: string]: PercentileMode } };
    /** Thresholds over what was recorded, complete or not. */
    readonly thresholdsPassed: boolean;
    /** Every expected segment was added, and ran to its end. */
    readonly complete: boolean;
    /** The expected segments that were not added, ascending. */
    readonly missingSegments: readonly number[];
    /** The segments added that did not run to their end, ascending. */
    readonly cutShortSegments: readonly number[];
    /** incomplete whenever a segment is missing or cut short, whatever the thresholds say. */
    readonly verdict: "passed" | "failed" | "incomplete";
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
// One metric's records, folded in segment by segment

type RecordedOfKind<K extends RecordedMetric["kind"]> = Extract<RecordedMetric, { kind: K }>;

function ofKind<K extends RecordedMetric["kind"]>(record: RecordedMetric, kind: K, key: string): RecordedOfKind<K> {
    if (record.kind !== kind) throw new Error(`${key} was recorded as a ${kind} in one segment and a ${record.kind} in another`);
    return record as RecordedOfKind<K>;
}

interface MetricTotal {
    readonly contains: string;
    add(record: RecordedMetric, key: string): void;
    aggregate(): Aggregate;
}

class CounterTotal implements MetricTotal {
    private readonly count = new ExactSum();

    constructor(readonly contains: string) {}

    add(record: RecordedMetric, key: string): void {
        this.count.add(ofKind(record, "counter", key).count);
    }

    aggregate(): Aggregate {
        return { kind: "counter", count: this.count.value };
    }
}

class RateTotal implements MetricTotal {
    private passes = 0;
    private total = 0;

    constructor(readonly contains: string) {}

    add(record: RecordedMetric, key: string): void {
        const rate = ofKind(record, "rate", key);
        this.passes += rate.passes;
        this.total += rate.total;
    }

    aggregate(): Aggregate {
        return { kind: "rate", passes: this.passes, total: this.total };
    }
}

/** A gauge of the whole run: the latest sample over the segments (of two at the same time, the later segment's). */
class LatestGauge implements MetricTotal {
    private time = -Infinity;
    private value = 0;
    private min = Infinity;
    private max = -Infinity;

    constructor(readonly contains: string) {}

    add(record: RecordedMetric, key: string): void {
        const gauge = ofKind(record, "gauge", key);
        if (gauge.time >= this.time) [this.time, this.value] = [gauge.time, gauge.value];
        this.min = Math.min(this.min, gauge.min);
        this.max = Math.max(this.max, gauge.max);
    }

    aggregate(): Aggregate {
        return { kind: "gauge", value: this.value, min: this.min, max: this.max };
    }
}

/**
 * vus and vus_max: at each second where a segment has a value, the sum of every segment's latest value so far (the
 * whole run's VUs). Each segment's step function is added as its changes, second by second, so that memory grows with
 * the distinct seconds, not the segments; VU counts are whole numbers, so the sums are exact.
 */
class SummedGauge implements MetricTotal {
    private readonly changes = new Map<number, number>();

    constructor(readonly contains: string) {}

    add(record: RecordedMetric, key: string): void {
        const gauge = ofKind(record, "gauge", key);
        let previous = 0;
        for (const [second, value] of gauge.perSecond ?? [[Math.floor(gauge.time / 1000), gauge.value]]) {
            this.changes.set(second, (this.changes.get(second) ?? 0) + value - previous);
            previous = value;
        }
    }

    aggregate(): Aggregate {
        let [sum, min, max] = [0, 0, 0];
        for (const [i, [, change]] of [...this.changes].sort((a, b) => a[0] - b[0]).entries()) {
            sum += change;
            [min, max] = i === 0 ? [sum, sum] : [Math.min(min, sum), Math.max(max, sum)];
        }
        return { kind: "gauge", value: sum, min, max };
    }
}

class TrendTotal implements MetricTotal {
    readonly digest: TrendDigest;

    constructor(
        readonly contains: string,
        exactLimit: number,
    ) {
        this.digest = new TrendDigest(exactLimit);
    }

    add(record: RecordedMetric, key: string): void {
        this.digest.absorb(ofKind(record, "trend", key).digest);
    }

    aggregate(): Aggregate {
        return { kind: "trend", digest: this.digest };
    }
}

function metricOf(key: string): string {
    const brace = key.indexOf("{");
    return brace === -1 ? key : key.slice(0, brace);
}

function totalFor(key: string, { kind, contains }: RecordedMetric, exactLimit: number): MetricTotal {
    switch (kind) {
        case "counter":
            return new CounterTotal(contains);
        case "rate":
            return new RateTotal(contains);
        case "gauge":
            return ADDITIVE_GAUGES.includes(metricOf(key)) ? new SummedGauge(contains) : new LatestGauge(contains);
        case "trend":
            return new TrendTotal(contains, exactLimit);
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
            return { contains, aggregate: { kind: type, digest: new TrendDigest(0) } };
    }
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

/** A summaryTrendStats entry, checked as k6 does (metrics/sample.go, GetResolversForTrendColumns, parsePercentile). */
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
class GroupTree {
    readonly root: SummaryGroup = { name: "", path: "", id: md5(""), groups: [], checks: [] };
    private readonly groups = new Map<string, SummaryGroup>([["", this.root]]);
    private readonly checks = new Map<string, SummaryCheck>();

    add({ groups, checks }: RecordedMetrics): void {
        for (const path of groups) this.groupAt(path);
        for (const { group: groupPath, name, passes, fails } of checks) {
            const path = groupPath + GROUP_SEPARATOR + name;
            let check = this.checks.get(path);
            if (check === undefined) {
                check = { name, path, id: md5(path), passes: 0, fails: 0 };
                this.groupAt(groupPath).checks.push(check);
                this.checks.set(path, check);
            }
            check.passes += passes;
            check.fails += fails;
        }
    }

    private groupAt(path: string): SummaryGroup {
        const known = this.groups.get(path);
        if (known !== undefined) return known;
        const separator = path.lastIndexOf(GROUP_SEPARATOR);
        const parent = this.groupAt(separator === -1 ? "" : path.slice(0, separator));
        const name = path.slice(separator + GROUP_SEPARATOR.length);
        const group: SummaryGroup = { name, path, id: md5(path), groups: [], checks: [] };
        parent.groups.push(group);
        this.groups.set(path, group);
        return group;
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// The timeline

class Timeline {
    private readonly steps = new Map<number, { requests: number; failed: number; readonly duration: TrendDigest }>();

    add({ series }: RecordedMetrics): void {
        for (const { step, requests, failed, duration } of series) {
            let row = this.steps.get(step);
            if (row === undefined) {
                row = { requests: 0, failed: 0, duration: new TrendDigest(0) };
                this.steps.set(step, row);
            }
            row.requests += requests;
            row.failed += failed;
            row.duration.absorb(duration);
        }
    }

    rows(stepSeconds: number, durationMs: number): SeriesRow[] {
        const last = Math.max(-1, ...this.steps.keys());
        return Array.from({ length: last + 1 }, (_, step) => {
            const t = step * stepSeconds;
            const { requests, failed, duration } = this.steps.get(step) ?? { requests: 0, failed: 0, duration: undefined };
            const covered = Math.min(stepSeconds, durationMs / 1000 - t);
            const empty = duration === undefined || duration.count === 0;
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
}

// ---------------------------------------------------------------------------------------------------------------------

/**
 * The merge of a run's segments, one at a time: `add` folds a segment's recording in, after which the caller can drop
 * it, so that memory grows with the exact samples kept (at most the budget per series) and the distinct seconds of
 * vus and vus_max, not with the number of segments.
 */
export class RunMerger {
    private readonly exactLimit: number;
    private readonly added = new Set<number>();
    private readonly cutShort = new Set<number>();
    private first: { readonly segment: number; readonly startedAt: string; readonly seriesStepSeconds: number } | undefined;
    private readonly metrics = new Map<string, MetricTotal>();
    private readonly submetrics = new Map<string, MetricTotal>();
    private readonly groups = new GroupTree();
    private readonly timeline = new Timeline();
    private readonly problems: string[] = [];

    private readonly memoryLimit: number;

    constructor({ exactSamplesPerSeries, exactSamplesInMemory = RUN_EXACT_SAMPLE_MEMORY }: RunMergerOptions) {
        this.memoryLimit = exactSamplesInMemory;
        if (!(exactSamplesPerSeries >= 0)) {
            throw new RangeError(`exactSamplesPerSeries must be a number of samples ≥ 0, got ${exactSamplesPerSeries}`);
        }
        this.exactLimit = exactSamplesPerSeries;
    }

    /**
     * One segment's result: what it recorded (nothing when k6 never ran), and whether it ran to its end. A segment
     * cut short is there, but makes the run incomplete as a missing one does.
     */
    add(segment: number, recorded: RecordedMetrics | undefined, ranToEnd = true): void {
        if (!(Number.isSafeInteger(segment) && segment >= 0)) throw new RangeError(`a segment is a whole number ≥ 0, got ${segment}`);
        if (this.added.has(segment)) throw new Error(`segment ${segment} was added twice`);
        if (recorded !== undefined) this.checkSameRun(segment, recorded);
        this.added.add(segment);
        if (!ranToEnd) this.cutShort.add(segment);
        if (recorded === undefined) return;
        this.addMetrics(this.metrics, recorded.metrics);
        this.addMetrics(this.submetrics, recorded.submetrics);
        this.boundExactSamples();
        this.groups.add(recorded);
        this.timeline.add(recorded);
        if (recorded.unreadableLines > 0) {
            this.problems.push(`segment ${segment}: ${recorded.unreadableLines} unreadable line(s) of k6's output left out`);
        }
    }

    finish(input: FinishInput): MergedRun {
        const { testRunDurationMs: durationMs } = input;
        if (!(durationMs >= 0)) throw new RangeError(`testRunDurationMs must be a duration ≥ 0, got ${durationMs}`);
        const trendStatNames = input.summaryTrendStats ?? DEFAULT_SUMMARY_TREND_STATS;
        const trendStats = trendStatNames.map((stat) => [stat, trendStat(stat)] as const);
        const entries = parseThresholds(input.thresholds);
        const problems = [...this.problems];

        const merged = new Map<string, MergedMetric>();
        for (const [key, total] of [...this.metrics, ...this.submetrics]) {
            merged.set(key, { contains: total.contains, aggregate: total.aggregate() });
        }
        const percentileModes = modes(merged);
        addThresholdMetrics(merged, entries, problems);
        const verdicts = new Map(
            entries.map((entry) => [entry.selector, judge(entry, merged.get(entry.selector), durationMs, problems)] as const),
        );
        const thresholdsPassed = [...verdicts.values()].every((verdict) => Object.values(verdict).every(({ ok }) => ok));
        const missingSegments = [...new Set(input.expectedSegments)].filter((segment) => !this.added.has(segment)).sort((a, b) => a - b);
        const cutShortSegments = [...this.cutShort].sort((a, b) => a - b);
        const complete = missingSegments.length === 0 && cutShortSegments.length === 0;
        const stepSeconds = this.first?.seriesStepSeconds ?? DEFAULT_STEP_SECONDS;
        return {
            summary: {
                metrics: summaryMetrics(merged, verdicts, trendStats, durationMs),
                root_group: this.groups.root,
                options: { summaryTrendStats: [...trendStatNames], summaryTimeUnit: "", noColor: false },
                state: { testRunDurationMs: durationMs, isStdOutTTY: false, isStdErrTTY: false },
            },
            series: { stepSeconds, rows: this.timeline.rows(stepSeconds, durationMs) },
            percentiles: { budget: this.exactLimit, series: percentileModes },
            thresholdsPassed,
            complete,
            missingSegments,
            cutShortSegments,
            verdict: !complete ? "incomplete" : thresholdsPassed ? "passed" : "failed",
            problems,
        };
    }

    private checkSameRun(segment: number, { startedAt, seriesStepSeconds }: RecordedMetrics): void {
        const first = (this.first ??= { segment, startedAt, seriesStepSeconds });
        if (startedAt !== first.startedAt || seriesStepSeconds !== first.seriesStepSeconds) {
            throw new Error(
                `segment ${segment} started at ${startedAt} with ${seriesStepSeconds} s steps, segment ${first.segment} at ` +
                    `${first.startedAt} with ${first.seriesStepSeconds} s steps: they are not parts of one run`,
            );
        }
    }

    /** Past the memory limit of exact samples over every series, the largest exact series become histograms. */
    private boundExactSamples(): void {
        const exact = [...this.metrics.values(), ...this.submetrics.values()]
            .filter((total): total is TrendTotal => total instanceof TrendTotal && total.digest.exact)
            .sort((a, b) => b.digest.count - a.digest.count);
        let held = exact.reduce((sum, total) => sum + total.digest.count, 0);
        for (const largest of exact) {
            if (held <= this.memoryLimit) return;
            held -= largest.digest.count;
            largest.digest.forgoSamples();
        }
    }

    private addMetrics(totals: Map<string, MetricTotal>, records: { readonly [key: string]: RecordedMetric }): void {
        for (const [key, record] of Object.entries(records)) {
            let total = totals.get(key);
            if (total === undefined) {
                total = totalFor(key, record, this.exactLimit);
                totals.set(key, total);
            }
            total.add(record, key);
        }
    }
}

function modes(merged: ReadonlyMap<string, MergedMetric>): { [key: string]: PercentileMode } {
    const series: { [key: string]: PercentileMode } = {};
    for (const [key, { aggregate }] of merged) {
        if (aggregate.kind === "trend") series[key] = { mode: aggregate.digest.exact ? "exact" : "histogram", count: aggregate.digest.count };
    }
    return series;
}

/** The merge of every segment of a run at once: segment i is segments[i]. */
export function mergeRecorded({ segments, exactSamplesPerSeries = RUN_EXACT_SAMPLE_BUDGET, ...finish }: MergeInput): MergedRun {
    const merger = new RunMerger({ exactSamplesPerSeries });
    segments.forEach((segment, i) => merger.add(i, segment));
    return merger.finish({ ...finish, expectedSegments: segments.map((_, i) => i) });
}
