/**
 * taskStartupSeconds: from a scale-out activity to its new tasks running. One sample per scale-out, paired with the
 * next time ECS says new tasks run (./events.ts runningMarkers), or, in a run without ECS events, with the next minute
 * whose running task count rose (to the minute only).
 *
 * Both mark RUNNING, where the simulator's start-up ends: it adds the health check that puts a running task in
 * service on top (simulate/tasks.ts taskMilestones), so nothing is subtracted here. A serving marker (a healthy
 * target) would overshoot by that check.
 */
import { round } from "../summary";
import type { TimelineEvent, TimelineRow } from "../timeline";
import { ASSUMPTIONS } from "../simulate/assumptions";
import { type FitResult, at, exactSample } from "./figure";
import { type ScaleOut, type TaskMarker, runningMarkers, scaleOuts } from "./events";

const MAX_STARTUP_SECONDS = ASSUMPTIONS.taskStartupSeconds.max;
const STAYS = `task start-up not calibrated; the assumption stays ${ASSUMPTIONS.taskStartupSeconds.value} s`;

const describeScaleOut = (scaleOut: ScaleOut) => `scale-out at ${at(scaleOut.t)} (desired ${scaleOut.from} → ${scaleOut.to})`;

/** Why a start-up (its bounds, in s) cannot be right, or undefined when it can. */
function implausible(low: number, high: number): string | undefined {
    if (high <= 0) return "not after it";
    if (low > MAX_STARTUP_SECONDS) return `more than ${MAX_STARTUP_SECONDS} s after it`;
    return undefined;
}

/**
 * Each scale-out paired with the first marker after it not taken by an earlier one; a scale-out of n tasks takes
 * markers until they count n (ECS may register them one by one), and its sample is the first.
 */
export function startupFromMarkers(activities: readonly ScaleOut[], markers: readonly TaskMarker[], kind: "registration" | "start"): FitResult {
    const result: FitResult = { samples: [], notes: [] };
    let next = 0;
    for (const scaleOut of activities) {
        while (next < markers.length && markers[next].t < scaleOut.t) next++;
        const first = markers[next];
        if (first === undefined) {
            result.notes.push(`${describeScaleOut(scaleOut)}: no ECS event says its tasks ran before the run ended; left out`);
            continue;
        }
        for (let counted = 0; next < markers.length && counted < scaleOut.to - scaleOut.from; next++) counted += markers[next].tasks;
        const seconds = first.t - scaleOut.t;
        const problem = implausible(seconds, seconds);
        const pair = `${describeScaleOut(scaleOut)} → "${first.detail}" at ${at(first.t)}`;
        if (problem !== undefined) {
            result.notes.push(`${pair}: ${problem}, refused`);
            continue;
        }
        const caveat = kind === "start" ? " (ECS's start, not its registration: the task may have run later)" : "";
        result.samples.push(exactSample(seconds, `${pair}: ${round(seconds, 1)} s${caveat}`));
    }
    return result;
}

/** A minute whose running task count is above the last known one. */
interface Rise {
    t: number;
    from: number;
    to: number;
}

function runningRises(rows: readonly TimelineRow[]): Rise[] {
    const rises: Rise[] = [];
    let last: number | null = null;
    for (const row of rows) {
        if (row.runningTasks === null) continue;
        if (last !== null && row.runningTasks > last) rises.push({ t: row.t, from: last, to: row.runningTasks });
        last = row.runningTasks;
    }
    return rises;
}

/**
 * Each scale-out paired with the first rise, not taken by an earlier one, in or after the minute of the activity.
 * The task ran somewhere in that minute: the sample is its middle, its bounds the minute (from the activity on).
 */
export function startupFromRows(activities: readonly ScaleOut[], rows: readonly TimelineRow[], stepSeconds: number): FitResult {
    const result: FitResult = { samples: [], notes: [] };
    const rises = runningRises(rows);
    let next = 0;
    for (const scaleOut of activities) {
        while (next < rises.length && rises[next].t + stepSeconds <= scaleOut.t) next++;
        const rise = rises[next];
        if (rise === undefined) {
            result.notes.push(`${describeScaleOut(scaleOut)}: the running task count did not rise after it; left out`);
            continue;
        }
        next++;
        const low = Math.max(rise.t, scaleOut.t) - scaleOut.t;
        const high = rise.t + stepSeconds - scaleOut.t;
        const pair = `${describeScaleOut(scaleOut)} → running tasks ${round(rise.from, 2)} → ${round(rise.to, 2)} in the minute at ${at(rise.t)}`;
        const problem = implausible(low, high);
        if (problem !== undefined) {
            result.notes.push(`${pair}: ${problem}, refused`);
            continue;
        }
        result.samples.push({ value: (low + high) / 2, low, high, from: `${pair}: ${round(low, 1)}–${round(high, 1)} s (to the minute: no ECS events)` });
    }
    return result;
}

/** The start-up samples of a run: from ECS's events when it has them, else from the rows. */
export function fitTaskStartup(events: readonly TimelineEvent[], rows: readonly TimelineRow[], stepSeconds: number): FitResult {
    const activities = scaleOuts(events);
    if (activities.length === 0) return { samples: [], notes: [`no scale-out in the run: ${STAYS}`] };
    const { kind, markers } = runningMarkers(events);
    const result = markers.length > 0 ? startupFromMarkers(activities, markers, kind) : startupFromRows(activities, rows, stepSeconds);
    if (result.samples.length === 0) result.notes.push(`no scale-out could be paired with its tasks running: ${STAYS}`);
    return result;
}
