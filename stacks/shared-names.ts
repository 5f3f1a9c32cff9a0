/**
 * What the shared stack names, for the tools that read and write there without the Pulumi CLI (`npm run loadtest`
 * records a verdict, `npm run promote` checks one): one place the stack and the tools both use.
 */
import { BUCKET_PREFIX } from "../config";

/**
 * The release evidence bucket: load-test verdicts by environment and digest, and promotion records. Named from the
 * shared account and region (both in its stack file), so the name is unique and every tool can compute it.
 */
export function evidenceBucketName(accountId: string, region: string): string {
    return `${BUCKET_PREFIX}evidence-${accountId}-${region}`;
}

/**
 * The evidence bucket's top-level prefixes: load-test verdicts (which the accounts in `release.verdictWriterAccountIds`
 * may write) and promotion records (which only the shared account writes).
 */
export const EVIDENCE_PREFIXES = { verdicts: "verdicts/", promotions: "promotions/" } as const;
