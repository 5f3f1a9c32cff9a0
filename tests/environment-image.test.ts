import assert from "node:assert/strict";
import { EnvironmentStackConfig, PROJECT } from "../config";
import { buildEnvironmentStack } from "../stacks/environment";
import { environmentConfigWith } from "./environment-fixtures";
import { build, mocks, useMocks, valueOf } from "./mocks";

const OTHER_REGISTRY = {
    registryAccountId: "555555555555",
    registryRegion: "us-east-1",
    repositoryName: "platform/prime-counter",
    repositoryUrl: "555555555555.dkr.ecr.us-east-1.amazonaws.com/platform/prime-counter",
};
const OTHER_DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

/** The image the stack deploys: its output and the task definition's container image, which must agree. */
async function deployedImage(config: EnvironmentStackConfig): Promise<string> {
    const outputs = await build(() => buildEnvironmentStack(config));
    const image = await valueOf(outputs.image);
    const [container] = JSON.parse(mocks.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions);
    assert.equal(container.image, image);
    return image;
}

const imageLookups = () => mocks.calls.filter((c) => c.token === "aws:ecr/getImage:getImage");

describe("environment stack image", () => {
    before(useMocks);
    beforeEach(() => {
        mocks.reset();
        mocks.sharedStackOutputs = { ...OTHER_REGISTRY };
        mocks.imageDigest = OTHER_DIGEST;
    });

    it("resolves the configured tag in the registry the shared stack exports and deploys the digest it points at", async () => {
        const config = environmentConfigWith("Pulumi.staging.yaml", { environment: { imageTag: "sha-0123abc" } });
        assert.equal(await deployedImage(config), `${OTHER_REGISTRY.repositoryUrl}@${OTHER_DIGEST}`);
        assert.deepEqual(imageLookups().map((c) => c.inputs), [
            { registryId: "555555555555", region: "us-east-1", repositoryName: "platform/prime-counter", imageTag: "sha-0123abc" },
        ]);
        // The shared stack the file names: this project's, in the file's organization.
        assert.equal(mocks.one("pulumi:pulumi:StackReference").inputs.name, config.environment.sharedStack);
        assert.match(config.environment.sharedStack, new RegExp(`^[\\w.-]+/${PROJECT}/shared$`));
    });

    it("deploys a pinned digest from the shared registry without looking up any tag", async () => {
        const pinned = `sha256:${"fedcba9876543210".repeat(4)}`;
        const config = environmentConfigWith("Pulumi.prod.yaml", { environment: { imageDigest: pinned } });
        assert.equal(await deployedImage(config), `${OTHER_REGISTRY.repositoryUrl}@${pinned}`);
        assert.deepEqual(imageLookups(), []);
    });
});
