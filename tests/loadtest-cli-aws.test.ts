import * as assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeImagesCommand, ImageNotFoundException } from "@aws-sdk/client-ecr";
import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand, Task } from "@aws-sdk/client-ecs";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, NoSuchResourceException } from "@aws-sdk/client-service-quotas";
import { LoadgenStackOutputs } from "../loadgen/src/contract";
import { runnerImageTag } from "../loadgen/src/image";
import { encodeSegmentResult, manifestSchema, parseRunObject } from "../loadgen/src/protocol";
import { SegmentRecorder } from "../loadgen/src/recorder";
import { K6JsonWriter } from "../loadgen/test/k6-json";
import { mockedS3Client, s3Mock } from "../loadgen/test/s3-fixture";
import { CommandContext, EXIT, main } from "../scripts/loadtest/main";
import { Connection } from "../scripts/aws-connection";
import { PROJECT_DIR } from "../scripts/loadtest/stack-outputs";
import { FakeK6, installFakeK6, writeScenario } from "./fixtures/fake-k6";
import { LOADGEN_OUTPUTS, LOADGEN_OUTPUTS_FRANKFURT, ecsMock, mockedEcsClient, mockedServiceQuotasClient, serviceQuotasMock } from "./loadtest-stack-fixture";
import { FAKE_CREDENTIALS, ecrMock, mockedClient as mockedEcrClient } from "./promote-fixtures";
import { cloudWatchMock } from "./timeline-observe-fixture";

const EU = "loadgen-eu";
const FRA = "loadgen-fra";
const EU_ROLE = "arn:aws:iam::111111111111:role/ecs-loadlab-deploy";
const FRA_ROLE = "arn:aws:iam::222222222222:role/ecs-loadlab-deploy";
const CAPACITY = "Capacity is unavailable at this time";
const RUN_ID = "lt-20261130T120000Z-a1b2";
/** The command's clock: the run ids of these tests start with lt-20010203T040506Z-, so their directories are found. */
const NOW = new Date("2001-02-03T04:05:06Z");
const RESULTS_DIR = join(PROJECT_DIR, "k6", "results");
const runDirs = () => (existsSync(RESULTS_DIR) ? readdirSync(RESULTS_DIR).filter((name) => name.startsWith("lt-20010203T040506Z-")) : []);

/** The stack as `pulumi up` leaves it with this checkout: its task definition runs this checkout's runner. */
const deployed = (outputs: LoadgenStackOutputs): LoadgenStackOutputs => ({ ...outputs, runnerImage: `${outputs.repositoryUrl}:${runnerImageTag()}` });
const STACKS: Record<string, LoadgenStackOutputs> = { [EU]: deployed(LOADGEN_OUTPUTS), [FRA]: deployed(LOADGEN_OUTPUTS_FRANKFURT) };

const taskArn = (outputs: LoadgenStackOutputs, id: string) => `arn:aws:ecs:${outputs.region}:${outputs.accountId}:task/loadgen/${id}`;
const task = (arn: string, lastStatus: string): Task => ({ taskArn: arn, lastStatus, desiredStatus: lastStatus === "STOPPED" ? "STOPPED" : "RUNNING", containers: [{ name: "k6-runner", lastStatus }] });

interface Terminal {
    interactive?: boolean;
    /** What the user answers when asked. */
    answer?: string;
    stacks?: Record<string, LoadgenStackOutputs>;
}

/** Runs `npm run loadtest -- ...` in-process: the fake k6 on PATH, stacks read from `stacks`, AWS clients mocked. */
async function loadtest(argv: string[], { interactive = false, answer, stacks = STACKS }: Terminal = {}) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const questions: string[] = [];
    const connections: Connection[] = [];
    const context: CommandContext = {
        print: (line) => stdout.push(line),
        printError: (line) => stderr.push(line),
        interactive,
        ask: async (question) => {
            questions.push(question);
            return answer ?? assert.fail(`asked "${question}" without an answer`);
        },
        readOutputs: async (stack) => ({ ...(stacks[stack] ?? assert.fail(`no stack ${stack}`)) }),
        clients: (connection) => {
            connections.push(connection);
            return {
                ecs: mockedEcsClient(),
                s3: mockedS3Client(),
                ecr: mockedEcrClient(),
                serviceQuotas: mockedServiceQuotasClient(),
                cloudWatch: new CloudWatchClient({ region: connection.region, credentials: FAKE_CREDENTIALS }),
            };
        },
        observe: async () => assert.fail("a run without --target observes nothing"),
        evidenceClients: () => assert.fail("a run without --target records nothing"),
        interrupt: new AbortController().signal,
        env: { ...process.env, K6_BINARY: undefined },
        now: () => NOW,
    };
    const status = await main(argv, context);
    return { status, stdout: stdout.join("\n"), stderr: stderr.join("\n"), questions, connections };
}

const runTaskInputs = () => ecsMock.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
const stopTaskInputs = () => ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input);

describe("npm run loadtest on Fargate: the command's AWS wiring (ECS and S3 mocked, fake k6)", () => {
    let fakeK6: FakeK6;
    let dir: string;
    let script: string;
    before(async () => {
        fakeK6 = installFakeK6();
        dir = await mkdtemp(join(tmpdir(), "loadtest-aws-"));
        // One hour of profile: 2 tasks of 2 vCPU / 4 GB in eu-west-1 are estimated at $0.20.
        script = writeScenario(dir, { thresholds: { http_req_failed: ["rate<0.01"] }, totalDuration: "1h0m0s", maxVUs: 40, iterations: 1 });
    });
    after(async () => {
        fakeK6.remove();
        await rm(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        ecsMock.reset();
        ecsMock.onAnyCommand().rejects(new Error("no ECS call expected here"));
        s3Mock.reset();
        s3Mock.onAnyCommand().rejects(new Error("no S3 call expected here"));
        // Before a run: the runner image is in each repository, and each region has room (quota 4,000 vCPUs, 12 in use).
        ecrMock.reset();
        ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: [runnerImageTag()] }] });
        serviceQuotasMock.reset();
        serviceQuotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaName: "Fargate On-Demand vCPU resource count", Value: 4000 } });
        cloudWatchMock.reset();
        cloudWatchMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "vcpus", Values: [12] }] });
    });
    // A run that started keeps its archive in k6/results/<run id>, as a real one does.
    afterEach(() => Promise.all(runDirs().map((name) => rm(join(RESULTS_DIR, name), { recursive: true, force: true }))));

    /**
     * ECS and S3 for a run: RunTask in a stack's cluster starts its tasks of `tasksByStack` (and, in the stacks of
     * `noCapacityIn`, fails for want of capacity); ListTasks finds them; DescribeTasks, asked only once they were
     * told to stop here, says they are STOPPED.
     */
    function cloud(tasksByStack: Record<string, string[]>, noCapacityIn: string[] = []): void {
        s3Mock.on(PutObjectCommand).resolves({});
        for (const [stack, ids] of Object.entries(tasksByStack)) {
            const arns = ids.map((id) => taskArn(STACKS[stack], id));
            const cluster = STACKS[stack].clusterArn;
            const failures = noCapacityIn.includes(stack) ? [{ reason: CAPACITY }] : [];
            ecsMock.on(RunTaskCommand, { cluster }).resolves({ tasks: arns.map((arn) => task(arn, "PROVISIONING")), failures });
            ecsMock.on(ListTasksCommand, { cluster }).resolves({ taskArns: arns });
            ecsMock.on(DescribeTasksCommand, { cluster }).resolves({ tasks: arns.map((arn) => task(arn, "STOPPED")) });
        }
        ecsMock.on(StopTaskCommand).resolves({});
    }

    /** No task, no run object; at most the reads of the checks before a run. */
    const assertNothingStarted = () => {
        assert.deepEqual(ecsMock.calls(), []);
        assert.deepEqual(s3Mock.calls(), []);
        assert.deepEqual(runDirs(), [], "the run's directory is removed when the run does not start");
    };

    it("--dry-run prints the plan with its estimated cost, checks image and quota, and starts nothing", async () => {
        const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--dry-run"]);

        assert.equal(result.status, EXIT.passed, result.stderr);
        const lines = result.stdout.split("\n");
        assert.match(lines[1], /^Run lt-20010203T040506Z-[a-z0-9]{4}: scenario as 2 segments, 1h00m00s of profile, at most 40 VUs in all$/);
        assert.deepEqual(lines.slice(2, 5), ["  loadgen-eu (eu-west-1, account 111111111111): 2 × 2 vCPU / 4 GB Fargate tasks", "    segments 0:1/2 1/2:1", "    ≈ $0.20 ($0.10 per task-hour)"]);
        assert.match(lines[5], /^ {2}Estimated Fargate cost: \$0\.20 at list price \(prices as of \d{4}-\d{2}-\d{2}\)/);
        assert.equal(lines.at(-1), "Dry run: nothing started.");
        assertNothingStarted();
        assert.deepEqual(ecrMock.commandCalls(DescribeImagesCommand)[0].args[0].input, {
            registryId: "111111111111",
            repositoryName: "loadgen-runner",
            imageIds: [{ imageTag: runnerImageTag() }],
        });
        assert.deepEqual(serviceQuotasMock.commandCalls(GetServiceQuotaCommand)[0].args[0].input, { ServiceCode: "fargate", QuotaCode: "L-3032A538" });
        const usage = cloudWatchMock.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries?.[0].MetricStat?.Metric;
        assert.deepEqual(usage?.Dimensions?.find((dimension) => dimension.Name === "Class"), { Name: "Class", Value: "Standard/OnDemand" });
    });

    it("refuses a run that would pass the region's Fargate vCPU quota, with the numbers; nothing started", async () => {
        serviceQuotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaName: "Fargate Spot vCPU resource count", Value: 16 } });
        cloudWatchMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "vcpus", Values: [10] }] });

        const result = await loadtest(["--stack", EU, "--tasks", "4", "--spot", script, "--yes"]);

        assert.equal(result.status, EXIT.failed);
        assert.equal(
            result.stderr,
            "Not started:\n  ✗ loadgen-eu (eu-west-1, account 111111111111): the run needs 8 vCPUs of Fargate Spot, 10 are in use and the " +
                "Fargate Spot vCPU resource count quota is 16: there is room for 6: run fewer tasks there, or raise the quota " +
                "(Service Quotas › AWS Fargate › L-36FBB829) before the run",
        );
        assert.deepEqual(serviceQuotasMock.commandCalls(GetServiceQuotaCommand)[0].args[0].input, { ServiceCode: "fargate", QuotaCode: "L-36FBB829" });
        assertNothingStarted();
    });

    it("a quota never raised has no applied value: its AWS default counts", async () => {
        serviceQuotasMock.on(GetServiceQuotaCommand).rejects(new NoSuchResourceException({ message: "The request failed because the specified service quota does not exist.", $metadata: {} }));
        serviceQuotasMock.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { QuotaName: "Fargate On-Demand vCPU resource count", Value: 6 } });

        const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--dry-run"]);

        assert.equal(result.status, EXIT.failed);
        assert.match(result.stderr, /needs 4 vCPUs of Fargate On-Demand, 12 are in use and the Fargate On-Demand vCPU resource count quota is 6: there is room for 0/);
    });

    it("refuses a run whose runner image is not in the repository: push it with build-image", async () => {
        ecrMock.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: "The image with imageId {imageTag:runner-…} does not exist", $metadata: {} }));

        const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--yes"]);

        assert.equal(result.status, EXIT.failed);
        assert.match(result.stderr, /✗ loadgen-eu: the runner image .*loadgen-runner:runner-[0-9a-f]{16} is not in its repository: npm run loadtest -- build-image --stack loadgen-eu/);
        assertNothingStarted();
    });

    it("refuses a run on AWS when the local k6 is not the image's major version (k6 v2)", async () => {
        process.env.FAKE_K6_VERSION = "v1.7.1";
        try {
            const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--yes"]);
            assert.equal(result.status, EXIT.badInput);
            assert.match(result.stderr, /the local k6 is v1\.7\.1 but the runner image runs v2\.2\.0 \(grafana\/k6:2\.2\.0\).*install k6 v2 here/);
            assertNothingStarted();
        } finally {
            delete process.env.FAKE_K6_VERSION;
        }
    });

    it("above --confirm-above without a terminal: exit 2, pass --yes, nothing started", async () => {
        const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--confirm-above", "0.10"]);

        assert.equal(result.status, EXIT.badInput);
        assert.equal(result.stderr, "the estimated $0.20 is above --confirm-above $0.10: pass --yes to start it without asking");
        assert.deepEqual(result.questions, []);
        assertNothingStarted();
    });

    it("above --confirm-above on a terminal, answered n: nothing started, exit 0", async () => {
        const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--confirm-above", "0.10"], { interactive: true, answer: "n" });

        assert.equal(result.status, EXIT.passed, result.stderr);
        assert.deepEqual(result.questions, ["The estimated $0.20 is above --confirm-above $0.10. Start the run? [y/N] "]);
        assert.equal(result.stdout.split("\n").at(-1), "not started");
        assertNothingStarted();
    });

    it("answered y: the run starts; RunTask finds no capacity: exit 1, the failure named, what started stopped", async () => {
        cloud({ [EU]: ["a"] }, [EU]);

        const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--confirm-above", "0.10"], { interactive: true, answer: "y" });

        assert.equal(result.status, EXIT.failed);
        assert.equal(result.stderr, `✗ a task could not start: loadgen-eu: ${CAPACITY}`);
        assert.deepEqual(
            runTaskInputs().map(({ cluster, count }) => ({ cluster, count })),
            [{ cluster: LOADGEN_OUTPUTS.clusterArn, count: 2 }],
        );
        assert.deepEqual(
            stopTaskInputs().map((input) => input.task),
            [taskArn(LOADGEN_OUTPUTS, "a")],
        );
        assert.ok(result.stdout.includes(`  stopped ${taskArn(LOADGEN_OUTPUTS, "a")}`), result.stdout);
    });

    it("a stack whose task definition runs another runner image: exit 1, update the stack and push the image", async () => {
        const result = await loadtest(["--stack", EU, "--tasks", "2", script, "--yes"], { stacks: { [EU]: LOADGEN_OUTPUTS } });

        assert.equal(result.status, EXIT.failed);
        const image = `${LOADGEN_OUTPUTS.repositoryUrl}:${runnerImageTag()}`;
        assert.equal(
            result.stderr,
            `the task definition of loadgen-eu runs ${LOADGEN_OUTPUTS.runnerImage}, not ${image}: run pulumi up -s loadgen-eu so the task definition runs this image; ` +
                "push this image first if it is not there: npm run loadtest -- build-image --stack loadgen-eu",
        );
        assertNothingStarted();
    });

    it("two stacks in two accounts: each account's --role-arn, each stack its segments in its own cluster and bucket", async () => {
        cloud({ [EU]: ["a", "b"], [FRA]: [] }, [FRA]);

        const result = await loadtest(["--stack", EU, "--stack", FRA, "--tasks", "3", script, "--yes", "--profile", "loadlab", "--role-arn", FRA_ROLE, "--role-arn", EU_ROLE]);

        assert.deepEqual(result.connections, [
            { region: "eu-west-1", profile: "loadlab", roleArn: EU_ROLE },
            { region: "eu-central-1", profile: "loadlab", roleArn: FRA_ROLE },
        ]);
        assert.deepEqual(
            runTaskInputs().map(({ cluster, count }) => ({ cluster, count })),
            [
                { cluster: LOADGEN_OUTPUTS.clusterArn, count: 2 },
                { cluster: LOADGEN_OUTPUTS_FRANKFURT.clusterArn, count: 1 },
            ],
        );
        const manifests = s3Mock
            .commandCalls(PutObjectCommand)
            .map((call) => call.args[0].input)
            .filter((input) => input.Key?.endsWith("/manifest.json"))
            .map((input) => ({ bucket: input.Bucket, segments: parseRunObject(manifestSchema, "manifest", String(input.Body)).segments }));
        assert.deepEqual(manifests, [
            { bucket: LOADGEN_OUTPUTS.bucketName, segments: [0, 1] },
            { bucket: LOADGEN_OUTPUTS_FRANKFURT.bucketName, segments: [2] },
        ]);
        assert.equal(result.status, EXIT.failed);
        assert.equal(result.stderr, `✗ a task could not start: loadgen-fra: ${CAPACITY}`);
        assert.deepEqual(
            stopTaskInputs().map((input) => input.task),
            ["a", "b"].map((id) => taskArn(LOADGEN_OUTPUTS, id)),
        );
    });

    /** An object as GetObject returns it: a body the store reads whole, and its time. */
    const stored = (body: Buffer | string) => ({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from(body)) }, LastModified: NOW });

    it("merge <run id> reads each stack's manifest and results, names a task whose every request failed, and refuses to leave out a stack the run used", async () => {
        // The run's manifest, as the command wrote it in each bucket: three segments, two in eu, one in fra.
        const manifest = (segments: number[]) =>
            JSON.stringify({
                version: 2, runId: RUN_ID, script: "load", segmentCount: 3, segments, submetrics: [], seriesStepSeconds: 60, exactSamplesPerSeries: 1_000_000,
                maxRunSeconds: 180, heartbeatStaleSeconds: 60, lateStartSeconds: 10, goWaitSeconds: 660,
                merge: { thresholds: { http_req_failed: ["rate<0.01"] }, exactSampleBudget: 10_000_000, spot: false, baseUrl: "https://dev.example.com", stacks: [{ stack: EU, segments: [0, 1] }, { stack: FRA, segments: [2] }] },
            });
        s3Mock.on(GetObjectCommand, { Bucket: LOADGEN_OUTPUTS.bucketName, Key: `runs/${RUN_ID}/manifest.json` }).callsFake(async () => stored(manifest([0, 1])));

        const partial = await loadtest(["merge", RUN_ID, "--stack", EU]);
        assert.equal(partial.status, EXIT.badInput);
        assert.equal(partial.stderr, `${RUN_ID} also ran in --stack ${FRA} (segments 2): name every stack of the run, or its segments there count as missing`);

        s3Mock.on(GetObjectCommand, { Bucket: LOADGEN_OUTPUTS_FRANKFURT.bucketName, Key: `runs/${RUN_ID}/manifest.json` }).callsFake(async () => stored(manifest([2])));
        // eu holds segment 0's result only, from a task whose target refused every request; fra, none: two of three missing.
        const refused = new K6JsonWriter();
        const error = { message: "dial: connection refused", code: 1212 };
        for (let i = 0; i < 3; i++) refused.request(NOW.getTime() + i * 1000, { name: "health", status: 0, durationMs: 0, url: "https://dev.example.com/api/health", error });
        const recorder = new SegmentRecorder({ submetrics: [], startedAt: NOW, exactSamplesPerSeries: 1000 });
        for (const line of refused.lines) recorder.ingest(line);
        const firstErrors = { request: "GET https://dev.example.com/api/health: dial: connection refused (k6 error code 1212)" };
        const result = encodeSegmentResult({ version: 2, runId: RUN_ID, segment: 0, taskId: "a", status: "completed", k6ExitCode: 0, logTail: [], recorded: recorder.result(), firstErrors });
        s3Mock.on(ListObjectsV2Command, { Bucket: LOADGEN_OUTPUTS.bucketName }).resolves({ Contents: [{ Key: `runs/${RUN_ID}/results/0.json.gz` }] });
        s3Mock.on(ListObjectsV2Command, { Bucket: LOADGEN_OUTPUTS_FRANKFURT.bucketName }).resolves({ Contents: [] });
        s3Mock.on(GetObjectCommand, { Bucket: LOADGEN_OUTPUTS.bucketName, Key: `runs/${RUN_ID}/results/0.json.gz` }).callsFake(async () => stored(result));
        const out = join(dir, "merged.json");

        const merged = await loadtest(["merge", RUN_ID, "--stack", EU, "--stack", FRA, "--out", out]);

        assert.equal(merged.status, EXIT.failed, merged.stderr);
        assert.match(merged.stdout, /VERDICT: INCOMPLETE/);
        assert.match(merged.stdout, /the run is incomplete: no result for segments 1\/3:2\/3, 2\/3:1/);
        // The Fargate task's result names its cause, as a --local one does.
        const problem = `all 3 requests failed; k6's first error: ${firstErrors.request}`;
        assert.ok(merged.stdout.includes(`\n      ✗ ${problem}\n`), merged.stdout);
        assert.ok(merged.stdout.includes(`✗ segment 0 (task a, ${EU}): ${problem}`), merged.stdout);
        assert.deepEqual(ecsMock.calls(), []);
    });

    it("--stop stops every task ListTasks finds for the run in each stack, and says which", async () => {
        cloud({ [EU]: ["a", "b"], [FRA]: [] });

        const result = await loadtest(["--stop", RUN_ID, "--stack", EU, "--stack", FRA]);

        assert.equal(result.status, EXIT.passed, result.stderr);
        const [a, b] = ["a", "b"].map((id) => taskArn(LOADGEN_OUTPUTS, id));
        assert.equal(result.stdout, `loadgen-eu: stopped ${a}, ${b}\nloadgen-fra: no task of the run was running`);
        assert.deepEqual(ecsMock.commandCalls(ListTasksCommand).map((call) => call.args[0].input), [
            { cluster: LOADGEN_OUTPUTS.clusterArn, startedBy: RUN_ID, nextToken: undefined },
            { cluster: LOADGEN_OUTPUTS_FRANKFURT.clusterArn, startedBy: RUN_ID, nextToken: undefined },
        ]);
        const reason = `npm run loadtest -- --stop ${RUN_ID}`;
        assert.deepEqual(stopTaskInputs(), [a, b].map((arn) => ({ cluster: LOADGEN_OUTPUTS.clusterArn, task: arn, reason })));
        assert.deepEqual(result.connections, [
            { region: "eu-west-1", profile: undefined, roleArn: undefined },
            { region: "eu-central-1", profile: undefined, roleArn: undefined },
        ]);
        assert.deepEqual(s3Mock.calls(), []);
    });
});
