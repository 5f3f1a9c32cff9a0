import { createHash } from "node:crypto";
import {
    DescribeTasksCommand,
    ECSClient,
    Failure,
    InvalidParameterException,
    ListTasksCommand,
    RunTaskCommand,
    RunTaskCommandInput,
    StopTaskCommand,
    Task,
    TaskOverride,
} from "@aws-sdk/client-ecs";
import { LoadgenStackOutputs, RUN_ID_PATTERN } from "../../loadgen/src/contract";
import { inPool } from "./pool";

/**
 * The ECS side of one run in one loadgen stack: start the runner tasks, watch them, find them again, stop them.
 * The runner tasks are identical (each finds its segment in the bucket, under its task id), so one RunTask call starts
 * up to ten.
 * Limits and names follow the ECS API reference: RunTask, DescribeTasks, ListTasks, StopTask.
 */

/** RunTask `count`: "You can specify up to 10 tasks for each call". */
export const RUN_TASK_MAX_COUNT = 10;
/** DescribeTasks `tasks`: "A list of up to 100 task IDs or full ARN entries". */
export const DESCRIBE_TASKS_MAX = 100;
/** StopTask `reason`: the API reference has documented "Up to 255 characters"; longer reasons are cut. */
export const STOP_REASON_MAX_LENGTH = 255;
/** RunTask `overrides`: "A total of 8192 characters are allowed for overrides", JSON formatting included. */
export const OVERRIDES_MAX_LENGTH = 8192;

/** StopTask calls under way at once: 1,000 tasks stop in seconds, throttled calls are retried (withRetry). */
const STOP_TASK_CALLS = 10;

export const RUN_TAG_KEY = "ecs-loadlab:run";
export const STACK_TAG_KEY = "ecs-loadlab:stack";

export interface TaskStatus {
    taskArn: string;
    /** The last part of the ARN, as the console shows it. */
    taskId: string;
    stack: string;
    lastStatus: string;
    desiredStatus: string;
    /** FARGATE or FARGATE_SPOT when the task runs on a capacity provider. */
    capacityProvider: string | undefined;
    startedAt: Date | undefined;
    stoppedAt: Date | undefined;
    stopCode: string | undefined;
    stoppedReason: string | undefined;
    /** The runner container's exit code and reason. */
    containerExitCode: number | undefined;
    containerReason: string | undefined;
}

/** A task RunTask could not start (ECS's `failures`), e.g. "Capacity is unavailable at this time". */
export interface StartFailure {
    stack: string;
    reason: string;
    detail: string | undefined;
}

export interface StartResult {
    started: TaskStatus[];
    failures: StartFailure[];
}

export interface StopProgress {
    total: number;
    stopped: number;
    pending: TaskStatus[];
}

export interface StopResult {
    /** Every task this call found for the run that is now STOPPED, or gone from ECS. */
    stopped: string[];
    /** What was not yet STOPPED when the wait ended; empty when everything stopped. */
    stillRunning: TaskStatus[];
}

/** Capped exponential backoff for throttled calls: attempt n waits min(maxDelayMs, baseDelayMs × 2^(n-1)). */
export interface RetryPolicy {
    attempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
}

/** How stopAll waits for STOPPED: a poll every pollIntervalMs, at most timeoutMs of sleeping. */
export interface StopWait {
    pollIntervalMs: number;
    timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8_000 };
/** Fargate sends SIGTERM, then SIGKILL after the container's stopTimeout (at most 120 s), then releases the task. */
export const DEFAULT_STOP_WAIT: StopWait = { pollIntervalMs: 5_000, timeoutMs: 300_000 };

export interface EcsRunTasksArgs {
    stack: string;
    outputs: LoadgenStackOutputs;
    runId: string;
    spot: boolean;
    /** Environment overrides for the runner container, the same for every task. */
    environment: Record<string, string>;
    sleep?: (ms: number) => Promise<void>;
    retry?: RetryPolicy;
    stopWait?: StopWait;
}

/** ECS kept throttling a call after every retry. Retryable: the caller may poll again later. */
export class EcsThrottledError extends Error {
    override readonly name = "EcsThrottledError";
    readonly retryable = true;

    constructor(
        readonly operation: string,
        /** The loadgen stack (`stack` is Error's). */
        readonly loadgenStack: string,
        readonly attempts: number,
        cause: Error,
    ) {
        const throttling = `${cause.name}: ${cause.message}`;
        super(`ECS ${operation} in ${loadgenStack} is still throttled after ${attempts} attempts (${throttling}); wait a minute and try again`, { cause });
    }
}

/**
 * ECS reports its own rate limits as ThrottlingException ("Rate exceeded"), and passes on EC2's, met while it sets up
 * a task's network interface, as an InvalidParameterException: "... Request limit exceeded. (ErrorCode: RequestLimitExceeded)".
 */
function isThrottling(error: unknown): error is Error {
    if (!(error instanceof Error)) return false;
    return error.name === "ThrottlingException" || (error.name === "InvalidParameterException" && /RequestLimitExceeded/.test(error.message));
}

function backoffDelay(policy: RetryPolicy, attempt: number): number {
    return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
    return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}

/**
 * RunTask's idempotency token for one batch: a retried call with the same token and parameters returns the tasks the
 * first call started instead of starting more (ECS keeps tokens for up to 24 hours). At most 64 characters.
 */
export function runTaskClientToken(runId: string, stack: string, batch: number): string {
    const stackHash = createHash("sha256").update(stack).digest("hex").slice(0, 16);
    return `${runId}-${stackHash}-${batch}`;
}

function taskIdOf(taskArn: string): string {
    return taskArn.slice(taskArn.lastIndexOf("/") + 1);
}

function unknownStatus(taskArn: string, stack: string): TaskStatus {
    return {
        taskArn,
        taskId: taskIdOf(taskArn),
        stack,
        lastStatus: "UNKNOWN",
        desiredStatus: "UNKNOWN",
        capacityProvider: undefined,
        startedAt: undefined,
        stoppedAt: undefined,
        stopCode: undefined,
        stoppedReason: undefined,
        containerExitCode: undefined,
        containerReason: undefined,
    };
}

/** "The referenced task was not found": ECS no longer knows the task, so it is as stopped as it gets. */
function isTaskNotFound(error: unknown): boolean {
    return error instanceof InvalidParameterException && /task was not found/i.test(error.message);
}

const NO_REASON = "no reason given";

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class EcsRunTasks {
    private readonly stack: string;
    private readonly outputs: LoadgenStackOutputs;
    private readonly runId: string;
    private readonly spot: boolean;
    private readonly overrides: TaskOverride;
    private readonly sleep: (ms: number) => Promise<void>;
    private readonly retry: RetryPolicy;
    private readonly stopWait: StopWait;

    constructor(
        private readonly ecs: ECSClient,
        args: EcsRunTasksArgs,
    ) {
        // The pattern keeps the run id valid as startedBy (≤ 128 letters, digits, -, / and _) and as a tag value.
        if (!RUN_ID_PATTERN.test(args.runId)) throw new Error(`"${args.runId}" is not a run id (lt-<yyyymmdd>T<hhmmss>Z-<4 chars>)`);
        this.stack = args.stack;
        this.outputs = args.outputs;
        this.runId = args.runId;
        this.spot = args.spot;
        this.overrides = {
            containerOverrides: [
                { name: args.outputs.containerName, environment: Object.entries(args.environment).map(([name, value]) => ({ name, value })) },
            ],
        };
        const overridesLength = JSON.stringify(this.overrides).length;
        if (overridesLength > OVERRIDES_MAX_LENGTH) {
            throw new Error(`the runner's environment overrides take ${overridesLength} characters; ECS allows ${OVERRIDES_MAX_LENGTH}`);
        }
        this.sleep = args.sleep ?? sleepFor;
        this.retry = args.retry ?? DEFAULT_RETRY;
        this.stopWait = args.stopWait ?? DEFAULT_STOP_WAIT;
    }

    /**
     * Starts `count` (at most ten) runner tasks with one RunTask call, retried when throttled with the batch's client
     * token, so a retry returns the tasks the first attempt started rather than starting more. What ECS could not
     * place comes back as failures. Should the call throw, tasks it may have started still carry startedBy = run id:
     * listRunTasks and stopAll find them.
     */
    async startBatch(batch: number, count: number): Promise<StartResult> {
        if (!Number.isInteger(count) || count < 1 || count > RUN_TASK_MAX_COUNT) {
            throw new RangeError(`one RunTask call starts 1 to ${RUN_TASK_MAX_COUNT} tasks, not ${count}`);
        }
        const response = await this.withRetry("RunTask", () => this.ecs.send(new RunTaskCommand(this.runTaskInput(batch, count))));
        return {
            started: (response.tasks ?? []).map((task) => this.toStatus(task)),
            failures: (response.failures ?? []).map((failure) => this.toStartFailure(failure)),
        };
    }

    /**
     * The tasks' current state, 100 per DescribeTasks call. Tasks ECS no longer knows (MISSING: stopped long enough
     * ago) are left out. Throws EcsThrottledError when ECS keeps throttling: the caller can poll again later.
     */
    async describe(taskArns: readonly string[]): Promise<TaskStatus[]> {
        const statuses: TaskStatus[] = [];
        for (const tasks of chunks(taskArns, DESCRIBE_TASKS_MAX)) {
            const response = await this.withRetry("DescribeTasks", () => this.ecs.send(new DescribeTasksCommand({ cluster: this.outputs.clusterArn, tasks })));
            const failures = (response.failures ?? []).filter((failure) => failure.reason !== "MISSING");
            if (failures.length > 0) {
                throw new Error(`DescribeTasks in ${this.stack} failed: ${failures.map((failure) => `${failure.arn}: ${failure.reason}`).join(", ")}`);
            }
            statuses.push(...(response.tasks ?? []).map((task) => this.toStatus(task)));
        }
        return statuses;
    }

    /**
     * The run's tasks ECS still means to run: ListTasks' default desiredStatus, RUNNING, covers tasks that are
     * PROVISIONING and PENDING as well (ECS never sets a desired status of PENDING). startedBy must be the only filter.
     */
    async listRunTasks(): Promise<string[]> {
        const taskArns: string[] = [];
        let nextToken: string | undefined;
        do {
            const page = await this.withRetry("ListTasks", () =>
                this.ecs.send(new ListTasksCommand({ cluster: this.outputs.clusterArn, startedBy: this.runId, nextToken })),
            );
            taskArns.push(...(page.taskArns ?? []));
            nextToken = page.nextToken;
        } while (nextToken);
        return taskArns;
    }

    /**
     * Stops the known tasks and every other task of the run ECS lists, then waits until they are STOPPED, for at
     * most stopWait.timeoutMs of polling (the calls' own time comes on top): what is still running then is returned.
     */
    async stopAll(knownArns: readonly string[], reason: string, onProgress?: (progress: StopProgress) => void): Promise<StopResult> {
        const taskArns = [...new Set([...knownArns, ...(await this.listRunTasks())])];
        await inPool(taskArns, STOP_TASK_CALLS, (taskArn) => this.stopTask(taskArn, reason.slice(0, STOP_REASON_MAX_LENGTH)));
        return this.waitUntilStopped(taskArns, onProgress);
    }

    private async stopTask(task: string, reason: string): Promise<void> {
        try {
            await this.withRetry("StopTask", () => this.ecs.send(new StopTaskCommand({ cluster: this.outputs.clusterArn, task, reason })));
        } catch (error) {
            if (!isTaskNotFound(error)) throw error;
        }
    }

    private async waitUntilStopped(taskArns: string[], onProgress?: (progress: StopProgress) => void): Promise<StopResult> {
        let pending = taskArns.map((taskArn) => unknownStatus(taskArn, this.stack));
        const polls = Math.ceil(this.stopWait.timeoutMs / this.stopWait.pollIntervalMs);
        for (let poll = 0; ; poll++) {
            pending = await this.stillRunning(pending);
            onProgress?.({ total: taskArns.length, stopped: taskArns.length - pending.length, pending });
            if (pending.length === 0 || poll === polls) break;
            await this.sleep(this.stopWait.pollIntervalMs);
        }
        const running = new Set(pending.map((status) => status.taskArn));
        return { stopped: taskArns.filter((taskArn) => !running.has(taskArn)), stillRunning: pending };
    }

    /** The tasks of `pending` not yet STOPPED; a poll ECS throttles changes nothing. */
    private async stillRunning(pending: TaskStatus[]): Promise<TaskStatus[]> {
        try {
            const statuses = await this.describe(pending.map((status) => status.taskArn));
            return statuses.filter((status) => status.lastStatus !== "STOPPED");
        } catch (error) {
            if (error instanceof EcsThrottledError) return pending;
            throw error;
        }
    }

    private runTaskInput(batch: number, count: number): RunTaskCommandInput {
        const placement: Pick<RunTaskCommandInput, "capacityProviderStrategy" | "launchType"> = this.spot
            ? { capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] }
            : { launchType: "FARGATE" };
        return {
            cluster: this.outputs.clusterArn,
            taskDefinition: this.outputs.taskDefinitionArn,
            count,
            startedBy: this.runId,
            clientToken: runTaskClientToken(this.runId, this.stack, batch),
            ...placement,
            platformVersion: "LATEST",
            networkConfiguration: {
                awsvpcConfiguration: {
                    subnets: [...this.outputs.subnetIds],
                    securityGroups: [this.outputs.securityGroupId],
                    assignPublicIp: "ENABLED",
                },
            },
            overrides: this.overrides,
            tags: [
                { key: RUN_TAG_KEY, value: this.runId },
                { key: STACK_TAG_KEY, value: this.stack },
            ],
            enableECSManagedTags: true,
            propagateTags: "TASK_DEFINITION",
        };
    }

    private toStatus(task: Task): TaskStatus {
        const taskArn = task.taskArn ?? "";
        const container = task.containers?.find((candidate) => candidate.name === this.outputs.containerName);
        return {
            ...unknownStatus(taskArn, this.stack),
            lastStatus: task.lastStatus ?? "UNKNOWN",
            desiredStatus: task.desiredStatus ?? "UNKNOWN",
            capacityProvider: task.capacityProviderName,
            startedAt: task.startedAt,
            stoppedAt: task.stoppedAt,
            stopCode: task.stopCode,
            stoppedReason: task.stoppedReason,
            containerExitCode: container?.exitCode,
            containerReason: container?.reason,
        };
    }

    private toStartFailure(failure: Failure): StartFailure {
        return { stack: this.stack, reason: failure.reason ?? NO_REASON, detail: failure.detail };
    }

    private async withRetry<T>(operation: string, call: () => Promise<T>): Promise<T> {
        for (let attempt = 1; ; attempt++) {
            try {
                return await call();
            } catch (error) {
                if (!isThrottling(error)) throw error;
                if (attempt >= this.retry.attempts) throw new EcsThrottledError(operation, this.stack, attempt, error);
                await this.sleep(backoffDelay(this.retry, attempt));
            }
        }
    }
}

/** The start of a task id, enough to find it in the console. */
function shortTaskId(taskId: string): string {
    return taskId.length > 12 ? `${taskId.slice(0, 8)}…` : taskId;
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

interface Explanation {
    applies(status: TaskStatus, cause: string): boolean;
    explain(status: TaskStatus, cause: string): string;
}

const failedToStart = (status: TaskStatus) => status.stopCode === "TaskFailedToStart";

/** Why a task stopped, most specific first; `cause` is the container's reason, else the task's. */
const EXPLANATIONS: Explanation[] = [
    {
        applies: (_, cause) => /CannotPullContainerError/i.test(cause),
        explain: ({ stack }, cause) =>
            `stopped before starting: ${cause} — has the runner image been pushed? npm run loadtest -- build-image --stack ${stack}`,
    },
    {
        applies: (_, cause) => /ResourceInitializationError/i.test(cause),
        explain: (_, cause) =>
            `stopped before starting: ${cause} — the task could not reach ECR, S3 or CloudWatch Logs: ` +
            "it needs a public subnet, a public IP and egress on 443",
    },
    {
        applies: (status) => status.stopCode === "SpotInterruption",
        explain: () => "was interrupted: SpotInterruption: Fargate Spot reclaimed the capacity (run without --spot to avoid it)",
    },
    {
        applies: (status, cause) => failedToStart(status) && /capacity is unavailable/i.test(cause),
        explain: (status, cause) =>
            status.capacityProvider === "FARGATE_SPOT"
                ? `stopped before starting: no Fargate Spot capacity: ${cause} — try again later, or without --spot`
                : `stopped before starting: no Fargate capacity: ${cause} — try again later, or from another region`,
    },
    { applies: failedToStart, explain: (_, cause) => `stopped before starting: ${cause}` },
    {
        applies: (status) => status.stopCode === "EssentialContainerExited",
        explain: ({ containerExitCode, containerReason }) => {
            const exit = containerExitCode === undefined ? "without an exit code" : `with code ${containerExitCode}`;
            return `stopped: the runner exited ${exit}${containerReason ? `: ${oneLine(containerReason)}` : ""}`;
        },
    },
    {
        applies: (status) => status.stopCode === "UserInitiated",
        explain: ({ stoppedReason }) => `was stopped: ${oneLine(stoppedReason ?? NO_REASON)}`,
    },
];

/** One line for a person: which task, and why it stopped (or that it has not). */
export function describeStopped(status: TaskStatus): string {
    const task = `task ${shortTaskId(status.taskId)} (${status.stack})`;
    if (status.lastStatus !== "STOPPED") return `${task} has not stopped: it is ${status.lastStatus}`;
    const cause = oneLine(status.containerReason ?? status.stoppedReason ?? NO_REASON);
    const explanation = EXPLANATIONS.find((candidate) => candidate.applies(status, cause));
    return `${task} ${explanation ? explanation.explain(status, cause) : `stopped: ${status.stopCode ?? "no stop code"}: ${cause}`}`;
}
