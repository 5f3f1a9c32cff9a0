/**
 * What one load-generator task does with a run (the same on Fargate and under `npm run loadtest -- --local`):
 *
 * 1. read the run's manifest and k6 archive;
 * 2. claim a segment (a conditional write of its ready marker: the first task to write it has it);
 * 3. wait for `go`, so every task starts k6 at the same moment; a `go` already past its start time by more than the
 *    manifest allows means this task came late (a replacement) and must not run;
 * 4. run k6 on its execution segment, thresholds off (they are judged once, over the merged run), recording its
 *    JSON output as it streams;
 * 5. stop k6 when the command's heartbeat goes stale, the run's maximum duration passes, or the task is told to stop;
 * 6. upload what it recorded, k6's exit code and the tail of its log.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import { runKeys } from "./contract";
import { K6Exit, startK6 } from "./k6-process";
import {
    GoSignal,
    RunManifest,
    SegmentResult,
    encodeSegmentResult,
    executionSegment,
    executionSegmentSequence,
    goSchema,
    heartbeatSchema,
    manifestSchema,
    parseRunObject,
} from "./protocol";
import { SegmentRecorder } from "./recorder";
import { RunStore } from "./run-store";

export interface RunnerContext {
    store: RunStore;
    runId: string;
    /** The ECS task id (or `local-<n>`), recorded in the ready marker and the result. */
    taskId: string;
    k6Binary: string;
    /** An empty directory of this task's own: the archive, the pipe, k6's working directory. */
    workDir: string;
    now(): Date;
    /** Resolves after `ms`, or early when `signal` aborts. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
    log(message: string): void;
    /** Aborted when the task must stop (SIGTERM from StopTask or a Spot interruption, Ctrl-C locally). */
    stopSignal: AbortSignal;
    /** How often the task looks for `go` and checks the heartbeat. */
    pollMs: number;
    onK6Log?(line: string): void;
}

export type TaskOutcome =
    | { kind: "no-segment" }
    | { kind: "result"; result: SegmentResult };

export class RunnerError extends Error {}

/** Runs the task; resolves with its result once that is uploaded, or with no-segment when every one was claimed. */
export async function runSegmentTask(context: RunnerContext): Promise<TaskOutcome> {
    const keys = runKeys(context.runId);
    const manifest = await readRequired(context, keys.manifest, (body) => parseRunObject(manifestSchema, `${context.store.location}/${keys.manifest}`, body));
    const archivePath = join(context.workDir, "archive.tar");
    await writeFile(archivePath, await readRequired(context, keys.archive, (body) => body));

    const segment = await claimSegment(context, manifest);
    if (segment === undefined) {
        context.log(`every segment of ${context.runId} is claimed: this task is a late replacement and does not run`);
        return { kind: "no-segment" };
    }
    context.log(`claimed segment ${segment} (${executionSegment(segment, manifest.segmentCount)}); waiting for go`);

    const finish = async (fields: Omit<SegmentResult, "version" | "runId" | "segment" | "taskId">): Promise<TaskOutcome> => {
        const result: SegmentResult = { version: 1, runId: context.runId, segment, taskId: context.taskId, ...fields };
        await context.store.put(keys.result(segment), encodeSegmentResult(result));
        context.log(`segment ${segment}: ${result.status}${result.reason ? ` (${result.reason})` : ""}; result uploaded`);
        return { kind: "result", result };
    };

    const waited = await waitForGo(context, manifest);
    if ("stopReason" in waited) return finish({ status: "stopped", reason: waited.stopReason, k6ExitCode: null, logTail: [] });
    const startAt = new Date(waited.go.startAt);
    const lateBySeconds = (context.now().getTime() - startAt.getTime()) / 1000;
    if (lateBySeconds > manifest.lateStartSeconds) {
        return finish({
            status: "late",
            reason: `go said start at ${waited.go.startAt}, seen ${lateBySeconds.toFixed(1)} s later (more than ${manifest.lateStartSeconds} s): a late task does not run`,
            k6ExitCode: null,
            logTail: [],
        });
    }
    await context.sleep(startAt.getTime() - context.now().getTime(), context.stopSignal);
    if (context.stopSignal.aborted) return finish({ status: "stopped", reason: "told to stop before k6 started", k6ExitCode: null, logTail: [] });
    return finish(await runK6(context, manifest, segment, startAt, archivePath));
}

async function readRequired<T>(context: RunnerContext, key: string, parse: (body: Buffer) => T): Promise<T> {
    const body = await context.store.get(key);
    if (body === undefined) throw new RunnerError(`${context.store.location}/${key} does not exist: was the run started by npm run loadtest?`);
    return parse(body);
}

async function claimSegment(context: RunnerContext, manifest: RunManifest): Promise<number | undefined> {
    for (const segment of manifest.segments) {
        const marker = JSON.stringify({ segment, taskId: context.taskId, at: context.now().toISOString() });
        if (await context.store.putIfAbsent(runKeys(context.runId).ready(segment), marker)) return segment;
    }
    return undefined;
}

/** The heartbeat's age in seconds, or undefined when there is none yet or it cannot be read right now. */
async function heartbeatAgeSeconds(context: RunnerContext): Promise<number | undefined> {
    try {
        const body = await context.store.get(runKeys(context.runId).heartbeat);
        if (body === undefined) return undefined;
        const heartbeat = parseRunObject(heartbeatSchema, "heartbeat", body);
        return (context.now().getTime() - Date.parse(heartbeat.at)) / 1000;
    } catch (error) {
        context.log(`cannot read the heartbeat: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
    }
}

/**
 * Watches the command's heartbeat: stale when the one read is older than the manifest allows, or when none could be
 * read for that long since the last fresh one (or since the watch began).
 */
function heartbeatWatch(context: RunnerContext, manifest: RunManifest): () => Promise<string | undefined> {
    const limit = manifest.heartbeatStaleSeconds;
    let lastFreshAt = context.now().getTime();
    const stale = (seconds: number) => `the command's heartbeat is ${seconds.toFixed(0)} s old (more than ${limit} s): it has stopped, so this task stops too`;
    return async () => {
        const age = await heartbeatAgeSeconds(context);
        if (age !== undefined) {
            if (age > limit) return stale(age);
            lastFreshAt = context.now().getTime() - age * 1000;
            return undefined;
        }
        const silentSeconds = (context.now().getTime() - lastFreshAt) / 1000;
        return silentSeconds > limit ? stale(silentSeconds) : undefined;
    };
}

async function waitForGo(context: RunnerContext, manifest: RunManifest): Promise<{ go: GoSignal } | { stopReason: string }> {
    const since = context.now().getTime();
    const staleness = heartbeatWatch(context, manifest);
    for (;;) {
        const body = await context.store.get(runKeys(context.runId).go);
        if (body !== undefined) return { go: parseRunObject(goSchema, "go", body) };
        if (context.stopSignal.aborted) return { stopReason: "told to stop while waiting for go" };
        const stale = await staleness();
        if (stale !== undefined) return { stopReason: stale };
        if (context.now().getTime() - since > manifest.goWaitSeconds * 1000) {
            return { stopReason: `no go within ${manifest.goWaitSeconds} s of being ready` };
        }
        await context.sleep(context.pollMs, context.stopSignal);
    }
}

async function runK6(
    context: RunnerContext,
    manifest: RunManifest,
    segment: number,
    startAt: Date,
    archivePath: string,
): Promise<Omit<SegmentResult, "version" | "runId" | "segment" | "taskId">> {
    const recorder = new SegmentRecorder({ submetrics: manifest.submetrics, startedAt: startAt, seriesStepSeconds: manifest.seriesStepSeconds });
    const k6StartedAt = context.now().toISOString();
    const k6 = startK6({
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
            archivePath,
        ],
        cwd: context.workDir,
        pipeDir: context.workDir,
        onDataLine: (line) => recorder.ingest(line),
        onLogLine: context.onK6Log,
    });

    let stopReason: string | undefined;
    const stop = (reason: string) => {
        if (stopReason !== undefined) return;
        stopReason = reason;
        context.log(`stopping k6: ${reason}`);
        k6.stop();
    };
    const onStop = () => stop("told to stop (SIGTERM: StopTask, a Spot interruption, or Ctrl-C)");
    context.stopSignal.addEventListener("abort", onStop);
    if (context.stopSignal.aborted) onStop();

    const exited = new AbortController();
    void k6.exited.then(() => exited.abort());
    const staleness = heartbeatWatch(context, manifest);
    const deadline = startAt.getTime() + manifest.maxRunSeconds * 1000;
    while (!exited.signal.aborted) {
        await context.sleep(context.pollMs, exited.signal);
        if (exited.signal.aborted) break;
        if (context.now().getTime() > deadline) stop(`the run's maximum of ${manifest.maxRunSeconds} s has passed`);
        const stale = await staleness();
        if (stale !== undefined) stop(stale);
    }
    context.stopSignal.removeEventListener("abort", onStop);
    const finished = await k6.exited;
    const reason = stopReason ?? describeK6Failure(finished);
    return {
        status: stopReason !== undefined ? "stopped" : finished.exitCode === 0 ? "completed" : "k6-failed",
        ...(reason !== undefined ? { reason } : {}),
        k6ExitCode: finished.exitCode,
        k6StartedAt,
        k6FinishedAt: context.now().toISOString(),
        logTail: k6.logTail(),
        recorded: recorder.result(),
    };
}

function describeK6Failure(exit: K6Exit): string | undefined {
    if (exit.spawnError !== undefined) return exit.spawnError;
    if (exit.exitCode === 0) return undefined;
    return exit.signal !== null ? `k6 was killed by ${exit.signal}` : `k6 exited with code ${exit.exitCode}`;
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return;
    await sleepFor(ms, undefined, { signal }).catch(() => undefined);
}
