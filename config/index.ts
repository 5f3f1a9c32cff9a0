import * as fs from "node:fs";
import type * as Pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * The whole stack configuration: one zod schema, parsed once per program run.
 * This is the only module that reads Pulumi config; everything else receives typed objects.
 */

export const PROJECT = "ecs-loadlab";

/** Immutable tags the promotion command writes to remember what an environment tag pointed at. */
export const HISTORY_TAG_PREFIX = "history-";

/**
 * IAM names the bootstrap stack and the other stacks agree on. Every role a stack creates lives under IAM_PATH and
 * carries the permissions boundary; the deploy role itself lives outside that path, so it cannot change itself.
 */
export const IAM_NAMES = {
    path: `/${PROJECT}/`,
    deployRole: `${PROJECT}-deploy`,
    /** Reads every resource the stacks create and their metrics, writes nothing: pull-request previews and `timeline observe`. */
    readOnlyRole: `${PROJECT}-read-only`,
    permissionsBoundary: `${PROJECT}-boundary`,
} as const;

/** The roles a bootstrap stack creates in an account, by kind. */
export type BootstrapRoleKind = "deploy" | "read-only";

export const BOOTSTRAP_ROLE_NAMES: Record<BootstrapRoleKind, string> = { deploy: IAM_NAMES.deployRole, "read-only": IAM_NAMES.readOnlyRole };

/** The ARN of a role a bootstrap stack creates in an account (under path `/`, so the roles it fences cannot reach it). */
export const bootstrapRoleArn = (role: BootstrapRoleKind, partition: string, accountId: string) =>
    `arn:${partition}:iam::${accountId}:role/${BOOTSTRAP_ROLE_NAMES[role]}`;

/** Every S3 bucket a stack creates starts with this, so the deploy role's S3 permissions can name them. */
export const BUCKET_PREFIX = `${PROJECT}-`;

/** Every log group a stack creates starts with one of these (tasks, flow logs), for the same reason. */
export const LOG_GROUP_PREFIXES = { tasks: `/ecs/${PROJECT}/`, flowLogs: `/vpc/${PROJECT}/` } as const;

const CLOUDWATCH_LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Fargate task sizes: cpu units → allowed memory (MiB). */
const FARGATE_MEMORY_BY_CPU: Record<number, readonly number[]> = {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
    const values: number[] = [];
    for (let v = from; v <= to; v += step) values.push(v);
    return values;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
    z.number().int(`must be a whole number`).min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`);

/** A list in which no value appears twice; the problem names the first repeated one. */
const uniqueList = <T extends z.ZodType>(item: T, what: string) =>
    z.array(item).superRefine((items, ctx) => {
        const duplicates = items.filter((value, index) => items.indexOf(value) !== index);
        if (duplicates.length > 0) {
            ctx.addIssue({ code: "custom", message: `lists ${what} ${JSON.stringify(duplicates[0])} twice`, input: items });
        }
    });

const accountId = z
    .string({ error: 'must be a 12-digit AWS account id written as a quoted string, e.g. "111111111111"' })
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id written as a quoted string, e.g. "111111111111"');

const environmentName = z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,29}$/, "must be lowercase letters, digits and dashes, starting with a letter (≤ 30 chars)")
    .refine((name) => !name.startsWith(HISTORY_TAG_PREFIX), `must not start with "${HISTORY_TAG_PREFIX}" (reserved for promotion history tags)`);

const logRetentionDays = z
    .number()
    .refine((days) => (CLOUDWATCH_LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be a CloudWatch Logs retention period: one of ${CLOUDWATCH_LOG_RETENTION_DAYS.join(", ")}`,
    });

const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "must be an AWS region code such as eu-west-1");

/** Fails a config whose ARN is not in the stack's own account. */
function inAccount(ctx: z.core.$RefinementCtx, key: string, arn: string | undefined, accountId: string): void {
    if (arn && arn.split(":")[4] !== accountId) {
        ctx.addIssue({ code: "custom", path: [key], message: `must be in the stack's account ${accountId}`, input: arn });
    }
}

const awsSchema = z
    .strictObject({
        region,
        accountId,
        /** Role the deployment assumes in the stack's account (the bootstrap stack's `deployRoleArn` output); omit to use the ambient credentials as they are. */
        deployRoleArn: z
            .string()
            .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN, arn:aws:iam::<account>:role/<name>")
            .optional(),
        /**
         * The policy every IAM role the stack creates carries as its permissions boundary (the bootstrap stack's
         * `permissionsBoundaryArn` output): the deploy role may only create roles that carry it.
         */
        permissionsBoundaryArn: z
            .string()
            .regex(/^arn:aws[a-z-]*:iam::\d{12}:policy\/[\w+=,.@/-]+$/, "must be an IAM policy ARN, arn:aws:iam::<account>:policy/<path><name>")
            .optional(),
    })
    .superRefine((aws, ctx) => {
        inAccount(ctx, "deployRoleArn", aws.deployRoleArn, aws.accountId);
        inAccount(ctx, "permissionsBoundaryArn", aws.permissionsBoundaryArn, aws.accountId);
    });

/** The `aws` section of a stack that creates IAM roles: with a deploy role, it must name the boundary those roles carry. */
const roleCreatingAwsSchema = awsSchema.superRefine((aws, ctx) => {
    if (aws.deployRoleArn && !aws.permissionsBoundaryArn) {
        ctx.addIssue({
            code: "custom",
            path: ["permissionsBoundaryArn"],
            message:
                "is missing: the deploy role may only create IAM roles that carry the bootstrap's permissions boundary; set it to the bootstrap stack's permissionsBoundaryArn output",
            input: undefined,
        });
    }
});

/** Fails a task size Fargate does not offer, naming the key to change. */
function fargateTaskSize(size: { cpu: number; memory: number }, ctx: z.core.$RefinementCtx): void {
    const allowed = FARGATE_MEMORY_BY_CPU[size.cpu];
    if (!allowed) {
        ctx.addIssue({
            code: "custom",
            path: ["cpu"],
            message: `must be a Fargate cpu size: one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(", ")}`,
            input: size.cpu,
        });
    } else if (!allowed.includes(size.memory)) {
        ctx.addIssue({
            code: "custom",
            path: ["memory"],
            message: `is not allowed with cpu ${size.cpu} on Fargate: use one of ${allowed.join(", ")}`,
            input: size.memory,
        });
    }
}

// ---------------------------------------------------------------- shared stack

const ecrRepositoryName = z
    .string()
    .regex(
        /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
        "must be an ECR repository name: lowercase letters, digits, and . _ - / separators",
    );

const registrySchema = z
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

/**
 * Cross-field checks also run when other fields already have problems (zod skips them by default), so one run
 * reports everything; they must then only look at values of the right shape.
 */
const alwaysCheck = { when: () => true };

const workloadEnvironmentsSchema = z
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

const sharedStackSchema = z
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

// ---------------------------------------------------------------- environment stack

const environmentSchema = z.strictObject({
    name: environmentName,
    /** Fully qualified name of the shared stack, `<org>/ecs-loadlab/shared`. */
    sharedStack: z
        .string()
        .regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, "must be a fully qualified stack name, <organization>/<project>/<stack>"),
    /** Registry tag this environment deploys; defaults to the environment's name. */
    imageTag: z.string().regex(/^[\w][\w.-]{0,127}$/, "must be a valid image tag").optional(),
    /** Pins the image to a digest instead of resolving the tag (rollback, hotfix). */
    imageDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/, "must be sha256: followed by 64 lowercase hex digits").optional(),
});

/** The VPC every network has: its address space, availability zones, subnet size and flow logs. */
const vpcShape = {
    cidrBlock: z.string().default("10.0.0.0/16"),
    availabilityZones: int(2, 6).default(2),
    /** Prefix length of each subnet carved from cidrBlock. */
    subnetPrefixLength: int(16, 28).default(20),
    flowLogs: z
        .strictObject({ enabled: z.boolean().default(true), retentionDays: logRetentionDays.default(90) })
        .prefault({}),
};

/** Fails a cidrBlock that is malformed or cannot hold `subnetsPerAz` (`kinds`) subnets in every availability zone. */
function subnetsFit(subnetsPerAz: number, kinds: string) {
    return (network: { cidrBlock: string; availabilityZones: number; subnetPrefixLength: number }, ctx: z.core.$RefinementCtx): void => {
        const prefix = parseCidr(network.cidrBlock);
        if (prefix === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["cidrBlock"],
                message: "must be an IPv4 CIDR block such as 10.0.0.0/16, with no host bits set",
                input: network.cidrBlock,
            });
            return;
        }
        if (prefix < 16 || prefix > 28) {
            ctx.addIssue({ code: "custom", path: ["cidrBlock"], message: "a VPC's prefix length must be /16 to /28", input: network.cidrBlock });
            return;
        }
        const subnets = subnetsPerAz * network.availabilityZones;
        const available = network.subnetPrefixLength >= prefix ? 2 ** (network.subnetPrefixLength - prefix) : 0;
        if (available < subnets) {
            ctx.addIssue({
                code: "custom",
                path: ["cidrBlock"],
                message: `is too small: ${subnets} subnets (${kinds} in ${network.availabilityZones} AZs) of /${network.subnetPrefixLength} need at least a /${network.subnetPrefixLength - Math.ceil(Math.log2(subnets))}`,
                input: network.cidrBlock,
            });
        }
    };
}

const networkSchema = z
    .strictObject({
        ...vpcShape,
        // No "None": without interface endpoints, tasks in private subnets reach ECR and CloudWatch Logs only through NAT.
        natGateways: z
            .enum(["Single", "OnePerAz"], {
                error: 'must be "Single" or "OnePerAz": the tasks run in private subnets and pull their image through NAT',
            })
            .default("Single"),
    })
    .prefault({})
    .superRefine(subnetsFit(2, "public and private"));

/** Prefix length of a well-formed IPv4 CIDR without host bits, or undefined. */
function parseCidr(cidr: string): number | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!match) return undefined;
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const hostBits = 2 ** (32 - prefix);
    return address % hostBits === 0 ? prefix : undefined;
}

const dnsName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lowercase DNS name");

const domainSchema = z
    .strictObject({
        /** The service's public name, e.g. dev.example.com. */
        name: dnsName,
        /** An existing public Route 53 hosted zone the name lives in; it is looked up, never created. */
        hostedZone: dnsName,
    })
    .superRefine((domain, ctx) => {
        if (domain.name !== domain.hostedZone && !domain.name.endsWith(`.${domain.hostedZone}`)) {
            ctx.addIssue({
                code: "custom",
                path: ["name"],
                message: `must be ${domain.hostedZone} or a name under it: the certificate is validated in that hosted zone`,
                input: domain.name,
            });
        }
    });

const loadBalancerSchema = z
    .strictObject({
        deletionProtection: z.boolean().default(true),
        idleTimeoutSeconds: int(1, 4000).default(60),
        /** Priority of this service's listener rule, so several services can share the load balancer. */
        listenerRulePriority: int(1, 50000).default(100),
        /** The default (TLS 1.2 with AES-GCM ciphers only) is on Security Hub ELB.17's list; ELBSecurityPolicy-TLS13-1-2-2021-06 no longer is. */
        sslPolicy: z
            .string()
            .regex(/^ELBSecurityPolicy-TLS13-/, "must be a TLS 1.3 policy, e.g. ELBSecurityPolicy-TLS13-1-2-Res-2021-06")
            .default("ELBSecurityPolicy-TLS13-1-2-Res-2021-06"),
        accessLogs: z
            .strictObject({ enabled: z.boolean().default(true), expireAfterDays: int(1).default(90) })
            .prefault({}),
    })
    .prefault({});

const healthCheckSchema = z
    .strictObject({
        path: z.string().regex(/^\/\S*$/, "must be an absolute path").default("/api/health"),
        intervalSeconds: int(5, 300).default(15),
        timeoutSeconds: int(2, 120).default(5),
        healthyThreshold: int(2, 10).default(2),
        unhealthyThreshold: int(2, 10).default(5),
    })
    .prefault({})
    .superRefine((check, ctx) => {
        if (check.timeoutSeconds >= check.intervalSeconds) {
            ctx.addIssue({
                code: "custom",
                path: ["timeoutSeconds"],
                message: `must be less than intervalSeconds (${check.intervalSeconds})`,
                input: check.timeoutSeconds,
            });
        }
    });

const serviceSchema = z
    .strictObject({
        name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "must be lowercase letters, digits and dashes (≤ 32 chars)").default("prime-counter"),
        containerPort: int(1024, 65535).default(8000),
        cpu: int(256).default(256),
        memory: int(512).default(512),
        /** Initial task count only: autoscaling owns the desired count after creation. */
        desiredCount: int(1).default(1),
        /** Prime-counting worker threads per task; unset = one per vCPU the task sees. */
        workers: int(1, 64).optional(),
        healthCheckGracePeriodSeconds: int(0, 7200).default(60),
        deregistrationDelaySeconds: int(0, 3600).default(30),
        /** SIGTERM to SIGKILL; the service drains for 5 s less. */
        stopTimeoutSeconds: int(6, 120).default(30),
        logRetentionDays: logRetentionDays.default(30),
        healthCheck: healthCheckSchema,
    })
    .prefault({})
    .superRefine(fargateTaskSize);

const capacity = {
    minCapacity: int(1).default(1),
    maxCapacity: int(1).default(4),
};

const stepScalingSchema = z.strictObject({
    mode: z.literal("step"),
    ...capacity,
    statistic: z.enum(["Average", "Maximum"]).default("Average"),
    /** CPU % at and above which a task is added. */
    threshold: z.number().gt(0).lt(100).default(40),
    /**
     * CPU % below which a task is removed; unset = half the threshold. Between the two nothing changes: without that
     * band a steady load between n and n+1 tasks' worth scales out and in forever (see scaleInThreshold()).
     */
    scaleInThreshold: z.number().gt(0).lt(100).optional(),
    /** CPU % above which the steeper scale-out applies. */
    upperThreshold: z.number().gt(0).lt(100).default(70),
    scaleInAdjustment: int(-100, -1).default(-1),
    scaleOutAdjustment: int(1, 100).default(1),
    steepScaleOutAdjustment: int(1, 100).default(2),
    cooldownSeconds: int(0, 3600).default(60),
    scaleOutEvaluationPeriods: int(1, 60).default(1),
    scaleInEvaluationPeriods: int(1, 60).default(3),
});

const targetTrackingSchema = z.strictObject({
    mode: z.literal("target-tracking"),
    ...capacity,
    metric: z.enum(["cpu", "memory", "requests-per-target"]).default("cpu"),
    /** Utilization % for cpu and memory; requests per target per minute for requests-per-target. */
    targetValue: z.number().gt(0).default(50),
    scaleOutCooldownSeconds: int(0, 3600).default(60),
    scaleInCooldownSeconds: int(0, 3600).default(300),
    disableScaleIn: z.boolean().default(false),
});

const scalingSchema = z
    .discriminatedUnion("mode", [stepScalingSchema, targetTrackingSchema], {
        error: 'must be "step" or "target-tracking"',
    })
    .prefault({ mode: "step" })
    .superRefine((scaling, ctx) => {
        if (scaling.minCapacity > scaling.maxCapacity) {
            ctx.addIssue({
                code: "custom",
                path: ["minCapacity"],
                message: `must be ≤ maxCapacity (${scaling.maxCapacity})`,
                input: scaling.minCapacity,
            });
        }
        if (scaling.mode === "step") {
            if (scaling.threshold >= scaling.upperThreshold) {
                ctx.addIssue({
                    code: "custom",
                    path: ["threshold"],
                    message: `must be below upperThreshold (${scaling.upperThreshold})`,
                    input: scaling.threshold,
                });
            }
            if (scaling.scaleInThreshold !== undefined && scaling.scaleInThreshold >= scaling.threshold) {
                ctx.addIssue({
                    code: "custom",
                    path: ["scaleInThreshold"],
                    message: `must be below threshold (${scaling.threshold}): the CPU between them is where the task count rests`,
                    input: scaling.scaleInThreshold,
                });
            }
            if (scaling.steepScaleOutAdjustment < scaling.scaleOutAdjustment) {
                ctx.addIssue({
                    code: "custom",
                    path: ["steepScaleOutAdjustment"],
                    message: `must be ≥ scaleOutAdjustment (${scaling.scaleOutAdjustment})`,
                    input: scaling.steepScaleOutAdjustment,
                });
            }
        } else if (scaling.metric !== "requests-per-target" && (scaling.targetValue < 1 || scaling.targetValue > 100)) {
            ctx.addIssue({
                code: "custom",
                path: ["targetValue"],
                message: `is a utilization percentage for metric "${scaling.metric}": must be within 1–100`,
                input: scaling.targetValue,
            });
        }
    });

/**
 * Step scaling's scale-in threshold: as configured, else half the scale-out threshold. Removing one of n tasks
 * raises CPU by n / (n − 1), at most twice (2 → 1), so from half the threshold the count never lands back above it.
 */
export function scaleInThreshold(config: Pick<StepScalingConfig, "threshold" | "scaleInThreshold">): number {
    return config.scaleInThreshold ?? config.threshold / 2;
}

const alarmsSchema = z
    .strictObject({
        /** Address subscribed to the alarm topic; AWS sends it a confirmation mail first. */
        email: z.email("must be an email address").optional(),
        cpuCriticalPercent: z.number().gt(0).max(100).default(90),
        /** Target 5xx responses per minute that count as a breach. */
        target5xxPerMinute: int(1).default(10),
    })
    .prefault({});

const environmentStackSchema = z
    .strictObject({
        role: z.literal("environment"),
        aws: roleCreatingAwsSchema,
        environment: environmentSchema,
        network: networkSchema,
        domain: domainSchema,
        loadBalancer: loadBalancerSchema,
        service: serviceSchema,
        scaling: scalingSchema,
        alarms: alarmsSchema,
    })
    .superRefine((config, ctx) => {
        const { minCapacity, maxCapacity } = config.scaling;
        if (config.service.desiredCount < minCapacity || config.service.desiredCount > maxCapacity) {
            ctx.addIssue({
                code: "custom",
                path: ["service", "desiredCount"],
                message: `must be within scaling.minCapacity..maxCapacity (${minCapacity}..${maxCapacity})`,
                input: config.service.desiredCount,
            });
        }
    });

// ---------------------------------------------------------------- loadgen stack

/** Public subnets only and no NAT: each task gets a public IP from RunTask and reaches its target directly. */
const publicNetworkSchema = z.strictObject(vpcShape).prefault({}).superRefine(subnetsFit(1, "public"));

const loadgenSchema = z
    .strictObject({
        network: publicNetworkSchema,
        /** One k6 runner's task size; one task is one execution segment. */
        task: z.strictObject({ cpu: int(256).default(1024), memory: int(512).default(2048) }).prefault({}).superRefine(fargateTaskSize),
        logRetentionDays: logRetentionDays.default(30),
        /** A run's objects (manifest, archive, results) expire this many days after they are written. */
        resultRetentionDays: int(1).default(30),
        /** Runner images beyond the newest this many expire from the stack's repository. */
        runnerImagesToKeep: int(1).default(10),
    })
    .prefault({});

const loadgenStackSchema = z.strictObject({
    role: z.literal("loadgen"),
    aws: roleCreatingAwsSchema,
    loadgen: loadgenSchema,
});

// ---------------------------------------------------------------- bootstrap stack

/** The stack roles that deploy through a bootstrapped account's deploy role. */
export const DEPLOYED_STACK_ROLES = ["shared", "environment", "loadgen"] as const;
export type DeployedStackRole = (typeof DEPLOYED_STACK_ROLES)[number];

const githubTrustSchema = z
    .strictObject({
        /** `<owner>/<repository>` whose workflows may assume the deploy role. */
        repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/, "must be <owner>/<repository>, e.g. my-org/ecs-loadlab"),
        /** Jobs that name one of these GitHub environments (OIDC `sub` = `repo:<repository>:environment:<name>`). */
        environments: uniqueList(z.string().regex(/^[\w.-]{1,255}$/, "must be a GitHub environment name"), "environment").default([]),
        /** Jobs on pushes to these branches that name no environment (`sub` = `repo:<repository>:ref:refs/heads/<branch>`). */
        branches: uniqueList(z.string().regex(/^[\w./-]+$/, "must be a branch name"), "branch").default([]),
        /** Pull-request jobs (`sub` = `repo:<repository>:pull_request`): previews, trusted by the read-only role only. Forks get no token. */
        pullRequests: z.boolean().default(false),
        /** The account's existing GitHub OIDC provider, when it has one (an account holds one per URL); omit to create it. */
        oidcProviderArn: z
            .string()
            .regex(
                /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
                "must be the ARN of the account's GitHub OIDC provider, arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
            )
            .optional(),
    })
    .superRefine((github, ctx) => {
        if (github.environments.length === 0 && github.branches.length === 0 && !github.pullRequests) {
            ctx.addIssue({
                code: "custom",
                message: "trusts no workflow: list environments or branches, or set pullRequests: true (or remove github)",
                input: github,
            });
        }
    });

const stateBackendSchema = z.strictObject({
    /** The account that holds the state bucket and key; the bootstrap of that account creates them. */
    accountId,
    region,
    /** Holder only: the accounts whose deploy role may read and write the state (CI deploys each stack with its own account's role). */
    sharedWith: uniqueList(accountId, "account").default([]),
});

const bootstrapSchema = z
    .strictObject({
        /** The stacks this account hosts: the deploy role gets what those stacks need, and nothing else. */
        stackRoles: uniqueList(z.enum(DEPLOYED_STACK_ROLES, { error: `must be one of ${DEPLOYED_STACK_ROLES.join(", ")}` }), "stack role").min(
            1,
            `must list the stack roles this account hosts: ${DEPLOYED_STACK_ROLES.join(", ")}`,
        ),
        /** People and tools that may assume the deploy role: IAM role or user ARNs (SSO permission-set roles included). */
        trustedPrincipals: uniqueList(
            z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, "must be an IAM role or user ARN"),
            "principal",
        ).default([]),
        github: githubTrustSchema.optional(),
        /** environment: the public hosted zones its domains live in (certificate validation and the alias record). */
        hostedZones: uniqueList(dnsName, "hosted zone").default([]),
        /** shared and environment: the registry's account and repository (managed and pushed to / read by digest). */
        registry: z.strictObject({ accountId, repositoryName: ecrRepositoryName }).optional(),
        /** A self-managed Pulumi state backend (S3 bucket + KMS key); omit with Pulumi Cloud. */
        stateBackend: stateBackendSchema.optional(),
    })
    .superRefine((bootstrap, ctx) => {
        if (bootstrap.trustedPrincipals.length === 0 && !bootstrap.github) {
            ctx.addIssue({
                code: "custom",
                path: ["trustedPrincipals"],
                message: "nobody could assume the deploy role: list trustedPrincipals, or configure github",
                input: bootstrap.trustedPrincipals,
            });
        }
        const roles: readonly string[] = bootstrap.stackRoles;
        if (roles.includes("environment") && bootstrap.hostedZones.length === 0) {
            ctx.addIssue({
                code: "custom",
                path: ["hostedZones"],
                message: "must list the hosted zones of the environment stacks' domains (their domain.hostedZone)",
                input: bootstrap.hostedZones,
            });
        }
        if ((roles.includes("environment") || roles.includes("shared")) && !bootstrap.registry) {
            ctx.addIssue({
                code: "custom",
                path: ["registry"],
                message: "is missing: set { accountId, repositoryName } of the shared stack's registry",
                input: bootstrap.registry,
            });
        }
    }, alwaysCheck);

const bootstrapStackSchema = z
    .strictObject({
        role: z.literal("bootstrap"),
        // No deploy role: the bootstrap creates it, run by someone with administrator rights in the account.
        aws: z.strictObject({ region, accountId }),
        bootstrap: bootstrapSchema,
    })
    .superRefine((config, ctx) => {
        const { accountId: account } = config.aws;
        if (config.bootstrap.registry && config.bootstrap.stackRoles.includes("shared") && config.bootstrap.registry.accountId !== account) {
            ctx.addIssue({
                code: "custom",
                path: ["bootstrap", "registry", "accountId"],
                message: `must be this account (${account}): the shared stack deploys the registry here`,
                input: config.bootstrap.registry.accountId,
            });
        }
        const backend = config.bootstrap.stateBackend;
        if (backend && backend.accountId === account && backend.region !== config.aws.region) {
            ctx.addIssue({
                code: "custom",
                path: ["bootstrap", "stateBackend", "region"],
                message: `must be this stack's region (${config.aws.region}): the bootstrap creates the state backend there`,
                input: backend.region,
            });
        }
        if (backend && backend.accountId !== account && backend.sharedWith.length > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["bootstrap", "stateBackend", "sharedWith"],
                message: `belongs in the bootstrap of the state's own account (${backend.accountId}), which grants the access`,
                input: backend.sharedWith,
            });
        }
        for (const principal of config.bootstrap.trustedPrincipals) {
            if (principal.endsWith(`:role/${IAM_NAMES.deployRole}`)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["bootstrap", "trustedPrincipals"],
                    message: "must not name a deploy role: CI reaches the deploy role through github, people through their own roles",
                    input: principal,
                });
            }
        }
    });

const STACK_SCHEMAS = [sharedStackSchema, environmentStackSchema, loadgenStackSchema, bootstrapStackSchema] as const;
/** Each schema's `role` literal (the shared stack's schema is a pipe: its object fills in release defaults). */
const STACK_ROLES = STACK_SCHEMAS.map((schema) => ("in" in schema ? schema.in : schema).shape.role.value);

const stackConfigSchema = z.discriminatedUnion("role", STACK_SCHEMAS, {
    error: (issue) =>
        (issue.input as { role?: unknown } | undefined)?.role === undefined
            ? `is missing: set ${PROJECT}:role to one of ${STACK_ROLES.map((role) => `"${role}"`).join(", ")}`
            : `must be one of ${STACK_ROLES.map((role) => `"${role}"`).join(", ")}`,
});

export type AwsConfig = z.infer<typeof awsSchema>;
export type RegistryConfig = z.infer<typeof registrySchema>;
export type WorkloadEnvironment = z.infer<typeof workloadEnvironmentsSchema>[number];
export type SharedStackConfig = z.infer<typeof sharedStackSchema>;
export type ReleaseConfig = SharedStackConfig["release"];
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type DomainConfig = z.infer<typeof domainSchema>;
export type LoadBalancerConfig = z.infer<typeof loadBalancerSchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type ScalingConfig = z.infer<typeof scalingSchema>;
export type StepScalingConfig = z.infer<typeof stepScalingSchema>;
export type TargetTrackingConfig = z.infer<typeof targetTrackingSchema>;
export type AlarmsConfig = z.infer<typeof alarmsSchema>;
export type EnvironmentStackConfig = z.infer<typeof environmentStackSchema>;
export type PublicNetworkConfig = z.infer<typeof publicNetworkSchema>;
export type LoadgenTaskConfig = z.infer<typeof loadgenSchema>["task"];
export type LoadgenConfig = z.infer<typeof loadgenSchema>;
export type LoadgenStackConfig = z.infer<typeof loadgenStackSchema>;
export type GithubTrustConfig = z.infer<typeof githubTrustSchema>;
export type StateBackendConfig = z.infer<typeof stateBackendSchema>;
export type BootstrapConfig = z.infer<typeof bootstrapSchema>;
export type BootstrapStackConfig = z.infer<typeof bootstrapStackSchema>;
export type StackConfig = z.infer<typeof stackConfigSchema>;

/** A stack configuration that does not validate; the message lists every problem, one per line. */
export class ConfigError extends Error {
    constructor(readonly problems: string[], source: string) {
        super(`Invalid stack configuration (${source}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

function describeInput(input: unknown): string {
    if (input === undefined) return "nothing";
    const json = JSON.stringify(input);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
    // A discriminated union that matched no branch reports the whole object as its input: show the discriminator's value.
    if (issue.code === "invalid_union" && "discriminator" in issue && typeof issue.discriminator === "string") {
        issue = { ...issue, input: (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator] };
    }
    const path = [PROJECT, ...issue.path.map(String)].join(".").replace(/\.(\d+)(?=\.|$)/g, "[$1]");
    const keyPath = (key: string) => `${path}.${key}`.replace(`${PROJECT}.`, `${PROJECT}:`);
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => `${keyPath(key)}: unknown key; remove it or check its spelling and section`);
    }
    const shown = path.replace(`${PROJECT}.`, `${PROJECT}:`);
    return [`${shown}: ${issue.message} (given: ${describeInput(issue.input)})`];
}

/**
 * Validates raw stack config (keys without the `ecs-loadlab:` namespace) and applies defaults.
 * Throws a ConfigError naming every problem at once, before any resource exists.
 */
export function parseStackConfig(raw: Record<string, unknown>, source = "stack config"): StackConfig {
    const result = stackConfigSchema.safeParse(raw, { reportInput: true });
    if (!result.success) throw new ConfigError(result.error.issues.flatMap(formatIssue), source);
    return result.data;
}

/** Reads and validates a stack file such as Pulumi.dev.yaml (tests, command-line tools). */
export function loadStackConfigFile(path: string): StackConfig {
    const document = parseYaml(fs.readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
    return parseStackConfig(projectKeys(document?.config ?? {}, (value) => value), path);
}

/** Reads and validates the running Pulumi stack's config. */
export function loadStackConfig(): StackConfig {
    // Required here rather than imported: the command-line tools read stack files through this module, and loading the
    // Pulumi runtime would double their start-up time (`timeline simulate` must answer within 2 s).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require("@pulumi/pulumi") as typeof Pulumi;
    // Objects arrive JSON-encoded; plain strings (the role) arrive as they are.
    const decode = (value: unknown) => (typeof value === "string" && /^[[{]/.test(value) ? JSON.parse(value) : value);
    return parseStackConfig(projectKeys(pulumi.runtime.allConfig(), decode), `stack ${pulumi.getStack()}`);
}

/**
 * The environment variable that picks which bootstrap role the stack's provider assumes: `deploy` (the default, the
 * stack file's `aws.deployRoleArn`) or `read-only` (the account's `ecs-loadlab-read-only`, for pull-request previews:
 * the stack files stay as they are, and the preview can read everything and change nothing).
 */
export const PROVIDER_ROLE_VARIABLE = "ECS_LOADLAB_PROVIDER_ROLE";

const PROVIDER_ROLES = ["deploy", "read-only"] as const;

/** The role ARN the stack's provider assumes, or undefined for the ambient credentials as they are. */
export function providerRoleArn(aws: AwsConfig, env: Record<string, string | undefined> = process.env): string | undefined {
    const wanted = env[PROVIDER_ROLE_VARIABLE] || "deploy";
    const source = `environment variable ${PROVIDER_ROLE_VARIABLE}`;
    if (!(PROVIDER_ROLES as readonly string[]).includes(wanted)) {
        throw new ConfigError([`${PROVIDER_ROLE_VARIABLE}: must be one of ${PROVIDER_ROLES.join(", ")}, or unset for deploy (given: ${JSON.stringify(wanted)})`], source);
    }
    if (wanted === "deploy" || aws.deployRoleArn === undefined) {
        if (wanted === "read-only") {
            throw new ConfigError(
                [`${PROVIDER_ROLE_VARIABLE}=read-only: the stack file names no aws.deployRoleArn, so there is no bootstrapped account to find the read-only role in; unset ${PROVIDER_ROLE_VARIABLE} to use your own credentials`],
                source,
            );
        }
        return aws.deployRoleArn;
    }
    return bootstrapRoleArn("read-only", aws.deployRoleArn.split(":")[1], aws.accountId);
}

function projectKeys(config: Record<string, unknown>, decode: (value: unknown) => unknown): Record<string, unknown> {
    const prefix = `${PROJECT}:`;
    return Object.fromEntries(
        Object.entries(config)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), decode(value)]),
    );
}

/**
 * Whether a documented key such as `ecs-loadlab:aws.permissionsBoundaryArn` (list items as `[0]` or not at all)
 * exists in the schema of some stack role: the docs' instructions are checked against it.
 */
export function isConfigKey(key: string): boolean {
    const prefix = `${PROJECT}:`;
    if (!key.startsWith(prefix)) return false;
    const path = key.slice(prefix.length).replace(/\[\d+\]/g, "").split(".");
    return schemaHasPath(stackConfigSchema, path);
}

function schemaHasPath(schema: z.core.$ZodType, path: string[]): boolean {
    const def = schema._zod.def;
    switch (def.type) {
        case "optional":
        case "default":
        case "prefault":
        case "nullable":
            return schemaHasPath((def as z.core.$ZodOptionalDef).innerType, path);
        case "array":
            return schemaHasPath((def as z.core.$ZodArrayDef).element, path);
        case "union":
            return (def as z.core.$ZodUnionDef).options.some((option) => schemaHasPath(option, path));
        case "pipe":
            return schemaHasPath((def as z.core.$ZodPipeDef).in, path);
        case "object": {
            if (path.length === 0) return true;
            const field = (def as z.core.$ZodObjectDef).shape[path[0]];
            return field !== undefined && schemaHasPath(field, path.slice(1));
        }
        default:
            return path.length === 0;
    }
}
