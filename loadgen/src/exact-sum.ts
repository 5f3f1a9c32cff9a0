/**
 * A sum of floats that rounds only when it is read: Shewchuk's non-overlapping partials, the algorithm of Python's
 * `math.fsum`. The same numbers give the same sum whatever their order or grouping, so the sums of N segments,
 * merged in any order, equal the sum over the pooled samples to the last bit (a plain `+=` differs in the last bits).
 */
export class ExactSum {
    /** Non-overlapping, increasing in magnitude; their exact total is the sum. */
    private partials: number[] = [];

    add(value: number): void {
        let x = value;
        let kept = 0;
        for (const partial of this.partials) {
            let y = partial;
            if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
            const hi = x + y;
            const lo = y - (hi - x);
            if (lo !== 0) this.partials[kept++] = lo;
            x = hi;
        }
        this.partials.length = kept;
        this.partials.push(x);
    }

    addAll(other: ExactSum): void {
        for (const partial of other.partials) this.add(partial);
    }

    /** The exact sum, correctly rounded (half to even), as `math.fsum` returns it. */
    get value(): number {
        const partials = this.partials;
        let n = partials.length;
        if (n === 0) return 0;
        let hi = partials[--n];
        let lo = 0;
        while (n > 0) {
            const x = hi;
            const y = partials[--n];
            hi = x + y;
            lo = y - (hi - x);
            if (lo !== 0) break;
        }
        // hi + lo is exact; round it once more when the partials below lo push it past the halfway point.
        if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
            const twice = lo * 2;
            const rounded = hi + twice;
            if (twice === rounded - hi) hi = rounded;
        }
        return hi;
    }

    /**
     * The same exact sum as a canonical list (the rounded sum, then the rounded remainder, …), so that two equal sums
     * serialise alike however their partials were built.
     */
    toJSON(): number[] {
        const rest = ExactSum.fromJSON(this.partials);
        const canonical: number[] = [];
        for (let value = rest.value; value !== 0; value = rest.value) {
            canonical.push(value);
            rest.add(-value);
        }
        return canonical;
    }

    /** Any list of finite numbers: their exact total. */
    static fromJSON(partials: readonly number[]): ExactSum {
        const sum = new ExactSum();
        for (const partial of partials) sum.add(partial);
        return sum;
    }
}
