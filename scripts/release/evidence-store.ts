/**
 * The release evidence bucket in the shared account (stacks/shared-names.ts names it): load-test verdicts by
 * environment and digest, each run's HTML report beside its verdict, and the promotion records.
 *
 *   verdicts/<environment>/<digest>/<run id>.json    a Verdict (verdict.ts)
 *   verdicts/<environment>/<digest>/<run id>.html    the run's report
 *   promotions/<environment>/<UTC time>-<12 hex>.json a PromotionRecord (promotion-record.ts)
 *
 * Run ids and record names start with a UTC time, so the newest of a prefix is the greatest key: no object is read
 * to find it. The SDK's standard retries absorb throttling; every other failure is turned into a sentence naming the
 * bucket, the call and what to do.
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchBucket, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { compactTimestamp } from "../../k6/lib/summary";
import { EVIDENCE_PREFIXES } from "../../stacks/shared-names";
import { parseJsonText } from "../json-text";
import { PromotionRecord, promotionRecordSchema } from "./promotion-record";
import { Verdict, digestHex12, verdictSchema } from "./verdict";

/** An expected failure with a message for the user. */
export class EvidenceError extends Error {
    override readonly name = "EvidenceError";
}

/** Where the bucket is: its name and region, from the shared stack file. */
export interface EvidenceLocation {
    bucket: string;
    region: string;
}

export interface StoredKey {
    key: string;
    lastModified?: Date;
}


export const verdictPrefix = (environment: string, digest?: string) =>
    `${EVIDENCE_PREFIXES.verdicts}${environment}/${digest === undefined ? "" : `${digest}/`}`;
export const verdictKey = (verdict: Pick<Verdict, "target" | "runId">) => `${verdictPrefix(verdict.target.environment, verdict.target.digest)}${verdict.runId}.json`;
export const reportKeyOf = (key: string) => key.replace(/\.json$/, ".html");
export const promotionPrefix = (environment: string) => `${EVIDENCE_PREFIXES.promotions}${environment}/`;
export const promotionKey = (record: Pick<PromotionRecord, "environment" | "at" | "digest">) =>
    `${promotionPrefix(record.environment)}${compactTimestamp(new Date(record.at))}-${digestHex12(record.digest)}.json`;

/** The digest a verdict key names (`verdicts/<environment>/<digest>/<run id>.json`). */
export function digestOfVerdictKey(key: string): string {
    return key.split("/")[2];
}

/** The run id a verdict key names: its last part without `.json`. Run ids start with their UTC time, so they sort by time. */
export function runIdOfVerdictKey(key: string): string {
    return (key.split("/").at(-1) ?? "").replace(/\.json$/, "");
}

/** `s3://bucket/key` and the S3 console's page of the object, for people following a link from a history or summary. */
export function objectLinks({ bucket, region }: EvidenceLocation, key: string): { uri: string; console: string } {
    const console = `https://${region}.console.aws.amazon.com/s3/object/${bucket}?region=${region}&prefix=${encodeURIComponent(key)}`;
    return { uri: `s3://${bucket}/${key}`, console };
}

export class EvidenceStore {
    constructor(
        private readonly s3: S3Client,
        readonly location: EvidenceLocation,
    ) {}

    async putVerdict(verdict: Verdict, reportHtml?: string): Promise<{ verdictKey: string; reportKey?: string }> {
        const key = verdictKey(verdict);
        // The report first: a verdict never names a report that is not there.
        const reportKey = reportHtml === undefined ? undefined : reportKeyOf(key);
        if (reportKey !== undefined && reportHtml !== undefined) await this.put(reportKey, reportHtml, "text/html; charset=utf-8");
        await this.put(key, JSON.stringify(reportKey ? { ...verdict, reportKey } : verdict, null, 2), "application/json");
        return { verdictKey: key, ...(reportKey ? { reportKey } : {}) };
    }

    async putPromotion(record: PromotionRecord): Promise<string> {
        const key = promotionKey(record);
        await this.put(key, JSON.stringify(record, null, 2), "application/json");
        return key;
    }

    /** Verdict keys of an environment, of one digest or of all, oldest first (by run id). */
    async verdictKeys(environment: string, digest?: string): Promise<StoredKey[]> {
        return (await this.list(verdictPrefix(environment, digest))).filter((entry) => entry.key.endsWith(".json"));
    }

    /** Promotion record keys of an environment, oldest first. */
    async promotionKeys(environment: string): Promise<StoredKey[]> {
        return this.list(promotionPrefix(environment));
    }

    /**
     * Proves the bucket answers these credentials (one ListObjectsV2 of at most one key) before a command writes
     * anything elsewhere: a promotion whose record could not be kept is refused before its tag moves.
     */
    async assertReachable(environment: string): Promise<void> {
        const prefix = promotionPrefix(environment);
        await this.call("ListObjectsV2", prefix, () => this.s3.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, MaxKeys: 1 })));
    }

    async verdict(key: string): Promise<Verdict> {
        return this.read(key, verdictSchema, "verdict");
    }

    async promotion(key: string): Promise<PromotionRecord> {
        return this.read(key, promotionRecordSchema, "promotion record");
    }

    private async put(key: string, body: string, contentType: string): Promise<void> {
        await this.call("PutObject", key, () =>
            this.s3.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: key, Body: body, ContentType: contentType })),
        );
    }

    private async list(prefix: string): Promise<StoredKey[]> {
        const keys: StoredKey[] = [];
        let token: string | undefined;
        do {
            const page = await this.call("ListObjectsV2", prefix, () =>
                this.s3.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token })),
            );
            for (const object of page.Contents ?? []) if (object.Key) keys.push({ key: object.Key, lastModified: object.LastModified });
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        // Keys under a prefix differ only in their last part, which starts with a UTC time: text order is time order.
        return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }

    private async read<T>(key: string, schema: z.ZodType<T>, what: string): Promise<T> {
        const text = await this.call("GetObject", key, async () => {
            const response = await this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
            return response.Body === undefined ? "" : response.Body.transformToString();
        });
        const parsed = parseJsonText(text, this.uri(key), schema, {
            what: `a ${what} this version reads`,
            hint: `it was not written by this project's ${what === "verdict" ? "npm run loadtest" : "npm run promote"}, or by an older or newer version of it`,
        });
        if (!parsed.ok) throw new EvidenceError(parsed.message);
        return parsed.value;
    }

    private uri(key: string): string {
        return `s3://${this.location.bucket}/${key}`;
    }

    private async call<T>(action: string, key: string, send: () => Promise<T>): Promise<T> {
        try {
            return await send();
        } catch (error) {
            throw this.explain(action, key, error);
        }
    }

    private explain(action: string, key: string, error: unknown): Error {
        const where = `${action} ${this.uri(key)}`;
        const name = error instanceof Error ? error.name : "";
        if (error instanceof NoSuchBucket || name === "NoSuchBucket") {
            return new EvidenceError(
                `${where}: the evidence bucket ${this.location.bucket} does not exist in ${this.location.region}: deploy the shared stack with this checkout (pulumi up -s shared)`,
            );
        }
        if (error instanceof NoSuchKey || name === "NoSuchKey") return new EvidenceError(`${where}: no such object (removed since it was listed?)`);
        if (name === "AccessDenied" || name === "Forbidden") {
            return new EvidenceError(
                `${where}: access denied. The evidence bucket is in the shared account: use its deploy role (--role-arn), or for a load test ` +
                    `from another account list that account in the shared stack's release.verdictWriterAccountIds`,
            );
        }
        if (error instanceof Error && "$metadata" in error) {
            // Throttling (503 SlowDown, https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html)
            // reaches here only after the SDK's standard retries gave up.
            const { httpStatusCode, attempts } = (error as Error & { $metadata: { httpStatusCode?: number; attempts?: number } }).$metadata;
            const throttled = name === "SlowDown" || httpStatusCode === 503;
            const advice = throttled ? ` (S3 is throttling: ${attempts ?? "several"} attempts failed; try again in a minute)` : "";
            return new EvidenceError(`${where}: ${name}: ${error.message}${advice}`, { cause: error });
        }
        return error instanceof Error ? error : new Error(String(error));
    }
}
