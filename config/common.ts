import { z } from "zod";

/** What several stack roles share: the project's names, the `aws` section, and the schemas and checks their sections are built from. */

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

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
    z.number().int(`must be a whole number`).min(min, `must be ≥ ${min}`).max(max, `must be ≤ ${max}`);

/** A list in which no value appears twice; the problem names the first repeated one. */
export const uniqueList = <T extends z.ZodType>(item: T, what: string) =>
    z.array(item).superRefine((items, ctx) => {
        const duplicates = items.filter((value, index) => items.indexOf(value) !== index);
        if (duplicates.length > 0) {
            ctx.addIssue({ code: "custom", message: `lists ${what} ${JSON.stringify(duplicates[0])} twice`, input: items });
        }
    });

export const accountId = z
    .string({ error: 'must be a 12-digit AWS account id written as a quoted string, e.g. "111111111111"' })
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id written as a quoted string, e.g. "111111111111"');

export const environmentName = z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,29}$/, "must be lowercase letters, digits and dashes, starting with a letter (≤ 30 chars)")
    .refine((name) => !name.startsWith(HISTORY_TAG_PREFIX), `must not start with "${HISTORY_TAG_PREFIX}" (reserved for promotion history tags)`);

export const logRetentionDays = z
    .number()
    .refine((days) => (CLOUDWATCH_LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be a CloudWatch Logs retention period: one of ${CLOUDWATCH_LOG_RETENTION_DAYS.join(", ")}`,
    });

export const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "must be an AWS region code such as eu-west-1");

/** Fails a config whose ARN is not in the stack's own account. */
function inAccount(ctx: z.core.$RefinementCtx, key: string, arn: string | undefined, accountId: string): void {
    if (arn && arn.split(":")[4] !== accountId) {
        ctx.addIssue({ code: "custom", path: [key], message: `must be in the stack's account ${accountId}`, input: arn });
    }
}

export const awsSchema = z
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
export const roleCreatingAwsSchema = awsSchema.superRefine((aws, ctx) => {
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
export function fargateTaskSize(size: { cpu: number; memory: number }, ctx: z.core.$RefinementCtx): void {
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

export const ecrRepositoryName = z
    .string()
    .regex(
        /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
        "must be an ECR repository name: lowercase letters, digits, and . _ - / separators",
    );

/**
 * Cross-field checks also run when other fields already have problems (zod skips them by default), so one run
 * reports everything; they must then only look at values of the right shape.
 */
export const alwaysCheck = { when: () => true };

/** The VPC every network has: its address space, availability zones, subnet size and flow logs. */
export const vpcShape = {
    cidrBlock: z.string().default("10.0.0.0/16"),
    availabilityZones: int(2, 6).default(2),
    /** Prefix length of each subnet carved from cidrBlock. */
    subnetPrefixLength: int(16, 28).default(20),
    flowLogs: z
        .strictObject({ enabled: z.boolean().default(true), retentionDays: logRetentionDays.default(90) })
        .prefault({}),
};

/** Fails a cidrBlock that is malformed or cannot hold `subnetsPerAz` (`kinds`) subnets in every availability zone. */
export function subnetsFit(subnetsPerAz: number, kinds: string) {
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

export const dnsName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lowercase DNS name");
