/**
 * The whole orchestration of a run with N tasks, in this process: the command (executeRun) and N real runners
 * (runSegmentTask) against a store that answers as S3 does (simulated-s3.ts: whole-second server times, latency),
 * with a stand-in for k6 that records when it was started. Every clock is off: S3's by +37 s, the command's laptop
 * by −15 s, each task's by up to ±60 s. It reports how many requests the run made of the store, and how far apart the
 * tasks started k6 (by the machine's one true clock), against the time `go` named.
 *
 *   npx tsx scripts/loadtest/bench/orchestration-bench.ts [--runs N] [--tasks 10,100,1000]
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "../../../k6/calibrate";
import { LoadgenStackOutputs } from "../../../loadgen/src/contract";
import { K6Exit, K6Process, K6RunOptions } from "../../../loadgen/src/k6-process";
import { RunStore } from "../../../loadgen/src/run-store";
import { abortableSleep, runSegmentTask } from "../../../loadgen/src/runner";
import { ServerClock } from "../../../loadgen/src/server-clock";
import { LaunchedTask, Launcher, TaskView, executeRun } from "../orchestrate";
import { planRun } from "../plan";
import { RequestCounts, SimulatedS3Store } from "./simulated-s3";

const SERVER_OFFSET_MS = 37_000;
const LAPTOP_SKEW_MS = -15_000;
const TASK_SKEW_MS = 60_000;
/** A RunTask call's time (ten tasks each), and a task's provisioning: Fargate's tens of seconds, scaled down. */
const RUN_TASK_MS = 50;
const PROVISIONING_MS = { min: 500, max: 3000 };
/** How long each stand-in k6 "runs". */
const PROFILE_MS = 1000;

const RUN_ID = "lt-20261206T000000Z-b3n4";
const OUTPUTS: LoadgenStackOutputs = {
    region: "eu-west-1",
    accountId: "111111111111",
    clusterArn: "arn:aws:ecs:eu-west-1:111111111111:cluster/loadgen",
    subnetIds: ["subnet-0aaaaaaaaaaaaaaa1"],
    securityGroupId: "sg-0bbbbbbbbbbbbbbb1",
    bucketName: "loadgen-runs-111111111111",
    taskDefinitionArn: "arn:aws:ecs:eu-west-1:111111111111:task-definition/loadgen-runner:1",
    taskDefinitionFamily: "loadgen-runner",
    containerName: "k6-runner",
    runnerImage: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/loadgen-runner:runner-0000000000000000",
    repositoryUrl: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/loadgen-runner",
    repositoryName: "loadgen-runner",
    logGroupName: "/ecs-loadlab/loadgen",
    taskCpu: 1024,
    taskMemory: 2048,
};

interface Start {
    /** When k6 started, by the machine's true clock. */
    atMs: number;
    /** How far the task's estimate of S3's clock was from S3's at that moment. */
    clockErrorMs: number;
}

/** k6 as far as the runner sees it: it started (noted with the task's clock error), wrote a sample, ended. */
function standInK6(starts: Start[], clock: ServerClock): (options: K6RunOptions) => K6Process {
    return (options) => {
        const atMs = Date.now();
        starts.push({ atMs, clockErrorMs: clock.now().getTime() - (atMs + SERVER_OFFSET_MS) });
        let finish: (exit: K6Exit) => void = () => undefined;
        const exited = new Promise<K6Exit>((resolve) => (finish = resolve));
        const timer = setTimeout(() => finish({ exitCode: 0, signal: null }), PROFILE_MS);
        options.onDataLine(JSON.stringify({ type: "Metric", data: { type: "counter", contains: "default" }, metric: "http_reqs" }));
        options.onDataLine(JSON.stringify({ type: "Point", data: { time: new Date().toISOString(), value: 1, tags: {} }, metric: "http_reqs" }));
        return {
            exited,
            stop() {
                clearTimeout(timer);
                finish({ exitCode: 105, signal: null });
            },
            logTail: () => [],
        };
    };
}

/** ECS played in-process: RunTask in calls of ten, each task provisioned after a while, then a real runner. */
class BenchLauncher implements Launcher {
    private readonly tasks: { view: TaskView; stop: AbortController; settled: Promise<void> }[] = [];

    constructor(
        private readonly store: RunStore,
        private readonly workDir: string,
        private readonly starts: Start[],
    ) {}

    async launch(segments: readonly number[], record: (tasks: LaunchedTask[]) => Promise<void>, signal: AbortSignal) {
        for (let from = 0; from < segments.length && !signal.aborted; from += 10) {
            await abortableSleep(RUN_TASK_MS);
            const batch = segments.slice(from, from + 10).map((segment) => ({ taskId: `task-${segment}`, segment }));
            await record(batch);
            for (const { taskId } of batch) this.start(taskId);
        }
        return { failures: [] };
    }

    private start(taskId: string): void {
        const view: TaskView = { id: taskId, state: "provisioning" };
        const stop = new AbortController();
        const skew = (Math.random() * 2 - 1) * TASK_SKEW_MS;
        const settled = (async () => {
            await abortableSleep(PROVISIONING_MS.min + Math.random() * (PROVISIONING_MS.max - PROVISIONING_MS.min), stop.signal);
            view.state = "running";
            const workDir = join(this.workDir, taskId);
            await mkdir(workDir, { recursive: true });
            const clock = new ServerClock(() => Date.now() + skew);
            await runSegmentTask({
                store: this.store.withClock(clock),
                runId: RUN_ID,
                taskId,
                k6Binary: "k6",
                workDir,
                sleep: abortableSleep,
                log: () => undefined,
                stopSignal: stop.signal,
                pollMs: 1000,
                startK6: standInK6(this.starts, clock),
            });
        })().finally(() => {
            view.state = "stopped";
        });
        this.tasks.push({ view, stop, settled });
    }

    async poll(): Promise<TaskView[]> {
        return this.tasks.map((task) => ({ ...task.view }));
    }

    async stopAll(): Promise<string[]> {
        for (const task of this.tasks) task.stop.abort();
        await Promise.allSettled(this.tasks.map((task) => task.settled));
        return [];
    }
}

export interface OrchestrationSample {
    tasks: number;
    counts: RequestCounts;
    /** Writes of every kind (plain and conditional) per task. */
    writesPerTask: number;
    /**
     * The spread of the tasks' estimates of S3's clock as they started k6 (largest error minus smallest): how far
     * apart their starts would be on machines of their own, which is what the protocol decides.
     */
    clockSpreadMs: number;
    /** The latest k6 start minus the earliest by the machine's clock: the above, plus N runners sharing one event loop. */
    startSpreadMs: number;
    /** The start furthest from the time `go` named, either way. */
    worstFromGoMs: number;
    /** How late this process's timers ran (p99): it stretches every simulated round trip, so every clock estimate. */
    eventLoopDelayP99Ms: number;
    results: number;
    seconds: number;
}

function spread(values: number[]): number {
    return values.reduce((max, value) => Math.max(max, value), -Infinity) - values.reduce((min, value) => Math.min(min, value), Infinity);
}

export async function orchestrate(tasks: number): Promise<OrchestrationSample> {
    const workDir = await mkdtemp(join(tmpdir(), "orchestration-bench-"));
    const store = SimulatedS3Store.create({ serverOffsetMs: SERVER_OFFSET_MS, latencyMs: { min: 5, max: 40 } }, new ServerClock(() => Date.now() + LAPTOP_SKEW_MS));
    const starts: Start[] = [];
    const plan = planRun({
        runId: RUN_ID,
        script: "bench",
        baseUrl: "https://bench.invalid",
        tasks,
        spot: false,
        stacks: [{ name: "loadgen", outputs: OUTPUTS }],
        requirements: { durationSeconds: PROFILE_MS / 1000, maxVUs: tasks, thresholds: {} },
        confirmAboveUsd: Infinity,
    });
    let results = 0;
    const began = performance.now();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    try {
        const outcome = await executeRun(
            plan,
            [{ group: plan.groups[0], store, launcher: new BenchLauncher(store, workDir, starts) }],
            Buffer.from("archive"),
            () => results++,
            { sleep: abortableSleep, print: () => undefined, progress: () => undefined, interrupt: new AbortController().signal, pollMs: 2000 },
        );
        if (outcome.kind !== "ran" || outcome.errors.length > 0) throw new Error(`the run failed: ${JSON.stringify(outcome)}`);
        const goAt = outcome.startedAt.getTime() - SERVER_OFFSET_MS;
        const counts = { ...store.counts };
        return {
            tasks,
            counts,
            writesPerTask: (counts.puts + counts.conditionalPuts) / tasks,
            clockSpreadMs: spread(starts.map((start) => start.clockErrorMs)),
            startSpreadMs: spread(starts.map((start) => start.atMs)),
            worstFromGoMs: Math.max(...starts.map((start) => Math.abs(start.atMs - goAt))),
            eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
            results,
            seconds: (performance.now() - began) / 1000,
        };
    } finally {
        delay.disable();
        await rm(workDir, { recursive: true, force: true });
    }
}

export interface OrchestrationRow {
    tasks: number;
    samples: OrchestrationSample[];
}

/** Each task count `runs` times, one after another (the runs share this process, and so its two cores). */
export async function orchestrationBench(options: { runs: number; tasks: readonly number[] }, log: (line: string) => void = console.log): Promise<OrchestrationRow[]> {
    const rows: OrchestrationRow[] = [];
    for (const tasks of options.tasks) {
        const samples: OrchestrationSample[] = [];
        for (let run = 1; run <= options.runs; run++) {
            samples.push(await orchestrate(tasks));
            const last = samples[samples.length - 1];
            log(`  orchestration: ${tasks} tasks, run ${run}/${options.runs}: ${last.seconds.toFixed(1)} s, clock spread ${last.clockSpreadMs.toFixed(0)} ms`);
        }
        rows.push({ tasks, samples });
    }
    return rows;
}

export function formatOrchestrationBench(rows: readonly OrchestrationRow[], runs: number): string[] {
    const header = ["tasks", "writes", "writes/task", "GETs/task", "LISTs", "clock spread", "start spread (one process)", "worst from go", "event loop p99"];
    const table = rows.map(({ tasks, samples }) => {
        const m = (read: (sample: OrchestrationSample) => number) => median(samples.map(read));
        return [
            String(tasks),
            String(m((s) => s.counts.puts + s.counts.conditionalPuts)),
            m((s) => s.writesPerTask).toFixed(2),
            m((s) => s.counts.gets / s.tasks).toFixed(1),
            String(m((s) => s.counts.lists)),
            `${m((s) => s.clockSpreadMs).toFixed(0)} ms`,
            `${m((s) => s.startSpreadMs).toFixed(0)} ms`,
            `${m((s) => s.worstFromGoMs).toFixed(0)} ms`,
            `${m((s) => s.eventLoopDelayP99Ms).toFixed(0)} ms`,
        ];
    });
    const widths = header.map((_, column) => Math.max(header[column].length, ...table.map((row) => row[column].length)));
    const line = (cells: string[]) => `  ${cells.map((cell, column) => cell.padStart(widths[column])).join("  ")}`;
    return [
        `Orchestration: the command and N runners in one process, S3 simulated (whole-second Date, 5-40 ms each way), medians of ${runs} run${runs === 1 ? "" : "s"}`,
        `  clocks: S3 ${SERVER_OFFSET_MS / 1000 > 0 ? "+" : ""}${SERVER_OFFSET_MS / 1000} s, the laptop ${LAPTOP_SKEW_MS / 1000} s, each task within ±${TASK_SKEW_MS / 1000} s`,
        line(header),
        ...table.map(line),
        "  writes: manifest, archive, the control object, and per task its segment, ready marker and result;",
        "  clock spread: how far apart the tasks' estimates of S3's clock were as they started k6 (their starts, on machines of their own);",
        "  start spread: the same starts in this one process, where N runners also share one event loop;",
        "  event loop p99: how late this process's timers ran, which lengthens every simulated round trip and so every clock estimate.",
    ];
}
