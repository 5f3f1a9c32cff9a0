import assert from "node:assert/strict";
import http from "node:http";
import { httpGet, ServerProcess, sleep, type HttpResult } from "./server-process.js";

/** About 0.4 s of CPU on an idle core of this project's machines: long enough to be caught in flight. */
const HEAVY = 3_000_000;
const HEAVY_BODY = /^\{"limit":3000000,"result":216816,"durationSeconds":\d+(\.\d+)?\}$/;
const FULL_BODY =
  '{"error":"the prime-counting pool is at capacity (2 requests running or queued); retry after 1 s"}';

describe("service: real server on 127.0.0.1 (dist/server.js)", function () {
  this.timeout(30_000);
  const started: ServerProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const server = await ServerProcess.start(env);
    started.push(server);
    return server;
  };
  after(() => started.forEach((s) => s.kill()));

  describe("with the pool saturated (WORKERS=1, MAX_QUEUE=1)", () => {
    let server: Awaited<ReturnType<typeof start>>;
    before(async () => {
      server = await start({ WORKERS: "1", MAX_QUEUE: "1" });
    });

    it("keeps idle connections alive longer than the ALB (65 s)", async () => {
      const agent = new http.Agent({ keepAlive: true });
      try {
        const res = await httpGet(server.port, "/api/health", agent);
        assert.equal(res.status, 200);
        assert.equal(res.body, '{"status":"ok"}');
        assert.equal(res.headers.connection, "keep-alive");
        assert.equal(res.headers["keep-alive"], "timeout=65");
      } finally {
        agent.destroy();
      }
    });

    it("answers /api/health while every worker is busy, and 503 + Retry-After past the queue bound", async () => {
      const results: HttpResult[] = [];
      const heavy = [1, 2, 3, 4].map(() =>
        httpGet(server.port, `/api/count-prime/${HEAVY}`).then((r) => {
          results.push(r);
          return r;
        }),
      );
      // One request runs, one waits, two are refused at once: the pool is now saturated.
      for (let i = 0; results.filter((r) => r.status === 503).length < 2; i++) {
        assert.ok(i < 100, `expected two 503s, got ${JSON.stringify(results)}`);
        await sleep(20);
      }
      const started = Date.now();
      const health = await httpGet(server.port, "/api/health");
      const completedBeforeHealth = results.filter((r) => r.status === 200).length;
      assert.equal(health.status, 200);
      assert.equal(health.body, '{"status":"ok"}');
      assert.ok(Date.now() - started < 5_000, "health answered within a generous bound");
      assert.equal(completedBeforeHealth, 0, "health answered before any prime count finished");

      const all = await Promise.all(heavy);
      assert.deepEqual(all.map((r) => r.status).sort(), [200, 200, 503, 503]);
      for (const r of all.filter((r) => r.status === 200)) assert.match(r.body, HEAVY_BODY);
      for (const r of all.filter((r) => r.status === 503)) {
        assert.equal(r.headers["retry-after"], "1");
        assert.equal(r.body, FULL_BODY);
      }
    });

    it("logs one JSON line per request, without the health checks", async () => {
      await httpGet(server.port, "/api/count-prime/1e3");
      await server.waitForLog("request");
      for (let i = 0; server.logs.filter((l) => l.msg === "request").length < 5; i++) {
        assert.ok(i < 100, "five request lines");
        await sleep(20);
      }
      const requests = server.logs.filter((l) => l.msg === "request");
      assert.deepEqual(
        requests.map((l) => [l.level, l.method, l.path, l.status]).sort(),
        [
          ["info", "GET", "/api/count-prime/1e3", 400],
          ["info", "GET", `/api/count-prime/${HEAVY}`, 200],
          ["info", "GET", `/api/count-prime/${HEAVY}`, 200],
          ["warn", "GET", `/api/count-prime/${HEAVY}`, 503],
          ["warn", "GET", `/api/count-prime/${HEAVY}`, 503],
        ],
      );
      for (const l of requests) assert.equal(typeof l.durationMs, "number");
      assert.equal(server.logs.filter((l) => l.path === "/api/health").length, 0);
    });

    it("exits 0 on SIGINT when idle", async () => {
      server.child.kill("SIGINT");
      assert.equal(await server.exitCode(), 0);
      assert.equal(server.logs.at(-1)?.msg, "shut down cleanly");
    });
  });

  it("on SIGTERM stops accepting, lets in-flight requests finish with 200, and exits 0", async () => {
    const server = await start({ WORKERS: "2", LOG_LEVEL: "debug" });
    const inFlight = [1, 2].map(() => httpGet(server.port, `/api/count-prime/${HEAVY}`));
    await server.waitForLogs("request started", 2);
    server.child.kill("SIGTERM");
    const draining = await server.waitForLog("shutting down: draining requests");
    assert.equal(draining.inFlight, 2);
    assert.equal(draining.reason, "SIGTERM");
    await assert.rejects(httpGet(server.port, "/api/health"), { code: "ECONNREFUSED" });

    for (const r of await Promise.all(inFlight)) {
      assert.equal(r.status, 200);
      assert.match(r.body, HEAVY_BODY);
      assert.equal(r.headers.connection, "close");
    }
    assert.equal(await server.exitCode(), 0);
    assert.equal(server.logs.at(-1)?.msg, "shut down cleanly");
    assert.equal(server.stderr, "");
  });

  it("cuts requests still running at the drain timeout and exits 1", async () => {
    const server = await start({ WORKERS: "1", DRAIN_TIMEOUT_MS: "100", LOG_LEVEL: "debug" });
    const pending = httpGet(server.port, `/api/count-prime/${HEAVY}`);
    await server.waitForLog("request started");
    server.child.kill("SIGTERM");
    await assert.rejects(pending, { code: "ECONNRESET" });
    assert.equal(await server.exitCode(), 1);
    assert.deepEqual(
      server.logs.slice(1).map((l) => [l.level, l.msg, l.inFlight ?? l.status ?? l.path]),
      [
        ["debug", "request started", `/api/count-prime/${HEAVY}`],
        ["info", "shutting down: draining requests", 1],
        ["error", "drain timeout: closing remaining connections", 1],
        ["warn", "request", 503],
      ],
    );
  });

  it("refuses to start on a bad environment variable, naming it", async () => {
    const server = ServerProcess.spawn({ WORKERS: "lots", MAX_QUEUE: "-1" });
    assert.equal(await server.exitCode(), 1);
    assert.equal(
      server.stderr,
      'prime-counter: invalid configuration: WORKERS must be an integer from 1 to 256; got "lots"; ' +
        'MAX_QUEUE must be an integer from 0 to 100000; got "-1"\n',
    );
    assert.deepEqual(server.logs, []);
  });
});
