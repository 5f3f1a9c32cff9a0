import assert from "node:assert/strict";
import { isConfigKey, LoadgenStackConfig, parseStackConfig } from "../config";
import { LOADGEN_OUTPUT_NAMES, RUNNER_CONTAINER_NAME, RUNNER_ENV, TASK_READABLE_KEYS, TASK_WRITABLE_KEYS } from "../loadgen/src/contract";
import { runnerImageTag } from "../loadgen/src/image";
import { buildLoadgenStack, loadgenName } from "../stacks/loadgen";
import { expiredDigests, Image, LifecyclePolicy, lifecyclePolicyProblems } from "./ecr-lifecycle";
import { loadSharedConfig, loadStackFile, stackFilesOfRole } from "./environment-fixtures";
import { build, mocks, RecordedResource, useMocks, valueOf } from "./mocks";
import { configProblems as problemsOf } from "./config-fixtures";
import { asList } from "./iam/catalogue";
import type { Statement } from "../components/deploy-permissions";

const T = {
    vpc: "awsx:ec2:Vpc",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    flowLog: "aws:ec2/flowLog:FlowLog",
    cluster: "aws:ecs/cluster:Cluster",
    capacityProviders: "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    repository: "aws:ecr/repository:Repository",
    lifecyclePolicy: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
} as const;

/** The stack name under the mocks, so every name derives from `loadgen-test`. */
const STACK = "test";

const parsed = <V>(json: unknown): V => JSON.parse(json as string) as V;

function loadgenConfig(file: string): LoadgenStackConfig {
    const config = loadStackFile(file);
    assert.equal(config.role, "loadgen", `${file} is a loadgen stack`);
    return config;
}

/** The one resource of a type for which `test` holds. */
function oneWhere(type: string, test: (r: RecordedResource) => boolean): RecordedResource {
    const found = mocks.ofType(type).filter(test);
    assert.equal(found.length, 1, `one ${type} matching, found ${found.map((r) => r.name).join(", ") || "none"}`);
    return found[0];
}

/** The resources of a type that a component of the stack created, by the component's type token. */
const ofComponent = (type: string, component: string) => mocks.ofType(type).filter((r) => r.registration?.urn.includes(`${component}$`));

const LOADGEN_FILES = stackFilesOfRole("loadgen");

describe("loadgen stack files", () => {
    it("ship one, in the shared-assets account", () => {
        assert.deepEqual(LOADGEN_FILES, ["Pulumi.loadgen.yaml"]);
        assert.equal(loadgenConfig("Pulumi.loadgen.yaml").aws.accountId, loadSharedConfig().aws.accountId);
    });
});

for (const file of LOADGEN_FILES) {
    describe(`loadgen stack from ${file}`, () => {
        let config: LoadgenStackConfig;
        let outputs: Record<string, unknown>;
        let providerRef: string;
        let vpc: RecordedResource;
        let taskDefinition: RecordedResource;
        let bucket: RecordedResource;
        let repository: RecordedResource;

        before(async () => {
            await useMocks();
            mocks.reset();
            config = loadgenConfig(file);
            const stack = await build(() => buildLoadgenStack(config));
            outputs = Object.fromEntries(await Promise.all(Object.entries(stack).map(async ([key, value]) => [key, await valueOf(value)])));
            const provider = mocks.one("pulumi:providers:aws");
            providerRef = `${provider.registration?.urn}::${provider.id}`;
            vpc = mocks.one(T.vpc);
            taskDefinition = mocks.one(T.taskDefinition);
            bucket = mocks.one(T.bucket);
            repository = mocks.one(T.repository);
        });

        it("manages every AWS resource with the stack's account provider, tagged as the loadgen role, the awsx VPC included", () => {
            const provider = mocks.one("pulumi:providers:aws");
            assert.deepEqual(provider.inputs.allowedAccountIds, [config.aws.accountId]);
            assert.equal(provider.inputs.defaultTags.tags.Role, "loadgen");
            for (const resource of mocks.resources.filter((r) => r.custom && r.type.startsWith("aws:"))) {
                assert.equal(resource.provider, providerRef, `${resource.type} ${resource.name}`);
            }
            for (const call of mocks.calls) assert.equal(call.provider, providerRef, call.token);
            assert.deepEqual(vpc.registration?.providers, { aws: providerRef });
        });

        it("lays out public subnets only, with no NAT gateway and no S3 endpoint, and closes the default security group", () => {
            assert.deepEqual(vpc.inputs, {
                cidrBlock: config.loadgen.network.cidrBlock,
                numberOfAvailabilityZones: config.loadgen.network.availabilityZones,
                subnetStrategy: "Auto",
                subnetSpecs: [{ type: "Public", cidrMask: config.loadgen.network.subnetPrefixLength }],
                natGateways: { strategy: "None" },
            });
            assert.deepEqual(vpc.state.privateSubnetIds, []);
            assert.deepEqual(mocks.ofType(T.endpoint), []);
            assert.deepEqual(mocks.one(T.defaultSecurityGroup).inputs, { vpcId: vpc.state.vpcId });
        });

        it("logs the VPC's flows as configured", () => {
            const flowLog = mocks.one(T.flowLog);
            assert.equal(flowLog.inputs.vpcId, vpc.state.vpcId);
            const logGroup = oneWhere(T.logGroup, (g) => g.state.arn === flowLog.inputs.logDestination);
            assert.deepEqual(logGroup.inputs, { name: `/vpc/ecs-loadlab/loadgen-${STACK}/flow-logs`, retentionInDays: config.loadgen.network.flowLogs.retentionDays });
        });

        it("lets the tasks out on TCP 80 and 443 to anywhere, and nothing in", () => {
            const group = mocks.one(T.securityGroup);
            assert.deepEqual(group.inputs, { vpcId: vpc.state.vpcId, description: "k6 runners: HTTP and HTTPS out, nothing in" });
            const egress = mocks
                .ofType(T.egress)
                .map((r) => ({ group: r.inputs.securityGroupId, protocol: r.inputs.ipProtocol, from: r.inputs.fromPort, to: r.inputs.toPort, ipv4: r.inputs.cidrIpv4, ipv6: r.inputs.cidrIpv6 }))
                .sort((a, b) => a.from - b.from);
            assert.deepEqual(egress, [
                { group: group.id, protocol: "tcp", from: 80, to: 80, ipv4: "0.0.0.0/0", ipv6: undefined },
                { group: group.id, protocol: "tcp", from: 443, to: 443, ipv4: "0.0.0.0/0", ipv6: undefined },
            ]);
            assert.deepEqual(mocks.ofType(T.ingress), [], "no ingress rule at all");
        });

        it("creates the cluster with Container Insights, Fargate by default and Fargate Spot on request", () => {
            const cluster = mocks.one(T.cluster);
            assert.deepEqual(cluster.inputs, { name: `ecs-loadlab-loadgen-${STACK}`, settings: [{ name: "containerInsights", value: "enabled" }] });
            assert.deepEqual(mocks.one(T.capacityProviders).inputs, {
                clusterName: cluster.state.name,
                capacityProviders: ["FARGATE", "FARGATE_SPOT"],
                defaultCapacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1 }],
            });
            assert.deepEqual(mocks.ofType("aws:ecs/service:Service"), [], "nothing runs until a load test starts tasks");
        });

        it("sizes the task from config, on Linux x86-64 Fargate, with its two roles and a tmp volume", () => {
            const { containerDefinitions: _, ...inputs } = taskDefinition.inputs;
            assert.deepEqual(inputs, {
                family: `ecs-loadlab-loadgen-${STACK}`,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(config.loadgen.task.cpu),
                memory: String(config.loadgen.task.memory),
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: oneWhere(T.role, (r) => r.name.endsWith("-execution")).state.arn,
                taskRoleArn: oneWhere(T.role, (r) => r.name.endsWith("-task")).state.arn,
                volumes: [{ name: "tmp" }],
            });
        });

        it("runs this checkout's runner image as user 1000:1000 on a read-only root, logging to its log group, knowing its bucket", () => {
            const [container, ...others] = parsed<Record<string, unknown>[]>(taskDefinition.inputs.containerDefinitions);
            assert.equal(others.length, 0);
            const logGroup = oneWhere(T.logGroup, (g) => g.inputs.name.startsWith("/ecs/"));
            assert.deepEqual(logGroup.inputs, { name: `/ecs/ecs-loadlab/loadgen-${STACK}/${RUNNER_CONTAINER_NAME}`, retentionInDays: config.loadgen.logRetentionDays });
            assert.deepEqual(container, {
                name: RUNNER_CONTAINER_NAME,
                image: `${repository.state.repositoryUrl}:${runnerImageTag()}`,
                essential: true,
                user: "1000:1000",
                readonlyRootFilesystem: true,
                mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
                environment: [
                    { name: RUNNER_ENV.bucket, value: bucket.state.bucket },
                    { name: "AWS_REGION", value: config.aws.region },
                ],
                stopTimeout: 120,
                logConfiguration: {
                    logDriver: "awslogs",
                    options: { "awslogs-group": logGroup.state.name, "awslogs-region": config.aws.region, "awslogs-stream-prefix": RUNNER_CONTAINER_NAME },
                },
            });
        });

        it("lets only this account's ECS tasks assume the task roles, each under /ecs-loadlab/ with the boundary", () => {
            const roles = ofComponent(T.role, "ecs-loadlab:loadgen:LoadGenerators");
            assert.deepEqual(roles.map((r) => r.name).sort(), [`loadgen-${STACK}-execution`, `loadgen-${STACK}-task`]);
            for (const role of roles) {
                assert.equal(role.inputs.path, "/ecs-loadlab/");
                assert.equal(role.inputs.permissionsBoundary, config.aws.permissionsBoundaryArn);
                assert.deepEqual(parsed<{ Statement: unknown[] }>(role.inputs.assumeRolePolicy).Statement, [
                    {
                        Effect: "Allow",
                        Principal: { Service: "ecs-tasks.amazonaws.com" },
                        Action: "sts:AssumeRole",
                        Condition: { StringEquals: { "aws:SourceAccount": config.aws.accountId } },
                    },
                ]);
            }
        });

        it("gives the execution role the AWS-managed task execution policy and nothing else", () => {
            const execution = oneWhere(T.role, (r) => r.name.endsWith("-execution"));
            assert.deepEqual(
                mocks.ofType(T.rolePolicyAttachment).map((a) => a.inputs),
                [{ role: execution.state.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" }],
            );
            assert.deepEqual(mocks.ofType(T.rolePolicy).filter((p) => p.inputs.role === execution.id), []);
        });

        it("lets the task role read runs, write markers and results, and list runs/, in this stack's bucket only", () => {
            const task = oneWhere(T.role, (r) => r.name.endsWith("-task"));
            assert.deepEqual(mocks.ofType(T.rolePolicyAttachment).filter((a) => a.inputs.role === task.state.name), []);
            const policy = oneWhere(T.rolePolicy, (p) => p.inputs.role === task.id);
            const statements = parsed<{ Version: string; Statement: Statement[] }>(policy.inputs.policy).Statement;
            const arn = bucket.state.arn;
            assert.deepEqual(
                statements.map(({ Effect, Action, Resource, Condition }) => ({ Effect, Action, Resource, Condition })),
                [
                    { Effect: "Allow", Action: "s3:GetObject", Resource: `${arn}/${TASK_READABLE_KEYS}`, Condition: undefined },
                    { Effect: "Allow", Action: "s3:PutObject", Resource: TASK_WRITABLE_KEYS.map((keys) => `${arn}/${keys}`), Condition: undefined },
                    { Effect: "Allow", Action: "s3:ListBucket", Resource: arn, Condition: { StringLike: { "s3:prefix": "runs/*" } } },
                ],
            );
            // Whatever the statements' shape: three S3 actions, no wildcard action, nothing outside the bucket.
            assert.deepEqual(statements.flatMap((s) => asList(s.Action)).sort(), ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
            for (const resource of statements.flatMap((s) => asList(s.Resource))) {
                assert.ok(resource === arn || resource.startsWith(`${arn}/runs/`), resource);
            }
            assert.ok(statements.every((s) => s.Effect === "Allow"));
        });

        it("keeps runs in a private bucket under the project's prefix, expiring them, deleted with the stack, granting nothing", () => {
            assert.deepEqual(bucket.inputs, { forceDestroy: true });
            assert.match(bucket.state.bucket, new RegExp(`^ecs-loadlab-loadgen-${STACK}-runs-[0-9a-f]{7}$`));
            assert.ok(bucket.state.bucket.length <= 63);
            const ofBucket = (type: string) => oneWhere(type, (r) => r.inputs.bucket === bucket.state.bucket);
            assert.deepEqual(ofBucket(T.lifecycle).inputs.rules, [
                {
                    id: "expire-runs",
                    status: "Enabled",
                    filter: {},
                    expiration: { days: config.loadgen.resultRetentionDays },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ]);
            assert.deepEqual(ofBucket(T.encryption).inputs.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
            assert.deepEqual(
                parsed<{ Statement: Statement[] }>(ofBucket(T.bucketPolicy).inputs.policy).Statement.map((s) => [s.Sid, s.Effect]),
                [["DenyInsecureTransport", "Deny"]],
            );
            assert.deepEqual(mocks.ofType(T.versioning), [], "run objects are written once: no versions to keep");
        });

        it("keeps the runner image in an immutable, scanned, AWS-managed-key repository of its own, deleted with the stack", () => {
            assert.deepEqual(repository.inputs, {
                name: `ecs-loadlab/k6-runner-${STACK}`,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS" }],
                forceDelete: true,
            });
        });

        it("expires runner images beyond runnerImagesToKeep and untagged images after a day", () => {
            const policy = oneWhere(T.lifecyclePolicy, (p) => p.inputs.repository === repository.state.name);
            const document = parsed<LifecyclePolicy>(policy.inputs.policy);
            assert.deepEqual(lifecyclePolicyProblems(document), []);
            const keep = config.loadgen.runnerImagesToKeep;
            // The newest image carries this checkout's tag: the rule must select it like the others.
            const runner = (age: number): Image => ({ digest: `runner-${age}`, tags: [age === 0 ? runnerImageTag() : `runner-${age}`], ageDays: age });
            const images = [...Array.from({ length: keep + 2 }, (_, age) => runner(age)), { digest: "fresh", tags: [], ageDays: 0 }, { digest: "stale", tags: [], ageDays: 2 }];
            assert.deepEqual([...expiredDigests(document, images)].sort(), [`runner-${keep}`, `runner-${keep + 1}`, "stale"].sort());
        });

        it(`outputs exactly LOADGEN_OUTPUT_NAMES, as the contract types them`, () => {
            assert.deepEqual(Object.keys(outputs).sort(), [...LOADGEN_OUTPUT_NAMES].sort());
            const subnetIds = outputs.subnetIds as unknown[];
            assert.ok(Array.isArray(subnetIds) && subnetIds.length === config.loadgen.network.availabilityZones);
            for (const name of LOADGEN_OUTPUT_NAMES) {
                const expected = name === "subnetIds" ? "object" : name === "taskCpu" || name === "taskMemory" ? "number" : "string";
                assert.equal(typeof outputs[name], expected, name);
            }
            const cluster = mocks.one(T.cluster);
            assert.deepEqual(outputs, {
                region: config.aws.region,
                accountId: config.aws.accountId,
                clusterArn: cluster.state.arn,
                subnetIds: vpc.state.publicSubnetIds,
                securityGroupId: mocks.one(T.securityGroup).id,
                bucketName: bucket.state.bucket,
                taskDefinitionArn: taskDefinition.state.arn,
                taskDefinitionFamily: `ecs-loadlab-loadgen-${STACK}`,
                containerName: RUNNER_CONTAINER_NAME,
                runnerImage: `${repository.state.repositoryUrl}:${runnerImageTag()}`,
                repositoryUrl: repository.state.repositoryUrl,
                repositoryName: repository.state.name,
                logGroupName: `/ecs/ecs-loadlab/loadgen-${STACK}/${RUNNER_CONTAINER_NAME}`,
                taskCpu: config.loadgen.task.cpu,
                taskMemory: config.loadgen.task.memory,
            });
        });
    });
}

describe("loadgen stack names", () => {
    it("derive from the stack's name", () => {
        assert.equal(loadgenName("eu-load"), "loadgen-eu-load");
    });

    for (const stack of ["Loadgen", "load_gen", "load.gen", "1load", "a".repeat(31)]) {
        it(`refuse a stack named ${JSON.stringify(stack)}, which AWS names cannot carry`, () => {
            assert.throws(() => loadgenName(stack), /must be lowercase letters, digits and dashes, starting with a letter \(≤ 30 characters\)/);
        });
    }
});

describe("loadgen stack config", () => {
    const minimal = () => ({ role: "loadgen", aws: { region: "us-east-1", accountId: "555555555555" } });


    it("fills in every default: two AZs of public subnets with flow logs, 1 vCPU / 2 GiB tasks, 30 days of logs and runs, 10 images", () => {
        const config = parseStackConfig(minimal());
        assert.ok(config.role === "loadgen");
        assert.deepEqual(config.loadgen, {
            network: { cidrBlock: "10.0.0.0/16", availabilityZones: 2, subnetPrefixLength: 20, flowLogs: { enabled: true, retentionDays: 90 } },
            task: { cpu: 1024, memory: 2048 },
            logRetentionDays: 30,
            resultRetentionDays: 30,
            runnerImagesToKeep: 10,
        });
    });

    const cases: [string, Record<string, unknown>, string[]][] = [
        [
            "a deploy role without the boundary the roles must carry",
            { ...minimal(), aws: { ...minimal().aws, deployRoleArn: "arn:aws:iam::555555555555:role/ecs-loadlab-deploy" } },
            [
                "ecs-loadlab:aws.permissionsBoundaryArn: is missing: the deploy role may only create IAM roles that carry the bootstrap's permissions boundary; set it to the bootstrap stack's permissionsBoundaryArn output (given: nothing)",
            ],
        ],
        [
            "a task size Fargate does not offer",
            { ...minimal(), loadgen: { task: { cpu: 1024, memory: 512 } } },
            ["ecs-loadlab:loadgen.task.memory: is not allowed with cpu 1024 on Fargate: use one of 2048, 3072, 4096, 5120, 6144, 7168, 8192 (given: 512)"],
        ],
        [
            "a cpu size Fargate does not offer",
            { ...minimal(), loadgen: { task: { cpu: 3000 } } },
            ["ecs-loadlab:loadgen.task.cpu: must be a Fargate cpu size: one of 256, 512, 1024, 2048, 4096, 8192, 16384 (given: 3000)"],
        ],
        [
            "NAT, which public subnets do not need",
            { ...minimal(), loadgen: { network: { natGateways: "Single" } } },
            ["ecs-loadlab:loadgen.network.natGateways: unknown key; remove it or check its spelling and section"],
        ],
        [
            "a VPC too small for its public subnets",
            { ...minimal(), loadgen: { network: { cidrBlock: "10.0.0.0/23", availabilityZones: 3, subnetPrefixLength: 24 } } },
            ['ecs-loadlab:loadgen.network.cidrBlock: is too small: 3 subnets (public in 3 AZs) of /24 need at least a /22 (given: "10.0.0.0/23")'],
        ],
    ];
    for (const [what, raw, expected] of cases) {
        it(`refuses ${what}`, () => {
            assert.deepEqual(problemsOf(raw), expected);
        });
    }

    it("knows its keys for the documentation's check, and not another role's", () => {
        assert.ok(isConfigKey("ecs-loadlab:loadgen.network.flowLogs.retentionDays"));
        assert.ok(isConfigKey("ecs-loadlab:loadgen.runnerImagesToKeep"));
        assert.equal(isConfigKey("ecs-loadlab:loadgen.network.natGateways"), false);
    });

    it("reports every problem at once, each by its key", () => {
        const problems = problemsOf({
            ...minimal(),
            loadgen: { task: { cpu: 512, memory: 512 }, logRetentionDays: 10, resultRetentionDays: 0, runnerImagesToKeep: 0, spot: true },
        });
        assert.deepEqual(problems.map((problem) => problem.slice(0, problem.indexOf(": "))).sort(), [
            "ecs-loadlab:loadgen.logRetentionDays",
            "ecs-loadlab:loadgen.resultRetentionDays",
            "ecs-loadlab:loadgen.runnerImagesToKeep",
            "ecs-loadlab:loadgen.spot",
            "ecs-loadlab:loadgen.task.memory",
        ]);
    });
});
