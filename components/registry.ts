import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HISTORY_TAG_PREFIX, RegistryConfig, WorkloadEnvironment } from "../config";
import { expireUntagged, keepNewestTagged, LifecycleRule, lifecyclePolicy } from "./ecr-lifecycle";

export interface RegistryArgs {
    registry: RegistryConfig;
    /** Each environment's name is a movable tag in the repository; its account may pull. */
    environments: WorkloadEnvironment[];
    /** The registry account's region (the provider's). */
    region: string;
    /** The registry account (the provider's). */
    accountId: string;
    provider: aws.Provider;
}

/**
 * What workload accounts may do with the repository: pull, and look up images (tag → digest). The provider's
 * `aws_ecr_image` data source calls DescribeImages, then DescribeRepositories with the registry's id to build the
 * image URI (internal/service/ecr/image_data_source.go in hashicorp/terraform-provider-aws).
 */
const WORKLOAD_PULL_ACTIONS = [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
] as const;

/** What workload accounts may do with the customer-managed key, and only through ECR. */
const WORKLOAD_KEY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"] as const;

interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Principal: { AWS: string[] };
    Action: string | readonly string[];
    Resource?: string;
    Condition?: Record<string, Record<string, string>>;
}

interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/**
 * The service's container registry in the shared-assets account: one ECR repository whose version tags are
 * immutable and whose environment tags move, readable by the workload accounts and cleaned up by a lifecycle
 * policy that never expires an image an environment runs.
 */
export class Registry extends pulumi.ComponentResource {
    readonly repository: aws.ecr.Repository;
    /** Only with `encryption: customer-managed`. */
    readonly encryptionKey?: aws.kms.Key;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:registry:Registry", name, {}, opts);
        const { registry, environments, region, accountId, provider } = args;
        const childOpts = { parent: this, provider };

        const partition = aws.getPartitionOutput({}, childOpts);
        const accountRoot = (partitionName: string, account: string) => `arn:${partitionName}:iam::${account}:root`;
        const workloadRoots = (partitionName: string) =>
            [...new Set(environments.map((environment) => environment.accountId))].map((account) => accountRoot(partitionName, account));

        if (registry.encryption === "customer-managed") {
            this.encryptionKey = new aws.kms.Key(
                `${name}-key`,
                {
                    description: `Encrypts the images of ECR repository ${registry.repositoryName}`,
                    enableKeyRotation: true,
                    deletionWindowInDays: 30,
                    policy: partition.apply(({ partition: partitionName, dnsSuffix }) =>
                        JSON.stringify({
                            Version: "2012-10-17",
                            Statement: [
                                {
                                    // The account's IAM policies decide who administers and uses the key (pushes included);
                                    // without this statement nobody could ever change the key again.
                                    Sid: "RegistryAccountAdministers",
                                    Effect: "Allow",
                                    Principal: { AWS: [accountRoot(partitionName, accountId)] },
                                    Action: "kms:*",
                                    Resource: "*",
                                },
                                {
                                    // A pull from a workload account is that account's request: it may decrypt the layers
                                    // through ECR in this region, and use the key no other way.
                                    Sid: "WorkloadAccountsDecryptThroughEcr",
                                    Effect: "Allow",
                                    Principal: { AWS: workloadRoots(partitionName) },
                                    Action: WORKLOAD_KEY_ACTIONS,
                                    Resource: "*",
                                    Condition: { StringEquals: { "kms:ViaService": `ecr.${region}.${dnsSuffix}` } },
                                },
                            ],
                        } satisfies PolicyDocument),
                    ),
                },
                childOpts,
            );
            new aws.kms.Alias(
                `${name}-key`,
                // Alias names allow letters, digits, / _ - (no dots).
                { name: `alias/${registry.repositoryName.replace(/\./g, "-")}`, targetKeyId: this.encryptionKey.keyId },
                childOpts,
            );
        }

        this.repository = new aws.ecr.Repository(
            name,
            {
                name: registry.repositoryName,
                imageScanningConfiguration: { scanOnPush: true },
                // No kmsKey means the AWS-managed aws/ecr key.
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: this.encryptionKey?.arn }],
                imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
                // A WILDCARD filter without `*` matches exactly that tag: only the environment tags move, while
                // `history-<env>-...` and version tags stay immutable.
                imageTagMutabilityExclusionFilters: environments.map((environment) => ({
                    filter: environment.name,
                    filterType: "WILDCARD",
                })),
            },
            childOpts,
        );

        new aws.ecr.RepositoryPolicy(
            `${name}-pull`,
            {
                repository: this.repository.name,
                policy: partition.apply(({ partition: partitionName }) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "WorkloadAccountsPull",
                                Effect: "Allow",
                                Principal: { AWS: workloadRoots(partitionName) },
                                Action: WORKLOAD_PULL_ACTIONS,
                            },
                        ],
                    } satisfies PolicyDocument),
                ),
            },
            childOpts,
        );

        new aws.ecr.LifecyclePolicy(
            `${name}-lifecycle`,
            {
                repository: this.repository.name,
                policy: lifecyclePolicy(lifecycleRules(registry, environments)),
            },
            childOpts,
        );

        this.registerOutputs({ repository: this.repository, encryptionKey: this.encryptionKey });
    }
}

/**
 * ECR evaluates rules by ascending rulePriority, and an image that matches the tag selection of a rule can never
 * be expired by a rule of lower priority (a higher rulePriority number), whatever that rule's count says.
 * So the first rules each select exactly one environment tag and keep the one image carrying it
 * (imageCountMoreThan 1 never expires anything: a tag names one image): that image is then out of reach of the
 * history, version and untagged rules below, even when it is the oldest image in the repository.
 * One rule per environment, because the patterns of one tagPatternList must ALL match (AND), not any of them.
 * History tags come before version tags, so an image with a history tag (a rollback target) is kept or expired by
 * the history count alone, whatever its version tag. History is counted per environment: prod's rollback target is
 * usually the oldest history image, and a shared count would let a busy dev expire it. Untagged images (nothing names them) expire by age, last.
 */
function lifecycleRules(registry: RegistryConfig, environments: WorkloadEnvironment[]): LifecycleRule[] {
    return [
        ...environments.map((environment) =>
            keepNewestTagged(`Never expire the image the "${environment.name}" environment tag points at`, environment.name, 1),
        ),
        ...environments.map((environment) =>
            keepNewestTagged(
                `Keep the newest ${registry.historyImagesToKeep} promotion history images of "${environment.name}"`,
                `${HISTORY_TAG_PREFIX}${environment.name}-*`,
                registry.historyImagesToKeep,
            ),
        ),
        keepNewestTagged(
            `Keep the newest ${registry.versionImagesToKeep} version images`,
            `${registry.versionTagPrefix}*`,
            registry.versionImagesToKeep,
        ),
        expireUntagged(registry.untaggedExpiryDays),
    ];
}
