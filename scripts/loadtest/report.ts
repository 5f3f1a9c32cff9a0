/**
 * The end of a distributed run: the segments' recordings merged into one k6 summary (thresholds judged once), printed
 * with the project's own summary printer, and written as one JSON file in the same shape as a single k6 run's
 * (`run` + `k6`), plus the per-minute series and a row per task. The results are folded in one at a time as they
 * arrive (RunCollector), during the run or in a later `merge`.
 */
import { executionSegment, MergeSpec, RunManifest, SegmentResult } from "../../loadgen/src/protocol";
import { MergedRun, RunMerger } from "../../loadgen/src/merge";
import { readRecordedMetrics } from "../../loadgen/src/recorder";
import { compactTimestamp, RESULTS_DIR, RunWindow, textSummary, thresholdResults } from "../../k6/lib/summary";
import type { RunTarget, RunVerdict } from "../release/verdict";
import { segmentLabel, withFirstK6Error } from "./results";

/** A loadgen stack's region and task size, as its outputs say: what its tasks cost (scripts/release/job-summary.ts). */
export interface StackTaskSize {
    region: string;
    /** CPU units (1024 = 1 vCPU) and MiB, as the task definition gives them. */
    taskCpu: number;
    taskMemory: number;
}

/**
 * What the report says about the run: from its manifest, the same for a run just finished and a later merge
 * (--target's environment and image included); and what the command knew besides when it ran or merged (each
 * stack's task size, from its outputs).
 */
export interface RunDescription {
    runId: string;
    script: string;
    segmentCount: number;
    merge: MergeSpec;
    /** --target's environment and image, from the manifest. */
    target?: RunTarget;
    /** Each loadgen stack's task size, by stack name; none for a --local run. */
    taskSizes?: Record<string, StackTaskSize>;
}

export function describeRun(manifest: RunManifest, known: Pick<RunDescription, "taskSizes"> = {}): RunDescription {
    const { target, ...merge } = manifest.merge;
    return { runId: manifest.runId, script: manifest.script, segmentCount: manifest.segmentCount, merge, ...(target ? { target } : {}), ...known };
}

export interface TaskRow {
    segment: string;
    stack: string;
    taskId: string;
    status: SegmentResult["status"];
    reason?: string;
    k6ExitCode: number | null;
    k6Version?: string;
    requests: number;
    failedRequests: number;
    /** Why the table names the task (taskProblem), with the first error k6 reported. */
    problem?: string;
}

export interface DistributedReport {
    merged: MergedRun;
    /** The merge's verdict, except that a run in which a task's every request failed has not passed, whatever its thresholds say. */
    verdict: RunVerdict;
    window: RunWindow;
    /** The duration counters' rates are divided by: k6's own, or the tasks' wall time where k6 reported none. */
    testRunDuration: { ms: number; source: "k6" | "wall clock" };
    tasks: TaskRow[];
    errors: string[];
}

/**
 * Why the task table names a task, with the first error k6 reported: its k6 failed (exited non-zero, or never
 * started), or every request it made failed, as against a target that is down (k6 itself exits 0 then).
 */
function taskProblem(result: SegmentResult, requests: number, failedRequests: number): string | undefined {
    if (result.status === "k6-failed") return withFirstK6Error(result.reason ?? "k6 failed", result, "k6");
    if (requests > 0 && failedRequests === requests) return withFirstK6Error(`all ${requests} requests failed`, result, "requests");
    return undefined;
}

/** Folds each segment's result into the merge as it arrives, keeping only its row and its times. */
export class RunCollector {
    private readonly merger: RunMerger;
    private readonly rows: TaskRow[] = [];
    /** Each task that completed with every request failed: a run error (a task that did not complete is one already). */
    private readonly failedTasks: { segment: number; error: string }[] = [];
    private earliestStart = Infinity;
    private latestFinish = -Infinity;
    private longestMs = 0;
    private wallClockSegments = 0;

    constructor(private readonly run: RunDescription) {
        this.merger = new RunMerger({ exactSamplesPerSeries: run.merge.exactSampleBudget });
    }

    collect(stack: string, result: SegmentResult): void {
        const recorded = result.recorded === undefined ? undefined : readRecordedMetrics(result.recorded, `segment ${result.segment}'s recording`);
        this.merger.add(result.segment, recorded, result.status === "completed");
        this.noteTimes(result);
        const counted = recorded?.metrics.http_reqs;
        const failed = recorded?.metrics.http_req_failed;
        const requests = counted?.kind === "counter" ? counted.count : 0;
        const failedRequests = failed?.kind === "rate" ? failed.passes : 0;
        const problem = taskProblem(result, requests, failedRequests);
        if (problem !== undefined && result.status === "completed") {
            this.failedTasks.push({ segment: result.segment, error: `${segmentLabel(result.segment, stack, result.taskId)}: ${problem}` });
        }
        this.rows.push({
            segment: executionSegment(result.segment, this.run.segmentCount),
            stack,
            taskId: result.taskId,
            status: result.status,
            ...(result.reason ? { reason: result.reason } : {}),
            k6ExitCode: result.k6ExitCode,
            ...(result.k6Version ? { k6Version: result.k6Version } : {}),
            requests,
            failedRequests,
            ...(problem !== undefined ? { problem } : {}),
        });
    }

    private noteTimes(result: SegmentResult): void {
        if (result.k6StartedAt === undefined || result.k6FinishedAt === undefined) return;
        const started = Date.parse(result.k6StartedAt);
        const finished = Date.parse(result.k6FinishedAt);
        this.earliestStart = Math.min(this.earliestStart, started);
        this.latestFinish = Math.max(this.latestFinish, finished);
        if (result.testRunDurationMs === undefined) this.wallClockSegments++;
        // The segments start together at `go`: the whole run lasts as long as its longest segment, as one k6 would.
        this.longestMs = Math.max(this.longestMs, result.testRunDurationMs ?? finished - started);
    }

    report(errors: string[], fallbackStart: Date): DistributedReport {
        const startedAt = Number.isFinite(this.earliestStart) ? this.earliestStart : fallbackStart.getTime();
        const finishedAt = Number.isFinite(this.latestFinish) ? this.latestFinish : startedAt;
        const merged = this.merger.finish({
            thresholds: this.run.merge.thresholds,
            ...(this.run.merge.summaryTrendStats ? { summaryTrendStats: this.run.merge.summaryTrendStats } : {}),
            testRunDurationMs: this.longestMs,
            expectedSegments: this.run.merge.stacks.flatMap((stack) => stack.segments),
        });
        const missing = merged.missingSegments.map((segment) => executionSegment(segment, this.run.segmentCount));
        const runErrors = [...errors, ...[...this.failedTasks].sort((a, b) => a.segment - b.segment).map(({ error }) => error)];
        return {
            merged,
            verdict: merged.verdict === "passed" && this.failedTasks.length > 0 ? "failed" : merged.verdict,
            window: { startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(), durationSeconds: (finishedAt - startedAt) / 1000 },
            testRunDuration: { ms: this.longestMs, source: this.wallClockSegments > 0 ? "wall clock" : "k6" },
            tasks: [...this.rows].sort((a, b) => a.segment.localeCompare(b.segment, undefined, { numeric: true })),
            errors: missing.length > 0 ? [...runErrors, `the run is incomplete: no result for segment${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`] : runErrors,
        };
    }
}

export function defaultResultPath(script: string, finishedAt: Date): string {
    return `${RESULTS_DIR}/${script}-${compactTimestamp(finishedAt)}-distributed.json`;
}

/** The JSON file: the same `run` and `k6` parts as a single k6 run's summary file, and the distributed extras. */
export function resultFile(run: RunDescription, report: DistributedReport): string {
    const thresholds = thresholdResults(report.merged.summary);
    const file = {
        run: {
            script: run.script,
            baseUrl: run.merge.baseUrl,
            ...(run.target ? { target: run.target } : {}),
            ...report.window,
            thresholdsPassed: report.merged.thresholdsPassed,
            failedThresholds: thresholds.filter((result) => !result.ok).map((result) => `${result.metric}: ${result.expression}`),
            settings: {
                runId: run.runId,
                distributed: {
                    segments: run.segmentCount,
                    stacks: run.merge.stacks.map((stack) => ({ ...stack, ...run.taskSizes?.[stack.stack] })),
                    spot: run.merge.spot,
                    missingSegments: report.merged.missingSegments,
                },
                testRunDuration: report.testRunDuration,
                percentiles: report.merged.percentiles,
            },
            verdict: report.verdict,
            errors: report.errors,
        },
        k6: report.merged.summary,
        series: report.merged.series,
        tasks: report.tasks,
    };
    return `${JSON.stringify(file, null, 2)}\n`;
}

/** The table, and under a task's row why it is named (taskProblem). */
function formatTasks(tasks: TaskRow[]): string[] {
    const header = ["segment", "stack", "task", "status", "requests", "failed", "k6 exit"];
    const rows = tasks.map((task) => [task.segment, task.stack, task.taskId, task.status, String(task.requests), String(task.failedRequests), String(task.k6ExitCode ?? "-")]);
    const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
    const line = (row: string[]) => `    ${row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()}`;
    return [line(header), ...tasks.flatMap((task, index) => [line(rows[index]), ...(task.problem !== undefined ? [`      ✗ ${task.problem}`] : [])])];
}

/** Past this many tasks the table lists only the ones that did not complete, or whose every request failed. */
const TASK_TABLE_ROWS = 20;

function percentilesLine(merged: MergedRun): string {
    const series = Object.entries(merged.percentiles.series);
    const histograms = series.filter(([, { mode }]) => mode === "histogram").map(([key]) => key);
    const budget = merged.percentiles.budget.toLocaleString("en-US");
    if (histograms.length === 0) return `  Percentiles are exact: every sample of every segment was kept (budget ${budget} samples per series).`;
    return (
        `  Percentiles of ${histograms.join(", ")} are within 0.05 % (a log histogram: more samples than the run's budget of ` +
        `${budget} per series); counts, sums, min and max are exact.`
    );
}

/** What the command prints at the end: k6's summary of the merged run, the tasks, then the verdict and any error. */
export function formatReport(run: RunDescription, report: DistributedReport, jsonPath: string): string[] {
    const summary = textSummary(report.merged.summary, { script: run.script, baseUrl: run.merge.baseUrl, settings: {} }, report.window, jsonPath).split("\n");
    const shown = report.tasks.length > TASK_TABLE_ROWS ? report.tasks.filter((task) => task.status !== "completed" || task.problem !== undefined) : report.tasks;
    const hidden = report.tasks.length - shown.length;
    const lines = [
        ...summary.slice(0, -2),
        percentilesLine(report.merged),
        `  Counter rates are per second of ${report.testRunDuration.source === "k6" ? "k6's own test run duration" : "the tasks' wall time (k6 reported no duration)"}: ${(report.testRunDuration.ms / 1000).toFixed(1)} s.`,
        "",
        `  TASKS (${run.segmentCount} segments, run ${run.runId})${hidden > 0 ? `: ${hidden} completed without a problem, not listed` : ""}`,
        ...(shown.length > 0 ? formatTasks(shown) : []),
        ...summary.slice(-2),
    ];
    if (report.verdict === "incomplete") lines.push("  VERDICT: INCOMPLETE — the thresholds were judged over part of the run only.");
    if (report.merged.verdict === "passed" && report.verdict === "failed") lines.push("  VERDICT: FAILED — every request of a task failed (named above), whatever the thresholds say.");
    if (report.errors.length > 0) lines.push("  THE RUN FAILED:", ...report.errors.map((error) => `    ✗ ${error}`), "");
    return lines;
}
