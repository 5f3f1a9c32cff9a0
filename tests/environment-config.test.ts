import assert from "node:assert/strict";
import { ConfigError } from "../config";
import { ENVIRONMENT_STACK_FILES, loadEnvironmentConfig, loadSharedConfig, stackConfigWith } from "./environment-fixtures";

/** The problems a ConfigError lists for Pulumi.dev.yaml with these overrides. */
function problemsWith(overrides: Record<string, Record<string, unknown>>): string[] {
    try {
        stackConfigWith("Pulumi.dev.yaml", overrides);
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
    return assert.fail("expected a ConfigError");
}

describe("environment stack files", () => {
    it("ship dev, staging and prod", () => {
        assert.deepEqual(ENVIRONMENT_STACK_FILES, ["Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]);
    });

    it("differ where real environments do: prod is bigger, spread wider, protected and target-tracking", () => {
        const [dev, staging, prod] = ["Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"].map(loadEnvironmentConfig);
        // Each in the workload account the shared stack names for it (which lets it pull), and each in its own.
        const accountOf = (name: string) => loadSharedConfig().environments.find((environment) => environment.name === name)?.accountId;
        assert.equal(new Set([dev, staging, prod].map((c) => c.aws.accountId)).size, 3);
        const shape = (c: typeof dev) => ({
            account: c.aws.accountId,
            cidr: c.network.cidrBlock,
            azs: c.network.availabilityZones,
            nat: c.network.natGateways,
            deletionProtection: c.loadBalancer.deletionProtection,
            cpu: c.service.cpu,
            memory: c.service.memory,
            tasks: [c.scaling.minCapacity, c.scaling.maxCapacity],
            scaling: c.scaling.mode,
        });
        assert.deepEqual([dev, staging, prod].map(shape), [
            { account: accountOf("dev"), cidr: "10.10.0.0/16", azs: 2, nat: "Single", deletionProtection: false, cpu: 256, memory: 512, tasks: [1, 4], scaling: "step" },
            { account: accountOf("staging"), cidr: "10.20.0.0/16", azs: 2, nat: "Single", deletionProtection: false, cpu: 512, memory: 1024, tasks: [2, 6], scaling: "step" },
            { account: accountOf("prod"), cidr: "10.30.0.0/16", azs: 3, nat: "OnePerAz", deletionProtection: true, cpu: 512, memory: 1024, tasks: [3, 12], scaling: "target-tracking" },
        ]);
        assert.equal(new Set([dev, staging, prod].map((c) => c.domain.name)).size, 3);
    });

    it("default to a health check that lets a CPU-saturated task keep answering, and a short deregistration", () => {
        const { service } = loadEnvironmentConfig("Pulumi.dev.yaml");
        assert.deepEqual(service.healthCheck, { path: "/api/health", intervalSeconds: 15, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 5 });
        // A busy task must fail for over a minute, each check allowed 5 s, before the ALB gives up on it.
        assert.ok(service.healthCheck.unhealthyThreshold * service.healthCheck.intervalSeconds >= 60);
        assert.ok(service.deregistrationDelaySeconds < 300 && service.deregistrationDelaySeconds === 30);
    });
});

describe("environment stack config errors", () => {
    it("rejects a network without NAT, through which the tasks would pull their image", () => {
        assert.deepEqual(problemsWith({ network: { natGateways: "None" } }), [
            'ecs-loadlab:network.natGateways: must be "Single" or "OnePerAz": the tasks run in private subnets and pull their image through NAT (given: "None")',
        ]);
    });

    it("rejects a stop timeout too short to leave the service time to drain", () => {
        assert.deepEqual(problemsWith({ service: { stopTimeoutSeconds: 5 } }), ["ecs-loadlab:service.stopTimeoutSeconds: must be ≥ 6 (given: 5)"]);
    });

    it("rejects a cpu/memory pair Fargate does not offer, and a cpu size it does not have", () => {
        assert.deepEqual(problemsWith({ service: { cpu: 256, memory: 4096 } }), [
            "ecs-loadlab:service.memory: is not allowed with cpu 256 on Fargate: use one of 512, 1024, 2048 (given: 4096)",
        ]);
        assert.deepEqual(problemsWith({ service: { cpu: 300, memory: 512 } }), [
            "ecs-loadlab:service.cpu: must be a Fargate cpu size: one of 256, 512, 1024, 2048, 4096, 8192, 16384 (given: 300)",
        ]);
    });

    for (const cidrBlock of ["10.10.0.0/33", "10.10.0.1/16", "10.10.256.0/24", "10.10.0.0", "ten.0.0.0/16"]) {
        it(`rejects a CIDR block that does not parse: ${cidrBlock}`, () => {
            assert.deepEqual(problemsWith({ network: { cidrBlock } }), [
                `ecs-loadlab:network.cidrBlock: must be an IPv4 CIDR block such as 10.0.0.0/16, with no host bits set (given: "${cidrBlock}")`,
            ]);
        });
    }

    it("rejects a CIDR block too small for a public and a private subnet in each AZ", () => {
        assert.deepEqual(problemsWith({ network: { cidrBlock: "10.10.0.0/23", availabilityZones: 2, subnetPrefixLength: 24 } }), [
            'ecs-loadlab:network.cidrBlock: is too small: 4 subnets (public and private in 2 AZs) of /24 need at least a /22 (given: "10.10.0.0/23")',
        ]);
        assert.deepEqual(problemsWith({ network: { cidrBlock: "10.10.0.0/19", availabilityZones: 3 } }), [
            'ecs-loadlab:network.cidrBlock: is too small: 6 subnets (public and private in 3 AZs) of /20 need at least a /17 (given: "10.10.0.0/19")',
        ]);
    });

    // The test's own zone, not the stack file's: another domain, a name that only ends like the zone, the zone's parent.
    const hostedZone = "dev.loadlab.example.com";
    for (const name of ["dev.example.org", "xdev.loadlab.example.com", "loadlab.example.com"]) {
        it(`rejects a domain outside the hosted zone: ${name}`, () => {
            assert.deepEqual(problemsWith({ domain: { name, hostedZone } }), [
                `ecs-loadlab:domain.name: must be ${hostedZone} or a name under it: the certificate is validated in that hosted zone (given: "${name}")`,
            ]);
        });
    }

    for (const imageDigest of ["sha256:abc", `sha256:${"A".repeat(64)}`, `sha512:${"a".repeat(64)}`, "a".repeat(64)]) {
        it(`rejects a malformed pinned digest: ${imageDigest.slice(0, 16)}...`, () => {
            const [problem, ...others] = problemsWith({ environment: { imageDigest } });
            assert.deepEqual(others, []);
            assert.match(problem, /^ecs-loadlab:environment\.imageDigest: must be sha256: followed by 64 lowercase hex digits \(given: "/);
        });
    }
});
