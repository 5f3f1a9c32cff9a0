/**
 * Application Auto Scaling's activities, CloudWatch's alarm history, ECS's service events and service deployments →
 * the timeline's events, and the scaling activities (t, from, to) summarize() counts. Pure: no AWS here.
 */
import type { NotScaledReason, ScalingActivity as AasScalingActivity } from "@aws-sdk/client-application-auto-scaling";
import type { AlarmHistoryItem } from "@aws-sdk/client-cloudwatch";
import type { ServiceDeployment, ServiceEvent } from "@aws-sdk/client-ecs";
import type { ScalingActivity } from "../summary";
import { EVENT_KINDS, type TimelineEvent } from "../timeline";
import type { ServiceDeploymentRead } from "./cloudwatch";
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

/**
 * Why Application Auto Scaling did not scale, from a reason's code and the capacities it gives ("at max capacity 4"):
 * https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-scaling-activities.html
 * (Understanding not scaled reason codes), https://docs.aws.amazon.com/autoscaling/application/APIReference/API_NotScaledReason.html
 */
export function notScaledReason(reason: NotScaledReason): string {
    const capacity = (value: number | undefined) => (value === undefined ? "" : ` ${value}`);
    switch (reason.Code) {
        case "AlreadyAtMaxCapacity":
            return `at max capacity${capacity(reason.MaxCapacity)}`;
        case "AlreadyAtMinCapacity":
            return `at min capacity${capacity(reason.MinCapacity)}`;
        case "AlreadyAtDesiredCapacity":
            return `already at the capacity it computed${capacity(reason.CurrentCapacity)}`;
        case "AutoScalingAnticipatedFlapping":
            return "scaling would flap";
        case "TargetServicePutResourceAsUnscalable":
            return "ECS had put the service in an unscalable state";
        default:
            return reason.Code ?? "no reason given";
    }
}

/** "not scaled: at max capacity 4 (alarm cpu-scale-out in ALARM, policy scale-out)", with ", wanted 6" when the description names a count. */
function notScaledDetail(activity: AasScalingActivity, reasons: readonly NotScaledReason[], monitoringName: string): string {
    const wanted = desiredCountSetBy(activity.Description);
    return `not scaled: ${reasons.map(notScaledReason).join("; ")}${wanted === undefined ? "" : `, wanted ${wanted}`} (${describeCause(activity.Cause, monitoringName)})`;
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
 * Scaling keeps six weeks): those only tell the desired count the first activity in the window started from. A not
 * scaled activity (one with NotScaledReasons, listed with IncludeNotScaledActivities) is an event that says why, and
 * never a change of the count.
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
        const reasons = activity.NotScaledReasons ?? [];
        if (reasons.length > 0) {
            if (isInWindow(window, start)) events.push({ t: secondsIntoWindow(window, start), kind: "scaling", detail: notScaledDetail(activity, reasons, monitoringName) });
            continue;
        }
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

/** The "(service prime-counter) " ECS puts before every message of a service's events. */
function servicePrefix(serviceName: string): string {
    return `(service ${serviceName}) `;
}

/**
 * An ECS service event's message as a timeline event's detail: the message with the leading "(service <name>) "
 * dropped, the rest verbatim ("has started 2 tasks: (task 5e8f…).", "registered 1 targets in (target-group arn:…)",
 * "has reached a steady state."), so a reader, or a tool, finds ECS's own phrases in it.
 */
export function serviceEventDetail(message: string, serviceName: string): string {
    const prefix = servicePrefix(serviceName);
    return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/** One "service" event per ECS service event within the window. */
export function serviceEvents(window: MetricWindow, events: readonly ServiceEvent[], serviceName: string): TimelineEvent[] {
    return events
        .filter((event): event is ServiceEvent & { createdAt: Date } => event.createdAt !== undefined && isInWindow(window, event.createdAt))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .map((event) => ({ t: secondsIntoWindow(window, event.createdAt), kind: "service" as const, detail: serviceEventDetail(event.message ?? "", serviceName) }));
}

// ------------------------------------------------------------------------------------------------ deployments

/** The last part of an ARN: a service deployment's id, a service revision's. */
function arnId(arn: string | undefined): string {
    return arn?.split("/").at(-1) ?? "?";
}

/** What made a deployment fail, in words: a deployment alarm, or the circuit breaker. */
export type RollbackCause = "alarm" | "circuit breaker";

/**
 * The cause a message names, when ECS's words say it: an alarm ("deployment failed: alarm detected."), or what the
 * circuit breaker counts, tasks that failed to start or failed their health checks ("ECS deployment circuit breaker:
 * task failed to start.": https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html;
 * what it counts: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
 */
export function causeInWords(text: string | undefined): RollbackCause | undefined {
    if (text === undefined) return undefined;
    if (/\balarm/i.test(text)) return "alarm";
    if (/circuit breaker|failed to start|health check/i.test(text)) return "circuit breaker";
    return undefined;
}

/** " by a deployment alarm", " by the circuit breaker", or "" for a cause the words do not say. */
function byCause(cause: RollbackCause | undefined): string {
    if (cause === undefined) return "";
    return cause === "alarm" ? " by a deployment alarm" : ` by the ${cause}`;
}

/**
 * "by alarm target-5xx" (the alarms ECS names as triggered), "by the circuit breaker (3 failed tasks, threshold 3)",
 * from DescribeServiceDeployments' `alarms` and `deploymentCircuitBreaker` (status TRIGGERED); without them, from the
 * reason's words; "" when neither says.
 */
function rollbackCause(detail: ServiceDeployment | undefined, reason: string | undefined, monitoringName: string): string {
    if (detail?.alarms?.status === "TRIGGERED") {
        const names = (detail.alarms.triggeredAlarmNames ?? []).map((name) => shortName(name, monitoringName));
        return names.length === 0 ? " by a deployment alarm" : ` by alarm ${names.join(", ")}`;
    }
    const breaker = detail?.deploymentCircuitBreaker;
    if (breaker?.status === "TRIGGERED") {
        const counts = breaker.failureCount === undefined ? "" : ` (${breaker.failureCount} failed tasks${breaker.threshold === undefined ? "" : `, threshold ${breaker.threshold}`})`;
        return ` by the circuit breaker${counts}`;
    }
    return byCause(causeInWords(reason));
}

/**
 * The events of one service deployment that fall in the window (its statuses:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentBrief.html):
 * - "deployment" when it started (startedAt, else createdAt): `deployment <id> started: service revision <from> → <to>`;
 * - "deployment" when it completed (SUCCESSFUL, finishedAt) or stopped (STOPPED: stoppedAt, else finishedAt, with ECS's reason);
 * - "rollback" when it rolled back (ROLLBACK_*: the rollback's startedAt, else finishedAt, else updatedAt): by what,
 *   ECS's reason (the rollback's, else the status reason), the revision it went back to, and the rollback's status
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Rollback.html).
 */
function oneDeploymentEvents(window: MetricWindow, { brief, detail }: ServiceDeploymentRead, monitoringName: string): TimelineEvent[] {
    const id = arnId(brief.serviceDeploymentArn);
    const target = arnId(brief.targetServiceRevisionArn ?? detail?.targetServiceRevision?.arn);
    const sources = (detail?.sourceServiceRevisions ?? []).map((revision) => arnId(revision.arn));
    const events: TimelineEvent[] = [];
    const at = (time: Date | undefined, kind: "deployment" | "rollback", text: string) => {
        if (time !== undefined && isInWindow(window, time)) events.push({ t: secondsIntoWindow(window, time), kind, detail: text });
    };
    const reason = (text: string | undefined) => (text === undefined || text.trim() === "" ? "" : `: ${shorten(text, CAUSE_LENGTH).replace(/\.$/, "")}`);

    const from = sources.length === 0 ? "" : `${sources.join(", ")} → `;
    at(brief.startedAt ?? brief.createdAt, "deployment", `deployment ${id} started: service revision ${from}${target}`);
    const status = brief.status ?? detail?.status;
    if (status === "SUCCESSFUL") at(brief.finishedAt, "deployment", `deployment ${id} completed: service revision ${target}`);
    if (status === "STOPPED") at(detail?.stoppedAt ?? brief.finishedAt, "deployment", `deployment ${id} stopped${reason(brief.statusReason)}`);
    if (status?.startsWith("ROLLBACK_")) {
        const rollback = detail?.rollback;
        const why = rollback?.reason ?? brief.statusReason;
        const back = rollback?.serviceRevisionArn === undefined ? "" : ` → service revision ${arnId(rollback.serviceRevisionArn)}`;
        const started = rollback?.startedAt ?? brief.finishedAt ?? detail?.updatedAt;
        const took = started !== undefined && brief.finishedAt !== undefined && brief.finishedAt > started ? ` in ${Math.round((brief.finishedAt.getTime() - started.getTime()) / 1000)} s` : "";
        at(started, "rollback", `deployment ${id} failed, rolled back${rollbackCause(detail, why, monitoringName)}${reason(why)}${back} (${status}${took})`);
    }
    return events;
}

/** The "deployment" and "rollback" events of the service deployments ECS listed (cloudwatch.ts readServiceDeployments). */
export function deploymentEvents(window: MetricWindow, deployments: readonly ServiceDeploymentRead[], monitoringName: string): TimelineEvent[] {
    return deployments.flatMap((deployment) => oneDeploymentEvents(window, deployment, monitoringName));
}

/**
 * What ECS writes in a service's events about its deployments, after the "(service <name>) " prefix: a deployment
 * that completed or failed (`(deployment ecs-svc/4716302938261758413) deployment completed.`, `(deployment
 * ecs-svc/1571272475813219068) deployment failed: tasks failed to start.`, `… deployment failed: alarm detected.`),
 * and the rollback that follows a failure (`rolling back to deployment ecs-svc/1675294001379389663.`). AWS documents
 * the service event log (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html) but
 * not these messages; the phrases are ECS's as DescribeServices returns them, matched loosely (the ids and the reason
 * may be anything), and EventBridge's deployment events carry the same reasons
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html).
 */
const DEPLOYMENT_MESSAGES = {
    completed: /^\(deployment ([^)\s]+)\) deployment completed\.?$/,
    failed: /^\(deployment ([^)\s]+)\) deployment failed: (.+?)\.?$/,
    rollingBack: /^rolling back to deployment (\S+?)\.?$/,
};

/**
 * Deployments and rollbacks from the service events' words, when ECS would not list the service deployments: a
 * "deployment" event for each deployment completed, a "rollback" for each "rolling back to deployment" with the
 * failure before it (its id, cause and reason), and a "deployment" event for a failure no rollback followed. The
 * events outside the window still pair a failure with its rollback; only the events in it are returned. Starts are
 * not in ECS's words: none.
 */
export function deploymentEventsFromServiceEvents(window: MetricWindow, events: readonly ServiceEvent[], serviceName: string): TimelineEvent[] {
    const messages = events
        .filter((event): event is ServiceEvent & { createdAt: Date } => event.createdAt !== undefined)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .map((event) => ({ time: event.createdAt, text: serviceEventDetail(event.message ?? "", serviceName) }));
    const found: Array<{ time: Date; kind: "deployment" | "rollback"; detail: string }> = [];
    let failure: { id: string; reason: string; index: number } | undefined;
    for (const { time, text } of messages) {
        const completed = DEPLOYMENT_MESSAGES.completed.exec(text);
        const failed = DEPLOYMENT_MESSAGES.failed.exec(text);
        const rollingBack = DEPLOYMENT_MESSAGES.rollingBack.exec(text);
        if (completed) found.push({ time, kind: "deployment", detail: `deployment ${completed[1]} completed` });
        if (failed) {
            failure = { id: failed[1], reason: failed[2], index: found.length };
            found.push({ time, kind: "deployment", detail: `deployment ${failed[1]} failed: ${failed[2]} (no rollback followed)` });
        }
        if (rollingBack) {
            if (failure === undefined) {
                found.push({ time, kind: "rollback", detail: `rolled back → deployment ${rollingBack[1]}` });
                continue;
            }
            // The failure's own event becomes the rollback's: one event, at the time ECS began rolling back.
            found.splice(failure.index, 1);
            found.push({
                time,
                kind: "rollback",
                detail: `deployment ${failure.id} failed, rolled back${byCause(causeInWords(failure.reason))}: ${failure.reason} → deployment ${rollingBack[1]}`,
            });
            failure = undefined;
        }
    }
    return found.filter((event) => isInWindow(window, event.time)).map(({ time, kind, detail }) => ({ t: secondsIntoWindow(window, time), kind, detail }));
}

/**
 * DescribeServices returns a service's latest events only, at most 100 ("A maximum of 100 of the latest events are
 * displayed": https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html, events).
 */
export const ECS_SERVICE_EVENTS_KEPT = 100;

/**
 * The note for a truncated list: ECS returned as many events as it keeps, and the oldest is newer than the window's
 * start, so the window's earlier events are missing. Fewer than that many is the whole list.
 */
export function truncatedServiceEventsNote(window: MetricWindow, events: readonly ServiceEvent[]): string | undefined {
    const times = events.flatMap((event) => (event.createdAt === undefined ? [] : [event.createdAt.getTime()]));
    if (times.length < ECS_SERVICE_EVENTS_KEPT) return undefined;
    const oldest = Math.min(...times);
    if (oldest <= window.start.getTime()) return undefined;
    return (
        `ECS returned only the service's latest ${times.length} events, the oldest at ${new Date(oldest).toISOString()}, after the window's start: ` +
        "its service events before then are missing"
    );
}

/** Events by time; at the same second an alarm comes before the scaling it triggers, and that before tasks change. */
export function sortEvents(events: readonly TimelineEvent[]): TimelineEvent[] {
    return [...events].sort((a, b) => a.t - b.t || EVENT_KINDS.indexOf(a.kind) - EVENT_KINDS.indexOf(b.kind));
}
