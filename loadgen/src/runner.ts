/**
 * What one load-generator task does with a run (the same on Fargate and under `npm run loadtest -- --local`):
 *
 * 1. read the run's manifest and k6 archive;
 * 2. find its segment in `tasks/<its task id>`, which the command wrote as soon as RunTask returned the task, and
 *    mark it ready with a conditional write of `ready/<segment>` (a lost response is recognised by reading it back);
 * 3. wait for `go` in the control object, so every task starts k6 at the same moment by S3's clock; a task that sees
 *    `go` later than the manifest allows does not run, and says so, and the command then stops the run;
 * 4. run k6 on its execution segment, thresholds off (they are judged once, over the merged run), recording its
 *    JSON output as it streams;
 * 5. stop k6 when the command says `stop`, its heartbeat (the control object's age by S3's clock) goes stale, the
 *    run's maximum duration passes, the task's own lifetime ends, or the task is told to stop;
 * 6. upload what it recorded, k6's exit code, the tail of its log and the first errors k6 reported (k6-errors.ts).
 *
 * Every wait is bounded by a timer of the task's own, not only by the loop that polls S3: a hung call cannot keep k6
 * running (the store's calls have deadlines too).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import { runKeys } from "./contract";
import { describeFailedRequest, describeK6ExitCode, k6LogError } from "./k6-errors";
import { K6Exit, K6Process, K6RunOptions, startK6 } from "./k6-process";
import { readTestRunDurationMs } from "./k6-summary-export";
import {
    RunControl,
    RunManifest,
    SegmentResult,
    assignmentSchema,
    controlSchema,
    encodeSegmentResult,
    executionSegment,
    executionSegmentSequence,
    manifestSchema,
    parseRunObject,
    readySchema,
} from "./protocol";
import { SegmentRecorder } from "./recorder";
import { RunStore } from "./run-store";

export interface RunnerContext {
    /** The run's objects; its clock is S3's as this task sees it, and the only clock the task compares times with. */
    store: RunStore;
    runId: string;
    /** The ECS task id (or `local-<n>`): the command wrote this task's segment under it. */
    taskId: string;
    k6Binary: string;
    /** An empty directory of this task's own: the archive, the pipe, k6's working directory. */
    workDir: string;
    /** Resolves after `ms`, or early when `signal` aborts. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
    log(message: string): void;
    /** Aborted when the task must stop (SIGTERM from StopTask or a Spot interruption, Ctrl-C locally). */
    stopSignal: AbortSignal;
    /** How often, on average, the task reads the control object (timed so that its estimate of S3's clock narrows). */
    pollMs: number;
    onK6Log?(line: string): void;
    /** Starts k6; the benchmark passes an in-process stand-in. */
    startK6?(options: K6RunOptions): K6Process;
    /** The k6 version the task runs, for its result. */
    k6Version?: string;
}

export type TaskOutcome = { kind: "no-segment"; reason: string } | { kind: "result"; result: SegmentResult };

export class RunnerError extends Error {}

type ResultFields = Omit<SegmentResult, "version" | "runId" | "segment" | "taskId">;

/** Runs the task; resolves with its result once that is uploaded, or with no-segment when it has none to run. */
export async function runSegmentTask(context: RunnerContext): Promise<TaskOutcome> {
    const keys = runKeys(context.runId);
    const manifest = await readRequired(context, keys.manifest, (body) => parseRunObject(manifestSchema, `${context.store.location}/${keys.manifest}`, body));
    const archivePath = join(context.workDir, "archive.tar");
    await writeFile(archivePath, await readRequired(context, keys.archive, (body) => body));

    const lifetime = lifetimeTimer(context, manifest);
    try {
        const control = controlWatch(context, manifest, lifetime.signal);
        const assigned = await waitFor(context, manifest, control, () => readAssignment(context), "segment");
        const standAside = (reason: string): TaskOutcome => {
            context.log(`no segment to run: ${reason}`);
            return { kind: "no-segment", reason };
        };
        if ("stopReason" in assigned) return standAside(assigned.stopReason);
        const segment = assigned.value;
        const claim = await markReady(context, segment);
        if (claim !== undefined) return standAside(claim);
        context.log(`segment ${segment} (${executionSegment(segment, manifest.segmentCount)}) is ready; waiting for go`);

        const finish = async (fields: ResultFields): Promise<TaskOutcome> => {
            const result: SegmentResult = {
                version: 2,
                runId: context.runId,
                segment,
                taskId: context.taskId,
                ...(context.k6Version !== undefined ? { k6Version: context.k6Version } : {}),
                ...fields,
            };
            await context.store.put(keys.result(segment), encodeSegmentResult(result));
            context.log(`segment ${segment}: ${result.status}${result.reason ? ` (${result.reason})` : ""}; result uploaded`);
            return { kind: "result", result };
        };
        const notRun = (status: "stopped" | "late", reason: string) => finish({ status, reason, k6ExitCode: null, logTail: [] });

        // A `stop` beside `go` wins: the run was stopped before this task started.
        const go = await waitFor(context, manifest, control, (latest) => (latest?.stop === undefined ? latest?.go : undefined), "go");
        if ("stopReason" in go) return notRun("stopped", go.stopReason);
        const startAt = Date.parse(go.value.startAt);
        const lateBySeconds = (context.store.clock.now().getTime() - startAt) / 1000;
        if (lateBySeconds > manifest.lateStartSeconds) {
            return notRun(
                "late",
                `go said start at ${go.value.startAt}, seen ${lateBySeconds.toFixed(1)} s later by S3's clock (more than ${manifest.lateStartSeconds} s): ` +
                    "a late task does not run",
            );
        }
        const early = (await waitForStart(context, control, startAt, AbortSignal.any([context.stopSignal, lifetime.signal]))) ?? stopReasonOf(context, lifetime);
        if (early !== undefined) return notRun("stopped", `${early} before k6 started`);
        return finish(await runK6(context, manifest, segment, startAt, archivePath, control, lifetime));
    } finally {
        lifetime.clear();
    }
}

async function readRequired<T>(context: RunnerContext, key: string, parse: (body: Buffer) => T): Promise<T> {
    const object = await context.store.get(key);
    if (object === undefined) throw new RunnerError(`${context.store.location}/${key} does not exist: was the run started by npm run loadtest?`);
    return parse(object.body);
}

/**
 * The task's whole life is bounded by a timer of its own: waiting for its segment, then for `go`, then the run's
 * maximum. Past it the task stops k6 (which then has its grace to end), whatever its polling loop is doing.
 */
function lifetimeTimer(context: RunnerContext, manifest: RunManifest): { signal: AbortSignal; reason: string; clear(): void } {
    const seconds = taskLifetimeSeconds(manifest);
    const controller = new AbortController();
    const reason = `the task's maximum lifetime of ${seconds} s has passed`;
    const timer = setTimeout(() => {
        context.log(reason);
        controller.abort();
    }, seconds * 1000);
    return { signal: controller.signal, reason, clear: () => clearTimeout(timer) };
}

/** How long a task may live from reading its manifest: waiting for its segment, then `go`, then the run. */
function taskLifetimeSeconds(manifest: RunManifest): number {
    return 2 * manifest.goWaitSeconds + manifest.maxRunSeconds;
}

function stopReasonOf(context: RunnerContext, lifetime: { signal: AbortSignal; reason: string }): string | undefined {
    if (context.stopSignal.aborted) return "told to stop (SIGTERM: StopTask, a Spot interruption, or Ctrl-C)";
    if (lifetime.signal.aborted) return lifetime.reason;
    return undefined;
}

async function readAssignment(context: RunnerContext): Promise<number | undefined> {
    const key = runKeys(context.runId).assignment(context.taskId);
    const object = await context.store.get(key);
    return object === undefined ? undefined : parseRunObject(assignmentSchema, `${context.store.location}/${key}`, object.body).segment;
}

/**
 * Marks the segment ready with a conditional write. When it already exists, it is read back: this task's own marker
 * means an earlier attempt's response was lost (the write happened); another task's means two were given the same
 * segment, and this one stands aside. Returns why the task does not run, or undefined.
 */
async function markReady(context: RunnerContext, segment: number): Promise<string | undefined> {
    const key = runKeys(context.runId).ready(segment);
    const marker = JSON.stringify({ segment, taskId: context.taskId, at: context.store.clock.now().toISOString() });
    if ((await context.store.putIfAbsent(key, marker)) === "created") return undefined;
    const existing = await context.store.get(key);
    if (existing === undefined) throw new RunnerError(`${context.store.location}/${key} exists and then does not: is another run using this run id?`);
    const owner = parseRunObject(readySchema, `${context.store.location}/${key}`, existing.body).taskId;
    if (owner === context.taskId) return undefined;
    return `segment ${segment} is already ready in task ${owner}: this task stands aside`;
}

interface ControlWatch {
    /** The control object as last read (undefined: none yet, or unreadable just now). */
    read(): Promise<RunControl | undefined>;
    /** Why the task must stop now: the command's `stop`, or its heartbeat is stale. */
    stopReason(): string | undefined;
}

/**
 * Reads the control object and keeps the command's heartbeat: its age is the object's LastModified against S3's clock.
 * Stale when the last one read is older than the manifest allows (and it keeps ageing while none can be read), or
 * when none was read for that long since the watch began.
 */
function controlWatch(context: RunnerContext, manifest: RunManifest, lifetime: AbortSignal): ControlWatch {
    const limit = manifest.heartbeatStaleSeconds;
    const clock = context.store.clock;
    let lastFreshAt = clock.now().getTime();
    let stop: string | undefined;
    const stale = (seconds: number) => `the command's heartbeat is ${seconds.toFixed(0)} s old (more than ${limit} s): it has stopped, so this task stops too`;
    return {
        async read() {
            if (lifetime.aborted) return undefined;
            try {
                const object = await context.store.get(runKeys(context.runId).control);
                if (object === undefined) return undefined;
                const control = parseRunObject(controlSchema, "control", object.body);
                lastFreshAt = object.lastModified.getTime();
                if (control.stop !== undefined) stop = `the command stopped the run: ${control.stop.reason}`;
                return control;
            } catch (error) {
                context.log(`cannot read the control object: ${error instanceof Error ? error.message : String(error)}`);
                return undefined;
            }
        },
        stopReason() {
            if (stop !== undefined) return stop;
            const silentSeconds = (clock.now().getTime() - lastFreshAt) / 1000;
            return silentSeconds > limit ? stale(silentSeconds) : undefined;
        },
    };
}

/** Polls the control object and `read` (every nextPollMs) until `read` gives a value, or a reason to stop comes. */
async function waitFor<T>(
    context: RunnerContext,
    manifest: RunManifest,
    watch: ControlWatch,
    read: (control: RunControl | undefined) => T | undefined | Promise<T | undefined>,
    what: string,
): Promise<{ value: T } | { stopReason: string }> {
    const since = context.store.clock.now().getTime();
    for (;;) {
        const control = await watch.read();
        const value = await read(control);
        if (value !== undefined) return { value };
        const stop = watch.stopReason();
        if (stop !== undefined) return { stopReason: stop };
        if (context.stopSignal.aborted) return { stopReason: `told to stop while waiting for ${what}` };
        if (context.store.clock.now().getTime() - since > manifest.goWaitSeconds * 1000) {
            return { stopReason: `no ${what} within ${manifest.goWaitSeconds} s` };
        }
        await context.sleep(nextPollMs(context), context.stopSignal);
    }
}

/**
 * Waits until `startAt` by S3's clock. The seconds of lead `go` gives are spent polling on, each poll aimed to narrow
 * the clock's estimate, and the last wait is computed from the best estimate; a `stop` meanwhile is returned.
 */
async function waitForStart(context: RunnerContext, watch: ControlWatch, startAt: number, signal: AbortSignal): Promise<string | undefined> {
    for (;;) {
        const remainingMs = startAt - context.store.clock.now().getTime();
        const pollMs = nextPollMs(context);
        if (remainingMs <= pollMs || signal.aborted) {
            await context.sleep(remainingMs, signal);
            return undefined;
        }
        await context.sleep(pollMs, signal);
        await watch.read();
        const stop = watch.stopReason();
        if (stop !== undefined) return stop;
    }
}

/**
 * The wait before the next poll: aimed at a turn of S3's second while the clock can still learn from one (at least
 * half the mean, so within one and a half), else the mean jittered, so that 1,000 tasks do not poll in step.
 */
function nextPollMs(context: RunnerContext): number {
    return context.store.clock.probeDelayMs(context.pollMs / 4) ?? context.pollMs * (0.5 + Math.random());
}

async function runK6(
    context: RunnerContext,
    manifest: RunManifest,
    segment: number,
    startAt: number,
    archivePath: string,
    control: ControlWatch,
    lifetime: { signal: AbortSignal; reason: string },
): Promise<ResultFields> {
    const clock = context.store.clock;
    const recorder = new SegmentRecorder({
        submetrics: manifest.submetrics,
        startedAt: new Date(startAt),
        seriesStepSeconds: manifest.seriesStepSeconds,
        exactSamplesPerSeries: manifest.exactSamplesPerSeries,
    });
    const k6StartedAt = clock.now().toISOString();
    const summaryExportPath = join(context.workDir, "k6-summary-export.json");
    let firstLogError: string | undefined;
    const k6 = (context.startK6 ?? startK6)({
        binary: context.k6Binary,
        args: [
            "run",
            "--execution-segment",
            executionSegment(segment, manifest.segmentCount),
            "--execution-segment-sequence",
            executionSegmentSequence(manifest.segmentCount),
            "--no-thresholds",
            "--quiet",
            "--no-usage-report",
            // The project's scripts write their handleSummary JSON here; any script's relative paths land in workDir.
            "--env",
            `SUMMARY_PATH=${join(context.workDir, "summary.json")}`,
            // k6 writes this besides whatever handleSummary returns: the segment's test run duration is in it.
            "--summary-export",
            summaryExportPath,
            archivePath,
        ],
        cwd: context.workDir,
        pipeDir: context.workDir,
        onDataLine: (line) => recorder.ingest(line),
        onLogLine: (line) => {
            firstLogError ??= k6LogError(line);
            context.onK6Log?.(line);
        },
    });

    let stopReason: string | undefined;
    const stop = (reason: string) => {
        if (stopReason !== undefined) return;
        stopReason = reason;
        context.log(`stopping k6: ${reason}`);
        k6.stop();
    };
    const onSignal = () => stop(stopReasonOf(context, lifetime) ?? "told to stop");
    context.stopSignal.addEventListener("abort", onSignal);
    lifetime.signal.addEventListener("abort", onSignal);
    if (context.stopSignal.aborted || lifetime.signal.aborted) onSignal();
    const deadline = setTimeout(
        () => stop(`the run's maximum of ${manifest.maxRunSeconds} s has passed`),
        Math.max(0, startAt + manifest.maxRunSeconds * 1000 - clock.now().getTime()),
    );

    try {
        const exited = new AbortController();
        void k6.exited.then(() => exited.abort());
        while (!exited.signal.aborted) {
            await context.sleep(nextPollMs(context), exited.signal);
            if (exited.signal.aborted) break;
            // A read that hangs must not keep this loop from seeing k6 exit (the deadline timers stop k6 regardless).
            await Promise.race([control.read(), k6.exited]);
            const reason = control.stopReason();
            if (reason !== undefined) stop(reason);
        }
    } catch (error) {
        // k6 never outlives its task: a task failing while k6 runs stops it (and k6's pipe goes with it).
        k6.stop();
        await k6.exited;
        throw error;
    } finally {
        clearTimeout(deadline);
        context.stopSignal.removeEventListener("abort", onSignal);
        lifetime.signal.removeEventListener("abort", onSignal);
    }
    const finished = await k6.exited;
    const reason = stopReason ?? describeK6Failure(finished);
    const testRunDurationMs = await readTestRunDurationMs(summaryExportPath);
    const failedRequest = recorder.firstFailedRequest;
    const firstErrors = {
        ...(failedRequest !== undefined ? { request: describeFailedRequest(failedRequest) } : {}),
        ...(firstLogError !== undefined ? { log: firstLogError } : {}),
    };
    return {
        status: stopReason !== undefined ? "stopped" : finished.exitCode === 0 ? "completed" : "k6-failed",
        ...(reason !== undefined ? { reason } : {}),
        k6ExitCode: finished.exitCode,
        k6StartedAt,
        k6FinishedAt: clock.now().toISOString(),
        ...(testRunDurationMs !== undefined ? { testRunDurationMs } : {}),
        logTail: k6.logTail(),
        ...(Object.keys(firstErrors).length > 0 ? { firstErrors } : {}),
        recorded: recorder.result(),
    };
}

function describeK6Failure(exit: K6Exit): string | undefined {
    if (exit.spawnError !== undefined) return exit.spawnError;
    if (exit.exitCode === 0) return undefined;
    return exit.exitCode === null ? `k6 was killed by ${exit.signal}` : describeK6ExitCode(exit.exitCode);
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return;
    await sleepFor(ms, undefined, { signal }).catch(() => undefined);
}
