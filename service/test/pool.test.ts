import assert from "node:assert/strict";
import {
  createPrimePool,
  INLINE_LIMIT_MAX,
  PoolClosedError,
  QueueFullError,
  WorkerExitedError,
  type PrimePool,
} from "../src/pool.js";
import { countPrimesBelow } from "../src/primes.js";
import { DYING_LIMIT } from "./fixtures/dying-limit.js";

/** `promise`, or a rejection saying `what` if it takes longer than `ms`. */
async function withinMs<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** About 0.1 s of CPU: long enough to hold a worker while the test fills the queue. */
const SLOW = 1_000_000;

describe("service: the prime pool (real worker threads)", function () {
  this.timeout(20_000);
  const pools: PrimePool[] = [];
  const open = (...args: Parameters<typeof createPrimePool>) => {
    const pool = createPrimePool(...args);
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
  });

  it("starts every thread, lowered in priority, before it says it is ready", async () => {
    const pool = open({ threads: 2, maxQueue: 0, niceIncrement: 10 });
    const ready = await pool.ready;
    assert.deepEqual(ready.nice, process.platform === "linux" ? { applied: 10 } : { notApplied: `nice is per thread only on Linux, not ${process.platform}` });
  });

  it("answers every count exactly, each with its own result, when threads preempt one another mid-claim", async () => {
    // Tiny counts with distinct answers, more worker threads than cores (so the scheduler stops
    // workers at any instruction, mid-claim included) and a small queue (rings of 32 entries, which
    // the other workers go round while one is stopped): a task answered with another task's result
    // (a slot handed out twice, a stale ring entry) shows as a wrong count, a lost one as no answer.
    const threads = 4;
    const maxQueue = 28;
    const pool = open({ threads, maxQueue, niceIncrement: 10 });
    const limits = Array.from({ length: 97 }, (_, i) => INLINE_LIMIT_MAX + 1 + 3 * i);
    const expected = new Map(limits.map((limit) => [limit, countPrimesBelow(limit)]));
    const deadline = performance.now() + 1_500;
    let answered = 0;
    await Promise.all(
      Array.from({ length: threads + maxQueue }, async (_, lane) => {
        for (let i = lane; performance.now() < deadline; i += threads + maxQueue) {
          const limit = limits[i % limits.length]!;
          const { result } = await withinMs(2_000, pool.countPrimes(limit), `the count below ${limit} was never answered`);
          assert.equal(result, expected.get(limit), `primes below ${limit}`);
          answered++;
        }
      }),
    );
    assert.ok(answered > 10_000, `${answered} counts answered`);
    const { completed, ...rest } = pool.stats();
    assert.deepEqual(rest, { threads, maxQueue, inFlight: 0, queued: 0 });
    assert.equal(completed, answered);
  });

  it("accepts threads + maxQueue counts at once and refuses the next with QueueFullError", async () => {
    const pool = open({ threads: 1, maxQueue: 2 });
    await pool.ready;
    const accepted = [1, 2, 3].map(() => pool.countPrimes(SLOW));
    assert.deepEqual(pool.stats().inFlight, 3);
    await assert.rejects(pool.countPrimes(SLOW), (err) => err instanceof QueueFullError && err.capacity === 3);
    for (const { result } of await Promise.all(accepted)) assert.equal(result, 78_498);
    assert.equal(pool.stats().inFlight, 0);
  });

  it("tells the most counts waiting for a thread since it was last asked, never more than maxQueue", async () => {
    const pool = open({ threads: 1, maxQueue: 2 });
    await pool.ready;
    const accepted = [1, 2, 3].map(() => pool.countPrimes(SLOW));
    await assert.rejects(pool.countPrimes(SLOW), QueueFullError);
    await pool.countPrimes(INLINE_LIMIT_MAX); // counted in place: never waits
    assert.equal(pool.takeQueuePeak(), 2);
    await Promise.all(accepted);
    pool.takeQueuePeak(); // the period that began with two waiting
    assert.equal(pool.takeQueuePeak(), 0);
  });

  it(`counts limits up to ${INLINE_LIMIT_MAX} in place, without a slot, even when the queue is full`, async () => {
    const pool = open({ threads: 1, maxQueue: 0 });
    const busy = pool.countPrimes(SLOW);
    await assert.rejects(pool.countPrimes(INLINE_LIMIT_MAX + 1), QueueFullError);
    const inPlace = pool.countPrimes(INLINE_LIMIT_MAX);
    assert.equal(pool.stats().inFlight, 1, "only the slow count holds a slot");
    assert.equal((await inPlace).result, countPrimesBelow(INLINE_LIMIT_MAX));
    assert.equal((await pool.countPrimes(2)).result, 0);
    await busy;
  });

  it("refuses a limit that is not a non-negative safe integer, on either path", async () => {
    const pool = open({ threads: 1, maxQueue: 0 });
    for (const limit of [-1, 1.5, Number.NaN, 2 ** 53]) {
      await assert.rejects(pool.countPrimes(limit), /limit must be a non-negative safe integer/);
    }
  });

  it("close() lets accepted counts finish, then refuses new ones; destroy() cuts them with PoolClosedError", async () => {
    const closing = open({ threads: 1, maxQueue: 1 });
    const accepted = [closing.countPrimes(SLOW), closing.countPrimes(SLOW)];
    await closing.close();
    assert.deepEqual(
      (await Promise.all(accepted)).map((c) => c.result),
      [78_498, 78_498],
    );
    await assert.rejects(closing.countPrimes(SLOW), PoolClosedError);

    const destroyed = open({ threads: 1, maxQueue: 1 });
    await destroyed.ready;
    const cut = [destroyed.countPrimes(SLOW * 5), destroyed.countPrimes(SLOW * 5)];
    await destroyed.destroy();
    for (const count of cut) await assert.rejects(count, PoolClosedError);
  });

  it("fails only the count a dying worker thread held, reports it, and replaces the thread", async () => {
    const exits: unknown[] = [];
    const pool = open({
      threads: 1,
      maxQueue: 4,
      workerFile: new URL("./fixtures/dying-worker.ts", import.meta.url),
      onWorkerExit: (event) => exits.push(event),
    });
    await pool.ready;
    const before = pool.countPrimes(1_000);
    const dying = pool.countPrimes(DYING_LIMIT);
    const after = pool.countPrimes(2_000);
    assert.equal((await before).result, 168);
    await assert.rejects(dying, (err) => err instanceof WorkerExitedError && err.limit === DYING_LIMIT && err.reason === "exit code 3");
    assert.equal((await after).result, 303, "the replacement thread takes the queued count");
    assert.deepEqual(exits, [{ index: 0, reason: "exit code 3", failedLimit: DYING_LIMIT }]);
    assert.equal(pool.stats().inFlight, 0);
  });

  it("rejects ready when a worker thread cannot start", async () => {
    const pool = open({ threads: 1, maxQueue: 0, workerFile: new URL("./fixtures/missing-worker.js", import.meta.url) });
    await assert.rejects(pool.ready, /prime worker 0 failed to start \(.*missing-worker\.js/);
  });

  it("refuses impossible sizes", () => {
    assert.throws(() => createPrimePool({ threads: 0, maxQueue: 0 }), /threads must be an integer ≥ 1, got 0/);
    assert.throws(() => createPrimePool({ threads: 1, maxQueue: -1 }), /maxQueue must be an integer ≥ 0, got -1/);
  });
});
