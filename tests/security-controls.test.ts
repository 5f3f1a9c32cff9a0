import assert from "node:assert/strict";
import { BootstrapStackConfig, EnvironmentStackConfig, LoadgenStackConfig, loadStackConfigFile, SharedStackConfig } from "../config";
import { buildBootstrapStack } from "../stacks/bootstrap";
import { buildEnvironmentStack } from "../stacks/environment";
import { buildLoadgenStack } from "../stacks/loadgen";
import { buildSharedStack } from "../stacks/shared";
import { ENVIRONMENT_STACK_FILES, environmentConfigWith, loadEnvironmentConfig, stackFilesOfRole } from "./environment-fixtures";
import { build, mocks, RecordedResource, Recording, useMocks } from "./mocks";

/**
 * AWS Security Hub (Foundational Security Best Practices) controls that apply to the stacks, one test per control,
 * each asserting the control's own condition on what the stack registers. docs/security-controls.md lists them,
 * and what each shipped stack deliberately relaxes.
 */

const T = {
    vpc: "awsx:ec2:Vpc",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    flowLog: "aws:ec2/flowLog:FlowLog",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamPolicy: "aws:iam/policy:Policy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    alb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    listenerRule: "aws:lb/listenerRule:ListenerRule",
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownershipControls: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    cluster: "aws:ecs/cluster:Cluster",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    service: "aws:ecs/service:Service",
    topic: "aws:sns/topic:Topic",
    kmsKey: "aws:kms/key:Key",
    repository: "aws:ecr/repository:Repository",
    lifecyclePolicy: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
} as const;

/** ELB.17's recommended security policies (the control's sslPolicies parameter). */
const ELB17_SSL_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
];

/** ECS.8's secretKeys parameter: environment variable names that must not appear in a container definition. */
const ECS8_SECRET_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"];

interface Built<Config> {
    config: Config;
    recording: Recording;
}

interface Control<Config> {
    id: string;
    title: string;
    /** Throws an AssertionError when the stack fails the control. */
    check: (built: Built<Config>) => void;
}

interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: unknown;
    Action: string | string[];
    Resource?: string | string[];
    Condition?: unknown;
}

interface PolicyDocument {
    Version: string;
    Statement: Statement[];
}

const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function parsed<T>(json: unknown, what: string): T {
    assert.equal(typeof json, "string", `${what} is a JSON document`);
    return JSON.parse(json as string) as T;
}

/** The one resource of a type for which `test` holds, as an assertion (a missing resource fails the control). */
function oneWhere(recording: Recording, type: string, test: (r: RecordedResource) => boolean, what: string): RecordedResource {
    const found = recording.ofType(type).filter(test);
    assert.equal(found.length, 1, `exactly one ${what}, found ${found.length}`);
    return found[0];
}

/** Every container definition of every task definition. */
function containers(recording: Recording): Record<string, unknown>[] {
    const taskDefinitions = recording.ofType(T.taskDefinition);
    assert.ok(taskDefinitions.length > 0, "the stack has task definitions");
    return taskDefinitions.flatMap((t) => parsed<Record<string, unknown>[]>(t.inputs.containerDefinitions, "containerDefinitions"));
}

/** Every bucket, each with the one configuration resource of a type that applies to it. */
function bucketsWith(recording: Recording, type: string): { bucket: RecordedResource; configuration: RecordedResource }[] {
    return recording.ofType(T.bucket).map((bucket) => ({
        bucket,
        configuration: oneWhere(recording, type, (c) => c.inputs.bucket === bucket.state.bucket, `${type} for ${bucket.state.bucket}`),
    }));
}

function bucketPolicy(recording: Recording, bucketName: string): { resource: RecordedResource; document: PolicyDocument } {
    const resource = oneWhere(recording, T.bucketPolicy, (p) => p.inputs.bucket === bucketName, `bucket policy of ${bucketName}`);
    return { resource, document: parsed<PolicyDocument>(resource.inputs.policy, "bucket policy") };
}

/** The Allow statements of every identity policy the stack writes (inline and customer managed). */
function identityPolicyAllows(recording: Recording): Statement[] {
    return [...recording.ofType(T.rolePolicy), ...recording.ofType(T.iamPolicy)]
        .flatMap((p) => parsed<PolicyDocument>(p.inputs.policy, `policy ${p.name}`).Statement)
        .filter((s) => s.Effect === "Allow");
}

/** Controls whose condition is the same whichever stack registers the resources. */
const CONTROL_S3_5: Control<unknown> = {
    id: "S3.5",
    title: "buckets refuse requests without TLS",
    check: ({ recording }) => {
        for (const bucket of recording.ofType(T.bucket)) {
            const { document } = bucketPolicy(recording, bucket.state.bucket);
            const denies = document.Statement.filter(
                (s) => s.Effect === "Deny" && s.Principal === "*" && s.Action === "s3:*" && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { "aws:SecureTransport": "false" } }),
            );
            assert.deepEqual(denies.map((s) => s.Resource), [[bucket.state.arn, `${bucket.state.arn}/*`]]);
        }
    },
};

const CONTROL_S3_8: Control<unknown> = {
    id: "S3.8",
    title: "buckets block public access (which S3.2 and S3.3 also check)",
    check: ({ recording }) => {
        for (const { configuration } of bucketsWith(recording, T.publicAccessBlock)) {
            const { bucket: _, ...settings } = configuration.inputs;
            assert.deepEqual(settings, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        }
    },
};

const CONTROL_S3_12: Control<unknown> = {
    id: "S3.12",
    title: "buckets disable ACLs (bucket owner enforced)",
    check: ({ recording }) => {
        for (const { configuration } of bucketsWith(recording, T.ownershipControls)) {
            assert.deepEqual(configuration.inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
        }
    },
};

const CONTROL_S3_13: Control<unknown> = {
    id: "S3.13",
    title: "buckets have a lifecycle configuration that expires objects (or, in a versioned bucket, replaced versions)",
    check: ({ recording }) => {
        for (const { configuration } of bucketsWith(recording, T.lifecycle)) {
            const rules = configuration.inputs.rules as { status: string; expiration?: { days?: number }; noncurrentVersionExpiration?: { noncurrentDays?: number } }[];
            const expires = (rule: (typeof rules)[number]) => (rule.expiration?.days ?? 0) > 0 || (rule.noncurrentVersionExpiration?.noncurrentDays ?? 0) > 0;
            assert.ok(rules.some((rule) => rule.status === "Enabled" && expires(rule)));
        }
    },
};

const CONTROL_KMS_4: Control<unknown> = {
    id: "KMS.4",
    title: "customer-managed keys rotate",
    check: ({ recording }) => {
        for (const key of recording.ofType(T.kmsKey)) assert.equal(key.inputs.enableKeyRotation, true, key.name);
    },
};

const CONTROL_IAM_1: Control<unknown> = {
    id: "IAM.1",
    title: "no policy allows every action",
    check: ({ recording }) => {
        assert.deepEqual(identityPolicyAllows(recording).filter((s) => asList(s.Action).includes("*")), []);
        for (const attachment of recording.ofType(T.rolePolicyAttachment)) assert.doesNotMatch(attachment.inputs.policyArn, /\/AdministratorAccess$/);
    },
};

const CONTROL_IAM_21: Control<unknown> = {
    id: "IAM.21",
    title: "no policy the stack writes allows a whole service (service:*)",
    check: ({ recording }) => {
        assert.deepEqual(identityPolicyAllows(recording).flatMap((s) => asList(s.Action).filter((action) => action.endsWith(":*"))), []);
    },
};

const CONTROL_ECS_1: Control<unknown> = {
    id: "ECS.1",
    title: "task definitions use awsvpc networking (not host) and a non-root user",
    check: ({ recording }) => {
        for (const taskDefinition of recording.ofType(T.taskDefinition)) assert.equal(taskDefinition.inputs.networkMode, "awsvpc");
        for (const container of containers(recording)) assert.ok(!["", "root", "0", undefined].includes(container.user as string), `user ${container.user}`);
    },
};

const CONTROL_ECS_3: Control<unknown> = {
    id: "ECS.3",
    title: "task definitions do not share the host's process namespace",
    check: ({ recording }) => {
        for (const taskDefinition of recording.ofType(T.taskDefinition)) assert.notEqual(taskDefinition.inputs.pidMode, "host");
    },
};

const CONTROL_ECS_4: Control<unknown> = {
    id: "ECS.4",
    title: "containers are not privileged",
    check: ({ recording }) => {
        for (const container of containers(recording)) assert.notEqual(container.privileged, true);
    },
};

const CONTROL_ECS_5: Control<unknown> = {
    id: "ECS.5",
    title: "containers have read-only root filesystems",
    check: ({ recording }) => {
        for (const container of containers(recording)) assert.equal(container.readonlyRootFilesystem, true);
    },
};

const CONTROL_ECS_8: Control<unknown> = {
    id: "ECS.8",
    title: "no AWS credentials or registry auth in container environment variables",
    check: ({ recording }) => {
        for (const container of containers(recording)) {
            const names = asList(container.environment as { name: string }[] | undefined).map((variable) => variable.name);
            assert.deepEqual(names.filter((name) => ECS8_SECRET_KEYS.includes(name)), []);
        }
    },
};

const CONTROL_ECS_9: Control<unknown> = {
    id: "ECS.9",
    title: "every container logs, to a log group the stack keeps",
    check: ({ recording }) => {
        const logGroups = recording.ofType(T.logGroup).map((g) => g.state.name);
        for (const container of containers(recording)) {
            const logging = container.logConfiguration as { logDriver?: string; options?: Record<string, string> } | undefined;
            assert.equal(logging?.logDriver, "awslogs");
            assert.ok(logGroups.includes(logging?.options?.["awslogs-group"]), "the log group is managed by the stack");
        }
    },
};

const CONTROL_ECS_12: Control<unknown> = {
    id: "ECS.12",
    title: "clusters use Container Insights",
    check: ({ recording }) => {
        for (const cluster of recording.ofType(T.cluster)) {
            const insights = asList(cluster.inputs.settings as { name: string; value: string }[]).find((s) => s.name === "containerInsights");
            assert.ok(["enabled", "enhanced"].includes(insights?.value ?? ""), `containerInsights ${insights?.value}`);
        }
    },
};

const CONTROL_EC2_2: Control<unknown> = {
    id: "EC2.2",
    title: "the VPC's default security group allows no traffic",
    check: ({ recording }) => {
        const vpcId = recording.one(T.vpc).state.vpcId;
        const defaultGroup = oneWhere(recording, T.defaultSecurityGroup, (g) => g.inputs.vpcId === vpcId, "default security group of the VPC");
        assert.deepEqual(asList(defaultGroup.inputs.ingress), []);
        assert.deepEqual(asList(defaultGroup.inputs.egress), []);
    },
};

const CONTROL_EC2_18: Control<unknown> = {
    id: "EC2.18",
    title: "only ports 80 and 443 are open to the internet (so none of EC2.19's high-risk ports)",
    check: ({ recording }) => {
        const fromAnywhere = recording.ofType(T.ingressRule).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0");
        for (const rule of fromAnywhere) {
            assert.ok(rule.inputs.ipProtocol === "tcp" && rule.inputs.fromPort === rule.inputs.toPort && [80, 443].includes(rule.inputs.fromPort), rule.name);
        }
        for (const group of recording.ofType(T.securityGroup)) assert.equal(group.inputs.ingress, undefined, "no inline rules");
    },
};

const CONTROL_EC2_6: Control<unknown> = {
    id: "EC2.6",
    title: "the VPC has flow logs of at least rejected traffic, delivered to a log group of the stack",
    check: ({ recording }) => {
        const vpcId = recording.one(T.vpc).state.vpcId;
        const flowLog = oneWhere(recording, T.flowLog, (f) => f.inputs.vpcId === vpcId, "flow log on the VPC");
        assert.ok(["ALL", "REJECT"].includes(flowLog.inputs.trafficType), flowLog.inputs.trafficType);
        assert.equal(flowLog.inputs.logDestinationType, "cloud-watch-logs");
        oneWhere(recording, T.logGroup, (g) => g.state.arn === flowLog.inputs.logDestination, "destination log group");
        oneWhere(recording, T.role, (r) => r.state.arn === flowLog.inputs.iamRoleArn, "delivery role");
    },
};

const ENVIRONMENT_CONTROLS: Control<EnvironmentStackConfig>[] = [
    CONTROL_ECS_1,
    {
        id: "ECS.2",
        title: "services get no public IP address",
        check: ({ recording }) => {
            const services = recording.ofType(T.service);
            assert.ok(services.length > 0);
            for (const service of services) assert.equal(service.inputs.networkConfiguration?.assignPublicIp, false);
        },
    },
    CONTROL_ECS_3,
    CONTROL_ECS_4,
    CONTROL_ECS_5,
    CONTROL_ECS_8,
    CONTROL_ECS_9,
    {
        id: "ECS.10",
        title: "Fargate services run the latest platform version",
        check: ({ recording }) => {
            for (const service of recording.ofType(T.service)) {
                assert.equal(service.inputs.launchType, "FARGATE");
                assert.ok([undefined, "LATEST"].includes(service.inputs.platformVersion), `platformVersion ${service.inputs.platformVersion}`);
            }
        },
    },
    CONTROL_ECS_12,
    {
        id: "ELB.1",
        title: "HTTP listeners only redirect to HTTPS",
        check: ({ recording }) => {
            const http = recording.ofType(T.listener).filter((l) => l.inputs.protocol === "HTTP");
            assert.ok(http.length > 0, "the ALB answers HTTP");
            for (const listener of http) {
                assert.deepEqual(
                    listener.inputs.defaultActions.map((a: { type: string; redirect?: { protocol: string } }) => [a.type, a.redirect?.protocol]),
                    [["redirect", "HTTPS"]],
                );
                const rules = recording.ofType(T.listenerRule).filter((r) => r.inputs.listenerArn === listener.state.arn);
                assert.deepEqual(rules.map((r) => r.name), [], "no rule forwards plain HTTP");
            }
        },
    },
    {
        id: "ELB.4",
        title: "the ALB drops invalid HTTP headers",
        check: ({ recording }) => assert.equal(recording.one(T.alb).inputs.dropInvalidHeaderFields, true),
    },
    {
        id: "ELB.5",
        title: "the ALB logs access to a bucket in its account and region that ELB log delivery can write to",
        check: ({ recording, config }) => {
            const alb = recording.one(T.alb);
            const accessLogs = alb.inputs.accessLogs as { bucket: string; prefix: string; enabled: boolean } | undefined;
            assert.equal(accessLogs?.enabled, true, "access logs are on");
            const bucket = oneWhere(recording, T.bucket, (b) => b.state.bucket === accessLogs.bucket, "access log bucket");
            assert.equal(bucket.provider, alb.provider, "the bucket is in the ALB's account and region");

            const policy = bucketPolicy(recording, accessLogs.bucket);
            const logDelivery = policy.document.Statement.filter((s) => s.Effect === "Allow");
            assert.deepEqual(
                logDelivery.map(({ Principal, Action, Resource }) => ({ Principal, Action, Resource })),
                [
                    {
                        Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
                        Action: "s3:PutObject",
                        Resource: `${bucket.state.arn}/${accessLogs.prefix}/AWSLogs/${config.aws.accountId}/*`,
                    },
                ],
            );
            const encryption = oneWhere(recording, T.encryption, (e) => e.inputs.bucket === accessLogs.bucket, "bucket encryption");
            assert.deepEqual(encryption.inputs.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }], "SSE-S3, the only encryption log delivery supports");
            // ELB checks that it can write when logging is turned on.
            assert.ok(alb.registration?.dependencies.includes(policy.resource.registration!.urn), "the ALB waits for the bucket policy");
        },
    },
    {
        id: "ELB.6",
        title: "the ALB has deletion protection",
        check: ({ recording }) => assert.equal(recording.one(T.alb).inputs.enableDeletionProtection, true),
    },
    {
        id: "ELB.12",
        title: "the ALB mitigates HTTP desync in defensive or strictest mode",
        check: ({ recording }) => assert.ok(["defensive", "strictest"].includes(recording.one(T.alb).inputs.desyncMitigationMode)),
    },
    {
        id: "ELB.13",
        title: "the ALB spans at least two availability zones",
        check: ({ recording }) => {
            const vpc = recording.one(T.vpc);
            const subnets: string[] = recording.one(T.alb).inputs.subnets;
            // awsx makes one public subnet per availability zone.
            assert.deepEqual(subnets, vpc.state.publicSubnetIds);
            assert.ok(vpc.inputs.numberOfAvailabilityZones >= 2 && new Set(subnets).size === vpc.inputs.numberOfAvailabilityZones);
        },
    },
    {
        id: "ELB.17",
        title: "HTTPS listeners use a recommended TLS security policy",
        check: ({ recording }) => {
            const https = recording.ofType(T.listener).filter((l) => l.inputs.protocol === "HTTPS");
            assert.ok(https.length > 0);
            for (const listener of https) assert.ok(ELB17_SSL_POLICIES.includes(listener.inputs.sslPolicy), listener.inputs.sslPolicy);
        },
    },
    CONTROL_EC2_2,
    CONTROL_EC2_18,
    CONTROL_EC2_6,
    CONTROL_S3_5,
    {
        id: "S3.6",
        title: "bucket policies grant nothing to other accounts: their only grant is PutObject to ELB log delivery",
        check: ({ recording }) => {
            for (const bucket of recording.ofType(T.bucket)) {
                const allows = bucketPolicy(recording, bucket.state.bucket).document.Statement.filter((s) => s.Effect === "Allow");
                assert.deepEqual(allows.map((s) => [s.Principal, s.Action]), [[{ Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, "s3:PutObject"]]);
            }
        },
    },
    CONTROL_S3_8,
    CONTROL_S3_12,
    CONTROL_S3_13,
    {
        id: "SNS.1",
        title: "topics are encrypted with a customer-managed KMS key of the stack",
        check: ({ recording }) => {
            const keyArns = recording.ofType(T.kmsKey).map((k) => k.state.arn);
            for (const topic of recording.ofType(T.topic)) assert.ok(keyArns.includes(topic.inputs.kmsMasterKeyId), topic.inputs.kmsMasterKeyId);
        },
    },
    CONTROL_KMS_4,
    CONTROL_IAM_1,
    CONTROL_IAM_21,
];

const CONTROL_ECR_1: Control<unknown> = {
    id: "ECR.1",
    title: "repositories scan images on push",
    check: ({ recording }) => {
        for (const repository of recording.ofType(T.repository)) assert.equal(repository.inputs.imageScanningConfiguration?.scanOnPush, true);
    },
};

const CONTROL_ECR_3: Control<unknown> = {
    id: "ECR.3",
    title: "repositories have a lifecycle policy",
    check: ({ recording }) => {
        for (const repository of recording.ofType(T.repository)) {
            const policy = oneWhere(recording, T.lifecyclePolicy, (p) => p.inputs.repository === repository.state.name, "lifecycle policy");
            assert.ok(parsed<{ rules: unknown[] }>(policy.inputs.policy, "lifecycle policy").rules.length > 0);
        }
    },
};

const SHARED_CONTROLS: Control<SharedStackConfig>[] = [
    CONTROL_ECR_1,
    {
        id: "ECR.2",
        title: "tags are immutable except the environment tags, each excluded by its exact name (docs/security-controls.md: a finding to suppress)",
        check: ({ recording, config }) => {
            for (const repository of recording.ofType(T.repository)) {
                assert.equal(repository.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
                const filters = repository.inputs.imageTagMutabilityExclusionFilters as { filter: string; filterType: string }[];
                assert.deepEqual(filters.map((f) => f.filter).sort(), config.environments.map((e) => e.name).sort());
                for (const filter of filters) assert.doesNotMatch(filter.filter, /\*/, "an exclusion names one tag");
            }
        },
    },
    CONTROL_ECR_3,
];

/** S3.6's list: actions a bucket policy must not grant to principals of other accounts. */
const S3_6_DENYLISTED_ACTIONS = ["s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutObjectAcl"];

const CONTROL_S3_6: Control<{ aws: { accountId: string } }> = {
    id: "S3.6",
    title: "bucket policies grant other accounts none of the actions S3.6 lists, and no wildcard action",
    check: ({ recording, config }) => {
        for (const bucket of recording.ofType(T.bucket)) {
            for (const statement of bucketPolicy(recording, bucket.state.bucket).document.Statement.filter((s) => s.Effect === "Allow")) {
                const principals = asList((statement.Principal as { AWS?: string | string[] } | undefined)?.AWS);
                if (principals.every((p) => p.split(":")[4] === config.aws.accountId)) continue;
                for (const action of asList(statement.Action)) {
                    assert.ok(!S3_6_DENYLISTED_ACTIONS.includes(action) && !action.includes("*"), `${statement.Sid}: ${action}`);
                }
            }
        }
    },
};

const BOOTSTRAP_CONTROLS: Control<BootstrapStackConfig>[] = [
    CONTROL_S3_5,
    CONTROL_S3_6,
    CONTROL_S3_8,
    CONTROL_S3_12,
    CONTROL_S3_13,
    CONTROL_KMS_4,
    CONTROL_IAM_1,
    CONTROL_IAM_21,
];

const LOADGEN_CONTROLS: Control<LoadgenStackConfig>[] = [
    CONTROL_ECS_1,
    CONTROL_ECS_3,
    CONTROL_ECS_4,
    CONTROL_ECS_5,
    CONTROL_ECS_8,
    CONTROL_ECS_9,
    CONTROL_ECS_12,
    CONTROL_EC2_2,
    CONTROL_EC2_18,
    CONTROL_EC2_6,
    CONTROL_S3_5,
    CONTROL_S3_6,
    CONTROL_S3_8,
    CONTROL_S3_12,
    CONTROL_S3_13,
    CONTROL_ECR_1,
    {
        id: "ECR.2",
        title: "repositories have immutable tags",
        check: ({ recording }) => {
            const repositories = recording.ofType(T.repository);
            assert.ok(repositories.length > 0);
            for (const repository of repositories) assert.equal(repository.inputs.imageTagMutability, "IMMUTABLE");
        },
    },
    CONTROL_ECR_3,
    CONTROL_IAM_1,
    CONTROL_IAM_21,
];

/** The controls a built stack fails; anything but an assertion is a broken test, not a failed control. */
function failedControls<Config>(controls: Control<Config>[], built: Built<Config>): string[] {
    return controls
        .filter((control) => {
            try {
                control.check(built);
                return false;
            } catch (error) {
                if (error instanceof assert.AssertionError) return true;
                throw error;
            }
        })
        .map((control) => control.id);
}

/** One test per control, over a stack built once. */
function describeControls<Config>(title: string, controls: Control<Config>[], buildStack: () => Promise<Built<Config>>): void {
    describe(title, () => {
        let built: Built<Config>;
        before(async () => {
            built = await buildStack();
        });
        for (const control of controls) {
            it(`${control.id}: ${control.title}`, () => control.check(built));
        }
    });
}

async function buildEnvironment(config: EnvironmentStackConfig): Promise<Built<EnvironmentStackConfig>> {
    mocks.reset();
    await build(() => buildEnvironmentStack(config));
    return { config, recording: mocks.snapshot() };
}

/** What each shipped environment relaxes on purpose (docs/security-controls.md); everything else must pass. */
const RELAXED_BY_STACK_FILE: Record<string, string[]> = {
    "Pulumi.dev.yaml": ["ELB.5", "ELB.6", "EC2.6"],
    "Pulumi.staging.yaml": ["ELB.6"],
    "Pulumi.prod.yaml": [],
};

/** The dev config that turns each of dev's relaxations back on. */
const TURNED_ON_IN_DEV: Record<string, Record<string, Record<string, unknown>>> = {
    "ELB.5": { loadBalancer: { accessLogs: { enabled: true } } },
    "ELB.6": { loadBalancer: { deletionProtection: true } },
    "EC2.6": { network: { flowLogs: { enabled: true } } },
};

describe("Security Hub controls", () => {
    before(useMocks);

    describe("prod environment stack (Pulumi.prod.yaml)", () => {
        let prod: Built<EnvironmentStackConfig>;
        before(async () => {
            prod = await buildEnvironment(loadEnvironmentConfig("Pulumi.prod.yaml"));
        });

        for (const control of ENVIRONMENT_CONTROLS) {
            it(`${control.id}: ${control.title}`, () => control.check(prod));
        }

        it("flow logs: kept for network.flowLogs.retentionDays, every minute, by a role only this account's VPC flow logs assume, writing to that log group alone", () => {
            const { recording, config } = prod;
            const flowLog = recording.one(T.flowLog);
            const logGroup = oneWhere(recording, T.logGroup, (g) => g.state.arn === flowLog.inputs.logDestination, "flow log group");
            assert.deepEqual(logGroup.inputs, { name: "/vpc/ecs-loadlab/prod/flow-logs", retentionInDays: config.network.flowLogs.retentionDays });
            assert.equal(flowLog.inputs.maxAggregationInterval, 60);

            const role = oneWhere(recording, T.role, (r) => r.state.arn === flowLog.inputs.iamRoleArn, "flow log role");
            const { accountId, region } = config.aws;
            assert.deepEqual(parsed<PolicyDocument>(role.inputs.assumeRolePolicy, "trust policy").Statement, [
                {
                    Effect: "Allow",
                    Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: {
                        StringEquals: { "aws:SourceAccount": accountId },
                        ArnLike: { "aws:SourceArn": `arn:aws:ec2:${region}:${accountId}:vpc-flow-log/*` },
                    },
                },
            ]);
            const rolePolicy = oneWhere(recording, T.rolePolicy, (p) => p.inputs.role === role.id, "flow log role policy");
            assert.deepEqual(parsed<PolicyDocument>(rolePolicy.inputs.policy, "role policy").Statement, [
                {
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    Resource: [logGroup.state.arn, `${logGroup.state.arn}:*`],
                },
            ]);
            assert.ok(flowLog.registration?.dependencies.includes(rolePolicy.registration!.urn), "delivery starts once the role may write");
        });

        it("access log bucket: expires logs after loadBalancer.accessLogs.expireAfterDays, aborts stale uploads, keeps its logs through pulumi destroy", () => {
            const { recording, config } = prod;
            const bucket = recording.one(T.bucket);
            assert.deepEqual(bucket.inputs, { forceDestroy: false });
            const lifecycle = oneWhere(recording, T.lifecycle, (l) => l.inputs.bucket === bucket.state.bucket, "lifecycle configuration");
            assert.deepEqual(lifecycle.inputs.rules, [
                {
                    id: "expire-access-logs",
                    status: "Enabled",
                    filter: {},
                    expiration: { days: config.loadBalancer.accessLogs.expireAfterDays },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ]);
        });
    });

    describeControls("shared stack (Pulumi.shared.yaml)", SHARED_CONTROLS, async () => {
        const config = loadStackConfigFile("Pulumi.shared.yaml");
        assert.equal(config.role, "shared");
        mocks.reset();
        await build(() => buildSharedStack(config));
        return { config, recording: mocks.snapshot() };
    });

    for (const file of stackFilesOfRole("bootstrap")) {
        describeControls(`bootstrap stack (${file})`, BOOTSTRAP_CONTROLS, async () => {
            const config = loadStackConfigFile(file);
            assert.equal(config.role, "bootstrap");
            mocks.reset();
            await build(() => buildBootstrapStack(config));
            return { config, recording: mocks.snapshot() };
        });
    }

    for (const file of stackFilesOfRole("loadgen")) {
        describeControls(`loadgen stack (${file})`, LOADGEN_CONTROLS, async () => {
            const config = loadStackConfigFile(file);
            assert.equal(config.role, "loadgen");
            mocks.reset();
            await build(() => buildLoadgenStack(config));
            return { config, recording: mocks.snapshot() };
        });
    }

    describe("relaxations", () => {
        it("names every shipped environment stack", () => {
            assert.deepEqual(Object.keys(RELAXED_BY_STACK_FILE).sort(), [...ENVIRONMENT_STACK_FILES].sort());
        });

        for (const file of ENVIRONMENT_STACK_FILES) {
            it(`${file} fails exactly the controls it relaxes on purpose: ${RELAXED_BY_STACK_FILE[file]?.join(", ") || "none"}`, async () => {
                const built = await buildEnvironment(loadEnvironmentConfig(file));
                assert.deepEqual(failedControls(ENVIRONMENT_CONTROLS, built), RELAXED_BY_STACK_FILE[file]);
            });
        }

        it("dev's relaxations are the ones its config can turn back on", () => {
            assert.deepEqual(Object.keys(TURNED_ON_IN_DEV), RELAXED_BY_STACK_FILE["Pulumi.dev.yaml"]);
        });

        for (const [id, overrides] of Object.entries(TURNED_ON_IN_DEV)) {
            it(`dev passes ${id} once its config sets ${JSON.stringify(overrides)}`, async () => {
                const built = await buildEnvironment(environmentConfigWith("Pulumi.dev.yaml", overrides));
                assert.deepEqual(
                    failedControls(ENVIRONMENT_CONTROLS, built),
                    RELAXED_BY_STACK_FILE["Pulumi.dev.yaml"].filter((relaxed) => relaxed !== id),
                );
            });
        }
    });
});
