import assert from "node:assert/strict";
import {
    RELATIVE_ACCURACY,
    RUN_EXACT_SAMPLE_BUDGET,
    TASK_EXACT_SAMPLE_CAP,
    TrendDigest,
    exactSamplesPerTask,
    readTrendDigestJSON,
    selectRank,
} from "../src/digest";
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

function digestOf(samples: readonly number[], exactLimit = Infinity): TrendDigest {
    const digest = new TrendDigest(exactLimit);
    for (const sample of samples) digest.add(sample);
    return digest;
}

/** The parts folded into one digest, as the merge folds the segments' JSON. */
function merged(parts: readonly TrendDigest[], exactLimit = Infinity): TrendDigest {
    const digest = new TrendDigest(exactLimit);
    for (const part of parts) digest.absorb(part.toJSON());
    return digest;
}

/** A digest read back from its JSON form, checked. */
function fromJSON(json: unknown, where?: string): TrendDigest {
    return new TrendDigest(Infinity).absorb(readTrendDigestJSON(json, where));
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

/** The samples dealt to 1–`most` segments in random proportions (some segments may get none). */
function split(random: () => number, samples: readonly number[], most = 8): number[][] {
    const weights = Array.from({ length: 1 + Math.floor(random() * most) }, () => random() ** 2);
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

describe("the exact budget", () => {
    it("splits the run's budget evenly over its tasks, at most the cap a task", () => {
        assert.equal(exactSamplesPerTask(1), TASK_EXACT_SAMPLE_CAP);
        assert.equal(exactSamplesPerTask(10), 1_000_000);
        assert.equal(exactSamplesPerTask(100), 100_000);
        assert.equal(exactSamplesPerTask(1000), 10_000);
        assert.equal(exactSamplesPerTask(3), 1_000_000);
        assert.equal(exactSamplesPerTask(30), 333_333);
        for (const tasks of [1, 7, 11, 30, 499, 500, 1000, 4096]) {
            assert.ok(tasks * exactSamplesPerTask(tasks) <= RUN_EXACT_SAMPLE_BUDGET, `${tasks} tasks keep at most the budget`);
        }
        assert.throws(() => exactSamplesPerTask(0), /a run has a whole number of tasks ≥ 1, got 0/);
        assert.throws(() => exactSamplesPerTask(2.5), RangeError);
    });
});

describe("selectRank", () => {
    /** Every rank of the runs, checked against their samples concatenated and sorted. */
    function assertEveryRank(runs: readonly number[][]): void {
        const sorted = runs.flat().sort((a, b) => a - b);
        const typed = runs.map((run) => Float64Array.from(run));
        sorted.forEach((value, rank) => assert.equal(selectRank(typed, rank), value, `rank ${rank} of ${JSON.stringify(runs)}`));
    }

    it("finds each rank over runs with duplicates, negatives, single elements and empty runs", () => {
        assertEveryRank([[1, 2, 3]]);
        assertEveryRank([[5], [], [-5], [0]]);
        assertEveryRank([[2, 2, 2, 2], [2, 2], [1, 2, 3]]);
        assertEveryRank([[-3, -3, -1, 0, 0, 7], [-3, 0, 0], [], [7, 7, 7], [-100]]);
        assertEveryRank([[], [], [42], []]);
        assertEveryRank([[0.1, 0.2, 0.30000000000000004], [0.3]]);
    });

    it("finds each rank over random runs of random lengths (property)", () => {
        for (const seed of [1, 2, 3, 4, 5]) {
            const random = seededRandom(seed);
            // Halves from -7.5 to 17.5, many repeated; + 0 turns Math.round's -0 into the 0 a sort puts it with.
            const runs = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
                Array.from({ length: Math.floor(random() ** 2 * 300) }, () => Math.round((random() - 0.3) * 50) / 2 + 0).sort((a, b) => a - b),
            );
            assertEveryRank(runs);
        }
    });

    it("rejects a rank that no sample has", () => {
        const runs = [Float64Array.from([1, 2]), new Float64Array(0)];
        assert.throws(() => selectRank(runs, 2), /rank 2 is not one of the 2 samples' ranks/);
        assert.throws(() => selectRank(runs, -1), RangeError);
        assert.throws(() => selectRank(runs, 0.5), RangeError);
        assert.throws(() => selectRank([], 0), /rank 0 is not one of the 0 samples' ranks/);
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
        const empty = new TrendDigest(Infinity);
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

    it("rejects samples that are not finite, percentiles outside 0–1 and a negative limit", () => {
        const digest = new TrendDigest(Infinity);
        assert.throws(() => digest.add(NaN), RangeError);
        assert.throws(() => digest.add(Infinity), RangeError);
        assert.throws(() => digest.percentile(1.01), /a percentile is a fraction from 0 to 1, got 1.01/);
        assert.throws(() => digest.percentile(-0.5), RangeError);
        assert.throws(() => new TrendDigest(-1), /an exact limit is a number of samples ≥ 0, got -1/);
    });

    it("keeps every sample up to its limit, then switches to a histogram; count, sum, min, max stay exact", () => {
        const limit = 20_000;
        const random = seededRandom(7);
        const samples = latencies(random, limit + 1);
        const digest = new TrendDigest(limit);
        for (const sample of samples.slice(0, limit)) digest.add(sample);
        assert.equal(digest.exact, true);
        assert.equal(digest.percentile(0.99), reference(samples.slice(0, limit)).percentile(0.99));
        digest.add(samples[limit]);
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

    it("keeps taking samples after a read (sorted into another run)", () => {
        const digest = digestOf([5, 1, 3]);
        assert.equal(digest.med, 3);
        for (const sample of [4, 2, 0]) digest.add(sample);
        assert.equal(digest.med, 2.5);
        assert.deepEqual(digest.toJSON(), digestOf([0, 1, 2, 3, 4, 5]).toJSON());
    });

    describe("merging segments (property: random samples split over random segments in random proportions)", () => {
        for (const seed of [1, 2, 3, 4, 5, 6]) {
            it(`seed ${seed}: exact parts that fit the limit merge exactly, percentiles equal to the last bit`, () => {
                const random = seededRandom(seed);
                const samples = latencies(random, 500 + Math.floor(random() * 8000));
                const parts = split(random, samples, 60).map((part) => digestOf(part));
                const merge = merged(parts, samples.length);
                const pooled = digestOf(samples);
                assert.equal(merge.exact, true);
                const expected = reference(samples);
                for (const p of [...PERCENTILES, random(), random(), random()]) {
                    assert.equal(merge.percentile(p), expected.percentile(p), `p=${p}`);
                }
                assert.deepEqual([merge.count, merge.sum, merge.avg, merge.min, merge.max], [pooled.count, pooled.sum, pooled.avg, pooled.min, pooled.max]);
                assert.deepEqual(merge.toJSON(), pooled.toJSON());
            });

            it(`seed ${seed}: histogram and exact parts merge into the pooled histogram exactly, percentiles within 0.05 %`, () => {
                const random = seededRandom(1000 + seed);
                const samples = latencies(random, 2000 + Math.floor(random() * 20_000));
                // Small limits, so that some parts switch to a histogram and others stay exact; the first is one from the start.
                const parts = split(random, samples).map((part, i) => digestOf(part, i === 0 ? 0 : Math.floor(random() * 3000)));
                const merge = merged(parts);
                const pooled = digestOf(samples, 0);
                assert.equal(merge.exact, false);
                assert.deepEqual(merge.toJSON(), pooled.toJSON());
                const expected = reference(samples);
                for (const p of [...PERCENTILES, random(), random()]) {
                    const error = Math.abs(merge.percentile(p) - expected.percentile(p));
                    assert.ok(error <= expected.tolerance(p), `p=${p}: off by ${error}`);
                }
            });

            it(`seed ${seed}: exact parts past the limit merge into the pooled histogram, percentiles within 0.05 %`, () => {
                const random = seededRandom(2000 + seed);
                const samples = latencies(random, 2000 + Math.floor(random() * 20_000));
                const parts = split(random, samples, 30).map((part) => digestOf(part));
                const merge = merged(parts, Math.floor(samples.length * random()));
                assert.equal(merge.exact, false);
                assert.deepEqual(merge.toJSON(), digestOf(samples, 0).toJSON());
                const expected = reference(samples);
                for (const p of [...PERCENTILES, random()]) {
                    const error = Math.abs(merge.percentile(p) - expected.percentile(p));
                    assert.ok(error <= expected.tolerance(p), `p=${p}: off by ${error}`);
                }
            });
        }

        it("stays exact up to its limit; the part that would pass it makes it a histogram of every sample", () => {
            const parts = [[3, 1, 2], [6, 5, 4], [9, 8, 7]].map((part) => digestOf(part));
            const atLimit = merged(parts.slice(0, 2), 6);
            assert.deepEqual([atLimit.exact, atLimit.count, atLimit.percentile(0.5)], [true, 6, 3.5]);
            atLimit.absorb(parts[2].toJSON());
            assert.deepEqual([atLimit.exact, atLimit.count, atLimit.min, atLimit.max], [false, 9, 1, 9]);
            assert.deepEqual(atLimit.toJSON(), digestOf([1, 2, 3, 4, 5, 6, 7, 8, 9], 0).toJSON());
        });

        it("makes an exact merge a histogram at the first histogram part, and keeps it one", () => {
            const merge = merged([digestOf([1, 2]), digestOf([3, 4], 0), digestOf([5, 6])]);
            assert.equal(merge.exact, false);
            assert.deepEqual(merge.toJSON(), digestOf([1, 2, 3, 4, 5, 6], 0).toJSON());
        });

        it("merges a segment with no samples, and nothing at all, as empty", () => {
            const merge = merged([new TrendDigest(Infinity), digestOf([3, 1, 2]), new TrendDigest(0)]);
            assert.equal(merge.exact, false, "an empty histogram still makes the merge a histogram");
            assert.deepEqual([merge.count, merge.min, merge.max], [3, 1, 3]);
            assert.ok(Math.abs(merge.med - 2) <= 2 * RELATIVE_ACCURACY);
            const exact = merged([new TrendDigest(Infinity), digestOf([3, 1, 2]), new TrendDigest(Infinity)]);
            assert.deepEqual([exact.exact, exact.count, exact.med], [true, 3, 2]);
            const nothing = merged([]);
            assert.deepEqual([nothing.exact, nothing.count, nothing.percentile(0.5)], [true, 0, 0]);
        });
    });

    describe("JSON", () => {
        it("round-trips an exact digest (samples sorted) and a histogram (sparse [index, count] pairs)", () => {
            const samples = [5, -2, 0, 0, 3.25, 1e6];
            for (const digest of [digestOf(samples), digestOf(samples, 0)]) {
                const back = fromJSON(JSON.parse(JSON.stringify(digest)));
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

        it("writes a merge of several runs as one sorted list", () => {
            const merge = merged([digestOf([5, 1]), digestOf([4, 0]), digestOf([3, 2])]);
            assert.deepEqual(merge.toJSON(), { count: 6, sum: [15], min: 0, max: 5, samples: [0, 1, 2, 3, 4, 5] });
        });

        const exact = { count: 2, sum: [3], min: 1, max: 2, samples: [1, 2] };
        const histogram = { count: 3, sum: [6], min: 1, max: 3, zeros: 0, positive: [[0, 1], [1100, 2]], negative: [] };
        const malformed: [string, unknown, RegExp][] = [
            ["not an object", [1, 2], /^digest: expected an object, got \[1,2\]$/],
            ["a sample that is not a number", { ...exact, samples: [1, "2"] }, /^digest\.samples\[1\]: expected a finite number, got "2"$/],
            ["a count that disagrees", { ...exact, count: 3 }, /^digest: count is 3 but there are 2 samples$/],
            ["samples out of order", { ...exact, count: 3, max: 3, samples: [1, 3, 2] }, /^digest\.samples: not sorted, \[1\] 3 is above \[2\] 2$/],
            ["min and max that are not the samples'", { ...exact, max: 2.5 }, /^digest: min 1 and max 2.5, but the samples go from 1 to 2$/],
            ["an empty digest with extremes", { count: 0, sum: [], min: 1, max: 1, samples: [] }, /^digest: min 1 and max 1, but the samples go from 0 to 0$/],
            ["min above max", { ...exact, min: 5 }, /^digest: min 5 is above max 2$/],
            ["a missing sum", { ...exact, sum: undefined }, /^digest\.sum: expected an array, got nothing$/],
            ["a negative count", { ...histogram, count: -3 }, /^digest\.count: expected a whole number ≥ 0, got -3$/],
            ["a bucket that is not a pair", { ...histogram, positive: [[0, 1, 2]] }, /^digest\.positive\[0\]: expected a pair/],
            ["a bucket with no samples", { ...histogram, positive: [[0, 0]] }, /^digest\.positive\[0\]\[1\]: expected a count ≥ 1, got 0$/],
            ["a fractional bucket index", { ...histogram, positive: [[0.5, 3]] }, /^digest\.positive\[0\]\[0\]: expected an integer/],
            ["a bucket twice", { ...histogram, positive: [[7, 1], [7, 2]] }, /^digest\.positive: bucket indexes must increase, \[0\] is 7 and \[1\] 7$/],
            ["buckets out of order", { ...histogram, positive: [[1100, 2], [0, 1]] }, /^digest\.positive: bucket indexes must increase, \[0\] is 1100 and \[1\] 0$/],
            ["a bucket that is not an array", { ...histogram, negative: [[0, 1], "x"] }, /^digest\.negative\[1\]: expected an array, got "x"$/],
            ["buckets that disagree with the count", { ...histogram, zeros: 1 }, /^digest: count is 3 but the buckets hold 4$/],
        ];
        for (const [what, json, message] of malformed) {
            it(`rejects ${what}, naming it`, () => {
                assert.throws(() => fromJSON(json), (error: unknown) => error instanceof FormatError && message.test(error.message));
            });
        }

        it("names the digest's place in the message", () => {
            assert.throws(() => fromJSON({ ...exact, min: "1" }, "http_req_duration"), /^FormatError: http_req_duration\.min: expected a finite number, got "1"$/);
        });
    });
});
