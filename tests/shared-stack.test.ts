import * as assert from "node:assert/strict";
import { HISTORY_TAG_PREFIX, parseStackConfig, SharedStackConfig, StackConfig } from "../config";
import { accountProvider } from "../components/provider";
import { Registry } from "../components/registry";
import { buildSharedStack, SharedStackOutputs } from "../stacks/shared";
import { evidenceBucketName } from "../stacks/shared-names";
import { expiredDigests, Image, LifecyclePolicy, lifecyclePolicyProblems } from "./ecr-lifecycle";
import { loadSharedConfig } from "./environment-fixtures";
import { build, mocks, RecordedResource, SHARED_STACK_OUTPUTS, useMocks, valueOf } from "./mocks";

const REPOSITORY = "aws:ecr/repository:Repository";
const REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy";
const LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy";
const KMS_KEY = "aws:kms/key:Key";
const KMS_ALIAS = "aws:kms/alias:Alias";
const S3 = {
    bucket: "aws:s3/bucket:Bucket",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
} as const;

function asShared(config: StackConfig): SharedStackConfig {
    if (config.role !== "shared") throw new Error(`expected a shared stack config, got role ${config.role}`);
    return config;
}

const shipped = () => loadSharedConfig("Pulumi.shared.yaml");

/** `arn:aws:iam::<account>:root` of each workload account of a shared stack config, each once, in order. */
const workloadAccountRoots = (config: SharedStackConfig) =>
    [...new Set(config.environments.map((environment) => environment.accountId))].map((account) => `arn:aws:iam::${account}:root`);

const withCustomerManagedKey = (config: SharedStackConfig): SharedStackConfig => ({
    ...config,
    registry: { ...config.registry, encryption: "customer-managed" },
});

function parsedInput<T>(resource: RecordedResource, key: string): T {
    const value = resource.inputs[key];
    assert.equal(typeof value, "string", `${resource.name}.${key} should be a JSON string`);
    return JSON.parse(value as string) as T;
}

const lifecyclePolicy = () => parsedInput<LifecyclePolicy>(mocks.one(LIFECYCLE_POLICY), "policy");

/** `urn:pulumi:<stack>::<project>::pulumi:providers:aws::<name>::<id>` → its type, name and id. */
function providerOf(reference: string | undefined): { type: string; name: string; id: string } {
    const parts = (reference ?? "").split("::");
    return { type: parts[2], name: parts[3], id: parts[4] };
}

async function exportedValues(outputs: SharedStackOutputs): Promise<Record<string, unknown>> {
    return Object.fromEntries(await Promise.all(Object.entries(outputs).map(async ([key, value]) => [key, await valueOf(value)])));
}

/**
 * A repository after many releases, the oldest images being the ones the environments still run:
 * environment j runs image j; the next historyImagesToKeep + 5 images carry the last environment's history tags;
 * every image has a version tag, one per day; plus one untagged image just past the expiry and one just before it.
 * Returns the images and the digests the policy must expire, worked out from the rules' intent.
 */
function releaseHistory(config: SharedStackConfig): { images: Image[]; mustExpire: string[]; environmentDigests: string[] } {
    const { versionTagPrefix, versionImagesToKeep, historyImagesToKeep, untaggedExpiryDays } = config.registry;
    const environments = config.environments.map((environment) => environment.name);
    const historyEnd = environments.length + historyImagesToKeep + 5;
    const count = historyEnd + 5 + versionImagesToKeep;
    const digest = (index: number) => `sha256:${String(index).padStart(64, "0")}`;
    const images: Image[] = Array.from({ length: count }, (_, index) => ({
        digest: digest(index),
        ageDays: count - index,
        tags: [
            `${versionTagPrefix}${index}`,
            ...(index < environments.length ? [environments[index]] : []),
            ...(index >= environments.length && index < historyEnd ? [`${HISTORY_TAG_PREFIX}${environments.at(-1)}-20250101T0000${index}Z`] : []),
        ],
    }));
    images.push(
        { digest: "sha256:untagged-old", tags: [], ageDays: untaggedExpiryDays + 1 },
        { digest: "sha256:untagged-new", tags: [], ageDays: untaggedExpiryDays - 1 },
    );
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, offset) => digest(from + offset));
    return {
        images,
        environmentDigests: range(0, environments.length),
        mustExpire: [
            // History images beyond the newest historyImagesToKeep.
            ...range(environments.length, environments.length + 5),
            // Version-only images beyond the newest versionImagesToKeep.
            ...range(historyEnd, historyEnd + 5),
            "sha256:untagged-old",
        ],
    };
}

function assertExpiresExactlyWhatItShould(policy: LifecyclePolicy, config: SharedStackConfig): void {
    assert.deepEqual(lifecyclePolicyProblems(policy), []);
    const { images, mustExpire } = releaseHistory(config);
    assert.deepEqual([...expiredDigests(policy, images)].sort(), [...mustExpire].sort());
}

describe("shared stack", () => {
    before(useMocks);
    beforeEach(() => mocks.reset());

    describe("as shipped in Pulumi.shared.yaml", () => {
        let outputs: SharedStackOutputs;
        beforeEach(async () => {
            outputs = await build(() => buildSharedStack(shipped()));
        });

        it("creates the provider, the registry component and its repository, pull policy and lifecycle policy (no key), and the evidence bucket", () => {
            assert.deepEqual(mocks.resources.map((resource) => resource.type).sort(), [
                LIFECYCLE_POLICY,
                REPOSITORY,
                REPOSITORY_POLICY,
                S3.bucket,
                S3.lifecycle,
                S3.ownership,
                S3.policy,
                S3.publicAccessBlock,
                S3.encryption,
                S3.versioning,
                "ecs-loadlab:registry:Registry",
                "ecs-loadlab:release:EvidenceBucket",
                "pulumi:providers:aws",
            ]);
        });

        it("pins the provider to the registry account and region, assuming the deploy role, with default tags", () => {
            const { region, accountId } = shipped().aws;
            const provider = mocks.one("pulumi:providers:aws");
            assert.equal(provider.name, "shared");
            assert.equal(provider.inputs.region, region);
            assert.deepEqual(provider.inputs.allowedAccountIds, [accountId]);
            assert.deepEqual(provider.inputs.assumeRoles, [
                { roleArn: `arn:aws:iam::${accountId}:role/ecs-loadlab-deploy`, sessionName: "ecs-loadlab-test" },
            ]);
            assert.deepEqual(provider.inputs.defaultTags, {
                tags: { Project: "ecs-loadlab", Stack: "test", Role: "shared", ManagedBy: "pulumi" },
            });
        });

        it("manages every aws resource and data source through that provider", () => {
            const provider = mocks.one("pulumi:providers:aws");
            const managed = [
                ...mocks.resources.filter((resource) => resource.type.startsWith("aws:")).map((r) => ({ what: r.type, provider: r.provider })),
                ...mocks.calls.filter((call) => call.token.startsWith("aws:")).map((c) => ({ what: c.token, provider: c.provider })),
            ];
            assert.ok(managed.length >= 4, "the stack should have aws resources and data sources to check");
            for (const { what, provider: reference } of managed) {
                assert.deepEqual(providerOf(reference), { type: "pulumi:providers:aws", name: provider.name, id: provider.id }, what);
            }
        });

        it("applies the pull and lifecycle policies to the repository it creates", () => {
            const repository = mocks.one(REPOSITORY);
            assert.equal(mocks.one(REPOSITORY_POLICY).inputs.repository, repository.id);
            assert.equal(mocks.one(LIFECYCLE_POLICY).inputs.repository, repository.id);
        });

        it("creates the configured repository, scanned on push, encrypted by KMS with the AWS-managed key", () => {
            const repository = mocks.one(REPOSITORY);
            assert.equal(repository.inputs.name, "ecs-loadlab/prime-counter");
            assert.deepEqual(repository.inputs.imageScanningConfiguration, { scanOnPush: true });
            assert.deepEqual(repository.inputs.encryptionConfigurations, [{ encryptionType: "KMS" }]);
            assert.equal(repository.inputs.forceDelete, undefined, "deleting the stack must not delete images");
        });

        it("keeps every tag immutable except exactly the environment tags", () => {
            const repository = mocks.one(REPOSITORY);
            assert.equal(repository.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
            assert.deepEqual(repository.inputs.imageTagMutabilityExclusionFilters, [
                { filter: "dev", filterType: "WILDCARD" },
                { filter: "staging", filterType: "WILDCARD" },
                { filter: "prod", filterType: "WILDCARD" },
            ]);
        });

        it("lets exactly the workload accounts pull and describe images, nothing more", () => {
            assert.deepEqual(parsedInput(mocks.one(REPOSITORY_POLICY), "policy"), {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "WorkloadAccountsPull",
                        Effect: "Allow",
                        Principal: { AWS: workloadAccountRoots(shipped()) },
                        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages", "ecr:DescribeRepositories"],
                    },
                ],
            });
        });

        it("orders the lifecycle rules: each environment tag alone first, then each environment's history, versions, untagged", () => {
            const keep = (rulePriority: number, description: string, pattern: string, countNumber: number) => ({
                rulePriority,
                description,
                selection: { tagStatus: "tagged", tagPatternList: [pattern], countType: "imageCountMoreThan", countNumber },
                action: { type: "expire" },
            });
            assert.deepEqual(lifecyclePolicy(), {
                rules: [
                    keep(1, 'Never expire the image the "dev" environment tag points at', "dev", 1),
                    keep(2, 'Never expire the image the "staging" environment tag points at', "staging", 1),
                    keep(3, 'Never expire the image the "prod" environment tag points at', "prod", 1),
                    keep(4, 'Keep the newest 20 promotion history images of "dev"', "history-dev-*", 20),
                    keep(5, 'Keep the newest 20 promotion history images of "staging"', "history-staging-*", 20),
                    keep(6, 'Keep the newest 20 promotion history images of "prod"', "history-prod-*", 20),
                    keep(7, "Keep the newest 30 version images", "sha-*", 30),
                    {
                        rulePriority: 8,
                        description: "Expire untagged images 7 days after push",
                        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
                        action: { type: "expire" },
                    },
                ],
            });
        });

        it("never expires an image an environment runs, even the oldest, and expires the rest as configured", () => {
            assertExpiresExactlyWhatItShould(lifecyclePolicy(), shipped());
        });

        it("keeps prod's rollback target however many times dev is promoted after it", () => {
            const { historyImagesToKeep } = shipped().registry;
            const prodRollbackTarget: Image = { digest: "sha256:prod-previous", tags: ["sha-old", "history-prod-20250101T000000Z"], ageDays: 400 };
            const busyDev: Image[] = Array.from({ length: historyImagesToKeep * 3 }, (_, index) => ({
                digest: `sha256:dev-previous-${index}`,
                tags: [`sha-dev-${index}`, `history-dev-2025020${index % 10}T0000${String(index).padStart(2, "0")}Z`],
                ageDays: 300 - index,
            }));
            const expired = expiredDigests(lifecyclePolicy(), [prodRollbackTarget, ...busyDev]);
            assert.equal(expired.has(prodRollbackTarget.digest), false);
            assert.equal(expired.size, busyDev.length - historyImagesToKeep, "dev keeps only its newest history images");
        });

        it("would lose the environments' images with the protecting rules ordered last, or combined in one rule", () => {
            // The model above can fail: the same rules in a wrong order, or with ANDed patterns, expire running images.
            const policy = lifecyclePolicy();
            const { images, environmentDigests } = releaseHistory(shipped());
            const environmentRules = policy.rules.slice(0, 3);
            const otherRules = policy.rules.slice(3);

            const protectingLast = [...otherRules, ...environmentRules].map((rule, index) => ({ ...rule, rulePriority: index + 1 }));
            const expiredWhenLast = expiredDigests({ rules: protectingLast }, images);
            assert.ok(environmentDigests.every((digest) => expiredWhenLast.has(digest)));

            const combined = {
                ...environmentRules[0],
                selection: { ...environmentRules[0].selection, tagPatternList: ["dev", "staging", "prod"] },
            };
            const expiredWhenCombined = expiredDigests({ rules: [combined, ...otherRules] }, images);
            assert.ok(environmentDigests.every((digest) => expiredWhenCombined.has(digest)));
        });

        it("exports the registry account, region, repository name and URL environment stacks read, plus ARN and tags", async () => {
            const { region, accountId } = shipped().aws;
            const exported = await exportedValues(outputs);
            const { repositoryArn, environmentTags, evidenceBucketName: _evidence, ...contract } = exported;
            // What the mocks' StackReference hands the environment stacks, with this file's values.
            assert.deepEqual(Object.keys(contract).sort(), Object.keys(SHARED_STACK_OUTPUTS).sort());
            assert.deepEqual(contract, {
                registryAccountId: accountId,
                registryRegion: region,
                repositoryName: "ecs-loadlab/prime-counter",
                repositoryUrl: `${accountId}.dkr.ecr.${region}.amazonaws.com/ecs-loadlab/prime-counter`,
            });
            assert.equal(repositoryArn, `arn:aws:ecr:${region}:${accountId}:repository/ecs-loadlab/prime-counter`);
            assert.deepEqual(environmentTags, ["dev", "staging", "prod"]);
        });
    });

    describe("the release evidence bucket, as shipped", () => {
        let outputs: SharedStackOutputs;
        beforeEach(async () => {
            outputs = await build(() => buildSharedStack(shipped()));
        });

        const evidenceBucket = () => mocks.one(S3.bucket);
        /** Every configuration resource of the bucket names it by its id. */
        const configurationOf = (type: string) => {
            const configuration = mocks.one(type);
            assert.equal(configuration.inputs.bucket, evidenceBucket().id, `${type} is the evidence bucket's`);
            return configuration;
        };

        it("is named ecs-loadlab-evidence-<account>-<region>, as the tools compute it, and is exported", async () => {
            const { accountId, region } = shipped().aws;
            assert.equal(evidenceBucket().inputs.bucket, evidenceBucketName(accountId, region));
            assert.equal(evidenceBucket().inputs.bucket, `ecs-loadlab-evidence-${accountId}-${region}`);
            assert.equal(await valueOf(outputs.evidenceBucketName), `ecs-loadlab-evidence-${accountId}-${region}`);
        });

        it("is not emptied by pulumi destroy, and keeps every replaced or deleted version for evidenceNoncurrentDays", () => {
            assert.equal(evidenceBucket().inputs.forceDestroy, false);
            assert.deepEqual(configurationOf(S3.versioning).inputs.versioningConfiguration, { status: "Enabled" });
            assert.deepEqual(configurationOf(S3.lifecycle).inputs.rules, [
                {
                    id: "expire-replaced-evidence",
                    status: "Enabled",
                    filter: {},
                    noncurrentVersionExpiration: { noncurrentDays: shipped().release.evidenceNoncurrentDays },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ]);
        });

        it("is private: public access blocked, ACLs off, SSE-S3", () => {
            const block = configurationOf(S3.publicAccessBlock).inputs;
            for (const setting of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block[setting], true, setting);
            assert.deepEqual(configurationOf(S3.ownership).inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
            assert.deepEqual(configurationOf(S3.encryption).inputs.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
        });

        it("denies every request without TLS and, with no writer accounts configured, grants nothing else", () => {
            const bucket = evidenceBucket().state.arn as string;
            assert.deepEqual(shipped().release.verdictWriterAccountIds, [], "the shipped loadgen stack is in the shared account");
            assert.deepEqual(parsedInput(configurationOf(S3.policy), "policy"), {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "DenyInsecureTransport",
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [bucket, `${bucket}/*`],
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                ],
            });
        });
    });

    describe("the release evidence bucket, with verdict writer accounts", () => {
        const writers = ["555555555555", "666666666666"];
        beforeEach(async () => {
            const config = shipped();
            await build(() => buildSharedStack({ ...config, release: { ...config.release, verdictWriterAccountIds: writers, evidenceNoncurrentDays: 30 } }));
        });

        it("lets each writer account put objects under verdicts/ and nothing else", () => {
            const bucket = mocks.one(S3.bucket).state.arn as string;
            const policy = parsedInput<{ Statement: Record<string, unknown>[] }>(mocks.one(S3.policy), "policy");
            assert.deepEqual(
                policy.Statement.map((statement) => statement.Sid),
                ["DenyInsecureTransport", "VerdictWriterAccounts"],
            );
            assert.deepEqual(policy.Statement[1], {
                Sid: "VerdictWriterAccounts",
                Effect: "Allow",
                Principal: { AWS: writers.map((account) => `arn:aws:iam::${account}:root`) },
                Action: "s3:PutObject",
                Resource: `${bucket}/verdicts/*`,
            });
        });

        it("expires replaced versions after the configured days", () => {
            assert.equal((mocks.one(S3.lifecycle).inputs.rules as { noncurrentVersionExpiration: { noncurrentDays: number } }[])[0].noncurrentVersionExpiration.noncurrentDays, 30);
        });
    });

    describe("with a customer-managed key", () => {
        beforeEach(async () => {
            await build(() => buildSharedStack(withCustomerManagedKey(shipped())));
        });

        it("encrypts the repository with its own rotated key", () => {
            const key = mocks.one(KMS_KEY);
            assert.equal(key.inputs.enableKeyRotation, true);
            assert.equal(key.inputs.deletionWindowInDays, 30);
            const { region, accountId } = shipped().aws;
            assert.match(key.state.arn, new RegExp(`^arn:aws:kms:${region}:${accountId}:key/[0-9a-f-]{36}$`));
            assert.deepEqual(mocks.one(REPOSITORY).inputs.encryptionConfigurations, [{ encryptionType: "KMS", kmsKey: key.state.arn }]);
        });

        it("names the key after the repository", () => {
            const alias = mocks.one(KMS_ALIAS);
            assert.equal(alias.inputs.name, "alias/ecs-loadlab/prime-counter");
            assert.equal(alias.inputs.targetKeyId, mocks.one(KMS_KEY).id);
        });

        it("lets the registry account administer the key and the workload accounts decrypt only through ECR", () => {
            const config = shipped();
            assert.deepEqual(parsedInput(mocks.one(KMS_KEY), "policy"), {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "RegistryAccountAdministers",
                        Effect: "Allow",
                        Principal: { AWS: [`arn:aws:iam::${config.aws.accountId}:root`] },
                        Action: "kms:*",
                        Resource: "*",
                    },
                    {
                        Sid: "WorkloadAccountsDecryptThroughEcr",
                        Effect: "Allow",
                        Principal: { AWS: workloadAccountRoots(config) },
                        Action: ["kms:Decrypt", "kms:DescribeKey"],
                        Resource: "*",
                        Condition: { StringEquals: { "kms:ViaService": `ecr.${config.aws.region}.amazonaws.com` } },
                    },
                ],
            });
        });

        it("manages the key and its alias through the stack's provider too", () => {
            const provider = mocks.one("pulumi:providers:aws");
            for (const type of [KMS_KEY, KMS_ALIAS]) {
                assert.deepEqual(providerOf(mocks.one(type).provider), { type: "pulumi:providers:aws", name: provider.name, id: provider.id });
            }
        });
    });

    describe("registry component", () => {
        it("creates the repository and the key as its children", async () => {
            const config = withCustomerManagedKey(shipped());
            const registry = new Registry("images", {
                registry: config.registry,
                environments: config.environments,
                region: config.aws.region,
                accountId: config.aws.accountId,
                provider: accountProvider("images-provider", { aws: config.aws, role: "shared" }),
            });
            const urns = [await valueOf(registry.repository.urn), await valueOf(registry.encryptionKey!.urn)];
            assert.deepEqual(urns, [
                "urn:pulumi:test::ecs-loadlab::ecs-loadlab:registry:Registry$aws:ecr/repository:Repository::images",
                "urn:pulumi:test::ecs-loadlab::ecs-loadlab:registry:Registry$aws:kms/key:Key::images-key",
            ]);
        });
    });

    describe("with other environments, accounts and retention", () => {
        const config = asShared(
            parseStackConfig({
                role: "shared",
                aws: { region: "us-east-1", accountId: "123456789012" },
                registry: { versionTagPrefix: "v", untaggedExpiryDays: 2, versionImagesToKeep: 5, historyImagesToKeep: 3 },
                environments: [
                    { name: "qa", accountId: "555555555555" },
                    { name: "live", accountId: "555555555555" },
                ],
            }),
        );
        let outputs: SharedStackOutputs;
        beforeEach(async () => {
            outputs = await build(() => buildSharedStack(config));
        });

        it("has no deploy role to assume when none is configured", () => {
            const provider = mocks.one("pulumi:providers:aws");
            assert.equal(provider.inputs.assumeRoles, undefined);
            assert.deepEqual(provider.inputs.allowedAccountIds, ["123456789012"]);
            assert.equal(provider.inputs.region, "us-east-1");
        });

        it("names an account shared by two environments once", () => {
            const policy = parsedInput<{ Statement: { Principal: { AWS: string[] } }[] }>(mocks.one(REPOSITORY_POLICY), "policy");
            assert.deepEqual(policy.Statement[0].Principal.AWS, ["arn:aws:iam::555555555555:root"]);
        });

        it("moves only the configured environment tags", () => {
            assert.deepEqual(mocks.one(REPOSITORY).inputs.imageTagMutabilityExclusionFilters, [
                { filter: "qa", filterType: "WILDCARD" },
                { filter: "live", filterType: "WILDCARD" },
            ]);
        });

        it("builds the lifecycle rules from the configured tags and numbers", () => {
            const rules = lifecyclePolicy().rules;
            assert.deepEqual(
                rules.map((rule) => [rule.rulePriority, rule.selection.tagPatternList ?? rule.selection.tagStatus, rule.selection.countNumber]),
                [
                    [1, ["qa"], 1],
                    [2, ["live"], 1],
                    [3, ["history-qa-*"], 3],
                    [4, ["history-live-*"], 3],
                    [5, ["v*"], 5],
                    [6, "untagged", 2],
                ],
            );
            assertExpiresExactlyWhatItShould(lifecyclePolicy(), config);
        });

        it("defaults the repository to the service's and exports it in the configured region and account", async () => {
            const { repositoryName, repositoryUrl, registryAccountId, registryRegion } = await exportedValues(outputs);
            assert.deepEqual(
                { repositoryName, repositoryUrl, registryAccountId, registryRegion },
                {
                    repositoryName: "ecs-loadlab/prime-counter",
                    repositoryUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/ecs-loadlab/prime-counter",
                    registryAccountId: "123456789012",
                    registryRegion: "us-east-1",
                },
            );
        });
    });
});
