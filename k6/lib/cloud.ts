/**
 * `options.cloud` for Grafana Cloud k6 (`k6 cloud run k6/load.ts`); `k6 run` ignores it.
 *
 *   K6_CLOUD_PROJECT_ID  project to file the run under (k6 also reads this variable itself from the
 *                        shell environment; passing it with -e puts it in the script's options too)
 *   CLOUD_TEST_NAME      test name in the cloud UI (default "ecs-loadlab <script>"); runs with the
 *                        same name are grouped, so give each environment its own
 *   LOAD_ZONES           "zone=percent,..." e.g. "amazon:ie:dublin=60,amazon:de:frankfurt=40";
 *                        percentages are whole numbers summing to 100
 */
import type { EnvReader } from "./env.ts";

export interface LoadZoneShare {
  loadZone: string;
  percent: number;
}

export interface CloudOptions {
  name: string;
  projectID?: number;
  distribution: { [label: string]: LoadZoneShare };
}

/** Split between two zones near eu-west-1, where the shipped stacks deploy. */
export const DEFAULT_LOAD_ZONES = "amazon:ie:dublin=50,amazon:de:frankfurt=50";

const LOAD_ZONE = /^[a-z0-9]+:[a-z]{2}:[a-z0-9-]+$/;

/**
 * Parses LOAD_ZONES into a k6 distribution. Each share is labelled with its zone's name, which k6
 * hands to the load generators in that zone as K6_CLOUDRUN_DISTRIBUTION.
 */
export function parseLoadZones(env: EnvReader, text: string): { [label: string]: LoadZoneShare } {
  const expected =
    'expected "zone=percent,..." such as "amazon:ie:dublin=50,amazon:de:frankfurt=50", whole percentages summing to 100';
  const distribution: { [label: string]: LoadZoneShare } = {};
  let total = 0;
  for (const part of text.split(",")) {
    const match = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (match === null || !LOAD_ZONE.test(match[1])) {
      return env.reject(["LOAD_ZONES"], `-e LOAD_ZONES=${JSON.stringify(text)} is invalid at "${part.trim()}": ${expected}`);
    }
    const [, loadZone, percentText] = match;
    const percent = Number(percentText);
    if (percent < 1 || loadZone in distribution) {
      return env.reject(
        ["LOAD_ZONES"],
        `-e LOAD_ZONES=${JSON.stringify(text)} is invalid: ${percent < 1 ? `${loadZone} has 0%` : `${loadZone} appears twice`}; ${expected}`,
      );
    }
    distribution[loadZone] = { loadZone, percent };
    total += percent;
  }
  if (total !== 100) {
    env.reject(["LOAD_ZONES"], `-e LOAD_ZONES=${JSON.stringify(text)} is invalid: the percentages add up to ${total}; ${expected}`);
  }
  return distribution;
}

export function readCloudOptions(env: EnvReader, script: string): CloudOptions {
  const options: CloudOptions = {
    name: env.string("CLOUD_TEST_NAME", `ecs-loadlab ${script}`),
    distribution: parseLoadZones(env, env.string("LOAD_ZONES", DEFAULT_LOAD_ZONES)),
  };
  if (env.raw("K6_CLOUD_PROJECT_ID") !== undefined) {
    options.projectID = env.number("K6_CLOUD_PROJECT_ID", 0, { min: 1, integer: true });
  }
  return options;
}
