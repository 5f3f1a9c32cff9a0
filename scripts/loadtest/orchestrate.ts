/**
 * One run, from the command's side, wherever its tasks are (Fargate or local processes): hand each stack its
 * manifest and archive, keep the heartbeat going, start the tasks and write each one's segment as soon as it is
 * started, wait until every segment is ready, say `go`, follow the run, and fold each result in as it arrives.
 * Interrupted (Ctrl-C, SIGTERM, SIGHUP), failing or giving up, it stops every task it started, after every stack's
 * launcher has stopped launching, and keeps whatever results the tasks uploaded.
 */
import { K6_STOP_GRACE_MS } from "../../loadgen/src/k6-process";
import { runKeys } from "../../loadgen/src/contract";
import { RunControl, SegmentResult } from "../../loadgen/src/protocol";
import { RunStore } from "../../loadgen/src/run-store";
import { PlanGroup, RUN_TIMINGS, RunPlan, manifestFor } from "./plan";
import { ResultWatch } from "./results";

export type TaskState = "provisioning" | "running" | "stopped";

export interface TaskView {
    id: string;
    state: TaskState;
    /** Why a stopped task stopped, in words (ECS's stop code and reasons, or a local error). */
    stoppedDetail?: string;
}

export interface LaunchedTask {
    taskId: string;
    segment: number;
}

/** Starts and stops one group's tasks: ECS RunTask in a stack, or local runner processes. */
export interface Launcher {
    /**
     * Starts one task per segment, in batches. After each batch it awaits `record` with the tasks it started (their
     * segments are written before the next batch), and it launches nothing more once `signal` aborts. Failures are
     * messages naming what could not start and why; the launch stops at the first.
     */
    launch(segments: readonly number[], record: (tasks: LaunchedTask[]) => Promise<void>, signal: AbortSignal): Promise<{ failures: string[] }>;
    poll(): Promise<TaskView[]>;
    /** Stops every task of the run and waits until none runs; returns a line per task it stopped. */
    stopAll(reason: string): Promise<string[]>;
}

export interface RunGroup {
    group: PlanGroup;
    store: RunStore;
    launcher: Launcher;
}

export interface OrchestratorContext {
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
    print(line: string): void;
    /** The run's state in one line, redrawn on a terminal; `key` changes when something other than the clock did. */
    progress(line: string, key: string): void;
    /** Aborted on Ctrl-C, SIGTERM or SIGHUP. */
    interrupt: AbortSignal;
    pollMs: number;
}

export type RunOutcome =
    | { kind: "not-started"; interrupted: boolean; errors: string[]; stopped: string[] }
    /** `go` was given: the results read are folded in, whatever happened next. */
    | { kind: "ran"; startedAt: Date; interrupted: boolean; errors: string[]; stopped: string[] };

class RunAbort extends Error {
    constructor(
        readonly interrupted: boolean,
        readonly errors: string[],
    ) {
        super(errors.join("; "));
    }
}

/** k6 gets this long to stop (then it is killed), and the task as long again to upload what it recorded. */
const TASK_WIND_DOWN_SECONDS = (2 * K6_STOP_GRACE_MS) / 1000;

function elapsed(seconds: number): string {
    const whole = Math.max(0, Math.round(seconds));
    const hours = Math.floor(whole / 3600);
    const clock = `${String(Math.floor((whole % 3600) / 60)).padStart(hours > 0 ? 2 : 1, "0")}:${String(whole % 60).padStart(2, "0")}`;
    return hours > 0 ? `${hours}:${clock}` : clock;
}

function countStates(tasks: TaskView[]): string {
    const counts = { provisioning: 0, running: 0, stopped: 0 };
    for (const task of tasks) counts[task.state]++;
    return (Object.keys(counts) as TaskState[])
        .filter((state) => counts[state] > 0)
        .map((state) => `${counts[state]} ${state}`)
        .join(", ");
}

/** The command's side of the control object: what it says, rewritten to every stack as the heartbeat. */
class Control {
    private state: RunControl = {};

    constructor(
        private readonly groups: RunGroup[],
        private readonly runId: string,
    ) {}

    get current(): RunControl {
        return this.state;
    }

    async set(change: RunControl): Promise<void> {
        this.state = { ...this.state, ...change };
        await this.write();
    }

    write(): Promise<unknown> {
        const body = JSON.stringify(this.state);
        return Promise.all(this.groups.map((group) => group.store.put(runKeys(this.runId).control, body)));
    }
}

export async function executeRun(
    plan: RunPlan,
    groups: RunGroup[],
    archive: Buffer,
    collect: (stack: string, result: SegmentResult) => void,
    context: OrchestratorContext,
): Promise<RunOutcome> {
    const keys = runKeys(plan.runId);
    const clock = groups[0].store.clock;
    const watches = groups.map((group) => new ResultWatch(group.store, plan.runId, group.group.stack, group.group.segments));
    const control = new Control(groups, plan.runId);
    const stopHeartbeat = new AbortController();

    for (const group of groups) {
        await group.store.put(keys.manifest, JSON.stringify(manifestFor(plan, group.group)));
        await group.store.put(keys.archive, archive);
    }
    await control.write();
    const heartbeat = (async () => {
        while (!stopHeartbeat.signal.aborted) {
            await context.sleep(RUN_TIMINGS.heartbeatSeconds * 1000, stopHeartbeat.signal);
            if (stopHeartbeat.signal.aborted) break;
            // A failed write is retried at the next beat; only a silence as long as the staleness limit stops the tasks.
            await control.write().catch((error: unknown) => context.print(`  ! heartbeat not written: ${error instanceof Error ? error.message : String(error)}`));
        }
    })();

    let startedAt: Date | undefined;
    try {
        await launchAll(groups, watches, context);
        await waitUntilReady(plan, groups, watches, context);
        startedAt = new Date(clock.now().getTime() + plan.goLeadSeconds * 1000);
        await control.set({ go: { startAt: startedAt.toISOString() } });
        context.print(`Every task is ready: go at ${startedAt.toISOString()} (S3's clock)`);
        const errors = await followRun(plan, groups, watches, control, startedAt, collect, context);
        return { kind: "ran", startedAt, interrupted: false, errors, stopped: [] };
    } catch (error) {
        const abort = error instanceof RunAbort ? error : new RunAbort(false, [error instanceof Error ? error.message : String(error)]);
        context.print(abort.interrupted ? "Interrupted: stopping every task of the run..." : `Stopping every task of the run: ${abort.message}`);
        // Every task sees `stop` at its next poll, before or after go, and stops on its own: faster than StopTask.
        await control.set({ stop: { reason: abort.message.slice(0, 500) } }).catch(() => undefined);
        const stopped = (await Promise.all(groups.map((group) => group.launcher.stopAll(`npm run loadtest: ${abort.message}`)))).flat();
        if (startedAt === undefined) return { kind: "not-started", interrupted: abort.interrupted, errors: abort.errors, stopped };
        // A task uploads what it recorded before it stops: what they uploaded is kept.
        await Promise.all(watches.map((watch) => watch.readNew((result) => collect(watch.stack, result))));
        return { kind: "ran", startedAt, interrupted: abort.interrupted, errors: [...abort.errors, ...resultErrors(watches)], stopped };
    } finally {
        stopHeartbeat.abort();
        await heartbeat;
    }
}

/**
 * Every stack's launcher at once; the first failure stops the others at their next batch, and this returns only
 * once every launcher has stopped, so that cleanup never races a launch still under way.
 */
async function launchAll(groups: RunGroup[], watches: ResultWatch[], context: OrchestratorContext): Promise<void> {
    const failed = new AbortController();
    const signal = AbortSignal.any([context.interrupt, failed.signal]);
    const launches = await Promise.allSettled(
        groups.map(async (group, index) => {
            const record = (tasks: { taskId: string; segment: number }[]) => watches[index].assign(tasks);
            const result = await group.launcher.launch(group.group.segments, record, signal).catch((error: unknown) => {
                failed.abort();
                throw error;
            });
            if (result.failures.length > 0) failed.abort();
            return result;
        }),
    );
    const errors = launches.flatMap((launch) =>
        launch.status === "rejected"
            ? [`a task could not start: ${launch.reason instanceof Error ? launch.reason.message : String(launch.reason)}`]
            : launch.value.failures.map((failure) => `a task could not start: ${failure}`),
    );
    if (errors.length > 0) throw new RunAbort(false, errors);
    checkInterrupt(context);
}

function checkInterrupt(context: OrchestratorContext): void {
    if (context.interrupt.aborted) throw new RunAbort(true, ["interrupted"]);
}

async function pollTasks(groups: RunGroup[]): Promise<TaskView[]> {
    return (await Promise.all(groups.map((group) => group.launcher.poll()))).flat();
}

async function waitUntilReady(plan: RunPlan, groups: RunGroup[], watches: ResultWatch[], context: OrchestratorContext): Promise<void> {
    const clock = groups[0].store.clock;
    const since = clock.now().getTime();
    for (;;) {
        checkInterrupt(context);
        const ready = (await Promise.all(watches.map((watch) => watch.countReady()))).reduce((sum, count) => sum + count, 0);
        const tasks = await pollTasks(groups);
        const waitedSeconds = (clock.now().getTime() - since) / 1000;
        context.progress(`[${elapsed(waitedSeconds)}] tasks ${countStates(tasks) || "requested"} · ready ${ready}/${plan.segmentCount}`, `${countStates(tasks)}|${ready}`);
        if (ready === plan.segmentCount) return;
        const stopped = tasks.filter((task) => task.state === "stopped");
        if (stopped.length > 0) {
            throw new RunAbort(
                false,
                stopped.map((task) => `task ${task.id} stopped before the run began: ${task.stoppedDetail ?? "no reason given"}`),
            );
        }
        if (waitedSeconds > RUN_TIMINGS.readyTimeoutSeconds) {
            throw new RunAbort(false, [`only ${ready} of ${plan.segmentCount} segments were ready after ${RUN_TIMINGS.readyTimeoutSeconds} s`]);
        }
        await context.sleep(context.pollMs, context.interrupt);
    }
}

/**
 * Follows the run until every segment has its result, folding each in as it arrives; returns the run's errors, each
 * naming its segment and task. A late task stops the run: the others would otherwise run the whole profile without it.
 */
async function followRun(
    plan: RunPlan,
    groups: RunGroup[],
    watches: ResultWatch[],
    control: Control,
    startAt: Date,
    collect: (stack: string, result: SegmentResult) => void,
    context: OrchestratorContext,
): Promise<string[]> {
    const clock = groups[0].store.clock;
    const profileSeconds = plan.requirements.durationSeconds;
    const giveUpAt = startAt.getTime() + (plan.maxRunSeconds + RUN_TIMINGS.heartbeatStaleSeconds + TASK_WIND_DOWN_SECONDS) * 1000;
    const readAll = () => Promise.all(watches.map((watch) => watch.readNew((result) => collect(watch.stack, result))));
    for (;;) {
        checkInterrupt(context);
        await readAll();
        const results = watches.reduce((sum, watch) => sum + watch.resultCount, 0);
        if (results === plan.segmentCount) return resultErrors(watches);
        const late = watches.flatMap((watch) => watch.late());
        if (late.length > 0 && control.current.stop === undefined) {
            const reason = `${late[0]} saw go too late: every segment runs together or the run stops`;
            context.print(`Stopping the run: ${reason}`);
            await control.set({ stop: { reason } });
        }

        const tasks = await pollTasks(groups);
        const seconds = (clock.now().getTime() - startAt.getTime()) / 1000;
        const position = seconds < 0 ? `starting in ${elapsed(-seconds)}` : `${elapsed(seconds)} of ${elapsed(profileSeconds)}, ${elapsed(profileSeconds - seconds)} left`;
        context.progress(`[${position}] tasks ${countStates(tasks)} · results ${results}/${plan.segmentCount}`, `${countStates(tasks)}|${results}`);

        if (tasks.length > 0 && tasks.every((task) => task.state === "stopped")) {
            // A task uploads its result before it exits: read once more, then whatever is missing is lost.
            await readAll();
            return [...resultErrors(watches), ...missingResults(watches, tasks)];
        }
        if (clock.now().getTime() > giveUpAt) {
            throw new RunAbort(false, [`the run has gone on ${elapsed(seconds)}, past every task's own limit: giving up on it`]);
        }
        await context.sleep(context.pollMs, context.interrupt);
    }
}

function resultErrors(watches: ResultWatch[]): string[] {
    return watches.flatMap((watch) => watch.errors());
}

function missingResults(watches: ResultWatch[], tasks: TaskView[]): string[] {
    return watches.flatMap((watch) =>
        watch.missing().map((segment) => {
            const taskId = watch.taskOf(segment);
            const task = tasks.find((candidate) => taskId !== undefined && candidate.id.endsWith(taskId));
            return `${watch.describeSegment(segment)} has no result: its task stopped${task?.stoppedDetail ? ` (${task.stoppedDetail})` : ""}`;
        }),
    );
}
