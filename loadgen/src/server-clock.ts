/**
 * The run store's clock as seen from one participant. Every task and the command take their times from the store
 * (S3's response `Date` header, an object's `LastModified`), so a laptop or a task whose own clock is off by seconds
 * still agrees with the others.
 *
 * Each response bounds the offset between the store's clock and the local one: the server stamped it at some local
 * instant between the request leaving and the response arriving, and a stamp of resolution r (an HTTP Date header
 * has whole seconds, truncated) says the server's time was in [stamp, stamp + r). The bounds of every response are
 * intersected. Responses stamped at different phases of the server's second cut the interval from different sides,
 * so a caller that polls at a fixed period should jitter it: polls at the same phase every time learn nothing new
 * after the first.
 */
export class ServerClock {
    private lowerMs = -Infinity;
    private upperMs = Infinity;

    /** `localNow` defaults to Date.now; tests pass a skewed clock. */
    constructor(private readonly local: () => number = Date.now) {}

    /** The local clock this estimate is relative to: the time to pass `observe` as sent and received. */
    localNow(): number {
        return this.local();
    }

    /**
     * One response: the time the server stamped on it (resolutionMs 1000 for an HTTP Date header, 0 for an exact
     * time), and when the request left and the response arrived by the local clock.
     */
    observe(serverTime: Date, resolutionMs: number, sentAtMs: number, receivedAtMs: number): void {
        const stampMs = serverTime.getTime();
        const lowerMs = stampMs - receivedAtMs;
        const upperMs = stampMs + resolutionMs - sentAtMs;
        const intersectionLower = Math.max(this.lowerMs, lowerMs);
        const intersectionUpper = Math.min(this.upperMs, upperMs);
        // Disjoint bounds mean a clock jumped (or drifted past what earlier responses allowed): only the new one holds.
        const disjoint = intersectionLower > intersectionUpper;
        this.lowerMs = disjoint ? lowerMs : intersectionLower;
        this.upperMs = disjoint ? upperMs : intersectionUpper;
    }

    /** The store's time now: the local time plus the middle of the offset's bounds (the local time before any response). */
    now(): Date {
        return new Date(this.localNow() + this.offsetMs());
    }

    /** Half the width of the offset's bounds: how far now() may be from the store's time; Infinity before any response. */
    get uncertaintyMs(): number {
        return (this.upperMs - this.lowerMs) / 2;
    }

    private offsetMs(): number {
        return this.uncertaintyMs === Infinity ? 0 : (this.lowerMs + this.upperMs) / 2;
    }
}
