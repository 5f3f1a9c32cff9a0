import assert from "node:assert/strict";
import { parseDuration } from "../k6/lib/env";
import {
  LOAD_DEFAULTS,
  MAX_VU_SECONDS,
  PRE_ALLOCATED_SECONDS,
  k6Duration,
  loadScenario,
  plannedIterations,
  rampSeconds,
  readLoadProfile,
  readSmokeProfile,
  readStressProfile,
  smokeScenario,
  stressScenario,
} from "../k6/lib/profiles";
import type { Stage } from "../k6/lib/profiles";
import { assertEnvError, env } from "./k6-helpers";

/** Seconds of a stage's k6 duration string (the round trip k6 itself does). */
function seconds(stage: Stage): number {
  const value = parseDuration(stage.duration);
  assert.notEqual(value, undefined, `stage duration "${stage.duration}" is not a k6 duration`);
  return value as number;
}

const total = (stages: Stage[]) => stages.reduce((sum, stage) => sum + seconds(stage), 0);

describe("k6 profiles: k6Duration", () => {
  it("writes whole seconds as seconds and anything finer as milliseconds", () => {
    assert.equal(k6Duration(320), "320s");
    assert.equal(k6Duration(3280), "3280s");
    assert.equal(k6Duration(0), "0s");
    assert.equal(k6Duration(16.667), "16667ms");
    assert.throws(() => k6Duration(-1), RangeError);
    assert.throws(() => k6Duration(Number.NaN), RangeError);
  });
});

describe("k6 profiles: load (the Locust profile)", () => {
  const profile = readLoadProfile(env());
  const scenario = loadScenario(profile);

  it("ramps from 0 to 80 users at 0.25 users/s: a 320 s ramp", () => {
    assert.equal(scenario.executor, "ramping-vus");
    assert.equal(scenario.startVUs, 0);
    const [ramp] = scenario.stages;
    assert.deepEqual(ramp, { duration: "320s", target: 80 });
    assert.equal(ramp.target / seconds(ramp), 0.25);
  });

  it("holds 80 users until an hour in total, with no ramp-down", () => {
    assert.equal(scenario.stages.length, 2);
    assert.deepEqual(scenario.stages[1], { duration: "3280s", target: 80 });
    assert.equal(total(scenario.stages), 3600);
  });

  it("thinks 1–3 s between requests by default", () => {
    assert.equal(profile.sleepMinSeconds, 1);
    assert.equal(profile.sleepMaxSeconds, 3);
    assert.deepEqual(LOAD_DEFAULTS, { users: 80, rampRate: 0.25, duration: "1h", sleepMin: "1s", sleepMax: "3s" });
  });

  it("takes USERS, RAMP_RATE, DURATION and the sleeps from -e for a short local run", () => {
    const short = readLoadProfile(env({ USERS: "4", RAMP_RATE: "1", DURATION: "30s", SLEEP_MIN: "0s", SLEEP_MAX: "500ms" }));
    assert.deepEqual(short, { users: 4, rampRate: 1, durationSeconds: 30, sleepMinSeconds: 0, sleepMaxSeconds: 0.5 });
    assert.deepEqual(loadScenario(short).stages, [
      { duration: "4s", target: 4 },
      { duration: "26s", target: 4 },
    ]);
  });

  it("keeps the ramp rate exact when the ramp is not a whole number of seconds", () => {
    const odd = readLoadProfile(env({ USERS: "5", RAMP_RATE: "0.3", DURATION: "1m" }));
    const [ramp, hold] = loadScenario(odd).stages;
    assert.equal(ramp.duration, "16667ms");
    assert.ok(Math.abs(5 / seconds(ramp) - 0.3) < 1e-4);
    assert.equal(seconds(ramp) + seconds(hold), 60);
  });

  it("leaves out the hold stage when the ramp takes the whole run", () => {
    const stages = loadScenario(readLoadProfile(env({ USERS: "10", RAMP_RATE: "1", DURATION: "10s" }))).stages;
    assert.deepEqual(stages, [{ duration: "10s", target: 10 }]);
  });

  it("rejects a DURATION shorter than the ramp, naming the variables", () => {
    assertEnvError(() => readLoadProfile(env({ DURATION: "5m" })), ["DURATION", "USERS", "RAMP_RATE"], /take 320s/);
  });

  it("rejects bad values, naming the -e variable", () => {
    assertEnvError(() => readLoadProfile(env({ USERS: "many" })), ["USERS"], /whole number from 1/);
    assertEnvError(() => readLoadProfile(env({ USERS: "0" })), ["USERS"], /whole number from 1/);
    assertEnvError(() => readLoadProfile(env({ RAMP_RATE: "0" })), ["RAMP_RATE"], /number >= 0.001/);
    assertEnvError(() => readLoadProfile(env({ DURATION: "-10m" })), ["DURATION"], /k6 duration/);
    assertEnvError(() => readLoadProfile(env({ DURATION: "3600" })), ["DURATION"], /k6 duration/);
    assertEnvError(() => readLoadProfile(env({ SLEEP_MIN: "4s" })), ["SLEEP_MIN", "SLEEP_MAX"], /SLEEP_MIN must be <= SLEEP_MAX/);
  });

  it("computes the ramp from users and rate", () => {
    assert.equal(rampSeconds({ users: 80, rampRate: 0.25 }), 320);
    assert.equal(rampSeconds({ users: 3, rampRate: 2 }), 1.5);
  });
});

describe("k6 profiles: smoke", () => {
  it("runs two users for 30 s by default", () => {
    assert.deepEqual(smokeScenario(readSmokeProfile(env())), {
      executor: "constant-vus",
      vus: 2,
      duration: "30s",
      gracefulStop: "10s",
      tags: { profile: "smoke" },
    });
  });

  it("takes VUS and DURATION from -e, within bounds", () => {
    assert.deepEqual(readSmokeProfile(env({ VUS: "1", DURATION: "10s" })), { vus: 1, durationSeconds: 10 });
    assertEnvError(() => readSmokeProfile(env({ VUS: "50" })), ["VUS"], /from 1 to 10/);
    assertEnvError(() => readSmokeProfile(env({ DURATION: "0s" })), ["DURATION"], /at least 1s/);
  });
});

describe("k6 profiles: stress (arrival rate)", () => {
  const profile = readStressProfile(env());
  const scenario = stressScenario(profile);

  it("ramps the arrival rate from 2/s to 60/s, holds, comes back down and stays low: 40 min", () => {
    assert.equal(scenario.executor, "ramping-arrival-rate");
    assert.equal(scenario.timeUnit, "1s");
    assert.equal(scenario.startRate, 2);
    assert.deepEqual(scenario.stages, [
      { duration: "600s", target: 60 },
      { duration: "600s", target: 60 },
      { duration: "300s", target: 2 },
      { duration: "900s", target: 2 },
    ]);
    assert.equal(total(scenario.stages), 40 * 60);
  });

  it("peaks well past one default task's capacity (a quarter vCPU at ≈21 ms per request ≈ 12/s)", () => {
    const oneTask = 0.25 / 0.021;
    assert.ok(profile.peakRate > 4 * oneTask, `peak ${profile.peakRate}/s vs one task ${oneTask.toFixed(1)}/s`);
    assert.ok(profile.startRate < oneTask);
  });

  it("sizes the VU pool for the peak by Little's law", () => {
    assert.equal(scenario.preAllocatedVUs, Math.ceil(60 * PRE_ALLOCATED_SECONDS));
    assert.equal(scenario.maxVUs, Math.ceil(60 * MAX_VU_SECONDS));
    assert.ok(scenario.maxVUs >= scenario.preAllocatedVUs);
    const bigger = stressScenario(readStressProfile(env({ PEAK_RATE: "200" })));
    assert.equal(bigger.preAllocatedVUs, 100);
    assert.equal(bigger.maxVUs, 800);
  });

  it("counts the planned iterations as the area under the rate curve", () => {
    // ramp (2+60)/2·600 + hold 60·600 + down (60+2)/2·300 + low 2·900
    assert.equal(plannedIterations(profile), 18_600 + 36_000 + 9_300 + 1_800);
    const flat = readStressProfile(env({ START_RATE: "10", PEAK_RATE: "10", RAMP_UP: "10s", HOLD: "0s", RAMP_DOWN: "10s", COOLDOWN: "0s" }));
    assert.equal(plannedIterations(flat), 200);
  });

  it("takes every phase, rate and VU count from -e, leaving out empty phases", () => {
    const short = readStressProfile(
      env({ START_RATE: "1", PEAK_RATE: "20", RAMP_UP: "30s", HOLD: "0s", RAMP_DOWN: "15s", COOLDOWN: "0s", PRE_ALLOCATED_VUS: "5", MAX_VUS: "50" }),
    );
    const s = stressScenario(short);
    assert.deepEqual(s.stages, [
      { duration: "30s", target: 20 },
      { duration: "15s", target: 1 },
    ]);
    assert.equal(s.preAllocatedVUs, 5);
    assert.equal(s.maxVUs, 50);
  });

  it("rejects inconsistent or bad values, naming the variables", () => {
    assertEnvError(() => readStressProfile(env({ PEAK_RATE: "1" })), ["START_RATE", "PEAK_RATE"], /peak must be >= the start rate/);
    assertEnvError(() => readStressProfile(env({ PRE_ALLOCATED_VUS: "100", MAX_VUS: "10" })), ["PRE_ALLOCATED_VUS", "MAX_VUS"], /MAX_VUS must be >= PRE_ALLOCATED_VUS/);
    assertEnvError(() => readStressProfile(env({ RAMP_UP: "0s" })), ["RAMP_UP"], /at least 1s/);
    assertEnvError(() => readStressProfile(env({ HOLD: "-1m" })), ["HOLD"], /k6 duration/);
    assertEnvError(() => readStressProfile(env({ PEAK_RATE: "lots" })), ["PEAK_RATE"], /expected a number/);
    assertEnvError(() => readStressProfile(env({ MAX_VUS: "1.5" })), ["MAX_VUS"], /whole number/);
  });
});
