import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { GetServiceQuotaCommand } from "@aws-sdk/client-service-quotas";
import { LoadgenStackOutputs } from "../loadgen/src/contract";
import { runnerImageTag } from "../loadgen/src/image";
import { mockedS3Client, s3Mock } from "../loadgen/test/s3-fixture";
import { Invocation, parseInvocation } from "../scripts/loadtest/args";
import { Refusal, itRefusesEach } from "./loadtest-args-fixture";
import { EXIT, main } from "../scripts/loadtest/main";
import { formatPlan, planRun } from "../scripts/loadtest/plan";
import { parseResultFile } from "../scripts/loadtest/result-file";
import { PROJECT_DIR } from "../scripts/loadtest/stack-outputs";
import { resolveTarget } from "../scripts/loadtest/target";
import { parseTimeline } from "../scripts/timeline/timeline";
import { FakeK6, FakeScenario, installFakeK6, writeScenario } from "./fixtures/fake-k6";
import { LOADGEN_OUTPUTS, ecsMock, mockedEcsClient, mockedServiceQuotasClient, serviceQuotasMock } from "./loadtest-stack-fixture";
import {
    DIGEST,
    EVIDENCE_BUCKET,
    SHARED_CONFIG,
    STAGING,
    STAGING_CONFIG,
    loadtest,
    mockQuietEnvironment,
    stagingOutputs,
} from "./loadtest-target-fixture";
import { FAKE_CREDENTIALS, ecrMock, mockedClient as mockedEcrClient } from "./promote-fixtures";
import { stackFilesOfRole, stackName } from "./environment-fixtures";
import { cloudWatchMock } from "./timeline-observe-fixture";

const STAGING_URL = `https://${STAGING_CONFIG.domain.name}`;
const STAGING_ROLE = `arn:aws:iam::${STAGING_CONFIG.aws.accountId}:role/ecs-loadlab-read-only`;
const EXPECTED_TARGET = { stack: STAGING, environment: STAGING_CONFIG.environment.name, url: STAGING_URL, image: String(stagingOutputs().image), digest: DIGEST };

describe("npm run loadtest -- --target: the command line (args.ts)", () => {
    const SCRIPT = "k6/load.ts";
    const base = ["--stack", "loadgen", "--tasks", "2", SCRIPT];
    const runDefaults = { kind: "run", stacks: ["loadgen"], local: false, tasks: 2, spot: false, script: SCRIPT, env: [], out: undefined, dryRun: false, yes: false, confirmAboveUsd: 1, aws: { roleArns: [] } };
    const cases: [string, string[], Invocation][] = [
        ["--target: observed and recorded after the run", [...base, "--target", "staging"], { ...runDefaults, target: { stack: "staging", record: true } } as Invocation],
        ["--no-record", [...base, "--target", "staging", "--no-record"], { ...runDefaults, target: { stack: "staging", record: false } } as Invocation],
        ...["Pulumi.staging.yaml", "./Pulumi.staging.yaml", join(PROJECT_DIR, "Pulumi.staging.yaml")].map((file): [string, string[], Invocation] => [
            `--target ${file}: the project's stack file of staging, run by the stack's name`,
            [...base, "--target", file],
            { ...runDefaults, target: { stack: "staging", record: true } } as Invocation,
        ]),
        [
            "--target with the stack's fully qualified name, as pulumi -s takes it",
            [...base, "--target", "my-org/ecs-loadlab/staging"],
            { ...runDefaults, target: { stack: "my-org/ecs-loadlab/staging", record: true } } as Invocation,
        ],
        [
            "--shared-stack-file",
            [...base, "--target", "staging", "--shared-stack-file", "other/Pulumi.shared.yaml"],
            { ...runDefaults, target: { stack: "staging", record: true, sharedStackFile: "other/Pulumi.shared.yaml" } } as Invocation,
        ],
        [
            "--local --target, with the role to observe it",
            ["--local", "--tasks", "2", SCRIPT, "--target", "staging", "--role-arn", STAGING_ROLE],
            { ...runDefaults, stacks: [], local: true, aws: { roleArns: [STAGING_ROLE] }, target: { stack: "staging", record: true } } as Invocation,
        ],
        [
            "record with every option",
            ["record", "k6/results/r.json", "--observed", "o.json", "--html", "r.html", "--shared-stack-file", "s.yaml", "--profile", "p", "--role-arn", STAGING_ROLE],
            { kind: "record", resultFile: "k6/results/r.json", observedFile: "o.json", htmlFile: "r.html", sharedStackFile: "s.yaml", aws: { profile: "p", roleArns: [STAGING_ROLE] } },
        ],
        ["record alone", ["record", "r.json"], { kind: "record", resultFile: "r.json", aws: { roleArns: [] } }],
        [
            "summary",
            ["summary", "r.json", "--observed", "o.json", "--report-url", "https://example.com/a?b=c"],
            { kind: "summary", resultFile: "r.json", observedFile: "o.json", reportUrl: "https://example.com/a?b=c" },
        ],
    ];
    for (const [what, argv, invocation] of cases) it(what, () => assert.deepEqual(parseInvocation(argv), invocation));

    const refusals: Refusal[] = [
        [[...base, "--target", "staging", "-e", "BASE_URL=https://other.example.com"], /^--target staging sets BASE_URL to the stack's url output, the URL whose image the verdict is bound to: leave out -e BASE_URL/],
        [[...base, "--no-record"], "--no-record goes with --target <environment stack>: a run without one records nothing"],
        [[...base, "--shared-stack-file", "s.yaml"], "--shared-stack-file goes with --target <environment stack>: a run without one records nothing"],
        [[...base, "--target", "staging", "--no-record", "--shared-stack-file", "s.yaml"], "--no-record records nothing: leave out --shared-stack-file"],
        [[...base, "--target", "/elsewhere/Pulumi.staging.yaml"], /^--target \/elsewhere\/Pulumi\.staging\.yaml is not in this project \(.*\): stack staging is read with Pulumi there, .*: pass staging$/],
        [[...base, "--target", "my-org/other/staging"], "--target my-org/other/staging is a stack of project other, not of this one (ecs-loadlab)"],
        [["--local", "--tasks", "2", SCRIPT, "--target", "staging", "--shared-stack-file", "s.yaml"], /^--local does not take --shared-stack-file: a --local run is never recorded/],
        [["--local", "--tasks", "2", SCRIPT, "--role-arn", STAGING_ROLE], "--local calls AWS only to observe its --target: leave out --role-arn"],
        [["--stack", "local", "--tasks", "2", SCRIPT], /^--stack local: "local" names the segments of a --local run/],
        [[...base, "--observed", "o.json"], "a run does not take --observed (for record or summary)"],
        [["record"], /^record takes one result file/],
        [["record", "r.json", "--html", "r.html"], /^record --html goes with --observed/],
        [["record", "r.json", "--tasks", "2"], "record does not take --tasks (for a run or --local)"],
        [["summary", "r.json", "--report-url", "javascript:alert(1)"], /^--report-url must be an http\(s\) URL/],
        [["summary", "r.json", "--role-arn", STAGING_ROLE], "summary does not take --role-arn (for a run, --local, --stop, build-image, merge or record)"],
    ];
    itRefusesEach(refusals);
});

describe("npm run loadtest -- --target: the environment's url and image from its stack (target.ts)", () => {
    const read = (outputs: Record<string, unknown>) => async (stack: string) => {
        assert.equal(stack, STAGING);
        return outputs;
    };

    it("reads the url and the digest from the stack's outputs, the environment from its stack file", async () => {
        const { target, stackFile } = await resolveTarget(STAGING, read(stagingOutputs()));
        assert.deepEqual(target, EXPECTED_TARGET);
        assert.equal(stackFile, join(PROJECT_DIR, "Pulumi.staging.yaml"));
    });

    const refused: [string, Record<string, unknown>, RegExp][] = [
        ["a stack with none of the outputs (not deployed, or not an environment)", {}, /stack staging has none of an environment stack's outputs: is it an environment stack \(ecs-loadlab:role: environment\), and deployed \(pulumi up -s staging\)\?/],
        ["a stack without image (deployed before it existed)", { url: STAGING_URL }, /stack staging lacks the outputs image: update it with this checkout \(pulumi up -s staging\)/],
        ["an image by tag, not by digest", stagingOutputs({ image: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/ecs-loadlab/prime-counter:staging" }), /image: must be the image the service runs by digest, <repository>@sha256:<64 lowercase hex digits>/],
        ["a digest that is not sha256 of 64 lowercase hex", stagingOutputs({ image: `repo@${DIGEST.toUpperCase()}` }), /image: must be the image the service runs by digest/],
        ["a url that is not http(s)", stagingOutputs({ url: "ftp://staging.example.com" }), /url: must be the service's http\(s\) URL/],
    ];
    for (const [what, outputs, message] of refused) {
        it(`refuses ${what}`, async () => {
            await assert.rejects(resolveTarget(STAGING, read(outputs)), message);
        });
    }

    it("a fully qualified name: its file is Pulumi.<last part>.yaml, its outputs are read by the whole name", async () => {
        const qualified = "my-org/ecs-loadlab/staging";
        const { target, stackFile } = await resolveTarget(qualified, async (stack) => (stack === qualified ? stagingOutputs() : assert.fail(stack)));
        assert.deepEqual(target, { ...EXPECTED_TARGET, stack: qualified });
        assert.equal(stackFile, join(PROJECT_DIR, "Pulumi.staging.yaml"));
    });

    it("refuses a stack file of another role, naming it, and a stack without a file, naming the environment stacks there", async () => {
        await assert.rejects(resolveTarget("loadgen", read({})), /^Error: Pulumi\.loadgen\.yaml is a loadgen stack \(ecs-loadlab:role: loadgen\): --target loadgen needs an environment stack$/);
        await assert.rejects(resolveTarget("shared", read({})), /^Error: Pulumi\.shared\.yaml is a shared stack \(ecs-loadlab:role: shared\): --target shared needs an environment stack$/);
        const environments = stackFilesOfRole("environment").map(stackName);
        await assert.rejects(resolveTarget("stagign", read({})), {
            message: `stack file Pulumi.stagign.yaml does not exist: pass an environment stack file or stack name (did you mean staging?); the environment stacks in ${PROJECT_DIR}: ${environments.join(", ")}`,
        });
    });

    it("the plan names the target: environment, url and digest", () => {
        const plan = planRun({
            runId: "lt-20261130T120000Z-a1b2",
            script: "load",
            baseUrl: STAGING_URL,
            target: EXPECTED_TARGET,
            tasks: 2,
            spot: false,
            stacks: "local",
            requirements: { durationSeconds: 60, maxVUs: 4, thresholds: {} },
            confirmAboveUsd: 1,
        });
        assert.equal(formatPlan(plan)[1], `  Target: ${EXPECTED_TARGET.environment} (stack staging) at ${STAGING_URL}, running image ${DIGEST}`);
    });
});

describe("npm run loadtest -- --target, end to end (fake k6; Pulumi outputs, observe and S3 faked)", function () {
    this.timeout(30_000);
    const SCENARIO: FakeScenario = { thresholds: { http_req_failed: ["rate<=0.05"] }, totalDuration: "3s", maxVUs: 4, iterations: 200 };
    /** After CloudWatch has published the run: the command does not wait for it. */
    const later = () => new Date(Date.now() + 10 * 60_000);
    let fakeK6: FakeK6;
    let dir: string;
    let scenario: string;
    before(() => {
        fakeK6 = installFakeK6();
    });
    after(() => fakeK6.remove());
    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "loadtest-target-"));
        scenario = writeScenario(dir, SCENARIO, "load.json");
        mockQuietEnvironment();
        s3Mock.reset();
        s3Mock.onAnyCommand().rejects(new Error("no S3 call expected here"));
    });
    const runDirOf = (runId: string) => join(PROJECT_DIR, "k6", "results", runId);
    // A run keeps its folder in k6/results/<run id>, as a real one does: removed with the test's, whatever the test did.
    afterEach(async () => {
        const out = join(dir, "result.json");
        if (existsSync(out)) await rm(runDirOf((JSON.parse(readFileSync(out, "utf8")) as { run: { settings: { runId: string } } }).run.settings.runId), { recursive: true, force: true });
        await rm(dir, { recursive: true, force: true });
    });

    it("--local --target staging: BASE_URL is staging's url, the result carries run.target, staging is observed beside it, nothing is recorded", async () => {
        const out = join(dir, "result.json");
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--target", STAGING, "--role-arn", STAGING_ROLE, "--out", out], { now: later });
        assert.equal(result.status, EXIT.passed, result.stderr);
        assert.equal(result.stderr.split("\n")[0], "stack staging: reading Pulumi.staging.yaml");

        assert.ok(result.stdout.includes(`  Target: ${EXPECTED_TARGET.environment} (stack staging) at ${STAGING_URL}, running image ${DIGEST}`), result.stdout);
        assert.ok(result.stdout.includes("  After the run: staging is observed; a --local run's verdict is not recorded"));
        const { json, result: read } = parseResultFile(readFileSync(out, "utf8"), out);
        assert.deepEqual(read.run.target, EXPECTED_TARGET);
        assert.equal(read.run.baseUrl, STAGING_URL);
        assert.deepEqual((json.run as { settings: { distributed: { stacks: unknown } } }).settings.distributed.stacks, [{ stack: "local", segments: [0, 1] }]);
        // k6 was packed with BASE_URL set to the url (the fake k6's archive keeps its -e values).
        const runDir = runDirOf(read.run.settings.runId);
        assert.deepEqual((JSON.parse(readFileSync(join(runDir, "archive.tar"), "utf8")) as { env: unknown }).env, { BASE_URL: STAGING_URL });

        // Observed with staging's account's role, in its region, for the run's window; the timeline and report beside the result.
        assert.deepEqual(result.observeConnections, [{ region: STAGING_CONFIG.aws.region, profile: undefined, roleArn: STAGING_ROLE }]);
        const observed = parseTimeline(readFileSync(join(dir, "result.observed.json"), "utf8"), "observed");
        assert.equal(observed.kind, "observed");
        assert.equal(observed.stack, "Pulumi.staging.yaml");
        assert.equal(observed.assumptions.runStartedAt, read.run.startedAt);
        assert.match(readFileSync(join(dir, "result.report.html"), "utf8"), /^<!DOCTYPE html>/);
        assert.ok(result.stdout.includes("Not recorded: a --local run is a check, not evidence"));
        assert.deepEqual(result.evidenceConnections, []);
        assert.deepEqual(s3Mock.calls(), []);
    });

    it("--no-record: the target in the plan and the result, nothing observed; merged again, the result keeps its target", async () => {
        const out = join(dir, "result.json");
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--target", STAGING, "--no-record", "--out", out], { now: later });
        assert.equal(result.status, EXIT.passed, result.stderr);
        assert.ok(result.stdout.includes("  --no-record: staging is not observed after the run, and no verdict is recorded"));
        const read = parseResultFile(readFileSync(out, "utf8"), out).result;
        assert.deepEqual(read.run.target, EXPECTED_TARGET);
        assert.deepEqual(result.observeConnections, []);
        assert.ok(!existsSync(join(dir, "result.observed.json")));

        // The manifest carries the target, so a merge from the run's objects can still be recorded.
        const merged = join(dir, "merged.json");
        const again = await loadtest(["merge", runDirOf(read.run.settings.runId), "--out", merged], { now: later });
        assert.equal(again.status, EXIT.passed, again.stderr);
        assert.deepEqual(parseResultFile(readFileSync(merged, "utf8"), merged).result.run.target, EXPECTED_TARGET);
    });

    it("observing that fails is said, and the run's result and status stand", async () => {
        const out = join(dir, "result.json");
        // CloudWatch has nothing for the window.
        cloudWatchMock.reset();
        cloudWatchMock.onAnyCommand().resolves({});
        const result = await loadtest(["--local", "--tasks", "2", scenario, "--target", STAGING, "--out", out], { now: later });
        assert.equal(result.status, EXIT.passed, result.stderr);
        assert.match(result.stderr, /^! observing staging failed: CloudWatch has no datapoints at all for /m);
        const read = parseResultFile(readFileSync(out, "utf8"), out).result;
        assert.deepEqual(read.run.target, EXPECTED_TARGET);
    });

    it("refuses before packing: another role's stack, missing outputs, an image by tag", async () => {
        const cases: [string[], Record<string, Record<string, unknown>>, RegExp][] = [
            [["--target", "loadgen"], {}, /^Pulumi\.loadgen\.yaml is a loadgen stack \(ecs-loadlab:role: loadgen\): --target loadgen needs an environment stack$/],
            [["--target", STAGING], { [STAGING]: { url: STAGING_URL } }, /^stack staging lacks the outputs image/],
            [["--target", STAGING], { [STAGING]: stagingOutputs({ image: "repo:staging" }) }, /image: must be the image the service runs by digest/],
        ];
        for (const [extra, outputs, message] of cases) {
            const result = await loadtest(["--local", "--tasks", "2", scenario, ...extra], { outputs, now: later });
            assert.equal(result.status, EXIT.badInput, extra.join(" "));
            assert.match(result.stderr, message);
            assert.doesNotMatch(result.stdout, /Packing/);
        }
    });

    describe("from a loadgen stack (--dry-run: ECR, Service Quotas and CloudWatch mocked)", () => {
        const LOADGEN: LoadgenStackOutputs = { ...LOADGEN_OUTPUTS, runnerImage: `${LOADGEN_OUTPUTS.repositoryUrl}:${runnerImageTag()}` };
        beforeEach(() => {
            ecrMock.reset();
            ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: [runnerImageTag()] }] });
            serviceQuotasMock.reset();
            serviceQuotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaName: "Fargate On-Demand vCPU resource count", Value: 4000 } });
            ecsMock.reset();
        });

        async function dryRun(...extra: string[]) {
            cloudWatchMock.reset();
            cloudWatchMock.onAnyCommand().resolves({ MetricDataResults: [{ Id: "vcpus", Values: [0] }] });
            const stdout: string[] = [];
            const stderr: string[] = [];
            const status = await main(["--stack", "loadgen", "--tasks", "2", scenario, "--target", STAGING, "--dry-run", ...extra], {
                print: (line) => stdout.push(line),
                printError: (line) => stderr.push(line),
                interactive: false,
                ask: async () => assert.fail("a dry run asks nothing"),
                readOutputs: async (stack) => ({ ...(stack === "loadgen" ? LOADGEN : stack === STAGING ? stagingOutputs() : assert.fail(`no stack ${stack}`)) }),
                clients: (connection) => ({
                    ecs: mockedEcsClient(),
                    s3: mockedS3Client(),
                    ecr: mockedEcrClient(),
                    serviceQuotas: mockedServiceQuotasClient(),
                    cloudWatch: new CloudWatchClient({ region: connection.region, credentials: FAKE_CREDENTIALS }),
                }),
                observe: async () => assert.fail("a dry run observes nothing"),
                evidenceClients: () => assert.fail("a dry run records nothing"),
                interrupt: new AbortController().signal,
                env: { ...process.env, K6_BINARY: undefined },
                now: () => new Date(),
            });
            return { status, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
        }

        it("the plan says where the verdict will be recorded: the shared stack's evidence bucket, under the environment and digest", async () => {
            const result = await dryRun();
            assert.equal(result.status, EXIT.passed, result.stderr);
            assert.ok(result.stdout.includes(`  Target: ${EXPECTED_TARGET.environment} (stack staging) at ${STAGING_URL}, running image ${DIGEST}`));
            assert.ok(
                result.stdout.includes(
                    `  After the run: staging is observed, and the verdict recorded in s3://${EVIDENCE_BUCKET}/verdicts/staging/${DIGEST}/ (account ${SHARED_CONFIG.aws.accountId}, ${SHARED_CONFIG.aws.region})`,
                ),
                result.stdout,
            );
            assert.match(result.stdout, /Dry run: nothing started\.$/);
            assert.deepEqual(s3Mock.calls(), []);
        });

        it("says which stack file --target read, and takes the shared stack by name or by file", async () => {
            for (const shared of ["shared", "Pulumi.shared.yaml", join(PROJECT_DIR, "Pulumi.shared.yaml")]) {
                const result = await dryRun("--shared-stack-file", shared);
                assert.equal(result.status, EXIT.passed, result.stderr);
                assert.equal(result.stderr, "stack staging: reading Pulumi.staging.yaml");
            }
        });

        it("refuses a shared stack file of another role before anything starts", async () => {
            for (const dev of ["dev", join(PROJECT_DIR, "Pulumi.dev.yaml")]) {
                const result = await dryRun("--shared-stack-file", dev);
                assert.equal(result.status, EXIT.badInput);
                assert.deepEqual(result.stderr.split("\n"), [
                    "stack staging: reading Pulumi.staging.yaml",
                    "Pulumi.dev.yaml is an environment stack (ecs-loadlab:role: environment): recording a verdict needs a shared stack",
                ]);
            }
        });
    });
});
