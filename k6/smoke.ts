/**
 * Is it up, and does it count right? Two users for 30 s: health, an invalid limit (400), and
 * count-prime for limits whose prime counts are known exactly (lib/limits.ts), checked to the unit.
 * Every check must pass.
 *
 *   k6 run k6/smoke.ts
 *   k6 run -e BASE_URL=https://dev.example.com k6/smoke.ts
 *
 * -e variables: BASE_URL, VUS, DURATION, P99_MS, MAX_ERROR_RATE, SUMMARY_PATH, and for the cloud
 * K6_CLOUD_PROJECT_ID, CLOUD_TEST_NAME, LOAD_ZONES.
 */
import { sleep } from "k6";
import type { Options } from "k6/options";
import { checkCountPrime, checkHealth, checkInvalidLimit, getCountPrime, requireTarget } from "./api.ts";
import { readCloudOptions } from "./lib/cloud.ts";
import { envReader, readBaseUrl } from "./lib/env.ts";
import { KNOWN_PRIME_COUNTS } from "./lib/limits.ts";
import { readSmokeProfile, smokeScenario } from "./lib/profiles.ts";
import { SUMMARY_TREND_STATS, readSummaryPath, summaryOutputs } from "./lib/summary.ts";
import type { SummaryData } from "./lib/summary.ts";
import { SMOKE_LIMITS, readThresholdLimits, smokeThresholds } from "./lib/thresholds.ts";

const env = envReader(__ENV);
const baseUrl = readBaseUrl(env);
const profile = readSmokeProfile(env);
const thresholdLimits = readThresholdLimits(env, SMOKE_LIMITS);

export const options: Options = {
  scenarios: { smoke: smokeScenario(profile) },
  thresholds: smokeThresholds(thresholdLimits),
  summaryTrendStats: SUMMARY_TREND_STATS,
  cloud: readCloudOptions(env, "smoke"),
};

export function setup(): void {
  requireTarget(baseUrl);
}

export default function (): void {
  checkHealth(baseUrl);
  // Each VU walks the known limits from a different starting point, so all of them get asked.
  const known = KNOWN_PRIME_COUNTS[(__ITER + __VU) % KNOWN_PRIME_COUNTS.length];
  checkCountPrime(getCountPrime(baseUrl, known.limit), known.limit, known.primes);
  if (__ITER % 5 === 0) checkInvalidLimit(baseUrl, "-1");
  sleep(1);
}

export function handleSummary(data: SummaryData): { [destination: string]: string } {
  const finishedAt = new Date();
  return summaryOutputs(
    data,
    { script: "smoke", baseUrl, settings: { profile, knownPrimeCounts: KNOWN_PRIME_COUNTS, thresholds: thresholdLimits } },
    readSummaryPath(env, "smoke", finishedAt),
    finishedAt,
  );
}
