import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CALIBRATE_USAGE, DEFAULT_CALIBRATION, USAGE, measure, median, parseArgs, report, suggestRange } from "../k6/calibrate";
import { UsageError, usageErrorText } from "../scripts/cli-usage";
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

  it("reads --help and -h, wherever they are, as help", () => {
    for (const argv of [["--help"], ["-h"], ["--runs", "0", "--help"], ["--bogus", "-h"]]) assert.equal(parseArgs(argv), "help", argv.join(" "));
  });

  it("refuses bad arguments, worded as every tool words them", () => {
    const cases: [string[], string][] = [
      [["--runs", "0"], '--runs expects a whole number >= 1, got "0"'],
      [["--runs"], "--runs needs a value"],
      [["--limits", "1,x"], '--limits expects a whole number >= 1, got "x"'],
      [["--target", "30-15"], '--target expects MIN-MAX in milliseconds with MIN < MAX, got "30-15"'],
      [["--run", "9"], "unknown option --run: did you mean --runs?"],
      [["--frobnicate", "1"], "unknown option --frobnicate"],
      [["9"], 'unexpected argument "9"'],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseArgs(argv), (error: unknown) => error instanceof UsageError && error.message === message, argv.join(" "));
  });

  it("a refusal prints one usage line", () => {
    assert.equal(
      usageErrorText("unknown option --run: did you mean --runs?", CALIBRATE_USAGE, ["--run", "9"]),
      "unknown option --run: did you mean --runs?\nusage: npx tsx k6/calibrate.ts [--runs N] [--limits L1,L2,...] [--target MIN-MAX] (npx tsx k6/calibrate.ts --help for all options)",
    );
  });

  it("npx tsx k6/calibrate.ts --help: the usage on stdout, exit 0; a misspelt option: exit 2 with the one meant", () => {
    const run = (...argv: string[]) => spawnSync(process.execPath, ["--import", "tsx", "k6/calibrate.ts", ...argv], { encoding: "utf8", timeout: 20_000 });
    const help = run("--help");
    assert.deepEqual([help.status, help.stdout, help.stderr], [0, `${USAGE}\n`, ""]);
    const misspelt = run("--limit", "5");
    assert.deepEqual([misspelt.status, misspelt.stdout, misspelt.stderr], [2, "", `${usageErrorText("unknown option --limit: did you mean --limits?", CALIBRATE_USAGE, ["--limit"])}\n`]);
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
