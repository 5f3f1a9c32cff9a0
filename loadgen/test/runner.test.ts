import * as assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeK6, FakeScenario, installFakeK6 } from "../../tests/fixtures/fake-k6";
import { runKeys } from "../src/contract";
import { RunManifest, SegmentResult, decodeSegmentResult } from "../src/protocol";
import { readRecordedMetrics } from "../src/recorder";
import { DirectoryRunStore } from "../src/run-store";
import { RunnerContext, RunnerError, TaskOutcome, abortableSleep, runSegmentTask } from "../src/runner";

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
        version: 1,
        runId: RUN_ID,
        script: "scenario",
        segmentCount: 2,
        segments: [0, 1],
        submetrics: ["http_req_duration{name:count-prime}"],
        seriesStepSeconds: 60,
        maxRunSeconds: 60,
        heartbeatStaleSeconds: 60,
        lateStartSeconds: 10,
        goWaitSeconds: 60,
        ...overrides,
    };
}

describe("the load runner (one task of a run)", function () {
    this.timeout(15_000);
    let fakeK6: FakeK6;
    let dir: string;
    let store: DirectoryRunStore;
    let clockOffsetMs: number;
    const now = () => new Date(Date.now() + clockOffsetMs);

    before(() => {
        fakeK6 = installFakeK6();
    });
    after(() => fakeK6.remove());
    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "runner-"));
        store = new DirectoryRunStore(join(dir, "store"));
        clockOffsetMs = 0;
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    async function prepare(runManifest: RunManifest, scenario: FakeScenario = SCENARIO): Promise<void> {
        await store.put(keys.manifest, JSON.stringify(runManifest));
        await store.put(keys.archive, JSON.stringify({ scenario, env: {} }));
        await heartbeat(0);
    }

    const heartbeat = (ageSeconds: number) => store.put(keys.heartbeat, JSON.stringify({ at: new Date(now().getTime() - ageSeconds * 1000).toISOString() }));
    const go = (startInMs: number) => store.put(keys.go, JSON.stringify({ startAt: new Date(now().getTime() + startInMs).toISOString() }));

    async function task(name: string, stop = new AbortController(), logs: string[] = []): Promise<TaskOutcome> {
        const workDir = join(dir, name);
        await mkdir(workDir, { recursive: true });
        const context: RunnerContext = {
            store,
            runId: RUN_ID,
            taskId: name,
            k6Binary: "k6",
            workDir,
            now,
            sleep: abortableSleep,
            log: (message) => logs.push(message),
            stopSignal: stop.signal,
            pollMs: 10,
        };
        return runSegmentTask(context);
    }

    function resultOf(outcome: TaskOutcome): SegmentResult {
        assert.equal(outcome.kind, "result");
        return (outcome as { result: SegmentResult }).result;
    }

    async function uploaded(segment: number): Promise<SegmentResult> {
        const body = await store.get(keys.result(segment));
        assert.ok(body, `segment ${segment} has a result`);
        return decodeSegmentResult(body, "result");
    }

    it("claims a segment, starts k6 on go with that segment, and uploads what it recorded", async () => {
        await prepare(manifest());
        const first = task("task-a");
        const second = task("task-b");
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(await store.list(keys.readyPrefix), [keys.ready(0), keys.ready(1)]);
        await go(200);
        // Either task may win either claim: compare in segment order.
        const results = [resultOf(await first), resultOf(await second)].sort((a, b) => a.segment - b.segment);
        assert.deepEqual(results.map((result) => [result.segment, result.status, result.k6ExitCode]), [
            [0, "completed", 0],
            [1, "completed", 0],
        ]);
        for (const result of results) {
            assert.deepEqual(await uploaded(result.segment), result);
            const recorded = readRecordedMetrics(result.recorded);
            assert.equal(recorded.metrics.http_reqs?.kind, "counter");
            assert.ok(Date.parse(result.k6StartedAt ?? "") >= Date.now() - 5000);
        }
        // Each task's k6 ran in its own directory, with its own summary file and the segment it claimed.
        const summaries = await Promise.all(["task-a", "task-b"].map(async (name) => JSON.parse(await readFile(join(dir, name, "summary.json"), "utf8"))));
        assert.deepEqual(new Map(summaries.map((summary) => [summary.segment, summary.iterations])), new Map([
            ["0:0.5", 100],
            ["0.5:1", 100],
        ]));
    });

    it("does not run when every segment is claimed: a late replacement", async () => {
        await prepare(manifest({ segments: [0] }));
        await store.putIfAbsent(keys.ready(0), JSON.stringify({ segment: 0, taskId: "other", at: now().toISOString() }));
        assert.deepEqual(await task("task-late"), { kind: "no-segment" });
        assert.equal(await store.get(keys.result(0)), undefined);
    });

    it("does not run k6 when go is older than the late-start allowance", async () => {
        await prepare(manifest({ segments: [0], lateStartSeconds: 10 }));
        await go(-11_000);
        const result = resultOf(await task("task-a"));
        assert.equal(result.status, "late");
        assert.equal(result.k6ExitCode, null);
        assert.match(result.reason ?? "", /more than 10 s/);
    });

    it("gives up before go when the command's heartbeat is stale", async () => {
        await prepare(manifest({ segments: [0], heartbeatStaleSeconds: 60 }));
        await heartbeat(61);
        const result = resultOf(await task("task-a"));
        assert.equal(result.status, "stopped");
        assert.match(result.reason ?? "", /heartbeat is \d+ s old \(more than 60 s\)/);
    });

    it("gives up when no go comes in time", async () => {
        await prepare(manifest({ segments: [0], goWaitSeconds: 1 }));
        const waiting = task("task-a");
        await new Promise((resolve) => setTimeout(resolve, 50));
        clockOffsetMs = 2000;
        await heartbeat(0);
        const result = resultOf(await waiting);
        assert.equal(result.status, "stopped");
        assert.match(result.reason ?? "", /no go within 1 s/);
    });

    it("stops k6 when the heartbeat goes stale mid-run, and keeps what it recorded", async () => {
        await prepare(manifest({ segments: [0], segmentCount: 1 }), { ...SCENARIO, iterations: 100_000, iterationDelayMs: 2 });
        await go(0);
        const running = task("task-a");
        await new Promise((resolve) => setTimeout(resolve, 400));
        await heartbeat(120);
        const result = resultOf(await running);
        assert.equal(result.status, "stopped");
        assert.match(result.reason ?? "", /heartbeat/);
        assert.equal(result.k6ExitCode, 105);
        const requests = readRecordedMetrics(result.recorded).metrics.http_reqs;
        assert.ok(requests?.kind === "counter" && requests.count > 0 && requests.count < 100_000);
    });

    it("stops k6 when told to (SIGTERM), and when the maximum duration passes", async () => {
        await prepare(manifest({ segments: [0, 1], maxRunSeconds: 5 }), { ...SCENARIO, iterations: 100_000, iterationDelayMs: 2 });
        await go(0);
        const stop = new AbortController();
        const told = task("task-a", stop);
        const timed = task("task-b");
        await new Promise((resolve) => setTimeout(resolve, 300));
        stop.abort();
        clockOffsetMs = 6000;
        await heartbeat(0);
        const [toldResult, timedResult] = [resultOf(await told), resultOf(await timed)];
        assert.equal(toldResult.status, "stopped");
        assert.match(toldResult.reason ?? "", /told to stop/);
        assert.equal(timedResult.status, "stopped");
        assert.match(timedResult.reason ?? "", /maximum of 5 s/);
    });

    it("reports k6's failure with its exit code and last log lines", async () => {
        await prepare(manifest({ segments: [1] }), { ...SCENARIO, failSegmentFrom: "1/2" });
        await go(0);
        const result = resultOf(await task("task-b"));
        assert.equal(result.status, "k6-failed");
        assert.equal(result.k6ExitCode, 107);
        assert.equal(result.reason, "k6 exited with code 107");
        assert.ok(result.logTail.some((line) => line.includes("Uncaught (in promise) TypeError")));
    });

    it("says what is missing when the run has no manifest", async () => {
        await assert.rejects(task("task-a"), (error: Error) => error instanceof RunnerError && /manifest\.json does not exist/.test(error.message));
    });
});
