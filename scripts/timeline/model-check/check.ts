/**
 * The pure parts of the model check (../model-check.ts): the task compared, the command line, the load's schedule,
 * the statistics of a window of responses, and the simulator's prediction for the same load.
 */
import { EnvironmentStackConfig, parseStackConfig } from "../../../config";
import { CommandUsage, UsageError, parseCommandLine, refuseArguments } from "../../cli-usage";
import { DEFAULT_LIMIT_RANGE, LimitRange } from "../../../k6/lib/limits";
import { MAX_VU_SECONDS, PRE_ALLOCATED_SECONDS, StressProfile } from "../../../k6/lib/profiles";
import { percentile } from "../../../service/bench/stats";
import { DEFAULTS as SERVICE_DEFAULTS } from "../../../service/src/config";
import { DEFAULT_ASSUMPTIONS } from "../simulate/assumptions";
import type { Assumptions } from "../simulate/assumptions";
import { SimulationResult, runSimulation } from "../simulate/engine";
import { arrivalTimes, requestCost } from "../simulate/load";
import { simulatedService } from "../simulate/simulate";

// ------------------------------------------------------------------------------------------------- the situation

/** The task compared: this machine's two cores, as a Fargate task of 2048 CPU units, with two worker threads. */
export const VCPUS = 2;
export const TASK_CPU_UNITS = VCPUS * 1024;
export const WORKERS = 2;
/** The service's default: 32 per worker thread (service/src/config.ts). */
export const MAX_QUEUE = SERVICE_DEFAULTS.maxQueuePerWorker * WORKERS;
/** Offered load, in percent of capacity. */
export const LOAD_PERCENTS = [50, 90, 120] as const;
/** The flat "ramp" before and after the hold (the simulator's StressProfile needs both stages to be ≥ 1 s). */
export const RAMP_SECONDS = 1;
/** Limits the calibration measures: evenly over the default range, so their mean is the range's mean cost. */
export const CALIBRATION_POINTS = 5;
export const CALIBRATION_RUNS = 3;
/**
 * Other processes using more than this many cores make a measurement worthless: the service's worker threads run at
 * nice 10 (service/src/config.ts WORKER_NICE), so any normal-priority process takes the CPU from them first. Before
 * each load the check waits (up to QUIET_WAIT_SECONDS) for the machine to be this quiet, and it marks a load during
 * which it was not as disturbed (†); the medians leave disturbed loads out when undisturbed ones exist.
 */
export const QUIET_CORES = 0.05;
export const QUIET_WAIT_SECONDS = 30;

/**
 * The compared task as a stack file would describe it, read through the project's config schema: what the simulator
 * runs (one task, minCapacity = maxCapacity = 1, so scaling can never change anything) and what `calibrate()` fits
 * against. The names and account are placeholders nothing reads.
 */
export const COMPARED_STACK: EnvironmentStackConfig = parseStackConfig(
    {
        role: "environment",
        aws: { region: "eu-west-1", accountId: "111111111111" },
        environment: { name: "model-check", sharedStack: "model-check/ecs-loadlab/shared" },
        domain: { name: "model-check.example.com", hostedZone: "model-check.example.com" },
        service: { cpu: TASK_CPU_UNITS, memory: 2 * TASK_CPU_UNITS, workers: WORKERS },
        scaling: { mode: "step", minCapacity: 1, maxCapacity: 1 },
    },
    "the model check's task",
) as EnvironmentStackConfig;

// ------------------------------------------------------------------------------------------------- command line

export interface CheckOptions {
    /** Measured seconds per load. */
    seconds: number;
    /** Seconds at the rate before the measurement starts (the queue reaches its steady state). */
    warmupSeconds: number;
    /** Repetitions; the summary is the median over them. */
    runs: number;
    /**
     * The simulation's requestOverheadPercent for the predictions before calibration (the load still runs at the
     * in-process capacity): to try another per-request overhead than the assumption's default.
     */
    overheadPercent: number;
}

/**
 * 3 runs × 3 loads × (1 + 3 + 15 s + the drain) plus a 3 s calibration per run: about three minutes (plus up to 30 s
 * per load when it has to wait for a quiet machine). Three seconds of warm-up (four at the rate, with the flat ramp)
 * let the queue fill at 120 % before the measurement: 66 places filling at 20 % of the capacity take ≈3.5 s at
 * ≈100 req/s, less on a faster machine.
 */
export const DEFAULT_OPTIONS: CheckOptions = { seconds: 15, warmupSeconds: 3, runs: 3, overheadPercent: DEFAULT_ASSUMPTIONS.requestOverheadPercent };

export const USAGE = `Usage:
  npm run timeline:check-model -- [--seconds N] [--warmup N] [--runs N] [--overhead-percent X]
      Drive the built service on 127.0.0.1 at 50 %, 90 % and 120 % of its capacity and compare what it does with
      what the simulator predicts, before and after calibration (scripts/timeline/model-check.ts says how).

Options:
  --seconds N            measured seconds per load (default: ${DEFAULT_OPTIONS.seconds})
  --warmup N             seconds at the rate before the measurement starts (default: ${DEFAULT_OPTIONS.warmupSeconds})
  --runs N               repetitions; the summary is the median over them (default: ${DEFAULT_OPTIONS.runs})
  --overhead-percent X   the simulation's requestOverheadPercent before calibration (default: ${DEFAULT_OPTIONS.overheadPercent})
  -h, --help             this text`;

export const CHECK_USAGE: CommandUsage = { command: "npm run timeline:check-model --", text: USAGE };

/** Each option: the CheckOptions field it sets and the values it takes. */
const FLAGS = {
    seconds: { key: "seconds", min: 1, max: 600, integer: true },
    warmup: { key: "warmupSeconds", min: 0, max: 60, integer: true },
    runs: { key: "runs", min: 1, max: 20, integer: true },
    "overhead-percent": { key: "overheadPercent", min: 0, max: 100, integer: false },
} as const;

const OPTIONS = Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: "string" }])) as Record<keyof typeof FLAGS, { type: "string" }>;

export function parseArgs(argv: readonly string[]): CheckOptions | "help" {
    const parsed = parseCommandLine(argv, OPTIONS);
    if (parsed === "help") return "help";
    refuseArguments(parsed.positionals);
    const options = { ...DEFAULT_OPTIONS };
    for (const [name, text] of Object.entries(parsed.values)) {
        const flag = FLAGS[name as keyof typeof FLAGS];
        const value = Number(text);
        const form = flag.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
        if (!form.test(text) || value < flag.min || value > flag.max) {
            throw new UsageError(`--${name} expects ${flag.integer ? "a whole number" : "a number"} from ${flag.min} to ${flag.max}, got "${text}"`);
        }
        options[flag.key] = value;
    }
    return options;
}

// ------------------------------------------------------------------------------------------------- the load

/** Requests per second the task serves at most: every vCPU counting primes all the time. */
export function capacityRps(vcpus: number, cpuMs: number): number {
    return (vcpus * 1000) / cpuMs;
}

/** The constant-rate profile both the simulator and the real load follow: rate from start to end, flat ramps. */
export function checkProfile(rate: number, options: Pick<CheckOptions, "seconds" | "warmupSeconds">): StressProfile {
    return {
        startRate: rate,
        peakRate: rate,
        rampUpSeconds: RAMP_SECONDS,
        holdSeconds: options.warmupSeconds + options.seconds,
        rampDownSeconds: RAMP_SECONDS,
        cooldownSeconds: 0,
        preAllocatedVUs: Math.ceil(rate * PRE_ALLOCATED_SECONDS),
        maxVUs: Math.ceil(rate * MAX_VU_SECONDS),
    };
}

/** The measured window, in seconds from the first arrival: responses completed in [from, to) count. */
export function measurementWindow(options: Pick<CheckOptions, "seconds" | "warmupSeconds">): { from: number; to: number } {
    const from = RAMP_SECONDS + options.warmupSeconds;
    return { from, to: from + options.seconds };
}

/**
 * When the real load starts each request: k6's arrival-rate schedule (the simulator's own `arrivalTimes`), up to the
 * window's end. Later arrivals cannot complete inside the window, so the real load stops there.
 */
export function schedule(profile: StressProfile, until: number): number[] {
    const times: number[] = [];
    for (const t of arrivalTimes(profile)) {
        if (t >= until) break;
        times.push(t);
    }
    return times;
}

/** `count` limits evenly over the range, both ends included: what the calibration measures. */
export function calibrationLimits(range: LimitRange, count: number): number[] {
    if (count === 1 || range.min === range.max) return [Math.round((range.min + range.max) / 2)];
    return Array.from({ length: count }, (_, i) => Math.round(range.min + ((range.max - range.min) * i) / (count - 1)));
}

// ------------------------------------------------------------------------------------------------- statistics

/** One answered (or failed) request: its latency, its status (0 = no answer: socket error or timeout). */
export interface Sample {
    latencyMs: number;
    status: number;
}

export interface WindowStats {
    requests: number;
    /** Every response, 200 and 503 alike (as the simulator counts them). */
    p50Ms: number;
    p99Ms: number;
    /** The 200s alone. */
    okP50Ms: number;
    okP99Ms: number;
    /** Share of 503s among the requests, in percent. */
    shedPercent: number;
    /** Neither 200 nor 503: other statuses, socket errors, timeouts. */
    errors: number;
}

/** Nearest-rank percentiles (the simulator's own definition) and the 503 share of some samples. */
export function windowStats(samples: readonly Sample[]): WindowStats {
    const sorted = (list: readonly Sample[]) => list.map((sample) => sample.latencyMs).sort((a, b) => a - b);
    const all = sorted(samples.filter((sample) => sample.status !== 0));
    const ok = sorted(samples.filter((sample) => sample.status === 200));
    const shed = samples.filter((sample) => sample.status === 503).length;
    return {
        requests: samples.length,
        p50Ms: percentile(all, 50),
        p99Ms: percentile(all, 99),
        okP50Ms: percentile(ok, 50),
        okP99Ms: percentile(ok, 99),
        shedPercent: samples.length === 0 ? Number.NaN : (100 * shed) / samples.length,
        errors: samples.filter((sample) => sample.status !== 200 && sample.status !== 503).length,
    };
}

/**
 * The simulated responses that completed inside the window. `latenciesMs` is in completion order and the rows
 * (one per second) count the completions of each second, so the window is a slice of it; a 503 is a latency of
 * exactly `shedLatencyMs` (the simulator answers one at once).
 */
export function simulatedSamples(
    result: Pick<SimulationResult, "rows" | "latenciesMs">,
    window: { from: number; to: number },
    shedLatencyMs: number,
): Sample[] {
    const completions = result.rows.map((row) => Math.round((row.servedRps ?? 0) + (row.shedRps ?? 0)));
    const sum = (from: number, to: number) => completions.slice(from, to).reduce((total, count) => total + count, 0);
    const before = sum(0, window.from);
    const inside = sum(window.from, window.to);
    return Array.from(result.latenciesMs.subarray(before, before + inside), (latencyMs) => ({
        latencyMs,
        status: Math.abs(latencyMs - shedLatencyMs) < 1e-6 ? 503 : 200,
    }));
}

/** The simulator's prediction for the compared task at `rate` req/s, each request costing `cpuMs` on average. */
export function predict(
    rate: number,
    cpuMs: number,
    options: Pick<CheckOptions, "seconds" | "warmupSeconds">,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
): WindowStats {
    const profile = checkProfile(rate, options);
    const durationSeconds = 2 * RAMP_SECONDS + profile.holdSeconds;
    const result = runSimulation({
        stepSeconds: 1,
        service: simulatedService(COMPARED_STACK),
        scaling: COMPARED_STACK.scaling,
        workload: { model: "open", profile, durationSeconds },
        cost: requestCost(DEFAULT_LIMIT_RANGE, cpuMs),
        assumptions,
    });
    return windowStats(simulatedSamples(result, measurementWindow(options), assumptions.shedLatencyMs));
}
