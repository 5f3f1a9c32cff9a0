import assert from "node:assert/strict";
import type { MinuteStats } from "../src/emf.js";
import { MINUTE_MS, RequestMetrics, minuteStartOf, nearestRank } from "../src/request-metrics.js";
import { sleep } from "./server-process.js";

const NOON = Date.UTC(2026, 0, 2, 12, 0);

/** A recorder on a clock the test moves, with a queue peak the test sets. */
function recorder(startMs: number) {
  const clock = { ms: startMs };
  const emitted: MinuteStats[] = [];
  let queuePeak = 0;
  const metrics = new RequestMetrics({
    emit: (stats) => emitted.push(stats),
    takeQueuePeak: () => queuePeak,
    now: () => clock.ms,
  });
  const answer = (durationMs: number) => {
    metrics.requestStarted();
    metrics.requestFinished("answered", durationMs);
  };
  return { metrics, clock, emitted, answer, setQueuePeak: (n: number) => (queuePeak = n) };
}

const idleMinute = (minuteStartMs: number, inFlightMax = 0): MinuteStats => ({
  minuteStartMs,
  answered: 0,
  shed: 0,
  errors: 0,
  queueMax: 0,
  inFlightMax,
  latency: undefined,
});

describe("service: the per-minute request recorder", () => {
  it("hands over each UTC minute once it has ended, stamped with its start, never one before it started", () => {
    const { metrics, clock, emitted, answer, setQueuePeak } = recorder(NOON + 42_000);
    answer(10);
    metrics.requestStarted();
    metrics.requestFinished("shed", 1);
    metrics.requestStarted();
    metrics.requestFinished("error", 2);
    setQueuePeak(3);
    clock.ms = NOON + MINUTE_MS - 1;
    metrics.flushEndedMinutes();
    assert.deepEqual(emitted, []);
    clock.ms = NOON + MINUTE_MS;
    metrics.flushEndedMinutes();
    assert.deepEqual(emitted, [
      { minuteStartMs: NOON, answered: 1, shed: 1, errors: 1, queueMax: 3, inFlightMax: 1, latency: { p50: 10, p99: 10, max: 10 } },
    ]);
  });

  it("counts a request in the minute it finished in, though the minute's timer has not fired yet", () => {
    const { metrics, clock, emitted, answer } = recorder(NOON + 59_000);
    answer(5);
    metrics.requestStarted();
    clock.ms = NOON + MINUTE_MS + 3;
    metrics.requestFinished("answered", 7);
    assert.equal(emitted.length, 1);
    assert.equal(emitted[0]!.answered, 1);
    assert.equal(emitted[0]!.inFlightMax, 1);
    metrics.stop();
    assert.deepEqual(emitted[1], {
      ...idleMinute(NOON + MINUTE_MS, 1), // the request in flight across the boundary is in both minutes
      answered: 1,
      latency: { p50: 7, p99: 7, max: 7 },
    });
  });

  it("reports minutes without a request as zeros without latency, while the process runs", () => {
    const { metrics, clock, emitted } = recorder(NOON + 1);
    metrics.requestStarted(); // one long request, in flight throughout
    clock.ms = NOON + 3 * MINUTE_MS + 5;
    metrics.flushEndedMinutes();
    assert.deepEqual(emitted, [idleMinute(NOON, 1), idleMinute(NOON + MINUTE_MS, 1), idleMinute(NOON + 2 * MINUTE_MS, 1)]);
  });

  it("hands over the partial current minute at stop(), then nothing more", () => {
    const { metrics, clock, emitted, answer } = recorder(NOON + 10_000);
    answer(4);
    clock.ms = NOON + 2 * MINUTE_MS + 30_000;
    answer(6);
    metrics.stop();
    metrics.stop();
    answer(8);
    metrics.flushEndedMinutes();
    assert.deepEqual(
      emitted.map((m) => [m.minuteStartMs, m.answered, m.latency?.max]),
      [
        [NOON, 1, 4],
        [NOON + MINUTE_MS, 0, undefined],
        [NOON + 2 * MINUTE_MS, 1, 6],
      ],
    );
  });

  it("gives exact nearest-rank percentiles over every latency of the minute, however many", () => {
    const { metrics, emitted, answer } = recorder(NOON);
    // 1..10000 ms in a scrambled order: more than the initial buffer holds.
    for (let i = 0; i < 10_000; i++) answer(((i * 7_919) % 10_000) + 1);
    metrics.stop();
    assert.deepEqual(emitted[0]!.latency, { p50: 5_000, p99: 9_900, max: 10_000 });
    assert.equal(emitted[0]!.answered, 10_000);
  });

  it("nearestRank: the smallest value with at least p % of the values at or below it", () => {
    const values = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual([0, 1, 10, 49, 50, 51, 99, 100].map((p) => nearestRank(values, p)), [1, 1, 1, 5, 5, 6, 10, 10]);
    assert.equal(nearestRank(Float64Array.from([42]), 99), 42);
    assert.equal(nearestRank(Float64Array.from([1, 1000]), 50), 1);
  });

  it("minuteStartOf: the UTC minute's first millisecond", () => {
    assert.equal(minuteStartOf(NOON), NOON);
    assert.equal(minuteStartOf(NOON + 59_999), NOON);
    assert.equal(minuteStartOf(NOON + 60_000), NOON + 60_000);
  });

  it("start(): its timer fires at the minute boundary and aims at the next one", async () => {
    const realStart = Date.now();
    const clock = { ms: NOON + MINUTE_MS - 30 };
    const emitted: MinuteStats[] = [];
    const metrics = new RequestMetrics({
      emit: (stats) => emitted.push(stats),
      takeQueuePeak: () => 0,
      now: () => clock.ms + (Date.now() - realStart),
    });
    metrics.start();
    await sleep(15);
    assert.equal(emitted.length, 0, "not before the boundary");
    await sleep(100);
    assert.deepEqual(emitted, [idleMinute(NOON)]);
    clock.ms += MINUTE_MS; // the next minute ends now: the re-aimed timer (1 min away) has not fired
    await sleep(20);
    assert.equal(emitted.length, 1);
    metrics.stop();
    assert.deepEqual(emitted.map((m) => m.minuteStartMs), [NOON, NOON + MINUTE_MS, NOON + 2 * MINUTE_MS]);
  });
});
