/**
 * The events the fits pair, read back from their details as observe (and the simulator) write them: scale-outs,
 * the scale-out alarm going into ALARM, and ECS's word that new tasks run.
 */
import type { TimelineEvent } from "../timeline";

/** A scaling activity that raised the desired count. */
export interface ScaleOut {
    t: number;
    from: number;
    to: number;
}

/** "desired 1 → 3 (…)", without a status suffix or with one that still set the count ("[InProgress]"). */
export function scaleOuts(events: readonly TimelineEvent[]): ScaleOut[] {
    return events.flatMap((event) => {
        if (event.kind !== "scaling") return [];
        const change = /^desired (\d+) → (\d+)/.exec(event.detail);
        const status = /\) \[(\w+)/.exec(event.detail)?.[1];
        if (change === null || (status !== undefined && status !== "InProgress")) return [];
        const [from, to] = [Number(change[1]), Number(change[2])];
        return to > from ? [{ t: event.t, from, to }] : [];
    });
}

/**
 * When the scale-out alarm went into ALARM: "cpu-scale-out: OK → ALARM" (step scaling), "target-tracking AlarmHigh:
 * OK → ALARM" as observe names target tracking's alarm, "AlarmHigh: …" as the simulator does.
 */
export function scaleOutAlarmTimes(events: readonly TimelineEvent[], mode: "step" | "target-tracking"): number[] {
    const name = mode === "step" ? "cpu-scale-out" : "(?:target-tracking )?AlarmHigh";
    const transition = new RegExp(`^${name}: (?:OK|INSUFFICIENT_DATA) → ALARM\\b`);
    return events.filter((event) => event.kind === "alarm" && transition.test(event.detail)).map((event) => event.t);
}

/** A moment ECS says `tasks` new tasks reached a milestone, with its words. */
export interface TaskMarker {
    t: number;
    tasks: number;
    detail: string;
}

/**
 * ECS service events that say new tasks run. "registered N targets" comes when they are RUNNING (ECS registers a
 * task with its target group then), which is where taskStartupSeconds ends. "has started N tasks" is the scheduler
 * starting them, which can be before they run: used only when the run has no registration, and said so.
 */
export function runningMarkers(events: readonly TimelineEvent[]): { kind: "registration" | "start"; markers: TaskMarker[] } {
    const find = (pattern: RegExp) =>
        events.flatMap((event) => {
            const match = event.kind === "service" ? pattern.exec(event.detail) : null;
            return match === null ? [] : [{ t: event.t, tasks: Number(match[1]), detail: match[0] }];
        });
    const registrations = find(/registered (\d+) targets?/);
    return registrations.length > 0 ? { kind: "registration", markers: registrations } : { kind: "start", markers: find(/has started (\d+) tasks?/) };
}
