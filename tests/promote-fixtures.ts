import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
    BatchDeleteImageCommand,
    BatchDeleteImageCommandInput,
    BatchGetImageCommand,
    BatchGetImageCommandInput,
    DescribeImagesCommand,
    DescribeImagesCommandInput,
    DescribeRepositoriesCommand,
    ECRClient,
    ImageAlreadyExistsException,
    ImageDigestDoesNotMatchException,
    ImageIdentifier,
    ImageTagAlreadyExistsException,
    ImageTagMutability,
    LayersNotFoundException,
    PutImageCommand,
    PutImageCommandInput,
    RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import {
    GetObjectCommand,
    GetObjectCommandInput,
    ListObjectsV2Command,
    ListObjectsV2CommandInput,
    NoSuchBucket,
    NoSuchKey,
    PutObjectCommand,
    PutObjectCommandInput,
    S3Client,
} from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import type { Connection } from "../scripts/aws-connection";
import { CommandContext, main } from "../scripts/promote/main";
import { PromotionGate, ReleaseConventions } from "../scripts/promote/promotion";
import { ImageRepository, MANIFEST_MEDIA_TYPES, RepositoryLocation } from "../scripts/promote/registry";
import { EvidenceLocation, EvidenceStore, verdictKey } from "../scripts/release/evidence-store";
import { VERDICT_SCHEMA_VERSION, Verdict } from "../scripts/release/verdict";
import { evidenceBucketName } from "../stacks/shared-names";
import { loadSharedConfig, stackFilePath } from "./environment-fixtures";
import { stsMock } from "./timeline-observe-fixture";

/**
 * An in-memory ECR repository behind aws-sdk-client-mock, for the promotion tests. It keeps what the real one
 * would check: digests are the sha256 of the manifest bytes (a re-serialized manifest would not match), an
 * existing immutable tag cannot move, putting a tag on the image it already names fails with
 * ImageAlreadyExistsException, a manifest can only be put for an image already in the repository (a retag never
 * uploads layers), and removing an image's last tag deletes the image.
 */

export const LOCATION: RepositoryLocation = { region: "eu-west-1", registryId: "111111111111", repositoryName: "ecs-loadlab/prime-counter" };
export const CONVENTIONS: ReleaseConventions = { environments: ["dev", "staging", "prod"], versionTagPrefix: "sha-" };
export const FAKE_CREDENTIALS = { accessKeyId: "AKIAFAKEFORTESTS0000", secretAccessKey: "fake-secret-for-tests" };

export const [DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX] = MANIFEST_MEDIA_TYPES;

/** A gate for environments that need no load test: what promote asks before it writes. */
export const NOT_GATED: PromotionGate = async () => ({ status: "not-required" });

/** Every client the tests build is this mock: no request leaves the process. */
export const ecrMock = mockClient(ECRClient);

export function mockedClient(): ECRClient {
    return new ECRClient({ region: LOCATION.region, credentials: FAKE_CREDENTIALS });
}

export function mockedRepository(): ImageRepository {
    return new ImageRepository(mockedClient(), LOCATION);
}

/** A fixed clock that advances a minute per reading, so history tags of one test differ and sort by time. */
export function steppingClock(start = "2025-03-04T05:06:07.890Z"): () => Date {
    let next = Date.parse(start);
    return () => {
        const now = new Date(next);
        next += 60_000;
        return now;
    };
}

/**
 * A manifest as a registry stores it: with indentation and key order that JSON.stringify would not reproduce,
 * so only a byte-for-byte copy keeps the digest.
 */
export function manifestText(build: string, mediaType = DOCKER_MANIFEST): string {
    const isIndex = mediaType === DOCKER_MANIFEST_LIST || mediaType === OCI_INDEX;
    const content = isIndex
        ? `"manifests": [ { "digest": "${sha256(`${build}/amd64`)}", "size": 1234, "platform": { "os": "linux", "architecture": "amd64" } } ]`
        : `"config": { "digest": "${sha256(`${build}/config`)}", "size": 1469 },\n   "layers": [ { "digest": "${sha256(`${build}/layer`)}", "size": 31 } ]`;
    return `{\n   "schemaVersion": 2,\n   "mediaType": "${mediaType}",\n   ${content}\n}`;
}

export function sha256(text: string): string {
    return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

const exceptionOptions = (message: string) => ({ message, $metadata: {} });

interface StoredImage {
    manifest: string;
    mediaType: string;
    tags: string[];
    pushedAt: Date;
}

export class FakeRegistry {
    readonly images = new Map<string, StoredImage>();
    mutability: ImageTagMutability = "IMMUTABLE_WITH_EXCLUSION";
    /** Mirrors the shared stack: exactly the environment tags are excluded from immutability. */
    exclusionFilters: string[] = [...CONVENTIONS.environments];
    describePageSize = 2;
    private pushes = 0;

    /** The repository it is: LOCATION, or the one a test's stack file names. */
    constructor(readonly location: RepositoryLocation = LOCATION) {}

    /** Wires the mock to this registry; a command the registry does not implement fails the test. */
    install(): this {
        ecrMock.reset();
        ecrMock.onAnyCommand().rejects(new Error("the fake registry does not implement this command"));
        ecrMock.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => this.batchGetImage(input));
        ecrMock.on(PutImageCommand).callsFake((input: PutImageCommandInput) => this.putImage(input));
        ecrMock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => this.describeImages(input));
        ecrMock.on(BatchDeleteImageCommand).callsFake((input: BatchDeleteImageCommandInput) => this.batchDeleteImage(input));
        ecrMock.on(DescribeRepositoriesCommand).callsFake(() => ({
            repositories: [
                {
                    ...this.coordinates,
                    imageTagMutability: this.mutability,
                    imageTagMutabilityExclusionFilters: this.exclusionFilters.map((filter) => ({ filter, filterType: "WILDCARD" })),
                },
            ],
        }));
        return this;
    }

    /** `docker push`: stores a new image under tags; returns its digest. */
    push(build: string, tags: string[], mediaType = DOCKER_MANIFEST): string {
        const manifest = manifestText(build, mediaType);
        const digest = sha256(manifest);
        for (const tag of tags) this.removeTag(tag);
        this.images.set(digest, { manifest, mediaType, tags: [...tags], pushedAt: new Date(Date.UTC(2025, 0, 1, 0, this.pushes++)) });
        return digest;
    }

    digestOf(tag: string): string | undefined {
        return [...this.images].find(([, image]) => image.tags.includes(tag))?.[0];
    }

    tagsOf(digest: string): string[] {
        return [...(this.images.get(digest)?.tags ?? [])].sort();
    }

    allTags(): string[] {
        return [...this.images.values()].flatMap((image) => image.tags).sort();
    }

    private get coordinates() {
        return { registryId: this.location.registryId, repositoryName: this.location.repositoryName };
    }

    private checkRepository(input: { registryId?: string; repositoryName?: string }): void {
        if (input.registryId !== this.location.registryId || input.repositoryName !== this.location.repositoryName) {
            throw new RepositoryNotFoundException(exceptionOptions(`The repository '${input.repositoryName}' does not exist in the registry '${input.registryId}'.`));
        }
    }

    private find(imageId: ImageIdentifier): [string, StoredImage] | undefined {
        const digest = imageId.imageDigest ?? (imageId.imageTag !== undefined ? this.digestOf(imageId.imageTag) : undefined);
        const image = digest === undefined ? undefined : this.images.get(digest);
        return digest !== undefined && image ? [digest, image] : undefined;
    }

    private isImmutable(tag: string): boolean {
        const excluded = this.exclusionFilters.some((filter) => new RegExp(`^${filter.replace(/\*/g, ".*")}$`).test(tag));
        return this.mutability === "IMMUTABLE" || (this.mutability === "IMMUTABLE_WITH_EXCLUSION" && !excluded) || (this.mutability === "MUTABLE_WITH_EXCLUSION" && excluded);
    }

    private removeTag(tag: string): void {
        for (const [digest, image] of this.images) {
            image.tags = image.tags.filter((existing) => existing !== tag);
            if (image.tags.length === 0) this.images.delete(digest);
        }
    }

    private batchGetImage(input: BatchGetImageCommandInput) {
        this.checkRepository(input);
        const response = { images: [] as object[], failures: [] as object[] };
        for (const imageId of input.imageIds ?? []) {
            const found = this.find(imageId);
            if (!found) {
                response.failures.push({ imageId, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
            } else if (!input.acceptedMediaTypes?.includes(found[1].mediaType)) {
                // The real registry would convert the manifest, which changes its digest: make that loud here.
                response.failures.push({ imageId, failureCode: "UnsupportedImageType", failureReason: `not accepted: ${found[1].mediaType}` });
            } else {
                const [imageDigest, image] = found;
                response.images.push({
                    ...this.coordinates,
                    imageId: { ...imageId, imageDigest },
                    imageManifest: image.manifest,
                    imageManifestMediaType: image.mediaType,
                });
            }
        }
        return response;
    }

    putImage(input: PutImageCommandInput) {
        this.checkRepository(input);
        const manifest = input.imageManifest ?? "";
        const digest = sha256(manifest);
        if (input.imageDigest !== undefined && input.imageDigest !== digest) {
            throw new ImageDigestDoesNotMatchException(exceptionOptions(`Provided digest ${input.imageDigest} does not match the digest of the manifest, ${digest}`));
        }
        const image = this.images.get(digest);
        if (!image) throw new LayersNotFoundException(exceptionOptions("The image's layers were never uploaded to this repository"));
        const tag = input.imageTag ?? "";
        if (image.tags.includes(tag)) {
            throw new ImageAlreadyExistsException(exceptionOptions(`Image with digest '${digest}' and tag '${tag}' already exists`));
        }
        if (this.digestOf(tag) !== undefined && this.isImmutable(tag)) {
            throw new ImageTagAlreadyExistsException(exceptionOptions(`The image tag '${tag}' already exists and cannot be overwritten because the repository is immutable.`));
        }
        this.removeTag(tag);
        image.tags.push(tag);
        return { image: { ...this.coordinates, imageId: { imageDigest: digest, imageTag: tag }, imageManifest: manifest, imageManifestMediaType: image.mediaType } };
    }

    private describeImages(input: DescribeImagesCommandInput) {
        this.checkRepository(input);
        const details = [...this.images]
            .filter(([, image]) => input.filter?.tagStatus !== "TAGGED" || image.tags.length > 0)
            .map(([imageDigest, image]) => ({
                ...this.coordinates,
                imageDigest,
                imageTags: [...image.tags],
                imagePushedAt: image.pushedAt,
                imageManifestMediaType: image.mediaType,
            }));
        const start = input.nextToken === undefined ? 0 : Number(input.nextToken);
        const end = start + this.describePageSize;
        return { imageDetails: details.slice(start, end), nextToken: end < details.length ? String(end) : undefined };
    }

    private batchDeleteImage(input: BatchDeleteImageCommandInput) {
        this.checkRepository(input);
        const response = { imageIds: [] as ImageIdentifier[], failures: [] as object[] };
        for (const imageId of input.imageIds ?? []) {
            const found = this.find(imageId);
            if (!found) {
                response.failures.push({ imageId, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
                continue;
            }
            this.removeTag(imageId.imageTag ?? "");
            response.imageIds.push({ imageDigest: found[0], imageTag: imageId.imageTag });
        }
        return response;
    }
}

export interface SentCall {
    command: string;
    input: object;
}

/** The commands the client sent, by name (without "Command") and input, in order. */
export function sentCalls(): SentCall[] {
    return ecrMock.calls().map((call) => {
        const command = call.args[0] as { input: object };
        return { command: command.constructor.name.replace(/Command$/, ""), input: command.input };
    });
}

/** The write commands the client sent (PutImage, BatchDeleteImage), in order. */
export function writeCalls(): SentCall[] {
    return sentCalls().filter((call) => call.command === "PutImage" || call.command === "BatchDeleteImage");
}

const COORDINATES = { registryId: LOCATION.registryId, repositoryName: LOCATION.repositoryName };

/** The exact calls the commands should send, for assertions. */
export const expectedCall = {
    batchGetImage: (imageId: ImageIdentifier): SentCall => ({
        command: "BatchGetImage",
        input: { ...COORDINATES, imageIds: [imageId], acceptedMediaTypes: MANIFEST_MEDIA_TYPES },
    }),
    putImage: (imageTag: string, manifest: string, mediaType: string): SentCall => ({
        command: "PutImage",
        input: { ...COORDINATES, imageTag, imageManifest: manifest, imageManifestMediaType: mediaType, imageDigest: sha256(manifest) },
    }),
    describeRepositories: (): SentCall => ({
        command: "DescribeRepositories",
        input: { registryId: LOCATION.registryId, repositoryNames: [LOCATION.repositoryName] },
    }),
    describeImages: (nextToken?: string): SentCall => ({
        command: "DescribeImages",
        input: { ...COORDINATES, filter: { tagStatus: "TAGGED" }, nextToken },
    }),
    batchDeleteImage: (tags: string[]): SentCall => ({
        command: "BatchDeleteImage",
        input: { ...COORDINATES, imageIds: tags.map((imageTag) => ({ imageTag })) },
    }),
};

// ---------------------------------------------------------------- the evidence bucket, the caller, the command

/** The evidence bucket beside LOCATION's registry: the shared account's, in its region. */
export const EVIDENCE: EvidenceLocation = { bucket: evidenceBucketName(LOCATION.registryId, LOCATION.region), region: LOCATION.region };

/**
 * The promote tests' S3 client and its mock. The mock is on this instance, not on S3Client's prototype, which the
 * run store's loopback tests use for real (as loadgen/test/s3-fixture.ts explains).
 */
const evidenceS3Client = new S3Client({ region: LOCATION.region, credentials: FAKE_CREDENTIALS });
export const s3Mock = mockClient(evidenceS3Client);

export function mockedS3Client(): S3Client {
    return evidenceS3Client;
}

export function mockedStore(location: EvidenceLocation = EVIDENCE): EvidenceStore {
    return new EvidenceStore(evidenceS3Client, location);
}

/**
 * STS's mock is the timeline tests' (aws-sdk-client-mock stubs STSClient's prototype, and a second mockClient of it
 * would detach the first), shared from there.
 */
export { stsMock };

/** Who the tests' credentials are: a session of the shared account's deploy role. */
export const CALLER_ARN = `arn:aws:sts::${LOCATION.registryId}:assumed-role/ecs-loadlab-deploy/alice`;

export function mockCaller(arn = CALLER_ARN): void {
    stsMock.reset();
    stsMock.on(GetCallerIdentityCommand).resolves({ Arn: arn, Account: arn.split(":")[4], UserId: "AROAEXAMPLE:alice" });
}

/**
 * An in-memory evidence bucket behind the S3 mock, as S3 answers: keys listed in UTF-8 binary order a page at a time
 * (a small page, so every listing pages), NoSuchBucket for another bucket, NoSuchKey for a missing object.
 */
export class FakeEvidenceBucket {
    readonly objects = new Map<string, { body: string; contentType?: string }>();
    listPageSize = 2;

    constructor(readonly location: EvidenceLocation = EVIDENCE) {}

    install(): this {
        s3Mock.reset();
        s3Mock.onAnyCommand().rejects(new Error("the fake evidence bucket does not implement this command"));
        s3Mock.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => this.list(input));
        s3Mock.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => this.get(input));
        s3Mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => this.put(input));
        return this;
    }

    /** Stores a verdict where `npm run loadtest` records it; returns its key. */
    addVerdict(verdict: Verdict): string {
        const key = verdictKey(verdict);
        this.objects.set(key, { body: JSON.stringify(verdict), contentType: "application/json" });
        return key;
    }

    keys(prefix = ""): string[] {
        return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    }

    json(key: string): unknown {
        const object = this.objects.get(key);
        assert.ok(object, `no object ${key} in the fake bucket; it has ${this.keys().join(", ")}`);
        return JSON.parse(object.body);
    }

    private checkBucket(bucket: string | undefined): void {
        if (bucket !== this.location.bucket) {
            throw new NoSuchBucket({ message: "The specified bucket does not exist", $metadata: { httpStatusCode: 404 } });
        }
    }

    private list(input: ListObjectsV2CommandInput) {
        this.checkBucket(input.Bucket);
        const keys = this.keys(input.Prefix);
        const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken.replace(/^token-/, ""));
        const end = start + this.listPageSize;
        const page = keys.slice(start, end);
        const truncated = end < keys.length;
        return {
            Contents: page.map((Key) => ({ Key, LastModified: new Date("2025-03-04T00:00:00Z") })),
            KeyCount: page.length,
            IsTruncated: truncated,
            ...(truncated ? { NextContinuationToken: `token-${end}` } : {}),
        };
    }

    private get(input: GetObjectCommandInput) {
        this.checkBucket(input.Bucket);
        const object = this.objects.get(input.Key ?? "");
        if (!object) throw new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
        // The SDK's streaming body: the store reads it with transformToString.
        return { Body: { transformToString: async () => object.body }, ContentType: object.contentType } as never;
    }

    private put(input: PutObjectCommandInput) {
        this.checkBucket(input.Bucket);
        this.objects.set(input.Key ?? "", { body: String(input.Body), contentType: input.ContentType });
        return { ETag: '"fake"' };
    }
}

/** S3 writes the mock saw: PutObject keys, in order. */
export function s3Writes(): string[] {
    return s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key ?? "");
}

/** A verdict as `npm run loadtest -- --target <environment>` records it; everything a test does not name is plausible. */
export function verdictFixture(
    options: Partial<Omit<Verdict, "target">> & { environment: string; digest: string; runId: string; finishedAt: string },
): Verdict {
    const { environment, digest, runId, finishedAt, ...rest } = options;
    return {
        schemaVersion: VERDICT_SCHEMA_VERSION,
        target: {
            stack: environment,
            environment,
            url: `https://${environment}.loadlab.example.com`,
            image: `${LOCATION.registryId}.dkr.ecr.${LOCATION.region}.amazonaws.com/${LOCATION.repositoryName}@${digest}`,
            digest,
        },
        runId,
        script: "load",
        startedAt: new Date(Date.parse(finishedAt) - 10 * 60_000).toISOString(),
        finishedAt,
        recordedAt: finishedAt,
        recordedBy: CALLER_ARN,
        verdict: "passed",
        thresholds: [
            { metric: "http_req_duration", expression: "p(99)<1500", ok: true },
            { metric: "http_req_failed", expression: "rate<0.01", ok: true },
        ],
        segments: 4,
        result: { run: { errors: [] } },
        observed: null,
        observedNote: "not observed in this test",
        ...rest,
    };
}

// ---------------------------------------------------------------- the command, in-process

/** The shared stack file the command tests promote with (tests/environment-fixtures.ts), and what it names. */
export const SHARED_STACK_FILE = stackFilePath("Pulumi.shared.yaml");
export const SHARED = loadSharedConfig();
export const REPOSITORY: RepositoryLocation = { region: SHARED.aws.region, registryId: SHARED.aws.accountId, repositoryName: SHARED.registry.repositoryName };
export const SHARED_EVIDENCE: EvidenceLocation = { bucket: evidenceBucketName(SHARED.aws.accountId, SHARED.aws.region), region: SHARED.aws.region };

export interface CommandRun {
    status: number;
    stdout: string;
    stderr: string;
    connections: Connection[];
}

/** Runs the command in-process with captured output, the mocked clients, and a record of how it would connect. */
export async function runCommand(argv: string[], clock = steppingClock()): Promise<CommandRun> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const connections: Connection[] = [];
    const context: CommandContext = {
        print: (line) => stdout.push(line),
        printError: (line) => stderr.push(line),
        createClients: (connection) => {
            connections.push(connection);
            return { ecr: mockedClient(), s3: evidenceS3Client, sts: new STSClient({ region: connection.region, credentials: FAKE_CREDENTIALS }) };
        },
        clock,
    };
    const status = await main(argv, context);
    return { status, stdout: stdout.join("\n"), stderr: stderr.join("\n"), connections };
}

/** The command on SHARED_STACK_FILE, unless argv names a stack file of its own. */
export const runOnStackFile = (...argv: string[]) => runCommand([...argv, ...(argv.includes("--stack-file") ? [] : ["--stack-file", SHARED_STACK_FILE])]);
