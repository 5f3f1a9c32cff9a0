import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { UsageError, usageErrorText } from "../scripts/cli-usage";
import {
    CHECK_USAGE,
    COMPARED_STACK,
    DEFAULT_OPTIONS,
    LOAD_PERCENTS,
    MAX_QUEUE,
    QUIET_CORES,
    Sample,
    USAGE,
    WindowStats,
    calibrationLimits,
    capacityRps,
    checkProfile,
    measurementWindow,
    parseArgs,
    predict,
    schedule,
    simulatedSamples,
    windowStats,
} from "../scripts/timeline/model-check/check";
import { CpuReading, ObservedLoad, RealSample, calibrateLoads, observedRows, observedTimeline } from "../scripts/timeline/model-check/observed";
import {
    LoadResult,
    RunResult,
    checkTargets,
    disturbed,
    formatFitted,
    formatFittedLoads,
    formatOverhead,
    formatTable,
    formatTarget,
    impliedOverhead,
    runSummary,
    spreadOf,
    summarizeLoads,
} from "../scripts/timeline/model-check/tables";
import { DEFAULT_ASSUMPTIONS } from "../scripts/timeline/simulate/assumptions";
import { simulatedService } from "../scripts/timeline/simulate/simulate";
import { TimelineRow, timelineSchema } from "../scripts/timeline/timeline";

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
        for (const argv of [["--help"], ["-h"], ["--seconds", "0", "--help"]]) assert.equal(parseArgs(argv), "help", argv.join(" "));
    });

    it("refuses anything else, worded as every tool words it", () => {
        const cases: [string[], string][] = [
            [["--seconds", "0"], '--seconds expects a whole number from 1 to 600, got "0"'],
            [["--seconds", "601"], '--seconds expects a whole number from 1 to 600, got "601"'],
            [["--runs"], "--runs needs a value"],
            [["--runs", "1.5"], '--runs expects a whole number from 1 to 20, got "1.5"'],
            [["--warmup", "-1"], '--warmup needs a value, not -1 (a value that starts with "-" goes after "=": --warmup=-1)'],
            [["--warmup=-1"], '--warmup expects a whole number from 0 to 60, got "-1"'],
            [["--overhead-percent", "x"], '--overhead-percent expects a number from 0 to 100, got "x"'],
            [["--second", "5"], "unknown option --second: did you mean --seconds?"],
            [["--bogus", "1"], "unknown option --bogus"],
            [["5"], 'unexpected argument "5"'],
        ];
        for (const [argv, message] of cases) {
            assert.throws(() => parseArgs(argv), (error: unknown) => error instanceof UsageError && error.message === message, argv.join(" "));
        }
    });

    it("prints one usage line with a refusal, and the usage on --help", () => {
        assert.equal(
            usageErrorText("unknown option --second: did you mean --seconds?", CHECK_USAGE, ["--second", "5"]),
            "unknown option --second: did you mean --seconds?\n" +
                "usage: npm run timeline:check-model -- [--seconds N] [--warmup N] [--runs N] [--overhead-percent X] (npm run timeline:check-model -- --help for all options)",
        );
        const help = spawnSync(process.execPath, ["--import", "tsx", "scripts/timeline/model-check.ts", "--help"], { encoding: "utf8", timeout: 20_000 });
        assert.deepEqual([help.status, help.stdout, help.stderr], [0, `${USAGE}\n`, ""]);
    });
});

describe("timeline model check: the load", () => {
    it("computes capacity as vCPUs × 1000 / CPU ms, and the default queue as 32 per worker", () => {
        assert.equal(capacityRps(2, 20), 100);
        assert.equal(capacityRps(2, 12.5), 160);
        assert.equal(MAX_QUEUE, 64);
        assert.deepEqual([...LOAD_PERCENTS], [50, 90, 120]);
    });

    it("compares one task of 2 vCPUs with 2 workers and the default queue, read through the stack config schema", () => {
        assert.deepEqual(simulatedService(COMPARED_STACK), {
            cpuUnits: 2048,
            workers: 2,
            maxQueue: MAX_QUEUE,
            healthCheck: COMPARED_STACK.service.healthCheck,
            deregistrationDelaySeconds: 30,
        });
        assert.equal(COMPARED_STACK.scaling.minCapacity, 1);
        assert.equal(COMPARED_STACK.scaling.maxCapacity, 1);
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

/**
 * A load of `seconds` measured seconds at 100 req/s, 10 of them 503s: each second the service uses 1.2 CPU-seconds and
 * the generator 0.1.
 */
function syntheticLoad(percent: number, seconds: number): ObservedLoad {
    const samples: RealSample[] = [];
    for (let i = 0; i < 100 * seconds; i++) {
        const due = i / 100;
        const status = i % 10 === 9 ? 503 : 200;
        const latencyMs = status === 503 ? 1 : 10 + (i % 10);
        samples.push({ due, sent: due, completed: due + latencyMs / 1000, latencyMs, status });
    }
    // The first responses complete 10 ms late: readings from 0.05 s keep every second at 100 completions.
    const readings: CpuReading[] = Array.from({ length: seconds + 1 }, (_, k) => ({ t: 0.05 + k, serviceSeconds: 1.2 * k, generatorSeconds: 0.1 * k }));
    return { percent, samples, readings };
}

describe("timeline model check: the observed timeline", () => {
    it("makes one row per second between readings: rates, the share's CPU over the task's two vCPUs, percentiles", () => {
        const load = syntheticLoad(90, 3);
        const rows = observedRows(load, "service");
        assert.equal(rows.length, 3);
        assert.deepEqual(rows[1], {
            t: 1,
            offeredRps: 100,
            servedRps: 90,
            shedRps: 10,
            errorRps: 0,
            cpuAverage: 60,
            cpuMaximum: 60,
            desiredTasks: 1,
            pendingTasks: 0,
            runningTasks: 1,
            p50Ms: 13,
            p99Ms: 18,
        });
        assert.equal(observedRows(load, "service + load generator")[1].cpuAverage, 65);
    });

    it("puts the loads' windows one after another, says so, and is a valid observed timeline", () => {
        const timeline = observedTimeline([syntheticLoad(50, 2), syntheticLoad(120, 3)], "service + load generator");
        assert.equal(timelineSchema.safeParse(timeline).success, true);
        assert.equal(timeline.kind, "observed");
        assert.deepEqual(
            timeline.rows.map((r) => r.t),
            [0, 1, 2, 3, 4],
        );
        assert.equal(timeline.notes?.[0], "rows t=0–1 s: 50 % of the in-process capacity");
        assert.equal(timeline.notes?.[1], "rows t=2–4 s: 120 % of the in-process capacity");
        assert.match(timeline.notes?.[3] ?? "", /CPU of the service \+ load generator over the task's 2 vCPUs/);
        assert.equal(timeline.summary.peakTasks, 1);
    });

    it("calibrates through calibrate(): CPU ÷ 200s per row, the generator's CPU counted or not", () => {
        const loads = [syntheticLoad(50, 2), syntheticLoad(120, 3)];
        // 1.3 (1.2) CPU-seconds per second over 90 200s per second.
        const withGenerator = calibrateLoads(loads, "service + load generator").cpuMsPerRequest;
        assert.equal(withGenerator.value, 14.44);
        assert.equal(withGenerator.samples, 5);
        assert.match(withGenerator.from[0], /^row t=0 s: CPU 65\.0 % × 1 task × 2 vCPU ÷ 90\.00 served\/s/);
        assert.equal(calibrateLoads(loads, "service").cpuMsPerRequest.value, 13.33);
    });
});

describe("timeline model check: tables", () => {
    const run = (p99Ms: number, otherCores: number, afterP99Ms = 40): RunResult => ({
        cpuMs: 20,
        capacity: 100,
        fittedCpuMs: { "service + load generator": 22, service: 21 },
        loads: LOAD_PERCENTS.map(
            (percent): LoadResult => ({
                percent,
                rate: percent,
                before: stats(),
                measured: stats({ p99Ms }),
                after: stats({ p99Ms: afterP99Ms }),
                afterP99Band: { low: afterP99Ms - 5, high: afterP99Ms + 10 },
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
            }),
        ),
    });

    it("takes the median and the min–max over the undisturbed runs when there are any", () => {
        assert.equal(disturbed({ otherCores: QUIET_CORES }), false);
        assert.equal(disturbed({ otherCores: QUIET_CORES + 0.01 }), true);
        const loads = summarizeLoads([run(40, 0), run(60, 0), run(1000, 1.5)]);
        assert.deepEqual(loads[0].measured.p99Ms, { median: 50, min: 40, max: 60 });
        assert.equal(loads[0].runs, 2);
        assert.equal(loads[0].disturbedRuns, 1);
        const allDisturbed = summarizeLoads([run(40, 1), run(60, 1), run(1000, 1)]);
        assert.deepEqual(allDisturbed[0].measured.p99Ms, { median: 60, min: 40, max: 1000 });
        assert.equal(allDisturbed[0].disturbedRuns, 3);
        assert.deepEqual(spreadOf([Number.NaN, 3, 1]), { median: 2, min: 1, max: 3 });
        assert.ok(Number.isNaN(spreadOf([Number.NaN]).median));
    });

    it("reads the real capacity from the 120 % load: capacity ÷ served − 1, with the generator's, event loop's and others' part, next to the assumption", () => {
        const overload = { ...run(40, 0).loads[2] };
        overload.measured = stats({ shedPercent: 20 });
        overload.conditions = { ...overload.conditions!, servedRps: 160, generatorCores: 0.032, eventLoopCores: 0.016, otherCores: 0 };
        const overhead = impliedOverhead(12.5, 164, overload);
        assert.ok(overhead !== undefined);
        assert.ok(Math.abs(overhead.percent - 2.5) < 1e-9);
        assert.ok(Math.abs(overhead.generatorPercent - 1.6) < 1e-9); // 0.2 ms of 12.5 per served request
        assert.ok(Math.abs(overhead.eventLoopPercent - 0.8) < 1e-9);
        assert.equal(overhead.otherPercent, 0);
        assert.match(formatOverhead(overhead), /^requests cost 2\.5 % more CPU than their count \(measured at 120 %: load generator 1\.6 %, service event loop 0\.8 %, the rest 0\.1 %/);
        const busy = impliedOverhead(12.5, 164, { ...overload, conditions: { ...overload.conditions, otherCores: 0.48 } });
        assert.match(formatOverhead(busy!), /service event loop 0\.8 %, other processes 24\.0 %, the rest -23\.9 %/);
        assert.match(formatOverhead(overhead), /the model assumes requestOverheadPercent = 2\.5 %$/);
        assert.equal(impliedOverhead(12.5, 164, { ...overload, measured: stats({ shedPercent: 0 }) }), undefined);
        assert.equal(formatFitted(13.5, 12.5), "13.50 ms (+8.0 %)");
        assert.equal(formatFitted(12, 12.5), "12.00 ms (−4.0 %)");
    });

    it("says what each load is in percent of the fitted capacity, over the runs", () => {
        const slower = { ...run(40, 0), fittedCpuMs: { "service + load generator": 24, service: 21 } };
        assert.equal(
            formatFittedLoads([run(40, 0), slower], "service + load generator"),
            "The loads in percent of the capacity calibrate() fitted (service + load generator CPU): 50 % → 58 (55–60) %, 90 % → 104 (99–108) %, 120 % → 138 (132–144) %",
        );
    });

    it("prints predicted before, measured and predicted after as a markdown table, with the spread over the runs", () => {
        const table = formatTable(summarizeLoads([run(40, 0), run(60, 0), run(50, 0)])).split("\n");
        assert.equal(table.length, 2 + LOAD_PERCENTS.length);
        assert.equal(
            table[0],
            "| load | predicted before p50 / p99 (ms) | measured p50 / p99 (ms) | predicted after p50 / p99 (ms) | predicted after p99 over the fit's spread (ms) | predicted before 503 | measured 503 | predicted after 503 |",
        );
        assert.equal(table[2], "| 50 % (50.0 req/s) | 20.0 / 40.0 | 20.0 / 50.0 (40.0–60.0) | 20.0 / 40.0 | 35.0–50.0 | 0.0 % | 0.0 % | 0.0 % |");
        for (const line of table) assert.equal(line.split("|").length, table[0].split("|").length);
        const single = formatTable(runSummary(run(1234, 0.5))).split("\n");
        assert.equal(single[2], "| 50 % (50.0 req/s) † | 20.0 / 40.0 | 20.0 / 1234 | 20.0 / 40.0 | 35.0–50.0 | 0.0 % | 0.0 % | 0.0 % |");
    });

    it("checks issue 24's targets on the medians: p99 within 25 % at 50 and 90 %, 503 within 2 points at 120 %", () => {
        const loads = summarizeLoads([run(100, 0, 88)]);
        loads[2].measured.shedPercent = spreadOf([25]);
        loads[2].before.shedPercent = spreadOf([18.6]);
        loads[2].after.shedPercent = spreadOf([27.5]);
        const checks = checkTargets(loads);
        assert.deepEqual(
            checks.map((check) => [check.label, Math.round(check.before * 10) / 10, Math.round(check.after * 10) / 10, check.met]),
            [
                ["p99 at 50 %", -60, -12, true],
                ["p99 at 90 %", -60, -12, true],
                ["503 at 120 %", -6.4, 2.5, false],
            ],
        );
        assert.equal(formatTarget(checks[1]), "p99 at 90 %: after −12.0 % ✓ (target ±25 %; before −60.0 %)");
        assert.equal(formatTarget(checks[2]), "503 at 120 %: after +2.5 points ✗ (target ±2 points; before −6.4 points)");
    });
});
