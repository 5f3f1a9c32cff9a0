import assert from "node:assert/strict";
import type { SummaryData } from "../../k6/lib/summary";
import { summaryOutputs, thresholdResults } from "../../k6/lib/summary";
import { LOAD_LIMITS, SMOKE_LIMITS, STRESS_LIMITS, loadThresholds, smokeThresholds, stressThresholds } from "../../k6/lib/thresholds";
import { TrendDigest, type TrendDigestJSON } from "../src/digest";
import type { MetricKind } from "../src/k6-metrics";
import { type MergeInput, type MergedRun, RunMerger, mergeRecorded } from "../src/merge";
import { type RecordedMetrics, SegmentRecorder } from "../src/recorder";
import { type K6Thresholds, submetricKeys } from "../src/thresholds";
import { seededRandom } from "../../tests/k6-helpers";
import { K6JsonWriter } from "./k6-json";

const START = Date.UTC(2026, 10, 30, 12, 0, 0);
const DURATION_MS = 60_000;

const CUSTOM: { [name: string]: MetricKind } = {
    overloaded: { type: "rate", contains: "default" },
    primes_found: { type: "counter", contains: "default" },
    queue_depth: { type: "gauge", contains: "default" },
    prime_time: { type: "trend", contains: "time" },
};

/** The sub-metrics the tasks record: the shipped scripts', as a run's manifest lists them, and those the tests select. */
const SUBMETRICS = [
    ...[loadThresholds(LOAD_LIMITS), stressThresholds(STRESS_LIMITS, 36_000), smokeThresholds(SMOKE_LIMITS)].flatMap(submetricKeys),
    "http_req_duration{name:count-prime}",
    "http_req_duration{name:count-prime,status:200}",
    `http_req_duration{name:"health"}`,
];

/**
 * Iteration i of a load-test-like script: a count-prime request and its checks, a health request every 5th, custom
 * metrics. Its random durations come from its own seed, so that it writes the same samples in whichever segment it runs.
 */
function iteration(writer: K6JsonWriter, i: number): void {
    const random = seededRandom(i + 1);
    const at = START + i * 40;
    const status = i % 50 === 7 ? 500 : i % 25 === 3 ? 503 : 200;
    const durationMs = Math.round((5 + random() * 300) * 1000) / 1000;
    writer.request(at, { name: "count-prime", status, durationMs, group: "::api" });
    writer.check(at, "count-prime: status 200", status === 200, "::api");
    writer.check(at, "count-prime: body ok", status !== 500, "::api::details");
    writer.point("overloaded", status === 503 ? 1 : 0, at, { name: "count-prime" });
    writer.point("primes_found", 1 + (i % 4), at);
    writer.point("prime_time", durationMs / 3, at);
    writer.point("queue_depth", i % 9, at);
    if (i % 5 === 0) {
        writer.request(at + 1, { name: "health", status: 200, durationMs: 1 + random() });
        writer.check(at + 1, "health: status 200", true);
    }
    writer.point("iterations", 1, at + 2);
}

function recordLines(lines: readonly string[], exactSamplesPerSeries = 100_000): RecordedMetrics {
    const recorder = new SegmentRecorder({ submetrics: SUBMETRICS, startedAt: new Date(START), seriesStepSeconds: 10, exactSamplesPerSeries });
    for (const line of lines) recorder.ingest(line);
    return recorder.result();
}

/** The iterations dealt to `count` segments as k6's execution segments deal them (each its share), each with its own VUs. */
function segmentsOf(iterations: number, count: number): RecordedMetrics[] {
    const writers = Array.from({ length: count }, () => new K6JsonWriter(CUSTOM));
    for (let i = 0; i < iterations; i++) iteration(writers[i % count], i);
    return writers.map((writer) => recordLines(writer.lines));
}

function trendOf(segment: RecordedMetrics, key: string): TrendDigestJSON {
    const metric = segment.metrics[key];
    if (metric?.kind !== "trend") assert.fail(`${key} is not a recorded trend`);
    return metric.digest;
}

function merge(segments: readonly RecordedMetrics[], thresholds: K6Thresholds = {}, more: Partial<MergeInput> = {}): MergedRun {
    return mergeRecorded({ segments, thresholds, testRunDurationMs: DURATION_MS, ...more });
}

const TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"];

describe("mergeRecorded", () => {
    describe("as if one k6 had run the whole test", () => {
        const thresholds = { ...loadThresholds(LOAD_LIMITS), "http_req_duration{name:count-prime,status:200}": ["p(99.9)<250", "avg<200"] };
        const whole = merge(segmentsOf(1000, 1), thresholds, { summaryTrendStats: TREND_STATS });

        for (const count of [2, 3, 8]) {
            it(`merges ${count} segments into exactly what one k6 records: values, verdicts, checks, timeline`, () => {
                const merged = merge(segmentsOf(1000, count), thresholds, { summaryTrendStats: TREND_STATS });
                assert.deepEqual(merged.summary, whole.summary);
                assert.deepEqual(merged.series, whole.series);
                assert.equal(merged.thresholdsPassed, whole.thresholdsPassed);
                assert.deepEqual(merged.percentiles, whole.percentiles);
                assert.deepEqual(merged.verdict, whole.verdict);
            });
        }

        it("says every trend series is exact, with its count", () => {
            const { budget, series } = whole.percentiles;
            assert.equal(budget, 10_000_000);
            assert.deepEqual(series.http_req_duration, { mode: "exact", count: 1200 });
            assert.deepEqual(series["http_req_duration{name:count-prime}"], { mode: "exact", count: 1000 });
            assert.deepEqual(series.prime_time, { mode: "exact", count: 1000 });
            assert.ok(Object.values(series).every(({ mode }) => mode === "exact"));
            assert.deepEqual(Object.keys(series).sort(), Object.keys(whole.summary.metrics).filter((key) => whole.summary.metrics[key].type === "trend").sort());
        });

        it("writes each metric's values with k6's keys, by type", () => {
            const { metrics } = whole.summary;
            assert.deepEqual(metrics.http_reqs, { type: "counter", contains: "default", values: { count: 1200, rate: 20 } });
            assert.deepEqual(metrics.iterations.values, { count: 1000, rate: 1000 / 60 });
            assert.deepEqual(metrics.data_received, { type: "counter", contains: "data", values: { count: 1200 * 540, rate: (1200 * 540) / 60 } });
            assert.deepEqual(metrics.http_req_failed.values, { rate: 20 / 1200, passes: 20, fails: 1180 });
            assert.deepEqual(metrics.overloaded.values, { rate: 40 / 1000, passes: 40, fails: 960 });
            assert.deepEqual(metrics.queue_depth, { type: "gauge", contains: "default", values: { value: 999 % 9, min: 0, max: 8 } });
            assert.deepEqual(Object.keys(metrics.http_req_duration.values), TREND_STATS);
            assert.equal(metrics.http_req_duration.contains, "time");
            assert.equal(metrics.http_req_duration.values.count, 1200);
            assert.deepEqual(Object.keys(metrics.prime_time.values), TREND_STATS);
        });
    });

    describe("trends", () => {
        it("gives k6's trend stats, exact percentiles, and k6's default stats when none are given", () => {
            const random = seededRandom(3);
            const samples = Array.from({ length: 3000 }, () => random() * 1000);
            const parts = [samples.slice(0, 1000), samples.slice(1000, 2500), [], samples.slice(2500)].map((part) => {
                const writer = new K6JsonWriter(CUSTOM);
                part.forEach((sample, i) => writer.point("prime_time", sample, START + i));
                return recordLines(writer.lines);
            });
            const reference = new TrendDigest(Infinity);
            for (const sample of samples) reference.add(sample);
            const { values } = merge(parts).summary.metrics.prime_time;
            assert.deepEqual(values, {
                avg: reference.avg,
                min: reference.min,
                med: reference.med,
                max: reference.max,
                "p(90)": reference.percentile(0.9),
                "p(95)": reference.percentile(0.95),
            });
            assert.deepEqual(merge(parts).summary.options.summaryTrendStats, ["avg", "min", "med", "max", "p(90)", "p(95)"]);
        });

        /**
         * Latency-like samples of prime_time dealt to 1–20 segments at random, each recorded keeping `share` samples one by
         * one, given the most samples a segment got.
         */
        function dealt(seed: number, share: (largest: number) => number): { samples: number[]; segments: RecordedMetrics[] } {
            const random = seededRandom(seed);
            const writers = Array.from({ length: 1 + Math.floor(random() * 20) }, () => new K6JsonWriter(CUSTOM));
            const sizes = writers.map(() => 0);
            const samples = Array.from({ length: 3000 + Math.floor(random() * 3000) }, () => Math.round(Math.exp(3 + random() * 2 + random() ** 8 * 4) * 1000) / 1000);
            samples.forEach((sample, i) => {
                const segment = Math.floor(random() * writers.length);
                writers[segment].point("prime_time", sample, START + i);
                sizes[segment]++;
            });
            const exactSamples = share(Math.max(...sizes));
            return { samples, segments: writers.map((writer) => recordLines(writer.lines, exactSamples)) };
        }

        const STATS = ["avg", "min", "med", "max", "p(0)", "p(1)", "p(50)", "p(90)", "p(99)", "p(99.9)", "p(100)", "count"];

        function pooled(samples: readonly number[], exactLimit: number): { [stat: string]: number } {
            const digest = new TrendDigest(exactLimit);
            for (const sample of samples) digest.add(sample);
            const values: { [stat: string]: number } = { avg: digest.avg, min: digest.min, med: digest.med, max: digest.max, count: digest.count };
            for (const p of [0, 1, 50, 90, 99, 99.9, 100]) values[`p(${p})`] = digest.percentile(p / 100);
            return values;
        }

        for (const seed of [1, 2, 3, 4]) {
            it(`seed ${seed}: a run within the budget (each segment its share) merges to the pooled samples' k6 percentiles exactly`, () => {
                // The largest segment just fits its share, and the budget is the shares' total.
                const { samples, segments } = dealt(seed, (largest) => largest);
                const budget = segments.length * Math.max(...segments.map((segment) => trendOf(segment, "prime_time").count));
                const merged = merge(segments, {}, { summaryTrendStats: STATS, exactSamplesPerSeries: budget });
                assert.deepEqual(merged.percentiles.series.prime_time, { mode: "exact", count: samples.length });
                assert.deepEqual(merged.summary.metrics.prime_time.values, pooled(samples, Infinity));
            });

            it(`seed ${seed}: past the budget (some segments past their share send histograms) within 0.05 %, count, avg, min and max exact`, () => {
                const { samples, segments } = dealt(100 + seed, (largest) => largest - 1);
                const merged = merge(segments, {}, { summaryTrendStats: STATS, exactSamplesPerSeries: samples.length });
                assert.deepEqual(merged.percentiles.series.prime_time, { mode: "histogram", count: samples.length });
                const exact = pooled(samples, Infinity);
                assert.deepEqual(merged.summary.metrics.prime_time.values, pooled(samples, 0), "the pooled samples' own histogram");
                for (const stat of STATS) {
                    const error = Math.abs(merged.summary.metrics.prime_time.values[stat] - exact[stat]);
                    assert.ok(error <= exact[stat] * 0.0005 * (1 + 1e-9), `${stat}: off by ${error}`);
                }
                for (const stat of ["avg", "min", "max", "count"]) assert.equal(merged.summary.metrics.prime_time.values[stat], exact[stat], stat);
            });
        }

        it("turns a series into a histogram at the segment that would take it past the budget", () => {
            const segments = segmentsOf(300, 3);
            const [a, b, c] = segments.map((segment) => new TrendDigest(Infinity).absorb(trendOf(segment, "prime_time")).count);
            const merger = new RunMerger({ exactSamplesPerSeries: a + b });
            merger.add(0, segments[0]);
            merger.add(1, segments[1]);
            const finish = { thresholds: {}, testRunDurationMs: DURATION_MS, expectedSegments: [0, 1, 2] };
            assert.deepEqual(merger.finish(finish).percentiles.series.prime_time, { mode: "exact", count: a + b });
            merger.add(2, segments[2]);
            const { percentiles, summary } = merger.finish({ ...finish, summaryTrendStats: ["p(50)"] });
            assert.deepEqual([percentiles.budget, percentiles.series.prime_time], [a + b, { mode: "histogram", count: a + b + c }]);
            assert.deepEqual(percentiles.series[`http_req_duration{name:"health"}`], { mode: "exact", count: 60 });
            const pooled = new TrendDigest(0);
            for (const segment of segments) pooled.absorb(trendOf(segment, "prime_time"));
            assert.equal(summary.metrics.prime_time.values["p(50)"], pooled.percentile(0.5));
        });

        it("judges a threshold's percentile even when summaryTrendStats leaves it out, and does not add it", () => {
            const writer = new K6JsonWriter(CUSTOM);
            for (let i = 1; i <= 1000; i++) writer.point("prime_time", i, START + i);
            const merged = merge([recordLines(writer.lines)], { prime_time: ["p(99.9)<999", "p(99.9)<1000"] });
            assert.deepEqual(merged.summary.metrics.prime_time.thresholds, { "p(99.9)<999": { ok: false }, "p(99.9)<1000": { ok: true } });
            assert.equal(merged.summary.metrics.prime_time.values["p(99.9)"], undefined);
        });

        it("reports histogram percentiles when a segment kept a histogram", () => {
            const exact = segmentsOf(10, 1)[0];
            const histogram = new TrendDigest(0);
            for (let i = 1; i <= 100; i++) histogram.add(i);
            const metrics = { ...exact.metrics, prime_time: { kind: "trend" as const, contains: "time", digest: histogram.toJSON() } };
            const merged = merge([exact, { ...exact, metrics }]);
            assert.deepEqual(merged.percentiles.series.prime_time, { mode: "histogram", count: 110 });
            assert.deepEqual(merged.percentiles.series.http_req_duration, { mode: "exact", count: 24 });
        });
    });

    describe("the merge's memory over every series", () => {
        it("keeps at most exactSamplesInMemory exact samples over all series: past it the largest become histograms", () => {
            // Three series of 300, 200 and 100 samples per run, each within its budget of 1,000; 450 may be held in all.
            const writers = [0, 1].map(() => new K6JsonWriter(CUSTOM));
            writers.forEach((writer, segment) => {
                for (let i = 0; i < 150; i++) writer.point("prime_time", 1 + i + segment, START + i);
                for (let i = 0; i < 100; i++) writer.point("http_req_waiting", 2 + i, START + i);
                for (let i = 0; i < 50; i++) writer.point("http_req_sending", 3 + i, START + i);
            });
            const merger = new RunMerger({ exactSamplesPerSeries: 1000, exactSamplesInMemory: 450 });
            writers.forEach((writer, segment) => merger.add(segment, recordLines(writer.lines)));
            const merged = merger.finish({ thresholds: {}, testRunDurationMs: DURATION_MS, expectedSegments: [0, 1] });
            assert.deepEqual(merged.percentiles.series, {
                prime_time: { mode: "histogram", count: 300 },
                http_req_waiting: { mode: "exact", count: 200 },
                http_req_sending: { mode: "exact", count: 100 },
            });
        });
    });

    describe("gauges", () => {
        function gaugeSegment(points: [string, number, number][]): RecordedMetrics {
            const writer = new K6JsonWriter(CUSTOM);
            for (const [name, value, atMs] of points) writer.point(name, value, START + atMs);
            return recordLines(writer.lines);
        }

        it("adds the segments' vus and vus_max second by second; another gauge takes the latest sample", () => {
            const a = gaugeSegment([
                ["vus", 3, 100],
                ["vus", 5, 1100],
                ["vus", 1, 3100],
                ["vus_max", 10, 100],
                ["queue_depth", 7, 5000],
            ]);
            const b = gaugeSegment([
                ["vus", 2, 400],
                ["vus", 4, 2400],
                ["vus_max", 6, 300],
                ["queue_depth", 3, 6000],
                ["queue_depth", 9, 4000],
            ]);
            const { metrics } = merge([a, b]).summary;
            // Seconds 0..3: 3+2, 5+2, 5+4, 1+4.
            assert.deepEqual(metrics.vus.values, { value: 5, min: 5, max: 9 });
            assert.deepEqual(metrics.vus_max.values, { value: 16, min: 16, max: 16 });
            assert.deepEqual(metrics.queue_depth.values, { value: 3, min: 3, max: 9 });
            assert.deepEqual(merge([b, a]).summary.metrics.queue_depth.values, { value: 3, min: 3, max: 9 }, "whatever the order");
        });
    });

    describe("additive gauges, folded segment by segment", () => {
        /**
         * What the merge computed before it streamed, from every segment at once: at each second where a segment has a
         * value, the sum of every segment's latest value so far; the last sum, and min and max over the sums.
         */
        function pooledSums(series: readonly (readonly (readonly [number, number])[])[]): { value: number; min: number; max: number } {
            const seconds = [...new Set(series.flatMap((values) => values.map(([second]) => second)))].sort((a, b) => a - b);
            const next = series.map(() => 0);
            const current = series.map(() => 0);
            const sums = seconds.map((second) => {
                series.forEach((values, i) => {
                    while (next[i] < values.length && values[next[i]][0] <= second) current[i] = values[next[i]++][1];
                });
                return current.reduce((sum, value) => sum + value, 0);
            });
            return { value: sums[sums.length - 1], min: Math.min(...sums), max: Math.max(...sums) };
        }

        for (const seed of [1, 2, 3]) {
            it(`seed ${seed}: equal the pooled per-second sums over random segments, whatever order they come in`, () => {
                const random = seededRandom(seed);
                const series = Array.from({ length: 2 + Math.floor(random() * 30) }, () => {
                    const start = Math.floor(random() * 50);
                    const seconds = [...new Set(Array.from({ length: 1 + Math.floor(random() * 40) }, () => start + Math.floor(random() * 100)))];
                    return seconds.sort((a, b) => a - b).map((second) => [START / 1000 + second, Math.floor(random() * 200) - 20] as const);
                });
                const segments = series.map((perSecond) => {
                    const [lastSecond, value] = perSecond[perSecond.length - 1];
                    const vus = { kind: "gauge" as const, contains: "default", time: lastSecond * 1000, value, min: 0, max: 0, perSecond };
                    return { ...recordLines([]), metrics: { vus } };
                });
                const merger = new RunMerger({ exactSamplesPerSeries: 0 });
                const order = segments.map((_, i) => i).sort(() => random() - 0.5);
                for (const i of order) merger.add(i, segments[i]);
                const merged = merger.finish({ thresholds: {}, testRunDurationMs: DURATION_MS, expectedSegments: order });
                assert.deepEqual(merged.summary.metrics.vus.values, pooledSums(series));
            });
        }

        it("starts min and max from the first sum, as k6 v2.2.0's GaugeSink (grafana/k6#6195), not from 0", () => {
            const vus = (perSecond: [number, number][]) => {
                const [second, value] = perSecond[perSecond.length - 1];
                return { ...recordLines([]), metrics: { vus: { kind: "gauge" as const, contains: "default", time: second * 1000, value, min: 0, max: 0, perSecond } } };
            };
            const merged = merge([vus([[100, -5], [102, -1]]), vus([[101, -3]])]);
            // Seconds 100..102: -5, -8, -4.
            assert.deepEqual(merged.summary.metrics.vus.values, { value: -4, min: -8, max: -4 });
        });
    });

    describe("sub-metrics", () => {
        it("keys each sub-metric exactly like its threshold, two tags and quoted values included", () => {
            const thresholds = {
                "http_req_duration{name:count-prime,status:200}": ["p(95)<1000"],
                [`http_req_duration{name:"health"}`]: ["max<5"],
            };
            const { metrics } = merge(segmentsOf(500, 3), thresholds).summary;
            const all = metrics["http_req_duration{name:count-prime}"].values;
            const served = metrics["http_req_duration{name:count-prime,status:200}"];
            assert.ok(served.values.max <= all.max && served.thresholds?.["p(95)<1000"].ok === true);
            assert.deepEqual(metrics[`http_req_duration{name:"health"}`].thresholds, { "max<5": { ok: true } });
            assert.equal(metrics["http_req_duration{expected_response:true}"].type, "trend", "k6's own sub-metric");
        });
    });

    describe("checks", () => {
        it("rebuilds root_group with nested groups, their checks summed over segments, named and identified as k6 does", () => {
            const root = merge(segmentsOf(100, 4)).summary.root_group;
            assert.deepEqual(root, {
                name: "",
                path: "",
                id: "d41d8cd98f00b204e9800998ecf8427e",
                groups: [
                    {
                        name: "api",
                        path: "::api",
                        id: root.groups[0].id,
                        groups: [
                            {
                                name: "details",
                                path: "::api::details",
                                id: root.groups[0].groups[0].id,
                                groups: [],
                                checks: [{ name: "count-prime: body ok", path: "::api::details::count-prime: body ok", id: root.groups[0].groups[0].checks[0].id, passes: 98, fails: 2 }],
                            },
                        ],
                        checks: [{ name: "count-prime: status 200", path: "::api::count-prime: status 200", id: root.groups[0].checks[0].id, passes: 94, fails: 6 }],
                    },
                ],
                checks: [{ name: "health: status 200", path: "::health: status 200", id: root.checks[0].id, passes: 20, fails: 0 }],
            });
            assert.match(root.groups[0].id, /^[0-9a-f]{32}$/);
        });

        it("computes ids as k6 does: md5 of the path", () => {
            const writer = new K6JsonWriter();
            writer.check(START, "is status 200", true);
            const root = merge([recordLines(writer.lines)]).summary.root_group;
            // From an example of k6's handleSummary() data: check "is status 200" in the root group.
            assert.deepEqual(root.checks, [{ name: "is status 200", path: "::is status 200", id: "548d37ca5f33793206f7832e7cea54fb", passes: 1, fails: 0 }]);
        });
    });

    describe("thresholds, judged once over the merged data", () => {
        const segments = segmentsOf(1000, 3);

        it("judges the shipped scripts' thresholds: rate<=, rate< (abortOnFail), rate>=, p(99)<, count<", () => {
            const load = merge(segments, loadThresholds(LOAD_LIMITS));
            // 20 of 1200 requests failed (1.7 %), 6 % of the status checks failed.
            assert.deepEqual(load.summary.metrics.http_req_failed.thresholds, { "rate<=0.01": { ok: false }, "rate<0.1": { ok: true } });
            assert.deepEqual(load.summary.metrics["http_req_duration{name:count-prime,expected_response:true}"].thresholds, { "p(99)<3000": { ok: true } });
            assert.deepEqual(load.summary.metrics["http_reqs{name:count-prime,expected_response:true}"].thresholds, { "count>0": { ok: true } });
            assert.deepEqual(load.summary.metrics.checks.thresholds, { "rate>=0.99": { ok: false } });
            assert.equal(load.thresholdsPassed, false);
            assert.deepEqual(load.problems, []);

            const stress = merge(segments, stressThresholds({ ...STRESS_LIMITS, maxErrorRate: 0.05 }, 36_000));
            assert.deepEqual(stress.summary.metrics.overloaded.thresholds, { "rate<=0.1": { ok: true } });
            assert.deepEqual(stress.summary.metrics.dropped_iterations, {
                type: "counter",
                contains: "default",
                values: { count: 0, rate: 0 },
                thresholds: { "count<360": { ok: true } },
            });
            assert.equal(stress.thresholdsPassed, true);

            const smoke = merge(segments, smokeThresholds(SMOKE_LIMITS));
            assert.deepEqual(smoke.summary.metrics["http_req_duration{name:health,expected_response:true}"].thresholds, { "p(99)<1000": { ok: true } });
            assert.equal(smoke.thresholdsPassed, false);
        });

        it("judges every other kind of the grammar", () => {
            const thresholds = {
                http_reqs: ["count==1200", "count===1200", "count!=1200", "rate>19.9", "rate>=20", "rate<20"],
                queue_depth: ["value==0", "value>0"],
                prime_time: ["avg<100", "min>=0", "max<=102", "med>0", "p(50)>0"],
                overloaded: ["rate==0.04", "rate<0.04"],
            };
            const { metrics } = merge(segments, thresholds).summary;
            assert.deepEqual(metrics.http_reqs.thresholds, {
                "count==1200": { ok: true },
                "count===1200": { ok: true },
                "count!=1200": { ok: false },
                "rate>19.9": { ok: true },
                "rate>=20": { ok: true },
                "rate<20": { ok: false },
            });
            assert.deepEqual(metrics.queue_depth.thresholds, { "value==0": { ok: true }, "value>0": { ok: false } });
            assert.deepEqual(metrics.prime_time.thresholds, {
                "avg<100": { ok: true },
                "min>=0": { ok: true },
                "max<=102": { ok: true },
                "med>0": { ok: true },
                "p(50)>0": { ok: true },
            });
            assert.deepEqual(metrics.overloaded.thresholds, { "rate==0.04": { ok: true }, "rate<0.04": { ok: false } });
        });

        it("judges thresholds on a metric or sub-metric no segment has a sample of as k6 v1 does", () => {
            const merged = merge(segments, {
                "http_req_duration{name:nothing}": ["p(99)<1", "avg>1", "max==0"],
                "checks{check:nothing}": ["rate>=0.99", "rate<0.01"],
                "ws_sessions{scenario:load}": ["count<1", "count>0", "rate==0"],
                group_duration: ["p(95)<10"],
                "vus{scenario:load}": ["value==0"],
            });
            const { metrics } = merged.summary;
            assert.deepEqual(metrics["http_req_duration{name:nothing}"].thresholds, { "p(99)<1": { ok: true }, "avg>1": { ok: false }, "max==0": { ok: true } });
            assert.deepEqual(metrics["http_req_duration{name:nothing}"].values, { avg: 0, min: 0, med: 0, max: 0, "p(90)": 0, "p(95)": 0 });
            assert.deepEqual(metrics["checks{check:nothing}"], {
                type: "rate",
                contains: "default",
                values: { rate: 0, passes: 0, fails: 0 },
                thresholds: { "rate>=0.99": { ok: true }, "rate<0.01": { ok: true } },
            });
            assert.deepEqual(metrics["ws_sessions{scenario:load}"].thresholds, { "count<1": { ok: true }, "count>0": { ok: false }, "rate==0": { ok: true } });
            assert.deepEqual(metrics.ws_sessions.values, { count: 0, rate: 0 }, "the parent of a thresholded sub-metric shows too");
            assert.deepEqual(metrics.group_duration.thresholds, { "p(95)<10": { ok: true } });
            assert.deepEqual(metrics["vus{scenario:load}"].values, { value: 0, min: 0, max: 0 });
            assert.deepEqual(merged.problems, []);
        });

        it("fails, with a problem naming it, a threshold on a custom metric no segment saw, and one whose aggregation does not apply", () => {
            const merged = merge(segments, { typo_metric: ["count<1"], primes_found: ["p(99)<5", "count>0"], "queue_depth{name:x}": ["avg<1"] });
            assert.equal(merged.summary.metrics.typo_metric, undefined);
            assert.deepEqual(merged.summary.metrics.primes_found.thresholds, { "p(99)<5": { ok: false }, "count>0": { ok: true } });
            assert.deepEqual(merged.summary.metrics["queue_depth{name:x}"].thresholds, { "avg<1": { ok: false } });
            assert.equal(merged.thresholdsPassed, false);
            assert.deepEqual(merged.problems, [
                "typo_metric: no segment has a sample of typo_metric and it is not a k6 built-in metric, so its type is unknown (k6 rejects thresholds on a metric the script does not define): its thresholds count as failed",
                "primes_found: p(99)<5: primes_found is a counter metric, whose aggregations are count, rate",
                "queue_depth{name:x}: avg<1: queue_depth{name:x} is a gauge metric, whose aggregations are value",
            ]);
        });

        it("throws on an invalid thresholds option (the command validates it before starting)", () => {
            assert.throws(() => merge(segments, { checks: ["rate>"] }), /^ThresholdError: invalid thresholds:\n {2}checks: rate>: there is no number after >/);
        });
    });

    describe("segments", () => {
        it("merges a segment with no samples as nothing", () => {
            const segments = segmentsOf(300, 2);
            const empty = recordLines([]);
            const thresholds = loadThresholds(LOAD_LIMITS);
            assert.deepEqual(merge([segments[0], empty, segments[1]], thresholds), merge(segments, thresholds));
            const nothing = merge([empty], thresholds);
            assert.deepEqual(Object.keys(nothing.summary.metrics).sort(), [
                "checks",
                "http_req_duration",
                "http_req_duration{name:count-prime,expected_response:true}",
                "http_req_failed",
                "http_reqs",
                "http_reqs{name:count-prime,expected_response:true}",
            ]);
            // Empty rates pass and an empty trend's p(99) is 0, but an empty counter's count>0 fails: nothing was answered.
            assert.equal(nothing.thresholdsPassed, false);
            assert.deepEqual(nothing.series.rows, []);
            assert.deepEqual(merge([], thresholds).summary.metrics.http_req_failed.values, { rate: 0, passes: 0, fails: 0 });
        });

        it("streams: segments added one at a time, in any order, merge as all of them at once", () => {
            const segments = segmentsOf(600, 5);
            const thresholds = loadThresholds(LOAD_LIMITS);
            const merger = new RunMerger({ exactSamplesPerSeries: 10_000_000 });
            for (const i of [3, 0, 4, 1, 2]) merger.add(i, segments[i]);
            const streamed = merger.finish({ thresholds, testRunDurationMs: DURATION_MS, expectedSegments: [0, 1, 2, 3, 4] });
            const all = merge(segments, thresholds);
            assert.deepEqual(streamed.summary.metrics, all.summary.metrics);
            assert.deepEqual(streamed.series, all.series);
            assert.deepEqual([streamed.verdict, streamed.complete, streamed.missingSegments], ["failed", true, []]);
        });

        it("refuses a segment added twice, naming it", () => {
            const merger = new RunMerger({ exactSamplesPerSeries: 100 });
            const [a, b] = segmentsOf(20, 2);
            merger.add(7, a);
            assert.throws(() => merger.add(7, b), /^Error: segment 7 was added twice$/);
            assert.throws(() => merger.add(-1, b), /a segment is a whole number ≥ 0, got -1/);
        });

        it("is incomplete while a segment is missing, whatever the thresholds say; they are still judged over what came", () => {
            const segments = segmentsOf(300, 4);
            const merger = new RunMerger({ exactSamplesPerSeries: 100_000 });
            merger.add(0, segments[0]);
            merger.add(2, segments[2]);
            const thresholds = { http_reqs: ["count>0"] };
            const partial = merger.finish({ thresholds, testRunDurationMs: DURATION_MS, expectedSegments: [0, 1, 2, 3] });
            assert.deepEqual([partial.thresholdsPassed, partial.complete, partial.missingSegments, partial.verdict], [true, false, [1, 3], "incomplete"]);
            const failing = merger.finish({ thresholds: { http_reqs: ["count<1"] }, testRunDurationMs: DURATION_MS, expectedSegments: [0, 1, 2, 3] });
            assert.deepEqual([failing.thresholdsPassed, failing.verdict], [false, "incomplete"]);
            merger.add(1, segments[1]);
            merger.add(3, segments[3]);
            const whole = merger.finish({ thresholds, testRunDurationMs: DURATION_MS, expectedSegments: [0, 1, 2, 3] });
            assert.deepEqual([whole.complete, whole.missingSegments, whole.verdict], [true, [], "passed"]);
        });

        it("is incomplete when a segment was cut short or never ran k6, though none is missing", () => {
            const segments = segmentsOf(300, 3);
            const merger = new RunMerger({ exactSamplesPerSeries: 100_000 });
            merger.add(0, segments[0]);
            merger.add(1, segments[1], false);
            merger.add(2, undefined, false);
            const run = merger.finish({ thresholds: { http_reqs: ["count>0"] }, testRunDurationMs: DURATION_MS, expectedSegments: [0, 1, 2] });
            assert.deepEqual([run.thresholdsPassed, run.complete, run.missingSegments, run.cutShortSegments, run.verdict], [true, false, [], [1, 2], "incomplete"]);
        });

        it("reports unreadable lines as problems", () => {
            const recorder = new SegmentRecorder({ submetrics: [], startedAt: new Date(START), seriesStepSeconds: 10, exactSamplesPerSeries: 10 });
            recorder.ingest("WARN[0001] something on stdout");
            assert.deepEqual(merge([segmentsOf(10, 1)[0], recorder.result()]).problems, ["segment 1: 1 unreadable line(s) of k6's output left out"]);
        });

        it("refuses segments that are not parts of one run, and a metric of two types", () => {
            const [a, b] = segmentsOf(20, 2);
            assert.throws(() => merge([a, { ...b, startedAt: new Date(START + 1000).toISOString() }]), /segment 1 started at .*, segment 0 at .* they are not parts of one run/);
            assert.throws(() => merge([a, { ...b, seriesStepSeconds: 60 }]), /with 60 s steps/);
            const retyped = { ...b, metrics: { ...b.metrics, queue_depth: { kind: "counter" as const, contains: "default", count: 1 } } };
            assert.throws(() => merge([a, retyped]), /^Error: queue_depth was recorded as a gauge in one segment and a counter in another$/);
        });

        it("refuses invalid summaryTrendStats and durations", () => {
            const segments = segmentsOf(5, 1);
            assert.throws(() => merge(segments, {}, { summaryTrendStats: ["avg", "p(101)"] }), /summaryTrendStats: "p\(101\)" is not a trend stat/);
            assert.throws(() => merge(segments, {}, { summaryTrendStats: ["mean"] }), /"mean" is not a trend stat/);
            assert.throws(() => merge(segments, {}, { testRunDurationMs: -1 }), /testRunDurationMs must be a duration ≥ 0, got -1/);
            assert.deepEqual(merge(segments, {}, { testRunDurationMs: 0 }).summary.metrics.http_reqs.values, { count: 6, rate: 0 });
        });
    });

    describe("the timeline", () => {
        it("has a row per step: requests, failures, requests/s (over the part of the last step the run lasted), p50 and p99", () => {
            const writer = new K6JsonWriter();
            for (let i = 0; i < 10; i++) writer.request(START + 1000 + i, { name: "health", status: i === 0 ? 500 : 200, durationMs: 10 * (i + 1) });
            writer.request(START + 25_000, { name: "health", status: 200, durationMs: 7 });
            const merged = mergeRecorded({ segments: [recordLines(writer.lines)], thresholds: {}, testRunDurationMs: 24_000 });
            assert.equal(merged.series.stepSeconds, 10);
            const [first, second, third] = merged.series.rows;
            assert.deepEqual([first.t, first.requests, first.failed, first.rps], [0, 10, 1, 1]);
            assert.ok(first.p50Ms !== null && Math.abs(first.p50Ms - 55) <= 55 * 0.0005);
            assert.ok(first.p99Ms !== null && Math.abs(first.p99Ms - 99.1) <= 100 * 0.0005);
            assert.deepEqual(second, { t: 10, requests: 0, failed: 0, rps: 0, p50Ms: null, p99Ms: null });
            assert.deepEqual([third.t, third.requests, third.rps, third.p50Ms], [20, 1, 1 / 4, 7]);
        });
    });

    it("gives a summary k6/lib/summary.ts reads as k6's own", () => {
        const merged = merge(segmentsOf(200, 2), loadThresholds(LOAD_LIMITS), { summaryTrendStats: TREND_STATS });
        const data: SummaryData = merged.summary;
        assert.deepEqual(
            thresholdResults(data).map(({ metric, expression, ok }) => `${ok ? "✓" : "✗"} ${metric} ${expression}`),
            [
                "✗ checks rate>=0.99",
                "✓ http_req_duration{name:count-prime,expected_response:true} p(99)<3000",
                "✗ http_req_failed rate<=0.01",
                "✓ http_req_failed rate<0.1",
                "✓ http_reqs{name:count-prime,expected_response:true} count>0",
            ],
        );
        const outputs = summaryOutputs(data, { script: "load", baseUrl: "https://dev.example.com", settings: {} }, "out.json", new Date(START + DURATION_MS));
        assert.match(outputs.stdout, /THRESHOLDS: 2 of 5 FAILED/);
        assert.match(outputs.stdout, /CHECKS: \d+ of \d+ passed/);
        assert.match(outputs.stdout, /http_reqs \.+ 240 \(4\/s\)/);
    });
});
