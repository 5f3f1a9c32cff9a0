/**
 * The run store's clock as seen from one participant. Every task and the command take their times from the store
 * (S3's response `Date` header, an object's `LastModified`), so a laptop or a task whose own clock is off by seconds
 * still agrees with the others.
 *
 * Each response bounds the offset between the store's clock and the local one: the server stamped it at some local
 * instant between the request leaving and the response arriving, and a stamp of resolution r (an HTTP Date header
 * has whole seconds, truncated) says the server's time was in [stamp, stamp + r). The bounds of every response are
 * intersected. Responses stamped at different phases of the server's second cut the interval from different sides,
 * so a caller that polls at a fixed period learns nothing new after the first: it asks probeDelayMs when to send,
 * which aims each request at the middle of the window in which, by the bounds so far, the server's second turns.
 * Whichever second the response is stamped with, the bounds halve, down to about the round trip: after k such polls
 * the estimate is within 1000 / 2^k ms plus the round trip.
 */
export class ServerClock {
    private lowerMs = -Infinity;
    private upperMs = Infinity;
    /** The shortest round trip seen: the most a request can teach. */
    private roundTripMs = Infinity;
    /** The round trip's running mean: a probe's outgoing half, on average, when aiming it. */
    private meanRoundTripMs: number | undefined;

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
        const roundTripMs = Math.max(0, receivedAtMs - sentAtMs);
        this.roundTripMs = Math.min(this.roundTripMs, roundTripMs);
        this.meanRoundTripMs = this.meanRoundTripMs === undefined ? roundTripMs : 0.8 * this.meanRoundTripMs + 0.2 * roundTripMs;
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

    /**
     * How long to wait, at least `minDelayMs`, so that a request sent then reaches the server at the middle of the
     * next window in which its second turns (by the bounds so far), assuming half the mean round trip each way: aimed
     * with the shortest instead, probes land late by the latency's spread and keep cutting the same side. Undefined
     * when that would teach nothing: before any response with a whole-second stamp, or once the bounds are as narrow
     * as a round trip.
     */
    probeDelayMs(minDelayMs: number): number | undefined {
        const widthMs = this.upperMs - this.lowerMs;
        if (!Number.isFinite(widthMs) || widthMs <= this.roundTripMs + 1) return undefined;
        const middleMs = (this.lowerMs + this.upperMs) / 2;
        const nowMs = this.localNow();
        const halfTripMs = (this.meanRoundTripMs ?? this.roundTripMs) / 2;
        // The server's second k turns at local time k·1000 − offset: the first such turn the request can reach.
        const turn = Math.ceil((nowMs + minDelayMs + halfTripMs + middleMs) / 1000);
        return turn * 1000 - middleMs - halfTripMs - nowMs;
    }

    private offsetMs(): number {
        return this.uncertaintyMs === Infinity ? 0 : (this.lowerMs + this.upperMs) / 2;
    }
}
