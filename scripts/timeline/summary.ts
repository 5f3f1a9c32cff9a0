/**
 * A timeline's summary numbers, computed one way for predicted and observed timelines alike, so the two can be
 * compared line by line.
 */
import { cpuThresholds } from "../../components/scaling-thresholds";
import type { EnvironmentStackConfig, ScalingConfig } from "../../config";
import { FARGATE_PRICES_AS_OF, estimateFargateCost } from "../loadtest/pricing";
import type { TimelineRow, TimelineScaling, TimelineSummary } from "./timeline";

/** A scale-out followed by a scale-in (or the reverse) within this many seconds counts as a reversal: flapping. */
export const FLAP_WINDOW_SECONDS = 600;

/** One change of the desired count, as a scaling activity made it. */
export interface ScalingActivity {
    t: number;
    from: number;
    to: number;
}

export interface SummaryContext {
    stepSeconds: number;
    maxCapacity: number;
    /** The CPU (%) at which scaling starts to add tasks: the step threshold, or the tracking target. */
    scaleOutCpu: number;
    /** Which CPU statistic the scaling watches. */
    cpuStatistic: "Average" | "Maximum";
    activities: readonly ScalingActivity[];
    /** When tasks added by a scale-out first took traffic, when the source knows it (the simulator does). */
    taskServingTimes: readonly number[];
    /** Every response time of the run in ms when known (the simulator); else the rows' p99s are combined. */
    latenciesMs?: ArrayLike<number>;
    /** Seconds each task ran (launch to stop, within the run), when known; else the rows' task counts are used. */
    taskSeconds?: readonly number[];
    region: string;
    cpuUnits: number;
    memoryMiB: number;
}

/** The CPU at which a scaling config starts adding tasks, and the statistic it watches; none when it follows another metric. */
export function scaleOutCpu(scaling: ScalingConfig): { cpu: number; statistic: "Average" | "Maximum"; label: string } {
    if (scaling.mode === "step") return { cpu: scaling.threshold, statistic: scaling.statistic, label: `${scaling.statistic} CPU ≥ ${scaling.threshold}%` };
    if (scaling.metric === "cpu") return { cpu: scaling.targetValue, statistic: "Average", label: `Average CPU ≥ ${scaling.targetValue}% (target tracking)` };
    return { cpu: Number.POSITIVE_INFINITY, statistic: "Average", label: `none: target tracking follows ${scaling.metric}, not CPU` };
}

/** A timeline's `scaling`: what the charts draw the thresholds and capacity bounds from. */
export function timelineScaling(scaling: ScalingConfig): TimelineScaling {
    return { mode: scaling.mode, minCapacity: scaling.minCapacity, maxCapacity: scaling.maxCapacity, cpuThresholds: cpuThresholds(scaling) };
}

/** The part of a summary's context the stack file gives: capacity, the scale-out CPU, and the task size and region for the cost. */
export function stackSummaryContext(
    config: EnvironmentStackConfig,
    scaling: ScalingConfig,
): Pick<SummaryContext, "maxCapacity" | "scaleOutCpu" | "cpuStatistic" | "region" | "cpuUnits" | "memoryMiB"> {
    const { cpu, statistic } = scaleOutCpu(scaling);
    return {
        maxCapacity: scaling.maxCapacity,
        scaleOutCpu: cpu,
        cpuStatistic: statistic,
        region: config.aws.region,
        cpuUnits: config.service.cpu,
        memoryMiB: config.service.memory,
    };
}

/** The values at each `fraction` (0–1) of the values, nearest rank, sorting them once; nulls for none. */
export function quantiles(values: ArrayLike<number>, fractions: readonly number[]): Array<number | null> {
    if (values.length === 0) return fractions.map(() => null);
    const sorted = Float64Array.from(values).sort();
    return fractions.map((fraction) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]);
}

/** The value at `fraction` (0–1) of the values, nearest rank; null for none. */
export function quantile(values: ArrayLike<number>, fraction: number): number | null {
    return quantiles(values, [fraction])[0];
}

/** `value` to `digits` decimals, as every timeline figure is written. */
export function round(value: number, digits = 2): number {
    return Math.round(value * 10 ** digits) / 10 ** digits;
}

function countReversals(activities: readonly ScalingActivity[]): number {
    let reversals = 0;
    for (let i = 1; i < activities.length; i++) {
        const previous = activities[i - 1];
        const current = activities[i];
        const turned = Math.sign(current.to - current.from) !== Math.sign(previous.to - previous.from);
        if (turned && current.t - previous.t <= FLAP_WINDOW_SECONDS) reversals++;
    }
    return reversals;
}

/**
 * The run's numbers from its rows. Each row lasts its own `seconds` (an observed run's first and last minute, which
 * it covers only partly) or else `stepSeconds`: its rates times that are its counts, and the run's length, time at max
 * capacity and task time add up those durations.
 */
export function summarize(rows: readonly TimelineRow[], context: SummaryContext): TimelineSummary {
    const rowSeconds = (row: TimelineRow) => row.seconds ?? context.stepSeconds;
    const total = (pick: (row: TimelineRow) => number | null) => rows.reduce((sum, row) => sum + (pick(row) ?? 0) * rowSeconds(row), 0);
    const requests = total((row) => row.offeredRps);
    const shedRequests = total((row) => row.shedRps);

    const breach = rows.find((row) => {
        const cpu = context.cpuStatistic === "Average" ? row.cpuAverage : row.cpuMaximum;
        return cpu !== null && cpu >= context.scaleOutCpu;
    });
    const firstScaleOut = context.activities.find((activity) => activity.to > activity.from);
    const firstServing = firstScaleOut === undefined ? undefined : context.taskServingTimes.find((t) => t >= firstScaleOut.t);

    let p99Ms: number | null;
    if (context.latenciesMs !== undefined) {
        p99Ms = quantile(context.latenciesMs, 0.99);
    } else {
        // Without every response time, the worst step's p99 bounds the run's from above.
        const p99s = rows.map((row) => row.p99Ms).filter((value): value is number => value !== null);
        p99Ms = p99s.length === 0 ? null : Math.max(...p99s);
    }

    const taskSeconds = context.taskSeconds ?? [total((row) => (row.runningTasks ?? 0) + (row.pendingTasks ?? 0))];
    const price = (seconds: number) =>
        seconds <= 0
            ? 0
            : estimateFargateCost({ region: context.region, cpuUnits: context.cpuUnits, memoryMiB: context.memoryMiB, tasks: 1, seconds, spot: false }).usd;

    return {
        durationSeconds: round(total(() => 1), 3),
        requests: Math.round(requests),
        shedRequests: Math.round(shedRequests),
        shedPercent: requests > 0 ? round((100 * shedRequests) / requests) : 0,
        p99Ms: p99Ms === null ? null : round(p99Ms, 1),
        peakTasks: Math.max(0, ...rows.map((row) => row.runningTasks ?? 0)),
        minutesAtMaxCapacity: round(total((row) => ((row.runningTasks ?? 0) >= context.maxCapacity ? 1 : 0)) / 60, 1),
        firstBreachSeconds: breach?.t ?? null,
        firstScaleOutSeconds: firstScaleOut?.t ?? null,
        firstNewTaskServingSeconds: firstServing ?? null,
        scaleOuts: context.activities.filter((activity) => activity.to > activity.from).length,
        scaleIns: context.activities.filter((activity) => activity.to < activity.from).length,
        reversals: countReversals(context.activities),
        taskHours: round(taskSeconds.reduce((total, seconds) => total + seconds, 0) / 3600, 3),
        costUsd: round(taskSeconds.reduce((total, seconds) => total + price(seconds), 0), 4),
        pricesAsOf: FARGATE_PRICES_AS_OF,
    };
}
