/**
 * `timeline report` (and `simulate/observe --html`): one self-contained HTML page drawing up to three timelines on
 * the same axes: predicted before the run, observed, and predicted again with the calibration the run gave, with
 * each prediction's band and its error against the observed run.
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
import { BAND_AGREES, type Band, type BandField, bandText } from "../band";
import { PREDICTION_ERROR_FIGURES, predictionError } from "../compare";
import { FLAP_WINDOW_SECONDS } from "../summary";
import type { Timeline, TimelineEvent, TimelineSummary } from "../timeline";
import { BAND_OPACITY, CHARTS, EVENT_COLORS, MARKED_FOOT_EVENTS, PREDICTIONS, ROLES, ROLE_DASHES, type ReportRole, type SeriesField } from "./charts";

export type ReportTimelines = Partial<Record<ReportRole, Timeline>>;

/** A timeline with the role it is drawn in. */
interface Drawn {
    role: ReportRole;
    timeline: Timeline;
}

/** Where each role's timeline comes from, for the column headings. */
const SOURCES: Record<ReportRole, string> = {
    predicted: "simulated from the stack file and the k6 profile",
    observed: "read from CloudWatch for the k6 run",
    calibrated: "simulated with the calibration from an observed run",
};

/** How each role's lines look, for the page's opening line. */
const LOOKS: Record<ReportRole, string> = { predicted: "solid, lighter", observed: "dashed, darker", calibrated: "dash-dotted" };

const SERIES_FIELDS: SeriesField[] = [...new Set(CHARTS.flatMap((chart) => chart.series.map((series) => series.field)))];
const BAND_FIELDS: BandField[] = [...new Set(CHARTS.flatMap((chart) => chart.series.flatMap((series) => (series.band ? [series.field] : []))))];

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

function summaryRows(timelines: readonly Timeline[]): SummaryRow[] {
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

/** A table of figures (rows) by timeline (columns), each column headed by its role and where it comes from. */
function figureTable<T>(id: string, columns: ReadonlyArray<{ role: ReportRole; value: T }>, rows: ReadonlyArray<{ label: string; text: (value: T) => string }>): string {
    const head = columns.map(({ role }) => `<th scope="col" class="${role}">${role}<small>${escapeHtml(SOURCES[role])}</small></th>`).join("");
    const body = rows
        .map((row) => `<tr><th scope="row">${escapeHtml(row.label)}</th>${columns.map((column) => `<td>${escapeHtml(row.text(column.value))}</td>`).join("")}</tr>`)
        .join("\n");
    return `<table id="${id}">\n<thead><tr><th scope="col"></th>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function summaryTable(drawn: Drawn[]): string {
    const rows = summaryRows(drawn.map(({ timeline }) => timeline)).map((row) => ({ label: row.label, text: (timeline: Timeline) => row.value(timeline.summary, timeline) }));
    return figureTable("summary", drawn.map(({ role, timeline }) => ({ role, value: timeline })), rows);
}

/** Each prediction's error against the observed run (../compare.ts); nothing without an observed run and a prediction. */
function predictionErrorSection(drawn: Drawn[]): string {
    const observed = drawn.find(({ role }) => role === "observed")?.timeline;
    const predictions = drawn.filter(({ role }) => (PREDICTIONS as readonly ReportRole[]).includes(role));
    if (observed === undefined || predictions.length === 0) return "";
    const columns = predictions.map(({ role, timeline }) => ({ role, value: predictionError(timeline, observed) }));
    const rows = PREDICTION_ERROR_FIGURES.map(([label, text]) => ({ label, text }));
    return `<h3>Prediction error against the observed run</h3>
<p>Over the minutes both timelines have: minutes at another desired task count (rounded), the relative error of the
served and shed totals (+ predicts too many), and the median over the minutes of how far the p99 was off, relative to
the observed.</p>
${figureTable("prediction-error", columns, rows)}
`;
}

/** Per prediction with a band: the minutes where its low and high ends disagree on scaling or shedding. */
function bandSection(drawn: Drawn[]): string {
    const banded = drawn.flatMap(({ role, timeline }) => (timeline.band === undefined ? [] : [{ role, band: timeline.band, stepSeconds: timeline.stepSeconds }]));
    if (banded.length === 0) return "";
    const items = banded.flatMap(({ role, band, stepSeconds }) => {
        const { range, edges } = bandText(band, stepSeconds);
        const lines = edges.length === 0 ? [`${range}: ${BAND_AGREES}`] : [`${range}:`, ...edges];
        return lines.map((line) => `<li class="${role}">${role}: ${escapeHtml(line)}</li>`);
    });
    return `<h3>How sure: the band</h3>
<ul id="band-edges">
${items.join("\n")}
</ul>
`;
}

// ------------------------------------------------------------------------------------------------- notes, events, assumptions

/** What the timelines lack (an alarm history observe could not read), as a short list; nothing when they lack nothing. */
function notesList(drawn: Drawn[]): string {
    const notes = drawn.flatMap(({ role, timeline }) => (timeline.notes ?? []).map((note) => ({ role, note })));
    if (notes.length === 0) return "";
    const several = drawn.length > 1;
    const items = notes.map(({ role, note }) => `<li class="${role}">${several ? `${role}: ` : ""}${escapeHtml(note)}</li>`).join("\n");
    return `<section id="notes">
<h2>Notes</h2>
<ul>
${items}
</ul>
</section>
`;
}

function eventsTable(drawn: Drawn[]): string {
    const events: Array<TimelineEvent & { timeline: ReportRole }> = drawn
        .flatMap(({ role, timeline }) => timeline.events.map((event) => ({ ...event, timeline: role })))
        .sort((a, b) => a.t - b.t || a.timeline.localeCompare(b.timeline));
    if (events.length === 0) return `<p id="events">No alarm, scaling or task events.</p>`;
    const both = drawn.length > 1;
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

function assumptionsList(drawn: Drawn[]): string {
    return drawn
        .map(({ role, timeline }) => {
            const entries = Object.entries(timeline.assumptions);
            const items =
                entries.length === 0
                    ? "<li>none</li>"
                    : entries.map(([name, value]) => `<li><code>${escapeHtml(name)}</code> = ${escapeHtml(String(value))}</li>`).join("\n");
            return `<div class="assumptions ${role}"><h3>${role}</h3>\n<ul>\n${items}\n</ul></div>`;
        })
        .join("\n");
}

// ------------------------------------------------------------------------------------------------- the page

/** A band end's values of each band field at the timeline's times (null where the band has no row). */
function bandColumns(rows: Band["low"], times: number[]): Record<BandField, Array<number | null>> {
    const at = new Map(rows.map((row) => [row.t, row]));
    return Object.fromEntries(BAND_FIELDS.map((field) => [field, times.map((t) => at.get(t)?.[field] ?? null)])) as Record<BandField, Array<number | null>>;
}

/** What the page script reads: the chart specs and each timeline as columns, with its band's when it has one. */
function pageData(drawn: Drawn[]) {
    const ends = drawn.map(({ timeline }) => Math.max(...timeline.rows.map((row) => row.t)) + timeline.stepSeconds);
    return {
        xMaxMinutes: Math.max(...ends) / 60,
        dashes: ROLE_DASHES,
        bandOpacity: BAND_OPACITY,
        eventColors: EVENT_COLORS,
        charts: CHARTS,
        timelines: drawn.map(({ role, timeline }) => {
            const rows = [...timeline.rows].sort((a, b) => a.t - b.t);
            const t = rows.map((row) => row.t);
            const { band } = timeline;
            return {
                role,
                stepSeconds: timeline.stepSeconds,
                t,
                // Only the fields the timeline has: an optional one it lacks (a prediction's errorRps) is not drawn at all.
                columns: Object.fromEntries(
                    SERIES_FIELDS.filter((field) => rows.some((row) => row[field] !== undefined)).map((field) => [field, rows.map((row) => row[field] ?? null)]),
                ),
                band: band === undefined ? null : { low: bandColumns(band.low, t), high: bandColumns(band.high, t) },
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

function title(drawn: Drawn[]): string {
    const runs = [...new Set(drawn.map(({ timeline }) => `${timeline.stack} under the ${timeline.script} profile`))];
    if (runs.length === 1) return `Scaling timeline: ${runs[0]}`;
    return `Scaling timeline: ${drawn.map(({ role, timeline }) => `${timeline.stack} under ${timeline.script} (${role})`).join(" vs ")}`;
}

/** "<predicted> (solid, lighter) and <observed> (dashed, darker) on the same axes.", or "<observed> only." */
function lede(drawn: Drawn[]): string {
    const keys = drawn.map(({ role }) => `<span class="key ${role}">${role}</span>${drawn.length > 1 ? ` (${LOOKS[role]})` : ""}`);
    const which = drawn.length === 1 ? `${keys[0]} only.` : `${keys.slice(0, -1).join(", ")} and ${keys.at(-1)} on the same axes.`;
    const banded = drawn.some(({ timeline }) => timeline.band !== undefined);
    return banded ? `${which} Shaded around running tasks, shed and p99: a prediction at the low and the high end of its per-request CPU.` : which;
}

/**
 * The legend of the marked ticks: "Marked ticks there show each deployment and rollback.", naming only the kinds some
 * timeline has (a prediction has none; most observed runs neither), or nothing.
 */
function markedTicksLegend(drawn: Drawn[]): string {
    const present = MARKED_FOOT_EVENTS.filter((kind) => drawn.some(({ timeline }) => timeline.events.some((event) => event.kind === kind)));
    if (present.length === 0) return "";
    const keys = present.map((kind) => `<span class="key ${kind}">${kind}</span>`);
    return `\nMarked ticks there show each ${keys.join(" and ")}${present.includes("rollback") ? " (a deployment that failed and rolled back)" : ""}.`;
}

/** The timelines given, in the order they are drawn: predicted, observed, calibrated. */
function drawnTimelines(input: ReportTimelines): Drawn[] {
    const drawn = ROLES.flatMap((role) => {
        const timeline = input[role];
        return timeline === undefined ? [] : [{ role, timeline }];
    });
    if (drawn.length === 0) throw new Error("renderReport needs a predicted, an observed or a calibrated timeline");
    for (const { role, timeline } of drawn) {
        const kind = role === "observed" ? "observed" : "predicted";
        if (timeline.kind !== kind) throw new Error(`the ${role} timeline given has kind "${timeline.kind}"`);
        if (timeline.rows.length === 0) throw new Error(`the ${role} timeline has no rows: there is nothing to draw`);
    }
    return drawn;
}

/** The whole HTML document for up to three timelines. */
export function renderReport(input: ReportTimelines): string {
    const drawn = drawnTimelines(input);

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

    const heading = title(drawn);
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
<p class="lede">${lede(drawn)} x axis: minutes from the start of the run. Vertical lines mark
<span class="key alarm">alarm</span> and <span class="key scaling">scaling</span> events (hover for the detail);
<span class="key task">task</span> starts and stops and what ECS said of the <span class="key service">service</span>
are ticks at the foot of the tasks chart.${markedTicksLegend(drawn)}</p>
</header>
<main>
${notesList(drawn)}<section id="charts">
${figures}
<noscript><p>The charts need JavaScript; the tables below do not.</p></noscript>
</section>
<section>
<h2>Summary</h2>
${summaryTable(drawn)}
${predictionErrorSection(drawn)}${bandSection(drawn)}</section>
<section>
<h2>Events</h2>
${eventsTable(drawn)}
</section>
<section>
<h2>Assumptions</h2>
<p>Numbers the timeline rests on that are in neither the stack file nor the k6 profile (override with <code>--assume NAME=VALUE</code> when simulating).</p>
${assumptionsList(drawn)}
</section>
</main>
<script type="application/json" id="report-data">${jsonForScript(pageData(drawn))}</script>
<script>${uplotScript}</script>
<script>${pageScript}</script>
</body>
</html>
`;
}
