import * as assert from "node:assert/strict";
import {
    DescribeTasksCommand,
    DescribeTasksCommandInput,
    ECSServiceException,
    InvalidParameterException,
    ListTasksCommand,
    ListTasksCommandInput,
    RunTaskCommand,
    RunTaskCommandInput,
    StopTaskCommand,
    StopTaskCommandInput,
    Task,
} from "@aws-sdk/client-ecs";
import {
    DESCRIBE_TASKS_MAX,
    EcsRunTasks,
    EcsRunTasksArgs,
    EcsThrottledError,
    StopProgress,
    TaskStatus,
    describeStopped,
    runTaskClientToken,
} from "../scripts/loadtest/ecs-tasks";
import { LOADGEN_OUTPUTS, ecsMock, mockedEcsClient } from "./loadtest-stack-fixture";
import { ecsLauncher } from "../scripts/loadtest/ecs-launcher";

const RUN_ID = "lt-20261130T120000Z-a1b2";
const STACK = "loadgen-eu";
const CAPACITY_UNAVAILABLE = "Capacity is unavailable at this time. Please try again later or in a different availability zone";

const ecs = mockedEcsClient();

const invalidParameter = (message: string) => new InvalidParameterException({ message, $metadata: {} });
/** ECS's throttling error is not a modelled exception: the SDK gives it as a service exception of that name. */
const throttled = () => new ECSServiceException({ name: "ThrottlingException", $fault: "client", message: "Rate exceeded", $metadata: {} });

/**
 * An ECS cluster behind the mock, as much of it as these calls see: RunTask places PROVISIONING tasks, StopTask sets
 * the desired status and the task reaches STOPPED after `pollsToStop` DescribeTasks, ListTasks pages by `pageSize`
 * and lists only desiredStatus RUNNING, and the API's limits (10 a RunTask, 100 a DescribeTasks) are enforced.
 * The next `throttledDescribes` DescribeTasks calls are throttled.
 */
class FakeCluster {
    readonly tasks = new Map<string, Task>();
    pageSize = 2;
    pollsToStop = 1;
    throttledDescribes = 0;
    private readonly stopping = new Map<string, number>();
    private ids = 0;

    install(): this {
        ecsMock.reset();
        ecsMock.onAnyCommand().rejects(new Error("the fake cluster does not implement this command"));
        ecsMock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => this.runTask(input));
        ecsMock.on(DescribeTasksCommand).callsFake((input: DescribeTasksCommandInput) => this.describeTasks(input));
        ecsMock.on(ListTasksCommand).callsFake((input: ListTasksCommandInput) => this.listTasks(input));
        ecsMock.on(StopTaskCommand).callsFake((input: StopTaskCommandInput) => this.stopTask(input));
        return this;
    }

    /** A task of the run, as another call of the command (or a previous run of it) would have left it. */
    add(lastStatus = "RUNNING", startedBy = RUN_ID): string {
        const taskArn = `arn:aws:ecs:eu-west-1:111111111111:task/loadgen/${(this.ids++).toString(16).padStart(32, "0")}`;
        this.tasks.set(taskArn, { taskArn, lastStatus, desiredStatus: "RUNNING", startedBy, containers: [{ name: "k6-runner", lastStatus }] });
        return taskArn;
    }

    private runTask(input: RunTaskCommandInput) {
        assert.ok((input.count ?? 1) <= 10, `RunTask count ${input.count} is over ECS's limit of 10`);
        const tasks = Array.from({ length: input.count ?? 1 }, () => this.tasks.get(this.add("PROVISIONING", input.startedBy)));
        return { tasks, failures: [] };
    }

    private describeTasks(input: DescribeTasksCommandInput) {
        if (this.throttledDescribes-- > 0) throw throttled();
        const requested = input.tasks ?? [];
        if (requested.length === 0 || requested.length > 100) {
            throw invalidParameter(`Tasks cannot be empty or longer than 100, got ${requested.length}.`);
        }
        requested.forEach((taskArn) => this.advance(taskArn));
        const found = requested.flatMap((taskArn) => this.tasks.get(taskArn) ?? []);
        const failures = requested.filter((taskArn) => !this.tasks.has(taskArn)).map((arn) => ({ arn, reason: "MISSING" }));
        return { tasks: found, failures };
    }

    private listTasks(input: ListTasksCommandInput) {
        assert.equal(input.desiredStatus, undefined, "with startedBy, ListTasks takes no other filter");
        const listed = [...this.tasks.values()]
            .filter((task) => task.startedBy === input.startedBy && task.desiredStatus === "RUNNING")
            .map((task) => task.taskArn ?? "");
        const start = Number(input.nextToken ?? 0);
        const end = start + this.pageSize;
        return { taskArns: listed.slice(start, end), nextToken: end < listed.length ? String(end) : undefined };
    }

    private stopTask(input: StopTaskCommandInput) {
        const task = this.tasks.get(input.task ?? "");
        if (!task) throw invalidParameter("The referenced task was not found.");
        if (task.lastStatus !== "STOPPED") {
            Object.assign(task, { desiredStatus: "STOPPED", stopCode: "UserInitiated", stoppedReason: input.reason });
            this.stopping.set(task.taskArn ?? "", this.pollsToStop);
        }
        return { task };
    }

    private advance(taskArn: string): void {
        const polls = this.stopping.get(taskArn);
        if (polls === undefined) return;
        this.stopping.set(taskArn, polls - 1);
        if (polls <= 1) Object.assign(this.tasks.get(taskArn) ?? {}, { lastStatus: "STOPPED", stoppedAt: new Date("2026-11-30T12:05:00Z") });
    }
}

function setup(options: Partial<EcsRunTasksArgs> = {}) {
    const sleeps: number[] = [];
    const runTasks = new EcsRunTasks(ecs, {
        stack: STACK,
        outputs: LOADGEN_OUTPUTS,
        runId: RUN_ID,
        spot: false,
        environment: { RUN_ID },
        sleep: async (ms) => {
            sleeps.push(ms);
        },
        ...options,
    });
    return { runTasks, sleeps };
}

const runTaskInputs = () => ecsMock.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
const commandCount = () => ecsMock.calls().length;

async function rejection(promise: Promise<unknown>): Promise<Error> {
    const error = await promise.then(
        () => assert.fail("should have failed"),
        (failure: unknown) => failure,
    );
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    return error;
}

describe("loadtest ECS tasks", () => {
    let cluster: FakeCluster;
    beforeEach(() => {
        cluster = new FakeCluster().install();
    });

    describe("start", () => {
        it("launches 23 tasks in RunTask calls of 10, 10 and 3, each with the stack's network, overrides, tags and its own client token", async () => {
            const { runTasks } = setup();
            const recorded: { taskId: string; segment: number }[][] = [];

            const { failures } = await ecsLauncher(runTasks, { runId: RUN_ID, stack: STACK }).launch(
                Array.from({ length: 23 }, (_, segment) => segment),
                async (tasks) => {
                    recorded.push(tasks);
                },
                new AbortController().signal,
            );

            assert.deepEqual(failures, []);
            // Each batch's tasks are recorded with their segments, in order, as its RunTask returns.
            assert.deepEqual(recorded.map((tasks) => tasks.length), [10, 10, 3]);
            assert.deepEqual(recorded.flat().map((task) => task.segment), Array.from({ length: 23 }, (_, segment) => segment));
            const started = await runTasks.describe(recorded.flat().map((task) => `${LOADGEN_OUTPUTS.clusterArn.replace(":cluster/", ":task/")}/${task.taskId}`));
            const inputs = runTaskInputs();
            assert.deepEqual(
                inputs.map((input) => input.count),
                [10, 10, 3],
            );
            assert.deepEqual(
                inputs.map((input) => input.clientToken),
                [0, 1, 2].map((batch) => runTaskClientToken(RUN_ID, STACK, batch)),
            );
            assert.deepEqual(inputs[0], {
                cluster: LOADGEN_OUTPUTS.clusterArn,
                taskDefinition: LOADGEN_OUTPUTS.taskDefinitionArn,
                count: 10,
                startedBy: RUN_ID,
                clientToken: runTaskClientToken(RUN_ID, STACK, 0),
                launchType: "FARGATE",
                platformVersion: "LATEST",
                networkConfiguration: {
                    awsvpcConfiguration: {
                        subnets: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                        securityGroups: ["sg-0bbbbbbbbbbbbbbb1"],
                        assignPublicIp: "ENABLED",
                    },
                },
                overrides: { containerOverrides: [{ name: "k6-runner", environment: [{ name: "RUN_ID", value: RUN_ID }] }] },
                tags: [
                    { key: "ecs-loadlab:run", value: RUN_ID },
                    { key: "ecs-loadlab:stack", value: STACK },
                ],
                enableECSManagedTags: true,
                propagateTags: "TASK_DEFINITION",
            });
            assert.deepEqual(
                started.slice(0, 2).map(({ taskId, stack, lastStatus, desiredStatus }) => ({ taskId, stack, lastStatus, desiredStatus })),
                [
                    { taskId: "00000000000000000000000000000000", stack: STACK, lastStatus: "PROVISIONING", desiredStatus: "RUNNING" },
                    { taskId: "00000000000000000000000000000001", stack: STACK, lastStatus: "PROVISIONING", desiredStatus: "RUNNING" },
                ],
            );
        });

        it("--spot: the FARGATE_SPOT capacity provider instead of a launch type (RunTask takes one or the other)", async () => {
            const { runTasks } = setup({ spot: true });

            await runTasks.startBatch(0, 3);

            const [input] = runTaskInputs();
            assert.deepEqual(input.capacityProviderStrategy, [{ capacityProvider: "FARGATE_SPOT", weight: 1 }]);
            assert.equal("launchType" in input, false);
        });

        it("derives client tokens from run, stack and batch: the same on a repeat, another for another stack, at most 64 characters", () => {
            const token = runTaskClientToken(RUN_ID, STACK, 2);
            assert.equal(runTaskClientToken(RUN_ID, STACK, 2), token);
            assert.notEqual(runTaskClientToken(RUN_ID, "loadgen-us", 2), token);
            assert.notEqual(runTaskClientToken("lt-20261130T120000Z-zzzz", STACK, 2), token);
            assert.ok(runTaskClientToken(RUN_ID, "a".repeat(300), 99).length <= 64);
            assert.match(token, /^[\x21-\x7e]+$/);
        });

        it("reports what RunTask could not place as failures of the stack, with ECS's reason", async () => {
            ecsMock.on(RunTaskCommand).resolves({
                tasks: [{ taskArn: "arn:aws:ecs:eu-west-1:111111111111:task/loadgen/aaaa", lastStatus: "PROVISIONING", desiredStatus: "RUNNING" }],
                failures: [
                    { reason: CAPACITY_UNAVAILABLE },
                    { arn: LOADGEN_OUTPUTS.taskDefinitionArn, reason: "RESOURCE:ENI", detail: "no network interface" },
                ],
            });
            const { runTasks } = setup();

            const { started, failures } = await runTasks.startBatch(0, 3);

            assert.deepEqual(
                started.map((status) => status.taskId),
                ["aaaa"],
            );
            assert.deepEqual(failures, [
                { stack: STACK, reason: CAPACITY_UNAVAILABLE, detail: undefined },
                { stack: STACK, reason: "RESOURCE:ENI", detail: "no network interface" },
            ]);
        });

        it("retries a throttled RunTask with the same client token after growing pauses, then carries on", async () => {
            ecsMock.on(RunTaskCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({ tasks: [], failures: [] });
            const { runTasks, sleeps } = setup();

            await runTasks.startBatch(0, 2);

            assert.deepEqual(sleeps, [500, 1000]);
            const tokens = runTaskInputs().map((input) => input.clientToken);
            assert.deepEqual(tokens, Array(3).fill(runTaskClientToken(RUN_ID, STACK, 0)));
        });

        it("retries EC2's rate limit that ECS passes on as an InvalidParameterException", async () => {
            const ec2Limit = invalidParameter(
                "Error retrieving security group information for [sg-0bbbbbbbbbbbbbbb1]: Request limit exceeded. (ErrorCode: RequestLimitExceeded)",
            );
            ecsMock.on(RunTaskCommand).rejectsOnce(ec2Limit).resolves({ tasks: [], failures: [] });
            const { runTasks, sleeps } = setup();

            await runTasks.startBatch(0, 1);

            assert.deepEqual(sleeps, [500]);
        });

        it("gives up after five throttled attempts, with a typed, retryable error naming the call and the stack", async () => {
            ecsMock.on(RunTaskCommand).rejects(throttled());
            const { runTasks, sleeps } = setup();

            const error = await rejection(runTasks.startBatch(0, 10));

            assert.ok(error instanceof EcsThrottledError);
            assert.equal(error.retryable, true);
            assert.equal(error.message, "ECS RunTask in loadgen-eu is still throttled after 5 attempts (ThrottlingException: Rate exceeded); wait a minute and try again");
            assert.deepEqual(sleeps, [500, 1000, 2000, 4000]);
            assert.equal(runTaskInputs().length, 5);
        });

        it("does not retry other errors", async () => {
            ecsMock.on(RunTaskCommand).rejects(invalidParameter("No Fargate configuration exists for given values."));
            const { runTasks, sleeps } = setup();

            const error = await rejection(runTasks.startBatch(0, 1));

            assert.ok(error instanceof InvalidParameterException);
            assert.deepEqual(sleeps, []);
        });

        it("refuses a batch that is not 1 to 10 tasks, a malformed run id, and overrides over ECS's 8192 characters", async () => {
            const { runTasks } = setup();
            for (const count of [0, -1, 2.5, 11]) {
                assert.match((await rejection(runTasks.startBatch(0, count))).message, /one RunTask call starts 1 to 10 tasks, not/);
            }
            assert.throws(() => setup({ runId: "my run" }), /"my run" is not a run id/);
            assert.throws(() => setup({ environment: { BIG: "x".repeat(8200) } }), /ECS allows 8192/);
            assert.equal(commandCount(), 0);
        });
    });

    describe("describe and list", () => {
        it("describes 250 tasks in DescribeTasks calls of 100, 100 and 50", async () => {
            const taskArns = Array.from({ length: 250 }, () => cluster.add());
            const { runTasks } = setup();

            const statuses = await runTasks.describe(taskArns);

            assert.equal(statuses.length, 250);
            const calls = ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input);
            assert.deepEqual(
                calls.map((input) => input.tasks?.length),
                [DESCRIBE_TASKS_MAX, DESCRIBE_TASKS_MAX, 50],
            );
            assert.ok(calls.every((input) => input.cluster === LOADGEN_OUTPUTS.clusterArn));
        });

        it("makes no call for no tasks, and leaves out tasks ECS no longer knows", async () => {
            const known = cluster.add();
            const { runTasks } = setup();

            assert.deepEqual(await runTasks.describe([]), []);
            assert.equal(commandCount(), 0);
            const statuses = await runTasks.describe([known, "arn:aws:ecs:eu-west-1:111111111111:task/loadgen/gone"]);
            assert.deepEqual(
                statuses.map((status) => status.taskArn),
                [known],
            );
        });

        it("fails on any other DescribeTasks failure than MISSING", async () => {
            ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: "arn:aws:ecs:eu-west-1:111111111111:task/loadgen/1", reason: "UNEXPECTED" }] });
            const { runTasks } = setup();

            const error = await rejection(runTasks.describe(["arn:aws:ecs:eu-west-1:111111111111:task/loadgen/1"]));

            assert.equal(error.message, "DescribeTasks in loadgen-eu failed: arn:aws:ecs:eu-west-1:111111111111:task/loadgen/1: UNEXPECTED");
        });

        it("reads the task's stop code and reasons and the runner container's exit code and reason", async () => {
            const taskArn = "arn:aws:ecs:eu-west-1:111111111111:task/loadgen/3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b";
            const startedAt = new Date("2026-11-30T12:00:30Z");
            const stoppedAt = new Date("2026-11-30T12:10:00Z");
            ecsMock.on(DescribeTasksCommand).resolves({
                tasks: [
                    {
                        taskArn,
                        lastStatus: "STOPPED",
                        desiredStatus: "STOPPED",
                        capacityProviderName: "FARGATE_SPOT",
                        startedAt,
                        stoppedAt,
                        stopCode: "EssentialContainerExited",
                        stoppedReason: "Essential container in task exited",
                        containers: [
                            { name: "log-router", exitCode: 0 },
                            { name: "k6-runner", exitCode: 99, reason: "thresholds crossed" },
                        ],
                    },
                ],
            });
            const { runTasks } = setup();

            const [status] = await runTasks.describe([taskArn]);

            const expected: TaskStatus = {
                taskArn,
                taskId: "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b",
                stack: STACK,
                lastStatus: "STOPPED",
                desiredStatus: "STOPPED",
                capacityProvider: "FARGATE_SPOT",
                startedAt,
                stoppedAt,
                stopCode: "EssentialContainerExited",
                stoppedReason: "Essential container in task exited",
                containerExitCode: 99,
                containerReason: "thresholds crossed",
            };
            assert.deepEqual(status, expected);
        });

        it("a poll ECS keeps throttling fails with a retryable EcsThrottledError, not an SDK error", async () => {
            cluster.throttledDescribes = Infinity;
            const { runTasks } = setup();

            const error = await rejection(runTasks.describe([cluster.add()]));

            assert.ok(error instanceof EcsThrottledError);
            assert.equal(error.operation, "DescribeTasks");
            assert.equal(error.loadgenStack, STACK);
        });

        it("lists the run's tasks over every ListTasks page, by startedBy alone", async () => {
            const mine = [cluster.add(), cluster.add("PROVISIONING"), cluster.add("PENDING"), cluster.add(), cluster.add()];
            cluster.add("RUNNING", "lt-20261129T080000Z-zzzz");
            const { runTasks } = setup();

            assert.deepEqual(await runTasks.listRunTasks(), mine);

            const inputs = ecsMock.commandCalls(ListTasksCommand).map((call) => call.args[0].input);
            assert.deepEqual(inputs, [
                { cluster: LOADGEN_OUTPUTS.clusterArn, startedBy: RUN_ID, nextToken: undefined },
                { cluster: LOADGEN_OUTPUTS.clusterArn, startedBy: RUN_ID, nextToken: "2" },
                { cluster: LOADGEN_OUTPUTS.clusterArn, startedBy: RUN_ID, nextToken: "4" },
            ]);
        });
    });

    describe("stopAll", () => {
        it("stops the known tasks and those ECS lists for the run, once each, and waits until they are STOPPED", async () => {
            const [first, second, third] = [cluster.add(), cluster.add(), cluster.add("PROVISIONING")];
            cluster.pollsToStop = 2;
            const gone = "arn:aws:ecs:eu-west-1:111111111111:task/loadgen/ffffffffffffffffffffffffffffffff";
            const { runTasks, sleeps } = setup();
            const progress: StopProgress[] = [];

            const result = await runTasks.stopAll([first, second, gone], "npm run loadtest: interrupted", (update) => progress.push(update));

            assert.deepEqual(result, { stopped: [first, second, gone, third], stillRunning: [] });
            const stops = ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input);
            assert.deepEqual(stops, [
                { cluster: LOADGEN_OUTPUTS.clusterArn, task: first, reason: "npm run loadtest: interrupted" },
                { cluster: LOADGEN_OUTPUTS.clusterArn, task: second, reason: "npm run loadtest: interrupted" },
                { cluster: LOADGEN_OUTPUTS.clusterArn, task: gone, reason: "npm run loadtest: interrupted" },
                { cluster: LOADGEN_OUTPUTS.clusterArn, task: third, reason: "npm run loadtest: interrupted" },
            ]);
            assert.deepEqual(
                progress.map(({ total, stopped, pending }) => ({ total, stopped, pending: pending.length })),
                [
                    { total: 4, stopped: 1, pending: 3 },
                    { total: 4, stopped: 4, pending: 0 },
                ],
            );
            assert.deepEqual(sleeps, [5000]);
            assert.ok([first, second, third].every((taskArn) => cluster.tasks.get(taskArn)?.lastStatus === "STOPPED"));
        });

        it("cuts a long reason to StopTask's 255 characters", async () => {
            cluster.add();
            const { runTasks } = setup();

            await runTasks.stopAll([], "x".repeat(1024));

            assert.equal(ecsMock.commandCalls(StopTaskCommand)[0].args[0].input.reason, "x".repeat(255));
        });

        it("keeps polling when DescribeTasks stays throttled through its retries", async () => {
            const taskArn = cluster.add();
            cluster.throttledDescribes = 5;
            const { runTasks, sleeps } = setup();

            const result = await runTasks.stopAll([taskArn], "stop");

            assert.deepEqual(result, { stopped: [taskArn], stillRunning: [] });
            assert.deepEqual(sleeps, [500, 1000, 2000, 4000, 5000]);
        });

        it("gives up waiting after its timeout and returns what still runs", async () => {
            const stuck = cluster.add();
            cluster.pollsToStop = 1000;
            const { runTasks, sleeps } = setup({ stopWait: { pollIntervalMs: 1000, timeoutMs: 3000 } });

            const result = await runTasks.stopAll([stuck], "stop");

            assert.deepEqual(result.stopped, []);
            assert.deepEqual(
                result.stillRunning.map(({ taskArn, lastStatus, desiredStatus }) => ({ taskArn, lastStatus, desiredStatus })),
                [{ taskArn: stuck, lastStatus: "RUNNING", desiredStatus: "STOPPED" }],
            );
            assert.deepEqual(sleeps, [1000, 1000, 1000]);
            assert.equal(ecsMock.commandCalls(DescribeTasksCommand).length, 4);
        });

        it("with nothing to stop, returns at once", async () => {
            const { runTasks, sleeps } = setup();

            assert.deepEqual(await runTasks.stopAll([], "stop"), { stopped: [], stillRunning: [] });
            assert.deepEqual(sleeps, []);
        });
    });

    describe("describeStopped", () => {
        const stopped = (fields: Partial<TaskStatus>): TaskStatus => ({
            taskArn: "arn:aws:ecs:eu-west-1:111111111111:task/loadgen/3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b",
            taskId: "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b",
            stack: STACK,
            lastStatus: "STOPPED",
            desiredStatus: "STOPPED",
            capacityProvider: "FARGATE",
            startedAt: undefined,
            stoppedAt: undefined,
            stopCode: undefined,
            stoppedReason: undefined,
            containerExitCode: undefined,
            containerReason: undefined,
            ...fields,
        });
        const pullError =
            "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref " +
            "111111111111.dkr.ecr.eu-west-1.amazonaws.com/loadgen-runner:runner-0123456789abcdef: not found";

        const cases: [string, Partial<TaskStatus>, string][] = [
            [
                "an image that is not in the repository",
                { stopCode: "TaskFailedToStart", stoppedReason: pullError, containerReason: pullError },
                `task 3f2a9c0e… (loadgen-eu) stopped before starting: ${pullError} — has the runner image been pushed? npm run loadtest -- build-image --stack loadgen-eu`,
            ],
            [
                "a task that cannot reach the registry",
                { stopCode: "TaskFailedToStart", stoppedReason: "ResourceInitializationError: unable to pull secrets or registry auth: ...\n  context deadline exceeded" },
                "task 3f2a9c0e… (loadgen-eu) stopped before starting: ResourceInitializationError: unable to pull secrets or registry auth: ... context deadline exceeded " +
                    "— the task could not reach ECR, S3 or CloudWatch Logs: it needs a public subnet, a public IP and egress on 443",
            ],
            [
                "a Spot interruption",
                { capacityProvider: "FARGATE_SPOT", stopCode: "SpotInterruption", stoppedReason: "Your Spot Task was interrupted." },
                "task 3f2a9c0e… (loadgen-eu) was interrupted: SpotInterruption: Fargate Spot reclaimed the capacity (run without --spot to avoid it)",
            ],
            [
                "no Spot capacity",
                { capacityProvider: "FARGATE_SPOT", stopCode: "TaskFailedToStart", stoppedReason: CAPACITY_UNAVAILABLE },
                `task 3f2a9c0e… (loadgen-eu) stopped before starting: no Fargate Spot capacity: ${CAPACITY_UNAVAILABLE} — try again later, or without --spot`,
            ],
            [
                "no on-demand capacity",
                { stopCode: "TaskFailedToStart", stoppedReason: CAPACITY_UNAVAILABLE },
                `task 3f2a9c0e… (loadgen-eu) stopped before starting: no Fargate capacity: ${CAPACITY_UNAVAILABLE} — try again later, or from another region`,
            ],
            [
                "another failure to start",
                { stopCode: "TaskFailedToStart", stoppedReason: "CannotStartContainerError: failed to get container status" },
                "task 3f2a9c0e… (loadgen-eu) stopped before starting: CannotStartContainerError: failed to get container status",
            ],
            [
                "the runner exiting with a code",
                {
                    stopCode: "EssentialContainerExited",
                    stoppedReason: "Essential container in task exited",
                    containerExitCode: 137,
                    containerReason: "OutOfMemoryError: Container killed due to memory usage",
                },
                "task 3f2a9c0e… (loadgen-eu) stopped: the runner exited with code 137: OutOfMemoryError: Container killed due to memory usage",
            ],
            [
                "the runner finishing",
                { stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited", containerExitCode: 0 },
                "task 3f2a9c0e… (loadgen-eu) stopped: the runner exited with code 0",
            ],
            [
                "a stop someone asked for",
                { stopCode: "UserInitiated", stoppedReason: "npm run loadtest: interrupted" },
                "task 3f2a9c0e… (loadgen-eu) was stopped: npm run loadtest: interrupted",
            ],
            [
                "a stop code without a rule of its own",
                { stopCode: "TerminationNotice", stoppedReason: "Task stopped due to a maintenance event." },
                "task 3f2a9c0e… (loadgen-eu) stopped: TerminationNotice: Task stopped due to a maintenance event.",
            ],
            ["a task that still runs", { lastStatus: "RUNNING", desiredStatus: "RUNNING" }, "task 3f2a9c0e… (loadgen-eu) has not stopped: it is RUNNING"],
        ];
        for (const [situation, fields, line] of cases) {
            it(situation, () => {
                assert.equal(describeStopped(stopped(fields)), line);
            });
        }
    });
});
