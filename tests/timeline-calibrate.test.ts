/**
 * `timeline calibrate`: each fit on small hand-built timelines (its evidence, what it leaves out and why, the pairs
 * it refuses), bad input, and the proof without AWS: shipped stacks simulated with inputs the calibrator is not
 * told, read back as observe would, and those inputs recovered within the tolerances below.
 */
import * as assert from "node:assert/strict";
import type { EnvironmentStackConfig } from "../config";
import { calibrationSchema } from "../scripts/timeline/calibrate/calibration";
import { cpuSample, cpuSkipReason } from "../scripts/timeline/calibrate/cpu";
import { breachStart, fitDatapointDelay } from "../scripts/timeline/calibrate/delay";
import { scaleOuts } from "../scripts/timeline/calibrate/events";
import { exactSample, figureOf, median } from "../scripts/timeline/calibrate/figure";
import { calibrate } from "../scripts/timeline/calibrate/fit";
import { fitTaskStartup } from "../scripts/timeline/calibrate/startup";
import type { AlarmRule } from "../scripts/timeline/simulate/cloudwatch";
import { InputError, type Timeline, type TimelineEvent } from "../scripts/timeline/timeline";
import { loadStackFile } from "./environment-fixtures";
import { type HiddenTruth, type ObservedRunRequest, STEP_SECONDS, handBuiltTimeline, observedRun, steadyRow } from "./timeline-calibrate-fixture";

/** How close the calibration must come to the hidden truth. */
const CPU_TOLERANCE = 0.05;
const STARTUP_TOLERANCE_SECONDS = 10;
const STARTUP_TOLERANCE_MINUTE_SECONDS = 60;
const DELAY_TOLERANCE_SECONDS = 10;

const NOISE = 0.03;

const environment = (file: string) => loadStackFile(file) as EnvironmentStackConfig;
const DEV = environment("Pulumi.dev.yaml");

const scaling = (t: number, from: number, to: number, suffix = ""): TimelineEvent => ({ t, kind: "scaling", detail: `desired ${from} → ${to} (step +${to - from})${suffix}` });
const service = (t: number, detail: string): TimelineEvent => ({ t, kind: "service", detail });
const alarm = (t: number, detail = "cpu-scale-out: OK → ALARM"): TimelineEvent => ({ t, kind: "alarm", detail });

describe("timeline calibrate", () => {
    describe("figures", () => {
        it("takes the median (the mean of the middle two for an even count) and the extremes as the spread", () => {
            assert.equal(median([3, 1, 2]), 2);
            assert.equal(median([4, 1, 3, 2]), 2.5);
            const figure = figureOf([exactSample(10, "a"), exactSample(14, "b"), exactSample(12, "c")]);
            assert.deepEqual(figure, { value: 12, low: 10, high: 14, samples: 3, from: ["a", "b", "c"] });
        });

        it("takes the quartiles as the spread from 8 samples on, and widens it to a sample's bounds", () => {
            const values = [1, 2, 3, 4, 5, 6, 7, 100];
            const figure = figureOf(values.map((value) => exactSample(value, String(value))));
            assert.deepEqual([figure?.value, figure?.low, figure?.high], [4.5, 2, 6]);
            const widened = figureOf([{ value: 50, low: 20, high: 80, from: "to the minute" }, exactSample(70, "exact")]);
            assert.deepEqual([widened?.value, widened?.low, widened?.high], [60, 20, 80]);
        });

        it("is null without samples", () => {
            assert.equal(figureOf([]), null);
        });
    });

    describe("CPU per request", () => {
        it("is CPU × vCPUs × running tasks ÷ served, with the row as evidence", () => {
            const sample = cpuSample(steadyRow(120, { cpuAverage: 50, runningTasks: 2, desiredTasks: 2, servedRps: 5 }), 0.25);
            assert.equal(sample.value, 50);
            assert.equal(sample.from, "row t=120 s: CPU 50.0 % × 2 tasks × 0.25 vCPU ÷ 5.00 served/s = 50.00 ms");
            assert.match(cpuSample(steadyRow(60, { cpuAverage: 100, shedRps: 3 }), 0.25).from, /CPU 100\.0 % \(at the cap\) × 1 task ×/);
        });

        it("leaves out partial minutes, minutes without requests or CPU, and minutes whose tasks change", () => {
            const reasons = [
                steadyRow(0, { seconds: 25 }),
                steadyRow(0, { servedRps: 0 }),
                steadyRow(0, { cpuAverage: null }),
                steadyRow(0, { runningTasks: null }),
                steadyRow(0, { pendingTasks: 1 }),
                steadyRow(0, { runningTasks: 1.5, desiredTasks: 2 }),
                steadyRow(0, { desiredTasks: 2 }),
            ].map((row) => cpuSkipReason(row, STEP_SECONDS));
            assert.deepEqual(reasons, [
                "partial minute",
                "no request served",
                "no CPU measured",
                "no running task count",
                "tasks starting or stopping",
                "tasks starting or stopping",
                "tasks starting or stopping",
            ]);
            assert.equal(cpuSkipReason(steadyRow(0, { seconds: STEP_SECONDS, pendingTasks: null, desiredTasks: null }), STEP_SECONDS), undefined);
        });

        it("notes the rows it left out", () => {
            const observed = handBuiltTimeline([steadyRow(0, { seconds: 30 }), steadyRow(60), steadyRow(120), steadyRow(180, { cpuAverage: null })]);
            const calibration = calibrate(observed, DEV, "observed.json");
            assert.deepEqual([calibration.cpuMsPerRequest.value, calibration.cpuMsPerRequest.samples], [25, 2]);
            assert.ok(calibration.notes.includes("CPU per request from 2 of 4 rows; left out: partial minute (t=0 s); no CPU measured (t=180 s)"));
        });

        it("refuses a run no row of which gives it, saying which rows and why", () => {
            const observed = handBuiltTimeline([steadyRow(0, { seconds: 30 }), steadyRow(60, { cpuAverage: null }), steadyRow(120, { pendingTasks: 1 }), steadyRow(180, { seconds: 10 })]);
            assert.throws(
                () => calibrate(observed, DEV, "observed.json"),
                (error: unknown) =>
                    error instanceof InputError &&
                    error.message ===
                        "observed.json: no row gives the CPU per request, so nothing can be calibrated: partial minute (t=0, 180 s); no CPU measured (t=60 s); tasks starting or stopping (t=120 s)",
            );
        });
    });

    describe("task start-up", () => {
        const rows = [0, 60, 120, 180, 240, 300, 360].map((t) => steadyRow(t));

        it("reads scale-outs only: effective ones that raised the desired count", () => {
            const events = [scaling(60, 1, 2), scaling(120, 2, 1), scaling(180, 1, 3, " [Failed: no capacity]"), scaling(240, 1, 2, " [InProgress]")];
            assert.deepEqual(scaleOuts(events), [
                { t: 60, from: 1, to: 2 },
                { t: 240, from: 1, to: 2 },
            ]);
        });

        it("pairs each scale-out with its tasks' registration, counting the tasks it added", () => {
            const events = [
                scaling(100, 1, 3),
                service(102, "has started 2 tasks: (task 01) (task 02)."),
                service(160, "registered 1 targets in (target-group tg)"),
                service(175, "registered 1 targets in (target-group tg)"),
                scaling(300, 3, 4),
                service(350, "registered 1 targets in (target-group tg)"),
            ];
            const fit = fitTaskStartup(events, rows, STEP_SECONDS);
            assert.deepEqual(
                fit.samples.map((sample) => [sample.value, sample.from]),
                [
                    [60, 'scale-out at t=100 s (desired 1 → 3) → "registered 1 targets" at t=160 s: 60 s'],
                    [50, 'scale-out at t=300 s (desired 3 → 4) → "registered 1 targets" at t=350 s: 50 s'],
                ],
            );
            assert.deepEqual(fit.notes, []);
        });

        it("falls back on ECS's start without registrations, and says so", () => {
            const fit = fitTaskStartup([scaling(100, 1, 2), service(150, "has started 1 tasks: (task 01).")], rows, STEP_SECONDS);
            assert.equal(fit.samples[0].value, 50);
            assert.match(fit.samples[0].from, /ECS's start, not its registration/);
        });

        it("without ECS events, pairs each scale-out with the minute its running tasks rose, widened to that minute", () => {
            const rising = [steadyRow(0), steadyRow(60), steadyRow(120, { runningTasks: 2 }), steadyRow(180, { runningTasks: 2 }), steadyRow(240, { runningTasks: 3 })];
            const fit = fitTaskStartup([scaling(100, 1, 2), scaling(200, 2, 3)], rising, STEP_SECONDS);
            assert.deepEqual(
                fit.samples.map(({ value, low, high }) => [value, low, high]),
                [
                    [50, 20, 80],
                    [70, 40, 100],
                ],
            );
            assert.match(fit.samples[0].from, /running tasks 1 → 2 in the minute at t=120 s: 20–80 s \(to the minute: no ECS events\)$/);
        });

        it("refuses an implausible pair and notes a scale-out whose tasks never ran", () => {
            const fit = fitTaskStartup([scaling(100, 1, 2), service(1100, "registered 1 targets in (target-group tg)"), scaling(1200, 2, 3)], rows, STEP_SECONDS);
            assert.deepEqual(fit.samples, []);
            assert.deepEqual(fit.notes, [
                'scale-out at t=100 s (desired 1 → 2) → "registered 1 targets" at t=1100 s: more than 900 s after it, refused',
                "scale-out at t=1200 s (desired 2 → 3): no ECS event says its tasks ran before the run ended; left out",
                "no scale-out could be paired with its tasks running: task start-up not calibrated; the assumption stays 45 s",
            ]);
        });

        it("is not calibrated without a scale-out", () => {
            assert.deepEqual(fitTaskStartup([scaling(100, 2, 1)], rows, STEP_SECONDS), {
                samples: [],
                notes: ["no scale-out in the run: task start-up not calibrated; the assumption stays 45 s"],
            });
        });
    });

    describe("datapoint delay", () => {
        const oneMinute: AlarmRule = { breaches: (cpu) => cpu >= 40, evaluationPeriods: 1, datapointsToAlarm: 1 };

        it("finds the minute that completed the breach among the minutes ended by then", () => {
            const values = [10, 50, 60, 10, 50];
            assert.equal(breachStart(values, oneMinute, 100, STEP_SECONDS), undefined);
            assert.equal(breachStart(values, oneMinute, 130, STEP_SECONDS), 1);
            assert.equal(breachStart(values, oneMinute, 200, STEP_SECONDS), 1);
            assert.equal(breachStart(values, oneMinute, 310, STEP_SECONDS), 4);
            const threeMinutes: AlarmRule = { ...oneMinute, evaluationPeriods: 3, datapointsToAlarm: 3 };
            assert.equal(breachStart([50, 50, 50, 50], threeMinutes, 250, STEP_SECONDS), 2);
        });

        const rows = [steadyRow(0, { cpuAverage: 10 }), steadyRow(60, { cpuAverage: 55 }), steadyRow(120, { cpuAverage: 70 }), steadyRow(180, { cpuAverage: 30 })];

        it("is the alarm's time less the end of that minute, with the rule as evidence", () => {
            const fit = fitDatapointDelay([alarm(150), scaling(151, 1, 2)], rows, STEP_SECONDS, DEV.scaling);
            assert.deepEqual(
                fit.samples.map((sample) => [sample.value, sample.from]),
                [[30, "scale-out alarm into ALARM at t=150 s ← the minute at t=60 s completed Average CPU ≥ 40 % for 1 minute, ended at t=120 s: 30 s"]],
            );
        });

        it("refuses an alarm no minute before it explains, and an implausible delay", () => {
            const fit = fitDatapointDelay([alarm(100), alarm(900)], rows, STEP_SECONDS, DEV.scaling);
            assert.deepEqual(fit.samples, []);
            assert.deepEqual(fit.notes, [
                "scale-out alarm into ALARM at t=100 s: no minute ended before it meets Average CPU ≥ 40 % for 1 minute (the rows and the alarm disagree); refused",
                "scale-out alarm into ALARM at t=900 s ← the minute at t=60 s completed Average CPU ≥ 40 % for 1 minute, ended at t=120 s: 780 s is not a plausible delay (0–600 s); refused",
                "no scale-out could be paired with its breach: datapoint delay not calibrated; the assumption stays 60 s",
            ]);
        });

        it("without alarm events, lets the first scale-out of each breach stand for its alarm, and says so", () => {
            const fit = fitDatapointDelay([scaling(160, 1, 2), scaling(220, 2, 3)], rows, STEP_SECONDS, DEV.scaling);
            assert.deepEqual(
                fit.samples.map((sample) => sample.value),
                [40],
            );
            assert.deepEqual(fit.notes, [
                "no scale-out alarm event in the run: each scale-out activity stands for its alarm (it follows within seconds)",
                "scale-out at t=220 s (no alarm event: the activity stands for it): the breach from t=60 s again (its alarm stayed in ALARM); left out",
            ]);
        });

        it("follows target tracking's AlarmHigh: 3 minutes above the target", () => {
            const prod = environment("Pulumi.prod.yaml");
            assert.equal(prod.scaling.mode, "target-tracking");
            const above = [0, 60, 120, 180, 240].map((t, index) => steadyRow(t, { cpuAverage: index === 0 ? 20 : 80 }));
            const fit = fitDatapointDelay([alarm(290, "target-tracking AlarmHigh: OK → ALARM")], above, STEP_SECONDS, prod.scaling);
            assert.deepEqual(
                fit.samples.map((sample) => sample.value),
                [50],
            );
            assert.match(fit.samples[0].from, /completed Average CPU > 50 % for 3 minutes, ended at t=240 s: 50 s$/);
        });

        it("is not calibrated without a scale-out alarm or activity", () => {
            assert.deepEqual(fitDatapointDelay([alarm(100, "cpu-scale-in: OK → ALARM")], rows, STEP_SECONDS, DEV.scaling).notes, [
                "no scale-out alarm or activity in the run: datapoint delay not calibrated; the assumption stays 60 s",
            ]);
        });
    });

    describe("bad input", () => {
        const observed = handBuiltTimeline([steadyRow(0), steadyRow(60)]);

        it("refuses a predicted timeline", () => {
            assert.throws(() => calibrate({ ...observed, kind: "predicted" }, DEV, "out.json"), /^InputError: out\.json is a predicted timeline: calibrate fits what a run did/);
        });

        it("refuses a timeline observed on another stack's service", () => {
            assert.throws(
                () => calibrate(observed, environment("Pulumi.staging.yaml"), "observed.json"),
                /observed\.json was observed on cluster ecs-loadlab-dev, but the stack file names ecs-loadlab-staging: pass the stack file of that run/,
            );
        });

        it("refuses a timeline without recorded names from another environment's stack file", () => {
            const anonymous: Timeline = { ...observed, assumptions: {} };
            assert.equal(calibrate(anonymous, DEV, "observed.json").cpuMsPerRequest.value, 25);
            assert.throws(() => calibrate(anonymous, environment("Pulumi.staging.yaml"), "observed.json"), /observed on Pulumi\.dev\.yaml, not on the staging environment's stack file/);
        });
    });

    describe("recovers what a simulated run hid", function () {
        this.timeout(10_000);

        const SHORT_STRESS = { START_RATE: "2", PEAK_RATE: "40", RAMP_UP: "4m", HOLD: "4m", RAMP_DOWN: "2m", COOLDOWN: "4m" };
        const SHORT_LOAD = { USERS: "80", RAMP_RATE: "0.5", DURATION: "12m" };
        const cases: Array<{ name: string; request: Omit<ObservedRunRequest, "serviceEvents" | "noise"> }> = [
            {
                name: "dev × stress: CPU ×1.3, start-up 70 s, delay 40 s",
                request: { stackFile: "Pulumi.dev.yaml", script: "stress", env: SHORT_STRESS, truth: { cpuScale: 1.3, taskStartupSeconds: 70, datapointDelaySeconds: 40 }, seed: 11 },
            },
            {
                name: "staging × load: CPU ×0.8, start-up 30 s, delay 75 s (longer than a minute)",
                request: { stackFile: "Pulumi.staging.yaml", script: "load", env: SHORT_LOAD, truth: { cpuScale: 0.8, taskStartupSeconds: 30, datapointDelaySeconds: 75 }, seed: 12 },
            },
        ];

        const within = (actual: number | undefined, expected: number, tolerance: number, what: string) =>
            assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

        for (const { name, request } of cases) {
            const truth: HiddenTruth = request.truth;

            it(`${name}, with ECS's service events`, () => {
                const run = observedRun({ ...request, serviceEvents: true, noise: NOISE });
                const calibration = calibrationSchema.parse(calibrate(run.observed, run.config, "observed.json"));
                within(calibration.cpuMsPerRequest.value, run.cpuMsPerRequest, CPU_TOLERANCE * run.cpuMsPerRequest, "CPU ms per request");
                within(calibration.taskStartupSeconds?.value, truth.taskStartupSeconds, STARTUP_TOLERANCE_SECONDS, "task start-up");
                within(calibration.datapointDelaySeconds?.value, truth.datapointDelaySeconds, DELAY_TOLERANCE_SECONDS, "datapoint delay");
                for (const figure of [calibration.cpuMsPerRequest, calibration.taskStartupSeconds, calibration.datapointDelaySeconds]) {
                    assert.ok(figure !== null && figure.low <= figure.value && figure.value <= figure.high && figure.from.length === figure.samples);
                }
                assert.match(calibration.notes[0], /^CPU per request from \d+ of \d+ rows; left out: partial minute/);
            });

            it(`${name}, without them: the start-up to the minute, its spread holding the truth`, () => {
                const run = observedRun({ ...request, serviceEvents: false, noise: NOISE });
                const startup = calibrate(run.observed, run.config, "observed.json").taskStartupSeconds;
                within(startup?.value, truth.taskStartupSeconds, STARTUP_TOLERANCE_MINUTE_SECONDS, "task start-up");
                assert.ok(startup !== null && startup.low <= truth.taskStartupSeconds && truth.taskStartupSeconds <= startup.high);
                assert.ok(startup.from.every((line) => line.endsWith("(to the minute: no ECS events)")));
            });
        }

        it("a run that never scaled out gives the CPU, and no start-up or delay, with notes why", () => {
            const run = observedRun({
                stackFile: "Pulumi.dev.yaml",
                script: "stress",
                env: { ...SHORT_STRESS, START_RATE: "1", PEAK_RATE: "2" },
                truth: { cpuScale: 1.3, taskStartupSeconds: 70, datapointDelaySeconds: 40 },
                serviceEvents: true,
                noise: NOISE,
                seed: 13,
            });
            const calibration = calibrate(run.observed, run.config, "observed.json");
            within(calibration.cpuMsPerRequest.value, run.cpuMsPerRequest, CPU_TOLERANCE * run.cpuMsPerRequest, "CPU ms per request");
            assert.equal(calibration.taskStartupSeconds, null);
            assert.equal(calibration.datapointDelaySeconds, null);
            assert.ok(calibration.notes.includes("no scale-out in the run: task start-up not calibrated; the assumption stays 45 s"));
            assert.ok(calibration.notes.includes("no scale-out alarm or activity in the run: datapoint delay not calibrated; the assumption stays 60 s"));
        });
    });
});
