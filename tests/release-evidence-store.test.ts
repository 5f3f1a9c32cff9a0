import * as assert from "node:assert/strict";
import { Readable } from "node:stream";
import { ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
// The SDK's standard retry strategy with its backoff configurable (here: none), as every AWS SDK client carries it.
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import {
    EvidenceError,
    EvidenceStore,
    digestOfVerdictKey,
    objectLinks,
    promotionKey,
    runIdOfVerdictKey,
    verdictKey,
} from "../scripts/release/evidence-store";
import { PromotionRecord } from "../scripts/release/promotion-record";
import { CALLER_ARN, EVIDENCE, FAKE_CREDENTIALS, FakeEvidenceBucket, mockedS3Client, mockedStore, s3Mock, sha256, verdictFixture } from "./promote-fixtures";

const DIGEST = sha256("build-1");
const verdictOf = (runId: string, environment = "staging", digest = DIGEST) =>
    verdictFixture({ environment, digest, runId, finishedAt: "2025-03-04T04:10:00Z" });

/** Runs a store call that must fail; returns its error. */
async function failure(call: Promise<unknown>): Promise<Error> {
    const error = await call.then(
        () => assert.fail("the call should have failed"),
        (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof Error);
    return error;
}

const serviceError = (name: string, message: string, httpStatusCode: number, attempts = 1) =>
    new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? "server" : "client", message, $metadata: { httpStatusCode, attempts } });

describe("release evidence store", () => {
    let bucket: FakeEvidenceBucket;
    beforeEach(() => {
        bucket = new FakeEvidenceBucket().install();
    });

    it("lists every page (ListObjectsV2 continuation), verdicts only (not their reports), by run id", async () => {
        const runIds = ["lt-20250301T000000Z-aaaa", "lt-20250302T000000Z-bbbb", "lt-20250303T000000Z-cccc", "lt-20250304T000000Z-dddd"];
        for (const runId of [...runIds].reverse()) bucket.addVerdict(verdictOf(runId));
        bucket.objects.set(`verdicts/staging/${DIGEST}/lt-20250302T000000Z-bbbb.html`, { body: "<html></html>" });
        bucket.addVerdict(verdictOf("lt-20250305T000000Z-eeee", "dev"));

        const keys = await mockedStore().verdictKeys("staging", DIGEST);

        assert.deepEqual(
            keys.map(({ key }) => runIdOfVerdictKey(key)),
            runIds,
        );
        assert.ok(keys.every(({ key }) => digestOfVerdictKey(key) === DIGEST));
        assert.deepEqual(
            s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input),
            [undefined, "token-2", "token-4"].map((ContinuationToken) => ({ Bucket: EVIDENCE.bucket, Prefix: `verdicts/staging/${DIGEST}/`, ContinuationToken })),
        );
    });

    it("an environment's verdicts of every digest, and its promotion records", async () => {
        bucket.addVerdict(verdictOf("lt-20250301T000000Z-aaaa", "staging", sha256("build-2")));
        bucket.addVerdict(verdictOf("lt-20250302T000000Z-bbbb"));
        bucket.addVerdict(verdictOf("lt-20250303T000000Z-cccc", "prod"));

        const keys = (await mockedStore().verdictKeys("staging")).map(({ key }) => key);

        assert.deepEqual([...keys].sort(), [verdictKey(verdictOf("lt-20250301T000000Z-aaaa", "staging", sha256("build-2"))), verdictKey(verdictOf("lt-20250302T000000Z-bbbb"))].sort());
        assert.deepEqual(await mockedStore().promotionKeys("prod"), []);
    });

    it("writes the report before the verdict, which names it; reads a verdict back through its schema", async () => {
        const verdict = verdictOf("lt-20250304T040000Z-c3d4");
        const store = mockedStore();

        const written = await store.putVerdict(verdict, "<html>report</html>");

        const key = `verdicts/staging/${DIGEST}/lt-20250304T040000Z-c3d4.json`;
        const reportKey = key.replace(/\.json$/, ".html");
        assert.deepEqual(written, { verdictKey: key, reportKey });
        assert.deepEqual(
            s3Mock.commandCalls(PutObjectCommand).map((call) => [call.args[0].input.Key, call.args[0].input.ContentType]),
            [
                [reportKey, "text/html; charset=utf-8"],
                [key, "application/json"],
            ],
        );
        assert.deepEqual(await store.verdict(key), { ...verdict, reportKey });
    });

    it("names a promotion record by its environment, UTC second and digest", async () => {
        const record: PromotionRecord = {
            schemaVersion: 1,
            kind: "promotion",
            environment: "prod",
            from: "staging",
            digest: DIGEST,
            at: "2025-03-04T05:06:07.890Z",
            by: CALLER_ARN,
            loadTest: { status: "not-required" },
        };
        assert.equal(promotionKey(record), `promotions/prod/20250304T050607Z-${DIGEST.slice(7, 19)}.json`);
        assert.equal(await mockedStore().putPromotion(record), promotionKey(record));
        assert.deepEqual(await mockedStore().promotion(promotionKey(record)), record);
    });

    it("links an object: its s3:// URI and the S3 console's page", () => {
        assert.deepEqual(objectLinks({ bucket: "ecs-loadlab-evidence-111111111111-eu-west-1", region: "eu-west-1" }, "verdicts/staging/sha256:ab/lt-1.html"), {
            uri: "s3://ecs-loadlab-evidence-111111111111-eu-west-1/verdicts/staging/sha256:ab/lt-1.html",
            console:
                "https://eu-west-1.console.aws.amazon.com/s3/object/ecs-loadlab-evidence-111111111111-eu-west-1?region=eu-west-1&prefix=verdicts%2Fstaging%2Fsha256%3Aab%2Flt-1.html",
        });
    });

    describe("failures: each a sentence naming the call, the bucket and what to do", () => {
        it("NoSuchBucket: the shared stack is not deployed with this checkout", async () => {
            const store = new EvidenceStore(mockedS3Client(), { ...EVIDENCE, bucket: "ecs-loadlab-evidence-999999999999-eu-west-1" });
            const error = await failure(store.verdictKeys("staging"));
            assert.ok(error instanceof EvidenceError);
            assert.equal(
                error.message,
                "ListObjectsV2 s3://ecs-loadlab-evidence-999999999999-eu-west-1/verdicts/staging/: the evidence bucket ecs-loadlab-evidence-999999999999-eu-west-1 " +
                    `does not exist in ${EVIDENCE.region}: deploy the shared stack with this checkout (pulumi up -s shared)`,
            );
        });

        it("AccessDenied: which identity to use", async () => {
            s3Mock.on(PutObjectCommand).rejects(serviceError("AccessDenied", "Access Denied", 403));
            const error = await failure(mockedStore().putVerdict(verdictOf("lt-20250304T040000Z-c3d4")));
            assert.ok(error instanceof EvidenceError);
            assert.equal(
                error.message,
                `PutObject s3://${EVIDENCE.bucket}/verdicts/staging/${DIGEST}/lt-20250304T040000Z-c3d4.json: access denied. The evidence bucket is in the shared ` +
                    "account: use its deploy role (--role-arn), or for a load test from another account list that account in the shared stack's release.verdictWriterAccountIds",
            );
        });

        it("NoSuchKey, an object that is not JSON, and one that is not a verdict", async () => {
            const store = mockedStore();
            const missing = await failure(store.verdict("verdicts/staging/nothing.json"));
            assert.equal(missing.message, `GetObject s3://${EVIDENCE.bucket}/verdicts/staging/nothing.json: no such object (removed since it was listed?)`);

            bucket.objects.set("verdicts/staging/text.json", { body: "not json" });
            assert.match(
                (await failure(store.verdict("verdicts/staging/text.json"))).message,
                new RegExp(`^s3://${EVIDENCE.bucket}/verdicts/staging/text\\.json is not JSON \\(.+\\): it was not written by this project's npm run loadtest`),
            );

            bucket.objects.set("verdicts/staging/other.json", { body: JSON.stringify({ schemaVersion: 2 }) });
            assert.match(
                (await failure(store.verdict("verdicts/staging/other.json"))).message,
                new RegExp(`^s3://${EVIDENCE.bucket}/verdicts/staging/other\\.json is not a verdict this version reads:\\n {2}- schemaVersion: `),
            );
        });

        it("throttling the SDK's retries could not absorb: names the call, the bucket and the attempts", async () => {
            s3Mock.on(ListObjectsV2Command).rejects(serviceError("SlowDown", "Please reduce your request rate.", 503, 3));
            const error = await failure(mockedStore().promotionKeys("prod"));
            assert.ok(error instanceof EvidenceError);
            assert.equal(
                error.message,
                `ListObjectsV2 s3://${EVIDENCE.bucket}/promotions/prod/: SlowDown: Please reduce your request rate. (S3 is throttling: 3 attempts failed; try again in a minute)`,
            );
        });

        it("any other service error is named with its call and bucket; a credentials error passes through for the command's hint", async () => {
            s3Mock.on(ListObjectsV2Command).rejects(serviceError("InvalidObjectState", "The operation is not valid for the object's storage class", 403));
            assert.equal(
                (await failure(mockedStore().promotionKeys("prod"))).message,
                `ListObjectsV2 s3://${EVIDENCE.bucket}/promotions/prod/: InvalidObjectState: The operation is not valid for the object's storage class`,
            );

            const credentials = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
            s3Mock.on(ListObjectsV2Command).rejects(credentials);
            assert.equal(await failure(mockedStore().promotionKeys("prod")), credentials);
        });
    });

    describe("throttling through the SDK's own retry (a client with a fake HTTP handler, not the mock)", () => {
        const LISTING = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${EVIDENCE.bucket}</Name><Prefix>promotions/prod/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>promotions/prod/20250304T050607Z-0123456789ab.json</Key><LastModified>2025-03-04T05:06:08.000Z</LastModified><Size>512</Size></Contents></ListBucketResult>`;
        // The body S3 sends with 503 SlowDown: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
        const SLOW_DOWN = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>fake</HostId></Error>`;

        /** An S3 client whose HTTP answers come from `answers` in turn; the SDK's standard retry, without its backoff delay. */
        function clientAnswering(answers: Array<{ status: number; body: string }>) {
            const requests: string[] = [];
            const client = new S3Client({
                region: EVIDENCE.region,
                credentials: FAKE_CREDENTIALS,
                retryStrategy: new ConfiguredRetryStrategy(3, 0),
                requestHandler: {
                    handle: async (request: { method: string; path: string }) => {
                        requests.push(`${request.method} ${request.path}`);
                        const answer = answers.shift() ?? assert.fail("more requests than answers");
                        const response = { statusCode: answer.status, headers: { "content-type": "application/xml" }, body: Readable.from([Buffer.from(answer.body)]) };
                        return { response };
                    },
                },
            });
            return { store: new EvidenceStore(client, EVIDENCE), requests };
        }

        it("a 503 SlowDown is retried by the SDK, and the listing succeeds", async () => {
            const { store, requests } = clientAnswering([
                { status: 503, body: SLOW_DOWN },
                { status: 200, body: LISTING },
            ]);

            const keys = await store.promotionKeys("prod");

            assert.deepEqual(keys, [{ key: "promotions/prod/20250304T050607Z-0123456789ab.json", lastModified: new Date("2025-03-04T05:06:08.000Z") }]);
            assert.equal(requests.length, 2);
        });

        it("SlowDown on every attempt: the store's message, after the SDK's 3 attempts", async () => {
            const { store, requests } = clientAnswering([1, 2, 3].map(() => ({ status: 503, body: SLOW_DOWN })));

            const error = await failure(store.promotionKeys("prod"));

            assert.equal(requests.length, 3);
            assert.equal(
                error.message,
                `ListObjectsV2 s3://${EVIDENCE.bucket}/promotions/prod/: SlowDown: Please reduce your request rate. (S3 is throttling: 3 attempts failed; try again in a minute)`,
            );
        });
    });
});
