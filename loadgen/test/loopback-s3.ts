/**
 * A loopback S3 for the run store's tests and benchmarks: one bucket, path-style GetObject, PutObject (with
 * If-None-Match: *) and ListObjectsV2 over node:http on 127.0.0.1, answering as S3 does (its XML, its Date and
 * Last-Modified headers) by a clock of its own, and failing on request: a given error, a response lost after the
 * write was done, or no answer at all.
 */
import { createHash, randomBytes } from "node:crypto";
import { IncomingMessage, ServerResponse, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { runStoreS3Client } from "../src/run-store";

export type LoopbackOperation = "GetObject" | "PutObject" | "ListObjectsV2";

export type LoopbackFault =
    /** Answer with this S3 error instead of doing the operation. */
    | { kind: "error"; status: number; code: string }
    /** Do the operation, then close the connection instead of answering. */
    | { kind: "lost-response" }
    /** Neither do it nor answer. */
    | { kind: "hang" };

export interface FaultRule {
    operation: LoopbackOperation;
    /** The keys it applies to (the prefix, for ListObjectsV2); every one unless given. */
    key?: string | RegExp;
    /** Only conditional writes (PutObject with If-None-Match: *). */
    conditional?: boolean;
    fault: LoopbackFault;
    /** How many matching requests it takes; 1 unless given. */
    times?: number;
}

/** A concurrent conditional write, which S3 answers with 409 (see run-store.ts). */
export const CONDITIONAL_CONFLICT: LoopbackFault = { kind: "error", status: 409, code: "ConditionalRequestConflict" };
export const INTERNAL_ERROR: LoopbackFault = { kind: "error", status: 500, code: "InternalError" };

export interface LoopbackRequest {
    operation: LoopbackOperation;
    /** The object's key, or the prefix of a listing. */
    key: string;
    /** The HTTP status answered, or what a fault did instead. */
    status: number | "lost" | "hung";
}

export interface LoopbackS3 {
    /** `http://127.0.0.1:<port>` */
    endpoint: string;
    bucket: string;
    /** A client of this server: the run store's client (its timeouts), path-style, static credentials, us-east-1. */
    client(extra?: S3ClientConfig): S3Client;
    /** Every request so far, in the order they arrived. */
    readonly requests: LoopbackRequest[];
    /** The server's clock: the real one plus clockOffsetMs. */
    now(): Date;
    fail(rule: FaultRule): void;
    /** Stores an object as a PutObject now would, without a request: a quick setup. */
    seed(key: string, body: Buffer | string): void;
    close(): Promise<void>;
}

interface LoopbackObject {
    body: Buffer;
    lastModified: Date;
    etag: string;
}

interface Answer {
    status: number;
    headers?: Record<string, string>;
    body?: Buffer | string;
}

/** What ListObjectsV2 returns at most, and unless asked for fewer (max-keys). */
const MAX_KEYS = 1000;

const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
const xmlEscape = (text: string) => text.replace(/[&<>"']/g, (char) => XML_ENTITIES[char]);

/** S3 lists keys in UTF-8 binary order. */
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The REST error body (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
function errorAnswer(status: number, code: string, resource: string, requestId: string): Answer {
    return {
        status,
        headers: { "content-type": "application/xml" },
        body:
            `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message>` +
            `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`,
    };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => resolve(Buffer.concat(chunks)));
        request.on("error", reject);
    });
}

export async function startLoopbackS3(options: { clockOffsetMs?: number; bucket?: string } = {}): Promise<LoopbackS3> {
    const bucket = options.bucket ?? "loopback-runs";
    const clockOffsetMs = options.clockOffsetMs ?? 0;
    const now = () => new Date(Date.now() + clockOffsetMs);
    const objects = new Map<string, LoopbackObject>();
    /** The keys in listing order, sorted again after a new key. */
    let sortedKeys: string[] | undefined;
    const rules: FaultRule[] = [];
    const requests: LoopbackRequest[] = [];

    const takeFault = (operation: LoopbackOperation, key: string, conditional: boolean): LoopbackFault | undefined => {
        const index = rules.findIndex(
            (rule) =>
                rule.operation === operation &&
                (rule.conditional === undefined || rule.conditional === conditional) &&
                (rule.key === undefined || (typeof rule.key === "string" ? rule.key === key : rule.key.test(key))),
        );
        if (index < 0) return undefined;
        const rule = rules[index];
        rule.times = (rule.times ?? 1) - 1;
        if (rule.times <= 0) rules.splice(index, 1);
        return rule.fault;
    };

    const getObject = (key: string, requestId: string): Answer => {
        const object = objects.get(key);
        if (object === undefined) return errorAnswer(404, "NoSuchKey", `/${bucket}/${key}`, requestId);
        return {
            status: 200,
            headers: { "content-type": "application/octet-stream", "last-modified": object.lastModified.toUTCString(), etag: object.etag },
            body: object.body,
        };
    };

    const store = (key: string, body: Buffer): string => {
        if (!objects.has(key)) sortedKeys = undefined;
        const etag = `"${createHash("md5").update(body).digest("hex")}"`;
        objects.set(key, { body, lastModified: now(), etag });
        return etag;
    };

    const putObject = (key: string, body: Buffer, conditional: boolean, requestId: string): Answer => {
        // "Uploads the object only if the object key name does not already exist ... Otherwise, Amazon S3 returns a
        // 412 Precondition Failed error." (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html)
        if (conditional && objects.has(key)) return errorAnswer(412, "PreconditionFailed", `/${bucket}/${key}`, requestId);
        return { status: 200, headers: { etag: store(key, body) } };
    };

    /** https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html; the token is the last key listed. */
    const listObjects = (query: URLSearchParams): Answer => {
        const prefix = query.get("prefix") ?? "";
        const maxKeys = Math.min(MAX_KEYS, Number(query.get("max-keys") ?? MAX_KEYS));
        const token = query.get("continuation-token");
        const after = token === null ? undefined : Buffer.from(token, "base64url").toString("utf8");
        sortedKeys ??= [...objects.keys()].sort(utf8Order);
        const start = after === undefined ? 0 : sortedKeys.findIndex((key) => utf8Order(key, after) > 0);
        const matching = (start < 0 ? [] : sortedKeys.slice(start)).filter((key) => key.startsWith(prefix));
        const page = matching.slice(0, maxKeys);
        const truncated = matching.length > page.length;
        const contents = page.map((key) => {
            const object = objects.get(key)!;
            return (
                `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified>` +
                `<ETag>${xmlEscape(object.etag)}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`
            );
        });
        const body = [
            `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
            `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>`,
            `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`,
            ...contents,
            token === null ? "" : `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`,
            truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString("base64url")}</NextContinuationToken>` : "",
            `</ListBucketResult>`,
        ].join("");
        return { status: 200, headers: { "content-type": "application/xml" }, body };
    };

    const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
        const requestId = randomBytes(8).toString("hex").toUpperCase();
        const url = new URL(request.url ?? "/", "http://loopback");
        const [requestBucket, ...keyParts] = url.pathname.slice(1).split("/");
        const key = decodeURIComponent(keyParts.join("/"));
        const body = await readBody(request);
        const conditional = request.headers["if-none-match"] === "*";
        const operation: LoopbackOperation | undefined =
            request.method === "GET" && key === "" && url.searchParams.get("list-type") === "2"
                ? "ListObjectsV2"
                : request.method === "GET" && key !== ""
                  ? "GetObject"
                  : request.method === "PUT" && key !== ""
                    ? "PutObject"
                    : undefined;

        const send = (answer: Answer) => {
            response.writeHead(answer.status, { date: now().toUTCString(), "x-amz-request-id": requestId, ...answer.headers });
            response.end(answer.body);
        };
        if (operation === undefined || requestBucket !== bucket) {
            send(errorAnswer(operation === undefined ? 501 : 404, operation === undefined ? "NotImplemented" : "NoSuchBucket", url.pathname, requestId));
            return;
        }
        const recordedKey = operation === "ListObjectsV2" ? (url.searchParams.get("prefix") ?? "") : key;
        // The SDK sends aws-chunked only for a streaming body (@aws-sdk/checksums' flexibleChecksumsMiddleware,
        // isStreaming); the run store's are Buffers and strings, sent whole with an x-amz-checksum-* header.
        if (request.headers["content-encoding"]?.includes("aws-chunked")) {
            requests.push({ operation, key: recordedKey, status: 501 });
            send(errorAnswer(501, "NotImplemented", url.pathname, requestId));
            return;
        }
        const fault = takeFault(operation, recordedKey, operation === "PutObject" && conditional);
        if (fault?.kind === "hang") {
            requests.push({ operation, key: recordedKey, status: "hung" });
            return;
        }
        const answer =
            fault?.kind === "error"
                ? errorAnswer(fault.status, fault.code, url.pathname, requestId)
                : operation === "GetObject"
                  ? getObject(key, requestId)
                  : operation === "PutObject"
                    ? putObject(key, body, conditional, requestId)
                    : listObjects(url.searchParams);
        if (fault?.kind === "lost-response") {
            requests.push({ operation, key: recordedKey, status: "lost" });
            request.socket.destroy();
            return;
        }
        requests.push({ operation, key: recordedKey, status: answer.status });
        send(answer);
    };

    const server = createServer((request, response) => {
        handle(request, response).catch((error: unknown) => response.destroy(error instanceof Error ? error : new Error(String(error))));
    });
    // Longer than any test's pause between requests, so a client never reuses a connection the server just closed.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
        endpoint,
        bucket,
        requests,
        now,
        client: (extra = {}) =>
            runStoreS3Client("us-east-1", {
                endpoint,
                forcePathStyle: true,
                credentials: { accessKeyId: "AKIALOOPBACK00000000", secretAccessKey: "loopback-secret" },
                ...extra,
            }),
        fail: (rule) => {
            rules.push({ ...rule });
        },
        seed: (key, body) => {
            store(key, Buffer.from(body));
        },
        close: () =>
            new Promise<void>((resolve, reject) => {
                server.close((error) => (error ? reject(error) : resolve()));
                server.closeAllConnections();
            }),
    };
}
