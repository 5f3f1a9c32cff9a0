/**
 * The timeline: the one data shape `timeline simulate` predicts, `timeline observe` reads from CloudWatch and
 * `timeline report` draws. Its JSON form (what `--json` writes) is a public format other tools may read:
 *
 *   { kind, stack, script, stepSeconds, rows: [...], events: [...], notes?: [...], assumptions: {...}, summary: {...}, scaling: {...} }
 *
 * A row holds the values during [t, t + stepSeconds), t in seconds from the start of the run. A value nobody
 * measured (no CPU datapoint while no task runs, no latency in a step without requests) is null, never 0.
 * `scaling` (what the charts draw the thresholds and capacity bounds from) was added next to the fixed keys, and
 * `notes` (what the timeline lacks, e.g. an alarm history observe could not read) after them: optional, present
 * only when there is something to say, so files written before it still read.
 */
import { z } from "zod";
import { parseJsonText } from "../json-text";
import { bandSchema } from "./band";
import { nullableNumber, rowSchema } from "./row";

export const TIMELINE_KINDS = ["predicted", "observed"] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/**
 * "service": what ECS says of the service (a task started or stopped, a target registered, failed health checks).
 * "deployment": a service deployment that started, completed or stopped; "rollback": one that failed and rolled back
 * (by the circuit breaker or a deployment alarm, with why). Added after the first four, so files written before them
 * still read. The order is the order within one second: an alarm before the rollback it causes, a deployment before
 * the scaling and tasks that follow it.
 */
export const EVENT_KINDS = ["alarm", "deployment", "rollback", "scaling", "task", "service"] as const;
export type TimelineEventKind = (typeof EVENT_KINDS)[number];

const count = z.number().finite().min(0);


const eventSchema = z.strictObject({
    t: z.number().finite().min(0),
    kind: z.enum(EVENT_KINDS),
    detail: z.string(),
});

/** A line the CPU chart draws: a scaling threshold or target, or an alarm's. */
const thresholdSchema = z.strictObject({ label: z.string(), value: z.number().finite() });

const scalingSchema = z.strictObject({
    mode: z.enum(["step", "target-tracking"]),
    minCapacity: count,
    maxCapacity: count,
    cpuThresholds: z.array(thresholdSchema),
});

/** The run's numbers, computed the same way from either kind of timeline (./summary.ts). */
const summarySchema = z.strictObject({
    durationSeconds: count,
    requests: count,
    shedRequests: count,
    /** Share of requests answered 503 (or not at all), 0–100. */
    shedPercent: count,
    p99Ms: nullableNumber,
    peakTasks: count,
    minutesAtMaxCapacity: count,
    /** Start of the first step whose CPU reached the scale-out threshold (or target); null if none did. */
    firstBreachSeconds: nullableNumber,
    /** The first scale-out activity, and the first time a task it added took traffic; null if none happened. */
    firstScaleOutSeconds: nullableNumber,
    firstNewTaskServingSeconds: nullableNumber,
    scaleOuts: count,
    scaleIns: count,
    /** Scale-outs and scale-ins that reverse the previous activity within FLAP_WINDOW_SECONDS (flapping). */
    reversals: count,
    taskHours: count,
    costUsd: count,
    pricesAsOf: z.string(),
});

export const timelineSchema = z.strictObject({
    kind: z.enum(TIMELINE_KINDS),
    /** The stack file's name, e.g. Pulumi.dev.yaml. */
    stack: z.string(),
    /** The k6 profile: "load", "stress". */
    script: z.string(),
    stepSeconds: z.number().int().positive(),
    rows: z.array(rowSchema),
    events: z.array(eventSchema),
    /** What the reader must know the timeline lacks, one sentence each (an alarm history observe could not read). */
    notes: z.array(z.string()).optional(),
    /** Every number the timeline rests on that is not in the stack file or the profile, by name. */
    assumptions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    summary: summarySchema,
    scaling: scalingSchema,
    /** A prediction's band (./band.ts): the same run at the low and high per-request CPU; optional, predicted only. */
    band: bandSchema.optional(),
});

export type Timeline = z.infer<typeof timelineSchema>;
export type TimelineRow = z.infer<typeof rowSchema>;
export type TimelineEvent = z.infer<typeof eventSchema>;
export type TimelineSummary = z.infer<typeof summarySchema>;
export type TimelineScaling = z.infer<typeof scalingSchema>;
export type CpuThreshold = z.infer<typeof thresholdSchema>;

/** Input the user gave that the command cannot use: exit status 2, with a message saying what to change. */
export class InputError extends Error {
    override readonly name = "InputError";
}

/** The InputError for an input file that cannot be read: missing (with `hint`: what to pass instead), or unreadable. */
export function unreadableInput(error: unknown, file: string, what: string, hint: string): InputError {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new InputError(`${what} ${file} does not exist: ${hint}`);
    return new InputError(`cannot read ${what} ${file}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Parses a timeline from JSON text (`report --predicted/--observed`), naming the file and the first problems. */
export function parseTimeline(text: string, source: string): Timeline {
    const result = parseJsonText(text, source, timelineSchema, {
        what: "a timeline (as timeline simulate/observe --json write it)",
        hint: "pass a file written by timeline simulate/observe --json",
    });
    if (!result.ok) throw new InputError(result.message);
    if (result.value.rows.length === 0) {
        throw new InputError(`${source} has no rows: there is nothing to draw`);
    }
    return result.value;
}
