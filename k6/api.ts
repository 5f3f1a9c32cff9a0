/**
 * The service's two routes as the k6 scripts call them: tagged by route name, with checks; and
 * the check of the target that every script's setup() makes before any load.
 *
 * Needs k6's runtime modules, so unlike lib/ it is not importable from mocha; k6/tsconfig.json
 * type-checks it with the scripts.
 */
import { check } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import type { Params, RefinedResponse, ResponseType } from "k6/http";
import { Rate } from "k6/metrics";
import { isLocalUrl } from "./lib/summary.ts";
import { OVERLOADED_METRIC, ROUTES } from "./lib/thresholds.ts";

type Response = RefinedResponse<ResponseType | undefined>;

/** The JSON body's fields, or an empty object when the body is not a JSON object. */
function body(res: Response): { [field: string]: unknown } {
  try {
    const value: unknown = res.json();
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { [field: string]: unknown }) : {};
  } catch {
    return {};
  }
}

/**
 * How long setup() waits for the health answer: k6 gives setup() 60 s in all (setupTimeout), and
 * the service answers /api/health at once when it is up.
 */
const PROBE_TIMEOUT = "10s";

/**
 * No response callback for one request: k6 then neither emits http_req_failed for it nor tags it
 * with expected_response (k6 docs, k6-http/set-response-callback: "Setting the callback to null
 * disables the tagging with expected_response and the emitting of http_req_failed";
 * js/modules/k6/http/request.go). @types/k6 2.3 types the parameter without null.
 */
const NO_RESPONSE_CALLBACK = null as unknown as Params["responseCallback"];

/** What to do about a target that did not answer: start the local service, or check the remote URL. */
function unreachableFix(baseUrl: string): string {
  return isLocalUrl(baseUrl)
    ? "start the service with `npm start`, or point the run at a running one with -e BASE_URL=<url>"
    : `check -e BASE_URL=${baseUrl} (a stack's url: pulumi stack output url -s <stack>) and that the service there is up`;
}

/**
 * setup() of every script: one GET /api/health before any load. When it gets no answer, or not a
 * 200, the run stops at once with one line that names the URL, what happened and the likely fix.
 *
 * exec.test.abort() rather than a throw: k6 logs the reason as `test aborted: <reason>` and exits
 * 108 (ScriptAborted), where an exception in setup() prints its stack trace and exits 107
 * (ScriptException) (grafana/k6 v2.2.0 errext/interrupt_error.go, errext/exitcodes/codes.go,
 * internal/cmd/tests/cmd_run_test.go TestAbortedByScriptAbortInSetup). k6 still runs
 * handleSummary() after it. The probe is tagged apart and left out of http_req_failed, so the run's
 * thresholds never count it.
 */
export function requireTarget(baseUrl: string): void {
  const url = `${baseUrl}/api/health`;
  const res = http.get(url, {
    tags: { name: ROUTES.setupProbe },
    timeout: PROBE_TIMEOUT,
    responseCallback: NO_RESPONSE_CALLBACK,
  });
  if (res.status === 200) return;
  // A request with no answer has status 0 and k6's error text, e.g. "dial: connection refused".
  const what = res.status === 0 ? `got no answer (${res.error})` : `answered ${res.status} instead of 200`;
  exec.test.abort(`GET ${url} ${what}, so no load was sent: ${unreachableFix(baseUrl)}`);
}

/** GET /api/health → 200 {"status":"ok"}. */
export function checkHealth(baseUrl: string): boolean {
  const res = http.get(`${baseUrl}/api/health`, { tags: { name: ROUTES.health } });
  return check(res, {
    "health: status 200": (r) => r.status === 200,
    'health: body is {"status":"ok"}': (r) => body(r).status === "ok",
  });
}

/** GET /api/count-prime/<limit>, tagged name=count-prime so every limit lands in one series. */
export function getCountPrime(baseUrl: string, limit: number, params: Params = {}): Response {
  return http.get(`${baseUrl}/api/count-prime/${limit}`, {
    ...params,
    tags: { ...params.tags, name: ROUTES.countPrime },
  });
}

/**
 * Checks a count-prime answer: status 200 and a body echoing the limit with a plausible count, or
 * exactly `expected` primes when the caller knows the answer.
 */
export function checkCountPrime(res: Response, limit: number, expected?: number): boolean {
  const fields = body(res);
  const result = fields.result;
  return check(res, {
    "count-prime: status 200": (r) => r.status === 200,
    "count-prime: body echoes the limit": () => fields.limit === limit,
    ...(expected === undefined
      ? {
          "count-prime: result is a count below the limit": () =>
            typeof result === "number" && Number.isInteger(result) && result >= 0 && result < Math.max(limit, 1),
        }
      : { [`count-prime: ${limit} → ${expected} primes`]: () => result === expected }),
  });
}

/** A request that must be rejected: an invalid limit gets 400 with a JSON error (expected, so not a failure). */
export function checkInvalidLimit(baseUrl: string, rawLimit: string): boolean {
  const res = http.get(`${baseUrl}/api/count-prime/${rawLimit}`, {
    tags: { name: ROUTES.countPrimeInvalid },
    responseCallback: http.expectedStatuses(400),
  });
  return check(res, {
    "count-prime: invalid limit → 400": (r) => r.status === 400,
    "count-prime: invalid limit → JSON error": (r) => typeof body(r).error === "string",
  });
}

/** Share of count-prime requests the service shed with 503 (stress.ts thresholds this). */
const overloaded = new Rate(OVERLOADED_METRIC);

/**
 * For the stress test: a 503 with Retry-After is the service shedding load as designed, so it counts
 * as an expected response (kept out of http_req_failed) and in the `overloaded` rate instead.
 */
export function countPrimeUnderStress(baseUrl: string, limit: number, timeout: string): void {
  const res = getCountPrime(baseUrl, limit, { timeout, responseCallback: http.expectedStatuses(200, 503) });
  const shed = res.status === 503;
  overloaded.add(shed);
  if (shed) {
    check(res, { "count-prime: 503 carries Retry-After": (r) => r.headers["Retry-After"] !== undefined });
  } else {
    checkCountPrime(res, limit);
  }
}
