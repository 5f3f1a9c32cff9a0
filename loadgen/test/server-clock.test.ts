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
