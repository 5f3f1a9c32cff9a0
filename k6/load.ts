/**
 * The original Locust profile: 0 → 80 virtual users at 0.25 users/s (320 s), held until an hour
 * has passed; each iteration asks for the primes below a random limit, then thinks for 1–3 s.
 *
 *   k6 run k6/load.ts                                        # against `npm start` on :8000
 *   k6 run -e BASE_URL=https://dev.example.com k6/load.ts    # a deployed environment
 *   k6 run -e USERS=4 -e RAMP_RATE=1 -e DURATION=30s k6/load.ts   # a short local run
 *   k6 cloud run -e BASE_URL=https://dev.example.com k6/load.ts   # Grafana Cloud k6
 *
 * -e variables: BASE_URL, USERS, RAMP_RATE, DURATION, SLEEP_MIN, SLEEP_MAX, LIMIT_MIN, LIMIT_MAX,
 * P99_MS, MAX_ERROR_RATE, SUMMARY_PATH, and for the cloud K6_CLOUD_PROJECT_ID, CLOUD_TEST_NAME,
 * LOAD_ZONES (docs/load-testing.md).
 */
import { sleep } from "k6";
import type { Options } from "k6/options";
import { checkCountPrime, getCountPrime, requireTarget } from "./api.ts";
import { readCloudOptions } from "./lib/cloud.ts";
import { envReader, readBaseUrl } from "./lib/env.ts";
import { pickLimit, readLimitRange } from "./lib/limits.ts";
import { loadScenario, readLoadProfile } from "./lib/profiles.ts";
import { SUMMARY_TREND_STATS, readSummaryPath, summaryOutputs } from "./lib/summary.ts";
import type { SummaryData } from "./lib/summary.ts";
import { LOAD_LIMITS, loadThresholds, readThresholdLimits } from "./lib/thresholds.ts";

const env = envReader(__ENV);
const baseUrl = readBaseUrl(env);
const profile = readLoadProfile(env);
const limits = readLimitRange(env);
const thresholdLimits = readThresholdLimits(env, LOAD_LIMITS);

export const options: Options = {
  scenarios: { load: loadScenario(profile) },
  thresholds: loadThresholds(thresholdLimits),
  summaryTrendStats: SUMMARY_TREND_STATS,
  cloud: readCloudOptions(env, "load"),
};

export function setup(): void {
  requireTarget(baseUrl);
}

export default function (): void {
  const limit = pickLimit(limits);
  checkCountPrime(getCountPrime(baseUrl, limit), limit);
  sleep(profile.sleepMinSeconds + Math.random() * (profile.sleepMaxSeconds - profile.sleepMinSeconds));
}

export function handleSummary(data: SummaryData): { [destination: string]: string } {
  const finishedAt = new Date();
  return summaryOutputs(
    data,
    { script: "load", baseUrl, settings: { profile, limits, thresholds: thresholdLimits } },
    readSummaryPath(env, "load", finishedAt),
    finishedAt,
  );
}
