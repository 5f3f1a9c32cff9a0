import assert from "node:assert/strict";
import {
    DEFAULT_OPTIONS,
    LOAD_PERCENTS,
    MAX_QUEUE,
    QUIET_CORES,
    RunResult,
    Sample,
    UsageError,
    WindowStats,
    calibrationLimits,
    capacityRps,
    checkProfile,
    disturbed,
    formatOverhead,
    formatTable,
    impliedOverhead,
    measurementWindow,
    medianLoads,
    parseArgs,
    predict,
    schedule,
    simulatedSamples,
    windowStats,
} from "../scripts/timeline/model-check";
import { DEFAULT_ASSUMPTIONS } from "../scripts/timeline/simulate/assumptions";
import type { TimelineRow } from "../scripts/timeline/timeline";

const stats = (overrides: Partial<WindowStats> = {}): WindowStats => ({
    requests: 100,
    p50Ms: 20,
    p99Ms: 40,
    okP50Ms: 20,
    okP99Ms: 40,
    shedPercent: 0,
    errors: 0,
    ...overrides,
});

const row = (t: number, servedRps: number, shedRps: number): TimelineRow => ({
    t,
    offeredRps: servedRps + shedRps,
    servedRps,
    shedRps,
    cpuAverage: null,
    cpuMaximum: null,
    desiredTasks: 1,
    pendingTasks: 0,
    runningTasks: 1,
    p50Ms: null,
    p99Ms: null,
});

describe("timeline model check: command line", () => {
    it("defaults to 3 runs of 15 s after a 3 s warm-up, predicting with the simulation's request overhead", () => {
        assert.deepEqual(parseArgs([]), DEFAULT_OPTIONS);
        assert.deepEqual(DEFAULT_OPTIONS, { seconds: 15, warmupSeconds: 3, runs: 3, overheadPercent: DEFAULT_ASSUMPTIONS.requestOverheadPercent });
    });

    it("reads --seconds, --warmup, --runs and --overhead-percent, with or without =", () => {
        assert.deepEqual(parseArgs(["--seconds", "20", "--runs=5", "--warmup", "0", "--overhead-percent", "3.5"]), {
            seconds: 20,
            warmupSeconds: 0,
            runs: 5,
            overheadPercent: 3.5,
        });
        assert.equal(parseArgs(["--help"]), "help");
    });

    it("refuses anything else with the usage line", () => {
        for (const argv of [["--seconds", "0"], ["--runs"], ["--runs", "1.5"], ["--warmup", "-1"], ["--bogus", "1"], ["--seconds", "601"], ["--overhead-percent", "x"]]) {
            assert.throws(() => parseArgs(argv), (error: unknown) => error instanceof UsageError && /usage: npx tsx scripts\/timeline\/model-check\.ts/.test(error.message), argv.join(" "));
        }
    });
});

describe("timeline model check: the load", () => {
    it("computes capacity as vCPUs × 1000 / CPU ms, and the default queue as 32 per worker", () => {
        assert.equal(capacityRps(2, 20), 100);
        assert.equal(capacityRps(2, 12.5), 160);
        assert.equal(MAX_QUEUE, 64);
        assert.deepEqual([...LOAD_PERCENTS], [50, 90, 120]);
    });

    it("runs a constant rate through flat one-second ramps, and measures after the warm-up", () => {
        const profile = checkProfile(90, { seconds: 15, warmupSeconds: 3 });
        assert.equal(profile.startRate, 90);
        assert.equal(profile.peakRate, 90);
        assert.deepEqual([profile.rampUpSeconds, profile.holdSeconds, profile.rampDownSeconds, profile.cooldownSeconds], [1, 18, 1, 0]);
        assert.deepEqual(measurementWindow({ seconds: 15, warmupSeconds: 3 }), { from: 4, to: 19 });
    });

    it("starts requests evenly, as k6's constant arrival rate does, up to the window's end", () => {
        const times = schedule(checkProfile(50, { seconds: 2, warmupSeconds: 1 }), 4);
        assert.equal(times.length, 200);
        assert.equal(times[0], 0);
        for (let i = 1; i < times.length; i++) assert.ok(Math.abs(times[i] - times[i - 1] - 0.02) < 1e-9, `gap ${i}`);
        assert.ok(times[times.length - 1] < 4);
    });

    it("calibrates at limits spread evenly over the range, ends included", () => {
        assert.deepEqual(calibrationLimits({ min: 280_000, max: 420_000 }, 5), [280_000, 315_000, 350_000, 385_000, 420_000]);
        assert.deepEqual(calibrationLimits({ min: 300_000, max: 300_000 }, 5), [300_000]);
    });
});

describe("timeline model check: statistics", () => {
    it("takes nearest-rank percentiles over every response and over the 200s, and the 503 share over all requests", () => {
        const samples: Sample[] = [
            ...Array.from({ length: 90 }, (_, i) => ({ latencyMs: 10 + i, status: 200 })),
            ...Array.from({ length: 10 }, () => ({ latencyMs: 1, status: 503 })),
        ];
        const result = windowStats(samples);
        assert.equal(result.requests, 100);
        assert.equal(result.shedPercent, 10);
        assert.equal(result.p50Ms, 49); // 10 × 1 ms, then 10, 11, …: the 50th is 49
        assert.equal(result.p99Ms, 98);
        assert.equal(result.okP50Ms, 54); // the 45th of 10…99
        assert.equal(result.okP99Ms, 99);
        assert.equal(result.errors, 0);
    });

    it("counts failures as errors, not as latencies", () => {
        const result = windowStats([
            { latencyMs: 5, status: 200 },
            { latencyMs: 10_000, status: 0 },
            { latencyMs: 3, status: 500 },
        ]);
        assert.equal(result.errors, 2);
        assert.equal(result.p99Ms, 5);
        assert.ok(Number.isNaN(windowStats([]).p50Ms));
    });

    it("slices the simulated latencies (in completion order) to the responses completed inside the window", () => {
        // Seconds 0, 1, 2 complete 2, 3 and 2 responses; the window is second 1 alone.
        const rows = [row(0, 2, 0), row(1, 2, 1), row(2, 2, 0)];
        const latenciesMs = Float64Array.from([11, 12, 21, 1, 22, 31, 32]);
        const samples = simulatedSamples({ rows, latenciesMs }, { from: 1, to: 2 }, 1);
        assert.deepEqual(samples, [
            { latencyMs: 21, status: 200 },
            { latencyMs: 1, status: 503 },
            { latencyMs: 22, status: 200 },
        ]);
    });

    it("predicts no 503 at half capacity, and about 1 − 1/1.2 of them at 120 % (1 − 1/(1.2 × 1.025) with the overhead)", () => {
        const options = { seconds: 10, warmupSeconds: 3 };
        const cpuMs = 20;
        const bare = { ...DEFAULT_ASSUMPTIONS, requestOverheadPercent: 0 };
        const half = predict(capacityRps(2, cpuMs) * 0.5, cpuMs, options, bare);
        assert.equal(half.shedPercent, 0);
        assert.ok(half.p99Ms < 2 * 28, `p99 ${half.p99Ms}`); // the slowest request costs ≈ 28 ms at 20 ms on average
        const over = predict(capacityRps(2, cpuMs) * 1.2, cpuMs, options, bare);
        assert.ok(Math.abs(over.shedPercent - 100 / 6) < 2, `503 ${over.shedPercent} %`);
        const withOverhead = predict(capacityRps(2, cpuMs) * 1.2, cpuMs, options);
        assert.ok(Math.abs(withOverhead.shedPercent - 100 * (1 - 1 / (1.2 * 1.025))) < 2, `503 ${withOverhead.shedPercent} %`);
        // A full queue: 66 requests ahead, two at a time, ≈ 20 ms each.
        assert.ok(over.okP50Ms > 500 && over.okP50Ms < 800, `p50 of the 200s ${over.okP50Ms}`);
    });
});

describe("timeline model check: tables", () => {
    const run = (p99Ms: number, otherCores: number): RunResult => ({
        cpuMs: 20,
        capacity: 100,
        loads: LOAD_PERCENTS.map((percent) => ({
            percent,
            rate: percent,
            predicted: stats(),
            measured: stats({ p99Ms }),
            conditions: {
                startedRps: percent,
                servedRps: percent,
                lagP99Ms: 1,
                lagMaxMs: 2,
                maxInFlight: 3,
                generatorCores: 0.02,
                serviceCores: 1,
                eventLoopCores: 0.05,
                otherCores,
                stealCores: 0,
                generatorUsPerRequest: 200,
                eventLoopUsPerRequest: 300,
                workerCpuMsPerOk: 20,
            },
        })),
    });

    it("takes the median over the undisturbed runs when there are any", () => {
        assert.equal(disturbed({ otherCores: QUIET_CORES }), false);
        assert.equal(disturbed({ otherCores: QUIET_CORES + 0.01 }), true);
        const medians = medianLoads([run(40, 0), run(60, 0), run(1000, 1.5)]);
        assert.equal(medians[0].measured.p99Ms, 50);
        assert.equal(medians[0].runs, 2);
        assert.equal(medians[0].disturbedRuns, 1);
        const allDisturbed = medianLoads([run(40, 1), run(60, 1), run(1000, 1)]);
        assert.equal(allDisturbed[0].measured.p99Ms, 60);
        assert.equal(allDisturbed[0].disturbedRuns, 3);
    });

    it("reads the real capacity from the 120 % load: capacity ÷ served − 1, with the generator's and event loop's part", () => {
        const overload = { ...run(40, 0).loads[2] };
        overload.measured = stats({ shedPercent: 20 });
        overload.conditions = { ...overload.conditions!, servedRps: 160, generatorCores: 0.032, eventLoopCores: 0.016 };
        const overhead = impliedOverhead(12.5, 164, overload);
        assert.ok(overhead !== undefined);
        assert.ok(Math.abs(overhead.percent - 2.5) < 1e-9);
        assert.ok(Math.abs(overhead.generatorPercent - 1.6) < 1e-9); // 0.2 ms of 12.5 per served request
        assert.ok(Math.abs(overhead.eventLoopPercent - 0.8) < 1e-9);
        assert.match(formatOverhead(overhead), /2\.5 % more CPU than its count \(load generator 1\.6 %, service event loop 0\.8 %, the rest 0\.1 %/);
        assert.equal(impliedOverhead(12.5, 164, { ...overload, measured: stats({ shedPercent: 0 }) }), undefined);
    });

    it("prints load, predicted and measured as a markdown table, marking disturbed loads", () => {
        const table = formatTable(run(1234, 0.5).loads).split("\n");
        assert.equal(table.length, 2 + LOAD_PERCENTS.length);
        assert.match(table[0], /^\| load \| predicted p50 \/ p99 \(ms\) \| predicted 503 \| measured p50 \/ p99 \(ms\) \| measured 503 \|/);
        assert.equal(table[2], "| 50 % (50.0 req/s) † | 20.0 / 40.0 | 0.0 % | 20.0 / 1234 | 0.0 % | 20.0 / 40.0 | 20.0 / 40.0 |");
        for (const line of table) assert.equal(line.split("|").length, table[0].split("|").length);
    });
});
