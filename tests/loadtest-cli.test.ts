import * as assert from "node:assert/strict";
import { join, relative } from "node:path";
import { LoadgenStackOutputs } from "../loadgen/src/contract";
import { manifestSchema } from "../loadgen/src/protocol";
import { DEFAULT_CONFIRM_ABOVE_USD, Invocation, USAGE, parseInvocation } from "../scripts/loadtest/args";
import { EXIT } from "../scripts/loadtest/main";
import { PROJECT_DIR } from "../scripts/stack-file";
import { Refusal, itRefusesEach } from "./loadtest-args-fixture";
import { loadtest } from "./loadtest-target-fixture";
import { PlanInput, RunPlan, START_OVERHEAD_SECONDS, formatPlan, manifestFor, maxRunSeconds, planRun, splitSegments } from "../scripts/loadtest/plan";
import { FARGATE_PRICES_AS_OF, estimateFargateCost } from "../scripts/loadtest/pricing";
import { LOADGEN_OUTPUTS, LOADGEN_OUTPUTS_FRANKFURT } from "./loadtest-stack-fixture";

const RUN_ID = "lt-20261130T120000Z-a1b2";
const EU_ROLE = "arn:aws:iam::111111111111:role/ecs-loadlab-deploy";
const FRA_ROLE = "arn:aws:iam::222222222222:role/ecs-loadlab-deploy";

describe("npm run loadtest: the command line (args.ts)", () => {
    const runDefaults = { local: false, spot: false, env: [], out: undefined, dryRun: false, yes: false, confirmAboveUsd: DEFAULT_CONFIRM_ABOVE_USD, aws: { roleArns: [] } };
    const cases: [string, string[], Invocation][] = [
        [
            "a run on two stacks with every option",
            [
                ...["--stack", "loadgen-eu", "--stack", "loadgen-fra", "--tasks", "8", "--spot", "k6/stress.ts"],
                ...["-e", "BASE_URL=https://dev.example.com", "-e", "QUERY=a=b", "-e", "EMPTY=", "--out", "stress.json", "--yes"],
                ...["--confirm-above", "2.50", "--profile", "loadlab", "--role-arn", EU_ROLE, "--role-arn", FRA_ROLE],
            ],
            {
                kind: "run",
                stacks: ["loadgen-eu", "loadgen-fra"],
                local: false,
                tasks: 8,
                spot: true,
                script: "k6/stress.ts",
                env: [
                    ["BASE_URL", "https://dev.example.com"],
                    ["QUERY", "a=b"],
                    ["EMPTY", ""],
                ],
                out: "stress.json",
                dryRun: false,
                yes: true,
                confirmAboveUsd: 2.5,
                aws: { profile: "loadlab", roleArns: [EU_ROLE, FRA_ROLE] },
            },
        ],
        ["a run with the defaults", ["--stack", "loadgen", "--tasks", "1", "k6/load.ts"], { kind: "run", stacks: ["loadgen"], tasks: 1, script: "k6/load.ts", ...runDefaults }],
        ["--confirm-above 0: ask before any paid run", ["--stack", "loadgen", "--tasks", "500", "k6/load.ts", "--confirm-above", "0"], { kind: "run", stacks: ["loadgen"], tasks: 500, script: "k6/load.ts", ...runDefaults, confirmAboveUsd: 0 }],
        [
            "--local",
            ["--local", "--tasks", "3", "k6/stress.ts", "-e", "PEAK_RATE=20", "--dry-run"],
            { kind: "run", stacks: [], tasks: 3, script: "k6/stress.ts", ...runDefaults, local: true, env: [["PEAK_RATE", "20"]], dryRun: true },
        ],
        [
            "--stop",
            ["--stop", RUN_ID, "--stack", "loadgen-eu", "--stack", "loadgen-fra", "--profile", "loadlab"],
            { kind: "stop", runId: RUN_ID, stacks: ["loadgen-eu", "loadgen-fra"], aws: { profile: "loadlab", roleArns: [] } },
        ],
        ["build-image", ["build-image", "--stack", "loadgen-eu", "--role-arn", EU_ROLE], { kind: "build-image", stacks: ["loadgen-eu"], aws: { roleArns: [EU_ROLE] } }],
        [
            "merge a run from its stacks' buckets",
            ["merge", RUN_ID, "--stack", "loadgen-eu", "--stack", "loadgen-fra", "--out", "again.json", "--role-arn", EU_ROLE],
            { kind: "merge", runId: RUN_ID, stacks: ["loadgen-eu", "loadgen-fra"], out: "again.json", aws: { roleArns: [EU_ROLE] } },
        ],
        ["merge a --local run's folder", ["merge", `k6/results/${RUN_ID}`], { kind: "merge", folder: `k6/results/${RUN_ID}`, stacks: [], aws: { roleArns: [] } }],
        ["--tasks 1000: the most", ["--stack", "loadgen", "--tasks", "1000", "k6/load.ts"], { kind: "run", stacks: ["loadgen"], tasks: 1000, script: "k6/load.ts", ...runDefaults }],
        ["--help", ["--help"], { kind: "help" }],
        ["-h, whatever else is wrong", ["-h", "--tasks", "0"], { kind: "help" }],
        ["--help after an unknown option", ["--bogus", "--help"], { kind: "help" }],
    ];
    for (const [mode, argv, invocation] of cases) {
        it(mode, () => {
            assert.deepEqual(parseInvocation(argv), invocation);
        });
    }

    const SCRIPT = "k6/load.ts";
    const run = (...rest: string[]) => ["--stack", "loadgen", "--tasks", "2", SCRIPT, ...rest];
    const refusals: Refusal[] = [
        [run("--bogus"), "unknown option --bogus"],
        [["--stack", "loadgen", "--tasks", "2"], "name the k6 script to run, e.g. k6/load.ts"],
        [run("k6/stress.ts"), 'one script at a time, not "k6/load.ts k6/stress.ts"'],
        [["--stack", "loadgen", SCRIPT], "say how many segments to run with --tasks <n>"],
        ...["0", "1001", "3x", "", "2.5"].map((tasks): [string[], string] => [
            ["--stack", "loadgen", "--tasks", tasks, SCRIPT],
            `--tasks must be a whole number from 1 to 1000, not "${tasks}"`,
        ]),
        [["--stack", "a", "--stack", "b", "--stack", "c", "--tasks", "2", SCRIPT], '--tasks must be a whole number from 3 to 1000 (at least one per stack), not "2"'],
        [run("-e", "BASE_URL"), '-e needs NAME=VALUE, not "BASE_URL"'],
        [run("-e", "1X=2"), '-e needs NAME=VALUE, not "1X=2"'],
        [run("-e", "=2"), '-e needs NAME=VALUE, not "=2"'],
        [run("-e", "BASE-URL=x"), '-e needs NAME=VALUE, not "BASE-URL=x"'],
        [run("-e", "SUMMARY_PATH=out.json"), "-e SUMMARY_PATH is set by the runner for each segment; the merged result goes to --out <file>"],
        ...["-1", "abc", "", "Infinity"].map((usd): [string[], string] => [run(`--confirm-above=${usd}`), `--confirm-above must be an amount in US dollars such as 2.50, not "${usd}"`]),
        // A value starting with a dash must be given as --confirm-above=-1, and the message says so.
        [run("--confirm-above", "-1"), '--confirm-above needs a value, not -1 (a value that starts with "-" goes after "=": --confirm-above=-1)'],
        [["--stack", "loadgen", "--tasks"], "--tasks needs a value"],
        [run("--spot=yes"), "--spot takes no value: give it alone, not --spot=yes"],
        ...["deploy", "arn:aws:iam::111111111111:user/deploy", "arn:aws:iam::1111:role/deploy"].map((arn): [string[], string] => [
            run("--role-arn", arn),
            `--role-arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), not "${arn}"`,
        ]),
        [run("--role-arn", EU_ROLE, "--role-arn", "arn:aws:iam::111111111111:role/other"), "--role-arn names two roles in account 111111111111: give one per account"],
        [["--stack", "loadgen", "--stack", "loadgen", "--tasks", "2", SCRIPT], "--stack loadgen is given twice"],
        [["--tasks", "2", SCRIPT], "name the loadgen stack to run from with --stack <name> (or run locally with --local)"],
        [["--local", "--stack", "loadgen", "--tasks", "2", SCRIPT], "--local runs k6 on this machine: leave out --stack"],
        [["--local", "--tasks", "2", SCRIPT, "--spot", "--profile", "p", "--yes"], "--local does not take --spot (for a run), --yes (for a run)"],
        [["--local", "--tasks", "2", SCRIPT, "--profile", "p"], "--local calls AWS only to observe its --target: leave out --profile"],
        [["--stop", "run-1", "--stack", "loadgen"], '--stop needs a run id such as lt-20261130T120000Z-a1b2, not "run-1"'],
        [["--stop", "lt-20261130T120000Z-A1B2", "--stack", "loadgen"], '--stop needs a run id such as lt-20261130T120000Z-a1b2, not "lt-20261130T120000Z-A1B2"'],
        [["--stop", RUN_ID, "--stack", "loadgen", SCRIPT], `--stop takes no script, not "${SCRIPT}"`],
        [["--stop", RUN_ID], "--stop needs the --stack (or stacks) the run used"],
        [["--stop", RUN_ID, "--stack", "loadgen", "--tasks", "2", "--dry-run"], "--stop does not take --tasks (for a run or --local), --dry-run (for a run or --local)"],
        [["build-image"], "build-image needs --stack <name>: the loadgen stack whose repository gets the image"],
        [["merge"], "merge takes one run id (with --stack) or one local run's folder"],
        [["merge", RUN_ID], `merge ${RUN_ID} needs the --stack (or stacks) the run used`],
        [["merge", "k6/results/x", "--stack", "loadgen"], 'merge with --stack needs a run id such as lt-20261130T120000Z-a1b2, not "k6/results/x"'],
        [["merge", RUN_ID, "--stack", "loadgen", "--tasks", "2"], "merge does not take --tasks (for a run or --local)"],
        [["build-image", "--stack", "loadgen", SCRIPT], `build-image takes no other arguments, not "${SCRIPT}"`],
        [["build-image", "--stack", "loadgen", "--tasks", "2", "--spot", "-e", "A=1"], "build-image does not take --tasks (for a run or --local), --spot (for a run), -e (for a run or --local)"],
        [["summary", "r.json", "--shared-stack-file", "shared"], "summary does not take --shared-stack-file (for a run or record)"],
    ];
    itRefusesEach(refusals);
});

describe("npm run loadtest: help, misspelt options and stacks by name or file", () => {
    it("--help and -h print the usage on stdout and exit 0", async () => {
        for (const argv of [["--help"], ["-h"], ["record", "r.json", "--help"]]) {
            const result = await loadtest(argv);
            assert.deepEqual([result.status, result.stdout, result.stderr], [EXIT.passed, USAGE, ""], argv.join(" "));
        }
    });

    const usageLine = (synopsis: string) => `usage: npm run loadtest -- ${synopsis} (npm run loadtest -- --help for all options)`;
    const RUN_LINE = usageLine("--stack <name|file> [--stack <name|file> ...] --tasks <n> [--spot] <script> [-e NAME=VALUE ...] ...");
    const refusals: [string, string[], string[]][] = [
        ["a misspelt option: the one meant, and the run's usage line", ["--stak", "loadgen", "--tasks", "2", "k6/load.ts"], ["unknown option --stak: did you mean --stack?", RUN_LINE]],
        ["two letters swapped", ["--stack", "loadgen", "--tasks", "2", "k6/load.ts", "--tagret", "staging"], ["unknown option --tagret: did you mean --target?", RUN_LINE]],
        ["one dash for two", ["-stack", "loadgen", "--tasks", "2", "k6/load.ts"], ["unknown option -stack: did you mean --stack?", RUN_LINE]],
        ["an option nothing is near: no guess", ["--stack", "loadgen", "--tasks", "2", "k6/load.ts", "--frobnicate"], ["unknown option --frobnicate", RUN_LINE]],
        [
            "a misspelt option of a mode: that mode's usage line",
            ["record", "r.json", "--observd", "o.json"],
            ["unknown option --observd: did you mean --observed?", usageLine("record <result file> [--observed <timeline file> [--html <report file>]] [--shared-stack-file <name|file>] ...")],
        ],
        ["another mode's option", ["--stop", RUN_ID, "--stack", "loadgen", "--spot"], ["--stop does not take --spot (for a run)", usageLine("--stop <run id> --stack <name|file> [--stack <name|file> ...]")]],
    ];
    for (const [what, argv, stderr] of refusals) {
        it(`${what}: exit 2, the problem and one usage line`, async () => {
            const result = await loadtest(argv);
            assert.equal(result.status, EXIT.badInput);
            assert.deepEqual(result.stderr.split("\n"), stderr);
            assert.equal(result.stdout, "");
        });
    }

    it("--stack takes a stack's name, as pulumi -s does, or the project's stack file of it, and runs from the stack by name", () => {
        const file = join(PROJECT_DIR, "Pulumi.loadgen.yaml");
        for (const given of ["loadgen", "Pulumi.loadgen.yaml", file, relative(process.cwd(), file), "my-org/ecs-loadlab/loadgen"]) {
            const invocation = parseInvocation(["--stack", given, "--tasks", "1", "k6/load.ts"]);
            assert.deepEqual(invocation.kind === "run" && invocation.stacks, [given.startsWith("my-org/") ? given : "loadgen"], given);
        }
        assert.deepEqual(parseInvocation(["build-image", "--stack", "Pulumi.loadgen.yaml"]), { kind: "build-image", stacks: ["loadgen"], aws: { roleArns: [] } });
    });

    itRefusesEach([
        [["--stack", "loadgen", "--stack", "Pulumi.loadgen.yaml", "--tasks", "2", "k6/load.ts"], "--stack loadgen is given twice"],
        [
            ["--stack", "/elsewhere/Pulumi.loadgen.yaml", "--tasks", "1", "k6/load.ts"],
            `--stack /elsewhere/Pulumi.loadgen.yaml is not in this project (${PROJECT_DIR}): stack loadgen is read with Pulumi there, configured by its Pulumi.loadgen.yaml: pass loadgen`,
        ],
        [["--stack", "loadgen.yaml", "--tasks", "1", "k6/load.ts"], "--stack loadgen.yaml is not named Pulumi.<stack>.yaml: pass the stack's name"],
        [
            ["--stack", "./loadgen", "--tasks", "1", "k6/load.ts"],
            '--stack "./loadgen" is neither a stack\'s name (dev, org/dev or org/ecs-loadlab/dev, as pulumi -s takes it) nor a stack file\'s path (Pulumi.<stack>.yaml)',
        ],
        [["--stack", "my-org/other-project/loadgen", "--tasks", "1", "k6/load.ts"], "--stack my-org/other-project/loadgen is a stack of project other-project, not of this one (ecs-loadlab)"],
    ]);
});

describe("npm run loadtest: the plan (plan.ts)", () => {
    describe("splitSegments", () => {
        const cases: [number, number, number[][]][] = [
            [7, 3, [[0, 1, 2], [3, 4], [5, 6]]],
            [5, 1, [[0, 1, 2, 3, 4]]],
            [6, 3, [[0, 1], [2, 3], [4, 5]]],
            [2, 2, [[0], [1]]],
        ];
        for (const [tasks, groups, split] of cases) {
            it(`${tasks} over ${groups}`, () => assert.deepEqual(splitSegments(tasks, groups), split));
        }

        it("deals every segment once, in order, in groups that differ by one at most", () => {
            for (let groups = 1; groups <= 6; groups++) {
                for (let tasks = groups; tasks <= 40; tasks++) {
                    const split = splitSegments(tasks, groups);
                    const sizes = split.map((segments) => segments.length);
                    assert.deepEqual(split.flat(), Array.from({ length: tasks }, (_, index) => index), `${tasks} over ${groups}`);
                    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${tasks} over ${groups}: ${sizes.join(" ")}`);
                }
            }
        });
    });

    it("maxRunSeconds: the profile plus 10 %, at least two minutes more, in whole seconds", () => {
        const cases: [number, number][] = [
            [0, 120],
            [1.5, 122],
            [600, 720],
            [1200, 1320],
            [3600, 3960],
        ];
        assert.deepEqual(
            cases.map(([profile]) => maxRunSeconds(profile)),
            cases.map(([, max]) => max),
        );
    });

    const THRESHOLDS = {
        http_req_failed: ["rate<0.01", { threshold: "rate<0.1", abortOnFail: true, delayAbortEval: "1m" }],
        "http_req_duration{name:count-prime}": ["p(99)<3000"],
    };
    const twoStacks: PlanInput = {
        runId: RUN_ID,
        script: "load",
        baseUrl: "https://dev.loadlab.example.com",
        tasks: 5,
        spot: false,
        stacks: [
            { name: "loadgen-eu", outputs: LOADGEN_OUTPUTS },
            { name: "loadgen-fra", outputs: LOADGEN_OUTPUTS_FRANKFURT },
        ],
        requirements: { durationSeconds: 600, maxVUs: 50, thresholds: THRESHOLDS },
        confirmAboveUsd: 1,
    };
    const plan = (input: Partial<PlanInput> = {}) => planRun({ ...twoStacks, ...input });

    describe("planRun over two stacks in two regions", () => {
        for (const spot of [false, true]) {
            it(`gives each stack its segments and prices them at its region's ${spot ? "Spot" : "on-demand"} rates`, () => {
                const result = plan({ spot });

                const billed = 600 + START_OVERHEAD_SECONDS;
                const expected = [
                    { stack: "loadgen-eu", outputs: LOADGEN_OUTPUTS, segments: [0, 1, 2] },
                    { stack: "loadgen-fra", outputs: LOADGEN_OUTPUTS_FRANKFURT, segments: [3, 4] },
                ].map((group) => ({
                    ...group,
                    cost: estimateFargateCost({
                        region: group.outputs.region,
                        cpuUnits: group.outputs.taskCpu,
                        memoryMiB: group.outputs.taskMemory,
                        tasks: group.segments.length,
                        seconds: billed,
                        spot,
                    }),
                }));
                assert.deepEqual(result.groups, expected);
                assert.equal(result.totalUsd, expected[0].cost.usd + expected[1].cost.usd);
                assert.equal(result.segmentCount, 5);
                assert.equal(result.maxRunSeconds, 720);
                assert.equal(result.goLeadSeconds, 5);
                assert.deepEqual(result.submetrics, ["http_req_duration{name:count-prime}"]);
            });
        }

        it("asks for confirmation only when the estimate is above --confirm-above", () => {
            const total = plan().totalUsd ?? assert.fail("a plan on stacks has a total");
            const cases: [string, number, boolean][] = [
                ["a cent above", total - 0.01, true],
                ["exactly at", total, false],
                ["a cent below", total + 0.01, false],
            ];
            for (const [where, confirmAboveUsd, asks] of cases) assert.equal(plan({ confirmAboveUsd }).needsConfirmation, asks, where);
        });

        it("a local plan: one group, no cost, never asks, a shorter go lead", () => {
            const local = plan({ stacks: "local", tasks: 3, confirmAboveUsd: 0 });
            assert.deepEqual(local.groups, [{ stack: "local", segments: [0, 1, 2] }]);
            assert.equal("totalUsd" in local, false);
            assert.equal(local.needsConfirmation, false);
            assert.equal(local.goLeadSeconds, 0.5);
        });
    });

    describe("warnings", () => {
        const warningsOf = (input: Partial<PlanInput>) => plan(input).warnings;
        const oneStack = (outputs: LoadgenStackOutputs) => [{ name: "loadgen", outputs }];

        it("names the thresholds with abortOnFail, which cannot stop a distributed run", () => {
            assert.ok(warningsOf({}).some((warning) => warning.startsWith("http_req_failed: rate<0.1 has abortOnFail: each task runs with thresholds off")));
            const two = { ...THRESHOLDS, checks: [{ threshold: "rate>0.9", abortOnFail: true }] };
            assert.ok(warningsOf({ requirements: { ...twoStacks.requirements, thresholds: two } }).some((warning) => warning.startsWith("http_req_failed: rate<0.1, checks: rate>0.9 have abortOnFail")));
            assert.ok(!warningsOf({ requirements: { ...twoStacks.requirements, thresholds: { http_req_failed: ["rate<0.01"] } } }).some((warning) => warning.includes("abortOnFail")));
        });

        it("says when some segments get no VU, and not when every one gets one", () => {
            const vus = (maxVUs: number) => warningsOf({ requirements: { ...twoStacks.requirements, maxVUs } });
            assert.ok(vus(4).includes("the script needs at most 4 VUs for 5 segments: some segments will have no VU and send nothing"));
            assert.ok(!vus(5).some((warning) => warning.includes("VUs for")));
        });

        it("warns of Spot reclaims, and of Spot prices, only with --spot", () => {
            const spot = warningsOf({ spot: true });
            assert.ok(spot.includes("Fargate Spot: a task AWS reclaims mid-run makes the run an error, named, with what it recorded kept"));
            assert.ok(spot.some((warning) => warning.startsWith("Fargate Spot prices vary by region and over time: this assumes eu-west-1's")));
            assert.ok(!warningsOf({}).some((warning) => warning.includes("Spot")));
        });

        it("says when a region is not in the price table", () => {
            const warnings = warningsOf({ stacks: oneStack({ ...LOADGEN_OUTPUTS, region: "sa-east-1" }) });
            assert.ok(warnings.some((warning) => warning.startsWith("sa-east-1 is not in the price table: this uses the table's highest on-demand rates")));
        });

        it("says what two stacks' estimates share once", () => {
            const warnings = warningsOf({});
            assert.equal(new Set(warnings).size, warnings.length);
            assert.equal(warnings.filter((warning) => warning.startsWith("Not included:")).length, 1);
        });
    });

    it("manifestFor: what each stack's tasks are told, valid for the runner", () => {
        const result = plan();
        const manifests = result.groups.map((group) => manifestFor(result, group));
        for (const manifest of manifests) assert.deepEqual(manifestSchema.parse(manifest), manifest);
        assert.deepEqual(manifests[1], {
            version: 2,
            runId: RUN_ID,
            script: "load",
            segmentCount: 5,
            segments: [3, 4],
            submetrics: ["http_req_duration{name:count-prime}"],
            seriesStepSeconds: 60,
            // The run's budget of 10 million samples per series over 5 tasks, capped at a million a task.
            exactSamplesPerSeries: 1_000_000,
            maxRunSeconds: 720,
            heartbeatStaleSeconds: 60,
            lateStartSeconds: 10,
            goWaitSeconds: 660,
            // What a later `merge` needs: the same in every stack's manifest.
            merge: {
                thresholds: THRESHOLDS,
                exactSampleBudget: 10_000_000,
                spot: false,
                stacks: [
                    { stack: "loadgen-eu", segments: [0, 1, 2] },
                    { stack: "loadgen-fra", segments: [3, 4] },
                ],
                baseUrl: "https://dev.loadlab.example.com",
            },
        });
        assert.deepEqual(manifests[0].merge, manifests[1].merge);
        assert.equal(manifestFor(plan({ tasks: 1000 }), plan({ tasks: 1000 }).groups[0]).exactSamplesPerSeries, 10_000);
        assert.deepEqual(manifests[0].segments, [0, 1, 2]);
        // A fractional profile still gives the whole seconds the schema asks for.
        const fractional = plan({ requirements: { ...twoStacks.requirements, durationSeconds: 0.5 } });
        manifestSchema.parse(manifestFor(fractional, fractional.groups[0]));
    });

    describe("formatPlan", () => {
        const withWarnings = (result: RunPlan, lines: string[]) => [...lines, ...result.warnings.map((warning) => `  ! ${warning}`)];
        const cases: [string, RunPlan, string[]][] = [
            [
                "two stacks on demand",
                plan(),
                [
                    `Run ${RUN_ID}: load as 5 segments, 10m00s of profile, at most 50 VUs in all`,
                    "  loadgen-eu (eu-west-1, account 111111111111): 3 × 2 vCPU / 4 GB Fargate tasks",
                    "    segments 0:1/5 1/5:2/5 2/5:3/5",
                    "    ≈ $0.06 ($0.10 per task-hour)",
                    "  loadgen-fra (eu-central-1, account 222222222222): 2 × 1 vCPU / 2 GB Fargate tasks",
                    "    segments 3/5:4/5 4/5:1",
                    "    ≈ $0.02 ($0.06 per task-hour)",
                    `  Estimated Fargate cost: $0.08 at list price (prices as of ${FARGATE_PRICES_AS_OF}), for the profile plus ≈90 s of start-up per task; S3 requests and data transfer not included`,
"  Percentiles are exact while each task keeps at most 1,000,000 samples per trend series: the run's budget of 10,000,000 per series over 5 tasks, at most 1,000,000 a task. Past that a task sends a log histogram, within 0.05 %.",
                    "  Each task stops k6 after 12m00s, or on its own within 92 s if this command dies.",
                ],
            ],
            [
                "one Spot task of an hour",
                plan({ tasks: 1, spot: true, stacks: [{ name: "loadgen", outputs: LOADGEN_OUTPUTS }], requirements: { durationSeconds: 3600, maxVUs: 4, thresholds: {} } }),
                [
                    `Run ${RUN_ID}: load as 1 segment, 1h00m00s of profile, at most 4 VUs in all`,
                    "  loadgen (eu-west-1, account 111111111111): 1 × 2 vCPU / 4 GB Fargate Spot task",
                    "    segments 0:1",
                    "    ≈ $0.03 ($0.03 per task-hour)",
                    `  Estimated Fargate cost: $0.03 at list price (prices as of ${FARGATE_PRICES_AS_OF}), for the profile plus ≈90 s of start-up per task; S3 requests and data transfer not included`,
"  Percentiles are exact while each task keeps at most 1,000,000 samples per trend series: the run's budget of 10,000,000 per series over 1 task, at most 1,000,000 a task. Past that a task sends a log histogram, within 0.05 %.",
                    "  Each task stops k6 after 1h06m00s, or on its own within 92 s if this command dies.",
                ],
            ],
            [
                "ten tasks for twelve hours: whole dollars",
                plan({ tasks: 10, stacks: [{ name: "loadgen", outputs: LOADGEN_OUTPUTS }], requirements: { durationSeconds: 12 * 3600, maxVUs: 400, thresholds: {} } }),
                [
                    `Run ${RUN_ID}: load as 10 segments, 12h00m00s of profile, at most 400 VUs in all`,
                    "  loadgen (eu-west-1, account 111111111111): 10 × 2 vCPU / 4 GB Fargate tasks",
                    "    segments 0:1/10 1/10:2/10 2/10:3/10 3/10:4/10 4/10:5/10 5/10:6/10 6/10:7/10 7/10:8/10 8/10:9/10 9/10:1",
                    "    ≈ $12 ($0.10 per task-hour)",
                    `  Estimated Fargate cost: $12 at list price (prices as of ${FARGATE_PRICES_AS_OF}), for the profile plus ≈90 s of start-up per task; S3 requests and data transfer not included`,
"  Percentiles are exact while each task keeps at most 1,000,000 samples per trend series: the run's budget of 10,000,000 per series over 10 tasks, at most 1,000,000 a task. Past that a task sends a log histogram, within 0.05 %.",
                    "  Each task stops k6 after 13h12m00s, or on its own within 92 s if this command dies.",
                ],
            ],
            [
                "local processes: no cost",
                plan({ stacks: "local", tasks: 3, requirements: { durationSeconds: 75, maxVUs: 6, thresholds: {} } }),
                [
                    `Run ${RUN_ID}: load as 3 segments, 1m15s of profile, at most 6 VUs in all`,
                    "  local: 3 k6 processes",
                    "    segments 0:1/3 1/3:2/3 2/3:1",
                    "  Percentiles are exact while each task keeps at most 1,000,000 samples per trend series: the run's budget of 10,000,000 per series over 3 tasks, at most 1,000,000 a task. Past that a task sends a log histogram, within 0.05 %.",
                    "  Each task stops k6 after 3m15s, or on its own within 92 s if this command dies.",
                ],
            ],
        ];
        for (const [what, result, lines] of cases) {
            it(what, () => assert.deepEqual(formatPlan(result), withWarnings(result, lines)));
        }
    });
});
