import assert from "node:assert/strict";
import type { EmfDocument } from "../src/emf.js";
import { MINUTE_MS, minuteStartOf } from "../src/request-metrics.js";
import { assertEmf, serviceMetricsOf } from "./emf-check.js";
import { httpGet, ServerProcess, type HttpResult } from "./server-process.js";

/** About 0.15 s of CPU: holds the only worker while more requests arrive than the queue takes. */
const SLOW = 1_500_000;
const MAX_QUEUE = 2;
const METRICS_ENV = {
  METRICS_NAMESPACE: "ecs-loadlab/Service",
  METRICS_CLUSTER_NAME: "ecs-loadlab-test",
  METRICS_SERVICE_NAME: "prime-counter",
};

const sum = (lines: EmfDocument[], name: string) => lines.reduce((total, line) => total + ((line[name] as number | undefined) ?? 0), 0);
const max = (lines: EmfDocument[], name: string) => Math.max(...lines.map((line) => (line[name] as number | undefined) ?? 0));

describe("service: its own metrics as EMF lines on stdout (dist/server.js on 127.0.0.1)", function () {
  this.timeout(20_000);
  const started: ServerProcess[] = [];
  after(() => started.forEach((s) => s.kill()));

  it("counts what it answered, shed and refused, minute by minute, and writes the last partial minute at SIGTERM", async () => {
    const server = await ServerProcess.start({ ...METRICS_ENV, WORKERS: "1", MAX_QUEUE: String(MAX_QUEUE) });
    started.push(server);
    const startedAt = Date.now();
    const get = (path: string) => httpGet(server.port, path);

    const results: HttpResult[] = [];
    for (const path of ["/api/count-prime/1000", "/api/count-prime/15000", "/api/count-prime/abc", "/nope"]) results.push(await get(path));
    // One running, MAX_QUEUE waiting, the rest shed.
    results.push(...(await Promise.all(Array.from({ length: 7 }, () => get(`/api/count-prime/${SLOW}`)))));
    for (let i = 0; i < 3; i++) assert.equal((await get("/api/health")).status, 200);

    server.child.kill("SIGTERM");
    assert.equal(await server.exitCode(), 0);
    const stoppedAt = Date.now();

    const statuses = results.map((r) => r.status);
    const shed = statuses.filter((s) => s === 503).length;
    assert.ok(shed > 0, `some requests shed: ${statuses.join(" ")}`);
    assert.equal(statuses.filter((s) => s >= 500 && s !== 503).length, 0);

    const lines = server.logs.filter((l) => l.msg === "metrics") as unknown as EmfDocument[];
    assert.ok(lines.length >= 1 && lines.length <= 2, `one line per minute the test touched: ${lines.length}`);
    for (const line of lines) {
      assertEmf(line);
      serviceMetricsOf(line, METRICS_ENV.METRICS_NAMESPACE);
      assert.equal(line.ClusterName, METRICS_ENV.METRICS_CLUSTER_NAME);
      assert.equal(line.ServiceName, METRICS_ENV.METRICS_SERVICE_NAME);
    }
    assert.deepEqual(
      lines.map((l) => l._aws.Timestamp),
      Array.from({ length: lines.length }, (_, i) => minuteStartOf(startedAt) + i * MINUTE_MS),
      "consecutive minutes from the one the service started in",
    );
    assert.equal(lines.at(-1)!._aws.Timestamp, minuteStartOf(stoppedAt), "the partial minute of the shutdown comes last");

    assert.equal(sum(lines, "Answered"), statuses.filter((s) => s < 500).length);
    assert.equal(sum(lines, "Shed"), shed);
    assert.equal(sum(lines, "Errors"), 0);
    const queueMax = max(lines, "QueueMax");
    assert.ok(queueMax > 0 && queueMax <= MAX_QUEUE, `QueueMax ${queueMax}`);
    assert.ok(max(lines, "InFlightMax") >= 1 + MAX_QUEUE, "running + queued were in the service at once");
    for (const line of lines.filter((l) => "LatencyP50" in l)) {
      const [p50, p99, top] = [line.LatencyP50, line.LatencyP99, line.LatencyMax] as number[];
      assert.ok(p50! > 0 && p50! <= p99! && p99! <= top! && top! < 10_000, `latencies ${p50} ≤ ${p99} ≤ ${top} ms`);
    }
    assert.ok(max(lines, "LatencyMax") >= 100, "the slow requests' latency is in it");
  });

  it("writes no metrics unless METRICS_NAMESPACE is set", async () => {
    const server = await ServerProcess.start({});
    started.push(server);
    await httpGet(server.port, "/api/count-prime/1000");
    server.child.kill("SIGTERM");
    assert.equal(await server.exitCode(), 0);
    assert.deepEqual(server.logs.filter((l) => "_aws" in l || l.msg === "metrics"), []);
    assert.ok(server.logs.some((l) => l.msg === "shut down cleanly"));
  });
});
