/**
 * ECR and ECS: the AWS API calls the Pulumi AWS provider (terraform-provider-aws v6) makes for each resource type's
 * create, read (refresh), update and delete, each data source's read, and its own calls when it is configured.
 *
 * Tagging: every resource here with tags is `@Tags(identifierAttribute=...)`, so the transparent tagging interceptor
 * (internal/provider/sdkv2/tags_interceptor.go) updates tags before the U handler (UntagResource, then TagResource,
 * when tags_all changes) and, after C, R and U, calls ListTagsForResource unless the R handler already set tags from
 * its Describe call. The provider's defaultTags are always set by this project, so every create passes tags.
 */
import type { ApiCall, DataSourceCalls, ResourceCalls } from "../types";

const TAGS_INTERCEPTOR = "internal/provider/sdkv2/tags_interceptor.go";

/** Tag changes (tags or the provider's defaultTags), made by the interceptor before the U handler. */
const ecrTagUpdate: ApiCall[] = [
    { api: "ecr:UntagResource", when: "tags" },
    { api: "ecr:TagResource", when: "tags" },
];
const ecsTagUpdate: ApiCall[] = [
    { api: "ecs:UntagResource", when: "tags" },
    { api: "ecs:TagResource", when: "tags" },
];

export const CONTAINERS_RESOURCES: Record<string, ResourceCalls> = {
    "aws:ecr/repository:Repository": {
        source: ["internal/service/ecr/repository.go", "internal/service/ecr/tags_gen.go", "internal/service/ecr/service_package_gen.go", TAGS_INTERCEPTOR],
        create: [
            // Tags (defaultTags included) go in CreateRepository: tag-on-create needs ecr:TagResource.
            { api: "ecr:CreateRepository", actions: ["ecr:CreateRepository", "ecr:TagResource"] },
            // The same call, authorized against the KMS key: ECR creates grants on a customer-managed
            // encryptionConfigurations[].kmsKey; the AWS-managed aws/ecr key (no kmsKey) needs none of these.
            { api: "ecr:CreateRepository", actions: ["kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant"], on: { input: "encryptionConfigurations" }, when: "encryptionConfigurations" },
            { api: "ecr:DescribeRepositories" },
            // The R handler sets no tags, so the interceptor lists them.
            { api: "ecr:ListTagsForResource" },
        ],
        read: [{ api: "ecr:DescribeRepositories" }, { api: "ecr:ListTagsForResource" }],
        update: [
            ...ecrTagUpdate,
            // Also when imageTagMutabilityExclusionFilters changes (sent in the same call).
            { api: "ecr:PutImageTagMutability", when: "imageTagMutability" },
            { api: "ecr:PutImageScanningConfiguration", when: "imageScanningConfiguration" },
            { api: "ecr:DescribeRepositories" },
            { api: "ecr:ListTagsForResource" },
        ],
        delete: [
            // Force = forceDelete: deletes the images too (RepositoryNotEmptyException without it).
            { api: "ecr:DeleteRepository" },
            // ECR retires its grants on the key when a KMS-encrypted repository is deleted.
            { api: "ecr:DeleteRepository", actions: ["kms:RetireGrant"], on: { input: "encryptionConfigurations" }, when: "encryptionConfigurations" },
            // Polled until RepositoryNotFoundException.
            { api: "ecr:DescribeRepositories" },
        ],
    },

    "aws:ecr/repositoryPolicy:RepositoryPolicy": {
        source: ["internal/service/ecr/repository_policy.go"],
        create: [
            { api: "ecr:SetRepositoryPolicy", on: { input: "repository" } },
            { api: "ecr:GetRepositoryPolicy", on: { input: "repository" } },
        ],
        read: [{ api: "ecr:GetRepositoryPolicy", on: { input: "repository" } }],
        update: [
            { api: "ecr:SetRepositoryPolicy", on: { input: "repository" } },
            { api: "ecr:GetRepositoryPolicy", on: { input: "repository" } },
        ],
        delete: [{ api: "ecr:DeleteRepositoryPolicy", on: { input: "repository" } }],
    },

    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
        source: ["internal/service/ecr/lifecycle_policy.go"],
        create: [
            { api: "ecr:PutLifecyclePolicy", on: { input: "repository" } },
            { api: "ecr:GetLifecyclePolicy", on: { input: "repository" } },
        ],
        read: [{ api: "ecr:GetLifecyclePolicy", on: { input: "repository" } }],
        // No U handler: policy and repository force replacement (create + delete).
        update: [],
        delete: [{ api: "ecr:DeleteLifecyclePolicy", on: { input: "repository" } }],
    },

    "aws:ecs/cluster:Cluster": {
        source: ["internal/service/ecs/cluster.go", "internal/service/ecs/tags_gen.go", "internal/service/ecs/service_package_gen.go", TAGS_INTERCEPTOR],
        create: [
            // ECS also tries to create its service-linked role (AWSServiceRoleForECS) on a first CreateCluster; it
            // skips that when the caller lacks iam:CreateServiceLinkedRole, and the provider retries until it exists.
            { api: "ecs:CreateCluster", actions: ["ecs:CreateCluster", "ecs:TagResource"] },
            { api: "iam:CreateServiceLinkedRole", serviceLinkedRole: { service: "ecs.amazonaws.com", roleName: "AWSServiceRoleForECS" } },
            // waitClusterAvailable, then the read (Include TAGS, so no ListTagsForResource).
            { api: "ecs:DescribeClusters" },
        ],
        read: [{ api: "ecs:DescribeClusters" }],
        update: [
            ...ecsTagUpdate,
            // Also when configuration or serviceConnectDefaults changes; followed by waitClusterAvailable.
            { api: "ecs:UpdateCluster", when: "settings" },
            { api: "ecs:DescribeClusters", when: "settings" },
            // The U handler does not re-read, so the interceptor lists the tags.
            { api: "ecs:ListTagsForResource" },
        ],
        delete: [
            { api: "ecs:DeleteCluster" },
            // waitClusterDeleted.
            { api: "ecs:DescribeClusters" },
        ],
    },

    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": {
        source: ["internal/service/ecs/cluster_capacity_providers.go", "internal/service/ecs/cluster.go"],
        create: [
            { api: "ecs:PutClusterCapacityProviders", on: { input: "clusterName" } },
            // waitClusterAvailable, then the read.
            { api: "ecs:DescribeClusters", on: { input: "clusterName" } },
        ],
        read: [{ api: "ecs:DescribeClusters", on: { input: "clusterName" } }],
        update: [
            { api: "ecs:PutClusterCapacityProviders", on: { input: "clusterName" } },
            { api: "ecs:DescribeClusters", on: { input: "clusterName" } },
        ],
        delete: [
            // Puts empty capacityProviders and defaultCapacityProviderStrategies, then waits for the cluster.
            { api: "ecs:PutClusterCapacityProviders", on: { input: "clusterName" } },
            { api: "ecs:DescribeClusters", on: { input: "clusterName" } },
        ],
    },

    "aws:ecs/taskDefinition:TaskDefinition": {
        source: ["internal/service/ecs/task_definition.go", "internal/service/ecs/tags_gen.go", TAGS_INTERCEPTOR],
        create: [
            {
                api: "ecs:RegisterTaskDefinition",
                actions: ["ecs:RegisterTaskDefinition", "ecs:TagResource"],
                passesRoles: { inputs: ["executionRoleArn", "taskRoleArn"], to: "ecs-tasks.amazonaws.com" },
            },
            // Include TAGS: the read sets the tags.
            { api: "ecs:DescribeTaskDefinition" },
        ],
        read: [{ api: "ecs:DescribeTaskDefinition" }],
        // Tags only: every other input forces replacement, i.e. a new revision (create: RegisterTaskDefinition)
        // then the old one deregistered (delete: DeregisterTaskDefinition).
        update: [...ecsTagUpdate, { api: "ecs:DescribeTaskDefinition" }],
        // Deregister only (no DeleteTaskDefinitions in v6); nothing at all with skipDestroy.
        delete: [{ api: "ecs:DeregisterTaskDefinition" }],
    },

    "aws:ecs/service:Service": {
        source: ["internal/service/ecs/service.go", "internal/service/ecs/tags_gen.go", TAGS_INTERCEPTOR],
        create: [
            // Retried while the cluster, the role or the load balancer's listener is not there yet; iamRole is only
            // for services without awsvpc (unset here).
            {
                api: "ecs:CreateService",
                actions: ["ecs:CreateService", "ecs:TagResource"],
                passesRoles: { inputs: ["iamRole"], to: "ecs.amazonaws.com" },
            },
            // waitServiceActive, then the read (Include TAGS).
            { api: "ecs:DescribeServices" },
            // waitServiceStable instead of waitServiceActive.
            { api: "ecs:ListServiceDeployments", when: "waitForSteadyState" },
            { api: "ecs:DescribeServiceDeployments", when: "waitForSteadyState" },
            { api: "ecs:StopServiceDeployment", when: "sigintRollback" },
        ],
        read: [{ api: "ecs:DescribeServices" }],
        update: [
            ...ecsTagUpdate,
            // When any input but tags and forceDelete changes (desiredCount is in ignoreChanges here).
            { api: "ecs:UpdateService" },
            // waitServiceActive, then the read.
            { api: "ecs:DescribeServices" },
            { api: "ecs:ListServiceDeployments", when: "waitForSteadyState" },
            { api: "ecs:DescribeServiceDeployments", when: "waitForSteadyState" },
            { api: "ecs:StopServiceDeployment", when: "sigintRollback" },
        ],
        delete: [
            // Finds the service, drains it (UpdateService desiredCount 0) unless forceDelete, deletes it, then
            // waitServiceInactive.
            { api: "ecs:DescribeServices" },
            { api: "ecs:UpdateService" },
            { api: "ecs:DeleteService" },
        ],
    },
};

export const CONTAINERS_DATA_SOURCES: Record<string, DataSourceCalls> = {
    "aws:ecr/getImage:getImage": {
        source: ["internal/service/ecr/image_data_source.go", "internal/service/ecr/repository.go"],
        read: [
            // Paginated. ImageIds from imageDigest and/or imageTag, RegistryId from registryId (else the caller's
            // account); more than one match is an error unless mostRecent.
            { api: "ecr:DescribeImages", on: { input: "repositoryName" } },
            // For image_uri: RepositoryNames [the image's repositoryName], RegistryId the image's registryId (= the
            // registryId input). Cross-account, so the repository policy must grant it too (registry.ts does).
            { api: "ecr:DescribeRepositories", on: { input: "repositoryName" } },
        ],
    },
    "aws:index/getCallerIdentity:getCallerIdentity": {
        source: ["internal/service/sts/caller_identity_data_source.go"],
        // Needs no permission: "No permissions are required to perform this operation" (STS API reference).
        read: [{ api: "sts:GetCallerIdentity", actions: [] }],
    },
    "aws:index/getPartition:getPartition": {
        source: ["internal/service/meta/partition_data_source.go"],
        // No API call: partition, DNS suffix and reverse DNS prefix come from the configured provider.
        read: [],
    },
    "aws:index/getRegion:getRegion": {
        source: ["internal/service/meta/region_data_source.go"],
        // No API call: the region comes from the provider (or the region input) and the SDK's endpoint tables.
        read: [],
    },
};

/** What the provider itself calls when it is configured (assume role, account check), before any resource. */
export const PROVIDER_CONFIGURE: { source: string[]; calls: ApiCall[] } = {
    source: [
        "internal/conns/config.go",
        "internal/tags/tagpolicy/required_tags.go",
        "hashicorp/aws-sdk-go-base: aws_config.go (GetAwsConfig, GetAwsAccountIDAndPartition)",
        "hashicorp/aws-sdk-go-base: credentials.go (assumeRoleCredentialsProvider)",
        "hashicorp/aws-sdk-go-base: awsauth.go (getAccountIDAndPartition)",
    ],
    calls: [
        // With the base credentials, once per assumeRoles entry (chained). No sts:TagSession / sts:SetSourceIdentity:
        // the project sets no tags, transitiveTagKeys or sourceIdentity.
        { api: "sts:AssumeRole", on: { input: "assumeRoles" }, when: "assumeRoles" },
        // skipCredentialsValidation and skipRequestingAccountId default to false: GetAwsConfig validates the
        // (assumed) credentials and GetAwsAccountIDAndPartition reads the account ID, both with GetCallerIdentity;
        // allowedAccountIds is checked against that account ID. Needs no permission.
        { api: "sts:GetCallerIdentity", actions: [] },
        // Only with skipCredentialsValidation (and not skipRequestingAccountId): iam:GetUser, then
        // sts:GetCallerIdentity, then iam:ListRoles (MaxItems 1), until one yields the account ID.
        { api: "iam:GetUser", when: "skipCredentialsValidation" },
        { api: "iam:ListRoles", when: "skipCredentialsValidation" },
        // Required tag keys of the organization's tag policy (ListRequiredTags, paginated).
        { api: "tag:ListRequiredTags", when: "tagPolicyCompliance" },
    ],
};
