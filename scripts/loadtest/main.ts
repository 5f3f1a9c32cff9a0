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
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { compactTimestamp } from "../../k6/lib/summary";
import { LoadgenStackOutputs, RUNNER_ENV } from "../../loadgen/src/contract";
import { runnerImageTag } from "../../loadgen/src/image";
import { DirectoryRunStore, S3RunStore } from "../../loadgen/src/run-store";
import { abortableSleep } from "../../loadgen/src/runner";
import { validateThresholds } from "../../loadgen/src/thresholds";
import { Connection, clientConfig } from "../aws-connection";
import { AwsAccess, Invocation, USAGE, UsageError, parseInvocation } from "./args";
import { BuildImageError, buildRunnerImage, runProcess, taskDefinitionAdvice } from "./build-image";
import { ecsLauncher } from "./ecs-launcher";
import { EcsRunTasks } from "./ecs-tasks";
import { K6CliError, archiveScript, inspectArchive, k6Binary } from "./k6-cli";
import { LocalLauncher } from "./local-launcher";
import { RunGroup, executeRun } from "./orchestrate";
import { RunPlan, StackTarget, formatPlan, planRun } from "./plan";
import { buildReport, defaultResultPath, formatReport, resultFile } from "./report";
import { PROJECT_DIR, StackOutputsError, StackOutputsReader, automationApiOutputs, readLoadgenOutputs } from "./stack-outputs";

export const EXIT = { passed: 0, failed: 1, badInput: 2, thresholdsFailed: 99, interrupted: 130 } as const;

const ROLE_SESSION_NAME = "ecs-loadlab-loadtest";
/** How often the command looks at the tasks and the run's objects. */
const POLL_MS = 2000;
const LOCAL_POLL_MS = 250;
/** Without a terminal, the progress line is printed when it changes, or at least this often. */
const PROGRESS_EVERY_MS = 30_000;

/** The command's outside world; tests pass their own. */
export interface CommandContext {
    print(line: string): void;
    printError(line: string): void;
    /** Standard output is a terminal: progress is redrawn in place and a costly run asks before it starts. */
    interactive: boolean;
    ask(question: string): Promise<string>;
    readOutputs: StackOutputsReader;
    clients(connection: Connection): { ecs: ECSClient; s3: S3Client; ecr: ECRClient };
    /** Aborted on Ctrl-C or SIGTERM. */
    interrupt: AbortSignal;
    env: NodeJS.ProcessEnv;
    now(): Date;
}

/** The stack's region, and the --role-arn given for its account (args.ts allows one per account). */
function connectionTo(outputs: LoadgenStackOutputs, aws: AwsAccess): Connection {
    return { region: outputs.region, profile: aws.profile, roleArn: aws.roleArns.find((arn) => arn.split(":")[4] === outputs.accountId) };
}

function awsClients(connection: Connection): { ecs: ECSClient; s3: S3Client; ecr: ECRClient } {
    const config = clientConfig(connection, ROLE_SESSION_NAME);
    return { ecs: new ECSClient(config), s3: new S3Client(config), ecr: new ECRClient(config) };
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
async function checkRunnerImage(target: StackTarget): Promise<void> {
    const advice = taskDefinitionAdvice(target.outputs, `${target.outputs.repositoryUrl}:${runnerImageTag()}`, target.name);
    if (advice !== undefined) {
        throw new CommandError(`${advice}; push this image first if it is not there: npm run loadtest -- build-image --stack ${target.name}`, EXIT.failed);
    }
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

/** Packs and inspects the script, reads the stacks, prints the plan and asks when it costs; undefined: do not start. */
async function prepareRun(
    invocation: Extract<Invocation, { kind: "run" }>,
    context: CommandContext,
    { runId, archivePath, script }: RunPaths,
): Promise<{ plan: RunPlan; binary: string } | undefined> {
    const binary = k6Binary(context.env);
    context.print(`Packing ${invocation.script} with k6 archive...`);
    await archiveScript(binary, path.resolve(invocation.script), invocation.env, archivePath, PROJECT_DIR);
    const requirements = await inspectArchive(binary, archivePath, PROJECT_DIR);
    const problems = validateThresholds(requirements.thresholds);
    if (problems.length > 0) throw new CommandError(`the script's thresholds cannot be judged:\n  ${problems.join("\n  ")}`, EXIT.badInput);

    const stacks = invocation.local ? "local" : await readStacks(invocation.stacks, context);
    if (stacks !== "local") for (const target of stacks) await checkRunnerImage(target);
    const plan = planRun({ runId, script, tasks: invocation.tasks, spot: invocation.spot, stacks, requirements, confirmAboveUsd: invocation.confirmAboveUsd });
    for (const line of formatPlan(plan)) context.print(line);
    if (invocation.dryRun) {
        context.print("Dry run: nothing started.");
        return undefined;
    }
    await confirm(plan, invocation, context);
    return { plan, binary };
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
    const { plan, binary } = prepared;
    const reporter = progressReporter(context);
    const groups: RunGroup[] = plan.groups.map((group) => {
        if (group.outputs === undefined) {
            const store = new DirectoryRunStore(path.join(runDir, "store"));
            const log = (line: string) => reporter.print(`  ${line}`);
            return { group, store, launcher: new LocalLauncher({ runId, store, runDir, k6Binary: binary, pollMs: LOCAL_POLL_MS, log }) };
        }
        const clients = context.clients(connectionTo(group.outputs, invocation.aws));
        const tasks = new EcsRunTasks(clients.ecs, {
            stack: group.stack,
            outputs: group.outputs,
            runId,
            spot: invocation.spot,
            environment: { [RUNNER_ENV.runId]: runId },
        });
        return { group, store: new S3RunStore(clients.s3, group.outputs.bucketName), launcher: ecsLauncher(tasks, { runId, stack: group.stack }) };
    });

    const outcome = await executeRun(plan, groups, await readFile(archivePath), {
        now: context.now,
        sleep: abortableSleep,
        print: reporter.print,
        progress: reporter.progress,
        interrupt: context.interrupt,
        pollMs: invocation.local ? LOCAL_POLL_MS : POLL_MS,
    });
    reporter.print("");
    if (outcome.kind !== "finished") {
        for (const line of outcome.stopped) context.print(`  ${line}`);
        if (outcome.kind === "interrupted") {
            context.printError("Interrupted: every task of the run is stopped.");
            return EXIT.interrupted;
        }
        for (const error of outcome.errors) context.printError(`✗ ${error}`);
        return EXIT.failed;
    }

    const baseUrl = invocation.env.find(([name]) => name === "BASE_URL")?.[1] ?? "the script's default BASE_URL";
    const report = buildReport(plan, outcome.results, outcome.errors, outcome.startedAt);
    const jsonPath = invocation.out ?? defaultResultPath(script, new Date(report.window.finishedAt));
    await mkdir(path.dirname(path.resolve(jsonPath)), { recursive: true });
    await writeFile(jsonPath, resultFile(plan, report, baseUrl));
    for (const line of formatReport(plan, report, baseUrl, jsonPath)) context.print(line);
    if (report.errors.length > 0) return EXIT.failed;
    return report.merged.thresholdsPassed ? EXIT.passed : EXIT.thresholdsFailed;
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

const EXPECTED_ERRORS = [UsageError, CommandError, K6CliError, StackOutputsError, BuildImageError];

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
        }
    } catch (error) {
        if (error instanceof UsageError) {
            context.printError(`${error.message}\n\n${USAGE}`);
            return EXIT.badInput;
        }
        if (error instanceof CommandError) {
            (error.exitCode === EXIT.passed ? context.print : context.printError)(error.message);
            return error.exitCode;
        }
        if (EXPECTED_ERRORS.some((type) => error instanceof type)) {
            context.printError((error as Error).message);
            return error instanceof K6CliError ? EXIT.badInput : EXIT.failed;
        }
        throw error;
    }
}

if (require.main === module) {
    const interrupt = new AbortController();
    let interrupts = 0;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => {
            interrupts++;
            if (interrupts > 1) {
                console.error("Leaving now: tasks still running stop on their own within a minute, when the heartbeat goes stale.");
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
