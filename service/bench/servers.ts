/**
 * The servers the benchmark measures, as child processes on 127.0.0.1: the service
 * (dist/server.js, as in the image) and, when Python can run it, the seed's FastAPI service (the
 * peer); and what /proc says about a process while it runs (CPU time, resident memory).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { HOST } from "./load-generators.js";

const SERVER_ENTRY = fileURLToPath(new URL("../dist/server.js", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface RunningServer {
  name: string;
  port: number;
  pid: number;
  /** SIGTERM (to the whole process group for the peer, whose uvicorn has worker processes); resolves with the exit code. */
  stop(): Promise<number | null>;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** The Node that runs the service (and row 2's raw bound): its binary and `process.version`. */
export interface ServiceNode {
  path: string;
  version: string;
}

/**
 * BENCH_NODE: a path to a node binary (relative to where npm was started, INIT_CWD) or a command
 * on PATH, checked by running it; unset or empty, the benchmark's own Node.
 */
export function serviceNode(env: NodeJS.ProcessEnv = process.env): ServiceNode {
  const wanted = env.BENCH_NODE;
  if (wanted === undefined || wanted === "") return { path: process.execPath, version: process.version };
  const binary = wanted.includes("/") ? path.resolve(env.INIT_CWD ?? process.cwd(), wanted) : wanted;
  const check = spawnSync(binary, ["-p", "process.version"], { encoding: "utf8", timeout: 10_000 });
  if (check.error) {
    throw new Error(`BENCH_NODE=${wanted} cannot be run (${check.error.message}): name a node binary, e.g. BENCH_NODE=/tmp/node24/bin/node`);
  }
  const version = check.stdout.trim();
  if (check.status !== 0 || !/^v\d+\.\d+\.\d+/.test(version)) {
    const output = `${check.stdout}${check.stderr}`.trim().slice(0, 300);
    throw new Error(`BENCH_NODE=${wanted} is not a Node.js binary: \`${binary} -p process.version\` exited with ${check.status}, printing ${JSON.stringify(output)}`);
  }
  return { path: binary, version };
}

/**
 * Starts dist/server.js with `node` (default: this process's) on an ephemeral port with `workers`
 * threads; resolves once it logs "listening".
 */
export async function startService(workers: number, node = process.execPath): Promise<RunningServer> {
  const child = spawn(node, [SERVER_ENTRY], {
    env: { ...process.env, PORT: "0", HOST, WORKERS: String(workers), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const match = /"port":(\d+).*"msg":"listening"/.exec(buffer);
      if (match) {
        child.stdout.off("data", onData);
        child.stdout.resume(); // keep draining the request logs (they are part of the cost)
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the service exited with ${code} before listening`)));
  });
  return {
    name: "service",
    port,
    pid: child.pid!,
    stop: () => {
      child.kill("SIGTERM");
      return exitOf(child);
    },
  };
}

/** Where the peer is and which Python runs it, or why it cannot run here. */
export type PeerSetup = { dir: string; python: string } | { skipped: string };

/**
 * The FastAPI peer: its folder from BENCH_PEER_DIR (default ../shared/peers/fastapi next to the
 * repository), run by the first of PEER_PYTHON, python3, /usr/bin/python3 that imports fastapi
 * and uvicorn (Debian: python3-fastapi python3-uvicorn python3-httptools python3-uvloop).
 */
export function findPeer(env: NodeJS.ProcessEnv = process.env): PeerSetup {
  const dir = path.resolve(REPO_ROOT, env.BENCH_PEER_DIR ?? "../shared/peers/fastapi");
  if (!existsSync(path.join(dir, "main.py"))) return { skipped: `no FastAPI peer at ${dir} (set BENCH_PEER_DIR to its folder)` };
  const candidates = env.PEER_PYTHON ? [env.PEER_PYTHON] : ["python3", "/usr/bin/python3"];
  for (const python of candidates) {
    const check = spawnSync(python, ["-c", "import fastapi, uvicorn"], { stdio: "ignore" });
    if (check.status === 0) return { dir, python };
  }
  return {
    skipped:
      `none of ${candidates.join(", ")} can \`import fastapi, uvicorn\` (Debian: apt-get install python3-fastapi ` +
      "python3-uvicorn python3-httptools python3-uvloop; or set PEER_PYTHON)",
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the peer with `workers` uvicorn workers (the seed's NUMBER_OF_WORKERS); resolves once /api/health answers. */
export async function startPeer(setup: { dir: string; python: string }, workers: number): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(setup.python, ["main.py"], {
    cwd: setup.dir,
    env: { ...process.env, PORT: String(port), NUMBER_OF_WORKERS: String(workers) },
    // stdout is a pipe, drained here, as the service's is (and a container's is): uvicorn writes
    // its access log there.
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: uvicorn's worker processes stop with it
  });
  child.stdout.resume();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGTERM");
    return exitOf(child);
  };
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the FastAPI peer exited with ${child.exitCode}:\n${stderr}`);
    const healthy = await fetch(`http://${HOST}:${port}/api/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (healthy) return { name: "FastAPI peer", port, pid: child.pid!, stop };
    if (attempt >= 100) {
      await stop();
      throw new Error(`the FastAPI peer did not answer /api/health within 10 s:\n${stderr}`);
    }
    await sleep(100);
  }
}

/** /proc/<pid>[/task/<tid>]/stat fields after the command name. */
function statFields(file: string): string[] | undefined {
  try {
    return readFileSync(file, "utf8").split(") ")[1]!.split(" ");
  } catch {
    return undefined;
  }
}

/** utime + stime (+ cutime + cstime with `withChildren`) from a stat file, in seconds; NaN off Linux. */
function cpuSeconds(file: string, withChildren: boolean): number {
  const fields = statFields(file);
  if (!fields) return Number.NaN;
  const ticks = [11, 12, ...(withChildren ? [13, 14] : [])].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / 100; // USER_HZ
}

/** CPU seconds (user + system) of process `pid` so far, all threads; with `withChildren`, plus its waited-for children (wrk). */
export function processCpuSeconds(pid: number | "self", withChildren = false): number {
  return cpuSeconds(`/proc/${pid}/stat`, withChildren);
}

/** CPU seconds of process `pid`'s main thread (its event loop, for Node) so far. */
export function mainThreadCpuSeconds(pid: number): number {
  return cpuSeconds(`/proc/${pid}/task/${pid}/stat`, false);
}

/** Resident memory of `pid` now, and its peak since it started (VmRSS, VmHWM), in MiB; NaN off Linux. */
export function residentMiB(pid: number): { now: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { now: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
  } catch {
    return { now: Number.NaN, peak: Number.NaN };
  }
}
