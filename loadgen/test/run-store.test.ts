import * as assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, GetObjectCommandOutput, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { DirectoryRunStore, S3RunStore } from "../src/run-store";
import { mockedS3Client, s3Mock } from "./s3-fixture";

/** A GetObject body as the SDK hands it over (only the method the store calls). */
function body(text: string): GetObjectCommandOutput["Body"] {
    return { transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } as unknown as GetObjectCommandOutput["Body"];
}

function s3Error(status: number, name: string): S3ServiceException {
    return new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: name });
}

describe("run stores", () => {
    describe("S3", () => {
        const store = new S3RunStore(mockedS3Client(), "ecs-loadlab-runs");
        beforeEach(() => s3Mock.reset());

        it("reads an object's bytes, and a missing one as undefined", async () => {
            s3Mock.on(GetObjectCommand, { Key: "runs/a/go" }).resolves({ Body: body('{"startAt":"x"}') });
            s3Mock.on(GetObjectCommand, { Key: "runs/a/heartbeat" }).rejects(new NoSuchKey({ message: "no", $metadata: { httpStatusCode: 404 } }));
            assert.equal((await store.get("runs/a/go"))?.toString(), '{"startAt":"x"}');
            assert.equal(await store.get("runs/a/heartbeat"), undefined);
        });

        it("passes other failures on (a 403 is not a missing object)", async () => {
            s3Mock.on(GetObjectCommand).rejects(s3Error(403, "AccessDenied"));
            await assert.rejects(store.get("runs/a/go"), /AccessDenied/);
        });

        it("claims with a conditional write: If-None-Match *, and a lost race (412, 409) is false", async () => {
            s3Mock.on(PutObjectCommand).resolvesOnce({}).rejectsOnce(s3Error(412, "PreconditionFailed")).rejectsOnce(s3Error(409, "ConditionalRequestConflict"));
            assert.equal(await store.putIfAbsent("runs/a/ready/0", "{}"), true);
            assert.equal(await store.putIfAbsent("runs/a/ready/0", "{}"), false);
            assert.equal(await store.putIfAbsent("runs/a/ready/0", "{}"), false);
            for (const call of s3Mock.commandCalls(PutObjectCommand)) {
                assert.equal(call.args[0].input.IfNoneMatch, "*");
                assert.equal(call.args[0].input.Bucket, "ecs-loadlab-runs");
            }
        });

        it("lists every page of a prefix", async () => {
            s3Mock.on(ListObjectsV2Command, { ContinuationToken: undefined })
                .resolves({ Contents: [{ Key: "runs/a/ready/0" }, { Key: "runs/a/ready/1" }], IsTruncated: true, NextContinuationToken: "t1" })
                .on(ListObjectsV2Command, { ContinuationToken: "t1" })
                .resolves({ Contents: [{ Key: "runs/a/ready/2" }], IsTruncated: false });
            assert.deepEqual(await store.list("runs/a/ready/"), ["runs/a/ready/0", "runs/a/ready/1", "runs/a/ready/2"]);
        });
    });

    describe("directory", () => {
        let dir: string;
        beforeEach(async () => {
            dir = await mkdtemp(join(tmpdir(), "run-store-"));
        });
        afterEach(() => rm(dir, { recursive: true, force: true }));

        it("puts, gets, lists by prefix; a missing object is undefined", async () => {
            const store = new DirectoryRunStore(dir);
            await store.put("runs/a/manifest.json", "{}");
            await store.put("runs/a/ready/1", "x");
            await store.put("runs/a/ready/0", "y");
            assert.equal((await store.get("runs/a/manifest.json"))?.toString(), "{}");
            assert.equal(await store.get("runs/a/go"), undefined);
            assert.deepEqual(await store.list("runs/a/ready/"), ["runs/a/ready/0", "runs/a/ready/1"]);
            assert.deepEqual(await new DirectoryRunStore(join(dir, "none")).list("runs/"), []);
        });

        it("gives a key to the first of many concurrent claims only", async () => {
            const store = new DirectoryRunStore(dir);
            const claims = await Promise.all(Array.from({ length: 8 }, (_, index) => store.putIfAbsent("runs/a/ready/0", String(index))));
            assert.equal(claims.filter(Boolean).length, 1);
        });

        it("refuses a key that leaves the directory", async () => {
            await assert.rejects(new DirectoryRunStore(dir).put("../escape", "x"), /leaves/);
        });
    });
});
