/** `npm run loadtest -- ...`: the command line, parsed into what to do. Nothing here touches AWS, k6 or files. */
import { RUN_ID_PATTERN } from "../../loadgen/src/contract";
import { Connection, roleArnProblem } from "../aws-connection";
import { CommandUsage, ParsedCommandLine, UsageError, parseCommandLine, refuseOptionsOf } from "../cli-usage";
import { projectStackName } from "../stack-file";
import { LOCAL_STACK } from "./plan";

export { UsageError } from "../cli-usage";

export const DEFAULT_CONFIRM_ABOVE_USD = 1;

export const USAGE = `Usage:
  npm run loadtest -- --stack <name|file> [--stack <name|file> ...] --tasks <n> [--spot] <script> [-e NAME=VALUE ...]
                      [--target <environment stack> [--no-record] [--shared-stack-file <name|file>]]
                      [--out <file>] [--dry-run] [--yes] [--confirm-above <usd>] [--profile <name>] [--role-arn <arn> ...]
      Run <script> (a k6 script such as k6/load.ts) as <n> execution segments on Fargate tasks of the loadgen
      stacks (tasks split across them), then merge the results into one k6 summary with one threshold verdict.
      With --target, load that environment and record the verdict against the image it runs (below).
  npm run loadtest -- --local --tasks <n> <script> [-e NAME=VALUE ...] [--out <file>]
                      [--target <environment stack> [--no-record] [--profile <name>] [--role-arn <arn>]]
      The same split as <n> local k6 processes (k6 from PATH or K6_BINARY): check a split before paying for it.
  npm run loadtest -- record <result file> [--observed <timeline file> [--html <report file>]] [--shared-stack-file <name|file>]
                      [--profile <name>] [--role-arn <arn> ...]
      Record the verdict of a finished --target run in the shared account's evidence bucket (observing the
      environment first unless --observed gives its timeline): what the run does after it ends, again.
  npm run loadtest -- summary <result file> [--observed <timeline file>] [--report-url <url>]
      Print the run's summary as GitHub Markdown (k6's summary, the thresholds, the scaling, the cost) for a
      workflow's job summary: npm run loadtest --silent -- summary ... >> "$GITHUB_STEP_SUMMARY" (--silent:
      without it npm prints its own "> ecs-loadlab@..." lines on stdout too).
  npm run loadtest -- --stop <run id> --stack <name|file> [--stack <name|file> ...]
      Stop every task of a run (what an interrupted command would have stopped).
  npm run loadtest -- build-image --stack <name|file> [--stack <name|file> ...]
      Build the runner image for linux/amd64 and push it to each stack's repository (skipped when it is there).
  npm run loadtest -- merge <run id> --stack <name|file> [--stack <name|file> ...] [--out <file>]
  npm run loadtest -- merge <folder of a --local run, k6/results/<run id>> [--out <file>]
      Merge a run again from what its tasks stored (after the command was interrupted, or to redo its report).

Options:
  --stack <name|file>    a loadgen stack to run from: its name, as pulumi -s takes it (loadgen), or this project's
                         stack file of it (Pulumi.loadgen.yaml); its outputs are read with the Pulumi CLI
  --tasks <n>            how many segments, one task (or local process) each
  --spot                 run the tasks on Fargate Spot (cheaper; a reclaimed task makes the run an error)
  -e NAME=VALUE          a k6 -e variable, as for k6 run (repeatable)
  --target <stack>       the environment stack to load, by name or by this project's stack file of it (staging,
                         Pulumi.staging.yaml; the command says which file it read): BASE_URL is its url output, and
                         the run is bound to the digest of its image output (both read with the Pulumi CLI), so
                         -e BASE_URL is refused with it. After the run, the environment is observed for the run's
                         window (timeline observe, once CloudWatch has published it), its timeline and report are
                         written beside the result (<result>.observed.json, <result>.report.html), and the verdict
                         is recorded in the shared account's evidence bucket, where npm run promote looks for it.
                         A --local run is observed but never recorded: its k6 is whatever this machine has, not the
                         runner image's pinned one, and its load leaves from here: a check, not evidence.
  --no-record            with --target: neither observe nor record after the run
  --shared-stack-file <name|file>
                         the shared stack naming the evidence bucket's account and region, by name or by its stack
                         file, which may be another project's (default: shared, Pulumi.shared.yaml here)
  --observed <file>      record, summary: the run's observed timeline (timeline observe --json, or <result>.observed.json)
  --html <file>          record: the run's report (default: drawn from --observed)
  --report-url <url>     summary: where the run's report is published, linked from the summary
  --out <file>           the merged result (default: k6/results/<script>-<UTC time>-distributed.json)
  --dry-run              print the plan and its cost, start nothing
  --yes                  start without asking, whatever the estimated cost
  --confirm-above <usd>  ask before starting a run estimated above this (default: ${DEFAULT_CONFIRM_ABOVE_USD})
  --profile <name>       AWS profile for credentials (default: the standard chain)
  --role-arn <arn>       role to assume in an account: a loadgen stack's, the target environment's (observe), the
                         shared one's (record); e.g. its deploy role (repeatable: one per account)
  -h, --help             this text

Exit status: 0 passed (record: recorded); 99 a threshold failed (as k6); 1 the run failed or is incomplete (a task
could not start, k6 failed in a task, a task was stopped early or left no result; named), or its verdict could not be
recorded (the record command to redo it is printed); 2 bad arguments or input; 130 interrupted (every task stopped,
what they uploaded merged).`;

export const LOADTEST_USAGE: CommandUsage = { command: "npm run loadtest --", text: USAGE };


export interface AwsAccess {
    profile?: string;
    roleArns: string[];
}

/** How the command reaches an account: its region, the --profile, and the --role-arn given for that account (one per account). */
export function connectionTo({ region, accountId }: { region: string; accountId: string }, aws: AwsAccess): Connection {
    return { region, profile: aws.profile, roleArn: aws.roleArns.find((arn) => arn.split(":")[4] === accountId) };
}

/** `--target <stack>`: the environment stack a run loads, and whether its verdict is recorded after it. */
export interface TargetRequest {
    stack: string;
    /** Observe and record after the run; false with --no-record. A --local run is observed and never recorded. */
    record: boolean;
    /** The shared stack file naming the evidence bucket (default: Pulumi.shared.yaml in the project). */
    sharedStackFile?: string;
}

export type Invocation =
    | { kind: "help" }
    | {
          kind: "run";
          /** Loadgen stacks, or none with `local`. */
          stacks: string[];
          local: boolean;
          tasks: number;
          spot: boolean;
          script: string;
          env: [string, string][];
          out?: string;
          dryRun: boolean;
          yes: boolean;
          confirmAboveUsd: number;
          aws: AwsAccess;
          target?: TargetRequest;
      }
    /** A finished --target run's verdict recorded (again): observed first unless its timeline is given. */
    | { kind: "record"; resultFile: string; observedFile?: string; htmlFile?: string; sharedStackFile?: string; aws: AwsAccess }
    /** A run's job summary (GitHub Markdown) on stdout. */
    | { kind: "summary"; resultFile: string; observedFile?: string; reportUrl?: string }
    | { kind: "stop"; runId: string; stacks: string[]; aws: AwsAccess }
    | { kind: "build-image"; stacks: string[]; aws: AwsAccess }
    /** A run merged again: from its stacks' buckets (runId and stacks), or from a local run's folder. */
    | { kind: "merge"; runId?: string; folder?: string; stacks: string[]; out?: string; aws: AwsAccess };

/** The runner sets these per segment; a user value would be silently replaced, so it is refused instead. */
const RESERVED_ENV = ["SUMMARY_PATH"];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * The most tasks one run has been built and measured for (npm run bench:loadtest): the merge, the store's writes
 * and the start-time spread at this count are in docs/distributed-load.md. The Fargate quota is checked before a run.
 */
export const MAX_TASKS = 1000;

const OPTIONS = {
    stack: { type: "string", multiple: true },
    tasks: { type: "string" },
    spot: { type: "boolean" },
    local: { type: "boolean" },
    env: { type: "string", short: "e", multiple: true },
    out: { type: "string" },
    "dry-run": { type: "boolean" },
    yes: { type: "boolean" },
    "confirm-above": { type: "string" },
    stop: { type: "string" },
    profile: { type: "string" },
    "role-arn": { type: "string", multiple: true },
    target: { type: "string" },
    "no-record": { type: "boolean" },
    "shared-stack-file": { type: "string" },
    observed: { type: "string" },
    html: { type: "string" },
    "report-url": { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** The options each mode takes; any other is refused rather than ignored. */
const TAKES: Record<string, readonly OptionName[]> = {
    "a run": ["stack", "tasks", "spot", "env", "out", "dry-run", "yes", "confirm-above", "profile", "role-arn", "target", "no-record", "shared-stack-file"],
    // A --local run calls AWS only to observe its --target afterwards (checked in parseInvocation).
    "--local": ["local", "tasks", "env", "out", "dry-run", "target", "no-record", "profile", "role-arn"],
    "--stop": ["stop", "stack", "profile", "role-arn"],
    "build-image": ["stack", "profile", "role-arn"],
    merge: ["stack", "out", "profile", "role-arn"],
    record: ["observed", "html", "shared-stack-file", "profile", "role-arn"],
    summary: ["observed", "report-url"],
};

/** A stack of this project by name or by its file, as the name the Pulumi CLI reads its outputs with. */
const stackName = (option: string) => (given: string) => projectStackName(given, (message) => new UsageError(`${option} ${message}`));

export function parseInvocation(argv: string[]): Invocation {
    const parsed = parseCommandLine(argv, OPTIONS);
    if (parsed === "help") return { kind: "help" };
    const { values, positionals } = parsed;
    const stacks = unique((values.stack ?? []).map(stackName("--stack")), "--stack");
    const aws = parseAwsAccess(values.profile, values["role-arn"] ?? []);

    if (positionals[0] === "build-image") {
        only(values, "build-image");
        if (positionals.length > 1) throw new UsageError(`build-image takes no other arguments, not "${positionals.slice(1).join(" ")}"`);
        return { kind: "build-image", stacks: required(stacks, "build-image needs --stack <name>: the loadgen stack whose repository gets the image"), aws };
    }
    if (positionals[0] === "merge") {
        only(values, "merge");
        if (positionals.length !== 2) throw new UsageError("merge takes one run id (with --stack) or one local run's folder");
        const target = positionals[1];
        const out = values.out;
        if (RUN_ID_PATTERN.test(target)) {
            return { kind: "merge", runId: target, stacks: required(stacks, `merge ${target} needs the --stack (or stacks) the run used`), ...(out ? { out } : {}), aws };
        }
        if (stacks.length > 0) throw new UsageError(`merge with --stack needs a run id such as lt-20261130T120000Z-a1b2, not "${target}"`);
        return { kind: "merge", folder: target, stacks, ...(out ? { out } : {}), aws };
    }
    if (positionals[0] === "record") {
        only(values, "record");
        const resultFile = onePositional(positionals, "record");
        if (values.html !== undefined && values.observed === undefined) {
            throw new UsageError("record --html goes with --observed: without them record observes the environment and draws the report itself");
        }
        return {
            kind: "record",
            resultFile,
            ...(values.observed !== undefined ? { observedFile: values.observed } : {}),
            ...(values.html !== undefined ? { htmlFile: values.html } : {}),
            ...(values["shared-stack-file"] !== undefined ? { sharedStackFile: values["shared-stack-file"] } : {}),
            aws,
        };
    }
    if (positionals[0] === "summary") {
        only(values, "summary");
        const resultFile = onePositional(positionals, "summary");
        const reportUrl = values["report-url"];
        if (reportUrl !== undefined && !/^https?:\/\/[^\s<>]+$/.test(reportUrl)) {
            throw new UsageError(`--report-url must be an http(s) URL without spaces or angle brackets, not "${reportUrl}"`);
        }
        return {
            kind: "summary",
            resultFile,
            ...(values.observed !== undefined ? { observedFile: values.observed } : {}),
            ...(reportUrl !== undefined ? { reportUrl } : {}),
        };
    }
    if (values.stop !== undefined) {
        only(values, "--stop");
        if (!RUN_ID_PATTERN.test(values.stop)) throw new UsageError(`--stop needs a run id such as lt-20261130T120000Z-a1b2, not "${values.stop}"`);
        if (positionals.length > 0) throw new UsageError(`--stop takes no script, not "${positionals.join(" ")}"`);
        return { kind: "stop", runId: values.stop, stacks: required(stacks, "--stop needs the --stack (or stacks) the run used"), aws };
    }

    const local = values.local ?? false;
    if (local && stacks.length > 0) throw new UsageError("--local runs k6 on this machine: leave out --stack");
    if (!local && stacks.length === 0) throw new UsageError("name the loadgen stack to run from with --stack <name> (or run locally with --local)");
    if (stacks.includes(LOCAL_STACK)) throw new UsageError(`--stack ${LOCAL_STACK}: "${LOCAL_STACK}" names the segments of a --local run in results; name a loadgen stack`);
    if (local && values["shared-stack-file"] !== undefined) {
        throw new UsageError("--local does not take --shared-stack-file: a --local run is never recorded (its k6 is this machine's, not the runner image's)");
    }
    only(values, local ? "--local" : "a run");
    const awsOption = (["profile", "role-arn"] as const).find((name) => values[name] !== undefined);
    if (local && values.target === undefined && awsOption !== undefined) {
        throw new UsageError(`--local calls AWS only to observe its --target: leave out --${awsOption}`);
    }
    if (positionals.length !== 1) {
        throw new UsageError(positionals.length === 0 ? "name the k6 script to run, e.g. k6/load.ts" : `one script at a time, not "${positionals.join(" ")}"`);
    }
    const env = (values.env ?? []).map(parseEnv);
    const target = parseTarget(values, env);
    return {
        kind: "run",
        stacks,
        local,
        tasks: parseTasks(values.tasks, Math.max(stacks.length, 1)),
        spot: values.spot ?? false,
        script: positionals[0],
        env,
        out: values.out,
        dryRun: values["dry-run"] ?? false,
        yes: values.yes ?? false,
        confirmAboveUsd: parseUsd(values["confirm-above"]),
        aws,
        ...(target ? { target } : {}),
    };
}

function onePositional(positionals: string[], mode: string): string {
    if (positionals.length !== 2) throw new UsageError(`${mode} takes one result file (the JSON a run wrote), e.g. k6/results/load-20261130T120000Z-distributed.json`);
    return positionals[1];
}

function parseTarget(values: OptionValues, env: [string, string][]): TargetRequest | undefined {
    if (values.target === undefined) {
        const orphan = (["no-record", "shared-stack-file"] as const).find((name) => values[name] !== undefined);
        if (orphan !== undefined) throw new UsageError(`--${orphan} goes with --target <environment stack>: a run without one records nothing`);
        return undefined;
    }
    const stack = stackName("--target")(values.target);
    if (env.some(([name]) => name === "BASE_URL")) {
        throw new UsageError(
            `--target ${stack} sets BASE_URL to the stack's url output, the URL whose image the verdict is bound to: leave out -e BASE_URL ` +
                "(or leave out --target to load another URL, without a verdict)",
        );
    }
    if (values["no-record"] && values["shared-stack-file"] !== undefined) throw new UsageError("--no-record records nothing: leave out --shared-stack-file");
    return {
        stack,
        record: !(values["no-record"] ?? false),
        ...(values["shared-stack-file"] !== undefined ? { sharedStackFile: values["shared-stack-file"] } : {}),
    };
}

type OptionValues = ParsedCommandLine<typeof OPTIONS>["values"];

/** Refuses options that the mode does not use, rather than ignoring them. */
function only(values: OptionValues, mode: string): void {
    refuseOptionsOf(mode, (Object.keys(values) as OptionName[]).filter((name) => values[name] !== undefined), TAKES, OPTIONS);
}

function unique(values: string[], option: string): string[] {
    const duplicate = values.find((value, index) => values.indexOf(value) !== index);
    if (duplicate !== undefined) throw new UsageError(`${option} ${duplicate} is given twice`);
    return values;
}

function required(stacks: string[], message: string): string[] {
    if (stacks.length === 0) throw new UsageError(message);
    return stacks;
}

function parseTasks(text: string | undefined, atLeast: number): number {
    if (text === undefined) throw new UsageError("say how many segments to run with --tasks <n>");
    const tasks = Number(text);
    if (!/^\d+$/.test(text) || tasks < atLeast || tasks > MAX_TASKS) {
        throw new UsageError(
            `--tasks must be a whole number from ${atLeast} to ${MAX_TASKS}${atLeast > 1 ? " (at least one per stack)" : ""}, not "${text}"`,
        );
    }
    return tasks;
}

function parseEnv(text: string): [string, string] {
    const equals = text.indexOf("=");
    const name = equals === -1 ? text : text.slice(0, equals);
    if (equals === -1 || !ENV_NAME.test(name)) throw new UsageError(`-e needs NAME=VALUE, not "${text}"`);
    if (RESERVED_ENV.includes(name)) {
        throw new UsageError(`-e ${name} is set by the runner for each segment; the merged result goes to --out <file>`);
    }
    return [name, text.slice(equals + 1)];
}

function parseUsd(text: string | undefined): number {
    if (text === undefined) return DEFAULT_CONFIRM_ABOVE_USD;
    const usd = Number(text);
    if (text.trim() === "" || !Number.isFinite(usd) || usd < 0) throw new UsageError(`--confirm-above must be an amount in US dollars such as 2.50, not "${text}"`);
    return usd;
}

function parseAwsAccess(profile: string | undefined, roleArns: string[]): AwsAccess {
    for (const arn of roleArns) {
        const problem = roleArnProblem(arn);
        if (problem !== undefined) throw new UsageError(problem);
    }
    const accounts = roleArns.map((arn) => arn.split(":")[4]);
    const twice = accounts.find((account, index) => accounts.indexOf(account) !== index);
    if (twice !== undefined) throw new UsageError(`--role-arn names two roles in account ${twice}: give one per account`);
    return { ...(profile !== undefined ? { profile } : {}), roleArns };
}
