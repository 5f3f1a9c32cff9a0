import * as assert from "node:assert/strict";
import { mkdir, readFile, utimes } from "node:fs/promises";
import { join } from "node:path";
import { FakeScenario, fakeK6Workspace, fifosUnder } from "../../tests/fixtures/fake-k6";
import { runKeys } from "../src/contract";
import { RunControl, RunManifest, SegmentResult, decodeSegmentResult } from "../src/protocol";
import { readRecordedMetrics } from "../src/recorder";
import { DirectoryRunStore, RunStore } from "../src/run-store";
import { RunnerContext, RunnerError, TaskOutcome, abortableSleep, runSegmentTask } from "../src/runner";
import { ServerClock } from "../src/server-clock";

const RUN_ID = "lt-20261130T120000Z-ab12";
const keys = runKeys(RUN_ID);

const SCENARIO: FakeScenario = {
    thresholds: { http_req_failed: ["rate<0.05"] },
    totalDuration: "2s",
    maxVUs: 4,
    iterations: 200,
};

function manifest(overrides: Partial<RunManifest> = {}): RunManifest {
    return {
        version: 2,
        runId: RUN_ID,
        script: "scenario",
        segmentCount: 2,
        segments: [0, 1],
        submetrics: ["http_req_duration{name:count-prime}"],
        seriesStepSeconds: 60,
        exactSamplesPerSeries: 1_000_000,
        maxRunSeconds: 60,
        heartbeatStaleSeconds: 60,
        lateStartSeconds: 10,
        goWaitSeconds: 60,
        merge: { thresholds: SCENARIO.thresholds, exactSampleBudget: 10_000_000, spot: false, stacks: [{ stack: "local", segments: [0, 1] }], baseUrl: "http://127.0.0.1:8000" },
        ...overrides,
    };
}

/** The store, but once `hang()` says so, reads of the control object never answer. */
function hangingControl(inner: RunStore, hang: () => boolean): RunStore {
    return {
        location: inner.location,
        clock: inner.clock,
        get: (key) => (hang() && key === keys.control ? new Promise(() => undefined) : inner.get(key)),
        put: (key, body) => inner.put(key, body),
        putIfAbsent: (key, body) => inner.putIfAbsent(key, body),
        list: (prefix) => inner.list(prefix),
        withClock: (clock) => hangingControl(inner.withClock(clock), hang),
    };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the load runner (one task of a run)", function () {
    this.timeout(15_000);
    const workspace = fakeK6Workspace("runner-");
    let store: DirectoryRunStore;
    beforeEach(() => {
        store = new DirectoryRunStore(join(workspace.dir, "store"));
    });

    /** The run's objects as the command writes them, each task given its segment under its id. */
    async function prepare(runManifest: RunManifest, tasks: Record<string, number>, scenario: FakeScenario = SCENARIO): Promise<void> {
        await store.put(keys.manifest, JSON.stringify(runManifest));
        await store.put(keys.archive, JSON.stringify({ scenario, env: {} }));
        await control({});
        for (const [taskId, segment] of Object.entries(tasks)) await store.put(keys.assignment(taskId), JSON.stringify({ segment }));
    }

    /** The control object, written `ageSeconds` ago by the store's clock (the machine's: it is the directory's). */
    async function control(state: RunControl, ageSeconds = 0): Promise<void> {
        await store.put(keys.control, JSON.stringify(state));
        const at = new Date(Date.now() - ageSeconds * 1000);
        await utimes(join(workspace.dir, "store", ...keys.control.split("/")), at, at);
    }

    const go = (startInMs: number, extra: RunControl = {}) => control({ ...extra, go: { startAt: new Date(Date.now() + startInMs).toISOString() } });

    interface TaskOptions {
        stop?: AbortController;
        logs?: string[];
        /** The task's own clock, this far from the store's. */
        skewMs?: number;
        /** k6's output lines, as they come. */
        k6Logs?: string[];
        taskStore?: RunStore;
        k6Binary?: string;
        sleep?: RunnerContext["sleep"];
    }

    async function task(
        name: string,
        { stop = new AbortController(), logs = [], skewMs = 0, taskStore = store, k6Logs = [], k6Binary = "k6", sleep = abortableSleep }: TaskOptions = {},
    ): Promise<TaskOutcome> {
        const workDir = join(workspace.dir, name);
        await mkdir(workDir, { recursive: true });
        const context: RunnerContext = {
            store: taskStore.withClock(new ServerClock(() => Date.now() + skewMs)),
            runId: RUN_ID,
            taskId: name,
            k6Binary,
            k6Version: "k6 v2.2.0 (commit/00a9a1b7f5, go1.26.5, linux/amd64)",
            workDir,
            sleep,
            log: (message) => logs.push(message),
            stopSignal: stop.signal,
            pollMs: 10,
            onK6Log: (line) => k6Logs.push(line),
        };
        return runSegmentTask(context);
    }

    function resultOf(outcome: TaskOutcome): SegmentResult {
        assert.equal(outcome.kind, "result");
        return (outcome as { result: SegmentResult }).result;
    }

    async function uploaded(segment: number): Promise<SegmentResult> {
        const object = await store.get(keys.result(segment));
        assert.ok(object, `segment ${segment} has a result`);
        return decodeSegmentResult(object.body, "result");
    }

    it("runs the segment written under its task id, starts k6 on go, and uploads what it recorded", async () => {
        await prepare(manifest(), { "task-a": 1, "task-b": 0 });
        const first = task("task-a");
        const second = task("task-b");
        await pause(100);
        assert.deepEqual(await store.list(keys.readyPrefix), [keys.ready(0), keys.ready(1)]);
        await go(200);
        const results = [resultOf(await first), resultOf(await second)];
        assert.deepEqual(results.map((result) => [result.taskId, result.segment, result.status, result.k6ExitCode]), [
            ["task-a", 1, "completed", 0],
            ["task-b", 0, "completed", 0],
        ]);
        for (const result of results) {
            assert.deepEqual(await uploaded(result.segment), result);
            const recorded = readRecordedMetrics(result.recorded);
            assert.equal(recorded.metrics.http_reqs?.kind, "counter");
            assert.ok(Date.parse(result.k6StartedAt ?? "") >= Date.now() - 5000);
            assert.equal(result.k6Version, "k6 v2.2.0 (commit/00a9a1b7f5, go1.26.5, linux/amd64)");
            // k6's own duration, from its summary export: within the k6 process's life.
            const wallMs = Date.parse(result.k6FinishedAt ?? "") - Date.parse(result.k6StartedAt ?? "");
            assert.ok(result.testRunDurationMs !== undefined && result.testRunDurationMs > 0 && result.testRunDurationMs <= wallMs, `${result.testRunDurationMs} of ${wallMs}`);
        }
        // Each task's k6 ran in its own directory, with its own summary file and the segment it was given.
        const summaries = await Promise.all(["task-a", "task-b"].map(async (name) => JSON.parse(await readFile(join(workspace.dir, name, "summary.json"), "utf8"))));
        assert.deepEqual(summaries.map((summary) => [summary.segment, summary.iterations]), [
            ["0.5:1", 100],
            ["0:0.5", 100],
        ]);
        // k6's output pipe went with it: the task's directory holds only files.
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("takes its times from the store's clock: a task clock a minute behind or 15 s ahead runs on time", async () => {
        await prepare(manifest(), { "task-behind": 0, "task-ahead": 1 });
        const behind = task("task-behind", { skewMs: -60_000 });
        const ahead = task("task-ahead", { skewMs: 15_000 });
        await pause(150);
        await go(300);
        for (const result of [resultOf(await behind), resultOf(await ahead)]) {
            assert.equal(result.status, "completed", result.reason);
            // Its k6 started at go by the store's clock, not a minute off.
            assert.ok(Math.abs(Date.parse(result.k6StartedAt ?? "") - Date.now()) < 10_000);
        }
    });

    it("recognises its own ready marker after a lost response, and stands aside for another task's", async () => {
        await prepare(manifest({ segments: [0] }), { "task-a": 0, "task-b": 0 });
        // task-a's conditional write happened, but its response was lost: the retry finds the marker. It runs.
        await store.putIfAbsent(keys.ready(0), JSON.stringify({ segment: 0, taskId: "task-a", at: new Date().toISOString() }));
        const running = task("task-a");
        const standing = await task("task-b");
        assert.equal(standing.kind, "no-segment");
        assert.match(standing.kind === "no-segment" ? standing.reason : "", /segment 0 is already ready in task task-a: this task stands aside/);
        await go(50);
        assert.equal(resultOf(await running).status, "completed");
    });

    it("gives up, and says so, when it is given no segment in time, or no go comes in time", async () => {
        await prepare(manifest({ segments: [0], goWaitSeconds: 1 }), { "task-a": 0 });
        const logs: string[] = [];
        // Both wait out the same second, side by side.
        const [unknown, waiting] = await Promise.all([task("task-unknown", { logs }), task("task-a")]);
        assert.deepEqual(unknown, { kind: "no-segment", reason: "no segment within 1 s" });
        assert.ok(logs.includes("no segment to run: no segment within 1 s"));
        const result = resultOf(waiting);
        assert.equal(result.status, "stopped");
        assert.match(result.reason ?? "", /no go within 1 s/);
    });

    it("does not run k6 when go is older than the late-start allowance by the store's clock", async () => {
        await prepare(manifest({ segments: [0], lateStartSeconds: 10 }), { "task-a": 0 });
        await go(-11_000);
        // The task's own clock is 11 s behind: by it, go would be on time. The store's clock says late.
        const result = resultOf(await task("task-a", { skewMs: -11_000 }));
        assert.equal(result.status, "late");
        assert.equal(result.k6ExitCode, null);
        assert.match(result.reason ?? "", /by S3's clock \(more than 10 s\)/);
    });

    it("gives up before go when the command's heartbeat (the control object's age) is stale", async () => {
        await prepare(manifest({ segments: [0], heartbeatStaleSeconds: 60 }), { "task-a": 0 });
        await control({}, 61);
        const result = resultOf(await task("task-a"));
        assert.equal(result.status, "stopped");
        assert.match(result.reason ?? "", /heartbeat is \d+ s old \(more than 60 s\)/);
    });

    it("stops k6 when the heartbeat goes stale mid-run, and keeps what it recorded", async () => {
        await prepare(manifest({ segments: [0], segmentCount: 1 }), { "task-a": 0 }, { ...SCENARIO, iterations: 100_000, iterationDelayMs: 2 });
        await go(0);
        const k6Logs: string[] = [];
        const running = task("task-a", { k6Logs });
        while (k6Logs.length === 0) await pause(20);
        await control({ go: { startAt: new Date().toISOString() } }, 120);
        const result = resultOf(await running);
        assert.equal(result.status, "stopped");
        assert.match(result.reason ?? "", /heartbeat/);
        assert.equal(result.k6ExitCode, 105);
        const requests = readRecordedMetrics(result.recorded).metrics.http_reqs;
        assert.ok(requests?.kind === "counter" && requests.count > 0 && requests.count < 100_000);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("stops k6 when the command says stop (a late task elsewhere), and when told to by SIGTERM", async () => {
        await prepare(manifest(), { "task-a": 0, "task-b": 1 }, { ...SCENARIO, iterations: 100_000, iterationDelayMs: 2 });
        await go(0);
        const stop = new AbortController();
        const [logsA, logsB]: string[][] = [[], []];
        const stoppedByCommand = task("task-a", { k6Logs: logsA });
        const told = task("task-b", { stop, k6Logs: logsB });
        while (logsA.length === 0 || logsB.length === 0) await pause(20);
        stop.abort();
        await go(-300, { stop: { reason: "segment 3 (task x, loadgen) saw go too late" } });
        const [commandResult, toldResult] = [resultOf(await stoppedByCommand), resultOf(await told)];
        assert.equal(commandResult.status, "stopped");
        assert.equal(commandResult.reason, "the command stopped the run: segment 3 (task x, loadgen) saw go too late");
        assert.equal(toldResult.status, "stopped");
        assert.match(toldResult.reason ?? "", /told to stop/);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("stops k6 at the run's maximum from a timer of its own, even while a store call hangs", async () => {
        await prepare(manifest({ segments: [0], segmentCount: 1, maxRunSeconds: 1 }), { "task-a": 0 }, { ...SCENARIO, iterations: 100_000, iterationDelayMs: 2 });
        await go(0);
        let hang = false;
        const hanging = hangingControl(store, () => hang);
        const running = task("task-a", { taskStore: hanging });
        await pause(200);
        hang = true;
        const result = resultOf(await running);
        assert.equal(result.status, "stopped");
        assert.match(result.reason ?? "", /maximum of 1 s/);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("reports k6's failure with its exit code, what the code means, the first error it logged and its last log lines", async () => {
        await prepare(manifest({ segments: [1] }), { "task-b": 1 }, { ...SCENARIO, failSegmentFrom: "1/2" });
        await go(0);
        const result = resultOf(await task("task-b"));
        assert.equal(result.status, "k6-failed");
        assert.equal(result.k6ExitCode, 107);
        assert.equal(result.reason, "k6 exited with code 107 (ScriptException: the script threw an exception)");
        assert.deepEqual(result.firstErrors, { log: "Uncaught (in promise) TypeError: Cannot read property of undefined" });
        assert.ok(result.logTail.some((line) => line.includes("Uncaught (in promise) TypeError")));
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("against a target that is down, keeps the first failed request with k6's error for it; k6 itself exits 0", async () => {
        await prepare(manifest({ segments: [0], segmentCount: 1 }), { "task-a": 0 }, { ...SCENARIO, deadTarget: true });
        await go(0);
        const result = resultOf(await task("task-a"));
        assert.equal(result.status, "completed");
        assert.equal(result.k6ExitCode, 0);
        // k6 warns of each failed request on stderr: a warning is not an error of its log.
        assert.deepEqual(result.firstErrors, { request: "GET http://127.0.0.1:8000/api/health: dial: connection refused (k6 error code 1212)" });
        const failed = readRecordedMetrics(result.recorded).metrics.http_req_failed;
        assert.deepEqual(failed?.kind === "rate" && [failed.passes, failed.total], [SCENARIO.iterations, SCENARIO.iterations]);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("when setup() aborts the test, keeps k6's abort line and its exit code 108, with no iteration", async () => {
        await prepare(manifest({ segments: [0], segmentCount: 1 }), { "task-a": 0 }, { ...SCENARIO, deadTarget: true, setupAbort: "http://127.0.0.1:8000 did not answer" });
        await go(0);
        const result = resultOf(await task("task-a"));
        assert.equal(result.status, "k6-failed");
        assert.equal(result.reason, "k6 exited with code 108 (ScriptAborted: the script called test.abort())");
        // setup()'s probe has no response callback, so no http_req_failed: k6's log says what happened.
        assert.deepEqual(result.firstErrors, { log: "test aborted: http://127.0.0.1:8000 did not answer at setup (file:///k6/scenario.ts:31:14(52))" });
        assert.equal(readRecordedMetrics(result.recorded).metrics.iterations, undefined);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("reports a k6 that cannot be started, and leaves no pipe", async () => {
        await prepare(manifest({ segments: [0], segmentCount: 1 }), { "task-a": 0 });
        await go(0);
        const result = resultOf(await task("task-a", { k6Binary: join(workspace.dir, "no-such-k6") }));
        assert.equal(result.status, "k6-failed");
        assert.match(result.reason ?? "", /no-such-k6 could not be started: spawn .*no-such-k6 ENOENT/);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("stops k6 and waits for it when the task fails while k6 runs: neither k6 nor its pipe outlives the task", async () => {
        await prepare(manifest({ segments: [0], segmentCount: 1 }), { "task-a": 0 }, { ...SCENARIO, iterations: 100_000, iterationDelayMs: 2 });
        await go(0);
        const k6Logs: string[] = [];
        const failingSleep = async (ms: number, signal?: AbortSignal) => {
            if (k6Logs.length > 0) throw new Error("the task's own failure");
            await abortableSleep(ms, signal);
        };
        await assert.rejects(task("task-a", { k6Logs, sleep: failingSleep }), /the task's own failure/);
        // k6 was stopped and waited for: it wrote its handleSummary file as it ended.
        const summary = JSON.parse(await readFile(join(workspace.dir, "task-a", "summary.json"), "utf8")) as { iterations: number };
        assert.ok(summary.iterations > 0 && summary.iterations < 100_000, `${summary.iterations} iterations`);
        assert.deepEqual(fifosUnder(workspace.dir), []);
    });

    it("says what is missing when the run has no manifest", async () => {
        await assert.rejects(task("task-a"), (error: Error) => error instanceof RunnerError && /manifest\.json does not exist/.test(error.message));
    });
});
