import assert from "node:assert/strict";
import { DEFAULT_LIMIT_RANGE, KNOWN_PRIME_COUNTS, MAX_LIMIT, pickLimit, readLimitRange } from "../k6/lib/limits";
import { assertEnvError, env, primesBelowTable, seededRandom } from "./k6-helpers";

describe("k6 limits: the limit range", () => {
  it("defaults to the calibrated range (≈15–30 ms of CPU per request, see lib/limits.ts)", () => {
    assert.deepEqual(readLimitRange(env()), { min: 280_000, max: 420_000 });
    assert.deepEqual(DEFAULT_LIMIT_RANGE, { min: 280_000, max: 420_000 });
  });

  it("takes LIMIT_MIN and LIMIT_MAX from -e, allowing a single limit", () => {
    assert.deepEqual(readLimitRange(env({ LIMIT_MIN: "1000", LIMIT_MAX: "2000" })), { min: 1000, max: 2000 });
    assert.deepEqual(readLimitRange(env({ LIMIT_MIN: "15000", LIMIT_MAX: "15000" })), { min: 15000, max: 15000 });
    assert.deepEqual(readLimitRange(env({ LIMIT_MIN: "0", LIMIT_MAX: "0" })), { min: 0, max: 0 });
  });

  it("rejects LIMIT_MIN above LIMIT_MAX, naming both", () => {
    assertEnvError(() => readLimitRange(env({ LIMIT_MIN: "500000" })), ["LIMIT_MIN", "LIMIT_MAX"], /LIMIT_MIN must be <= LIMIT_MAX/);
  });

  it("rejects negative, fractional, non-numeric and oversized limits", () => {
    assertEnvError(() => readLimitRange(env({ LIMIT_MIN: "-1" })), ["LIMIT_MIN"], /whole number from 0 to 10000000/);
    assertEnvError(() => readLimitRange(env({ LIMIT_MAX: "1.5" })), ["LIMIT_MAX"], /whole number/);
    assertEnvError(() => readLimitRange(env({ LIMIT_MAX: "big" })), ["LIMIT_MAX"], /whole number/);
    assertEnvError(() => readLimitRange(env({ LIMIT_MAX: String(MAX_LIMIT + 1) })), ["LIMIT_MAX"], /to 10000000/);
  });
});

describe("k6 limits: pickLimit", () => {
  const range = { min: 100, max: 104 };

  it("stays within the range, both ends included", () => {
    assert.equal(pickLimit(range, () => 0), 100);
    assert.equal(pickLimit(range, () => 0.9999999999), 104);
    assert.equal(pickLimit({ min: 7, max: 7 }, () => 0.5), 7);
  });

  it("never leaves the range even for a random() that returns 1", () => {
    assert.equal(pickLimit(range, () => 1), 104);
  });

  it("is uniform: every value about equally often", () => {
    const random = seededRandom(42);
    const counts = new Map<number, number>();
    const draws = 50_000;
    for (let i = 0; i < draws; i++) {
      const limit = pickLimit(range, random);
      counts.set(limit, (counts.get(limit) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [100, 101, 102, 103, 104]);
    for (const [limit, count] of counts) {
      assert.ok(Math.abs(count / draws - 0.2) < 0.01, `${limit} drawn ${count} times`);
    }
  });

  it("returns whole numbers across the default range", () => {
    const random = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const limit = pickLimit(DEFAULT_LIMIT_RANGE, random);
      assert.ok(Number.isInteger(limit) && limit >= 280_000 && limit <= 420_000, String(limit));
    }
  });
});

describe("k6 limits: known prime counts for the smoke test", () => {
  it("are right, by an independent sieve", () => {
    const table = primesBelowTable(Math.max(...KNOWN_PRIME_COUNTS.map((known) => known.limit)));
    for (const known of KNOWN_PRIME_COUNTS) {
      assert.equal(known.primes, table[known.limit], `primes below ${known.limit}`);
    }
  });

  it("cover the edge cases and the service's documented examples", () => {
    const byLimit = new Map(KNOWN_PRIME_COUNTS.map((known) => [known.limit, known.primes]));
    assert.deepEqual([0, 1, 2, 3].map((limit) => byLimit.get(limit)), [0, 0, 0, 1]);
    assert.equal(byLimit.get(100), 25);
    assert.equal(byLimit.get(15_000), 1754);
  });

  it("include one limit inside the default range, so the smoke test pays a realistic cost", () => {
    assert.ok(KNOWN_PRIME_COUNTS.some((k) => k.limit >= DEFAULT_LIMIT_RANGE.min && k.limit <= DEFAULT_LIMIT_RANGE.max));
  });
});
