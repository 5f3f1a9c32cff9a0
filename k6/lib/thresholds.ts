/**
 * Pass/fail criteria for each script, as k6 threshold expressions, with `-e` overrides.
 *
 * Requests carry a `name` tag per route (see {@link ROUTES}), so count-prime URLs with thousands
 * of different limits still form one series, and thresholds select a route with a sub-metric such
 * as `http_req_duration{name:count-prime,expected_response:true}`.
 */
import type { EnvReader } from "./env.ts";

/** Values of the `name` tag: one per route, never the URL. */
export const ROUTES = {
  health: "health",
  countPrime: "count-prime",
  /** The smoke test's deliberately invalid count-prime request (expects 400). */
  countPrimeInvalid: "count-prime-invalid",
  /** setup()'s one health request before any load (api.ts requireTarget): in no threshold. */
  setupProbe: "setup-probe",
} as const;

/**
 * The tag k6 puts on a request whose status the response callback accepts (200–399 unless the
 * script says otherwise); a request that got no answer (connection refused, timeout) never has it.
 */
const ANSWERED = { expected_response: "true" } as const;

/** Custom Rate metric (stress.ts): share of count-prime requests shed with 503 + Retry-After. */
export const OVERLOADED_METRIC = "overloaded";

/** A k6 threshold: an expression, or one that aborts the run as soon as it fails. */
export type Threshold =
  | string
  | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

export type Thresholds = { [metric: string]: Threshold[] };

export interface ThresholdLimits {
  /** 99th percentile of count-prime latency, in milliseconds (P99_MS). */
  readonly p99Ms: number;
  /** Highest acceptable share of failed requests, 0–1 (MAX_ERROR_RATE). */
  readonly maxErrorRate: number;
}

export interface StressLimits extends ThresholdLimits {
  /** Highest acceptable share of count-prime requests shed with 503, 0–1 (MAX_OVERLOAD_RATE). */
  readonly maxOverloadRate: number;
  /** Highest acceptable share of scheduled iterations k6 could not start (MAX_DROPPED_RATE). */
  readonly maxDroppedRate: number;
}

/**
 * Defaults. Load: ≈40 requests/s against at most 4 quarter-vCPU tasks keeps the tasks busy, so
 * queueing is expected but a p99 above 3 s means the service is not keeping up. Stress: requests
 * may wait in a full queue for a few seconds before the service sheds load, hence 5 s, and up to
 * 10% shed while new tasks start. Smoke: single requests on an idle service.
 */
export const LOAD_LIMITS: ThresholdLimits = { p99Ms: 3000, maxErrorRate: 0.01 };
export const SMOKE_LIMITS: ThresholdLimits = { p99Ms: 1000, maxErrorRate: 0 };
export const STRESS_LIMITS: StressLimits = { p99Ms: 5000, maxErrorRate: 0.01, maxOverloadRate: 0.1, maxDroppedRate: 0.01 };

/** An error rate this high is a broken run, not a slow one: abort it after the first minute. */
export const ABORT_ERROR_RATE = 0.1;
export const ABORT_DELAY = "1m";

const RATE = { min: 0, max: 1 };

export function readThresholdLimits(env: EnvReader, defaults: ThresholdLimits): ThresholdLimits {
  return {
    p99Ms: env.number("P99_MS", defaults.p99Ms, { min: 1 }),
    maxErrorRate: env.number("MAX_ERROR_RATE", defaults.maxErrorRate, RATE),
  };
}

export function readStressLimits(env: EnvReader, defaults: StressLimits = STRESS_LIMITS): StressLimits {
  return {
    ...readThresholdLimits(env, defaults),
    maxOverloadRate: env.number("MAX_OVERLOAD_RATE", defaults.maxOverloadRate, RATE),
    maxDroppedRate: env.number("MAX_DROPPED_RATE", defaults.maxDroppedRate, RATE),
  };
}

/** `name{tag:value,...}`: a k6 sub-metric selecting samples by tag. */
export function submetric(metric: string, tags: { [tag: string]: string }): string {
  const filter = Object.keys(tags)
    .map((tag) => `${tag}:${tags[tag]}`)
    .join(",");
  return `${metric}{${filter}}`;
}

/** At most `max` of the samples are non-zero: `rate<=0.01`. */
function rateAtMost(max: number): string {
  return `rate<=${max}`;
}

/** At least `1 - max` of the checks pass: `rate>=0.99` (rounded, so 1 - 0.07 reads 0.93). */
function checksPass(maxFailureRate: number): string {
  return `rate>=${Number((1 - maxFailureRate).toFixed(6))}`;
}

/** The error-rate threshold, plus one that aborts the run at {@link ABORT_ERROR_RATE} when that is the looser of the two. */
function errorRate(maxErrorRate: number): Threshold[] {
  const thresholds: Threshold[] = [rateAtMost(maxErrorRate)];
  if (maxErrorRate < ABORT_ERROR_RATE) {
    thresholds.push({ threshold: `rate<${ABORT_ERROR_RATE}`, abortOnFail: true, delayAbortEval: ABORT_DELAY });
  }
  return thresholds;
}

/**
 * p99 latency of the requests `tags` selects (answered ones only), and at least one such request.
 * k6 judges every threshold once more when the run ends, empty sub-metrics included, and an empty
 * Trend's percentiles are 0 (grafana/k6 v2.2.0 internal/metrics/engine/engine.go: evaluateThresholds
 * with ignoreEmptySinks false; metrics/sink.go: TrendSink.P), so `p(99)<1000` alone passes a run in
 * which nothing answered. `count>0` on the same selection of `http_reqs` fails it: every request
 * adds one http_reqs and one http_req_duration sample with the same tags
 * (lib/netext/httpext/transport.go), and an empty Counter's count is 0 (metrics/thresholds.go, Run).
 */
function answeredLatency(tags: { [tag: string]: string }, p99Ms: number): Thresholds {
  return {
    [submetric("http_req_duration", tags)]: [`p(99)<${p99Ms}`],
    [submetric("http_reqs", tags)]: ["count>0"],
  };
}

/** load.ts: few errors, count-prime p99 in bounds, and its checks pass as often as requests succeed. */
export function loadThresholds(limits: ThresholdLimits): Thresholds {
  return {
    http_req_failed: errorRate(limits.maxErrorRate),
    ...answeredLatency({ name: ROUTES.countPrime, ...ANSWERED }, limits.p99Ms),
    checks: [checksPass(limits.maxErrorRate)],
  };
}

/** smoke.ts: every check passes (exact counts), no request fails, both routes answer quickly. */
export function smokeThresholds(limits: ThresholdLimits): Thresholds {
  return {
    checks: [checksPass(limits.maxErrorRate)],
    http_req_failed: [rateAtMost(limits.maxErrorRate)],
    ...answeredLatency({ name: ROUTES.health, ...ANSWERED }, limits.p99Ms),
    ...answeredLatency({ name: ROUTES.countPrime, ...ANSWERED }, limits.p99Ms),
  };
}

/**
 * stress.ts. A 503 with Retry-After is the service shedding load as designed, so the script counts
 * it as an expected response (not in http_req_failed) and in the {@link OVERLOADED_METRIC} rate
 * instead, whose threshold says how much shedding is acceptable. Latency is judged on the requests
 * that were served (status 200: answered and not shed), at least one of them. `dropped_iterations`
 * fails the run when k6 could not deliver the planned arrival rate (all VUs busy), since the
 * results would then understate the load.
 */
export function stressThresholds(limits: StressLimits, plannedIterations: number): Thresholds {
  const maxDropped = Math.max(1, Math.ceil(plannedIterations * limits.maxDroppedRate));
  return {
    http_req_failed: errorRate(limits.maxErrorRate),
    [OVERLOADED_METRIC]: [rateAtMost(limits.maxOverloadRate)],
    ...answeredLatency({ name: ROUTES.countPrime, status: "200" }, limits.p99Ms),
    dropped_iterations: [`count<${maxDropped}`],
  };
}
