import { EvidenceLocation, objectLinks, promotionPrefix } from "../release/evidence-store";
import type { LoadTestEvidence } from "../release/promotion-record";
import type { Verdict } from "../release/verdict";
import { shortDigest } from "../release/verdict";
import { formatAge, formatTime } from "./gate";
import type { PromotionHistoryEntry } from "./history";
import type { EnvironmentStatus, PromotionResult, ReleaseConventions, RollbackResult, TagMove } from "./promotion";
import { RepositoryLocation, repositoryUri } from "./registry";

/** What `npm run promote` prints: each result as lines of text. */

export interface FormattedResult {
    lines: string[];
    warnings: string[];
}

function describeMove({ environment, fromDigest, toDigest }: TagMove): string {
    return `${environment}: ${fromDigest ?? "(no image)"} → ${toDigest}`;
}

function rolloutHint(environment: string): string {
    return `Roll it out: pulumi up -s ${environment}`;
}

/** A promotion's load-test evidence in a few words. */
export function describeLoadTest(loadTest: LoadTestEvidence): string {
    switch (loadTest.status) {
        case "passed":
            return `passed: run ${loadTest.runId} in ${loadTest.testedIn}, finished ${formatTime(new Date(loadTest.finishedAt))}`;
        case "skipped":
            return `skipped: ${loadTest.reason}`;
        case "not-required":
            return "not required";
    }
}

/** The gate's answer under a promotion: what it accepted, or why it did not ask. */
function loadTestLine(loadTest: LoadTestEvidence | undefined, environment: string): string[] {
    if (loadTest === undefined) return [];
    const why = loadTest.status === "not-required" ? ` (${environment} is not in the shared stack's release.gatedEnvironments)` : "";
    return [`  load test: ${describeLoadTest(loadTest)}${why}`];
}

export function formatPromotion(result: PromotionResult): FormattedResult {
    const { from, move, historyTag, loadTest, warnings } = result;
    const recorded = (verb: string) => (historyTag ? [`  ${verb} the previous image as ${historyTag} (for --rollback ${move.environment})`] : []);
    const gate = loadTestLine(loadTest, move.environment);
    const lines = {
        unchanged: [`${move.environment} already points at ${move.toDigest}, the image ${from} names: nothing changed.`],
        planned: [`Dry run: would promote ${from} → ${move.environment}`, `  ${describeMove(move)}`, ...gate, ...recorded("would keep"), "Nothing was written."],
        moved: [`Promoted ${from} → ${move.environment}, verified`, `  ${describeMove(move)}`, ...gate, ...recorded("kept")],
    }[result.outcome];
    return { lines, warnings };
}

export function formatRollback(result: RollbackResult): FormattedResult {
    const { move, restored, consumedHistoryTags, warnings } = result;
    const details = [`  ${describeMove(move)}`, `  restored from ${restored.tag}; history tags used up: ${consumedHistoryTags.join(", ")}`];
    const lines = result.outcome === "planned" ? [`Dry run: would roll back ${move.environment}`, ...details, "Nothing was written."] : [`Rolled back ${move.environment}, verified`, ...details];
    return { lines, warnings };
}

/** After a move: where its record went, and the rollout. */
export function recordedLines(evidence: EvidenceLocation, key: string, environment: string): string[] {
    return [`  recorded as ${objectLinks(evidence, key).uri}`, rolloutHint(environment)];
}

/** The LOAD TEST cell of --status: the newest verdict of the environment's digest, tested in that environment. */
export function loadTestCell(verdict: Verdict | undefined, now: Date): string {
    if (verdict === undefined) return "none";
    return `${verdict.verdict} ${verdict.runId} (${formatAge(now.getTime() - Date.parse(verdict.finishedAt))} ago)`;
}

export function formatStatus(location: RepositoryLocation, statuses: EnvironmentStatus[], loadTests: string[]): string[] {
    const rows = statuses.map(({ environment, image, rollbackTarget }, index) => [
        environment,
        image?.digest ?? "(no image)",
        image?.pushedAt?.toISOString() ?? "",
        image?.versionTags.join(" ") ?? "",
        rollbackTarget ? `${rollbackTarget.digest} (${rollbackTarget.tag})` : "(nothing recorded)",
        loadTests[index],
    ]);
    return [
        `Repository ${repositoryUri(location)}`,
        ...alignColumns([["ENVIRONMENT", "DIGEST", "PUSHED", "VERSION TAGS", "ROLLBACK TO", "LOAD TEST"], ...rows]),
    ];
}

function alignColumns(rows: string[][]): string[] {
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}

/** A link to an object in the evidence bucket: its s3:// URI, and the S3 console's page under it. */
function linkLines(label: string, evidence: EvidenceLocation, key: string): string[] {
    const { uri, console } = objectLinks(evidence, key);
    return [`    ${label}${uri}`, `    ${" ".repeat(label.length)}${console}`];
}

/** --history: one block per promotion, newest first. */
export function formatHistory(environment: string, evidence: EvidenceLocation, entries: PromotionHistoryEntry[]): string[] {
    if (entries.length === 0) return [`No promotion into ${environment} is recorded, and the registry has no history tag of it.`];
    const lines = [`Promotions into ${environment}, newest first (records in ${objectLinks(evidence, promotionPrefix(environment)).uri})`];
    for (const entry of entries) {
        const at = formatTime(entry.at);
        if ("unrecorded" in entry) {
            const { tag, digest } = entry.unrecorded;
            lines.push(`${at}  (no record)  the promotion kept the previous image ${shortDigest(digest)} as ${tag}`);
            continue;
        }
        const { record } = entry.recorded;
        lines.push(`${at}  ${record.kind}  ${record.from} → ${environment}  ${shortDigest(record.digest)}  by ${record.by}`);
        lines.push(`    load test: ${describeLoadTest(record.loadTest)}`);
        if (record.loadTest.status === "passed") {
            const { reportKey, verdictKey } = record.loadTest;
            lines.push(...(reportKey ? linkLines("report:    ", evidence, reportKey) : linkLines("verdict:   ", evidence, verdictKey)));
        }
    }
    return lines;
}

export function formatRegistry(location: RepositoryLocation, conventions: ReleaseConventions): string[] {
    return [
        `repositoryUri=${repositoryUri(location)}`,
        `region=${location.region}`,
        `registryId=${location.registryId}`,
        `repositoryName=${location.repositoryName}`,
        `versionTagPrefix=${conventions.versionTagPrefix}`,
        `firstEnvironment=${conventions.environments[0]}`,
    ];
}
