import {
    BatchDeleteImageCommand,
    BatchGetImageCommand,
    DescribeImagesCommand,
    DescribeRepositoriesCommand,
    ECRClient,
    ImageAlreadyExistsException,
    ImageIdentifier,
    ImageTagAlreadyExistsException,
    LayersNotFoundException,
    PutImageCommand,
    ReferencedImagesNotFoundException,
} from "@aws-sdk/client-ecr";

/**
 * Typed access to the images of one ECR repository: read a manifest, put it under a tag, list tags, remove tags.
 * Everything about what the tags mean (environments, history, order) lives in promotion.ts.
 */

/**
 * Every manifest format an image of ours can have, single-platform or multi-platform, Docker or OCI.
 * ECR converts a manifest whose type the caller does not accept, and a converted manifest has another digest.
 */
export const MANIFEST_MEDIA_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
];

/** Where the repository is: the shared account's registry in its region. */
export interface RepositoryLocation {
    region: string;
    registryId: string;
    repositoryName: string;
}

export type ImageReference = { tag: string } | { digest: string };

/** An image's manifest exactly as the registry returned it: the bytes its digest is computed over. */
export interface ImageManifest {
    digest: string;
    mediaType: string;
    manifest: string;
}

export interface TaggedImage {
    digest: string;
    tags: string[];
    pushedAt?: Date;
}

export interface TagMutability {
    mutable: boolean;
    /** The repository's setting as ECR names it, with its exclusion filters, for messages. */
    setting: string;
}

/** An expected failure with a message for the user: the command prints it without a stack trace. */
export class RegistryError extends Error {
    override readonly name = "RegistryError";
}

export function repositoryUri({ region, registryId, repositoryName }: RepositoryLocation): string {
    const domain = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return `${registryId}.dkr.ecr.${region}.${domain}/${repositoryName}`;
}

function describeReference(reference: ImageReference): string {
    return "tag" in reference ? reference.tag : reference.digest;
}

export class ImageRepository {
    constructor(
        private readonly client: ECRClient,
        readonly location: RepositoryLocation,
    ) {}

    private get coordinates() {
        return { registryId: this.location.registryId, repositoryName: this.location.repositoryName };
    }

    /** The manifest a tag or digest names, or undefined when the repository has no such image. */
    async findImage(reference: ImageReference): Promise<ImageManifest | undefined> {
        const imageId: ImageIdentifier = "tag" in reference ? { imageTag: reference.tag } : { imageDigest: reference.digest };
        const response = await this.client.send(
            new BatchGetImageCommand({ ...this.coordinates, imageIds: [imageId], acceptedMediaTypes: MANIFEST_MEDIA_TYPES }),
        );
        const failure = response.failures?.[0];
        if (failure?.failureCode === "ImageNotFound") return undefined;
        if (failure) {
            throw new RegistryError(`cannot read ${describeReference(reference)}: ${failure.failureCode}: ${failure.failureReason ?? "no reason given"}`);
        }
        const image = response.images?.[0];
        const digest = image?.imageId?.imageDigest;
        if (!image?.imageManifest || !image.imageManifestMediaType || !digest) {
            throw new RegistryError(`cannot read ${describeReference(reference)}: the registry returned no manifest`);
        }
        return { digest, mediaType: image.imageManifestMediaType, manifest: image.imageManifest };
    }

    /**
     * Puts the manifest, byte for byte, under a tag. Passing the digest makes ECR check it against the manifest.
     * Returns "already-tagged" when the tag already names this very image (ECR changes nothing then).
     */
    async tagImage(tag: string, image: ImageManifest): Promise<"tagged" | "already-tagged"> {
        try {
            await this.client.send(
                new PutImageCommand({
                    ...this.coordinates,
                    imageTag: tag,
                    imageManifest: image.manifest,
                    imageManifestMediaType: image.mediaType,
                    imageDigest: image.digest,
                }),
            );
            return "tagged";
        } catch (error) {
            if (error instanceof ImageAlreadyExistsException) return "already-tagged";
            if (error instanceof ImageTagAlreadyExistsException) {
                throw new RegistryError(`the tag ${tag} already exists on another image and is immutable`);
            }
            if (error instanceof ReferencedImagesNotFoundException || error instanceof LayersNotFoundException) {
                throw new RegistryError(
                    `cannot tag ${image.digest} as ${tag}: images or layers it references are gone from the repository (${error.message})`,
                );
            }
            throw error;
        }
    }

    /** Removes tags (an image keeps its other tags); returns a message per tag that could not be removed. */
    async untag(tags: string[]): Promise<string[]> {
        if (tags.length === 0) return [];
        const response = await this.client.send(
            new BatchDeleteImageCommand({ ...this.coordinates, imageIds: tags.map((imageTag) => ({ imageTag })) }),
        );
        return (response.failures ?? []).map(
            (failure) => `${failure.imageId?.imageTag ?? "?"}: ${failure.failureCode}: ${failure.failureReason ?? "no reason given"}`,
        );
    }

    async listTaggedImages(): Promise<TaggedImage[]> {
        const images: TaggedImage[] = [];
        let nextToken: string | undefined;
        do {
            const page = await this.client.send(new DescribeImagesCommand({ ...this.coordinates, filter: { tagStatus: "TAGGED" }, nextToken }));
            for (const detail of page.imageDetails ?? []) {
                if (detail.imageDigest) images.push({ digest: detail.imageDigest, tags: detail.imageTags ?? [], pushedAt: detail.imagePushedAt });
            }
            nextToken = page.nextToken;
        } while (nextToken);
        return images;
    }

    /** Whether an existing tag may be moved to another image, from the repository's tag mutability setting. */
    async tagMutability(tag: string): Promise<TagMutability> {
        const response = await this.client.send(
            new DescribeRepositoriesCommand({ registryId: this.location.registryId, repositoryNames: [this.location.repositoryName] }),
        );
        const repository = response.repositories?.[0];
        const mode = repository?.imageTagMutability ?? "MUTABLE";
        const filters = (repository?.imageTagMutabilityExclusionFilters ?? []).flatMap((exclusion) => (exclusion.filter ? [exclusion.filter] : []));
        const excluded = filters.some((filter) => matchesWildcard(tag, filter));
        const mutable = mode === "MUTABLE" || (mode === "IMMUTABLE_WITH_EXCLUSION" && excluded) || (mode === "MUTABLE_WITH_EXCLUSION" && !excluded);
        const setting = filters.length > 0 ? `${mode}, exclusion filters: ${filters.join(", ")}` : mode;
        return { mutable, setting };
    }
}

/** ECR's WILDCARD exclusion filters: `*` matches any run of characters, everything else itself. */
export function matchesWildcard(tag: string, filter: string): boolean {
    const pattern = filter
        .split("*")
        .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
    return new RegExp(`^${pattern}$`).test(tag);
}
