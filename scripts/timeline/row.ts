/**
 * A timeline's row (./timeline.ts), in a module of its own so that the band (./band.ts), which keeps a subset of it,
 * and the timeline can both build on it without importing each other.
 */
import { z } from "zod";

export const nullableNumber = z.number().finite().nullable();

export const rowSchema = z.strictObject({
    t: z.number().finite().min(0),
    offeredRps: nullableNumber,
    servedRps: nullableNumber,
    shedRps: nullableNumber,
    cpuAverage: nullableNumber,
    cpuMaximum: nullableNumber,
    desiredTasks: nullableNumber,
    pendingTasks: nullableNumber,
    runningTasks: nullableNumber,
    p50Ms: nullableNumber,
    p99Ms: nullableNumber,
    /** Seconds of the step the run covers when fewer than stepSeconds (its first and last minute); the rates are over these. */
    seconds: z.number().finite().positive().optional(),
    /** 5xx that are neither the service's 503 nor shed: the service's errors and the load balancer's own 5xx. */
    errorRps: nullableNumber.optional(),
    /** The most requests waiting for a worker thread in any one task during the step (the service's QueueMax). */
    queueMax: nullableNumber.optional(),
});
