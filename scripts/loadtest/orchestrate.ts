/**
 * One run, from the command's side, wherever its tasks are (Fargate or local processes): hand each stack its
 * manifest and archive, keep the heartbeat going, start the tasks, wait until every segment is claimed and ready,
 * say `go`, follow the run, and collect one result per segment. Interrupted (Ctrl-C, SIGTERM) or failing, it stops
 * every task it started before it returns.
 */
import { runKeys } from "../../loadgen/src/contract";
import { ReadyMarker, SegmentResult, decodeSegmentResult, parseRunObject, readySchema } from "../../loadgen/src/protocol";
import { RunStore } from "../../loadgen/src/run-store";
import { PlanGroup, RUN_TIMINGS, RunPlan, manifestFor } from "./plan";

export type TaskState = "provisioning" | "running" | "stopped";

export interface TaskView {
    id: string;
    state: TaskState;
    /** Why a stopped task stopped, in words (ECS's stop code and reasons, or a local error). */
    stoppedDetail?: string;
}

/** Starts and stops one group's tasks: ECS RunTask in a stack, or local runner processes. */
export interface Launcher {
    /** Starts `count` identical tasks; failures are messages naming what could not start and why. */
    start(count: number): Promise<{ failures: string[] }>;
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
    now(): Date;
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
    print(line: string): void;
    /** The run's state in one line, redrawn on a terminal; `key` changes when something other than the clock did. */
    progress(line: string, key: string): void;
    /** Aborted on Ctrl-C or SIGTERM. */
    interrupt: AbortSignal;
    pollMs: number;
}

export interface CollectedResult {
    stack: string;
    result: SegmentResult;
}

export type RunOutcome =
    | { kind: "finished"; startedAt: Date; results: CollectedResult[]; errors: string[] }
    | { kind: "not-started"; errors: string[]; stopped: string[] }
    | { kind: "interrupted"; stopped: string[] };

class RunAbort extends Error {
    constructor(
        readonly kind: "not-started" | "interrupted",
        readonly errors: string[],
    ) {
        super(errors.join("; "));
    }
}

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

/** What the command knows of one group's run objects: the claims (ready markers) and results read so far. */
class GroupWatch {
    readonly claims = new Map<number, ReadyMarker>();
    readonly results = new Map<number, SegmentResult>();

    constructor(
        readonly run: RunGroup,
        private readonly runId: string,
    ) {}

    async readClaims(): Promise<void> {
        const keys = runKeys(this.runId);
        for (const key of await this.run.store.list(keys.readyPrefix)) {
            const segment = Number(key.slice(keys.readyPrefix.length));
            if (this.claims.has(segment)) continue;
            const body = await this.run.store.get(key);
            if (body !== undefined) this.claims.set(segment, parseRunObject(readySchema, `${this.run.store.location}/${key}`, body));
        }
    }

    /** One listing a poll, and a read only for each result not read before (not a read per missing segment). */
    async readResults(): Promise<void> {
        const keys = runKeys(this.runId);
        const listed = new Set(await this.run.store.list(keys.resultsPrefix));
        for (const segment of this.run.group.segments) {
            const key = keys.result(segment);
            if (this.results.has(segment) || !listed.has(key)) continue;
            const body = await this.run.store.get(key);
            if (body !== undefined) this.results.set(segment, decodeSegmentResult(body, `${this.run.store.location}/${key}`));
        }
    }

    /** "segment 3 (task 3f2a…, loadgen-eu)" */
    describeSegment(segment: number): string {
        const claim = this.claims.get(segment);
        return `segment ${segment} (${claim ? `task ${claim.taskId}, ` : ""}${this.run.group.stack})`;
    }
}

export async function executeRun(plan: RunPlan, groups: RunGroup[], archive: Buffer, context: OrchestratorContext): Promise<RunOutcome> {
    const keys = runKeys(plan.runId);
    const watches = groups.map((group) => new GroupWatch(group, plan.runId));
    const stopHeartbeat = new AbortController();
    const writeHeartbeat = () => Promise.all(groups.map((group) => group.store.put(keys.heartbeat, JSON.stringify({ at: context.now().toISOString() }))));

    for (const group of groups) {
        await group.store.put(keys.manifest, JSON.stringify(manifestFor(plan, group.group)));
        await group.store.put(keys.archive, archive);
    }
    await writeHeartbeat();
    const heartbeat = (async () => {
        while (!stopHeartbeat.signal.aborted) {
            await context.sleep(RUN_TIMINGS.heartbeatSeconds * 1000, stopHeartbeat.signal);
            if (stopHeartbeat.signal.aborted) break;
            // A failed write is retried at the next beat; only a silence as long as the staleness limit stops the tasks.
            await writeHeartbeat().catch((error: unknown) => context.print(`  ! heartbeat not written: ${error instanceof Error ? error.message : String(error)}`));
        }
    })();

    try {
        await startTasks(groups);
        await waitUntilReady(plan, watches, context);
        const startAt = new Date(context.now().getTime() + plan.goLeadSeconds * 1000);
        await Promise.all(groups.map((group) => group.store.put(keys.go, JSON.stringify({ startAt: startAt.toISOString() }))));
        context.print(`Every task is ready: go at ${startAt.toISOString()}`);
        const errors = await followRun(plan, watches, startAt, context);
        return {
            kind: "finished",
            startedAt: startAt,
            results: watches.flatMap((watch) => [...watch.results.values()].map((result) => ({ stack: watch.run.group.stack, result }))),
            errors,
        };
    } catch (error) {
        const abort = error instanceof RunAbort ? error : new RunAbort("not-started", [error instanceof Error ? error.message : String(error)]);
        context.print(abort.kind === "interrupted" ? "Interrupted: stopping every task of the run..." : `Stopping every task of the run: ${abort.message}`);
        const stopped = (await Promise.all(groups.map((group) => group.launcher.stopAll(`npm run loadtest: ${abort.message}`.slice(0, 1024))))).flat();
        return abort.kind === "interrupted" ? { kind: "interrupted", stopped } : { kind: "not-started", errors: abort.errors, stopped };
    } finally {
        stopHeartbeat.abort();
        await heartbeat;
    }
}

async function startTasks(groups: RunGroup[]): Promise<void> {
    const failures = (await Promise.all(groups.map((group) => group.launcher.start(group.group.segments.length)))).flatMap((start) => start.failures);
    if (failures.length > 0) throw new RunAbort("not-started", failures.map((failure) => `a task could not start: ${failure}`));
}

function checkInterrupt(context: OrchestratorContext): void {
    if (context.interrupt.aborted) throw new RunAbort("interrupted", ["interrupted"]);
}

async function waitUntilReady(plan: RunPlan, watches: GroupWatch[], context: OrchestratorContext): Promise<void> {
    const since = context.now().getTime();
    for (;;) {
        checkInterrupt(context);
        await Promise.all(watches.map((watch) => watch.readClaims()));
        const tasks = (await Promise.all(watches.map((watch) => watch.run.launcher.poll()))).flat();
        const ready = watches.reduce((sum, watch) => sum + watch.claims.size, 0);
        const waitedSeconds = (context.now().getTime() - since) / 1000;
        context.progress(`[${elapsed(waitedSeconds)}] tasks ${countStates(tasks) || "requested"} · ready ${ready}/${plan.segmentCount}`, `${countStates(tasks)}|${ready}`);
        if (ready === plan.segmentCount) return;
        const stopped = tasks.filter((task) => task.state === "stopped");
        if (stopped.length > 0) {
            throw new RunAbort(
                "not-started",
                stopped.map((task) => `task ${task.id} stopped before the run began: ${task.stoppedDetail ?? "no reason given"}`),
            );
        }
        if (waitedSeconds > RUN_TIMINGS.readyTimeoutSeconds) {
            throw new RunAbort("not-started", [`only ${ready} of ${plan.segmentCount} segments were ready after ${RUN_TIMINGS.readyTimeoutSeconds} s`]);
        }
        await context.sleep(context.pollMs, context.interrupt);
    }
}

/** Follows the run until every segment has its result; returns the run's errors, each naming its segment and task. */
async function followRun(plan: RunPlan, watches: GroupWatch[], startAt: Date, context: OrchestratorContext): Promise<string[]> {
    const profileSeconds = plan.requirements.durationSeconds;
    const giveUpAt = startAt.getTime() + (plan.maxRunSeconds + RUN_TIMINGS.heartbeatStaleSeconds + K6_WIND_DOWN_SECONDS) * 1000;
    for (;;) {
        checkInterrupt(context);
        await Promise.all(watches.map((watch) => watch.readResults()));
        const results = watches.reduce((sum, watch) => sum + watch.results.size, 0);
        if (results === plan.segmentCount) return resultErrors(watches);

        const tasks = (await Promise.all(watches.map((watch) => watch.run.launcher.poll()))).flat();
        const seconds = (context.now().getTime() - startAt.getTime()) / 1000;
        const clock = seconds < 0 ? `starting in ${elapsed(-seconds)}` : `${elapsed(seconds)} of ${elapsed(profileSeconds)}, ${elapsed(profileSeconds - seconds)} left`;
        context.progress(`[${clock}] tasks ${countStates(tasks)} · results ${results}/${plan.segmentCount}`, `${countStates(tasks)}|${results}`);

        if (tasks.length > 0 && tasks.every((task) => task.state === "stopped")) {
            // A task uploads its result before it exits: read once more, then whatever is missing is lost.
            await Promise.all(watches.map((watch) => watch.readResults()));
            return [...resultErrors(watches), ...missingResults(watches, tasks)];
        }
        if (context.now().getTime() > giveUpAt) {
            throw new RunAbort("not-started", [`the run has gone on ${elapsed(seconds)}, past every task's own limit: giving up on it`]);
        }
        await context.sleep(context.pollMs, context.interrupt);
    }
}

/** k6 ends a stopped test and writes its summary before it exits; the command allows for that before it gives up. */
const K6_WIND_DOWN_SECONDS = 60;

function resultErrors(watches: GroupWatch[]): string[] {
    return watches.flatMap((watch) =>
        [...watch.results.values()]
            .filter((result) => result.status !== "completed")
            .map((result) => {
                const tail = result.logTail.slice(-3).join(" | ");
                return `${watch.describeSegment(result.segment)} ${result.status}: ${result.reason ?? "no reason given"}${tail ? ` (k6's last lines: ${tail})` : ""}`;
            }),
    );
}

function missingResults(watches: GroupWatch[], tasks: TaskView[]): string[] {
    return watches.flatMap((watch) =>
        watch.run.group.segments
            .filter((segment) => !watch.results.has(segment))
            .map((segment) => {
                const taskId = watch.claims.get(segment)?.taskId;
                const task = tasks.find((candidate) => taskId !== undefined && candidate.id.endsWith(taskId));
                return `${watch.describeSegment(segment)} has no result: its task stopped${task?.stoppedDetail ? ` (${task.stoppedDetail})` : ""}`;
            }),
    );
}
