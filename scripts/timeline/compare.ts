/**
 * How far a prediction was from what was observed, minute by minute over the minutes both timelines have (the same
 * `t`): how many minutes it had a different desired task count, how far off its served and shed totals were, and
 * the median error of its p99. `timeline report` prints it and draws it, one column per prediction, so a calibrated
 * prediction can be seen doing better (or not) than the one before.
 */
import { quantile } from "./summary";
import type { Timeline, TimelineRow } from "./timeline";

/** A total over the compared minutes, both ways, and the relative error (null when nothing was observed). */
export interface TotalError {
    predicted: number;
    observed: number;
    /** (predicted − observed) ÷ observed: +0.12 predicts 12 % too many. */
    relative: number | null;
}

export interface PredictionError {
    /** Minutes both timelines have a desired count for, and how many of them differ (desired tasks rounded). */
    taskMinutes: number;
    taskMinutesOff: number;
    served: TotalError;
    shed: TotalError;
    /** Minutes both have a p99 for, and the median of |predicted − observed| ÷ observed over them. */
    p99Minutes: number;
    p99MedianError: number | null;
}

type Field = "desiredTasks" | "servedRps" | "shedRps" | "p99Ms";
interface RowPair {
    predicted: TimelineRow;
    observed: TimelineRow;
}

/** The rows of both timelines at the same `t` in which both have the field. */
function pairsWith(predicted: Timeline, observed: Timeline, field: Field): RowPair[] {
    const observedAt = new Map(observed.rows.map((row) => [row.t, row]));
    return predicted.rows.flatMap((row) => {
        const other = observedAt.get(row.t);
        return other === undefined || row[field] === null || other[field] === null ? [] : [{ predicted: row, observed: other }];
    });
}

/** Requests in a row: the rate over the seconds the run covers of the step (`seconds`, in a first or last minute), else the step. */
const requests = (row: TimelineRow, field: "servedRps" | "shedRps", stepSeconds: number) => (row[field] ?? 0) * (row.seconds ?? stepSeconds);

function totalError(predicted: Timeline, observed: Timeline, field: "servedRps" | "shedRps"): TotalError {
    const pairs = pairsWith(predicted, observed, field);
    const predictedTotal = pairs.reduce((total, pair) => total + requests(pair.predicted, field, predicted.stepSeconds), 0);
    const observedTotal = pairs.reduce((total, pair) => total + requests(pair.observed, field, observed.stepSeconds), 0);
    return {
        predicted: Math.round(predictedTotal),
        observed: Math.round(observedTotal),
        relative: observedTotal > 0 ? (predictedTotal - observedTotal) / observedTotal : null,
    };
}

/** The prediction's error against the observed run (this module's header says how each figure is taken). */
export function predictionError(predicted: Timeline, observed: Timeline): PredictionError {
    const tasks = pairsWith(predicted, observed, "desiredTasks");
    const differs = (pair: RowPair) => Math.round(pair.predicted.desiredTasks ?? 0) !== Math.round(pair.observed.desiredTasks ?? 0);
    const p99Errors = pairsWith(predicted, observed, "p99Ms").flatMap(({ predicted: p, observed: o }) =>
        o.p99Ms === null || p.p99Ms === null || o.p99Ms <= 0 ? [] : [Math.abs(p.p99Ms - o.p99Ms) / o.p99Ms],
    );
    return {
        taskMinutes: tasks.length,
        taskMinutesOff: tasks.filter(differs).length,
        served: totalError(predicted, observed, "servedRps"),
        shed: totalError(predicted, observed, "shedRps"),
        p99Minutes: p99Errors.length,
        p99MedianError: quantile(p99Errors, 0.5),
    };
}

const percent = (fraction: number) => `${fraction >= 0 ? "+" : "−"}${Math.abs(Math.round(fraction * 1000) / 10)} %`;
const count = (value: number) => value.toLocaleString("en-US");

function totalText(total: TotalError): string {
    const error = total.relative === null ? "nothing observed" : percent(total.relative);
    return `${error} (${count(total.predicted)} predicted, ${count(total.observed)} observed)`;
}

/** Each figure's label and its text, for the report's table and the command's. */
export const PREDICTION_ERROR_FIGURES: ReadonlyArray<[label: string, text: (error: PredictionError) => string]> = [
    ["minutes at another desired task count", (error) => `${error.taskMinutesOff} of ${error.taskMinutes}`],
    ["requests served, total", (error) => totalText(error.served)],
    ["requests shed, total", (error) => totalText(error.shed)],
    [
        "p99 per minute, median error",
        (error) => (error.p99MedianError === null ? "no minute with both" : `${Math.round(error.p99MedianError * 1000) / 10} % over ${error.p99Minutes} minutes`),
    ],
];
