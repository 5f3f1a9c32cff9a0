/**
 * What a promotion or rollback of an environment recorded beside the registry's history tags: which image, from
 * where, by whom, and the load-test evidence it went with (a passing verdict, or the reason it went without one).
 * `npm run promote -- --history <environment>` lists these. Schema version 1.
 */
import { z } from "zod";
import { DIGEST_PATTERN } from "./verdict";

export const PROMOTION_RECORD_SCHEMA_VERSION = 1;

const isoTime = z.iso.datetime({ offset: true });
const digest = z.string().regex(DIGEST_PATTERN, "must be sha256: followed by 64 lowercase hex digits");

export const loadTestEvidenceSchema = z.discriminatedUnion("status", [
    /** A passing verdict of this digest in `testedIn`: the gate accepted it. */
    z.object({
        status: z.literal("passed"),
        testedIn: z.string().min(1),
        runId: z.string().min(1),
        finishedAt: isoTime,
        verdictKey: z.string().min(1),
        reportKey: z.string().min(1).optional(),
    }),
    /** `--without-load-test "<reason>"`: the gate was passed over, and why. */
    z.object({ status: z.literal("skipped"), testedIn: z.string().min(1), reason: z.string().min(1) }),
    /** The environment is not gated (release.gatedEnvironments), or the move was a rollback. */
    z.object({ status: z.literal("not-required") }),
]);
export type LoadTestEvidence = z.infer<typeof loadTestEvidenceSchema>;

export const promotionRecordSchema = z.object({
    schemaVersion: z.literal(PROMOTION_RECORD_SCHEMA_VERSION),
    kind: z.enum(["promotion", "rollback"]),
    environment: z.string().min(1),
    /** What the promotion named as its source (an environment, a version tag, a digest), or the history tag a rollback restored. */
    from: z.string().min(1),
    digest,
    previousDigest: digest.optional(),
    at: isoTime,
    /** The identity that moved the tag (STS GetCallerIdentity's ARN). */
    by: z.string().min(1),
    /** The history tag that kept the previous image, for a promotion that replaced one. */
    historyTag: z.string().min(1).optional(),
    loadTest: loadTestEvidenceSchema,
});
export type PromotionRecord = z.infer<typeof promotionRecordSchema>;
