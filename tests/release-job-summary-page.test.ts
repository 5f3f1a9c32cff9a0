/**
 * The job summary as GitHub's Actions page shows it: the Markdown of `npm run loadtest -- summary` rendered by a GFM
 * parser (marked) with GitHub's table and heading styles, opened in headless Chromium from disk. Every table must
 * render as a table with its header's column count, no Markdown escape may show, and a failed threshold shows ❌.
 * JOB_SUMMARY_SCREENSHOT=<file.png> writes the picture docs/release-flow.md shows (npm run release:screenshot).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { marked } from "marked";
import { jobSummary } from "../scripts/release/job-summary";
import { describeInBrowser } from "./chromium";
import { FIXTURES_DIR, fixtureResult, fixtureTimeline } from "./loadtest-target-fixture";

function summaryPage(markdown: string, jobName: string): string {
    const css = fs.readFileSync(path.join(FIXTURES_DIR, "github-summary.css"), "utf8");
    const body = marked.parse(markdown, { gfm: true, async: false });
    return `<!doctype html><html><head><meta charset="utf-8"><title>${jobName} summary</title><style>${css}</style></head>
<body><div class="summary"><header>${jobName} summary</header><div class="markdown-body">${body}</div></div></body></html>`;
}

describeInBrowser("the job summary in a page, as GitHub renders it", (browser) => {
    let dir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(tmpdir(), "job-summary-"));
    });
    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a failed run: every table renders whole, each failed threshold shows ❌, no escape shows (docs/release-flow.md's picture)", async () => {
        const { result } = fixtureResult("failed");
        const markdown = jobSummary(result, fixtureTimeline(), { reportUrl: "https://github.com/my-org/ecs-loadlab/actions/runs/1/artifacts/2" });
        const file = path.join(dir, "summary.html");
        fs.writeFileSync(file, summaryPage(markdown, "load test of staging (k6/load.ts)"));
        const context = await browser().newContext({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
        const requests: string[] = [];
        context.on("request", (request) => requests.push(request.url()));
        const page = await context.newPage();
        await page.goto(pathToFileURL(file).href);

        assert.deepEqual(requests, [pathToFileURL(file).href], "the page loads nothing but itself");
        const markdownTables = marked.lexer(markdown).filter((token) => token.type === "table").length;
        const tables = await page.locator("table").evaluateAll((elements) =>
            elements.map((table) => ({
                header: table.querySelectorAll("thead th").length,
                rows: [...table.querySelectorAll("tbody tr")].map((row) => row.children.length),
            })),
        );
        assert.equal(tables.length, markdownTables);
        assert.ok(tables.length >= 4, "k6 trends, metrics, thresholds and scaling");
        for (const table of tables) assert.deepEqual(table.rows, table.rows.map(() => table.header), "each row has the header's cells");

        const failedThresholds = result.run.failedThresholds.length;
        assert.ok(failedThresholds > 0, "the fixture failed a threshold");
        const thresholdRows = await page.locator("h3:text-is('Thresholds') + table tbody tr").allTextContents();
        assert.equal(thresholdRows.filter((row) => row.trim().startsWith("❌")).length, failedThresholds);
        assert.match(String(await page.locator("h2").textContent()), /^❌ Load test failed/);

        const text = await page.locator(".markdown-body").innerText();
        assert.doesNotMatch(text, /\\[_|<>*]/, "no Markdown escape shows");

        const screenshot = process.env.JOB_SUMMARY_SCREENSHOT;
        if (screenshot) {
            fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
            await page.locator(".summary").screenshot({ path: screenshot });
        }
        await context.close();
    });
}, "JOB_SUMMARY_SCREENSHOT");
