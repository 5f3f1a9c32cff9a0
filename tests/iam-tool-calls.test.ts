import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TOOL_CALLS, TOOL_VARIABLES, toolActions, type ToolCall, type ToolCalls, type ToolName } from "../aws-calls/tools";
import { deployPolicies } from "../components/deploy-permissions";
import { BootstrapStackConfig, IAM_NAMES, SharedStackConfig, StackConfig } from "../config";
import { buildStack } from "../stacks";
import { REPO_ROOT } from "./environment-fixtures";
import { catalogueProblems } from "./iam/catalogue";
import { denials, type PolicyDocument, type Principal } from "./iam/evaluator";
import { shippedWorld, World, type BuiltStack } from "./iam/world";
import { build, mocks, useMocks } from "./mocks";

/**
 * Every AWS call the command-line tools make (aws-calls/tools.ts), checked three ways: the table lists exactly what
 * the code calls, each call is allowed for the principal the docs tell the user to run the tool as, and the
 * permission lists in the docs are the table's. The everyday identity's policy in docs/bootstrap.md is evaluated
 * against what the guides have that identity do.
 */

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

/** The SDK commands a TypeScript file constructs (`new DescribeImagesCommand(` → DescribeImages). */
const sdkCommands = (text: string) => [...text.matchAll(/new (\w+)Command\(/g)].map((match) => match[1]);

/** What build-and-push.sh asks of AWS: `aws ecr <command>` and `docker push`. */
function shellCalls(text: string): string[] {
    const kebabToPascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
    const aws = [...text.matchAll(/\baws ecr ([a-z-]+)/g)].map((match) => (match[1] === "get-login-password" ? "GetAuthorizationToken" : kebabToPascal(match[1])));
    return [...aws, ...(/\bdocker push\b/.test(text) ? ["docker push"] : [])];
}

/** The TypeScript files under a folder of the repository, as paths from its root. */
const sourceFiles = (dir: string): string[] =>
    fs.readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts")).map((file) => path.join(dir, file));

const operation = (api: string) => api.split(":")[1];

/** The stack values the templates name, from the shipped stacks. */
function variables(world: World, environment?: BuiltStack): Record<string, string> {
    const shared = world.stacks.find((stack) => stack.config.role === "shared");
    const loadgen = world.stacks.find((stack) => stack.config.role === "loadgen");
    assert.ok(shared && loadgen, "the shipped stacks include a shared and a loadgen stack");
    const one = (stack: BuiltStack, type: string) => stack.recording.one(type);
    const taskDefinition = one(loadgen, "aws:ecs/taskDefinition:TaskDefinition");
    const roleName = (arn: string) => arn.split("/").pop()!;
    const values: Record<string, string> = {
        RegistryAccount: shared.config.aws.accountId,
        RepositoryName: one(shared, "aws:ecr/repository:Repository").state.name,
        RunnerRepositoryName: one(loadgen, "aws:ecr/repository:Repository").state.name,
        ClusterName: one(loadgen, "aws:ecs/cluster:Cluster").state.name,
        TaskDefinitionFamily: taskDefinition.inputs.family,
        TaskRoleName: roleName(taskDefinition.inputs.taskRoleArn),
        ExecutionRoleName: roleName(taskDefinition.inputs.executionRoleArn),
        RunBucket: one(loadgen, "aws:s3/bucket:Bucket").state.bucket,
        AlarmName: environment ? environment.recording.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")[0].state.name : "",
        EvidenceBucket: one(shared, "aws:s3/bucket:Bucket").state.bucket,
    };
    assert.deepEqual(Object.keys(values).sort(), Object.keys(TOOL_VARIABLES).sort(), "every template variable has a value");
    return values;
}

/** A template filled for a caller; a `*` (any task, any object) becomes one concrete name, as a request names one. */
function fill(template: string, principal: Principal, region: string, values: Record<string, string>): string {
    const filled = template
        .replace(/\$\{Partition\}/g, "aws")
        .replace(/\$\{Region\}/g, region)
        .replace(/\$\{Account\}/g, principal.accountId)
        .replace(/\$\{(\w+)\}/g, (_, name: string) => {
            assert.ok(values[name], `no value for \${${name}}`);
            return values[name];
        });
    if (filled === "*") return filled;
    return filled.replace(/:\*$/, ":1").replace(/\*/g, "0123456789abcdef0123456789abcdef");
}

/** A tool's calls as the requests IAM authorizes for a caller, against the world's resources and their policies. */
function toolRequests(world: World, tool: string, calls: ToolCall[], principal: Principal, region: string, values: Record<string, string>) {
    return calls.flatMap((call) =>
        (call.actions ?? [call.api]).map((action) => {
            const resource = fill(call.resource, principal, region, values);
            const context = Object.fromEntries(Object.entries(call.context ?? {}).map(([key, value]) => [key, fill(value, principal, region, values)]));
            return {
                what: `${tool} (${call.file}): ${call.api}`,
                action,
                resource,
                resourceAccount: world.ownerOf(resource, principal.accountId),
                resourcePolicy: world.resourcePolicy(action, resource),
                context,
            };
        }),
    );
}

/** Builds one stack on the mocks, as the world holds it. */
async function builtStack(file: string, config: StackConfig): Promise<BuiltStack> {
    mocks.reset();
    await build(() => buildStack(config));
    return { file, config, recording: mocks.snapshot() };
}

/** The calls a tool makes on the release evidence bucket. */
const evidenceCalls = (tool: ToolName) => TOOL_CALLS[tool].calls.filter((call) => call.resource.includes("${EvidenceBucket}"));

interface Principals {
    principal: Principal;
    region: string;
    environment?: BuiltStack;
}

/** Who each tool runs as, per docs: the stacks' accounts' roles. */
function principalsOf(world: World, tool: ToolCalls): Principals[] {
    const byRole = (role: string) => world.stacks.filter((stack) => stack.config.role === role);
    switch (tool.principal) {
        case "shared-deploy-role":
            return byRole("shared").map((stack) => ({ principal: world.deployRole(stack.config.aws.accountId), region: stack.config.aws.region }));
        case "loadgen-deploy-role":
            return byRole("loadgen").map((stack) => ({ principal: world.deployRole(stack.config.aws.accountId), region: stack.config.aws.region }));
        case "loadgen-task-role":
            return byRole("loadgen").map((stack) => {
                const taskRoleArn = stack.recording.one("aws:ecs/taskDefinition:TaskDefinition").inputs.taskRoleArn as string;
                const role = stack.recording.ofType("aws:iam/role:Role").find((candidate) => candidate.state.arn === taskRoleArn);
                assert.ok(role, "the runner's task role is created by the loadgen stack");
                return { principal: world.stackRole(stack, role), region: stack.config.aws.region };
            });
        case "environment-read-only-role":
            return byRole("environment").map((stack) => ({ principal: world.readOnlyRole(stack.config.aws.accountId), region: stack.config.aws.region, environment: stack }));
    }
}

describe("IAM: every AWS call of the command-line tools", () => {
    let world: World;
    before(async () => {
        await useMocks();
        world = await shippedWorld();
    });

    const files = [...new Set(Object.values(TOOL_CALLS).flatMap((tool) => tool.calls.map((call) => call.file)))];

    it("the table lists every call each tool's files make, and nothing they do not", () => {
        for (const file of files) {
            const listed = new Set(Object.values(TOOL_CALLS).flatMap((tool) => tool.calls.filter((call) => call.file === file)));
            const made = file.endsWith(".sh") ? shellCalls(read(file)) : sdkCommands(read(file));
            assert.ok(made.length > 0, `${file} makes AWS calls`);
            for (const command of made.filter((name) => name !== "docker push")) {
                assert.ok([...listed].some((call) => operation(call.api) === command), `${file} calls ${command}: list it in aws-calls/tools.ts`);
            }
            for (const call of listed) {
                const pushes = made.includes("docker push") || /"--push"/.test(read(file));
                assert.ok(made.includes(operation(call.api)) || pushes, `${file}: the table lists ${call.api}, which the file does not call`);
            }
        }
    });

    it("every file of the tools that constructs an AWS SDK command is in the table", () => {
        const toolFiles = [...sourceFiles("scripts"), ...sourceFiles("loadgen/src")];
        for (const file of toolFiles.filter((candidate) => sdkCommands(read(candidate)).length > 0)) {
            assert.ok(files.includes(file), `${file} calls AWS (${sdkCommands(read(file)).join(", ")}): list its calls in aws-calls/tools.ts`);
        }
    });

    for (const [tool, calls] of Object.entries(TOOL_CALLS) as [ToolName, ToolCalls][]) {
        it(`${tool}: every call is allowed for the ${calls.principal}`, async () => {
            const runs = principalsOf(world, calls);
            assert.ok(runs.length > 0, `a shipped stack to run ${tool} against`);
            for (const { principal, region, environment } of runs) {
                const requests = toolRequests(world, tool, calls.calls, principal, region, variables(world, environment));
                assert.deepEqual(await denials(principal, requests), [], principal.principalArn);
            }
        });
    }

    describe("the release evidence bucket", () => {
        const sharedStack = () => world.stacks.find((stack): stack is BuiltStack & { config: SharedStackConfig } => stack.config.role === "shared")!;

        it("promote's reads and writes are granted by the shared stack role's own statements, with no loadgen grant to lean on", async () => {
            const { config } = sharedStack();
            const bootstrap = world.bootstrapOf(config.aws.accountId).config.bootstrap;
            const principal: Principal = {
                arn: `arn:aws:sts::${config.aws.accountId}:assumed-role/${IAM_NAMES.deployRole}/promote`,
                principalArn: `arn:aws:iam::${config.aws.accountId}:role/${IAM_NAMES.deployRole}`,
                accountId: config.aws.accountId,
                // The documents of a bootstrap whose account hosts the shared stack only, as IAM receives them.
                identityPolicies: JSON.parse(
                    JSON.stringify(deployPolicies({ partition: "aws", accountId: config.aws.accountId, stackRoles: ["shared"], hostedZoneIds: [], registry: bootstrap.registry })),
                ) as Record<string, PolicyDocument>,
            };
            const calls = evidenceCalls("promote");
            assert.deepEqual(calls.map((call) => call.api).sort(), ["s3:GetObject", "s3:GetObject", "s3:ListObjectsV2", "s3:PutObject"]);
            assert.deepEqual(await denials(principal, toolRequests(world, "promote", calls, principal, config.aws.region, variables(world))), []);
        });

        describe("loadtest record from another account (a loadgen stack outside the shared account)", () => {
            const WRITER = "987654321098";
            let writerWorld: World;
            before(async () => {
                assert.ok(!world.stacks.some((stack) => stack.config.aws.accountId === WRITER), "the writer account is none of the shipped stacks'");
                const shared = sharedStack();
                const sharedConfig: SharedStackConfig = { ...shared.config, release: { ...shared.config.release, verdictWriterAccountIds: [WRITER] } };
                const loadgenBootstrap = world.stacks.find((stack) => stack.config.role === "bootstrap" && stack.config.bootstrap.stackRoles.includes("loadgen"))!.config as BootstrapStackConfig;
                const writerBootstrap: BootstrapStackConfig = {
                    ...loadgenBootstrap,
                    aws: { ...loadgenBootstrap.aws, accountId: WRITER },
                    bootstrap: { ...loadgenBootstrap.bootstrap, stackRoles: ["loadgen"], registry: undefined, stateBackend: undefined },
                };
                writerWorld = new World([await builtStack(shared.file, sharedConfig), await builtStack("Pulumi.bootstrap-writer.yaml", writerBootstrap)]);
            });

            const recordRequests = (target: World, prefix: string) => {
                const principal = target.deployRole(WRITER);
                const shared = target.stacks.find((stack) => stack.config.role === "shared")!;
                const bucket = shared.recording.one("aws:s3/bucket:Bucket").state.bucket as string;
                const [put] = evidenceCalls("loadtest");
                assert.equal(put.api, "s3:PutObject");
                const call = { ...put, resource: put.resource.replace("/verdicts/", `/${prefix}`) };
                return { principal, requests: toolRequests(target, "loadtest record", [call], principal, shared.config.aws.region, { EvidenceBucket: bucket }) };
            };

            it("may put a verdict: its deploy role allows it, and the bucket's policy admits the account", async () => {
                const { principal, requests } = recordRequests(writerWorld, "verdicts/");
                assert.ok(requests.every((request) => request.resourceAccount !== WRITER && request.resourcePolicy), "cross-account, through the bucket's policy");
                assert.deepEqual(await denials(principal, requests), []);
            });

            it("may not write promotion records, which only the shared account writes", async () => {
                const { principal, requests } = recordRequests(writerWorld, "promotions/");
                assert.equal((await denials(principal, requests)).length, requests.length);
            });

            it("may not put a verdict when the account is not in release.verdictWriterAccountIds", async () => {
                const notListed = new World([sharedStack(), ...writerWorld.stacks.filter((stack) => stack.config.role === "bootstrap")]);
                const { principal, requests } = recordRequests(notListed, "verdicts/");
                const denied = await denials(principal, requests);
                assert.equal(denied.length, requests.length);
                assert.match(denied[0], /needs s3:PutObject on arn:aws:s3:::ecs-loadlab-evidence-\d{12}-[a-z0-9-]+\/verdicts\/.*: ImplicitlyDenied/);
            });
        });
    });

    it("the docs list each tool's actions, exactly the table's", () => {
        const docs = fs.readdirSync(path.join(REPO_ROOT, "docs")).filter((file) => file.endsWith(".md"));
        const listed = new Map<string, string[]>();
        for (const doc of docs) {
            for (const match of read(path.join("docs", doc)).matchAll(/<!-- iam-actions: ([\w-]+) -->\n\s*(.+)\n/g)) {
                listed.set(match[1], [...match[2].matchAll(/`([\w-]+:\w+)`/g)].map((action) => action[1]));
            }
        }
        for (const tool of Object.keys(TOOL_CALLS) as ToolName[]) {
            assert.deepEqual(listed.get(tool), toolActions(tool), `docs: <!-- iam-actions: ${tool} --> lists its actions`);
        }
    });

    describe("the everyday identity (docs/bootstrap.md)", () => {
        /** The documented policy with the `<…>` values of the shipped stack files. */
        function everydayPolicy(): PolicyDocument {
            const text = read("docs/bootstrap.md");
            const block = /<!-- everyday-identity-policy -->\n```json\n([\s\S]+?)\n```/.exec(text)?.[1];
            assert.ok(block, "docs/bootstrap.md has the everyday identity's policy");
            const account = (role: string, name?: string) => {
                const stack = world.stacks.find((candidate) => candidate.config.role === role && (name === undefined || (candidate.config.role === "environment" && candidate.config.environment.name === name)));
                assert.ok(stack, `a ${name ?? role} stack file`);
                return stack.config.aws.accountId;
            };
            const backend = world.stateBackend();
            const values: Record<string, string> = {
                "shared-account": account("shared"),
                "dev-account": account("environment", "dev"),
                "staging-account": account("environment", "staging"),
                "prod-account": account("environment", "prod"),
                "state-bucket": backend.bucket,
                "state-region": backend.region,
                "state-account": backend.holder.config.aws.accountId,
            };
            const filled = block.replace(/<([a-z-]+)>/g, (_, name: string) => {
                assert.ok(values[name], `docs/bootstrap.md: no value for <${name}>`);
                return values[name];
            });
            return JSON.parse(filled) as PolicyDocument;
        }

        /** The identity: the holder account's first trusted principal (the PlatformEngineer permission set), signed in. */
        function everyday(): Principal {
            const { holder } = world.stateBackend();
            const roleArn = holder.config.bootstrap.trustedPrincipals[0];
            assert.match(roleArn, /^arn:aws:iam::\d{12}:role\//);
            return {
                arn: `arn:aws:sts::${holder.config.aws.accountId}:assumed-role/${roleArn.split("/").pop()}/alice`,
                principalArn: roleArn,
                accountId: holder.config.aws.accountId,
                identityPolicies: { PlatformEngineer: everydayPolicy() },
            };
        }

        it("is sound by AWS's catalogue", async () => {
            assert.deepEqual(await catalogueProblems(everydayPolicy() as { Statement: Record<string, unknown>[] }, "identity"), []);
        });

        it("can do what the guides have it do: assume every account's roles, use the state and its key", async () => {
            const principal = everyday();
            const accounts = [...new Set(world.stacks.filter((stack) => stack.config.role !== "bootstrap" && stack.config.role !== "loadgen").map((stack) => stack.config.aws.accountId))];
            const requests = accounts.flatMap((account) =>
                [IAM_NAMES.deployRole, IAM_NAMES.readOnlyRole].map((role) => {
                    const resource = `arn:aws:iam::${account}:role/${role}`;
                    return { what: `assume ${role} in ${account}`, action: "sts:AssumeRole", resource, resourceAccount: account, resourcePolicy: world.resourcePolicy("sts:AssumeRole", resource) };
                }),
            );
            const { bucket, keyArn: key } = world.stateBackend();
            const state = (action: string, resource: string, context?: Record<string, string[]>) => ({
                what: `pulumi login s3://${bucket}: ${action}`,
                action,
                resource,
                resourceAccount: principal.accountId,
                resourcePolicy: world.resourcePolicy(action, resource),
                context,
            });
            const stackFile = `arn:aws:s3:::${bucket}/.pulumi/stacks/ecs-loadlab/dev.json`;
            requests.push(
                state("s3:ListBucket", `arn:aws:s3:::${bucket}`),
                state("s3:GetBucketLocation", `arn:aws:s3:::${bucket}`),
                ...["s3:GetObject", "s3:PutObject", "s3:DeleteObject"].map((action) => state(action, stackFile)),
                ...["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"].map((action) => state(action, key, { "kms:ResourceAliases": ["alias/ecs-loadlab-state"] })),
            );
            assert.deepEqual(await denials(principal, requests), []);
        });

        it("cannot reach another key of the account, nor change a role itself", async () => {
            const principal = everyday();
            const otherKey = `arn:aws:kms:eu-west-1:${principal.accountId}:key/00000000-0000-4000-a000-000000000000`;
            const denied = await denials(principal, [
                { what: "another key", action: "kms:Decrypt", resource: otherKey, resourceAccount: principal.accountId, context: { "kms:ResourceAliases": ["alias/other"] } },
                { what: "edit the deploy role", action: "iam:UpdateAssumeRolePolicy", resource: `arn:aws:iam::${principal.accountId}:role/ecs-loadlab-deploy`, resourceAccount: principal.accountId },
            ]);
            assert.equal(denied.length, 2, denied.join("\n"));
        });
    });
});
