/**
 * After a --target run (and `npm run loadtest -- record`): the environment observed for the run's window with
 * `timeline observe`'s own code, its timeline and report written beside the result, and the verdict recorded in the
 * shared account's evidence bucket (scripts/release/evidence-store.ts), bound to the digest the run tested.
 *
 *   result file ─► run.target (environment, url, image, digest), the window, the verdict, the thresholds
 *   observe ────► Timeline (or none, and why: the verdict is recorded with observed: null)
 *   STS ────────► who records it;  S3 ► verdicts/<environment>/<digest>/<run id>.json, and .html beside it
 *
 * The verdict itself (verdictOf) is pure; observing and recording are the effects, each with its own clients: the
 * target account's for observing, the shared account's for recording (each with the --role-arn given for it).
 */
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { PERIOD_SECONDS } from "../../components/metrics";
import { thresholdResults } from "../../k6/lib/summary";
import { abortableSleep } from "../../loadgen/src/runner";
import { Connection } from "../aws-connection";
import { EvidenceError, EvidenceLocation, EvidenceStore, objectLinks } from "../release/evidence-store";
import { callerArn } from "../release/identity";
import { RunTarget, VERDICT_SCHEMA_VERSION, Verdict, verdictSchema } from "../release/verdict";
import { StackOutputsReader } from "../stack-outputs";
import type { ObserveDeps, ObserveRequest } from "../timeline/observe/observe";
import { PUBLICATION_DELAY_SECONDS } from "../timeline/observe/observe";
import { alignWindow } from "../timeline/observe/window";
import { renderReport } from "../timeline/report/report";
import { InputError, Timeline, parseTimeline } from "../timeline/timeline";
import { AwsAccess, connectionTo } from "./args";
import { LoadtestResult, ReadResult, isLocalRun } from "./result-file";
import { TargetError, readTargetStackFile } from "./target";

/** The shared account's clients a verdict is recorded with. */
export interface EvidenceClients {
    s3: S3Client;
    sts: STSClient;
}

/** What observing and recording need of the command's outside world (main.ts's CommandContext has it all). */
export interface RecordContext {
    print(line: string): void;
    printError(line: string): void;
    readOutputs: StackOutputsReader;
    /** `timeline observe`'s code (scripts/timeline/observe/observe.ts observeTimeline); tests give it mocked clients. */
    observe(request: ObserveRequest, deps: Partial<ObserveDeps>): Promise<Timeline>;
    evidenceClients(connection: Connection): EvidenceClients;
    /** Ctrl-C: ends the wait for CloudWatch early. */
    interrupt: AbortSignal;
    now(): Date;
}

/** The observed timeline and its report (`written` beside the result, or not), or why there is none. */
export type Observation = { timeline: Timeline; html: string; written: boolean } | { timeline: null; note: string };

/** Where a run's observed timeline and report go: beside its result, `<result>.observed.json` and `<result>.report.html`. */
export function evidencePaths(resultFile: string): { observed: string; html: string } {
    const base = resultFile.replace(/\.json$/i, "");
    return { observed: `${base}.observed.json`, html: `${base}.report.html` };
}

/** The result's target, refused for a run that cannot be recorded: bad input. */
export function recordableTarget(result: LoadtestResult, source: string): RunTarget {
    if (isLocalRun(result)) {
        throw new TargetError(
            `${source} is a --local run: its verdict is not recorded (its k6 was this machine's, not the runner image's pinned k6, and its load left from here): ` +
                "run it from a loadgen stack with --stack <name> --target <environment stack>",
        );
    }
    if (result.run.target === undefined) {
        throw new TargetError(
            `${source} has no run.target: record needs a run with --target <stack> (the environment, and the image its verdict is bound to)`,
        );
    }
    return result.run.target;
}

/**
 * A timeline given with --observed, refused unless it is this run's observed timeline of its target: an observed
 * timeline (not a prediction) of the target's stack file, for the run's start.
 */
export function checkObservedTimeline(timeline: Timeline, result: LoadtestResult, source: string): Timeline {
    if (timeline.kind !== "observed") throw new InputError(`${source} is a ${timeline.kind} timeline: --observed takes the run's observed one (timeline observe --json)`);
    const target = result.run.target;
    if (target !== undefined && timeline.stack !== path.basename(readTargetStackFile(target.stack).stackFile)) {
        throw new InputError(`${source} was observed on ${timeline.stack}, but the run loaded stack ${target.stack}: pass the timeline observed for this run`);
    }
    const startedAt = timeline.assumptions.runStartedAt;
    if (typeof startedAt === "string" && Date.parse(startedAt) !== Date.parse(result.run.startedAt)) {
        throw new InputError(`${source} was observed for a run started at ${startedAt}, not this one (${result.run.startedAt}): pass the timeline observed for this run`);
    }
    return timeline;
}

/** Reads a timeline file for --observed; bad input names the file. */
export function parseObservedTimeline(text: string, source: string, result: LoadtestResult): Timeline {
    return checkObservedTimeline(parseTimeline(text, source), result, source);
}

/** Waits until CloudWatch has published the run's last minute (observe's own rule), unless Ctrl-C says not to. */
async function waitForCloudWatch(result: LoadtestResult, environment: string, context: RecordContext): Promise<void> {
    const window = alignWindow({ startedAt: new Date(result.run.startedAt), finishedAt: new Date(result.run.finishedAt) }, PERIOD_SECONDS);
    const waitMs = window.end.getTime() + PUBLICATION_DELAY_SECONDS * 1000 - context.now().getTime();
    if (waitMs <= 0) return;
    context.print(`Waiting ${Math.ceil(waitMs / 1000)} s for CloudWatch to publish the run's last minute before observing ${environment} (Ctrl-C: observe now)...`);
    await abortableSleep(waitMs, context.interrupt);
}

/**
 * Observes the target for the run's window (with the --role-arn given for its account), and writes the timeline and
 * its report beside the result. Never throws: a failure is the observation's note, and the verdict is recorded
 * without a timeline.
 */
export async function observeRun(resultFile: string, result: LoadtestResult, target: RunTarget, aws: AwsAccess, context: RecordContext): Promise<Observation> {
    let timeline: Timeline;
    try {
        const { stackFile, config } = readTargetStackFile(target.stack);
        await waitForCloudWatch(result, target.environment, context);
        context.print(`Observing ${target.environment} (${path.basename(stackFile)}) for the run's window...`);
        const { profile, roleArn } = connectionTo(config.aws, aws);
        const request: ObserveRequest = { stackFile, summaryFile: resultFile, ...(profile !== undefined ? { profile } : {}), ...(roleArn !== undefined ? { roleArn } : {}) };
        timeline = await context.observe(request, { readStackOutputs: context.readOutputs, progress: (line) => context.print(`  ${line}`), now: () => context.now() });
    } catch (error) {
        const note = `observing ${target.environment} failed: ${error instanceof Error ? error.message : String(error)}`;
        context.printError(`! ${note}`);
        return { timeline: null, note };
    }
    const html = renderReport({ observed: timeline });
    const paths = evidencePaths(resultFile);
    try {
        await writeFile(paths.observed, `${JSON.stringify(timeline, null, 2)}\n`);
        await writeFile(paths.html, html);
        context.print(`Wrote ${paths.observed} and ${paths.html}`);
        return { timeline, html, written: true };
    } catch (error) {
        // The verdict still carries the timeline and its report.
        context.printError(`! cannot write the observed timeline beside the result: ${error instanceof Error ? error.message : String(error)}`);
        return { timeline, html, written: false };
    }
}

/** The verdict of a run, from its result file and what was observed. Pure. */
export function verdictOf(read: ReadResult, target: RunTarget, observation: Observation, recordedBy: string, recordedAt: Date): Verdict {
    const { run, k6 } = read.result;
    return verdictSchema.parse({
        schemaVersion: VERDICT_SCHEMA_VERSION,
        target,
        runId: run.settings.runId,
        script: run.script,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        recordedAt: recordedAt.toISOString(),
        recordedBy,
        verdict: run.verdict,
        thresholds: thresholdResults(k6).map(({ metric, expression, ok }) => ({ metric, expression, ok })),
        segments: run.settings.distributed.segments,
        result: read.json,
        observed: observation.timeline,
        ...(observation.timeline === null ? { observedNote: observation.note } : {}),
    });
}

/** A failure to record: the AWS call or the bucket named, and what to do (exit 1). */
export class RecordError extends Error {}

/** Records the verdict in the evidence bucket with the shared account's credentials; prints where it is. */
export async function recordVerdict(
    read: ReadResult,
    target: RunTarget,
    observation: Observation,
    evidence: { location: EvidenceLocation; accountId: string },
    aws: AwsAccess,
    context: RecordContext,
): Promise<{ verdictKey: string; reportKey?: string }> {
    const connection = connectionTo({ region: evidence.location.region, accountId: evidence.accountId }, aws);
    const clients = context.evidenceClients(connection);
    let recordedBy: string;
    try {
        recordedBy = await callerArn(clients.sts);
    } catch (error) {
        throw new RecordError(
            `cannot tell who records the verdict (STS GetCallerIdentity in ${connection.region}${connection.roleArn ? `, as ${connection.roleArn}` : ""}): ` +
                `${error instanceof Error ? error.message : String(error)}`,
        );
    }
    const verdict = verdictOf(read, target, observation, recordedBy, context.now());
    let keys: { verdictKey: string; reportKey?: string };
    try {
        keys = await new EvidenceStore(clients.s3, evidence.location).putVerdict(verdict, observation.timeline === null ? undefined : observation.html);
    } catch (error) {
        // The store names the bucket, the key and what to do for what it knows (access denied, no bucket); the rest here.
        if (error instanceof EvidenceError) throw error;
        throw new RecordError(`cannot write the verdict to s3://${evidence.location.bucket} (${evidence.location.region}): ${error instanceof Error ? error.message : String(error)}`);
    }
    const where = (key: string) => {
        const links = objectLinks(evidence.location, key);
        return `${links.uri}\n    ${links.console}`;
    };
    context.print(`Recorded the ${verdict.verdict} verdict of ${verdict.runId} for ${target.environment} ${target.digest}, as ${recordedBy}:`);
    context.print(`  verdict: ${where(keys.verdictKey)}`);
    if (keys.reportKey !== undefined) context.print(`  report:  ${where(keys.reportKey)}`);
    if (observation.timeline === null) context.print(`  without an observed timeline: ${observation.note}`);
    return keys;
}

/** A word for a shell command line, quoted when it needs to be. */
function shellWord(word: string): string {
    return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The command that records the run again, with what was observed (when it was written) and the same access. */
export function recordCommand(resultFile: string, observed: boolean, options: { sharedStackFile?: string; aws: AwsAccess }): string {
    const paths = evidencePaths(resultFile);
    const words = [
        "npm run loadtest -- record",
        shellWord(resultFile),
        ...(observed ? ["--observed", shellWord(paths.observed), "--html", shellWord(paths.html)] : []),
        ...(options.sharedStackFile !== undefined ? ["--shared-stack-file", shellWord(options.sharedStackFile)] : []),
        ...(options.aws.profile !== undefined ? ["--profile", shellWord(options.aws.profile)] : []),
        ...options.aws.roleArns.flatMap((arn) => ["--role-arn", shellWord(arn)]),
    ];
    return words.join(" ");
}
