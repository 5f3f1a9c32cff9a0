/**
 * The worker-thread pool that runs every prime count, with a bounded queue.
 *
 * At most `threads + maxQueue` counts are accepted at once (`threads` running, `maxQueue`
 * waiting); past that `countPrimes` rejects with `QueueFullError`, which the app turns into a 503
 * with `Retry-After`. The bound is also the size of the shared memory the tasks travel through
 * (src/task-queue.ts), so memory stays fixed however hard the service is pushed.
 */
import { Worker } from "node:worker_threads";
import { timedCountPrimesBelow, type PrimeCount } from "./primes.js";
import { TaskQueue } from "./task-queue.js";
import type { PrimeWorkerData, WorkerReady } from "./worker-thread.js";

export type { PrimeCount } from "./primes.js";

/**
 * The largest limit counted on the event loop itself. Handing a count to a worker and collecting
 * its answer costs the event loop about a microsecond of CPU even at its cheapest, when many
 * answers share one wake-up (submit, wake a worker, collect, settle the promise); counting the
 * primes below this limit costs less than that (`npm run bench` measures both), so answering in
 * place takes the event loop less time than the hand-off would, and cannot slow /api/health.
 */
export const INLINE_LIMIT_MAX = 200;

/**
 * Counts the primes below `limit`: on a worker thread, or in place when that is cheaper than the
 * hand-off (limit ≤ INLINE_LIMIT_MAX).
 */
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

/** The worker thread running this count died; the pool has started a replacement. */
export class WorkerExitedError extends Error {
  override readonly name = "WorkerExitedError";
  constructor(
    readonly limit: number,
    readonly reason: string,
  ) {
    super(`the worker thread counting the primes below ${limit} stopped (${reason})`);
  }
}

export interface PrimePoolOptions {
  /** Worker threads, all started at once and kept. */
  threads: number;
  /** Tasks allowed to wait for a free thread; 0 means "only as many as there are threads". */
  maxQueue: number;
  /**
   * Added to each worker thread's nice value (Linux), so that the event loop thread wins the CPU
   * when every core is busy counting primes: /api/health stays fast under full load, and the
   * workers still get all the CPU the event loop does not use. 0 disables it.
   */
  niceIncrement?: number;
  /**
   * The worker threads' entry file: src/worker.ts, built or not (tests give one that dies on
   * purpose). A TypeScript file starts through a bootstrap that registers tsx in the new thread,
   * because a worker thread does not inherit the main thread's module hooks.
   */
  workerFile?: URL;
  /** Called when a worker thread dies after start-up (the pool replaces it), e.g. to log it. */
  onWorkerExit?: (event: { index: number; reason: string; failedLimit: number | undefined }) => void;
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

/** How the worker threads started. */
export interface PoolReady {
  /** The nice increment every worker thread runs with, or why it is not applied. */
  nice: WorkerReady["nice"];
}

export interface PrimePool {
  readonly countPrimes: CountPrimes;
  /** Resolves once every worker thread has started; rejects if one failed to. */
  readonly ready: Promise<PoolReady>;
  stats(): PoolStats;
  /**
   * The most counts waiting for a worker thread at once since the last call (or since the start);
   * the next period starts from the number waiting now.
   */
  takeQueuePeak(): number;
  /** Stop accepting tasks, let accepted ones finish, then stop the threads. */
  close(): Promise<void>;
  /** Stop the threads now; unfinished tasks reject with PoolClosedError. */
  destroy(): Promise<void>;
}

/** dist/worker.js next to this file, or src/worker.ts when running from source (tsx: tests, `npm run dev`). */
function defaultWorkerFile(): URL {
  return new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
}

function newWorkerThread(file: URL, name: string, workerData: PrimeWorkerData): Worker {
  if (!file.pathname.endsWith(".ts")) return new Worker(file, { name, workerData });
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(bootstrap, { eval: true, name, workerData });
}

interface PendingTask {
  limit: number;
  resolve: (count: PrimeCount) => void;
  reject: (err: Error) => void;
}

export function createPrimePool(options: PrimePoolOptions): PrimePool {
  const { threads, maxQueue } = options;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError(`maxQueue must be an integer ≥ 0, got ${maxQueue}`);
  const capacity = threads + maxQueue;
  const queue = TaskQueue.create(capacity, threads);
  const niceIncrement = options.niceIncrement ?? 0;
  const workerFile = options.workerFile ?? defaultWorkerFile();

  const tasks: Array<PendingTask | undefined> = new Array(capacity);
  const freeSlots = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
  let inFlight = 0;
  let completed = 0;
  let queuePeak = 0;
  let closed = false; // no new counts, and a worker thread that exits is not replaced
  let watching = false;

  const finish = (slot: number): PendingTask => {
    const task = tasks[slot]!;
    tasks[slot] = undefined;
    freeSlots.push(slot);
    inFlight--;
    return task;
  };

  const collect = () => {
    for (const { slot, result, durationSeconds } of queue.collect()) {
      completed++;
      finish(slot).resolve({ result, durationSeconds });
    }
  };

  // One wake-up of the event loop collects every count finished since the last; nothing is
  // waited for while nothing is in flight.
  const watch = () => {
    watching = false;
    for (;;) {
      const bell = queue.bell();
      collect();
      if (inFlight === 0) return;
      const rung = queue.whenRung(bell);
      if (rung) {
        watching = true;
        void rung.then(watch);
        return;
      }
    }
  };

  // Two counts of the tasks waiting for a thread, each slightly high at times: the tasks not yet
  // claimed (queue.queued()) include, for the moment a woken thread takes to claim it, one an idle
  // thread is about to run; the tasks beyond the threads (inFlight - threads) include, until the
  // event loop collects it, one already finished. The smaller is the closer, and never above maxQueue.
  const waitingNow = (): number => Math.max(0, Math.min(queue.queued(), inFlight - threads));

  const countPrimes: CountPrimes = (limit) => {
    if (closed) return Promise.reject(new PoolClosedError());
    if (!Number.isSafeInteger(limit) || limit < 0) {
      return Promise.reject(new RangeError(`limit must be a non-negative safe integer, got ${limit}`));
    }
    if (limit <= INLINE_LIMIT_MAX) return Promise.resolve(timedCountPrimesBelow(limit));
    const slot = freeSlots.pop();
    if (slot === undefined) return Promise.reject(new QueueFullError(capacity));
    inFlight++;
    const promise = new Promise<PrimeCount>((resolve, reject) => {
      tasks[slot] = { limit, resolve, reject };
    });
    queue.submit(slot, limit);
    // The queue only grows here, so the most it holds over any period is seen at one of these.
    queuePeak = Math.max(queuePeak, waitingNow());
    if (!watching) watch();
    return promise;
  };

  const workers: Worker[] = [];
  const exits: Array<Promise<void>> = [];

  /** Starts worker `index`; resolves with its ready message, rejects if it dies before sending it. */
  const start = (index: number): Promise<WorkerReady> => {
    const worker = newWorkerThread(workerFile, `prime-worker-${index}`, { memory: queue.memory, index, niceIncrement });
    workers[index] = worker;
    let error: Error | undefined;
    let started = false;
    worker.on("error", (err) => (error = err));
    exits[index] = new Promise((resolve) => worker.once("exit", () => resolve()));
    return new Promise<WorkerReady>((resolve, reject) => {
      worker.once("message", (ready: WorkerReady) => {
        started = true;
        resolve(ready);
      });
      worker.once("exit", (code) => {
        const reason = error ? `${error.name}: ${error.message}` : `exit code ${code}`;
        if (!started) return reject(new Error(`prime worker ${index} failed to start (${reason})`));
        if (closed) return;
        const slot = queue.runningSlot(index);
        queue.clearRunning(index);
        const failed = slot === undefined ? undefined : finish(slot);
        failed?.reject(new WorkerExitedError(failed.limit, reason));
        options.onWorkerExit?.({ index, reason, failedLimit: failed?.limit });
        start(index).catch(() => undefined); // a replacement that cannot start leaves this index empty
      });
    });
  };

  const ready = Promise.all(Array.from({ length: threads }, (_, index) => start(index))).then(
    (started): PoolReady => ({ nice: started[0]!.nice }),
  );
  ready.catch(() => undefined); // the caller that awaits ready sees the failure

  const rejectAll = () => {
    for (let slot = 0; slot < capacity; slot++) if (tasks[slot]) finish(slot).reject(new PoolClosedError());
  };

  return {
    countPrimes,
    ready,
    stats: () => ({ threads, maxQueue, inFlight, queued: queue.queued(), completed }),
    takeQueuePeak: () => {
      const peak = queuePeak;
      queuePeak = waitingNow();
      return peak;
    },
    close: async () => {
      closed = true;
      queue.close();
      await Promise.all(exits);
      collect();
      rejectAll(); // only tasks of a worker that could not start are left
    },
    destroy: async () => {
      closed = true;
      queue.close();
      await Promise.all(workers.map((w) => w.terminate()));
      collect();
      rejectAll();
    },
  };
}
