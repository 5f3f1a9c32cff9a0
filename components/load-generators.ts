import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LOG_GROUP_PREFIXES, LoadgenTaskConfig, PROJECT } from "../config";
import { RUNNER_CONTAINER_NAME, RUNNER_ENV, TASK_READABLE_KEYS, TASK_WRITABLE_KEYS } from "../loadgen/src/contract";
import { fargateTask } from "./fargate-task";
import { RunBucket } from "./run-bucket";

export interface LoadGeneratorsArgs {
    task: LoadgenTaskConfig;
    logRetentionDays: number;
    /** `<repository url>:<runner image tag>`. */
    image: pulumi.Input<string>;
    /** Where the runs live: the tasks read them and write their markers and results there. */
    runs: RunBucket;
    vpcId: pulumi.Input<string>;
    accountId: string;
    region: string;
    /** Carried by both task roles. */
    permissionsBoundaryArn: string | undefined;
    provider: aws.Provider;
}

/** Numeric user and group: the task definition alone shows the runner is not root. */
const CONTAINER_USER = "1000:1000";
/**
 * From SIGTERM (StopTask, a Spot interruption) to SIGKILL: the runner stops k6, which has K6_STOP_GRACE_MS to end,
 * and uploads what it recorded. Fargate's most, 120 s (stopTimeout, 2 to 120 s on Fargate:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html).
 */
export const STOP_TIMEOUT_SECONDS = 120;
/** Load tests reach their targets over HTTP and HTTPS; ECR, S3 and CloudWatch Logs are HTTPS. */
const EGRESS_PORTS = [80, 443] as const;

/**
 * What `npm run loadtest` starts with RunTask, and nothing running until it does: a Fargate cluster (Fargate by
 * default, Fargate Spot on request, Container Insights on), the runner's task definition, its log group and roles,
 * and a security group that lets tasks out on 80 and 443 and nothing in.
 */
export class LoadGenerators extends pulumi.ComponentResource {
    readonly clusterArn: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly taskDefinitionArn: pulumi.Output<string>;
    readonly taskDefinitionFamily: pulumi.Output<string>;
    readonly logGroupName: pulumi.Output<string>;

    constructor(name: string, args: LoadGeneratorsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:loadgen:LoadGenerators", name, {}, opts);
        const { runs, provider } = args;
        const childOpts = { parent: this, provider };

        const cluster = new aws.ecs.Cluster(
            name,
            { name: `${PROJECT}-${name}`, settings: [{ name: "containerInsights", value: "enabled" }] },
            childOpts,
        );
        new aws.ecs.ClusterCapacityProviders(
            name,
            {
                clusterName: cluster.name,
                capacityProviders: ["FARGATE", "FARGATE_SPOT"],
                defaultCapacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1 }],
            },
            childOpts,
        );

        const { taskDefinition, logGroup, taskRole } = fargateTask(
            name,
            {
                family: `${PROJECT}-${name}`,
                cpu: args.task.cpu,
                memory: args.task.memory,
                // The runner image is built for x86-64 only.
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                container: {
                    name: RUNNER_CONTAINER_NAME,
                    image: args.image,
                    user: CONTAINER_USER,
                    environment: [
                        { name: RUNNER_ENV.bucket, value: runs.bucketName },
                        { name: "AWS_REGION", value: args.region },
                    ],
                    stopTimeout: STOP_TIMEOUT_SECONDS,
                },
                logGroup: { name: `${LOG_GROUP_PREFIXES.tasks}${name}/${RUNNER_CONTAINER_NAME}`, retentionDays: args.logRetentionDays },
                taskRoleDescription: `k6 runners read runs and write their results in the ${name} run bucket`,
                accountId: args.accountId,
                region: args.region,
                permissionsBoundaryArn: args.permissionsBoundaryArn,
            },
            childOpts,
        );
        new aws.iam.RolePolicy(`${name}-runs`, { role: taskRole.id, policy: pulumi.jsonStringify(runObjectsPolicy(runs.bucketArn)) }, childOpts);

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-tasks`,
            { vpcId: args.vpcId, description: "k6 runners: HTTP and HTTPS out, nothing in" },
            childOpts,
        );
        // IPv4 only: the VPC has no IPv6. DNS needs no rule: security groups do not filter traffic to the VPC's resolver.
        for (const port of EGRESS_PORTS) {
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-tasks-to-${port}`,
                { securityGroupId: securityGroup.id, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: "0.0.0.0/0", description: `TCP ${port} to anywhere` },
                childOpts,
            );
        }

        this.clusterArn = cluster.arn;
        this.securityGroupId = securityGroup.id;
        this.taskDefinitionArn = taskDefinition.arn;
        this.taskDefinitionFamily = taskDefinition.family;
        this.logGroupName = logGroup.name;
        this.registerOutputs({
            clusterArn: this.clusterArn,
            securityGroupId: this.securityGroupId,
            taskDefinitionArn: this.taskDefinitionArn,
            taskDefinitionFamily: this.taskDefinitionFamily,
            logGroupName: this.logGroupName,
        });
    }
}

/**
 * The runners' only permissions: read anything of the runs, write only their ready markers and results (so a task can
 * neither start, extend nor fake a run), and list the runs, which makes a missing object a 404 rather than a 403.
 */
function runObjectsPolicy(bucketArn: pulumi.Output<string>): aws.iam.PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadRuns", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${bucketArn}/${TASK_READABLE_KEYS}` },
            {
                Sid: "WriteMarkersAndResults",
                Effect: "Allow",
                Action: "s3:PutObject",
                Resource: TASK_WRITABLE_KEYS.map((keys) => pulumi.interpolate`${bucketArn}/${keys}`),
            },
            { Sid: "ListRuns", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn, Condition: { StringLike: { "s3:prefix": TASK_READABLE_KEYS } } },
        ],
    };
}
