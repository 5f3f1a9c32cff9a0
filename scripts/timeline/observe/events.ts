/**
 * Application Auto Scaling's activities and CloudWatch's alarm history → the timeline's events, and the scaling
 * activities (t, from, to) summarize() counts. Pure: no AWS here.
 */
import type { ScalingActivity as AasScalingActivity } from "@aws-sdk/client-application-auto-scaling";
import type { AlarmHistoryItem } from "@aws-sdk/client-cloudwatch";
import type { ScalingActivity } from "../summary";
import { EVENT_KINDS, type TimelineEvent } from "../timeline";
import { type MetricWindow, isInWindow, periodStart, secondsIntoWindow } from "./window";

/** Activities that set the desired count: a successful one, or one still in progress when read. */
const EFFECTIVE_STATUSES: ReadonlySet<string> = new Set(["Successful", "InProgress"]);

const CAUSE_LENGTH = 120;

function shorten(text: string, length: number): string {
    const flat = text.replace(/\s+/g, " ").trim();
    return flat.length <= length ? flat : `${flat.slice(0, length - 1)}…`;
}

/**
 * A name as the stack's user knows it: `dev-prime-counter-cpu-scale-out-1a2b3c4` → `cpu-scale-out` (the component
 * prefix and Pulumi's random suffix dropped); the alarms target tracking creates, `TargetTracking-service/<cluster>/
 * <service>-AlarmHigh-<uuid>` → `target-tracking AlarmHigh`; any other name as it is.
 */
export function shortName(name: string, monitoringName: string): string {
    const targetTracking = /^TargetTracking-.+-(AlarmHigh|AlarmLow)-[0-9a-f-]+$/.exec(name);
    if (targetTracking) return `target-tracking ${targetTracking[1]}`;
    if (name.startsWith(`${monitoringName}-`) && name.length > monitoringName.length + 1) {
        return name.slice(monitoringName.length + 1).replace(/-[0-9a-f]{7}$/, "");
    }
    return name;
}

/** "monitor alarm <a> in state ALARM triggered policy <p>" → "alarm <a> in ALARM, policy <p>"; others shortened. */
export function describeCause(cause: string | undefined, monitoringName: string): string {
    if (cause === undefined || cause.trim() === "") return "no cause given";
    const alarm = /monitor alarm (\S+) in state (\S+) triggered policy (\S+)/.exec(cause);
    if (alarm) return `alarm ${shortName(alarm[1], monitoringName)} in ${alarm[2]}, policy ${shortName(alarm[3], monitoringName)}`;
    return shorten(cause, CAUSE_LENGTH);
}

/** N from "Setting desired count to N." (the description Application Auto Scaling gives an ECS activity). */
export function desiredCountSetBy(description: string | undefined): number | undefined {
    const match = /desired count to (\d+)/i.exec(description ?? "");
    return match ? Number(match[1]) : undefined;
}

/** The desired count an activity last set, and when. */
interface KnownDesired {
    time: Date;
    count: number;
}

/**
 * The desired count just before `at`: the most recent of (a) the DesiredTaskCount datapoint of the last minute
 * that ended by `at`, trusted only if that minute began after the previous activity (else the minute may still
 * show the count from before it), and (b) what the previous activity set. Undefined when neither is known.
 */
export function desiredCountBefore(at: Date, window: MetricWindow, desired: readonly (number | null)[], previous: KnownDesired | undefined): number | undefined {
    let latest: number | undefined;
    for (let index = 0; index < desired.length && periodStart(window, index + 1).getTime() <= at.getTime(); index++) {
        if (desired[index] !== null) latest = index;
    }
    if (previous !== undefined && (latest === undefined || previous.time.getTime() >= periodStart(window, latest).getTime())) return previous.count;
    return latest === undefined ? undefined : Math.round(desired[latest] as number);
}

function scalingDetail(activity: AasScalingActivity, from: number | undefined, to: number | undefined, monitoringName: string): string {
    const change = to === undefined ? shorten(activity.Description ?? "scaling activity", CAUSE_LENGTH) : `desired ${from ?? "?"} → ${to}`;
    const status = activity.StatusCode ?? "unknown status";
    const outcome = status === "Successful" ? "" : ` [${status}${activity.StatusMessage ? `: ${shorten(activity.StatusMessage, CAUSE_LENGTH)}` : ""}]`;
    return `${change} (${describeCause(activity.Cause, monitoringName)})${outcome}`;
}

/**
 * One "scaling" event per activity that started within the window, and the activities that changed the desired
 * count (from ≠ to, and effective) for summarize(). `activities` may reach back before the window (Application Auto
 * Scaling keeps six weeks): those only tell the desired count the first activity in the window started from.
 */
export function scalingEvents(
    window: MetricWindow,
    activities: readonly AasScalingActivity[],
    desired: readonly (number | null)[],
    monitoringName: string,
): { events: TimelineEvent[]; activities: ScalingActivity[] } {
    const events: TimelineEvent[] = [];
    const changes: ScalingActivity[] = [];
    let previous: KnownDesired | undefined;
    const sorted = activities.filter((a) => a.StartTime !== undefined).sort((a, b) => a.StartTime!.getTime() - b.StartTime!.getTime());
    for (const activity of sorted) {
        const start = activity.StartTime as Date;
        const to = desiredCountSetBy(activity.Description);
        const from = desiredCountBefore(start, window, desired, previous);
        const effective = EFFECTIVE_STATUSES.has(activity.StatusCode ?? "");
        if (isInWindow(window, start)) {
            const t = secondsIntoWindow(window, start);
            events.push({ t, kind: "scaling", detail: scalingDetail(activity, from, to, monitoringName) });
            if (effective && from !== undefined && to !== undefined && from !== to) changes.push({ t, from, to });
        }
        if (effective && to !== undefined) previous = { time: start, count: to };
    }
    return { events, activities: changes };
}

/** The old and new state of an alarm history item: from its HistoryData JSON, else its summary's words. */
export function alarmStateChange(item: AlarmHistoryItem): { from: string; to: string } | undefined {
    try {
        const data = JSON.parse(item.HistoryData ?? "") as { oldState?: { stateValue?: unknown }; newState?: { stateValue?: unknown } };
        const from = data.oldState?.stateValue;
        const to = data.newState?.stateValue;
        if (typeof from === "string" && typeof to === "string") return { from, to };
    } catch {
        // Not JSON: the summary below may still say it.
    }
    const summary = /from (\w+) to (\w+)/.exec(item.HistorySummary ?? "");
    return summary ? { from: summary[1], to: summary[2] } : undefined;
}

/** One "alarm" event per state change within the window: "cpu-scale-out: OK → ALARM". */
export function alarmEvents(window: MetricWindow, items: readonly AlarmHistoryItem[], monitoringName: string): TimelineEvent[] {
    return items
        .filter((item) => item.Timestamp !== undefined && isInWindow(window, item.Timestamp))
        .map((item) => {
            const name = shortName(item.AlarmName ?? "alarm", monitoringName);
            const change = alarmStateChange(item);
            const detail = change ? `${name}: ${change.from} → ${change.to}` : `${name}: ${shorten(item.HistorySummary ?? "state changed", CAUSE_LENGTH)}`;
            return { t: secondsIntoWindow(window, item.Timestamp as Date), kind: "alarm" as const, detail };
        });
}

/** Events by time; at the same second an alarm comes before the scaling it triggers, and that before tasks change. */
export function sortEvents(events: readonly TimelineEvent[]): TimelineEvent[] {
    return [...events].sort((a, b) => a.t - b.t || EVENT_KINDS.indexOf(a.kind) - EVENT_KINDS.indexOf(b.kind));
}
