/**
 * A load-test verdict bound to the image it tested: what `npm run loadtest -- --target <stack>` records in the shared
 * account's evidence bucket, and what `npm run promote` asks for before it moves a gated environment's tag.
 *
 * Schema version 1. A reader refuses another version by name rather than guess at its meaning.
 */
import { z } from "zod";
import { RUN_ID_PATTERN } from "../../loadgen/src/contract";

export const VERDICT_SCHEMA_VERSION = 1;

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** The digest's first 12 hex digits: what keys, messages and summaries show of it. */
export function digestHex12(digest: string): string {
    return digest.slice("sha256:".length, "sha256:".length + 12);
}

/** `sha256:` and the digest's first 12 hex digits. */
export function shortDigest(digest: string): string {
    return `sha256:${digestHex12(digest)}`;
}

const isoTime = z.iso.datetime({ offset: true });
const digest = z.string().regex(DIGEST_PATTERN, "must be sha256: followed by 64 lowercase hex digits");

/** The environment a run targeted: read from its stack's outputs when the run began. */
export const runTargetSchema = z.object({
    /** The environment stack, e.g. "staging". */
    stack: z.string().min(1),
    /** The environment's name (its tag in the registry). */
    environment: z.string().min(1),
    /** The service's URL the run sent its requests to (its BASE_URL). */
    url: z.string().url(),
    /** The exact image the service ran, `<repository url>@sha256:...`. */
    image: z.string().min(1),
    digest,
});
export type RunTarget = z.infer<typeof runTargetSchema>;

export const thresholdVerdictSchema = z.object({ metric: z.string(), expression: z.string(), ok: z.boolean() });
export type ThresholdVerdict = z.infer<typeof thresholdVerdictSchema>;

/** passed: every threshold held; failed: one did not, or every request of a task failed; incomplete: a segment is missing or cut short. */
export const RUN_VERDICTS = ["passed", "failed", "incomplete"] as const;
export type RunVerdict = (typeof RUN_VERDICTS)[number];

export const verdictSchema = z.object({
    schemaVersion: z.literal(VERDICT_SCHEMA_VERSION),
    target: runTargetSchema,
    runId: z.string().regex(RUN_ID_PATTERN, "must be a run id such as lt-20261130T120000Z-a1b2"),
    script: z.string().min(1),
    startedAt: isoTime,
    finishedAt: isoTime,
    recordedAt: isoTime,
    /** The identity that recorded it (STS GetCallerIdentity's ARN). */
    recordedBy: z.string().min(1),
    verdict: z.enum(RUN_VERDICTS),
    thresholds: z.array(thresholdVerdictSchema),
    /** k6 tasks (execution segments) the run had. */
    segments: z.number().int().positive(),
    /** The merged result file exactly as `npm run loadtest` wrote it: the k6 summary, series and tasks. */
    result: z.record(z.string(), z.unknown()),
    /** The target environment's observed timeline for the run's window (`timeline observe`), or null and why not. */
    observed: z.record(z.string(), z.unknown()).nullable(),
    observedNote: z.string().optional(),
    /** The run's HTML report beside the verdict in the bucket, when one was recorded. */
    reportKey: z.string().min(1).optional(),
});
export type Verdict = z.infer<typeof verdictSchema>;
