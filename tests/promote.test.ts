import * as assert from "node:assert/strict";
import {
    BatchGetImageCommand,
    DescribeRepositoriesCommand,
    ImageAlreadyExistsException,
    PutImageCommand,
    PutImageCommandInput,
    ReferencedImagesNotFoundException,
} from "@aws-sdk/client-ecr";
import { PromotionGate, PromotionRequest, TagMove, promote } from "../scripts/promote/promotion";
import { ImageRepository, MANIFEST_MEDIA_TYPES, RegistryError, matchesWildcard } from "../scripts/promote/registry";
import type { LoadTestEvidence } from "../scripts/release/promotion-record";
import {
    CONVENTIONS,
    DOCKER_MANIFEST,
    FakeRegistry,
    LOCATION,
    NOT_GATED,
    OCI_INDEX,
    ecrMock,
    expectedCall,
    manifestText,
    mockedClient,
    mockedRepository,
    sentCalls,
    steppingClock,
    writeCalls,
} from "./promote-fixtures";

const request = (from: string, to: string, options: Partial<PromotionRequest> = {}): PromotionRequest => ({ from, to, dryRun: false, force: false, ...options });

const run = (from: string, to: string, options: Partial<PromotionRequest> = {}) =>
    promote(mockedRepository(), CONVENTIONS, request(from, to, options), steppingClock(), NOT_GATED);

/** Runs a promotion that must fail; returns its message. */
async function refusal(from: string, to: string, options: Partial<PromotionRequest> = {}): Promise<string> {
    const error = await run(from, to, options).then(
        () => assert.fail(`${from} → ${to} should have failed`),
        (failure: unknown) => failure,
    );
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    return error.message;
}

describe("promote", () => {
    let registry: FakeRegistry;
    beforeEach(() => {
        registry = new FakeRegistry().install();
    });

    it("puts dev's manifest under staging byte for byte, after recording staging's previous image as history", async () => {
        const previous = registry.push("build-1", ["sha-111111111111", "staging"]);
        const candidate = registry.push("build-2", ["sha-222222222222", "dev"], OCI_INDEX);

        const result = await run("dev", "staging");

        assert.deepEqual(result, {
            outcome: "moved",
            from: "dev",
            move: { environment: "staging", fromDigest: previous, toDigest: candidate },
            historyTag: "history-staging-20250304T050607Z",
            loadTest: { status: "not-required" },
            warnings: [],
        });
        assert.deepEqual(sentCalls(), [
            expectedCall.batchGetImage({ imageTag: "dev" }),
            expectedCall.batchGetImage({ imageTag: "staging" }),
            expectedCall.describeRepositories(),
            expectedCall.putImage("history-staging-20250304T050607Z", manifestText("build-1"), DOCKER_MANIFEST),
            expectedCall.putImage("staging", manifestText("build-2", OCI_INDEX), OCI_INDEX),
            expectedCall.batchGetImage({ imageTag: "staging" }),
        ]);
        assert.equal(registry.digestOf("staging"), candidate);
        assert.deepEqual(registry.tagsOf(previous), ["history-staging-20250304T050607Z", "sha-111111111111"]);
    });

    for (const mediaType of MANIFEST_MEDIA_TYPES) {
        it(`keeps the media type and the digest of a ${mediaType}`, async () => {
            const candidate = registry.push("build", ["sha-333333333333", "dev"], mediaType);

            await run("dev", "staging");

            const puts = ecrMock.commandCalls(PutImageCommand).map((call) => call.args[0].input);
            assert.deepEqual(puts, [expectedCall.putImage("staging", manifestText("build", mediaType), mediaType).input]);
            assert.equal(registry.digestOf("staging"), candidate);
        });
    }

    it("creates the tag of an environment that has no image yet, with no history and no mutability check", async () => {
        registry.push("build-1", ["sha-111111111111", "dev"]);

        const result = await run("dev", "staging");

        assert.equal(result.outcome, "moved");
        assert.equal(result.move.fromDigest, undefined);
        assert.equal(result.historyTag, undefined);
        assert.deepEqual(sentCalls(), [
            expectedCall.batchGetImage({ imageTag: "dev" }),
            expectedCall.batchGetImage({ imageTag: "staging" }),
            expectedCall.putImage("staging", manifestText("build-1"), DOCKER_MANIFEST),
            expectedCall.batchGetImage({ imageTag: "staging" }),
        ]);
    });

    it("is idempotent: a repeat finds staging already there and writes nothing", async () => {
        registry.push("build-1", ["staging"]);
        const candidate = registry.push("build-2", ["sha-222222222222", "dev"]);
        await run("dev", "staging");
        const tagsAfterFirstRun = registry.allTags();
        ecrMock.resetHistory();

        const repeat = await run("dev", "staging");

        assert.equal(repeat.outcome, "unchanged");
        assert.deepEqual(repeat.move, { environment: "staging", fromDigest: candidate, toDigest: candidate });
        assert.deepEqual(sentCalls(), [expectedCall.batchGetImage({ imageTag: "dev" }), expectedCall.batchGetImage({ imageTag: "staging" })]);
        assert.deepEqual(registry.allTags(), tagsAfterFirstRun);
    });

    it("points the first environment at a version tag or a digest", async () => {
        const first = registry.push("build-1", ["sha-111111111111"]);
        const second = registry.push("build-2", ["sha-222222222222"]);

        await run("sha-111111111111", "dev");
        assert.equal(registry.digestOf("dev"), first);
        await run(second, "dev");

        assert.equal(registry.digestOf("dev"), second);
        assert.deepEqual(ecrMock.commandCalls(BatchGetImageCommand)[3].args[0].input.imageIds, [{ imageDigest: second }]);
        assert.deepEqual(registry.tagsOf(first), ["history-dev-20250304T050607Z", "sha-111111111111"]);
    });

    it("dry run: reads everything a promotion reads, reports the plan, and writes nothing", async () => {
        const previous = registry.push("build-1", ["staging"]);
        const candidate = registry.push("build-2", ["dev"]);

        const result = await run("dev", "staging", { dryRun: true });

        assert.deepEqual(result, {
            outcome: "planned",
            from: "dev",
            move: { environment: "staging", fromDigest: previous, toDigest: candidate },
            historyTag: "history-staging-20250304T050607Z",
            loadTest: { status: "not-required" },
            warnings: [],
        });
        assert.deepEqual(
            sentCalls().map((call) => call.command),
            ["BatchGetImage", "BatchGetImage", "DescribeRepositories"],
        );
        assert.deepEqual(writeCalls(), []);
        assert.deepEqual(registry.allTags(), ["dev", "staging"]);
    });

    describe("the gate (scripts/promote/gate.ts decides; here, when promote asks it)", () => {
        /** A gate that notes what it was asked and what had been sent to ECR by then. */
        function recordingGate(answer: () => Promise<LoadTestEvidence>) {
            const asked: { move: TagMove; callsBefore: string[] }[] = [];
            const gate: PromotionGate = async (move) => {
                asked.push({ move, callsBefore: sentCalls().map((call) => call.command) });
                return answer();
            };
            return { gate, asked };
        }
        const promoteWith = (gate: PromotionGate, options: Partial<PromotionRequest> = {}) =>
            promote(mockedRepository(), CONVENTIONS, request("dev", "staging", options), steppingClock(), gate);

        it("is asked with the move after every read and before any write, and its answer is the result's loadTest", async () => {
            const previous = registry.push("build-1", ["staging"]);
            const candidate = registry.push("build-2", ["dev"]);
            const passed: LoadTestEvidence = { status: "skipped", testedIn: "dev", reason: "hotfix" };
            const { gate, asked } = recordingGate(async () => passed);

            const result = await promoteWith(gate);

            assert.deepEqual(asked, [
                { move: { environment: "staging", fromDigest: previous, toDigest: candidate }, callsBefore: ["BatchGetImage", "BatchGetImage", "DescribeRepositories"] },
            ]);
            assert.deepEqual(result.loadTest, passed);
            assert.equal(registry.digestOf("staging"), candidate);
        });

        it("a dry run asks it too; a refusal stops the promotion with nothing written", async () => {
            registry.push("build-1", ["staging"]);
            registry.push("build-2", ["dev"]);
            const refusal = new Error("refused by the gate");
            for (const dryRun of [true, false]) {
                const { gate, asked } = recordingGate(() => Promise.reject(refusal));
                await assert.rejects(promoteWith(gate, { dryRun }), refusal);
                assert.equal(asked.length, 1);
            }
            assert.deepEqual(writeCalls(), []);
            assert.deepEqual(registry.allTags(), ["dev", "staging"]);
        });

        it("is not asked when the environment already runs the image: nothing changes", async () => {
            registry.push("build-1", ["dev", "staging"]);
            const { gate, asked } = recordingGate(async () => ({ status: "not-required" }));

            const result = await promoteWith(gate);

            assert.equal(result.outcome, "unchanged");
            assert.equal(result.loadTest, undefined);
            assert.deepEqual(asked, []);
        });
    });

    describe("promotion order", () => {
        const outOfOrder: [string, string, RegExp][] = [
            ["dev", "prod", /^prod does not follow dev in the promotion order dev → staging → prod\. Pass --force/],
            ["prod", "staging", /^staging does not follow prod/],
            ["staging", "dev", /^dev does not follow staging/],
            ["sha-111111111111", "staging", /^a build enters at dev: sha-111111111111 → staging skips dev \(order: dev → staging → prod\)/],
        ];
        for (const [from, to, message] of outOfOrder) {
            it(`refuses ${from} → ${to} without --force, before calling AWS`, async () => {
                assert.match(await refusal(from, to), message);
                assert.deepEqual(sentCalls(), []);
            });
        }

        it("promotes out of order with --force, and says what it overrode", async () => {
            const candidate = registry.push("build-1", ["dev"]);

            const result = await run("dev", "prod", { force: true });

            assert.equal(result.outcome, "moved");
            assert.deepEqual(result.warnings, ["prod does not follow dev in the promotion order dev → staging → prod"]);
            assert.equal(registry.digestOf("prod"), candidate);
        });
    });

    describe("errors: a clear message, and nothing written", () => {
        const argumentErrors: [string, string, RegExp][] = [
            ["dev", "qa", /^unknown environment "qa": the shared stack's environments are dev, staging, prod$/],
            ["dev", "sha-111111111111", /^unknown environment "sha-111111111111"/],
            ["latest", "dev", /^unknown source "latest": give an environment \(dev, staging, prod\), a version tag \(sha-\.\.\.\) or a digest/],
            ["sha256:abc", "dev", /^unknown source "sha256:abc"/],
            ["staging", "staging", /^cannot promote staging to itself$/],
        ];
        for (const [from, to, message] of argumentErrors) {
            it(`${from} → ${to}: refused before calling AWS`, async () => {
                assert.match(await refusal(from, to, { force: true }), message);
                assert.deepEqual(sentCalls(), []);
            });
        }

        it("a source tag that names no image", async () => {
            registry.push("build-1", ["staging"]);
            assert.match(await refusal("dev", "staging"), /^dev names no image in ecs-loadlab\/prime-counter: nothing to promote$/);
            assert.match(await refusal("sha-999999999999", "dev"), /^sha-999999999999 names no image/);
            assert.deepEqual(writeCalls(), []);
        });

        it("an immutable target tag: refused before the history record, naming the repository's setting", async () => {
            registry.push("build-1", ["staging"]);
            registry.push("build-2", ["dev"]);
            registry.exclusionFilters = ["dev", "prod*"];

            assert.match(
                await refusal("dev", "staging"),
                /^the tag staging is immutable in ecs-loadlab\/prime-counter \(IMMUTABLE_WITH_EXCLUSION, exclusion filters: dev, prod\*\): .*Nothing changed\.$/,
            );
            assert.deepEqual(writeCalls(), []);
            assert.deepEqual(registry.allTags(), ["dev", "staging"]);
        });

        it("a target that turns immutable after the check: the move fails with a clear message", async () => {
            registry.push("build-1", ["staging"]);
            registry.push("build-2", ["dev"]);
            registry.exclusionFilters = [];
            ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [{ imageTagMutability: "MUTABLE" }] });

            assert.match(await refusal("dev", "staging"), /^the tag staging already exists on another image and is immutable$/);
            assert.deepEqual(
                writeCalls().map((call) => (call.input as { imageTag: string }).imageTag),
                ["history-staging-20250304T050607Z", "staging"],
            );
        });

        it("a concurrent promotion of the same image got there first: ECR's ImageAlreadyExists counts as done", async () => {
            registry.push("build-1", ["staging"]);
            const candidate = registry.push("build-2", ["dev"]);
            ecrMock.on(PutImageCommand, { imageTag: "staging" }).callsFake((input: PutImageCommandInput) => {
                registry.putImage(input);
                throw new ImageAlreadyExistsException({ message: "Image with digest and tag 'staging' already exists", $metadata: {} });
            });

            const result = await run("dev", "staging");

            assert.equal(result.outcome, "moved");
            assert.equal(registry.digestOf("staging"), candidate);
        });

        it("a move the registry did not make fails verification", async () => {
            const previous = registry.push("build-1", ["staging"]);
            const candidate = registry.push("build-2", ["dev"]);
            ecrMock.on(PutImageCommand, { imageTag: "staging" }).resolves({});

            assert.equal(
                await refusal("dev", "staging"),
                `verification failed: staging points at ${previous}, not ${candidate}. Did someone else move it meanwhile? See --status.`,
            );
        });

        it("a manifest list whose images are gone", async () => {
            registry.push("build-1", ["dev"], OCI_INDEX);
            ecrMock.on(PutImageCommand).rejects(new ReferencedImagesNotFoundException({ message: "Referenced images not found", $metadata: {} }));

            assert.match(await refusal("dev", "staging"), /^cannot tag sha256:[a-f0-9]{64} as staging: images or layers it references are gone/);
        });

        it("an image the registry cannot return: the failure code and reason", async () => {
            ecrMock.on(BatchGetImageCommand).resolves({
                images: [],
                failures: [{ imageId: { imageTag: "dev" }, failureCode: "KmsError", failureReason: "The KMS key is disabled" }],
            });

            assert.equal(await refusal("dev", "staging"), "cannot read dev: KmsError: The KMS key is disabled");
            assert.deepEqual(writeCalls(), []);
        });
    });
});

describe("tag mutability", () => {
    const cases: [string, string[], string, boolean][] = [
        ["MUTABLE", [], "staging", true],
        ["IMMUTABLE", [], "staging", false],
        ["IMMUTABLE_WITH_EXCLUSION", ["dev", "staging", "prod"], "staging", true],
        ["IMMUTABLE_WITH_EXCLUSION", ["dev", "staging", "prod"], "sha-111111111111", false],
        ["IMMUTABLE_WITH_EXCLUSION", ["stag*"], "staging", true],
        ["MUTABLE_WITH_EXCLUSION", ["sha-*", "history-*"], "history-dev-20250304T050607Z", false],
        ["MUTABLE_WITH_EXCLUSION", ["sha-*", "history-*"], "prod", true],
    ];
    for (const [mode, filters, tag, mutable] of cases) {
        it(`${mode} [${filters.join(", ")}]: ${tag} is ${mutable ? "mutable" : "immutable"}`, async () => {
            ecrMock.reset();
            ecrMock.on(DescribeRepositoriesCommand).resolves({
                repositories: [{ imageTagMutability: mode as "MUTABLE", imageTagMutabilityExclusionFilters: filters.map((filter) => ({ filter, filterType: "WILDCARD" })) }],
            });
            const repository = new ImageRepository(mockedClient(), LOCATION);
            assert.equal((await repository.tagMutability(tag)).mutable, mutable);
        });
    }

    it("matches wildcards literally apart from *", () => {
        assert.equal(matchesWildcard("dev", "d.v"), false);
        assert.equal(matchesWildcard("dev-eu", "dev*"), true);
        assert.equal(matchesWildcard("my-dev", "dev*"), false);
    });
});
