/**
 * The memory the event loop and the worker threads share to hand prime counts to each other,
 * without messages: a bounded queue of task slots (filled by the event loop, emptied by the
 * workers) and a ring of completed slots (filled by the workers, emptied by the event loop).
 *
 * Why not postMessage (as worker-pool libraries do): a message costs the event loop a structured
 * clone and a wake-up each way, about 25 µs of its CPU per task on this project's machines, and
 * a worker that finished a task sits idle until the event loop sends it the next one. Here a
 * worker takes the next queued task itself (Atomics.wait when there is none), and the event loop
 * collects every completion since its last turn in one wake-up (Atomics.waitAsync).
 *
 * Concurrency rules (JavaScript's memory model: a plain write made before an Atomics store is
 * visible to a thread whose Atomics load sees that store):
 * - only the event loop writes a task's limit, the submit ring and its tail; workers claim ring
 *   positions by compare-and-swap on the head, having read the position's entry first (while the
 *   head has not passed a position, its entry cannot be overwritten: that would take more queued
 *   tasks than there are slots);
 * - a worker writes its task's result before it publishes the slot in the completion ring;
 * - positions are 32-bit counters that wrap; each ring's length is a power of two, so
 *   `position & mask` stays continuous across the wrap;
 * - a slot is in at most one ring position at a time, and at most `capacity` slots exist, so no
 *   ring position is reused before it has been read.
 */

/** Indices into the control array (Int32). */
const SUBMIT_TAIL = 0; // positions published by the event loop
const SUBMIT_HEAD = 1; // positions claimed by workers
const SUBMIT_BELL = 2; // bumped on every submit and on close: what idle workers wait on
const DONE_TAIL = 3; // completion positions reserved by workers
const DONE_BELL = 4; // bumped after every completion: what the event loop waits on
const CLOSING = 5; // 1 once no more tasks will come: workers exit when the queue is empty
const HEADER = 8;

/** Per slot in the Float64 slot array: the task's limit, then the worker's answer. */
const SLOT_LIMIT = 0;
const SLOT_RESULT = 1;
const SLOT_SECONDS = 2;
const SLOT_FIELDS = 3;

/** What a worker thread needs to attach to the same queue (sent as workerData). */
export interface TaskQueueMemory {
  capacity: number;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
}

/** A completed task, as the event loop collects it. */
export interface Completion {
  slot: number;
  result: number;
  durationSeconds: number;
}

function ringLength(capacity: number): number {
  let length = 1;
  while (length < capacity) length *= 2;
  return length;
}

export class TaskQueue {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;
  private readonly mask: number;
  private readonly submitRing: number;
  private readonly doneRing: number;
  private readonly running: number;
  /** Event loop only: the next completion position to read. */
  private collected = 0;

  private constructor(readonly memory: TaskQueueMemory) {
    const length = ringLength(memory.capacity);
    this.mask = length - 1;
    this.submitRing = HEADER;
    this.doneRing = HEADER + length;
    this.running = HEADER + 2 * length;
    this.control = new Int32Array(memory.control);
    this.slots = new Float64Array(memory.slots);
  }

  /**
   * New shared memory for `capacity` task slots and `workers` worker threads. The position
   * counters start at `firstPosition` (tests start them just below the 32-bit wrap).
   */
  static create(capacity: number, workers: number, firstPosition = 0): TaskQueue {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer ≥ 1, got ${capacity}`);
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be an integer ≥ 1, got ${workers}`);
    const length = ringLength(capacity);
    const queue = new TaskQueue({
      capacity,
      control: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (HEADER + 2 * length + workers)),
      slots: new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * SLOT_FIELDS * capacity),
    });
    for (const counter of [SUBMIT_TAIL, SUBMIT_HEAD, DONE_TAIL]) queue.control[counter] = firstPosition | 0;
    queue.collected = firstPosition | 0;
    return queue;
  }

  /** The same queue, seen from a worker thread. */
  static attach(memory: TaskQueueMemory): TaskQueue {
    return new TaskQueue(memory);
  }

  // --- event loop side -------------------------------------------------------------------------

  /** Queues `slot` (free, owned by the caller) to count the primes below `limit`; wakes one idle worker. */
  submit(slot: number, limit: number): void {
    this.slots[slot * SLOT_FIELDS + SLOT_LIMIT] = limit;
    const tail = this.control[SUBMIT_TAIL]!; // only this thread writes it
    Atomics.store(this.control, this.submitRing + (tail & this.mask), slot);
    Atomics.store(this.control, SUBMIT_TAIL, (tail + 1) | 0);
    Atomics.add(this.control, SUBMIT_BELL, 1);
    Atomics.notify(this.control, SUBMIT_BELL, 1);
  }

  /** Tasks queued and not yet claimed by a worker. */
  queued(): number {
    return (Atomics.load(this.control, SUBMIT_TAIL) - Atomics.load(this.control, SUBMIT_HEAD)) | 0;
  }

  /** The completion bell's value: read it before collect(), then wait for it to move (whenRung). */
  bell(): number {
    return Atomics.load(this.control, DONE_BELL);
  }

  /**
   * Every completion published since the last call, in order. Stops at a position a worker has
   * reserved but not yet written: that worker rings the bell once it has.
   */
  collect(): Completion[] {
    const done: Completion[] = [];
    for (;;) {
      const index = this.doneRing + (this.collected & this.mask);
      const entry = Atomics.load(this.control, index);
      if (entry === 0) return done;
      Atomics.store(this.control, index, 0);
      this.collected = (this.collected + 1) | 0;
      const slot = entry - 1;
      const base = slot * SLOT_FIELDS;
      done.push({ slot, result: this.slots[base + SLOT_RESULT]!, durationSeconds: this.slots[base + SLOT_SECONDS]! });
    }
  }

  /**
   * Resolves once the bell has rung after it read `bell` (at once, without a promise, when it
   * already has: returns undefined then). Never blocks the event loop.
   */
  whenRung(bell: number): Promise<unknown> | undefined {
    const wait = Atomics.waitAsync(this.control, DONE_BELL, bell);
    return wait.async ? wait.value : undefined;
  }

  /** The slot worker `worker` is counting, if any (to fail that task when the thread dies). */
  runningSlot(worker: number): number | undefined {
    const entry = Atomics.load(this.control, this.running + worker);
    return entry === 0 ? undefined : entry - 1;
  }

  /** Forgets worker `worker`'s running slot (the thread died; a replacement takes its index). */
  clearRunning(worker: number): void {
    Atomics.store(this.control, this.running + worker, 0);
  }

  /** No more tasks: workers finish what is queued, then next() returns undefined. */
  close(): void {
    Atomics.store(this.control, CLOSING, 1);
    Atomics.add(this.control, SUBMIT_BELL, 1);
    Atomics.notify(this.control, SUBMIT_BELL);
  }

  // --- worker side -----------------------------------------------------------------------------

  /**
   * Claims the next queued task for worker `worker` and returns its slot, blocking this thread
   * (Atomics.wait) while the queue is empty; undefined once the queue is closed and empty.
   */
  next(worker: number): number | undefined {
    for (;;) {
      const bell = Atomics.load(this.control, SUBMIT_BELL);
      const head = Atomics.load(this.control, SUBMIT_HEAD);
      if (head !== Atomics.load(this.control, SUBMIT_TAIL)) {
        // Read the entry before claiming it: once the head has moved past it, other workers can
        // complete enough tasks for the event loop to write a later lap's entry in its place.
        const slot = Atomics.load(this.control, this.submitRing + (head & this.mask));
        if (Atomics.compareExchange(this.control, SUBMIT_HEAD, head, (head + 1) | 0) !== head) continue;
        Atomics.store(this.control, this.running + worker, slot + 1);
        return slot;
      }
      if (Atomics.load(this.control, CLOSING) === 1) return undefined;
      Atomics.wait(this.control, SUBMIT_BELL, bell);
    }
  }

  /** The limit of a claimed task. */
  limit(slot: number): number {
    return this.slots[slot * SLOT_FIELDS + SLOT_LIMIT]!;
  }

  /** Publishes worker `worker`'s answer for `slot` and wakes the event loop. */
  complete(worker: number, slot: number, result: number, durationSeconds: number): void {
    const base = slot * SLOT_FIELDS;
    this.slots[base + SLOT_RESULT] = result;
    this.slots[base + SLOT_SECONDS] = durationSeconds;
    Atomics.store(this.control, this.running + worker, 0);
    const position = Atomics.add(this.control, DONE_TAIL, 1);
    Atomics.store(this.control, this.doneRing + (position & this.mask), slot + 1);
    Atomics.add(this.control, DONE_BELL, 1);
    Atomics.notify(this.control, DONE_BELL, 1);
  }
}
