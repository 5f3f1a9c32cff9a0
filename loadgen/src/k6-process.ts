/**
 * One k6 process whose `--out json` lines are read as k6 writes them. They go through a named pipe rather than a file,
 * so an hour of samples never lands on the task's disk, and k6's own stdout (banner, progress, handleSummary's text)
 * stays apart from the data.
 */
import { spawn, execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";

/** How long k6 gets to stop on its own (it ends the test and runs handleSummary) before it is killed. */
export const K6_STOP_GRACE_MS = 30_000;
const LOG_TAIL_LINES = 50;

export interface K6RunOptions {
    binary: string;
    /** Everything after `k6`, without the output: `run --execution-segment ... archive.tar`. */
    args: readonly string[];
    cwd: string;
    /** The pipe is created here. */
    pipeDir: string;
    /** Each line of k6's JSON output. */
    onDataLine(line: string): void;
    /** Each line k6 writes to stdout or stderr. */
    onLogLine?(line: string): void;
    env?: NodeJS.ProcessEnv;
    stopGraceMs?: number;
}

export interface K6Exit {
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    /** Set when the process could not be started at all (no such binary, ...). */
    spawnError?: string;
}

export interface K6Process {
    /** Settles once k6 has exited and every line of its output has been delivered. */
    readonly exited: Promise<K6Exit>;
    /** Asks k6 to stop (SIGTERM: it ends the test as on Ctrl-C); kills it if it has not after the grace period. */
    stop(): void;
    logTail(): string[];
}

/** Splits a stream's chunks into lines, handing each complete one on. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
    let pending = "";
    return {
        push(chunk) {
            const text = pending + chunk.toString("utf8");
            let start = 0;
            for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
                onLine(text.slice(start, newline));
                start = newline + 1;
            }
            pending = text.slice(start);
        },
        end() {
            if (pending !== "") onLine(pending);
            pending = "";
        },
    };
}

/**
 * A named pipe read without blocking. The command holds a write end open itself until k6 has exited, so the reader
 * sees no end of file before k6 opens the pipe, and does see it if k6 never opens it (it failed to start).
 */
function openPipe(path: string, onChunk: (chunk: Buffer) => void): { ended: Promise<void>; release(): void } {
    execFileSync("mkfifo", ["-m", "600", path]);
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const holdFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    const socket = new Socket({ fd: readFd, readable: true, writable: false });
    socket.on("data", onChunk);
    const ended = new Promise<void>((resolve, reject) => {
        socket.on("end", resolve);
        socket.on("error", reject);
    });
    let held = true;
    return {
        ended,
        release() {
            if (held) closeSync(holdFd);
            held = false;
        },
    };
}

export function startK6(options: K6RunOptions): K6Process {
    const tail: string[] = [];
    const log = (line: string) => {
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
        options.onLogLine?.(line);
    };
    const data = lineSplitter(options.onDataLine);
    const pipe = openPipe(join(options.pipeDir, "k6-output.jsonl"), (chunk) => data.push(chunk));
    const args = [...options.args.slice(0, 1), "--out", `json=${join(options.pipeDir, "k6-output.jsonl")}`, ...options.args.slice(1)];
    const child = spawn(options.binary, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout, child.stderr]) {
        const lines = lineSplitter(log);
        stream.on("data", (chunk: Buffer) => lines.push(chunk));
        stream.on("end", () => lines.end());
    }

    let killTimer: NodeJS.Timeout | undefined;
    const exited = new Promise<K6Exit>((resolve) => {
        let spawnError: string | undefined;
        child.on("error", (error) => {
            spawnError = `${options.binary} could not be started: ${error.message}`;
        });
        child.on("close", (exitCode, signal) => {
            clearTimeout(killTimer);
            pipe.release();
            pipe.ended.then(
                () => {
                    data.end();
                    resolve({ exitCode, signal, ...(spawnError ? { spawnError } : {}) });
                },
                (error: Error) => resolve({ exitCode, signal, spawnError: spawnError ?? `reading k6's output failed: ${error.message}` }),
            );
        });
    });

    return {
        exited,
        stop() {
            if (child.exitCode !== null || child.signalCode !== null || killTimer !== undefined) return;
            child.kill("SIGTERM");
            killTimer = setTimeout(() => child.kill("SIGKILL"), options.stopGraceMs ?? K6_STOP_GRACE_MS);
        },
        logTail: () => [...tail],
    };
}
