/**
 * The worker-thread pool that runs every prime count, with a bounded queue.
 *
 * Admission is decided here, not left to the pool library's internals: at most
 * `threads + maxQueue` tasks are accepted at once (`threads` running, `maxQueue` waiting);
 * past that `countPrimes` rejects with `QueueFullError`, which the app turns into a 503 with
 * `Retry-After`. Piscina's own `maxQueue` is set to the same bound as a backstop.
 */
import { Piscina } from "piscina";
import type { PrimeCount } from "./worker.js";

export type { PrimeCount } from "./worker.js";

/** Counts the primes below `limit` somewhere other than the caller's thread. */
export type CountPrimes = (limit: number) => Promise<PrimeCount>;

/** Every worker is busy and the queue is full: try again later. */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
  constructor(readonly capacity: number) {
    super(`the prime-counting pool is at capacity (${capacity} requests running or queued)`);
  }
}

/** The pool is shutting down and accepts no more work. */
export class PoolClosedError extends Error {
  override readonly name = "PoolClosedError";
  constructor() {
    super("the prime-counting pool is shutting down");
  }
}

export interface PrimePoolOptions {
  /** Worker threads, all started at once and kept (no idle reaping). */
  threads: number;
  /** Tasks allowed to wait for a free thread; 0 means "only as many as there are threads". */
  maxQueue: number;
  /**
   * Added to each worker thread's nice value (Linux), so that the event loop thread wins the CPU
   * when every core is busy counting primes: /api/health stays fast under full load, and the
   * workers still get all the CPU the event loop does not use. 0 disables it.
   */
  niceIncrement?: number;
  /** The task module; defaults to worker.js (worker.ts when running from source under tsx). */
  workerFile?: URL;
}

export interface PoolStats {
  threads: number;
  maxQueue: number;
  /** Tasks accepted and not yet finished (running + queued). */
  inFlight: number;
  /** Tasks waiting for a thread. */
  queued: number;
  completed: number;
}

export interface PrimePool {
  readonly countPrimes: CountPrimes;
  stats(): PoolStats;
  /** Stop accepting tasks, let accepted ones finish, then stop the threads. */
  close(): Promise<void>;
  /** Stop the threads now; unfinished tasks reject. */
  destroy(): Promise<void>;
}

function defaultWorkerFile(): URL {
  // Built: dist/pool.js next to dist/worker.js. From source (tsx: tests, `npm run dev`): src/*.ts,
  // and the worker threads inherit tsx through process.execArgv.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  return new URL(`./worker.${ext}`, import.meta.url);
}

function isPiscinaQueueFull(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.message === "Task queue is at limit" || err.message === "No task queue available and all Workers are busy")
  );
}

export function createPrimePool(options: PrimePoolOptions): PrimePool {
  const { threads, maxQueue } = options;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError(`maxQueue must be an integer ≥ 0, got ${maxQueue}`);
  const capacity = threads + maxQueue;

  const piscina = new Piscina<number, PrimeCount>({
    filename: (options.workerFile ?? defaultWorkerFile()).href,
    minThreads: threads,
    maxThreads: threads,
    maxQueue,
    niceIncrement: options.niceIncrement ?? 0,
    recordTiming: false, // piscina's run/wait histograms are not used: spare the event loop the bookkeeping
  });

  let inFlight = 0;
  let closed = false;
  let destroyed = false;

  const countPrimes: CountPrimes = (limit) => {
    if (closed) return Promise.reject(new PoolClosedError());
    if (inFlight >= capacity) return Promise.reject(new QueueFullError(capacity));
    inFlight++;
    return piscina
      .run(limit)
      .catch((err: unknown) => {
        if (destroyed) throw new PoolClosedError(); // cut short by destroy(): not a failure of the task
        throw isPiscinaQueueFull(err) ? new QueueFullError(capacity) : err;
      })
      .finally(() => {
        inFlight--;
      });
  };

  return {
    countPrimes,
    stats: () => ({ threads, maxQueue, inFlight, queued: piscina.queueSize, completed: piscina.completed }),
    close: async () => {
      closed = true;
      await piscina.close();
    },
    destroy: async () => {
      closed = true;
      destroyed = true;
      await piscina.destroy();
    },
  };
}
