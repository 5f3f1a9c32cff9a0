/**
 * A k6 Trend's samples, kept so that the digests of N segments merge into the digest of the whole run.
 *
 * Up to its exact limit a digest keeps every sample, as sorted runs (a task's own samples sorted once into one run;
 * a merge keeps each part's run as it comes), and its percentiles are k6's own, to the last bit. Past the limit it
 * keeps a log-bucketed histogram (DDSketch's mapping): bucket i holds the values v with γ^(i-1) < |v| ≤ γ^i,
 * γ = (1+α)/(1−α), and stands for 2γ^i/(γ+1), which is within α = {@link RELATIVE_ACCURACY} of every value in it. A
 * bucket's index depends on the value alone, so merging histograms is adding counts, and the merge of the parts is
 * exactly the histogram of the pooled samples. count, sum, min and max stay exact in both modes.
 *
 * The limits split one budget: a run keeps at most {@link RUN_EXACT_SAMPLE_BUDGET} samples of a series one by one,
 * each of its tasks its share ({@link exactSamplesPerTask}), so the merge of a run that fits holds them all and is
 * exact, and a task past its share sends a histogram of that series.
 */
import { ExactSum } from "./exact-sum";
import {
    FormatError,
    type JsonObject,
    child,
    fail,
    readArray,
    readCount,
    readFinite,
    readFiniteArray,
    readObject,
    readPairs,
} from "./json-shape";

/** Samples of one trend series the merge keeps one by one for a whole run: 80 MB of them. */
export const RUN_EXACT_SAMPLE_BUDGET = 10_000_000;

/** Samples of one series a task keeps one by one, whatever its share of the run's budget: 8 MB next to k6's own memory. */
export const TASK_EXACT_SAMPLE_CAP = 1_000_000;

/**
 * The most exact samples a merge holds over all its trend series: nine full budgets (an HTTP test's eight trends and
 * its expected-response sub-metric), 720 MB of doubles. A run with more series keeps its largest ones as histograms.
 */
export const RUN_EXACT_SAMPLE_MEMORY = 9 * RUN_EXACT_SAMPLE_BUDGET;

/** Each bucket's value is within this fraction of every value in the bucket: 0.05 %. */
export const RELATIVE_ACCURACY = 0.0005;

/** A task's share of the run's exact budget, per series. */
export function exactSamplesPerTask(taskCount: number): number {
    if (!(Number.isSafeInteger(taskCount) && taskCount >= 1)) {
        throw new RangeError(`a run has a whole number of tasks ≥ 1, got ${taskCount}`);
    }
    return Math.min(TASK_EXACT_SAMPLE_CAP, Math.floor(RUN_EXACT_SAMPLE_BUDGET / taskCount));
}

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

function bucketIndex(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / LOG_GAMMA);
}

function bucketValue(index: number): number {
    return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

/** The compact JSON form: every sample (sorted), or the sparse buckets as `[index, count]` pairs, indexes increasing. */
export type TrendDigestJSON = ExactDigestJSON | HistogramDigestJSON;

interface DigestTotals {
    readonly count: number;
    /** {@link ExactSum} partials. */
    readonly sum: readonly number[];
    readonly min: number;
    readonly max: number;
}

export interface ExactDigestJSON extends DigestTotals {
    /** Ascending. */
    readonly samples: readonly number[];
}

type Buckets = readonly (readonly [number, number])[];

interface HistogramBuckets {
    readonly zeros: number;
    readonly positive: Buckets;
    readonly negative: Buckets;
}

export interface HistogramDigestJSON extends DigestTotals, HistogramBuckets {}

/**
 * The value at `rank` (0 is the least) among the samples of sorted runs taken together, found without merging them:
 * a pivot from the middle of the widest remaining window, binary searches for how many samples of each window are
 * below it and up to it, and the windows narrowed to the side the rank is on. Each step halves the widest window, so
 * it takes at most Σ log₂(run length) + R steps of R pairs of binary searches, and no memory beyond the runs.
 */
export function selectRank(runs: readonly Float64Array[], rank: number): number {
    const total = runs.reduce((sum, run) => sum + run.length, 0);
    if (!(Number.isInteger(rank) && rank >= 0 && rank < total)) {
        throw new RangeError(`rank ${rank} is not one of the ${total} samples' ranks`);
    }
    const low = new Float64Array(runs.length);
    const high = Float64Array.from(runs, (run) => run.length);
    const below = new Float64Array(runs.length);
    const upTo = new Float64Array(runs.length);
    // The rank among the samples still in the windows: it stays below their total, so the widest is never empty.
    let remaining = rank;
    for (;;) {
        let widest = 0;
        for (let r = 1; r < runs.length; r++) if (high[r] - low[r] > high[widest] - low[widest]) widest = r;
        const pivot = runs[widest][Math.floor((low[widest] + high[widest]) / 2)];
        let countBelow = 0;
        let countUpTo = 0;
        for (let r = 0; r < runs.length; r++) {
            below[r] = firstAbove(runs[r], pivot, low[r], high[r], false);
            upTo[r] = firstAbove(runs[r], pivot, below[r], high[r], true);
            countBelow += below[r] - low[r];
            countUpTo += upTo[r] - low[r];
        }
        if (remaining < countBelow) high.set(below);
        else if (remaining < countUpTo) return pivot;
        else {
            remaining -= countUpTo;
            low.set(upTo);
        }
    }
}

/** The first index in [from, to) whose value is ≥ `value` (or > it, `strictly`), `to` if none. */
function firstAbove(run: Float64Array, value: number, from: number, to: number, strictly: boolean): number {
    let [low, high] = [from, to];
    while (low < high) {
        const middle = Math.floor((low + high) / 2);
        if (run[middle] < value || (strictly && run[middle] === value)) low = middle + 1;
        else high = middle;
    }
    return low;
}

/** Buckets in value order with their cumulative counts, for finding the value at a rank. */
interface Ladder {
    readonly values: number[];
    /** cumulative[i]: how many samples are in buckets 0..i. */
    readonly cumulative: number[];
}

function addToBuckets(buckets: Map<number, number>, index: number, count: number): void {
    buckets.set(index, (buckets.get(index) ?? 0) + count);
}

function sortedPairs(buckets: Map<number, number>): [number, number][] {
    return [...buckets].sort((a, b) => a[0] - b[0]);
}

class LogHistogram {
    private zeros = 0;
    private readonly positive = new Map<number, number>();
    private readonly negative = new Map<number, number>();
    private ladder: Ladder | undefined;

    add(value: number): void {
        this.ladder = undefined;
        if (value === 0) this.zeros++;
        else if (value > 0) addToBuckets(this.positive, bucketIndex(value), 1);
        else addToBuckets(this.negative, bucketIndex(-value), 1);
    }

    addBuckets({ zeros, positive, negative }: HistogramBuckets): void {
        this.ladder = undefined;
        this.zeros += zeros;
        for (const [index, count] of positive) addToBuckets(this.positive, index, count);
        for (const [index, count] of negative) addToBuckets(this.negative, index, count);
    }

    /** The value of the bucket that holds the sample at `rank`. */
    valueAtRank(rank: number): number {
        const ladder = (this.ladder ??= this.buildLadder());
        // The first bucket whose cumulative count passes the rank.
        let low = 0;
        let high = ladder.cumulative.length - 1;
        while (low < high) {
            const middle = (low + high) >>> 1;
            if (ladder.cumulative[middle] > rank) high = middle;
            else low = middle + 1;
        }
        return ladder.values[low];
    }

    toJSON(): HistogramBuckets {
        return { zeros: this.zeros, positive: sortedPairs(this.positive), negative: sortedPairs(this.negative) };
    }

    private buildLadder(): Ladder {
        const values: number[] = [];
        const cumulative: number[] = [];
        let seen = 0;
        const step = (value: number, count: number) => {
            seen += count;
            values.push(value);
            cumulative.push(seen);
        };
        for (const [index, count] of sortedPairs(this.negative).reverse()) step(-bucketValue(index), count);
        if (this.zeros > 0) step(0, this.zeros);
        for (const [index, count] of sortedPairs(this.positive)) step(bucketValue(index), count);
        return { values, cumulative };
    }
}

export class TrendDigest {
    /** While exact: the samples, in runs each sorted. */
    private runs: Float64Array[] = [];
    /** While exact: samples added one by one since the last read, joining `runs` as one sorted run when read. */
    private pending: number[] = [];
    /** Once past the exact limit: the histogram of every sample. */
    private histogram: LogHistogram | undefined;
    private readonly total = new ExactSum();
    private samplesSeen = 0;
    private least = 0;
    private greatest = 0;

    /** Every sample while there are at most `exactLimit`; 0: a histogram from the first sample (the timeline's). */
    constructor(private readonly exactLimit: number) {
        if (!(exactLimit >= 0)) throw new RangeError(`an exact limit is a number of samples ≥ 0, got ${exactLimit}`);
        if (exactLimit === 0) this.histogram = new LogHistogram();
    }

    get exact(): boolean {
        return this.histogram === undefined;
    }

    get count(): number {
        return this.samplesSeen;
    }

    get sum(): number {
        return this.total.value;
    }

    /** 0 when empty, as k6's TrendSink. */
    get min(): number {
        return this.least;
    }

    get max(): number {
        return this.greatest;
    }

    get avg(): number {
        return this.samplesSeen === 0 ? 0 : this.total.value / this.samplesSeen;
    }

    get med(): number {
        return this.percentile(0.5);
    }

    add(sample: number): void {
        if (!Number.isFinite(sample)) throw new RangeError(`a trend sample must be a finite number, got ${sample}`);
        // -0 counts as 0, so that which of the two arrived first never shows in a percentile.
        const value = sample === 0 ? 0 : sample;
        this.noteExtremes(value, value, 1);
        this.total.add(value);
        if (this.histogram !== undefined) {
            this.histogram.add(value);
            return;
        }
        this.pending.push(value);
        if (this.samplesSeen > this.exactLimit) this.toHistogram();
    }

    /**
     * Folds in another digest's JSON form (a segment's part): its samples as one more sorted run while they fit under
     * the exact limit; a histogram, or samples past the limit, make this digest a histogram of all of them.
     */
    absorb(part: TrendDigestJSON): this {
        const fits = this.exact && "samples" in part && this.samplesSeen + part.count <= this.exactLimit;
        this.noteExtremes(part.min, part.max, part.count);
        for (const partial of part.sum) this.total.add(partial);
        if (fits) {
            if (part.count > 0) this.runs.push(Float64Array.from(part.samples));
        } else if ("samples" in part) {
            const histogram = this.toHistogram();
            for (const sample of part.samples) histogram.add(sample);
        } else {
            this.toHistogram().addBuckets(part);
        }
        return this;
    }

    /**
     * k6's percentile (metrics/sink.go, TrendSink.P): sort, i = p·(n−1), interpolate linearly between the values at
     * ranks floor(i) and ceil(i); 0 when empty, the value itself when alone. A histogram finds the values at those
     * ranks from its cumulative counts (min and max exactly at the ends) and clamps the result to [min, max].
     */
    percentile(p: number): number {
        if (!(p >= 0 && p <= 1)) throw new RangeError(`a percentile is a fraction from 0 to 1, got ${p}`);
        if (this.samplesSeen === 0) return 0;
        if (this.samplesSeen === 1) return this.least;
        const i = p * (this.samplesSeen - 1);
        const j = this.valueAtRank(Math.floor(i));
        const k = this.valueAtRank(Math.ceil(i));
        const interpolated = j + (k - j) * (i - Math.floor(i));
        return this.exact ? interpolated : Math.min(this.greatest, Math.max(this.least, interpolated));
    }

    toJSON(): TrendDigestJSON {
        const totals = { count: this.samplesSeen, sum: this.total.toJSON(), min: this.least, max: this.greatest };
        if (this.histogram !== undefined) return { ...totals, ...this.histogram.toJSON() };
        return { ...totals, samples: this.sortedSamples() };
    }

    private noteExtremes(min: number, max: number, count: number): void {
        if (count === 0) return;
        this.least = this.samplesSeen === 0 ? min : Math.min(this.least, min);
        this.greatest = this.samplesSeen === 0 ? max : Math.max(this.greatest, max);
        this.samplesSeen += count;
    }

    /** The histogram, built the first time from the samples, which it then replaces. */
    /** Gives up the samples for their histogram now (the merge's memory guard): within 0.05 % from here on. */
    forgoSamples(): void {
        this.toHistogram();
    }

    private toHistogram(): LogHistogram {
        if (this.histogram !== undefined) return this.histogram;
        const histogram = new LogHistogram();
        for (const run of this.runs) for (const sample of run) histogram.add(sample);
        for (const sample of this.pending) histogram.add(sample);
        [this.runs, this.pending] = [[], []];
        this.histogram = histogram;
        return histogram;
    }

    private sortedRuns(): readonly Float64Array[] {
        if (this.pending.length > 0) {
            // A Float64Array sorts numbers several times faster than an array with a comparator.
            this.runs.push(new Float64Array(this.pending).sort());
            this.pending = [];
        }
        return this.runs;
    }

    /** Every sample in order; a merged digest's runs become one. */
    private sortedSamples(): number[] {
        const runs = this.sortedRuns();
        if (runs.length > 1) {
            const all = new Float64Array(this.samplesSeen);
            runs.reduce((at, run) => (all.set(run, at), at + run.length), 0);
            this.runs = [all.sort()];
        }
        return Array.from(this.runs[0] ?? []);
    }

    private valueAtRank(rank: number): number {
        if (this.histogram === undefined) return selectRank(this.sortedRuns(), rank);
        if (rank === 0) return this.least;
        if (rank === this.samplesSeen - 1) return this.greatest;
        return this.histogram.valueAtRank(rank);
    }
}

function readTotals(json: JsonObject, where: string): DigestTotals {
    const totals = {
        count: readCount(json.count, child(where, "count")),
        sum: readFiniteArray(json.sum, child(where, "sum")),
        min: readFinite(json.min, child(where, "min")),
        max: readFinite(json.max, child(where, "max")),
    };
    if (totals.min > totals.max) throw new FormatError(`${where}: min ${totals.min} is above max ${totals.max}`);
    return totals;
}

/*
 * A run's merge reads a thousand digests of thousands of samples or buckets each: the readers below check each item
 * with a type guard, keep the parsed arrays as they are, and only read them again item by item (json-shape.ts, which
 * names the bad item) when one is wrong.
 */

function isFiniteNumber(value: unknown): value is number {
    return typeof value === "number" && Number.isFinite(value);
}

function isBucket(value: unknown): value is readonly [number, number] {
    return Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && Number.isSafeInteger(value[1]) && value[1] >= 1;
}

function readBucketCount(count: unknown, where: string): number {
    const valid = readCount(count, where);
    return valid > 0 ? valid : fail(where, "a count ≥ 1", count);
}

function readExact(json: JsonObject, where: string): ExactDigestJSON {
    const totals = readTotals(json, where);
    const at = child(where, "samples");
    const items = readArray(json.samples, at);
    const samples = items.every(isFiniteNumber) ? items : readFiniteArray(items, at);
    if (samples.length !== totals.count) {
        throw new FormatError(`${where}: count is ${totals.count} but there are ${samples.length} samples`);
    }
    for (let i = 1; i < samples.length; i++) {
        if (samples[i] < samples[i - 1]) {
            throw new FormatError(`${at}: not sorted, [${i - 1}] ${samples[i - 1]} is above [${i}] ${samples[i]}`);
        }
    }
    const [least, greatest] = samples.length === 0 ? [0, 0] : [samples[0], samples[samples.length - 1]];
    if (least !== totals.min || greatest !== totals.max) {
        const { min, max } = totals;
        throw new FormatError(`${where}: min ${min} and max ${max}, but the samples go from ${least} to ${greatest}`);
    }
    return { ...totals, samples };
}

function readBuckets(value: unknown, where: string): Buckets {
    const items = readArray(value, where);
    const buckets = items.every(isBucket) ? items : readPairs(items, where, readBucketCount);
    for (let i = 1; i < buckets.length; i++) {
        if (buckets[i][0] <= buckets[i - 1][0]) {
            throw new FormatError(`${where}: bucket indexes must increase, [${i - 1}] is ${buckets[i - 1][0]} and [${i}] ${buckets[i][0]}`);
        }
    }
    return buckets;
}

function totalCount(buckets: Buckets): number {
    let count = 0;
    for (const [, inBucket] of buckets) count += inBucket;
    return count;
}

function readHistogram(json: JsonObject, where: string): HistogramDigestJSON {
    const totals = readTotals(json, where);
    const histogram = {
        ...totals,
        zeros: readCount(json.zeros, child(where, "zeros")),
        positive: readBuckets(json.positive, child(where, "positive")),
        negative: readBuckets(json.negative, child(where, "negative")),
    };
    const held = histogram.zeros + totalCount(histogram.positive) + totalCount(histogram.negative);
    if (held !== totals.count) throw new FormatError(`${where}: count is ${totals.count} but the buckets hold ${held}`);
    return histogram;
}

/** Checks a digest's JSON form and returns it typed; throws a {@link FormatError} naming the first problem. */
export function readTrendDigestJSON(json: unknown, where = "digest"): TrendDigestJSON {
    const object = readObject(json, where);
    return "samples" in object ? readExact(object, where) : readHistogram(object, where);
}
