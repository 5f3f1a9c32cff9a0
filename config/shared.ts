import { z } from "zod";
import { accountId, alwaysCheck, awsSchema, ecrRepositoryName, environmentName, HISTORY_TAG_PREFIX, int, uniqueList } from "./common";

/** The shared stack's schemas: the registry, the workload environments, the release gate and its evidence. */

export const registrySchema = z
    .strictObject({
        repositoryName: ecrRepositoryName.default("ecs-loadlab/prime-counter"),
        /** `aws-managed`: KMS with the AWS-managed aws/ecr key; `customer-managed`: a key this stack creates. */
        encryption: z.enum(["aws-managed", "customer-managed"]).default("aws-managed"),
        /** Version tags start with this prefix (the build script tags `sha-<git sha>`). */
        versionTagPrefix: z
            .string()
            .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be a tag prefix: lowercase letters, digits, . _ -")
            .refine(
                (prefix) => !prefix.startsWith(HISTORY_TAG_PREFIX) && !HISTORY_TAG_PREFIX.startsWith(prefix),
                `must not overlap the promotion history prefix "${HISTORY_TAG_PREFIX}": version and history tags are kept by separate lifecycle rules`,
            )
            .default("sha-"),
        untaggedExpiryDays: int(1).default(7),
        versionImagesToKeep: int(1).default(30),
        historyImagesToKeep: int(1).default(20),
    })
    .prefault({});

/** ECR accepts at most this many tag-mutability exclusion filters, and each environment tag needs one. */
const MAX_WORKLOAD_ENVIRONMENTS = 5;

export const workloadEnvironmentsSchema = z
    .array(z.strictObject({ name: environmentName, accountId }), {
        error: (issue) =>
            issue.input === undefined
                ? "is missing: list the workload environments, each { name, accountId }"
                : "must be a list of workload environments, each { name, accountId }",
    })
    .min(1, "must list at least one workload environment")
    .max(
        MAX_WORKLOAD_ENVIRONMENTS,
        `must list at most ${MAX_WORKLOAD_ENVIRONMENTS} environments: each environment tag is one of ECR's at most ${MAX_WORKLOAD_ENVIRONMENTS} tag-mutability exclusions`,
    )
    .superRefine((environments, ctx) => {
        if (!Array.isArray(environments)) return;
        const seen = new Set<string>();
        environments.forEach((environment, index) => {
            if (typeof environment?.name !== "string") return;
            if (seen.has(environment.name)) {
                ctx.addIssue({
                    code: "custom",
                    path: [index, "name"],
                    message: `duplicate environment name "${environment.name}": each environment appears once`,
                    input: environment.name,
                });
            }
            seen.add(environment.name);
        });
    }, alwaysCheck);

/**
 * The release gate and its evidence (docs/release-flow.md): what `npm run promote` asks of a digest before it moves a
 * gated environment's tag, and the shared account's evidence bucket where `npm run loadtest` records verdicts.
 */
const releaseSchema = z
    .strictObject({
        /**
         * Promotion into these environments needs a passing load test, in the environment before it (in the order of
         * `environments`), of the digest promoted. Unset: the last environment, when there are at least two (a new or
         * shipped setup gates prod); `[]` gates nothing. The first environment cannot be gated: nothing comes before it.
         */
        gatedEnvironments: uniqueList(environmentName, "environment").optional(),
        /** A verdict older than this no longer counts for a promotion. */
        verdictMaxAgeHours: int(1).default(168),
        /**
         * Accounts other than this one whose identities may write verdicts (`verdicts/*` in the evidence bucket): those
         * of loadgen stacks in other accounts. The shared account itself writes through IAM and is not listed.
         */
        verdictWriterAccountIds: uniqueList(accountId, "account").default([]),
        /** Replaced or deleted evidence (noncurrent versions) expires this many days later; current objects never do. */
        evidenceNoncurrentDays: int(1).default(90),
    })
    .prefault({});

/** Fails a gated environment that is not one of `environments`, or is the first of them. */
function gatesFollowTheirTestEnvironment(
    config: { release?: { gatedEnvironments?: unknown }; environments?: unknown },
    ctx: z.core.$RefinementCtx,
): void {
    const gated = config?.release?.gatedEnvironments;
    if (!Array.isArray(gated) || !Array.isArray(config.environments)) return;
    const names = config.environments.map((environment: { name?: unknown } | undefined) => environment?.name).filter((name): name is string => typeof name === "string");
    gated.forEach((name: unknown, index) => {
        if (typeof name !== "string") return;
        const path = ["release", "gatedEnvironments", index];
        if (!names.includes(name)) {
            ctx.addIssue({ code: "custom", path, message: `is not one of ecs-loadlab:environments (${names.join(", ")}): gate an environment listed there`, input: name });
        } else if (name === names[0]) {
            ctx.addIssue({
                code: "custom",
                path,
                message: `is the first environment: no environment comes before it to load-test in; gate a later one (environments are listed in promotion order)`,
                input: name,
            });
        }
    });
}

/** Fails a verdict writer that is the shared stack's own account: it writes through IAM, not the bucket policy. */
function writersAreOtherAccounts(config: { release?: { verdictWriterAccountIds?: unknown }; aws?: { accountId?: unknown } }, ctx: z.core.$RefinementCtx): void {
    const writers = config?.release?.verdictWriterAccountIds;
    if (!Array.isArray(writers)) return;
    writers.forEach((writer: unknown, index) => {
        if (writer === config.aws?.accountId) {
            ctx.addIssue({
                code: "custom",
                path: ["release", "verdictWriterAccountIds", index],
                message: "is this stack's own account, whose identities write through IAM: list only the accounts of loadgen stacks elsewhere",
                input: writer,
            });
        }
    });
}

export const sharedStackSchema = z
    .strictObject({
        role: z.literal("shared"),
        aws: awsSchema,
        registry: registrySchema,
        /** The workload environments, in promotion order: their tag names in the registry and the accounts allowed to pull. */
        environments: workloadEnvironmentsSchema,
        release: releaseSchema,
    })
    .superRefine((config, ctx) => {
        const prefix = config?.registry?.versionTagPrefix;
        if (typeof prefix !== "string" || !Array.isArray(config.environments)) return;
        config.environments.forEach((environment, index) => {
            if (typeof environment?.name === "string" && environment.name.startsWith(prefix)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["environments", index, "name"],
                    message: `must not start with the version tag prefix "${prefix}": environment tags move, version tags are immutable`,
                    input: environment.name,
                });
            }
        });
    }, alwaysCheck)
    .superRefine(gatesFollowTheirTestEnvironment, alwaysCheck)
    .superRefine(writersAreOtherAccounts, alwaysCheck)
    .transform(({ release: { gatedEnvironments, ...release }, ...config }) => ({
        ...config,
        release: { gatedEnvironments: gatedEnvironments ?? defaultGatedEnvironments(config.environments), ...release },
    }));

/** With no `release.gatedEnvironments`: the last environment (prod, as shipped), when one comes before it. */
function defaultGatedEnvironments(environments: { name: string }[]): string[] {
    return environments.length >= 2 ? [environments[environments.length - 1].name] : [];
}
