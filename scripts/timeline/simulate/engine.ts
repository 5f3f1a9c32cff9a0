/**
 * The simulation: k6's requests, one by one, through the load balancer to the service's tasks, with CloudWatch,
 * the scaling policy and ECS acting on them second by second. Every rule it applies is a named function in a
 * module of its own (cloudwatch.ts, step-scaling.ts, target-tracking.ts, capacity.ts, tasks.ts, service.ts, load.ts);
 * this file only wires them together and records what happened into timeline rows and events.
 */
import { HealthCheckConfig, ScalingConfig, scaleInThreshold } from "../../../config";
import { ScalingActivity, quantiles, round } from "../summary";
import type { TimelineEvent, TimelineRow } from "../timeline";
import type { Assumptions } from "./assumptions";
import { initialCapacity, scaleIn, scaleOut } from "./capacity";
import type { CapacityState } from "./capacity";
import { AlarmRule, AlarmStateValue, alarmState, cpuDatapoint } from "./cloudwatch";
import { RequestCost, Workload, arrivalTimes, thinkSeconds, userStartTimes } from "./load";
import { TaskServer } from "./service";
import { stepAdjustment, stepAlarms, stepPolicies } from "./step-scaling";
import { targetTrackingAlarms, trackingScaleInCount, trackingScaleOutCount } from "./target-tracking";
import { TaskLife, TaskPhase, stopTime, taskMilestones, taskPhase, tasksToStop } from "./tasks";

export interface SimulatedService {
    cpuUnits: number;
    workers: number;
    maxQueue: number;
    healthCheck: Pick<HealthCheckConfig, "intervalSeconds">;
    deregistrationDelaySeconds: number;
}

export interface SimulationInput {
    stepSeconds: number;
    service: SimulatedService;
    scaling: ScalingConfig;
    workload: Workload;
    cost: RequestCost;
    assumptions: Assumptions;
}

export interface SimulationResult {
    rows: TimelineRow[];
    events: TimelineEvent[];
    activities: ScalingActivity[];
    /** When each task a scale-out launched took its first request. */
    taskServingTimes: number[];
    latenciesMs: Float64Array;
    /** Seconds each task ran within the run (launch to stop). */
    taskSeconds: number[];
}

/** Idle minutes assumed before the run, so alarms start in the state an idle service leaves them in. */
const IDLE_HISTORY_PERIODS = 60;

/** mulberry32: a small, fast, seedable generator; the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let x = state;
        x = Math.imul(x ^ (x >>> 15), x | 1);
        x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
        return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
}

/** A binary min-heap of timed callbacks (request arrivals). */
class Agenda {
    private readonly times: number[] = [];
    private readonly actions: Array<(t: number) => void> = [];

    get nextTime(): number {
        return this.times.length === 0 ? Infinity : this.times[0];
    }

    push(t: number, action: (t: number) => void): void {
        this.times.push(t);
        this.actions.push(action);
        let i = this.times.length - 1;
        while (i > 0) {
            const parent = (i - 1) >> 1;
            if (this.times[parent] <= this.times[i]) break;
            this.swap(i, parent);
            i = parent;
        }
    }

    pop(): { t: number; action: (t: number) => void } {
        const top = { t: this.times[0], action: this.actions[0] };
        const lastTime = this.times.pop() as number;
        const lastAction = this.actions.pop() as (t: number) => void;
        if (this.times.length > 0) {
            this.times[0] = lastTime;
            this.actions[0] = lastAction;
            let i = 0;
            for (;;) {
                const left = 2 * i + 1;
                const right = left + 1;
                let least = i;
                if (left < this.times.length && this.times[left] < this.times[least]) least = left;
                if (right < this.times.length && this.times[right] < this.times[least]) least = right;
                if (least === i) break;
                this.swap(i, least);
                i = least;
            }
        }
        return top;
    }

    private swap(a: number, b: number): void {
        [this.times[a], this.times[b]] = [this.times[b], this.times[a]];
        [this.actions[a], this.actions[b]] = [this.actions[b], this.actions[a]];
    }
}

interface SimulatedTask extends TaskLife {
    server: TaskServer;
    phase: TaskPhase;
    periodRunningSeconds: number;
    /** Whether a scale-out launched it (rather than it running before the test). */
    launchedByScaling: boolean;
}

interface RowAccumulator {
    seconds: number;
    offered: number;
    served: number;
    shed: number;
    latencies: number[];
    desired: number;
    pending: number;
    running: number;
    cpu: { average: number; maximum: number } | null;
}

/** The scaling policy as alarms plus what each alarm's ALARM state does to the capacity. */
interface ScalingPolicy {
    alarms: Array<{ name: string; rule: AlarmRule; act(state: CapacityState, t: number, metric: number): { state: CapacityState; why: string } }>;
    /** The CPU statistic the alarms watch. */
    statistic: "Average" | "Maximum";
}

const percent = (value: number) => `${value.toFixed(1)} %`;

function scalingPolicy(scaling: ScalingConfig, assumptions: Assumptions): ScalingPolicy {
    const bounds = { minCapacity: scaling.minCapacity, maxCapacity: scaling.maxCapacity };
    if (scaling.mode === "step") {
        const alarms = stepAlarms(scaling);
        const steps = stepPolicies(scaling);
        const cooldownSeconds = scaling.cooldownSeconds;
        const metric = (value: number) => `${scaling.statistic} CPU ${percent(value)}`;
        return {
            statistic: scaling.statistic,
            alarms: [
                {
                    name: "cpu-scale-out",
                    rule: alarms.scaleOut,
                    act: (state, t, value) => {
                        const adjustment = stepAdjustment(value, scaling.threshold, steps.scaleOut);
                        return {
                            state: scaleOut(state, { t, proposed: (from) => from + adjustment, cooldownSeconds }, bounds),
                            why: `step +${adjustment}: ${metric(value)} ≥ ${scaling.threshold} %`,
                        };
                    },
                },
                {
                    name: "cpu-scale-in",
                    rule: alarms.scaleIn,
                    act: (state, t, value) => {
                        const threshold = scaleInThreshold(scaling);
                        const adjustment = stepAdjustment(value, threshold, steps.scaleIn);
                        return {
                            state: scaleIn(state, { t, proposed: (from) => from + adjustment, cooldownSeconds }, bounds),
                            why: `step ${adjustment}: ${metric(value)} < ${threshold} %`,
                        };
                    },
                },
            ],
        };
    }
    const alarms = targetTrackingAlarms(scaling, assumptions);
    const target = scaling.targetValue;
    return {
        statistic: "Average",
        alarms: [
            {
                name: "AlarmHigh",
                rule: alarms.high,
                act: (state, t, value) => ({
                    state: scaleOut(
                        state,
                        { t, proposed: (from) => trackingScaleOutCount(from, value, target), cooldownSeconds: scaling.scaleOutCooldownSeconds },
                        bounds,
                    ),
                    why: `target tracking: average CPU ${percent(value)} > target ${target} %`,
                }),
            },
            {
                name: "AlarmLow",
                rule: alarms.low,
                act: (state, t, value) =>
                    scaling.disableScaleIn
                        ? { state, why: "" }
                        : {
                              state: scaleIn(
                                  state,
                                  {
                                      t,
                                      proposed: (from) => trackingScaleInCount(from, value, target, assumptions.targetTrackingScaleInPercent),
                                      cooldownSeconds: scaling.scaleInCooldownSeconds,
                                  },
                                  bounds,
                              ),
                              why: `target tracking: average CPU ${percent(value)} < ${percent(target * assumptions.targetTrackingLowRatio)}`,
                          },
            },
        ],
    };
}

export function runSimulation(input: SimulationInput): SimulationResult {
    const { stepSeconds, service, scaling, workload, cost, assumptions } = input;
    if (scaling.mode === "target-tracking" && scaling.metric !== "cpu") {
        throw new RangeError(`the simulation models CPU; it cannot predict target tracking on ${scaling.metric}`);
    }
    const random = seededRandom(assumptions.seed);
    const vcpus = service.cpuUnits / 1024;
    const end = workload.durationSeconds;
    const rowCount = Math.ceil(end / stepSeconds);
    const rows: RowAccumulator[] = Array.from({ length: rowCount }, (_, index) => ({
        seconds: Math.min(stepSeconds, end - index * stepSeconds),
        offered: 0,
        served: 0,
        shed: 0,
        latencies: [],
        desired: 0,
        pending: 0,
        running: 0,
        cpu: null,
    }));
    const rowAt = (t: number) => rows[Math.min(rowCount - 1, Math.floor(t / stepSeconds))];
    const events: TimelineEvent[] = [];
    const event = (t: number, kind: TimelineEvent["kind"], detail: string) => events.push({ t: round(t, 3), kind, detail });
    const activities: ScalingActivity[] = [];

    // ----------------------------------------------------------------------------------------- tasks
    const tasks: SimulatedTask[] = [];
    let nextTaskId = 1;
    const launch = (t: number, launchedByScaling: boolean) => {
        const launchAt = launchedByScaling ? t : -Infinity;
        const milestones = launchedByScaling
            ? taskMilestones(t, assumptions.taskStartupSeconds, service.healthCheck)
            : { runningAt: -Infinity, servingAt: -Infinity };
        const task: SimulatedTask = {
            id: nextTaskId++,
            launchAt,
            milestones,
            server: new TaskServer(service.workers, vcpus, service.maxQueue, Math.max(0, t)),
            phase: "pending",
            periodRunningSeconds: 0,
            launchedByScaling,
        };
        task.phase = taskPhase(task, t);
        tasks.push(task);
        if (launchedByScaling) event(t, "task", `task ${task.id} launched`);
    };
    for (let i = 0; i < scaling.minCapacity; i++) launch(0, false);
    let serving: SimulatedTask[] = [...tasks];
    let roundRobin = 0;

    // ----------------------------------------------------------------------------------------- requests
    const agenda = new Agenda();
    const respond = (arrival: number, t: number, after: ((t: number) => void) | undefined, shed: boolean) => {
        const row = rowAt(t);
        row.latencies.push((t - arrival) * 1000);
        if (shed) row.shed++;
        else row.served++;
        after?.(t);
    };
    const request = (t: number, after?: (t: number) => void) => {
        rowAt(t).offered++;
        const cpuMs = cost.draw(random) * (1 + assumptions.requestOverheadPercent / 100);
        // The load balancer's round robin over the targets in service.
        const target = serving.length === 0 ? undefined : serving[roundRobin++ % serving.length];
        const admitted = target?.server.offer(t, cpuMs, (done) => respond(t, done, after, false)) ?? false;
        if (!admitted) respond(t, t + assumptions.shedLatencyMs / 1000, after, true);
    };
    if (workload.model === "open") {
        const times = arrivalTimes(workload.profile);
        const scheduleNext = () => {
            const next = times.next();
            if (!next.done && next.value < end) {
                agenda.push(next.value, (t) => {
                    request(t);
                    scheduleNext();
                });
            }
        };
        scheduleNext();
    } else {
        const profile = workload.profile;
        const iterate = (t: number) =>
            request(t, (answeredAt) => {
                const next = answeredAt + thinkSeconds(profile, random);
                if (next < end) agenda.push(next, iterate);
            });
        for (const start of userStartTimes(profile)) if (start < end) agenda.push(start, iterate);
    }
    const advanceServers = (t: number) => {
        for (const task of tasks) task.server.advance(t);
    };

    // ----------------------------------------------------------------------------------------- scaling
    const policy = scalingPolicy(scaling, assumptions);
    const history: Array<number | null> = Array.from({ length: IDLE_HISTORY_PERIODS }, () => 0);
    const alarmStates: AlarmStateValue[] = policy.alarms.map((alarm) => alarmState(history, alarm.rule));
    let capacity = initialCapacity(scaling.minCapacity);
    const evaluations: Array<{ at: number; period: number }> = [];

    const reconcile = (t: number) => {
        const active = tasks.filter((task) => task.deregisteredAt === undefined && task.stoppedAt === undefined);
        for (let i = active.length; i < capacity.desired; i++) launch(t, true);
        for (const task of tasksToStop(active, active.length - capacity.desired, t)) {
            if (taskPhase(task, t) === "pending") {
                task.stoppedAt = t;
            } else {
                task.deregisteredAt = t;
                task.stoppedAt = stopTime(t, service.deregistrationDelaySeconds);
            }
        }
    };

    const evaluate = (t: number, period: number) => {
        const value = history[IDLE_HISTORY_PERIODS + period];
        policy.alarms.forEach((alarm, index) => {
            const state = alarmState(history.slice(0, IDLE_HISTORY_PERIODS + period + 1), alarm.rule);
            if (state !== alarmStates[index]) event(t, "alarm", `${alarm.name}: ${alarmStates[index]} → ${state}`);
            alarmStates[index] = state;
            if (state !== "ALARM" || value === null) return;
            const before = capacity.desired;
            const acted = alarm.act(capacity, t, value);
            capacity = acted.state;
            if (capacity.desired !== before) {
                activities.push({ t, from: before, to: capacity.desired });
                event(t, "scaling", `desired ${before} → ${capacity.desired} (${acted.why})`);
            }
        });
        reconcile(t);
    };

    const closePeriod = (t: number) => {
        const period = Math.round(t / stepSeconds) - 1;
        const usage = tasks.map((task) => ({ cpuMs: task.server.takeCpuMs(), runningSeconds: task.periodRunningSeconds }));
        for (const task of tasks) task.periodRunningSeconds = 0;
        const datapoint = cpuDatapoint(usage, vcpus);
        rows[period].cpu = datapoint;
        history.push(datapoint === null ? null : policy.statistic === "Average" ? datapoint.average : datapoint.maximum);
        evaluations.push({ at: t + assumptions.datapointDelaySeconds, period });
    };

    const updatePhases = (t: number) => {
        for (const task of tasks) {
            const phase = taskPhase(task, t);
            if (phase === task.phase) continue;
            task.phase = phase;
            if (phase === "serving" && task.launchedByScaling) event(t, "task", `task ${task.id} serving`);
            else if (phase === "draining") event(t, "task", `task ${task.id} draining`);
            else if (phase === "stopped") event(t, "task", `task ${task.id} stopped`);
        }
        serving = tasks.filter((task) => task.phase === "serving");
    };

    // ----------------------------------------------------------------------------------------- the clock
    for (let second = 0; second < end; second++) {
        if (second > 0 && second % stepSeconds === 0) closePeriod(second);
        while (evaluations.length > 0 && evaluations[0].at <= second) evaluate(second, (evaluations.shift() as { period: number }).period);
        updatePhases(second);

        const until = Math.min(second + 1, end);
        while (agenda.nextTime < until) {
            const { t, action } = agenda.pop();
            advanceServers(t);
            action(t);
        }
        advanceServers(until);

        const row = rowAt(second);
        row.desired += capacity.desired;
        for (const task of tasks) {
            if (task.phase === "pending") row.pending++;
            else if (task.phase !== "stopped") {
                row.running++;
                task.periodRunningSeconds += until - second;
            }
        }
    }
    // The loop never reaches the last period's end: close it here.
    closePeriod(rowCount * stepSeconds);

    const taskSeconds = tasks.map((task) => Math.min(end, task.stoppedAt ?? end) - Math.max(0, task.launchAt));
    return {
        rows: rows.map((row, index) => {
            const [p50, p99] = quantiles(row.latencies, [0.5, 0.99]);
            return {
                t: index * stepSeconds,
                offeredRps: round(row.offered / row.seconds, 3),
                servedRps: round(row.served / row.seconds, 3),
                shedRps: round(row.shed / row.seconds, 3),
                cpuAverage: row.cpu === null ? null : round(row.cpu.average, 2),
                cpuMaximum: row.cpu === null ? null : round(row.cpu.maximum, 2),
                desiredTasks: round(row.desired / Math.ceil(row.seconds), 2),
                pendingTasks: round(row.pending / Math.ceil(row.seconds), 2),
                runningTasks: round(row.running / Math.ceil(row.seconds), 2),
                p50Ms: nullableRound(p50, 1),
                p99Ms: nullableRound(p99, 1),
            };
        }),
        events,
        activities,
        taskServingTimes: tasks
            .filter((task) => task.launchedByScaling && task.milestones.servingAt < Math.min(end, task.stoppedAt ?? Infinity))
            .map((task) => task.milestones.servingAt),
        latenciesMs: concatenated(rows.map((row) => row.latencies)),
        taskSeconds: taskSeconds.filter((seconds) => seconds > 0),
    };
}

/** Number arrays end to end in one Float64Array, without the intermediate array a flatMap would build. */
function concatenated(parts: readonly number[][]): Float64Array {
    const all = new Float64Array(parts.reduce((total, part) => total + part.length, 0));
    let offset = 0;
    for (const part of parts) {
        all.set(part, offset);
        offset += part.length;
    }
    return all;
}

function nullableRound(value: number | null, digits: number): number | null {
    return value === null ? null : round(value, digits);
}
