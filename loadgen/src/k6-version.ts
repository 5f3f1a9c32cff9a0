/**
 * Which k6 a binary is, from `k6 version`, which prints one line such as
 * `k6 v2.2.0 (commit/4fd2a3d1c0, go1.25.1, linux/amd64)`: the command refuses a run whose local k6 (which archives
 * and inspects the script) has another major version than the runner image's.
 */
import { execFile } from "node:child_process";

export interface K6Version {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    /** As printed, `v2.2.0`. */
    readonly text: string;
}

const VERSION = /\bv?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?/;

/** The version in `k6 version`'s output or an image tag (`grafana/k6:2.2.0@sha256:…`); undefined when there is none. */
export function parseK6Version(text: string): K6Version | undefined {
    const match = VERSION.exec(text);
    if (match === null) return undefined;
    const [major, minor, patch] = match.slice(1, 4).map(Number);
    return { major, minor, patch, text: `v${major}.${minor}.${patch}` };
}

/** `k6 version` of the binary, as printed (its first line); rejects when it cannot be run or says no version. */
export function readK6Version(binary: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(binary, ["version"], { timeout: timeoutMs }, (error, stdout) => {
            const line = stdout.split("\n").find((candidate) => parseK6Version(candidate) !== undefined);
            if (error !== null || line === undefined) {
                const why = error?.code === "ENOENT" ? "no such program" : (error?.message ?? `it printed "${stdout.trim()}"`);
                reject(new Error(`${binary} version did not say which k6 it is: ${why}`));
                return;
            }
            resolve(line.trim());
        });
    });
}
