/**
 * One task of the prime-counter service, request by request: `workers` threads count primes, sharing the task's
 * vCPUs; requests beyond the busy threads wait in a FIFO queue; a request arriving when `workers + maxQueue` are
 * already in the task is answered 503 at once (service/src/task-queue.ts).
 *
 * The queueing model is a G/G/c/K queue per task: c = WORKERS, K = WORKERS + MAX_QUEUE, each request's CPU drawn
 * from the profile's limits, arrivals as k6 makes them. While more threads are busy than the task has vCPUs, they
 * share them equally (the kernel's fair scheduler under the task's CPU quota), so each runs at vCPUs ÷ busy.
 */

/** Speed of each busy worker thread, in CPU-seconds per second: a whole vCPU each, or an equal share. */
export function workerSpeed(busyWorkers: number, vcpus: number): number {
    return busyWorkers === 0 ? 1 : Math.min(1, vcpus / busyWorkers);
}

/** Whether a task with `inTask` requests (in service and queued) takes another: the bounded queue. */
export function admits(inTask: number, workers: number, maxQueue: number): boolean {
    return inTask < workers + maxQueue;
}

interface Job {
    arrival: number;
    remainingMs: number;
    /** Called with the completion time. */
    done: (t: number) => void;
}

export class TaskServer {
    private readonly busy: Job[] = [];
    private readonly queue: Job[] = [];
    private queueHead = 0;
    private updatedAt: number;
    /** CPU milliseconds used since the last `takeCpuMs`. */
    private cpuMs = 0;

    constructor(
        readonly workers: number,
        readonly vcpus: number,
        readonly maxQueue: number,
        now: number,
    ) {
        this.updatedAt = now;
    }

    get inTask(): number {
        return this.busy.length + this.queue.length - this.queueHead;
    }

    /** Admits a request costing `cpuMs`, or returns false (503). */
    offer(now: number, cpuMs: number, done: (t: number) => void): boolean {
        if (!admits(this.inTask, this.workers, this.maxQueue)) return false;
        this.advance(now);
        const job = { arrival: now, remainingMs: cpuMs, done };
        if (this.busy.length < this.workers) this.busy.push(job);
        else this.queue.push(job);
        return true;
    }

    /** When the next request finishes if nothing else arrives, or Infinity when idle. */
    nextCompletion(): number {
        if (this.busy.length === 0) return Infinity;
        const speed = workerSpeed(this.busy.length, this.vcpus);
        const least = Math.min(...this.busy.map((job) => job.remainingMs));
        return this.updatedAt + least / (speed * 1000);
    }

    /** Runs the threads up to `now`, completing every request that finishes by then (in order). */
    advance(now: number): void {
        while (this.busy.length > 0) {
            const next = this.nextCompletion();
            if (next > now) break;
            this.run(next);
            const finished = this.busy.filter((job) => job.remainingMs <= 1e-9);
            for (const job of finished) {
                this.busy.splice(this.busy.indexOf(job), 1);
                job.done(next);
                if (this.queueHead < this.queue.length) this.busy.push(this.queue[this.queueHead++]);
            }
            if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
                this.queue.splice(0, this.queueHead);
                this.queueHead = 0;
            }
        }
        this.run(now);
    }

    /** CPU used since the last call, in milliseconds. */
    takeCpuMs(): number {
        const used = this.cpuMs;
        this.cpuMs = 0;
        return used;
    }

    private run(until: number): void {
        const seconds = until - this.updatedAt;
        if (seconds > 0 && this.busy.length > 0) {
            const speed = workerSpeed(this.busy.length, this.vcpus);
            for (const job of this.busy) job.remainingMs -= seconds * 1000 * speed;
            this.cpuMs += seconds * 1000 * speed * this.busy.length;
        }
        this.updatedAt = Math.max(this.updatedAt, until);
    }
}
