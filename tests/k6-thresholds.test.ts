import assert from "node:assert/strict";
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
      "http_req_duration{name:count-prime}": ["p(99)<3000"],
      checks: ["rate>=0.99"],
    });
    assertWellFormed(thresholds);
  });

  it("smoke: every check passes and no request fails", () => {
    const thresholds = smokeThresholds(SMOKE_LIMITS);
    assert.deepEqual(thresholds, {
      checks: ["rate>=1"],
      http_req_failed: ["rate<=0"],
      "http_req_duration{name:health}": ["p(99)<1000"],
      "http_req_duration{name:count-prime}": ["p(99)<1000"],
    });
    assertWellFormed(thresholds);
  });

  it("stress: shed load and dropped iterations have their own limits; latency is judged on served requests", () => {
    const thresholds = stressThresholds(STRESS_LIMITS, 65_700);
    assert.deepEqual(thresholds, {
      http_req_failed: ["rate<=0.01", { threshold: "rate<0.1", abortOnFail: true, delayAbortEval: "1m" }],
      [OVERLOADED_METRIC]: ["rate<=0.1"],
      "http_req_duration{name:count-prime,status:200}": ["p(99)<5000"],
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
    assert.deepEqual(thresholds["http_req_duration{name:count-prime}"], ["p(99)<800"]);
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
