import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadStackConfig, loadStackConfigFile, parseStackConfig } from "../config";
import { configProblems as problemsOf } from "./config-fixtures";
import { loadStackFile, rawStackFile, STACK_FILES, stackFilePath } from "./environment-fixtures";

const validShared = () => ({
    role: "shared",
    aws: { region: "eu-west-1", accountId: "111111111111" },
    environments: [
        { name: "dev", accountId: "222222222222" },
        { name: "prod", accountId: "444444444444" },
    ],
});


/** The key path a problem line names, e.g. `ecs-loadlab:environments[1].name`. */
const keyOf = (problem: string) => problem.slice(0, problem.indexOf(": "));

function assertOneProblem(raw: Record<string, unknown>, key: string, says: RegExp): void {
    const problems = problemsOf(raw);
    assert.deepEqual(problems.map(keyOf), [key], problems.join("\n"));
    assert.match(problems[0], says);
}

describe("stack config", () => {
    describe("shipped stack files", () => {
        it("include the shared stack and at least one environment", () => {
            assert.ok(STACK_FILES.includes("Pulumi.shared.yaml"));
            assert.ok(STACK_FILES.includes("Pulumi.dev.yaml"));
        });

        for (const file of STACK_FILES) {
            it(`${file} is valid and its role is explicit`, () => {
                const config = loadStackFile(file);
                const raw = rawStackFile(file);
                assert.equal(config.role, raw["ecs-loadlab:role"]);
            });
        }

        it("Pulumi.shared.yaml reads as the registry account, the repository and three workload accounts", () => {
            // The accounts and the region as the file writes them: whatever they are, they must come through unchanged.
            const raw = rawStackFile("Pulumi.shared.yaml");
            const { region, accountId } = raw["ecs-loadlab:aws"] as { region: string; accountId: string };
            const workloadAccount = (name: string) => (raw["ecs-loadlab:environments"] as { name: string; accountId: string }[]).find((e) => e.name === name)?.accountId;
            const { verdictWriterAccountIds } = raw["ecs-loadlab:release"] as { verdictWriterAccountIds: string[] };
            assert.deepEqual(loadStackFile("Pulumi.shared.yaml"), {
                role: "shared",
                aws: { region, accountId, deployRoleArn: `arn:aws:iam::${accountId}:role/ecs-loadlab-deploy` },
                registry: {
                    repositoryName: "ecs-loadlab/prime-counter",
                    encryption: "aws-managed",
                    versionTagPrefix: "sha-",
                    untaggedExpiryDays: 7,
                    versionImagesToKeep: 30,
                    historyImagesToKeep: 20,
                },
                environments: [
                    { name: "dev", accountId: workloadAccount("dev") },
                    { name: "staging", accountId: workloadAccount("staging") },
                    { name: "prod", accountId: workloadAccount("prod") },
                ],
                release: { gatedEnvironments: ["prod"], verdictMaxAgeHours: 168, verdictWriterAccountIds, evidenceNoncurrentDays: 90 },
            });
        });
    });

    describe("defaults", () => {
        it("fills in the whole registry section", () => {
            const config = parseStackConfig(validShared());
            assert.equal(config.role, "shared");
            assert.deepEqual(config.role === "shared" && config.registry, {
                repositoryName: "ecs-loadlab/prime-counter",
                encryption: "aws-managed",
                versionTagPrefix: "sha-",
                untaggedExpiryDays: 7,
                versionImagesToKeep: 30,
                historyImagesToKeep: 20,
            });
        });

        it("keeps what is given and defaults only the rest", () => {
            const config = parseStackConfig({ ...validShared(), registry: { encryption: "customer-managed", versionImagesToKeep: 5 } });
            assert.ok(config.role === "shared");
            assert.equal(config.registry.encryption, "customer-managed");
            assert.equal(config.registry.versionImagesToKeep, 5);
            assert.equal(config.registry.untaggedExpiryDays, 7);
        });

        describe("release", () => {
            const releaseOf = (raw: Record<string, unknown>) => {
                const config = parseStackConfig(raw);
                assert.ok(config.role === "shared");
                return config.release;
            };
            const threeEnvironments = [
                { name: "dev", accountId: "222222222222" },
                { name: "staging", accountId: "333333333333" },
                { name: "prod", accountId: "444444444444" },
            ];

            it("without the section: the last environment is gated, verdicts count for a week, nobody else writes, replaced evidence is kept 90 days", () => {
                assert.deepEqual(releaseOf(validShared()), { gatedEnvironments: ["prod"], verdictMaxAgeHours: 168, verdictWriterAccountIds: [], evidenceNoncurrentDays: 90 });
                assert.deepEqual(releaseOf({ ...validShared(), environments: threeEnvironments }).gatedEnvironments, ["prod"]);
            });

            it("gates nothing by default when there is one environment: nothing comes before it to test in", () => {
                assert.deepEqual(releaseOf({ ...validShared(), environments: [{ name: "dev", accountId: "222222222222" }] }).gatedEnvironments, []);
            });

            it("keeps what is given: a gate list, an explicit empty one (no gate), the age, the writers, the days", () => {
                const release = { gatedEnvironments: ["staging", "prod"], verdictMaxAgeHours: 24, verdictWriterAccountIds: ["555555555555"], evidenceNoncurrentDays: 30 };
                assert.deepEqual(releaseOf({ ...validShared(), environments: threeEnvironments, release }), release);
                assert.deepEqual(releaseOf({ ...validShared(), release: { gatedEnvironments: [] } }).gatedEnvironments, []);
            });
        });
    });

    describe("from the Pulumi engine", () => {
        let saved: Record<string, string>;
        beforeEach(() => (saved = pulumi.runtime.allConfig()));
        afterEach(() => pulumi.runtime.setAllConfig(saved));

        it("decodes the structured values the engine passes as JSON text, and reads the same as the stack file", () => {
            const file = rawStackFile("Pulumi.shared.yaml");
            const engineConfig = Object.fromEntries(
                Object.entries(file).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
            );
            pulumi.runtime.setAllConfig({ ...engineConfig, "aws:region": "us-east-1" });
            assert.deepEqual(loadStackConfig(), loadStackConfigFile(stackFilePath("Pulumi.shared.yaml")));
        });

        it("refuses a bad engine config with a ConfigError naming the stack", () => {
            pulumi.runtime.setAllConfig({ "ecs-loadlab:role": "shared" });
            assert.throws(loadStackConfig, (error: unknown) => {
                assert.ok(error instanceof ConfigError);
                assert.match(error.message, /^Invalid stack configuration \(stack \w+\):/);
                assert.deepEqual(error.problems.map(keyOf), ["ecs-loadlab:aws", "ecs-loadlab:environments"]);
                return true;
            });
        });
    });

    describe("errors", () => {
        it("a missing role says which key to set and to what", () => {
            const { role: _role, ...withoutRole } = validShared();
            assertOneProblem(withoutRole, "ecs-loadlab:role", /is missing: set ecs-loadlab:role to one of "shared", "environment", "loadgen", "bootstrap" \(given: nothing\)$/);
        });

        it("an unknown role shows what was given and what is allowed", () => {
            assertOneProblem({ ...validShared(), role: "registry" }, "ecs-loadlab:role", /must be one of "shared", "environment", "loadgen", "bootstrap" \(given: "registry"\)$/);
        });

        it("an account id that is not 12 digits, or not a string, is refused where it appears", () => {
            const problems = problemsOf({
                ...validShared(),
                aws: { region: "eu-west-1", accountId: "11111111111" },
                environments: [
                    { name: "dev", accountId: 222222222222 },
                    { name: "prod", accountId: "44444444444a" },
                ],
            });
            assert.deepEqual(problems.map(keyOf), [
                "ecs-loadlab:aws.accountId",
                "ecs-loadlab:environments[0].accountId",
                "ecs-loadlab:environments[1].accountId",
            ]);
            assert.match(problems[0], /must be a 12-digit AWS account id .* \(given: "11111111111"\)$/);
            assert.match(problems[1], /\(given: 222222222222\)$/);
            assert.match(problems[2], /\(given: "44444444444a"\)$/);
        });

        it("a deploy role or a permissions boundary in another account is refused", () => {
            const problems = problemsOf({
                ...validShared(),
                aws: {
                    region: "eu-west-1",
                    accountId: "111111111111",
                    deployRoleArn: "arn:aws:iam::222222222222:role/deploy",
                    permissionsBoundaryArn: "arn:aws:iam::222222222222:policy/ecs-loadlab/ecs-loadlab-boundary",
                },
            });
            assert.deepEqual(problems.map(keyOf), ["ecs-loadlab:aws.deployRoleArn", "ecs-loadlab:aws.permissionsBoundaryArn"]);
            for (const problem of problems) assert.match(problem, /must be in the stack's account 111111111111/);
        });

        it("a duplicate environment name names the second occurrence", () => {
            assertOneProblem(
                {
                    ...validShared(),
                    environments: [
                        { name: "dev", accountId: "222222222222" },
                        { name: "prod", accountId: "444444444444" },
                        { name: "dev", accountId: "333333333333" },
                    ],
                },
                "ecs-loadlab:environments[2].name",
                /duplicate environment name "dev"/,
            );
        });

        it("negative or zero retention numbers are refused, each by its key", () => {
            const problems = problemsOf({ ...validShared(), registry: { untaggedExpiryDays: -1, versionImagesToKeep: 0, historyImagesToKeep: 2.5 } });
            assert.deepEqual(problems, [
                "ecs-loadlab:registry.untaggedExpiryDays: must be ≥ 1 (given: -1)",
                "ecs-loadlab:registry.versionImagesToKeep: must be ≥ 1 (given: 0)",
                "ecs-loadlab:registry.historyImagesToKeep: must be a whole number (given: 2.5)",
            ]);
        });

        it("more environments than ECR has tag-mutability exclusions for are refused", () => {
            const environments = ["a", "b", "c", "d", "e", "f"].map((name, index) => ({ name: `env-${name}`, accountId: `${index + 2}`.repeat(12) }));
            assertOneProblem({ ...validShared(), environments }, "ecs-loadlab:environments", /must list at most 5 environments/);
        });

        it("no environments at all are refused", () => {
            assertOneProblem({ ...validShared(), environments: [] }, "ecs-loadlab:environments", /must list at least one workload environment \(given: \[\]\)$/);
            assertOneProblem({ ...validShared(), environments: undefined }, "ecs-loadlab:environments", /is missing/);
        });

        it("tag names that would collide are refused: environment vs version prefix, version prefix vs history prefix", () => {
            assertOneProblem(
                { ...validShared(), registry: { versionTagPrefix: "d" } },
                "ecs-loadlab:environments[0].name",
                /must not start with the version tag prefix "d"/,
            );
            assertOneProblem(
                { ...validShared(), environments: [{ name: "history-dev", accountId: "222222222222" }] },
                "ecs-loadlab:environments[0].name",
                /must not start with "history-"/,
            );
            for (const versionTagPrefix of ["history-v", "hist"]) {
                assertOneProblem({ ...validShared(), registry: { versionTagPrefix } }, "ecs-loadlab:registry.versionTagPrefix", /must not overlap the promotion history prefix/);
            }
        });

        describe("release", () => {
            it("a gated environment that is not one of the environments names them", () => {
                assertOneProblem(
                    { ...validShared(), release: { gatedEnvironments: ["staging"] } },
                    "ecs-loadlab:release.gatedEnvironments[0]",
                    /is not one of ecs-loadlab:environments \(dev, prod\): gate an environment listed there \(given: "staging"\)$/,
                );
            });

            it("the first environment cannot be gated: no environment comes before it to load-test in", () => {
                assertOneProblem(
                    { ...validShared(), release: { gatedEnvironments: ["dev"] } },
                    "ecs-loadlab:release.gatedEnvironments[0]",
                    /is the first environment: no environment comes before it to load-test in; gate a later one/,
                );
            });

            it("a gated environment listed twice", () => {
                assertOneProblem({ ...validShared(), release: { gatedEnvironments: ["prod", "prod"] } }, "ecs-loadlab:release.gatedEnvironments", /lists environment "prod" twice/);
            });

            it("verdict writers: not 12 digits, listed twice, or the shared account itself (which writes through IAM)", () => {
                const problems = problemsOf({ ...validShared(), release: { verdictWriterAccountIds: ["5555", "666666666666", "666666666666", "111111111111"] } });
                assert.deepEqual(problems.map(keyOf), [
                    "ecs-loadlab:release.verdictWriterAccountIds[0]",
                    "ecs-loadlab:release.verdictWriterAccountIds",
                    "ecs-loadlab:release.verdictWriterAccountIds[3]",
                ]);
                assert.match(problems[0], /must be a 12-digit AWS account id/);
                assert.match(problems[1], /lists account "666666666666" twice/);
                assert.match(problems[2], /is this stack's own account, whose identities write through IAM: list only the accounts of loadgen stacks elsewhere \(given: "111111111111"\)$/);
            });

            it("an age or a retention that is not a whole number of at least 1, and an unknown key", () => {
                assert.deepEqual(problemsOf({ ...validShared(), release: { verdictMaxAgeHours: 0, evidenceNoncurrentDays: 1.5, gatedEnvironment: ["prod"] } }), [
                    "ecs-loadlab:release.verdictMaxAgeHours: must be ≥ 1 (given: 0)",
                    "ecs-loadlab:release.evidenceNoncurrentDays: must be a whole number (given: 1.5)",
                    "ecs-loadlab:release.gatedEnvironment: unknown key; remove it or check its spelling and section",
                ]);
            });
        });

        it("unknown keys are named with their section", () => {
            const problems = problemsOf({ ...validShared(), registry: { repositoryNmae: "x" }, regsitry: {} });
            assert.deepEqual(problems.map(keyOf), ["ecs-loadlab:registry.repositoryNmae", "ecs-loadlab:regsitry"]);
            assert.ok(problems.every((problem) => problem.endsWith("unknown key; remove it or check its spelling and section")));
        });

        it("several problems at once are all listed, one line each naming its key", () => {
            const problems = problemsOf({
                role: "shared",
                aws: { region: "Ireland", accountId: "1234" },
                registry: { encryption: "sse-s3", untaggedExpiryDays: -7 },
                environments: [
                    { name: "dev", accountId: "222222222222" },
                    { name: "Prod", accountId: "333333333333" },
                    { name: "dev", accountId: "12" },
                ],
            });
            assert.deepEqual(problems.map(keyOf), [
                "ecs-loadlab:aws.region",
                "ecs-loadlab:aws.accountId",
                "ecs-loadlab:registry.encryption",
                "ecs-loadlab:registry.untaggedExpiryDays",
                "ecs-loadlab:environments[1].name",
                "ecs-loadlab:environments[2].accountId",
                "ecs-loadlab:environments[2].name",
            ]);
            assert.match(problems[0], /\(given: "Ireland"\)$/);
            assert.match(problems[2], /\(given: "sse-s3"\)$/);
            assert.match(problems[3], /must be ≥ 1 \(given: -7\)$/);
        });
    });
});
