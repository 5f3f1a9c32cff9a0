/**
 * One segment's results, read line by line from `k6 run --out json` as k6 writes them (internal/output/json: a
 * `Metric` line declares a metric before its first sample, then one `Point` line per sample), and kept as what the
 * merge needs: a {@link RecordedMetrics}, plain JSON, small next to the samples it stands for.
 *
 *   {"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}
 *   {"type":"Point","data":{"time":"2017-05-09T14:34:45.239531499+02:00","value":1,"tags":{"name":"health",...}},"metric":"http_reqs"}
 *
 * A line that is not one of these (not JSON, a Point of an undeclared metric, a value that is not a finite number) is
 * counted as unreadable, never thrown: k6's stdout may mix in, and one bad line must not lose a run.
 */
import { TrendDigest, readTrendDigestJSON, type TrendDigestJSON } from "./digest";
import { ExactSum } from "./exact-sum";
import {
    FormatError,
    type JsonObject,
    child,
    fail,
    isJsonObject,
    readCount,
    readFinite,
    readList,
    readObject,
    readPairs,
    readString,
} from "./json-shape";
import { ADDITIVE_GAUGES, DEFAULT_SUBMETRICS, GROUP_SEPARATOR, isMetricType, type MetricType } from "./k6-metrics";
import { parseMetricSelector } from "./thresholds";

export interface RecordedCounter {
    readonly kind: "counter";
    readonly contains: string;
    /** The sum of the samples, rounded once (exact-sum.ts). */
    readonly count: number;
}

export interface RecordedRate {
    readonly kind: "rate";
    readonly contains: string;
    /** Samples that are not 0. */
    readonly passes: number;
    readonly total: number;
}

export interface RecordedGauge {
    readonly kind: "gauge";
    readonly contains: string;
    /** The latest sample by its time (epoch milliseconds; of two at the same time, the later line). */
    readonly time: number;
    readonly value: number;
    readonly min: number;
    readonly max: number;
    /** For an additive gauge (vus, vus_max): the last value in each whole second, `[epoch second, value]` by second. */
    readonly perSecond?: readonly (readonly [number, number])[];
}

export interface RecordedTrend {
    readonly kind: "trend";
    readonly contains: string;
    readonly digest: TrendDigestJSON;
}

export type RecordedMetric = RecordedCounter | RecordedRate | RecordedGauge | RecordedTrend;

/** One check in one group, from the `checks` samples (tags `check` and `group`). */
export interface RecordedCheck {
    /** The group's path: "" for the root group, `::outer::inner` below it. */
    readonly group: string;
    readonly name: string;
    readonly passes: number;
    readonly fails: number;
}

/** One step of the timeline (seriesStepSeconds long, counted from startedAt). */
export interface RecordedStep {
    readonly step: number;
    /** http_reqs. */
    readonly requests: number;
    /** http_req_failed samples that are not 0. */
    readonly failed: number;
    /** http_req_duration, as a histogram. */
    readonly duration: TrendDigestJSON;
}

export interface RecordedMetrics {
    readonly version: 1;
    /** The run's start (the same for every segment): the timeline's steps count from it. */
    readonly startedAt: string;
    readonly seriesStepSeconds: number;
    readonly unreadableLines: number;
    /** Every metric that had a sample, by name. */
    readonly metrics: { readonly [name: string]: RecordedMetric };
    /** Every requested sub-metric that had a sample, by its selector as requested. */
    readonly submetrics: { readonly [selector: string]: RecordedMetric };
    /** The group paths the samples were tagged with, in the order they first appeared. */
    readonly groups: readonly string[];
    readonly checks: readonly RecordedCheck[];
    readonly series: readonly RecordedStep[];
}

export interface SegmentRecorderOptions {
    /** Sub-metrics to record (the thresholds' keys with a tag filter); k6's own default ones are always recorded. */
    readonly submetrics: readonly string[];
    /** The run's start: the timeline's steps count from it. */
    readonly startedAt: Date;
    readonly seriesStepSeconds?: number;
    /**
     * Samples of each trend metric and sub-metric kept one by one (the task's share of the run's budget,
     * digest.ts exactSamplesPerTask); past them the series is a histogram.
     */
    readonly exactSamplesPerSeries: number;
}

interface Sink {
    add(value: number, time: number): void;
    result(contains: string): RecordedMetric;
}

class CounterSink implements Sink {
    private readonly sum = new ExactSum();

    add(value: number): void {
        this.sum.add(value);
    }

    result(contains: string): RecordedCounter {
        return { kind: "counter", contains, count: this.sum.value };
    }
}

class RateSink implements Sink {
    private passes = 0;
    private total = 0;

    add(value: number): void {
        this.total++;
        if (value !== 0) this.passes++;
    }

    result(contains: string): RecordedRate {
        return { kind: "rate", contains, passes: this.passes, total: this.total };
    }
}

/** min and max from the first sample, as k6 since v2.2.0 (grafana/k6#6195; before it, max started at 0). */
class GaugeSink implements Sink {
    private time = -Infinity;
    private value = 0;
    private min = 0;
    private max = 0;
    private seen = false;
    private readonly perSecond: Map<number, { time: number; value: number }> | undefined;

    constructor(additive: boolean) {
        this.perSecond = additive ? new Map() : undefined;
    }

    add(value: number, time: number): void {
        if (time >= this.time) {
            this.time = time;
            this.value = value;
        }
        if (!this.seen || value < this.min) this.min = value;
        if (!this.seen || value > this.max) this.max = value;
        this.seen = true;
        if (this.perSecond === undefined) return;
        const second = Math.floor(time / 1000);
        const last = this.perSecond.get(second);
        if (last === undefined || time >= last.time) this.perSecond.set(second, { time, value });
    }

    result(contains: string): RecordedGauge {
        const { time, value, min, max } = this;
        const latest = { kind: "gauge" as const, contains, time, value, min, max };
        if (this.perSecond === undefined) return latest;
        const bySecond = [...this.perSecond].sort((a, b) => a[0] - b[0]);
        return { ...latest, perSecond: bySecond.map(([second, last]) => [second, last.value] as const) };
    }
}

class TrendSink implements Sink {
    private readonly digest: TrendDigest;

    constructor(exactLimit: number) {
        this.digest = new TrendDigest(exactLimit);
    }

    add(value: number): void {
        this.digest.add(value);
    }

    result(contains: string): RecordedTrend {
        return { kind: "trend", contains, digest: this.digest.toJSON() };
    }
}

function createSink(type: MetricType, additive: boolean, exactLimit: number): Sink {
    switch (type) {
        case "counter":
            return new CounterSink();
        case "rate":
            return new RateSink();
        case "gauge":
            return new GaugeSink(additive);
        case "trend":
            return new TrendSink(exactLimit);
    }
}

/** A sink created at the first sample, so that only metrics that had one are recorded (as k6 marks them observed). */
class LazySink {
    private sink: Sink | undefined;

    constructor(private readonly create: () => Sink) {}

    add(value: number, time: number): void {
        (this.sink ??= this.create()).add(value, time);
    }

    result(contains: string): RecordedMetric | undefined {
        return this.sink?.result(contains);
    }
}

interface SubmetricFilter {
    readonly selector: string;
    readonly tags: readonly (readonly [string, string])[];
}

interface MetricEntry {
    readonly contains: string;
    readonly sink: LazySink;
    readonly submetrics: readonly { readonly filter: SubmetricFilter; readonly sink: LazySink }[];
}

/** A sample is in `metric{a:x,b:y}` when its tags include each listed tag with that value (metrics/engine/ingester.go). */
function matches(tags: JsonObject, filter: SubmetricFilter): boolean {
    for (const [tag, value] of filter.tags) if (tags[tag] !== value) return false;
    return true;
}

function submetricFilters(selectors: readonly string[]): Map<string, SubmetricFilter[]> {
    const byMetric = new Map<string, SubmetricFilter[]>();
    for (const selector of new Set([...selectors, ...DEFAULT_SUBMETRICS])) {
        const { metric, tags } = parseMetricSelector(selector);
        const filters = byMetric.get(metric) ?? [];
        filters.push({ selector, tags: Object.entries(tags) });
        byMetric.set(metric, filters);
    }
    return byMetric;
}

/** The whole-second part of `2017-05-09T14:34:45.239531499+02:00`: RFC 3339 as Go writes a time.Time. */
const WHOLE_SECOND = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)$/;
const WHOLE_SECOND_LENGTH = 19;

function daysInMonth(year: number, month: number): number {
    return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isDigit(code: number): boolean {
    return code >= 48 && code <= 57;
}

/** `.239531499` (1 to 9 digits, optional) then `Z` or `±hh:mm`, from `at` to the end: milliseconds to add. */
function fractionAndZoneMs(text: string, at: number): number | undefined {
    let i = at;
    let fractionMs = 0;
    if (text.charCodeAt(i) === 46 /* . */) {
        let digits = 0;
        let value = 0;
        for (i++; isDigit(text.charCodeAt(i)); i++, digits++) value = value * 10 + text.charCodeAt(i) - 48;
        if (digits === 0 || digits > 9) return undefined;
        fractionMs = value / 10 ** (digits - 3);
    }
    if (text.charCodeAt(i) === 90 /* Z */) return i === text.length - 1 ? fractionMs : undefined;
    const sign = text[i] === "+" ? -1 : text[i] === "-" ? 1 : 0;
    const hours = twoDigits(text, i + 1);
    const minutes = twoDigits(text, i + 4);
    if (sign === 0 || text[i + 3] !== ":" || text.length !== i + 6 || !(hours <= 23 && minutes <= 59)) return undefined;
    return fractionMs + sign * (hours * 60 + minutes) * 60_000;
}

/** The number written with two digits at `at`; NaN when they are not digits. */
function twoDigits(text: string, at: number): number {
    const [tens, units] = [text.charCodeAt(at), text.charCodeAt(at + 1)];
    return isDigit(tens) && isDigit(units) ? (tens - 48) * 10 + units - 48 : NaN;
}

/**
 * Reads k6's sample times (RFC 3339 with up to nanoseconds and a zone) as epoch milliseconds; a double keeps them to
 * a quarter of a microsecond. Samples come in bursts within one second, so the calendar is read once per second.
 */
export class TimestampReader {
    private cachedSecond = "";
    private cachedMs = 0;

    /** Epoch milliseconds, or undefined when `text` is not such a time. */
    read(text: string): number | undefined {
        if (this.cachedSecond === "" || !text.startsWith(this.cachedSecond)) {
            const wholeSecond = text.slice(0, WHOLE_SECOND_LENGTH);
            const ms = calendarMs(wholeSecond);
            if (ms === undefined) return undefined;
            this.cachedSecond = wholeSecond;
            this.cachedMs = ms;
        }
        const rest = fractionAndZoneMs(text, WHOLE_SECOND_LENGTH);
        return rest === undefined ? undefined : this.cachedMs + rest;
    }
}

/** `2017-05-09T14:34:45` as if in UTC, checked (no 30 February). */
function calendarMs(wholeSecond: string): number | undefined {
    const match = WHOLE_SECOND.exec(wholeSecond);
    if (match === null) return undefined;
    const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
    const validDay = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
    const validTime = hour <= 23 && minute <= 59 && second <= 59;
    return validDay && validTime ? Date.UTC(year, month - 1, day, hour, minute, second) : undefined;
}

class SeriesStep {
    requests = 0;
    failed = 0;
    readonly duration = new TrendDigest(0);
}

const NO_TAGS: JsonObject = {};

export class SegmentRecorder {
    private readonly filters: Map<string, SubmetricFilter[]>;
    private readonly metrics = new Map<string, MetricEntry>();
    private readonly groups = new Set<string>();
    private readonly checks = new Map<string, { group: string; name: string; passes: number; fails: number }>();
    private readonly steps = new Map<number, SeriesStep>();
    private readonly timestamps = new TimestampReader();
    private readonly startedAtMs: number;
    private readonly stepMs: number;
    private unreadable = 0;
    private firstFailure: JsonObject | undefined;

    constructor(private readonly options: SegmentRecorderOptions) {
        this.filters = submetricFilters(options.submetrics);
        this.startedAtMs = options.startedAt.getTime();
        this.stepMs = (options.seriesStepSeconds ?? 60) * 1000;
        if (!Number.isFinite(this.startedAtMs)) throw new RangeError("startedAt is not a valid date");
        if (!(this.stepMs > 0)) throw new RangeError(`seriesStepSeconds must be above 0, got ${options.seriesStepSeconds}`);
        const exact = options.exactSamplesPerSeries;
        if (!(Number.isSafeInteger(exact) && exact >= 0)) {
            throw new RangeError(`exactSamplesPerSeries must be a whole number ≥ 0, got ${exact}`);
        }
    }

    /**
     * One line of k6's JSON output (without its newline). Never throws. It runs on the load generator, next to k6:
     * measured at about 640 000 lines/s (median of 7 runs, Node 20, one core of an AMD EPYC; test/ingest-bench.ts).
     */
    ingest(line: string): void {
        if (line.length === 0) return;
        let parsed: unknown;
        try {
            parsed = JSON.parse(line);
        } catch {
            this.unreadable++;
            return;
        }
        if (!isJsonObject(parsed) || !this.ingestObject(parsed)) this.unreadable++;
    }

    result(): RecordedMetrics {
        const metrics: { [name: string]: RecordedMetric } = {};
        const submetrics: { [selector: string]: RecordedMetric } = {};
        for (const [name, entry] of this.metrics) {
            const recorded = entry.sink.result(entry.contains);
            if (recorded !== undefined) metrics[name] = recorded;
            for (const { filter, sink } of entry.submetrics) {
                const recordedSub = sink.result(entry.contains);
                if (recordedSub !== undefined) submetrics[filter.selector] = recordedSub;
            }
        }
        return {
            version: 1,
            startedAt: this.options.startedAt.toISOString(),
            seriesStepSeconds: this.stepMs / 1000,
            unreadableLines: this.unreadable,
            metrics,
            submetrics,
            groups: [...this.groups],
            checks: [...this.checks.values()].map((check) => ({ ...check })),
            series: [...this.steps]
                .sort((a, b) => a[0] - b[0])
                .map(([step, { requests, failed, duration }]) => ({ step, requests, failed, duration: duration.toJSON() })),
        };
    }

    /** The tags of the first failed request's http_req_failed sample: its URL, status, and k6's error and error code. */
    get firstFailedRequest(): JsonObject | undefined {
        return this.firstFailure;
    }

    private ingestObject({ type, metric, data }: JsonObject): boolean {
        if (!isJsonObject(data)) return false;
        if (type === "Point") return this.ingestPoint(metric, data);
        return type === "Metric" && this.declare(metric, data);
    }

    /** The envelope's `metric` names the metric, in Metric lines as in Points (internal/output/json/wrapper.go). */
    private declare(name: unknown, data: JsonObject): boolean {
        const { type, contains = "default" } = data;
        if (typeof name !== "string" || !isMetricType(type) || typeof contains !== "string") return false;
        if (this.metrics.has(name)) return true;
        const create = () => createSink(type, ADDITIVE_GAUGES.includes(name), this.options.exactSamplesPerSeries);
        this.metrics.set(name, {
            contains,
            sink: new LazySink(create),
            submetrics: (this.filters.get(name) ?? []).map((filter) => ({ filter, sink: new LazySink(create) })),
        });
        return true;
    }

    private ingestPoint(name: unknown, data: JsonObject): boolean {
        if (typeof name !== "string") return false;
        const entry = this.metrics.get(name);
        const value = data.value;
        if (entry === undefined || typeof value !== "number" || !Number.isFinite(value) || typeof data.time !== "string") {
            return false;
        }
        const time = this.timestamps.read(data.time);
        if (time === undefined) return false;
        const tags = isJsonObject(data.tags) ? data.tags : NO_TAGS;
        entry.sink.add(value, time);
        for (const submetric of entry.submetrics) if (matches(tags, submetric.filter)) submetric.sink.add(value, time);
        // k6 builds its groups from these two metrics only (lib/test_state.go, GroupSummary.handleSample): setup()'s
        // requests, tagged ::setup, make no "setup" group.
        if ((name === "checks" || name === "group_duration") && typeof tags.group === "string" && tags.group !== "") this.groups.add(tags.group);
        this.recordSpecial(name, value, time, tags);
        return true;
    }

    /** The samples that also feed the root group's checks and the timeline. */
    private recordSpecial(name: string, value: number, time: number, tags: JsonObject): void {
        switch (name) {
            case "checks":
                this.recordCheck(tags, value);
                break;
            case "http_reqs":
                this.stepAt(time).requests += value;
                break;
            case "http_req_failed":
                if (value === 0) break;
                this.stepAt(time).failed++;
                this.firstFailure ??= tags;
                break;
            case "http_req_duration":
                this.stepAt(time).duration.add(value);
                break;
        }
    }

    private recordCheck(tags: JsonObject, value: number): void {
        const { check: name, group = "" } = tags;
        if (typeof name !== "string" || typeof group !== "string") return;
        const path = group + GROUP_SEPARATOR + name;
        let check = this.checks.get(path);
        if (check === undefined) {
            check = { group, name, passes: 0, fails: 0 };
            this.checks.set(path, check);
        }
        if (value !== 0) check.passes++;
        else check.fails++;
    }

    /** Samples stamped before the start (another clock, slightly behind) count in the first step. */
    private stepAt(time: number): SeriesStep {
        const step = Math.max(0, Math.floor((time - this.startedAtMs) / this.stepMs));
        let row = this.steps.get(step);
        if (row === undefined) {
            row = new SeriesStep();
            this.steps.set(step, row);
        }
        return row;
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading a segment's RecordedMetrics back (from S3): every part checked, a FormatError naming the first problem.

function readGauge(json: JsonObject, where: string, contains: string): RecordedGauge {
    const gauge: RecordedGauge = {
        kind: "gauge",
        contains,
        time: readFinite(json.time, child(where, "time")),
        value: readFinite(json.value, child(where, "value")),
        min: readFinite(json.min, child(where, "min")),
        max: readFinite(json.max, child(where, "max")),
    };
    if (json.perSecond === undefined) return gauge;
    return { ...gauge, perSecond: readPairs(json.perSecond, child(where, "perSecond"), readFinite) };
}

function readRate(json: JsonObject, where: string, contains: string): RecordedRate {
    const passes = readCount(json.passes, child(where, "passes"));
    const total = readCount(json.total, child(where, "total"));
    if (passes > total) throw new FormatError(`${where}: ${passes} passes out of ${total} samples`);
    return { kind: "rate", contains, passes, total };
}

function readRecordedMetric(json: unknown, where: string): RecordedMetric {
    const object = readObject(json, where);
    const contains = readString(object.contains, child(where, "contains"));
    switch (object.kind) {
        case "counter":
            return { kind: "counter", contains, count: readFinite(object.count, child(where, "count")) };
        case "rate":
            return readRate(object, where, contains);
        case "gauge":
            return readGauge(object, where, contains);
        case "trend":
            return { kind: "trend", contains, digest: readTrendDigestJSON(object.digest, child(where, "digest")) };
        default:
            return fail(child(where, "kind"), `one of counter, rate, gauge, trend`, object.kind);
    }
}

function readMetricMap(json: unknown, where: string): { [key: string]: RecordedMetric } {
    const object = readObject(json, where);
    const metrics: { [key: string]: RecordedMetric } = {};
    for (const [key, metric] of Object.entries(object)) metrics[key] = readRecordedMetric(metric, child(where, key));
    return metrics;
}

function readCheck(json: unknown, where: string): RecordedCheck {
    const check = readObject(json, where);
    return {
        group: readString(check.group, child(where, "group")),
        name: readString(check.name, child(where, "name")),
        passes: readCount(check.passes, child(where, "passes")),
        fails: readCount(check.fails, child(where, "fails")),
    };
}

function readStep(json: unknown, where: string): RecordedStep {
    const step = readObject(json, where);
    return {
        step: readCount(step.step, child(where, "step")),
        requests: readFinite(step.requests, child(where, "requests")),
        failed: readCount(step.failed, child(where, "failed")),
        duration: readTrendDigestJSON(step.duration, child(where, "duration")),
    };
}

/** A segment's recorded metrics as read back from S3, checked; a {@link FormatError} names the first problem. */
export function readRecordedMetrics(json: unknown, where = "recorded"): RecordedMetrics {
    const object = readObject(json, where);
    if (object.version !== 1) fail(child(where, "version"), "1 (the version this merge reads)", object.version);
    const startedAt = readString(object.startedAt, child(where, "startedAt"));
    if (Number.isNaN(Date.parse(startedAt))) fail(child(where, "startedAt"), "an ISO 8601 time", startedAt);
    const seriesStepSeconds = readFinite(object.seriesStepSeconds, child(where, "seriesStepSeconds"));
    if (seriesStepSeconds <= 0) fail(child(where, "seriesStepSeconds"), "a number of seconds above 0", seriesStepSeconds);
    return {
        version: 1,
        startedAt,
        seriesStepSeconds,
        unreadableLines: readCount(object.unreadableLines, child(where, "unreadableLines")),
        metrics: readMetricMap(object.metrics, child(where, "metrics")),
        submetrics: readMetricMap(object.submetrics, child(where, "submetrics")),
        groups: readList(object.groups, child(where, "groups"), readString),
        checks: readList(object.checks, child(where, "checks"), readCheck),
        series: readList(object.series, child(where, "series"), readStep),
    };
}
