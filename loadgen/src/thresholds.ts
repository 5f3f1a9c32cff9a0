/**
 * k6's thresholds option, read and checked as k6 does, so that the command can reject a bad one before starting any
 * task (the segments run with --no-thresholds, so no k6 checks them) and the merge can judge every threshold once.
 *
 * The thresholds option as `k6 inspect` prints it: `{ "<metric>" | "<metric>{tag:value,...}": [ "<expression>" |
 * { threshold, abortOnFail?, delayAbortEval? } ] }` (metrics/thresholds.go, thresholdConfig).
 */
import { BUILTIN_METRICS, type MetricType } from "./k6-metrics";
import { isJsonObject } from "./json-shape";

export class ThresholdError extends Error {
    override name = "ThresholdError";
}

/** k6 tries the operators in this order, so that `<=` is not read as `<` (metrics/thresholds_parser.go). */
export const OPERATORS = ["<=", "<", ">=", ">", "===", "==", "!="] as const;
export type Operator = (typeof OPERATORS)[number];

export const AGGREGATION_METHODS = ["count", "rate", "value", "avg", "min", "max", "med", "p"] as const;
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];

/** Which aggregations a threshold may use on each metric type (metrics/metric_type.go, supportedAggregationMethods). */
export const AGGREGATIONS_BY_TYPE: { readonly [type in MetricType]: readonly AggregationMethod[] } = {
    counter: ["count", "rate"],
    gauge: ["value"],
    rate: ["rate"],
    trend: ["avg", "min", "max", "med", "p"],
};

export interface ThresholdExpression {
    /** What is compared, as k6 names it: "rate", "p(99.9)" (metrics/thresholds_parser.go, SinkKey). */
    readonly aggregation: string;
    readonly method: AggregationMethod;
    /** For p(N): N, from 0 to 100. */
    readonly percentile?: number;
    readonly operator: Operator;
    readonly value: number;
}

const GRAMMAR = `a threshold is "<aggregation> <operator> <number>", e.g. "p(95)<200" or "rate<=0.01"`;
const METHODS_TEXT = "count, rate, value, avg, min, max, med or p(N)";

/** A decimal number, as k6's grammar has it (digits, optional fraction), with an optional sign and exponent. */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function scanOperator(expression: string): [string, Operator, string] {
    for (const operator of OPERATORS) {
        const at = expression.indexOf(operator);
        if (at !== -1) return [expression.slice(0, at).trim(), operator, expression.slice(at + operator.length).trim()];
    }
    throw new ThresholdError(`${expression}: there is no operator: use one of ${OPERATORS.join(" ")} (${GRAMMAR})`);
}

function parsePercentile(expression: string, argument: string): number {
    const percentile = NUMBER.test(argument) ? Number(argument) : NaN;
    if (percentile >= 0 && percentile <= 100) return percentile;
    throw new ThresholdError(
        `${expression}: p(${argument}) is not a percentile: use p(N) with N a number from 0 to 100, e.g. p(99.9)`,
    );
}

type Aggregation = Pick<ThresholdExpression, "aggregation" | "method" | "percentile">;

function parseAggregation(expression: string, left: string): Aggregation {
    const percentile = /^p\((.*)\)$/.exec(left);
    if (percentile !== null) {
        const value = parsePercentile(expression, percentile[1]);
        return { aggregation: `p(${value})`, method: "p", percentile: value };
    }
    // k6 also reads a bare `p` (as p(0), the minimum): surely a typo here, so it is refused.
    const method = AGGREGATION_METHODS.find((name) => name === left && name !== "p");
    if (method !== undefined) return { aggregation: method, method };
    const what = left === "" ? "there is no aggregation before the operator" : `"${left}" is not an aggregation`;
    throw new ThresholdError(`${expression}: ${what}: use ${METHODS_TEXT}`);
}

/** `p(99) < 3000` → { aggregation: "p(99)", operator: "<", value: 3000 }; a {@link ThresholdError} says what is wrong. */
export function parseThreshold(expression: string): ThresholdExpression {
    const [left, operator, right] = scanOperator(expression);
    const aggregation = parseAggregation(expression, left);
    if (!NUMBER.test(right)) {
        const what = right === "" ? `there is no number after ${operator}` : `"${right}" after ${operator} is not a number`;
        throw new ThresholdError(`${expression}: ${what} (${GRAMMAR})`);
    }
    return { ...aggregation, operator, value: Number(right) };
}

export function compare(left: number, operator: Operator, right: number): boolean {
    switch (operator) {
        case "<=":
            return left <= right;
        case "<":
            return left < right;
        case ">=":
            return left >= right;
        case ">":
            return left > right;
        case "===":
        case "==":
            return left === right;
        case "!=":
            return left !== right;
    }
}

/** Why `expression` cannot apply to a metric of `type` (metrics/thresholds.go, Validate); undefined when it can. */
export function aggregationProblem(
    metric: string,
    source: string,
    expression: ThresholdExpression,
    type: MetricType,
): string | undefined {
    const supported = AGGREGATIONS_BY_TYPE[type];
    if (supported.includes(expression.method)) return undefined;
    const names = supported.map((method) => (method === "p" ? "p(N)" : method)).join(", ");
    return `${source}: ${metric} is a ${type} metric, whose aggregations are ${names}`;
}

export interface MetricSelector {
    /** The metric's name, the part before `{`. */
    readonly metric: string;
    /** The sub-metric's tag filter; empty for the metric itself. */
    readonly tags: { readonly [tag: string]: string };
}

/** Tag keys and values lose surrounding spaces, then any quotes around them (metrics/metric.go, AddSubmetric). */
function unquote(text: string): string {
    return text.trim().replace(/^["']+|["']+$/g, "");
}

/**
 * `http_req_duration{name:count-prime,status:"200"}` → { metric: "http_req_duration", tags: { name: "count-prime",
 * status: "200" } }, with the checks of k6's metrics/metric.go, ParseMetricName.
 */
export function parseMetricSelector(selector: string): MetricSelector {
    const open = selector.indexOf("{");
    const close = selector.lastIndexOf("}");
    const wrong = (why: string) => new ThresholdError(`metric "${selector}" ${why}: use metric or metric{tag:value,...}`);
    if (open === -1 && close === -1) {
        if (selector === "") throw wrong("is empty");
        return { metric: selector, tags: {} };
    }
    if (open === -1 || close === -1) throw wrong("has an unmatched curly brace");
    if (close < open) throw wrong("closes its curly brace before opening it");
    if (close !== selector.length - 1) throw wrong("has something after its closing curly brace");
    if (open === 0) throw wrong("has no metric name before its tags");
    const tags: { [tag: string]: string } = {};
    for (const filter of selector.slice(open + 1, close).split(",")) {
        const colon = filter.indexOf(":");
        if (colon === -1 || colon === filter.length - 1) throw wrong(`has a malformed tag filter "${filter}"`);
        tags[unquote(filter.slice(0, colon))] = unquote(filter.slice(colon + 1));
    }
    return { metric: selector.slice(0, open), tags };
}

export type ThresholdDefinition =
    | string
    | { readonly threshold: string; readonly abortOnFail?: boolean; readonly delayAbortEval?: string | null };

/** The thresholds option: k6/lib/thresholds.ts's `Thresholds` is one. */
export type K6Thresholds = { readonly [selector: string]: readonly ThresholdDefinition[] };

export interface ThresholdRule {
    /** The expression as written: the key of its verdict in the summary. */
    readonly source: string;
    readonly expression: ThresholdExpression;
    readonly abortOnFail: boolean;
    readonly delayAbortEval?: string;
}

export interface MetricThresholds extends MetricSelector {
    /** The option's key: `metric` or `metric{tag:value,...}`. */
    readonly selector: string;
    readonly rules: readonly ThresholdRule[];
}

function readRule(definition: unknown, where: string): ThresholdRule {
    if (typeof definition === "string") {
        return { source: definition, expression: parseThreshold(definition), abortOnFail: false };
    }
    if (!isJsonObject(definition) || typeof definition.threshold !== "string") {
        const shape = `{ threshold: "<expression>", abortOnFail?, delayAbortEval? }`;
        throw new ThresholdError(`${where}: expected an expression or ${shape}`);
    }
    const { threshold, abortOnFail = false, delayAbortEval = null } = definition;
    if (typeof abortOnFail !== "boolean") throw new ThresholdError(`${where}: abortOnFail must be true or false`);
    if (delayAbortEval !== null && typeof delayAbortEval !== "string") {
        throw new ThresholdError(`${where}: delayAbortEval must be a duration such as "1m"`);
    }
    const delay = delayAbortEval === null ? {} : { delayAbortEval };
    return { source: threshold, expression: parseThreshold(threshold), abortOnFail, ...delay };
}

/** Rules that parse; what does not goes to `problems`, each message naming the metric and the threshold. */
function readMetricThresholds(selector: string, definitions: unknown, problems: string[]): MetricThresholds | undefined {
    const attempt = <T>(read: () => T): T | undefined => {
        try {
            return read();
        } catch (error) {
            if (!(error instanceof ThresholdError)) throw error;
            problems.push(`${selector}: ${error.message}`);
            return undefined;
        }
    };
    const parsed = attempt(() => parseMetricSelector(selector));
    if (!Array.isArray(definitions)) {
        problems.push(`${selector}: expected a list of thresholds, got ${JSON.stringify(definitions)}`);
        return undefined;
    }
    const rules = definitions.map((definition, i) => attempt(() => readRule(definition, `threshold ${i + 1}`)));
    if (parsed === undefined) return undefined;
    return { ...parsed, selector, rules: rules.filter((rule) => rule !== undefined) };
}

function readAll(option: unknown, problems: string[]): MetricThresholds[] {
    if (option === undefined || option === null) return [];
    if (!isJsonObject(option)) {
        problems.push(`thresholds: expected an object { "<metric>": ["<expression>", ...] }, got ${JSON.stringify(option)}`);
        return [];
    }
    return Object.entries(option)
        .map(([selector, definitions]) => readMetricThresholds(selector, definitions, problems))
        .filter((entry) => entry !== undefined);
}

/** Thresholds on k6's built-in metrics whose aggregation cannot apply: known before anything runs. */
function builtinProblems(entries: readonly MetricThresholds[]): string[] {
    return entries.flatMap((entry) => {
        const builtin = BUILTIN_METRICS[entry.metric];
        if (builtin === undefined) return [];
        return entry.rules
            .map((rule) => aggregationProblem(entry.selector, rule.source, rule.expression, builtin.type))
            .filter((problem) => problem !== undefined)
            .map((problem) => `${entry.selector}: ${problem}`);
    });
}

/** Every problem with the option (none: it is valid), each naming the metric and the expression. */
export function validateThresholds(option: unknown): string[] {
    const problems: string[] = [];
    const entries = readAll(option, problems);
    return [...problems, ...builtinProblems(entries)];
}

function invalidThresholds(problems: readonly string[]): ThresholdError {
    return new ThresholdError(`invalid thresholds:\n  ${problems.join("\n  ")}`);
}

/** The option, checked: a {@link ThresholdError} lists every problem. */
export function readK6Thresholds(option: unknown): K6Thresholds {
    const problems = validateThresholds(option);
    if (problems.length > 0) throw invalidThresholds(problems);
    const checked: { [selector: string]: ThresholdDefinition[] } = {};
    for (const entry of readAll(option, [])) {
        checked[entry.selector] = entry.rules.map(({ source, abortOnFail, delayAbortEval = null }) =>
            abortOnFail ? { threshold: source, abortOnFail, delayAbortEval } : source,
        );
    }
    return checked;
}

/** Every metric's parsed thresholds; throws a {@link ThresholdError} listing the problems of an invalid option. */
export function parseThresholds(option: K6Thresholds): MetricThresholds[] {
    const problems: string[] = [];
    const entries = readAll(option, problems);
    if (problems.length > 0) throw invalidThresholds(problems);
    return entries;
}

export interface AbortOnFailThreshold {
    /** The option's key: `metric` or `metric{tag:value,...}`. */
    readonly metric: string;
    readonly expression: string;
    readonly delayAbortEval?: string;
}

/** The thresholds that would stop a single k6 early: over N tasks they cannot stop the others, only be judged at the end. */
export function abortOnFailThresholds(option: K6Thresholds): AbortOnFailThreshold[] {
    return parseThresholds(option).flatMap((entry) =>
        entry.rules
            .filter((rule) => rule.abortOnFail)
            .map((rule) => ({
                metric: entry.selector,
                expression: rule.source,
                ...(rule.delayAbortEval === undefined ? {} : { delayAbortEval: rule.delayAbortEval }),
            })),
    );
}

/** The option's keys with a tag filter: the sub-metrics each segment must record for the thresholds. */
export function submetricKeys(option: K6Thresholds): string[] {
    return parseThresholds(option)
        .filter((entry) => Object.keys(entry.tags).length > 0)
        .map((entry) => entry.selector);
}
