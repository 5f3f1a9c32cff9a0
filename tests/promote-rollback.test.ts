import * as assert from "node:assert/strict";
import { BatchDeleteImageCommand } from "@aws-sdk/client-ecr";
import { historyOf, planRollback, promote, rollback } from "../scripts/promote/promotion";
import { RegistryError } from "../scripts/promote/registry";
import { CONVENTIONS, NOT_GATED, DOCKER_MANIFEST, FakeRegistry, ecrMock, expectedCall, manifestText, mockedRepository, sentCalls, steppingClock, writeCalls } from "./promote-fixtures";

describe("rollback", () => {
    let registry: FakeRegistry;
    let clock: () => Date;
    /** Digests of build-1..3, each pushed to dev and promoted to staging in turn. */
    let builds: string[];

    async function pushAndPromote(build: string): Promise<string> {
        const digest = registry.push(build, [`sha-${build}`, "dev"]);
        await promote(mockedRepository(), CONVENTIONS, { from: "dev", to: "staging", dryRun: false, force: false }, clock, NOT_GATED);
        return digest;
    }

    const rollBack = (environment = "staging", dryRun = false) => rollback(mockedRepository(), CONVENTIONS, { environment, dryRun });

    async function refusal(environment: string): Promise<string> {
        const error = await rollBack(environment).then(
            () => assert.fail(`rolling back ${environment} should have failed`),
            (failure: unknown) => failure,
        );
        assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
        return error.message;
    }

    beforeEach(async () => {
        registry = new FakeRegistry().install();
        clock = steppingClock();
        builds = [];
        for (const build of ["build-1", "build-2", "build-3"]) builds.push(await pushAndPromote(build));
        ecrMock.resetHistory();
    });

    it("moves the tag back to the image before the last promotion, and uses that history entry up", async () => {
        // Promoting build-1 recorded nothing (staging had no image); build-2 recorded build-1 at 05:06, build-3 build-2 at 05:07.
        assert.deepEqual(registry.tagsOf(builds[1]), ["history-staging-20250304T050707Z", "sha-build-2"]);

        const result = await rollBack();

        assert.deepEqual(result, {
            outcome: "moved",
            move: { environment: "staging", fromDigest: builds[2], toDigest: builds[1] },
            restored: { tag: "history-staging-20250304T050707Z", digest: builds[1] },
            consumedHistoryTags: ["history-staging-20250304T050707Z"],
            warnings: [],
        });
        assert.deepEqual(sentCalls(), [
            expectedCall.describeImages(),
            expectedCall.describeImages("2"),
            expectedCall.batchGetImage({ imageDigest: builds[1] }),
            expectedCall.describeRepositories(),
            expectedCall.putImage("staging", manifestText("build-2"), DOCKER_MANIFEST),
            expectedCall.batchGetImage({ imageTag: "staging" }),
            expectedCall.batchDeleteImage(["history-staging-20250304T050707Z"]),
        ]);
        assert.equal(registry.digestOf("staging"), builds[1]);
        assert.deepEqual(registry.tagsOf(builds[1]), ["sha-build-2", "staging"]);
    });

    it("goes further back each time instead of flip-flopping, and stops when the history is used up", async () => {
        await rollBack();
        assert.equal(registry.digestOf("staging"), builds[1]);
        await rollBack();
        assert.equal(registry.digestOf("staging"), builds[0]);

        ecrMock.resetHistory();
        assert.match(await refusal("staging"), /^no earlier image recorded for staging: there is no history-staging-\* tag on another image/);
        assert.deepEqual(writeCalls(), []);
        assert.equal(registry.digestOf("staging"), builds[0]);
        assert.deepEqual(registry.allTags().filter((tag) => tag.startsWith("history-")), []);
    });

    it("after a rollback, the next promotion records history again and a rollback undoes it", async () => {
        await rollBack();
        await promote(mockedRepository(), CONVENTIONS, { from: "dev", to: "staging", dryRun: false, force: false }, clock, NOT_GATED);
        assert.equal(registry.digestOf("staging"), builds[2]);

        await rollBack();
        assert.equal(registry.digestOf("staging"), builds[1]);
        await rollBack();
        assert.equal(registry.digestOf("staging"), builds[0]);
    });

    it("uses up, without restoring, newer entries naming the current image (left by an interrupted rollback)", async () => {
        const stale = "history-staging-20250305T000000Z";
        registry.images.get(builds[2])?.tags.push(stale);

        const result = await rollBack();

        assert.equal(result.restored.digest, builds[1]);
        assert.deepEqual(result.consumedHistoryTags, [stale, "history-staging-20250304T050707Z"]);
        assert.equal(registry.digestOf("staging"), builds[1]);
        assert.equal(registry.tagsOf(builds[2]).includes(stale), false);
    });

    it("dry run: reads, reports what it would restore and use up, and writes nothing", async () => {
        const result = await rollBack("staging", true);

        assert.equal(result.outcome, "planned");
        assert.deepEqual(result.move, { environment: "staging", fromDigest: builds[2], toDigest: builds[1] });
        assert.deepEqual(result.consumedHistoryTags, ["history-staging-20250304T050707Z"]);
        assert.deepEqual(writeCalls(), []);
        assert.equal(registry.digestOf("staging"), builds[2]);
    });

    it("a history tag it cannot remove becomes a warning; the rollback itself stands", async () => {
        ecrMock.on(BatchDeleteImageCommand).resolves({
            failures: [{ imageId: { imageTag: "history-staging-20250304T050707Z" }, failureCode: "KmsError", failureReason: "try later" }],
        });

        const result = await rollBack();

        assert.equal(result.outcome, "moved");
        assert.deepEqual(result.warnings, [
            "could not remove the used history tag history-staging-20250304T050707Z: KmsError: try later; remove it before rolling back again",
        ]);
        assert.equal(registry.digestOf("staging"), builds[1]);
    });

    it("refuses an unknown environment before calling AWS", async () => {
        assert.match(await refusal("qa"), /^unknown environment "qa"/);
        assert.deepEqual(sentCalls(), []);
    });

    it("refuses an environment with no history", async () => {
        assert.match(await refusal("prod"), /^no earlier image recorded for prod/);
        assert.deepEqual(writeCalls(), []);
    });

    it("refuses when the environment tag is immutable, writing nothing", async () => {
        registry.exclusionFilters = ["dev"];
        assert.match(await refusal("staging"), /^the tag staging is immutable/);
        assert.deepEqual(writeCalls(), []);
    });
});

describe("history entries", () => {
    const digest = (n: number) => `sha256:${String(n).repeat(64)}`;

    it("belong to one environment exactly, newest first, and only in the history tag format", () => {
        const images = [
            { digest: digest(1), tags: ["history-dev-20250101T000000Z", "history-dev-eu-20250301T000000Z", "sha-1"] },
            { digest: digest(2), tags: ["history-dev-20250201T000000Z", "history-dev-latest", "history-staging-20250301T000000Z"] },
        ];
        assert.deepEqual(historyOf(images, "dev"), [
            { tag: "history-dev-20250201T000000Z", digest: digest(2) },
            { tag: "history-dev-20250101T000000Z", digest: digest(1) },
        ]);
        assert.deepEqual(historyOf(images, "dev-eu"), [{ tag: "history-dev-eu-20250301T000000Z", digest: digest(1) }]);
    });

    it("a rollback restores the newest entry naming another image than the current one", () => {
        const history = [
            { tag: "history-dev-20250301T000000Z", digest: digest(3) },
            { tag: "history-dev-20250201T000000Z", digest: digest(2) },
        ];
        assert.deepEqual(planRollback(history, digest(1)), { restore: history[0], consumed: [history[0]] });
        assert.deepEqual(planRollback(history, digest(3)), { restore: history[1], consumed: history });
        assert.deepEqual(planRollback(history, undefined), { restore: history[0], consumed: [history[0]] });
        assert.equal(planRollback(history.slice(0, 1), digest(3)), undefined);
    });
});
