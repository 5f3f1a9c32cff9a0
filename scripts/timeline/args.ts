/** `npm run timeline -- ...`: the command line, parsed into what to do. Nothing here reads files or calls AWS. */
import * as path from "node:path";
import { IAM_NAMES } from "../../config";
import { roleArnProblem } from "../aws-connection";
import { CommandUsage, UsageError, oneOf, parseCommandLine, refuseArguments, refuseOptionsOf } from "../cli-usage";
import { StackRef, resolveStack } from "../stack-file";
import { InputError } from "./timeline";

export const USAGE = `Usage:
  npm run timeline -- simulate --stack <name|file> --script <load|stress> [-e NAME=VALUE ...]
                      [--cpu-ms <ms> | --calibration <file>] [--assume NAME=VALUE ...] [--compare]
                      [--json <file>] [--html <file>]
      Predict, offline, what the stack's autoscaling does under the k6 profile (with the same -e overrides as k6).
  npm run timeline -- observe --stack <name|file> --summary <k6 summary file> [--outputs <file>]
                      [--profile <name>] [--role-arn <arn>] [--json <file>] [--html <file>]
      Read from CloudWatch what the stack's service did during the k6 run the summary file records.
  npm run timeline -- calibrate --observed <file> [--stack <name|file>] --out <file>
      Fit the per-request CPU, the task start-up time and the datapoint delay from an observed timeline.
  npm run timeline -- report [--predicted <file>] [--observed <file>] [--calibrated <file>] --html <file>
      Draw up to three timelines (written by --json) on the same axes in one self-contained HTML file, with each
      prediction's error against the observed run.

Options:
  --stack <name|file>    an environment stack: its name, as pulumi -s takes it (dev; its file is Pulumi.dev.yaml
                         here), or its stack file's path (Pulumi.dev.yaml, ../elsewhere/Pulumi.dev.yaml)
  --script <name>        the k6 profile: load (users with think time) or stress (arrival rate); k6/load.ts works too
  -e NAME=VALUE          a k6 -e variable of that profile, as for k6 run (repeatable)
  --cpu-ms <ms>          CPU milliseconds per request (default: from LIMIT_MIN/LIMIT_MAX and the calibration table)
  --calibration <file>   a file timeline calibrate wrote: its per-request CPU, start-up time and datapoint delay
                         replace the calibration table and those assumptions
  --assume NAME=VALUE    override one of the printed assumptions, e.g. taskStartupSeconds=60 (repeatable)
  --compare              also simulate the other scaling mode (with its defaults) and print both side by side
  --summary <file>       the JSON file a k6 run of this project wrote (k6/results/<script>-<time>.json)
  --outputs <file>       the stack's outputs as \`pulumi stack output --json -s <stack>\` prints them
                         (default: read them with the Pulumi CLI)
  --profile <name>       AWS profile for credentials (default: the standard chain)
  --role-arn <arn>       role to assume with those credentials, e.g. the stack account's read-only role
                         (arn:aws:iam::<account>:role/${IAM_NAMES.readOnlyRole}); the caller must be in the stack's account
  --observed <file>      an observed timeline (observe --json); calibrate fits from it, report draws it
                         (calibrate's --stack defaults to the stack file it names, in the current folder)
  --out <file>           where calibrate writes the calibration (JSON)
  --predicted <file>     a predicted timeline (simulate --json) for report
  --calibrated <file>    a timeline simulated with --calibration, for report
  --json <file>          write the timeline as JSON
  --html <file>          write the timeline as a self-contained HTML report
  -h, --help             this text

Exit status: 0 done; 1 failed (e.g. AWS refused); 2 bad arguments or input.`;

export const TIMELINE_USAGE: CommandUsage = { command: "npm run timeline --", text: USAGE };

/** The k6 profiles a timeline can be simulated for: the ones that load the service. */
export const TIMELINE_SCRIPTS = ["load", "stress"] as const;
export type TimelineScript = (typeof TIMELINE_SCRIPTS)[number];

export interface Outputs {
    json?: string;
    html?: string;
}

export type Invocation =
    | { kind: "help" }
    | {
          kind: "simulate";
          stack: StackRef;
          script: TimelineScript;
          env: Record<string, string>;
          cpuMs?: number;
          calibrationFile?: string;
          assume: Record<string, number>;
          compare: boolean;
          outputs: Outputs;
      }
    | {
          kind: "observe";
          stack: StackRef;
          summaryFile: string;
          stackOutputsFile?: string;
          profile?: string;
          roleArn?: string;
          outputs: Outputs;
      }
    | { kind: "calibrate"; observedFile: string; stack?: StackRef; out: string }
    | { kind: "report"; predicted?: string; observed?: string; calibrated?: string; html: string };

const COMMANDS = ["simulate", "observe", "calibrate", "report"] as const;

const OPTIONS = {
    stack: { type: "string" },
    script: { type: "string" },
    env: { type: "string", short: "e", multiple: true },
    "cpu-ms": { type: "string" },
    calibration: { type: "string" },
    assume: { type: "string", multiple: true },
    compare: { type: "boolean" },
    summary: { type: "string" },
    outputs: { type: "string" },
    profile: { type: "string" },
    "role-arn": { type: "string" },
    predicted: { type: "string" },
    observed: { type: "string" },
    calibrated: { type: "string" },
    out: { type: "string" },
    json: { type: "string" },
    html: { type: "string" },
} as const;

/** Which options each subcommand takes; any other is refused rather than ignored. */
const TAKES: Record<Exclude<Invocation["kind"], "help">, ReadonlyArray<keyof typeof OPTIONS>> = {
    simulate: ["stack", "script", "env", "cpu-ms", "calibration", "assume", "compare", "json", "html"],
    observe: ["stack", "summary", "outputs", "profile", "role-arn", "json", "html"],
    calibrate: ["observed", "stack", "out"],
    report: ["predicted", "observed", "calibrated", "html"],
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `NAME=VALUE` pairs into a record, refusing malformed ones and repeated names. */
function pairs(flag: string, items: readonly string[] | undefined): Record<string, string> {
    const record: Record<string, string> = {};
    for (const item of items ?? []) {
        const separator = item.indexOf("=");
        const name = separator > 0 ? item.slice(0, separator) : "";
        if (!ENV_NAME.test(name)) throw new UsageError(`${flag} expects NAME=VALUE, not "${item}"`);
        if (Object.hasOwn(record, name)) throw new UsageError(`${flag} ${name} is given twice: give each name once`);
        record[name] = item.slice(separator + 1);
    }
    return record;
}

function positiveNumber(flag: string, text: string): number {
    const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`${flag} expects a number > 0, not "${text}"`);
    return value;
}

/** `load`, `stress`, `k6/load.ts` or `./k6/stress.ts` → the profile name; anything else is refused. */
export function scriptName(text: string): TimelineScript {
    const base = path.basename(text).replace(/\.(ts|js)$/, "");
    const known = (TIMELINE_SCRIPTS as readonly string[]).includes(base);
    if (known && (text === base || /^(\.\/)?k6\/[a-z]+\.(ts|js)$/.test(text))) return base as TimelineScript;
    const hint = base === "smoke" ? " (smoke checks answers at 2 users; it does not load the service)" : "";
    throw new InputError(`--script "${text}" is not a k6 load profile of this project${hint}: use ${TIMELINE_SCRIPTS.join(" or ")}`);
}

function required(values: Record<string, unknown>, flag: string, kind: string): string {
    const value = values[flag];
    if (typeof value !== "string" || value.trim() === "") throw new UsageError(`${kind} needs --${flag}`);
    return value;
}

const stackOf = (given: string) => resolveStack(given, (message) => new UsageError(`--stack ${message}`));

const isCommand = (word: string): word is (typeof COMMANDS)[number] => (COMMANDS as readonly string[]).includes(word);

export function parseInvocation(argv: readonly string[]): Invocation {
    const parsed = parseCommandLine(argv, OPTIONS);
    if (parsed === "help") return { kind: "help" };
    const { values, positionals } = parsed;
    const [kind, ...extra] = positionals;
    if (kind === undefined) throw new UsageError(`say what to do: ${oneOf(COMMANDS)}`);
    if (!isCommand(kind)) throw new UsageError(`unknown command "${kind}": use ${oneOf(COMMANDS)}`);
    refuseArguments(extra);
    refuseOptionsOf(kind, Object.keys(values) as Array<keyof typeof OPTIONS>, TAKES, OPTIONS);
    const outputs: Outputs = { json: values.json, html: values.html };

    if (kind === "simulate") {
        const assume = Object.fromEntries(
            Object.entries(pairs("--assume", values.assume)).map(([name, text]) => [name, Number(text.trim() === "" ? Number.NaN : text)]),
        );
        const badAssumption = Object.entries(assume).find(([, value]) => !Number.isFinite(value));
        if (badAssumption !== undefined) throw new UsageError(`--assume ${badAssumption[0]} expects a number`);
        if (values["cpu-ms"] !== undefined && values.calibration !== undefined) {
            throw new UsageError("--cpu-ms and --calibration both set the per-request CPU: give one of them");
        }
        return {
            kind,
            stack: stackOf(required(values, "stack", kind)),
            script: scriptName(required(values, "script", kind)),
            env: pairs("-e", values.env),
            cpuMs: values["cpu-ms"] === undefined ? undefined : positiveNumber("--cpu-ms", values["cpu-ms"]),
            calibrationFile: values.calibration,
            assume,
            compare: values.compare ?? false,
            outputs,
        };
    }
    if (kind === "observe") {
        const roleArn = values["role-arn"];
        const problem = roleArn === undefined ? undefined : roleArnProblem(roleArn);
        if (problem !== undefined) throw new UsageError(problem);
        return {
            kind,
            stack: stackOf(required(values, "stack", kind)),
            summaryFile: required(values, "summary", kind),
            stackOutputsFile: values.outputs,
            profile: values.profile,
            roleArn,
            outputs,
        };
    }
    if (kind === "calibrate") {
        return { kind, observedFile: required(values, "observed", kind), stack: values.stack === undefined ? undefined : stackOf(values.stack), out: required(values, "out", kind) };
    }
    if (values.predicted === undefined && values.observed === undefined && values.calibrated === undefined) {
        throw new UsageError("report needs at least one of --predicted <file>, --observed <file> and --calibrated <file>");
    }
    return { kind, predicted: values.predicted, observed: values.observed, calibrated: values.calibrated, html: required(values, "html", kind) };
}
