/**
 * The objects a run exchanges between the command and its tasks (keys in contract.ts), each validated when read:
 * a task and the command may come from different checkouts, and a malformed object must stop with a clear reason.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { RUN_ID_PATTERN } from "./contract";
import { readK6Thresholds, validateThresholds } from "./thresholds";

const isoTime = z.iso.datetime({ offset: true });

/** k6's thresholds option as k6 inspect reports it, checked as the merge reads it (thresholds.ts). */
const thresholdsSchema = z.unknown().transform((option, context) => {
    const problems = validateThresholds(option);
    for (const problem of problems) context.addIssue({ code: "custom", message: problem });
    return problems.length === 0 ? readK6Thresholds(option) : z.NEVER;
});

/** What a merge needs besides the results, so that `npm run loadtest -- merge` can redo it from the run's objects. */
export const mergeSpecSchema = z.strictObject({
    thresholds: thresholdsSchema,
    summaryTrendStats: z.array(z.string()).optional(),
    /** The run's exact budget per trend series (digest.ts); each task keeps its share, `exactSamplesPerSeries`. */
    exactSampleBudget: z.number().int().min(1),
    spot: z.boolean(),
    /** Every stack of the run and its segments: a merge from one bucket knows which it does not hold. */
    stacks: z.array(z.strictObject({ stack: z.string().min(1), segments: z.array(z.number().int().min(0)) })).min(1),
    baseUrl: z.string(),
    /**
     * `--target`: the environment stack the run loaded and the image its service ran (scripts/release/verdict.ts
     * RunTarget, checked there), so that a later `merge` writes a result its verdict can still be recorded from.
     */
    target: z
        .strictObject({ stack: z.string(), environment: z.string(), url: z.string(), image: z.string(), digest: z.string() })
        .optional(),
});
export type MergeSpec = z.infer<typeof mergeSpecSchema>;

export const manifestSchema = z.strictObject({
    version: z.literal(2),
    runId: z.string().regex(RUN_ID_PATTERN),
    /** The script's name, for messages. */
    script: z.string().min(1),
    /** How many segments the whole run has, over every stack. */
    segmentCount: z.number().int().min(1),
    /** The segments this stack's tasks run. */
    segments: z.array(z.number().int().min(0)).min(1),
    /** Sub-metrics to record besides every metric: the thresholds' keys with a tag filter. */
    submetrics: z.array(z.string()),
    seriesStepSeconds: z.number().int().min(1),
    /** A task keeps this many samples of a trend series one by one, then a histogram (its share of the budget). */
    exactSamplesPerSeries: z.number().int().min(0),
    /** A task stops k6 once this long has passed since `go`: the profile's length plus a margin. */
    maxRunSeconds: z.number().int().min(1),
    /** A task stops k6 when the control object is older than this by S3's clock (the command died). */
    heartbeatStaleSeconds: z.number().int().min(1),
    /** A task that sees `go` more than this long after its start time is late: it does not run, and the run stops. */
    lateStartSeconds: z.number().int().min(0),
    /** A task gives up when it has no segment, or no `go`, after this long. */
    goWaitSeconds: z.number().int().min(1),
    merge: mergeSpecSchema,
});
export type RunManifest = z.infer<typeof manifestSchema>;

/** The command's word to every task; rewritten every few seconds, its LastModified is the heartbeat. */
export const controlSchema = z.strictObject({
    /** When every task starts k6, by S3's clock. */
    go: z.strictObject({ startAt: isoTime }).optional(),
    /** Every task stops k6 now and uploads what it has. */
    stop: z.strictObject({ reason: z.string().min(1) }).optional(),
});
export type RunControl = z.infer<typeof controlSchema>;

/** `tasks/<task id>`: the segment the command gave the task. */
export const assignmentSchema = z.strictObject({ segment: z.number().int().min(0) });

export const readySchema = z.strictObject({ segment: z.number().int().min(0), taskId: z.string().min(1), at: isoTime });
export type ReadyMarker = z.infer<typeof readySchema>;

/**
 * How a task's segment ended. `completed`: k6 ran and exited 0. `k6-failed`: k6 exited otherwise (script error,
 * cannot start). `late`: it saw `go` too late and did not run. `stopped`: stopped early, by the command's `stop`, a
 * stale heartbeat, the maximum duration, no segment or `go` in time, or SIGTERM (StopTask, a Spot interruption);
 * what it recorded so far is kept.
 */
export const SEGMENT_STATUSES = ["completed", "k6-failed", "late", "stopped"] as const;
export type SegmentStatus = (typeof SEGMENT_STATUSES)[number];

export const segmentResultSchema = z.strictObject({
    version: z.literal(2),
    runId: z.string().regex(RUN_ID_PATTERN),
    segment: z.number().int().min(0),
    taskId: z.string().min(1),
    status: z.enum(SEGMENT_STATUSES),
    reason: z.string().optional(),
    k6ExitCode: z.number().int().nullable(),
    /** When k6 started and ended, by S3's clock (absent when it never started). */
    k6StartedAt: isoTime.optional(),
    k6FinishedAt: isoTime.optional(),
    /**
     * k6's own test run duration for the segment (lib/execution.go GetCurrentTestRunDuration: from before setup() to
     * after teardown(), VU initialisation and handleSummary left out), read from its summary export; absent when k6
     * wrote none.
     */
    testRunDurationMs: z.number().min(0).optional(),
    /** The k6 version that ran the segment, as `k6 version` printed it. */
    k6Version: z.string().optional(),
    /** The last lines k6 wrote to stdout and stderr. */
    logTail: z.array(z.string()),
    /**
     * The first errors k6 reported (k6-errors.ts), absent when it reported none (and in results of runners before
     * them): `request`, the first failed request with k6's error for it; `log`, the first line k6 logged at an error
     * level (a script exception, a test.abort() in setup()).
     */
    firstErrors: z.strictObject({ request: z.string().optional(), log: z.string().optional() }).optional(),
    /** What the recorder kept (recorder.ts validates it); absent when k6 never ran. */
    recorded: z.unknown().optional(),
});
export type SegmentResult = z.infer<typeof segmentResultSchema>;

export class ProtocolError extends Error {}

/** Parses one run object, naming the object and every problem. */
export function parseRunObject<T>(schema: z.ZodType<T, unknown>, what: string, body: Buffer | string): T {
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
