import type { ReleaseConfig } from "../../config";
import { EvidenceError, EvidenceStore, digestOfVerdictKey, runIdOfVerdictKey } from "../release/evidence-store";
import type { LoadTestEvidence } from "../release/promotion-record";
import { shortDigest, type ThresholdVerdict, type Verdict } from "../release/verdict";
import { parseCompactTime } from "./promotion";

/**
 * The load-test gate of a promotion: an environment listed in the shared stack's `release.gatedEnvironments` takes
 * only an image whose newest load test in the environment before it (in promotion order) passed, within
 * `release.verdictMaxAgeHours`. The decision (what is needed, and whether a verdict gives it) is pure; finding the
 * verdict in the evidence bucket is the only effect, in newestEvidence.
 *
 * Which verdict counts: the newest run of the digest in that environment (the greatest run id: run ids start with
 * their UTC time). A later failure overrides an earlier pass, so an image that passed once and then failed is refused
 * until it passes again.
 */

/** The config key a refusal names, so the user knows what to change. */
const MAX_AGE_KEY = "release.verdictMaxAgeHours";

export interface GateRequest {
    /** What the promotion named as its source, for the commands a refusal suggests. */
    from: string;
    /** The environment promoted into. */
    to: string;
    /** The digest being promoted. */
    digest: string;
}

export type GateRequirement =
    | { required: false }
    /** A passing verdict of `digest` from `testedIn` is needed. */
    | { required: true; testedIn: string; digest: string };

/** What is there to judge: the newest verdict of the digest in the environment, or why there is none. */
export type TestEvidence =
    | { found: "nothing" }
    /** No run of the digest; the environment's newest verdict (by run id) is of this other digest. */
    | { found: "other-digest"; digest: string; runId: string }
    | { found: "verdict"; key: string; verdict: Verdict };

export type RefusalReason = "no-run" | "other-digest" | "failed" | "incomplete" | "stale";

export type GateDecision =
    | { outcome: "accepted"; loadTest: Extract<LoadTestEvidence, { status: "passed" }> }
    | { outcome: "refused"; reason: RefusalReason; message: string };

/** A promotion the gate refused: the message names what is missing and what to do. */
export class GateRefusal extends Error {
    override readonly name = "GateRefusal";
    constructor(
        readonly reason: RefusalReason,
        message: string,
    ) {
        super(message);
    }
}

/** A time to the second, as the messages and the history show it: `2025-03-03T12:00:00Z`. */
export function formatTime(at: Date): string {
    return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `lt-20250303T120000Z-a1b2` → `2025-03-03T12:00:00Z`: when the run was started (run ids begin with it). */
function runIdTime(runId: string): string {
    const started = parseCompactTime(runId.split("-")[1] ?? "");
    return started ? formatTime(started) : "at an unknown time";
}

/** An age in hours with one decimal, e.g. `200.5 hours`. */
export function formatAge(milliseconds: number): string {
    return `${(milliseconds / 3_600_000).toFixed(1)} hours`;
}

/** Whether promoting `digest` into `to` needs a verdict, and from which environment: the one before `to`. */
export function gateRequirement(
    to: string,
    release: Pick<ReleaseConfig, "gatedEnvironments">,
    environments: readonly string[],
    digest: string,
): GateRequirement {
    if (!release.gatedEnvironments.includes(to)) return { required: false };
    const index = environments.indexOf(to);
    // The shared stack's config refuses a gated environment that is unknown or first; this states what the gate relies on.
    if (index < 1) throw new Error(`${to} is gated but has no environment before it in ${environments.join(", ")}`);
    return { required: true, testedIn: environments[index - 1], digest };
}

/** The newest verdict of `digest` in `environment`, or undefined when it was never tested there. */
export async function newestVerdict(store: EvidenceStore, environment: string, digest: string): Promise<{ key: string; verdict: Verdict } | undefined> {
    // Keys under one digest differ only in their run id: the last is the newest run.
    const key = (await store.verdictKeys(environment, digest)).at(-1)?.key;
    if (key === undefined) return undefined;
    const verdict = await store.verdict(key);
    if (verdict.target.environment !== environment || verdict.target.digest !== digest) {
        throw new EvidenceError(
            `${key} is a verdict of ${verdict.target.digest} in ${verdict.target.environment}, not of what its key names: it was not written by this project`,
        );
    }
    return { key, verdict };
}

/** Reads what the gate judges: the digest's newest verdict in `testedIn`, else the newest of any digest there. */
export async function newestEvidence(store: EvidenceStore, testedIn: string, digest: string): Promise<TestEvidence> {
    const found = await newestVerdict(store, testedIn, digest);
    if (found) return { found: "verdict", ...found };
    const newest = (await store.verdictKeys(testedIn))
        .map(({ key }) => ({ key, runId: runIdOfVerdictKey(key) }))
        .reduce<{ key: string; runId: string } | undefined>((latest, entry) => (latest === undefined || entry.runId > latest.runId ? entry : latest), undefined);
    if (newest === undefined) return { found: "nothing" };
    return { found: "other-digest", digest: digestOfVerdictKey(newest.key), runId: newest.runId };
}

const describeThreshold = ({ metric, expression }: ThresholdVerdict) => `${metric}: ${expression}`;

/** What the run's result file says went wrong, when it says it (the merged result's `run.errors`). */
function runErrors(verdict: Verdict): string[] {
    const run = verdict.result.run;
    const errors = typeof run === "object" && run !== null && "errors" in run ? run.errors : undefined;
    return Array.isArray(errors) ? errors.filter((error): error is string => typeof error === "string") : [];
}

/**
 * Judges the evidence for a requirement at `now`: accepted with the evidence a promotion record keeps, or refused
 * with a message naming what is missing and ending with what to do.
 */
export function judge(
    request: GateRequest,
    requirement: Extract<GateRequirement, { required: true }>,
    evidence: TestEvidence,
    release: Pick<ReleaseConfig, "verdictMaxAgeHours">,
    now: Date,
): GateDecision {
    const { testedIn } = requirement;
    const needs = `${request.to} needs a passing load test of ${shortDigest(request.digest)} in ${testedIn}`;
    const refuse = (reason: RefusalReason, problem: string): GateDecision => ({
        outcome: "refused",
        reason,
        message: [
            `${needs}, ${problem}`,
            `Run the load test against ${testedIn} (npm run loadtest -- --stack loadgen --target ${testedIn} k6/load.ts), then promote again;`,
            `or promote without it, and your reason is recorded: npm run promote -- ${request.from} ${request.to} --without-load-test "<reason>"`,
        ].join("\n"),
    });
    if (evidence.found === "nothing") return refuse("no-run", `and ${testedIn} has no load-test verdict at all.`);
    if (evidence.found === "other-digest") {
        return refuse(
            "other-digest",
            `but it was never tested there: ${testedIn}'s newest verdict is of ${shortDigest(evidence.digest)} ` +
                `(run ${evidence.runId}, started ${runIdTime(evidence.runId)}).`,
        );
    }
    const { key, verdict } = evidence;
    const run = `but its newest run there, ${verdict.runId} (finished ${formatTime(new Date(verdict.finishedAt))})`;
    if (verdict.verdict === "failed") {
        // Thresholds that held with a task whose every request failed still fail the run (loadtest's report.ts): its errors say why.
        const failed = verdict.thresholds.filter((threshold) => !threshold.ok).map(describeThreshold);
        const why = failed.length > 0 ? failed : runErrors(verdict);
        return refuse("failed", `${run}, failed: ${why.length > 0 ? why.join("; ") : "the verdict names no threshold and no error"}.`);
    }
    if (verdict.verdict === "incomplete") {
        const errors = runErrors(verdict);
        return refuse("incomplete", `${run}, is incomplete: a segment is missing or was cut short${errors.length > 0 ? ` (${errors.join("; ")})` : ""}.`);
    }
    const age = now.getTime() - Date.parse(verdict.finishedAt);
    if (age > release.verdictMaxAgeHours * 3_600_000) {
        return refuse(
            "stale",
            `${run}, passed ${formatAge(age)} ago: older than ${MAX_AGE_KEY} (${release.verdictMaxAgeHours} hours) allows.`,
        );
    }
    return {
        outcome: "accepted",
        loadTest: {
            status: "passed",
            testedIn,
            runId: verdict.runId,
            finishedAt: verdict.finishedAt,
            verdictKey: key,
            ...(verdict.reportKey ? { reportKey: verdict.reportKey } : {}),
        },
    };
}

/**
 * The gate as a promotion calls it, after every read and before any write: the load-test evidence the promotion
 * record keeps, or a GateRefusal. `withoutLoadTest` (a reason) passes over a required verdict; the caller has made
 * sure it is only given for a gated environment.
 */
export async function checkLoadTest(
    store: EvidenceStore,
    request: GateRequest,
    release: Pick<ReleaseConfig, "gatedEnvironments" | "verdictMaxAgeHours">,
    environments: readonly string[],
    now: () => Date,
    withoutLoadTest?: string,
): Promise<LoadTestEvidence> {
    const requirement = gateRequirement(request.to, release, environments, request.digest);
    if (!requirement.required) return { status: "not-required" };
    if (withoutLoadTest !== undefined) return { status: "skipped", testedIn: requirement.testedIn, reason: withoutLoadTest };
    const decision = judge(request, requirement, await newestEvidence(store, requirement.testedIn, request.digest), release, now());
    if (decision.outcome === "refused") throw new GateRefusal(decision.reason, decision.message);
    return decision.loadTest;
}
