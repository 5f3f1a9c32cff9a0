import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
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

  describe("drain on SIGTERM", () => {
    /** Well below the 20 s drain timeout the old drain waited out, and far above the few ms it takes. */
    const EXIT_AFTER_LAST_ANSWER_MS = 1_000;

    /** Asserts the server exited 0, less than EXIT_AFTER_LAST_ANSWER_MS after the last answer arrived. */
    const assertExitedSoonAfter = async (server: ServerProcess, lastAnswerAt: number) => {
      assert.equal(await server.exitCode(), 0);
      const ms = server.exitedAt! - lastAnswerAt;
      assert.ok(ms < EXIT_AFTER_LAST_ANSWER_MS, `exited ${ms} ms after the last answer`);
    };

    /** Starts a server with debug logs ("request started") and keep-alive clients to close afterwards. */
    const startDraining = async (env: Record<string, string> = {}) => start({ WORKERS: "2", LOG_LEVEL: "debug", ...env });

    /** A raw connection that has sent the start of a request (no blank line yet): not idle, not a request. */
    const partialRequest = async (port: number) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      await once(socket, "connect");
      socket.write("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      let received = "";
      socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
      const closed = once(socket, "close").then(() => received);
      // Once a request on another connection is answered, the server has read these bytes too.
      await httpGet(port, "/api/health");
      return { socket, closed };
    };

    it("answers a request in flight on a kept-alive connection with Connection: close and exits 0 at once", async () => {
      const server = await startDraining();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const warm = await httpGet(server.port, "/api/health", agent);
        assert.equal(warm.headers.connection, "keep-alive");
        const pending = httpGet(server.port, `/api/count-prime/${HEAVY}`, agent);
        await server.waitForLog("request started");
        server.child.kill("SIGTERM");
        const draining = await server.waitForLog("shutting down: draining requests");
        assert.deepEqual([draining.reason, draining.inFlight], ["SIGTERM", 1]);
        await assert.rejects(httpGet(server.port, "/api/health"), { code: "ECONNREFUSED" });

        const res = await pending;
        const answeredAt = performance.now();
        assert.equal(res.status, 200);
        assert.match(res.body, HEAVY_BODY);
        assert.equal(res.headers.connection, "close");
        await assertExitedSoonAfter(server, answeredAt);
        assert.deepEqual(
          server.logs.slice(-2).map((l) => l.msg),
          ["request", "shut down cleanly"],
        );
        assert.equal(server.stderr, "");
      } finally {
        agent.destroy(); // only now: the server must not have waited for the client to close
      }
    });

    it("does the same for fetch (undici), whose pooled connection stays open on the client side", async () => {
      const server = await startDraining();
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${base}/api/health`)).status, 200);
      const pending = fetch(`${base}/api/count-prime/${HEAVY}`);
      await server.waitForLog("request started");
      server.child.kill("SIGTERM");
      const res = await pending;
      const body = await res.text();
      const answeredAt = performance.now();
      assert.equal(res.status, 200);
      assert.match(body, HEAVY_BODY);
      assert.equal(res.headers.get("connection"), "close");
      await assertExitedSoonAfter(server, answeredAt);
    });

    it("closes idle connections at once, busy ones after their answer, and exits 0 after the last", async () => {
      const server = await startDraining();
      const agents = [1, 2, 3, 4].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
      try {
        await Promise.all(agents.map((agent) => httpGet(server.port, "/api/health", agent)));
        const sockets = agents.map((agent) => Object.values(agent.freeSockets).flat()[0]!);
        // Connections 0 and 1 stay idle; 2 and 3 each get a count that runs through the signal.
        const closedAt = sockets.map((socket) => once(socket, "close").then(() => performance.now()));
        const busy = agents.slice(2).map((agent) =>
          httpGet(server.port, `/api/count-prime/${HEAVY}`, agent).then((res) => ({ res, at: performance.now() })),
        );
        await server.waitForLogs("request started", 2); // health checks are not logged
        server.child.kill("SIGTERM");
        const answers = await Promise.all(busy);
        const idleClosed = await Promise.all(closedAt.slice(0, 2));
        const firstAnswer = Math.min(...answers.map((a) => a.at));
        for (const at of idleClosed) assert.ok(at < firstAnswer, "idle connections closed before any busy one was answered");
        for (const { res } of answers) {
          assert.equal(res.status, 200);
          assert.equal(res.headers.connection, "close");
        }
        await Promise.all(closedAt.slice(2)); // the busy connections are closed by the server too
        await assertExitedSoonAfter(server, Math.max(...answers.map((a) => a.at)));
      } finally {
        agents.forEach((agent) => agent.destroy());
      }
    });

    it("answers a request that arrives on an open connection during the drain, with Connection: close", async () => {
      const server = await startDraining();
      const { socket, closed } = await partialRequest(server.port);
      server.child.kill("SIGTERM");
      const draining = await server.waitForLog("shutting down: draining requests");
      assert.equal(draining.inFlight, 0, "the unfinished request is not in flight yet");
      await sleep(100);
      assert.equal(server.child.exitCode, null, "still draining: that connection is not idle");
      socket.write("\r\n");
      const received = await closed; // the server closes the connection after the answer
      assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(received, /\r\nConnection: close\r\n/i);
      assert.ok(received.endsWith('{"status":"ok"}'), received);
      assert.equal(await server.exitCode(), 0);
    });

    it("cuts a request still running at the drain timeout and exits 1", async () => {
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
          ["error", "drain timeout: cutting requests still in flight", 1],
          ["warn", "request", 503],
        ],
      );
    });

    it("exits 0 at the drain timeout when only a request that never finished arriving is left", async () => {
      const server = await start({ WORKERS: "1", DRAIN_TIMEOUT_MS: "200" });
      const { closed } = await partialRequest(server.port);
      server.child.kill("SIGTERM");
      assert.equal(await closed, "", "closed without an answer");
      assert.equal(await server.exitCode(), 0);
      assert.deepEqual(
        server.logs.slice(1).map((l) => [l.level, l.msg]),
        [
          ["info", "shutting down: draining requests"],
          ["warn", "drain timeout: closing connections with no request in flight"],
        ],
      );
    });
  });

  it("refuses a port already in use in one line naming the port and how to choose another, and stops its workers", async () => {
    const first = await start({ WORKERS: "1" });
    const second = ServerProcess.spawn({ WORKERS: "1", PORT: String(first.port) });
    assert.equal(await second.exitCode(), 1);
    assert.equal(
      second.stderr,
      `prime-counter: 127.0.0.1 port ${first.port} is already in use (another \`npm start\`?): stop the process that holds it ` +
        `(\`lsof -i :${first.port}\` names it), or choose another port, e.g. PORT=${first.port + 1} npm start\n`,
    );
    assert.deepEqual(second.logs, []);
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
