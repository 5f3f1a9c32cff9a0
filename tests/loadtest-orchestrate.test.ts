import * as assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand, Task } from "@aws-sdk/client-ecs";
import { runKeys } from "../loadgen/src/contract";
import { encodeSegmentResult, goSchema, manifestSchema, parseRunObject } from "../loadgen/src/protocol";
import { DirectoryRunStore } from "../loadgen/src/run-store";
import { abortableSleep } from "../loadgen/src/runner";
import { ecsLauncher } from "../scripts/loadtest/ecs-launcher";
import { EcsRunTasks } from "../scripts/loadtest/ecs-tasks";
import { OrchestratorContext, RunGroup, RunOutcome, executeRun } from "../scripts/loadtest/orchestrate";
import { RunPlan, planRun } from "../scripts/loadtest/plan";
import { LOADGEN_OUTPUTS, ecsMock, mockedEcsClient } from "./loadtest-stack-fixture";

const RUN_ID = "lt-20261130T120000Z-c3d4";
const STACK = "loadgen-eu";
const keys = runKeys(RUN_ID);
const arn = (id: string) => `arn:aws:ecs:eu-west-1:111111111111:task/loadgen/${id}`;

function task(id: string, lastStatus: string, extra: Partial<Task> = {}): Task {
    return { taskArn: arn(id), lastStatus, desiredStatus: "RUNNING", startedBy: RUN_ID, containers: [{ name: "k6-runner", lastStatus }], ...extra };
}

describe("a distributed run from the command's side (ECS mocked, a directory as the bucket)", function () {
    this.timeout(10_000);
    let dir: string;
    let store: DirectoryRunStore;
    let plan: RunPlan;

    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "orchestrate-"));
        store = new DirectoryRunStore(dir);
        plan = planRun({
            runId: RUN_ID,
            script: "load",
            tasks: 2,
            spot: false,
            stacks: [{ name: STACK, outputs: LOADGEN_OUTPUTS }],
            requirements: { durationSeconds: 60, maxVUs: 10, thresholds: {} },
            confirmAboveUsd: 1,
        });
        ecsMock.reset();
        ecsMock.onAnyCommand().rejects(new Error("not expected in this test"));
        ecsMock.on(StopTaskCommand).resolves({});
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    async function run(interrupt = new AbortController().signal, progress: string[] = []): Promise<RunOutcome> {
        const tasks = new EcsRunTasks(mockedEcsClient(), {
            stack: STACK,
            outputs: LOADGEN_OUTPUTS,
            runId: RUN_ID,
            spot: false,
            environment: { RUN_ID },
            sleep: async () => undefined,
            stopWait: { pollIntervalMs: 1, timeoutMs: 20 },
        });
        const groups: RunGroup[] = [{ group: plan.groups[0], store, launcher: ecsLauncher(tasks, { runId: RUN_ID, stack: STACK }) }];
        const context: OrchestratorContext = {
            now: () => new Date(),
            sleep: abortableSleep,
            print: (line) => progress.push(line),
            progress: (line) => progress.push(line),
            interrupt,
            pollMs: 5,
        };
        return executeRun(plan, groups, Buffer.from("archive"), context);
    }

    const stoppedTasks = () => ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input.task);

    it("stops what it started and names the capacity RunTask could not find", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING")], failures: [{ reason: "Capacity is unavailable at this time" }] });
        ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn("a")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("a", "STOPPED")] });
        const outcome = await run();
        assert.equal(outcome.kind, "not-started");
        assert.deepEqual(outcome.kind === "not-started" && outcome.errors, [`a task could not start: ${STACK}: Capacity is unavailable at this time`]);
        assert.deepEqual(stoppedTasks(), [arn("a")]);
    });

    it("names a task that stopped before the run began, with the cause and the fix", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING"), task("b", "PROVISIONING")] });
        ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn("a")] });
        ecsMock.on(DescribeTasksCommand).resolves({
            tasks: [
                task("a", "RUNNING"),
                task("b", "STOPPED", {
                    stopCode: "TaskFailedToStart",
                    stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found",
                }),
            ],
        });
        const outcome = await run();
        assert.equal(outcome.kind, "not-started");
        const errors = outcome.kind === "not-started" ? outcome.errors : [];
        assert.equal(errors.length, 1);
        assert.match(errors[0], /^task b stopped before the run began: .*CannotPullContainerError.*build-image --stack loadgen-eu/);
        // StopTask on a task that has stopped already is harmless, and ECS may not have said so to every poll yet.
        assert.deepEqual(stoppedTasks().sort(), [arn("a"), arn("b")]);
    });

    it("on Ctrl-C stops every task it started and every one ListTasks finds for the run", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING"), task("b", "PROVISIONING")] });
        ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn("a"), arn("b"), arn("c")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("a", "PROVISIONING"), task("b", "PENDING")] });
        const interrupt = new AbortController();
        setTimeout(() => interrupt.abort(), 50);
        const progress: string[] = [];
        const outcome = await run(interrupt.signal, progress);
        assert.equal(outcome.kind, "interrupted");
        assert.deepEqual(stoppedTasks().sort(), [arn("a"), arn("b"), arn("c")]);
        assert.ok(progress.some((line) => /tasks 1 provisioning|tasks 2 provisioning/.test(line)), progress.join("\n"));

        // Before anything started: the manifest, the archive and the heartbeat were in the bucket; RunTask named the run.
        const manifest = parseRunObject(manifestSchema, "manifest", (await store.get(keys.manifest)) ?? Buffer.alloc(0));
        assert.deepEqual(manifest.segments, [0, 1]);
        assert.equal((await store.get(keys.archive))?.toString(), "archive");
        assert.ok(await store.get(keys.heartbeat));
        const runTask = ecsMock.commandCalls(RunTaskCommand)[0].args[0].input;
        assert.equal(runTask.startedBy, RUN_ID);
        assert.equal(runTask.count, 2);
        assert.deepEqual(runTask.overrides?.containerOverrides?.[0].environment, [{ name: "RUN_ID", value: RUN_ID }]);
    });

    it("says go once every segment is claimed, then collects one result per segment", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING"), task("b", "PROVISIONING")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("a", "RUNNING"), task("b", "RUNNING")] });
        const running = run();
        // The tasks, played by the test: claim, wait for go, upload a result each.
        for (const [segment, taskId] of [[0, "a"], [1, "b"]] as const) {
            await store.putIfAbsent(keys.ready(segment), JSON.stringify({ segment, taskId, at: new Date().toISOString() }));
        }
        let go: Buffer | undefined;
        while ((go = await store.get(keys.go)) === undefined) await abortableSleep(5);
        const startAt = Date.parse(parseRunObject(goSchema, "go", go).startAt);
        assert.ok(startAt > Date.now(), "go names a start a few seconds ahead");
        for (const [segment, taskId] of [[0, "a"], [1, "b"]] as const) {
            await store.put(
                keys.result(segment),
                encodeSegmentResult({ version: 1, runId: RUN_ID, segment, taskId, status: segment === 0 ? "completed" : "stopped", reason: "SIGTERM", k6ExitCode: 105, logTail: ["level=info msg=stopped"] }),
            );
        }
        const outcome = await running;
        assert.equal(outcome.kind, "finished");
        if (outcome.kind !== "finished") return;
        assert.deepEqual(outcome.results.map(({ result }) => result.segment).sort(), [0, 1]);
        assert.deepEqual(outcome.errors, ["segment 1 (task b, loadgen-eu) stopped: SIGTERM (k6's last lines: level=info msg=stopped)"]);
        assert.deepEqual(stoppedTasks(), []);
    });
});
