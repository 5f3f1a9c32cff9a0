/**
 * The model check's results and how they are printed: per run, and as medians over the runs with their spread
 * (min–max), predicted before calibration, measured, and predicted after; and whether the targets are met.
 */
import { median } from "../../../service/bench/stats";
import { DEFAULT_ASSUMPTIONS } from "../simulate/assumptions";
import { LOAD_PERCENTS, QUIET_CORES, WindowStats } from "./check";
import type { CpuShare } from "./observed";

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
    /** The service's worker threads' CPU per 200, in ms (compare with the in-process cpuMs). */
    workerCpuMsPerOk: number;
}

/** Whether other processes took enough CPU during a load to spoil it. */
export function disturbed(conditions: Pick<Conditions, "otherCores"> | undefined): boolean {
    return conditions !== undefined && conditions.otherCores > QUIET_CORES;
}

export interface P99Band {
    low: number;
    high: number;
}

/** CPU ms per served request, by whose CPU counts. */
export type CpuMsByShare = Record<CpuShare, number>;

export interface LoadResult {
    percent: number;
    rate: number;
    /** The prediction from the in-process CPU per request and requestOverheadPercent. */
    before: WindowStats;
    measured: WindowStats;
    /** The prediction from the CPU per request `calibrate()` fitted from this run (service + load generator). */
    after: WindowStats;
    /** The p99 after, predicted at the low and the high end of the fitted CPU's spread (its band, as simulate draws it). */
    afterP99Band: P99Band;
    conditions?: Conditions;
    /** What `calibrate()` fits from this load's rows alone. */
    fittedCpuMs?: CpuMsByShare;
}

export interface RunResult {
    /** CPU ms per request measured in process (k6/calibrate.ts), and the capacity it implies. */
    cpuMs: number;
    capacity: number;
    /** What `calibrate()` fitted from the whole run. */
    fittedCpuMs: CpuMsByShare;
    loads: LoadResult[];
}

// ------------------------------------------------------------------------------------------------- the overhead

export interface Overhead {
    /** capacity ÷ served − 1 at 120 %, in percent. */
    percent: number;
    /** The parts of it the load generator, the service's event loop and other processes (disturbance) used. */
    generatorPercent: number;
    eventLoopPercent: number;
    otherPercent: number;
}

/**
 * What the 120 % load says about the CPU a request really costs the machine: the served rate is the real capacity, so
 * capacity ÷ served − 1 is the share each request costs beyond its count (what the model leaves out), in percent;
 * with the load generator's, the service event loop's and other processes' part of it (their CPU per served request
 * ÷ cpuMs).
 */
export function impliedOverhead(cpuMs: number, capacity: number, overload: LoadResult): Overhead | undefined {
    const c = overload.conditions;
    if (c === undefined || overload.measured.shedPercent === 0 || c.servedRps === 0) return undefined;
    const share = (cores: number) => (100 * (cores * 1000)) / c.servedRps / cpuMs;
    return {
        percent: 100 * (capacity / c.servedRps - 1),
        generatorPercent: share(c.generatorCores),
        eventLoopPercent: share(c.eventLoopCores),
        otherPercent: share(c.otherCores),
    };
}

export function formatOverhead(overhead: Overhead): string {
    const { percent, generatorPercent, eventLoopPercent, otherPercent } = overhead;
    const other = otherPercent >= 0.05 ? `other processes ${otherPercent.toFixed(1)} %, ` : "";
    const rest = percent - generatorPercent - eventLoopPercent - otherPercent;
    return (
        `requests cost ${percent.toFixed(1)} % more CPU than their count (measured at 120 %: load generator ${generatorPercent.toFixed(1)} %, ` +
        `service event loop ${eventLoopPercent.toFixed(1)} %, ${other}the rest ${rest.toFixed(1)} %: worker threads above the in-process measure, kernel); ` +
        `the model assumes requestOverheadPercent = ${DEFAULT_ASSUMPTIONS.requestOverheadPercent} %`
    );
}

/** The fitted CPU per request against the in-process one: "12.9 ms (+8.4 %)". */
export function formatFitted(fittedMs: number, cpuMs: number): string {
    const overhead = 100 * (fittedMs / cpuMs - 1);
    return `${fittedMs.toFixed(2)} ms (${overhead >= 0 ? "+" : "−"}${Math.abs(overhead).toFixed(1)} %)`;
}

// ------------------------------------------------------------------------------------------------- spread

/** The median of some figures over the runs, and the lowest and highest. */
export interface Spread {
    median: number;
    min: number;
    max: number;
}

/** The spread of the figures that are numbers (NaN: nothing measured); all NaN when none is. */
export function spreadOf(values: readonly number[]): Spread {
    const present = values.filter((value) => !Number.isNaN(value));
    if (present.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
    return { median: median(present), min: Math.min(...present), max: Math.max(...present) };
}

export type StatsSpread = { [key in keyof WindowStats]: Spread };

function statsSpread(all: readonly WindowStats[]): StatsSpread {
    const keys = Object.keys(all[0]) as Array<keyof WindowStats>;
    return Object.fromEntries(keys.map((key) => [key, spreadOf(all.map((stats) => stats[key]))])) as StatsSpread;
}

const bandSpread = (bands: readonly P99Band[]) => ({ low: spreadOf(bands.map((band) => band.low)), high: spreadOf(bands.map((band) => band.high)) });

export interface LoadSummary {
    percent: number;
    rate: Spread;
    before: StatsSpread;
    measured: StatsSpread;
    after: StatsSpread;
    afterP99Band: { low: Spread; high: Spread };
    /** How many runs the figures are over, and how many were left out as disturbed. */
    runs: number;
    disturbedRuns: number;
}

/**
 * Per load, the median and spread of each figure over the runs, over the undisturbed runs when there are any;
 * `runs` says how many it took, `disturbedRuns` how many were disturbed.
 */
export function summarizeLoads(runs: readonly RunResult[]): LoadSummary[] {
    return LOAD_PERCENTS.map((percent) => {
        const all = runs.flatMap((run) => run.loads.filter((load) => load.percent === percent));
        const quiet = all.filter((load) => !disturbed(load.conditions));
        const loads = quiet.length > 0 ? quiet : all;
        return {
            percent,
            rate: spreadOf(loads.map((load) => load.rate)),
            before: statsSpread(loads.map((load) => load.before)),
            measured: statsSpread(loads.map((load) => load.measured)),
            after: statsSpread(loads.map((load) => load.after)),
            afterP99Band: bandSpread(loads.map((load) => load.afterP99Band)),
            runs: loads.length,
            disturbedRuns: all.length - quiet.length,
        };
    });
}

/**
 * Each load in percent of the capacity `share`'s fitted CPU per request gives (2 vCPUs ÷ fitted ms), median (min–max)
 * over the runs: the loads are set from the in-process figure, so "90 %" is near 100 % of what the service can serve
 * when requests cost 11 % more than their count, where latency is most sensitive to the CPU per request.
 */
export function formatFittedLoads(runs: readonly RunResult[], share: CpuShare): string {
    const loads = LOAD_PERCENTS.map((percent) => {
        const fitted = spreadOf(runs.map((run) => (percent * run.fittedCpuMs[share]) / run.cpuMs));
        return `${percent} % → ${withSpread(fitted, (value) => value.toFixed(0))} %`;
    });
    return `The loads in percent of the capacity calibrate() fitted (${share} CPU): ${loads.join(", ")}`;
}

// ------------------------------------------------------------------------------------------------- tables

/** A latency as every table prints it: whole ms from 100 on, else one decimal; "–" when nothing was measured. */
export const ms = (value: number) => (Number.isNaN(value) ? "–" : value >= 100 ? value.toFixed(0) : value.toFixed(1));
export const pct = (value: number) => (Number.isNaN(value) ? "–" : `${value.toFixed(1)} %`);

/** "114 (98–130)": the median, and the range when the runs differ. */
function withSpread(spread: Spread, format: (value: number) => string): string {
    const [median, min, max] = [spread.median, spread.min, spread.max].map(format);
    return min === max ? median : `${median} (${min}–${max})`;
}

const latencies = (stats: Pick<StatsSpread, "p50Ms" | "p99Ms">) => `${withSpread(stats.p50Ms, ms)} / ${withSpread(stats.p99Ms, ms)}`;
const shed = (stats: Pick<StatsSpread, "shedPercent">) => withSpread(stats.shedPercent, pct);

const TABLE_HEAD = [
    "| load | predicted before p50 / p99 (ms) | measured p50 / p99 (ms) | predicted after p50 / p99 (ms) | predicted after p99 over the fit's spread (ms) | predicted before 503 | measured 503 | predicted after 503 |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
];

/** One figure as a spread of itself, so one run's loads print through the same table as the medians. */
const single = (value: number): Spread => ({ median: value, min: value, max: value });
const singleStats = (stats: WindowStats): StatsSpread =>
    Object.fromEntries(Object.entries(stats).map(([key, value]) => [key, single(value)])) as StatsSpread;

/** One run's loads as a LoadSummary of one run each. */
export function runSummary(run: RunResult): LoadSummary[] {
    return run.loads.map((load) => ({
        percent: load.percent,
        rate: single(load.rate),
        before: singleStats(load.before),
        measured: singleStats(load.measured),
        after: singleStats(load.after),
        afterP99Band: { low: single(load.afterP99Band.low), high: single(load.afterP99Band.high) },
        runs: 1,
        disturbedRuns: disturbed(load.conditions) ? 1 : 0,
    }));
}

/**
 * The comparison as a markdown table: per load, predicted before calibration, measured, predicted after; latency over
 * every response (200 and 503 alike), the median over the runs with its min–max in brackets. The band is the p99
 * predicted at the low and the high end of the fitted CPU's spread (medians over the runs). A load whose every run was
 * disturbed is marked †.
 */
export function formatTable(loads: readonly LoadSummary[]): string {
    const lines = [...TABLE_HEAD];
    for (const load of loads) {
        const errors = load.measured.errors.max > 0 ? ` (+${withSpread(load.measured.errors, (value) => value.toFixed(0))} errors)` : "";
        lines.push(
            `| ${load.percent} % (${load.rate.median.toFixed(1)} req/s)${load.runs === load.disturbedRuns ? " †" : ""} | ` +
                `${latencies(load.before)} | ${latencies(load.measured)} | ${latencies(load.after)} | ` +
                `${ms(load.afterP99Band.low.median)}–${ms(load.afterP99Band.high.median)} | ` +
                `${shed(load.before)} | ${shed(load.measured)}${errors} | ${shed(load.after)} |`,
        );
    }
    return lines.join("\n");
}

/** What the machine was doing during each load of a run, as a markdown table. */
export function formatConditions(loads: readonly LoadResult[]): string {
    const lines = [
        "| load | started req/s | served 200/s | start lag p99 / max (ms) | in flight max | generator cores (µs/req) | service cores | event loop µs/req | worker CPU ms per 200 | fitted CPU ms per 200: service / + generator | other processes cores | steal cores |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ];
    for (const { percent, conditions: c, fittedCpuMs } of loads) {
        if (c === undefined) continue;
        const fitted = fittedCpuMs === undefined ? "–" : `${fittedCpuMs.service.toFixed(2)} / ${fittedCpuMs["service + load generator"].toFixed(2)}`;
        lines.push(
            `| ${percent} %${disturbed(c) ? " †" : ""} | ${c.startedRps.toFixed(1)} | ${c.servedRps.toFixed(1)} | ${c.lagP99Ms.toFixed(1)} / ${c.lagMaxMs.toFixed(1)} | ${c.maxInFlight} | ` +
                `${c.generatorCores.toFixed(2)} (${c.generatorUsPerRequest.toFixed(0)}) | ${c.serviceCores.toFixed(2)} | ` +
                `${c.eventLoopUsPerRequest.toFixed(0)} | ${c.workerCpuMsPerOk.toFixed(1)} | ${fitted} | ${c.otherCores.toFixed(2)} | ${c.stealCores.toFixed(2)} |`,
        );
    }
    return lines.join("\n");
}

// ------------------------------------------------------------------------------------------------- targets

/** Issue 24's "done means": after calibration, p99 within 25 % of the service's at 50 % and 90 %, shed within 2 points at 120 %. */
export const TARGETS = [
    { percent: 50, figure: "p99", tolerance: 25 },
    { percent: 90, figure: "p99", tolerance: 25 },
    { percent: 120, figure: "503", tolerance: 2 },
] as const;

export interface TargetCheck {
    label: string;
    /** The prediction's error against the measurement: in percent of it for p99, in points for the 503 share. */
    before: number;
    after: number;
    tolerance: number;
    unit: "%" | "points";
    met: boolean;
}

/** How far the medians predicted before and after calibration are from the measured median, for each target. */
export function checkTargets(loads: readonly LoadSummary[]): TargetCheck[] {
    return TARGETS.flatMap((target) => {
        const load = loads.find((summary) => summary.percent === target.percent);
        if (load === undefined) return [];
        const error =
            target.figure === "p99"
                ? (stats: StatsSpread) => 100 * (stats.p99Ms.median / load.measured.p99Ms.median - 1)
                : (stats: StatsSpread) => stats.shedPercent.median - load.measured.shedPercent.median;
        const after = error(load.after);
        return [
            {
                label: `${target.figure} at ${target.percent} %`,
                before: error(load.before),
                after,
                tolerance: target.tolerance,
                unit: target.figure === "p99" ? "%" : "points",
                met: Math.abs(after) <= target.tolerance,
            },
        ];
    });
}

const signed = (value: number) => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)}`;

/** "p99 at 90 %: after −12.0 % ✓ (target ±25 %; before −79.2 %)". */
export function formatTarget(check: TargetCheck): string {
    const unit = check.unit === "%" ? " %" : " points";
    return (
        `${check.label}: after ${signed(check.after)}${unit} ${check.met ? "✓" : "✗"} ` +
        `(target ±${check.tolerance}${unit}; before ${signed(check.before)}${unit})`
    );
}
