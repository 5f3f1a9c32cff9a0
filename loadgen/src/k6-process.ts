/**
 * One k6 process whose `--out json` lines are read as k6 writes them. They go through a named pipe rather than a file,
 * so an hour of samples never lands on the task's disk, and k6's own stdout (banner, progress, handleSummary's text)
 * stays apart from the data.
 */
import { ChildProcessByStdio, execFileSync, spawn } from "node:child_process";
import { closeSync, constants, openSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import type { Readable } from "node:stream";

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
    /** Defaults to PIPE_DRAIN_IDLE_MS. */
    drainIdleMs?: number;
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

/** The file k6 writes its `--out json` lines to: a named pipe in the pipe directory, there only while k6 runs. */
export const OUTPUT_PIPE_NAME = "k6-output.jsonl";

/**
 * Once k6 has exited and the pipe's path is gone, only a process that opened the pipe for writing too (a reader that
 * opened it read-write) keeps its reader from seeing the end: after this long without data the reader stops waiting.
 */
const PIPE_DRAIN_IDLE_MS = 5000;

/** Pipes whose path is still there: removed if the process exits before their k6 does (a second Ctrl-C). */
const livePipes = new Set<OutputPipe>();

function removeLivePipes(): void {
    for (const pipe of livePipes) pipe.close();
}

/**
 * A named pipe read without blocking. The command holds a write end open itself until k6 has exited, so the reader
 * sees no end of file before k6 opens the pipe, and does see it if k6 never opens it (it failed to start).
 *
 * `close()` is the one cleanup, however k6 ended: it removes the path, so nothing is left for `grep` or an editor
 * to hang on, and it never opens the pipe nor waits on a reader (an open of a pipe can block; an unlink cannot).
 */
class OutputPipe {
    /** Settles once the reader has read everything k6 wrote (or has been idle for drainIdleMs after close()). */
    readonly ended: Promise<void>;
    private readonly socket: Socket;
    private holdFd: number | undefined;

    constructor(
        readonly path: string,
        onChunk: (chunk: Buffer) => void,
        private readonly drainIdleMs: number,
    ) {
        execFileSync("mkfifo", ["-m", "600", path]);
        if (livePipes.size === 0) process.on("exit", removeLivePipes);
        livePipes.add(this);
        let readFd: number | undefined;
        try {
            readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
            this.holdFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch (error) {
            if (readFd !== undefined) closeSync(readFd);
            this.close();
            throw error;
        }
        const socket = new Socket({ fd: readFd, readable: true, writable: false });
        socket.on("data", onChunk);
        this.ended = new Promise<void>((resolve, reject) => {
            socket.on("close", () => resolve());
            socket.on("error", reject);
        });
        this.socket = socket;
    }

    close(): void {
        rmSync(this.path, { force: true });
        livePipes.delete(this);
        if (livePipes.size === 0) process.off("exit", removeLivePipes);
        if (this.holdFd === undefined) return;
        closeSync(this.holdFd);
        this.holdFd = undefined;
        this.socket.setTimeout(this.drainIdleMs, () => this.socket.destroy());
    }
}

export function startK6(options: K6RunOptions): K6Process {
    const tail: string[] = [];
    const log = (line: string) => {
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
        options.onLogLine?.(line);
    };
    const data = lineSplitter(options.onDataLine);
    const pipe = new OutputPipe(join(options.pipeDir, OUTPUT_PIPE_NAME), (chunk) => data.push(chunk), options.drainIdleMs ?? PIPE_DRAIN_IDLE_MS);
    const args = [...options.args.slice(0, 1), "--out", `json=${pipe.path}`, ...options.args.slice(1)];
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
        child = spawn(options.binary, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
        pipe.close();
        throw error;
    }
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
            pipe.close();
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
