import * as assert from "node:assert/strict";
import { ServerClock } from "../src/server-clock";

/** A deterministic stand-in for Math.random (a linear congruential generator), so a failure can be replayed. */
function seededRandom(seed: number): () => number {
    let state = seed;
    return () => {
        state = (state * 1664525 + 1013904223) % 2 ** 32;
        return state / 2 ** 32;
    };
}

/**
 * A participant polling a server whose clock is `offsetMs` ahead of its own, at jittered moments: each response is
 * stamped, in whole seconds, at a random instant between the request leaving and the response arriving.
 */
function poll(clock: ServerClock, local: { now: number }, offsetMs: number, count: number, random: () => number): void {
    for (let i = 0; i < count; i++) {
        local.now += 700 + random() * 600;
        const sentAtMs = local.now;
        const roundTripMs = 5 + random() * 25;
        const stampedAtServer = sentAtMs + random() * roundTripMs + offsetMs;
        clock.observe(new Date(Math.floor(stampedAtServer / 1000) * 1000), 1000, sentAtMs, sentAtMs + roundTripMs);
        local.now += roundTripMs;
    }
}

function assertWithin(actualMs: number, expectedMs: number, toleranceMs: number, what: string): void {
    assert.ok(Math.abs(actualMs - expectedMs) <= toleranceMs, `${what}: ${actualMs} is not within ${toleranceMs} ms of ${expectedMs}`);
}

describe("the store's clock", () => {
    it("knows nothing before a response: the local time, uncertain without bound", () => {
        const clock = new ServerClock(() => 1_000_000);
        assert.equal(clock.uncertaintyMs, Infinity);
        assert.equal(clock.now().getTime(), 1_000_000);
    });

    it("takes an exact time with no delay as the offset itself", () => {
        const clock = new ServerClock(() => 5_000);
        clock.observe(new Date(42_000), 0, 5_000, 5_000);
        assert.equal(clock.uncertaintyMs, 0);
        assert.equal(clock.now().getTime(), 42_000);
    });

    it("narrows whole-second Date headers at jittered moments to within 50 ms of the true offset, never excluding it", () => {
        const local = { now: 1_700_000_000_000 };
        const clock = new ServerClock(() => local.now);
        const random = seededRandom(7);
        const offsetMs = 37_123;
        poll(clock, local, offsetMs, 1, random);
        assert.ok(clock.uncertaintyMs >= 500, `one whole-second stamp cannot say more than its second (uncertainty ${clock.uncertaintyMs} ms)`);
        for (let i = 0; i < 60; i++) {
            poll(clock, local, offsetMs, 1, random);
            assertWithin(offsetMs, clock.now().getTime() - local.now, clock.uncertaintyMs, `poll ${i}: the bounds hold the true offset`);
        }
        assertWithin(clock.now().getTime() - local.now, offsetMs, 50, "the offset after 61 polls");
        assert.ok(clock.uncertaintyMs <= 50, `uncertainty ${clock.uncertaintyMs} ms`);
    });

    it("starts over when the local clock jumps, and narrows again", () => {
        const local = { now: 1_700_000_000_000 };
        const clock = new ServerClock(() => local.now);
        const random = seededRandom(11);
        poll(clock, local, -15_000, 60, random);
        assertWithin(clock.now().getTime() - local.now, -15_000, 50, "before the jump");

        local.now += 5_000;
        poll(clock, local, -20_000, 1, random);
        assertWithin(clock.now().getTime() - local.now, -20_000, 1_000, "right after the jump");
        poll(clock, local, -20_000, 60, random);
        assertWithin(clock.now().getTime() - local.now, -20_000, 50, "after polling again");
    });
});

describe("ServerClock.probeDelayMs: polls aimed where the server's second turns", () => {
    /**
     * A participant that polls when probeDelayMs says (or every whole second), against a server `offsetMs` ahead,
     * each way 5 to 40 ms at random; returns how far its estimate is from the server's clock after `count` polls,
     * and how sure it is.
     */
    function probe(count: number, offsetMs: number, seed: number, aimed: boolean): { errorMs: number; uncertaintyMs: number } {
        const random = seededRandom(seed);
        const local = { now: 1_000_000 };
        const clock = new ServerClock(() => local.now);
        const startMs = local.now;
        for (let i = 0; i < count; i++) {
            // Unaimed, a poll leaves every whole second, as a timer with a fixed period would send it.
            local.now = aimed ? local.now + (clock.probeDelayMs(250) ?? 1000) : startMs + (i + 1) * 1000;
            const sentAtMs = local.now;
            const outMs = 5 + random() * 35;
            const backMs = 5 + random() * 35;
            const stamp = new Date(Math.floor((sentAtMs + outMs + offsetMs) / 1000) * 1000);
            local.now += outMs + backMs;
            clock.observe(stamp, 1000, sentAtMs, local.now);
        }
        return { errorMs: Math.abs(clock.now().getTime() - (local.now + offsetMs)), uncertaintyMs: clock.uncertaintyMs };
    }

    it("says nothing before a response, and nothing once the bounds are as narrow as a round trip", () => {
        const local = { now: 0 };
        const clock = new ServerClock(() => local.now);
        assert.equal(clock.probeDelayMs(250), undefined);
        clock.observe(new Date(0), 0, 0, 10);
        assert.equal(clock.probeDelayMs(250), undefined);
    });

    it("waits at least the least delay asked, and at most a second more", () => {
        const local = { now: 5_000 };
        const clock = new ServerClock(() => local.now);
        clock.observe(new Date(41_000), 1000, 4_990, 5_010);
        const delay = clock.probeDelayMs(250);
        assert.ok(delay !== undefined && delay >= 250 && delay < 1250, `${delay}`);
    });

    for (const seed of [1, 2, 3, 4, 5]) {
        it(`seed ${seed}: ten aimed polls know the server's time to 25 ms; ten a second apart do not`, () => {
            // The server's second turns about half a second from where the unaimed polls land.
            const offsetMs = 37_480 + seed * 11;
            const aimed = probe(10, offsetMs, seed, true);
            assertWithin(aimed.errorMs, 0, 25, "aimed");
            assert.ok(aimed.uncertaintyMs <= 40, `aimed polls are sure to ${aimed.uncertaintyMs} ms`);
            // Polls a second apart land at one phase of the server's second: they learn little after the first.
            const fixed = probe(10, offsetMs, seed, false);
            assert.ok(fixed.uncertaintyMs > 100, `fixed polls are sure to ${fixed.uncertaintyMs} ms`);
        });
    }
});
