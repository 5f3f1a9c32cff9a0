/**
 * A load-test run as a GitHub job summary (`npm run loadtest -- summary`, which CI appends to $GITHUB_STEP_SUMMARY):
 * the verdict with the environment and image it is bound to, k6's summary, each threshold, what the environment's
 * scaling did (its observed timeline's summary: the numbers `timeline observe` prints, from scripts/timeline/summary.ts),
 * and what the run's load generators cost. Pure: the parsed result file and timeline in, Markdown out.
 *
 * GitHub renders job summaries as GitHub Flavored Markdown (https://github.github.com/gfm/,
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary). Every
 * value that comes from the run is escaped (`markdownText`): a backslash before each character GFM could read as
 * markup, a pipe escaped inside table cells too (GFM's tables section: "include a pipe in a cell's content by escaping
 * it"), and no line break inside a cell.
 */
import { DETAIL_METRICS, formatMetricValues, formatTrendStat, thresholdResults, thresholdValue } from "../../k6/lib/summary";
import { START_OVERHEAD_SECONDS } from "../loadtest/plan";
import { estimateFargateCost } from "../loadtest/pricing";
import type { LoadtestResult, ResultMetric, ResultStack } from "../loadtest/result-file";
import { isLocalRun } from "../loadtest/result-file";
import type { Timeline } from "../timeline/timeline";
import { type RunVerdict, shortDigest } from "./verdict";

export interface JobSummaryOptions {
    /** Where the run's HTML report is published (a workflow artifact, the evidence bucket's console page). */
    reportUrl?: string;
}

const VERDICT_HEADINGS: Record<RunVerdict, string> = {
    passed: "✅ Load test passed",
    failed: "❌ Load test failed",
    incomplete: "⚠️ Load test incomplete",
};

/** Characters GFM may read as markup anywhere in a line: each gets a backslash (any ASCII punctuation may have one). */
const INLINE_MARKUP = /[\\`*_[\]<>|~#&]/g;
/**
 * At a line's start (a list item's text is one), these begin a list item, a thematic break or a setext underline
 * (GFM 4.1, 4.3, 5.2): an ordered marker needs a space or the end after it, the others as well or another of theirs.
 * (`>`, a block quote, is escaped everywhere.)
 */
const LEADING_MARKUP = /^(\d{1,9})([.)])(?=\s|$)|^([-+=])(?=[-+=\s]|$)/;

/** Text from the run as Markdown that reads as the text: escaped, on one line. */
export function markdownText(text: string): string {
    return text
        .replace(/\s*[\r\n]+\s*/g, " ")
        .replace(INLINE_MARKUP, (character) => `\\${character}`)
        .replace(LEADING_MARKUP, (_, digits: string | undefined, dot: string | undefined, sign: string | undefined) =>
            digits !== undefined ? `${digits}\\${dot}` : `\\${sign}`,
        );
}

/** An identifier (run id, digest, image) as code: the patterns they match have no backtick or pipe. */
function code(identifier: string): string {
    return /^[^`|\s]+$/.test(identifier) ? `\`${identifier}\`` : markdownText(identifier);
}

/** A URL as an autolink when it is one GFM reads whole, else as text. */
function link(url: string): string {
    return /^https?:\/\/[^\s<>]+$/.test(url) ? `<${url}>` : markdownText(url);
}

/** A GFM table: a header row, its delimiter row (right-aligned columns end with a colon), and the rows. */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
    const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
    return [line(header), line(header.map((_, index) => (right.includes(index) ? "---:" : "---"))), ...rows.map(line)].join("\n");
}

const count = (value: number) => value.toLocaleString("en-US");
const usd = (value: number) => `$${value < 10 ? value.toFixed(2) : value.toFixed(0)}`;

/** "2026-11-30 12:00:01" (UTC), the date left out of the end when it is the start's. */
function utcTimes(startedAt: string, finishedAt: string): string {
    const [start, end] = [startedAt, finishedAt].map((time) => new Date(time).toISOString().slice(0, 19).replace("T", " "));
    return `${start} → ${end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : end} UTC`;
}

/** "3 min 7 s" */
function minutesAndSeconds(seconds: number): string {
    const whole = Math.round(seconds);
    return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

function heading(result: LoadtestResult): string {
    const { run } = result;
    const what = run.target ? `${markdownText(run.script)} on ${markdownText(run.target.environment)} ${code(shortDigest(run.target.digest))}` : markdownText(run.script);
    return `## ${VERDICT_HEADINGS[run.verdict]}: ${what}`;
}

function stackWords(stacks: readonly ResultStack[]): string {
    return stacks.map((stack) => `${markdownText(stack.stack)} × ${stack.segments.length}`).join(", ");
}

function runLines(result: LoadtestResult): string {
    const { run } = result;
    const { distributed } = run.settings;
    const thresholds = thresholdResults(result.k6);
    const failed = thresholds.filter((threshold) => !threshold.ok).length;
    const lines = [
        `- **Run** ${code(run.settings.runId)}: ${markdownText(run.script)} as ${distributed.segments} segment${distributed.segments === 1 ? "" : "s"} ` +
            `(${stackWords(distributed.stacks)}${distributed.spot ? ", Fargate Spot" : ""}), ${utcTimes(run.startedAt, run.finishedAt)} (${run.durationSeconds.toFixed(1)} s)`,
        run.target
            ? `- **Target** ${markdownText(run.target.environment)} (stack ${markdownText(run.target.stack)}) at ${link(run.target.url)}, image ${code(run.target.image)}`
            : `- **Target** ${link(run.baseUrl)} (no --target: the run is bound to no image)`,
        `- **Thresholds** ${thresholds.length === 0 ? "none" : failed === 0 ? `all ${thresholds.length} passed` : `${failed} of ${thresholds.length} failed`}`,
    ];
    if (run.verdict === "incomplete") {
        lines.push("- **Incomplete**: a segment is missing or was cut short, so the thresholds were judged over part of the run only");
    }
    return lines.join("\n");
}

function errorLines(result: LoadtestResult): string[] {
    if (result.run.errors.length === 0) return [];
    return [["**The run failed:**", "", ...result.run.errors.map((error) => `- ${markdownText(error)}`)].join("\n")];
}

/** The metrics the summary shows, as k6's own text does: all but the timing breakdowns http_req_duration sums up. */
function shownMetrics(result: LoadtestResult): [string, ResultMetric][] {
    return Object.entries(result.k6.metrics)
        .filter(([name]) => !DETAIL_METRICS.test(name))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function k6Section(result: LoadtestResult): string {
    const metrics = shownMetrics(result);
    const trends = metrics.filter(([, metric]) => metric.type === "trend");
    const others = metrics.filter(([, metric]) => metric.type !== "trend");
    const parts = ["### k6 summary"];
    if (trends.length > 0) {
        // The statistics the run has, in the order k6 wrote them (its summaryTrendStats).
        const stats = [...new Set(trends.flatMap(([, metric]) => Object.keys(metric.values)))];
        const rows = trends.map(([name, metric]) => [
            markdownText(name),
            ...stats.map((stat) => (metric.values[stat] === undefined ? "" : markdownText(formatTrendStat(stat, metric.values[stat], metric.contains)))),
        ]);
        parts.push(table(["Trend", ...stats.map(markdownText)], rows, stats.map((_, index) => index + 1)));
    }
    if (others.length > 0) {
        parts.push(table(["Metric", "Value"], others.map(([name, metric]) => [markdownText(name), markdownText(formatMetricValues(metric))])));
    }
    if (metrics.length === 0) parts.push("The run recorded no metric.");
    return parts.join("\n\n");
}

function thresholdsSection(result: LoadtestResult): string {
    const thresholds = thresholdResults(result.k6);
    if (thresholds.length === 0) return "### Thresholds\n\nThe script has none: nothing was judged.";
    const rows = thresholds.map(({ metric, expression, ok }) => [
        ok ? "✅" : "❌",
        markdownText(metric),
        markdownText(expression),
        markdownText(thresholdValue(result.k6.metrics[metric], expression)),
    ]);
    return `### Thresholds\n\n${table(["", "Metric", "Threshold", "Value"], rows)}`;
}

/** Why there is no scaling table. */
function noTimelineReason(result: LoadtestResult): string {
    if (!result.run.target) return "the run had no --target, so no environment was observed";
    return (
        `no observed timeline was given (--observed): a run with --target writes it beside its result (<result>.observed.json), ` +
        `unless observing ${result.run.target.environment} failed or --no-record was given (the run's log says which)`
    );
}

function scalingSection(result: LoadtestResult, timeline: Timeline | undefined): string {
    if (timeline === undefined) return `### Scaling\n\nNo scaling table: ${markdownText(noTimelineReason(result))}.`;
    const { summary, scaling } = timeline;
    const running = timeline.rows.map((row) => row.runningTasks).filter((tasks): tasks is number => tasks !== null);
    const region = typeof timeline.assumptions.region === "string" ? `, ${timeline.assumptions.region}` : "";
    const rows: [string, string][] = [
        ["Scaling", `${scaling.mode}, ${scaling.minCapacity}–${scaling.maxCapacity} tasks`],
        ["Running tasks (min → max)", running.length === 0 ? "not measured" : `${Math.min(...running)} → ${Math.max(...running)}`],
        ["First scale-out", summary.firstScaleOutSeconds === null ? "none" : `${minutesAndSeconds(summary.firstScaleOutSeconds)} into the run`],
        ["Scale-outs / scale-ins / reversals", `${summary.scaleOuts} / ${summary.scaleIns} / ${summary.reversals}`],
        ["Minutes at max capacity", String(summary.minutesAtMaxCapacity)],
        ["Shed requests (503)", `${count(summary.shedRequests)} of ${count(summary.requests)} (${summary.shedPercent} %)`],
        [
            timeline.kind === "observed" ? "p99 over the run (its worst minute's)" : "p99 over the run",
            summary.p99Ms === null ? "not measured" : `${Math.round(summary.p99Ms)} ms`,
        ],
        ["Service task-hours, cost", `${summary.taskHours}, $${summary.costUsd.toFixed(4)} (list prices of ${summary.pricesAsOf}${region})`],
    ];
    const parts = [
        `### Scaling of ${markdownText(timeline.stack)} (${timeline.kind})`,
        table(["Figure", "Value"], rows.map(([label, value]) => [markdownText(label), markdownText(value)])),
    ];
    const notes = timeline.notes ?? [];
    if (notes.length > 0) parts.push(["What the timeline lacks:", "", ...notes.map((note) => `- ${markdownText(note)}`)].join("\n"));
    return parts.join("\n\n");
}

/** A loadgen stack with its region and task size, which results carry since they are priced. */
type SizedStack = ResultStack & Required<Pick<ResultStack, "region" | "taskCpu" | "taskMemory">>;

const isSized = (stack: ResultStack): stack is SizedStack => stack.region !== undefined && stack.taskCpu !== undefined && stack.taskMemory !== undefined;

function costSection(result: LoadtestResult): string {
    const { distributed, testRunDuration } = result.run.settings;
    if (isLocalRun(result)) return "### Cost\n\nA --local run: k6 ran on the machine that ran the command, on no Fargate task.";
    // As the plan estimates a run (plan.ts): k6's test run plus the start-up, per task.
    const seconds = testRunDuration.ms / 1000 + START_OVERHEAD_SECONDS;
    const estimates = distributed.stacks.filter(isSized).map((stack) => ({
        stack,
        cost: estimateFargateCost({ region: stack.region, cpuUnits: stack.taskCpu, memoryMiB: stack.taskMemory, tasks: stack.segments.length, seconds, spot: distributed.spot }),
    }));
    const unsized = distributed.stacks.filter((stack) => !isSized(stack));
    const parts = ["### Cost"];
    if (estimates.length > 0) {
        const rows = estimates.map(({ stack, cost }) => [
            markdownText(stack.stack),
            markdownText(`${cost.region}${cost.source === "fallback" ? " (not in the price table: its highest rates)" : ""}`),
            String(stack.segments.length),
            markdownText(`${stack.taskCpu / 1024} vCPU / ${stack.taskMemory / 1024} GB${distributed.spot ? " Spot" : ""}`),
            markdownText(`$${cost.perTaskHourUsd.toFixed(4)}`),
            markdownText(usd(cost.usd)),
        ]);
        parts.push(table(["Loadgen stack", "Priced in", "Tasks", "Task size", "Per task-hour", "Estimate"], rows, [2, 4, 5]));
        const total = estimates.reduce((sum, { cost }) => sum + cost.usd, 0);
        parts.push(
            markdownText(
                `≈ ${usd(total)} in all, at Fargate's list prices of ${estimates[0].cost.pricesAsOf} in each stack's region (scripts/loadtest/pricing.ts): ` +
                    `each task billed for k6's test run (${(testRunDuration.ms / 1000).toFixed(1)} s) plus ≈${START_OVERHEAD_SECONDS} s of start-up, at least a minute; ` +
                    "S3 requests, public IPv4 addresses and data transfer not included.",
            ),
        );
    }
    if (unsized.length > 0) {
        parts.push(markdownText(`No estimate for ${unsized.map((stack) => stack.stack).join(", ")}: the result does not say the task size (written before results carried it).`));
    }
    return parts.join("\n\n");
}

/** The job summary of a run: GitHub Flavored Markdown, ending with a newline. */
export function jobSummary(result: LoadtestResult, observed?: Timeline, options: JobSummaryOptions = {}): string {
    const sections = [
        heading(result),
        runLines(result),
        ...errorLines(result),
        k6Section(result),
        thresholdsSection(result),
        scalingSection(result, observed),
        costSection(result),
        ...(options.reportUrl !== undefined ? [`[The run's report](<${options.reportUrl.replace(/[<>\s]/g, encodeURIComponent)}>)`] : []),
    ];
    return `${sections.join("\n\n")}\n`;
}
