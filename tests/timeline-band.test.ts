/** A prediction's band (scripts/timeline/band.ts) and its error against an observed run (scripts/timeline/compare.ts), on hand-built timelines. */
import * as assert from "node:assert/strict";
import { type Band, type BandRow, bandEdges, bandSchema, edgeText } from "../scripts/timeline/band";
import { PREDICTION_ERROR_FIGURES, predictionError } from "../scripts/timeline/compare";
import type { Timeline, TimelineRow } from "../scripts/timeline/timeline";
import { fixtureTimeline } from "./timeline-fixtures";

/** Band rows from per-minute [desired, running, offered, shed] tuples. */
function rows(minutes: Array<[desired: number, running: number, offered: number, shed: number]>): BandRow[] {
    return minutes.map(([desired, running, offered, shed], minute) => ({
        t: minute * 60,
        offeredRps: offered,
        shedRps: shed,
        desiredTasks: desired,
        runningTasks: running,
        p99Ms: 100,
    }));
}

function band(low: BandRow[], high: BandRow[]): Band {
    return bandSchema.parse({ cpuMsPerRequest: { low: 18, high: 22 }, source: "±10 %", low, high });
}

describe("the band: where low and high per-request CPU disagree", () => {
    it("finds no edge when both ends make the same decisions (fractional counts rounded)", () => {
        const same = rows([
            [1, 1, 10, 0],
            [2, 1.4, 20, 0],
            [2, 2, 20, 0],
        ]);
        const nudged = same.map((row) => ({ ...row, runningTasks: (row.runningTasks ?? 0) + 0.05, p99Ms: 900 }));
        assert.deepEqual(bandEdges(band(same, nudged), 60), []);
    });

    it("groups consecutive minutes of a scaling disagreement, and says what each end does", () => {
        // The high end scales out a minute earlier (minutes 1–2) and sheds at the queue limit where the low end does not (minute 4).
        const low = rows([
            [1, 1, 10, 0],
            [1, 1, 20, 0],
            [2, 1, 30, 0],
            [2, 2, 30, 0],
            [2, 2, 40, 0],
            [2, 2, 10, 0],
        ]);
        const high = rows([
            [1, 1, 10, 0],
            [2, 1, 20, 0],
            [3, 2, 30, 0],
            [3, 2, 30, 0],
            [2, 2, 40, 4.8],
            [2, 2, 10, 0],
        ]);
        const edges = bandEdges(band(low, high), 60);
        assert.deepEqual(
            edges.map((edge) => [edge.fromMinute, edge.toMinute]),
            [[1, 4]],
            "minutes 1–4 differ: tasks in 1–3, shedding in 4",
        );
        // Running tasks span 1–2 at both ends over those minutes: not named.
        assert.equal(edgeText(edges[0]), "minutes 1–4: at the edge: between low and high CPU the service goes from 1–2 to 2–3 desired tasks and from 0 to 4 % shed");
    });

    it("splits runs at a minute of agreement, and names a minute that only sheds on one side", () => {
        const low = rows([
            [1, 1, 50, 0],
            [1, 1, 50, 0],
            [1, 1, 50, 0],
        ]);
        const high = rows([
            [1, 1, 50, 6],
            [1, 1, 50, 0],
            [1, 1, 50, 0.2],
        ]);
        const texts = bandEdges(band(low, high), 60).map(edgeText);
        assert.deepEqual(texts, [
            "minute 0: at the edge: between low and high CPU the service goes from 0 to 12 % shed",
            "minute 2: at the edge: between low and high CPU the service goes from 0 to 0.4 % shed",
        ]);
    });

    it("is a strict schema: rows keep only the band's fields", () => {
        const [row] = rows([[1, 1, 1, 0]]);
        assert.throws(() => bandSchema.parse({ cpuMsPerRequest: { low: 1, high: 2 }, source: "s", low: [{ ...row, cpuAverage: 3 }], high: [] }), /cpuAverage/);
    });
});

/** A timeline with these rows (the rest of the fixture's, which compare.ts does not read). */
function withRows(kind: Timeline["kind"], values: Array<Partial<TimelineRow> & { t: number }>): Timeline {
    const base = fixtureTimeline(kind);
    const empty = { offeredRps: null, servedRps: null, shedRps: null, cpuAverage: null, cpuMaximum: null, desiredTasks: null, pendingTasks: null, runningTasks: null, p50Ms: null, p99Ms: null };
    return { ...base, rows: values.map((row) => ({ ...empty, ...row })) };
}

describe("prediction error (compare.ts)", () => {
    const predicted = withRows("predicted", [
        { t: 0, desiredTasks: 1, servedRps: 10, shedRps: 0, p99Ms: 100 },
        { t: 60, desiredTasks: 2.4, servedRps: 20, shedRps: 1, p99Ms: 300 },
        { t: 120, desiredTasks: 3, servedRps: 20, shedRps: 1, p99Ms: 50 },
        // Only the prediction has this minute: not compared.
        { t: 180, desiredTasks: 9, servedRps: 1000, shedRps: 1000, p99Ms: 1 },
    ]);
    const observed = withRows("observed", [
        { t: 0, desiredTasks: 1, servedRps: 10, shedRps: 0, p99Ms: 200 },
        // The last minute covers 30 s of the run: its rates are over those.
        { t: 60, desiredTasks: 2, servedRps: 40, shedRps: 0, p99Ms: 200, seconds: 30 },
        { t: 120, desiredTasks: 2, servedRps: null, shedRps: null, p99Ms: null },
    ]);

    it("counts minutes at another desired count, compares totals over the minutes both have, and takes the median p99 error", () => {
        const error = predictionError(predicted, observed);
        assert.equal(error.taskMinutes, 3);
        assert.equal(error.taskMinutesOff, 1, "2.4 rounds to 2; only minute 2 differs");
        assert.deepEqual(error.served, { predicted: 1800, observed: 1800, relative: 0 }, "10×60 + 20×60 against 10×60 + 40×30");
        assert.deepEqual(error.shed, { predicted: 60, observed: 0, relative: null }, "nothing observed: no relative error");
        assert.equal(error.p99Minutes, 2);
        assert.equal(error.p99MedianError, 0.5, "errors 0.5 and 0.5");
    });

    it("reads as text, signed where the direction matters", () => {
        const error = predictionError(predicted, { ...observed, rows: observed.rows.map((row) => ({ ...row, servedRps: row.servedRps === null ? null : row.servedRps * 2 })) });
        assert.deepEqual(
            PREDICTION_ERROR_FIGURES.map(([label, text]) => `${label}: ${text(error)}`),
            [
                "minutes at another desired task count: 1 of 3",
                "requests served, total: −50 % (1,800 predicted, 3,600 observed)",
                "requests shed, total: nothing observed (60 predicted, 0 observed)",
                "p99 per minute, median error: 50 % over 2 minutes",
            ],
        );
    });

    it("a prediction of the observed run itself has no error", () => {
        const observedRun = fixtureTimeline("observed");
        const error = predictionError({ ...observedRun, kind: "predicted" }, observedRun);
        assert.equal(error.taskMinutesOff, 0);
        assert.equal(error.served.relative, 0);
        assert.equal(error.p99MedianError, 0);
    });
});
