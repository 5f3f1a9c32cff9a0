/**
 * A k6 Trend's samples, kept so that the digests of N segments merge into the digest of the whole run.
 *
 * Up to {@link EXACT_SAMPLE_LIMIT} samples it keeps every one, and its percentiles are k6's own, to the last bit.
 * Past that it keeps a log-bucketed histogram (DDSketch's mapping): bucket i holds the values v with
 * γ^(i-1) < |v| ≤ γ^i, γ = (1+α)/(1−α), and stands for 2γ^i/(γ+1), which is within α = {@link RELATIVE_ACCURACY} of
 * every value in it. A bucket's index depends on the value alone, so merging histograms is adding counts, and the
 * merge of the parts is exactly the histogram of the pooled samples. count, sum, min and max stay exact in both modes.
 */
import { ExactSum } from "./exact-sum";
import {
    FormatError,
    type JsonObject,
    child,
    fail,
    readCount,
    readFinite,
    readFiniteArray,
    readObject,
    readPairs,
} from "./json-shape";

export const EXACT_SAMPLE_LIMIT = 100_000;

/** Each bucket's value is within this fraction of every value in the bucket: 0.05 %. */
export const RELATIVE_ACCURACY = 0.0005;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

function bucketIndex(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / LOG_GAMMA);
}

function bucketValue(index: number): number {
    return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

/** The compact JSON form: every sample (sorted), or the sparse buckets as `[index, count]` pairs sorted by index. */
export type TrendDigestJSON = ExactDigestJSON | HistogramDigestJSON;

interface DigestTotals {
    readonly count: number;
    /** {@link ExactSum} partials. */
    readonly sum: readonly number[];
    readonly min: number;
    readonly max: number;
}

export interface ExactDigestJSON extends DigestTotals {
    readonly samples: readonly number[];
}

export interface HistogramDigestJSON extends DigestTotals {
    readonly zeros: number;
    readonly positive: readonly (readonly [number, number])[];
    readonly negative: readonly (readonly [number, number])[];
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

export class TrendDigest {
    /** Every sample while exact; undefined once the digest is a histogram. */
    private samples: number[] | undefined;
    private sorted = true;
    private zeros = 0;
    private readonly positive = new Map<number, number>();
    private readonly negative = new Map<number, number>();
    private ladder: Ladder | undefined;
    private readonly total = new ExactSum();
    private samplesSeen = 0;
    private least = 0;
    private greatest = 0;

    /** `exactLimit` 0: a histogram from the first sample (a timeline's per-minute digests). */
    constructor(private readonly exactLimit: number = EXACT_SAMPLE_LIMIT) {
        this.samples = exactLimit > 0 ? [] : undefined;
    }

    get exact(): boolean {
        return this.samples !== undefined;
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
        if (this.samples === undefined) {
            this.addToHistogram(value);
            return;
        }
        this.samples.push(value);
        this.sorted = false;
        if (this.samples.length > this.exactLimit) this.switchToHistogram();
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
        return this.samples !== undefined ? interpolated : Math.min(this.greatest, Math.max(this.least, interpolated));
    }

    /** Exact if every part is (however many samples that makes: the merge happens once, in the command). */
    static merge(parts: readonly TrendDigest[]): TrendDigest {
        const merged = new TrendDigest(parts.every((part) => part.exact) ? Infinity : 0);
        for (const part of parts) merged.absorb(part);
        return merged;
    }

    toJSON(): TrendDigestJSON {
        const totals = { count: this.samplesSeen, sum: this.total.toJSON(), min: this.least, max: this.greatest };
        if (this.samples !== undefined) return { ...totals, samples: this.sortedSamples() };
        return {
            ...totals,
            zeros: this.zeros,
            positive: sortedPairs(this.positive),
            negative: sortedPairs(this.negative),
        };
    }

    /** A digest from its JSON form, checked: a malformed one throws a {@link FormatError} naming what is wrong. */
    static fromJSON(json: unknown, where = "digest"): TrendDigest {
        const valid = readTrendDigestJSON(json, where);
        const exact = "samples" in valid;
        const digest = new TrendDigest(exact ? Math.max(EXACT_SAMPLE_LIMIT, valid.count) : 0);
        digest.samplesSeen = valid.count;
        digest.least = valid.min;
        digest.greatest = valid.max;
        for (const partial of valid.sum) digest.total.add(partial);
        if (exact) {
            digest.samples = [...valid.samples];
            digest.sorted = false;
            return digest;
        }
        digest.zeros = valid.zeros;
        for (const [index, count] of valid.positive) digest.positive.set(index, count);
        for (const [index, count] of valid.negative) digest.negative.set(index, count);
        return digest;
    }

    private noteExtremes(min: number, max: number, count: number): void {
        if (count === 0) return;
        this.least = this.samplesSeen === 0 ? min : Math.min(this.least, min);
        this.greatest = this.samplesSeen === 0 ? max : Math.max(this.greatest, max);
        this.samplesSeen += count;
    }

    private addToHistogram(value: number): void {
        this.ladder = undefined;
        if (value === 0) this.zeros++;
        else if (value > 0) addToBuckets(this.positive, bucketIndex(value), 1);
        else addToBuckets(this.negative, bucketIndex(-value), 1);
    }

    private switchToHistogram(): void {
        const samples = this.samples ?? [];
        this.samples = undefined;
        for (const sample of samples) this.addToHistogram(sample);
    }

    private absorb(part: TrendDigest): void {
        this.noteExtremes(part.least, part.greatest, part.samplesSeen);
        this.total.addAll(part.total);
        if (this.samples !== undefined) {
            this.samples = this.samples.concat(part.samples ?? []);
            this.sorted = false;
            return;
        }
        for (const sample of part.samples ?? []) this.addToHistogram(sample);
        this.zeros += part.zeros;
        for (const [index, count] of part.positive) addToBuckets(this.positive, index, count);
        for (const [index, count] of part.negative) addToBuckets(this.negative, index, count);
        this.ladder = undefined;
    }

    private sortedSamples(): number[] {
        const samples = this.samples ?? [];
        if (!this.sorted) {
            // A Float64Array sorts numbers several times faster than an array with a comparator.
            const sorted = new Float64Array(samples).sort();
            for (let i = 0; i < sorted.length; i++) samples[i] = sorted[i];
            this.sorted = true;
        }
        return samples;
    }

    private valueAtRank(rank: number): number {
        if (this.samples !== undefined) return this.sortedSamples()[rank];
        if (rank === 0) return this.least;
        if (rank === this.samplesSeen - 1) return this.greatest;
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

function readExact(json: JsonObject, where: string): ExactDigestJSON {
    const totals = readTotals(json, where);
    const samples = readFiniteArray(json.samples, child(where, "samples"));
    if (samples.length !== totals.count) {
        throw new FormatError(`${where}: count is ${totals.count} but there are ${samples.length} samples`);
    }
    let [least, greatest] = [samples[0] ?? 0, samples[0] ?? 0];
    for (const sample of samples) {
        least = Math.min(least, sample);
        greatest = Math.max(greatest, sample);
    }
    if (least !== totals.min || greatest !== totals.max) {
        const { min, max } = totals;
        throw new FormatError(`${where}: min ${min} and max ${max}, but the samples go from ${least} to ${greatest}`);
    }
    return { ...totals, samples };
}

function readBuckets(value: unknown, where: string): [number, number][] {
    const pairs = readPairs(value, where, (count, at) => {
        const valid = readCount(count, at);
        return valid > 0 ? valid : fail(at, "a count ≥ 1", count);
    });
    const indexes = new Set(pairs.map(([index]) => index));
    if (indexes.size !== pairs.length) throw new FormatError(`${where}: a bucket index appears twice`);
    return pairs;
}

function readHistogram(json: JsonObject, where: string): HistogramDigestJSON {
    const totals = readTotals(json, where);
    const histogram = {
        ...totals,
        zeros: readCount(json.zeros, child(where, "zeros")),
        positive: readBuckets(json.positive, child(where, "positive")),
        negative: readBuckets(json.negative, child(where, "negative")),
    };
    const inBuckets = [...histogram.positive, ...histogram.negative].reduce((sum, [, count]) => sum + count, 0);
    if (histogram.zeros + inBuckets !== totals.count) {
        throw new FormatError(`${where}: count is ${totals.count} but the buckets hold ${histogram.zeros + inBuckets}`);
    }
    return histogram;
}

/** Checks a digest's JSON form and returns it typed; throws a {@link FormatError} naming the first problem. */
export function readTrendDigestJSON(json: unknown, where = "digest"): TrendDigestJSON {
    const object = readObject(json, where);
    return "samples" in object ? readExact(object, where) : readHistogram(object, where);
}
