/**
 * What the loadgen stack, the runner in its tasks and `npm run loadtest` agree on: the container's name and
 * environment, where a run's objects live in the stack's bucket, and the stack's outputs.
 *
 * A run's objects, under `runs/<run id>/` in each stack's bucket:
 *   manifest.json       the run: segments, timings, what to record, and what a merge needs   (the command)
 *   archive.tar         the `k6 archive` of the script, with its -e values                     (the command)
 *   tasks/<task id>     the segment a task runs, written as soon as RunTask returns the task   (the command)
 *   control             `go` and `stop`; rewritten every few seconds, so its LastModified is
 *                       the command's heartbeat, by S3's clock                                 (the command)
 *   ready/<segment>     the segment's task has its archive and waits for `go`                 (the task)
 *   results/<segment>   the task's recorded metrics, exit code, log tail and first errors     (the task)
 *
 * Every time a run compares is S3's: `go` is a time by S3's clock, and each side reads S3's clock from the `Date` of
 * its responses (server-clock.ts), so neither the laptop's nor a task's clock matters.
 */

/** The runner's container in the task definition. */
export const RUNNER_CONTAINER_NAME = "k6-runner";

/** Environment of the runner's container: the bucket is set by the task definition, the run id per task by RunTask. */
export const RUNNER_ENV = {
    bucket: "RUN_BUCKET",
    runId: "RUN_ID",
} as const;

export const RUNS_PREFIX = "runs/";

/** `lt-20261130T120000Z-a1b2`: sortable, and valid as an ECS `startedBy` (≤ 128 chars) and a tag value. */
export const RUN_ID_PATTERN = /^lt-\d{8}T\d{6}Z-[a-z0-9]{4}$/;

export function runKeys(runId: string) {
    const prefix = `${RUNS_PREFIX}${runId}/`;
    return {
        prefix,
        manifest: `${prefix}manifest.json`,
        archive: `${prefix}archive.tar`,
        control: `${prefix}control`,
        assignment: (taskId: string) => `${prefix}tasks/${taskId}`,
        readyPrefix: `${prefix}ready/`,
        ready: (segment: number) => `${prefix}ready/${segment}`,
        resultsPrefix: `${prefix}results/`,
        result: (segment: number) => `${prefix}results/${segment}.json.gz`,
    };
}

/**
 * Object key patterns (IAM `Resource` wildcards, after `<bucket ARN>/`) the task role may read and write: a task
 * reads anything of its runs but writes only its ready marker and its results, so it cannot start, extend or fake
 * a run.
 */
export const TASK_READABLE_KEYS = `${RUNS_PREFIX}*`;
export const TASK_WRITABLE_KEYS = [`${RUNS_PREFIX}*/ready/*`, `${RUNS_PREFIX}*/results/*`] as const;

/** The loadgen stack's outputs, as `npm run loadtest` reads them. */
export interface LoadgenStackOutputs {
    readonly region: string;
    readonly accountId: string;
    readonly clusterArn: string;
    /** Public subnets: tasks get a public IP and reach the target directly (no NAT). */
    readonly subnetIds: readonly string[];
    /** Egress-only: 80 and 443 out, nothing in. */
    readonly securityGroupId: string;
    readonly bucketName: string;
    readonly taskDefinitionArn: string;
    readonly taskDefinitionFamily: string;
    readonly containerName: string;
    /** The runner image the task definition runs, `<repository URL>:<runner image tag>`. */
    readonly runnerImage: string;
    readonly repositoryUrl: string;
    readonly repositoryName: string;
    readonly logGroupName: string;
    /** Task size, for the cost estimate: CPU units (1024 = 1 vCPU) and memory in MiB. */
    readonly taskCpu: number;
    readonly taskMemory: number;
}

export const LOADGEN_OUTPUT_NAMES = [
    "region",
    "accountId",
    "clusterArn",
    "subnetIds",
    "securityGroupId",
    "bucketName",
    "taskDefinitionArn",
    "taskDefinitionFamily",
    "containerName",
    "runnerImage",
    "repositoryUrl",
    "repositoryName",
    "logGroupName",
    "taskCpu",
    "taskMemory",
] as const satisfies readonly (keyof LoadgenStackOutputs)[];
