/**
 * The k6 profiles as the simulation runs them, read from the same k6/lib modules and `-e` variables as the scripts,
 * so `--script stress -e PEAK_RATE=20` means here what it means to k6.
 *
 * stress (ramping-arrival-rate) is an open model: k6 starts iterations on a schedule whatever the responses take.
 * load (ramping-vus) is a closed model: each virtual user sends a request, waits for the answer, thinks, and
 * sends the next, so slow answers lower the request rate.
 */
import { EnvError, envReader } from "../../../k6/lib/env";
import { LimitRange, cpuMsForLimit, meanCpuMs, pickLimit, readLimitRange } from "../../../k6/lib/limits";
import { LoadProfile, StressProfile, rampSeconds, readLoadProfile, readStressProfile, stressStages } from "../../../k6/lib/profiles";
import type { TimelineScript } from "../args";
import { InputError } from "../timeline";

export type Workload =
    | { model: "open"; profile: StressProfile; durationSeconds: number }
    | { model: "closed"; profile: LoadProfile; durationSeconds: number };

export interface RequestCost {
    limits: LimitRange;
    /** Mean CPU ms per request, and where it came from. */
    meanCpuMs: number;
    source: string;
    /** CPU ms of one request for a random draw in [0, 1). */
    draw(random: () => number): number;
}

/** Reads the profile and its limits exactly as the k6 script does; a value k6 would refuse is refused here. */
export function readWorkload(script: TimelineScript, env: Readonly<Record<string, string>>): { workload: Workload; limits: LimitRange } {
    const reader = envReader(env);
    try {
        const limits = readLimitRange(reader);
        if (script === "stress") {
            const profile = readStressProfile(reader);
            const durationSeconds = stressStages(profile).reduce((total, stage) => total + stage.seconds, 0);
            return { workload: { model: "open", profile, durationSeconds }, limits };
        }
        const profile = readLoadProfile(reader);
        return { workload: { model: "closed", profile, durationSeconds: profile.durationSeconds }, limits };
    } catch (error) {
        if (error instanceof EnvError) throw new InputError(`k6/${script}.ts would refuse this: ${error.message}`);
        throw error;
    }
}

/** Per-request CPU: the calibration table over the limit range, or `--cpu-ms` (the same spread, scaled). */
export function requestCost(limits: LimitRange, cpuMsOverride?: number): RequestCost {
    const calibrated = meanCpuMs(limits);
    const scale = cpuMsOverride === undefined ? 1 : cpuMsOverride / calibrated;
    return {
        limits,
        meanCpuMs: calibrated * scale,
        source:
            cpuMsOverride === undefined
                ? `calibration table (k6/lib/limits.ts) over limits ${limits.min}–${limits.max}`
                : `--cpu-ms ${cpuMsOverride}`,
        draw: (random) => cpuMsForLimit(pickLimit(limits, random)) * scale,
    };
}

/** The arrival rate (requests/s) of an open profile at time t: k6's linear ramps between stage targets. */
export function arrivalRate(profile: StressProfile, t: number): number {
    let start = 0;
    let rate = profile.startRate;
    for (const stage of stressStages(profile)) {
        if (t < start + stage.seconds) return rate + ((stage.target - rate) * (t - start)) / stage.seconds;
        start += stage.seconds;
        rate = stage.target;
    }
    return 0;
}

/**
 * When k6's ramping-arrival-rate starts each iteration: the n-th (from 0) when the area under the rate curve
 * reaches n, evenly spaced at a constant rate, closer together on a ramp up.
 */
export function* arrivalTimes(profile: StressProfile): Generator<number> {
    let start = 0;
    let rate = profile.startRate;
    let area = 0;
    let next = 0;
    for (const stage of stressStages(profile)) {
        const slope = (stage.target - rate) / stage.seconds;
        const stageArea = ((rate + stage.target) / 2) * stage.seconds;
        while (next < area + stageArea) {
            const needed = next - area;
            // Solve rate·τ + slope·τ²/2 = needed for τ within the stage.
            const tau = Math.abs(slope) < 1e-12 ? needed / rate : (-rate + Math.sqrt(Math.max(0, rate * rate + 2 * slope * needed))) / slope;
            yield start + tau;
            next++;
        }
        area += stageArea;
        start += stage.seconds;
        rate = stage.target;
    }
}

/** When each virtual user of a ramping-vus profile starts: evenly over the ramp, the first after one step. */
export function userStartTimes(profile: LoadProfile): number[] {
    const ramp = rampSeconds(profile);
    return Array.from({ length: profile.users }, (_, index) => ((index + 1) * ramp) / profile.users);
}

/** A think time drawn as the load script draws it: uniform between SLEEP_MIN and SLEEP_MAX. */
export function thinkSeconds(profile: LoadProfile, random: () => number): number {
    return profile.sleepMinSeconds + random() * (profile.sleepMaxSeconds - profile.sleepMinSeconds);
}
