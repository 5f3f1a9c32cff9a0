/**
 * A result file as `npm run loadtest` writes it (./report.ts resultFile), read back by `record` and `summary`: the
 * parts they use, checked, with the whole JSON kept (a verdict carries it unchanged). A file of another shape, an
 * older one or a single k6 run's summary, is refused naming what it lacks.
 */
import { z } from "zod";
import { RUN_ID_PATTERN } from "../../loadgen/src/contract";
import { parseJsonText } from "../json-text";
import { RUN_VERDICTS, runTargetSchema } from "../release/verdict";
import { LOCAL_STACK } from "./plan";

const isoTime = z.iso.datetime({ offset: true });

const metricSchema = z.object({
    type: z.string(),
    contains: z.string().optional(),
    values: z.record(z.string(), z.number()),
    thresholds: z.record(z.string(), z.object({ ok: z.boolean() })).optional(),
});

const stackSchema = z.object({
    stack: z.string().min(1),
    segments: z.array(z.number().int().min(0)),
    /** A loadgen stack's region and task size (absent for a --local run's "local"). */
    region: z.string().min(1).optional(),
    taskCpu: z.number().int().positive().optional(),
    taskMemory: z.number().int().positive().optional(),
});

export const resultFileSchema = z.object({
    run: z.object({
        script: z.string().min(1),
        baseUrl: z.string(),
        target: runTargetSchema.optional(),
        startedAt: isoTime,
        finishedAt: isoTime,
        durationSeconds: z.number().min(0),
        thresholdsPassed: z.boolean(),
        failedThresholds: z.array(z.string()),
        settings: z.object({
            runId: z.string().regex(RUN_ID_PATTERN),
            distributed: z.object({
                segments: z.number().int().positive(),
                stacks: z.array(stackSchema).min(1),
                spot: z.boolean(),
                missingSegments: z.array(z.number().int().min(0)),
            }),
            testRunDuration: z.object({ ms: z.number().min(0), source: z.enum(["k6", "wall clock"]) }),
        }),
        verdict: z.enum(RUN_VERDICTS),
        errors: z.array(z.string()),
    }),
    k6: z.object({ metrics: z.record(z.string(), metricSchema) }),
});

export type LoadtestResult = z.infer<typeof resultFileSchema>;
export type ResultMetric = LoadtestResult["k6"]["metrics"][string];
export type ResultStack = LoadtestResult["run"]["settings"]["distributed"]["stacks"][number];

/** The result file as written, and the parts read from it. */
export interface ReadResult {
    json: Record<string, unknown>;
    result: LoadtestResult;
}

/** A result file that cannot be used: bad input, exit 2. */
export class ResultFileError extends Error {}

export const RESULT_FILE_HINT = "pass the JSON file npm run loadtest wrote (k6/results/<script>-<UTC time>-distributed.json, or its --out)";

export function parseResultFile(text: string, source: string): ReadResult {
    const parsed = parseJsonText(text, source, resultFileSchema, { what: "a result of npm run loadtest", hint: RESULT_FILE_HINT });
    if (!parsed.ok) throw new ResultFileError(parsed.message);
    return { json: parsed.json as Record<string, unknown>, result: parsed.value };
}

/** Whether the run's k6 processes ran on the machine that ran the command (--local). */
export function isLocalRun(result: LoadtestResult): boolean {
    return result.run.settings.distributed.stacks.some((stack) => stack.stack === LOCAL_STACK);
}
