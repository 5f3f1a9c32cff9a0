/**
 * What each worker thread of the prime pool does (src/pool.ts starts them with the shared
 * TaskQueue memory): lower its own priority, say it is ready, then take queued counts from the
 * shared queue one after another until the queue closes. It never waits for the event loop
 * between tasks. src/worker.ts is the entry file that runs it with the real count.
 */
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { PrimeCount } from "./primes.js";
import { TaskQueue, type TaskQueueMemory } from "./task-queue.js";

/** What the pool gives each worker thread. */
export interface PrimeWorkerData {
  memory: TaskQueueMemory;
  /** This thread's index among the pool's workers. */
  index: number;
  /** Added to this thread's nice value (Linux); 0 leaves it alone. */
  niceIncrement: number;
}

/** The worker's first and only message: it is ready, and how its priority went. */
export interface WorkerReady {
  /** The nice increment applied to this thread, or why none was. */
  nice: { applied: number } | { notApplied: string };
}

/**
 * Linux keeps a nice value per thread, and nice(2) changes the calling thread's only. Elsewhere it
 * would change the whole process (the event loop included), which is the opposite of the point.
 */
function lowerPriority(increment: number): WorkerReady["nice"] {
  if (increment === 0) return { applied: 0 };
  if (process.platform !== "linux") return { notApplied: `nice is per thread only on Linux, not ${process.platform}` };
  try {
    const { nice } = createRequire(import.meta.url)("@napi-rs/nice") as typeof import("@napi-rs/nice");
    nice(increment);
    return { applied: increment };
  } catch (err) {
    return { notApplied: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs this worker thread: every task the queue hands it goes through `count`. */
export function serveTasks(count: (limit: number) => PrimeCount): void {
  const { memory, index, niceIncrement } = workerData as PrimeWorkerData;
  const queue = TaskQueue.attach(memory);
  parentPort!.postMessage({ nice: lowerPriority(niceIncrement) } satisfies WorkerReady);
  for (let slot = queue.next(index); slot !== undefined; slot = queue.next(index)) {
    const { result, durationSeconds } = count(queue.limit(slot));
    queue.complete(index, slot, result, durationSeconds);
  }
}
