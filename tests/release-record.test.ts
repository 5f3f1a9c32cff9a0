import * as assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, type PutObjectCommandInput } from "@aws-sdk/client-s3";
import { thresholdResults } from "../k6/lib/summary";
import { s3Mock } from "../loadgen/test/s3-fixture";
import { Invocation, parseInvocation } from "../scripts/loadtest/args";
import { EXIT, PreparedTarget, afterTargetRun } from "../scripts/loadtest/main";
import { evidencePaths, recordCommand } from "../scripts/loadtest/record";
import { LoadtestResult } from "../scripts/loadtest/result-file";
import { PROJECT_DIR } from "../scripts/loadtest/stack-outputs";
import { objectLinks } from "../scripts/release/evidence-store";
import { RunTarget, verdictSchema } from "../scripts/release/verdict";
import { parseTimeline } from "../scripts/timeline/timeline";
import { LOADGEN_OUTPUTS } from "./loadtest-stack-fixture";
import {
    DIGEST,
    EVIDENCE_BUCKET,
    FIXTURES_DIR,
    RESULT_FILES,
    SHARED_CALLER_ARN,
    SHARED_CONFIG,
    STAGING_CONFIG,
    fixtureResult,
    loadtest,
    mockCallers,
    mockQuietEnvironment,
    testContext,
} from "./loadtest-target-fixture";
import { cloudWatchMock } from "./timeline-observe-fixture";

const STAGING_ROLE = `arn:aws:iam::${STAGING_CONFIG.aws.accountId}:role/ecs-loadlab-read-only`;
const SHARED_ROLE = `arn:aws:iam::${SHARED_CONFIG.aws.accountId}:role/ecs-loadlab-deploy`;

/**
 * A fixture result as the same run from a loadgen stack writes it: the fixtures are --local runs (whose verdicts are
 * never recorded), so their one stack becomes a loadgen stack with LOADGEN_OUTPUTS' region and task size.
 */
function fromLoadgen(verdict: keyof typeof RESULT_FILES): Record<string, unknown> {
    const json = structuredClone(fixtureResult(verdict).json) as { run: LoadtestResult["run"]; tasks: { stack: string }[] };
    const { region, taskCpu, taskMemory } = LOADGEN_OUTPUTS;
    json.run.settings.distributed.stacks = json.run.settings.distributed.stacks.map((stack) => ({ ...stack, stack: "loadgen", region, taskCpu, taskMemory }));
    for (const task of json.tasks) task.stack = "loadgen";
    return json;
}

const puts = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input as PutObjectCommandInput);

describe("npm run loadtest -- record: a --target run's verdict in the evidence bucket (S3 and STS mocked)", () => {
    let dir: string;
    let resultFile: string;
    let result: LoadtestResult;
    /** After CloudWatch has published the fixture's run: the command does not wait. */
    let later: () => Date;

    beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "loadtest-record-"));
        resultFile = join(dir, "load-distributed.json");
        const json = fromLoadgen("passed");
        writeFileSync(resultFile, `${JSON.stringify(json, null, 2)}\n`);
        result = json as unknown as LoadtestResult;
        later = () => new Date(Date.parse(result.run.finishedAt) + 10 * 60_000);
        mockQuietEnvironment();
        s3Mock.reset();
        s3Mock.on(PutObjectCommand).resolves({});
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    const verdictKey = () => `verdicts/staging/${DIGEST}/${result.run.settings.runId}.json`;
    const reportKey = () => verdictKey().replace(/\.json$/, ".html");

    it("observes staging with its account's role, writes the timeline and report beside the result, then records the verdict and the report with the shared account's role", async () => {
        const run = await loadtest(["record", resultFile, "--role-arn", STAGING_ROLE, "--role-arn", SHARED_ROLE], { now: later });
        assert.equal(run.status, EXIT.passed, run.stderr);

        assert.deepEqual(run.observeConnections, [{ region: STAGING_CONFIG.aws.region, profile: undefined, roleArn: STAGING_ROLE }]);
        assert.deepEqual(run.evidenceConnections, [{ region: SHARED_CONFIG.aws.region, profile: undefined, roleArn: SHARED_ROLE }]);
        const paths = evidencePaths(resultFile);
        const observed = parseTimeline(readFileSync(paths.observed, "utf8"), paths.observed);
        const html = readFileSync(paths.html, "utf8");

        // The report first, then the verdict naming it: a verdict never names a report that is not there.
        const [report, verdictPut] = puts();
        assert.deepEqual({ ...report, Body: undefined }, { Bucket: EVIDENCE_BUCKET, Key: reportKey(), Body: undefined, ContentType: "text/html; charset=utf-8" });
        assert.equal(report.Body, html);
        assert.deepEqual({ Bucket: verdictPut.Bucket, Key: verdictPut.Key, ContentType: verdictPut.ContentType }, { Bucket: EVIDENCE_BUCKET, Key: verdictKey(), ContentType: "application/json" });

        const verdict = verdictSchema.parse(JSON.parse(String(verdictPut.Body)));
        assert.deepEqual(verdict.target, result.run.target);
        assert.equal(verdict.runId, result.run.settings.runId);
        assert.equal(verdict.script, "load");
        assert.equal(verdict.verdict, "passed");
        assert.deepEqual([verdict.startedAt, verdict.finishedAt], [result.run.startedAt, result.run.finishedAt]);
        assert.equal(verdict.recordedAt, later().toISOString());
        assert.equal(verdict.recordedBy, SHARED_CALLER_ARN);
        assert.deepEqual(verdict.thresholds, thresholdResults(fixtureResult("passed").result.k6));
        assert.equal(verdict.segments, 2);
        assert.deepEqual(verdict.result, JSON.parse(readFileSync(resultFile, "utf8")));
        assert.deepEqual(verdict.observed, observed);
        assert.equal(verdict.observedNote, undefined);
        assert.equal(verdict.reportKey, reportKey());

        const links = objectLinks({ bucket: EVIDENCE_BUCKET, region: SHARED_CONFIG.aws.region }, verdictKey());
        assert.ok(run.stdout.includes(`  verdict: ${links.uri}\n    ${links.console}`), run.stdout);
        assert.ok(run.stdout.includes(`  report:  s3://${EVIDENCE_BUCKET}/${reportKey()}`));
    });

    it("--observed: the timeline given (and --html, its report) is recorded, nothing observed", async () => {
        await loadtest(["record", resultFile], { now: later });
        const paths = evidencePaths(resultFile);
        writeFileSync(paths.html, "<!DOCTYPE html><title>the report as published</title>");
        s3Mock.resetHistory();
        const run = await loadtest(["record", resultFile, "--observed", paths.observed, "--html", paths.html], { now: later });
        assert.equal(run.status, EXIT.passed, run.stderr);
        assert.deepEqual(run.observeConnections, []);
        const [report, verdictPut] = puts();
        assert.equal(report.Body, "<!DOCTYPE html><title>the report as published</title>");
        assert.deepEqual(verdictSchema.parse(JSON.parse(String(verdictPut.Body))).observed, parseTimeline(readFileSync(paths.observed, "utf8"), "observed"));
    });

    it("observing that fails: the verdict is recorded without a timeline or report, saying why", async () => {
        cloudWatchMock.reset();
        cloudWatchMock.onAnyCommand().resolves({});
        const run = await loadtest(["record", resultFile], { now: later });
        assert.equal(run.status, EXIT.passed, run.stderr);
        const [verdictPut, ...more] = puts();
        assert.deepEqual(more, []);
        assert.equal(verdictPut.Key, verdictKey());
        const verdict = verdictSchema.parse(JSON.parse(String(verdictPut.Body)));
        assert.equal(verdict.observed, null);
        assert.match(verdict.observedNote ?? "", /^observing staging failed: CloudWatch has no datapoints at all for /);
        assert.equal(verdict.reportKey, undefined);
        assert.match(run.stdout, /without an observed timeline: observing staging failed/);
        assert.ok(!existsSync(evidencePaths(resultFile).observed));
    });

    it("a failed and an incomplete run are recorded as such: promote refuses them by name", async () => {
        for (const verdict of ["failed", "incomplete"] as const) {
            s3Mock.resetHistory();
            writeFileSync(resultFile, JSON.stringify(fromLoadgen(verdict)));
            const fixture = fixtureResult(verdict).result;
            const run = await loadtest(["record", resultFile], { now: () => new Date(Date.parse(fixture.run.finishedAt) + 600_000) });
            assert.equal(run.status, EXIT.passed, run.stderr);
            const recorded = verdictSchema.parse(JSON.parse(String(puts().at(-1)?.Body)));
            assert.equal(recorded.verdict, verdict);
            assert.deepEqual(recorded.thresholds, thresholdResults(fixture.k6));
        }
    });

    it("S3 refusing or failing: exit 1, naming the bucket (and, denied, the shared account's role and the writer accounts)", async () => {
        s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));
        const run = await loadtest(["record", resultFile], { now: later });
        assert.equal(run.status, EXIT.failed);
        assert.ok(run.stderr.includes(`PutObject s3://${EVIDENCE_BUCKET}/${reportKey()}: access denied.`), run.stderr);
        assert.match(run.stderr, /use its deploy role \(--role-arn\), or .* release\.verdictWriterAccountIds/);

        s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error("socket hang up"), { name: "TimeoutError" }));
        const failing = await loadtest(["record", resultFile], { now: later });
        assert.equal(failing.status, EXIT.failed);
        assert.equal(failing.stderr, `cannot write the verdict to s3://${EVIDENCE_BUCKET} (${SHARED_CONFIG.aws.region}): socket hang up`);
    });

    it("STS failing in the shared account: exit 1, nothing written", async () => {
        mockCallers({ shared: Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }) });
        const run = await loadtest(["record", resultFile], { now: later });
        assert.equal(run.status, EXIT.failed);
        assert.match(run.stderr, new RegExp(`^cannot tell who records the verdict \\(STS GetCallerIdentity in ${SHARED_CONFIG.aws.region}\\): Could not load credentials`));
        assert.deepEqual(puts(), []);
    });

    it("refuses a run without --target, a --local run, a file that is not a result, and an observed timeline of another run", async () => {
        const untargeted = fromLoadgen("passed") as { run: Record<string, unknown> };
        delete untargeted.run.target;
        writeFileSync(resultFile, JSON.stringify(untargeted));
        const without = await loadtest(["record", resultFile], { now: later });
        assert.equal(without.status, EXIT.badInput);
        assert.match(without.stderr, /has no run\.target: record needs a run with --target <stack>/);

        const local = await loadtest(["record", join(FIXTURES_DIR, RESULT_FILES.passed)], { now: later });
        assert.equal(local.status, EXIT.badInput);
        assert.match(local.stderr, /result-passed\.json is a --local run: its verdict is not recorded \(its k6 was this machine's, not the runner image's pinned k6/);

        const notAResult = await loadtest(["record", join(FIXTURES_DIR, "timeline.json")], { now: later });
        assert.equal(notAResult.status, EXIT.badInput);
        assert.match(notAResult.stderr, /timeline\.json is not a result of npm run loadtest:\n {2}- run: /);

        const missing = await loadtest(["record", join(dir, "nope.json")], { now: later });
        assert.equal(missing.status, EXIT.badInput);
        assert.match(missing.stderr, /result file .*nope\.json does not exist: pass the JSON file npm run loadtest wrote/);

        // A prediction, and a timeline observed for another run.
        writeFileSync(resultFile, JSON.stringify(fromLoadgen("passed")));
        const predicted = await loadtest(["record", resultFile, "--observed", join(FIXTURES_DIR, "timeline.json")], { now: later });
        assert.equal(predicted.status, EXIT.badInput);
        assert.match(predicted.stderr, /timeline\.json is a predicted timeline: --observed takes the run's observed one/);
        await loadtest(["record", resultFile], { now: later });
        const other = fromLoadgen("failed");
        const otherFile = join(dir, "other.json");
        writeFileSync(otherFile, JSON.stringify(other));
        s3Mock.resetHistory();
        const mismatched = await loadtest(["record", otherFile, "--observed", evidencePaths(resultFile).observed], { now: later });
        assert.equal(mismatched.status, EXIT.badInput);
        assert.match(mismatched.stderr, /was observed for a run started at .*, not this one/);
        assert.deepEqual(puts(), []);
    });

    it("refuses a shared stack file of another role, or one that does not list the environment, before observing", async () => {
        const wrongRole = await loadtest(["record", resultFile, "--shared-stack-file", join(PROJECT_DIR, "Pulumi.loadgen.yaml")], { now: later });
        assert.equal(wrongRole.status, EXIT.badInput);
        assert.equal(wrongRole.stderr, "Pulumi.loadgen.yaml is a loadgen stack (ecs-loadlab:role: loadgen): recording a verdict needs a shared stack");
        const elsewhere = fromLoadgen("passed") as { run: { target: { environment: string } } };
        elsewhere.run.target.environment = "qa";
        writeFileSync(resultFile, JSON.stringify(elsewhere));
        const unlisted = await loadtest(["record", resultFile], { now: later });
        assert.equal(unlisted.status, EXIT.badInput);
        assert.match(unlisted.stderr, new RegExp(`^Pulumi\\.shared\\.yaml lists the environments ${SHARED_CONFIG.environments.map((e) => e.name).join(", ")}, not qa`));
        assert.deepEqual(cloudWatchMock.calls(), [], "nothing observed");
    });

    it("summary: the recorded run's Markdown, with the scaling table from the timeline record wrote beside it", async () => {
        await loadtest(["record", resultFile], { now: later });
        const run = await loadtest(["summary", resultFile, "--observed", evidencePaths(resultFile).observed, "--report-url", "https://example.com/report.html"]);
        assert.equal(run.status, EXIT.passed, run.stderr);
        assert.match(run.stdout, /^## ✅ Load test passed: load on staging `sha256:13c0186253bd`\n/);
        assert.match(run.stdout, /### Scaling of Pulumi\.staging\.yaml \(observed\)\n\n\| Figure \| Value \|/);
        assert.match(run.stdout, /\| Loadgen stack \| Priced in \|/);
        assert.ok(run.stdout.endsWith("[The run's report](<https://example.com/report.html>)"));
        assert.deepEqual(run.evidenceConnections, []);
        assert.deepEqual(run.stacksRead, []);
    });

    describe("after a --target run from a loadgen stack (main.ts afterTargetRun, on the run's result file)", () => {
        const invocation = (aws = { roleArns: [STAGING_ROLE, SHARED_ROLE] }) => ({
            ...(parseInvocation(["--stack", "loadgen", "--tasks", "2", "k6/load.ts", "--target", "staging"]) as Extract<Invocation, { kind: "run" }>),
            aws,
        });
        const prepared = (): PreparedTarget => ({
            target: result.run.target as RunTarget,
            evidence: { location: { bucket: EVIDENCE_BUCKET, region: SHARED_CONFIG.aws.region }, accountId: SHARED_CONFIG.aws.accountId },
        });

        it("observes and records; the run's exit status stands", async () => {
            for (const exit of [EXIT.passed, EXIT.thresholdsFailed]) {
                s3Mock.resetHistory();
                const { context, seen } = testContext({ now: later });
                assert.equal(await afterTargetRun(resultFile, exit, invocation(), prepared(), context), exit);
                assert.deepEqual(puts().map((input) => input.Key), [reportKey(), verdictKey()]);
                assert.match(seen().stdout, /Recorded the passed verdict of lt-/);
            }
        });

        it("recording that fails keeps the result, prints the record command that redoes it, and exits 1 unless the run's own status is a failure", async () => {
            s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
            const { context, seen } = testContext({ now: later });
            assert.equal(await afterTargetRun(resultFile, EXIT.passed, invocation(), prepared(), context), EXIT.failed);
            const { stderr } = seen();
            assert.match(stderr, new RegExp(`^✗ The verdict was not recorded: PutObject s3://${EVIDENCE_BUCKET}/`));
            const paths = evidencePaths(resultFile);
            assert.ok(
                stderr.endsWith(
                    `The result is kept in ${resultFile}. To record it: npm run loadtest -- record ${resultFile} --observed ${paths.observed} --html ${paths.html} ` +
                        `--role-arn ${STAGING_ROLE} --role-arn ${SHARED_ROLE}`,
                ),
                stderr,
            );
            assert.ok(existsSync(resultFile) && existsSync(paths.observed) && existsSync(paths.html));
            for (const exit of [EXIT.thresholdsFailed, EXIT.failed]) {
                assert.equal(await afterTargetRun(resultFile, exit, invocation(), prepared(), testContext({ now: later }).context), exit);
            }
        });

        it("observing and recording both failing: the record command observes again (no --observed)", async () => {
            cloudWatchMock.reset();
            cloudWatchMock.onAnyCommand().resolves({});
            s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" }));
            const { context, seen } = testContext({ now: later });
            assert.equal(await afterTargetRun(resultFile, EXIT.passed, invocation({ roleArns: [] }), prepared(), context), EXIT.failed);
            const { stderr } = seen();
            assert.match(stderr, /the evidence bucket .* does not exist in .*: deploy the shared stack with this checkout \(pulumi up -s shared\)/);
            assert.ok(stderr.endsWith(`To record it: npm run loadtest -- record ${resultFile}`), stderr);
        });
    });

    it("the record command to redo it: the result, what was observed, the shared stack file and the access, quoted for a shell", () => {
        const aws = { profile: "my profile", roleArns: [STAGING_ROLE, SHARED_ROLE] };
        assert.equal(
            recordCommand("k6/results/load-20261130T120000Z-distributed.json", true, { sharedStackFile: "../other/Pulumi.shared.yaml", aws }),
            "npm run loadtest -- record k6/results/load-20261130T120000Z-distributed.json " +
                "--observed k6/results/load-20261130T120000Z-distributed.observed.json --html k6/results/load-20261130T120000Z-distributed.report.html " +
                `--shared-stack-file ../other/Pulumi.shared.yaml --profile 'my profile' --role-arn ${STAGING_ROLE} --role-arn ${SHARED_ROLE}`,
        );
        assert.equal(recordCommand("it's.json", false, { aws: { roleArns: [] } }), "npm run loadtest -- record 'it'\\''s.json'");
    });
});
