/**
 * `timeline report` (and `simulate/observe --html`): one self-contained HTML page drawing a predicted and/or an
 * observed timeline on the same axes.
 *
 * Self-contained means it opens from disk with no network: uPlot (a dependency) and the page's own script and styles
 * are inlined, the timelines are embedded as JSON, and a Content-Security-Policy allows no fetch of any kind
 * (`default-src 'none'`) and only the page's own scripts, by hash. Everything that is text (title, summary, events,
 * assumptions, notes) is written here, HTML-escaped, so it reads without JavaScript; the page script (./page.js) only
 * draws the charts (./charts.ts says what each shows).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { FLAP_WINDOW_SECONDS } from "../summary";
import type { Timeline, TimelineEvent, TimelineKind, TimelineSummary } from "../timeline";
import { CHARTS, EVENT_COLORS, OBSERVED_DASH, type SeriesField } from "./charts";

export interface ReportTimelines {
    predicted?: Timeline;
    observed?: Timeline;
}

/** Where each kind of timeline comes from, for the column headings. */
const SOURCES: Record<TimelineKind, string> = {
    predicted: "simulated from the stack file and the k6 profile",
    observed: "read from CloudWatch for the k6 run",
};

const SERIES_FIELDS: SeriesField[] = [...new Set(CHARTS.flatMap((chart) => chart.series.map((series) => series.field)))];

// ------------------------------------------------------------------------------------------------- text helpers

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text → HTML text or attribute value. */
export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/**
 * JSON that can sit inside <script type="application/json">: `<`, `>` and `&` as \u escapes, so no string in it
 * (a `</script>` or `<!--` in an event's detail) can end the element or start a comment. JSON.parse reads it back.
 */
export function jsonForScript(value: unknown): string {
    return JSON.stringify(value)
        .replace(/</g, "\\u003c")
        .replace(/>/g, "\\u003e")
        .replace(/&/g, "\\u0026")
        .replace(/\u2028/g, "\\u2028")
        .replace(/\u2029/g, "\\u2029");
}

/** Seconds → m:ss (h:mm:ss from an hour on). */
export function clock(seconds: number): string {
    const whole = Math.round(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Seconds → "45 s", "4 min", "4 min 20 s". */
export function duration(seconds: number): string {
    const whole = Math.round(seconds);
    if (whole < 60) return `${whole} s`;
    const minutes = Math.floor(whole / 60);
    const rest = whole % 60;
    return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

const integer = (value: number) => Math.round(value).toLocaleString("en-US");
const decimal = (value: number, digits: number) => value.toLocaleString("en-US", { maximumFractionDigits: digits });

// ------------------------------------------------------------------------------------------------- the summary

/** "2 min 10 s after the threshold (at 6:10)", "at 6:10", or "none". */
function reaction(at: number | null, breach: number | null): string {
    if (at === null) return "none";
    if (breach === null || at < breach) return `at ${clock(at)}`;
    return `${duration(at - breach)} after the threshold (at ${clock(at)})`;
}

interface SummaryRow {
    label: string;
    value: (summary: TimelineSummary, timeline: Timeline) => string;
}

function summaryRows(timelines: Timeline[]): SummaryRow[] {
    const pricesAsOf = [...new Set(timelines.map((timeline) => timeline.summary.pricesAsOf))];
    const sharedPrices = pricesAsOf.length === 1;
    return [
        { label: "stack file, k6 profile", value: (_, timeline) => `${timeline.stack}, ${timeline.script}` },
        {
            label: "scaling",
            value: (_, { scaling }) => `${scaling.mode}, ${scaling.minCapacity}–${scaling.maxCapacity} tasks`,
        },
        { label: "time step", value: (_, timeline) => duration(timeline.stepSeconds) },
        { label: "run length", value: (summary) => duration(summary.durationSeconds) },
        { label: "requests offered", value: (summary) => integer(summary.requests) },
        {
            label: "requests shed (503 or unanswered)",
            value: (summary) => `${integer(summary.shedRequests)} (${decimal(summary.shedPercent, 2)} %)`,
        },
        { label: "p99 latency over the run", value: (summary) => (summary.p99Ms === null ? "no requests" : `${decimal(summary.p99Ms, 1)} ms`) },
        { label: "peak running tasks", value: (summary) => integer(summary.peakTasks) },
        { label: "time at max capacity", value: (summary) => `${decimal(summary.minutesAtMaxCapacity, 1)} min` },
        {
            label: "CPU first at the scale-out threshold",
            value: (summary) => (summary.firstBreachSeconds === null ? "never" : `at ${clock(summary.firstBreachSeconds)}`),
        },
        { label: "time to first scale-out", value: (summary) => reaction(summary.firstScaleOutSeconds, summary.firstBreachSeconds) },
        {
            label: "time to a new task serving",
            value: (summary) => reaction(summary.firstNewTaskServingSeconds, summary.firstBreachSeconds),
        },
        { label: "scale-outs / scale-ins", value: (summary) => `${summary.scaleOuts} / ${summary.scaleIns}` },
        {
            label: `reversals (scaling turned round within ${duration(FLAP_WINDOW_SECONDS)})`,
            value: (summary) => integer(summary.reversals),
        },
        { label: "task-hours", value: (summary) => decimal(summary.taskHours, 3) },
        {
            label: sharedPrices ? `cost (USD, Fargate list prices as of ${pricesAsOf[0]})` : "cost (USD, Fargate list prices)",
            value: (summary) => `$${summary.costUsd.toFixed(4)}${sharedPrices ? "" : ` (prices as of ${summary.pricesAsOf})`}`,
        },
    ];
}

function summaryTable(timelines: Timeline[]): string {
    const head = timelines
        .map((timeline) => `<th scope="col" class="${timeline.kind}">${timeline.kind}<small>${escapeHtml(SOURCES[timeline.kind])}</small></th>`)
        .join("");
    const body = summaryRows(timelines)
        .map(
            (row) =>
                `<tr><th scope="row">${escapeHtml(row.label)}</th>${timelines
                    .map((timeline) => `<td>${escapeHtml(row.value(timeline.summary, timeline))}</td>`)
                    .join("")}</tr>`,
        )
        .join("\n");
    return `<table id="summary">\n<thead><tr><th scope="col"></th>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

// ------------------------------------------------------------------------------------------------- notes, events, assumptions

/** What the timelines lack (an alarm history observe could not read), as a short list; nothing when they lack nothing. */
function notesList(timelines: Timeline[]): string {
    const notes = timelines.flatMap((timeline) => (timeline.notes ?? []).map((note) => ({ kind: timeline.kind, note })));
    if (notes.length === 0) return "";
    const both = timelines.length > 1;
    const items = notes.map(({ kind, note }) => `<li class="${kind}">${both ? `${kind}: ` : ""}${escapeHtml(note)}</li>`).join("\n");
    return `<section id="notes">
<h2>Notes</h2>
<ul>
${items}
</ul>
</section>
`;
}

function eventsTable(timelines: Timeline[]): string {
    const events: Array<TimelineEvent & { timeline: TimelineKind }> = timelines
        .flatMap((timeline) => timeline.events.map((event) => ({ ...event, timeline: timeline.kind })))
        .sort((a, b) => a.t - b.t || a.timeline.localeCompare(b.timeline));
    if (events.length === 0) return `<p id="events">No alarm, scaling or task events.</p>`;
    const both = timelines.length > 1;
    const rows = events
        .map(
            (event) =>
                `<tr class="${event.kind}"><td>${clock(event.t)}</td>${both ? `<td>${event.timeline}</td>` : ""}<td>${event.kind}</td><td>${escapeHtml(event.detail)}</td></tr>`,
        )
        .join("\n");
    return `<details open><summary>${events.length} events</summary>
<table id="events">
<thead><tr><th scope="col">time</th>${both ? `<th scope="col">timeline</th>` : ""}<th scope="col">kind</th><th scope="col">detail</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</details>`;
}

function assumptionsList(timelines: Timeline[]): string {
    return timelines
        .map((timeline) => {
            const entries = Object.entries(timeline.assumptions);
            const items =
                entries.length === 0
                    ? "<li>none</li>"
                    : entries.map(([name, value]) => `<li><code>${escapeHtml(name)}</code> = ${escapeHtml(String(value))}</li>`).join("\n");
            return `<div class="assumptions ${timeline.kind}"><h3>${timeline.kind}</h3>\n<ul>\n${items}\n</ul></div>`;
        })
        .join("\n");
}

// ------------------------------------------------------------------------------------------------- the page

/** What the page script reads: the chart specs and each timeline as columns. */
function pageData(timelines: Timeline[]) {
    const ends = timelines.map((timeline) => Math.max(...timeline.rows.map((row) => row.t)) + timeline.stepSeconds);
    return {
        xMaxMinutes: Math.max(...ends) / 60,
        observedDash: OBSERVED_DASH,
        eventColors: EVENT_COLORS,
        charts: CHARTS,
        timelines: timelines.map((timeline) => {
            const rows = [...timeline.rows].sort((a, b) => a.t - b.t);
            return {
                kind: timeline.kind,
                stepSeconds: timeline.stepSeconds,
                t: rows.map((row) => row.t),
                columns: Object.fromEntries(SERIES_FIELDS.map((field) => [field, rows.map((row) => row[field])])),
                events: timeline.events,
                scaling: timeline.scaling,
            };
        }),
    };
}

/** An asset's text, refused if it could end the element it is inlined in. */
function inlineable(file: string, element: "script" | "style"): string {
    const text = fs.readFileSync(file, "utf8");
    if (new RegExp(`</${element}`, "i").test(text)) throw new Error(`${file} contains </${element}: it cannot be inlined`);
    return text;
}

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

function title(timelines: Timeline[]): string {
    const runs = [...new Set(timelines.map((timeline) => `${timeline.stack} under the ${timeline.script} profile`))];
    if (runs.length === 1) return `Scaling timeline: ${runs[0]}`;
    return `Scaling timeline: ${timelines.map((timeline) => `${timeline.stack} under ${timeline.script} (${timeline.kind})`).join(" vs ")}`;
}

/** The whole HTML document for one or two timelines (predicted first). */
export function renderReport(input: ReportTimelines): string {
    const timelines = [input.predicted, input.observed].filter((timeline): timeline is Timeline => timeline !== undefined);
    if (timelines.length === 0) throw new Error("renderReport needs a predicted or an observed timeline");
    for (const [kind, timeline] of Object.entries(input) as Array<[TimelineKind, Timeline | undefined]>) {
        if (timeline !== undefined && timeline.kind !== kind) throw new Error(`the ${kind} timeline given has kind "${timeline.kind}"`);
        if (timeline !== undefined && timeline.rows.length === 0) throw new Error(`the ${kind} timeline has no rows: there is nothing to draw`);
    }

    const uplotScript = inlineable(require.resolve("uplot/dist/uPlot.iife.min.js"), "script");
    const uplotStyle = inlineable(require.resolve("uplot/dist/uPlot.min.css"), "style");
    const pageScript = inlineable(path.join(__dirname, "page.js"), "script");
    const pageStyle = inlineable(path.join(__dirname, "page.css"), "style");
    const csp = [
        "default-src 'none'",
        `script-src ${sha256(uplotScript)} ${sha256(pageScript)}`,
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ].join("; ");

    const heading = title(timelines);
    const kinds = timelines.map((timeline) => timeline.kind);
    const lede =
        timelines.length === 2
            ? `<span class="key predicted">predicted</span> (solid, lighter) and <span class="key observed">observed</span> (dashed, darker) on the same axes.`
            : `<span class="key ${kinds[0]}">${kinds[0]}</span> only.`;
    const figures = CHARTS.map(
        (chart) => `<figure class="chart" id="chart-${chart.id}" data-chart="${chart.id}">
<figcaption>${escapeHtml(chart.title)}</figcaption>
<div class="plot"></div>
</figure>`,
    ).join("\n");

    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)}</title>
<style>
${uplotStyle}
</style>
<style>
${pageStyle}
</style>
</head>
<body>
<header>
<h1>${escapeHtml(heading)}</h1>
<p class="lede">${lede} x axis: minutes from the start of the run. Vertical lines mark
<span class="key alarm">alarm</span> and <span class="key scaling">scaling</span> events (hover for the detail);
<span class="key task">task</span> starts and stops are ticks at the foot of the tasks chart.</p>
</header>
<main>
${notesList(timelines)}<section id="charts">
${figures}
<noscript><p>The charts need JavaScript; the tables below do not.</p></noscript>
</section>
<section>
<h2>Summary</h2>
${summaryTable(timelines)}
</section>
<section>
<h2>Events</h2>
${eventsTable(timelines)}
</section>
<section>
<h2>Assumptions</h2>
<p>Numbers the timeline rests on that are in neither the stack file nor the k6 profile (override with <code>--assume NAME=VALUE</code> when simulating).</p>
${assumptionsList(timelines)}
</section>
</main>
<script type="application/json" id="report-data">${jsonForScript(pageData(timelines))}</script>
<script>${uplotScript}</script>
<script>${pageScript}</script>
</body>
</html>
`;
}
