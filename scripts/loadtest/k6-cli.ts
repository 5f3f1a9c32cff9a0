/**
 * The local k6 the command uses before a run: `k6 version` says which it is; `k6 archive` packs the script, its
 * modules and its -e values into the one file every task runs; `k6 inspect --execution-requirements` on that archive
 * says how long the profile lasts, how many VUs it needs, and its thresholds (judged by the command once the segments
 * are merged).
 */
import { spawn } from "node:child_process";
import { z } from "zod";
import { parseK6Version } from "../../loadgen/src/k6-version";
import { K6Thresholds } from "../../loadgen/src/thresholds";

export class K6CliError extends Error {}

/** k6 from K6_BINARY, else from PATH. */
export function k6Binary(env: NodeJS.ProcessEnv = process.env): string {
    return env.K6_BINARY ?? "k6";
}

/** k6 writes a threshold with abortOnFail as an object, with `"delayAbortEval": null` when the script gave none. */
const thresholdSchema = z.union([
    z.string(),
    z.object({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: z.string().nullish() }),
]);

/** The part of `k6 inspect --execution-requirements` output the command reads. */
const inspectSchema = z.looseObject({
    thresholds: z.record(z.string(), z.array(thresholdSchema)).nullish(),
    summaryTrendStats: z.array(z.string()).nullish(),
    totalDuration: z.string(),
    maxVUs: z.number().int().min(0),
});

export interface ScriptRequirements {
    /** The whole profile, graceful stops included, as k6 computes it. */
    durationSeconds: number;
    maxVUs: number;
    thresholds: K6Thresholds;
    summaryTrendStats?: string[];
}

const GO_DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, "µs": 1e-6, ns: 1e-9 };

/** A Go duration as k6 prints it ("40m30s", "1h0m0s", "1.5s", "0s"), in seconds. */
export function parseGoDuration(text: string): number {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g)];
    if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) throw new K6CliError(`"${text}" is not a duration k6 prints`);
    return parts.reduce((seconds, [, value, unit]) => seconds + Number(value) * GO_DURATION_UNITS[unit], 0);
}

export function parseInspectOutput(stdout: string): ScriptRequirements {
    let json: unknown;
    try {
        json = JSON.parse(stdout);
    } catch {
        throw new K6CliError(`k6 inspect printed something that is not JSON: ${stdout.slice(0, 200)}`);
    }
    const parsed = inspectSchema.safeParse(json);
    if (!parsed.success) {
        throw new K6CliError(`k6 inspect's output lacks what the command needs: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
    const inspect = parsed.data;
    return {
        durationSeconds: parseGoDuration(inspect.totalDuration),
        maxVUs: inspect.maxVUs,
        thresholds: inspect.thresholds ?? {},
        ...(inspect.summaryTrendStats ? { summaryTrendStats: inspect.summaryTrendStats } : {}),
    };
}

interface K6Output {
    code: number | null;
    stdout: string;
    stderr: string;
}

function runK6(binary: string, args: string[], cwd: string): Promise<K6Output> {
    return new Promise((resolve, reject) => {
        const child = spawn(binary, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", (error: NodeJS.ErrnoException) =>
            reject(
                new K6CliError(
                    error.code === "ENOENT"
                        ? `k6 is not installed here (no "${binary}"): install it (https://grafana.com/docs/k6/latest/set-up/install-k6/) or set K6_BINARY`
                        : `${binary} could not be started: ${error.message}`,
                ),
            ),
        );
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

function failure(what: string, output: K6Output): K6CliError {
    const detail = (output.stderr.trim() || output.stdout.trim()).split("\n").slice(-5).join("\n  ");
    return new K6CliError(`${what} failed (exit ${output.code}):\n  ${detail}`);
}

/** `k6 version`'s line naming the version, e.g. `k6 v2.2.0 (commit/00a9a1b7f5, go1.26.5, linux/amd64)`. */
export async function printedK6Version(binary: string, cwd: string): Promise<string> {
    const output = await runK6(binary, ["version"], cwd);
    if (output.code !== 0) throw failure(`${binary} version`, output);
    const line = output.stdout.split("\n").find((candidate) => parseK6Version(candidate) !== undefined);
    if (line === undefined) throw new K6CliError(`${binary} version did not say which k6 it is: it printed "${output.stdout.trim()}"`);
    return line.trim();
}

/** `k6 archive`: the script with its modules and -e values, in one file at `archivePath`. */
export async function archiveScript(binary: string, script: string, env: [string, string][], archivePath: string, cwd: string): Promise<void> {
    const args = ["archive", "--quiet", "--archive-out", archivePath, ...env.flatMap(([name, value]) => ["--env", `${name}=${value}`]), script];
    const output = await runK6(binary, args, cwd);
    if (output.code !== 0) throw failure(`k6 archive ${script}`, output);
}

export async function inspectArchive(binary: string, archivePath: string, cwd: string): Promise<ScriptRequirements> {
    const output = await runK6(binary, ["inspect", "--execution-requirements", archivePath], cwd);
    if (output.code !== 0) throw failure(`k6 inspect ${archivePath}`, output);
    return parseInspectOutput(output.stdout);
}
