/**
 * The three load profiles as k6 scenarios, with their `-e` overrides.
 *
 * Plain data and arithmetic (no k6 imports): the scripts put the returned scenario under
 * `options.scenarios`, where k6/tsconfig.json checks it against @types/k6's Scenario types, and
 * mocha tests the numbers. Durations are handled in seconds and written out as k6 strings ("320s").
 *
 * Capacity, for sizing: one count-prime request costs ≈21 ms of CPU (lib/limits.ts), so a vCPU
 * serves at most ≈45 requests/s and a default task (256 CPU units, a quarter vCPU) ≈11/s.
 */
import type { EnvReader } from "./env.ts";

/** A k6 stage: ramp linearly to `target` (VUs, or iterations per second) over `duration`. */
export interface Stage {
  duration: string;
  target: number;
}

/** Formats seconds as a k6 duration: whole seconds as "320s", anything finer in milliseconds. */
export function k6Duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`a duration must be a finite number of seconds >= 0, got ${seconds}`);
  }
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

// ---------------------------------------------------------------------------------------------
// load.ts: the original Locust profile.

export interface LoadProfile {
  /** Virtual users at the plateau (USERS). */
  readonly users: number;
  /** Users added per second while ramping up (RAMP_RATE); Locust's spawn rate. */
  readonly rampRate: number;
  /** Whole test, ramp included (DURATION), in seconds. */
  readonly durationSeconds: number;
  /** Think time after each request, drawn uniformly from [min, max] seconds (SLEEP_MIN, SLEEP_MAX). */
  readonly sleepMinSeconds: number;
  readonly sleepMaxSeconds: number;
}

/** Locust: 80 users spawned at 0.25 users/s (a 320 s ramp), run for an hour, 1–3 s between tasks. */
export const LOAD_DEFAULTS = { users: 80, rampRate: 0.25, duration: "1h", sleepMin: "1s", sleepMax: "3s" } as const;

export function readLoadProfile(env: EnvReader): LoadProfile {
  const users = env.number("USERS", LOAD_DEFAULTS.users, { min: 1, max: 10_000, integer: true });
  const rampRate = env.number("RAMP_RATE", LOAD_DEFAULTS.rampRate, { min: 0.001 });
  const durationSeconds = env.duration("DURATION", LOAD_DEFAULTS.duration, { min: 1 });
  const sleepMinSeconds = env.duration("SLEEP_MIN", LOAD_DEFAULTS.sleepMin);
  const sleepMaxSeconds = env.duration("SLEEP_MAX", LOAD_DEFAULTS.sleepMax);
  const profile = { users, rampRate, durationSeconds, sleepMinSeconds, sleepMaxSeconds };
  const ramp = rampSeconds(profile);
  if (ramp > durationSeconds) {
    env.reject(
      ["DURATION", "USERS", "RAMP_RATE"],
      `-e DURATION=${k6Duration(durationSeconds)} is shorter than the ramp: ${users} users at ${rampRate} users/s` +
        ` take ${k6Duration(ramp)}; lengthen DURATION, or lower USERS or raise RAMP_RATE`,
    );
  }
  if (sleepMinSeconds > sleepMaxSeconds) {
    env.reject(
      ["SLEEP_MIN", "SLEEP_MAX"],
      `-e SLEEP_MIN=${k6Duration(sleepMinSeconds)} is above -e SLEEP_MAX=${k6Duration(sleepMaxSeconds)}:` +
        ` SLEEP_MIN must be <= SLEEP_MAX`,
    );
  }
  return profile;
}

/** Seconds to reach `users` at `rampRate` users/s. */
export function rampSeconds(profile: Pick<LoadProfile, "users" | "rampRate">): number {
  return Math.round((profile.users / profile.rampRate) * 1000) / 1000;
}

export interface RampingVusScenario {
  executor: "ramping-vus";
  startVUs: number;
  stages: Stage[];
  gracefulRampDown: string;
  gracefulStop: string;
  tags: { [name: string]: string };
}

/**
 * 0 → users at rampRate users/s, then hold until the total duration. There is no ramp-down stage,
 * as in Locust, which stopped every user when the run time was up; an iteration still running
 * then gets `gracefulStop` to finish its request and sleep.
 */
export function loadScenario(profile: LoadProfile): RampingVusScenario {
  const ramp = rampSeconds(profile);
  const stages: Stage[] = [{ duration: k6Duration(ramp), target: profile.users }];
  const hold = profile.durationSeconds - ramp;
  if (hold > 0) stages.push({ duration: k6Duration(hold), target: profile.users });
  return {
    executor: "ramping-vus",
    startVUs: 0,
    stages,
    gracefulRampDown: "10s",
    gracefulStop: "10s",
    tags: { profile: "load" },
  };
}

// ---------------------------------------------------------------------------------------------
// smoke.ts: is it up, and does it count right?

export interface SmokeProfile {
  readonly vus: number;
  readonly durationSeconds: number;
}

export const SMOKE_DEFAULTS = { vus: 2, duration: "30s" } as const;

export function readSmokeProfile(env: EnvReader): SmokeProfile {
  return {
    vus: env.number("VUS", SMOKE_DEFAULTS.vus, { min: 1, max: 10, integer: true }),
    durationSeconds: env.duration("DURATION", SMOKE_DEFAULTS.duration, { min: 1 }),
  };
}

export interface ConstantVusScenario {
  executor: "constant-vus";
  vus: number;
  duration: string;
  gracefulStop: string;
  tags: { [name: string]: string };
}

export function smokeScenario(profile: SmokeProfile): ConstantVusScenario {
  return {
    executor: "constant-vus",
    vus: profile.vus,
    duration: k6Duration(profile.durationSeconds),
    gracefulStop: "10s",
    tags: { profile: "smoke" },
  };
}

// ---------------------------------------------------------------------------------------------
// stress.ts: an open model (arrival rate) well past one task's capacity, then back down.

export interface StressProfile {
  /** Requests per second at the start and after the ramp down (START_RATE). */
  readonly startRate: number;
  /** Requests per second at the plateau (PEAK_RATE). */
  readonly peakRate: number;
  /** Phase lengths in seconds: RAMP_UP, HOLD, RAMP_DOWN, COOLDOWN. */
  readonly rampUpSeconds: number;
  readonly holdSeconds: number;
  readonly rampDownSeconds: number;
  readonly cooldownSeconds: number;
  /** VUs k6 starts with and may grow to (PRE_ALLOCATED_VUS, MAX_VUS); sized from PEAK_RATE by default. */
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
}

/**
 * 2 requests/s (a fraction of one task) up to 60/s (≈5 default tasks' worth, past the default
 * maxCapacity of 4) over 10 min, held 10 min to watch scale-out and the max-capacity alarm, down
 * over 5 min, then 15 min at the start rate to watch scale-in through its cooldowns: 40 min.
 */
export const STRESS_DEFAULTS = {
  startRate: 2,
  peakRate: 60,
  rampUp: "10m",
  hold: "10m",
  rampDown: "5m",
  cooldown: "15m",
} as const;

/**
 * VU sizing (Little's law: busy VUs = arrival rate × response time). Healthy responses take well
 * under 0.5 s, so PEAK_RATE × 0.5 VUs are allocated up front; an overloaded task queues requests
 * for a few seconds before answering 503, so k6 may grow to PEAK_RATE × 4. Beyond that k6 cannot
 * start iterations on time and counts them in `dropped_iterations`, which has its own threshold.
 */
export const PRE_ALLOCATED_SECONDS = 0.5;
export const MAX_VU_SECONDS = 4;
/** Per-request timeout in the stress test: longer than any queueing the service allows. */
export const STRESS_REQUEST_TIMEOUT = "10s";

export function readStressProfile(env: EnvReader): StressProfile {
  const rate = { min: 0.01, max: 100_000 };
  const startRate = env.number("START_RATE", STRESS_DEFAULTS.startRate, rate);
  const peakRate = env.number("PEAK_RATE", STRESS_DEFAULTS.peakRate, rate);
  if (peakRate < startRate) {
    env.reject(
      ["START_RATE", "PEAK_RATE"],
      `-e PEAK_RATE=${peakRate} is below -e START_RATE=${startRate}: the peak must be >= the start rate`,
    );
  }
  const rampUpSeconds = env.duration("RAMP_UP", STRESS_DEFAULTS.rampUp, { min: 1 });
  const holdSeconds = env.duration("HOLD", STRESS_DEFAULTS.hold);
  const rampDownSeconds = env.duration("RAMP_DOWN", STRESS_DEFAULTS.rampDown, { min: 1 });
  const cooldownSeconds = env.duration("COOLDOWN", STRESS_DEFAULTS.cooldown);
  const vus = { min: 1, max: 100_000, integer: true };
  const preAllocatedVUs = env.number("PRE_ALLOCATED_VUS", Math.ceil(peakRate * PRE_ALLOCATED_SECONDS), vus);
  const maxVUs = env.number("MAX_VUS", Math.max(preAllocatedVUs, Math.ceil(peakRate * MAX_VU_SECONDS)), vus);
  if (maxVUs < preAllocatedVUs) {
    env.reject(
      ["PRE_ALLOCATED_VUS", "MAX_VUS"],
      `-e MAX_VUS=${maxVUs} is below PRE_ALLOCATED_VUS=${preAllocatedVUs}: MAX_VUS must be >= PRE_ALLOCATED_VUS`,
    );
  }
  return {
    startRate,
    peakRate,
    rampUpSeconds,
    holdSeconds,
    rampDownSeconds,
    cooldownSeconds,
    preAllocatedVUs,
    maxVUs,
  };
}

/** The stress stages in seconds (zero-length phases left out), shared by the scenario and the maths. */
export function stressStages(profile: StressProfile): Array<{ seconds: number; target: number }> {
  return [
    { seconds: profile.rampUpSeconds, target: profile.peakRate },
    { seconds: profile.holdSeconds, target: profile.peakRate },
    { seconds: profile.rampDownSeconds, target: profile.startRate },
    { seconds: profile.cooldownSeconds, target: profile.startRate },
  ].filter((stage) => stage.seconds > 0);
}

export interface RampingArrivalRateScenario {
  executor: "ramping-arrival-rate";
  startRate: number;
  timeUnit: string;
  preAllocatedVUs: number;
  maxVUs: number;
  stages: Stage[];
  gracefulStop: string;
  tags: { [name: string]: string };
}

export function stressScenario(profile: StressProfile): RampingArrivalRateScenario {
  return {
    executor: "ramping-arrival-rate",
    startRate: profile.startRate,
    timeUnit: "1s",
    preAllocatedVUs: profile.preAllocatedVUs,
    maxVUs: profile.maxVUs,
    stages: stressStages(profile).map((stage) => ({ duration: k6Duration(stage.seconds), target: stage.target })),
    gracefulStop: "15s",
    tags: { profile: "stress" },
  };
}

/** Iterations (= requests) the stress profile schedules: the area under its rate curve. */
export function plannedIterations(profile: StressProfile): number {
  let rate = profile.startRate;
  let total = 0;
  for (const stage of stressStages(profile)) {
    total += ((rate + stage.target) / 2) * stage.seconds;
    rate = stage.target;
  }
  return Math.round(total);
}
