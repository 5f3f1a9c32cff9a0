/**
 * Past one task's capacity and back: requests arrive at a set rate whatever the response time
 * (an open model), 2/s → 60/s over 10 min, 10 min at 60/s, down to 2/s over 5 min, then 15 min
 * at 2/s. One default task (a quarter vCPU) serves ≈11 requests/s, so the peak needs ≈5 tasks,
 * past the default maxCapacity of 4: watch scale-out, the max-capacity alarm, load shedding (503),
 * then scale-in, on the CloudWatch dashboard. 40 min.
 *
 *   k6 run -e BASE_URL=https://dev.example.com k6/stress.ts
 *   k6 run -e PEAK_RATE=20 -e RAMP_UP=30s -e HOLD=30s -e RAMP_DOWN=15s -e COOLDOWN=0s k6/stress.ts  # local
 *
 * -e variables: BASE_URL, START_RATE, PEAK_RATE, RAMP_UP, HOLD, RAMP_DOWN, COOLDOWN,
 * PRE_ALLOCATED_VUS, MAX_VUS, LIMIT_MIN, LIMIT_MAX, P99_MS, MAX_ERROR_RATE, MAX_OVERLOAD_RATE,
 * MAX_DROPPED_RATE, SUMMARY_PATH, and for the cloud K6_CLOUD_PROJECT_ID, CLOUD_TEST_NAME, LOAD_ZONES.
 */
import type { Options } from "k6/options";
import { countPrimeUnderStress, requireTarget } from "./api.ts";
import { readCloudOptions } from "./lib/cloud.ts";
import { envReader, readBaseUrl } from "./lib/env.ts";
import { pickLimit, readLimitRange } from "./lib/limits.ts";
import { STRESS_REQUEST_TIMEOUT, plannedIterations, readStressProfile, stressScenario } from "./lib/profiles.ts";
import { SUMMARY_TREND_STATS, readSummaryPath, summaryOutputs } from "./lib/summary.ts";
import type { SummaryData } from "./lib/summary.ts";
import { readStressLimits, stressThresholds } from "./lib/thresholds.ts";

const env = envReader(__ENV);
const baseUrl = readBaseUrl(env);
const profile = readStressProfile(env);
const limits = readLimitRange(env);
const thresholdLimits = readStressLimits(env);
const planned = plannedIterations(profile);

export const options: Options = {
  scenarios: { stress: stressScenario(profile) },
  thresholds: stressThresholds(thresholdLimits, planned),
  summaryTrendStats: SUMMARY_TREND_STATS,
  cloud: readCloudOptions(env, "stress"),
};

export function setup(): void {
  requireTarget(baseUrl);
}

export default function (): void {
  countPrimeUnderStress(baseUrl, pickLimit(limits), STRESS_REQUEST_TIMEOUT);
}

export function handleSummary(data: SummaryData): { [destination: string]: string } {
  const finishedAt = new Date();
  return summaryOutputs(
    data,
    {
      script: "stress",
      baseUrl,
      settings: { profile, plannedIterations: planned, limits, thresholds: thresholdLimits },
    },
    readSummaryPath(env, "stress", finishedAt),
    finishedAt,
  );
}
