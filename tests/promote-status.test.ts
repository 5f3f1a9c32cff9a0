import * as assert from "node:assert/strict";
import { environmentStatus, promote } from "../scripts/promote/promotion";
import { CONVENTIONS, NOT_GATED, FakeRegistry, ecrMock, expectedCall, mockedRepository, sentCalls, steppingClock, writeCalls } from "./promote-fixtures";

describe("status", () => {
    it("lists each environment in promotion order: digest, push time, version tags, rollback target; reading every page", async () => {
        const registry = new FakeRegistry().install();
        const clock = steppingClock();
        const first = registry.push("build-1", ["sha-111111111111", "dev"]);
        await promote(mockedRepository(), CONVENTIONS, { from: "dev", to: "staging", dryRun: false, force: false }, clock, NOT_GATED);
        const second = registry.push("build-2", ["sha-release-2", "sha-222222222222", "dev", "nightly"]);
        await promote(mockedRepository(), CONVENTIONS, { from: "dev", to: "staging", dryRun: false, force: false }, clock, NOT_GATED);
        registry.push("build-3", ["sha-333333333333"]);
        ecrMock.resetHistory();

        const statuses = await environmentStatus(mockedRepository(), CONVENTIONS);

        assert.deepEqual(statuses, [
            {
                environment: "dev",
                image: { digest: second, pushedAt: new Date("2025-01-01T00:01:00Z"), versionTags: ["sha-222222222222", "sha-release-2"] },
                rollbackTarget: undefined,
            },
            {
                environment: "staging",
                image: { digest: second, pushedAt: new Date("2025-01-01T00:01:00Z"), versionTags: ["sha-222222222222", "sha-release-2"] },
                rollbackTarget: { tag: "history-staging-20250304T050607Z", digest: first },
            },
            { environment: "prod", image: undefined, rollbackTarget: undefined },
        ]);
        assert.deepEqual(sentCalls(), [expectedCall.describeImages(), expectedCall.describeImages("2")]);
        assert.deepEqual(writeCalls(), []);
    });
});
