import assert from "node:assert/strict";
import { DEFAULT_CALIBRATION, measure, median, parseArgs, report, suggestRange } from "../k6/calibrate";
import type { LimitCost } from "../k6/calibrate";

const cost = (limit: number, medianMs: number): LimitCost => ({ limit, medianMs, minMs: medianMs, maxMs: medianMs });

describe("k6 calibrate: command line", () => {
  it("defaults to 7 runs over 100 000–500 000 with a 15–30 ms target", () => {
    assert.deepEqual(parseArgs([]), DEFAULT_CALIBRATION);
    assert.deepEqual(DEFAULT_CALIBRATION.targetMs, [15, 30]);
  });

  it("reads --runs, --limits (sorted) and --target", () => {
    assert.deepEqual(parseArgs(["--runs", "9", "--limits", "300000, 200000", "--target", "10-20.5"]), {
      limits: [200_000, 300_000],
      runs: 9,
      targetMs: [10, 20.5],
    });
  });

  it("rejects bad arguments with the usage line", () => {
    for (const argv of [["--runs", "0"], ["--runs"], ["--limits", "1,x"], ["--target", "30-15"], ["--bogus", "1"]]) {
      assert.throws(() => parseArgs(argv), /usage: npx tsx k6\/calibrate\.ts/, argv.join(" "));
    }
  });
});

describe("k6 calibrate: measuring", () => {
  it("takes the median", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]), RangeError);
  });

  it("times every limit `runs` times, after a warm-up, and reports median, fastest and slowest", () => {
    const calls: number[] = [];
    const samples = [5, 1, 3, 10, 30, 20];
    let next = 0;
    const costs = measure(
      { limits: [100, 200], runs: 3, targetMs: [15, 30] },
      (limit) => {
        calls.push(limit);
        return 0;
      },
      (fn) => {
        fn();
        return calls.length === 1 ? 999 : samples[next++];
      },
    );
    assert.deepEqual(calls, [100, 100, 100, 100, 200, 200, 200]);
    assert.deepEqual(costs, [
      { limit: 100, medianMs: 3, minMs: 1, maxMs: 5 },
      { limit: 200, medianMs: 20, minMs: 10, maxMs: 30 },
    ]);
  });

  it("measures the service's real countPrimesBelow in CPU time", () => {
    const [result] = measure({ limits: [20_000], runs: 1, targetMs: [15, 30] });
    assert.equal(result.limit, 20_000);
    assert.ok(result.medianMs > 0 && result.medianMs < 100, `${result.medianMs} ms`);
  });
});

describe("k6 calibrate: suggesting a range", () => {
  it("spans the contiguous limits whose cost is inside the band", () => {
    const costs = [cost(100, 5), cost(200, 16), cost(300, 22), cost(400, 29), cost(500, 35)];
    assert.deepEqual(suggestRange(costs, [15, 30]), { min: 200, max: 400 });
  });

  it("stops at the first limit above the band, even if a noisier larger one dips back in", () => {
    const costs = [cost(200, 16), cost(300, 31), cost(400, 29)];
    assert.deepEqual(suggestRange(costs, [15, 30]), { min: 200, max: 200 });
  });

  it("suggests nothing when no limit lands in the band", () => {
    assert.equal(suggestRange([cost(100, 5), cost(200, 40)], [15, 30]), undefined);
  });

  it("prints a table and the -e flags to use", () => {
    const text = report([cost(250_000, 15.5), cost(400_000, 27.25)], { limits: [250_000, 400_000], runs: 9, targetMs: [15, 30] });
    assert.match(text, /median of 9 runs/);
    assert.match(text, /^250000 +15\.50/m);
    assert.match(text, /-e LIMIT_MIN=250000 -e LIMIT_MAX=400000$/);
  });
});
