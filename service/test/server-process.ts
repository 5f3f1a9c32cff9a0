/**
 * Runs the built service (dist/server.js, the file the Dockerfile's CMD runs) as a child process on
 * an ephemeral 127.0.0.1 port, and talks to it over plain HTTP, one connection per request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { existsSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { SERVICE_VARIABLES } from "../src/config.js";

/** The built entry file; `npm test`'s pretest (and `npm run build`) produce it. */
export const SERVER_ENTRY = fileURLToPath(new URL("../dist/server.js", import.meta.url));


export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

export class ServerProcess {
  readonly logs: LogLine[] = [];
  stderr = "";
  private readonly exited: Promise<number | null>;
  /** performance.now() when the process exited (once it has). */
  exitedAt: number | undefined;
  private readonly events = new EventEmitter();
  private buffer = "";

  private constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        if (line.trim() !== "") this.logs.push(JSON.parse(line) as LogLine);
        this.events.emit("log");
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = once(child, "exit").then(([code]) => {
      this.exitedAt = performance.now();
      return code as number | null;
    });
  }

  /** Starts dist/server.js with PORT=0 HOST=127.0.0.1 plus `env`, without waiting for it to listen. */
  static spawn(env: Record<string, string> = {}): ServerProcess {
    if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`);
    const base = { ...process.env };
    for (const name of SERVICE_VARIABLES) delete base[name];
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { ...base, PORT: "0", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new ServerProcess(child);
  }

  /** Starts the service and waits for its "listening" line. */
  static async start(env: Record<string, string> = {}): Promise<ServerProcess & { port: number }> {
    const server = ServerProcess.spawn(env);
    const listening = await server.waitForLog("listening");
    return Object.assign(server, { port: listening.port as number });
  }

  /** Resolves with the first log line whose msg is `msg` (already seen or still to come). */
  async waitForLog(msg: string, timeoutMs = 10_000): Promise<LogLine> {
    return (await this.waitForLogs(msg, 1, timeoutMs))[0]!;
  }

  /** Resolves with the first `count` log lines whose msg is `msg`. */
  async waitForLogs(msg: string, count: number, timeoutMs = 10_000): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.filter((l) => l.msg === msg);
      if (found.length >= count) return found.slice(0, count);
      if (this.child.exitCode !== null) throw new Error(`server exited (${this.child.exitCode}) before "${msg}": ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no "${msg}" log line within ${timeoutMs} ms`);
      await Promise.race([once(this.events, "log"), once(this.child, "exit"), sleep(100)]);
    }
  }

  /** The exit code once the process has exited. */
  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** SIGKILL if still running (test clean-up). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * GET on a fresh connection (no shared agent) unless `agent` is given, so that concurrent requests
 * never wait for one another's socket.
 */
export function httpGet(port: number, path: string, agent: http.Agent | false = false): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
