/**
 * The objects a run exchanges between the command and its tasks (keys in contract.ts), each validated when read:
 * a task and the command may come from different checkouts, and a malformed object must stop with a clear reason.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { RUN_ID_PATTERN } from "./contract";

const isoTime = z.iso.datetime({ offset: true });

export const manifestSchema = z.strictObject({
    version: z.literal(1),
    runId: z.string().regex(RUN_ID_PATTERN),
    /** The script's name, for messages. */
    script: z.string().min(1),
    /** How many segments the whole run has, over every stack. */
    segmentCount: z.number().int().min(1),
    /** The segments this stack's tasks claim, in order. */
    segments: z.array(z.number().int().min(0)).min(1),
    /** Sub-metrics to record besides every metric: the thresholds' keys with a tag filter. */
    submetrics: z.array(z.string()),
    seriesStepSeconds: z.number().int().min(1),
    /** A task stops k6 once this long has passed since `go`: the profile's length plus a margin. */
    maxRunSeconds: z.number().int().min(1),
    /** A task stops k6 when the command's heartbeat is older than this (the command died). */
    heartbeatStaleSeconds: z.number().int().min(1),
    /** A task that sees `go` more than this long after its start time is a late replacement and does not run. */
    lateStartSeconds: z.number().int().min(0),
    /** A ready task gives up when `go` has not come after this long. */
    goWaitSeconds: z.number().int().min(1),
});
export type RunManifest = z.infer<typeof manifestSchema>;

export const goSchema = z.strictObject({ startAt: isoTime });
export type GoSignal = z.infer<typeof goSchema>;

export const heartbeatSchema = z.strictObject({ at: isoTime });

export const readySchema = z.strictObject({ segment: z.number().int().min(0), taskId: z.string().min(1), at: isoTime });
export type ReadyMarker = z.infer<typeof readySchema>;

/**
 * How a task's segment ended. `completed`: k6 ran and exited 0. `k6-failed`: k6 exited otherwise (script error,
 * cannot start). `late`: it saw `go` too late and did not run. `stopped`: stopped early, by a stale heartbeat, the
 * maximum duration, no `go` in time, or SIGTERM (StopTask, a Spot interruption); what it recorded so far is kept.
 */
export const SEGMENT_STATUSES = ["completed", "k6-failed", "late", "stopped"] as const;
export type SegmentStatus = (typeof SEGMENT_STATUSES)[number];

export const segmentResultSchema = z.strictObject({
    version: z.literal(1),
    runId: z.string().regex(RUN_ID_PATTERN),
    segment: z.number().int().min(0),
    taskId: z.string().min(1),
    status: z.enum(SEGMENT_STATUSES),
    reason: z.string().optional(),
    k6ExitCode: z.number().int().nullable(),
    /** When k6 started and ended (absent when it never started). */
    k6StartedAt: isoTime.optional(),
    k6FinishedAt: isoTime.optional(),
    /** The last lines k6 wrote to stdout and stderr. */
    logTail: z.array(z.string()),
    /** What the recorder kept (recorder.ts validates it); absent when k6 never ran. */
    recorded: z.unknown().optional(),
});
export type SegmentResult = z.infer<typeof segmentResultSchema>;

export class ProtocolError extends Error {}

/** Parses one run object, naming the object and every problem. */
export function parseRunObject<T>(schema: z.ZodType<T>, what: string, body: Buffer | string): T {
    let json: unknown;
    try {
        json = JSON.parse(body.toString());
    } catch {
        throw new ProtocolError(`${what} is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
        throw new ProtocolError(`${what} is malformed: ${problems.join("; ")}`);
    }
    return parsed.data;
}

export function encodeSegmentResult(result: SegmentResult): Buffer {
    return gzipSync(JSON.stringify(result));
}

export function decodeSegmentResult(body: Buffer, what: string): SegmentResult {
    let json: Buffer;
    try {
        json = gunzipSync(body);
    } catch {
        throw new ProtocolError(`${what} is not gzip`);
    }
    return parseRunObject(segmentResultSchema, what, json);
}

function fraction(numerator: number, denominator: number): string {
    if (numerator === 0) return "0";
    if (numerator === denominator) return "1";
    return `${numerator}/${denominator}`;
}

/** k6's `--execution-segment` for segment `index` of `count` equal ones: `1/4:2/4`. */
export function executionSegment(index: number, count: number): string {
    return `${fraction(index, count)}:${fraction(index + 1, count)}`;
}

/** k6's `--execution-segment-sequence` for `count` equal segments: `0,1/4,2/4,3/4,1`. */
export function executionSegmentSequence(count: number): string {
    return Array.from({ length: count + 1 }, (_, index) => fraction(index, count)).join(",");
}
