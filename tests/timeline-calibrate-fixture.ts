/**
 * Observed runs without AWS, for tests/timeline-calibrate.test.ts: a shipped stack simulated with inputs the
 * calibrator is not told (the hidden truth), then written the way `timeline observe` would read that run back.
 *
 *   - rows with seeded noise on CPU and rates, the first and last minute partial (the run started into its first
 *     minute and ended into its last: their rates over the seconds covered, their CPU over the whole minute);
 *     noise never moves a CPU datapoint across a scaling threshold, since the alarms read the very datapoints
 *     observe reports;
 *   - the scaling and alarm events at the simulated times, alarms named as observe names them;
 *   - optionally ECS's service events: "has started N tasks" when the scheduler launched them, "registered N targets"
 *     when they ran (the simulator's "task N serving" less the health check it adds, simulate/tasks.ts).
 */
import { meanCpuMs } from "../k6/lib/limits";
import type { EnvironmentStackConfig } from "../config";
import type { TimelineScript } from "../scripts/timeline/args";
import { resolveAssumptions } from "../scripts/timeline/simulate/assumptions";
import { type SimulationResult, runSimulation, seededRandom } from "../scripts/timeline/simulate/engine";
import { readWorkload, requestCost } from "../scripts/timeline/simulate/load";
import { simulatedService } from "../scripts/timeline/simulate/simulate";
import { stackSummaryContext, summarize, timelineScaling } from "../scripts/timeline/summary";
import { type Timeline, type TimelineEvent, type TimelineRow, timelineSchema } from "../scripts/timeline/timeline";
import { environmentResourceNames } from "../stacks/environment-names";
import { loadStackFile } from "./environment-fixtures";

export const STEP_SECONDS = 60;

/** What the calibrator must find: the table's CPU scaled by cpuScale, and the two timing assumptions. */
export interface HiddenTruth {
    cpuScale: number;
    taskStartupSeconds: number;
    datapointDelaySeconds: number;
}

export interface ObservedRunRequest {
    stackFile: string;
    script: TimelineScript;
    env: Readonly<Record<string, string>>;
    truth: HiddenTruth;
    /** Whether the run has ECS's service events (else the start-up is only known to the minute). */
    serviceEvents: boolean;
    /** Relative noise on CPU and rates: 0.03 = ±3 %. */
    noise: number;
    seed: number;
}

export interface ObservedRun {
    config: EnvironmentStackConfig;
    observed: Timeline;
    /** The hidden per-request CPU, everything included: the drawn cost plus requestOverheadPercent. */
    cpuMsPerRequest: number;
}

/** Seconds of the run in its first and last minute. */
export const FIRST_MINUTE_SECONDS = 25;
export const LAST_MINUTE_SECONDS = 40;

/** Seconds from a scaling activity to ECS's "has started" event. */
const SCHEDULER_SECONDS = 2;

export function observedRun(request: ObservedRunRequest): ObservedRun {
    const config = loadStackFile(request.stackFile) as EnvironmentStackConfig;
    const { workload, limits } = readWorkload(request.script, request.env);
    const cost = requestCost(limits, meanCpuMs(limits) * request.truth.cpuScale);
    const assumptions = resolveAssumptions({
        taskStartupSeconds: request.truth.taskStartupSeconds,
        datapointDelaySeconds: request.truth.datapointDelaySeconds,
    });
    const service = simulatedService(config);
    const result = runSimulation({ stepSeconds: STEP_SECONDS, service, scaling: config.scaling, workload, cost, assumptions });

    const scaling = timelineScaling(config.scaling);
    const thresholds = scaling.cpuThresholds.map((threshold) => threshold.value);
    const rows = observedRows(result.rows, thresholds, request.noise, request.seed);
    const names = environmentResourceNames(config);
    const events = [
        ...result.events.filter((event) => event.kind === "scaling"),
        ...result.events.filter((event) => event.kind === "alarm").map(observedAlarm),
        ...(request.serviceEvents ? ecsServiceEvents(result.events, config.service.healthCheck.intervalSeconds) : []),
    ].sort((a, b) => a.t - b.t);
    const observed = timelineSchema.parse({
        kind: "observed",
        stack: request.stackFile,
        script: request.script,
        stepSeconds: STEP_SECONDS,
        rows,
        events,
        assumptions: { clusterName: names.clusterName, serviceName: names.serviceName, metricPeriodSeconds: STEP_SECONDS },
        summary: summarize(rows, {
            ...stackSummaryContext(config, config.scaling),
            stepSeconds: STEP_SECONDS,
            activities: result.activities,
            taskServingTimes: result.taskServingTimes,
        }),
        scaling,
    });
    return { config, observed, cpuMsPerRequest: cost.meanCpuMs * (1 + assumptions.requestOverheadPercent / 100) };
}

/** `value` times a factor within ±noise, unless that would move it across one of the thresholds. */
function noisyCpu(value: number | null, factor: number, thresholds: readonly number[]): number | null {
    if (value === null) return null;
    const noisy = Math.min(100, value * factor);
    return thresholds.some((threshold) => value >= threshold !== noisy >= threshold) ? value : noisy;
}

function observedRows(rows: readonly TimelineRow[], thresholds: readonly number[], noise: number, seed: number): TimelineRow[] {
    const random = seededRandom(seed);
    const factor = () => 1 + noise * (2 * random() - 1);
    return rows.map((row, index) => {
        const seconds = index === 0 ? FIRST_MINUTE_SECONDS : index === rows.length - 1 ? LAST_MINUTE_SECONDS : undefined;
        // A partial minute: the tasks' CPU over the whole minute, the load in part of it.
        const loaded = (seconds ?? STEP_SECONDS) / STEP_SECONDS;
        const cpuFactor = factor() * loaded;
        const served = (row.servedRps ?? 0) * factor();
        const shed = (row.shedRps ?? 0) * factor();
        return {
            ...row,
            offeredRps: served + shed,
            servedRps: served,
            shedRps: shed,
            cpuAverage: noisyCpu(row.cpuAverage, cpuFactor, thresholds),
            cpuMaximum: noisyCpu(row.cpuMaximum, cpuFactor, thresholds),
            ...(seconds === undefined ? {} : { seconds }),
        };
    });
}

/** The simulator names target tracking's alarms "AlarmHigh"/"AlarmLow"; observe "target-tracking AlarmHigh". */
function observedAlarm(event: TimelineEvent): TimelineEvent {
    return /^Alarm(High|Low):/.test(event.detail) ? { ...event, detail: `target-tracking ${event.detail}` } : event;
}

const taskArn = (id: string) => `(task ${Number(id).toString(16).padStart(16, "0")})`;

/** Task ids by the time a milestone happened to them. */
function tasksByTime(events: readonly TimelineEvent[], pattern: RegExp, shift: number): Map<number, string[]> {
    const byTime = new Map<number, string[]>();
    for (const event of events) {
        const id = pattern.exec(event.detail)?.[1];
        if (event.kind !== "task" || id === undefined) continue;
        const t = event.t + shift;
        byTime.set(t, [...(byTime.get(t) ?? []), id]);
    }
    return byTime;
}

/** ECS's service events for the simulated tasks, worded as ECS words them (observe drops the "(service …)" prefix). */
export function ecsServiceEvents(events: SimulationResult["events"], healthCheckSeconds: number): TimelineEvent[] {
    const started = [...tasksByTime(events, /^task (\d+) launched$/, SCHEDULER_SECONDS)].map(([t, ids]) => ({
        t,
        kind: "service" as const,
        detail: `has started ${ids.length} tasks: ${ids.map(taskArn).join(" ")}.`,
    }));
    const registered = [...tasksByTime(events, /^task (\d+) serving$/, -healthCheckSeconds)].map(([t, ids]) => ({
        t,
        kind: "service" as const,
        detail: `registered ${ids.length} targets in (target-group arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/dev-prime-counter/0123456789abcdef)`,
    }));
    return [...started, ...registered];
}

/** A row of a hand-built timeline: one steady dev task (0.25 vCPU) at 50 % serving 5 requests/s, unless overridden. */
export function steadyRow(t: number, overrides: Partial<TimelineRow> = {}): TimelineRow {
    return {
        t,
        offeredRps: 5,
        servedRps: 5,
        shedRps: 0,
        cpuAverage: 50,
        cpuMaximum: 50,
        desiredTasks: 1,
        pendingTasks: 0,
        runningTasks: 1,
        p50Ms: 30,
        p99Ms: 90,
        ...overrides,
    };
}

/** A hand-built observed timeline of Pulumi.dev.yaml's service, for the fits' unit tests. */
export function handBuiltTimeline(rows: readonly TimelineRow[], events: readonly TimelineEvent[] = []): Timeline {
    const config = loadStackFile("Pulumi.dev.yaml") as EnvironmentStackConfig;
    const names = environmentResourceNames(config);
    return timelineSchema.parse({
        kind: "observed",
        stack: "Pulumi.dev.yaml",
        script: "stress",
        stepSeconds: STEP_SECONDS,
        rows,
        events,
        assumptions: { clusterName: names.clusterName, serviceName: names.serviceName },
        summary: summarize(rows, { ...stackSummaryContext(config, config.scaling), stepSeconds: STEP_SECONDS, activities: [], taskServingTimes: [] }),
        scaling: timelineScaling(config.scaling),
    });
}
