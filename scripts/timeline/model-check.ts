/**
 * Checks the simulator's queueing model (simulate/service.ts) against the real service, as issue 13 asks:
 *
 *   npx tsx scripts/timeline/model-check.ts [--seconds N] [--warmup N] [--runs N] [--overhead-percent X]
 *
 * For one task of the shape the comparison is about (2 vCPUs = this machine's cores, WORKERS 2, MAX_QUEUE 64), it
 * drives the built service (service/dist/server.js, what `npm start` runs) on 127.0.0.1 with an open-model load
 * (requests started on k6's constant-arrival-rate schedule whatever the answers take) at 50 %, 90 % and 120 % of
 * its capacity, and runs the simulator (`runSimulation`) for the same schedule, limits and CPU per request. It
 * prints, per run and as medians over the runs, p50 / p99 over every response (200 and 503 alike, as the simulator
 * counts them), p50 / p99 of the 200s alone, and the share of 503s: predicted next to measured, both over the
 * responses completed in the same window after the warm-up.
 *
 * CPU per request: measured on this machine at the start of each run, the way the project calibrates
 * (k6/calibrate.ts `measure`: in-process CPU time of the service's own countPrimesBelow), and given to both the load
 * (capacity = 2 vCPUs × 1000 / cpuMs) and the simulator (as `--cpu-ms` would). The calibration table
 * (k6/lib/limits.ts) describes another machine on another day: this VM's speed drifts by ±20 % and more, and 90 %
 * of a capacity computed from a stale figure can be 110 % of the real one, which would test the table, not the
 * queueing model. The table's figure is printed for reference.
 *
 * The load generator runs in this process and shares the two cores with the service (the service's worker threads
 * run at nice 10, so it wins the CPU from them). Its CPU, the service's (and its event loop's), what other processes
 * on the machine used and the hypervisor's steal time are printed per load, so a reader can judge each run. Other
 * processes matter most: before each load the check waits (≤ 30 s) for the machine to be quiet, and a load during
 * which it was not is marked † and left out of the medians (see QUIET_CORES).
 *
 * The service is started here rather than with service/test/server-process.ts or service/bench/servers.ts: those live
 * in the service's ES-module package and use import.meta, which the root tsconfig (module commonjs) refuses.
 *
 * Pure parts (arguments, schedule, statistics, tables) are exported and tested in tests/timeline-model-check.test.ts;
 * the effects (calibration, server, load) run only from the command line.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { StepScalingConfig } from "../../config";
import { measure } from "../../k6/calibrate";
import { DEFAULT_LIMIT_RANGE, LimitRange, meanCpuMs, pickLimit } from "../../k6/lib/limits";
import { MAX_VU_SECONDS, PRE_ALLOCATED_SECONDS, StressProfile, STRESS_REQUEST_TIMEOUT } from "../../k6/lib/profiles";
import { median, percentile } from "../../service/bench/stats";
import { DEFAULTS as SERVICE_DEFAULTS, SERVICE_VARIABLES } from "../../service/src/config";
import { DEFAULT_ASSUMPTIONS } from "./simulate/assumptions";
import type { Assumptions } from "./simulate/assumptions";
import { SimulatedService, SimulationResult, runSimulation } from "./simulate/engine";
import { arrivalTimes, requestCost } from "./simulate/load";

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
const REQUEST_TIMEOUT_MS = Number.parseInt(STRESS_REQUEST_TIMEOUT, 10) * 1000;
/**
 * Other processes using more than this many cores make a measurement worthless: the service's worker threads run at
 * nice 10 (service/src/config.ts WORKER_NICE), so any normal-priority process takes the CPU from them first. Before
 * each load the check waits (up to QUIET_WAIT_SECONDS) for the machine to be this quiet, and it marks a load during
 * which it was not as disturbed (†); the medians leave disturbed loads out when undisturbed ones exist.
 */
export const QUIET_CORES = 0.05;
export const QUIET_WAIT_SECONDS = 30;

export const SIMULATED_SERVICE: SimulatedService = {
    cpuUnits: TASK_CPU_UNITS,
    workers: WORKERS,
    maxQueue: MAX_QUEUE,
    healthCheck: { intervalSeconds: 15 },
    deregistrationDelaySeconds: 30,
};

/** One task, always: minCapacity = maxCapacity = 1, so the scaling policy can never change anything. */
export const ONE_TASK: StepScalingConfig = {
    mode: "step",
    minCapacity: 1,
    maxCapacity: 1,
    statistic: "Average",
    threshold: 40,
    upperThreshold: 70,
    scaleInAdjustment: -1,
    scaleOutAdjustment: 1,
    steepScaleOutAdjustment: 2,
    cooldownSeconds: 60,
    scaleOutEvaluationPeriods: 1,
    scaleInEvaluationPeriods: 3,
};

// ------------------------------------------------------------------------------------------------- command line

export interface CheckOptions {
    /** Measured seconds per load. */
    seconds: number;
    /** Seconds at the rate before the measurement starts (the queue reaches its steady state). */
    warmupSeconds: number;
    /** Repetitions; the summary is the median over them. */
    runs: number;
    /**
     * The simulation's requestOverheadPercent for the predictions (the load still runs at the calibrated capacity):
     * to try another per-request overhead (event loop, hand-off, network) than the assumption's default.
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

export const USAGE =
    `usage: npx tsx scripts/timeline/model-check.ts [--seconds N (default 15)] [--warmup N (default 3)] [--runs N (default 3)] [--overhead-percent X (default ${DEFAULT_ASSUMPTIONS.requestOverheadPercent}: the simulation's requestOverheadPercent)]`;

export class UsageError extends Error {
    override readonly name = "UsageError";
}

const FLAGS = {
    "--seconds": { key: "seconds", min: 1, max: 600, integer: true },
    "--warmup": { key: "warmupSeconds", min: 0, max: 60, integer: true },
    "--runs": { key: "runs", min: 1, max: 20, integer: true },
    "--overhead-percent": { key: "overheadPercent", min: 0, max: 100, integer: false },
} as const;

export function parseArgs(argv: readonly string[]): CheckOptions | "help" {
    const options = { ...DEFAULT_OPTIONS };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "-h" || arg === "--help") return "help";
        const equals = arg.indexOf("=");
        const name = equals < 0 ? arg : arg.slice(0, equals);
        if (!Object.hasOwn(FLAGS, name)) throw new UsageError(`unknown argument "${arg}"\n${USAGE}`);
        const flag = FLAGS[name as keyof typeof FLAGS];
        const text = equals < 0 ? argv[++i] : arg.slice(equals + 1);
        if (text === undefined) throw new UsageError(`${name} needs a value\n${USAGE}`);
        const value = Number(text);
        const form = flag.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
        if (!form.test(text) || value < flag.min || value > flag.max) {
            throw new UsageError(`${name} expects ${flag.integer ? "a whole number" : "a number"} from ${flag.min} to ${flag.max}, got "${text}"\n${USAGE}`);
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

/** The simulator's prediction for one task at `rate` req/s, each request costing `cpuMs` on average. */
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
        service: SIMULATED_SERVICE,
        scaling: ONE_TASK,
        workload: { model: "open", profile, durationSeconds },
        cost: requestCost(DEFAULT_LIMIT_RANGE, cpuMs),
        assumptions,
    });
    return windowStats(simulatedSamples(result, measurementWindow(options), assumptions.shedLatencyMs));
}

// ------------------------------------------------------------------------------------------------- tables

/** What the real service did at one load, and what it cost this machine. */
export interface Conditions {
    /** Requests per second actually started, and how late the generator started them (p99, max). */
    startedRps: number;
    /** 200s per second inside the window: at 120 %, the capacity the service really has. */
    servedRps: number;
    lagP99Ms: number;
    lagMaxMs: number;
    maxInFlight: number;
    /** Cores (CPU-seconds per second) used by the load generator, the service, its event loop, everything else. */
    generatorCores: number;
    serviceCores: number;
    eventLoopCores: number;
    otherCores: number;
    stealCores: number;
    /** The load generator's CPU per request, and the service's event loop's, in µs. */
    generatorUsPerRequest: number;
    eventLoopUsPerRequest: number;
    /** The service's worker threads' CPU per 200, in ms (compare with the calibrated cpuMs). */
    workerCpuMsPerOk: number;
}

/** Whether other processes took enough CPU during a load to spoil it. */
export function disturbed(conditions: Pick<Conditions, "otherCores"> | undefined): boolean {
    return conditions !== undefined && conditions.otherCores > QUIET_CORES;
}

export interface LoadResult {
    percent: number;
    rate: number;
    predicted: WindowStats;
    measured: WindowStats;
    conditions?: Conditions;
}

export interface RunResult {
    cpuMs: number;
    capacity: number;
    loads: LoadResult[];
}

const ms = (value: number) => (Number.isNaN(value) ? "–" : value >= 100 ? value.toFixed(0) : value.toFixed(1));
const pct = (value: number) => (Number.isNaN(value) ? "–" : `${value.toFixed(1)} %`);
const pair = (a: number, b: number) => `${ms(a)} / ${ms(b)}`;

/** The comparison as a markdown table: load, predicted, measured. */
export function formatTable(loads: readonly LoadResult[]): string {
    const lines = [
        "| load | predicted p50 / p99 (ms) | predicted 503 | measured p50 / p99 (ms) | measured 503 | 200s only: predicted p50 / p99 | 200s only: measured p50 / p99 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ];
    for (const { percent, rate, predicted, measured, conditions } of loads) {
        const errors = measured.errors > 0 ? ` (+${measured.errors} errors)` : "";
        lines.push(
            `| ${percent} % (${rate.toFixed(1)} req/s)${disturbed(conditions) ? " †" : ""} | ${pair(predicted.p50Ms, predicted.p99Ms)} | ${pct(predicted.shedPercent)} | ` +
                `${pair(measured.p50Ms, measured.p99Ms)} | ${pct(measured.shedPercent)}${errors} | ` +
                `${pair(predicted.okP50Ms, predicted.okP99Ms)} | ${pair(measured.okP50Ms, measured.okP99Ms)} |`,
        );
    }
    return lines.join("\n");
}

/** What the machine was doing during each load of a run, as a markdown table. */
export function formatConditions(loads: readonly LoadResult[]): string {
    const lines = [
        "| load | started req/s | served 200/s | start lag p99 / max (ms) | in flight max | generator cores (µs/req) | service cores | event loop µs/req | worker CPU ms per 200 | other processes cores | steal cores |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ];
    for (const { percent, conditions: c } of loads) {
        if (c === undefined) continue;
        lines.push(
            `| ${percent} %${disturbed(c) ? " †" : ""} | ${c.startedRps.toFixed(1)} | ${c.servedRps.toFixed(1)} | ${c.lagP99Ms.toFixed(1)} / ${c.lagMaxMs.toFixed(1)} | ${c.maxInFlight} | ` +
                `${c.generatorCores.toFixed(2)} (${c.generatorUsPerRequest.toFixed(0)}) | ${c.serviceCores.toFixed(2)} | ` +
                `${c.eventLoopUsPerRequest.toFixed(0)} | ${c.workerCpuMsPerOk.toFixed(1)} | ${c.otherCores.toFixed(2)} | ${c.stealCores.toFixed(2)} |`,
        );
    }
    return lines.join("\n");
}

/**
 * What the 120 % load says about the CPU a request really costs the machine: the served rate is the real capacity, so
 * capacity ÷ served − 1 is the share each request costs beyond its count (what the model leaves out), in percent;
 * with the load generator's and the service event loop's part of it (their CPU per served request ÷ cpuMs).
 */
export function impliedOverhead(cpuMs: number, capacity: number, overload: LoadResult): { percent: number; generatorPercent: number; eventLoopPercent: number } | undefined {
    const c = overload.conditions;
    if (c === undefined || overload.measured.shedPercent === 0 || c.servedRps === 0) return undefined;
    const share = (cores: number) => (100 * (cores * 1000)) / c.servedRps / cpuMs;
    return { percent: 100 * (capacity / c.servedRps - 1), generatorPercent: share(c.generatorCores), eventLoopPercent: share(c.eventLoopCores) };
}

export function formatOverhead(overhead: { percent: number; generatorPercent: number; eventLoopPercent: number }): string {
    const { percent, generatorPercent, eventLoopPercent } = overhead;
    return (
        `each request cost ${percent.toFixed(1)} % more CPU than its count (load generator ${generatorPercent.toFixed(1)} %, ` +
        `service event loop ${eventLoopPercent.toFixed(1)} %, the rest ${(percent - generatorPercent - eventLoopPercent).toFixed(1)} %: ` +
        "worker threads above the calibration, kernel)"
    );
}

const medianOf = (values: readonly number[]) => {
    const present = values.filter((value) => !Number.isNaN(value));
    return present.length === 0 ? Number.NaN : median(present);
};

function medianStats(all: readonly WindowStats[]): WindowStats {
    const of = (key: keyof WindowStats) => medianOf(all.map((stats) => stats[key]));
    return {
        requests: of("requests"),
        p50Ms: of("p50Ms"),
        p99Ms: of("p99Ms"),
        okP50Ms: of("okP50Ms"),
        okP99Ms: of("okP99Ms"),
        shedPercent: of("shedPercent"),
        errors: of("errors"),
    };
}

/**
 * Per load, the median of each figure over the runs (never a single run's), over the undisturbed runs when there
 * are any; `runs` says how many it took the median of, `disturbedRuns` how many were disturbed.
 */
export function medianLoads(runs: readonly RunResult[]): Array<LoadResult & { runs: number; disturbedRuns: number }> {
    return LOAD_PERCENTS.map((percent) => {
        const all = runs.map((run) => run.loads.find((load) => load.percent === percent)).filter((load): load is LoadResult => load !== undefined);
        const quiet = all.filter((load) => !disturbed(load.conditions));
        const loads = quiet.length > 0 ? quiet : all;
        return {
            percent,
            rate: medianOf(loads.map((load) => load.rate)),
            predicted: medianStats(loads.map((load) => load.predicted)),
            measured: medianStats(loads.map((load) => load.measured)),
            runs: loads.length,
            disturbedRuns: all.length - quiet.length,
        };
    });
}

// ------------------------------------------------------------------------------------------------- effects

const REPO_ROOT = path.resolve(__dirname, "../..");
const SERVICE_DIR = path.join(REPO_ROOT, "service");
const SERVER_ENTRY = path.join(SERVICE_DIR, "dist/server.js");

function newestMtime(dir: string): number {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
    }
    return newest;
}

/** `npm run build -w service` when dist/server.js is missing or older than a source file (as `npm start`'s prestart). */
function buildServiceIfNeeded(): void {
    const built = fs.existsSync(SERVER_ENTRY) ? fs.statSync(SERVER_ENTRY).mtimeMs : 0;
    if (built >= newestMtime(path.join(SERVICE_DIR, "src"))) return;
    console.log("building the service (npm run build -w service)…");
    const build = spawnSync("npm", ["run", "build", "-w", "service"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (build.status !== 0) throw new Error(`npm run build -w service failed (exit ${build.status})`);
}

interface Server {
    port: number;
    pid: number;
    stop(): Promise<void>;
}

let running: ChildProcess | undefined;

/** A port free on 127.0.0.1 right now (the service is told it: with PORT=0 it would only log the port at info). */
async function freePort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
}

/** The service as `npm start` runs it (node dist/server.js), on 127.0.0.1 and a free port, WORKERS 2, default queue, LOG_LEVEL warn. */
async function startServer(): Promise<Server> {
    const port = await freePort();
    const env = { ...process.env };
    for (const name of SERVICE_VARIABLES) delete env[name];
    const child = spawn(process.execPath, [SERVER_ENTRY], {
        cwd: SERVICE_DIR,
        env: { ...env, PORT: String(port), HOST: "127.0.0.1", WORKERS: String(WORKERS), LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    running = child;
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdout?.resume();
    // Its "listening" line is logged at info, below LOG_LEVEL=warn: wait for /api/health to answer instead.
    for (let attempt = 0; ; attempt++) {
        if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before listening:\n${stderr}`);
        const healthy = await fetch(`http://127.0.0.1:${port}/api/health`).then(
            (res) => res.ok,
            () => false,
        );
        if (healthy) break;
        if (attempt >= 100) throw new Error(`the service did not answer /api/health within 10 s:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
        port,
        pid: child.pid as number,
        stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
            await exited;
            clearTimeout(timer);
            running = undefined;
        },
    };
}

/** Kills the service if it is still running: on exit, Ctrl-C and failures alike. */
function killServer(): void {
    if (running !== undefined && running.exitCode === null && running.signalCode === null) running.kill("SIGKILL");
}

/** utime + stime of a /proc stat file, in seconds (the fields after the command name). */
function procCpuSeconds(file: string): number {
    const fields = fs.readFileSync(file, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The whole machine's busy and steal time so far (/proc/stat), in CPU-seconds. */
function machineCpuSeconds(): { busy: number; steal: number } {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return { busy: (user + nice + system + irq + softirq) / 100, steal: steal / 100 };
}

interface CpuSnapshot {
    wall: number;
    self: NodeJS.CpuUsage;
    service: number;
    eventLoop: number;
    machine: { busy: number; steal: number };
}

function snapshot(pid: number): CpuSnapshot {
    return {
        wall: performance.now(),
        self: process.cpuUsage(),
        service: procCpuSeconds(`/proc/${pid}/stat`),
        eventLoop: procCpuSeconds(`/proc/${pid}/task/${pid}/stat`),
        machine: machineCpuSeconds(),
    };
}

/** Cores other processes (not this one, not the service) used over the next `seconds`. */
async function otherCores(pid: number, seconds: number): Promise<number> {
    const before = snapshot(pid);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const after = snapshot(pid);
    const self = (after.self.user + after.self.system - before.self.user - before.self.system) / 1e6;
    return Math.max(0, after.machine.busy - before.machine.busy - self - (after.service - before.service)) / ((after.wall - before.wall) / 1000);
}

/** Waits, up to QUIET_WAIT_SECONDS, until other processes use at most QUIET_CORES; says so when it has to. */
async function waitForQuiet(pid: number): Promise<void> {
    const deadline = performance.now() + QUIET_WAIT_SECONDS * 1000;
    let cores = await otherCores(pid, 0.5);
    if (cores <= QUIET_CORES) return;
    process.stdout.write(`  waiting for other processes to calm down (${cores.toFixed(2)} cores)`);
    while (cores > QUIET_CORES && performance.now() < deadline) {
        cores = await otherCores(pid, 1);
        process.stdout.write(` ${cores.toFixed(2)}`);
    }
    console.log(cores > QUIET_CORES ? `: still busy after ${QUIET_WAIT_SECONDS} s, measuring anyway` : ": quiet");
}

interface RealSample extends Sample {
    /** Seconds from the schedule's start: when it was due, when it was sent, when it completed. */
    due: number;
    sent: number;
    completed: number;
}

/**
 * The open-model load: each request started when the schedule says, over a keep-alive agent with no socket limit
 * (a request never waits for another's answer), GET /api/count-prime/<limit> with the limit drawn as the k6 scripts
 * draw it. Resolves once every request has an answer (or timed out).
 */
async function openLoad(port: number, times: readonly number[], limits: LimitRange): Promise<{ samples: RealSample[]; maxInFlight: number }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    const samples: RealSample[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let next = 0;
    const start = performance.now();
    const now = () => (performance.now() - start) / 1000;
    try {
        await new Promise<void>((resolve) => {
            const finish = (sample: RealSample) => {
                samples.push(sample);
                inFlight--;
                if (next === times.length && inFlight === 0) resolve();
            };
            const send = (due: number) => {
                const sent = now();
                inFlight++;
                maxInFlight = Math.max(maxInFlight, inFlight);
                let done = false;
                const answer = (status: number) => {
                    if (done) return;
                    done = true;
                    const completed = now();
                    finish({ due, sent, completed, latencyMs: (completed - sent) * 1000, status });
                };
                const request = http.get({ host: "127.0.0.1", port, path: `/api/count-prime/${pickLimit(limits)}`, agent }, (res) => {
                    res.resume();
                    res.on("end", () => answer(res.statusCode ?? 0));
                    res.on("error", () => answer(0));
                });
                request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error("timeout")));
                request.on("error", () => answer(0));
            };
            const tick = () => {
                const t = now();
                while (next < times.length && times[next] <= t) send(times[next++]);
                if (next < times.length) setTimeout(tick, Math.max(0, (times[next] - now()) * 1000));
                else if (inFlight === 0) resolve();
            };
            tick();
        });
    } finally {
        agent.destroy();
    }
    return { samples, maxInFlight };
}

/** Mean CPU ms of a request over the default range on this machine, measured as k6/calibrate.ts does. */
function calibrate(): number {
    const costs = measure({ limits: calibrationLimits(DEFAULT_LIMIT_RANGE, CALIBRATION_POINTS), runs: CALIBRATION_RUNS, targetMs: [15, 30] });
    return costs.reduce((total, cost) => total + cost.medianMs, 0) / costs.length;
}

async function measureLoad(server: Server, percent: number, rate: number, options: CheckOptions): Promise<{ measured: WindowStats; conditions: Conditions }> {
    const window = measurementWindow(options);
    const times = schedule(checkProfile(rate, options), window.to);
    await waitForQuiet(server.pid);
    const before = snapshot(server.pid);
    const { samples, maxInFlight } = await openLoad(server.port, times, DEFAULT_LIMIT_RANGE);
    const after = snapshot(server.pid);
    const inWindow = samples.filter((sample) => sample.completed >= window.from && sample.completed < window.to);
    const measured = windowStats(inWindow);

    const wall = (after.wall - before.wall) / 1000;
    const self = (after.self.user + after.self.system - before.self.user - before.self.system) / 1e6;
    const service = after.service - before.service;
    const eventLoop = after.eventLoop - before.eventLoop;
    const busy = after.machine.busy - before.machine.busy;
    const ok = samples.filter((sample) => sample.status === 200).length;
    const lags = samples.map((sample) => (sample.sent - sample.due) * 1000).sort((a, b) => a - b);
    const conditions: Conditions = {
        startedRps: times.length / (times[times.length - 1] - times[0] + 1 / rate),
        servedRps: inWindow.filter((sample) => sample.status === 200).length / options.seconds,
        lagP99Ms: percentile(lags, 99),
        lagMaxMs: lags[lags.length - 1] ?? Number.NaN,
        maxInFlight,
        generatorCores: self / wall,
        serviceCores: service / wall,
        eventLoopCores: eventLoop / wall,
        otherCores: Math.max(0, busy - self - service) / wall,
        stealCores: (after.machine.steal - before.machine.steal) / wall,
        generatorUsPerRequest: (self * 1e6) / samples.length,
        eventLoopUsPerRequest: (eventLoop * 1e6) / samples.length,
        workerCpuMsPerOk: ((service - eventLoop) * 1000) / ok,
    };
    console.log(
        `  ${String(percent).padStart(3)} % = ${rate.toFixed(1)} req/s: measured p50 ${ms(measured.p50Ms)} p99 ${ms(measured.p99Ms)} ms, ` +
            `503 ${pct(measured.shedPercent)} (${measured.requests} in the window)` +
            (disturbed(conditions) ? `; DISTURBED: other processes used ${conditions.otherCores.toFixed(2)} cores` : ""),
    );
    return { measured, conditions };
}

async function main(options: CheckOptions): Promise<void> {
    buildServiceIfNeeded();
    const tableCpuMs = meanCpuMs(DEFAULT_LIMIT_RANGE);
    console.log(
        `node ${process.version}, ${process.arch}, ${VCPUS} vCPUs for one task (cpu ${TASK_CPU_UNITS}), WORKERS ${WORKERS}, MAX_QUEUE ${MAX_QUEUE}; ` +
            `limits ${DEFAULT_LIMIT_RANGE.min}–${DEFAULT_LIMIT_RANGE.max}; ${options.runs} run(s) of ${options.seconds} s per load after ` +
            `${RAMP_SECONDS + options.warmupSeconds} s at the rate; the calibration table says ${tableCpuMs.toFixed(1)} ms per request (not used)`,
    );
    console.log(`predictions add ${options.overheadPercent} % to each request's CPU (requestOverheadPercent; --overhead-percent); the load's rates do not`);
    const server = await startServer();
    const runs: RunResult[] = [];
    try {
        for (let run = 1; run <= options.runs; run++) {
            await waitForQuiet(server.pid);
            const cpuMs = calibrate();
            const capacity = capacityRps(VCPUS, cpuMs);
            console.log(`run ${run}/${options.runs}: ${cpuMs.toFixed(2)} ms of CPU per request here (k6/calibrate.ts measure) → capacity ${capacity.toFixed(1)} req/s`);
            const loads: LoadResult[] = [];
            for (const percent of LOAD_PERCENTS) {
                const rate = (capacity * percent) / 100;
                const predicted = predict(rate, cpuMs, options, { ...DEFAULT_ASSUMPTIONS, requestOverheadPercent: options.overheadPercent });
                const { measured, conditions } = await measureLoad(server, percent, rate, options);
                loads.push({ percent, rate, predicted, measured, conditions });
            }
            runs.push({ cpuMs, capacity, loads });
        }
    } finally {
        await server.stop();
    }

    const overheads: Array<{ percent: number; generatorPercent: number; eventLoopPercent: number }> = [];
    runs.forEach((run, index) => {
        console.log(`\n### Run ${index + 1}: ${run.cpuMs.toFixed(2)} ms per request, capacity ${run.capacity.toFixed(1)} req/s\n`);
        console.log(formatTable(run.loads));
        console.log("");
        console.log(formatConditions(run.loads));
        const overload = run.loads.find((load) => load.percent === 120);
        const overhead = overload && !disturbed(overload.conditions) ? impliedOverhead(run.cpuMs, run.capacity, overload) : undefined;
        if (overhead !== undefined) {
            overheads.push(overhead);
            console.log(`\nAt 120 % the service served ${overload?.conditions?.servedRps.toFixed(1)} req/s: ${formatOverhead(overhead)}.`);
        }
    });
    const cpuMsMedian = median(runs.map((run) => run.cpuMs));
    const medians = medianLoads(runs);
    console.log(`\n### Median of ${runs.length} run(s): ${cpuMsMedian.toFixed(2)} ms per request, capacity ${capacityRps(VCPUS, cpuMsMedian).toFixed(1)} req/s\n`);
    console.log(formatTable(medians));
    if (medians.some((load) => load.disturbedRuns > 0)) {
        const taken = medians.map((load) =>
            load.disturbedRuns === load.runs ? `${load.percent} %: all ${load.runs} disturbed` : `${load.percent} %: ${load.runs} of ${load.runs + load.disturbedRuns}`,
        );
        console.log(`\n† disturbed: other processes used more than ${QUIET_CORES} cores during the load. Medians over the undisturbed runs: ${taken.join(", ")}`);
    }
    if (overheads.length > 0) {
        const of = (key: "percent" | "generatorPercent" | "eventLoopPercent") => median(overheads.map((overhead) => overhead[key]));
        console.log(`\nAt 120 %, median over ${overheads.length} undisturbed run(s): ${formatOverhead({ percent: of("percent"), generatorPercent: of("generatorPercent"), eventLoopPercent: of("eventLoopPercent") })}.`);
    }
}

if (require.main === module) {
    process.once("exit", killServer);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            killServer();
            process.exit(130);
        });
    }
    let options: CheckOptions | "help";
    try {
        options = parseArgs(process.argv.slice(2));
    } catch (error) {
        console.error(error instanceof Error ? error.message : error);
        process.exit(2);
    }
    if (options === "help") console.log(USAGE);
    else {
        main(options).catch((error: unknown) => {
            killServer();
            console.error(error instanceof Error ? (error.stack ?? error.message) : error);
            process.exitCode = 1;
        });
    }
}
