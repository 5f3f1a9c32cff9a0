/**
 * The benchmark's load generators: wrk when it is on PATH (a C program: it takes far less of the
 * CPU the service needs), autocannon otherwise (in the benchmark's own Node process). Both drive
 * any HTTP server on 127.0.0.1, the service or its FastAPI peer, with the same two operations.
 */
import autocannon from "autocannon";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { percentile } from "./stats.js";

export const HOST = "127.0.0.1";

/** What a load generator measured in one run. */
export interface LoadResult {
  /** 2xx responses. */
  ok: number;
  /** Non-2xx responses, socket errors and timeouts. */
  failed: number;
  /** How long the run lasted. */
  seconds: number;
  /** Latency percentiles of the responses, in milliseconds. */
  latencyMs: { p50: number; p99: number; max: number };
  /** With `statuses`: responses per HTTP status, and 503s that came without Retry-After. */
  statuses?: { byStatus: Record<string, number>; without503RetryAfter: number };
}

export interface LoadOptions {
  port: number;
  /** Request paths, sent in turn. */
  paths: readonly string[];
  connections: number;
  /** Whole seconds (wrk's -d takes no fractions). */
  seconds: number;
  /** Also count responses per status and check every 503 for Retry-After (costs the client more). */
  statuses?: boolean;
}

export interface LoadGenerator {
  /** Name and version, printed and saved with the results. */
  name: string;
  /** As many requests as `connections` keep-alive connections can send, each as soon as the last answered. */
  load(options: LoadOptions): Promise<LoadResult>;
  /** One keep-alive connection, one request at a time, `intervalMs` between a response and the next request. */
  probe(options: { port: number; path: string; intervalMs: number; seconds: number }): Promise<LoadResult>;
}

const LOAD_TIMEOUT_SECONDS = 60;

/** Sorted latencies (ms) to the percentiles LoadResult reports. */
function latencySummary(sorted: number[]): LoadResult["latencyMs"] {
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * autocannon, in this process. The probe is a plain http.get loop instead: autocannon can only
 * cap a connection's requests per second (in bursts), and keeps latencies in whole milliseconds.
 */
function autocannonGenerator(): LoadGenerator {
  const version = (createRequire(import.meta.url)("autocannon/package.json") as { version: string }).version;
  return {
    name: `autocannon ${version}`,
    async load({ port, paths, connections, seconds, statuses }) {
      let without503RetryAfter = 0;
      const onResponse = (status: number, _body: string, _context: object, headers: http.IncomingHttpHeaders | undefined) => {
        if (status === 503 && !Object.keys(headers ?? {}).some((name) => name.toLowerCase() === "retry-after")) without503RetryAfter++;
      };
      const result = await autocannon({
        url: `http://${HOST}:${port}`,
        connections,
        duration: seconds,
        timeout: LOAD_TIMEOUT_SECONDS,
        requests: paths.map((path) => ({ method: "GET", path, ...(statuses ? { onResponse } : {}) })),
      });
      const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]));
      return {
        ok: result["2xx"],
        failed: result.non2xx + result.errors, // errors include timeouts
        seconds: result.duration,
        latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
        ...(statuses ? { statuses: { byStatus, without503RetryAfter } } : {}),
      };
    },
    async probe({ port, path, intervalMs, seconds }) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const latencies: number[] = [];
      let failed = 0;
      const get = () =>
        new Promise<void>((resolve, reject) => {
          const start = performance.now();
          http
            .get({ host: HOST, port, path, agent }, (res) => {
              res.resume();
              res.on("end", () => {
                if (res.statusCode === 200) latencies.push(performance.now() - start);
                else failed++;
                resolve();
              });
            })
            .on("error", reject);
        });
      const start = performance.now();
      const end = start + seconds * 1000;
      try {
        while (performance.now() < end) {
          await get();
          await sleep(intervalMs);
        }
      } finally {
        agent.destroy();
      }
      return {
        ok: latencies.length,
        failed,
        seconds: (performance.now() - start) / 1000,
        latencyMs: latencySummary(latencies.sort((a, b) => a - b)),
      };
    },
  };
}

/** The line wrk's done() hook prints, and the numbers it must hold. */
const WRK_RESULT_PREFIX = "BENCH_RESULT ";
const WRK_RESULT_KEYS = ["requests", "durationUs", "status", "connect", "read", "write", "timeout", "p50Us", "p99Us", "maxUs"] as const;

/**
 * The Lua script for one wrk run: sends `paths` in turn (wrk.format), waits `delayMs` after each
 * response when asked, counts statuses when asked (its response() hook, in each thread's own Lua
 * state, collected through setup()), and prints the summary as one JSON line (latencies in µs).
 */
export function wrkScript(paths: readonly string[], delayMs: number, statuses = false): string {
  const fields = WRK_RESULT_KEYS.map((key) => `"${key}":%d`).join(",");
  const statusHooks = `local threads = {}
function setup(thread) table.insert(threads, thread) end
counts = {}
missing = 0
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 503 then
    local found = false
    for name, _ in pairs(headers) do if string.lower(name) == "retry-after" then found = true end end
    if not found then missing = missing + 1 end
  end
end
local function statusesJson()
  local total, missingAll = {}, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do total[status] = (total[status] or 0) + n end
    missingAll = missingAll + thread:get("missing")
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d":%d', status, n)) end
  return string.format(',"statuses":{%s},"without503RetryAfter":%d', table.concat(parts, ","), missingAll)
end
`;
  // One path: wrk builds the request once (no request() hook), which keeps the client cheap.
  const requests =
    paths.length === 1
      ? `wrk.path = ${JSON.stringify(paths[0])}\n`
      : `local paths = { ${paths.map((p) => JSON.stringify(p)).join(", ")} }
local i = 0
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
`;
  return `-- written by service/bench for one run
${requests}${delayMs > 0 ? `function delay() return ${delayMs} end\n` : ""}${statuses ? statusHooks : ""}function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${WRK_RESULT_PREFIX}{${fields}%s}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, ${statuses ? "statusesJson()" : '""'}))
end
`;
}

/** Reads the done() hook's line from wrk's output; throws, quoting the output, if it is not all there. */
export function parseWrkResult(stdout: string): LoadResult {
  const line = stdout
    .split("\n")
    .filter((l) => l.startsWith(WRK_RESULT_PREFIX))
    .at(-1);
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = line === undefined ? undefined : (JSON.parse(line.slice(WRK_RESULT_PREFIX.length)) as Record<string, unknown>);
  } catch {
    parsed = undefined;
  }
  const count = (v: unknown, key: string): number => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new Error(`wrk printed no usable ${key} in its ${WRK_RESULT_PREFIX.trim()} line; its output:\n${stdout}`);
    }
    return v;
  };
  const value = (key: (typeof WRK_RESULT_KEYS)[number]) => count(parsed?.[key], key);
  // summary.requests counts every response; errors.status those with a status of 400 or more.
  const status = value("status");
  const byStatus = parsed?.statuses;
  return {
    ok: value("requests") - status,
    failed: status + value("connect") + value("read") + value("write") + value("timeout"),
    seconds: value("durationUs") / 1e6,
    latencyMs: { p50: value("p50Us") / 1000, p99: value("p99Us") / 1000, max: value("maxUs") / 1000 },
    ...(byStatus !== undefined && typeof byStatus === "object" && byStatus !== null
      ? {
          statuses: {
            byStatus: Object.fromEntries(Object.entries(byStatus).map(([code, n]) => [code, count(n, `statuses.${code}`)])),
            without503RetryAfter: count(parsed?.without503RetryAfter, "without503RetryAfter"),
          },
        }
      : {}),
  };
}

/**
 * wrk, as a child process with one thread (enough for these rates: more would only take CPU from
 * the server). undefined when wrk is not on PATH.
 */
function wrkGenerator(): LoadGenerator | undefined {
  const check = spawnSync("wrk", ["-v"], { encoding: "utf8" }); // prints the version, exits 1
  if (check.error) return undefined;
  const version = /\d+\.\d+\.\d+/.exec(`${check.stdout}${check.stderr}`)?.[0] ?? "(unknown version)";

  async function run(port: number, paths: readonly string[], connections: number, seconds: number, delayMs: number, statuses: boolean): Promise<LoadResult> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-wrk-"));
    try {
      const script = path.join(dir, "load.lua");
      writeFileSync(script, wrkScript(paths, delayMs, statuses));
      const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", `${LOAD_TIMEOUT_SECONDS}s`, "-s", script, `http://${HOST}:${port}/`];
      const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("close", resolve);
      });
      if (code !== 0) throw new Error(`wrk ${args.join(" ")} exited with ${code}:\n${stdout}${stderr}`);
      return parseWrkResult(stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    name: `wrk ${version}`,
    load: ({ port, paths, connections, seconds, statuses }) => run(port, paths, connections, seconds, 0, statuses ?? false),
    probe: ({ port, path, intervalMs, seconds }) => run(port, [path], 1, seconds, intervalMs, false),
  };
}

/** BENCH_GENERATOR=wrk or autocannon picks one; by default wrk when it is on PATH. */
export function pickGenerator(wanted = process.env.BENCH_GENERATOR ?? ""): LoadGenerator {
  if (wanted === "autocannon") return autocannonGenerator();
  if (wanted !== "" && wanted !== "wrk") throw new Error(`BENCH_GENERATOR must be wrk or autocannon, got ${wanted}`);
  const wrk = wrkGenerator();
  if (wrk) return wrk;
  if (wanted === "wrk") throw new Error("BENCH_GENERATOR=wrk, but wrk is not on PATH");
  return autocannonGenerator();
}
