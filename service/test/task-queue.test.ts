import assert from "node:assert/strict";
import { TaskQueue } from "../src/task-queue.js";

/** Completes every task worker `worker` can claim now, answering limit × 10 (closes first so next() cannot block). */
function drainAs(queue: TaskQueue, worker: number): number[] {
  const slots: number[] = [];
  for (let slot = queue.next(worker); slot !== undefined; slot = queue.next(worker)) {
    slots.push(slot);
    queue.complete(worker, slot, queue.limit(slot) * 10, slot / 1000);
  }
  return slots;
}

describe("service: the shared task queue (one thread playing both sides)", () => {
  it("hands tasks to workers in submission order and the answers back in completion order", () => {
    const queue = TaskQueue.create(4, 2);
    const worker = TaskQueue.attach(queue.memory); // what a worker thread sees
    queue.submit(2, 7);
    queue.submit(0, 11);
    queue.submit(3, 13);
    assert.equal(queue.queued(), 3);

    const first = worker.next(0)!;
    const second = worker.next(1)!;
    assert.deepEqual([first, second], [2, 0]);
    assert.deepEqual([worker.limit(first), worker.limit(second)], [7, 11]);
    assert.deepEqual([queue.runningSlot(0), queue.runningSlot(1)], [2, 0]);
    assert.equal(queue.queued(), 1);

    worker.complete(1, second, 5, 0.001);
    worker.complete(0, first, 4, 0.002);
    assert.deepEqual([queue.runningSlot(0), queue.runningSlot(1)], [undefined, undefined]);
    assert.deepEqual(queue.collect(), [
      { slot: 0, result: 5, durationSeconds: 0.001 },
      { slot: 2, result: 4, durationSeconds: 0.002 },
    ]);
    assert.deepEqual(queue.collect(), [], "each completion is collected once");
  });

  it("rings the completion bell after each answer, and resolves a waiter only once it has rung", async () => {
    const queue = TaskQueue.create(2, 1);
    const bell = queue.bell();
    let rung = false;
    const waiter = queue.whenRung(bell)!;
    assert.ok(waiter, "nothing completed yet: the event loop waits");
    void waiter.then(() => (rung = true));
    queue.submit(1, 3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(rung, false);
    queue.complete(0, queue.next(0)!, 1, 0);
    await waiter;
    assert.notEqual(queue.bell(), bell);
    assert.equal(queue.whenRung(bell), undefined, "a bell already rung needs no waiting");
  });

  it("keeps positions continuous across the 32-bit wrap, lap after lap", () => {
    const capacity = 3; // rings of 4 entries
    const queue = TaskQueue.create(capacity, 1, 2 ** 31 - 5);
    const answers: number[] = [];
    for (let lap = 0; lap < 10; lap++) {
      for (let slot = 0; slot < capacity; slot++) queue.submit(slot, lap * capacity + slot);
      for (let i = 0; i < capacity; i++) {
        const slot = queue.next(0)!;
        queue.complete(0, slot, queue.limit(slot), 0);
      }
      answers.push(...queue.collect().map((c) => c.result));
      assert.equal(queue.queued(), 0);
    }
    assert.deepEqual(answers, Array.from({ length: 10 * capacity }, (_, i) => i));
  });

  it("lets workers finish what is queued after close, then tells them to stop", () => {
    const queue = TaskQueue.create(3, 1);
    queue.submit(0, 1);
    queue.submit(1, 2);
    queue.close();
    assert.deepEqual(drainAs(queue, 0), [0, 1]);
    assert.equal(queue.next(0), undefined);
    assert.deepEqual(
      queue.collect().map((c) => c.result),
      [10, 20],
    );
  });

  it("forgets the running slot of a worker that died", () => {
    const queue = TaskQueue.create(2, 2);
    queue.submit(1, 9);
    assert.equal(queue.next(1), 1);
    assert.equal(queue.runningSlot(1), 1);
    queue.clearRunning(1);
    assert.equal(queue.runningSlot(1), undefined);
  });

  it("refuses a queue with no slots or no workers", () => {
    assert.throws(() => TaskQueue.create(0, 1), /capacity must be an integer ≥ 1, got 0/);
    assert.throws(() => TaskQueue.create(2, 0), /workers must be an integer ≥ 1, got 0/);
  });
});
