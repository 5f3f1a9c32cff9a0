import * as assert from "node:assert/strict";
import { GateRefusal, GateRequest, TestEvidence, checkLoadTest, gateRequirement, judge, newestEvidence, newestVerdict } from "../scripts/promote/gate";
import { EvidenceError } from "../scripts/release/evidence-store";
import { Verdict } from "../scripts/release/verdict";
import { CONVENTIONS, FakeEvidenceBucket, mockedStore, s3Mock, sha256, verdictFixture } from "./promote-fixtures";

/** The shipped gate: prod, tested in staging, within a week. */
const RELEASE = { gatedEnvironments: ["prod"], verdictMaxAgeHours: 168 };
const NOW = new Date("2025-03-10T12:00:00Z");
const TESTED = sha256("build-2");
const OTHER = sha256("build-1");
const short = (digest: string) => digest.slice(0, 19);
const hoursBefore = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000).toISOString();

const REQUEST: GateRequest = { from: "staging", to: "prod", digest: TESTED };
const REQUIREMENT = { required: true as const, testedIn: "staging", digest: TESTED };

/** How every refusal ends: what to do. */
const WHAT_TO_DO = [
    "Run the load test against staging (npm run loadtest -- --stack loadgen --target staging k6/load.ts), then promote again;",
    'or promote without it, and your reason is recorded: npm run promote -- staging prod --without-load-test "<reason>"',
].join("\n");

const verdictOf = (options: Partial<Verdict> & { runId: string; finishedAt: string }) =>
    verdictFixture({ environment: "staging", digest: TESTED, ...options });

const found = (verdict: Verdict): TestEvidence => ({ found: "verdict", key: `verdicts/staging/${verdict.target.digest}/${verdict.runId}.json`, verdict });

describe("promotion gate: what is needed", () => {
    it("a gated environment needs a verdict from the environment before it in promotion order; others need none", () => {
        assert.deepEqual(gateRequirement("prod", RELEASE, CONVENTIONS.environments, TESTED), { required: true, testedIn: "staging", digest: TESTED });
        assert.deepEqual(gateRequirement("staging", RELEASE, CONVENTIONS.environments, TESTED), { required: false });
        assert.deepEqual(gateRequirement("staging", { gatedEnvironments: ["staging", "prod"] }, CONVENTIONS.environments, TESTED), {
            required: true,
            testedIn: "dev",
            digest: TESTED,
        });
        assert.deepEqual(gateRequirement("prod", { gatedEnvironments: [] }, CONVENTIONS.environments, TESTED), { required: false });
    });

    it("a gated first environment (which the shared stack's config refuses) is an error, not a silent pass", () => {
        assert.throws(() => gateRequirement("dev", { gatedEnvironments: ["dev"] }, CONVENTIONS.environments, TESTED), /dev is gated but has no environment before it/);
    });
});

describe("promotion gate: judging the evidence", () => {
    const refusal = (evidence: TestEvidence) => {
        const decision = judge(REQUEST, REQUIREMENT, evidence, RELEASE, NOW);
        assert.equal(decision.outcome, "refused");
        return decision;
    };

    it("no run at all in the environment", () => {
        assert.deepEqual(refusal({ found: "nothing" }), {
            outcome: "refused",
            reason: "no-run",
            message: `prod needs a passing load test of ${short(TESTED)} in staging, and staging has no load-test verdict at all.\n${WHAT_TO_DO}`,
        });
    });

    it("no run of this digest: names the environment's newest verdict, its digest, run id and date", () => {
        assert.deepEqual(refusal({ found: "other-digest", digest: OTHER, runId: "lt-20250308T090000Z-a1b2" }), {
            outcome: "refused",
            reason: "other-digest",
            message:
                `prod needs a passing load test of ${short(TESTED)} in staging, but it was never tested there: staging's newest verdict is of ` +
                `${short(OTHER)} (run lt-20250308T090000Z-a1b2, started 2025-03-08T09:00:00Z).\n${WHAT_TO_DO}`,
        });
    });

    it("failed: names each failed threshold by metric and expression", () => {
        const verdict = verdictOf({
            runId: "lt-20250310T100000Z-c3d4",
            finishedAt: "2025-03-10T10:10:00Z",
            verdict: "failed",
            thresholds: [
                { metric: "http_req_duration", expression: "p(99)<1500", ok: false },
                { metric: "http_req_failed", expression: "rate<0.01", ok: true },
                { metric: "checks", expression: "rate>0.99", ok: false },
            ],
        });
        assert.deepEqual(refusal(found(verdict)), {
            outcome: "refused",
            reason: "failed",
            message:
                `prod needs a passing load test of ${short(TESTED)} in staging, but its newest run there, lt-20250310T100000Z-c3d4 ` +
                `(finished 2025-03-10T10:10:00Z), failed: http_req_duration: p(99)<1500; checks: rate>0.99.\n${WHAT_TO_DO}`,
        });
    });

    it("failed with every threshold held (a task's every request failed): names the run's errors", () => {
        const error = "segment 2/3 (task local-1, local): all 40 requests failed: GET http://127.0.0.1:8000/api/health: dial: connection refused (k6 error code 1212)";
        const verdict = verdictOf({
            runId: "lt-20250310T100000Z-c3d4",
            finishedAt: "2025-03-10T10:10:00Z",
            verdict: "failed",
            thresholds: [{ metric: "http_req_failed", expression: "rate<0.5", ok: true }],
            result: { run: { errors: [error] } },
        });
        assert.equal(
            refusal(found(verdict)).message,
            `prod needs a passing load test of ${short(TESTED)} in staging, but its newest run there, lt-20250310T100000Z-c3d4 ` +
                `(finished 2025-03-10T10:10:00Z), failed: ${error}.\n${WHAT_TO_DO}`,
        );
    });

    it("incomplete: a segment missing or cut short, with what the run's result says", () => {
        const verdict = verdictOf({
            runId: "lt-20250310T100000Z-c3d4",
            finishedAt: "2025-03-10T10:10:00Z",
            verdict: "incomplete",
            result: { run: { errors: ["the run is incomplete: no result for segment 3/4:1"] } },
        });
        assert.deepEqual(refusal(found(verdict)), {
            outcome: "refused",
            reason: "incomplete",
            message:
                `prod needs a passing load test of ${short(TESTED)} in staging, but its newest run there, lt-20250310T100000Z-c3d4 ` +
                `(finished 2025-03-10T10:10:00Z), is incomplete: a segment is missing or was cut short ` +
                `(the run is incomplete: no result for segment 3/4:1).\n${WHAT_TO_DO}`,
        });
        const silent = verdictOf({ runId: "lt-20250310T100000Z-c3d4", finishedAt: "2025-03-10T10:10:00Z", verdict: "incomplete", result: {} });
        assert.match(refusal(found(silent)).message, /is incomplete: a segment is missing or was cut short\.\n/);
    });

    it("stale: its age, the limit and the config key", () => {
        const verdict = verdictOf({ runId: "lt-20250301T000000Z-e5f6", finishedAt: hoursBefore(200.5) });
        assert.deepEqual(refusal(found(verdict)), {
            outcome: "refused",
            reason: "stale",
            message:
                `prod needs a passing load test of ${short(TESTED)} in staging, but its newest run there, lt-20250301T000000Z-e5f6 ` +
                `(finished 2025-03-02T03:30:00Z), passed 200.5 hours ago: older than release.verdictMaxAgeHours (168 hours) allows.\n${WHAT_TO_DO}`,
        });
    });

    it("the commands it suggests are the promotion's own: --force from another source names that source", () => {
        const decision = judge({ from: "dev", to: "prod", digest: TESTED }, REQUIREMENT, { found: "nothing" }, RELEASE, NOW);
        assert.ok(decision.outcome === "refused");
        assert.match(decision.message, /npm run promote -- dev prod --without-load-test "<reason>"$/);
    });

    it("accepts a passing verdict up to exactly verdictMaxAgeHours old, with what the promotion record keeps", () => {
        const verdict = verdictOf({
            runId: "lt-20250303T115000Z-a1b2",
            finishedAt: hoursBefore(168),
            reportKey: `verdicts/staging/${TESTED}/lt-20250303T115000Z-a1b2.html`,
        });
        assert.deepEqual(judge(REQUEST, REQUIREMENT, found(verdict), RELEASE, NOW), {
            outcome: "accepted",
            loadTest: {
                status: "passed",
                testedIn: "staging",
                runId: "lt-20250303T115000Z-a1b2",
                finishedAt: hoursBefore(168),
                verdictKey: `verdicts/staging/${TESTED}/lt-20250303T115000Z-a1b2.json`,
                reportKey: `verdicts/staging/${TESTED}/lt-20250303T115000Z-a1b2.html`,
            },
        });
        const withoutReport = judge(REQUEST, REQUIREMENT, found(verdictOf({ runId: "lt-20250310T100000Z-c3d4", finishedAt: hoursBefore(1) })), RELEASE, NOW);
        assert.ok(withoutReport.outcome === "accepted");
        assert.equal("reportKey" in withoutReport.loadTest, false);
    });
});

describe("promotion gate: finding the evidence in the bucket", () => {
    let bucket: FakeEvidenceBucket;
    beforeEach(() => {
        bucket = new FakeEvidenceBucket().install();
    });

    it("the newest run of the digest counts: a later failure overrides an earlier pass", async () => {
        bucket.addVerdict(verdictOf({ runId: "lt-20250309T100000Z-aaaa", finishedAt: "2025-03-09T10:10:00Z" }));
        const failedKey = bucket.addVerdict(verdictOf({ runId: "lt-20250310T100000Z-bbbb", finishedAt: "2025-03-10T10:10:00Z", verdict: "failed" }));
        bucket.addVerdict(verdictOf({ runId: "lt-20250308T100000Z-cccc", finishedAt: "2025-03-08T10:10:00Z" }));

        const evidence = await newestEvidence(mockedStore(), "staging", TESTED);

        assert.ok(evidence.found === "verdict");
        assert.equal(evidence.key, failedKey);
        assert.equal(judge(REQUEST, REQUIREMENT, evidence, RELEASE, NOW).outcome, "refused");
    });

    it("no run of the digest: the environment's newest verdict by run id, whatever its digest sorts as", async () => {
        // OTHER sorts before this third digest as a key, but its run is the newer one.
        const third = `sha256:${"f".repeat(64)}`;
        bucket.addVerdict(verdictFixture({ environment: "staging", digest: OTHER, runId: "lt-20250309T100000Z-aaaa", finishedAt: "2025-03-09T10:10:00Z" }));
        bucket.addVerdict(verdictFixture({ environment: "staging", digest: third, runId: "lt-20250301T100000Z-bbbb", finishedAt: "2025-03-01T10:10:00Z" }));
        bucket.addVerdict(verdictFixture({ environment: "prod", digest: OTHER, runId: "lt-20250310T100000Z-cccc", finishedAt: "2025-03-10T10:10:00Z" }));

        assert.deepEqual(await newestEvidence(mockedStore(), "staging", TESTED), { found: "other-digest", digest: OTHER, runId: "lt-20250309T100000Z-aaaa" });
        assert.deepEqual(await newestEvidence(mockedStore(), "dev", TESTED), { found: "nothing" });
    });

    it("a verdict whose content names another digest or environment than its key is an error", async () => {
        const verdict = verdictOf({ runId: "lt-20250309T100000Z-aaaa", finishedAt: "2025-03-09T10:10:00Z" });
        bucket.objects.set(`verdicts/staging/${OTHER}/lt-20250309T100000Z-aaaa.json`, { body: JSON.stringify(verdict) });

        await assert.rejects(
            newestVerdict(mockedStore(), "staging", OTHER),
            (error: unknown) =>
                error instanceof EvidenceError &&
                error.message ===
                    `verdicts/staging/${OTHER}/lt-20250309T100000Z-aaaa.json is a verdict of ${TESTED} in staging, not of what its key names: it was not written by this project`,
        );
    });

    describe("checkLoadTest, as promote asks it", () => {
        const check = (request: GateRequest, withoutLoadTest?: string) => checkLoadTest(mockedStore(), request, RELEASE, CONVENTIONS.environments, () => NOW, withoutLoadTest);

        it("an ungated environment: not required, and the bucket is not read", async () => {
            assert.deepEqual(await check({ from: "dev", to: "staging", digest: TESTED }), { status: "not-required" });
            assert.deepEqual(s3Mock.calls(), []);
        });

        it("--without-load-test: skipped with its reason, and the bucket is not read", async () => {
            assert.deepEqual(await check(REQUEST, "hotfix for the outage"), { status: "skipped", testedIn: "staging", reason: "hotfix for the outage" });
            assert.deepEqual(s3Mock.calls(), []);
        });

        it("a refusal is a GateRefusal naming its reason", async () => {
            await assert.rejects(check(REQUEST), (error: unknown) => error instanceof GateRefusal && error.reason === "no-run");
        });

        it("a pass: the evidence for the record", async () => {
            const key = bucket.addVerdict(verdictOf({ runId: "lt-20250310T100000Z-c3d4", finishedAt: "2025-03-10T10:10:00Z" }));
            assert.deepEqual(await check(REQUEST), {
                status: "passed",
                testedIn: "staging",
                runId: "lt-20250310T100000Z-c3d4",
                finishedAt: "2025-03-10T10:10:00Z",
                verdictKey: key,
            });
        });
    });
});
