/**
 * The CPU one served request costs its task, everything included, from the rows: the CPU the service used in a
 * minute (average × vCPUs × running tasks) over the requests it served in that minute.
 *
 * Only minutes where both sides cover the same work count: a whole minute of the run (a partial first or last minute
 * has the tasks' whole minute of CPU but only part of it with load), some requests served, a CPU datapoint, and the
 * same tasks all minute (none pending, starting or stopping: the datapoint then averages over a changing set of
 * tasks the count does not tell).
 *
 * Minutes at the CPU cap are kept. Fargate caps a task at its CPU, so the datapoint there is the quota, and all of it
 * went into the requests that were served: the service sheds the others (503) before counting anything
 * (QueueFullError: service/src/pool.ts, app.ts), which costs next to nothing. These are the minutes with the most
 * requests, so the least noise; their evidence line says "at the cap" so a reader can weigh them.
 */
import { round } from "../summary";
import type { TimelineRow } from "../timeline";
import { type Sample, at, exactSample } from "./figure";

/** A datapoint at or above this reads "at the cap" in the evidence. */
const CAPPED_CPU_PERCENT = 99.5;

export type SkipReason = "partial minute" | "no request served" | "no CPU measured" | "no running task count" | "tasks starting or stopping";

/** Why a row cannot give the CPU per request, or undefined when it can. */
export function cpuSkipReason(row: TimelineRow, stepSeconds: number): SkipReason | undefined {
    if (row.seconds !== undefined && row.seconds < stepSeconds) return "partial minute";
    if (row.servedRps === null || row.servedRps <= 0) return "no request served";
    if (row.cpuAverage === null || row.cpuAverage <= 0) return "no CPU measured";
    if (row.runningTasks === null || row.runningTasks <= 0) return "no running task count";
    const steady =
        Number.isInteger(row.runningTasks) &&
        (row.pendingTasks === null || row.pendingTasks === 0) &&
        (row.desiredTasks === null || row.desiredTasks === row.runningTasks);
    return steady ? undefined : "tasks starting or stopping";
}

/** The sample of a usable row: CPU ms per served request, with its evidence line. */
export function cpuSample(row: TimelineRow, vcpusPerTask: number): Sample {
    const cpu = row.cpuAverage as number;
    const tasks = row.runningTasks as number;
    const served = row.servedRps as number;
    const cpuMs = ((cpu / 100) * vcpusPerTask * 1000 * tasks) / served;
    const capped = cpu >= CAPPED_CPU_PERCENT ? " (at the cap)" : "";
    return exactSample(
        cpuMs,
        `row ${at(row.t)}: CPU ${cpu.toFixed(1)} %${capped} × ${tasks} task${tasks === 1 ? "" : "s"} × ${vcpusPerTask} vCPU ÷ ${served.toFixed(2)} served/s = ${round(cpuMs).toFixed(2)} ms`,
    );
}

export interface CpuRows {
    samples: Sample[];
    /** The t of each row left out, by reason. */
    skipped: Map<SkipReason, number[]>;
}

export function cpuRows(rows: readonly TimelineRow[], stepSeconds: number, vcpusPerTask: number): CpuRows {
    const samples: Sample[] = [];
    const skipped = new Map<SkipReason, number[]>();
    for (const row of rows) {
        const reason = cpuSkipReason(row, stepSeconds);
        if (reason === undefined) samples.push(cpuSample(row, vcpusPerTask));
        else skipped.set(reason, [...(skipped.get(reason) ?? []), row.t]);
    }
    return { samples, skipped };
}

/** "partial minute (t=0, 780 s); no CPU measured (t=60 s)": the rows left out, briefly. */
export function describeSkipped(skipped: ReadonlyMap<SkipReason, readonly number[]>): string {
    return [...skipped].map(([reason, times]) => `${reason} (t=${times.map((t) => round(t, 1)).join(", ")} s)`).join("; ");
}
