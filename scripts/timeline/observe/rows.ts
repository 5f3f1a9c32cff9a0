/**
 * CloudWatch's datapoints → the timeline's rows, one per minute of the window, and what follows from the rows
 * alone (task events, when new tasks took traffic, what the request columns rest on). Pure: no AWS here.
 *
 * Each figure comes from the source that knows it:
 *   - offered: the load balancer. RequestCount "is only incremented for requests where the load balancer node was
 *     able to choose a target"; the requests it turned away before choosing one are its own 500s (a web ACL failing)
 *     and 503s (no registered target), HTTPCode_ELB_500_Count and HTTPCode_ELB_503_Count. Its 502s and 504s come after
 *     a target was chosen: already in RequestCount, and errors, not served. So offered = RequestCount + ELB 500 +
 *     ELB 503. (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html,
 *     and the causes of each code: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html)
 *   - served, shed, errors, queue, latency: the service's own EMF metrics, summed (or the maximum) over its tasks.
 *     Without them for the whole window (an image older than its metrics), the load balancer's: served = RequestCount
 *     − target 5xx − ELB 502 − ELB 504, shed = every target 5xx (an upper bound: the service's other 5xx count as
 *     shed), latency = TargetResponseTime (503s included). The timeline's notes name that fallback.
 *   - errors: the service's Errors plus every 5xx of the load balancer's own (500, 502, 503, 504).
 *
 * What a missing datapoint means:
 *   - CPU and task counts: unknown, null (no CPU datapoint while no task runs; Container Insights off; not yet
 *     published). Never 0.
 *   - The load balancer's counts: published only when nonzero, so a missing count is 0, but only where that is safe:
 *     the run reached this stack (a RequestCount or ELB 500/503 datapoint somewhere in the window, or a request the
 *     service counted), and the minute lies between the first and the last minute for which CloudWatch has any
 *     load-balancer or service datapoint (HealthyHostCount is published every minute targets are registered, so
 *     outside that span the minutes may simply not be published yet, or not be kept any more). A run that never
 *     reached the stack (a wrong BASE_URL) has no request columns at all: null, never a flat 0.
 *   - The service's counts: each task writes a line every minute, zeros included, so a missing one means no task
 *     logged that minute: null, never 0.
 *   - Latency percentiles: null (no requests answered, no latency).
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

/** The load balancer's counts, published only when nonzero. */
export type AlbCountId = "requests" | "target5xx" | "elb500" | "elb502" | "elb503" | "elb504";

const ALB_SERIES: readonly SeriesId[] = ["requests", "target5xx", "elb500", "elb502", "elb503", "elb504", "p50", "p99", "healthyHosts"];
const SERVICE_COUNTS = ["answered", "shed", "errors"] as const;

const hasData = (values: readonly (number | null)[]) => values.some((value) => value !== null);

/** The first and last period with a datapoint of any of `ids`, or undefined when there is none. */
function periodsWithData(series: SeriesByPeriod, ids: readonly SeriesId[]): { first: number; last: number } | undefined {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const id of ids) {
        series[id].forEach((value, index) => {
            if (value === null) return;
            first = Math.min(first, index);
            last = Math.max(last, index);
        });
    }
    return Number.isFinite(first) ? { first, last } : undefined;
}

/** Whether the service wrote its own counts at all in the window (an image that publishes them). */
function serviceHasData(series: SeriesByPeriod): boolean {
    return SERVICE_COUNTS.some((id) => hasData(series[id]));
}

/**
 * Whether any request of the run reached this stack: the load balancer counted one (with or without a target), or
 * the service did. HealthyHostCount and CPU do not say so: they are published whether requests come or not.
 */
function trafficReachedStack(series: SeriesByPeriod): boolean {
    const albCounted = (["requests", "elb500", "elb503"] as const).some((id) => hasData(series[id]));
    const serviceCounted = SERVICE_COUNTS.some((id) => series[id].some((value) => (value ?? 0) > 0));
    return albCounted || serviceCounted;
}

/** The minutes within which a missing load-balancer count means 0 (see the module comment). */
function countSpan(series: SeriesByPeriod): { first: number; last: number } | undefined {
    return periodsWithData(series, [...ALB_SERIES, ...SERVICE_COUNTS]);
}

function zeroWithin(values: readonly (number | null)[], span: { first: number; last: number } | undefined): (number | null)[] {
    return values.map((value, index) => (value !== null ? value : span !== undefined && index >= span.first && index <= span.last ? 0 : null));
}

/**
 * A count the load balancer publishes only when nonzero, with its gaps read as 0 where that is safe (see the module
 * comment); every other gap stays null.
 */
export function albCount(series: SeriesByPeriod, id: AlbCountId): (number | null)[] {
    return trafficReachedStack(series) ? zeroWithin(series[id], countSpan(series)) : series[id];
}

/** Where the served, shed and error columns come from: the service, the load balancer (the fallback), or nowhere (no traffic). */
export type RequestSource = "service" | "loadBalancer" | "none";

export function requestSource(series: SeriesByPeriod): RequestSource {
    if (!trafficReachedStack(series)) return "none";
    return serviceHasData(series) ? "service" : "loadBalancer";
}

/** The sum of values that are all known; null if any is not. */
function sum(...values: (number | null)[]): number | null {
    return values.some((value) => value === null) ? null : (values as number[]).reduce((total, value) => total + value, 0);
}

/** Request counts of one row, before they become rates. */
interface RowCounts {
    offered: number | null;
    served: number | null;
    shed: number | null;
    errors: number | null;
}

/** Each row's counts: offered from the load balancer, the rest from `source` (see the module comment). */
function requestCounts(series: SeriesByPeriod, source: RequestSource): RowCounts[] {
    if (source === "none") return series.requests.map(() => ({ offered: null, served: null, shed: null, errors: null }));
    // The run reached the stack (the source is not "none"), so every count's gaps within the one span are 0.
    const span = countSpan(series);
    const ids: readonly AlbCountId[] = ["requests", "target5xx", "elb500", "elb502", "elb503", "elb504"];
    const alb = Object.fromEntries(ids.map((id) => [id, zeroWithin(series[id], span)])) as Record<AlbCountId, (number | null)[]>;
    return series.requests.map((_, i) => {
        const offered = sum(alb.requests[i], alb.elb500[i], alb.elb503[i]);
        const elbErrors = sum(alb.elb500[i], alb.elb502[i], alb.elb503[i], alb.elb504[i]);
        if (source === "service") {
            return { offered, served: series.answered[i], shed: series.shed[i], errors: sum(series.errors[i], elbErrors) };
        }
        const failed = sum(alb.target5xx[i], alb.elb502[i], alb.elb504[i]);
        const served = alb.requests[i] === null || failed === null ? null : Math.max(0, alb.requests[i] - failed);
        return { offered, served, shed: alb.target5xx[i], errors: elbErrors };
    });
}

/**
 * The rows: t from the window's start; rates per second over the seconds of each row the run covers (`coverage`,
 * from window.ts periodCoverage), with `seconds` on the rows it covers only partly; latency in ms.
 */
export function timelineRows(window: MetricWindow, series: SeriesByPeriod, coverage: readonly number[]): TimelineRow[] {
    const period = window.periodSeconds;
    const source = requestSource(series);
    const counts = requestCounts(series, source);
    // Without the service's metrics, TargetResponseTime: every response the target gave, 503s included.
    const fromService = serviceHasData(series);
    const p50 = fromService ? series.latencyP50 : series.p50.map((seconds) => (seconds === null ? null : seconds * 1000));
    const p99 = fromService ? series.latencyP99 : series.p99.map((seconds) => (seconds === null ? null : seconds * 1000));
    const ms = (value: number | null) => (value === null ? null : round(value, 1));
    return counts.map((count, index) => {
        const seconds = coverage[index] ?? period;
        // Not rounded: summarize() multiplies the rates back into request counts.
        const rate = (value: number | null) => (value === null ? null : value / seconds);
        return {
            t: index * period,
            offeredRps: rate(count.offered),
            servedRps: rate(count.served),
            shedRps: rate(count.shed),
            cpuAverage: series.cpuAverage[index],
            cpuMaximum: series.cpuMaximum[index],
            desiredTasks: series.desiredTasks[index],
            pendingTasks: series.pendingTasks[index],
            runningTasks: series.runningTasks[index],
            p50Ms: ms(p50[index]),
            p99Ms: ms(p99[index]),
            ...(seconds < period ? { seconds } : {}),
            errorRps: rate(count.errors),
            queueMax: series.queueMax[index],
        };
    });
}

/** What the stack the rows describe is, for the notes. */
export interface NoteContext {
    targetGroup: string;
    /** The run's BASE_URL, when its summary file names it. */
    baseUrl?: string;
    /** Where the stack serves: https://<domain>. */
    stackUrl: string;
}

/** The timeline's note on where the request columns come from, when not from the service: the fallback, or no traffic. */
export function requestSourceNote(source: RequestSource, context: NoteContext): string | undefined {
    if (source === "none") {
        const aimed = context.baseUrl === undefined ? "the summary file does not say where the run sent its requests" : `the run sent its requests to ${context.baseUrl}`;
        return (
            `no request reached this stack during the run (no RequestCount for ${context.targetGroup}, no ELB 500 or 503, and the service counted none): ` +
            `${aimed}, and this stack serves ${context.stackUrl}; was BASE_URL right? The request columns are empty, not 0`
        );
    }
    if (source === "loadBalancer") {
        return (
            "the service's own metrics (Answered, Shed, Errors) have no datapoint in the window (an image older than them?): served, shed and errors come from the load balancer " +
            "(shed = every target 5xx, an upper bound; errors = the load balancer's own 5xx), and latency from TargetResponseTime, which counts the 503s too"
        );
    }
    return undefined;
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
