/** `npm run timeline`: the command line end to end for simulate, calibrate and report, on the stack files (tests/environment-fixtures.ts). */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Band } from "../scripts/timeline/band";
import { type Calibration, parseCalibration } from "../scripts/timeline/calibrate/calibration";
import { PROJECT_DIR } from "../scripts/stack-file";
import { USAGE, parseInvocation } from "../scripts/timeline/args";
import { main } from "../scripts/timeline/main";
import { ASSUMPTIONS } from "../scripts/timeline/simulate/assumptions";
import type { CommandContext } from "../scripts/timeline/main";
import { type Timeline, parseTimeline } from "../scripts/timeline/timeline";
import { ENVIRONMENT_STACK_FILES, stackFilePath, stackName } from "./environment-fixtures";
import { fixtureCalibrated, fixtureTimeline } from "./timeline-fixtures";

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

/** A timeline simulate wrote, with the band it carries. */
const readPrediction = (file: string) => parseTimeline(fs.readFileSync(file, "utf8"), file) as Timeline & { band: Band };

/** A calibration as timeline calibrate writes it, fitted on 0.5 vCPU tasks (the dev stack runs 0.25), without a datapoint delay. */
const CALIBRATION: Calibration = {
    kind: "calibration",
    version: 1,
    source: { observed: "observed.json", stack: "Pulumi.dev.yaml", script: "stress", vcpusPerTask: 0.5 },
    cpuMsPerRequest: { value: 30, low: 25, high: 36, samples: 12, from: ["row t=120 s: CPU 61.2 % × 2 tasks × 0.5 vCPU ÷ 20.4 served/s"] },
    taskStartupSeconds: { value: 90, low: 80, high: 100, samples: 2, from: ["scale-out at 180 s → task running at 270 s"] },
    datapointDelaySeconds: null,
    notes: ["no alarm history: the datapoint delay cannot be fitted"],
};

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
                    assert.match(result.stdout, /^band: per-request CPU [\d.]+–[\d.]+ ms \(±10 % of the calibration table/m);
                    const timeline = readPrediction(json);
                    assert.equal(timeline.kind, "predicted");
                    assert.equal(timeline.rows.length, script === "load" ? 60 : 40);
                    // More CPU per request never scales later or less here (p99 and shed are not monotone in it: a
                    // task more, sooner, can shed less).
                    const { low, high } = timeline.band;
                    assert.deepEqual([low.length, high.length], [timeline.rows.length, timeline.rows.length]);
                    for (const field of ["desiredTasks", "runningTasks"] as const) {
                        const above = low.filter((row, i) => (row[field] ?? 0) > (high[i][field] ?? 0)).map((row) => row.t);
                        assert.deepEqual(above, [], `${field}: minutes the low end has more than the high`);
                    }
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

    describe("simulate --calibration", () => {
        let calibrationFile: string;
        before(() => {
            calibrationFile = path.join(dir, "calibration.json");
            fs.writeFileSync(calibrationFile, JSON.stringify(CALIBRATION));
        });

        it("uses the calibration's figures in place of the table and the assumptions it fits, and says so", async () => {
            const json = path.join(dir, "calibrated.json");
            const result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "--calibration", calibrationFile, "--json", json);
            assert.equal(result.status, 0, result.stderr);
            const from = `calibration ${calibrationFile}`;
            const lines = result.stdout.split("\n");
            assert.ok(lines.includes(`per-request CPU: 30.0 ms on average, from the ${from} (observed observed.json, 12 rows)`), result.stdout);
            assert.ok(
                lines.includes(
                    `inputs: taskStartupSeconds=90 from ${from} (observed observed.json, 2 samples); ` +
                        `datapointDelaySeconds=60 from assumption (${from} has none); requestOverheadPercent=0 from ${from} (included in its per-request CPU)`,
                ),
                result.stdout,
            );
            assert.match(result.stdout, /^assumptions \(--assume NAME=VALUE\): datapointDelaySeconds=60, targetTracking/m, "only what the calibration does not set is an assumption");
            assert.match(result.stdout, new RegExp(`^band: per-request CPU 25–36 ms \\(the spread of ${from}, 12 rows\\), same seed: `, "m"));
            assert.match(result.stdout, /^warning: .* was fitted on 0\.5 vCPU tasks and this stack runs 0\.25 vCPU tasks: .* only approximately$/m);

            const timeline = readPrediction(json);
            assert.equal(timeline.assumptions.calibration, calibrationFile);
            assert.equal(timeline.assumptions.cpuMsSource, `${from} (observed observed.json, 12 rows)`);
            assert.equal(timeline.assumptions.taskStartupSecondsSource, `${from} (observed observed.json, 2 samples)`);
            assert.deepEqual([timeline.assumptions.cpuMsPerRequest, timeline.assumptions.taskStartupSeconds, timeline.assumptions.requestOverheadPercent], [30, 90, 0]);
            assert.deepEqual(timeline.band.cpuMsPerRequest, { low: 25, high: 36 });

            // The same prediction as the figures given by hand.
            const byHand = path.join(dir, "by-hand.json");
            const flags = ["--cpu-ms", "30", "--assume", "taskStartupSeconds=90", "--assume", "requestOverheadPercent=0"];
            assert.equal((await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", ...flags, "--json", byHand)).status, 0);
            assert.deepEqual(readPrediction(byHand).rows, timeline.rows);
        });

        const refused: Array<[string, string[], RegExp]> = [
            ["with --cpu-ms", ["--cpu-ms", "20"], /--cpu-ms and --calibration both set the per-request CPU: give one of them/],
            ["with --assume of a figure it sets", ["--assume", "taskStartupSeconds=60"], /--assume taskStartupSeconds conflicts with --calibration .*calibration\.json, which sets it/],
            ["with --assume requestOverheadPercent, which its CPU includes", ["--assume", "requestOverheadPercent=3"], /--assume requestOverheadPercent conflicts/],
        ];
        for (const [what, argv, message] of refused) {
            it(`is refused ${what}`, async () => {
                const result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "--calibration", calibrationFile, ...argv);
                assert.equal(result.status, 2, result.stderr);
                assert.match(result.stderr, message);
            });
        }

        it("refuses a missing file or one that is not a calibration", async () => {
            let result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "load", "--calibration", path.join(dir, "none.json"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /calibration .*none\.json does not exist: pass a file written by timeline calibrate --out/);
            const wrong = path.join(dir, "not-calibration.json");
            fs.writeFileSync(wrong, JSON.stringify({ ...CALIBRATION, version: 2 }));
            result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "load", "--calibration", wrong);
            assert.equal(result.status, 2);
            assert.match(result.stderr, /not-calibration\.json is not a calibration .*\n {2}- version: /);
        });
    });

    describe("calibrate", () => {
        it("fits an observed timeline, prints each figure with its evidence, and writes the calibration", async () => {
            const observed = path.join(dir, "observed-for-calibrate.json");
            fs.writeFileSync(observed, JSON.stringify(fixtureTimeline("observed")));
            const out = path.join(dir, "fitted.json");
            const result = await runTimeline("calibrate", "--observed", observed, "--stack", DEV_STACK_FILE, "--out", out);
            assert.equal(result.status, 0, result.stderr);
            const calibration = parseCalibration(fs.readFileSync(out, "utf8"), out);
            assert.match(result.stdout, /^calibration of Pulumi\.dev\.yaml × load \(0\.25 vCPU tasks\), from .*observed-for-calibrate\.json:$/m);
            const cpu = calibration.cpuMsPerRequest;
            assert.ok(result.stdout.includes(`cpuMsPerRequest: ${cpu.value} (spread ${cpu.low}–${cpu.high}, ${cpu.samples} samples)\n    ${cpu.from[0]}`), result.stdout);
            assert.match(result.stdout, new RegExp(`wrote ${out}$`));
        });

        const cases: Array<[string, (observed: string) => string[], RegExp]> = [
            ["without --observed", () => ["--out", "c.json"], /calibrate needs --observed/],
            ["without --out", (observed) => ["--observed", observed], /calibrate needs --out/],
            ["with an option of simulate", (observed) => ["--observed", observed, "--out", "c.json", "--script", "load"], /calibrate does not take --script/],
        ];
        for (const [what, argv, message] of cases) {
            it(`is refused ${what}`, async () => {
                const result = await runTimeline("calibrate", ...argv(path.join(dir, "any.json")));
                assert.equal(result.status, 2, result.stderr);
                assert.match(result.stderr, message);
            });
        }

        it("needs an observed timeline, and the stack file it names or --stack", async () => {
            const predicted = path.join(dir, "predicted-for-calibrate.json");
            fs.writeFileSync(predicted, JSON.stringify(fixtureTimeline("predicted")));
            let result = await runTimeline("calibrate", "--observed", predicted, "--out", path.join(dir, "c.json"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /holds a predicted timeline: pass it as --predicted/);

            const elsewhere = path.join(dir, "observed-elsewhere.json");
            fs.writeFileSync(elsewhere, JSON.stringify({ ...fixtureTimeline("observed"), stack: "Pulumi.nope.yaml" }));
            result = await runTimeline("calibrate", "--observed", elsewhere, "--out", path.join(dir, "c.json"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /observed-elsewhere\.json was observed on Pulumi\.nope\.yaml, which is not in .*: pass its stack with --stack <name\|file>/);
            assert.ok(!fs.existsSync(path.join(dir, "c.json")));
        });
    });

    describe("report of a prediction, the run and the calibrated prediction", () => {
        const write = (name: string, timeline: Timeline) => {
            const file = path.join(dir, name);
            fs.writeFileSync(file, JSON.stringify(timeline));
            return file;
        };

        it("prints each prediction's error against the observed run and draws all three", async () => {
            const html = path.join(dir, "three.html");
            const result = await runTimeline(
                "report",
                "--predicted",
                write("before.json", fixtureTimeline("predicted")),
                "--observed",
                write("observed.json", fixtureTimeline("observed")),
                "--calibrated",
                write("after.json", fixtureCalibrated()),
                "--html",
                html,
            );
            assert.equal(result.status, 0, result.stderr);
            const lines = result.stdout.split("\n");
            assert.equal(lines[0], "prediction error against the observed run:");
            assert.match(lines[1], /^ +predicted +calibrated$/);
            assert.match(result.stdout, /^minutes at another desired task count +\d+ of 30 +0 of 30$/m);
            assert.match(result.stdout, /^p99 per minute, median error +[\d.]+ % over \d+ minutes +[\d.]+ % over \d+ minutes$/m);
            assert.match(fs.readFileSync(html, "utf8"), /<table id="prediction-error">/);
        });

        it("takes as --calibrated only a timeline simulated with --calibration", async () => {
            const result = await runTimeline("report", "--calibrated", write("plain.json", fixtureTimeline("predicted")), "--html", path.join(dir, "r.html"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /plain\.json was not simulated with --calibration .*: pass it as --predicted/);
        });
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
            ["an option of another command", ["simulate", "--stack", DEV_STACK_FILE, "--script", "load", "--summary", "x.json"], /^simulate does not take --summary \(for observe\)\n/],
            ["no command", [], /say what to do: simulate, observe, calibrate or report/],
            ["an unknown command", ["predict"], /unknown command "predict"/],
            ["report without a timeline", ["report", "--html", "r.html"], /report needs at least one of --predicted <file>, --observed <file> and --calibrated <file>/],
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

        it("an output that cannot be written leaves no other output behind; a missing folder is made", async () => {
            const json = path.join(dir, "kept-out.json");
            const notAFolder = path.join(dir, "a-file");
            fs.writeFileSync(notAFolder, "");
            const result = await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "--json", json, "--html", path.join(notAFolder, "r.html"));
            assert.equal(result.status, 2);
            assert.match(result.stderr, /cannot write .*r\.html/);
            assert.ok(!fs.existsSync(json));
            assert.deepEqual(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp")), []);

            const inNewFolder = path.join(dir, "timelines", "predicted.json");
            assert.equal((await runTimeline("simulate", "--stack", DEV_STACK_FILE, "--script", "stress", "--json", inNewFolder)).status, 0);
            assert.ok(fs.existsSync(inNewFolder));
        });
    });

    describe("help, misspelt options and stacks by name or file", () => {
        it("--help and -h print the usage on stdout and exit 0, for the command and each subcommand", async () => {
            for (const argv of [["--help"], ["-h"], ["simulate", "--help"], ["observe", "-h", "--bogus"]]) {
                const result = await runTimeline(...argv);
                assert.deepEqual([result.status, result.stdout, result.stderr], [0, USAGE, ""], argv.join(" "));
            }
        });

        const usageLine = (synopsis: string) => `usage: npm run timeline -- ${synopsis} (npm run timeline -- --help for all options)`;
        const SIMULATE_LINE = usageLine("simulate --stack <name|file> --script <load|stress> [-e NAME=VALUE ...] ...");
        const refusals: Array<[string, string[], string[]]> = [
            ["a misspelt option: the one meant, and the subcommand's usage line", ["simulate", "--stak", "dev", "--script", "load"], ["unknown option --stak: did you mean --stack?", SIMULATE_LINE]],
            [
                "a misspelt option of another subcommand",
                ["observe", "--stack", "dev", "--sumary", "s.json"],
                ["unknown option --sumary: did you mean --summary?", usageLine("observe --stack <name|file> --summary <k6 summary file> [--outputs <file>] ...")],
            ],
            ["an option nothing is near: no guess", ["simulate", "--stack", "dev", "--frobnicate"], ["unknown option --frobnicate", SIMULATE_LINE]],
            ["an option without its value", ["simulate", "--script", "load", "--stack"], ["--stack needs a value", SIMULATE_LINE]],
            ["another subcommand's option, naming it", ["simulate", "--stack", "dev", "--script", "load", "--summary", "s.json"], ["simulate does not take --summary (for observe)", SIMULATE_LINE]],
            [
                "something that is neither a stack's name nor a stack file",
                ["simulate", "--stack", "./dev", "--script", "load"],
                ['--stack "./dev" is neither a stack\'s name (dev, org/dev or org/ecs-loadlab/dev, as pulumi -s takes it) nor a stack file\'s path (Pulumi.<stack>.yaml)', SIMULATE_LINE],
            ],
        ];
        for (const [what, argv, stderr] of refusals) {
            it(`${what}: exit 2, the problem and one usage line`, async () => {
                const result = await runTimeline(...argv);
                assert.deepEqual([result.status, result.stderr.split("\n"), result.stdout], [2, stderr, ""]);
            });
        }

        it("--stack takes a name, as pulumi -s does (its file is Pulumi.<name>.yaml in the project), or a stack file's path", () => {
            const projectFile = path.join(PROJECT_DIR, "Pulumi.dev.yaml");
            const stackOf = (given: string) => {
                const invocation = parseInvocation(["simulate", "--stack", given, "--script", "load"]);
                return invocation.kind === "simulate" ? invocation.stack : assert.fail(invocation.kind);
            };
            assert.deepEqual(stackOf("dev"), { name: "dev", file: projectFile });
            assert.deepEqual(stackOf("my-org/ecs-loadlab/dev"), { name: "my-org/ecs-loadlab/dev", file: projectFile });
            assert.deepEqual(stackOf("Pulumi.dev.yaml"), { name: "dev", file: "Pulumi.dev.yaml" });
            assert.deepEqual(stackOf("/elsewhere/Pulumi.dev.yaml"), { name: "dev", file: "/elsewhere/Pulumi.dev.yaml" });
            assert.deepEqual(stackOf("/elsewhere/dev.yaml"), { file: "/elsewhere/dev.yaml" });
        });

        it("simulate --stack dev, Pulumi.dev.yaml or a path in another folder: the same prediction, each saying which file it read", async () => {
            const elsewhere = path.join(dir, "elsewhere");
            fs.mkdirSync(elsewhere);
            const copy = path.join(elsewhere, "Pulumi.dev.yaml");
            fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), copy);
            const relative = path.relative(process.cwd(), path.join(PROJECT_DIR, "Pulumi.dev.yaml"));
            const cases: Array<[string, string]> = [
                ["dev", `stack dev: reading ${relative}`],
                [relative, `stack dev: reading ${relative}`],
                [`./${relative}`, `stack dev: reading ${relative}`],
                ["my-org/ecs-loadlab/dev", `stack my-org/ecs-loadlab/dev: reading ${relative}`],
                [copy, `stack dev: reading ${copy}`],
            ];
            const outputs: string[] = [];
            for (const [given, reading] of cases) {
                const result = await runTimeline("simulate", "--stack", given, "--script", "stress", "-e", "PEAK_RATE=20");
                assert.deepEqual([result.status, result.stderr], [0, reading], given);
                outputs.push(result.stdout);
            }
            assert.deepEqual(new Set(outputs).size, 1, "the same prediction from every form");
        });

        it("a stack without a file: the environment stacks there, and the nearest (and no line saying it was read)", async () => {
            const result = await runTimeline("simulate", "--stack", "dvv", "--script", "load");
            assert.equal(result.status, 2);
            const environments = ENVIRONMENT_STACK_FILES.map(stackName).join(", ");
            assert.deepEqual(result.stderr.split("\n"), [
                `stack file Pulumi.dvv.yaml does not exist: pass an environment stack file or stack name (did you mean dev?); the environment stacks in ${PROJECT_DIR}: ${environments}`,
            ]);
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
