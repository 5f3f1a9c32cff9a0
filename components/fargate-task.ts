import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceRole } from "./service-role";

export interface FargateTaskArgs {
    family: string;
    /** CPU units and memory (MiB): a pair Fargate offers (config checks it). */
    cpu: number;
    memory: number;
    /** Runs on this platform; omitted, ECS picks Linux on x86-64. */
    runtimePlatform?: aws.types.input.ecs.TaskDefinitionRuntimePlatform;
    /**
     * The task's one container, essential. Its root filesystem is read-only with a writable /tmp, and it logs
     * through awslogs to the task's log group, its stream prefix its name.
     */
    container: { name: string } & Pick<aws.ecs.ContainerDefinition, "image" | "user" | "portMappings" | "environment" | "stopTimeout">;
    logGroup: { name: string; retentionDays: number };
    /** What the containers may do, for the task role's description; the caller grants it. */
    taskRoleDescription: string;
    /** Only ECS tasks of this account may assume the roles. */
    accountId: string;
    region: string;
    /** Carried by both roles. */
    permissionsBoundaryArn: string | undefined;
}

export interface FargateTask {
    taskDefinition: aws.ecs.TaskDefinition;
    logGroup: aws.cloudwatch.LogGroup;
    /** Has no permissions until the caller grants some. */
    taskRole: aws.iam.Role;
}

const ECS_TASKS = "ecs-tasks.amazonaws.com";
/** Writable scratch space: the root filesystem is read-only. */
const TMP_VOLUME = "tmp";

/**
 * A Fargate task definition with its log group and roles: the execution role, with which ECS pulls the image and
 * ships the logs (the AWS-managed task execution policy, nothing else), and the task role, the containers' own.
 * Children are parented to whatever component `opts` names.
 */
export function fargateTask(name: string, args: FargateTaskArgs, opts: pulumi.CustomResourceOptions): FargateTask {
    const { container, accountId, permissionsBoundaryArn } = args;
    const logGroup = new aws.cloudwatch.LogGroup(name, { name: args.logGroup.name, retentionInDays: args.logGroup.retentionDays }, opts);

    const partition = aws.getPartitionOutput({}, opts).partition;
    const executionRole = serviceRole(
        `${name}-execution`,
        { description: `ECS pulls ${container.name}'s image and ships its logs`, service: ECS_TASKS, accountId, permissionsBoundaryArn },
        opts,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-execution`,
        { role: executionRole.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` },
        opts,
    );
    const taskRole = serviceRole(`${name}-task`, { description: args.taskRoleDescription, service: ECS_TASKS, accountId, permissionsBoundaryArn }, opts);

    const definition: aws.ecs.ContainerDefinition = {
        ...container,
        essential: true,
        readonlyRootFilesystem: true,
        mountPoints: [{ sourceVolume: TMP_VOLUME, containerPath: "/tmp", readOnly: false }],
        logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": logGroup.name, "awslogs-region": args.region, "awslogs-stream-prefix": container.name },
        },
    };
    const taskDefinition = new aws.ecs.TaskDefinition(
        name,
        {
            family: args.family,
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: String(args.cpu),
            memory: String(args.memory),
            ...(args.runtimePlatform ? { runtimePlatform: args.runtimePlatform } : {}),
            executionRoleArn: executionRole.arn,
            taskRoleArn: taskRole.arn,
            volumes: [{ name: TMP_VOLUME }],
            containerDefinitions: pulumi.jsonStringify([definition]),
        },
        opts,
    );
    return { taskDefinition, logGroup, taskRole };
}
