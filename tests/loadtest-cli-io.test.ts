import * as assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summaryOutputs } from "../k6/lib/summary";
import { SegmentResult } from "../loadgen/src/protocol";
import { SegmentRecorder } from "../loadgen/src/recorder";
import { validateThresholds } from "../loadgen/src/thresholds";
import { K6JsonWriter } from "../loadgen/test/k6-json";
import { K6CliError, archiveScript, inspectArchive, k6Binary, parseGoDuration, parseInspectOutput } from "../scripts/loadtest/k6-cli";
import { manifestFor, planRun } from "../scripts/loadtest/plan";
import { RunCollector, defaultResultPath, describeRun, resultFile } from "../scripts/loadtest/report";
import { StackOutputsError, readLoadgenOutputs } from "../scripts/loadtest/stack-outputs";
import { FakeK6, installFakeK6, writeScenario } from "./fixtures/fake-k6";
import { LOADGEN_OUTPUTS, LOADGEN_OUTPUTS_FRANKFURT } from "./loadtest-stack-fixture";

/** The error a call throws; fails the test when it does not throw one of `type`. */
function thrown<T extends Error>(type: new (...args: never[]) => T, call: () => unknown): T {
    try {
        call();
    } catch (error) {
        assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
        return error;
    }
    return assert.fail(`expected a ${type.name}`);
}

async function rejection<T extends Error>(type: new (...args: never[]) => T, promise: Promise<unknown>): Promise<T> {
    const error = await promise.then(
        () => assert.fail(`expected a ${type.name}`),
        (failure: unknown) => failure,
    );
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    return error;
}

describe("npm run loadtest: k6 on this machine (k6-cli.ts)", () => {
    describe("parseGoDuration", () => {
        const durations: [string, number][] = [
            ["40m30s", 2430],
            ["1h0m0s", 3600],
            ["2h45m0s", 9900],
            ["1.5s", 1.5],
            ["1m0.25s", 60.25],
            ["500ms", 0.5],
            ["0s", 0],
        ];
        for (const [text, seconds] of durations) it(`"${text}" is ${seconds} s`, () => assert.equal(parseGoDuration(text), seconds));

        for (const text of ["", "10", "1x", "s", "1h 0m", "-1s", "1m30"]) {
            it(`refuses "${text}"`, () => {
                assert.equal(thrown(K6CliError, () => parseGoDuration(text)).message, `"${text}" is not a duration k6 prints`);
            });
        }
    });

    describe("parseInspectOutput", () => {
        // `k6 inspect --execution-requirements` of a k6/load.ts-like script, as k6 v1 prints it (options abridged).
        // A threshold with abortOnFail is an object, its delayAbortEval null when the script gave none.
        const inspect = (overrides: Record<string, unknown> = {}) =>
            JSON.stringify(
                {
                    paused: null,
                    scenarios: {
                        load: {
                            executor: "ramping-arrival-rate",
                            startTime: null,
                            gracefulStop: "30s",
                            exec: "default",
                            startRate: 0,
                            timeUnit: "1s",
                            preAllocatedVUs: 20,
                            maxVUs: 200,
                            stages: [
                                { duration: "5m", target: 100 },
                                { duration: "30m", target: 100 },
                                { duration: "5m", target: 0 },
                            ],
                        },
                    },
                    executionSegment: null,
                    executionSegmentSequence: null,
                    noSetup: null,
                    setupTimeout: null,
                    thresholds: {
                        http_req_failed: ["rate<0.01", { threshold: "rate<0.05", abortOnFail: true, delayAbortEval: null }],
                        "http_req_duration{name:count-prime}": [{ threshold: "p(99)<3000", abortOnFail: true, delayAbortEval: "1m0s" }],
                    },
                    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
                    summaryTimeUnit: null,
                    systemTags: ["check", "error", "expected_response", "group", "method", "name", "proto", "scenario", "status", "url"],
                    tags: null,
                    totalDuration: "40m30s",
                    maxVUs: 200,
                    ...overrides,
                },
                null,
                "  ",
            );

        it("reads the profile's length, its VUs, its thresholds as k6 wrote them, and the summary's statistics", () => {
            const requirements = parseInspectOutput(inspect());
            assert.deepEqual(requirements, {
                durationSeconds: 2430,
                maxVUs: 200,
                thresholds: {
                    http_req_failed: ["rate<0.01", { threshold: "rate<0.05", abortOnFail: true, delayAbortEval: null }],
                    "http_req_duration{name:count-prime}": [{ threshold: "p(99)<3000", abortOnFail: true, delayAbortEval: "1m0s" }],
                },
                summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
            });
            assert.deepEqual(validateThresholds(requirements.thresholds), []);
        });

        it("a script without thresholds or summary statistics: none", () => {
            assert.deepEqual(parseInspectOutput(inspect({ thresholds: null, summaryTrendStats: null })), { durationSeconds: 2430, maxVUs: 200, thresholds: {} });
        });

        it("refuses output that is not JSON, quoting its start", () => {
            const error = thrown(K6CliError, () => parseInspectOutput('time="2026-11-30T12:00:00Z" level=error msg="could not open archive"'));
            assert.equal(error.message, 'k6 inspect printed something that is not JSON: time="2026-11-30T12:00:00Z" level=error msg="could not open archive"');
        });

        it("refuses JSON without what the command needs, naming it", () => {
            const cases: [Record<string, unknown>, RegExp][] = [
                [{ totalDuration: undefined }, /^k6 inspect's output lacks what the command needs: totalDuration: /],
                [{ maxVUs: -1 }, /^k6 inspect's output lacks what the command needs: maxVUs: /],
                [{ thresholds: { http_req_failed: "rate<0.01" } }, /^k6 inspect's output lacks what the command needs: thresholds\.http_req_failed: /],
            ];
            for (const [overrides, message] of cases) assert.match(thrown(K6CliError, () => parseInspectOutput(inspect(overrides))).message, message);
            assert.match(thrown(K6CliError, () => parseInspectOutput(inspect({ totalDuration: "forever" }))).message, /"forever" is not a duration k6 prints/);
        });
    });

    describe("archive and inspect, with the fake k6", () => {
        let fakeK6: FakeK6;
        let dir: string;
        before(async () => {
            fakeK6 = installFakeK6();
            dir = await mkdtemp(join(tmpdir(), "loadtest-k6-cli-"));
        });
        after(async () => {
            fakeK6.remove();
            await rm(dir, { recursive: true, force: true });
        });

        it("k6 from K6_BINARY, else from PATH", () => {
            assert.equal(k6Binary({ K6_BINARY: "/opt/k6/k6" }), "/opt/k6/k6");
            assert.equal(k6Binary({}), "k6");
        });

        it("packs the script with its -e values, then reads its requirements from the archive", async () => {
            const script = writeScenario(dir, { thresholds: { checks: ["rate>0.9"] }, totalDuration: "1m30s", maxVUs: 12, iterations: 10 });
            const archive = join(dir, "archive.tar");

            await archiveScript(k6Binary({}), script, [["BASE_URL", "https://dev.example.com"], ["QUERY", "a=b c"]], archive, dir);

            const packed = JSON.parse(await readFile(archive, "utf8")) as { env: Record<string, string> };
            assert.deepEqual(packed.env, { BASE_URL: "https://dev.example.com", QUERY: "a=b c" });
            assert.deepEqual(await inspectArchive(k6Binary({}), archive, dir), { durationSeconds: 90, maxVUs: 12, thresholds: { checks: ["rate>0.9"] } });
        });

        it("k6 failing: names the command, its exit code and k6's last lines", async () => {
            const script = writeScenario(dir, { thresholds: {}, totalDuration: "1s", maxVUs: 1, iterations: 1 }, "bad.json");
            const error = await rejection(K6CliError, archiveScript("k6", script, [["PEAK_RATE", "lots"]], join(dir, "bad.tar"), dir));
            assert.equal(error.message, `k6 archive ${script} failed (exit 107):\n  level=error msg="-e PEAK_RATE=lots is invalid: expected a whole number"`);
        });

        it("no k6: says to install it or set K6_BINARY", async () => {
            const missing = join(dir, "no-such-k6");
            const error = await rejection(K6CliError, archiveScript(missing, "k6/load.ts", [], join(dir, "x.tar"), dir));
            assert.equal(error.message, `k6 is not installed here (no "${missing}"): install it (https://grafana.com/docs/k6/latest/set-up/install-k6/) or set K6_BINARY`);
        });
    });
});

describe("npm run loadtest: a loadgen stack's outputs (stack-outputs.ts)", () => {
    const outputsOf = (outputs: Record<string, unknown>) => {
        const asked: string[] = [];
        const read = async (stack: string) => {
            asked.push(stack);
            return outputs;
        };
        return { read, asked };
    };
    const failure = (stack: string, outputs: Record<string, unknown>) => rejection(StackOutputsError, readLoadgenOutputs(stack, outputsOf(outputs).read));
    const without = (...names: string[]) => Object.fromEntries(Object.entries(LOADGEN_OUTPUTS).filter(([name]) => !names.includes(name)));

    it("reads a loadgen stack's outputs, and only those", async () => {
        const { read, asked } = outputsOf({ ...LOADGEN_OUTPUTS, someOtherOutput: "x" });
        assert.deepEqual(await readLoadgenOutputs("loadgen-eu", read), LOADGEN_OUTPUTS);
        assert.deepEqual(asked, ["loadgen-eu"]);
    });

    it("a stack with none of them: not a loadgen stack, or not deployed", async () => {
        const error = await failure("dev", { albDnsName: "dev-alb-123.eu-west-1.elb.amazonaws.com", serviceName: "prime-counter" });
        assert.equal(error.message, "stack dev has none of a loadgen stack's outputs: is it a loadgen stack (ecs-loadlab:role: loadgen), and deployed (pulumi up -s dev)?");
    });

    it("a stack missing some: names them", async () => {
        const error = await failure("loadgen", without("bucketName", "taskCpu"));
        assert.equal(error.message, "stack loadgen lacks the outputs bucketName, taskCpu: update it with this checkout (pulumi up -s loadgen)");
    });

    it("an output of the wrong type or form: names it", async () => {
        const error = await failure("loadgen", { ...LOADGEN_OUTPUTS, taskCpu: "2048", accountId: "1111" });
        assert.match(error.message, /^stack loadgen's outputs are not what a loadgen stack exports: accountId: .+; taskCpu: .+/);
    });

    it("the reader failing: names the stack and the Pulumi CLI, with what the CLI said", async () => {
        // The Automation API's errors as @pulumi/pulumi/automation words them (CommandResult.toString; execa's spawn error).
        const stackNotFound = "code: 255\n stdout: \n stderr: error: no stack named 'loadgen' found\n\n err?: Error: Command failed with exit code 255: pulumi stack select --stack loadgen\n";
        const cases: [unknown, string][] = [
            [Object.assign(new Error(stackNotFound), { name: "StackNotFoundError" }), "error: no stack named 'loadgen' found"],
            [new Error("code: -2\n stdout: \n stderr: \n err?: Error: spawn pulumi ENOENT\n"), "Error: spawn pulumi ENOENT"],
            [new Error("Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT"), "Command failed with ENOENT: pulumi version"],
            ["pulumi: command not found", "pulumi: command not found"],
        ];
        for (const [thrownByReader, detail] of cases) {
            const read = () => Promise.reject(thrownByReader);
            const error = await rejection(StackOutputsError, readLoadgenOutputs("loadgen", read));
            assert.equal(error.message, `cannot read the outputs of stack loadgen with the Pulumi CLI: ${detail}`);
        }
    });
});

describe("npm run loadtest: the result file (report.ts)", () => {
    const RUN_ID = "lt-20261130T120000Z-a1b2";
    const START = Date.UTC(2026, 10, 30, 12, 0, 0);
    const BASE_URL = "https://dev.example.com";
    const at = (ms: number) => new Date(START + ms).toISOString();
    const plan = planRun({
        runId: RUN_ID,
        script: "load",
        baseUrl: BASE_URL,
        tasks: 2,
        spot: false,
        stacks: [
            { name: "loadgen-eu", outputs: LOADGEN_OUTPUTS },
            { name: "loadgen-fra", outputs: LOADGEN_OUTPUTS_FRANKFURT },
        ],
        requirements: { durationSeconds: 120, maxVUs: 2, thresholds: { http_req_failed: ["rate<0.05"], "http_req_duration{name:count-prime}": ["p(95)<500"] } },
        confirmAboveUsd: 1,
    });

    /** What one task uploads: a request a second from the run's start, one in ten a 500. */
    function segmentResult(segment: number, requests: number, fields: Pick<SegmentResult, "taskId" | "status" | "k6ExitCode" | "k6StartedAt" | "k6FinishedAt"> & { reason?: string }): SegmentResult {
        const writer = new K6JsonWriter();
        for (let i = 0; i < requests; i++) {
            const status = i % 10 === 3 ? 500 : 200;
            writer.request(START + 2000 + i * 1000, { name: "count-prime", status, durationMs: 10 + ((i * 37 + segment * 11) % 90) });
            writer.check(START + 2000 + i * 1000, "status is 200", status === 200);
        }
        const recorder = new SegmentRecorder({ submetrics: plan.submetrics, startedAt: new Date(START), seriesStepSeconds: 60, exactSamplesPerSeries: plan.exactSamplesPerTask });
        for (const line of writer.lines) recorder.ingest(line);
        return { version: 2, runId: RUN_ID, segment, logTail: [], recorded: recorder.result(), ...fields };
    }

    const stopped = "segment 1 (task b2, loadgen-fra) stopped: the heartbeat went stale";
    const description = describeRun(manifestFor(plan, plan.groups[0]));
    const collector = new RunCollector(description);
    collector.collect("loadgen-fra", segmentResult(1, 80, { taskId: "b2", status: "stopped", reason: "the heartbeat went stale", k6ExitCode: 105, k6StartedAt: at(1500), k6FinishedAt: at(130_500) }));
    collector.collect("loadgen-eu", segmentResult(0, 120, { taskId: "a1", status: "completed", k6ExitCode: 0, k6StartedAt: at(1000), k6FinishedAt: at(125_000) }));
    const report = collector.report([stopped], new Date(START));

    it("defaultResultPath: under k6/results, named for the script and the end time, apart from single runs' files", () => {
        assert.equal(defaultResultPath("load", new Date("2026-11-30T12:34:56.789Z")), "k6/results/load-20261130T123456Z-distributed.json");
    });

    it("has the run and k6 parts of a single k6 run's summary file (the timeline reads both), plus series and tasks", () => {
        const distributed = JSON.parse(resultFile(description, report)) as Record<string, Record<string, unknown>>;
        const jsonPath = "k6/results/load.json";
        const outputs = summaryOutputs(report.merged.summary, { script: "load", baseUrl: BASE_URL, settings: {} }, jsonPath, new Date(report.window.finishedAt));
        const single = JSON.parse(outputs[jsonPath]) as Record<string, Record<string, unknown>>;

        assert.deepEqual(Object.keys(single), ["run", "k6"]);
        assert.deepEqual(Object.keys(distributed), ["run", "k6", "series", "tasks"]);
        assert.deepEqual(distributed.k6, single.k6);
        assert.deepEqual(Object.keys(distributed.run), [...Object.keys(single.run), "verdict", "errors"]);
        // A single run's window is its test run duration back from its end; a distributed one's is the tasks' k6 runs,
        // from the first start to the last end, which holds the longest segment's duration.
        const window = ["startedAt", "durationSeconds", "settings"];
        for (const key of Object.keys(single.run).filter((name) => !window.includes(name))) assert.deepEqual(distributed.run[key], single.run[key], key);
        assert.deepEqual(
            [distributed.run.startedAt, distributed.run.finishedAt, distributed.run.durationSeconds],
            [at(1000), at(130_500), 129.5],
        );
        assert.equal(distributed.run.thresholdsPassed, false);
        // A segment stopped early: its thresholds saw part of the run.
        assert.equal(distributed.run.verdict, "incomplete");
        assert.deepEqual(distributed.run.failedThresholds, ["http_req_failed: rate<0.05"]);
        assert.deepEqual(distributed.run.errors, [stopped]);
        const { percentiles, ...settings } = distributed.run.settings as { percentiles: { budget: number; series: Record<string, { mode: string; count: number }> } };
        assert.deepEqual(settings, {
            runId: RUN_ID,
            distributed: {
                segments: 2,
                stacks: [
                    { stack: "loadgen-eu", segments: [0] },
                    { stack: "loadgen-fra", segments: [1] },
                ],
                spot: false,
                missingSegments: [],
            },
            // No segment reported k6's own duration: the longest segment's k6 process, start to end.
            testRunDuration: { ms: 129_000, source: "wall clock" },
        });
        // Every trend series is exact (200 samples, far under the budget), and says so.
        assert.equal(percentiles.budget, 10_000_000);
        assert.deepEqual(percentiles.series["http_req_duration{name:count-prime}"], { mode: "exact", count: 200 });
        assert.deepEqual(percentiles.series["http_req_duration{expected_response:true}"], { mode: "exact", count: 180 });
        assert.ok(Object.values(percentiles.series).every(({ mode }) => mode === "exact"));
    });

    it("tasks: a row per segment with its requests; series: the whole run's requests, per minute", () => {
        const file = JSON.parse(resultFile(description, report)) as { tasks: unknown[]; series: { stepSeconds: number; rows: { t: number; requests: number; failed: number }[] } };
        assert.deepEqual(file.tasks, [
            { segment: "0:1/2", stack: "loadgen-eu", taskId: "a1", status: "completed", k6ExitCode: 0, requests: 120, failedRequests: 12 },
            { segment: "1/2:1", stack: "loadgen-fra", taskId: "b2", status: "stopped", reason: "the heartbeat went stale", k6ExitCode: 105, requests: 80, failedRequests: 8 },
        ]);
        assert.equal(file.series.stepSeconds, 60);
        assert.deepEqual(
            file.series.rows.map(({ t, requests, failed }) => ({ t, requests, failed })),
            [
                { t: 0, requests: 58 + 58, failed: 6 + 6 },
                { t: 60, requests: 60 + 22, failed: 6 + 2 },
                { t: 120, requests: 2, failed: 0 },
            ],
        );
    });
});
