import assert from "node:assert/strict";
import {
    LOAD_LIMITS,
    SMOKE_LIMITS,
    STRESS_LIMITS,
    loadThresholds,
    smokeThresholds,
    stressThresholds,
} from "../../k6/lib/thresholds";
import {
    ThresholdError,
    abortOnFailThresholds,
    aggregationProblem,
    compare,
    parseMetricSelector,
    parseThreshold,
    readK6Thresholds,
    submetricKeys,
    validateThresholds,
} from "../src/thresholds";

function rejects(expression: string, message: RegExp): void {
    assert.throws(() => parseThreshold(expression), (error: unknown) => error instanceof ThresholdError && message.test(error.message));
}

describe("k6 threshold expressions", () => {
    it("parses the kinds the shipped scripts use: rate<=, rate<, rate>=, p(99)<, count<", () => {
        assert.deepEqual(parseThreshold("rate<=0.01"), { aggregation: "rate", method: "rate", operator: "<=", value: 0.01 });
        assert.deepEqual(parseThreshold("rate<0.1"), { aggregation: "rate", method: "rate", operator: "<", value: 0.1 });
        assert.deepEqual(parseThreshold("rate>=0.99"), { aggregation: "rate", method: "rate", operator: ">=", value: 0.99 });
        assert.deepEqual(parseThreshold("p(99)<3000"), { aggregation: "p(99)", method: "p", percentile: 99, operator: "<", value: 3000 });
        assert.deepEqual(parseThreshold("count<37"), { aggregation: "count", method: "count", operator: "<", value: 37 });
    });

    it("parses every other aggregation and operator of the grammar, spaces around them allowed", () => {
        const cases: [string, string, string, number][] = [
            ["value > 5", "value", ">", 5],
            ["avg==12.5", "avg", "==", 12.5],
            ["min === 0", "min", "===", 0],
            ["max!=1e3", "max", "!=", 1000],
            ["med >= -2", "med", ">=", -2],
            ["p(99.9) <= .5", "p(99.9)", "<=", 0.5],
            ["p(0)>1", "p(0)", ">", 1],
            ["p(100)<1", "p(100)", "<", 1],
            ["p(95.50)<1", "p(95.5)", "<", 1],
        ];
        for (const [expression, aggregation, operator, value] of cases) {
            const parsed = parseThreshold(expression);
            assert.deepEqual([parsed.aggregation, parsed.operator, parsed.value], [aggregation, operator, value], expression);
        }
        assert.equal(parseThreshold("p(99.9)<1").percentile, 99.9);
    });

    it("rejects what k6 would not parse, saying what is wrong and what is allowed", () => {
        rejects("p(99) 3000", /^p\(99\) 3000: there is no operator: use one of <= < >= > === == !=/);
        rejects("pct(99)<5", /^pct\(99\)<5: "pct\(99\)" is not an aggregation: use count, rate, value, avg, min, max, med or p\(N\)$/);
        rejects("<5", /^<5: there is no aggregation before the operator: use count/);
        rejects("p<5", /^p<5: "p" is not an aggregation/);
        rejects("p(101)<5", /^p\(101\)<5: p\(101\) is not a percentile: use p\(N\) with N a number from 0 to 100/);
        rejects("p(abc)<5", /p\(abc\) is not a percentile/);
        rejects("rate<abc", /^rate<abc: "abc" after < is not a number \(a threshold is "<aggregation> <operator> <number>"/);
        rejects("rate<", /^rate<: there is no number after </);
        rejects("count<<5", /"<5" after < is not a number/);
        rejects("rate<0.1s", /"0.1s" after < is not a number/);
    });

    it("compares as k6 does, == and === alike", () => {
        const table: [number, "<=" | "<" | ">=" | ">" | "===" | "==" | "!=", number, boolean][] = [
            [1, "<", 2, true],
            [2, "<", 2, false],
            [2, "<=", 2, true],
            [3, ">", 2, true],
            [2, ">=", 2, true],
            [1, ">=", 2, false],
            [2, "==", 2, true],
            [2, "===", 2, true],
            [2, "!=", 2, false],
            [1, "!=", 2, true],
        ];
        for (const [left, operator, right, expected] of table) assert.equal(compare(left, operator, right), expected, `${left}${operator}${right}`);
    });

    it("names the aggregations each metric type supports", () => {
        const p99 = parseThreshold("p(99)<5");
        assert.equal(aggregationProblem("http_req_duration", "p(99)<5", p99, "trend"), undefined);
        assert.equal(aggregationProblem("iterations", "rate>1", parseThreshold("rate>1"), "counter"), undefined);
        assert.equal(
            aggregationProblem("http_req_failed", "count<5", parseThreshold("count<5"), "rate"),
            "count<5: http_req_failed is a rate metric, whose aggregations are rate",
        );
        assert.match(aggregationProblem("vus", "p(99)<5", p99, "gauge") ?? "", /vus is a gauge metric, whose aggregations are value$/);
        assert.match(aggregationProblem("my_trend", "value>1", parseThreshold("value>1"), "trend") ?? "", /aggregations are avg, min, max, med, p\(N\)$/);
        assert.match(aggregationProblem("my_counter", "avg>1", parseThreshold("avg>1"), "counter") ?? "", /aggregations are count, rate$/);
    });
});

describe("k6 metric selectors", () => {
    it("reads a metric and a sub-metric's tag filter, with k6's trimming and unquoting", () => {
        assert.deepEqual(parseMetricSelector("http_reqs"), { metric: "http_reqs", tags: {} });
        assert.deepEqual(parseMetricSelector("http_req_duration{name:count-prime}"), { metric: "http_req_duration", tags: { name: "count-prime" } });
        assert.deepEqual(parseMetricSelector(`http_req_duration{ name : "count-prime" ,status:'200'}`), {
            metric: "http_req_duration",
            tags: { name: "count-prime", status: "200" },
        });
        assert.deepEqual(parseMetricSelector("checks{url:https://x/y?a=1}"), { metric: "checks", tags: { url: "https://x/y?a=1" } });
    });

    it("rejects what k6's ParseMetricName rejects", () => {
        const cases: [string, RegExp][] = [
            ["", /^metric "" is empty/],
            ["http_req_duration{name:a", /has an unmatched curly brace/],
            ["http_req_duration}name:a{", /closes its curly brace before opening it/],
            ["http_req_duration{name:a}x", /has something after its closing curly brace/],
            ["{name:a}", /has no metric name before its tags/],
            ["http_req_duration{}", /has a malformed tag filter ""/],
            ["http_req_duration{name}", /has a malformed tag filter "name"/],
            ["http_req_duration{name:}", /has a malformed tag filter "name:"/],
            ["http_req_duration{name:a,}", /has a malformed tag filter ""/],
        ];
        for (const [selector, message] of cases) {
            assert.throws(() => parseMetricSelector(selector), (error: unknown) => error instanceof ThresholdError && message.test(error.message), selector);
        }
        assert.throws(() => parseMetricSelector("x{a}"), /: use metric or metric\{tag:value,\.\.\.\}$/);
    });
});

describe("the thresholds option", () => {
    it("finds nothing wrong with the shipped scripts' thresholds", () => {
        for (const thresholds of [loadThresholds(LOAD_LIMITS), smokeThresholds(SMOKE_LIMITS), stressThresholds(STRESS_LIMITS, 36_000)]) {
            assert.deepEqual(validateThresholds(thresholds), []);
        }
        assert.deepEqual(validateThresholds(undefined), []);
        assert.deepEqual(validateThresholds(null), [], "k6 inspect prints null without thresholds");
    });

    it("lists every problem, each naming the metric and the expression", () => {
        const problems = validateThresholds({
            http_req_failed: ["rate<<0.01", "count<5", "rate<0.5"],
            "http_req_duration{name": ["p(99)<1"],
            "http_req_duration{name:count-prime}": ["p(99)<1", "value>2"],
            checks: "rate>0.9",
            custom: [{ threshold: 5 }, { threshold: "avg<1", abortOnFail: "yes" }, { threshold: "avg<1", delayAbortEval: 60 }, "nonsense"],
        });
        assert.deepEqual(problems, [
            'http_req_failed: rate<<0.01: "<0.01" after < is not a number (a threshold is "<aggregation> <operator> <number>", e.g. "p(95)<200" or "rate<=0.01")',
            'http_req_duration{name: metric "http_req_duration{name" has an unmatched curly brace: use metric or metric{tag:value,...}',
            'checks: expected a list of thresholds, got "rate>0.9"',
            'custom: threshold 1: expected an expression or { threshold: "<expression>", abortOnFail?, delayAbortEval? }',
            "custom: threshold 2: abortOnFail must be true or false",
            'custom: threshold 3: delayAbortEval must be a duration such as "1m"',
            'custom: nonsense: there is no operator: use one of <= < >= > === == != (a threshold is "<aggregation> <operator> <number>", e.g. "p(95)<200" or "rate<=0.01")',
            "http_req_failed: count<5: http_req_failed is a rate metric, whose aggregations are rate",
            "http_req_duration{name:count-prime}: value>2: http_req_duration{name:count-prime} is a trend metric, whose aggregations are avg, min, max, med, p(N)",
        ]);
        assert.deepEqual(validateThresholds(["rate<1"]), ['thresholds: expected an object { "<metric>": ["<expression>", ...] }, got ["rate<1"]']);
    });

    it("reads a valid option as k6 inspect prints it, and throws listing the problems of an invalid one", () => {
        const printed = {
            http_req_failed: ["rate<=0.01", { threshold: "rate<0.1", abortOnFail: true, delayAbortEval: "1m0s" }],
            checks: [{ threshold: "rate>=0.99", abortOnFail: true, delayAbortEval: null }, { threshold: "rate>0", abortOnFail: false }],
        };
        assert.deepEqual(readK6Thresholds(printed), {
            http_req_failed: ["rate<=0.01", { threshold: "rate<0.1", abortOnFail: true, delayAbortEval: "1m0s" }],
            checks: [{ threshold: "rate>=0.99", abortOnFail: true, delayAbortEval: null }, "rate>0"],
        });
        assert.throws(() => readK6Thresholds({ checks: ["rate=1", "rate"] }), /^ThresholdError: invalid thresholds:\n {2}checks: rate=1: there is no operator.*\n {2}checks: rate: there is no operator/);
    });

    it("lists the abortOnFail thresholds, which cannot stop the other tasks", () => {
        assert.deepEqual(abortOnFailThresholds(loadThresholds(LOAD_LIMITS)), [{ metric: "http_req_failed", expression: "rate<0.1", delayAbortEval: "1m" }]);
        assert.deepEqual(abortOnFailThresholds({ checks: [{ threshold: "rate>0.5", abortOnFail: true }] }), [{ metric: "checks", expression: "rate>0.5" }]);
        assert.deepEqual(abortOnFailThresholds(smokeThresholds(SMOKE_LIMITS)), []);
    });

    it("lists the sub-metrics the segments must record", () => {
        assert.deepEqual(submetricKeys(stressThresholds(STRESS_LIMITS, 36_000)), ["http_req_duration{name:count-prime,status:200}", "http_reqs{name:count-prime,status:200}"]);
        assert.deepEqual(submetricKeys(smokeThresholds(SMOKE_LIMITS)), [
            "http_req_duration{name:health,expected_response:true}",
            "http_reqs{name:health,expected_response:true}",
            "http_req_duration{name:count-prime,expected_response:true}",
            "http_reqs{name:count-prime,expected_response:true}",
        ]);
    });
});
