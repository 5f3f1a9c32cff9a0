import * as assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, RunTaskCommandInput, StopTaskCommand, Task } from "@aws-sdk/client-ecs";
import { runKeys } from "../loadgen/src/contract";
import { SegmentResult, assignmentSchema, controlSchema, encodeSegmentResult, manifestSchema, parseRunObject } from "../loadgen/src/protocol";
import { DirectoryRunStore } from "../loadgen/src/run-store";
import { abortableSleep } from "../loadgen/src/runner";
import { ServerClock } from "../loadgen/src/server-clock";
import { ecsLauncher } from "../scripts/loadtest/ecs-launcher";
import { EcsRunTasks } from "../scripts/loadtest/ecs-tasks";
import { OrchestratorContext, RunGroup, RunOutcome, executeRun } from "../scripts/loadtest/orchestrate";
import { RunPlan, StackTarget, planRun } from "../scripts/loadtest/plan";
import { LOADGEN_OUTPUTS, LOADGEN_OUTPUTS_FRANKFURT, ecsMock, mockedEcsClient } from "./loadtest-stack-fixture";

const RUN_ID = "lt-20261130T120000Z-c3d4";
const STACK = "loadgen-eu";
const keys = runKeys(RUN_ID);
const arn = (id: string, outputs = LOADGEN_OUTPUTS) => `arn:aws:ecs:${outputs.region}:${outputs.accountId}:task/loadgen/${id}`;

function task(id: string, lastStatus: string, extra: Partial<Task> = {}, outputs = LOADGEN_OUTPUTS): Task {
    return { taskArn: arn(id, outputs), lastStatus, desiredStatus: "RUNNING", startedBy: RUN_ID, containers: [{ name: "k6-runner", lastStatus }], ...extra };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function result(segment: number, taskId: string, status: SegmentResult["status"], reason?: string): Buffer {
    return encodeSegmentResult({ version: 2, runId: RUN_ID, segment, taskId, status, ...(reason ? { reason } : {}), k6ExitCode: status === "completed" ? 0 : null, logTail: [] });
}

describe("a distributed run from the command's side (ECS mocked, a directory as the bucket)", function () {
    this.timeout(10_000);
    let dir: string;
    let store: DirectoryRunStore;

    const plan = (tasks: number, stacks: StackTarget[] = [{ name: STACK, outputs: LOADGEN_OUTPUTS }]): RunPlan =>
        planRun({
            runId: RUN_ID,
            script: "load",
            baseUrl: "https://dev.loadlab.example.com",
            tasks,
            spot: false,
            stacks,
            requirements: { durationSeconds: 60, maxVUs: 100, thresholds: {} },
            confirmAboveUsd: 1,
        });

    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "orchestrate-"));
        store = new DirectoryRunStore(dir);
        ecsMock.reset();
        ecsMock.onAnyCommand().rejects(new Error("not expected in this test"));
        ecsMock.on(StopTaskCommand).resolves({});
        ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    function group(runPlan: RunPlan, index = 0, groupStore = store): RunGroup {
        const planGroup = runPlan.groups[index];
        const tasks = new EcsRunTasks(mockedEcsClient(), {
            stack: planGroup.stack,
            outputs: planGroup.outputs ?? LOADGEN_OUTPUTS,
            runId: RUN_ID,
            spot: false,
            environment: { RUN_ID },
            sleep: async () => undefined,
            stopWait: { pollIntervalMs: 1, timeoutMs: 20 },
        });
        return { group: planGroup, store: groupStore, launcher: ecsLauncher(tasks, { runId: RUN_ID, stack: planGroup.stack }) };
    }

    function run(
        runPlan: RunPlan,
        { interrupt = new AbortController().signal, progress = [] as string[], collected = [] as SegmentResult[], groups = [group(runPlan)] } = {},
    ): Promise<RunOutcome> {
        const context: OrchestratorContext = {
            sleep: abortableSleep,
            print: (line) => progress.push(line),
            progress: (line) => progress.push(line),
            interrupt,
            pollMs: 5,
        };
        return executeRun(runPlan, groups, Buffer.from("archive"), (_, collectedResult) => collected.push(collectedResult), context);
    }

    const stoppedTasks = () => ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input.task);

    /** Plays the tasks: each finds its segment under its id, marks it ready, and waits for go. */
    async function playTasks(taskIds: string[], playStore = store): Promise<{ startAt: number }> {
        const segments = new Map<string, number>();
        while (segments.size < taskIds.length) {
            for (const taskId of taskIds) {
                const assigned = await playStore.get(keys.assignment(taskId));
                if (assigned !== undefined) segments.set(taskId, parseRunObject(assignmentSchema, "assignment", assigned.body).segment);
            }
            await pause(5);
        }
        for (const [taskId, segment] of segments) {
            await playStore.putIfAbsent(keys.ready(segment), JSON.stringify({ segment, taskId, at: new Date().toISOString() }));
        }
        for (;;) {
            const control = await playStore.get(keys.control);
            const go = control === undefined ? undefined : parseRunObject(controlSchema, "control", control.body).go;
            if (go !== undefined) return { startAt: Date.parse(go.startAt) };
            await pause(5);
        }
    }

    it("stops what it started and names the capacity RunTask could not find", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING")], failures: [{ reason: "Capacity is unavailable at this time" }] });
        ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn("a")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("a", "STOPPED")] });
        const outcome = await run(plan(2));
        assert.equal(outcome.kind, "not-started");
        assert.deepEqual(outcome.errors, [`a task could not start: ${STACK}: Capacity is unavailable at this time`]);
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
        const outcome = await run(plan(2));
        assert.equal(outcome.kind, "not-started");
        assert.equal(outcome.errors.length, 1);
        assert.match(outcome.errors[0], /^task b stopped before the run began: .*CannotPullContainerError.*build-image --stack loadgen-eu/);
        // StopTask on a task that has stopped already is harmless, and ECS may not have said so to every poll yet.
        assert.deepEqual(stoppedTasks().sort(), [arn("a"), arn("b")]);
    });

    it("writes each task's segment before the next RunTask, and on Ctrl-C mid-launch starts no more and stops every task", async () => {
        const interrupt = new AbortController();
        let batch = 0;
        ecsMock.on(RunTaskCommand).callsFake(async (input: RunTaskCommandInput) => {
            batch++;
            // By the second call, the first batch's segments are in the bucket.
            if (batch === 2) {
                assert.ok(await store.get(keys.assignment("t1-0")), "batch 1's segments are written before batch 2 starts");
                interrupt.abort();
            }
            return { tasks: Array.from({ length: input.count ?? 0 }, (_, i) => task(`t${batch}-${i}`, "PROVISIONING")) };
        });
        ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn("t1-0"), arn("orphan")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
        const outcome = await run(plan(25), { interrupt: interrupt.signal });
        assert.deepEqual({ kind: outcome.kind, interrupted: outcome.interrupted }, { kind: "not-started", interrupted: true });
        assert.equal(ecsMock.commandCalls(RunTaskCommand).length, 2, "no third RunTask after Ctrl-C");
        const started = [...Array.from({ length: 10 }, (_, i) => arn(`t1-${i}`)), ...Array.from({ length: 10 }, (_, i) => arn(`t2-${i}`))];
        assert.deepEqual(stoppedTasks().sort(), [...started, arn("orphan")].sort());
        // The batch that returned as Ctrl-C came is recorded too, segments 10 to 19.
        const second = parseRunObject(assignmentSchema, "assignment", (await store.get(keys.assignment("t2-9")))?.body ?? "");
        assert.equal(second.segment, 19);

        // Before anything started: the manifest, the archive and the control object were in the bucket.
        const manifest = parseRunObject(manifestSchema, "manifest", (await store.get(keys.manifest))?.body ?? "");
        assert.equal(manifest.segments.length, 25);
        assert.equal(manifest.merge.baseUrl, "https://dev.loadlab.example.com");
        assert.equal((await store.get(keys.archive))?.body.toString(), "archive");
        const runTask = ecsMock.commandCalls(RunTaskCommand)[0].args[0].input;
        assert.equal(runTask.startedBy, RUN_ID);
        assert.equal(runTask.count, 10);
        assert.deepEqual(runTask.overrides?.containerOverrides?.[0].environment, [{ name: "RUN_ID", value: RUN_ID }]);
    });

    it("with two stacks, cleans up only after the other stack's launch has stopped", async () => {
        const frankfurt = join(dir, "frankfurt");
        const twoStacks = plan(4, [
            { name: STACK, outputs: LOADGEN_OUTPUTS },
            { name: "loadgen-fra", outputs: LOADGEN_OUTPUTS_FRANKFURT },
        ]);
        const events: string[] = [];
        ecsMock.on(RunTaskCommand).callsFake(async (input: RunTaskCommandInput) => {
            if (input.cluster === LOADGEN_OUTPUTS.clusterArn) {
                events.push("eu RunTask fails");
                throw Object.assign(new Error("User: deploy is not authorized to perform: ecs:RunTask"), { name: "AccessDeniedException" });
            }
            await pause(100);
            events.push("fra RunTask returned");
            return { tasks: [task("f0", "PROVISIONING", {}, LOADGEN_OUTPUTS_FRANKFURT), task("f1", "PROVISIONING", {}, LOADGEN_OUTPUTS_FRANKFURT)] };
        });
        ecsMock.on(StopTaskCommand).callsFake(async (input: { task: string }) => {
            events.push(`stop ${input.task}`);
            return {};
        });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
        const outcome = await run(twoStacks, { groups: [group(twoStacks, 0), group(twoStacks, 1, new DirectoryRunStore(frankfurt))] });
        assert.equal(outcome.kind, "not-started");
        assert.match(outcome.errors[0], /not authorized to perform: ecs:RunTask/);
        assert.deepEqual(events, [
            "eu RunTask fails",
            "fra RunTask returned",
            `stop ${arn("f0", LOADGEN_OUTPUTS_FRANKFURT)}`,
            `stop ${arn("f1", LOADGEN_OUTPUTS_FRANKFURT)}`,
        ]);
    });

    it("says go once every segment is ready, by the store's clock, and folds each result in as it arrives", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING"), task("b", "PROVISIONING")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("a", "RUNNING"), task("b", "RUNNING")] });
        // The command's machine is 15 s behind: its go is still a time a few seconds ahead by the store's clock.
        const skewed = store.withClock(new ServerClock(() => Date.now() - 15_000));
        const runPlan = plan(2);
        const collected: SegmentResult[] = [];
        const running = run(runPlan, { collected, groups: [{ ...group(runPlan), store: skewed }] });
        const { startAt } = await playTasks(["a", "b"]);
        assert.ok(startAt > Date.now() && startAt - Date.now() <= runPlan.goLeadSeconds * 1000 + 500, `go is ${startAt - Date.now()} ms ahead`);
        await store.put(keys.result(0), result(0, "a", "completed"));
        await store.put(keys.result(1), result(1, "b", "stopped", "SIGTERM"));
        const outcome = await running;
        assert.equal(outcome.kind, "ran");
        assert.deepEqual(collected.map(({ segment }) => segment).sort(), [0, 1]);
        assert.deepEqual(outcome.errors, ["segment 1 (task b, loadgen-eu) stopped: SIGTERM"]);
        assert.deepEqual(stoppedTasks(), []);
    });

    it("stops the whole run when a task saw go late, and keeps what the others uploaded", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING"), task("b", "PROVISIONING")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("a", "RUNNING"), task("b", "RUNNING")] });
        const progress: string[] = [];
        const running = run(plan(2), { progress });
        await playTasks(["a", "b"]);
        await store.put(keys.result(1), result(1, "b", "late", "go said start at …, seen 12.0 s later by S3's clock"));
        let stop: string | undefined;
        while (stop === undefined) {
            const control = await store.get(keys.control);
            stop = control === undefined ? undefined : parseRunObject(controlSchema, "control", control.body).stop?.reason;
            await pause(5);
        }
        assert.equal(stop, "segment 1 (task b, loadgen-eu) saw go too late: every segment runs together or the run stops");
        await store.put(keys.result(0), result(0, "a", "stopped", `the command stopped the run: ${stop}`));
        const outcome = await running;
        assert.equal(outcome.kind, "ran");
        assert.equal(outcome.errors.length, 2);
    });

    it("on Ctrl-C after go stops every task, then keeps the results they uploaded", async () => {
        ecsMock.on(RunTaskCommand).resolves({ tasks: [task("a", "PROVISIONING"), task("b", "PROVISIONING")] });
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("a", "RUNNING"), task("b", "RUNNING")] });
        ecsMock.on(StopTaskCommand).callsFake(async (input: { task: string }) => {
            // A stopped task uploads what it has before it exits.
            if (input.task === arn("a")) await store.put(keys.result(0), result(0, "a", "stopped", "told to stop"));
            return {};
        });
        const interrupt = new AbortController();
        const collected: SegmentResult[] = [];
        const running = run(plan(2), { interrupt: interrupt.signal, collected });
        await playTasks(["a", "b"]);
        interrupt.abort();
        const outcome = await running;
        assert.deepEqual({ kind: outcome.kind, interrupted: outcome.interrupted }, { kind: "ran", interrupted: true });
        assert.deepEqual(collected.map(({ segment, status }) => [segment, status]), [[0, "stopped"]]);
        assert.deepEqual(stoppedTasks().sort(), [arn("a"), arn("b")]);
        const control = parseRunObject(controlSchema, "control", (await store.get(keys.control))?.body ?? "");
        assert.equal(control.stop?.reason, "interrupted");
    });
});
