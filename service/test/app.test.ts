import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { createApp, type AppConfig } from "../src/app.js";
import { createLogger } from "../src/logger.js";
import { createPrimePool, PoolClosedError, QueueFullError, type CountPrimes, type PrimePool } from "../src/pool.js";
import { countPrimesBelow } from "../src/primes.js";
import type { RequestOutcome, RequestRecorder } from "../src/request-metrics.js";

const RULE =
  "limit must be an integer from 0 to 1000000, written with the digits 0-9 only (no sign, decimal point, exponent or spaces)";
const NOT_FOUND = '{"error":"not found; the routes are GET /api/health and GET /api/count-prime/:limit"}';

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** An app with a stand-in compute function (same answers, fixed duration) and captured logs. */
function makeApp(options: { config?: Partial<AppConfig>; countPrimes?: CountPrimes; metrics?: RequestRecorder } = {}) {
  const logs: LogLine[] = [];
  const calls: number[] = [];
  const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const countPrimes: CountPrimes =
    options.countPrimes ??
    (async (limit) => {
      calls.push(limit);
      return { result: countPrimesBelow(limit), durationSeconds: 0.25 };
    });
  const app = createApp({ maxLimit: 1_000_000, logHealthChecks: false, ...options.config }, { countPrimes, logger, metrics: options.metrics });
  return { app, logs, calls };
}

async function expectJson(res: Response, status: number, body: string): Promise<void> {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(await res.text(), body);
}

describe("service: routes (app.request)", () => {
  it("GET /api/health answers 200 {status: ok}", async () => {
    const { app } = makeApp();
    await expectJson(await app.request("/api/health"), 200, '{"status":"ok"}');
  });

  it("HEAD /api/health answers 200 without a body", async () => {
    const { app } = makeApp();
    const res = await app.request("/api/health", { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
  });

  it("GET /api/count-prime/:limit answers {limit, result, durationSeconds} with exact counts", async () => {
    const { app, calls } = makeApp();
    const known: Array<[string, number, number]> = [
      ["0", 0, 0],
      ["1", 1, 0],
      ["2", 2, 0],
      ["3", 3, 1],
      ["15000", 15_000, 1754],
      ["1000000", 1_000_000, 78_498],
      ["0010", 10, 4], // leading zeros are still decimal digits
    ];
    for (const [segment, limit, result] of known) {
      await expectJson(
        await app.request(`/api/count-prime/${segment}`),
        200,
        `{"limit":${limit},"result":${result},"durationSeconds":0.25}`,
      );
    }
    assert.deepEqual(calls, [0, 1, 2, 3, 15_000, 1_000_000, 10]);
  });

  it("answers 400 with what is allowed for every kind of bad limit, without computing", async () => {
    const { app, calls, logs } = makeApp();
    const bad: Array<[string, string]> = [
      ["abc", 'got \\"abc\\"'],
      ["-1", 'got \\"-1\\"'],
      ["+5", 'got \\"+5\\"'],
      ["%2B5", 'got \\"+5\\"'],
      ["1.5", 'got \\"1.5\\"'],
      ["10.0", 'got \\"10.0\\"'],
      ["1e3", 'got \\"1e3\\"'],
      ["1E3", 'got \\"1E3\\"'],
      ["0x10", 'got \\"0x10\\"'],
      ["Infinity", 'got \\"Infinity\\"'],
      ["NaN", 'got \\"NaN\\"'],
      ["%2010", 'got \\" 10\\"'],
      ["1_000", 'got \\"1_000\\"'],
      ["%E0%A4%A", 'got \\"%E0%A4%A\\"'],
      ["1000001", "1000001 is above the maximum (MAX_LIMIT)"],
      ["0001000001", "1000001 is above the maximum (MAX_LIMIT)"],
      ["99999999999999999999", "99999999999999999999 is above the maximum (MAX_LIMIT)"],
      ["1".repeat(33), "got 33 characters"],
      ["9".repeat(5000), "got 5000 characters"],
    ];
    for (const [segment, detail] of bad) {
      await expectJson(await app.request(`/api/count-prime/${segment}`), 400, `{"error":"${RULE}; ${detail}"}`);
    }
    assert.deepEqual(calls, []);
    assert.equal(logs.length, bad.length);
    assert.ok(logs.every((l) => l.status === 400));
  });

  it("answers 400 when the limit is missing", async () => {
    const { app } = makeApp();
    for (const path of ["/api/count-prime", "/api/count-prime/"]) {
      await expectJson(
        await app.request(path),
        400,
        '{"error":"missing limit: use /api/count-prime/<limit>, an integer from 0 to 1000000"}',
      );
    }
  });

  it("answers 404 JSON for unknown routes", async () => {
    const { app } = makeApp();
    for (const path of ["/", "/api", "/health", "/api/health/", "/api/count-prime/10/20", "/api/count-primes/10"]) {
      await expectJson(await app.request(path), 404, NOT_FOUND);
    }
  });

  it("answers 405 with Allow for other methods on its routes", async () => {
    const { app, calls } = makeApp();
    for (const [method, path] of [
      ["POST", "/api/health"],
      ["DELETE", "/api/count-prime/10"],
      ["PUT", "/api/count-prime"],
    ]) {
      const res = await app.request(path, { method });
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      await expectJson(res, 405, `{"error":"method ${method} not allowed; use GET, HEAD"}`);
    }
    assert.deepEqual(calls, []);
  });

  it("answers 503 with Retry-After when the pool is full or closing", async () => {
    for (const err of [new QueueFullError(12), new PoolClosedError()]) {
      const { app, logs } = makeApp({ countPrimes: () => Promise.reject(err) });
      const res = await app.request("/api/count-prime/100");
      assert.equal(res.headers.get("retry-after"), "1");
      await expectJson(res, 503, JSON.stringify({ error: `${err.message}; retry after 1 s` }));
      assert.equal(logs.length, 1);
      assert.equal(logs[0]?.level, "warn");
    }
  });

  it("answers 500 JSON, and logs the error, when the computation fails unexpectedly", async () => {
    const { app, logs } = makeApp({ countPrimes: () => Promise.reject(new Error("worker died")) });
    await expectJson(await app.request("/api/count-prime/100"), 500, '{"error":"internal error"}');
    assert.deepEqual(
      logs.map((l) => [l.level, l.msg, l.status ?? (l.err as { message: string }).message]),
      [
        ["error", "unhandled error", "worker died"],
        ["warn", "request", 500],
      ],
    );
  });

  it("logs one JSON line per request with method, path, status and duration; health checks only when asked", async () => {
    const { app, logs } = makeApp();
    await app.request("/api/health");
    await app.request("/api/count-prime/15000");
    await app.request("/nope");
    assert.equal(logs.length, 2);
    for (const line of logs) assert.equal(typeof line.durationMs, "number");
    assert.deepEqual(
      logs.map(({ level, msg, method, path, status }) => ({ level, msg, method, path, status })),
      [
        { level: "info", msg: "request", method: "GET", path: "/api/count-prime/15000", status: 200 },
        { level: "info", msg: "request", method: "GET", path: "/nope", status: 404 },
      ],
    );

    const verbose = makeApp({ config: { logHealthChecks: true } });
    await verbose.app.request("/api/health");
    assert.deepEqual(
      verbose.logs.map(({ method, path, status }) => ({ method, path, status })),
      [{ method: "GET", path: "/api/health", status: 200 }],
    );
  });

  it("truncates very long paths in the log", async () => {
    const { app, logs } = makeApp();
    await app.request(`/x${"y".repeat(1000)}`);
    assert.equal(logs[0]?.path, `/x${"y".repeat(254)}…`);
  });

  it("reports every request but a health check to the metrics: answered below 500, shed on its own 503, error on other 5xx", async () => {
    const finished: RequestOutcome[] = [];
    let inFlight = 0;
    const metrics: RequestRecorder = {
      requestStarted: () => void inFlight++,
      requestFinished: (outcome, durationMs) => {
        assert.ok(inFlight > 0 && durationMs >= 0 && durationMs < 1_000);
        inFlight--;
        finished.push(outcome);
      },
    };
    const failures = new Map<number, Error>([
      [1_001, new QueueFullError(12)],
      [1_002, new PoolClosedError()],
      [1_003, new Error("worker died")],
    ]);
    const countPrimes: CountPrimes = async (limit) => {
      const failure = failures.get(limit);
      if (failure) throw failure;
      return { result: countPrimesBelow(limit), durationSeconds: 0.25 };
    };
    const { app } = makeApp({ countPrimes, metrics });
    const requests: Array<[string, string, number]> = [
      ["GET", "/api/health", 200],
      ["HEAD", "/api/health", 200],
      ["POST", "/api/health", 405],
      ["GET", "/api/count-prime/100", 200],
      ["GET", "/api/count-prime/abc", 400],
      ["GET", "/nope", 404],
      ["GET", "/api/count-prime/1001", 503],
      ["GET", "/api/count-prime/1002", 503],
      ["GET", "/api/count-prime/1003", 500],
    ];
    for (const [method, path, status] of requests) assert.equal((await app.request(path, { method })).status, status, `${method} ${path}`);
    assert.deepEqual(finished, ["answered", "answered", "answered", "answered", "shed", "shed", "error"]);
    assert.equal(inFlight, 0);
  });
});

describe("service: routes on the real worker pool", () => {
  let pool: PrimePool;
  before(() => {
    pool = createPrimePool({ threads: 1, maxQueue: 1 });
  });
  after(async () => {
    await pool.destroy();
  });

  it("counts on a worker thread while the event loop stays free", async () => {
    const { app } = makeApp({ config: { maxLimit: 10_000_000 }, countPrimes: pool.countPrimes });
    let settled = false;
    const pending = Promise.resolve(app.request("/api/count-prime/1000000")).then((res) => {
      settled = true;
      return res;
    });
    await nextTurn();
    await nextTurn();
    assert.equal(settled, false, "the event loop turned while the count was running");
    const res = await pending;
    assert.equal(res.status, 200);
    const body = (await res.json()) as { limit: number; result: number; durationSeconds: number };
    assert.equal(body.limit, 1_000_000);
    assert.equal(body.result, 78_498);
    assert.ok(body.durationSeconds > 0 && body.durationSeconds < 60, String(body.durationSeconds));
  });

  it("accepts threads + MAX_QUEUE requests at once and answers 503 with Retry-After past that", async () => {
    const { app } = makeApp({ countPrimes: pool.countPrimes });
    const responses = await Promise.all([1, 2, 3].map(() => app.request("/api/count-prime/1000000")));
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 503],
    );
    assert.equal(((await responses[0]!.json()) as { result: number }).result, 78_498);
    assert.equal(responses[2]!.headers.get("retry-after"), "1");
    assert.equal(
      await responses[2]!.text(),
      '{"error":"the prime-counting pool is at capacity (2 requests running or queued); retry after 1 s"}',
    );
    assert.equal(pool.stats().inFlight, 0);
  });
});
