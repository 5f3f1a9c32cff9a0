/** `npm run timeline`: the command line end to end for simulate and report, on the stack files (tests/environment-fixtures.ts). */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../scripts/timeline/main";
import { ASSUMPTIONS } from "../scripts/timeline/simulate/assumptions";
import type { CommandContext } from "../scripts/timeline/main";
import { parseTimeline } from "../scripts/timeline/timeline";
import { ENVIRONMENT_STACK_FILES, stackFilePath } from "./environment-fixtures";

const DEV_STACK_FILE = stackFilePath("Pulumi.dev.yaml");

async function runTimeline(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const context: CommandContext = {
        print: (line) => out.push(line),
        printError: (line) => err.push(line),
        observe: () => Promise.reject(new Error("observe is tested in timeline-observe.test.ts")),
    };
    const status = await main(argv, context);
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("npm run timeline", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "timeline-cli-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("simulate, on every shipped environment stack and profile", () => {
        for (const stackFile of ENVIRONMENT_STACK_FILES) {
            for (const script of ["load", "stress"]) {
                it(`${stackFile} × ${script}: writes a valid timeline, scales under stress, never flaps`, async () => {
                    const json = path.join(dir, `${stackFile}-${script}.json`);
                    const result = await runTimeline("simulate", "--stack", stackFilePath(stackFile), "--script", script, "--json", json);
                    assert.equal(result.status, 0, result.stderr);
                    assert.match(result.stdout, /per-request CPU: \d+\.\d ms on average, from the calibration table/);
                    assert.match(result.stdout, /assumptions \(--assume NAME=VALUE\): taskStartupSeconds=45, datapointDelaySeconds=60/);
                    const timeline = parseTimeline(fs.readFileSync(json, "utf8"), json);
                    assert.equal(timeline.kind, "predicted");
                    assert.equal(timeline.rows.length, script === "load" ? 60 : 40);
                    assert.equal(timeline.summary.reversals, 0, `flapping: ${JSON.stringify(timeline.events.filter((e) => e.kind === "scaling"))}`);
                    if (script === "stress") assert.ok(timeline.summary.scaleOuts > 0, "the stress profile is meant to make every stack scale out");
                });
            }
        }
    });

    it("--compare prints the stack's mode and the other one side by side", async () => {
        const result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "-e", "PEAK_RATE=20", "--compare");
        assert.equal(result.status, 0, result.stderr);
        const header = result.stdout.split("\n").find((line) => line.includes("Pulumi.dev.yaml (step)"));
        assert.ok(header?.includes("target-tracking, its defaults"), result.stdout);
        assert.match(result.stdout, /^peak tasks +\d+ +\d+$/m);
        assert.match(result.stdout, /^Fargate task-hours, cost +[\d.]+, \$[\d.]+ \(list prices of \d{4}-\d{2}-\d{2}\)/m);
    });

    it("-e overrides mean what they mean to k6: a lower peak sheds less", async () => {
        const run = async (...env: string[]) => {
            const json = path.join(dir, "peak.json");
            assert.equal((await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", ...env, "--json", json)).status, 0);
            return parseTimeline(fs.readFileSync(json, "utf8"), json).summary;
        };
        const full = await run();
        const low = await run("-e", "PEAK_RATE=8");
        assert.ok(low.shedRequests < full.shedRequests);
        assert.ok(low.requests < full.requests);
    });

    it("--cpu-ms and --assume change the prediction and are printed", async () => {
        const result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "--cpu-ms", "40", "--assume", "taskStartupSeconds=90");
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /per-request CPU: 40\.0 ms on average, from the --cpu-ms 40/);
        assert.match(result.stdout, /taskStartupSeconds=90/);
    });

    describe("bad input: exit status 2 and what to change", () => {
        const cases: Array<[string, string[], RegExp]> = [
            ["an unknown stack file", ["simulate", "--stack", "Pulumi.nope.yaml", "--script", "load"], /Pulumi\.nope\.yaml does not exist/],
            ["a stack file that is not an environment", ["simulate", "--stack", stackFilePath("Pulumi.shared.yaml"), "--script", "load"], /is a shared stack .*: timelines are for environment stacks/],
            ["a script that is not a k6 load profile", ["simulate", "--stack", DEV_STACK_FILE, "--script", "smoke"], /not a k6 load profile of this project .*use load or stress/],
            ["an -e value k6 would refuse", ["simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "-e", "PEAK_RATE=abc"], /k6\/stress\.ts would refuse this: -e PEAK_RATE="abc" is invalid/],
            ["an -e rule across values", ["simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "-e", "START_RATE=10", "-e", "PEAK_RATE=5"], /PEAK_RATE=5 is below -e START_RATE=10/],
            ["an unknown assumption", ["simulate", "--stack", DEV_STACK_FILE, "--script", "load", "--assume", "speed=2"], /--assume speed is not an assumption.*taskStartupSeconds/],
            ["an assumption out of range", ["simulate", "--stack", DEV_STACK_FILE, "--script", "load", "--assume", "targetTrackingLowDatapoints=1.5"], /out of range: expected a whole number from 1 to 60/],
            ["a CPU cost that is not a number", ["simulate", "--stack", DEV_STACK_FILE, "--script", "load", "--cpu-ms", "0"], /--cpu-ms expects a number > 0/],
            ["an option of another command", ["simulate", "--stack", DEV_STACK_FILE, "--script", "load", "--summary", "x.json"], /simulate does not take --summary/],
            ["no command", [], /say what to do: simulate, observe or report/],
            ["an unknown command", ["predict"], /unknown command "predict"/],
            ["report without a timeline", ["report", "--html", "r.html"], /report needs --predicted <file>, --observed <file>, or both/],
        ];
        for (const [what, argv, message] of cases) {
            it(what, async () => {
                const result = await runTimeline(...argv);
                assert.equal(result.status, 2, result.stderr);
                assert.match(result.stderr, message);
            });
        }

        it("report: a file that is not a timeline, or a timeline of the other kind", async () => {
            const notTimeline = path.join(dir, "summary.json");
            fs.writeFileSync(notTimeline, JSON.stringify({ run: { script: "load" }, k6: {} }));
            let result = await runTimeline("report", "--predicted", notTimeline, "--html", path.join(dir, "r.html"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /summary\.json is not a timeline/);

            const predicted = path.join(dir, "predicted.json");
            assert.equal((await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "--json", predicted)).status, 0);
            result = await runTimeline("report", "--observed", predicted, "--html", path.join(dir, "r.html"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /holds a predicted timeline: pass it as --predicted/);
            assert.ok(!fs.existsSync(path.join(dir, "r.html")));
        });

        it("an output that cannot be written leaves no other output behind", async () => {
            const json = path.join(dir, "kept-out.json");
            const result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "--json", json, "--html", path.join(dir, "missing", "r.html"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /cannot write .*r\.html/);
            assert.ok(!fs.existsSync(json));
            assert.deepEqual(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp")), []);
        });
    });

    it("docs/scaling-timeline.md lists every assumption with its default", () => {
        const page = fs.readFileSync("docs/scaling-timeline.md", "utf8");
        for (const [name, assumption] of Object.entries(ASSUMPTIONS)) {
            assert.match(page, new RegExp(`^\\| \`${name}\` \\| ${assumption.value} \\|`, "m"), name);
        }
    });

    it("report draws a timeline simulate wrote into one HTML file", async () => {
        const predicted = path.join(dir, "to-report.json");
        const html = path.join(dir, "report.html");
        assert.equal((await runTimeline("simulate", "--stack", stackFilePath("Pulumi.staging.yaml"), "--script", "stress", "--json", predicted)).status, 0);
        const result = await runTimeline("report", "--predicted", predicted, "--html", html);
        assert.equal(result.status, 0, result.stderr);
        assert.match(fs.readFileSync(html, "utf8"), /^<!doctype html>/i);
    });
});
