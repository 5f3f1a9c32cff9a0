/**
 * `npm run loadtest -- ...`: one k6 test split into execution segments over Fargate tasks of one or more loadgen
 * stacks (or local k6 processes with --local), merged into one result. See USAGE (args.ts) and
 * docs/distributed-load.md. Parsing (args.ts) and the plan (plan.ts) are pure; this file does the effects.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { createInterface } from "node:readline/promises";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { STSClient } from "@aws-sdk/client-sts";
import { compactTimestamp } from "../../k6/lib/summary";
import { LoadgenStackOutputs, RUNNER_ENV, runKeys } from "../../loadgen/src/contract";
import { K6_IMAGE, runnerImageTag } from "../../loadgen/src/image";
import { parseK6Version } from "../../loadgen/src/k6-version";
import { RunManifest, manifestSchema, parseRunObject } from "../../loadgen/src/protocol";
import { DirectoryRunStore, RunStore, S3RunStore, runStoreS3Client } from "../../loadgen/src/run-store";
import { abortableSleep } from "../../loadgen/src/runner";
import { validateThresholds } from "../../loadgen/src/thresholds";
import { Connection, clientConfig } from "../aws-connection";
import { usageErrorText } from "../cli-usage";
import { EvidenceError, EvidenceLocation, verdictPrefix } from "../release/evidence-store";
import { jobSummary } from "../release/job-summary";
import { RunTarget } from "../release/verdict";
import { readingLine } from "../stack-file";
import { observeTimeline } from "../timeline/observe/observe";
import { renderReport } from "../timeline/report/report";
import { InputError, Timeline, unreadableInput } from "../timeline/timeline";
import { Invocation, LOADTEST_USAGE, TargetRequest, USAGE, UsageError, connectionTo, parseInvocation } from "./args";
import { BuildImageError, buildRunnerImage, runProcess, taskDefinitionAdvice } from "./build-image";
import { ecsLauncher } from "./ecs-launcher";
import { EcsRunTasks } from "./ecs-tasks";
import { K6CliError, archiveScript, inspectArchive, k6Binary, printedK6Version } from "./k6-cli";
import { LocalLauncher } from "./local-launcher";
import { RunGroup, RunOutcome, executeRun } from "./orchestrate";
import { LOCAL_STACK, RunPlan, SELF_STOP_SECONDS, StackTarget, formatPlan, manifestFor, planRun } from "./plan";
import { preflight } from "./preflight";
import {
    EvidenceClients,
    Observation,
    RecordContext,
    RecordError,
    evidencePaths,
    observeRun,
    parseObservedTimeline,
    recordCommand,
    recordVerdict,
    recordableTarget,
} from "./record";
import { RunCollector, RunDescription, StackTaskSize, defaultResultPath, describeRun, formatReport, resultFile } from "./report";
import { LoadtestResult, RESULT_FILE_HINT, ReadResult, ResultFileError, parseResultFile } from "./result-file";
import { ResultWatch } from "./results";
import { PROJECT_DIR, StackOutputsError, StackOutputsReader, automationApiOutputs, readLoadgenOutputs } from "./stack-outputs";
import { TargetError, evidenceLocationFor, resolveTarget, sharedStackFileOf } from "./target";

export const EXIT = { passed: 0, failed: 1, badInput: 2, thresholdsFailed: 99, interrupted: 130 } as const;

const ROLE_SESSION_NAME = "ecs-loadlab-loadtest";
/** How often the command looks at the tasks and the run's objects. */
const POLL_MS = 2000;
const LOCAL_POLL_MS = 250;
/** Without a terminal, the progress line is printed when it changes, or at least this often. */
const PROGRESS_EVERY_MS = 30_000;

/** The command's outside world; tests pass their own. Observing and recording a verdict use RecordContext's part. */
export interface CommandContext extends RecordContext {
    print(line: string): void;
    printError(line: string): void;
    /** Standard output is a terminal: progress is redrawn in place and a costly run asks before it starts. */
    interactive: boolean;
    ask(question: string): Promise<string>;
    readOutputs: StackOutputsReader;
    /** A loadgen stack's clients. */
    clients(connection: Connection): AwsClients;
    /** Aborted on Ctrl-C, SIGTERM or SIGHUP. */
    interrupt: AbortSignal;
    env: NodeJS.ProcessEnv;
    now(): Date;
}

export interface AwsClients {
    ecs: ECSClient;
    s3: S3Client;
    ecr: ECRClient;
    serviceQuotas: ServiceQuotasClient;
    cloudWatch: CloudWatchClient;
}

/**
 * The command's S3 calls may carry the archive (a script with its data files) over a home uplink: a longer deadline
 * than a task's, still well inside the heartbeat's staleness limit, so a hung heartbeat write cannot stop the tasks.
 */
const COMMAND_S3_REQUEST_TIMEOUT_MS = 25_000;
const COMMAND_S3_CALL_TIMEOUT_MS = 30_000;

/** A stack's bucket as the command's store, with the command's deadline. */
function commandStore(s3: S3Client, outputs: LoadgenStackOutputs): S3RunStore {
    return new S3RunStore(s3, outputs.bucketName, { callTimeoutMs: COMMAND_S3_CALL_TIMEOUT_MS });
}

function awsClients(connection: Connection): AwsClients {
    const config = clientConfig(connection, ROLE_SESSION_NAME);
    return {
        ecs: new ECSClient(config),
        s3: runStoreS3Client(connection.region, { ...config, requestTimeoutMs: COMMAND_S3_REQUEST_TIMEOUT_MS }),
        ecr: new ECRClient(config),
        serviceQuotas: new ServiceQuotasClient(config),
        cloudWatch: new CloudWatchClient(config),
    };
}

function evidenceClients(connection: Connection): EvidenceClients {
    const config = clientConfig(connection, ROLE_SESSION_NAME);
    return { s3: new S3Client(config), sts: new STSClient(config) };
}

export function newRunId(now: Date): string {
    return `lt-${compactTimestamp(now)}-${randomBytes(2).toString("hex")}`;
}

class CommandError extends Error {
    constructor(
        message: string,
        readonly exitCode: number,
    ) {
        super(message);
    }
}

async function readStacks(names: string[], context: CommandContext): Promise<StackTarget[]> {
    const targets: StackTarget[] = [];
    for (const name of names) {
        try {
            targets.push({ name, outputs: await readLoadgenOutputs(name, context.readOutputs) });
        } catch (error) {
            if (error instanceof StackOutputsError) throw new CommandError(error.message, EXIT.badInput);
            throw error;
        }
    }
    return targets;
}

/** The progress line: redrawn on a terminal; otherwise printed when it says something new, or every 30 s. */
function progressReporter(context: CommandContext): { progress(line: string, key: string): void; print(line: string): void } {
    let drawn = false;
    let lastKey = "";
    let lastPrinted = 0;
    const clear = () => {
        if (drawn) process.stdout.write("\r\x1b[2K");
        drawn = false;
    };
    return {
        progress(line, key) {
            if (context.interactive) {
                clear();
                process.stdout.write(line);
                drawn = true;
            } else if (key !== lastKey || context.now().getTime() - lastPrinted >= PROGRESS_EVERY_MS) {
                context.print(line);
                lastPrinted = context.now().getTime();
            }
            lastKey = key;
        },
        print(line) {
            clear();
            context.print(line);
        },
    };
}

/** The deployed runner must be this checkout's: the merge reads what this checkout's runner records. */
function checkRunnerImage(target: StackTarget): void {
    const advice = taskDefinitionAdvice(target.outputs, `${target.outputs.repositoryUrl}:${runnerImageTag()}`, target.name);
    if (advice !== undefined) {
        throw new CommandError(`${advice}; push this image first if it is not there: npm run loadtest -- build-image --stack ${target.name}`, EXIT.failed);
    }
}

/**
 * The local k6 packs and inspects the script that the image's k6 runs: a run on AWS needs both of one major version
 * (what a script may use, and the archive's options, change between majors). `--local` runs the local k6 alone.
 */
async function checkK6Version(binary: string, local: boolean): Promise<string> {
    const printed = await printedK6Version(binary, PROJECT_DIR);
    const version = parseK6Version(printed);
    const image = parseK6Version(K6_IMAGE);
    if (version === undefined || image === undefined) throw new K6CliError(`cannot tell which k6 "${printed}" is`);
    if (version.major < 1) throw new K6CliError(`${printed}: the load runner needs k6 v1 or later`);
    if (!local && version.major !== image.major) {
        throw new K6CliError(
            `the local k6 is ${version.text} but the runner image runs ${image.text} (${K6_IMAGE.split("@")[0]}): the script is packed and inspected ` +
                `by the local one, so both must be k6 v${image.major}: install k6 v${image.major} here (or point K6_BINARY at one)`,
        );
    }
    return printed;
}

async function confirm(plan: RunPlan, invocation: Extract<Invocation, { kind: "run" }>, context: CommandContext): Promise<void> {
    if (!plan.needsConfirmation || invocation.yes) return;
    const amount = `$${plan.totalUsd?.toFixed(2)} is above --confirm-above $${invocation.confirmAboveUsd.toFixed(2)}`;
    if (!context.interactive) throw new CommandError(`the estimated ${amount}: pass --yes to start it without asking`, EXIT.badInput);
    const answer = await context.ask(`The estimated ${amount}. Start the run? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CommandError("not started", EXIT.passed);
}

interface RunPaths {
    runId: string;
    archivePath: string;
    script: string;
}

/** --target, read before anything starts: the environment and its image, and where the verdict goes (none: not recorded). */
export interface PreparedTarget {
    target: RunTarget;
    evidence?: { location: EvidenceLocation; accountId: string };
}

async function prepareTarget(request: TargetRequest, local: boolean, context: CommandContext): Promise<PreparedTarget> {
    const { target, stackFile } = await resolveTarget(request.stack, context.readOutputs);
    context.printError(readingLine({ name: request.stack, file: stackFile }));
    if (!request.record || local) return { target };
    const { location, shared } = evidenceLocationFor(sharedStackFileOf(request.sharedStackFile), target.environment);
    return { target, evidence: { location, accountId: shared.aws.accountId } };
}

/** The plan's line on what happens after a --target run. */
function afterRunLine(request: TargetRequest, prepared: PreparedTarget): string {
    const { environment } = prepared.target;
    if (!request.record) return `  --no-record: ${environment} is not observed after the run, and no verdict is recorded`;
    if (prepared.evidence === undefined) {
        return `  After the run: ${environment} is observed; a --local run's verdict is not recorded (its k6 is this machine's, not the runner image's)`;
    }
    const { location, accountId } = prepared.evidence;
    return `  After the run: ${environment} is observed, and the verdict recorded in s3://${location.bucket}/${verdictPrefix(environment, prepared.target.digest)} (account ${accountId}, ${location.region})`;
}

/** The loadgen stacks' task sizes, for the result (what its summary prices). */
function taskSizesOf(targets: readonly StackTarget[]): Record<string, StackTaskSize> {
    return Object.fromEntries(targets.map(({ name, outputs }) => [name, { region: outputs.region, taskCpu: outputs.taskCpu, taskMemory: outputs.taskMemory }]));
}

/** Checks k6, packs and inspects the script, reads the stacks, prints the plan, checks quotas and asks when it costs. */
async function prepareRun(
    invocation: Extract<Invocation, { kind: "run" }>,
    context: CommandContext,
    { runId, archivePath, script }: RunPaths,
): Promise<{ plan: RunPlan; binary: string; k6Version: string; clients: Map<string, AwsClients>; target?: PreparedTarget } | undefined> {
    const binary = k6Binary(context.env);
    const k6Version = await checkK6Version(binary, invocation.local);
    const target = invocation.target === undefined ? undefined : await prepareTarget(invocation.target, invocation.local, context);
    // --target's url is the run's BASE_URL (args.ts refuses a -e BASE_URL beside it).
    const env: [string, string][] = target === undefined ? invocation.env : [...invocation.env, ["BASE_URL", target.target.url]];
    context.print(`Packing ${invocation.script} with ${k6Version.split(" (")[0]}...`);
    await archiveScript(binary, path.resolve(invocation.script), env, archivePath, PROJECT_DIR);
    const requirements = await inspectArchive(binary, archivePath, PROJECT_DIR);
    const problems = validateThresholds(requirements.thresholds);
    if (problems.length > 0) throw new CommandError(`the script's thresholds cannot be judged:\n  ${problems.join("\n  ")}`, EXIT.badInput);

    const stacks = invocation.local ? "local" : await readStacks(invocation.stacks, context);
    if (stacks !== "local") for (const target of stacks) checkRunnerImage(target);
    const baseUrl = env.find(([name]) => name === "BASE_URL")?.[1] ?? "the script's default BASE_URL";
    const plan = planRun({
        runId,
        script,
        baseUrl,
        ...(target ? { target: target.target } : {}),
        tasks: invocation.tasks,
        spot: invocation.spot,
        stacks,
        requirements,
        confirmAboveUsd: invocation.confirmAboveUsd,
    });
    for (const line of formatPlan(plan)) context.print(line);
    if (invocation.target !== undefined && target !== undefined) context.print(afterRunLine(invocation.target, target));
    const clients = new Map(stacks === "local" ? [] : stacks.map((target) => [target.name, context.clients(connectionTo(target.outputs, invocation.aws))]));
    if (stacks !== "local") {
        const checked = await preflight(plan, (stack) => clients.get(stack) as AwsClients, context.now());
        for (const warning of checked.warnings) context.print(`  ! ${warning}`);
        if (checked.refusals.length > 0) throw new CommandError(`Not started:\n  ✗ ${checked.refusals.join("\n  ✗ ")}`, EXIT.failed);
    }
    if (invocation.dryRun) {
        context.print("Dry run: nothing started.");
        return undefined;
    }
    await confirm(plan, invocation, context);
    return { plan, binary, k6Version, clients, ...(target ? { target } : {}) };
}

interface RunResources {
    clients: Map<string, AwsClients>;
    runDir: string;
    binary: string;
    k6Version: string;
    log(line: string): void;
}

function runGroups(plan: RunPlan, spot: boolean, resources: RunResources): RunGroup[] {
    return plan.groups.map((group) => {
        if (group.outputs === undefined) {
            const store = new DirectoryRunStore(localStorePath(resources.runDir));
            const launcher = new LocalLauncher({ runId: plan.runId, store, runDir: resources.runDir, k6Binary: resources.binary, k6Version: resources.k6Version, pollMs: LOCAL_POLL_MS, log: resources.log });
            return { group, store, launcher };
        }
        const clients = resources.clients.get(group.stack) as AwsClients;
        const tasks = new EcsRunTasks(clients.ecs, {
            stack: group.stack,
            outputs: group.outputs,
            runId: plan.runId,
            spot,
            environment: { [RUNNER_ENV.runId]: plan.runId },
        });
        const store = commandStore(clients.s3, group.outputs);
        return { group, store, launcher: ecsLauncher(tasks, { runId: plan.runId, stack: group.stack }) };
    });
}

/** A local run's directory store: `k6/results/<run id>/store`, which `merge <folder>` reads again. */
function localStorePath(runDir: string): string {
    return path.join(runDir, "store");
}

async function runLoadTest(invocation: Extract<Invocation, { kind: "run" }>, context: CommandContext): Promise<number> {
    if (!existsSync(invocation.script)) throw new CommandError(`${invocation.script} does not exist: name a k6 script such as k6/load.ts`, EXIT.badInput);
    const script = path.parse(invocation.script).name;
    const runId = newRunId(context.now());
    const runDir = path.resolve(PROJECT_DIR, "k6", "results", runId);
    await mkdir(runDir, { recursive: true });
    const archivePath = path.join(runDir, "archive.tar");
    // Until the run starts, its directory holds only the archive: nothing to keep when it does not start.
    const prepared = await prepareRun(invocation, context, { runId, archivePath, script }).catch(async (error: unknown) => {
        await rm(runDir, { recursive: true, force: true });
        throw error;
    });
    if (prepared === undefined) {
        await rm(runDir, { recursive: true, force: true });
        return EXIT.passed;
    }
    const { plan, binary, k6Version, clients, target } = prepared;
    const reporter = progressReporter(context);
    const groups = runGroups(plan, invocation.spot, { clients, runDir, binary, k6Version, log: (line) => reporter.print(`  ${line}`) });
    // Every group's manifest says the same of the run but its segments.
    const loadgens = plan.groups.flatMap((group) => (group.outputs ? [{ name: group.stack, outputs: group.outputs }] : []));
    const description = describeRun(manifestFor(plan, plan.groups[0]), loadgens.length > 0 ? { taskSizes: taskSizesOf(loadgens) } : {});
    const collector = new RunCollector(description);
    const outcome = await executeRun(plan, groups, await readFile(archivePath), (stack, result) => collector.collect(stack, result), {
        sleep: abortableSleep,
        print: reporter.print,
        progress: reporter.progress,
        interrupt: context.interrupt,
        pollMs: invocation.local ? LOCAL_POLL_MS : POLL_MS,
    });
    reporter.print("");
    for (const line of outcome.stopped) context.print(`  ${line}`);
    if (outcome.kind === "not-started") {
        if (outcome.interrupted) {
            context.printError("Interrupted before the run began: every task of it is stopped.");
            return EXIT.interrupted;
        }
        for (const error of outcome.errors) context.printError(`✗ ${error}`);
        return EXIT.failed;
    }
    const { exit, jsonPath } = await writeReport(description, collector, outcome, invocation.out, context);
    if (!outcome.interrupted) {
        return invocation.target?.record && target !== undefined ? afterTargetRun(jsonPath, exit, invocation, target, context) : exit;
    }
    const again = invocation.local ? path.relative(process.cwd(), runDir) : `${plan.runId} ${plan.groups.map((group) => `--stack ${group.stack}`).join(" ")}`;
    context.printError(`Interrupted: every task of the run is stopped. What they uploaded is merged above; to merge again later: npm run loadtest -- merge ${again}`);
    if (target?.evidence !== undefined) {
        context.printError(`Not observed or recorded (interrupted); to record its incomplete verdict: ${recordCommand(jsonPath, false, recordAccess(invocation))}`);
    }
    return EXIT.interrupted;
}

/** What a record command needs to reach the accounts the run's command did. */
function recordAccess(invocation: Extract<Invocation, { kind: "run" }>) {
    return { ...(invocation.target?.sharedStackFile !== undefined ? { sharedStackFile: invocation.target.sharedStackFile } : {}), aws: invocation.aws };
}

/**
 * After a --target run: the environment observed for the run's window, then the verdict recorded (never a --local
 * run's). The result is kept whatever fails here; a verdict that could not be recorded makes the exit status 1,
 * unless the run's own already says it failed, and the command prints the record command that redoes it.
 */
export async function afterTargetRun(
    jsonPath: string,
    exit: number,
    invocation: Extract<Invocation, { kind: "run" }>,
    prepared: PreparedTarget,
    context: CommandContext,
): Promise<number> {
    const read = await readResultFile(jsonPath);
    const observation = await observeRun(jsonPath, read.result, prepared.target, invocation.aws, context);
    if (prepared.evidence === undefined) {
        context.print("Not recorded: a --local run is a check, not evidence (its k6 is this machine's, not the runner image's pinned k6, and its load left from here).");
        return exit;
    }
    try {
        await recordVerdict(read, prepared.target, observation, prepared.evidence, invocation.aws, context);
        return exit;
    } catch (error) {
        context.printError(`✗ The verdict was not recorded: ${error instanceof Error ? error.message : String(error)}`);
        const written = observation.timeline !== null && observation.written;
        context.printError(`The result is kept in ${jsonPath}. To record it: ${recordCommand(jsonPath, written, recordAccess(invocation))}`);
        return exit === EXIT.passed ? EXIT.failed : exit;
    }
}

/** Merges what was collected, prints it, writes the JSON; the exit status says the verdict. */
async function writeReport(
    description: RunDescription,
    collector: RunCollector,
    outcome: Extract<RunOutcome, { kind: "ran" }> | { startedAt: Date; errors: string[] },
    out: string | undefined,
    context: CommandContext,
): Promise<{ exit: number; jsonPath: string }> {
    const report = collector.report(outcome.errors, outcome.startedAt);
    const jsonPath = out ?? defaultResultPath(description.script, new Date(report.window.finishedAt));
    await mkdir(path.dirname(path.resolve(jsonPath)), { recursive: true });
    await writeFile(jsonPath, resultFile(description, report));
    for (const line of formatReport(description, report, jsonPath)) context.print(line);
    if (report.errors.length > 0 || report.verdict === "incomplete") return { exit: EXIT.failed, jsonPath };
    return { exit: report.verdict === "passed" ? EXIT.passed : EXIT.thresholdsFailed, jsonPath };
}

/** The stores a run used: its S3 buckets (with each stack's outputs), or the folder of a local run. */
async function runStores(
    invocation: Extract<Invocation, { kind: "merge" }>,
    context: CommandContext,
): Promise<{ stack: string; store: RunStore; target?: StackTarget }[]> {
    if (invocation.folder !== undefined) {
        const storePath = localStorePath(path.resolve(invocation.folder));
        if (!existsSync(storePath)) throw new CommandError(`${invocation.folder} is not a local run's folder (it has no store/): name k6/results/<run id>`, EXIT.badInput);
        return [{ stack: LOCAL_STACK, store: new DirectoryRunStore(storePath) }];
    }
    return (await readStacks(invocation.stacks, context)).map((target) => ({
        stack: target.name,
        store: commandStore(context.clients(connectionTo(target.outputs, invocation.aws)).s3, target.outputs),
        target,
    }));
}

async function readManifest(store: RunStore, runId: string | undefined): Promise<RunManifest> {
    if (runId === undefined) {
        const runs = [...new Set((await store.list("runs/")).map((key) => key.split("/")[1]))];
        if (runs.length !== 1) throw new CommandError(`${store.location} holds ${runs.length} runs, not one: name the run id`, EXIT.badInput);
        runId = runs[0];
    }
    const key = runKeys(runId).manifest;
    const object = await store.get(key);
    if (object === undefined) throw new CommandError(`${store.location}/${key} does not exist: is ${runId} a run of this stack?`, EXIT.badInput);
    return parseRunObject(manifestSchema, `${store.location}/${key}`, object.body);
}

/** `merge`: the run merged again from what its tasks stored, as the command would have at its end. */
async function mergeRun(invocation: Extract<Invocation, { kind: "merge" }>, context: CommandContext): Promise<number> {
    const stores = await runStores(invocation, context);
    const manifests = await Promise.all(stores.map(({ store }) => readManifest(store, invocation.runId)));
    const loadgens = stores.flatMap(({ target }) => (target ? [target] : []));
    const description = describeRun(manifests[0], loadgens.length > 0 ? { taskSizes: taskSizesOf(loadgens) } : {});
    const given = new Set(stores.map(({ stack }) => stack));
    const absent = invocation.folder === undefined ? description.merge.stacks.filter(({ stack }) => !given.has(stack)) : [];
    if (absent.length > 0) {
        const missing = absent.map(({ stack, segments }) => `--stack ${stack} (segments ${segments.join(", ")})`).join(", ");
        throw new CommandError(`${description.runId} also ran in ${missing}: name every stack of the run, or its segments there count as missing`, EXIT.badInput);
    }
    const collector = new RunCollector(description);
    const watches = stores.map(({ stack, store }, index) => new ResultWatch(store, description.runId, stack, manifests[index].segments));
    for (const watch of watches) {
        context.print(`Reading the results of ${description.runId} in ${watch.store.location}...`);
        await watch.readNew((result) => collector.collect(watch.stack, result));
    }
    const errors = watches.flatMap((watch) => watch.errors());
    return (await writeReport(description, collector, { startedAt: new Date(0), errors }, invocation.out, context)).exit;
}

async function readTextInput(file: string, what: string, hint: string): Promise<string> {
    try {
        return await readFile(file, "utf8");
    } catch (error) {
        throw unreadableInput(error, file, what, hint);
    }
}

/** A result file, read and checked (bad input names the file). */
async function readResultFile(file: string): Promise<ReadResult> {
    return parseResultFile(await readTextInput(file, "result file", RESULT_FILE_HINT), file);
}

/** --observed: the run's observed timeline, read and checked against the run. */
async function readObservedTimeline(file: string, result: LoadtestResult): Promise<Timeline> {
    const hint = "pass the timeline a --target run wrote beside its result (<result>.observed.json), or one timeline observe --json wrote";
    return parseObservedTimeline(await readTextInput(file, "observed timeline", hint), file, result);
}

/** `record`: a finished --target run's verdict recorded, observed first unless its timeline is given. */
async function recordRun(invocation: Extract<Invocation, { kind: "record" }>, context: CommandContext): Promise<number> {
    const read = await readResultFile(invocation.resultFile);
    const target = recordableTarget(read.result, invocation.resultFile);
    // Where it goes is checked before anything is observed.
    const { location, shared } = evidenceLocationFor(sharedStackFileOf(invocation.sharedStackFile), target.environment);
    let observation: Observation;
    if (invocation.observedFile === undefined) {
        observation = await observeRun(invocation.resultFile, read.result, target, invocation.aws, context);
    } else {
        const timeline = await readObservedTimeline(invocation.observedFile, read.result);
        const html =
            invocation.htmlFile === undefined
                ? renderReport({ observed: timeline })
                : await readTextInput(invocation.htmlFile, "report", `pass the report beside the result (${evidencePaths(invocation.resultFile).html})`);
        observation = { timeline, html, written: true };
    }
    await recordVerdict(read, target, observation, { location, accountId: shared.aws.accountId }, invocation.aws, context);
    return EXIT.passed;
}

/** `summary`: the run's job summary, Markdown on stdout. */
async function printSummary(invocation: Extract<Invocation, { kind: "summary" }>, context: CommandContext): Promise<number> {
    const read = await readResultFile(invocation.resultFile);
    const observed =
        invocation.observedFile === undefined
            ? undefined
            : await readObservedTimeline(invocation.observedFile, read.result);
    context.print(jobSummary(read.result, observed, invocation.reportUrl === undefined ? {} : { reportUrl: invocation.reportUrl }).trimEnd());
    return EXIT.passed;
}

async function stopRun(invocation: Extract<Invocation, { kind: "stop" }>, context: CommandContext): Promise<number> {
    let stillRunning = 0;
    for (const target of await readStacks(invocation.stacks, context)) {
        const { ecs } = context.clients(connectionTo(target.outputs, invocation.aws));
        const tasks = new EcsRunTasks(ecs, { stack: target.name, outputs: target.outputs, runId: invocation.runId, spot: false, environment: {} });
        const result = await tasks.stopAll([], `npm run loadtest -- --stop ${invocation.runId}`);
        context.print(`${target.name}: ${result.stopped.length === 0 ? "no task of the run was running" : `stopped ${result.stopped.join(", ")}`}`);
        for (const status of result.stillRunning) context.printError(`${target.name}: ${status.taskArn} is still ${status.lastStatus}`);
        stillRunning += result.stillRunning.length;
    }
    return stillRunning === 0 ? EXIT.passed : EXIT.failed;
}

async function buildImage(invocation: Extract<Invocation, { kind: "build-image" }>, context: CommandContext): Promise<number> {
    for (const target of await readStacks(invocation.stacks, context)) {
        const { ecr } = context.clients(connectionTo(target.outputs, invocation.aws));
        const result = await buildRunnerImage({ stack: target.name, outputs: target.outputs, ecr, run: runProcess, log: context.print });
        context.print(`${target.name}: ${result.image} ${result.outcome === "pushed" ? "pushed" : "was already there"}`);
    }
    return EXIT.passed;
}

/** Errors that are the user's input (exit 2), and expected failures (exit 1): printed as they are, without a stack trace. */
const BAD_INPUT_ERRORS = [K6CliError, StackOutputsError, TargetError, ResultFileError, InputError];
const FAILURE_ERRORS = [BuildImageError, RecordError, EvidenceError];

export async function main(argv: string[], context: CommandContext): Promise<number> {
    try {
        const invocation = parseInvocation(argv);
        switch (invocation.kind) {
            case "help":
                context.print(USAGE);
                return EXIT.passed;
            case "run":
                return await runLoadTest(invocation, context);
            case "stop":
                return await stopRun(invocation, context);
            case "build-image":
                return await buildImage(invocation, context);
            case "merge":
                return await mergeRun(invocation, context);
            case "record":
                return await recordRun(invocation, context);
            case "summary":
                return await printSummary(invocation, context);
        }
    } catch (error) {
        if (error instanceof UsageError) {
            context.printError(usageErrorText(error.message, LOADTEST_USAGE, argv));
            return EXIT.badInput;
        }
        if (error instanceof CommandError) {
            (error.exitCode === EXIT.passed ? context.print : context.printError)(error.message);
            return error.exitCode;
        }
        const badInput = BAD_INPUT_ERRORS.some((type) => error instanceof type);
        if (badInput || FAILURE_ERRORS.some((type) => error instanceof type)) {
            context.printError((error as Error).message);
            return badInput ? EXIT.badInput : EXIT.failed;
        }
        throw error;
    }
}

if (require.main === module) {
    const interrupt = new AbortController();
    let interrupts = 0;
    // A closed terminal (SIGHUP) is an interruption like Ctrl-C: the tasks are stopped, not left to the heartbeat.
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.on(signal, () => {
            interrupts++;
            if (interrupts > 1) {
                console.error(`Leaving now: tasks still running stop on their own within ${SELF_STOP_SECONDS} s, once the heartbeat is stale.`);
                process.exit(EXIT.interrupted);
            }
            interrupt.abort();
        });
    }
    const context: CommandContext = {
        print: (line) => console.log(line),
        printError: (line) => console.error(line),
        interactive: process.stdout.isTTY === true && process.stdin.isTTY === true,
        ask: async (question) => {
            const prompt = createInterface({ input: process.stdin, output: process.stdout });
            try {
                return await prompt.question(question);
            } finally {
                prompt.close();
            }
        },
        readOutputs: automationApiOutputs,
        clients: awsClients,
        observe: observeTimeline,
        evidenceClients,
        interrupt: interrupt.signal,
        env: process.env,
        now: () => new Date(),
    };
    main(process.argv.slice(2), context).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error);
            process.exit(EXIT.failed);
        },
    );
}
