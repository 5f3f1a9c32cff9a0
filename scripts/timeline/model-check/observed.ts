/**
 * What the model check measured, as the observed timeline `timeline observe` would have written for it, and the
 * calibration `timeline calibrate` fits from that: the check calibrates the simulator through the same `calibrate()`
 * users run, then predicts again.
 *
 * Rows are one per second of each load's measured window (the loads' windows one after another): `calibrate()` takes
 * the median over rows, so per-second rows give it 15 samples per load and a spread to show, where one row per load
 * would leave it three, each from a different load. A second holds ≈ 80–200 responses and 200 clock ticks of CPU
 * (/proc counts 10 ms ticks over two cores), so its figure is good to about 1 %.
 *
 * Which CPU is the task's: on Fargate the load generator runs elsewhere and the task's CPU is the service's alone.
 * Here the generator (this process) shares the two cores with the service, and its CPU per request is CPU the
 * service's worker threads cannot use: the capacity this machine shows at 120 % is two cores ÷ (service + generator)
 * CPU per request. So the figure that predicts this machine is "service + load generator"; "service" alone is what a
 * run on Fargate would measure of the same service. Both are fitted and printed; the predictions use the first.
 * Other processes' CPU counts in neither: it is disturbance, which the check waits out and marks (†).
 */
import type { EnvironmentStackConfig } from "../../../config";
import { calibrate } from "../calibrate/fit";
import type { Calibration } from "../calibrate/calibration";
import { quantiles, round, stackSummaryContext, summarize, timelineScaling } from "../summary";
import type { Timeline, TimelineRow } from "../timeline";
import { COMPARED_STACK, Sample, VCPUS } from "./check";

/** One request of the real load, with when it was due, sent and completed (seconds from the load's start). */
export interface RealSample extends Sample {
    due: number;
    sent: number;
    completed: number;
}

/** CPU-seconds used so far, read at `t` seconds from the load's start (/proc and process.cpuUsage). */
export interface CpuReading {
    t: number;
    /** The service's process: its event loop, worker threads and V8's helper threads. */
    serviceSeconds: number;
    /** This process: the load generator. */
    generatorSeconds: number;
}

/** Whose CPU a timeline counts as the task's (see the module's comment). */
export const CPU_SHARES = ["service + load generator", "service"] as const;
export type CpuShare = (typeof CPU_SHARES)[number];

/** A load as the timeline sees it: its requests and the CPU readings at each second of its measured window. */
export interface ObservedLoad {
    percent: number;
    samples: readonly RealSample[];
    readings: readonly CpuReading[];
}

function cpuSeconds(reading: CpuReading, share: CpuShare): number {
    return share === "service" ? reading.serviceSeconds : reading.serviceSeconds + reading.generatorSeconds;
}

/** One row per interval between consecutive readings, as CloudWatch would give them for one task; t from 0. */
export function observedRows(load: Pick<ObservedLoad, "samples" | "readings">, share: CpuShare): TimelineRow[] {
    const { samples, readings } = load;
    return readings.slice(1).map((end, index) => {
        const start = readings[index];
        const seconds = end.t - start.t;
        const completed = samples.filter((sample) => sample.completed >= start.t && sample.completed < end.t);
        const rate = (count: number) => round(count / seconds, 3);
        const count = (keep: (status: number) => boolean) => completed.filter((sample) => keep(sample.status)).length;
        const latencies = completed.filter((sample) => sample.status !== 0).map((sample) => sample.latencyMs);
        const cpuAverage = round((100 * (cpuSeconds(end, share) - cpuSeconds(start, share))) / (seconds * VCPUS), 2);
        const [p50, p99] = quantiles(latencies, [0.5, 0.99]).map((value) => (value === null ? null : round(value, 1)));
        return {
            t: index,
            offeredRps: rate(samples.filter((sample) => sample.due >= start.t && sample.due < end.t).length),
            servedRps: rate(count((status) => status === 200)),
            shedRps: rate(count((status) => status === 503)),
            errorRps: rate(count((status) => status !== 200 && status !== 503)),
            cpuAverage,
            cpuMaximum: cpuAverage,
            desiredTasks: 1,
            pendingTasks: 0,
            runningTasks: 1,
            p50Ms: p50,
            p99Ms: p99,
        };
    });
}

/** The observed timeline of some loads' measured windows, one after another, with `share`'s CPU as the task's. */
export function observedTimeline(loads: readonly ObservedLoad[], share: CpuShare, config: EnvironmentStackConfig = COMPARED_STACK): Timeline {
    const rows: TimelineRow[] = [];
    const notes: string[] = [];
    for (const load of loads) {
        const offset = rows.length;
        rows.push(...observedRows(load, share).map((row) => ({ ...row, t: row.t + offset })));
        notes.push(`rows t=${offset}–${rows.length - 1} s: ${load.percent} % of the in-process capacity`);
    }
    notes.push(
        "t counts measured seconds only: each load's window follows the previous one's, without the warm-ups, drains and pauses between them",
        `cpuAverage is the CPU of the ${share} over the task's ${VCPUS} vCPUs (/proc), what competes for the cores on this machine`,
    );
    const latenciesMs = loads.flatMap((load) => load.samples.filter((sample) => sample.status !== 0).map((sample) => sample.latencyMs));
    return {
        kind: "observed",
        // The stack file the compared task would have: calibrate() checks the timeline observed that stack.
        stack: `Pulumi.${config.environment.name}.yaml`,
        script: "model-check",
        stepSeconds: 1,
        rows,
        events: [],
        notes,
        assumptions: { cpuShare: share },
        summary: summarize(rows, {
            ...stackSummaryContext(config, config.scaling),
            stepSeconds: 1,
            activities: [],
            taskServingTimes: [],
            latenciesMs,
        }),
        scaling: timelineScaling(config.scaling),
    };
}

/** What `timeline calibrate` fits from these loads, with `share`'s CPU as the task's. */
export function calibrateLoads(loads: readonly ObservedLoad[], share: CpuShare): Calibration {
    return calibrate(observedTimeline(loads, share), COMPARED_STACK, `npm run timeline:check-model (${share} CPU)`);
}
