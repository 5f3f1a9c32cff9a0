import assert from "node:assert/strict";
import {
  RESULTS_DIR,
  collectChecks,
  compactTimestamp,
  formatMetricValues,
  formatTrendStat,
  isLocalUrl,
  readSummaryPath,
  summaryOutputs,
  thresholdStat,
  unmeasured,
} from "../k6/lib/summary";
import type { SummaryData } from "../k6/lib/summary";
import { assertEnvError, env } from "./k6-helpers";

/** Abridged from what k6 v2 passes to handleSummary() for a short load.ts run. */
const DATA: SummaryData = {
  state: { testRunDurationMs: 30_500 },
  root_group: {
    name: "",
    checks: [
      { name: "count-prime: status 200", passes: 58, fails: 2 },
      { name: "count-prime: body echoes the limit", passes: 60, fails: 0 },
    ],
    groups: [{ name: "nested", checks: [{ name: "health: status 200", passes: 3, fails: 0 }], groups: [] }],
  },
  metrics: {
    http_reqs: { type: "counter", contains: "default", values: { count: 60, rate: 1.967 } },
    http_req_failed: {
      type: "rate",
      contains: "default",
      values: { rate: 2 / 60, passes: 2, fails: 58 },
      thresholds: { "rate<=0.01": { ok: false }, "rate<0.1": { ok: true } },
    },
    "http_req_duration{name:count-prime}": {
      type: "trend",
      contains: "time",
      values: { avg: 41.2, min: 20.1, med: 38.4, max: 1503.9, "p(90)": 60.5, "p(95)": 80.25, "p(99)": 1200.5, count: 58 },
      thresholds: { "p(99)<3000": { ok: true } },
    },
    http_req_blocked: { type: "trend", contains: "time", values: { avg: 0.01 } },
    data_received: { type: "counter", contains: "data", values: { count: 12_345, rate: 404.7 } },
    vus: { type: "gauge", contains: "default", values: { value: 4, min: 1, max: 4 } },
  },
};

const RUN = { script: "load", baseUrl: "http://localhost:8000", settings: { profile: { users: 4 } } };
const FINISHED = new Date("2025-11-25T13:00:10.500Z");

describe("k6 summary: where the JSON goes", () => {
  it("defaults to k6/results/<script>-<UTC end time>.json", () => {
    assert.equal(RESULTS_DIR, "k6/results");
    assert.equal(compactTimestamp(FINISHED), "20251125T130010Z");
    assert.equal(readSummaryPath(env(), "load", FINISHED), "k6/results/load-20251125T130010Z.json");
  });

  it("takes SUMMARY_PATH from -e, but not stdout/stderr", () => {
    assert.equal(readSummaryPath(env({ SUMMARY_PATH: "/tmp/run.json" }), "load", FINISHED), "/tmp/run.json");
    assertEnvError(() => readSummaryPath(env({ SUMMARY_PATH: "stdout" }), "load", FINISHED), ["SUMMARY_PATH"], /file path/);
  });
});

describe("k6 summary: handleSummary outputs", () => {
  const outputs = summaryOutputs(DATA, RUN, "k6/results/x.json", FINISHED);

  it("writes the text summary to stdout and the JSON to the file, nothing else", () => {
    assert.deepEqual(Object.keys(outputs).sort(), ["k6/results/x.json", "stdout"]);
  });

  it("puts the run's UTC window, settings and verdict in the JSON, with k6's data unchanged", () => {
    const file = JSON.parse(outputs["k6/results/x.json"]);
    assert.deepEqual(file.k6, JSON.parse(JSON.stringify(DATA)));
    assert.equal(file.run.script, "load");
    assert.equal(file.run.baseUrl, "http://localhost:8000");
    assert.equal(file.run.startedAt, "2025-11-25T12:59:40.000Z");
    assert.equal(file.run.finishedAt, "2025-11-25T13:00:10.500Z");
    assert.equal(file.run.durationSeconds, 30.5);
    assert.equal(file.run.thresholdsPassed, false);
    assert.deepEqual(file.run.failedThresholds, ["http_req_failed: rate<=0.01"]);
    assert.deepEqual(file.run.settings, { profile: { users: 4 } });
  });

  it("shows each threshold with its verdict and the measured value", () => {
    const text = outputs.stdout;
    assert.match(text, /THRESHOLDS: 1 of 3 FAILED/);
    assert.match(text, /✗ http_req_failed rate<=0\.01 {2}\(rate=3\.33%\)/);
    assert.match(text, /✓ http_req_failed rate<0\.1/);
    assert.match(text, /✓ http_req_duration\{name:count-prime\} p\(99\)<3000 {2}\(p\(99\)=1\.20s\)/);
  });

  it("lists the checks, nested groups included, with the total", () => {
    const text = outputs.stdout;
    assert.match(text, /CHECKS: 121 of 123 passed \(98\.37%\)/);
    assert.match(text, /✗ count-prime: status 200 {2}58\/60/);
    assert.match(text, /✓ health: status 200 {2}3\/3/);
  });

  it("prints the main metrics by type, leaving out the http_req timing breakdown", () => {
    const text = outputs.stdout;
    assert.match(text, /http_reqs \.+ 60 \(1\.97\/s\)/);
    assert.match(text, /data_received \.+ 12\.3 kB \(405 B\/s\)/);
    assert.match(text, /vus \.+ 4 \(min 1, max 4\)/);
    assert.match(text, /avg=41\.2ms min=20\.1ms med=38\.4ms max=1\.50s p\(90\)=60\.5ms p\(95\)=80\.3ms p\(99\)=1\.20s count=58$/m);
    assert.doesNotMatch(text, /http_req_blocked/);
  });

  it("gives a local run's window without a dashboard to open, and the JSON path", () => {
    assert.match(outputs.stdout, /2025-11-25T12:59:40\.000Z → 2025-11-25T13:00:10\.500Z UTC \(30\.5 s\): the run's window \(local target: no CloudWatch dashboard\)$/m);
    assert.doesNotMatch(outputs.stdout, /to open on the CloudWatch dashboard/);
    assert.match(outputs.stdout, /ecs-loadlab load against http:\/\/localhost:8000/);
    assert.match(outputs.stdout, /JSON summary: k6\/results\/x\.json/);
  });

  it("gives a remote run's window as the one to open on the CloudWatch dashboard", () => {
    const remote = summaryOutputs(DATA, { ...RUN, baseUrl: "https://dev.example.com" }, "k6/results/x.json", FINISHED);
    assert.match(remote.stdout, /UTC \(30\.5 s\): the window to open on the CloudWatch dashboard$/m);
  });

  it("still writes the JSON, and says so, when k6 passes a summary shape it does not know", () => {
    const other = summaryOutputs({ state: { testRunDurationMs: 1000 } }, RUN, "out.json", FINISHED);
    assert.match(other.stdout, /summary format this script does not read/);
    assert.equal(JSON.parse(other["out.json"]).run.thresholdsPassed, true);
  });
});

/**
 * What k6 v2 passes to handleSummary() when nothing answered (every request refused): an empty trend
 * has every statistic 0 and, since summaryTrendStats asks for it, count 0 (metrics/sink.go,
 * metrics/sample.go); k6 passes its p(99) threshold and an empty Rate's, and fails count>0 on an
 * empty Counter (metrics/thresholds.go).
 */
const NOTHING_ANSWERED: SummaryData = {
  state: { testRunDurationMs: 30_000 },
  root_group: { name: "", checks: [{ name: "health: status 200", passes: 0, fails: 30 }], groups: [] },
  metrics: {
    checks: { type: "rate", contains: "default", values: { rate: 0, passes: 0, fails: 30 }, thresholds: { "rate>=1": { ok: false } } },
    "http_req_duration{name:health,expected_response:true}": {
      type: "trend",
      contains: "time",
      values: { avg: 0, min: 0, med: 0, max: 0, "p(90)": 0, "p(95)": 0, "p(99)": 0, count: 0 },
      thresholds: { "p(99)<1000": { ok: true } },
    },
    "http_reqs{name:health,expected_response:true}": {
      type: "counter",
      contains: "default",
      values: { count: 0, rate: 0 },
      thresholds: { "count>0": { ok: false } },
    },
    overloaded: { type: "rate", contains: "default", values: { rate: 0, passes: 0, fails: 0 }, thresholds: { "rate<=0.1": { ok: true } } },
  },
};

describe("k6 summary: thresholds that passed without a sample", () => {
  const text = summaryOutputs(NOTHING_ANSWERED, RUN, "out.json", FINISHED).stdout;

  it("shows a latency threshold over no answered request as not judged, never ✓", () => {
    assert.match(text, /^ {4}– http_req_duration\{name:health,expected_response:true\} p\(99\)<1000 {2}\(no answered requests: not judged\)$/m);
    assert.doesNotMatch(text, /✓/);
  });

  it("names the empty rate as having no samples, and fails the answered-request count with its value", () => {
    assert.match(text, /^ {4}– overloaded rate<=0\.1 {2}\(no samples: not judged\)$/m);
    assert.match(text, /^ {4}✗ http_reqs\{name:health,expected_response:true\} count>0 {2}\(count=0\)$/m);
  });

  it("counts them apart in the headline", () => {
    assert.match(text, /THRESHOLDS: 2 of 4 FAILED, 2 unmeasured/);
    const onlyEmpty: SummaryData = { metrics: { overloaded: NOTHING_ANSWERED.metrics!.overloaded } };
    assert.match(summaryOutputs(onlyEmpty, RUN, "out.json", FINISHED).stdout, /THRESHOLDS: none failed, 1 unmeasured/);
  });

  it("tells an empty trend or rate from one with samples; a counter is judged at 0 as k6 means it", () => {
    const metrics = NOTHING_ANSWERED.metrics!;
    assert.equal(unmeasured(metrics["http_req_duration{name:health,expected_response:true}"]), true);
    assert.equal(unmeasured(metrics.overloaded), true);
    assert.equal(unmeasured(metrics["http_reqs{name:health,expected_response:true}"]), false);
    assert.equal(unmeasured(metrics.checks), false);
    assert.equal(unmeasured(DATA.metrics!["http_req_duration{name:count-prime}"]), false);
  });
});

describe("k6 summary: helpers", () => {
  it("tells a local target from a remote one", () => {
    for (const local of ["http://localhost:8000", "http://LOCALHOST", "http://127.0.0.1:8000", "http://127.1.2.3", "http://[::1]:8000", "http://0.0.0.0:8000", "http://user:pw@localhost:8000/base"]) {
      assert.equal(isLocalUrl(local), true, local);
    }
    for (const remote of ["https://dev.example.com", "https://localhost.example.com", "http://128.0.0.1", "http://10.0.0.5:8000", "http://[::2]:8000", "https://127.0.0.1.nip.io"]) {
      assert.equal(isLocalUrl(remote), false, remote);
    }
  });

  it("formats a trend's count as a number of samples, its other statistics in its unit", () => {
    assert.equal(formatTrendStat("count", 1200, "time"), "1200");
    assert.equal(formatTrendStat("p(99)", 1200, "time"), "1.20s");
  });

  it("finds the statistic a threshold tests", () => {
    assert.equal(thresholdStat("p(99)<3000"), "p(99)");
    assert.equal(thresholdStat("p(99.9)<3000"), "p(99.9)");
    assert.equal(thresholdStat("rate<=0.01"), "rate");
    assert.equal(thresholdStat("count<657"), "count");
    assert.equal(thresholdStat("nonsense"), undefined);
  });

  it("formats rates and counters", () => {
    assert.equal(formatMetricValues({ type: "rate", values: { rate: 0.5, passes: 1, fails: 1 } }), "50.00% (1 of 2)");
    assert.equal(formatMetricValues({ type: "counter", values: { count: 3, rate: 0.1 } }), "3 (0.10/s)");
  });

  it("collects checks depth first", () => {
    assert.deepEqual(collectChecks(DATA.root_group).map((check) => check.name), [
      "count-prime: status 200",
      "count-prime: body echoes the limit",
      "health: status 200",
    ]);
    assert.deepEqual(collectChecks(undefined), []);
  });
});
