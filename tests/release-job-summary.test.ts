import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokens, marked } from "marked";
import { DETAIL_METRICS, formatMetricValues, formatTrendStat, thresholdResults, thresholdValue } from "../k6/lib/summary";
import { loadThresholds } from "../k6/lib/thresholds";
import { START_OVERHEAD_SECONDS } from "../scripts/loadtest/plan";
import { estimateFargateCost } from "../scripts/loadtest/pricing";
import { LoadtestResult } from "../scripts/loadtest/result-file";
import { jobSummary, markdownText } from "../scripts/release/job-summary";
import { FIXTURES_DIR, fixtureResult, fixtureTimeline } from "./loadtest-target-fixture";
import { LOADGEN_OUTPUTS } from "./loadtest-stack-fixture";

interface Table {
    /** The heading just above it. */
    section: string;
    header: string[];
    rows: string[][];
}

/** A row's cells as GFM splits them: on each pipe that is not escaped, the outer ones dropped. */
function cells(line: string): string[] {
    assert.ok(line.startsWith("| ") && line.endsWith(" |"), `a table row starts and ends with a pipe: ${line}`);
    const split: string[] = [];
    let cell = "";
    const inner = line.slice(2, -2);
    for (let index = 0; index < inner.length; index++) {
        if (inner[index] === "\\") {
            cell += inner.slice(index, index + 2);
            index++;
        } else if (inner[index] === "|") {
            split.push(cell.trim());
            cell = "";
        } else {
            cell += inner[index];
        }
    }
    return [...split, cell.trim()];
}

/** Backslash escapes undone: the text a reader sees in a cell. */
const unescape = (markdown: string) => markdown.replace(/\\(.)/g, "$1");

/**
 * The document's tables, every row with its header's column count (GFM would pad or cut a row silently), cells
 * unescaped; and the same count of tables, of the same shapes, as marked (a GFM parser) reads.
 */
function tables(markdown: string): Table[] {
    const lines = markdown.split("\n");
    const found: Table[] = [];
    let section = "";
    for (let index = 0; index < lines.length; index++) {
        if (lines[index].startsWith("#")) section = lines[index].replace(/^#+ /, "");
        if (!lines[index].startsWith("|")) continue;
        const header = cells(lines[index]);
        const delimiter = cells(lines[index + 1]);
        assert.ok(delimiter.every((cell) => /^-{3,}:?$/.test(cell)), `a delimiter row follows the header: ${lines[index + 1]}`);
        assert.equal(delimiter.length, header.length, `the delimiter row has the header's ${header.length} columns`);
        const rows: string[][] = [];
        for (index += 2; index < lines.length && lines[index].startsWith("|"); index++) {
            const row = cells(lines[index]);
            assert.equal(row.length, header.length, `${section}: "${lines[index]}" has ${row.length} cells, the header ${header.length}`);
            rows.push(row.map(unescape));
        }
        found.push({ section, header: header.map(unescape), rows });
    }
    const parsed = marked.lexer(markdown, { gfm: true }).filter((token): token is Tokens.Table => token.type === "table");
    assert.deepEqual(
        parsed.map((token) => [token.header.length, token.rows.length]),
        found.map((table) => [table.header.length, table.rows.length]),
        "marked reads the same tables",
    );
    return found;
}

function tableOf(markdown: string, section: RegExp, header?: string): Table {
    const table = tables(markdown).find((candidate) => section.test(candidate.section) && (header === undefined || candidate.header[0] === header));
    assert.ok(table, `a table under ${section}${header ? ` headed ${header}` : ""}`);
    return table;
}

/** The rendered page's text: what a reader sees, tags and entities aside. */
function renderedText(markdown: string): string {
    const html = marked.parse(markdown, { gfm: true, async: false });
    return html
        .replace(/<[^>]+>/g, " ")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, "&")
        .replace(/\s+/g, " ");
}

/** A deep copy of a result to make a variant of. */
const copy = (result: LoadtestResult): LoadtestResult => structuredClone(result);

describe("npm run loadtest -- summary: the job summary's Markdown (scripts/release/job-summary.ts), from the release fixtures", () => {
    const passed = fixtureResult("passed").result;
    const timeline = fixtureTimeline();
    const markdown = jobSummary(passed, timeline);

    it("the fixtures' thresholds are k6/load.ts's, with the -e values their README names", () => {
        const scenario = (verdict: string) => JSON.parse(readFileSync(join(FIXTURES_DIR, "k6", verdict, "load.json"), "utf8")) as { thresholds: unknown };
        assert.deepEqual(scenario("passed").thresholds, loadThresholds({ p99Ms: 3000, maxErrorRate: 0.05 }));
        assert.deepEqual(scenario("incomplete").thresholds, loadThresholds({ p99Ms: 3000, maxErrorRate: 0.05 }));
        assert.deepEqual(scenario("failed").thresholds, loadThresholds({ p99Ms: 50, maxErrorRate: 0.05 }));
    });

    it("opens with the verdict, the environment and the image's short digest; then the run id, its url and its image", () => {
        const target = passed.run.target;
        assert.ok(target);
        const lines = markdown.split("\n");
        assert.equal(lines[0], `## ✅ Load test passed: load on ${target.environment} \`${target.digest.slice(0, 19)}\``);
        assert.match(lines[2], new RegExp(`^- \\*\\*Run\\*\\* \`${passed.run.settings.runId}\`: load as 2 segments \\(local × 2\\)`));
        assert.equal(lines[3], `- **Target** ${target.environment} (stack ${target.stack}) at <${target.url}>, image \`${target.image}\``);
        assert.equal(lines[4], `- **Thresholds** all ${thresholdResults(passed.k6).length} passed`);
    });

    it("k6's trends: a row per trend metric (the timing breakdowns left out, as k6's text does), a column per statistic the run has", () => {
        const trends = Object.entries(passed.k6.metrics)
            .filter(([name, metric]) => metric.type === "trend" && !DETAIL_METRICS.test(name))
            .sort(([a], [b]) => (a < b ? -1 : 1));
        const stats = Object.keys(trends[0][1].values);
        const table = tableOf(markdown, /^k6 summary$/, "Trend");
        assert.deepEqual(table.header, ["Trend", ...stats]);
        assert.deepEqual(
            table.rows,
            trends.map(([name, metric]) => [name, ...stats.map((stat) => formatTrendStat(stat, metric.values[stat], metric.contains))]),
        );
        assert.ok(stats.includes("p(99)") && stats.includes("max"), "the run's summaryTrendStats");
        assert.ok(table.rows.some((row) => row[0] === "http_req_duration{name:count-prime,expected_response:true}"), "sub-metrics too");
    });

    it("the other metrics: counts with their rate, rates with their share, gauges with their range", () => {
        const others = Object.entries(passed.k6.metrics)
            .filter(([, metric]) => metric.type !== "trend")
            .sort(([a], [b]) => (a < b ? -1 : 1));
        const table = tableOf(markdown, /^k6 summary$/, "Metric");
        assert.deepEqual(table.rows, others.map(([name, metric]) => [name, formatMetricValues(metric)]));
        const requests = passed.k6.metrics.http_reqs.values;
        assert.deepEqual(table.rows.find((row) => row[0] === "http_reqs"), ["http_reqs", `${requests.count} (${requests.rate.toFixed(2)}/s)`]);
        const checks = passed.k6.metrics.checks.values;
        assert.deepEqual(table.rows.find((row) => row[0] === "checks"), ["checks", `${(checks.rate * 100).toFixed(2)}% (${checks.passes} of ${checks.passes + checks.fails})`]);
    });

    it("each threshold with ✅ or ❌ and the value it judged, as the run's k6 summary says", () => {
        const table = tableOf(markdown, /^Thresholds$/);
        const expected = Object.entries(passed.k6.metrics)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .flatMap(([name, metric]) =>
                Object.entries(metric.thresholds ?? {}).map(([expression, { ok }]) => [ok ? "✅" : "❌", name, expression, thresholdValue(metric, expression)]),
            );
        assert.deepEqual(table.header, ["", "Metric", "Threshold", "Value"]);
        assert.deepEqual(table.rows, expected);
        assert.equal(table.rows.length, 5);
    });

    it("the scaling table: tasks from fewest to most, the first scale-out, shed and p99: the timeline's own summary (scripts/timeline/summary.ts)", () => {
        const running = timeline.rows.map((row) => row.runningTasks).filter((tasks): tasks is number => tasks !== null);
        const { summary } = timeline;
        assert.ok(summary.firstScaleOutSeconds !== null, "the fixture scales out");
        const table = tableOf(markdown, /^Scaling of Pulumi\.staging\.yaml \(predicted\)$/);
        const value = (figure: string) => table.rows.find((row) => row[0] === figure)?.[1];
        assert.equal(value("Scaling"), `${timeline.scaling.mode}, ${timeline.scaling.minCapacity}–${timeline.scaling.maxCapacity} tasks`);
        assert.equal(value("Running tasks (min → max)"), `${Math.min(...running)} → ${Math.max(...running)}`);
        assert.equal(value("First scale-out"), `${Math.floor(summary.firstScaleOutSeconds / 60)} min ${summary.firstScaleOutSeconds % 60} s into the run`);
        assert.equal(value("Shed requests (503)"), `${summary.shedRequests.toLocaleString("en-US")} of ${summary.requests.toLocaleString("en-US")} (${summary.shedPercent} %)`);
        assert.equal(value("p99 over the run"), `${Math.round(summary.p99Ms ?? Number.NaN)} ms`);
        assert.equal(value("Scale-outs / scale-ins / reversals"), `${summary.scaleOuts} / ${summary.scaleIns} / ${summary.reversals}`);
        assert.equal(value("Service task-hours, cost"), `${summary.taskHours}, $${summary.costUsd.toFixed(4)} (list prices of ${summary.pricesAsOf})`);
    });

    it("an observed timeline says so, with its region's prices, its p99 as the worst minute's, and what it lacks", () => {
        const observed = { ...timeline, kind: "observed" as const, assumptions: { ...timeline.assumptions, region: "eu-west-1" }, notes: ["the history of alarm a|b could not be read"] };
        const text = jobSummary(passed, observed);
        const table = tableOf(text, /\(observed\)$/);
        assert.ok(table.rows.some(([figure, value]) => figure === "p99 over the run (its worst minute's)" && value === `${Math.round(timeline.summary.p99Ms ?? 0)} ms`));
        assert.ok(table.rows.some(([figure, value]) => figure === "Service task-hours, cost" && value.endsWith(`(list prices of ${timeline.summary.pricesAsOf}, eu-west-1)`)));
        assert.match(text, /What the timeline lacks:\n\n- the history of alarm a\\\|b could not be read/);
    });

    it("no observed timeline: the scaling section says why there is no table", () => {
        const text = jobSummary(passed);
        assert.match(text, /### Scaling\n\nNo scaling table: no observed timeline was given \(--observed\): a run with --target writes it beside its result \(\\<result\\>\.observed\.json\)/);
        assert.ok(!tables(text).some((table) => table.header[0] === "Figure"));
        const untargeted = copy(passed);
        delete untargeted.run.target;
        const plain = jobSummary(untargeted);
        assert.match(plain, /No scaling table: the run had no --target, so no environment was observed\./);
        assert.equal(plain.split("\n")[0], "## ✅ Load test passed: load");
        assert.match(plain, /- \*\*Target\*\* <https:\/\/staging\.loadlab\.example\.com> \(no --target: the run is bound to no image\)/);
    });

    it("a failed threshold: ❌ in the heading and on its row, and how many failed", () => {
        const failed = fixtureResult("failed").result;
        const text = jobSummary(failed, timeline);
        const failing = thresholdResults(failed.k6).filter((threshold) => !threshold.ok);
        assert.ok(failing.length > 0, "the fixture failed a threshold");
        assert.match(text.split("\n")[0], /^## ❌ Load test failed: load on staging /);
        assert.match(text, new RegExp(`- \\*\\*Thresholds\\*\\* ${failing.length} of ${thresholdResults(failed.k6).length} failed`));
        const rows = tableOf(text, /^Thresholds$/).rows;
        for (const { metric, expression } of failing) assert.ok(rows.some((row) => row[0] === "❌" && row[1] === metric && row[2] === expression), `${metric} ${expression}`);
        assert.equal(rows.filter((row) => row[0] === "✅").length, thresholdResults(failed.k6).length - failing.length);
    });

    it("an incomplete run: ⚠️, why its thresholds saw part of the run, and its errors, escaped", () => {
        const incomplete = fixtureResult("incomplete").result;
        const text = jobSummary(incomplete, timeline);
        assert.match(text.split("\n")[0], /^## ⚠️ Load test incomplete: load on staging /);
        assert.match(text, /- \*\*Incomplete\*\*: a segment is missing or was cut short/);
        assert.equal(incomplete.run.errors.length, 1);
        assert.match(incomplete.run.errors[0], /k6 exited with code 107 \(ScriptException: the script threw an exception\); k6's first error: /);
        assert.ok(text.includes(`**The run failed:**\n\n- ${markdownText(incomplete.run.errors[0])}`));

        // k6's text can hold backslashes, pipes and markup (a Windows path, a shell line): the list item shows them as they are.
        const hostile = copy(incomplete);
        hostile.run.errors = [String.raw`k6's first error: C:\k6\load.ts | *not* <b>bold</b> _x_`];
        const hostileText = jobSummary(hostile, timeline);
        assert.ok(renderedText(hostileText).includes(hostile.run.errors[0]), "the error reads as it is");
    });

    it("the cost: a --local run has none; a loadgen run is priced per stack with pricing.ts, in its region, for k6's run plus the start-up", () => {
        assert.match(markdown, /### Cost\n\nA --local run: k6 ran on the machine that ran the command, on no Fargate task\./);

        const onFargate = copy(passed);
        const { region, taskCpu, taskMemory } = LOADGEN_OUTPUTS;
        onFargate.run.settings.distributed.stacks = [{ stack: "loadgen", segments: [0, 1], region, taskCpu, taskMemory }];
        const seconds = onFargate.run.settings.testRunDuration.ms / 1000 + START_OVERHEAD_SECONDS;
        const cost = estimateFargateCost({ region, cpuUnits: taskCpu, memoryMiB: taskMemory, tasks: 2, seconds, spot: false });
        const text = jobSummary(onFargate, timeline);
        const table = tableOf(text, /^Cost$/);
        assert.deepEqual(table.header, ["Loadgen stack", "Priced in", "Tasks", "Task size", "Per task-hour", "Estimate"]);
        assert.deepEqual(table.rows, [["loadgen", region, "2", `${taskCpu / 1024} vCPU / ${taskMemory / 1024} GB`, `$${cost.perTaskHourUsd.toFixed(4)}`, `$${cost.usd.toFixed(2)}`]]);
        assert.match(text, new RegExp(`≈ \\$${cost.usd.toFixed(2)} in all, at Fargate's list prices of ${cost.pricesAsOf} in each stack's region`));

        const unknownRegion = copy(onFargate);
        unknownRegion.run.settings.distributed.stacks[0].region = "mars-north-1";
        assert.ok(tableOf(jobSummary(unknownRegion), /^Cost$/).rows[0][1].startsWith("mars-north-1 (not in the price table"));
        const unsized = copy(onFargate);
        delete unsized.run.settings.distributed.stacks[0].taskCpu;
        assert.match(jobSummary(unsized), /No estimate for loadgen: the result does not say the task size/);
    });

    it("links the report when given its URL", () => {
        assert.ok(!markdown.includes("report]("));
        const url = "https://github.com/my-org/ecs-loadlab/actions/runs/42/artifacts/7";
        assert.ok(jobSummary(passed, timeline, { reportUrl: url }).trimEnd().endsWith(`[The run's report](<${url}>)`));
    });

    it("escapes what the run says: pipes, emphasis, HTML and line breaks stay text, and every table keeps its columns", () => {
        const hostile = copy(passed);
        const name = "http_req_duration{name:a|b*c*_d_<b>bold</b>}";
        hostile.k6.metrics[name] = { ...passed.k6.metrics["http_req_duration{name:count-prime,expected_response:true}"], thresholds: { "p(99)<3000 || 1": { ok: false } } };
        hostile.run.errors = ["1. first | second\n- third `code` ~~gone~~ &amp; [link](x)"];
        const text = jobSummary(hostile, timeline);
        const trend = tableOf(text, /^k6 summary$/, "Trend").rows.find((row) => row[0] === name);
        assert.ok(trend, "the metric's row, its name whole");
        const threshold = tableOf(text, /^Thresholds$/).rows.find((row) => row[1] === name);
        assert.deepEqual(threshold?.slice(0, 3), ["❌", name, "p(99)<3000 || 1"]);
        const rendered = renderedText(text);
        assert.ok(rendered.includes(name), "the name reads as given");
        assert.ok(rendered.includes("1. first | second - third `code` ~~gone~~ &amp; [link](x)"), "the error reads as given, on one line");
        const html = marked.parse(text, { gfm: true, async: false });
        assert.doesNotMatch(html, /<b>|<em>|<del>|<code>code<\/code>|<a href="x"/);
        assert.equal((html.match(/<ol/g) ?? []).length, 0, "no list begins inside the error");
    });

    it("every table of every variant has its header's column count, and marked reads it as a table", () => {
        for (const verdict of ["passed", "failed", "incomplete"] as const) {
            for (const observed of [timeline, undefined]) {
                const text = jobSummary(fixtureResult(verdict).result, observed, { reportUrl: "https://example.com/r" });
                assert.equal(tables(text).length, observed ? 4 : 3, `${verdict}, ${observed ? "observed" : "no timeline"}`);
                assert.ok(text.endsWith("\n") && !text.endsWith("\n\n"));
            }
        }
    });
});
