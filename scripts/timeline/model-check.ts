/**
 * Checks the simulator's queueing model (simulate/service.ts) against the real service, as issues 13 and 24 ask:
 *
 *   npm run timeline:check-model -- [--seconds N] [--warmup N] [--runs N] [--overhead-percent X]
 *
 * For one task of the shape the comparison is about (2 vCPUs = this machine's cores, WORKERS 2, MAX_QUEUE 64), it
 * drives the built service (service/dist/server.js, what `npm start` runs) on 127.0.0.1 with an open-model load
 * (requests started on k6's constant-arrival-rate schedule whatever the answers take) at 50 %, 90 % and 120 % of
 * its capacity, and runs the simulator (`runSimulation`) for the same schedule and limits, twice:
 *
 * - before calibration, with the CPU per request measured in process at the start of each run (k6/calibrate.ts
 *   `measure`: the service's own countPrimesBelow) plus `requestOverheadPercent`, as `simulate --cpu-ms` would;
 * - after, with the CPU per request `calibrate()` (what `timeline calibrate` runs) fits from the run's own
 *   measurement turned into an observed timeline (./model-check/observed.ts: one row per measured second, the CPU of
 *   the service and of the load generator that shares its cores), and no overhead, as `simulate --calibration` does.
 *
 * It prints, per run and as medians over the runs with their spread (min–max), p50 / p99 over every response (200
 * and 503 alike, as the simulator counts them) and the share of 503s, predicted before, measured, predicted after;
 * the overhead each request costs beyond its count; and whether the calibrated prediction meets issue 24's targets.
 *
 * The loads' rates come from the in-process CPU per request (capacity = 2 vCPUs × 1000 / cpuMs): the calibration
 * table (k6/lib/limits.ts) describes another machine on another day, and this VM's speed drifts by ±20 % and more.
 *
 * The load generator runs in this process and shares the two cores with the service (the service's worker threads
 * run at nice 10, so it wins the CPU from them). Its CPU, the service's (and its event loop's), what other processes
 * on the machine used and the hypervisor's steal time are printed per load, so a reader can judge each run. Other
 * processes matter most: before each load the check waits (≤ 30 s) for the machine to be quiet, and a load during
 * which it was not is marked † and left out of the medians (see QUIET_CORES).
 *
 * Pure parts are in ./model-check/ (check.ts, observed.ts, tables.ts) and tested in tests/timeline-model-check.test.ts;
 * the effects (./model-check/measure.ts) run from the command line and in tests/timeline-model-check-loopback.test.ts.
 */
import { median } from "../../service/bench/stats";
import { UsageError, usageErrorText } from "../cli-usage";
import { DEFAULT_LIMIT_RANGE, meanCpuMs } from "../../k6/lib/limits";
import type { CalibratedFigure } from "./calibrate/calibration";
import { DEFAULT_ASSUMPTIONS } from "./simulate/assumptions";
import {
    CheckOptions,
    LOAD_PERCENTS,
    MAX_QUEUE,
    QUIET_CORES,
    RAMP_SECONDS,
    TASK_CPU_UNITS,
    VCPUS,
    WORKERS,
    capacityRps,
    CHECK_USAGE,
    parseArgs,
    predict,
    USAGE,
} from "./model-check/check";
import { inProcessCpuMs, killServer, measureLoad, MeasuredLoad, Server, startServer, waitForQuiet, buildServiceIfNeeded } from "./model-check/measure";
import { CPU_SHARES, CpuShare, ObservedLoad, calibrateLoads } from "./model-check/observed";
import {
    CpuMsByShare,
    LoadResult,
    Overhead,
    RunResult,
    checkTargets,
    disturbed,
    formatConditions,
    formatFitted,
    formatFittedLoads,
    formatOverhead,
    formatTable,
    formatTarget,
    impliedOverhead,
    ms,
    pct,
    runSummary,
    spreadOf,
    summarizeLoads,
} from "./model-check/tables";

/** The share whose fitted CPU predicts this machine (./model-check/observed.ts says why). */
const PREDICTING_SHARE: CpuShare = "service + load generator";
const CALIBRATED = { ...DEFAULT_ASSUMPTIONS, requestOverheadPercent: 0 };

/** The CPU per served request `calibrate()` fits from some loads, for each share. */
function fittedFigures(loads: readonly ObservedLoad[]): Record<CpuShare, CalibratedFigure> {
    return Object.fromEntries(CPU_SHARES.map((share) => [share, calibrateLoads(loads, share).cpuMsPerRequest])) as Record<CpuShare, CalibratedFigure>;
}

const values = (figures: Record<CpuShare, CalibratedFigure>): CpuMsByShare =>
    Object.fromEntries(CPU_SHARES.map((share) => [share, figures[share].value])) as CpuMsByShare;

/** The prediction after calibration at `rate`, and its p99 at the low and the high end of the fitted CPU's spread. */
function predictCalibrated(rate: number, figure: CalibratedFigure, options: CheckOptions): Pick<LoadResult, "after" | "afterP99Band"> {
    const at = (cpuMs: number) => predict(rate, cpuMs, options, CALIBRATED);
    return { after: at(figure.value), afterP99Band: { low: at(figure.low).p99Ms, high: at(figure.high).p99Ms } };
}

/** One run: the in-process CPU per request, the three loads, then the calibration from them and the predictions after. */
async function checkRun(server: Server, options: CheckOptions, label: string): Promise<RunResult> {
    await waitForQuiet(server.pid);
    const cpuMs = inProcessCpuMs();
    const capacity = capacityRps(VCPUS, cpuMs);
    console.log(`${label}: ${cpuMs.toFixed(2)} ms of CPU per request in process (k6/calibrate.ts measure) → capacity ${capacity.toFixed(1)} req/s`);
    const measuredLoads: Array<MeasuredLoad & { percent: number; rate: number }> = [];
    for (const percent of LOAD_PERCENTS) {
        const rate = (capacity * percent) / 100;
        await waitForQuiet(server.pid);
        const load = await measureLoad(server, rate, options);
        const { measured, conditions } = load;
        console.log(
            `  ${String(percent).padStart(3)} % = ${rate.toFixed(1)} req/s: measured p50 ${ms(measured.p50Ms)} p99 ${ms(measured.p99Ms)} ms, ` +
                `503 ${pct(measured.shedPercent)} (${measured.requests} in the window)` +
                (disturbed(conditions) ? `; DISTURBED: other processes used ${conditions.otherCores.toFixed(2)} cores` : ""),
        );
        measuredLoads.push({ ...load, percent, rate });
    }
    const figures = fittedFigures(measuredLoads);
    const before = { ...DEFAULT_ASSUMPTIONS, requestOverheadPercent: options.overheadPercent };
    const loads: LoadResult[] = measuredLoads.map((load) => ({
        percent: load.percent,
        rate: load.rate,
        before: predict(load.rate, cpuMs, options, before),
        measured: load.measured,
        ...predictCalibrated(load.rate, figures[PREDICTING_SHARE], options),
        conditions: load.conditions,
        fittedCpuMs: values(fittedFigures([load])),
    }));
    return { cpuMs, capacity, fittedCpuMs: values(figures), loads };
}

/** Prints one run; returns what its 120 % load says of the overhead, and whether that load was disturbed. */
function printRun(run: RunResult, index: number): { overhead: Overhead; disturbed: boolean } | undefined {
    console.log(`\n### Run ${index + 1}: ${run.cpuMs.toFixed(2)} ms per request in process, capacity ${run.capacity.toFixed(1)} req/s\n`);
    console.log(formatTable(runSummary(run)));
    console.log("");
    console.log(formatConditions(run.loads));
    console.log(`\ncalibrate() fitted ${CPU_SHARES.map((share) => `${formatFitted(run.fittedCpuMs[share], run.cpuMs)} (${share})`).join(", ")} per request.`);
    const overload = run.loads.find((load) => load.percent === 120);
    const overhead = overload === undefined ? undefined : impliedOverhead(run.cpuMs, run.capacity, overload);
    if (overload === undefined || overhead === undefined) return undefined;
    const marked = disturbed(overload.conditions);
    console.log(`At 120 %${marked ? " †" : ""} the service served ${overload.conditions?.servedRps.toFixed(1)} req/s: ${formatOverhead(overhead)}.`);
    return { overhead, disturbed: marked };
}

function printSummary(runs: readonly RunResult[], overloads: ReadonlyArray<{ overhead: Overhead; disturbed: boolean }>): void {
    const cpuMs = spreadOf(runs.map((run) => run.cpuMs));
    const loads = summarizeLoads(runs);
    console.log(
        `\n### Median of ${runs.length} run(s), (min–max): ${cpuMs.median.toFixed(2)} ms per request in process ` +
            `(${cpuMs.min.toFixed(2)}–${cpuMs.max.toFixed(2)}), capacity ${capacityRps(VCPUS, cpuMs.median).toFixed(1)} req/s\n`,
    );
    console.log(formatTable(loads));
    if (loads.some((load) => load.disturbedRuns > 0)) {
        const taken = loads.map((load) =>
            load.disturbedRuns === load.runs ? `${load.percent} %: all ${load.runs} disturbed` : `${load.percent} %: ${load.runs} of ${load.runs + load.disturbedRuns}`,
        );
        console.log(`\n† disturbed: other processes used more than ${QUIET_CORES} cores during the load. Medians over the undisturbed runs: ${taken.join(", ")}`);
    }
    console.log("");
    for (const share of CPU_SHARES) {
        const overheadsOfShare = spreadOf(runs.map((run) => 100 * (run.fittedCpuMs[share] / run.cpuMs - 1)));
        const value = spreadOf(runs.map((run) => run.fittedCpuMs[share]));
        console.log(
            `calibrate(), ${share} CPU: ${value.median.toFixed(2)} ms per request (${value.min.toFixed(2)}–${value.max.toFixed(2)}), ` +
                `${overheadsOfShare.median.toFixed(1)} % (${overheadsOfShare.min.toFixed(1)}–${overheadsOfShare.max.toFixed(1)}) above the in-process measure` +
                (share === PREDICTING_SHARE ? ": what the predictions after use (the generator competes for this machine's cores; on Fargate it would not)" : ": what a run on Fargate would fit"),
        );
    }
    console.log(formatFittedLoads(runs, PREDICTING_SHARE));
    const quiet = overloads.filter((overload) => !overload.disturbed);
    const taken = quiet.length > 0 ? quiet : overloads;
    if (taken.length > 0) {
        const of = (key: keyof Overhead) => median(taken.map(({ overhead }) => overhead[key]));
        const over = quiet.length > 0 ? `${quiet.length} undisturbed run(s)` : `${taken.length} run(s), all disturbed †`;
        const overhead = { percent: of("percent"), generatorPercent: of("generatorPercent"), eventLoopPercent: of("eventLoopPercent"), otherPercent: of("otherPercent") };
        console.log(`Median over ${over}: ${formatOverhead(overhead)}.`);
    }
    console.log(`\nTargets (issue 24), medians after calibration against the measured medians:`);
    for (const check of checkTargets(loads)) console.log(`  ${formatTarget(check)}`);
}

async function main(options: CheckOptions): Promise<void> {
    buildServiceIfNeeded();
    console.log(
        `node ${process.version}, ${process.arch}, ${VCPUS} vCPUs for one task (cpu ${TASK_CPU_UNITS}), WORKERS ${WORKERS}, MAX_QUEUE ${MAX_QUEUE}; ` +
            `limits ${DEFAULT_LIMIT_RANGE.min}–${DEFAULT_LIMIT_RANGE.max}; ${options.runs} run(s) of ${options.seconds} s per load after ` +
            `${RAMP_SECONDS + options.warmupSeconds} s at the rate; the calibration table says ${meanCpuMs(DEFAULT_LIMIT_RANGE).toFixed(1)} ms per request (not used)`,
    );
    console.log(
        `predicted before: the in-process CPU per request + ${options.overheadPercent} % (requestOverheadPercent; --overhead-percent); ` +
            `predicted after: calibrate()'s CPU per request (${PREDICTING_SHARE}) and no overhead, as simulate --calibration does`,
    );
    const server = await startServer();
    const runs: RunResult[] = [];
    try {
        for (let run = 1; run <= options.runs; run++) runs.push(await checkRun(server, options, `run ${run}/${options.runs}`));
    } finally {
        await server.stop();
    }
    const overloads = runs.map(printRun).filter((overload) => overload !== undefined);
    printSummary(runs, overloads);
}

if (require.main === module) {
    process.once("exit", killServer);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            killServer();
            process.exit(130);
        });
    }
    const argv = process.argv.slice(2);
    let options: CheckOptions | "help";
    try {
        options = parseArgs(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(usageErrorText(error.message, CHECK_USAGE, argv));
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
