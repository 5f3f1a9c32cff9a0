import assert from "node:assert/strict";
import { EXACT_SAMPLE_LIMIT, RELATIVE_ACCURACY, TrendDigest } from "../src/digest";
import { ExactSum } from "../src/exact-sum";
import { FormatError } from "../src/json-shape";
import { seededRandom } from "../../tests/k6-helpers";

/**
 * k6's TrendSink.P written out plainly (metrics/sink.go: sort, i = p·(n−1), interpolate): the reference every digest is
 * checked against. And a histogram's error bound at p: each of the two values it interpolates between is within α of
 * the exact one, so the result is within α of the exact percentile, relative to it when both are of the same sign.
 */
function reference(samples: readonly number[]): { percentile(p: number): number; tolerance(p: number): number } {
    const sorted = [...samples].sort((a, b) => a - b);
    const around = (p: number) => {
        const i = p * (sorted.length - 1);
        const [j, k] = [sorted[Math.floor(i)], sorted[Math.ceil(i)]];
        return { j, k, value: j + (k - j) * (i - Math.floor(i)) };
    };
    return {
        percentile: (p) => (sorted.length === 0 ? 0 : around(p).value),
        tolerance: (p) => {
            const { j, k, value } = around(p);
            const scale = j * k >= 0 ? Math.abs(value) : Math.max(Math.abs(j), Math.abs(k));
            // The factor allows for the last bit of the logarithm that picks a bucket.
            return RELATIVE_ACCURACY * scale * (1 + 1e-9);
        },
    };
}

function digestOf(samples: readonly number[], exactLimit?: number): TrendDigest {
    const digest = new TrendDigest(exactLimit);
    for (const sample of samples) digest.add(sample);
    return digest;
}

const PERCENTILES = [0, 0.001, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** Latency-like samples: mostly log-normal around 40 ms, some slow outliers, a few zeros and repeats. */
function latencies(random: () => number, count: number): number[] {
    return Array.from({ length: count }, () => {
        const roll = random();
        if (roll < 0.01) return 0;
        if (roll < 0.05) return 1500 + random() * 3000;
        if (roll < 0.1) return 12.5;
        const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        return Math.exp(3.7 + 0.6 * gaussian);
    });
}

/** The samples dealt to 1–8 segments in random proportions (some segments may get none). */
function split(random: () => number, samples: readonly number[]): number[][] {
    const weights = Array.from({ length: 1 + Math.floor(random() * 8) }, () => random() ** 2);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const parts = weights.map((): number[] => []);
    for (const sample of samples) {
        let roll = random() * total;
        const index = weights.findIndex((weight) => (roll -= weight) < 0);
        parts[index === -1 ? parts.length - 1 : index].push(sample);
    }
    return parts;
}

describe("ExactSum", () => {
    it("sums without rounding until read, whatever the order", () => {
        const numbers = [1e16, 1, -1e16, 0.1, 0.2, 0.3, 1e-10, 3];
        const sums = [numbers, [...numbers].reverse(), [0.3, 1, 1e-10, -1e16, 3, 0.1, 1e16, 0.2]].map((order) => ExactSum.fromJSON(order));
        assert.equal(sums[0].value, 4.6000000001);
        assert.deepEqual(
            sums.map((sum) => sum.value),
            [sums[0].value, sums[0].value, sums[0].value],
        );
        assert.deepEqual(sums[1].toJSON(), sums[0].toJSON());
        assert.equal(ExactSum.fromJSON(Array(10).fill(0.1)).value, 1);
    });

    it("merges sums exactly, and serialises an empty one as []", () => {
        const [a, b] = [ExactSum.fromJSON([0.1, 0.7]), ExactSum.fromJSON([0.2, 1e-20])];
        a.addAll(b);
        assert.equal(a.value, ExactSum.fromJSON([0.1, 0.7, 0.2, 1e-20]).value);
        assert.deepEqual(new ExactSum().toJSON(), []);
        assert.equal(new ExactSum().value, 0);
    });
});

describe("TrendDigest", () => {
    it("computes k6's percentiles: sort, i = p·(n−1), interpolate between floor(i) and ceil(i)", () => {
        const digest = digestOf([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        assert.equal(digest.percentile(0.9), 9.1);
        assert.equal(digest.percentile(0.5), 5.5);
        assert.equal(digest.med, 5.5);
        assert.equal(digest.percentile(0), 1);
        assert.equal(digest.percentile(1), 10);
        assert.deepEqual([digest.count, digest.sum, digest.avg, digest.min, digest.max], [10, 55, 5.5, 1, 10]);
        assert.equal(digestOf([1, 2, 3, 4]).percentile(0.5), 2.5);
    });

    it("gives 0 for everything when empty and the value itself when alone, as k6's TrendSink", () => {
        const empty = new TrendDigest();
        assert.deepEqual([empty.percentile(0.99), empty.avg, empty.min, empty.max, empty.med, empty.count], [0, 0, 0, 0, 0, 0]);
        const alone = digestOf([-42.5]);
        assert.deepEqual([alone.percentile(0), alone.percentile(0.99), alone.med, alone.avg], [-42.5, -42.5, -42.5, -42.5]);
        const aloneInHistogram = digestOf([7.25], 0);
        assert.equal(aloneInHistogram.percentile(0.3), 7.25);
    });

    it("records negative, zero and positive samples in both modes", () => {
        const samples = [-1000, -3.5, -0.001, 0, -0, 0, 0.001, 2, 2, 750];
        const exact = digestOf(samples);
        const histogram = digestOf(samples, 0);
        assert.equal(exact.exact, true);
        assert.equal(histogram.exact, false);
        for (const digest of [exact, histogram]) {
            assert.deepEqual([digest.count, digest.min, digest.max], [10, -1000, 750]);
            assert.equal(digest.sum, ExactSum.fromJSON(samples).value);
            assert.ok(Object.is(digest.percentile(4 / 9), 0), "-0 counts as 0");
        }
        const expected = reference(samples);
        for (const p of PERCENTILES) {
            assert.equal(exact.percentile(p), expected.percentile(p), `exact p=${p}`);
            const error = Math.abs(histogram.percentile(p) - expected.percentile(p));
            assert.ok(error <= expected.tolerance(p), `histogram p=${p}: off by ${error}`);
        }
    });

    it("rejects samples that are not finite and percentiles outside 0–1", () => {
        const digest = new TrendDigest();
        assert.throws(() => digest.add(NaN), RangeError);
        assert.throws(() => digest.add(Infinity), RangeError);
        assert.throws(() => digest.percentile(1.01), /a percentile is a fraction from 0 to 1, got 1.01/);
        assert.throws(() => digest.percentile(-0.5), RangeError);
    });

    it(`keeps every sample up to ${EXACT_SAMPLE_LIMIT}, then switches to a histogram; count, sum, min, max stay exact`, () => {
        const random = seededRandom(7);
        const samples = latencies(random, EXACT_SAMPLE_LIMIT + 1);
        const digest = new TrendDigest();
        for (const sample of samples.slice(0, EXACT_SAMPLE_LIMIT)) digest.add(sample);
        assert.equal(digest.exact, true);
        assert.equal(digest.percentile(0.99), reference(samples.slice(0, EXACT_SAMPLE_LIMIT)).percentile(0.99));
        digest.add(samples[EXACT_SAMPLE_LIMIT]);
        assert.equal(digest.exact, false);
        const expected = reference(samples);
        assert.deepEqual([digest.count, digest.min, digest.max], [samples.length, expected.percentile(0), expected.percentile(1)]);
        assert.equal(digest.sum, ExactSum.fromJSON(samples).value);
        for (const p of PERCENTILES) {
            const error = Math.abs(digest.percentile(p) - expected.percentile(p));
            assert.ok(error <= expected.tolerance(p), `p=${p}: off by ${error}`);
        }
        assert.deepEqual(digest.toJSON(), digestOf(samples, 0).toJSON(), "the switch gives the histogram of the same samples");
    });

    describe("merging segments (property: random samples split over 1–8 segments in random proportions)", () => {
        for (const seed of [1, 2, 3, 4, 5, 6]) {
            it(`seed ${seed}: exact parts merge exactly, percentiles equal to the last bit`, () => {
                const random = seededRandom(seed);
                const samples = latencies(random, 500 + Math.floor(random() * 4000));
                const parts = split(random, samples).map((part) => digestOf(part));
                const merged = TrendDigest.merge(parts);
                const pooled = digestOf(samples);
                assert.equal(merged.exact, true);
                const expected = reference(samples);
                for (const p of [...PERCENTILES, random(), random(), random()]) {
                    assert.equal(merged.percentile(p), expected.percentile(p), `p=${p}`);
                }
                assert.deepEqual([merged.count, merged.sum, merged.avg, merged.min, merged.max], [pooled.count, pooled.sum, pooled.avg, pooled.min, pooled.max]);
                assert.deepEqual(merged.toJSON(), pooled.toJSON());
            });

            it(`seed ${seed}: histogram parts merge into the pooled histogram exactly, percentiles within 0.05 %`, () => {
                const random = seededRandom(1000 + seed);
                const samples = latencies(random, 2000 + Math.floor(random() * 20_000));
                // Small limits, so that some parts switch to a histogram and others stay exact; the first is one from the start.
                const parts = split(random, samples).map((part, i) => digestOf(part, i === 0 ? 0 : Math.floor(random() * 3000)));
                const merged = TrendDigest.merge(parts);
                const pooled = digestOf(samples, 0);
                assert.equal(merged.exact, false);
                assert.deepEqual(merged.toJSON(), pooled.toJSON());
                const expected = reference(samples);
                for (const p of [...PERCENTILES, random(), random()]) {
                    const error = Math.abs(merged.percentile(p) - expected.percentile(p));
                    assert.ok(error <= expected.tolerance(p), `p=${p}: off by ${error}`);
                }
            });
        }

        it("merges a segment with no samples, and nothing at all, as empty", () => {
            const merged = TrendDigest.merge([new TrendDigest(), digestOf([3, 1, 2]), new TrendDigest(0)]);
            assert.equal(merged.exact, false, "an empty histogram still makes the merge a histogram");
            assert.deepEqual([merged.count, merged.min, merged.max], [3, 1, 3]);
            assert.ok(Math.abs(merged.med - 2) <= 2 * RELATIVE_ACCURACY);
            const nothing = TrendDigest.merge([]);
            assert.deepEqual([nothing.exact, nothing.count, nothing.percentile(0.5)], [true, 0, 0]);
        });

        it("keeps an exact merge exact however many samples that makes", () => {
            const random = seededRandom(11);
            const parts = [0, 1].map(() => digestOf(latencies(random, EXACT_SAMPLE_LIMIT)));
            const merged = TrendDigest.merge(parts);
            assert.equal(merged.exact, true);
            assert.equal(merged.count, 2 * EXACT_SAMPLE_LIMIT);
        });
    });

    describe("JSON", () => {
        it("round-trips an exact digest (samples sorted) and a histogram (sparse [index, count] pairs)", () => {
            const samples = [5, -2, 0, 0, 3.25, 1e6];
            for (const digest of [digestOf(samples), digestOf(samples, 0)]) {
                const json = JSON.parse(JSON.stringify(digest));
                const back = TrendDigest.fromJSON(json);
                assert.deepEqual(back.toJSON(), digest.toJSON());
                assert.deepEqual(PERCENTILES.map((p) => back.percentile(p)), PERCENTILES.map((p) => digest.percentile(p)));
            }
            assert.deepEqual(digestOf(samples).toJSON(), { count: 6, sum: [1000006.25], min: -2, max: 1e6, samples: [-2, 0, 0, 3.25, 5, 1e6] });
            const histogram = digestOf(samples, 0).toJSON();
            assert.ok("zeros" in histogram);
            assert.equal(histogram.zeros, 2);
            assert.equal(histogram.negative.length, 1);
            assert.deepEqual(histogram.positive.map(([, count]) => count), [1, 1, 1]);
        });

        const exact = { count: 2, sum: [3], min: 1, max: 2, samples: [1, 2] };
        const histogram = { count: 3, sum: [6], min: 1, max: 3, zeros: 0, positive: [[0, 1], [1100, 2]], negative: [] };
        const malformed: [string, unknown, RegExp][] = [
            ["not an object", [1, 2], /^digest: expected an object, got \[1,2\]$/],
            ["a sample that is not a number", { ...exact, samples: [1, "2"] }, /^digest\.samples\[1\]: expected a finite number, got "2"$/],
            ["a count that disagrees", { ...exact, count: 3 }, /^digest: count is 3 but there are 2 samples$/],
            ["min and max that are not the samples'", { ...exact, max: 2.5 }, /^digest: min 1 and max 2.5, but the samples go from 1 to 2$/],
            ["an empty digest with extremes", { count: 0, sum: [], min: 1, max: 1, samples: [] }, /^digest: min 1 and max 1, but the samples go from 0 to 0$/],
            ["min above max", { ...exact, min: 5 }, /^digest: min 5 is above max 2$/],
            ["a missing sum", { ...exact, sum: undefined }, /^digest\.sum: expected an array, got nothing$/],
            ["a negative count", { ...histogram, count: -3 }, /^digest\.count: expected a whole number ≥ 0, got -3$/],
            ["a bucket that is not a pair", { ...histogram, positive: [[0, 1, 2]] }, /^digest\.positive\[0\]: expected a pair/],
            ["a bucket with no samples", { ...histogram, positive: [[0, 0]] }, /^digest\.positive\[0\]\[1\]: expected a count ≥ 1, got 0$/],
            ["a fractional bucket index", { ...histogram, positive: [[0.5, 3]] }, /^digest\.positive\[0\]\[0\]: expected an integer/],
            ["a bucket twice", { ...histogram, positive: [[7, 1], [7, 2]] }, /^digest\.positive: a bucket index appears twice$/],
            ["buckets that disagree with the count", { ...histogram, zeros: 1 }, /^digest: count is 3 but the buckets hold 4$/],
        ];
        for (const [what, json, message] of malformed) {
            it(`rejects ${what}, naming it`, () => {
                assert.throws(() => TrendDigest.fromJSON(json), (error: unknown) => error instanceof FormatError && message.test(error.message));
            });
        }

        it("names the digest's place in the message", () => {
            assert.throws(() => TrendDigest.fromJSON({ ...exact, min: "1" }, "http_req_duration"), /^FormatError: http_req_duration\.min: expected a finite number, got "1"$/);
        });
    });
});
