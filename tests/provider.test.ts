import * as assert from "node:assert/strict";
import { accountProvider } from "../components/provider";
import { loadEnvironmentConfig } from "./environment-fixtures";
import { build, mocks, useMocks } from "./mocks";

describe("account provider", () => {
    before(useMocks);
    beforeEach(() => mocks.reset());

    it("pins an environment stack's provider to its own account and region, tagging the environment", async () => {
        const config = loadEnvironmentConfig("Pulumi.dev.yaml");
        const { region, accountId } = config.aws;
        await build(() => accountProvider("dev", { aws: config.aws, role: "dev" }));
        const provider = mocks.one("pulumi:providers:aws");
        assert.deepEqual(
            {
                region: provider.inputs.region,
                allowedAccountIds: provider.inputs.allowedAccountIds,
                assumeRoles: provider.inputs.assumeRoles,
                defaultTags: provider.inputs.defaultTags,
            },
            {
                region,
                allowedAccountIds: [accountId],
                assumeRoles: [{ roleArn: `arn:aws:iam::${accountId}:role/ecs-loadlab-deploy`, sessionName: "ecs-loadlab-test" }],
                defaultTags: { tags: { Project: "ecs-loadlab", Stack: "test", Role: "dev", ManagedBy: "pulumi" } },
            },
        );
    });

    it("assumes no role when none is configured: the ambient credentials must then be the account's", async () => {
        await build(() => accountProvider("plain", { aws: { region: "ap-southeast-2", accountId: "555555555555" }, role: "shared" }));
        const provider = mocks.one("pulumi:providers:aws");
        assert.equal(provider.inputs.assumeRoles, undefined);
        assert.deepEqual(provider.inputs.allowedAccountIds, ["555555555555"]);
        assert.equal(provider.inputs.region, "ap-southeast-2");
    });
});
