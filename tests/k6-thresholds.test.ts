import assert from "node:assert/strict";
import { mergeRecorded } from "../loadgen/src/merge";
import type { MergedRun } from "../loadgen/src/merge";
import { SegmentRecorder } from "../loadgen/src/recorder";
import { K6JsonWriter } from "../loadgen/test/k6-json";
import { SUMMARY_TREND_STATS, summaryOutputs, unmeasured } from "../k6/lib/summary";
import {
  LOAD_LIMITS,
  OVERLOADED_METRIC,
  ROUTES,
  SMOKE_LIMITS,
  STRESS_LIMITS,
  loadThresholds,
  readStressLimits,
  readThresholdLimits,
  smokeThresholds,
  stressThresholds,
  submetric,
} from "../k6/lib/thresholds";
import type { Threshold, Thresholds } from "../k6/lib/thresholds";
import { assertEnvError, env } from "./k6-helpers";

/** k6's threshold grammar: aggregation, operator, number (e.g. "p(99)<3000", "rate<=0.01"). */
const EXPRESSION = /^(avg|min|max|med|count|rate|value|p\(\d+(\.\d+)?\))(<=|>=|==|!=|<|>)\d+(\.\d+)?$/;
/** A metric name, optionally with a {tag:value,...} filter. */
const METRIC = /^[a-z_]+(\{[a-z_]+:[a-z0-9-]+(,[a-z_]+:[a-z0-9-]+)*\})?$/;

const expression = (threshold: Threshold) => (typeof threshold === "string" ? threshold : threshold.threshold);

function assertWellFormed(thresholds: Thresholds): void {
  for (const [metric, list] of Object.entries(thresholds)) {
    assert.match(metric, METRIC);
    assert.ok(list.length > 0, metric);
    for (const threshold of list) assert.match(expression(threshold), EXPRESSION, `${metric}: ${expression(threshold)}`);
    const expressions = list.map(expression);
    assert.equal(new Set(expressions).size, expressions.length, `duplicate threshold on ${metric}`);
  }
}

describe("k6 thresholds", () => {
  it("select a route by its name tag", () => {
    assert.equal(submetric("http_req_duration", { name: ROUTES.countPrime }), "http_req_duration{name:count-prime}");
    assert.equal(submetric("http_req_duration", { name: "count-prime", status: "200" }), "http_req_duration{name:count-prime,status:200}");
  });

  it("load: error rate at most 1% (aborting at 10% after a minute), count-prime p99 under 3 s, checks ≥ 99%", () => {
    const thresholds = loadThresholds(LOAD_LIMITS);
    assert.deepEqual(thresholds, {
      http_req_failed: ["rate<=0.01", { threshold: "rate<0.1", abortOnFail: true, delayAbortEval: "1m" }],
      "http_req_duration{name:count-prime,expected_response:true}": ["p(99)<3000"],
      "http_reqs{name:count-prime,expected_response:true}": ["count>0"],
      checks: ["rate>=0.99"],
    });
    assertWellFormed(thresholds);
  });

  it("smoke: every check passes and no request fails", () => {
    const thresholds = smokeThresholds(SMOKE_LIMITS);
    assert.deepEqual(thresholds, {
      checks: ["rate>=1"],
      http_req_failed: ["rate<=0"],
      "http_req_duration{name:health,expected_response:true}": ["p(99)<1000"],
      "http_reqs{name:health,expected_response:true}": ["count>0"],
      "http_req_duration{name:count-prime,expected_response:true}": ["p(99)<1000"],
      "http_reqs{name:count-prime,expected_response:true}": ["count>0"],
    });
    assertWellFormed(thresholds);
  });

  it("stress: shed load and dropped iterations have their own limits; latency is judged on served requests", () => {
    const thresholds = stressThresholds(STRESS_LIMITS, 65_700);
    assert.deepEqual(thresholds, {
      http_req_failed: ["rate<=0.01", { threshold: "rate<0.1", abortOnFail: true, delayAbortEval: "1m" }],
      [OVERLOADED_METRIC]: ["rate<=0.1"],
      "http_req_duration{name:count-prime,status:200}": ["p(99)<5000"],
      "http_reqs{name:count-prime,status:200}": ["count>0"],
      dropped_iterations: ["count<657"],
    });
    assertWellFormed(thresholds);
  });

  it("stress: tolerates no dropped iteration when MAX_DROPPED_RATE is 0", () => {
    const limits = readStressLimits(env({ MAX_DROPPED_RATE: "0" }));
    assert.deepEqual(stressThresholds(limits, 1000).dropped_iterations, ["count<1"]);
  });

  it("take P99_MS and MAX_ERROR_RATE from -e; drop the abort threshold when the limit is already that loose", () => {
    const limits = readThresholdLimits(env({ P99_MS: "800", MAX_ERROR_RATE: "0.2" }), LOAD_LIMITS);
    assert.deepEqual(limits, { p99Ms: 800, maxErrorRate: 0.2 });
    const thresholds = loadThresholds(limits);
    assert.deepEqual(thresholds.http_req_failed, ["rate<=0.2"]);
    assert.deepEqual(thresholds["http_req_duration{name:count-prime,expected_response:true}"], ["p(99)<800"]);
    assert.deepEqual(thresholds.checks, ["rate>=0.8"]);
    assertWellFormed(thresholds);
  });

  it("round the checks rate so it stays readable", () => {
    const thresholds = loadThresholds({ p99Ms: 1000, maxErrorRate: 0.07 });
    assert.deepEqual(thresholds.checks, ["rate>=0.93"]);
  });

  it("take the stress overrides from -e", () => {
    assert.deepEqual(readStressLimits(env({ MAX_OVERLOAD_RATE: "0.5", P99_MS: "2500" })), {
      p99Ms: 2500,
      maxErrorRate: 0.01,
      maxOverloadRate: 0.5,
      maxDroppedRate: 0.01,
    });
  });

  it("reject rates outside 0–1 and non-positive latencies, naming the variable", () => {
    assertEnvError(() => readThresholdLimits(env({ MAX_ERROR_RATE: "5" }), LOAD_LIMITS), ["MAX_ERROR_RATE"], /from 0 to 1/);
    assertEnvError(() => readThresholdLimits(env({ P99_MS: "0" }), LOAD_LIMITS), ["P99_MS"], /number >= 1/);
    assertEnvError(() => readThresholdLimits(env({ P99_MS: "fast" }), LOAD_LIMITS), ["P99_MS"], /expected a number/);
    assertEnvError(() => readStressLimits(env({ MAX_OVERLOAD_RATE: "-0.1" })), ["MAX_OVERLOAD_RATE"], /from 0 to 1/);
  });
});

describe("k6 thresholds: latency is judged on answered requests only, and needs one", () => {
  const ALL = { load: loadThresholds(LOAD_LIMITS), smoke: smokeThresholds(SMOKE_LIMITS), stress: stressThresholds(STRESS_LIMITS, 1000) };

  for (const [script, thresholds] of Object.entries(ALL)) {
    it(`${script}: every http_req_duration threshold selects answered requests, and the same selection of http_reqs has count>0`, () => {
      const latency = Object.keys(thresholds).filter((key) => key.startsWith("http_req_duration"));
      assert.ok(latency.length > 0);
      for (const key of latency) {
        assert.match(key, /[{,](expected_response:true|status:200)[,}]/, key);
        assert.deepEqual(thresholds[key.replace("http_req_duration", "http_reqs")], ["count>0"], key);
      }
      assert.ok(!JSON.stringify(Object.keys(thresholds)).includes(ROUTES.setupProbe), "the setup probe is in no threshold");
    });
  }

  const START = Date.UTC(2026, 0, 5, 9, 0, 0);

  /**
   * The thresholds as k6 judges them when the run ends, over the samples `write` gives: loadgen's
   * merge, which follows k6's rules for metrics without samples (loadgen/src/merge.ts).
   */
  function judge(thresholds: Thresholds, write: (writer: K6JsonWriter) => void): MergedRun {
    const writer = new K6JsonWriter();
    write(writer);
    const submetrics = Object.keys(thresholds).filter((key) => key.includes("{"));
    const recorder = new SegmentRecorder({ submetrics, startedAt: new Date(START), exactSamplesPerSeries: 10_000 });
    for (const line of writer.lines) recorder.ingest(line);
    return mergeRecorded({ segments: [recorder.result()], thresholds, testRunDurationMs: 30_000, summaryTrendStats: SUMMARY_TREND_STATS });
  }

  /** Smoke's requests, every one answered with `status` in 2 ms. */
  const smokeRun = (status: number) => (writer: K6JsonWriter) => {
    for (let i = 0; i < 20; i++) {
      writer.request(START + i * 500, { name: ROUTES.health, status, durationMs: 2 });
      writer.request(START + i * 500 + 1, { name: ROUTES.countPrime, status, durationMs: 2 });
      writer.check(START + i * 500 + 1, "count-prime: status 200", status === 200);
    }
  };

  const verdicts = (run: MergedRun) => {
    const metrics = run.summary.metrics;
    return Object.keys(metrics).flatMap((name) =>
      Object.entries(metrics[name].thresholds ?? {}).map(([expression, { ok }]) => `${ok ? (unmeasured(metrics[name]) ? "–" : "✓") : "✗"} ${name} ${expression}`),
    );
  };

  it("a run whose every answer is 200 passes, each latency threshold measured", () => {
    const run = judge(smokeThresholds(SMOKE_LIMITS), smokeRun(200));
    assert.equal(run.thresholdsPassed, true);
    assert.deepEqual(verdicts(run).filter((verdict) => !verdict.startsWith("✓")), []);
  });

  it("a run in which nothing was answered fails on the answered-request count; its latency thresholds are unmeasured, not passed", () => {
    const run = judge(smokeThresholds(SMOKE_LIMITS), smokeRun(500));
    assert.equal(run.thresholdsPassed, false);
    const judged = verdicts(run);
    for (const route of [ROUTES.health, ROUTES.countPrime]) {
      assert.ok(judged.includes(`✗ http_reqs{name:${route},expected_response:true} count>0`), judged.join("\n"));
      assert.ok(judged.includes(`– http_req_duration{name:${route},expected_response:true} p(99)<1000`), judged.join("\n"));
    }
    const text = summaryOutputs(run.summary, { script: "smoke", baseUrl: "http://localhost:8000", settings: {} }, "out.json", new Date()).stdout;
    assert.match(text, /– http_req_duration\{name:health,expected_response:true\} p\(99\)<1000 {2}\(no answered requests: not judged\)/);
    assert.match(text, /✗ http_reqs\{name:health,expected_response:true\} count>0 {2}\(count=0\)/);
  });

  it("k6 alone passes that run's latency thresholds: errors come back fast, and an empty selection has p(99)=0", () => {
    const run = judge({ "http_req_duration{name:health}": ["p(99)<1000"], "http_req_duration{name:health,expected_response:true}": ["p(99)<1000"] }, smokeRun(500));
    assert.equal(run.thresholdsPassed, true, "k6 passes p(99)<1000 on 500s in 2 ms, and on an empty selection (p(99)=0)");
  });

  it("a run with no request at all fails load.ts's thresholds, which would otherwise all pass", () => {
    const load = loadThresholds(LOAD_LIMITS);
    const run = judge(load, () => undefined);
    assert.equal(run.thresholdsPassed, false);
    assert.deepEqual(verdicts(run).filter((verdict) => verdict.startsWith("✗")), ["✗ http_reqs{name:count-prime,expected_response:true} count>0"]);
    const { "http_reqs{name:count-prime,expected_response:true}": answered, ...rest } = load;
    assert.ok(answered);
    assert.equal(judge(rest, () => undefined).thresholdsPassed, true, "an empty Rate and an empty Trend pass in k6");
  });
});
