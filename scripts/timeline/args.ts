/** `npm run timeline -- ...`: the command line, parsed into what to do. Nothing here reads files or calls AWS. */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { IAM_NAMES } from "../../config";
import { roleArnProblem } from "../aws-connection";
import { InputError } from "./timeline";

export const USAGE = `Usage:
  npm run timeline -- simulate --stack <stack file> --script <load|stress> [-e NAME=VALUE ...]
                      [--cpu-ms <ms> | --calibration <file>] [--assume NAME=VALUE ...] [--compare]
                      [--json <file>] [--html <file>]
      Predict, offline, what the stack's autoscaling does under the k6 profile (with the same -e overrides as k6).
  npm run timeline -- observe --stack <stack file> --summary <k6 summary file> [--outputs <file>]
                      [--profile <name>] [--role-arn <arn>] [--json <file>] [--html <file>]
      Read from CloudWatch what the stack's service did during the k6 run the summary file records.
  npm run timeline -- calibrate --observed <file> [--stack <stack file>] --out <file>
      Fit the per-request CPU, the task start-up time and the datapoint delay from an observed timeline.
  npm run timeline -- report [--predicted <file>] [--observed <file>] [--calibrated <file>] --html <file>
      Draw up to three timelines (written by --json) on the same axes in one self-contained HTML file, with each
      prediction's error against the observed run.

Options:
  --stack <file>         an environment stack file, e.g. Pulumi.dev.yaml
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
                         (calibrate's --stack defaults to the stack file it names, in the current directory)
  --out <file>           where calibrate writes the calibration (JSON)
  --predicted <file>     a predicted timeline (simulate --json) for report
  --calibrated <file>    a timeline simulated with --calibration, for report
  --json <file>          write the timeline as JSON
  --html <file>          write the timeline as a self-contained HTML report
  -h, --help             this text

Exit status: 0 done; 1 failed (e.g. AWS refused); 2 bad arguments or input.`;

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
          stackFile: string;
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
          stackFile: string;
          summaryFile: string;
          stackOutputsFile?: string;
          profile?: string;
          roleArn?: string;
          outputs: Outputs;
      }
    | { kind: "calibrate"; observedFile: string; stackFile?: string; out: string }
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
    help: { type: "boolean", short: "h" },
} as const;

/** Which options each subcommand takes; any other is refused rather than ignored. */
const ALLOWED: Record<Exclude<Invocation["kind"], "help">, ReadonlyArray<keyof typeof OPTIONS>> = {
    simulate: ["stack", "script", "env", "cpu-ms", "calibration", "assume", "compare", "json", "html"],
    observe: ["stack", "summary", "outputs", "profile", "role-arn", "json", "html"],
    calibrate: ["observed", "stack", "out"],
    report: ["predicted", "observed", "calibrated", "html"],
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function usageError(message: string): InputError {
    return new InputError(`${message}\n\n${USAGE}`);
}

/** `NAME=VALUE` pairs into a record, refusing malformed ones and repeated names. */
function pairs(flag: string, items: readonly string[] | undefined): Record<string, string> {
    const record: Record<string, string> = {};
    for (const item of items ?? []) {
        const separator = item.indexOf("=");
        const name = separator > 0 ? item.slice(0, separator) : "";
        if (!ENV_NAME.test(name)) throw usageError(`${flag} expects NAME=VALUE, not "${item}"`);
        if (Object.hasOwn(record, name)) throw usageError(`${flag} ${name} is given twice: give each name once`);
        record[name] = item.slice(separator + 1);
    }
    return record;
}

function positiveNumber(flag: string, text: string): number {
    const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!(value > 0) || !Number.isFinite(value)) throw usageError(`${flag} expects a number > 0, not "${text}"`);
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
    if (typeof value !== "string" || value.trim() === "") throw usageError(`${kind} needs --${flag}`);
    return value;
}

const isCommand = (word: string): word is (typeof COMMANDS)[number] => (COMMANDS as readonly string[]).includes(word);

export function parseInvocation(argv: readonly string[]): Invocation {
    let parsed;
    try {
        parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
        throw usageError(error instanceof Error ? error.message.split(". ")[0] : String(error));
    }
    const { values, positionals } = parsed;
    if (values.help) return { kind: "help" };
    const [kind, ...extra] = positionals;
    const commands = `${COMMANDS.slice(0, -1).join(", ")} or ${COMMANDS.at(-1)}`;
    if (kind === undefined) throw usageError(`say what to do: ${commands}`);
    if (!isCommand(kind)) throw usageError(`unknown command "${kind}": use ${commands}`);
    if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
    const given = Object.keys(values) as Array<keyof typeof OPTIONS>;
    const refused = given.find((flag) => !ALLOWED[kind].includes(flag));
    if (refused !== undefined) throw usageError(`${kind} does not take --${refused === "env" ? "env (-e)" : refused}`);
    const outputs: Outputs = { json: values.json, html: values.html };

    if (kind === "simulate") {
        const assume = Object.fromEntries(
            Object.entries(pairs("--assume", values.assume)).map(([name, text]) => [name, Number(text.trim() === "" ? Number.NaN : text)]),
        );
        const badAssumption = Object.entries(assume).find(([, value]) => !Number.isFinite(value));
        if (badAssumption !== undefined) throw usageError(`--assume ${badAssumption[0]} expects a number`);
        if (values["cpu-ms"] !== undefined && values.calibration !== undefined) {
            throw usageError("--cpu-ms and --calibration both set the per-request CPU: give one of them");
        }
        return {
            kind,
            stackFile: required(values, "stack", kind),
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
        if (problem !== undefined) throw usageError(problem);
        return {
            kind,
            stackFile: required(values, "stack", kind),
            summaryFile: required(values, "summary", kind),
            stackOutputsFile: values.outputs,
            profile: values.profile,
            roleArn,
            outputs,
        };
    }
    if (kind === "calibrate") {
        return { kind, observedFile: required(values, "observed", kind), stackFile: values.stack, out: required(values, "out", kind) };
    }
    if (values.predicted === undefined && values.observed === undefined && values.calibrated === undefined) {
        throw usageError("report needs at least one of --predicted <file>, --observed <file> and --calibrated <file>");
    }
    return { kind, predicted: values.predicted, observed: values.observed, calibrated: values.calibrated, html: required(values, "html", kind) };
}
