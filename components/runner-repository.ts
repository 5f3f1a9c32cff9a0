import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expireUntagged, keepNewestTagged, lifecyclePolicy } from "./ecr-lifecycle";

export interface RunnerRepositoryArgs {
    /** Under `ecs-loadlab/`, the only repositories the deploy role may manage. */
    repositoryName: string;
    /** Runner images beyond the newest this many expire. */
    imagesToKeep: number;
    provider: aws.Provider;
}

/** Runner image tags are `runner-<hash of the runner's sources>` (loadgen/src/image.ts). */
const RUNNER_TAG_PATTERN = "runner-*";
/** An untagged image is a build nobody can name; it goes the next day. */
const UNTAGGED_EXPIRY_DAYS = 1;

/**
 * The ECR repository the load generators' runner image is pushed to, in the stack's own account: every tag immutable
 * (a tag is the hash of what the image is built from, so it never needs to move), scanned on push, encrypted with
 * the AWS-managed aws/ecr key, keeping the newest runner images. Deleting the stack deletes the repository with its
 * images: they are rebuilt from source.
 */
export class RunnerRepository extends pulumi.ComponentResource {
    readonly repositoryName: pulumi.Output<string>;
    readonly repositoryUrl: pulumi.Output<string>;

    constructor(name: string, args: RunnerRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:loadgen:RunnerRepository", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };

        const repository = new aws.ecr.Repository(
            name,
            {
                name: args.repositoryName,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                // No kmsKey means the AWS-managed aws/ecr key.
                encryptionConfigurations: [{ encryptionType: "KMS" }],
                forceDelete: true,
            },
            childOpts,
        );
        new aws.ecr.LifecyclePolicy(
            `${name}-lifecycle`,
            {
                repository: repository.name,
                policy: lifecyclePolicy([
                    keepNewestTagged(`Keep the newest ${args.imagesToKeep} runner images`, RUNNER_TAG_PATTERN, args.imagesToKeep),
                    expireUntagged(UNTAGGED_EXPIRY_DAYS),
                ]),
            },
            childOpts,
        );

        this.repositoryName = repository.name;
        this.repositoryUrl = repository.repositoryUrl;
        this.registerOutputs({ repositoryName: this.repositoryName, repositoryUrl: this.repositoryUrl });
    }
}
