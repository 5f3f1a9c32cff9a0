/**
 * The k6 run's UTC window, from the summary file this project's k6 scripts write (k6/lib/summary.ts summaryOutputs)
 * or the distributed runner writes (scripts/loadtest/report.ts resultFile: the same `run` part), and that window
 * aligned to whole metric periods, the rows of the observed timeline.
 */
import { z } from "zod";
import { parseJsonText } from "../../json-text";
import { InputError } from "../timeline";

/** What observe takes from a summary file: the script, its window, and where it sent its requests. */
export interface RunRecord {
    script: string;
    startedAt: Date;
    finishedAt: Date;
    /** The run's BASE_URL, when the file names it. */
    baseUrl?: string;
}

/** The run's window widened to whole periods: rows start at `start`, one per period, `end` exclusive. */
export interface MetricWindow {
    start: Date;
    end: Date;
    periodSeconds: number;
    /** How many rows: (end − start) / period, at least 1. */
    periods: number;
}

const isoTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 UTC time such as 2026-01-31T12:00:00.000Z" });

const summarySchema = z.object({
    run: z.object(
        {
            script: z.string({ error: 'must be the k6 script\'s name, e.g. "load"' }).min(1, 'must be the k6 script\'s name, e.g. "load"'),
            startedAt: isoTime,
            finishedAt: isoTime,
            baseUrl: z.string().optional(),
        },
        { error: "is missing: this project's k6 scripts write { run: { script, startedAt, finishedAt, ... }, k6: { ... } }" },
    ),
});

const SUMMARY_HINT = "pass the JSON file a k6 run of this project wrote (k6/results/<script>-<time>.json, or npm run loadtest's -distributed.json)";

/** Parses a summary file's text into the run's script and window, refusing what is not such a file. */
export function parseRunRecord(text: string, source: string): RunRecord {
    const parsed = parseJsonText(text, source, summarySchema, { what: "a k6 summary of this project", hint: SUMMARY_HINT });
    if (!parsed.ok) throw new InputError(parsed.message);
    const { script, startedAt, finishedAt, baseUrl } = parsed.value.run;
    const run: RunRecord = { script, startedAt: new Date(startedAt), finishedAt: new Date(finishedAt), ...(baseUrl === undefined ? {} : { baseUrl }) };
    if (!(run.finishedAt.getTime() > run.startedAt.getTime())) {
        throw new InputError(`${source}: run.finishedAt (${finishedAt}) is not after run.startedAt (${startedAt}): the run has no window to observe`);
    }
    return run;
}

/**
 * The run's window widened to whole periods: the start rounded down, the end rounded up (an end already on a
 * boundary stays). CloudWatch timestamps a 1-minute datapoint with the start of its minute, so the rows then hold
 * exactly the datapoints of every minute the run touched, the first and last partly.
 */
export function alignWindow(run: Pick<RunRecord, "startedAt" | "finishedAt">, periodSeconds: number): MetricWindow {
    const period = periodSeconds * 1000;
    const start = Math.floor(run.startedAt.getTime() / period) * period;
    const end = Math.max(start + period, Math.ceil(run.finishedAt.getTime() / period) * period);
    return { start: new Date(start), end: new Date(end), periodSeconds, periods: (end - start) / period };
}

/**
 * The seconds of each row the run covers: all of the row's period but in the first and last minute, which the run
 * starts and ends inside. A rate over a row is its count over these seconds, not over the whole minute.
 */
export function periodCoverage(window: MetricWindow, run: Pick<RunRecord, "startedAt" | "finishedAt">): number[] {
    return Array.from({ length: window.periods }, (_, index) => {
        const from = Math.max(periodStart(window, index).getTime(), run.startedAt.getTime());
        const to = Math.min(periodStart(window, index + 1).getTime(), run.finishedAt.getTime());
        return Math.max(0, to - from) / 1000;
    });
}

/** Seconds from the window's start, whole (a scaling activity or alarm change at 12:03:07.9 is t = 187). */
export function secondsIntoWindow(window: MetricWindow, time: Date): number {
    return Math.floor((time.getTime() - window.start.getTime()) / 1000);
}

export function isInWindow(window: MetricWindow, time: Date): boolean {
    return time.getTime() >= window.start.getTime() && time.getTime() < window.end.getTime();
}

/** The row a time falls in, or undefined outside the window. */
export function periodIndex(window: MetricWindow, time: Date): number | undefined {
    if (!isInWindow(window, time)) return undefined;
    return Math.floor((time.getTime() - window.start.getTime()) / (window.periodSeconds * 1000));
}

/** The start of row `index`. */
export function periodStart(window: MetricWindow, index: number): Date {
    return new Date(window.start.getTime() + index * window.periodSeconds * 1000);
}

/** "12:03" (UTC), or with the date when `withDate`. */
export function utcMinute(time: Date, withDate = false): string {
    const iso = time.toISOString();
    return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}
