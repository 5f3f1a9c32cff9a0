import { ECRClient } from "@aws-sdk/client-ecr";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { ConfigError, SharedStackConfig } from "../../config";
import { evidenceBucketName } from "../../stacks/shared-names";
import { Connection, clientConfig, roleArnProblem } from "../aws-connection";
import { CommandUsage, ParsedCommandLine, UsageError, parseCommandLine, usageErrorText } from "../cli-usage";
import { EvidenceError, EvidenceLocation, EvidenceStore, objectLinks, promotionKey } from "../release/evidence-store";
import { callerArn } from "../release/identity";
import { StackFileWording, article, readStackFileOfRole, resolveStack } from "../stack-file";
import { PROMOTION_RECORD_SCHEMA_VERSION, PromotionRecord } from "../release/promotion-record";
import {
    FormattedResult,
    formatHistory,
    formatPromotion,
    formatRegistry,
    formatRollback,
    formatStatus,
    loadTestCell,
    recordedLines,
} from "./format";
import { GateRefusal, checkLoadTest, newestVerdict } from "./gate";
import { promotionHistory } from "./history";
import { Clock, ReleaseConventions, environmentStatus, promote, requireEnvironment, rollback } from "./promotion";
import { ImageRepository, RegistryError, RepositoryLocation } from "./registry";

/** `npm run promote -- ...`: moves environment tags in the shared registry. See USAGE and docs/release-flow.md. */

const DEFAULT_HISTORY_LIMIT = 20;

export const USAGE = `Usage:
  npm run promote -- <from> <to> [--dry-run] [--force] [--without-load-test "<reason>"]
      Point environment <to> at the image <from> names: an environment (the next one in promotion order),
      a version tag such as sha-1a2b3c4d5e6f, or a digest sha256:... (both only into the first environment).
      Into a gated environment (the shared stack's release.gatedEnvironments, prod as shipped) only an image
      whose newest load test in the environment before it passed, within release.verdictMaxAgeHours.
  npm run promote -- --rollback <environment> [--dry-run]
      Point <environment> back at the image it had before its last promotion; again to go further back.
  npm run promote -- --status
      Each environment's digest, push time, version tags, what a rollback would restore, and its load test.
  npm run promote -- --history <environment> [--limit <n>]
      The environment's promotions, newest first: who, what, and the load test each went with.
  npm run promote -- --print-registry
      The registry's coordinates as key=value lines (for scripts), without calling AWS.

Options:
  --dry-run              read the registry and the load test and print what would change; write nothing
  --force                promote out of order (skipping or reversing environments)
  --without-load-test "<reason>"
                         promote into a gated environment without a passing load test; the reason is recorded
  --limit <n>            --history: the newest n promotions (default: ${DEFAULT_HISTORY_LIMIT})
  --stack-file <name|file>
                         the shared stack, with the registry and the environments: its name, as pulumi -s takes it,
                         or its stack file's path (default: shared, Pulumi.shared.yaml here)
  --region <region>      registry and evidence bucket region (default: the stack file's aws.region)
  --registry-id <id>     registry and evidence bucket account id (default: the stack file's aws.accountId)
  --repository <name>    repository name (default: the stack file's registry.repositoryName)
  --profile <name>       AWS profile for credentials (default: the standard chain: AWS_PROFILE, environment, SSO, ...)
  --role-arn <arn>       role to assume with those credentials, e.g. the shared account's deploy role
  -h, --help             this text

Every promotion and rollback is recorded in the shared account's evidence bucket (docs/release-flow.md).

Exit status: 0 done, or nothing to do; 1 refused or failed, with the reason (also: the tag moved but its record
could not be written; the record is printed); 2 bad arguments.`;

export const PROMOTE_USAGE: CommandUsage = { command: "npm run promote --", text: USAGE };
const ROLE_SESSION_NAME = "ecs-loadlab-promote";

/** The SDK clients the command uses, all in the shared account. */
export interface AwsClients {
    ecr: ECRClient;
    s3: S3Client;
    sts: STSClient;
}

/** The command's outside world; tests pass their own. */
export interface CommandContext {
    print(line: string): void;
    printError(line: string): void;
    createClients(connection: Connection): AwsClients;
    clock: Clock;
}

type Command =
    | { kind: "promote"; from: string; to: string; dryRun: boolean; force: boolean; withoutLoadTest?: string }
    | { kind: "rollback"; environment: string; dryRun: boolean }
    | { kind: "status" }
    | { kind: "history"; environment: string; limit: number }
    | { kind: "print-registry" };

interface Invocation {
    command: Command;
    stackFile: string;
    region?: string;
    registryId?: string;
    repositoryName?: string;
    profile?: string;
    roleArn?: string;
}

const OPTIONS = {
    "dry-run": { type: "boolean" },
    force: { type: "boolean" },
    "without-load-test": { type: "string" },
    rollback: { type: "string" },
    status: { type: "boolean" },
    history: { type: "string" },
    limit: { type: "string" },
    "print-registry": { type: "boolean" },
    "stack-file": { type: "string" },
    region: { type: "string" },
    "registry-id": { type: "string" },
    repository: { type: "string" },
    profile: { type: "string" },
    "role-arn": { type: "string" },
} as const;

type OptionValues = ParsedCommandLine<typeof OPTIONS>["values"];

function parseInvocation(argv: string[]): Invocation | "help" {
    const parsed = parseCommandLine(argv, OPTIONS);
    if (parsed === "help") return "help";
    const { values, positionals } = parsed;
    if (values["registry-id"] !== undefined && !/^\d{12}$/.test(values["registry-id"])) {
        throw new UsageError(`--registry-id must be a 12-digit account id, not "${values["registry-id"]}"`);
    }
    const roleArnError = values["role-arn"] === undefined ? undefined : roleArnProblem(values["role-arn"]);
    if (roleArnError !== undefined) throw new UsageError(roleArnError);
    return {
        command: parseCommand(values, positionals),
        stackFile: resolveStack(values["stack-file"] ?? "shared", (message) => new UsageError(`--stack-file ${message}`)).file,
        region: values.region,
        registryId: values["registry-id"],
        repositoryName: values.repository,
        profile: values.profile,
        roleArn: values["role-arn"],
    };
}

function parseCommand(values: OptionValues, positionals: string[]): Command {
    const modes = [
        positionals.length > 0 && "<from> <to>",
        values.rollback !== undefined && "--rollback",
        values.status && "--status",
        values.history !== undefined && "--history",
        values["print-registry"] && "--print-registry",
    ].filter((mode): mode is string => typeof mode === "string");
    if (modes.length !== 1) {
        throw new UsageError(modes.length === 0 ? "nothing to do" : `choose one of ${modes.join(", ")}`);
    }
    const [mode] = modes;
    const dryRun = values["dry-run"] ?? false;
    const refuse = (option: string, allowedWith: string) => new UsageError(`${option} only goes with ${allowedWith}`);
    if (values.force && mode !== "<from> <to>") throw refuse("--force", "a promotion");
    if (values["without-load-test"] !== undefined && mode !== "<from> <to>") throw refuse("--without-load-test", "a promotion");
    if (dryRun && mode !== "<from> <to>" && mode !== "--rollback") throw refuse("--dry-run", "a promotion or --rollback");
    if (values.limit !== undefined && mode !== "--history") throw refuse("--limit", "--history");

    if (values.rollback !== undefined) return { kind: "rollback", environment: values.rollback, dryRun };
    if (values.history !== undefined) return { kind: "history", environment: values.history, limit: parseLimit(values.limit) };
    if (values.status) return { kind: "status" };
    if (positionals.length === 0) return { kind: "print-registry" };
    if (positionals.length !== 2) throw new UsageError(`a promotion takes <from> <to>, got ${positionals.length} argument(s): ${positionals.join(" ")}`);
    return { kind: "promote", from: positionals[0], to: positionals[1], dryRun, force: values.force ?? false, withoutLoadTest: parseReason(values["without-load-test"]) };
}

function parseLimit(text: string | undefined): number {
    if (text === undefined) return DEFAULT_HISTORY_LIMIT;
    if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--limit must be a whole number ≥ 1, not "${text}"`);
    return Number(text);
}

/** The reason a promotion goes without a load test: kept in its record, so it must say something. */
function parseReason(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const reason = text.trim();
    if (reason === "") throw new UsageError(`--without-load-test needs a reason, which the promotion record keeps: --without-load-test "<why>"`);
    return reason;
}

/** --without-load-test names a gated environment: anywhere else there is no load test to go without. */
function checkWithoutLoadTest(command: Extract<Command, { kind: "promote" }>, shared: SharedStackConfig): void {
    const { gatedEnvironments } = shared.release;
    const known = shared.environments.some((environment) => environment.name === command.to);
    if (command.withoutLoadTest === undefined || !known || gatedEnvironments.includes(command.to)) return;
    throw new UsageError(
        `--without-load-test: ${command.to} needs no load test (the shared stack's release.gatedEnvironments: ${gatedEnvironments.join(", ") || "none"})`,
    );
}

function loadSharedStack(stackFile: string): SharedStackConfig {
    const wording: StackFileWording = {
        unreadable: (error) => `cannot read the shared stack file: ${error.message}`,
        otherRole: (role) => `${stackFile} is ${article(role)} ${role} stack file: give the shared stack's file (--stack-file Pulumi.shared.yaml)`,
    };
    return readStackFileOfRole(stackFile, "shared", wording, (message) => new RegistryError(message));
}

function createAwsClients(connection: Connection): AwsClients {
    const config = clientConfig(connection, ROLE_SESSION_NAME);
    return { ecr: new ECRClient(config), s3: new S3Client(config), sts: new STSClient(config) };
}

const processContext: CommandContext = {
    print: (line) => console.log(line),
    printError: (line) => console.error(line),
    createClients: createAwsClients,
    clock: () => new Date(),
};

/** Everything a command that calls AWS works with. */
interface Session {
    context: CommandContext;
    shared: SharedStackConfig;
    conventions: ReleaseConventions;
    repository: ImageRepository;
    store: EvidenceStore;
    sts: STSClient;
}

/** Runs the command; returns the exit status. */
export async function main(argv: string[], context: CommandContext): Promise<number> {
    const usageFailure = (error: UsageError) => {
        context.printError(`error: ${usageErrorText(error.message, PROMOTE_USAGE, argv)}`);
        return 2;
    };
    let invocation: Invocation | "help";
    try {
        invocation = parseInvocation(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        return usageFailure(error);
    }
    if (invocation === "help") {
        context.print(USAGE);
        return 0;
    }
    const { command } = invocation;
    try {
        const shared = loadSharedStack(invocation.stackFile);
        const location: RepositoryLocation = {
            region: invocation.region ?? shared.aws.region,
            registryId: invocation.registryId ?? shared.aws.accountId,
            repositoryName: invocation.repositoryName ?? shared.registry.repositoryName,
        };
        const conventions: ReleaseConventions = {
            environments: shared.environments.map((environment) => environment.name),
            versionTagPrefix: shared.registry.versionTagPrefix,
        };
        if (command.kind === "print-registry") {
            formatRegistry(location, conventions).forEach((line) => context.print(line));
            return 0;
        }
        if (command.kind === "promote") checkWithoutLoadTest(command, shared);
        // The evidence bucket is the shared account's, beside the registry: the same account and region.
        const evidence: EvidenceLocation = { bucket: evidenceBucketName(location.registryId, location.region), region: location.region };
        const clients = context.createClients({ region: location.region, profile: invocation.profile, roleArn: invocation.roleArn });
        const session: Session = {
            context,
            shared,
            conventions,
            repository: new ImageRepository(clients.ecr, location),
            store: new EvidenceStore(clients.s3, evidence),
            sts: clients.sts,
        };
        switch (command.kind) {
            case "status":
                return await runStatus(session);
            case "history":
                return await runHistory(session, command);
            case "promote":
                return await runPromotion(session, command);
            case "rollback":
                return await runRollback(session, command);
        }
    } catch (error) {
        if (error instanceof UsageError) return usageFailure(error);
        context.printError(`error: ${describeFailure(error)}`);
        return 1;
    }
}

function describeFailure(error: unknown): string {
    if (error instanceof RegistryError || error instanceof ConfigError || error instanceof EvidenceError || error instanceof GateRefusal) return error.message;
    if (error instanceof Error && error.name === "CredentialsProviderError") {
        return `no AWS credentials for the registry account: ${error.message} (set AWS_PROFILE or pass --profile / --role-arn)`;
    }
    // AWS service errors (access denied, repository not found, ...) say what is wrong; a stack would not help.
    if (error instanceof Error && "$metadata" in error) return `${error.name}: ${error.message}`;
    return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function printResult({ context }: Session, result: FormattedResult): void {
    result.warnings.forEach((warning) => context.printError(`warning: ${warning}`));
    result.lines.forEach((line) => context.print(line));
}

async function runStatus({ context, repository, store, conventions }: Session): Promise<number> {
    const statuses = await environmentStatus(repository, conventions);
    const now = context.clock();
    // The registry's part stands on its own: an unreadable evidence bucket leaves the column unknown, not the command failed.
    const loadTests = await Promise.all(
        statuses.map(async ({ environment, image }) =>
            image === undefined ? "" : loadTestCell((await newestVerdict(store, environment, image.digest))?.verdict, now),
        ),
    ).catch((error: unknown) => {
        context.printError(`warning: the LOAD TEST column is unknown: ${describeFailure(error)}`);
        return statuses.map(() => "(unknown)");
    });
    formatStatus(repository.location, statuses, loadTests).forEach((line) => context.print(line));
    return 0;
}

async function runHistory({ context, repository, store, conventions }: Session, command: Extract<Command, { kind: "history" }>): Promise<number> {
    requireEnvironment(command.environment, conventions);
    const entries = await promotionHistory(store, await repository.listTaggedImages(), command.environment, command.limit);
    formatHistory(command.environment, store.location, entries).forEach((line) => context.print(line));
    return 0;
}

async function runPromotion(session: Session, command: Extract<Command, { kind: "promote" }>): Promise<number> {
    const { context, shared, conventions, repository, store } = session;
    // Who moves the tag, asked before anything is written: a record that cannot name its author is not written after the fact.
    const by = command.dryRun ? undefined : await callerArn(session.sts);
    if (!command.dryRun) await store.assertReachable(command.to);
    const result = await promote(repository, conventions, command, context.clock, (move) =>
        checkLoadTest(store, { from: command.from, to: command.to, digest: move.toDigest }, shared.release, conventions.environments, context.clock, command.withoutLoadTest),
    );
    printResult(session, formatPromotion(result));
    if (result.outcome !== "moved" || by === undefined || result.loadTest === undefined) return 0;
    const { move } = result;
    return writeRecord(session, {
        schemaVersion: PROMOTION_RECORD_SCHEMA_VERSION,
        kind: "promotion",
        environment: move.environment,
        from: result.from,
        digest: move.toDigest,
        ...(move.fromDigest ? { previousDigest: move.fromDigest } : {}),
        at: context.clock().toISOString(),
        by,
        ...(result.historyTag ? { historyTag: result.historyTag } : {}),
        loadTest: result.loadTest,
    });
}

async function runRollback(session: Session, command: Extract<Command, { kind: "rollback" }>): Promise<number> {
    const by = command.dryRun ? undefined : await callerArn(session.sts);
    if (!command.dryRun) await session.store.assertReachable(command.environment);
    const result = await rollback(session.repository, session.conventions, command);
    printResult(session, formatRollback(result));
    if (result.outcome !== "moved" || by === undefined) return 0;
    const { move } = result;
    return writeRecord(session, {
        schemaVersion: PROMOTION_RECORD_SCHEMA_VERSION,
        kind: "rollback",
        environment: move.environment,
        from: result.restored.tag,
        digest: move.toDigest,
        ...(move.fromDigest ? { previousDigest: move.fromDigest } : {}),
        at: session.context.clock().toISOString(),
        by,
        // A rollback restores an image that was promoted into the environment before: the gate is not asked again.
        loadTest: { status: "not-required" },
    });
}

/**
 * Writes the record of a move that happened. If that fails the tag has moved anyway: exit 1, saying so, with the
 * record printed so that it can still be kept.
 */
async function writeRecord({ context, store }: Session, record: PromotionRecord): Promise<number> {
    try {
        const key = await store.putPromotion(record);
        recordedLines(store.location, key, record.environment).forEach((line) => context.print(line));
        return 0;
    } catch (error) {
        const { uri } = objectLinks(store.location, promotionKey(record));
        context.printError(`error: ${record.environment}'s tag moved, but its ${record.kind} record is not written: ${describeFailure(error)}`);
        context.printError(`Keep it: save the JSON below to a file and copy it there (aws s3 cp <file> ${uri}).`);
        context.printError(JSON.stringify(record, null, 2));
        return 1;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2), processContext).then((status) => {
        process.exitCode = status;
    });
}
