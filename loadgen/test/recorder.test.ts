import assert from "node:assert/strict";
import { TrendDigest, readTrendDigestJSON } from "../src/digest";
import { FormatError } from "../src/json-shape";
import { type RecordedGauge, type RecordedMetrics, SegmentRecorder, TimestampReader, readRecordedMetrics } from "../src/recorder";
import { K6JsonWriter, k6Time } from "./k6-json";

const START = Date.UTC(2026, 10, 30, 12, 0, 0);

function record(lines: readonly string[], submetrics: readonly string[] = [], seriesStepSeconds = 60, exactSamplesPerSeries = 1000): RecordedMetrics {
    const recorder = new SegmentRecorder({ submetrics, startedAt: new Date(START), seriesStepSeconds, exactSamplesPerSeries });
    for (const line of lines) recorder.ingest(line);
    return recorder.result();
}

function digestOf(recorded: RecordedMetrics, key: string): TrendDigest {
    const metric = recorded.metrics[key] ?? recorded.submetrics[key];
    if (metric?.kind !== "trend") assert.fail(`${key} is not a recorded trend`);
    return new TrendDigest(Infinity).absorb(readTrendDigestJSON(metric.digest));
}

function gauge(recorded: RecordedMetrics, name: string): RecordedGauge {
    const metric = recorded.metrics[name];
    if (metric?.kind !== "gauge") assert.fail(`${name} is not a recorded gauge`);
    return metric;
}

describe("TimestampReader", () => {
    const reader = new TimestampReader();

    it("reads k6's RFC 3339 times with nanoseconds and a zone offset", () => {
        assert.equal(reader.read("2017-05-09T14:34:45.239531499+02:00"), Date.UTC(2017, 4, 9, 12, 34, 45) + 239.531499);
        assert.equal(reader.read("2017-05-09T14:34:45.2+02:00"), Date.UTC(2017, 4, 9, 12, 34, 45) + 200);
        assert.equal(reader.read("2017-05-09T14:34:45-05:30"), Date.UTC(2017, 4, 9, 20, 4, 45));
        assert.equal(reader.read("2021-02-24T13:37:10Z"), Date.UTC(2021, 1, 24, 13, 37, 10));
        assert.equal(reader.read("2021-02-24T13:37:10.000001Z"), Date.UTC(2021, 1, 24, 13, 37, 10) + 0.001);
        assert.equal(reader.read(k6Time(START + 1234, 567_890)), START + 1234.56789);
    });

    it("rejects what is not such a time", () => {
        for (const text of [
            "2021-02-30T13:37:10Z",
            "2021-13-01T00:00:00Z",
            "2021-02-24T24:00:00Z",
            "2021-02-24T13:37:10",
            "2021-02-24T13:37:10.Z",
            "2021-02-24T13:37:10.1234567890Z",
            "2021-02-24T13:37:10+2:00",
            "2021-02-24T13:37:10+02:00x",
            "2021-02-24T13:37:10Zx",
            "2021-02-24 13:37:10Z",
            "yesterday",
            "",
        ]) {
            assert.equal(reader.read(text), undefined, text);
        }
        assert.equal(reader.read("2021-02-24T13:37:10+02:00"), Date.UTC(2021, 1, 24, 11, 37, 10), "the cache survives rejected times");
    });
});

describe("SegmentRecorder", () => {
    it("records counters, rates, gauges and trends from k6's JSON lines", () => {
        const writer = new K6JsonWriter({ temperature: { type: "gauge", contains: "default" } });
        writer.request(START + 100, { name: "count-prime", status: 200, durationMs: 40 });
        writer.request(START + 200, { name: "count-prime", status: 500, durationMs: 80 });
        writer.request(START + 300, { name: "health", status: 200, durationMs: 2 });
        writer.point("temperature", 21, START + 5000);
        writer.point("temperature", 25, START + 4000);
        writer.point("temperature", -3, START + 1000);
        const recorded = record(writer.lines);
        assert.deepEqual(recorded.metrics.http_reqs, { kind: "counter", contains: "default", count: 3 });
        assert.deepEqual(recorded.metrics.data_received, { kind: "counter", contains: "data", count: 1620 });
        assert.deepEqual(recorded.metrics.http_req_failed, { kind: "rate", contains: "default", passes: 1, total: 3 });
        const { time, ...temperature } = gauge(recorded, "temperature");
        assert.deepEqual(temperature, { kind: "gauge", contains: "default", value: 21, min: -3, max: 25 });
        assert.equal(Math.floor(time), START + 5000, "the latest by time, not the last line");
        const duration = digestOf(recorded, "http_req_duration");
        assert.deepEqual([duration.count, duration.min, duration.max, duration.med, duration.exact], [3, 2, 80, 40, true]);
        assert.equal(recorded.metrics.http_req_duration.contains, "time");
        assert.equal(recorded.unreadableLines, 0);
        assert.deepEqual(Object.keys(recorded.metrics), [
            "http_reqs",
            "http_req_duration",
            "http_req_blocked",
            "http_req_connecting",
            "http_req_tls_handshaking",
            "http_req_sending",
            "http_req_waiting",
            "http_req_receiving",
            "http_req_failed",
            "data_sent",
            "data_received",
            "temperature",
        ]);
    });

    it("keeps a gauge's latest value by sample time, and for vus and vus_max the last value of each second", () => {
        const writer = new K6JsonWriter();
        writer.point("vus", 3, START + 900);
        writer.point("vus", 5, START + 1100);
        writer.point("vus", 4, START + 1050);
        writer.point("vus", 0, START + 3000);
        const { time, ...vus } = gauge(record(writer.lines), "vus");
        assert.equal(Math.floor(time), START + 3000);
        assert.deepEqual(vus, {
            kind: "gauge",
            contains: "default",
            value: 0,
            min: 0,
            max: 5,
            perSecond: [
                [START / 1000, 3],
                [START / 1000 + 1, 5],
                [START / 1000 + 3, 0],
            ],
        });
    });

    it("starts a gauge's min and max from its first sample, as k6 v2.2.0's GaugeSink (v1 gave this one max 0)", () => {
        const writer = new K6JsonWriter({ offset: { type: "gauge", contains: "default" } });
        writer.point("offset", -5, START);
        writer.point("offset", -2, START + 1);
        writer.point("offset", -3, START + 2);
        const { value, min, max } = gauge(record(writer.lines), "offset");
        assert.deepEqual({ value, min, max }, { value: -3, min: -5, max: -2 });
    });

    it("keeps exactSamplesPerSeries samples of each trend and sub-metric one by one, then a histogram; the timeline's from the first", () => {
        const writer = new K6JsonWriter();
        for (let i = 0; i < 6; i++) writer.request(START + i, { name: i < 3 ? "a" : "b", status: 200, durationMs: 10 + i });
        writer.point("iteration_duration", 50, START);
        const recorded = record(writer.lines, ["http_req_duration{name:a}"], 60, 3);
        const modes = Object.fromEntries(
            Object.entries({ ...recorded.metrics, ...recorded.submetrics }).flatMap(([key, metric]) =>
                metric.kind === "trend" ? [[key, "samples" in metric.digest ? "exact" : "histogram"]] : [],
            ),
        );
        assert.deepEqual(modes, {
            http_req_duration: "histogram",
            http_req_blocked: "histogram",
            http_req_connecting: "histogram",
            http_req_tls_handshaking: "histogram",
            http_req_sending: "histogram",
            http_req_waiting: "histogram",
            http_req_receiving: "histogram",
            iteration_duration: "exact",
            "http_req_duration{name:a}": "exact",
            "http_req_duration{expected_response:true}": "histogram",
        });
        assert.equal(digestOf(recorded, "http_req_duration").count, 6);
        assert.ok("zeros" in recorded.series[0].duration);
        const none = record(writer.lines, [], 60, 0).metrics.iteration_duration;
        assert.ok(none.kind === "trend" && "zeros" in none.digest, "0: a histogram from the first sample");
    });

    it("records the requested sub-metrics (two tags, quoted values) and k6's expected_response one", () => {
        const writer = new K6JsonWriter();
        writer.request(START, { name: "count-prime", status: 200, durationMs: 10 });
        writer.request(START, { name: "count-prime", status: 503, durationMs: 20 });
        writer.request(START, { name: "count-prime", status: 500, durationMs: 30 });
        writer.request(START, { name: "health", status: 200, durationMs: 1 });
        const recorded = record(writer.lines, [
            "http_req_duration{name:count-prime}",
            `http_req_duration{name:"count-prime", status:'200'}`,
            "http_req_failed{name:health}",
            "http_reqs{name:nothing}",
        ]);
        assert.deepEqual(
            Object.keys(recorded.submetrics).sort(),
            [
                "http_req_duration{expected_response:true}",
                "http_req_duration{name:count-prime}",
                `http_req_duration{name:"count-prime", status:'200'}`,
                "http_req_failed{name:health}",
            ].sort(),
            "a sub-metric without samples is not recorded",
        );
        assert.equal(digestOf(recorded, "http_req_duration{name:count-prime}").count, 3);
        assert.equal(digestOf(recorded, `http_req_duration{name:"count-prime", status:'200'}`).max, 10);
        assert.deepEqual(digestOf(recorded, "http_req_duration{expected_response:true}").toJSON().count, 3, "503 is expected in these lines");
        assert.deepEqual(recorded.submetrics["http_req_failed{name:health}"], { kind: "rate", contains: "default", passes: 0, total: 1 });
    });

    it("records checks per group and check, and the group paths of checks and group_duration (as k6 does), in the order they appear", () => {
        const writer = new K6JsonWriter();
        writer.check(START, "status 200", true);
        writer.check(START, "status 200", false);
        writer.request(START, { name: "setup-probe", status: 200, durationMs: 1, group: "::setup" });
        writer.check(START, "body ok", true, "::api::count");
        writer.check(START, "body ok", true, "::api::count");
        writer.check(START, "status 200", true, "::api");
        writer.point("group_duration", 12, START, { group: "::setup" });
        const recorded = record(writer.lines);
        assert.deepEqual(recorded.checks, [
            { group: "", name: "status 200", passes: 1, fails: 1 },
            { group: "::api::count", name: "body ok", passes: 2, fails: 0 },
            { group: "::api", name: "status 200", passes: 1, fails: 0 },
        ]);
        assert.deepEqual(recorded.groups, ["::api::count", "::api", "::setup"], "setup()'s request makes no group; group_duration does");
    });

    it("keeps a timeline per step since the start: requests, failures, and a histogram of http_req_duration", () => {
        const writer = new K6JsonWriter();
        writer.request(START - 50, { name: "health", status: 200, durationMs: 10 });
        writer.request(START + 9_000, { name: "health", status: 500, durationMs: 20 });
        writer.request(START + 25_000, { name: "health", status: 200, durationMs: 30 });
        const recorded = record(writer.lines, [], 10);
        assert.deepEqual(
            recorded.series.map(({ step, requests, failed, duration }) => [step, requests, failed, duration.count, "zeros" in duration]),
            [
                [0, 2, 1, 2, true],
                [2, 1, 0, 1, true],
            ],
            "a sample slightly before the start counts in the first step",
        );
    });

    it("counts what it cannot read, and never throws", () => {
        const writer = new K6JsonWriter();
        writer.request(START, { name: "health", status: 200, durationMs: 1 });
        const point = (data: object, metric = "http_reqs") => JSON.stringify({ type: "Point", data, metric });
        const time = k6Time(START);
        const unreadable = [
            "not json",
            "time=2026-11-30T12:00:00Z level=info msg=\"hello\"",
            "[1,2]",
            "null",
            "{}",
            JSON.stringify({ type: "Point", data: "x", metric: "http_reqs" }),
            JSON.stringify({ type: "Sample", data: {}, metric: "http_reqs" }),
            JSON.stringify({ type: "Metric", data: { type: "histogram", contains: "default" }, metric: "x" }),
            JSON.stringify({ type: "Metric", data: { type: "counter" } }),
            point({ time, value: 1, tags: {} }, "undeclared"),
            point({ time, value: "1", tags: {} }),
            point({ time: "yesterday", value: 1, tags: {} }),
            point({ value: 1, tags: {} }),
            '{"type":"Point","data":{"time":"' + time + '","value":1e999,"tags":{}},"metric":"http_reqs"}',
        ];
        const recorded = record([...writer.lines, ...unreadable, "", point({ time, value: 2, tags: null })]);
        assert.equal(recorded.unreadableLines, unreadable.length);
        assert.deepEqual(recorded.metrics.http_reqs, { kind: "counter", contains: "default", count: 3 });
    });

    it("rejects sub-metrics it cannot parse, a start that is not a date, and a bad step or exact limit", () => {
        const options = { submetrics: [], startedAt: new Date(START), exactSamplesPerSeries: 10 };
        assert.throws(() => new SegmentRecorder({ ...options, submetrics: ["http_req_duration{name"] }), /unmatched curly brace/);
        assert.throws(() => new SegmentRecorder({ ...options, startedAt: new Date(NaN) }), /startedAt is not a valid date/);
        assert.throws(() => new SegmentRecorder({ ...options, seriesStepSeconds: 0 }), /seriesStepSeconds/);
        assert.throws(() => new SegmentRecorder({ ...options, exactSamplesPerSeries: -1 }), /exactSamplesPerSeries must be a whole number ≥ 0, got -1/);
    });
});

describe("RecordedMetrics JSON", () => {
    function sample(): RecordedMetrics {
        const writer = new K6JsonWriter();
        for (let i = 0; i < 50; i++) {
            writer.request(START + i * 1000, { name: i % 2 === 0 ? "health" : "count-prime", status: i % 7 === 0 ? 500 : 200, durationMs: 3 + i });
            writer.check(START + i * 1000, "status 200", i % 7 !== 0, "::api");
            writer.point("vus", 1 + (i % 3), START + i * 1000);
        }
        return record(writer.lines, ["http_req_duration{name:count-prime}"]);
    }

    it("round-trips through JSON", () => {
        const recorded = sample();
        assert.deepEqual(readRecordedMetrics(JSON.parse(JSON.stringify(recorded))), recorded);
        assert.equal(recorded.version, 1);
        assert.equal(recorded.startedAt, new Date(START).toISOString());
    });

    const malformed: [string, (json: { [key: string]: unknown }) => unknown, RegExp][] = [
        ["another version", (json) => ({ ...json, version: 2 }), /^recorded\.version: expected 1 \(the version this merge reads\), got 2$/],
        ["a start that is not a time", (json) => ({ ...json, startedAt: "soon" }), /^recorded\.startedAt: expected an ISO 8601 time, got "soon"$/],
        ["no step length", (json) => ({ ...json, seriesStepSeconds: 0 }), /^recorded\.seriesStepSeconds: expected a number of seconds above 0/],
        ["an unknown kind", (json) => withMetric(json, "vus", { kind: "meter", contains: "default" }), /^recorded\.metrics\.vus\.kind: expected one of counter, rate, gauge, trend, got "meter"$/],
        ["a counter without count", (json) => withMetric(json, "http_reqs", { kind: "counter", contains: "default" }), /^recorded\.metrics\.http_reqs\.count: expected a finite number, got nothing$/],
        ["more passes than samples", (json) => withMetric(json, "checks", { kind: "rate", contains: "default", passes: 3, total: 2 }), /^recorded\.metrics\.checks: 3 passes out of 2 samples$/],
        ["a bad per-second value", (json) => withMetric(json, "vus", { kind: "gauge", contains: "default", time: 1, value: 1, min: 1, max: 1, perSecond: [[1, "x"]] }), /^recorded\.metrics\.vus\.perSecond\[0\]\[1\]: expected a finite number, got "x"$/],
        ["a bad digest", (json) => withMetric(json, "http_req_duration", { kind: "trend", contains: "time", digest: { count: 1, sum: [1], min: 1, max: 1, samples: ["1"] } }), /^recorded\.metrics\.http_req_duration\.digest\.samples\[0\]: expected a finite number, got "1"$/],
        ["a bad sub-metric", (json) => ({ ...json, submetrics: { "http_req_duration{name:count-prime}": null } }), /^recorded\.submetrics\["http_req_duration\{name:count-prime\}"\]: expected an object, got null$/],
        ["a negative check count", (json) => ({ ...json, checks: [{ group: "", name: "x", passes: -1, fails: 0 }] }), /^recorded\.checks\[0\]\.passes: expected a whole number ≥ 0, got -1$/],
        ["a group that is not a string", (json) => ({ ...json, groups: [7] }), /^recorded\.groups\[0\]: expected a string, got 7$/],
        ["a bad timeline step", (json) => ({ ...json, series: [{ step: 0, requests: 1, failed: 0 }] }), /^recorded\.series\[0\]\.duration: expected an object, got nothing$/],
    ];

    function withMetric(json: { [key: string]: unknown }, name: string, metric: unknown): unknown {
        return { ...json, metrics: { ...(json.metrics as object), [name]: metric } };
    }

    for (const [what, spoil, message] of malformed) {
        it(`rejects ${what}, naming it`, () => {
            const json = JSON.parse(JSON.stringify(sample()));
            assert.throws(() => readRecordedMetrics(spoil(json)), (error: unknown) => error instanceof FormatError && message.test(error.message));
        });
    }

    it("rejects what is not an object at all", () => {
        assert.throws(() => readRecordedMetrics("{}", "segment 3"), /^FormatError: segment 3: expected an object, got "\{\}"$/);
    });
});
