import * as assert from "node:assert/strict";
import { ProtocolError, SegmentResult, decodeSegmentResult, encodeSegmentResult } from "../loadgen/src/protocol";
import { SegmentRecorder } from "../loadgen/src/recorder";
import { K6JsonWriter } from "../loadgen/test/k6-json";
import { manifestFor, planRun } from "../scripts/loadtest/plan";
import { RunCollector, describeRun, formatReport, resultFile } from "../scripts/loadtest/report";

/** The task table and the verdict when a task's requests all failed, or its k6 did (report.ts). */
describe("npm run loadtest: a task that failed, named in the task table (report.ts)", () => {
    const RUN_ID = "lt-20261130T120000Z-a1b2";
    const START = Date.UTC(2026, 10, 30, 12, 0, 0);
    const REFUSED = "GET http://127.0.0.1:8000/api/health: dial: connection refused (k6 error code 1212)";
    const ABORTED = "test aborted: http://127.0.0.1:8000 did not answer at setup (file:///k6/smoke.ts:31:14(52))";

    /** A run of `tasks` local segments whose only threshold holds when no request was answered at all. */
    function collector(tasks: number) {
        const plan = planRun({
            runId: RUN_ID,
            script: "smoke",
            baseUrl: "http://127.0.0.1:8000",
            tasks,
            spot: false,
            stacks: "local",
            requirements: { durationSeconds: 30, maxVUs: 2, thresholds: { "http_req_duration{expected_response:true}": ["p(99)<1000"] } },
            confirmAboveUsd: 1,
        });
        const description = describeRun(manifestFor(plan, plan.groups[0]));
        return { description, collector: new RunCollector(description) };
    }

    /** What a task uploads: `requests` requests, refused when `down`, else answered 200. */
    function result(segment: number, requests: number, down: boolean, fields: Partial<SegmentResult> = {}): SegmentResult {
        const writer = new K6JsonWriter();
        const error = down ? { message: "dial: connection refused", code: 1212 } : undefined;
        for (let i = 0; i < requests; i++) writer.request(START + 1000 + i * 100, { name: "health", status: 200, durationMs: 3, ...(error ? { error } : {}) });
        const recorder = new SegmentRecorder({ submetrics: [], startedAt: new Date(START), exactSamplesPerSeries: 1000 });
        for (const line of writer.lines) recorder.ingest(line);
        return { version: 2, runId: RUN_ID, segment, taskId: `local-${segment}`, status: "completed", k6ExitCode: 0, logTail: [], recorded: recorder.result(), ...fields };
    }

    it("names a task whose every request failed, with the first one's error; the run fails though its thresholds held", () => {
        const { description, collector: run } = collector(2);
        run.collect("local", result(0, 5, true, { firstErrors: { request: REFUSED } }));
        run.collect("local", result(1, 5, false));
        const report = run.report([], new Date(START));

        const problem = `all 5 requests failed; k6's first error: ${REFUSED}`;
        assert.equal(report.merged.verdict, "passed");
        assert.equal(report.verdict, "failed");
        assert.deepEqual(report.errors, [`segment 0 (task local-0, local): ${problem}`]);
        const lines = formatReport(description, report, "out.json");
        const row = lines.findIndex((line) => /^ {4}0:1\/2 +local +local-0 +completed +5 +5 +0$/.test(line));
        assert.ok(row !== -1, lines.join("\n"));
        assert.equal(lines[row + 1], `      ✗ ${problem}`);
        assert.match(lines[row + 2], /^ {4}1\/2:1 +local +local-1 +completed +5 +0 +0$/);
        assert.ok(lines.includes("  VERDICT: FAILED — every request of a task failed (named above), whatever the thresholds say."));
        const file = JSON.parse(resultFile(description, report)) as { run: { verdict: string; thresholdsPassed: boolean; errors: string[] }; tasks: { problem?: string }[] };
        assert.deepEqual([file.run.verdict, file.run.thresholdsPassed, file.run.errors], ["failed", true, report.errors]);
        assert.deepEqual(file.tasks.map((task) => task.problem), [problem, undefined]);
    });

    it("names a task whose k6 failed with the first error k6 logged (its abort), before its requests'", () => {
        const { description, collector: run } = collector(1);
        const reason = "k6 exited with code 108 (ScriptAborted: the script called test.abort())";
        run.collect("local", result(0, 1, true, { status: "k6-failed", reason, k6ExitCode: 108, firstErrors: { request: REFUSED, log: ABORTED } }));
        const report = run.report(["segment 0 (task local-0, local) k6-failed: ..."], new Date(START));
        assert.equal(report.tasks[0].problem, `${reason}; k6's first error: ${ABORTED}`);
        // Its own error is ResultWatch's (one per task that did not complete): none is added.
        assert.deepEqual(report.errors, ["segment 0 (task local-0, local) k6-failed: ..."]);
        assert.equal(report.verdict, "incomplete");
        assert.ok(formatReport(description, report, "out.json").includes(`      ✗ ${reason}; k6's first error: ${ABORTED}`));
    });

    it("past 20 tasks, lists the completed ones whose every request failed besides those that did not complete", () => {
        const { description, collector: run } = collector(21);
        for (let segment = 0; segment < 21; segment++) run.collect("local", result(segment, 2, segment === 7, segment === 7 ? { firstErrors: { request: REFUSED } } : {}));
        const lines = formatReport(description, run.report([], new Date(START)), "out.json");
        assert.ok(lines.some((line) => line.endsWith("TASKS (21 segments, run lt-20261130T120000Z-a1b2): 20 completed without a problem, not listed")), lines.join("\n"));
        assert.deepEqual(lines.filter((line) => / local-\d+ /.test(line)).map((line) => line.trim().split(/ +/)[2]), ["local-7"]);
    });

    it("reads a result from a runner before firstErrors: a task whose every request failed is named without a cause", () => {
        const { collector: run } = collector(1);
        const old = decodeSegmentResult(encodeSegmentResult(result(0, 3, true)), "results/0.json.gz");
        assert.equal(old.firstErrors, undefined);
        run.collect("local", old);
        assert.equal(run.report([], new Date(START)).tasks[0].problem, "all 3 requests failed");
    });

    it("refuses a result whose firstErrors is not of this shape, naming it", () => {
        const body = encodeSegmentResult({ ...result(0, 1, true), firstErrors: { request: 1212 } } as unknown as SegmentResult);
        assert.throws(() => decodeSegmentResult(body, "results/0.json.gz"), (error: Error) => error instanceof ProtocolError && /results\/0\.json\.gz is malformed: firstErrors\.request: /.test(error.message));
    });
});
