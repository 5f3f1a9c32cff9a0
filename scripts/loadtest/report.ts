/**
 * The end of a distributed run: the segments' recordings merged into one k6 summary (thresholds judged once), printed
 * with the project's own summary printer, and written as one JSON file in the same shape as a single k6 run's
 * (`run` + `k6`), plus the per-minute series and a row per task.
 */
import { SegmentResult, executionSegment } from "../../loadgen/src/protocol";
import { MergedRun, mergeRecorded, readRecordedMetrics } from "../../loadgen/src/merge";
import { compactTimestamp, RESULTS_DIR, RunWindow, textSummary, thresholdResults } from "../../k6/lib/summary";
import { CollectedResult } from "./orchestrate";
import { RunPlan } from "./plan";

export interface TaskRow {
    segment: string;
    stack: string;
    taskId: string;
    status: SegmentResult["status"];
    reason?: string;
    k6ExitCode: number | null;
    requests: number;
    failedRequests: number;
}

export interface DistributedReport {
    merged: MergedRun;
    window: RunWindow;
    tasks: TaskRow[];
    errors: string[];
}

/** The run's window: from the earliest k6 start to the latest k6 end over every segment that ran. */
function runWindow(results: CollectedResult[], fallbackStart: Date): RunWindow {
    const starts = results.flatMap(({ result }) => (result.k6StartedAt ? [Date.parse(result.k6StartedAt)] : []));
    const ends = results.flatMap(({ result }) => (result.k6FinishedAt ? [Date.parse(result.k6FinishedAt)] : []));
    const startedAt = starts.length > 0 ? Math.min(...starts) : fallbackStart.getTime();
    const finishedAt = ends.length > 0 ? Math.max(...ends) : startedAt;
    return { startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(), durationSeconds: (finishedAt - startedAt) / 1000 };
}

/** Merges what every segment recorded, the partial recordings of stopped segments included. */
export function buildReport(plan: RunPlan, results: CollectedResult[], errors: string[], startedAt: Date): DistributedReport {
    const window = runWindow(results, startedAt);
    const segments = [...results]
        .sort((a, b) => a.result.segment - b.result.segment)
        .map(({ stack, result }) => ({ stack, result, recorded: result.recorded === undefined ? undefined : readRecordedMetrics(result.recorded) }));
    const merged = mergeRecorded({
        segments: segments.flatMap(({ recorded }) => (recorded === undefined ? [] : [recorded])),
        thresholds: plan.requirements.thresholds,
        ...(plan.requirements.summaryTrendStats ? { summaryTrendStats: plan.requirements.summaryTrendStats } : {}),
        testRunDurationMs: window.durationSeconds * 1000,
    });
    const tasks = segments.map(({ stack, result, recorded }): TaskRow => {
        const requests = recorded?.metrics.http_reqs;
        const failed = recorded?.metrics.http_req_failed;
        return {
            segment: executionSegment(result.segment, plan.segmentCount),
            stack,
            taskId: result.taskId,
            status: result.status,
            ...(result.reason ? { reason: result.reason } : {}),
            k6ExitCode: result.k6ExitCode,
            requests: requests?.kind === "counter" ? requests.count : 0,
            failedRequests: failed?.kind === "rate" ? failed.passes : 0,
        };
    });
    return { merged, window, tasks, errors };
}

export function defaultResultPath(script: string, finishedAt: Date): string {
    return `${RESULTS_DIR}/${script}-${compactTimestamp(finishedAt)}-distributed.json`;
}

/** The JSON file: the same `run` and `k6` parts as a single k6 run's summary file, and the distributed extras. */
export function resultFile(plan: RunPlan, report: DistributedReport, baseUrl: string): string {
    const thresholds = thresholdResults(report.merged.summary);
    const file = {
        run: {
            script: plan.script,
            baseUrl,
            ...report.window,
            thresholdsPassed: report.merged.thresholdsPassed,
            failedThresholds: thresholds.filter((result) => !result.ok).map((result) => `${result.metric}: ${result.expression}`),
            settings: {
                runId: plan.runId,
                distributed: {
                    segments: plan.segmentCount,
                    stacks: plan.groups.map((group) => ({ stack: group.stack, segments: group.segments })),
                    spot: plan.spot,
                },
                percentiles: report.merged.percentiles,
            },
            errors: report.errors,
        },
        k6: report.merged.summary,
        series: report.merged.series,
        tasks: report.tasks,
    };
    return `${JSON.stringify(file, null, 2)}\n`;
}

function formatTasks(tasks: TaskRow[]): string[] {
    const rows = [["segment", "stack", "task", "status", "requests", "failed", "k6 exit"]];
    for (const task of tasks) {
        rows.push([task.segment, task.stack, task.taskId, task.status, String(task.requests), String(task.failedRequests), String(task.k6ExitCode ?? "-")]);
    }
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    return rows.map((row) => `    ${row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()}`);
}

/** What the command prints at the end: k6's summary of the merged run, the tasks, then any error. */
export function formatReport(plan: RunPlan, report: DistributedReport, baseUrl: string, jsonPath: string): string[] {
    const summary = textSummary(report.merged.summary, { script: plan.script, baseUrl, settings: {} }, report.window, jsonPath).split("\n");
    const percentiles = report.merged.percentiles.exact
        ? "  Percentiles are exact: every sample of every segment was kept."
        : `  Percentiles of ${report.merged.percentiles.histogramMetrics.join(", ")} are within 0.05 % (log histogram: more samples than a task keeps one by one); counts, sums, min and max are exact.`;
    const lines = [...summary.slice(0, -2), percentiles, "", `  TASKS (${plan.segmentCount} segments, run ${plan.runId})`, ...formatTasks(report.tasks), ...summary.slice(-2)];
    if (report.errors.length > 0) lines.push("  THE RUN FAILED:", ...report.errors.map((error) => `    ✗ ${error}`), "");
    return lines;
}
