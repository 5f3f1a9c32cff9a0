import * as assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DirectoryRunStore, RunStore, S3RunStore, S3RunStoreOptions, StoreTimeoutError } from "../src/run-store";
import { ServerClock } from "../src/server-clock";
import { CONDITIONAL_CONFLICT, INTERNAL_ERROR, LoopbackS3, startLoopbackS3 } from "./loopback-s3";

/** Every participant's own clock in these tests: 15 s behind the machine's (a laptop that drifted). */
const behind = () => Date.now() - 15_000;

interface StoreBench {
    /** A store at a location no other test uses, its clock's local time 15 s behind. */
    open(): Promise<RunStore>;
    /** The store's true time. */
    serverNow(): Date;
}

function assertNear(actual: Date, expected: Date, toleranceMs: number, what: string): void {
    const differenceMs = actual.getTime() - expected.getTime();
    assert.ok(Math.abs(differenceMs) <= toleranceMs, `${what}: ${actual.toISOString()} is ${differenceMs} ms from ${expected.toISOString()}`);
}

/** What both stores promise (the runner and the command rely on nothing else). */
function runStoreContract(bench: StoreBench): void {
    it("puts, gets and lists by prefix; a missing object is undefined", async () => {
        const store = await bench.open();
        await store.put("runs/a/manifest.json", "{}");
        await store.put("runs/a/ready/1", "x");
        await store.put("runs/a/ready/0", Buffer.from("y"));
        await store.put("runs/b/ready/0", "other run");
        assert.equal((await store.get("runs/a/manifest.json"))?.body.toString(), "{}");
        assert.equal(await store.get("runs/a/go"), undefined);
        assert.deepEqual(await store.list("runs/a/ready/"), ["runs/a/ready/0", "runs/a/ready/1"]);
        assert.deepEqual(await store.list("runs/a/"), ["runs/a/manifest.json", "runs/a/ready/0", "runs/a/ready/1"]);
        assert.deepEqual(await store.list("runs/c/"), []);
    });

    it("learns the store's clock from its responses", async () => {
        const store = await bench.open();
        // Whole-second Date headers narrow only as responses come at different phases of the second.
        for (let call = 0; call < 14 && store.clock.uncertaintyMs > 40; call++) {
            await store.get("runs/a/go");
            await sleep(85);
        }
        assertNear(store.clock.now(), bench.serverNow(), 100, "the clock");
    });

    it("dates an object by the store's clock", async () => {
        const store = await bench.open();
        const before = bench.serverNow().getTime();
        await store.put("runs/a/heartbeat", "{}");
        const after = bench.serverNow().getTime();
        const lastModified = (await store.get("runs/a/heartbeat"))!.lastModified.getTime();
        // S3's Last-Modified is in whole seconds, truncated.
        assert.ok(
            Math.floor(before / 1000) * 1000 <= lastModified && lastModified <= after,
            `lastModified ${new Date(lastModified).toISOString()} is not within the put (${new Date(before).toISOString()} to ${new Date(after).toISOString()})`,
        );
    });

    it("gives a key to the first of many concurrent claims; the others find it exists, with the first's body", async () => {
        const store = await bench.open();
        const claims = await Promise.all(Array.from({ length: 8 }, (_, index) => store.putIfAbsent("runs/a/ready/0", `task ${index}`)));
        assert.equal(claims.filter((claim) => claim === "created").length, 1, claims.join());
        assert.equal(claims.filter((claim) => claim === "exists").length, 7, claims.join());
        assert.equal((await store.get("runs/a/ready/0"))?.body.toString(), `task ${claims.indexOf("created")}`);
    });

    it("shows the same objects to a participant with a clock of its own, whose responses feed only that clock", async () => {
        const store = await bench.open();
        await store.put("runs/a/go", "go");
        const uncertaintyBefore = store.clock.uncertaintyMs;
        const other = new ServerClock(() => Date.now() + 60_000);
        const task = store.withClock(other);
        assert.equal(task.clock, other);
        assert.equal((await task.get("runs/a/go"))?.body.toString(), "go");
        assert.equal(await task.putIfAbsent("runs/a/go", "again"), "exists");
        assert.ok(other.uncertaintyMs < 1_000, `the task's clock learnt nothing (${other.uncertaintyMs} ms)`);
        assert.equal(store.clock.uncertaintyMs, uncertaintyBefore);
        assertNear(other.now(), bench.serverNow(), 1_000, "the task's clock");
    });
}

describe("run stores", () => {
    describe("S3 (a loopback S3 whose clock is 37 s ahead of the machine's)", () => {
        let s3: LoopbackS3;
        let sleeps: number[];
        before(async () => {
            s3 = await startLoopbackS3({ clockOffsetMs: 37_000 });
        });
        after(() => s3.close());
        beforeEach(() => {
            sleeps = [];
        });

        /** A store whose keys are under a prefix of its own, so the tests share the server without meeting. */
        const openStore = (options: S3RunStoreOptions = {}) => {
            const prefix = `t-${randomUUID()}/`;
            const store = new S3RunStore(s3.client(), s3.bucket, {
                clock: new ServerClock(behind),
                sleep: async (ms) => {
                    sleeps.push(ms);
                },
                ...options,
            });
            const key = (name: string) => `${prefix}${name}`;
            return { store, key };
        };

        runStoreContract({
            open: async () => {
                const { store, key } = openStore();
                const scoped = (inner: RunStore): RunStore => ({
                    location: inner.location,
                    clock: inner.clock,
                    get: (name) => inner.get(key(name)),
                    put: (name, body) => inner.put(key(name), body),
                    putIfAbsent: (name, body) => inner.putIfAbsent(key(name), body),
                    list: async (prefix) => (await inner.list(key(prefix))).map((found) => found.slice(key("").length)),
                    withClock: (clock) => scoped(inner.withClock(clock)),
                });
                return scoped(store);
            },
            serverNow: () => s3.now(),
        });

        it("retries a conditional write that met a concurrent one (409), with a growing, capped wait", async () => {
            const { store, key } = openStore();
            s3.fail({ operation: "PutObject", key: key("ready/0"), conditional: true, fault: CONDITIONAL_CONFLICT, times: 2 });
            assert.equal(await store.putIfAbsent(key("ready/0"), "mine"), "created");
            assert.deepEqual(
                s3.requests.filter((request) => request.key === key("ready/0")).map((request) => request.status),
                [409, 409, 200],
            );
            assert.equal(sleeps.length, 2);
            assert.ok(sleeps.every((ms) => ms >= 0 && ms <= 2_000), sleeps.join());
        });

        it("gives up on a conditional write that keeps meeting concurrent ones, with S3's error", async () => {
            const { store, key } = openStore();
            s3.fail({ operation: "PutObject", key: key("ready/0"), fault: CONDITIONAL_CONFLICT, times: 100 });
            await assert.rejects(store.putIfAbsent(key("ready/0"), "mine"), { name: "ConditionalRequestConflict" });
            assert.equal(s3.requests.filter((request) => request.key === key("ready/0")).length, 6);
        });

        it("answers exists for a claim whose response was lost and was retried: reading it back shows it is ours", async () => {
            const { store, key } = openStore();
            s3.fail({ operation: "PutObject", key: key("ready/0"), conditional: true, fault: { kind: "lost-response" } });
            assert.equal(await store.putIfAbsent(key("ready/0"), "mine"), "exists");
            assert.deepEqual(
                s3.requests.filter((request) => request.key === key("ready/0")).map((request) => request.status),
                ["lost", 412],
            );
            assert.equal((await store.get(key("ready/0")))?.body.toString(), "mine");
        });

        it("answers exists when another participant's object is there (412), and leaves it alone", async () => {
            const { store, key } = openStore();
            await store.put(key("ready/0"), "theirs");
            assert.equal(await store.putIfAbsent(key("ready/0"), "mine"), "exists");
            assert.equal(s3.requests.at(-1)?.status, 412);
            assert.equal((await store.get(key("ready/0")))?.body.toString(), "theirs");
        });

        it("fails a call S3 does not answer within the deadline, naming the operation and key", async () => {
            const { store, key } = openStore({ callTimeoutMs: 300 });
            s3.fail({ operation: "GetObject", key: key("go"), fault: { kind: "hang" } });
            const startedAt = Date.now();
            await assert.rejects(store.get(key("go")), (error: unknown) => {
                assert.ok(error instanceof StoreTimeoutError);
                assert.equal(error.message, `S3 GetObject s3://${s3.bucket}/${key("go")} did not answer within 0.3 s`);
                return true;
            });
            assert.ok(Date.now() - startedAt < 600, `took ${Date.now() - startedAt} ms`);
        });

        it("rides out an S3 internal error (the SDK retries it); passes other failures on (a 403 is not a missing object)", async () => {
            const { store, key } = openStore();
            await store.put(key("go"), "go");
            s3.fail({ operation: "GetObject", key: key("go"), fault: INTERNAL_ERROR });
            assert.equal((await store.get(key("go")))?.body.toString(), "go");
            s3.fail({ operation: "GetObject", key: key("go"), fault: { kind: "error", status: 403, code: "AccessDenied" } });
            await assert.rejects(store.get(key("go")), { name: "AccessDenied" });
        });

        it("lists every page of a prefix with more than 1,000 keys", async () => {
            const { store, key } = openStore();
            const names = Array.from({ length: 1_001 }, (_, index) => `results/${String(index).padStart(4, "0")}`);
            for (const name of names) s3.seed(key(name), name);
            assert.deepEqual(await store.list(key("results/")), names.map(key));
            assert.equal(s3.requests.filter((request) => request.operation === "ListObjectsV2" && request.key === key("results/")).length, 2);
        });
    });

    describe("directory (its own server: the machine's clock)", () => {
        let dir: string;
        beforeEach(async () => {
            dir = await mkdtemp(join(tmpdir(), "run-store-"));
        });
        afterEach(() => rm(dir, { recursive: true, force: true }));

        runStoreContract({
            open: async () => new DirectoryRunStore(join(dir, "store"), new ServerClock(behind)),
            serverNow: () => new Date(),
        });

        it("leaves nothing but the claimed object after concurrent claims", async () => {
            const store = new DirectoryRunStore(dir);
            await Promise.all(Array.from({ length: 8 }, (_, index) => store.putIfAbsent("runs/a/ready/0", String(index))));
            assert.deepEqual(await readdir(join(dir, "runs", "a", "ready")), ["0"]);
        });

        it("refuses a key that leaves the directory", async () => {
            await assert.rejects(new DirectoryRunStore(dir).put("../escape", "x"), /leaves/);
        });
    });
});
