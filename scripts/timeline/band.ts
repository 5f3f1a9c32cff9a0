/**
 * A prediction's band: the same simulation run at the low and the high end of the per-request CPU it was given (the
 * calibration's spread, or ±10 % without one), with the same seed, so the only difference is the CPU. A predicted
 * timeline carries it as the optional top-level key `band`; timelines written before it still read.
 *
 * This module holds the schema fragment timeline.ts includes, so it must not import timeline.ts (the row is ./row.ts).
 */
import { z } from "zod";
import { rowSchema } from "./row";

/** What the band keeps of each row: the figures scaling and shedding are read from. */
const bandRowSchema = rowSchema.pick({ t: true, offeredRps: true, shedRps: true, desiredTasks: true, runningTasks: true, p99Ms: true });

export const bandSchema = z.strictObject({
    /** The per-request CPU (ms, everything included) of the low and the high run. */
    cpuMsPerRequest: z.strictObject({ low: z.number().finite().min(0), high: z.number().finite().min(0) }),
    /** Where the two ends come from: "the spread of calibration.json (12 rows)", "±10 % of the calibration table's". */
    source: z.string(),
    low: z.array(bandRowSchema),
    high: z.array(bandRowSchema),
});

export type Band = z.infer<typeof bandSchema>;
export type BandRow = z.infer<typeof bandRowSchema>;
export type BandField = Exclude<keyof BandRow, "t">;

/** The band's share of the per-request CPU when nothing gives a spread: ±10 %. */
export const DEFAULT_BAND_FRACTION = 0.1;

/** A row reduced to what the band keeps. */
export function bandRow(row: BandRow): BandRow {
    const { t, offeredRps, shedRps, desiredTasks, runningTasks, p99Ms } = row;
    return { t, offeredRps, shedRps, desiredTasks, runningTasks, p99Ms };
}

/** A run of consecutive minutes over which the low and the high run disagree. */
export interface BandEdge {
    fromMinute: number;
    toMinute: number;
    low: EdgeSide;
    high: EdgeSide;
}

/** One end over an edge's minutes: the fewest and most tasks desired and running, and the share shed (0–100). */
interface EdgeSide {
    desiredTasks: [number, number];
    runningTasks: [number, number];
    shedPercent: number;
}

const tasks = (value: number | null) => Math.round(value ?? 0);
const sheds = (row: BandRow) => (row.shedRps ?? 0) > 0;

/** Whether the two ends disagree in a minute: on a scaling decision (tasks desired or running), or on shedding at all. */
export function disagree(low: BandRow, high: BandRow): boolean {
    return tasks(low.desiredTasks) !== tasks(high.desiredTasks) || tasks(low.runningTasks) !== tasks(high.runningTasks) || sheds(low) !== sheds(high);
}

function range(values: number[]): [number, number] {
    return [Math.min(...values), Math.max(...values)];
}

function edgeSide(rows: readonly BandRow[]): EdgeSide {
    const offered = rows.reduce((total, row) => total + (row.offeredRps ?? 0), 0);
    const shed = rows.reduce((total, row) => total + (row.shedRps ?? 0), 0);
    return {
        desiredTasks: range(rows.map((row) => tasks(row.desiredTasks))),
        runningTasks: range(rows.map((row) => tasks(row.runningTasks))),
        shedPercent: offered > 0 ? Math.round((1000 * shed) / offered) / 10 : 0,
    };
}

/** The minutes at the edge: where the band crosses a scaling threshold or the queue limit, grouped into runs. */
export function bandEdges(band: Band, stepSeconds: number): BandEdge[] {
    const highAt = new Map(band.high.map((row) => [row.t, row]));
    const runs: Array<{ low: BandRow[]; high: BandRow[] }> = [];
    let previousT = Number.NEGATIVE_INFINITY;
    for (const low of band.low) {
        const high = highAt.get(low.t);
        if (high === undefined || !disagree(low, high)) continue;
        const last = runs.at(-1);
        if (last !== undefined && low.t - previousT === stepSeconds) {
            last.low.push(low);
            last.high.push(high);
        } else {
            runs.push({ low: [low], high: [high] });
        }
        previousT = low.t;
    }
    return runs.map((run) => ({
        fromMinute: run.low[0].t / 60,
        toMinute: run.low[run.low.length - 1].t / 60,
        low: edgeSide(run.low),
        high: edgeSide(run.high),
    }));
}

const span = ([min, max]: [number, number]) => (min === max ? String(min) : `${min}–${max}`);
const sameSpan = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];

/** "minutes 4–6: at the edge: between low and high CPU the service goes from 2 to 3 desired tasks and from 0 to 12 % shed". */
export function edgeText(edge: BandEdge): string {
    const minutes = edge.fromMinute === edge.toMinute ? `minute ${edge.fromMinute}` : `minutes ${edge.fromMinute}–${edge.toMinute}`;
    const { low, high } = edge;
    const shed = `from ${low.shedPercent} to ${high.shedPercent} % shed`;
    const changes = [
        sameSpan(low.desiredTasks, high.desiredTasks) ? undefined : `from ${span(low.desiredTasks)} to ${span(high.desiredTasks)} desired tasks`,
        sameSpan(low.runningTasks, high.runningTasks) ? undefined : `from ${span(low.runningTasks)} to ${span(high.runningTasks)} running tasks`,
        low.shedPercent === high.shedPercent ? undefined : shed,
    ].filter((change): change is string => change !== undefined);
    return `${minutes}: at the edge: between low and high CPU the service goes ${(changes.length > 0 ? changes : [shed]).join(" and ")}`;
}

/** What a band says when its two ends make the same decisions all along. */
export const BAND_AGREES = "both ends make the same scaling and shedding decisions";

/** A band in words: its per-request CPU range with its source, and each stretch of minutes at its edge (none: it agrees). */
export function bandText(band: Band, stepSeconds: number): { range: string; edges: string[] } {
    const { low, high } = band.cpuMsPerRequest;
    return { range: `per-request CPU ${low}–${high} ms (${band.source})`, edges: bandEdges(band, stepSeconds).map(edgeText) };
}
