/**
 * The text the commands print: what was assumed, the summary side by side, notes, deployments and rollbacks, a
 * calibration's figures and a prediction's error against the observed run.
 */
import type { CalibratedFigure, Calibration } from "./calibrate/calibration";
import { PREDICTION_ERROR_FIGURES, type PredictionError } from "./compare";
import { clock } from "./report/report";
import type { Timeline } from "./timeline";

const minutes = (seconds: number) => `${(seconds / 60).toFixed(seconds % 60 === 0 ? 0 : 1)} min`;

function after(from: number | null, to: number | null): string {
    if (to === null) return "never";
    return from === null ? minutes(to) : `${minutes(to)} (${minutes(to - from)} after)`;
}

function scaleOutLevel(timeline: Timeline): string {
    const lines = timeline.scaling.cpuThresholds;
    if (timeline.scaling.mode === "target-tracking") return lines[0] ? `> ${lines[0].value} % CPU` : "above target";
    // Step scaling: the scale-out threshold is the second line (scale-in, scale-out, steep).
    return lines[1] ? `≥ ${lines[1].value} % CPU` : "above threshold";
}

/** One row per summary figure, one column per timeline. */
export function summaryTable(timelines: ReadonlyArray<{ title: string; timeline: Timeline }>): string {
    const figures: Array<[string, (timeline: Timeline) => string]> = [
        ["scaling", (t) => `${t.scaling.mode}, ${t.scaling.minCapacity}–${t.scaling.maxCapacity} tasks`],
        ["first minute at scale-out CPU", (t) => (t.summary.firstBreachSeconds === null ? `never ${scaleOutLevel(t)}` : `${minutes(t.summary.firstBreachSeconds)} (${scaleOutLevel(t)})`)],
        ["first scale-out", (t) => after(t.summary.firstBreachSeconds, t.summary.firstScaleOutSeconds)],
        ["new tasks serving", (t) => after(t.summary.firstBreachSeconds, t.summary.firstNewTaskServingSeconds)],
        ["peak tasks", (t) => String(t.summary.peakTasks)],
        ["minutes at max capacity", (t) => String(t.summary.minutesAtMaxCapacity)],
        ["shed requests (503)", (t) => `${t.summary.shedRequests.toLocaleString("en-US")} of ${t.summary.requests.toLocaleString("en-US")} (${t.summary.shedPercent} %)`],
        ["p99 over the run", (t) => (t.summary.p99Ms === null ? "n/a" : `${Math.round(t.summary.p99Ms)} ms`)],
        ["scale-outs / scale-ins / reversals", (t) => `${t.summary.scaleOuts} / ${t.summary.scaleIns} / ${t.summary.reversals}`],
        ["Fargate task-hours, cost", (t) => `${t.summary.taskHours}, $${t.summary.costUsd.toFixed(4)} (list prices of ${t.summary.pricesAsOf})`],
    ];
    return figureTable(figures, timelines.map(({ title, timeline }) => ({ title, value: timeline })));
}

/** One row per figure, one column per value, with aligned columns. */
function figureTable<T>(figures: ReadonlyArray<readonly [string, (value: T) => string]>, columns: ReadonlyArray<{ title: string; value: T }>): string {
    const header = ["", ...columns.map((column) => column.title)];
    const body = figures.map(([label, text]) => [label, ...columns.map((column) => text(column.value))]);
    const widths = header.map((_, index) => Math.max(...[header, ...body].map((row) => row[index].length)));
    return [header, ...body].map((row) => row.map((cell, index) => cell.padEnd(widths[index])).join("   ").trimEnd()).join("\n");
}

/** Each prediction's error against the observed run, one column per prediction. */
export function predictionErrorTable(columns: ReadonlyArray<{ title: string; value: PredictionError }>): string {
    return figureTable(PREDICTION_ERROR_FIGURES, columns);
}

/** Evidence lines shown per calibrated figure; the rest are counted. */
const EVIDENCE_LINES = 3;

function figureLines(name: string, figure: CalibratedFigure | null): string[] {
    if (figure === null) return [`${name}: none (see the notes)`];
    const rest = figure.from.length - EVIDENCE_LINES;
    return [
        `${name}: ${figure.value} (spread ${figure.low}–${figure.high}, ${figure.samples} samples)`,
        ...figure.from.slice(0, EVIDENCE_LINES).map((line) => `    ${line}`),
        ...(rest > 0 ? [`    … ${rest} more in the file`] : []),
    ];
}

/** What `timeline calibrate` prints: each figure with its spread and first evidence, then the notes. */
export function calibrationLines(calibration: Calibration): string[] {
    const { source } = calibration;
    return [
        `calibration of ${source.stack} × ${source.script} (${source.vcpusPerTask} vCPU tasks), from ${source.observed}:`,
        ...figureLines("cpuMsPerRequest", calibration.cpuMsPerRequest),
        ...figureLines("taskStartupSeconds", calibration.taskStartupSeconds),
        ...figureLines("datapointDelaySeconds", calibration.datapointDelaySeconds),
        ...calibration.notes.map((note) => `note: ${note}`),
    ];
}

/** The assumptions line: every one by name, so a reader knows what to override. */
export function assumptionsText(assumptions: Timeline["assumptions"], overridable: readonly string[]): string {
    const named = Object.entries(assumptions).filter(([name]) => overridable.includes(name));
    return `assumptions (--assume NAME=VALUE): ${named.map(([name, value]) => `${name}=${value}`).join(", ")}`;
}

/** A warning line per note of each timeline (what it lacks), named by its title when there are several. */
export function notesLines(timelines: ReadonlyArray<{ title: string; timeline: Timeline }>): string[] {
    return timelines.flatMap(({ title, timeline }) => (timeline.notes ?? []).map((note) => `warning: ${timelines.length > 1 ? `${title}: ` : ""}${note}`));
}

/**
 * The timeline's deployments and rollbacks, one line each after a heading: `  3:05  rollback    deployment … failed,
 * rolled back by alarm target-5xx: …`. Nothing when there are none.
 */
export function deploymentLines(timeline: Timeline): string[] {
    const events = timeline.events.filter((event) => event.kind === "deployment" || event.kind === "rollback");
    if (events.length === 0) return [];
    const rollbacks = events.filter((event) => event.kind === "rollback").length;
    return [
        `deployments in the window (${events.length - rollbacks} deployment, ${rollbacks} rollback events):`,
        ...events.map((event) => `  ${clock(event.t).padStart(5)}  ${event.kind.padEnd(10)}  ${event.detail}`),
    ];
}
