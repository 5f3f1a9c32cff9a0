/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs, state and call results are untyped engine data, and tests read them as such */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";

/**
 * The one Pulumi mocks module of the test suite. `setMocks` is global to the process, so every test file
 * goes through `useMocks()`, and each test starts from `mocks.reset()`.
 *
 * Resources get realistic ids and ARNs in the account and region of the provider that manages them,
 * so tests can assert on wiring (an ARN flowing from one resource into another) rather than on echoes.
 */

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    state: Record<string, any>;
    id: string;
    /** Provider reference (`urn::id`) as given to the engine; undefined for component resources. */
    provider?: string;
    custom: boolean;
    /** What the program asked the engine for beyond the inputs; undefined for reads. */
    registration?: Registration;
}

/** The resource options the engine receives, which `pulumi.runtime.Mocks` does not see. */
export interface Registration {
    urn: string;
    /**
     * Package → provider reference (`urn::id`) of a component's `providers`. A remote component (awsx) passes
     * only these to the resources it creates; a parent's providers do not reach it.
     */
    providers: Record<string, string>;
    ignoreChanges: string[];
    protect: boolean;
    /** URNs of every resource this one depends on, explicit (`dependsOn`) and through its inputs. */
    dependencies: string[];
    /** Input property → URNs of the resources its value was computed from. */
    propertyDependencies: Record<string, string[]>;
    /** URN of the parent resource ("" for none). */
    parent: string;
}

export interface RecordedCall {
    token: string;
    inputs: Record<string, any>;
    provider?: string;
    /** What the mocked function returned. */
    result?: Record<string, any>;
}

const DEFAULT_ACCOUNT = "999999999999";
const DEFAULT_REGION = "eu-west-1";

/** Outputs of the shared stack as environment stacks read them through a StackReference. */
export const SHARED_STACK_OUTPUTS = {
    registryAccountId: "111111111111",
    registryRegion: "eu-west-1",
    repositoryName: "ecs-loadlab/prime-counter",
    repositoryUrl: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/ecs-loadlab/prime-counter",
};

/** The digest every environment tag resolves to in the mocked registry. */
export const MOCK_IMAGE_DIGEST = `sha256:${hex("mock-image", 64)}`;

function hex(seed: string, length: number): string {
    let out = "";
    for (let i = 0; out.length < length; i++) out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
    return out.slice(0, length);
}

function uuid(seed: string): string {
    const h = hex(seed, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Placement {
    account: string;
    region: string;
}

type StateFor = (name: string, inputs: Record<string, any>, at: Placement) => { id: string; state: Record<string, any> };

const arn = (service: string, at: Placement, resource: string) => `arn:aws:${service}:${at.region}:${at.account}:${resource}`;

/** Physical name: what AWS would call it (the explicit name input, or Pulumi's auto-name with a suffix). */
const physicalName = (name: string, inputs: Record<string, any>, key = "name") =>
    (inputs[key] as string | undefined) ?? `${name}-${hex(name, 7)}`;

const STATE_BY_TYPE: Record<string, StateFor> = {
    "aws:ecr/repository:Repository": (name, inputs, at) => {
        const repo = physicalName(name, inputs);
        return {
            id: repo,
            state: {
                name: repo,
                arn: arn("ecr", at, `repository/${repo}`),
                registryId: at.account,
                repositoryUrl: `${at.account}.dkr.ecr.${at.region}.amazonaws.com/${repo}`,
            },
        };
    },
    "aws:kms/key:Key": (name, _inputs, at) => {
        const id = uuid(name);
        return { id, state: { keyId: id, arn: arn("kms", at, `key/${id}`) } };
    },
    "aws:kms/alias:Alias": (name, inputs, at) => {
        const alias = physicalName(name, inputs);
        return { id: alias, state: { arn: arn("kms", at, alias) } };
    },
    "aws:sns/topic:Topic": (name, inputs, at) => {
        const topic = physicalName(name, inputs);
        return { id: arn("sns", at, topic), state: { name: topic, arn: arn("sns", at, topic) } };
    },
    "aws:sns/topicSubscription:TopicSubscription": (name, _inputs, at) => {
        const id = arn("sns", at, `${name}:${uuid(name)}`);
        return { id, state: { arn: id } };
    },
    "aws:iam/role:Role": (name, inputs, at) => {
        const role = physicalName(name, inputs);
        const path = (inputs.path as string | undefined) ?? "/";
        return { id: role, state: { name: role, path, arn: `arn:aws:iam::${at.account}:role${path}${role}`, uniqueId: `AROA${hex(name, 17).toUpperCase()}` } };
    },
    "aws:iam/policy:Policy": (name, inputs, at) => {
        const policy = physicalName(name, inputs);
        const policyArn = `arn:aws:iam::${at.account}:policy${(inputs.path as string | undefined) ?? "/"}${policy}`;
        return { id: policyArn, state: { name: policy, arn: policyArn, policyId: `ANPA${hex(name, 17).toUpperCase()}` } };
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_name, inputs, at) => {
        const providerArn = `arn:aws:iam::${at.account}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}`;
        return { id: providerArn, state: { arn: providerArn } };
    },
    "aws:cloudwatch/logGroup:LogGroup": (name, inputs, at) => {
        const group = physicalName(name, inputs);
        return { id: group, state: { name: group, arn: arn("logs", at, `log-group:${group}`) } };
    },
    "aws:ecs/cluster:Cluster": (name, inputs, at) => {
        const cluster = physicalName(name, inputs);
        const clusterArn = arn("ecs", at, `cluster/${cluster}`);
        return { id: clusterArn, state: { name: cluster, arn: clusterArn } };
    },
    "aws:ecs/taskDefinition:TaskDefinition": (name, inputs, at) => {
        const family = (inputs.family as string | undefined) ?? physicalName(name, {});
        const taskArn = arn("ecs", at, `task-definition/${family}:1`);
        return { id: family, state: { arn: taskArn, arnWithoutRevision: arn("ecs", at, `task-definition/${family}`), revision: 1 } };
    },
    "aws:ecs/service:Service": (name, inputs, at) => {
        const service = physicalName(name, inputs);
        return { id: arn("ecs", at, `service/${service}`), state: { name: service } };
    },
    "aws:ec2/securityGroup:SecurityGroup": (name) => ({ id: `sg-${hex(name, 17)}`, state: {} }),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (name) => ({ id: `sgr-${hex(name, 17)}`, state: {} }),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (name) => ({ id: `sgr-${hex(name, 17)}`, state: {} }),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (name) => ({ id: `vpce-${hex(name, 17)}`, state: {} }),
    "aws:ec2/flowLog:FlowLog": (name, _inputs, at) => {
        const id = `fl-${hex(name, 17)}`;
        return { id, state: { arn: arn("ec2", at, `vpc-flow-log/${id}`) } };
    },
    "aws:lb/loadBalancer:LoadBalancer": (name, inputs, at) => {
        const lb = physicalName(name, inputs).slice(0, 32);
        const arnSuffix = `app/${lb}/${hex(name, 16)}`;
        const lbArn = arn("elasticloadbalancing", at, `loadbalancer/${arnSuffix}`);
        return {
            id: lbArn,
            state: { arn: lbArn, arnSuffix, dnsName: `${lb}-${parseInt(hex(name, 8), 16)}.${at.region}.elb.amazonaws.com`, zoneId: "Z32O12XQLNTSW2" },
        };
    },
    "aws:lb/targetGroup:TargetGroup": (name, inputs, at) => {
        const tg = physicalName(name, inputs).slice(0, 32);
        const arnSuffix = `targetgroup/${tg}/${hex(name, 16)}`;
        const tgArn = arn("elasticloadbalancing", at, arnSuffix);
        return { id: tgArn, state: { arn: tgArn, arnSuffix, name: tg } };
    },
    "aws:lb/listener:Listener": (name, _inputs, at) => {
        const listenerArn = arn("elasticloadbalancing", at, `listener/app/${name}/${hex(name, 16)}/${hex(`${name}/l`, 16)}`);
        return { id: listenerArn, state: { arn: listenerArn } };
    },
    "aws:lb/listenerRule:ListenerRule": (name, _inputs, at) => {
        const ruleArn = arn("elasticloadbalancing", at, `listener-rule/app/${name}/${hex(name, 16)}`);
        return { id: ruleArn, state: { arn: ruleArn } };
    },
    "aws:acm/certificate:Certificate": (name, inputs, at) => {
        const certArn = arn("acm", at, `certificate/${uuid(name)}`);
        const domains = [inputs.domainName as string, ...((inputs.subjectAlternativeNames as string[] | undefined) ?? [])];
        return {
            id: certArn,
            state: {
                arn: certArn,
                domainValidationOptions: domains.map((domainName) => ({
                    domainName,
                    resourceRecordName: `_${hex(domainName, 32)}.${domainName}.`,
                    resourceRecordType: "CNAME",
                    resourceRecordValue: `_${hex(`${domainName}/v`, 32)}.xlfgrmvvlj.acm-validations.aws.`,
                })),
            },
        };
    },
    "aws:acm/certificateValidation:CertificateValidation": (name, inputs) => ({
        id: `${inputs.certificateArn ?? name}`,
        state: {},
    }),
    "aws:route53/record:Record": (name, inputs) => ({
        id: `${inputs.zoneId}_${inputs.name}_${inputs.type}`,
        state: { fqdn: String(inputs.name ?? name).replace(/\.$/, "") },
    }),
    "aws:s3/bucket:Bucket": (name, inputs) => {
        const bucket = physicalName(name, inputs, "bucket");
        return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}` } };
    },
    "aws:s3/bucketV2:BucketV2": (name, inputs) => {
        const bucket = physicalName(name, inputs, "bucket");
        return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}` } };
    },
    // A bucket's configuration resources are identified by the bucket's name.
    ...Object.fromEntries(
        [
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        ].map((type): [string, StateFor] => [type, (name, inputs) => ({ id: String(inputs.bucket ?? name), state: {} })]),
    ),
    "aws:iam/rolePolicy:RolePolicy": (name, inputs) => {
        const policy = physicalName(name, inputs);
        return { id: `${inputs.role}:${policy}`, state: { name: policy } };
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (name, _inputs, at) => {
        const id = `sg-${hex(name, 17)}`;
        return { id, state: { arn: arn("ec2", at, `security-group/${id}`), name: "default" } };
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": (name, inputs, at) => {
        const alarm = physicalName(name, inputs);
        return { id: alarm, state: { name: alarm, arn: arn("cloudwatch", at, `alarm:${alarm}`) } };
    },
    "aws:cloudwatch/dashboard:Dashboard": (name, inputs, at) => {
        const dashboard = (inputs.dashboardName as string | undefined) ?? name;
        return { id: dashboard, state: { dashboardArn: `arn:aws:cloudwatch::${at.account}:dashboard/${dashboard}` } };
    },
    "aws:appautoscaling/target:Target": (name, inputs, at) => ({
        id: String(inputs.resourceId ?? name),
        state: { arn: arn("application-autoscaling", at, `scalable-target/${hex(name, 32)}`) },
    }),
    "aws:appautoscaling/policy:Policy": (name, inputs, at) => {
        const policy = physicalName(name, inputs);
        return {
            id: policy,
            state: {
                arn: arn("autoscaling", at, `scalingPolicy:${uuid(name)}:resource/${inputs.resourceId}:policyName/${policy}`),
                // Target tracking creates its own high and low alarms; step policies are invoked by alarms made elsewhere.
                alarmArns:
                    inputs.policyType === "TargetTrackingScaling"
                        ? ["AlarmHigh", "AlarmLow"].map((kind) => arn("cloudwatch", at, `alarm:TargetTracking-${inputs.resourceId}-${kind}-${uuid(`${name}/${kind}`)}`))
                        : [],
            },
        };
    },
    "awsx:ec2:Vpc": (name, inputs) => {
        const azs = (inputs.numberOfAvailabilityZones as number | undefined) ?? 2;
        // One subnet per AZ of each type the specs name; without specs, awsx lays out public and private subnets.
        const types = ((inputs.subnetSpecs as { type: string }[] | undefined) ?? [{ type: "Public" }, { type: "Private" }]).map((spec) => spec.type);
        const ids = (type: string) =>
            types.includes(type) ? Array.from({ length: azs }, (_, i) => `subnet-${hex(`${name}/${type.toLowerCase()}/${i}`, 17)}`) : [];
        const vpcId = `vpc-${hex(name, 17)}`;
        return { id: vpcId, state: { vpcId, publicSubnetIds: ids("Public"), privateSubnetIds: ids("Private"), isolatedSubnetIds: ids("Isolated") } };
    },
};

/** What one program run registered and looked up; a snapshot keeps it after the mocks move on to the next run. */
export class Recording {
    constructor(
        public resources: RecordedResource[] = [],
        public calls: RecordedCall[] = [],
    ) {}

    /** Every recorded resource of a type, e.g. `aws:ecs/service:Service`. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of a type; fails when there are none or several. */
    one(type: string): RecordedResource {
        const found = this.ofType(type);
        if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        return found[0];
    }
}

export class LoadlabMocks extends Recording implements pulumi.runtime.Mocks {
    /** What the shared stack exports, as the StackReference returns it. */
    sharedStackOutputs: Record<string, unknown> = { ...SHARED_STACK_OUTPUTS };
    imageDigest = MOCK_IMAGE_DIGEST;
    private placements = new Map<string, Placement>();
    /** Set while the mock monitor registers a resource; see captureRegistrations. */
    registering?: Registration;

    reset(): void {
        this.resources = [];
        this.calls = [];
        this.sharedStackOutputs = { ...SHARED_STACK_OUTPUTS };
        this.imageDigest = MOCK_IMAGE_DIGEST;
        this.placements.clear();
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const inputs = args.inputs as Record<string, any>;
        if (args.type === "pulumi:pulumi:StackReference") {
            const result = { id: inputs.name as string, state: { name: inputs.name, outputs: this.sharedStackOutputs, secretOutputNames: [] } };
            this.record(args, result);
            return result;
        }
        if (args.type.startsWith("pulumi:providers:")) {
            // Provider inputs reach the engine JSON-encoded; decode them so tests see the real values.
            for (const [key, value] of Object.entries(inputs)) {
                if (typeof value === "string" && /^[[{]/.test(value)) inputs[key] = JSON.parse(value);
            }
            const placement = {
                account: (inputs.allowedAccountIds as string[] | undefined)?.[0] ?? DEFAULT_ACCOUNT,
                region: (inputs.region as string | undefined) ?? DEFAULT_REGION,
            };
            const id = uuid(args.name);
            this.placements.set(args.name, placement);
            const result = { id, state: {} };
            this.record(args, result);
            return result;
        }
        const at = this.placementOf(args.provider);
        const make = STATE_BY_TYPE[args.type];
        const made = make ? make(args.name, inputs, at) : { id: `${args.name}-${hex(args.name, 12)}`, state: {} };
        const result = { id: made.id, state: { ...inputs, ...made.state, ...(args.custom === false ? {} : { id: made.id }) } };
        this.record(args, result);
        return result;
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const result = this.answer(args);
        this.calls.push({ token: args.token, inputs: args.inputs as Record<string, any>, provider: args.provider, result });
        return result;
    }

    private answer(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const inputs = args.inputs as Record<string, any>;
        const at = this.placementOf(args.provider);
        switch (args.token) {
            case "aws:ecr/getImage:getImage":
                return {
                    ...inputs,
                    id: `${inputs.repositoryName}@${this.imageDigest}`,
                    imageDigest: this.imageDigest,
                    imageTags: [inputs.imageTag, "sha-0123abc"].filter(Boolean),
                    imageUri: `${inputs.registryId ?? at.account}.dkr.ecr.${at.region}.amazonaws.com/${inputs.repositoryName}@${this.imageDigest}`,
                    imagePushedAt: 1764064800,
                    imageSizeInBytes: 58_000_000,
                };
            case "aws:ec2/getRouteTables:getRouteTables": {
                // The route tables associated with the subnets a filter names: one per subnet, as awsx.ec2.Vpc makes them.
                const subnets = (inputs.filters as { name: string; values: string[] }[] | undefined)?.find((f) => f.name === "association.subnet-id")?.values ?? [];
                return { ...inputs, id: String(inputs.vpcId), ids: subnets.map(routeTableOf) };
            }
            case "aws:route53/getZone:getZone":
                return { ...inputs, id: `Z${hex(String(inputs.name), 20).toUpperCase()}`, zoneId: `Z${hex(String(inputs.name), 20).toUpperCase()}`, name: inputs.name, arn: `arn:aws:route53:::hostedzone/Z${hex(String(inputs.name), 20).toUpperCase()}` };
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: at.account, arn: `arn:aws:sts::${at.account}:assumed-role/ecs-loadlab-deploy/session`, userId: "AROAEXAMPLE:session", id: at.account };
            case "aws:index/getRegion:getRegion":
                return { name: at.region, region: at.region, id: at.region, endpoint: `ec2.${at.region}.amazonaws.com`, description: at.region };
            case "aws:index/getPartition:getPartition":
                return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return { names: ["a", "b", "c"].map((z) => `${at.region}${z}`), zoneIds: ["1", "2", "3"].map((z) => `euw1-az${z}`), id: at.region };
            default:
                return inputs;
        }
    }

    /** The run recorded so far, unaffected by later resets. */
    snapshot(): Recording {
        return new Recording([...this.resources], [...this.calls]);
    }

    private placementOf(providerRef: string | undefined): Placement {
        // A provider reference is `<urn>::<id>`; the urn ends with `::<name>`.
        const name = providerRef?.split("::")[3];
        return (name && this.placements.get(name)) || { account: DEFAULT_ACCOUNT, region: DEFAULT_REGION };
    }

    private record(args: pulumi.runtime.MockResourceArgs, result: { id: string; state: Record<string, any> }): void {
        this.resources.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs as Record<string, any>,
            state: result.state,
            id: result.id,
            provider: args.provider,
            custom: args.custom !== false,
            registration: this.registering,
        });
    }
}

/** The route table the mocked awsx.ec2.Vpc associates with a subnet. */
export function routeTableOf(subnetId: string): string {
    return `rtb-${hex(subnetId, 17)}`;
}

export const mocks = new LoadlabMocks();

interface MockMonitor {
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterResourceRequest, callback: unknown): Promise<void>;
}

/**
 * Records each registration's options on the resource it creates: the mock monitor calls `newResource`
 * synchronously inside `registerResource`, so `mocks.registering` is set exactly while that call records.
 */
function captureRegistrations(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((dependencies, property) => (propertyDependencies[property] = dependencies.getUrnsList()));
        mocks.registering = {
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            providers: Object.fromEntries(req.getProvidersMap().toArray()),
            ignoreChanges: req.getIgnorechangesList(),
            protect: req.getProtect() === true,
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            parent: req.getParent(),
        };
        try {
            return register(req, callback);
        } finally {
            mocks.registering = undefined;
        }
    };
}

let installed: Promise<void> | undefined;

/** Installs the shared mocks once per process (stack `test`, not a preview); call it from a `before` hook. */
export function useMocks(): Promise<void> {
    installed ??= pulumi.runtime.setMocks(mocks, "ecs-loadlab", "test", false).then(captureRegistrations);
    return installed;
}

/** Resolves an Output's value (under mocks, outputs are known). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

/**
 * Runs a program on the mocks and waits until it has settled. Pulumi reads a stack trace for every resource it
 * registers and every promise it tracks; with source maps on (tsx turns them on) that is most of a build's time,
 * so they are off meanwhile: a failure inside the program shows compiled positions, assertions after it do not.
 */
export async function build<T>(program: () => T): Promise<T> {
    const sourceMaps = process.sourceMapsEnabled;
    process.setSourceMapsEnabled(false);
    try {
        const result = program();
        await settled();
        return result;
    } finally {
        process.setSourceMapsEnabled(sourceMaps);
    }
}

/** Waits until the engine has received every registration the program started. */
async function settled(): Promise<void> {
    let last = -1;
    let stableRounds = 0;
    while (stableRounds < 5) {
        await new Promise((resolve) => setImmediate(resolve));
        const count = mocks.resources.length + mocks.calls.length;
        stableRounds = count === last ? stableRounds + 1 : 0;
        last = count;
    }
}
