import { EVIDENCE_PREFIXES } from "../stacks/shared-names";
import type { ApiCall } from "./types";

/**
 * Every AWS call the command-line tools make, with the IAM actions it needs and the resource it is authorized
 * against. The source is the tools' own code (`file`, checked by tests/iam-tool-calls.test.ts: every SDK command a
 * tool's files construct is listed here); the IAM names are AWS's Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 *
 * `resource` is an ARN template: `${Partition}`, `${Region}` and `${Account}` are the caller's; the other variables
 * are values of the stacks the tool works on (TOOL_VARIABLES says which).
 */
export interface ToolCall extends Omit<ApiCall, "on" | "when"> {
    resource: string;
    /** The file that makes the call. */
    file: string;
    /** Request context keys the call carries, with their values (templates, like `resource`). */
    context?: Record<string, string>;
}

export type ToolName = "promote" | "build-and-push" | "loadtest" | "loadtest-runner" | "timeline-observe";

export interface ToolCalls {
    /** Who the docs tell the user to run the tool as. */
    principal: "shared-deploy-role" | "loadgen-deploy-role" | "loadgen-task-role" | "environment-read-only-role";
    calls: ToolCall[];
}

/** The stack values a template may name. */
export const TOOL_VARIABLES = {
    RegistryAccount: "the shared stack's account (registry.accountId)",
    RepositoryName: "the shared registry's repository",
    RunnerRepositoryName: "the loadgen stack's runner repository",
    ClusterName: "the loadgen stack's cluster",
    TaskDefinitionFamily: "the loadgen stack's runner task definition family",
    TaskRoleName: "the runner's task role",
    ExecutionRoleName: "the runner's execution role",
    RunBucket: "the loadgen stack's runs bucket",
    AlarmName: "an alarm of the environment stack",
    EvidenceBucket: "the shared stack's release evidence bucket (stacks/shared-names.ts)",
} as const;

const REPOSITORY = "arn:${Partition}:ecr:${Region}:${RegistryAccount}:repository/${RepositoryName}";
const RUNNER_REPOSITORY = "arn:${Partition}:ecr:${Region}:${Account}:repository/${RunnerRepositoryName}";
const RUN_OBJECTS = "arn:${Partition}:s3:::${RunBucket}/runs/*";
const RUN_BUCKET = "arn:${Partition}:s3:::${RunBucket}";
const TASK = "arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/*";
const EVIDENCE_BUCKET = "arn:${Partition}:s3:::${EvidenceBucket}";
/** The evidence bucket's objects under one of its prefixes (verdicts/, promotions/). */
const evidenceObjects = (prefix: string) => `${EVIDENCE_BUCKET}/${prefix}*`;

/**
 * What `docker push` asks of ECR (the registry API behind it is authorized as these actions):
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
 */
const dockerPush = (resource: string, file: string): ToolCall[] =>
    ["BatchCheckLayerAvailability", "BatchGetImage", "CompleteLayerUpload", "InitiateLayerUpload", "PutImage", "UploadLayerPart"].map((operation) => ({
        api: `ecr:${operation}`,
        resource,
        file,
    }));

const call = (api: string, resource: string, file: string, extra: Partial<ToolCall> = {}): ToolCall => ({ api, resource, file, ...extra });

const PROMOTE = "scripts/promote/registry.ts";
const BUILD_AND_PUSH = "scripts/build-and-push/build-and-push.sh";
const BUILD_IMAGE = "scripts/loadtest/build-image.ts";
const ECS_TASKS = "scripts/loadtest/ecs-tasks.ts";
const RUN_STORE = "loadgen/src/run-store.ts";
const OBSERVE = "scripts/timeline/observe/cloudwatch.ts";
const PREFLIGHT = "scripts/loadtest/preflight.ts";
const EVIDENCE_STORE = "scripts/release/evidence-store.ts";
const IDENTITY = "scripts/release/identity.ts";

/** Who records evidence (a verdict's recordedBy, a promotion record's by): needs no permission, as for observe below. */
const recorder = (): ToolCall => call("sts:GetCallerIdentity", "*", IDENTITY, { actions: [] });

export const TOOL_CALLS: Record<ToolName, ToolCalls> = {
    promote: {
        principal: "shared-deploy-role",
        calls: [
            call("ecr:DescribeRepositories", REPOSITORY, PROMOTE),
            call("ecr:DescribeImages", REPOSITORY, PROMOTE),
            call("ecr:BatchGetImage", REPOSITORY, PROMOTE),
            call("ecr:PutImage", REPOSITORY, PROMOTE),
            call("ecr:BatchDeleteImage", REPOSITORY, PROMOTE),
            // The release gate, in the shared account's evidence bucket: verdicts of the digest and the promotion
            // records (ListObjectsV2 is authorized as s3:ListBucket), and the record of this promotion.
            call("s3:ListObjectsV2", EVIDENCE_BUCKET, EVIDENCE_STORE, { actions: ["s3:ListBucket"] }),
            call("s3:GetObject", evidenceObjects(EVIDENCE_PREFIXES.verdicts), EVIDENCE_STORE),
            call("s3:GetObject", evidenceObjects(EVIDENCE_PREFIXES.promotions), EVIDENCE_STORE),
            call("s3:PutObject", evidenceObjects(EVIDENCE_PREFIXES.promotions), EVIDENCE_STORE),
            recorder(),
        ],
    },
    "build-and-push": {
        principal: "shared-deploy-role",
        calls: [
            call("ecr:DescribeImages", REPOSITORY, BUILD_AND_PUSH),
            // `aws ecr get-login-password` for `docker login`.
            call("ecr:GetAuthorizationToken", "*", BUILD_AND_PUSH),
            ...dockerPush(REPOSITORY, BUILD_AND_PUSH),
        ],
    },
    loadtest: {
        principal: "loadgen-deploy-role",
        calls: [
            call("ecr:DescribeImages", RUNNER_REPOSITORY, BUILD_IMAGE),
            call("ecr:GetAuthorizationToken", "*", BUILD_IMAGE),
            ...dockerPush(RUNNER_REPOSITORY, BUILD_IMAGE),
            // RunTask with `tags` also needs ecs:TagResource, with ecs:CreateAction = RunTask:
            // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html
            call("ecs:RunTask", "arn:${Partition}:ecs:${Region}:${Account}:task-definition/${TaskDefinitionFamily}:*", ECS_TASKS, {
                context: { "ecs:cluster": "arn:${Partition}:ecs:${Region}:${Account}:cluster/${ClusterName}" },
            }),
            call("ecs:RunTask", TASK, ECS_TASKS, { actions: ["ecs:TagResource"], context: { "ecs:CreateAction": "RunTask" } }),
            // Running a task definition passes its task and execution roles:
            // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
            ...["${TaskRoleName}", "${ExecutionRoleName}"].map((role) =>
                call("ecs:RunTask", `arn:\${Partition}:iam::\${Account}:role/ecs-loadlab/${role}`, ECS_TASKS, {
                    actions: ["iam:PassRole"],
                    context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
                }),
            ),
            call("ecs:DescribeTasks", TASK, ECS_TASKS),
            call("ecs:ListTasks", "arn:${Partition}:ecs:${Region}:${Account}:container-instance/${ClusterName}/*", ECS_TASKS),
            call("ecs:StopTask", TASK, ECS_TASKS),
            // Before the first RunTask (the runner image's presence is build-image.ts's DescribeImages, above): the
            // region's Fargate vCPU quota leaves room next to the usage metric, which GetMetricData reads on any resource.
            call("servicequotas:GetServiceQuota", "arn:${Partition}:servicequotas:${Region}:${Account}:fargate/*", PREFLIGHT),
            call("servicequotas:GetAWSDefaultServiceQuota", "*", PREFLIGHT),
            call("cloudwatch:GetMetricData", "*", PREFLIGHT),
            call("s3:PutObject", RUN_OBJECTS, RUN_STORE),
            call("s3:GetObject", RUN_OBJECTS, RUN_STORE),
            // ListObjectsV2 is authorized as s3:ListBucket on the bucket.
            call("s3:ListObjectsV2", RUN_BUCKET, RUN_STORE, { actions: ["s3:ListBucket"] }),
            // `record`: the run's verdict and report, in the shared account's evidence bucket. From another account, the
            // bucket's policy admits the accounts in the shared stack's release.verdictWriterAccountIds.
            call("s3:PutObject", evidenceObjects(EVIDENCE_PREFIXES.verdicts), EVIDENCE_STORE),
            recorder(),
        ],
    },
    // The runner reads its run's objects and writes only its ready marker and its result (loadgen/src/runner.ts).
    "loadtest-runner": {
        principal: "loadgen-task-role",
        calls: [
            call("s3:GetObject", RUN_OBJECTS, RUN_STORE),
            call("s3:PutObject", "arn:${Partition}:s3:::${RunBucket}/runs/*/ready/*", RUN_STORE),
            call("s3:PutObject", "arn:${Partition}:s3:::${RunBucket}/runs/*/results/*", RUN_STORE),
        ],
    },
    "timeline-observe": {
        principal: "environment-read-only-role",
        calls: [
            // GetCallerIdentity needs no permission: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
            call("sts:GetCallerIdentity", "*", OBSERVE, { actions: [] }),
            call("cloudwatch:GetMetricData", "*", OBSERVE),
            call("application-autoscaling:DescribeScalingActivities", "*", OBSERVE),
            call("cloudwatch:DescribeAlarmHistory", "arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:${AlarmName}", OBSERVE),
            // The environment's service (service/<cluster>/<service>), for its events: ecs:DescribeServices is authorized
            // on the service's ARN (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
            call("ecs:DescribeServices", "arn:${Partition}:ecs:${Region}:${Account}:service/*/*", OBSERVE),
            // Its deployments and rollbacks in the window: ListServiceDeployments is authorized on the service,
            // DescribeServiceDeployments on each service deployment (service-deployment/<cluster>/<service>/<id>), per
            // the same reference.
            call("ecs:ListServiceDeployments", "arn:${Partition}:ecs:${Region}:${Account}:service/*/*", OBSERVE),
            call("ecs:DescribeServiceDeployments", "arn:${Partition}:ecs:${Region}:${Account}:service-deployment/*/*/*", OBSERVE),
        ],
    },
};

/** The IAM actions a tool needs, sorted: what its docs list. */
export function toolActions(tool: ToolName): string[] {
    return [...new Set(TOOL_CALLS[tool].calls.flatMap((c) => c.actions ?? [c.api]))].sort();
}
