import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { control, reportingDocumentErrors } from "../lib/control";
import { DocumentError, parseDocument } from "../lib/documents";
import { ofTypes, subjects } from "../lib/graph";
import { checkEach } from "../lib/unknowns";

interface ContainerDefinition {
    name?: string;
    user?: string;
    privileged?: boolean;
    readonlyRootFilesystem?: boolean;
    environment?: { name: string; value?: string }[];
    logConfiguration?: { logDriver?: string; options?: Record<string, string> };
}

/** The container definitions of a task definition (a JSON array). */
function containersOf(containerDefinitions: string): ContainerDefinition[] {
    const parsed = parseDocument(containerDefinitions, "containerDefinitions");
    if (!Array.isArray(parsed)) throw new DocumentError("containerDefinitions is not a JSON array");
    return parsed as ContainerDefinition[];
}

/** A check of every container of a task definition, each violation naming its container. */
function eachContainer(check: (container: ContainerDefinition, report: (message: string) => void) => void) {
    return validateResourceOfType(aws.ecs.TaskDefinition, (taskDefinition, _args, report) =>
        reportingDocumentErrors(report, undefined, () => {
            for (const container of containersOf(taskDefinition.containerDefinitions)) {
                check(container, (message) => report(`container ${container.name ?? "(unnamed)"}: ${message}`));
            }
        }),
    );
}

const ROOT_USERS = ["", "root", "0"];

export const ECS_1 = control<ResourceValidationPolicy>("ECS.1", {
    description: "ECS task definitions use awsvpc networking (not host) and run every container as a user other than root.",
    validateResource: [
        validateResourceOfType(aws.ecs.TaskDefinition, (taskDefinition, _args, report) => {
            if (taskDefinition.networkMode !== "awsvpc") report(`networkMode is ${taskDefinition.networkMode ?? "bridge (the default)"}: use awsvpc.`);
        }),
        eachContainer((container, report) => {
            // A user is `uid`, `uid:gid`, `name` or `name:group`; root is uid 0 whatever the group.
            if (container.user === undefined || ROOT_USERS.includes(container.user.split(":")[0])) report(`runs as ${container.user ?? "root (no user set)"}: set a non-root user.`);
        }),
    ],
});

export const ECS_2 = control<ResourceValidationPolicy>("ECS.2", {
    description: "ECS services do not assign public IP addresses to their tasks.",
    validateResource: validateResourceOfType(aws.ecs.Service, (service, _args, report) => {
        if (service.networkConfiguration?.assignPublicIp === true) report("tasks get public IP addresses: set networkConfiguration.assignPublicIp to false and reach the internet through NAT.");
    }),
});

export const ECS_3 = control<ResourceValidationPolicy>("ECS.3", {
    description: "ECS task definitions do not share the host's process namespace.",
    validateResource: validateResourceOfType(aws.ecs.TaskDefinition, (taskDefinition, _args, report) => {
        if (taskDefinition.pidMode === "host") report("pidMode is host: remove it.");
    }),
});

export const ECS_4 = control<ResourceValidationPolicy>("ECS.4", {
    description: "ECS containers are not privileged.",
    validateResource: eachContainer((container, report) => {
        if (container.privileged === true) report("is privileged: remove privileged.");
    }),
});

export const ECS_5 = control<ResourceValidationPolicy>("ECS.5", {
    description: "ECS containers have read-only root filesystems.",
    validateResource: eachContainer((container, report) => {
        if (container.readonlyRootFilesystem !== true) report("can write to its root filesystem: set readonlyRootFilesystem to true and mount a volume where it must write.");
    }),
});

/** ECS.8's secretKeys parameter: environment variables that must not be set in a container definition. */
export const ECS_8_SECRET_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"];

export const ECS_8 = control<ResourceValidationPolicy>("ECS.8", {
    description: `ECS containers have no AWS credentials or registry auth in environment variables (${ECS_8_SECRET_KEYS.join(", ")}).`,
    validateResource: eachContainer((container, report) => {
        const secrets = (container.environment ?? []).map((variable) => variable.name).filter((name) => ECS_8_SECRET_KEYS.includes(name));
        if (secrets.length > 0) report(`sets ${secrets.join(", ")} in its environment: use the task role, or secrets from Secrets Manager.`);
    }),
});

export const ECS_9 = control<StackValidationPolicy>("ECS.9", {
    description: "Every ECS container logs; with awslogs, to a log group the stack manages (so its retention is set).",
    validateStack: (args, report) => {
        const logGroups = ofTypes(args.resources, "aws:cloudwatch/logGroup:LogGroup");
        checkEach(subjects(args, "ECS task definition", "aws:ecs/taskDefinition:TaskDefinition"), (taskDefinition) =>
            reportingDocumentErrors(report, taskDefinition.urn, () => {
                checkEach(containersOf(taskDefinition.props.containerDefinitions), (container) => {
                    const logging = container.logConfiguration;
                    const where = `${taskDefinition.name}, container ${container.name ?? "(unnamed)"}`;
                    if (logging?.logDriver === undefined) {
                        report(`${where} has no logConfiguration: log with awslogs.`, taskDefinition.urn);
                        return;
                    }
                    if (logging.logDriver !== "awslogs") return;
                    const group = logging.options?.["awslogs-group"];
                    const managed = logGroups.some((g) => g.props.name === group);
                    if (!managed) report(`${where} logs to ${group ?? "no group"}, which the stack does not manage: create the aws.cloudwatch.LogGroup (with a retention) in the stack.`, taskDefinition.urn);
                });
            }),
        );
    },
});

/** ECS.10's latestLinuxVersion parameter: what Fargate's LATEST currently means. */
export const FARGATE_LATEST_LINUX_VERSION = "1.4.0";

export const ECS_10 = control<ResourceValidationPolicy>("ECS.10", {
    description: `ECS Fargate services run the latest Fargate platform version (LATEST, or ${FARGATE_LATEST_LINUX_VERSION}).`,
    validateResource: validateResourceOfType(aws.ecs.Service, (service, args, report) => {
        const onFargate =
            service.launchType === "FARGATE" || (service.capacityProviderStrategies ?? []).some((s) => ["FARGATE", "FARGATE_SPOT"].includes(s.capacityProvider));
        if (!onFargate) args.notApplicable("the service does not run on Fargate");
        const version = service.platformVersion;
        if (version !== undefined && version !== "LATEST" && version !== FARGATE_LATEST_LINUX_VERSION) report(`platformVersion is ${version}: remove it (Fargate then runs LATEST).`);
    }),
});

export const ECS_12 = control<ResourceValidationPolicy>("ECS.12", {
    description: "ECS clusters use Container Insights.",
    validateResource: validateResourceOfType(aws.ecs.Cluster, (cluster, _args, report) => {
        const insights = (cluster.settings ?? []).find((setting) => setting.name === "containerInsights")?.value;
        if (insights !== "enabled" && insights !== "enhanced") report(`containerInsights is ${insights ?? "not set"}: set it to enabled or enhanced.`);
    }),
});
