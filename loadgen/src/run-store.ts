/**
 * Where a run's objects live (see contract.ts for the keys): a loadgen stack's S3 bucket, or a local directory for
 * `npm run loadtest -- --local`. The runner and the command only see this interface, so a local run goes through
 * the same barrier, claims and results as one on Fargate.
 */
import { mkdir, open, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";

export interface RunStore {
    /** Where the objects are, for messages: `s3://bucket` or a directory. */
    readonly location: string;
    /** The object's bytes, or undefined when there is none. */
    get(key: string): Promise<Buffer | undefined>;
    put(key: string, body: Buffer | string): Promise<void>;
    /** Writes the object only if none exists; false when one already did (another task claimed it first). */
    putIfAbsent(key: string, body: Buffer | string): Promise<boolean>;
    /** Every key under the prefix. */
    list(prefix: string): Promise<string[]>;
}

/** HTTP statuses of a conditional write that lost: 412 another writer's object exists, 409 a concurrent write. */
const CONDITIONAL_WRITE_LOST = new Set([409, 412]);

export class S3RunStore implements RunStore {
    readonly location: string;

    constructor(
        private readonly s3: S3Client,
        private readonly bucket: string,
    ) {
        this.location = `s3://${bucket}`;
    }

    async get(key: string): Promise<Buffer | undefined> {
        try {
            const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
            if (response.Body === undefined) return Buffer.alloc(0);
            return Buffer.from(await response.Body.transformToByteArray());
        } catch (error) {
            if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return undefined;
            throw error;
        }
    }

    async put(key: string, body: Buffer | string): Promise<void> {
        await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
    }

    async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
        try {
            // S3 conditional writes: If-None-Match "*" fails with 412 when the key exists.
            await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfNoneMatch: "*" }));
            return true;
        } catch (error) {
            if (error instanceof S3ServiceException && CONDITIONAL_WRITE_LOST.has(error.$metadata.httpStatusCode ?? 0)) return false;
            throw error;
        }
    }

    async list(prefix: string): Promise<string[]> {
        const keys: string[] = [];
        let token: string | undefined;
        do {
            const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
            for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
        return keys;
    }
}

export class DirectoryRunStore implements RunStore {
    constructor(readonly location: string) {}

    async get(key: string): Promise<Buffer | undefined> {
        try {
            return await readFile(this.path(key));
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
            throw error;
        }
    }

    async put(key: string, body: Buffer | string): Promise<void> {
        // Written aside and renamed, so a reader never sees half an object (as with S3).
        const path = this.path(key);
        await mkdir(dirname(path), { recursive: true });
        const partial = `${path}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`;
        await writeFile(partial, body);
        await rename(partial, path);
    }

    async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
        const path = this.path(key);
        await mkdir(dirname(path), { recursive: true });
        let file;
        try {
            file = await open(path, "wx");
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
            throw error;
        }
        try {
            await file.writeFile(body);
        } finally {
            await file.close();
        }
        return true;
    }

    async list(prefix: string): Promise<string[]> {
        let files: string[];
        try {
            files = await readdir(this.location, { recursive: true, encoding: "utf8" });
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
            throw error;
        }
        return files
            .map((file) => file.split(sep).join("/"))
            .filter((key) => key.startsWith(prefix) && !key.includes(".partial-"))
            .sort();
    }

    private path(key: string): string {
        const path = join(this.location, ...key.split("/"));
        if (relative(this.location, path).startsWith("..")) throw new Error(`object key ${key} leaves ${this.location}`);
        return path;
    }
}
