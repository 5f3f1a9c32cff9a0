/**
 * CloudWatch's datapoints → the timeline's rows, one per minute of the window, and what follows from the rows
 * alone (task events, when new tasks took traffic). Pure: no AWS here.
 *
 * What a missing datapoint means:
 *   - CPU and task counts: unknown, null (no CPU datapoint while no task runs; Container Insights off; not yet
 *     published). Never 0.
 *   - ALB RequestCount and HTTPCode_Target_5XX_Count: the load balancer publishes a count only when it is nonzero,
 *     so a missing count is 0, but only where that inference is safe: the target group has at least one ALB
 *     datapoint in the window (else the counts stay null: no traffic reached it, or it is the wrong target group),
 *     and the minute lies between the first and the last minute for which CloudWatch has any datapoint of any
 *     series (before or after that span the minutes may simply not be published yet, or not be kept any more).
 *   - Latency percentiles: null (no requests, no latency).
 */
import { round } from "../summary";
import type { TimelineEvent, TimelineRow } from "../timeline";
import type { Datapoint } from "./cloudwatch";
import { SERIES_IDS, type SeriesId } from "./queries";
import { type MetricWindow, periodIndex } from "./window";

/** Each series' value per row of the window (null where CloudWatch has no datapoint). */
export type SeriesByPeriod = Record<SeriesId, (number | null)[]>;

/** Datapoints → one slot per period of the window; datapoints outside the window are dropped. */
export function seriesByPeriod(window: MetricWindow, datapoints: ReadonlyMap<string, readonly Datapoint[]>): SeriesByPeriod {
    const slots = {} as SeriesByPeriod;
    for (const id of SERIES_IDS) {
        const values: (number | null)[] = new Array<number | null>(window.periods).fill(null);
        for (const point of datapoints.get(id) ?? []) {
            const index = periodIndex(window, point.timestamp);
            if (index !== undefined && Number.isFinite(point.value)) values[index] = point.value;
        }
        slots[id] = values;
    }
    return slots;
}

/** The series that have no datapoint at all in the window. */
export function emptySeries(series: SeriesByPeriod): SeriesId[] {
    return SERIES_IDS.filter((id) => series[id].every((value) => value === null));
}

const ALB_SERIES: readonly SeriesId[] = ["requests", "target5xx", "p50", "p99", "healthyHosts"];

/** The first and last period with any datapoint of any series, or undefined when there is none. */
export function periodsWithData(series: SeriesByPeriod): { first: number; last: number } | undefined {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const id of SERIES_IDS) {
        series[id].forEach((value, index) => {
            if (value === null) return;
            first = Math.min(first, index);
            last = Math.max(last, index);
        });
    }
    return Number.isFinite(first) ? { first, last } : undefined;
}

/**
 * A count the ALB publishes only when nonzero, with its gaps read as 0 where that is safe (see the module comment);
 * every other gap stays null.
 */
export function albCount(series: SeriesByPeriod, id: "requests" | "target5xx"): (number | null)[] {
    const albHasData = ALB_SERIES.some((alb) => series[alb].some((value) => value !== null));
    const span = periodsWithData(series);
    return series[id].map((value, index) => {
        if (value !== null) return value;
        return albHasData && span !== undefined && index >= span.first && index <= span.last ? 0 : null;
    });
}

/** The rows: t from the window's start; rates per second over the period; latency in ms. */
export function timelineRows(window: MetricWindow, series: SeriesByPeriod): TimelineRow[] {
    const period = window.periodSeconds;
    const requests = albCount(series, "requests");
    const target5xx = albCount(series, "target5xx");
    // Not rounded: summarize() multiplies the rates back into request counts.
    const perSecond = (count: number | null) => (count === null ? null : count / period);
    const ms = (seconds: number | null) => (seconds === null ? null : round(seconds * 1000, 1));
    return Array.from({ length: window.periods }, (_, index) => {
        const offeredRps = perSecond(requests[index]);
        const shedRps = perSecond(target5xx[index]);
        return {
            t: index * period,
            offeredRps,
            // Offered minus shed: 503s (the service's queue full) are HTTPCode_Target_5XX_Count.
            servedRps: offeredRps === null || shedRps === null ? null : Math.max(0, offeredRps - shedRps),
            shedRps,
            cpuAverage: series.cpuAverage[index],
            cpuMaximum: series.cpuMaximum[index],
            desiredTasks: series.desiredTasks[index],
            pendingTasks: series.pendingTasks[index],
            runningTasks: series.runningTasks[index],
            p50Ms: ms(series.p50[index]),
            p99Ms: ms(series.p99[index]),
        };
    });
}

/** 3, or 2.5 when a minute's average fell between counts. */
export function formatCount(value: number): string {
    return String(round(value, 1));
}

/** A "task" event at each row whose running-task count differs from the last known one ("running 2 → 3"). */
export function taskEvents(rows: readonly TimelineRow[]): TimelineEvent[] {
    const events: TimelineEvent[] = [];
    let previous: number | null = null;
    for (const row of rows) {
        if (row.runningTasks === null) continue;
        const current = round(row.runningTasks, 1);
        if (previous !== null && current !== previous) {
            events.push({ t: row.t, kind: "task", detail: `running ${formatCount(previous)} → ${formatCount(current)}` });
        }
        previous = current;
    }
    return events;
}

/**
 * When more targets were healthy than before: the start of each minute whose HealthyHostCount maximum rose above
 * the last known one, i.e. a task that became healthy (and so took traffic) during that minute.
 */
export function servingTimes(window: MetricWindow, series: SeriesByPeriod): number[] {
    const times: number[] = [];
    let previous: number | null = null;
    series.healthyHosts.forEach((value, index) => {
        if (value === null) return;
        if (previous !== null && value > previous) times.push(index * window.periodSeconds);
        previous = value;
    });
    return times;
}
