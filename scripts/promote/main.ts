import * as path from "node:path";
import { parseArgs } from "node:util";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ConfigError, SharedStackConfig, loadStackConfigFile } from "../../config";
import { Connection, clientConfig, roleArnProblem } from "../aws-connection";
import {
    Clock,
    EnvironmentStatus,
    PromotionResult,
    ReleaseConventions,
    RollbackResult,
    TagMove,
    environmentStatus,
    promote,
    rollback,
} from "./promotion";
import { ImageRepository, RegistryError, RepositoryLocation, repositoryUri } from "./registry";

/** `npm run promote -- ...`: moves environment tags in the shared registry. See USAGE and docs/release-flow.md. */

export const USAGE = `Usage:
  npm run promote -- <from> <to> [--dry-run] [--force]
      Point environment <to> at the image <from> names: an environment (the next one in promotion order),
      a version tag such as sha-1a2b3c4d5e6f, or a digest sha256:... (both only into the first environment).
  npm run promote -- --rollback <environment> [--dry-run]
      Point <environment> back at the image it had before its last promotion; again to go further back.
  npm run promote -- --status
      Each environment's digest, push time, version tags, and what a rollback would restore.
  npm run promote -- --print-registry
      The registry's coordinates as key=value lines (for scripts), without calling AWS.

Options:
  --dry-run              read the registry and print what would change; write nothing
  --force                promote out of order (skipping or reversing environments)
  --stack-file <path>    shared stack file: registry and environments (default: Pulumi.shared.yaml)
  --region <region>      registry region (default: the stack file's aws.region)
  --registry-id <id>     registry account id (default: the stack file's aws.accountId)
  --repository <name>    repository name (default: the stack file's registry.repositoryName)
  --profile <name>       AWS profile for credentials (default: the standard chain: AWS_PROFILE, environment, SSO, ...)
  --role-arn <arn>       role to assume with those credentials, e.g. the shared account's deploy role
  -h, --help             this text

Exit status: 0 done, or nothing to do; 1 refused or failed, with the reason; 2 bad arguments.`;

const DEFAULT_STACK_FILE = path.join(__dirname, "..", "..", "Pulumi.shared.yaml");
const ROLE_SESSION_NAME = "ecs-loadlab-promote";

/** The command's outside world; tests pass their own. */
export interface CommandContext {
    print(line: string): void;
    printError(line: string): void;
    createClient(connection: Connection): ECRClient;
    clock: Clock;
}

type Command =
    | { kind: "help" }
    | { kind: "promote"; from: string; to: string; dryRun: boolean; force: boolean }
    | { kind: "rollback"; environment: string; dryRun: boolean }
    | { kind: "status" }
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

class UsageError extends Error {}

const OPTIONS = {
    "dry-run": { type: "boolean" },
    force: { type: "boolean" },
    rollback: { type: "string" },
    status: { type: "boolean" },
    "print-registry": { type: "boolean" },
    "stack-file": { type: "string" },
    region: { type: "string" },
    "registry-id": { type: "string" },
    repository: { type: "string" },
    profile: { type: "string" },
    "role-arn": { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

const parseOptions = (argv: string[]) => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
type OptionValues = ReturnType<typeof parseOptions>["values"];

function parseInvocation(argv: string[]): Invocation {
    let parsed;
    try {
        parsed = parseOptions(argv);
    } catch (error) {
        // node's parse errors carry advice about `--` that does not apply here: keep their first sentence.
        throw new UsageError(error instanceof Error ? error.message.split(". ")[0] : String(error));
    }
    const { values, positionals } = parsed;
    if (values["registry-id"] !== undefined && !/^\d{12}$/.test(values["registry-id"])) {
        throw new UsageError(`--registry-id must be a 12-digit account id, not "${values["registry-id"]}"`);
    }
    const roleArnError = values["role-arn"] === undefined ? undefined : roleArnProblem(values["role-arn"]);
    if (roleArnError !== undefined) throw new UsageError(roleArnError);
    return {
        command: parseCommand(values, positionals),
        stackFile: values["stack-file"] ?? DEFAULT_STACK_FILE,
        region: values.region,
        registryId: values["registry-id"],
        repositoryName: values.repository,
        profile: values.profile,
        roleArn: values["role-arn"],
    };
}

function parseCommand(values: OptionValues, positionals: string[]): Command {
    if (values.help) return { kind: "help" };
    const modes = [
        positionals.length > 0 && "<from> <to>",
        values.rollback !== undefined && "--rollback",
        values.status && "--status",
        values["print-registry"] && "--print-registry",
    ].filter((mode): mode is string => typeof mode === "string");
    if (modes.length !== 1) {
        throw new UsageError(modes.length === 0 ? "nothing to do" : `choose one of ${modes.join(", ")}`);
    }
    const dryRun = values["dry-run"] ?? false;
    const force = values.force ?? false;
    const refuse = (option: string, allowedWith: string) => new UsageError(`${option} only goes with ${allowedWith}`);
    if (values.rollback !== undefined) {
        if (force) throw refuse("--force", "a promotion");
        return { kind: "rollback", environment: values.rollback, dryRun };
    }
    if (positionals.length === 0) {
        if (dryRun) throw refuse("--dry-run", "a promotion or --rollback");
        if (force) throw refuse("--force", "a promotion");
        return values.status ? { kind: "status" } : { kind: "print-registry" };
    }
    if (positionals.length !== 2) throw new UsageError(`a promotion takes <from> <to>, got ${positionals.length} argument(s): ${positionals.join(" ")}`);
    return { kind: "promote", from: positionals[0], to: positionals[1], dryRun, force };
}

function loadSharedStack(stackFile: string): SharedStackConfig {
    let config;
    try {
        config = loadStackConfigFile(stackFile);
    } catch (error) {
        if (error instanceof Error && "code" in error) throw new RegistryError(`cannot read the shared stack file: ${error.message}`);
        throw error;
    }
    if (config.role !== "shared") {
        throw new RegistryError(`${stackFile} is an ${config.role} stack file: give the shared stack's file (--stack-file Pulumi.shared.yaml)`);
    }
    return config;
}

function createEcrClient(connection: Connection): ECRClient {
    return new ECRClient(clientConfig(connection, ROLE_SESSION_NAME));
}

const processContext: CommandContext = {
    print: (line) => console.log(line),
    printError: (line) => console.error(line),
    createClient: createEcrClient,
    clock: () => new Date(),
};

/** Runs the command; returns the exit status. */
export async function main(argv: string[], context: CommandContext): Promise<number> {
    let invocation: Invocation;
    try {
        invocation = parseInvocation(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        context.printError(`error: ${error.message}\n\n${USAGE}`);
        return 2;
    }
    const { command } = invocation;
    if (command.kind === "help") {
        context.print(USAGE);
        return 0;
    }
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
        const client = context.createClient({ region: location.region, profile: invocation.profile, roleArn: invocation.roleArn });
        const repository = new ImageRepository(client, location);
        if (command.kind === "status") {
            formatStatus(location, await environmentStatus(repository, conventions)).forEach((line) => context.print(line));
            return 0;
        }
        const result =
            command.kind === "promote"
                ? formatPromotion(await promote(repository, conventions, command, context.clock))
                : formatRollback(await rollback(repository, conventions, command));
        result.warnings.forEach((warning) => context.printError(`warning: ${warning}`));
        result.lines.forEach((line) => context.print(line));
        return 0;
    } catch (error) {
        context.printError(`error: ${describeFailure(error)}`);
        return 1;
    }
}

function describeFailure(error: unknown): string {
    if (error instanceof RegistryError || error instanceof ConfigError) return error.message;
    if (error instanceof Error && error.name === "CredentialsProviderError") {
        return `no AWS credentials for the registry account: ${error.message} (set AWS_PROFILE or pass --profile / --role-arn)`;
    }
    // AWS service errors (access denied, repository not found, ...) say what is wrong; a stack would not help.
    if (error instanceof Error && "$metadata" in error) return `${error.name}: ${error.message}`;
    return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

interface FormattedResult {
    lines: string[];
    warnings: string[];
}

function describeMove({ environment, fromDigest, toDigest }: TagMove): string {
    return `${environment}: ${fromDigest ?? "(no image)"} → ${toDigest}`;
}

function rolloutHint(environment: string): string {
    return `Roll it out: pulumi up -s ${environment}`;
}

function formatPromotion(result: PromotionResult): FormattedResult {
    const { from, move, historyTag, warnings } = result;
    const recorded = (verb: string) => (historyTag ? [`  ${verb} the previous image as ${historyTag} (for --rollback ${move.environment})`] : []);
    const lines = {
        unchanged: [`${move.environment} already points at ${move.toDigest}, the image ${from} names: nothing changed.`],
        planned: [`Dry run: would promote ${from} → ${move.environment}`, `  ${describeMove(move)}`, ...recorded("would keep"), "Nothing was written."],
        moved: [`Promoted ${from} → ${move.environment}, verified`, `  ${describeMove(move)}`, ...recorded("kept"), rolloutHint(move.environment)],
    }[result.outcome];
    return { lines, warnings };
}

function formatRollback(result: RollbackResult): FormattedResult {
    const { move, restored, consumedHistoryTags, warnings } = result;
    const details = [`  ${describeMove(move)}`, `  restored from ${restored.tag}; history tags used up: ${consumedHistoryTags.join(", ")}`];
    const lines =
        result.outcome === "planned"
            ? [`Dry run: would roll back ${move.environment}`, ...details, "Nothing was written."]
            : [`Rolled back ${move.environment}, verified`, ...details, rolloutHint(move.environment)];
    return { lines, warnings };
}

function formatStatus(location: RepositoryLocation, statuses: EnvironmentStatus[]): string[] {
    const rows = statuses.map(({ environment, image, rollbackTarget }) => [
        environment,
        image?.digest ?? "(no image)",
        image?.pushedAt?.toISOString() ?? "",
        image?.versionTags.join(" ") ?? "",
        rollbackTarget ? `${rollbackTarget.digest} (${rollbackTarget.tag})` : "(nothing recorded)",
    ]);
    return [`Repository ${repositoryUri(location)}`, ...alignColumns([["ENVIRONMENT", "DIGEST", "PUSHED", "VERSION TAGS", "ROLLBACK TO"], ...rows])];
}

function alignColumns(rows: string[][]): string[] {
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}

function formatRegistry(location: RepositoryLocation, conventions: ReleaseConventions): string[] {
    return [
        `repositoryUri=${repositoryUri(location)}`,
        `region=${location.region}`,
        `registryId=${location.registryId}`,
        `repositoryName=${location.repositoryName}`,
        `versionTagPrefix=${conventions.versionTagPrefix}`,
        `firstEnvironment=${conventions.environments[0]}`,
    ];
}

if (require.main === module) {
    void main(process.argv.slice(2), processContext).then((status) => {
        process.exitCode = status;
    });
}
