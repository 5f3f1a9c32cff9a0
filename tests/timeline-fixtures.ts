/**
 * Timelines for the report's tests: a 30-minute run of a dev-sized stack (step scaling, 1–4 tasks of 0.25 vCPU)
 * under a ramp to 40 req/s, predicted, observed and calibrated. All are built from the same small model so they look
 * like the real thing: the load outgrows one task, CPU crosses the threshold, an alarm fires, scaling adds tasks that
 * serve a minute later, requests are shed meanwhile, and the run ramps down and scales in. The observed run reacts a
 * minute later, is noisier, and has the gaps CloudWatch leaves (a missing CPU datapoint, no latency without
 * requests); the calibrated prediction reacts as late as the observed run, without its noise.
 */
import { type Band, bandRow } from "../scripts/timeline/band";
import { summarize, type ScalingActivity } from "../scripts/timeline/summary";
import { timelineSchema, type Timeline, type TimelineEvent, type TimelineKind, type TimelineRow } from "../scripts/timeline/timeline";

export const FIXTURE_STEP_SECONDS = 60;
export const FIXTURE_MINUTES = 30;
export const FIXTURE_SCALING: Timeline["scaling"] = {
    mode: "step",
    minCapacity: 1,
    maxCapacity: 4,
    // As components/scaling-thresholds.ts labels the lines of Pulumi.dev.yaml's step scaling.
    cpuThresholds: [
        { label: "Average < 20%: -1 task(s)", value: 20 },
        { label: "Average ≥ 40%: +1 task(s)", value: 40 },
        { label: "Average ≥ 70%: +2 task(s)", value: 70 },
    ],
};

/** An event detail that would run script if any of it reached the page as markup. */
export const HOSTILE_DETAIL = `</script><img src=x onerror="window.pwned=1;fetch('http://127.0.0.1:9/pwned')"><!-- & "quotes" 'too'`;

/** Requests per second one task serves at 100 % CPU. */
const TASK_RPS = 16;

/** Offered load at minute m: a 5-minute ramp from 0 to 40 req/s, 20 minutes there, a 5-minute ramp down to 0. */
function offeredAt(minute: number): number {
    if (minute < 5) return (40 * minute) / 5;
    if (minute < 25) return 40;
    return Math.max(0, (40 * (29 - minute)) / 5);
}

const FIXTURE_TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/dev-prime-counter/6d0ecf831eec9f09";

/** Deterministic noise in [-1, 1], so the observed run is jagged but the same on every run of the tests. */
const noise = (minute: number, salt: number) => (Math.sin(minute * 12.9898 + salt * 78.233) * 43758.5453) % 1;

interface Plan {
    kind: TimelineKind;
    /** Desired tasks from each minute on. */
    desired: Array<[minute: number, tasks: number]>;
    /** Minutes a new task is pending before it serves. */
    pendingMinutes: number;
    jitter: number;
    /** Minutes whose CPU datapoints are missing. */
    cpuGaps: number[];
}

function desiredAt(plan: Plan, minute: number): number {
    let tasks = 1;
    for (const [from, count] of plan.desired) if (minute >= from) tasks = count;
    return tasks;
}

function build(plan: Plan, extraEvents: TimelineEvent[] = []): Timeline {
    const rows: TimelineRow[] = [];
    const events: TimelineEvent[] = [];
    const activities: ScalingActivity[] = [];
    const taskServingTimes: number[] = [];
    let alarm = false;
    for (let minute = 0; minute < FIXTURE_MINUTES; minute++) {
        const t = minute * FIXTURE_STEP_SECONDS;
        const desired = desiredAt(plan, minute);
        const previous = minute === 0 ? desired : desiredAt(plan, minute - 1);
        // Scale-outs wait plan.pendingMinutes before serving; scale-ins stop at once.
        const servingDesired = desiredAt(plan, minute - plan.pendingMinutes);
        const running = Math.min(desired, servingDesired);
        const pending = desired - running;
        if (desired !== previous) {
            activities.push({ t, from: previous, to: desired });
            const change = desired > previous ? `+${desired - previous}` : `${desired - previous}`;
            events.push({ t, kind: "scaling", detail: `desired ${previous} → ${desired} (${change})` });
            if (desired > previous) {
                const serving = t + plan.pendingMinutes * FIXTURE_STEP_SECONDS;
                taskServingTimes.push(serving);
                events.push({ t: serving, kind: "task", detail: `${desired - previous} task(s) started, serving` });
                // What ECS says of the service when the new tasks register (observe reads it; a prediction has none).
                if (plan.kind === "observed") events.push({ t: serving - 15, kind: "service", detail: `registered ${desired - previous} targets in (target-group ${FIXTURE_TARGET_GROUP_ARN})` });
            } else {
                events.push({ t, kind: "task", detail: `${previous - desired} task(s) stopped` });
            }
        }
        const jitter = 1 + plan.jitter * noise(minute, 1);
        const offered = Math.round(offeredAt(minute) * jitter * 10) / 10;
        const capacity = running * TASK_RPS;
        const served = Math.min(offered, capacity * 0.97);
        const shed = Math.max(0, offered - served);
        const utilization = capacity > 0 ? served / capacity : 0;
        const cpuAverage = Math.min(100, 100 * utilization);
        const cpuMaximum = Math.min(100, cpuAverage * (1.08 + plan.jitter * Math.abs(noise(minute, 2))));
        const p50 = offered > 0 ? 18 / Math.max(0.05, 1 - utilization) : null;
        const p99 = p50 === null ? null : shed > 0 ? 2400 * jitter : p50 * 4.6 * jitter;
        const cpuMissing = plan.cpuGaps.includes(minute);
        rows.push({
            t,
            offeredRps: offered,
            servedRps: Math.round(served * 10) / 10,
            shedRps: Math.round(shed * 10) / 10,
            cpuAverage: cpuMissing ? null : Math.round(cpuAverage * 10) / 10,
            cpuMaximum: cpuMissing ? null : Math.round(cpuMaximum * 10) / 10,
            desiredTasks: desired,
            pendingTasks: pending,
            runningTasks: running,
            p50Ms: p50 === null ? null : Math.round(p50 * 10) / 10,
            p99Ms: p99 === null ? null : Math.round(p99 * 10) / 10,
            // What only observe reads: the service's errors (a few while it sheds) and its longest queue.
            ...(plan.kind === "observed" ? { errorRps: Math.round((shed > 0 ? 0.2 + shed * 0.05 : 0) * 10) / 10, queueMax: shed > 0 ? 64 : Math.round(8 * utilization) } : {}),
        });
        // A missing datapoint leaves the alarm as it was (treat missing data: ignore).
        const high: boolean = cpuMissing ? alarm : cpuAverage >= 40;
        if (high !== alarm) {
            alarm = high;
            const state = high ? "OK → ALARM" : "ALARM → OK";
            events.push({ t: t + FIXTURE_STEP_SECONDS, kind: "alarm", detail: `ecs-loadlab-dev-cpu-step: ${state} (CPU average ${cpuAverage.toFixed(1)} %)` });
        }
    }
    events.push(...extraEvents);
    events.sort((a, b) => a.t - b.t);
    const summary = summarize(rows, {
        stepSeconds: FIXTURE_STEP_SECONDS,
        maxCapacity: FIXTURE_SCALING.maxCapacity,
        scaleOutCpu: 40,
        cpuStatistic: "Average",
        activities,
        taskServingTimes,
        region: "eu-west-1",
        cpuUnits: 256,
        memoryMiB: 512,
    });
    const assumptions: Timeline["assumptions"] =
        plan.kind === "predicted"
            ? { cpuMsPerRequest: 16.7, taskStartupSeconds: 45, healthCheckPasses: 1, metricPeriodSeconds: 60, queueModel: "M/M/c per task" }
            : { metricPeriodSeconds: 60, latencySource: "ALB TargetResponseTime" };
    return timelineSchema.parse({
        kind: plan.kind,
        stack: "Pulumi.dev.yaml",
        script: "load",
        stepSeconds: FIXTURE_STEP_SECONDS,
        rows,
        events,
        assumptions,
        summary,
        scaling: FIXTURE_SCALING,
    });
}

export function fixtureTimeline(kind: TimelineKind, extraEvents: TimelineEvent[] = []): Timeline {
    if (kind === "predicted") {
        return build({ kind, desired: [[3, 2], [5, 4], [27, 3], [28, 2], [29, 1]], pendingMinutes: 1, jitter: 0, cpuGaps: [] }, extraEvents);
    }
    return build({ kind, desired: [[4, 2], [6, 4], [28, 2]], pendingMinutes: 2, jitter: 0.12, cpuGaps: [12, 13] }, extraEvents);
}

/** A prediction made with a calibration (simulate --calibration): it reacts as late as the observed run. */
export function fixtureCalibrated(): Timeline {
    const timeline = build({ kind: "predicted", desired: [[4, 2], [6, 4], [28, 2]], pendingMinutes: 2, jitter: 0, cpuGaps: [] });
    return { ...timeline, assumptions: { ...timeline.assumptions, calibration: "calibration.json", cpuMsSource: "calibration calibration.json (observed observed.json, 24 rows)" } };
}

/**
 * The predicted fixture with a band by hand: the low end runs a task fewer while it scales out and sheds half as
 * much, the high end sheds more; p99 × 0.7 and × 1.4. Every banded series has width somewhere.
 */
export function fixtureBanded(): Timeline & { band: Band } {
    const timeline = fixtureTimeline("predicted");
    const scaled = (value: number | null, factor: number, plus = 0) => (value === null ? null : Math.round((value * factor + plus) * 10) / 10);
    const low = timeline.rows.map((row) => ({
        ...bandRow(row),
        runningTasks: row.t < 600 && (row.runningTasks ?? 0) > 1 ? (row.runningTasks ?? 0) - 1 : row.runningTasks,
        shedRps: scaled(row.shedRps, 0.5),
        p99Ms: scaled(row.p99Ms, 0.7),
    }));
    const high = timeline.rows.map((row) => ({ ...bandRow(row), shedRps: scaled(row.shedRps, 1.5, row.t < 600 ? 2 : 0), p99Ms: scaled(row.p99Ms, 1.4) }));
    return { ...timeline, band: { cpuMsPerRequest: { low: 15, high: 18.4 }, source: "±10 % of the calibration table", low, high } };
}

/** The predicted and observed timelines of one run, for a report of both. */
export function fixturePair(): { predicted: Timeline; observed: Timeline } {
    return { predicted: fixtureTimeline("predicted"), observed: fixtureTimeline("observed") };
}

/** A timeline of the same shape in which nothing was measured: every value null, no events. Its charts are empty. */
export function emptyTimeline(kind: TimelineKind = "predicted"): Timeline {
    const base = fixtureTimeline(kind);
    return {
        ...base,
        rows: base.rows.map((row) => ({
            t: row.t,
            offeredRps: null,
            servedRps: null,
            shedRps: null,
            cpuAverage: null,
            cpuMaximum: null,
            desiredTasks: null,
            pendingTasks: null,
            runningTasks: null,
            p50Ms: null,
            p99Ms: null,
        })),
        events: [],
    };
}
