import assert from "node:assert/strict";
import { countPrimesBelow, isPrime } from "../src/primes.js";

describe("service: countPrimesBelow", () => {
  it("counts the primes strictly below the limit", () => {
    const known: Array<[number, number]> = [
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 2],
      [5, 2],
      [10, 4],
      [11, 4],
      [12, 5],
      [100, 25],
      [15_000, 1754],
      [1_000_000, 78_498],
    ];
    for (const [limit, expected] of known) assert.equal(countPrimesBelow(limit), expected, `limit ${limit}`);
  });

  it("agrees with a sieve of Eratosthenes below 20000", () => {
    const n = 20_000;
    const composite = new Uint8Array(n);
    const sieve: number[] = [];
    for (let i = 2; i < n; i++) {
      if (composite[i]) continue;
      sieve.push(i);
      for (let j = i * i; j < n; j += i) composite[j] = 1;
    }
    const primes = Array.from({ length: n }, (_, i) => i).filter(isPrime);
    assert.deepEqual(primes, sieve);
  });

  it("refuses limits that are not non-negative safe integers", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => countPrimesBelow(bad), RangeError, String(bad));
    }
  });
});
