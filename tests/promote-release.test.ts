import * as assert from "node:assert/strict";
import { PutImageCommand } from "@aws-sdk/client-ecr";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { objectLinks } from "../scripts/release/evidence-store";
import { promotionRecordSchema } from "../scripts/release/promotion-record";
import { evidenceBucketName } from "../stacks/shared-names";
import {
    CALLER_ARN,
    FakeEvidenceBucket,
    FakeRegistry,
    REPOSITORY,
    SHARED,
    SHARED_EVIDENCE,
    SHARED_STACK_FILE,
    ecrMock,
    mockCaller,
    runCommand,
    runOnStackFile,
    s3Mock,
    s3Writes,
    steppingClock,
    stsMock,
    verdictFixture,
    writeCalls,
} from "./promote-fixtures";

/**
 * `npm run promote` with the load-test gate, end to end on the mocked registry (ECR), evidence bucket (S3) and STS:
 * what is refused and what is written, the promotion records, --history and --status's LOAD TEST.
 * The shared stack file's clock starts at 2025-03-04T05:06:07.890Z and steps a minute per reading.
 */

const short = (digest: string) => digest.slice(0, 19);
const hex12 = (digest: string) => digest.slice(7, 19);

/** How every refusal of staging → prod ends: what to do. */
const WHAT_TO_DO = [
    "Run the load test against staging (npm run loadtest -- --stack loadgen --target staging k6/load.ts), then promote again;",
    'or promote without it, and your reason is recorded: npm run promote -- staging prod --without-load-test "<reason>"',
].join("\n");

describe("promote with the load-test gate", () => {
    let registry: FakeRegistry;
    let bucket: FakeEvidenceBucket;
    /** prod runs `previous`; staging runs `candidate`, the image promoted. */
    let previous: string;
    let candidate: string;

    before(() => {
        // The shipped shared stack gates prod, tested in staging; these tests promote staging → prod under it.
        assert.deepEqual(SHARED.release.gatedEnvironments, ["prod"]);
        assert.deepEqual(
            SHARED.environments.map((environment) => environment.name),
            ["dev", "staging", "prod"],
        );
    });

    beforeEach(() => {
        registry = new FakeRegistry(REPOSITORY).install();
        bucket = new FakeEvidenceBucket(SHARED_EVIDENCE).install();
        mockCaller();
        previous = registry.push("build-1", ["sha-111111111111", "prod"]);
        candidate = registry.push("build-2", ["sha-222222222222", "staging"]);
    });

    const listedPrefixes = () => s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix);

    /** A verdict of the candidate, run in staging. */
    const stagingVerdict = (options: Omit<Parameters<typeof verdictFixture>[0], "environment" | "digest">) =>
        verdictFixture({ environment: "staging", digest: candidate, ...options });

    describe("refusals: named, exit 1, nothing written (no PutImage, no PutObject)", () => {
        const cases: [string, () => void, () => string][] = [
            ["no run in staging", () => undefined, () => `and staging has no load-test verdict at all.`],
            [
                "staging's newest verdict is of another digest",
                () => {
                    bucket.addVerdict(verdictFixture({ environment: "staging", digest: previous, runId: "lt-20250303T120000Z-a1b2", finishedAt: "2025-03-03T12:10:00Z" }));
                    // A run of the candidate elsewhere does not count either.
                    bucket.addVerdict(verdictFixture({ environment: "dev", digest: candidate, runId: "lt-20250304T040000Z-a1b2", finishedAt: "2025-03-04T04:10:00Z" }));
                },
                () => `but it was never tested there: staging's newest verdict is of ${short(previous)} (run lt-20250303T120000Z-a1b2, started 2025-03-03T12:00:00Z).`,
            ],
            [
                "a failed threshold",
                () => {
                    bucket.addVerdict(stagingVerdict({ runId: "lt-20250304T030000Z-a1b2", finishedAt: "2025-03-04T03:10:00Z" }));
                    bucket.addVerdict(
                        stagingVerdict({
                            runId: "lt-20250304T040000Z-c3d4",
                            finishedAt: "2025-03-04T04:10:00Z",
                            verdict: "failed",
                            thresholds: [
                                { metric: "http_req_duration", expression: "p(99)<1500", ok: false },
                                { metric: "http_req_failed", expression: "rate<0.01", ok: true },
                            ],
                        }),
                    );
                },
                () => `but its newest run there, lt-20250304T040000Z-c3d4 (finished 2025-03-04T04:10:00Z), failed: http_req_duration: p(99)<1500.`,
            ],
            [
                "an incomplete run",
                () => {
                    bucket.addVerdict(
                        stagingVerdict({
                            runId: "lt-20250304T040000Z-c3d4",
                            finishedAt: "2025-03-04T04:10:00Z",
                            verdict: "incomplete",
                            result: { run: { errors: ["the run is incomplete: no result for segment 1/4:2/4"] } },
                        }),
                    );
                },
                () =>
                    `but its newest run there, lt-20250304T040000Z-c3d4 (finished 2025-03-04T04:10:00Z), is incomplete: a segment is missing or was cut short ` +
                    `(the run is incomplete: no result for segment 1/4:2/4).`,
            ],
            [
                "a run older than release.verdictMaxAgeHours",
                () => {
                    bucket.addVerdict(stagingVerdict({ runId: "lt-20250219T235000Z-c3d4", finishedAt: "2025-02-20T00:00:00Z" }));
                },
                // Read at the clock's second reading, 2025-03-04T05:07:07.890Z: 293.1 hours after.
                () =>
                    `but its newest run there, lt-20250219T235000Z-c3d4 (finished 2025-02-20T00:00:00Z), passed 293.1 hours ago: ` +
                    `older than release.verdictMaxAgeHours (${SHARED.release.verdictMaxAgeHours} hours) allows.`,
            ],
        ];
        for (const [name, arrange, problem] of cases) {
            it(name, async () => {
                arrange();
                const keysBefore = bucket.keys();
                for (const dryRun of [false, true]) {
                    const result = await runOnStackFile("staging", "prod", ...(dryRun ? ["--dry-run"] : []));

                    assert.equal(result.status, 1);
                    assert.equal(result.stderr, `error: prod needs a passing load test of ${short(candidate)} in staging, ${problem()}\n${WHAT_TO_DO}`);
                    assert.equal(result.stdout, "");
                }
                assert.deepEqual(writeCalls(), []);
                assert.deepEqual(s3Mock.commandCalls(PutObjectCommand), []);
                assert.deepEqual(bucket.keys(), keysBefore);
                assert.equal(registry.digestOf("prod"), previous);
            });
        }
    });

    it("a passing verdict: the tag moves, then the promotion record is written with the caller, the evidence and the history tag", async () => {
        const reportKey = `verdicts/staging/${candidate}/lt-20250304T040000Z-c3d4.html`;
        const verdictKey = bucket.addVerdict(stagingVerdict({ runId: "lt-20250304T040000Z-c3d4", finishedAt: "2025-03-04T04:10:00Z", reportKey }));
        const recordKey = `promotions/prod/20250304T050807Z-${hex12(candidate)}.json`;

        const result = await runOnStackFile("staging", "prod");

        assert.equal(result.status, 0, result.stderr);
        assert.equal(
            result.stdout,
            [
                "Promoted staging → prod, verified",
                `  prod: ${previous} → ${candidate}`,
                "  load test: passed: run lt-20250304T040000Z-c3d4 in staging, finished 2025-03-04T04:10:00Z",
                "  kept the previous image as history-prod-20250304T050607Z (for --rollback prod)",
                `  recorded as s3://${SHARED_EVIDENCE.bucket}/${recordKey}`,
                "Roll it out: pulumi up -s prod",
            ].join("\n"),
        );
        assert.equal(registry.digestOf("prod"), candidate);
        const record = bucket.json(recordKey);
        assert.deepEqual(record, {
            schemaVersion: 1,
            kind: "promotion",
            environment: "prod",
            from: "staging",
            digest: candidate,
            previousDigest: previous,
            at: "2025-03-04T05:08:07.890Z",
            by: CALLER_ARN,
            historyTag: "history-prod-20250304T050607Z",
            loadTest: { status: "passed", testedIn: "staging", runId: "lt-20250304T040000Z-c3d4", finishedAt: "2025-03-04T04:10:00Z", verdictKey, reportKey },
        });
        assert.ok(promotionRecordSchema.safeParse(record).success);
        // The record comes after the verified move: it never claims a move that did not happen.
        const [put] = s3Mock.commandCalls(PutObjectCommand);
        assert.ok(put.calledAfter(ecrMock.commandCalls(PutImageCommand).at(-1)!));
        assert.deepEqual(s3Writes(), [recordKey]);
    });

    it("a dry run says the gate would pass, and writes nothing", async () => {
        bucket.addVerdict(stagingVerdict({ runId: "lt-20250304T040000Z-c3d4", finishedAt: "2025-03-04T04:10:00Z" }));

        const result = await runOnStackFile("staging", "prod", "--dry-run");

        assert.equal(result.status, 0, result.stderr);
        assert.equal(
            result.stdout,
            [
                "Dry run: would promote staging → prod",
                `  prod: ${previous} → ${candidate}`,
                "  load test: passed: run lt-20250304T040000Z-c3d4 in staging, finished 2025-03-04T04:10:00Z",
                "  would keep the previous image as history-prod-20250304T050607Z (for --rollback prod)",
                "Nothing was written.",
            ].join("\n"),
        );
        assert.deepEqual(writeCalls(), []);
        assert.deepEqual(s3Writes(), []);
        assert.deepEqual(stsMock.calls(), []);
    });

    it("--without-load-test: the gate is passed over without reading a verdict, and the record keeps the reason", async () => {
        const result = await runOnStackFile("staging", "prod", "--without-load-test", "  hotfix for INC-42; load-tested by hand  ");

        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /^ {2}load test: skipped: hotfix for INC-42; load-tested by hand$/m);
        assert.deepEqual(listedPrefixes(), ["promotions/prod/"], "only the bucket's reachability, no verdict");
        const key = `promotions/prod/20250304T050707Z-${hex12(candidate)}.json`;
        assert.deepEqual((bucket.json(key) as { loadTest: unknown }).loadTest, {
            status: "skipped",
            testedIn: "staging",
            reason: "hotfix for INC-42; load-tested by hand",
        });
    });

    it("--without-load-test into an environment that is not gated: a usage error, before any AWS call", async () => {
        const result = await runOnStackFile("dev", "staging", "--without-load-test", "hotfix");

        assert.equal(result.status, 2);
        assert.equal(
            result.stderr,
            "error: --without-load-test: staging needs no load test (the shared stack's release.gatedEnvironments: prod)\n" +
                'usage: npm run promote -- <from> <to> [--dry-run] [--force] [--without-load-test "<reason>"] (npm run promote -- --help for all options)',
        );
        assert.deepEqual(result.connections, []);
    });

    it("an ungated environment (dev → staging) needs no verdict, and its record says not required", async () => {
        const devImage = registry.push("build-3", ["dev"]);

        const result = await runOnStackFile("dev", "staging");

        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(listedPrefixes(), ["promotions/staging/"], "only the bucket's reachability, no verdict");
        assert.deepEqual(bucket.json(`promotions/staging/20250304T050707Z-${hex12(devImage)}.json`), {
            schemaVersion: 1,
            kind: "promotion",
            environment: "staging",
            from: "dev",
            digest: devImage,
            previousDigest: candidate,
            at: "2025-03-04T05:07:07.890Z",
            by: CALLER_ARN,
            historyTag: "history-staging-20250304T050607Z",
            loadTest: { status: "not-required" },
        });
    });

    it("a promotion into an environment with no image yet: the record has no previous digest and no history tag", async () => {
        const build = registry.push("build-3", ["sha-333333333333"]);

        const result = await runOnStackFile("sha-333333333333", "dev");

        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(bucket.json(`promotions/dev/20250304T050607Z-${hex12(build)}.json`), {
            schemaVersion: 1,
            kind: "promotion",
            environment: "dev",
            from: "sha-333333333333",
            digest: build,
            at: "2025-03-04T05:06:07.890Z",
            by: CALLER_ARN,
            loadTest: { status: "not-required" },
        });
    });

    it("the record cannot be written after the tag moved: exit 1, saying so, with the record printed to keep", async () => {
        s3Mock.on(PutObjectCommand).rejects(
            new S3ServiceException({ name: "AccessDenied", $fault: "client", message: "Access Denied", $metadata: { httpStatusCode: 403 } }),
        );
        const key = `promotions/prod/20250304T050707Z-${hex12(candidate)}.json`;

        const result = await runOnStackFile("staging", "prod", "--without-load-test", "hotfix");

        assert.equal(result.status, 1);
        assert.equal(registry.digestOf("prod"), candidate, "the tag moved");
        assert.match(result.stdout, /^Promoted staging → prod, verified$/m);
        assert.doesNotMatch(result.stdout, /recorded as|Roll it out/);
        const [problem, keep, ...json] = result.stderr.split("\n");
        assert.equal(
            problem,
            `error: prod's tag moved, but its promotion record is not written: PutObject s3://${SHARED_EVIDENCE.bucket}/${key}: access denied. ` +
                "The evidence bucket is in the shared account: use its deploy role (--role-arn), or for a load test from another account " +
                "list that account in the shared stack's release.verdictWriterAccountIds",
        );
        assert.equal(keep, `Keep it: save the JSON below to a file and copy it there (aws s3 cp <file> s3://${SHARED_EVIDENCE.bucket}/${key}).`);
        assert.deepEqual(JSON.parse(json.join("\n")), {
            schemaVersion: 1,
            kind: "promotion",
            environment: "prod",
            from: "staging",
            digest: candidate,
            previousDigest: previous,
            at: "2025-03-04T05:07:07.890Z",
            by: CALLER_ARN,
            historyTag: "history-prod-20250304T050607Z",
            loadTest: { status: "skipped", testedIn: "staging", reason: "hotfix" },
        });
    });

    it("who the caller is cannot be found: exit 1 before anything is written", async () => {
        stsMock.reset();
        stsMock.onAnyCommand().rejects(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));

        const result = await runOnStackFile("staging", "prod", "--without-load-test", "hotfix");

        assert.equal(result.status, 1);
        assert.match(result.stderr, /^error: no AWS credentials for the registry account/);
        assert.deepEqual(writeCalls(), []);
        assert.deepEqual(s3Writes(), []);
    });

    it("the evidence bucket is not there (the shared stack not yet deployed with it): refused before the tag moves", async () => {
        const devImage = registry.push("build-3", ["dev"]);
        new FakeEvidenceBucket({ bucket: "ecs-loadlab-evidence-elsewhere", region: "eu-west-1" }).install();

        const result = await runOnStackFile("dev", "staging");

        assert.equal(result.status, 1);
        assert.match(result.stderr, /the evidence bucket ecs-loadlab-evidence-111111111111-eu-west-1 does not exist in eu-west-1: deploy the shared stack/);
        assert.deepEqual(writeCalls(), []);
        assert.notEqual(registry.digestOf("staging"), devImage);
    });

    it("the evidence bucket follows --region and --registry-id, as the registry does", async () => {
        const elsewhere = { region: "us-east-1", registryId: "555555555555", repositoryName: REPOSITORY.repositoryName };
        new FakeRegistry(elsewhere).install();
        const otherBucket = new FakeEvidenceBucket({ bucket: evidenceBucketName("555555555555", "us-east-1"), region: "us-east-1" }).install();

        const result = await runOnStackFile("--history", "prod", "--region", "us-east-1", "--registry-id", "555555555555");

        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(
            s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Bucket),
            [otherBucket.location.bucket],
        );
        assert.deepEqual(result.connections, [{ region: "us-east-1", profile: undefined, roleArn: undefined }]);
    });

    describe("--history", () => {
        /** One clock for the whole story, so each step happens a minute or two after the last. */
        let story: () => Date;
        const run = (...argv: string[]) => runCommand([...argv, "--stack-file", SHARED_STACK_FILE], story);
        let builds: { old: string; reportKey: string; verdictKey: string; hotfix: string };

        beforeEach(async () => {
            story = steppingClock();
            // Before promotion records existed, a promotion into prod kept the image prod had then under this history tag.
            const old = registry.push("build-0", ["history-prod-20250101T000000Z"]);
            const reportKey = `verdicts/staging/${candidate}/lt-20250304T040000Z-c3d4.html`;
            const verdictKey = bucket.addVerdict(stagingVerdict({ runId: "lt-20250304T040000Z-c3d4", finishedAt: "2025-03-04T04:10:00Z", reportKey }));
            assert.equal((await run("staging", "prod")).status, 0); // 05:06 history tag, 05:07 gate, 05:08 record
            const hotfix = registry.push("build-3", ["staging"]);
            assert.equal((await run("staging", "prod", "--without-load-test", "hotfix for INC-42")).status, 0); // 05:09 history, 05:10 record
            assert.equal((await run("--rollback", "prod")).status, 0); // 05:11 record
            builds = { old, reportKey, verdictKey, hotfix };
            ecrMock.resetHistory();
            s3Mock.resetHistory();
        });

        it("lists records newest first: kind, from, digest, by, load test with the report's links; history tags without a record", async () => {
            const result = await run("--history", "prod");

            assert.equal(result.status, 0, result.stderr);
            const { uri, console } = objectLinks(SHARED_EVIDENCE, builds.reportKey);
            assert.equal(
                result.stdout,
                [
                    `Promotions into prod, newest first (records in s3://${SHARED_EVIDENCE.bucket}/promotions/prod/)`,
                    `2025-03-04T05:11:07Z  rollback  history-prod-20250304T050907Z → prod  ${short(candidate)}  by ${CALLER_ARN}`,
                    "    load test: not required",
                    `2025-03-04T05:10:07Z  promotion  staging → prod  ${short(builds.hotfix)}  by ${CALLER_ARN}`,
                    "    load test: skipped: hotfix for INC-42",
                    `2025-03-04T05:08:07Z  promotion  staging → prod  ${short(candidate)}  by ${CALLER_ARN}`,
                    "    load test: passed: run lt-20250304T040000Z-c3d4 in staging, finished 2025-03-04T04:10:00Z",
                    `    report:    ${uri}`,
                    `               ${console}`,
                    `2025-01-01T00:00:00Z  (no record)  the promotion kept the previous image ${short(builds.old)} as history-prod-20250101T000000Z`,
                ].join("\n"),
            );
            assert.match(console, new RegExp(`^https://${SHARED_EVIDENCE.region}\\.console\\.aws\\.amazon\\.com/s3/object/${SHARED_EVIDENCE.bucket}\\?region=`));
            assert.deepEqual(writeCalls(), []);
            assert.deepEqual(s3Writes(), []);
        });

        it("--limit n reads only the newest n records, and lists no older history tag as unrecorded", async () => {
            const result = await run("--history", "prod", "--limit", "2");

            assert.equal(result.status, 0, result.stderr);
            assert.deepEqual(
                result.stdout.split("\n").filter((line) => /^\d{4}-/.test(line)),
                [
                    `2025-03-04T05:11:07Z  rollback  history-prod-20250304T050907Z → prod  ${short(candidate)}  by ${CALLER_ARN}`,
                    `2025-03-04T05:10:07Z  promotion  staging → prod  ${short(builds.hotfix)}  by ${CALLER_ARN}`,
                ],
            );
            // history-prod-20250304T050607Z belongs to the unread 05:08 record: it is not listed as unrecorded.
            assert.equal(s3Mock.commandCalls(GetObjectCommand).length, 2);
        });

        it("a passing record whose verdict has no report links the verdict itself", async () => {
            const [key] = bucket.keys("promotions/prod/").filter((candidateKey) => candidateKey.includes("T050807Z"));
            const record = bucket.json(key) as { loadTest: Record<string, unknown> };
            delete record.loadTest.reportKey;
            bucket.objects.set(key, { body: JSON.stringify(record) });

            const result = await run("--history", "prod");

            assert.match(result.stdout, new RegExp(`^ {4}verdict: {3}s3://${SHARED_EVIDENCE.bucket}/${builds.verdictKey.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
        });

        it("an environment with neither records nor history tags, and an unknown environment", async () => {
            const empty = await run("--history", "dev");
            assert.equal(empty.status, 0, empty.stderr);
            assert.equal(empty.stdout, "No promotion into dev is recorded, and the registry has no history tag of it.");

            const unknown = await run("--history", "qa");
            assert.equal(unknown.status, 1);
            assert.equal(unknown.stderr, `error: unknown environment "qa": the shared stack's environments are dev, staging, prod`);
        });
    });

    it("--status: LOAD TEST is the newest verdict of the digest each environment runs, tested in that environment", async () => {
        registry.push("build-1", ["sha-111111111111", "prod", "dev"]);
        // staging: its digest passed an hour before, then another digest ran later there (not its image: not shown).
        bucket.addVerdict(stagingVerdict({ runId: "lt-20250304T035500Z-c3d4", finishedAt: "2025-03-04T04:06:07.890Z" }));
        bucket.addVerdict(verdictFixture({ environment: "staging", digest: previous, runId: "lt-20250304T050000Z-e5f6", finishedAt: "2025-03-04T05:05:00Z" }));
        // dev: its digest's newest run failed, after an earlier pass.
        bucket.addVerdict(verdictFixture({ environment: "dev", digest: previous, runId: "lt-20250302T000000Z-aaaa", finishedAt: "2025-03-02T00:10:00Z" }));
        bucket.addVerdict(
            verdictFixture({ environment: "dev", digest: previous, runId: "lt-20250303T000000Z-bbbb", finishedAt: "2025-03-03T05:06:07.890Z", verdict: "failed" }),
        );
        // prod: the staging run of its digest is not a run in prod.

        const result = await runOnStackFile("--status");

        assert.equal(result.status, 0, result.stderr);
        const [, header, ...rows] = result.stdout.split("\n");
        const column = header.indexOf("LOAD TEST");
        assert.ok(column > header.indexOf("ROLLBACK TO"));
        assert.deepEqual(
            rows.map((row) => row.slice(column)),
            ["failed lt-20250303T000000Z-bbbb (24.0 hours ago)", "passed lt-20250304T035500Z-c3d4 (1.0 hours ago)", "none"],
        );
        assert.deepEqual(writeCalls(), []);
        assert.deepEqual(s3Writes(), []);
    });

    it("--status with the evidence bucket unreadable: the registry's columns, LOAD TEST unknown, and a warning saying why", async () => {
        new FakeEvidenceBucket({ bucket: "ecs-loadlab-evidence-elsewhere", region: "eu-west-1" }).install();

        const result = await runOnStackFile("--status");

        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, /^warning: the LOAD TEST column is unknown: .*the evidence bucket ecs-loadlab-evidence-111111111111-eu-west-1 does not exist/);
        const [, header, ...rows] = result.stdout.split("\n");
        const column = header.indexOf("LOAD TEST");
        assert.deepEqual(rows.map((row) => row.slice(column)), ["(unknown)", "(unknown)", "(unknown)"]);
        assert.match(rows[1], new RegExp(`^staging +${candidate.slice(0, 20)}`));
    });
});
