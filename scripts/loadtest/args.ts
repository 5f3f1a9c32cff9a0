/** `npm run loadtest -- ...`: the command line, parsed into what to do. Nothing here touches AWS, k6 or files. */
import { parseArgs } from "node:util";
import { RUN_ID_PATTERN } from "../../loadgen/src/contract";
import { roleArnProblem } from "../aws-connection";

export const DEFAULT_CONFIRM_ABOVE_USD = 1;

export const USAGE = `Usage:
  npm run loadtest -- --stack <name> [--stack <name> ...] --tasks <n> [--spot] <script> [-e NAME=VALUE ...]
                      [--out <file>] [--dry-run] [--yes] [--confirm-above <usd>] [--profile <name>] [--role-arn <arn> ...]
      Run <script> (a k6 script such as k6/load.ts) as <n> execution segments on Fargate tasks of the loadgen
      stacks (tasks split across them), then merge the results into one k6 summary with one threshold verdict.
  npm run loadtest -- --local --tasks <n> <script> [-e NAME=VALUE ...] [--out <file>]
      The same split as <n> local k6 processes (k6 from PATH or K6_BINARY): check a split before paying for it.
  npm run loadtest -- --stop <run id> --stack <name> [--stack <name> ...]
      Stop every task of a run (what an interrupted command would have stopped).
  npm run loadtest -- build-image --stack <name> [--stack <name> ...]
      Build the runner image for linux/amd64 and push it to each stack's repository (skipped when it is there).
  npm run loadtest -- merge <run id> --stack <name> [--stack <name> ...] [--out <file>]
  npm run loadtest -- merge <folder of a --local run, k6/results/<run id>> [--out <file>]
      Merge a run again from what its tasks stored (after the command was interrupted, or to redo its report).

Options:
  --tasks <n>            how many segments, one task (or local process) each
  --spot                 run the tasks on Fargate Spot (cheaper; a reclaimed task makes the run an error)
  -e NAME=VALUE          a k6 -e variable, as for k6 run (repeatable)
  --out <file>           the merged result (default: k6/results/<script>-<UTC time>-distributed.json)
  --dry-run              print the plan and its cost, start nothing
  --yes                  start without asking, whatever the estimated cost
  --confirm-above <usd>  ask before starting a run estimated above this (default: ${DEFAULT_CONFIRM_ABOVE_USD})
  --profile <name>       AWS profile for credentials (default: the standard chain)
  --role-arn <arn>       role to assume in a stack's account, e.g. its deploy role (repeatable: one per account)
  -h, --help             this text

Exit status: 0 passed; 99 a threshold failed (as k6); 1 the run failed or is incomplete (a task could not start, k6
failed in a task, a task was stopped early or left no result; named); 2 bad arguments or input; 130 interrupted
(every task stopped, what they uploaded merged).`;


export interface AwsAccess {
    profile?: string;
    roleArns: string[];
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
      }
    | { kind: "stop"; runId: string; stacks: string[]; aws: AwsAccess }
    | { kind: "build-image"; stacks: string[]; aws: AwsAccess }
    /** A run merged again: from its stacks' buckets (runId and stacks), or from a local run's folder. */
    | { kind: "merge"; runId?: string; folder?: string; stacks: string[]; out?: string; aws: AwsAccess };

export class UsageError extends Error {}

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
    help: { type: "boolean", short: "h" },
} as const;

export function parseInvocation(argv: string[]): Invocation {
    let parsed;
    try {
        parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
        throw new UsageError(error instanceof Error ? error.message.split(". ")[0] : String(error));
    }
    const { values, positionals } = parsed;
    if (values.help) return { kind: "help" };
    const stacks = unique(values.stack ?? [], "--stack");
    const aws = parseAwsAccess(values.profile, values["role-arn"] ?? []);

    if (positionals[0] === "build-image") {
        only(values, ["stack", "profile", "role-arn"], "build-image");
        if (positionals.length > 1) throw new UsageError(`build-image takes no other arguments, not "${positionals.slice(1).join(" ")}"`);
        return { kind: "build-image", stacks: required(stacks, "build-image needs --stack <name>: the loadgen stack whose repository gets the image"), aws };
    }
    if (positionals[0] === "merge") {
        only(values, ["stack", "out", "profile", "role-arn"], "merge");
        if (positionals.length !== 2) throw new UsageError("merge takes one run id (with --stack) or one local run's folder");
        const target = positionals[1];
        const out = values.out;
        if (RUN_ID_PATTERN.test(target)) {
            return { kind: "merge", runId: target, stacks: required(stacks, `merge ${target} needs the --stack (or stacks) the run used`), ...(out ? { out } : {}), aws };
        }
        if (stacks.length > 0) throw new UsageError(`merge with --stack needs a run id such as lt-20261130T120000Z-a1b2, not "${target}"`);
        return { kind: "merge", folder: target, stacks, ...(out ? { out } : {}), aws };
    }
    if (values.stop !== undefined) {
        only(values, ["stop", "stack", "profile", "role-arn"], "--stop");
        if (!RUN_ID_PATTERN.test(values.stop)) throw new UsageError(`--stop needs a run id such as lt-20261130T120000Z-a1b2, not "${values.stop}"`);
        if (positionals.length > 0) throw new UsageError(`--stop takes no script, not "${positionals.join(" ")}"`);
        return { kind: "stop", runId: values.stop, stacks: required(stacks, "--stop needs the --stack (or stacks) the run used"), aws };
    }

    const local = values.local ?? false;
    if (local && stacks.length > 0) throw new UsageError("--local runs k6 on this machine: leave out --stack");
    if (!local && stacks.length === 0) throw new UsageError("name the loadgen stack to run from with --stack <name> (or run locally with --local)");
    if (local) only(values, ["local", "tasks", "env", "out", "dry-run"], "--local");
    if (positionals.length !== 1) {
        throw new UsageError(positionals.length === 0 ? "name the k6 script to run, e.g. k6/load.ts" : `one script at a time, not "${positionals.join(" ")}"`);
    }
    return {
        kind: "run",
        stacks,
        local,
        tasks: parseTasks(values.tasks, Math.max(stacks.length, 1)),
        spot: values.spot ?? false,
        script: positionals[0],
        env: (values.env ?? []).map(parseEnv),
        out: values.out,
        dryRun: values["dry-run"] ?? false,
        yes: values.yes ?? false,
        confirmAboveUsd: parseUsd(values["confirm-above"]),
        aws,
    };
}

type OptionValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** Refuses options that the mode does not use, rather than ignoring them. */
function only(values: OptionValues, allowed: (keyof typeof OPTIONS)[], mode: string): void {
    const extra = (Object.keys(values) as (keyof typeof OPTIONS)[]).filter((name) => values[name] !== undefined && !allowed.includes(name));
    if (extra.length > 0) throw new UsageError(`${mode} does not take ${extra.map((name) => `--${name}`).join(", ")}`);
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
