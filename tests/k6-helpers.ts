import assert from "node:assert/strict";
import { EnvError, envReader } from "../k6/lib/env";
import type { EnvReader, EnvSource } from "../k6/lib/env";

/** An EnvReader over a plain object, as the scripts build one over `__ENV`. */
export function env(source: EnvSource = {}): EnvReader {
  return envReader(source);
}

/** Asserts that `fn` throws an EnvError naming every variable, with a message matching `pattern`. */
export function assertEnvError(fn: () => unknown, variables: string[], pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof EnvError, `expected an EnvError, got ${String(error)}`);
    assert.deepEqual([...error.variables].sort(), [...variables].sort());
    for (const name of variables) assert.match(error.message, new RegExp(`\\b${name}\\b`));
    assert.match(error.message, pattern);
    return true;
  });
}

/** A deterministic stand-in for Math.random (mulberry32): the simulator's. */
export { seededRandom } from "../scripts/timeline/simulate/engine";

/** π(n − 1) for every n ≤ max, by a sieve of Eratosthenes: independent of the service's trial division. */
export function primesBelowTable(max: number): Uint32Array {
  const composite = new Uint8Array(max + 1);
  const below = new Uint32Array(max + 1);
  let count = 0;
  for (let n = 0; n <= max; n++) {
    below[n] = count;
    if (n >= 2 && composite[n] === 0) {
      count++;
      for (let m = n * n; m <= max; m += n) composite[m] = 1;
    }
  }
  return below;
}
