import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { describeInBrowser } from "./chromium";
import { bandEdges, edgeText } from "../scripts/timeline/band";
import { PREDICTION_ERROR_FIGURES, predictionError } from "../scripts/timeline/compare";
import { BAND_OPACITY, CHARTS, EVENT_COLORS, ROLES, type ChartSpec, type ReportRole } from "../scripts/timeline/report/charts";
import { clock, jsonForScript, renderReport, type ReportTimelines } from "../scripts/timeline/report/report";
import { predict } from "../scripts/timeline/simulate/simulate";
import { readEnvironmentStack } from "../scripts/timeline/stack-file";
import { EVENT_KINDS, type Timeline, type TimelineEvent, type TimelineEventKind, parseTimeline } from "../scripts/timeline/timeline";
import { stackFilePath } from "./environment-fixtures";
import { FIXTURE_MINUTES, FIXTURE_SCALING, HOSTILE_DETAIL, emptyTimeline, fixtureBanded, fixtureCalibrated, fixturePair, fixtureTimeline } from "./timeline-fixtures";

/**
 * `timeline report`, tested where it is read: the HTML file opened from disk in headless Chromium (the one
 * tests/chromium.ts finds), driven by playwright-core. Each report must load nothing but itself, log no
 * error, and draw every series of every chart (counted in the canvas pixels of the series' own colour), its
 * threshold and capacity lines, and a marker per event. TIMELINE_SCREENSHOT=<file.png> also writes the report of
 * the shipped dev stack under the load profile as a full-page PNG (the README's picture: npm run timeline:screenshot).
 */

const VIEWPORT = { width: 1100, height: 900 };

/** A series counts as drawn with at least this many opaque pixels of its colour in its chart's canvas. */
const MIN_SERIES_PIXELS = 100;
/** How far (per RGB channel) a pixel may be from a series' colour and still count as that series. */
const COLOR_TOLERANCE = 10;

/** Opaque pixels are lines; a band's shading has its opacity (give or take the canvas's rounding). */
const OPAQUE: [number, number] = [250, 255];
const BAND_ALPHA: [number, number] = [Math.round(BAND_OPACITY * 255) - 8, Math.round(BAND_OPACITY * 255) + 8];

/**
 * Runs in the page: for each colour, the pixels in a chart's canvas within the tolerance of it whose alpha is in the
 * range. Written as JavaScript text: tsx compiles a TypeScript function's inner names with a helper (__name) the page
 * does not have.
 */
const COUNT_PIXELS = `({ chartId, colors, tolerance, alpha }) => {
    const canvas = document.querySelector("#chart-" + chartId + " canvas");
    if (canvas === null) return null;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = colors.map(() => 0);
    for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] < alpha[0] || pixels[i + 3] > alpha[1]) continue;
        for (let c = 0; c < colors.length; c++) {
            const [r, g, b] = colors[c];
            if (Math.abs(pixels[i] - r) <= tolerance && Math.abs(pixels[i + 1] - g) <= tolerance && Math.abs(pixels[i + 2] - b) <= tolerance) counts[c]++;
        }
    }
    return counts;
}`;

function rgb(hex: string): [number, number, number] {
    const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    assert.ok(match, `${hex} is not a #rrggbb colour`);
    return [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)];
}

interface OpenedReport {
    page: Page;
    url: string;
    html: string;
    /** Console errors and uncaught page errors. */
    problems: string[];
    /** Every URL the page requested, the file itself included. */
    requests: string[];
}

/** A timeline as the report draws it: in its role. */
interface Drawn {
    role: ReportRole;
    timeline: Timeline;
}

const drawnOf = (input: ReportTimelines): Drawn[] =>
    ROLES.flatMap((role) => {
        const timeline = input[role];
        return timeline === undefined ? [] : [{ role, timeline }];
    });

/** The series a chart must draw for these timelines: the ones with at least one value, in legend order. */
function expectedSeries(chart: ChartSpec, drawn: Drawn[]) {
    return drawn.flatMap(({ role, timeline }) =>
        // A field the timeline lacks altogether (a prediction's errorRps) is neither drawn nor in the legend.
        chart.series.filter((series) => timeline.rows.some((row) => row[series.field] !== undefined)).map((series) => ({
            label: `${role} ${series.name}`,
            color: series.colors[role],
            hasData: timeline.rows.some((row) => (row[series.field] ?? null) !== null),
        })),
    );
}

const eventsOf = (timeline: Timeline, kind: TimelineEventKind) => timeline.events.filter((event) => event.kind === kind);

describeInBrowser("timeline report (HTML, in headless Chromium)", (browser) => {
    let dir: string;
    const contexts: BrowserContext[] = [];

    before(() => {
        dir = fs.mkdtempSync(path.join(tmpdir(), "timeline-report-"));
    });
    afterEach(async () => {
        await Promise.all(contexts.splice(0).map((context) => context.close()));
    });
    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Writes the report for these timelines to a file and opens it from disk, recording errors and requests. */
    async function openReport(name: string, input: ReportTimelines): Promise<OpenedReport> {
        const html = renderReport(input);
        const file = path.join(dir, `${name}.html`);
        fs.writeFileSync(file, html);
        const url = pathToFileURL(file).href;
        const context = await browser().newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
        contexts.push(context);
        const page = await context.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("console", (message) => {
            if (message.type() === "error") problems.push(`console: ${message.text()}`);
        });
        page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
        page.on("request", (request) => requests.push(request.url()));
        await page.goto(url, { waitUntil: "load" });
        // uPlot draws in a microtask after it is built; one animation frame later every chart is on its canvas.
        await page.evaluate("new Promise((resolve) => requestAnimationFrame(() => resolve(null)))");
        return { page, url, html, problems, requests };
    }

    function assertSelfContained({ url, problems, requests }: OpenedReport): void {
        assert.deepEqual(problems, [], "no console errors, no page errors");
        assert.deepEqual(requests, [url], "the page requests nothing but itself");
    }

    async function pixelCounts(page: Page, chartId: string, colors: string[], alpha = OPAQUE): Promise<number[]> {
        const counts = await page.evaluate<number[] | null>(
            `(${COUNT_PIXELS})(${JSON.stringify({ chartId, colors: colors.map(rgb), tolerance: COLOR_TOLERANCE, alpha })})`,
        );
        assert.ok(counts, `chart ${chartId} has no canvas`);
        return counts;
    }

    /** Every series with data is drawn in every chart: pixels of its own colour in that chart's canvas. */
    async function assertSeriesDrawn(page: Page, drawn: Drawn[]): Promise<void> {
        for (const chart of CHARTS) {
            const series = expectedSeries(chart, drawn);
            const counts = await pixelCounts(
                page,
                chart.id,
                series.map((entry) => entry.color),
            );
            const seen = series.map((entry, i) => `${entry.label}: ${entry.hasData ? counts[i] >= MIN_SERIES_PIXELS : "no data"}`);
            assert.deepEqual(
                seen,
                series.map((entry) => `${entry.label}: ${entry.hasData ? true : "no data"}`),
                `chart ${chart.id}: pixels per series ${JSON.stringify(counts)}`,
            );
        }
    }

    /** The legend's entries, but the time and a band's ends (shading only, hidden from the legend). */
    async function legendLabels(page: Page, chartId: string): Promise<string[]> {
        const labels = await page.locator(`#chart-${chartId} .u-legend .u-series:not(.band) .u-label`).allTextContents();
        return labels.filter((label) => label !== "time");
    }

    /** Each banded series of each chart is shaded, in its colour at the band's opacity, for the roles given. */
    async function assertBandsDrawn(page: Page, roles: ReportRole[]): Promise<void> {
        for (const chart of CHARTS) {
            const banded = chart.series.filter((series) => series.band);
            for (const role of roles) {
                const counts = await pixelCounts(page, chart.id, banded.map((series) => series.colors[role]), BAND_ALPHA);
                assert.ok(counts.every((count) => count >= MIN_SERIES_PIXELS), `chart ${chart.id}: ${role} band pixels ${JSON.stringify(counts)}`);
            }
        }
    }

    async function assertMarkers(page: Page, drawn: Drawn[]): Promise<void> {
        for (const chart of CHARTS) {
            for (const { role, timeline } of drawn) {
                for (const kind of EVENT_KINDS) {
                    const markers = page.locator(`#chart-${chart.id} .marker[data-kind="${kind}"][data-timeline="${role}"]`);
                    const expected = chart.events.includes(kind) ? eventsOf(timeline, kind) : [];
                    assert.equal(await markers.count(), expected.length, `chart ${chart.id}: ${role} ${kind} markers`);
                    const titles = await Promise.all(expected.map((_, i) => markers.nth(i).getAttribute("title")));
                    assert.deepEqual(
                        titles,
                        expected.map((event) => `${role} ${clock(event.t)} ${kind}: ${event.detail}`),
                    );
                }
            }
        }
    }

    /** Where x = `minutes` falls on a chart's plot, in page px, from its plot area's box and the shared x range. */
    async function xOnChart(page: Page, chartId: string, minutes: number, xMaxMinutes: number): Promise<number> {
        const over = await page.locator(`#chart-${chartId} .u-over`).boundingBox();
        assert.ok(over, `chart ${chartId} has a plot area`);
        return over.x + (over.width * minutes) / xMaxMinutes;
    }

    async function centreX(page: Page, selector: string): Promise<number> {
        const box = await page.locator(selector).first().boundingBox();
        assert.ok(box, `${selector} is visible`);
        return box.x + box.width / 2;
    }

    it("draws a predicted and an observed timeline on the same axes, from disk, with no network", async () => {
        const input = fixturePair();
        const timelines = drawnOf(input);
        const report = await openReport("both", input);
        const { page } = report;
        assertSelfContained(report);

        assert.equal(await page.title(), "Scaling timeline: Pulumi.dev.yaml under the load profile");
        assert.match(
            String(await page.locator(`meta[http-equiv="Content-Security-Policy"]`).getAttribute("content")),
            /^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+';/,
            "the policy allows no fetch and only the page's own two scripts",
        );
        assert.equal(await page.locator(".uplot canvas").count(), CHARTS.length, "one canvas per chart");

        await assertSeriesDrawn(page, timelines);
        for (const chart of CHARTS) {
            assert.deepEqual(await legendLabels(page, chart.id), expectedSeries(chart, timelines).map((series) => series.label), `legend of ${chart.id}`);
        }

        // Thresholds and capacity bounds: labelled lines at their values (higher values higher up), inside the plot.
        const thresholdLabels = await page.locator("#chart-cpu .rule.threshold .rule-label").allTextContents();
        assert.deepEqual(thresholdLabels, FIXTURE_SCALING.cpuThresholds.map((threshold) => threshold.label), "labels that say their value as they are");
        assert.deepEqual(await page.locator("#chart-tasks .rule.capacity .rule-label").allTextContents(), ["min capacity: 1", "max capacity: 4"]);
        for (const chartId of ["cpu", "tasks"]) {
            const over = await page.locator(`#chart-${chartId} .u-over`).boundingBox();
            const rules = page.locator(`#chart-${chartId} .rule`);
            const ys: number[] = [];
            for (let i = 0; i < (await rules.count()); i++) {
                const box = await rules.nth(i).boundingBox();
                assert.ok(box && over && box.y >= over.y && box.y <= over.y + over.height, `${chartId} rule ${i} lies on the plot`);
                ys.push(box.y);
            }
            assert.deepEqual([...ys].sort((a, b) => b - a), ys, `${chartId}: rules listed by value are drawn bottom to top`);
        }
        assert.equal(await page.locator("#chart-load .rule, #chart-latency .rule").count(), 0, "load and latency have no rules");

        // Event markers: one per event and chart, titled with its detail, at the event's time on every chart alike.
        await assertMarkers(page, timelines);
        const xMax = FIXTURE_MINUTES; // both fixture timelines run 30 one-minute steps
        const firstScaling = eventsOf(input.predicted, "scaling")[0];
        for (const chart of CHARTS) {
            const selector = `#chart-${chart.id} .marker[data-kind="scaling"][data-timeline="predicted"]`;
            const expected = await xOnChart(page, chart.id, firstScaling.t / 60, xMax);
            assert.ok(Math.abs((await centreX(page, selector)) - expected) <= 1.5, `${chart.id}: the first scale-out marker sits at ${clock(firstScaling.t)}`);
        }
        const plotLefts = await Promise.all(CHARTS.map(async (chart) => (await page.locator(`#chart-${chart.id} .u-over`).boundingBox())?.x));
        assert.equal(new Set(plotLefts).size, 1, "the charts' plot areas line up, so one minute is at one x on all of them");

        // The tables: a summary column per timeline, every event, every assumption.
        assert.equal(await page.locator("#summary thead th").count(), 3, "a column of labels, then one per timeline");
        const headings = await page.locator("#summary thead th").allTextContents();
        assert.deepEqual(headings.map((heading) => heading.split(/(?=simulated|read)/)[0]), ["", "predicted", "observed"]);
        const summaryRows = await page.locator("#summary tbody tr").count();
        assert.ok(summaryRows >= 10);
        assert.equal(await page.locator("#summary tbody td").count(), summaryRows * 2, "one cell per timeline in every row");
        const cost = page.locator("#summary tbody tr", { hasText: "cost (USD" });
        assert.match(String(await cost.textContent()), /Fargate list prices as of \d{4}-\d{2}-\d{2}\)\$0\.0208\$0\.0206/);
        assert.equal(await page.locator("#events tbody tr").count(), input.predicted.events.length + input.observed.events.length);
        const assumptions = await page.locator(".assumptions.predicted li").allTextContents();
        assert.ok(assumptions.includes("taskStartupSeconds = 45"), assumptions.join("; "));

        // No deployment or rollback in either timeline: the lede names neither.
        assert.equal(await page.locator(".lede .key.deployment, .lede .key.rollback").count(), 0);

        // Timelines written before bands: nothing shaded, no band section; the prediction's error has its column.
        assert.equal(await page.locator(".u-legend .u-series.band").count(), 0);
        assert.equal(await page.locator("#band-edges").count(), 0);
        assert.equal(await page.locator("#prediction-error thead th").count(), 2);
    });

    it("draws predicted, observed and calibrated on the same axes, a prediction's band, and each prediction's error", async () => {
        const input = { predicted: fixtureBanded(), observed: fixtureTimeline("observed"), calibrated: fixtureCalibrated() };
        const drawn = drawnOf(input);
        const report = await openReport("three", input);
        const { page } = report;
        assertSelfContained(report);

        await assertSeriesDrawn(page, drawn);
        for (const chart of CHARTS) {
            assert.deepEqual(await legendLabels(page, chart.id), expectedSeries(chart, drawn).map((series) => series.label), `legend of ${chart.id}`);
        }
        const legendStyles = await page.locator("#chart-cpu .u-legend .u-series .u-marker").evaluateAll((markers) => markers.map((marker) => marker.getAttribute("style") ?? ""));
        assert.deepEqual(
            legendStyles.slice(1).map((style) => /dotted|dashed|solid/.exec(style)?.[0]),
            ["solid", "solid", "dashed", "dashed", "dotted", "dotted"],
            "the legend shows predicted solid, observed dashed, calibrated dotted",
        );
        await assertMarkers(page, drawn);
        await assertBandsDrawn(page, ["predicted"]);
        assert.equal(await page.locator(".u-legend .u-series.band").count(), 2 * CHARTS.flatMap((chart) => chart.series.filter((series) => series.band)).length);

        assert.deepEqual(
            (await page.locator("#summary thead th").allTextContents()).map((heading) => heading.split(/(?=simulated|read)/)[0]),
            ["", "predicted", "observed", "calibrated"],
        );
        assert.equal(await page.locator("#summary tbody td").count(), (await page.locator("#summary tbody tr").count()) * 3);

        // The error table: one column per prediction, its figures as compare.ts computes them; the calibrated
        // prediction scales when the observed run did.
        const errorCells = async (role: ReportRole) => page.locator(`#prediction-error tbody td:nth-child(${role === "predicted" ? 2 : 3})`).allTextContents();
        for (const role of ["predicted", "calibrated"] as const) {
            const error = predictionError(input[role], input.observed);
            assert.deepEqual(await errorCells(role), PREDICTION_ERROR_FIGURES.map(([, text]) => text(error)), role);
        }
        assert.equal((await errorCells("calibrated"))[0], `0 of ${FIXTURE_MINUTES}`);
        assert.notEqual((await errorCells("predicted"))[0], `0 of ${FIXTURE_MINUTES}`);

        const edges = bandEdges(input.predicted.band, input.predicted.stepSeconds).map(edgeText);
        assert.ok(edges.length > 0);
        const bandItems = await page.locator("#band-edges li").allTextContents();
        assert.deepEqual(bandItems.slice(1), edges.map((edge) => `predicted: ${edge}`));
    });

    it("draws what simulate predicts for the shipped dev stack under the load profile (the README's picture)", async () => {
        const { timeline } = predict({ stackFile: "Pulumi.dev.yaml", script: "load", env: {}, assume: {} }, readEnvironmentStack(stackFilePath("Pulumi.dev.yaml")));
        const report = await openReport("dev-load", { predicted: timeline });
        const { page } = report;
        assertSelfContained(report);
        assert.equal(await page.title(), "Scaling timeline: Pulumi.dev.yaml under the load profile");
        await assertSeriesDrawn(page, [{ role: "predicted", timeline }]);
        await assertMarkers(page, [{ role: "predicted", timeline }]);
        assert.equal(await page.locator(".u-legend .u-series.band").count(), 6, "a band around running tasks, shed and p99");
        assert.match(String(await page.locator("#band-edges li").first().textContent()), /^predicted: per-request CPU [\d.]+–[\d.]+ ms \(±10 % of the calibration table/);
        assert.deepEqual(
            await page.locator("#chart-cpu .rule.threshold .rule-label").allTextContents(),
            timeline.scaling.cpuThresholds.map((threshold) => threshold.label),
        );

        const screenshot = process.env.TIMELINE_SCREENSHOT;
        if (screenshot) {
            fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
            await page.screenshot({ path: screenshot, fullPage: true });
        }
    });

    it("draws one timeline alone, named as such in the legends, lines and tables", async () => {
        const predicted = fixtureTimeline("predicted");
        // A line whose label lacks its value gets it; two lines at one value are one line naming both.
        const cpuThresholds = [...FIXTURE_SCALING.cpuThresholds, { label: "CPU high", value: 70 }, { label: "CPU critical alarm", value: 90 }];
        const input = { predicted: { ...predicted, scaling: { ...predicted.scaling, cpuThresholds } } };
        const report = await openReport("predicted", input);
        const { page } = report;
        assertSelfContained(report);
        assert.deepEqual(await page.locator("#chart-cpu .rule-label").allTextContents(), [
            "Average < 20%: -1 task(s)",
            "Average ≥ 40%: +1 task(s)",
            "Average ≥ 70%: +2 task(s) · CPU high: 70 %",
            "CPU critical alarm: 90 %",
        ]);
        await assertSeriesDrawn(page, [{ role: "predicted", timeline: input.predicted }]);
        for (const chart of CHARTS) {
            const labels = await legendLabels(page, chart.id);
            assert.deepEqual(labels, expectedSeries(chart, [{ role: "predicted", timeline: input.predicted }]).map((series) => series.label), `legend of ${chart.id}`);
        }
        await assertMarkers(page, [{ role: "predicted", timeline: input.predicted }]);
        assert.equal(await page.locator(`.marker[data-timeline="observed"]`).count(), 0);
        assert.equal(await page.locator("#summary thead th").count(), 2, "a column of labels, then the timeline's");
        assert.equal(await page.locator("#summary thead th.predicted").count(), 1);
        assert.equal(await page.locator("#summary tbody td").count(), await page.locator("#summary tbody tr").count());
        assert.equal(await page.locator("#events thead th").count(), 3, "time, kind, detail: no timeline column for one timeline");
    });

    it("draws an observed timeline alone, dashed, with gaps where CloudWatch has no datapoint", async () => {
        const fixture = fixtureTimeline("observed");
        assert.ok(fixture.rows.some((row) => row.cpuAverage === null) && fixture.rows.some((row) => row.p99Ms === null), "the fixture has gaps");
        // A p50 of 0 ms (a rounded-down datapoint) has no place on a log scale: the latency chart turns linear.
        const observed = { ...fixture, rows: fixture.rows.map((row, i) => (i === 10 ? { ...row, p50Ms: 0 } : row)) };
        const report = await openReport("observed", { observed });
        assertSelfContained(report);
        await assertSeriesDrawn(report.page, [{ role: "observed", timeline: observed }]);
        assert.deepEqual(await legendLabels(report.page, "cpu"), ["observed CPU average", "observed CPU maximum"]);
        const marker = await report.page.locator("#chart-cpu .u-legend .u-series").nth(1).locator(".u-marker").getAttribute("style");
        assert.match(String(marker), /dashed/, "the legend shows observed lines dashed");
    });

    it("renders an event detail as text: no markup from it, no script run, no request", async () => {
        const predicted = fixtureTimeline("predicted", [{ t: 600, kind: "alarm", detail: HOSTILE_DETAIL }]);
        const report = await openReport("hostile", { predicted });
        const { page, html } = report;
        assertSelfContained(report);
        assert.doesNotMatch(html, /<img/i, "the detail's markup is escaped in the HTML and the JSON");
        assert.equal(html.match(/<\/script/gi)?.length, 3, "three script elements (data, uPlot, page), none ended early");
        assert.equal(await page.locator("img").count(), 0);
        assert.equal(await page.evaluate("typeof window.pwned"), "undefined");
        assert.equal(await page.locator("#events td", { hasText: "onerror" }).textContent(), HOSTILE_DETAIL);
        const title = await page.locator(`#chart-cpu .marker[data-kind="alarm"][title*="onerror"]`).getAttribute("title");
        assert.equal(title, `predicted 10:00 alarm: ${HOSTILE_DETAIL}`);
        const embedded = JSON.parse(String(await page.locator("#report-data").textContent())) as { timelines: Array<{ events: Array<{ detail: string }> }> };
        assert.ok(embedded.timelines[0].events.some((event) => event.detail === HOSTILE_DETAIL), "the JSON reads back to the same text");
        await assertSeriesDrawn(page, [{ role: "predicted", timeline: predicted }]);
    });

    it("lists a timeline's notes above the charts, as text, each with its timeline", async () => {
        const { predicted, observed } = fixturePair();
        const notes = ["the history of alarm dev-prime-counter-cpu-scale-out-1a2b3c4 could not be read (AccessDenied: not authorized): its state changes are missing from the events", HOSTILE_DETAIL];
        const report = await openReport("notes", { predicted, observed: { ...observed, notes } });
        const { page } = report;
        assertSelfContained(report);
        assert.deepEqual(await page.locator("#notes li").allTextContents(), notes.map((note) => `observed: ${note}`));
        assert.equal(await page.locator("img").count(), 0, "a note's markup stays text");
        const notesBox = await page.locator("#notes").boundingBox();
        const chartsBox = await page.locator("#charts").boundingBox();
        assert.ok(notesBox && chartsBox && notesBox.y + notesBox.height <= chartsBox.y, "the notes are above the charts");
        await assertSeriesDrawn(page, drawnOf({ predicted, observed }));
    });

    it("marks deployments and rollbacks with shaped ticks at the foot of the tasks chart, apart from ECS's service ticks, and names them in the lede", async () => {
        const deploymentEvents: TimelineEvent[] = [
            { t: 150, kind: "deployment", detail: "deployment 9tKD2mHvQz8rX4LbWn1Ep started: service revision 4716302938261758413 → 5823719460175248391" },
            { t: 420, kind: "rollback", detail: "deployment 9tKD2mHvQz8rX4LbWn1Ep failed, rolled back by alarm target-5xx: deployment failed: alarm detected → service revision 4716302938261758413 (ROLLBACK_SUCCESSFUL in 91 s)" },
        ];
        const input = { predicted: fixtureTimeline("predicted"), observed: fixtureTimeline("observed", deploymentEvents) };
        const drawn = drawnOf(input);
        const report = await openReport("deployments", input);
        const { page } = report;
        assertSelfContained(report);
        await assertMarkers(page, drawn);
        assert.deepEqual(
            CHARTS.filter((chart) => chart.events.includes("deployment") && chart.events.includes("rollback")).map((chart) => chart.id),
            ["tasks"],
            "the tasks chart alone marks them",
        );

        /** A marker's box and its shape (the ::after element): what tells the kinds apart. */
        const look = async (kind: TimelineEventKind) => {
            const selector = `#chart-tasks .marker[data-kind="${kind}"]`;
            const box = await page.locator(selector).first().boundingBox();
            // JavaScript text, as COUNT_PIXELS: the tests compile without the DOM's types.
            const shape = await page.evaluate(
                `(() => { const style = getComputedStyle(document.querySelector(${JSON.stringify(selector)}), "::after"); ` +
                    "return { display: style.display, transform: style.transform, background: style.backgroundColor, borderTop: style.borderTopColor + ' ' + style.borderTopWidth }; })()",
            );
            return { box, shape: shape as { display: string; transform: string; background: string; borderTop: string } };
        };
        const color = (kind: TimelineEventKind) => `rgb(${rgb(EVENT_COLORS[kind]).join(", ")})`;
        const over = await page.locator("#chart-tasks .u-over").boundingBox();
        const [service, deployment, rollback] = await Promise.all([look("service"), look("deployment"), look("rollback")]);
        assert.ok(over && service.box && deployment.box && rollback.box);
        for (const [kind, { box }] of Object.entries({ service, deployment, rollback })) {
            assert.ok(box && Math.abs(box.y + box.height - (over.y + over.height)) <= 1, `${kind}: a tick standing on the foot of the plot`);
        }
        assert.equal(service.shape.display, "none", "a service tick is a plain line");
        assert.ok(deployment.box.height > service.box.height && rollback.box.height > service.box.height, "deployment and rollback ticks stand taller");
        assert.notEqual(deployment.shape.transform, "none", "a deployment: a diamond (a rotated square)");
        assert.equal(deployment.shape.background, color("deployment"));
        assert.equal(rollback.shape.transform, "none");
        assert.equal(rollback.shape.borderTop, `${color("rollback")} 9px`, "a rollback: a triangle in its colour");
        assert.notEqual(color("deployment"), color("service"));

        const lede = String(await page.locator(".lede").textContent()).replace(/\s+/g, " ");
        assert.match(lede, /Marked ticks there show each deployment and rollback \(a deployment that failed and rolled back\)\./);
        assert.deepEqual(await page.locator("#events tbody tr.rollback td").allTextContents(), ["7:00", "observed", "rollback", deploymentEvents[1].detail]);
    });

    it("finds nothing drawn on charts without data (the pixel check is not fooled by axes and grid)", async () => {
        const empty = emptyTimeline();
        const report = await openReport("empty", { predicted: empty });
        const { page } = report;
        assertSelfContained(report);
        for (const chart of CHARTS) {
            const counts = await pixelCounts(page, chart.id, chart.series.map((series) => series.colors.predicted));
            assert.deepEqual(counts, chart.series.map(() => 0), `chart ${chart.id}`);
        }
        // The same check on the fixture's colours, as if the timeline had data, fails.
        await assert.rejects(assertSeriesDrawn(page, [{ role: "predicted", timeline: fixtureTimeline("predicted") }]), assert.AssertionError);
        await assert.rejects(assertBandsDrawn(page, ["predicted"]), assert.AssertionError, "nor by a band that is not there");
    });
}, "TIMELINE_SCREENSHOT");

describe("timeline report (HTML text)", () => {
    it("embeds JSON no string in it can break out of", () => {
        const text = jsonForScript({ detail: "</script><!-- & \u2028" });
        assert.doesNotMatch(text, /[<>&\u2028]/);
        assert.deepEqual(JSON.parse(text), { detail: "</script><!-- & \u2028" });
    });

    it("has no notes section for timelines without notes, and reads a timeline written before notes existed", () => {
        const input = fixturePair();
        assert.doesNotMatch(renderReport(input), /id="notes"/);
        const older = input.observed;
        assert.ok(!("notes" in older), "the fixture is a timeline as written before notes existed");
        assert.equal(parseTimeline(JSON.stringify(older), "older.json").notes, undefined);
        assert.deepEqual(parseTimeline(JSON.stringify({ ...older, notes: ["n"] }), "newer.json").notes, ["n"]);
        assert.throws(() => parseTimeline(JSON.stringify({ ...older, notes: "n" }), "bad.json"), /notes: /);
    });

    it("needs a timeline, of the kind it is given as", () => {
        assert.throws(() => renderReport({}), /needs a predicted, an observed or a calibrated timeline/);
        assert.throws(() => renderReport({ observed: fixtureTimeline("predicted") }), /observed timeline given has kind "predicted"/);
        assert.throws(() => renderReport({ calibrated: fixtureTimeline("observed") }), /calibrated timeline given has kind "observed"/);
        assert.throws(() => renderReport({ predicted: { ...fixtureTimeline("predicted"), rows: [] } }), /no rows/);
    });

    it("is the same document for the same timelines (nothing time- or machine-dependent)", () => {
        const input = fixturePair();
        assert.equal(renderReport(input), renderReport(input));
        assert.doesNotMatch(renderReport(input), /node_modules|\/work\//, "no local paths in the page");
    });

    it("names in the lede only the marked kinds a timeline has: a deployment without a rollback, neither", () => {
        const lede = (events: TimelineEvent[]) => /<p class="lede">([^]*?)<\/p>/.exec(renderReport({ observed: fixtureTimeline("observed", events) }))?.[1] ?? "";
        const deployed = lede([{ t: 60, kind: "deployment", detail: "deployment d started: service revision 2" }]);
        assert.match(deployed, /Marked ticks there show each <span class="key deployment">deployment<\/span>\.$/);
        assert.doesNotMatch(deployed, /key rollback/);
        assert.doesNotMatch(lede([]), /Marked ticks|key deployment|key rollback/);
        assert.match(lede([{ t: 60, kind: "rollback", detail: "r" }]), /each <span class="key rollback">rollback<\/span> \(a deployment that failed and rolled back\)\.$/);
    });

    it("reads a timeline written before deployments and rollbacks were events, and one with them", () => {
        const older = fixtureTimeline("observed");
        assert.deepEqual(parseTimeline(JSON.stringify(older), "older.json").events, older.events);
        const newer = { ...older, events: [...older.events, { t: 60, kind: "rollback", detail: "r" }] };
        assert.equal(parseTimeline(JSON.stringify(newer), "newer.json").events.at(-1)?.kind, "rollback");
        assert.throws(() => parseTimeline(JSON.stringify({ ...older, events: [{ t: 60, kind: "redeploy", detail: "r" }] }), "bad.json"), /events\.0\.kind/);
    });

    it("names both timelines in the title when they are runs of different stacks or profiles", () => {
        const { predicted, observed } = fixturePair();
        const html = renderReport({ predicted, observed: { ...observed, stack: "Pulumi.staging.yaml" } });
        assert.match(html, /<title>Scaling timeline: Pulumi\.dev\.yaml under load \(predicted\) vs Pulumi\.staging\.yaml under load \(observed\)<\/title>/);
    });
});
