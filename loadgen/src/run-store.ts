/**
 * Where a run's objects live (see contract.ts for the keys): a loadgen stack's S3 bucket, or a local directory for
 * `npm run loadtest -- --local`. The runner and the command only see this interface, so a local run goes through
 * the same segments, ready markers, control object and results as one on Fargate.
 *
 * Every time a participant needs comes from the store's clock (see server-clock.ts): each response of a store
 * instance feeds its `clock`, and an object's `lastModified` is by that same clock.
 */
import { Dirent } from "node:fs";
import { link, mkdir, open, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import {
    GetObjectCommand,
    ListObjectsV2Command,
    NoSuchKey,
    PutObjectCommand,
    S3Client,
    S3ClientConfig,
    S3ServiceException,
} from "@aws-sdk/client-s3";
import { ServerClock } from "./server-clock";

export interface StoredObject {
    body: Buffer;
    /** When the object was written, by the store's clock (on S3 in whole seconds: the Last-Modified header). */
    lastModified: Date;
}

export type ConditionalPut = "created" | "exists";

export interface RunStore {
    /** Where the objects are, for messages: `s3://bucket` or a directory. */
    readonly location: string;
    /** The store's clock as this participant sees it, fed by every response of this store instance. */
    readonly clock: ServerClock;
    /** The object, or undefined when there is none. */
    get(key: string): Promise<StoredObject | undefined>;
    put(key: string, body: Buffer | string): Promise<void>;
    /**
     * Writes the object only if none exists. "exists" when one did: another participant's, or this one's own when
     * the response to a write that succeeded was lost and the write was retried. Callers that must know whose it is
     * read it back.
     */
    putIfAbsent(key: string, body: Buffer | string): Promise<ConditionalPut>;
    /** Every key under the prefix. */
    list(prefix: string): Promise<string[]>;
    /** The same objects seen by another participant with a clock of its own (a local task, a benchmark's runner). */
    withClock(clock: ServerClock): RunStore;
}

/** An S3 call that did not answer within its deadline. */
export class StoreTimeoutError extends Error {
    override readonly name = "StoreTimeoutError";
}

/** A whole call's deadline unless the store is given another: the SDK's attempts and reading the body. */
export const CALL_TIMEOUT_MS = 10_000;
/** Per attempt: a hung attempt fails in time for the SDK's retry to fit in the call's deadline. */
const CONNECTION_TIMEOUT_MS = 3_000;
/** From the request's start until the response's headers, so a large body's upload counts too. */
export const REQUEST_TIMEOUT_MS = 4_000;

/**
 * An S3 client for a run store: timeouts on its HTTP handler, which has none by default. `requestTimeoutMs` is each
 * attempt's, REQUEST_TIMEOUT_MS unless a caller uploads more than a task does.
 */
export function runStoreS3Client(region: string, { requestTimeoutMs = REQUEST_TIMEOUT_MS, ...extra }: S3ClientConfig & { requestTimeoutMs?: number } = {}): S3Client {
    // Options in place of a handler build the NodeHttpHandler (the shorthand of SDK v3.521.0 on,
    // https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html). Its
    // timeouts default to 0, none, and requestTimeout without throwOnRequestTimeout only logs a warning
    // (smithy-typescript: packages/types/src/http/httpHandlerInitialization.ts, NodeHttpHandlerOptions;
    // packages/node-http-handler/src/set-request-timeout.ts). The TimeoutError of an attempt is one the SDK retries.
    return new S3Client({
        region,
        requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
        ...extra,
    });
}

export interface S3RunStoreOptions {
    clock?: ServerClock;
    /** The deadline of a whole call, the SDK's retries and reading the body included; 10 s unless given. */
    callTimeoutMs?: number;
    /** Waits between the attempts of a conditional write that met a concurrent one (tests pass a fake). */
    sleep?: (ms: number) => Promise<void>;
}

/**
 * The deserialize step runs inside the retry middleware (finalizeRequest), so once per attempt; at low priority it
 * comes after the deserializer, next to the HTTP handler, so it gets the raw response, an error status's too.
 */
const SERVER_TIME_MIDDLEWARE = { step: "deserialize", priority: "low", name: "runStoreServerTime" } as const;

/**
 * Feeds the clock each response's Date header, "The date and time that Amazon S3 responded", in whole seconds
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonResponseHeaders.html).
 */
function observeServerTime(clock: ServerClock) {
    return <Args, Result extends { response: unknown }>(next: (args: Args) => Promise<Result>) =>
        async (args: Args): Promise<Result> => {
            const sentAtMs = clock.localNow();
            const result = await next(args);
            const receivedAtMs = clock.localNow();
            const date = (result.response as { headers?: Record<string, string | undefined> }).headers?.date;
            const serverTime = date === undefined ? undefined : new Date(date);
            if (serverTime !== undefined && !Number.isNaN(serverTime.getTime())) clock.observe(serverTime, 1000, sentAtMs, receivedAtMs);
            return result;
        };
}

/**
 * "If a conflicting operation occurs during the upload S3 returns a 409 ConditionalRequestConflict response. On a
 * 409 failure you should retry the upload." (PutObject's If-None-Match,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html). Retried with full jitter, capped.
 */
const CONFLICT_ATTEMPTS = 6;
const CONFLICT_BACKOFF_BASE_MS = 100;
const CONFLICT_BACKOFF_CAP_MS = 2_000;

function conflictBackoffMs(attempt: number): number {
    return Math.random() * Math.min(CONFLICT_BACKOFF_CAP_MS, CONFLICT_BACKOFF_BASE_MS * 2 ** attempt);
}

function httpStatus(error: unknown): number | undefined {
    return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

export class S3RunStore implements RunStore {
    readonly location: string;
    readonly clock: ServerClock;
    private readonly callTimeoutMs: number;
    private readonly sleep: (ms: number) => Promise<void>;

    constructor(
        private readonly s3: S3Client,
        private readonly bucket: string,
        private readonly options: S3RunStoreOptions = {},
    ) {
        this.location = `s3://${bucket}`;
        this.clock = options.clock ?? new ServerClock();
        this.callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
        this.sleep = options.sleep ?? ((ms) => sleepFor(ms));
    }

    withClock(clock: ServerClock): RunStore {
        return new S3RunStore(this.s3, this.bucket, { ...this.options, clock });
    }

    async get(key: string): Promise<StoredObject | undefined> {
        try {
            return await this.call("GetObject", key, async (abortSignal) => {
                const command = new GetObjectCommand({ Bucket: this.bucket, Key: key });
                command.middlewareStack.add(observeServerTime(this.clock), SERVER_TIME_MIDDLEWARE);
                const response = await this.s3.send(command, { abortSignal });
                if (response.LastModified === undefined) throw new Error(`S3 GetObject ${this.location}/${key} answered without Last-Modified`);
                const body = response.Body === undefined ? Buffer.alloc(0) : Buffer.from(await response.Body.transformToByteArray());
                return { body, lastModified: response.LastModified };
            });
        } catch (error) {
            if (error instanceof NoSuchKey || httpStatus(error) === 404) return undefined;
            throw error;
        }
    }

    async put(key: string, body: Buffer | string): Promise<void> {
        await this.putObject(key, body, false);
    }

    async putIfAbsent(key: string, body: Buffer | string): Promise<ConditionalPut> {
        for (let attempt = 1; ; attempt++) {
            try {
                await this.putObject(key, body, true);
                return "created";
            } catch (error) {
                // 412 Precondition Failed: the key exists (API_PutObject, as above).
                if (httpStatus(error) === 412) return "exists";
                if (httpStatus(error) !== 409 || attempt === CONFLICT_ATTEMPTS) throw error;
                await this.sleep(conflictBackoffMs(attempt));
            }
        }
    }

    async list(prefix: string): Promise<string[]> {
        const keys: string[] = [];
        let token: string | undefined;
        do {
            const page = await this.call("ListObjectsV2", prefix, (abortSignal) => {
                const command = new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token });
                command.middlewareStack.add(observeServerTime(this.clock), SERVER_TIME_MIDDLEWARE);
                return this.s3.send(command, { abortSignal });
            });
            for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
        return keys;
    }

    private async putObject(key: string, body: Buffer | string, onlyIfAbsent: boolean): Promise<void> {
        await this.call("PutObject", key, (abortSignal) => {
            const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ...(onlyIfAbsent ? { IfNoneMatch: "*" } : {}) });
            command.middlewareStack.add(observeServerTime(this.clock), SERVER_TIME_MIDDLEWARE);
            return this.s3.send(command, { abortSignal });
        });
    }

    /** Runs one call under its deadline: when it passes, the request is aborted and the call fails with StoreTimeoutError. */
    private async call<T>(operation: string, key: string, work: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
        const deadline = new AbortController();
        const timer = setTimeout(() => deadline.abort(), this.callTimeoutMs);
        try {
            return await work(deadline.signal);
        } catch (error) {
            if (!deadline.signal.aborted) throw error;
            throw new StoreTimeoutError(`S3 ${operation} ${this.location}/${key} did not answer within ${this.callTimeoutMs / 1000} s`, { cause: error });
        } finally {
            clearTimeout(timer);
        }
    }
}

/** A directory as the store: it is its own server, so this machine's clock is the store's, exact to the millisecond. */
export class DirectoryRunStore implements RunStore {
    constructor(
        readonly location: string,
        readonly clock: ServerClock = new ServerClock(),
    ) {}

    withClock(clock: ServerClock): RunStore {
        return new DirectoryRunStore(this.location, clock);
    }

    get(key: string): Promise<StoredObject | undefined> {
        return this.serve(async () => {
            let file;
            try {
                file = await open(this.path(key), "r");
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
                throw error;
            }
            // One open file for both, so the body and its time are of the same object even if it is replaced meanwhile.
            try {
                const [body, stats] = await Promise.all([file.readFile(), file.stat()]);
                return { body, lastModified: stats.mtime };
            } finally {
                await file.close();
            }
        });
    }

    put(key: string, body: Buffer | string): Promise<void> {
        // Written aside and renamed, so a reader never sees half an object (as with S3).
        return this.serve(async () => {
            const { path, partial } = await this.writeAside(key, body);
            await rename(partial, path);
        });
    }

    putIfAbsent(key: string, body: Buffer | string): Promise<ConditionalPut> {
        // Written aside and linked: a link, unlike a rename, fails when the name exists.
        return this.serve(async () => {
            const { path, partial } = await this.writeAside(key, body);
            try {
                await link(partial, path);
                return "created";
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code === "EEXIST") return "exists";
                throw error;
            } finally {
                await unlink(partial);
            }
        });
    }

    list(prefix: string): Promise<string[]> {
        return this.serve(async () => {
            let entries: Dirent[];
            try {
                entries = await readdir(this.location, { recursive: true, withFileTypes: true });
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
                throw error;
            }
            // Files only: a key's directories are not objects, as S3 lists none for a key's prefixes.
            return entries
                .filter((entry) => entry.isFile())
                .map((entry) => relative(this.location, join(entry.parentPath, entry.name)).split(sep).join("/"))
                .filter((key) => key.startsWith(prefix) && !key.includes(".partial-"))
                .sort();
        });
    }

    /** Runs one operation as the server would answer it: the machine's true time, stamped while it runs. */
    private async serve<T>(work: () => Promise<T>): Promise<T> {
        const sentAtMs = this.clock.localNow();
        const served = new Date();
        try {
            return await work();
        } finally {
            this.clock.observe(served, 0, sentAtMs, this.clock.localNow());
        }
    }

    private async writeAside(key: string, body: Buffer | string): Promise<{ path: string; partial: string }> {
        const path = this.path(key);
        await mkdir(dirname(path), { recursive: true });
        const partial = `${path}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`;
        await writeFile(partial, body);
        return { path, partial };
    }

    private path(key: string): string {
        const path = join(this.location, ...key.split("/"));
        if (relative(this.location, path).startsWith("..")) throw new Error(`object key ${key} leaves ${this.location}`);
        return path;
    }
}
