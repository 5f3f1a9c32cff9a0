import * as assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandContext, EXIT, main } from "../scripts/loadtest/main";
import { FakeK6, FakeScenario, installFakeK6, writeScenario } from "./fixtures/fake-k6";

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
    tasks: { segment: string; status: string; requests: number }[];
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
    let fakeK6: FakeK6;
    let dir: string;
    before(() => {
        fakeK6 = installFakeK6();
    });
    after(() => fakeK6.remove());
    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "loadtest-"));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as ResultFile;
    const runDirOf = (file: ResultFile) => join(__dirname, "..", "k6", "results", file.run.settings.runId);

    it("splits the run into 8 segments and merges them into exactly the unsplit run's result (k6 v2.2's formats)", async () => {
        const scenario = writeScenario(dir, SCENARIO);
        const [split, whole] = await Promise.all([
            loadtest(["--local", "--tasks", "8", scenario, "-e", "BASE_URL=http://127.0.0.1:8000", "--out", join(dir, "split.json")]),
            loadtest(["--local", "--tasks", "1", scenario, "--out", join(dir, "whole.json")]),
        ]);
        assert.equal(split.status, EXIT.passed, split.stderr);
        assert.equal(whole.status, EXIT.passed, whole.stderr);

        const [splitFile, wholeFile] = [read(join(dir, "split.json")), read(join(dir, "whole.json"))];
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
        await rm(runDir, { recursive: true, force: true });
        await rm(runDirOf(wholeFile), { recursive: true, force: true });
    });

    it("exits 99 when a threshold fails over the merged run, as k6 does", async () => {
        const scenario = writeScenario(dir, { ...SCENARIO, thresholds: { http_req_failed: ["rate<0.001"] } });
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--out", join(dir, "out.json")]);
        assert.equal(result.status, EXIT.thresholdsFailed, result.stderr);
        const file = read(join(dir, "out.json"));
        assert.deepEqual(file.run.failedThresholds, ["http_req_failed: rate<0.001"]);
        assert.match(result.stdout, /1 of 1 FAILED/);
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("fails the run, naming the segment and its task, when k6 fails in one segment; the others' data is kept", async () => {
        const scenario = writeScenario(dir, { ...SCENARIO, failSegmentFrom: "1/3" });
        const result = await loadtest(["--local", "--tasks", "3", scenario, "--out", join(dir, "out.json")]);
        assert.equal(result.status, EXIT.failed);
        const file = read(join(dir, "out.json"));
        assert.equal(file.run.errors.length, 1);
        assert.match(file.run.errors[0], /^segment 1 \(task local-\d, local\) k6-failed: k6 exited with code 107/);
        assert.match(result.stdout, /THE RUN FAILED/);
        assert.ok(file.k6.metrics.http_reqs.values.count > 0 && file.k6.metrics.http_reqs.values.count < SCENARIO.iterations);
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("on Ctrl-C stops every local k6, merges what they recorded as incomplete, exits 130; merge <folder> redoes it", async () => {
        const scenario = writeScenario(dir, { ...SCENARIO, iterations: 100_000, iterationDelayMs: 5 });
        const interrupt = new AbortController();
        const onPrint = (line: string) => {
            if (line.startsWith("Every task is ready: go at")) setTimeout(() => interrupt.abort(), 800);
        };
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--out", join(dir, "out.json")], interrupt.signal, onPrint);
        assert.equal(result.status, EXIT.interrupted, result.stderr);
        assert.match(result.stdout, /local-0 \(local k6 process\) stopped/);
        assert.match(result.stdout, /local-1 \(local k6 process\) stopped/);
        assert.match(result.stdout, /VERDICT: INCOMPLETE/);
        const file = read(join(dir, "out.json"));
        assert.equal(file.run.verdict, "incomplete");
        assert.deepEqual(file.tasks.map((task) => task.status), ["stopped", "stopped"]);
        const requests = file.k6.metrics.http_reqs.values.count;
        assert.ok(requests > 0 && requests < 100_000);
        const folder = /npm run loadtest -- merge (\S+)/.exec(result.stderr)?.[1];
        assert.ok(folder, result.stderr);

        const again = await loadtest(["merge", folder, "--out", join(dir, "again.json")]);
        assert.equal(again.status, EXIT.failed, again.stderr);
        const merged = read(join(dir, "again.json"));
        assert.deepEqual(merged.k6, file.k6);
        assert.equal(merged.run.verdict, "incomplete");
        await rm(runDirOf(file), { recursive: true, force: true });
    });

    it("refuses a local k6 older than v1", async () => {
        const scenario = writeScenario(dir, SCENARIO);
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
        const scenario = writeScenario(dir, SCENARIO);
        const result = await loadtest(["--local", "--tasks", "4", scenario, "--dry-run"]);
        assert.equal(result.status, EXIT.passed, result.stderr);
        assert.match(result.stdout, /local: 4 k6 processes\n {4}segments 0:1\/4 1\/4:2\/4 2\/4:3\/4 3\/4:1/);
        assert.match(result.stdout, /Dry run: nothing started/);
    });

    it("refuses bad input with exit 2 and says why", async () => {
        const scenario = writeScenario(dir, SCENARIO);
        const cases: [string[], RegExp][] = [
            [["--local", "--tasks", "2", join(dir, "missing.ts")], /missing\.ts does not exist/],
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
        const badThresholds = writeScenario(dir, { ...SCENARIO, thresholds: { http_req_duration: ["p99 < 300"] } }, "bad.json");
        const result = await loadtest(["--local", "--tasks", "2", badThresholds]);
        assert.equal(result.status, EXIT.badInput);
        assert.match(result.stderr, /thresholds cannot be judged:\n {2}http_req_duration: p99 < 300/);
    });
});
