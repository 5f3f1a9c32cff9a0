/**
 * The model check's effects: the built service started as `npm start` runs it, the open-model load, and the CPU
 * readings (/proc, process.cpuUsage) around and during each load.
 *
 * The service is started here rather than with service/test/server-process.ts or service/bench/servers.ts: those live
 * in the service's ES-module package and use import.meta, which the root tsconfig (module commonjs) refuses.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { measure } from "../../../k6/calibrate";
import { DEFAULT_LIMIT_RANGE, LimitRange, pickLimit } from "../../../k6/lib/limits";
import { STRESS_REQUEST_TIMEOUT } from "../../../k6/lib/profiles";
import { percentile } from "../../../service/bench/stats";
import { SERVICE_VARIABLES } from "../../../service/src/config";
import {
    CALIBRATION_POINTS,
    CALIBRATION_RUNS,
    CheckOptions,
    QUIET_CORES,
    QUIET_WAIT_SECONDS,
    WORKERS,
    WindowStats,
    calibrationLimits,
    checkProfile,
    measurementWindow,
    schedule,
    windowStats,
} from "./check";
import type { CpuReading, RealSample } from "./observed";
import type { Conditions } from "./tables";

const REQUEST_TIMEOUT_MS = Number.parseInt(STRESS_REQUEST_TIMEOUT, 10) * 1000;
const REPO_ROOT = path.resolve(__dirname, "../../..");
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
export function buildServiceIfNeeded(): void {
    const built = fs.existsSync(SERVER_ENTRY) ? fs.statSync(SERVER_ENTRY).mtimeMs : 0;
    if (built >= newestMtime(path.join(SERVICE_DIR, "src"))) return;
    console.log("building the service (npm run build -w service)…");
    const build = spawnSync("npm", ["run", "build", "-w", "service"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (build.status !== 0) throw new Error(`npm run build -w service failed (exit ${build.status})`);
}

export interface Server {
    port: number;
    pid: number;
    stop(): Promise<void>;
}

let running: ChildProcess | undefined;

/** A port free on 127.0.0.1 right now (the service is told it: with PORT=0 it would only log the port at info). */
export async function freePort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
}

/** The service as `npm start` runs it (node dist/server.js), on 127.0.0.1 and a free port, WORKERS 2, default queue, LOG_LEVEL warn. */
export async function startServer(): Promise<Server> {
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
export function killServer(): void {
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
    /** This process (the load generator), the service, the service's event loop thread, in CPU-seconds. */
    self: number;
    service: number;
    eventLoop: number;
    machine: { busy: number; steal: number };
}

function snapshot(pid: number): CpuSnapshot {
    const self = process.cpuUsage();
    return {
        wall: performance.now(),
        self: (self.user + self.system) / 1e6,
        service: procCpuSeconds(`/proc/${pid}/stat`),
        eventLoop: procCpuSeconds(`/proc/${pid}/task/${pid}/stat`),
        machine: machineCpuSeconds(),
    };
}

/** Cores other processes (not this one, not the service) used between two snapshots. */
function otherCoresBetween(before: CpuSnapshot, after: CpuSnapshot): number {
    const used = after.machine.busy - before.machine.busy - (after.self - before.self) - (after.service - before.service);
    return Math.max(0, used) / ((after.wall - before.wall) / 1000);
}

async function otherCores(pid: number, seconds: number): Promise<number> {
    const before = snapshot(pid);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return otherCoresBetween(before, snapshot(pid));
}

/** Waits, up to QUIET_WAIT_SECONDS, until other processes use at most QUIET_CORES; says so when it has to. */
export async function waitForQuiet(pid: number): Promise<void> {
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

/**
 * The open-model load: each request started when the schedule says (seconds from `start`, a performance.now()),
 * over a keep-alive agent with no socket limit (a request never waits for another's answer), GET
 * /api/count-prime/<limit> with the limit drawn as the k6 scripts draw it. Resolves once every request has an answer
 * (or timed out).
 */
export async function openLoad(
    port: number,
    times: readonly number[],
    limits: LimitRange,
    start: number = performance.now(),
): Promise<{ samples: RealSample[]; maxInFlight: number }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    const samples: RealSample[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let next = 0;
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

/** CPU snapshots at `at` (seconds from `start`), each taken when its timer fires and stamped with when that was. */
async function readingsAt(pid: number, start: number, at: readonly number[]): Promise<Array<{ t: number; cpu: CpuSnapshot }>> {
    const readings: Array<{ t: number; cpu: CpuSnapshot }> = [];
    for (const t of at) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + t * 1000 - performance.now())));
        const cpu = snapshot(pid);
        readings.push({ t: (cpu.wall - start) / 1000, cpu });
    }
    return readings;
}

/** Mean CPU ms of a request over the default range on this machine, measured in process as k6/calibrate.ts does. */
export function inProcessCpuMs(): number {
    const costs = measure({ limits: calibrationLimits(DEFAULT_LIMIT_RANGE, CALIBRATION_POINTS), runs: CALIBRATION_RUNS, targetMs: [15, 30] });
    return costs.reduce((total, cost) => total + cost.medianMs, 0) / costs.length;
}

export interface MeasuredLoad {
    measured: WindowStats;
    conditions: Conditions;
    /** Every request of the load, and the CPU read at each second of its measured window. */
    samples: RealSample[];
    readings: CpuReading[];
}

/** Drives the service at `rate` req/s (checkProfile's schedule) and measures the window after the warm-up. */
export async function measureLoad(server: Server, rate: number, options: Pick<CheckOptions, "seconds" | "warmupSeconds">): Promise<MeasuredLoad> {
    const window = measurementWindow(options);
    const times = schedule(checkProfile(rate, options), window.to);
    const before = snapshot(server.pid);
    const start = performance.now();
    const seconds = Array.from({ length: options.seconds + 1 }, (_, k) => window.from + k);
    const [{ samples, maxInFlight }, readings] = await Promise.all([
        openLoad(server.port, times, DEFAULT_LIMIT_RANGE, start),
        readingsAt(server.pid, start, seconds),
    ]);
    const after = snapshot(server.pid);
    const inWindow = samples.filter((sample) => sample.completed >= window.from && sample.completed < window.to);

    const wall = (after.wall - before.wall) / 1000;
    const self = after.self - before.self;
    const service = after.service - before.service;
    const eventLoop = after.eventLoop - before.eventLoop;
    const ok = samples.filter((sample) => sample.status === 200).length;
    const lags = samples.map((sample) => (sample.sent - sample.due) * 1000).sort((a, b) => a - b);
    return {
        measured: windowStats(inWindow),
        conditions: {
            startedRps: times.length / (times[times.length - 1] - times[0] + 1 / rate),
            servedRps: inWindow.filter((sample) => sample.status === 200).length / options.seconds,
            lagP99Ms: percentile(lags, 99),
            lagMaxMs: lags[lags.length - 1] ?? Number.NaN,
            maxInFlight,
            generatorCores: self / wall,
            serviceCores: service / wall,
            eventLoopCores: eventLoop / wall,
            otherCores: otherCoresBetween(before, after),
            stealCores: (after.machine.steal - before.machine.steal) / wall,
            generatorUsPerRequest: (self * 1e6) / samples.length,
            eventLoopUsPerRequest: (eventLoop * 1e6) / samples.length,
            workerCpuMsPerOk: ((service - eventLoop) * 1000) / ok,
        },
        samples,
        readings: readings.map(({ t, cpu }) => ({ t, serviceSeconds: cpu.service, generatorSeconds: cpu.self })),
    };
}
