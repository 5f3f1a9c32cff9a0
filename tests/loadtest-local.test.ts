import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { CommandContext, EXIT, main } from "../scripts/loadtest/main";
import { FakeScenario, fakeK6Workspace, fifosUnder, writeScenario } from "./fixtures/fake-k6";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `npm run loadtest -- ...` in-process, with the fake k6 on PATH and no AWS. */
async function loadtest(argv: string[], interrupt = new AbortController().signal, onPrint: (line: string) => void = () => undefined) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const context: CommandContext = {
        print: (line) => {
            stdout.push(line);
            onPrint(line);
        },
        printError: (line) => stderr.push(line),
        interactive: false,
        ask: async () => assert.fail("a local run never asks"),
        readOutputs: async () => assert.fail("a local run reads no stack"),
        clients: () => assert.fail("a local run calls no AWS"),
        observe: async () => assert.fail("a run without --target observes nothing"),
        evidenceClients: () => assert.fail("a run without --target records nothing"),
        interrupt,
        env: { ...process.env, K6_BINARY: undefined },
        now: () => new Date(),
    };
    const status = await main(argv, context);
    return { status, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

interface ResultFile {
    run: { script: string; verdict: string; thresholdsPassed: boolean; failedThresholds: string[]; errors: string[]; settings: { runId: string; testRunDuration: { source: string } } };
    k6: { metrics: Record<string, { type: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }> };
    series: { stepSeconds: number; rows: { requests: number }[] };
    tasks: { segment: string; status: string; requests: number; problem?: string }[];
}

const SCENARIO: FakeScenario = {
    thresholds: {
        http_req_failed: ["rate<=0.05", { threshold: "rate<0.1", abortOnFail: true, delayAbortEval: "1m" }],
        "http_req_duration{name:count-prime}": ["p(99)<3000"],
        checks: ["rate>=0.9"],
    },
    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
    totalDuration: "3s",
    maxVUs: 6,
    iterations: 1201,
};

describe("npm run loadtest -- --local (fake k6 on PATH)", function () {
    this.timeout(30_000);
    const workspace = fakeK6Workspace("loadtest-");

    const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as ResultFile;
    const runDirOf = (file: ResultFile) => join(__dirname, "..", "k6", "results", file.run.settings.runId);

    it("splits the run into 8 segments and merges them into exactly the unsplit run's result (k6 v2.2's formats)", async () => {
        const scenario = writeScenario(workspace.dir, SCENARIO);
        const [split, whole] = await Promise.all([
            loadtest(["--local", "--tasks", "8", scenario, "-e", "BASE_URL=http://127.0.0.1:8000", "--out", join(workspace.dir, "split.json")]),
            loadtest(["--local", "--tasks", "1", scenario, "--out", join(workspace.dir, "whole.json")]),
        ]);
        assert.equal(split.status, EXIT.passed, split.stderr);
        assert.equal(whole.status, EXIT.passed, whole.stderr);

        const [splitFile, wholeFile] = [read(join(workspace.dir, "split.json")), read(join(workspace.dir, "whole.json"))];
        assert.equal(splitFile.k6.metrics.http_reqs.values.count, SCENARIO.iterations);
        for (const name of ["http_req_duration", "http_req_duration{name:count-prime}", "http_req_failed", "checks"]) {
            assert.deepEqual(splitFile.k6.metrics[name].values, wholeFile.k6.metrics[name].values, name);
            assert.deepEqual(splitFile.k6.metrics[name].thresholds, wholeFile.k6.metrics[name].thresholds, name);
        }
        assert.equal(splitFile.run.thresholdsPassed, true);
        assert.equal(splitFile.run.verdict, "passed");
        assert.equal(splitFile.run.settings.testRunDuration.source, "k6");
        assert.deepEqual(
            splitFile.tasks.map((task) => [task.segment, task.status]),
            ["0:1/8", "1/8:2/8", "2/8:3/8", "3/8:4/8", "4/8:5/8", "5/8:6/8", "6/8:7/8", "7/8:1"].map((segment) => [segment, "completed"]),
        );
        assert.equal(splitFile.tasks.reduce((sum, task) => sum + task.requests, 0), SCENARIO.iterations);
        assert.equal(splitFile.series.rows.reduce((sum, row) => sum + row.requests, 0), SCENARIO.iterations);

        // Each segment's k6 worked in its own directory: the scripts' own summary files do not collide.
        const runDir = runDirOf(splitFile);
        const summaries = readdirSync(runDir)
            .filter((name) => name.startsWith("task-"))
            .map((name) => JSON.parse(readFileSync(join(runDir, name, "summary.json"), "utf8")) as { iterations: number });
        assert.equal(summaries.length, 8);
        assert.equal(summaries.reduce((sum, summary) => sum + summary.iterations, 0), SCENARIO.iterations);

        assert.match(split.stdout, /Run lt-\d{8}T\d{6}Z-[a-z0-9]{4}: scenario as 8 segments, 0m03s of profile/);
        assert.match(split.stdout, /abortOnFail/);
        assert.match(split.stdout, /THRESHOLDS: all passed/);
        assert.match(split.stdout, /Percentiles are exact/);
        // Each task's k6 output pipe went when its k6 did: the run leaves only files.
        assert.deepEqual(fifosUnder(runDir), []);
        await rm(runDir, { recursive: true, force: true });
        await rm(runDirOf(wholeFile), { recursive: true, force: true });
    });

    it("exits 99 when a threshold fails over the merged run, as k6 does", async () => {
        const scenario = writeScenario(workspace.dir, { ...SCENARIO, thresholds: { http_req_failed: ["rate<0.001"] } });
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--out", join(workspace.dir, "out.json")]);
        assert.equal(result.status, EXIT.thresholdsFailed, result.stderr);
        const file = read(join(workspace.dir, "out.json"));
        assert.deepEqual(file.run.failedThresholds, ["http_req_failed: rate<0.001"]);
        assert.match(result.stdout, /1 of 1 FAILED/);
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("fails the run, naming the segment and its task, when k6 fails in one segment; the others' data is kept", async () => {
        const scenario = writeScenario(workspace.dir, { ...SCENARIO, failSegmentFrom: "1/3" });
        const result = await loadtest(["--local", "--tasks", "3", scenario, "--out", join(workspace.dir, "out.json")]);
        assert.equal(result.status, EXIT.failed);
        const file = read(join(workspace.dir, "out.json"));
        assert.equal(file.run.errors.length, 1);
        assert.match(file.run.errors[0], /^segment 1 \(task local-\d, local\) k6-failed: k6 exited with code 107/);
        assert.match(result.stdout, /THE RUN FAILED/);
        assert.ok(file.k6.metrics.http_reqs.values.count > 0 && file.k6.metrics.http_reqs.values.count < SCENARIO.iterations);
        assert.deepEqual(fifosUnder(runDirOf(file)), []);
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("on Ctrl-C stops every local k6, merges what they recorded as incomplete, exits 130; merge <folder> redoes it", async () => {
        const scenario = writeScenario(workspace.dir, { ...SCENARIO, iterations: 100_000, iterationDelayMs: 5, startedMarker: "k6-started" });
        const interrupt = new AbortController();
        /** Ctrl-C once every task's k6 handles it and has run a while: a k6 killed as it starts records nothing. */
        const interruptOnceRunning = async (runId: string) => {
            const markers = [0, 1].map((task) => join(__dirname, "..", "k6", "results", runId, `task-${task}`, "k6-started"));
            while (!markers.every((marker) => existsSync(marker))) await pause(20);
            await pause(300);
            interrupt.abort();
        };
        const onPrint = (line: string) => {
            const runId = /^Run (lt-\S+):/.exec(line)?.[1];
            if (runId !== undefined) void interruptOnceRunning(runId);
        };
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--out", join(workspace.dir, "out.json")], interrupt.signal, onPrint);
        assert.equal(result.status, EXIT.interrupted, result.stderr);
        assert.match(result.stdout, /local-0 \(local k6 process\) stopped/);
        assert.match(result.stdout, /local-1 \(local k6 process\) stopped/);
        assert.match(result.stdout, /VERDICT: INCOMPLETE/);
        const file = read(join(workspace.dir, "out.json"));
        assert.equal(file.run.verdict, "incomplete");
        assert.deepEqual(file.tasks.map((task) => task.status), ["stopped", "stopped"]);
        const requests = file.k6.metrics.http_reqs.values.count;
        assert.ok(requests > 0 && requests < 100_000);
        const folder = /npm run loadtest -- merge (\S+)/.exec(result.stderr)?.[1];
        assert.ok(folder, result.stderr);
        assert.deepEqual(fifosUnder(runDirOf(file)), []);

        const again = await loadtest(["merge", folder, "--out", join(workspace.dir, "again.json")]);
        assert.equal(again.status, EXIT.failed, again.stderr);
        const merged = read(join(workspace.dir, "again.json"));
        assert.deepEqual(merged.k6, file.k6);
        assert.equal(merged.run.verdict, "incomplete");
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("names each task whose requests all failed against a target that is down, with k6's first error; the run fails, and merge keeps it", async () => {
        // The only threshold judges answered requests: with none answered it holds, and k6 exits 0 in each task.
        const scenario = writeScenario(workspace.dir, { ...SCENARIO, iterations: 200, deadTarget: true, thresholds: { "http_req_duration{expected_response:true}": ["p(99)<1000"] } });
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--out", join(workspace.dir, "out.json")]);
        assert.equal(result.status, EXIT.failed, result.stderr);
        const file = read(join(workspace.dir, "out.json"));
        const problem = "all 100 requests failed; k6's first error: GET http://127.0.0.1:8000/api/health: dial: connection refused (k6 error code 1212)";
        assert.deepEqual(file.tasks.map((task) => [task.status, task.problem]), [["completed", problem], ["completed", problem]]);
        assert.equal(file.run.thresholdsPassed, true);
        assert.equal(file.run.verdict, "failed");
        assert.deepEqual(file.run.errors, [`segment 0 (task local-0, local): ${problem}`, `segment 1 (task local-1, local): ${problem}`]);
        assert.match(result.stdout, /\n {4}0:1\/2 +local +local-0 +completed +100 +100 +0\n {6}✗ all 100 requests failed; k6's first error: GET http:\/\/127\.0\.0\.1:8000\/api\/health: dial: connection refused/);
        assert.deepEqual(fifosUnder(runDirOf(file)), []);

        const again = await loadtest(["merge", runDirOf(file), "--out", join(workspace.dir, "again.json")]);
        assert.equal(again.status, EXIT.failed, again.stderr);
        const merged = read(join(workspace.dir, "again.json"));
        assert.deepEqual([merged.tasks, merged.run.verdict, merged.run.errors], [file.tasks, file.run.verdict, file.run.errors]);
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("names each task whose k6 aborted in setup() (exit 108, no iteration) with k6's abort line, and leaves only files", async () => {
        const reason = "GET http://127.0.0.1:8000/api/health got no answer (dial: connection refused), so no load was sent: start the service with `npm start`";
        const scenario = writeScenario(workspace.dir, { ...SCENARIO, deadTarget: true, setupAbort: reason });
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--out", join(workspace.dir, "out.json")]);
        assert.equal(result.status, EXIT.failed, result.stderr);
        const file = read(join(workspace.dir, "out.json"));
        const aborted = `k6 exited with code 108 (ScriptAborted: the script called test.abort()); k6's first error: test aborted: ${reason} at setup (file:///k6/scenario.ts:31:14(52))`;
        assert.deepEqual(file.tasks.map((task) => [task.status, task.requests, task.problem]), [["k6-failed", 1, aborted], ["k6-failed", 1, aborted]]);
        assert.equal(file.run.verdict, "incomplete");
        assert.match(result.stdout, /\n {4}0:1\/2 +local +local-0 +k6-failed +1 +0 +108\n/);
        assert.ok(result.stdout.includes(`\n      ✗ ${aborted}\n`), result.stdout);
        assert.ok(file.run.errors.includes(`segment 0 (task local-0, local) k6-failed: ${aborted}`), file.run.errors.join("\n"));
        assert.deepEqual(fifosUnder(runDirOf(file)), []);
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("refuses a local k6 older than v1", async () => {
        const scenario = writeScenario(workspace.dir, SCENARIO);
        process.env.FAKE_K6_VERSION = "v0.57.0";
        try {
            const result = await loadtest(["--local", "--tasks", "2", scenario]);
            assert.equal(result.status, EXIT.badInput);
            assert.match(result.stderr, /k6 v0\.57\.0 .*: the load runner needs k6 v1 or later/);
        } finally {
            delete process.env.FAKE_K6_VERSION;
        }
    });

    it("prints the plan and starts nothing with --dry-run", async () => {
        const scenario = writeScenario(workspace.dir, SCENARIO);
        const result = await loadtest(["--local", "--tasks", "4", scenario, "--dry-run"]);
        assert.equal(result.status, EXIT.passed, result.stderr);
        assert.match(result.stdout, /local: 4 k6 processes\n {4}segments 0:1\/4 1\/4:2\/4 2\/4:3\/4 3\/4:1/);
        assert.match(result.stdout, /Dry run: nothing started/);
    });

    it("refuses bad input with exit 2 and says why", async () => {
        const scenario = writeScenario(workspace.dir, SCENARIO);
        const cases: [string[], RegExp][] = [
            [["--local", "--tasks", "2", join(workspace.dir, "missing.ts")], /missing\.ts does not exist/],
            [["--local", "--tasks", "2", scenario, "-e", "PEAK_RATE=lots"], /k6 archive .* failed \(exit 107\):\n.*PEAK_RATE=lots is invalid/],
            [["--local", "--tasks", "0", scenario], /--tasks must be a whole number from 1 to 1000/],
            [["--local", "--tasks", "2", scenario, "-e", "SUMMARY_PATH=x.json"], /SUMMARY_PATH is set by the runner/],
            [["--local", "--stack", "loadgen", "--tasks", "2", scenario], /--local runs k6 on this machine: leave out --stack/],
            [["--tasks", "2", scenario], /name the loadgen stack/],
            [["--local", "--tasks", "2", "--yes", scenario], /--local does not take --yes/],
        ];
        for (const [argv, message] of cases) {
            const result = await loadtest(argv);
            assert.equal(result.status, EXIT.badInput, argv.join(" "));
            assert.match(result.stderr, message);
        }
        const badThresholds = writeScenario(workspace.dir, { ...SCENARIO, thresholds: { http_req_duration: ["p99 < 300"] } }, "bad.json");
        const result = await loadtest(["--local", "--tasks", "2", badThresholds]);
        assert.equal(result.status, EXIT.badInput);
        assert.match(result.stderr, /thresholds cannot be judged:\n {2}http_req_duration: p99 < 300/);
    });
});
