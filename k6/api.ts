/**
 * The service's two routes as the k6 scripts call them: tagged by route name, with checks.
 *
 * Needs k6's runtime modules, so unlike lib/ it is not importable from mocha; k6/tsconfig.json
 * type-checks it with the scripts.
 */
import { check } from "k6";
import http from "k6/http";
import type { Params, RefinedResponse, ResponseType } from "k6/http";
import { Rate } from "k6/metrics";
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
