/** What every fit shares: a sample with its evidence, and the figure (median, spread) made of samples. */
import { quantile, round } from "../summary";
import type { CalibratedFigure } from "./calibration";

/**
 * One thing the run says about a figure. `low`/`high` bound it when the run only tells it to within a range (a
 * minute's resolution); equal to `value` when it is exact.
 */
export interface Sample {
    value: number;
    low: number;
    high: number;
    /** The evidence line: where it came from and how it was computed. */
    from: string;
}

/** What a fit found: its samples, and why anything else was left out (one sentence each). */
export interface FitResult {
    samples: Sample[];
    notes: string[];
}

/** From this many samples on, a figure's spread is their quartiles rather than their extremes. */
const QUARTILE_SAMPLES = 8;

/** A sample known exactly. */
export function exactSample(value: number, from: string): Sample {
    return { value, low: value, high: value, from };
}

/** The middle value, or the mean of the two middle ones; null for none. */
export function median(values: readonly number[]): number | null {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The figure the samples make: their median, and a spread from the lowest to the highest (the lower and upper
 * quartiles from QUARTILE_SAMPLES on) of their bounds, so a minute-resolution sample widens it to its minute.
 * Null for no samples or a median that is not positive (a figure of 0 s or 0 ms cannot be right).
 */
export function figureOf(samples: readonly Sample[]): CalibratedFigure | null {
    const value = median(samples.map((sample) => sample.value));
    if (value === null || value <= 0) return null;
    const quartiles = samples.length >= QUARTILE_SAMPLES;
    const low = quantile(samples.map((sample) => sample.low), quartiles ? 0.25 : 0) as number;
    const high = quantile(samples.map((sample) => sample.high), quartiles ? 0.75 : 1) as number;
    return {
        value: round(value),
        low: round(Math.max(0, Math.min(low, value))),
        high: round(Math.max(high, value)),
        samples: samples.length,
        from: samples.map((sample) => sample.from),
    };
}

/** "t=120 s" as every evidence line names a moment of the run. */
export function at(t: number): string {
    return `t=${round(t, 1)} s`;
}
