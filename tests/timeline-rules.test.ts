/**
 * The simulator's rules, each at its boundaries, with the AWS documentation it follows. The rules are small
 * functions (scripts/timeline/simulate/*); the engine tests at the end check that they are wired together the way
 * AWS runs them.
 */
import * as assert from "node:assert/strict";
import { StepScalingConfig, TargetTrackingConfig, parseStackConfig } from "../config";
import { DEFAULT_ASSUMPTIONS } from "../scripts/timeline/simulate/assumptions";
import { CapacityState, clampCapacity, initialCapacity, scaleIn, scaleOut } from "../scripts/timeline/simulate/capacity";
import { alarmState, cpuDatapoint } from "../scripts/timeline/simulate/cloudwatch";
import { runSimulation, seededRandom } from "../scripts/timeline/simulate/engine";
import type { SimulationInput } from "../scripts/timeline/simulate/engine";
import { arrivalRate, arrivalTimes, readWorkload, requestCost, userStartTimes } from "../scripts/timeline/simulate/load";
import { TaskServer, admits, workerSpeed } from "../scripts/timeline/simulate/service";
import { stepAdjustment, stepAlarms, stepPolicies } from "../scripts/timeline/simulate/step-scaling";
import { targetTrackingAlarms, trackingScaleInCount, trackingScaleOutCount } from "../scripts/timeline/simulate/target-tracking";
import { stopTime, taskMilestones, taskPhase, tasksToStop } from "../scripts/timeline/simulate/tasks";
import { InputError } from "../scripts/timeline/timeline";
import { plannedIterations, readStressProfile } from "../k6/lib/profiles";
import { envReader } from "../k6/lib/env";
import { rawEnvironmentConfig } from "./service-fixture";

function scalingConfig<Mode extends "step" | "target-tracking">(scaling: Record<string, unknown> & { mode: Mode }) {
    const config = parseStackConfig(rawEnvironmentConfig({ scaling }));
    assert.ok(config.role === "environment");
    return config.scaling as Mode extends "step" ? StepScalingConfig : TargetTrackingConfig;
}
const STEP = scalingConfig({ mode: "step" });
const TRACKING = scalingConfig({ mode: "target-tracking" });
const BOUNDS = { minCapacity: 1, maxCapacity: 4 };

describe("timeline simulator rules", () => {
    describe("ECS CPUUtilization (docs.aws.amazon.com/AmazonECS/latest/developerguide/service_utilization.html)", () => {
        it("average is CPU used ÷ CPU reserved by the running tasks; maximum is the busiest task", () => {
            // Two quarter-vCPU tasks for a minute: 15 s and 6 s of CPU of the 15 s each could use.
            const point = cpuDatapoint([{ cpuMs: 15_000, runningSeconds: 60 }, { cpuMs: 6_000, runningSeconds: 60 }], 0.25);
            assert.deepEqual(point, { average: 70, maximum: 100 });
        });
        it("a task running part of the period counts for that part", () => {
            const point = cpuDatapoint([{ cpuMs: 7_500, runningSeconds: 60 }, { cpuMs: 3_000, runningSeconds: 30 }], 0.25);
            assert.ok(point);
            assert.ok(Math.abs(point.average - (100 * 10_500) / (0.25 * 1000 * 90)) < 1e-9);
            assert.equal(point.maximum, 50);
        });
        it("no datapoint while no task runs", () => {
            assert.equal(cpuDatapoint([], 1), null);
            assert.equal(cpuDatapoint([{ cpuMs: 0, runningSeconds: 0 }], 1), null);
        });
    });

    describe("alarm evaluation (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html)", () => {
        const { scaleOut: outAlarm, scaleIn: inAlarm } = stepAlarms(STEP);
        it("CPU exactly at the threshold breaches the ≥ scale-out alarm and not the < scale-in alarm", () => {
            assert.equal(alarmState([40], outAlarm), "ALARM");
            assert.equal(alarmState([39.99], outAlarm), "OK");
            assert.equal(alarmState([20, 20, 20], inAlarm), "OK");
            assert.equal(alarmState([19.99, 19.99, 19.99], inAlarm), "ALARM");
        });
        it("M of N: the scale-in alarm needs all of its 3 latest datapoints low", () => {
            assert.equal(alarmState([10, 10, 30], inAlarm), "OK");
            assert.equal(alarmState([30, 10, 10], inAlarm), "OK");
            assert.equal(alarmState([30, 10, 10, 10], inAlarm), "ALARM");
        });
        it("treatMissingData missing: gaps count for neither side; all missing is INSUFFICIENT_DATA", () => {
            assert.equal(alarmState([null, null, null], inAlarm), "INSUFFICIENT_DATA");
            assert.equal(alarmState([50, null], outAlarm), "INSUFFICIENT_DATA");
            assert.equal(alarmState([5, null, 5], { ...inAlarm, datapointsToAlarm: 2 }), "ALARM");
        });
    });

    describe("step adjustments (docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html)", () => {
        const steps = stepPolicies(STEP);
        it("bounds are offsets from the alarm threshold: lower inclusive and upper exclusive above it", () => {
            assert.equal(stepAdjustment(40, 40, steps.scaleOut), 1);
            assert.equal(stepAdjustment(69.999, 40, steps.scaleOut), 1);
            assert.equal(stepAdjustment(70, 40, steps.scaleOut), 2);
            assert.equal(stepAdjustment(100, 40, steps.scaleOut), 2);
        });
        it("below the threshold the upper bound is inclusive: (−∞, 0] is −1 from the scale-in threshold down", () => {
            assert.equal(stepAdjustment(19.999, 20, steps.scaleIn), -1);
            assert.equal(stepAdjustment(0, 20, steps.scaleIn), -1);
        });
        it("no step covers the value: no adjustment", () => {
            assert.equal(stepAdjustment(30, 40, steps.scaleOut), 0);
        });
    });

    describe("cooldowns and capacity (docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html)", () => {
        const out = (state: CapacityState, t: number, adjustment: number) =>
            scaleOut(state, { t, proposed: (from) => from + adjustment, cooldownSeconds: 60 }, BOUNDS);
        const inward = (state: CapacityState, t: number, adjustment: number) =>
            scaleIn(state, { t, proposed: (from) => from + adjustment, cooldownSeconds: 60 }, BOUNDS);

        it("adjustments start from the desired count and are clamped to min and max capacity", () => {
            assert.equal(out(initialCapacity(3), 0, 2).desired, 4, "max capacity reached: 3 + 2 stops at 4");
            assert.equal(inward(initialCapacity(1), 0, -1).desired, 1, "min capacity: nothing to remove");
            assert.equal(clampCapacity(0, BOUNDS), 1);
            assert.equal(clampCapacity(9, BOUNDS), 4);
        });
        it("during a scale-out cooldown the tasks just added count: the same step again adds nothing, a larger one only the difference", () => {
            const first = out(initialCapacity(1), 0, 1);
            assert.equal(first.desired, 2);
            assert.equal(out(first, 59, 1), first, "+1 again within the cooldown: already done");
            assert.equal(out(first, 59, 2).desired, 3, "+2 within the cooldown: 1 + 2, one more than now");
            assert.equal(out(first, 60, 1).desired, 3, "after the cooldown: from the current count");
        });
        it("a scale-in cooldown blocks the next scale-in until it ends", () => {
            const first = inward(initialCapacity(4), 0, -1);
            assert.equal(first.desired, 3);
            assert.equal(inward(first, 59, -1), first);
            assert.equal(inward(first, 60, -1).desired, 2);
        });
        it("a scale-out during a scale-in cooldown happens at once and ends that cooldown", () => {
            const scaledIn = inward(initialCapacity(3), 0, -1);
            const scaledOut = out(scaledIn, 10, 1);
            assert.equal(scaledOut.desired, 3);
            assert.equal(inward(scaledOut, 11, -1).desired, 2, "the scale-in cooldown is over");
        });
    });

    describe("target tracking (docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html)", () => {
        const alarms = targetTrackingAlarms(TRACKING, DEFAULT_ASSUMPTIONS);
        it("scales out after 3 of 3 one-minute datapoints above the target; at the target is not above", () => {
            assert.equal(alarmState([51, 51], alarms.high), "OK");
            assert.equal(alarmState([51, 51, 51], alarms.high), "ALARM");
            assert.equal(alarmState([51, 50, 51], alarms.high), "OK");
        });
        it("scales in on the 15th minute below 90 % of the target, not the 14th", () => {
            const low = (minutes: number) => [...Array<number>(15 - minutes).fill(60), ...Array<number>(minutes).fill(44.9)];
            assert.equal(alarmState(low(14), alarms.low), "OK");
            assert.equal(alarmState(low(15), alarms.low), "ALARM");
            assert.equal(alarmState(Array<number>(15).fill(45), alarms.low), "OK", "exactly 90 % of 50 is not below it");
        });
        it("the datapoint counts and the ratio are assumptions a user can override", () => {
            const custom = targetTrackingAlarms(TRACKING, { ...DEFAULT_ASSUMPTIONS, targetTrackingLowDatapoints: 5, targetTrackingLowRatio: 0.5 });
            assert.equal(alarmState(Array<number>(5).fill(24), custom.low), "ALARM");
            assert.equal(alarmState(Array<number>(5).fill(26), custom.low), "OK");
        });
        it("scale-out is proportional, rounded up; scale-in one step rounded down, never back above the target", () => {
            assert.equal(trackingScaleOutCount(3, 80, 50), 5, "3 × 80 / 50 = 4.8 → 5");
            assert.equal(trackingScaleOutCount(4, 50, 50), 4);
            assert.equal(trackingScaleInCount(12, 10, 50, 10), 11, "10 % of 12 rounded down is 1");
            assert.equal(trackingScaleInCount(30, 10, 50, 10), 27);
            assert.equal(trackingScaleInCount(4, 44, 50, 10), 4, "3 tasks would run at 58.7 % > 50 %");
        });
    });

    describe("tasks (docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html, #deregistration-delay)", () => {
        it("a launched task runs after the start-up time and serves after one health check interval", () => {
            assert.deepEqual(taskMilestones(100, 45, { intervalSeconds: 15 }), { runningAt: 145, servingAt: 160 });
        });
        it("a deregistered task drains for the deregistration delay, then stops", () => {
            const task = { id: 1, launchAt: 0, milestones: { runningAt: 0, servingAt: 0 }, deregisteredAt: 500, stoppedAt: stopTime(500, 30) };
            assert.equal(taskPhase(task, 499.9), "serving");
            assert.equal(taskPhase(task, 500), "draining");
            assert.equal(taskPhase(task, 529.9), "draining");
            assert.equal(taskPhase(task, 530), "stopped");
        });
        it("scale-in stops tasks not yet running first, then the newest; nothing when there is nothing to stop", () => {
            const task = (id: number, launchAt: number) => ({ id, launchAt, milestones: taskMilestones(launchAt, 45, { intervalSeconds: 15 }) });
            const tasks = [task(1, 0), task(2, 100), task(3, 200), task(4, 290)];
            assert.deepEqual(tasksToStop(tasks, 2, 300).map((t) => t.id), [4, 3]);
            assert.deepEqual(tasksToStop(tasks, 0, 300), []);
            assert.deepEqual(tasksToStop(tasks, -1, 300), []);
        });
    });

    describe("the service (service/src/task-queue.ts)", () => {
        it("worker threads share the task's vCPUs", () => {
            assert.equal(workerSpeed(1, 0.25), 0.25);
            assert.equal(workerSpeed(2, 2), 1);
            assert.equal(workerSpeed(4, 2), 0.5);
        });
        it("holds WORKERS + MAX_QUEUE requests and refuses the next", () => {
            assert.ok(admits(32, 1, 32));
            assert.ok(!admits(33, 1, 32));
            const server = new TaskServer(1, 1, 1, 0);
            assert.ok(server.offer(0, 10, () => undefined));
            assert.ok(server.offer(0, 10, () => undefined));
            assert.ok(!server.offer(0, 10, () => undefined), "the third request is a 503");
        });
        it("requests wait in FIFO order; a quarter vCPU runs a 10 ms request in 40 ms", () => {
            const done: number[] = [];
            const server = new TaskServer(1, 0.25, 8, 0);
            server.offer(0, 10, (t) => done.push(t));
            server.offer(0, 10, (t) => done.push(t));
            server.advance(1);
            assert.deepEqual(done.map((t) => Math.round(t * 1000)), [40, 80]);
            assert.equal(Math.round(server.takeCpuMs()), 20);
        });
        it("two workers on one vCPU run at half speed each", () => {
            const done: number[] = [];
            const server = new TaskServer(2, 1, 8, 0);
            server.offer(0, 10, (t) => done.push(t));
            server.offer(0, 20, (t) => done.push(t));
            server.advance(1);
            // Both at half speed until the first is done at 20 ms; the second then has 10 ms left at full speed.
            assert.deepEqual(done.map((t) => Math.round(t * 1000)), [20, 30]);
        });
    });

    describe("k6 profiles (k6/lib)", () => {
        it("arrival-rate iterations follow the rate curve: as many as k6 plans, evenly spaced at a constant rate", () => {
            const profile = readStressProfile(envReader({ PEAK_RATE: "20", RAMP_UP: "30s", HOLD: "30s", RAMP_DOWN: "15s", COOLDOWN: "0s" }));
            const times = [...arrivalTimes(profile)];
            assert.ok(Math.abs(times.length - plannedIterations(profile)) <= 1);
            assert.equal(arrivalRate(profile, 30), 20);
            const held = times.filter((t) => t >= 30 && t < 60);
            assert.equal(held.length, 600);
            assert.ok(Math.abs(held[1] - held[0] - 0.05) < 1e-9);
        });
        it("ramping VUs start evenly over the ramp", () => {
            const { workload } = readWorkload("load", { USERS: "4", RAMP_RATE: "1", DURATION: "30s" });
            assert.equal(workload.model, "closed");
            assert.deepEqual(workload.model === "closed" && userStartTimes(workload.profile), [1, 2, 3, 4]);
        });
        it("a -e value the k6 script would refuse is refused with k6's own message", () => {
            assert.throws(() => readWorkload("stress", { PEAK_RATE: "fast" }), (error: unknown) => error instanceof InputError && /PEAK_RATE="fast" is invalid/.test(error.message));
            assert.throws(() => readWorkload("load", { DURATION: "1m", USERS: "80" }), (error: unknown) => error instanceof InputError && /shorter than the ramp/.test(error.message));
        });
        it("per-request CPU comes from the calibration table over the limit range, or --cpu-ms with the same spread", () => {
            const calibrated = requestCost({ min: 300_000, max: 300_000 });
            assert.equal(calibrated.meanCpuMs, 18.1);
            assert.equal(calibrated.draw(() => 0.5), 18.1);
            const overridden = requestCost({ min: 280_000, max: 420_000 }, 30);
            assert.ok(Math.abs(overridden.meanCpuMs - 30) < 1e-9);
            assert.match(overridden.source, /--cpu-ms 30/);
        });
        it("the seeded generator repeats itself", () => {
            const a = seededRandom(7);
            const b = seededRandom(7);
            assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
        });
    });

    describe("the engine wires the rules as AWS runs them", () => {
        const service = { cpuUnits: 256, workers: 1, maxQueue: 32, healthCheck: { intervalSeconds: 15 }, deregistrationDelaySeconds: 30 };
        const constant = (rate: number, seconds: number): SimulationInput["workload"] => {
            const profile = readStressProfile(envReader({ START_RATE: String(rate), PEAK_RATE: String(rate), RAMP_UP: "1s", HOLD: `${seconds}s`, RAMP_DOWN: "1s", COOLDOWN: "0s" }));
            return { model: "open", profile, durationSeconds: seconds + 2 };
        };
        const simulate = (scaling: SimulationInput["scaling"], workload: SimulationInput["workload"], cost = requestCost({ min: 300_000, max: 300_000 })) =>
            runSimulation({ stepSeconds: 60, service, scaling, workload, cost, assumptions: DEFAULT_ASSUMPTIONS });

        it("a scaling decision appears in a later row than the datapoint it was made from, and new tasks take start-up + one health check", () => {
            // 8 req/s × 18.1 ms on a quarter vCPU: 58 % CPU from the first minute.
            const result = simulate(STEP, constant(8, 600));
            const first = result.events.find((event) => event.kind === "scaling");
            assert.ok(first);
            assert.equal(first.t, 120, "the first minute's datapoint closes at 60 s and reaches the alarm 60 s later");
            assert.ok((result.rows[0].cpuAverage ?? 0) >= 40);
            assert.equal(result.taskServingTimes[0], 120 + 45 + 15);
        });
        it("max capacity reached: desired stops at maxCapacity while CPU stays above the threshold", () => {
            const result = simulate({ ...STEP, maxCapacity: 2 }, constant(30, 900));
            assert.equal(Math.max(...result.rows.map((row) => row.desiredTasks ?? 0)), 2);
            assert.ok(result.rows.slice(-3).every((row) => (row.shedRps ?? 0) > 0), "past capacity the tasks shed 503s");
        });
        it("steady load inside the resting band neither scales out nor in", () => {
            // 4 req/s: 29 % of one quarter-vCPU task, between 20 and 40.
            const result = simulate(STEP, constant(4, 1200));
            assert.equal(result.activities.length, 0);
        });
        it("target tracking with disableScaleIn adds tasks and never removes them", () => {
            const scaling = { ...TRACKING, disableScaleIn: true, maxCapacity: 6 };
            const workload: SimulationInput["workload"] = readWorkload("stress", { PEAK_RATE: "30", RAMP_UP: "2m", HOLD: "5m", RAMP_DOWN: "1m", COOLDOWN: "25m" }).workload;
            const result = simulate(scaling, workload);
            assert.ok(result.activities.some((activity) => activity.to > activity.from));
            assert.ok(result.activities.every((activity) => activity.to > activity.from));
            const enabled = simulate({ ...scaling, disableScaleIn: false }, workload);
            assert.ok(enabled.activities.some((activity) => activity.to < activity.from), "with scale-in enabled the same run scales in");
        });
        it("the closed model feeds latency back: users wait for answers, so a slow service is offered less", () => {
            // 10 users thinking 1 s would send 10 req/s to an instant service; requests of 100 ms CPU on a quarter
            // vCPU take 0.4 s each, so one task answers 2.5 a second and the users wait for it (10 ≤ WORKERS + MAX_QUEUE).
            const load = readWorkload("load", { USERS: "10", RAMP_RATE: "10", DURATION: "3m", SLEEP_MIN: "1s", SLEEP_MAX: "1s" }).workload;
            const result = simulate({ ...STEP, maxCapacity: 1 }, load, requestCost({ min: 300_000, max: 300_000 }, 100));
            const { offeredRps, servedRps, shedRps, p50Ms } = result.rows[2];
            assert.ok(Math.abs((offeredRps ?? 0) - 2.5) < 0.2, `offered ${offeredRps} req/s`);
            assert.equal(shedRps, 0);
            assert.ok(Math.abs((servedRps ?? 0) - 2.5) < 0.2);
            assert.ok(Math.abs((p50Ms ?? 0) - 3000) < 300, `users wait N / X − Z = 10 / 2.5 − 1 = 3 s, got ${p50Ms} ms`);
        });
    });
});
