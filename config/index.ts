import * as fs from "node:fs";
import type * as Pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { awsSchema, bootstrapRoleArn, PROJECT } from "./common";
import { registrySchema, sharedStackSchema, workloadEnvironmentsSchema } from "./shared";
import {
    alarmsSchema,
    domainSchema,
    environmentSchema,
    environmentStackSchema,
    healthCheckSchema,
    loadBalancerSchema,
    networkSchema,
    scalingSchema,
    serviceSchema,
    targetTrackingSchema,
} from "./environment";
import { loadgenSchema, loadgenStackSchema, publicNetworkSchema } from "./loadgen";
import { bootstrapSchema, bootstrapStackSchema, githubTrustSchema, stateBackendSchema } from "./bootstrap";

/**
 * The whole stack configuration: one zod schema, parsed once per program run.
 * This is the only module that reads Pulumi config; everything else receives typed objects.
 *
 * The schemas live beside this file, one file per stack role (shared.ts, environment.ts, loadgen.ts, bootstrap.ts),
 * with what several roles share in common.ts; this file joins them into that one schema and parses it.
 */

export {
    BOOTSTRAP_ROLE_NAMES,
    type BootstrapRoleKind,
    bootstrapRoleArn,
    BUCKET_PREFIX,
    HISTORY_TAG_PREFIX,
    IAM_NAMES,
    LOG_GROUP_PREFIXES,
    PROJECT,
} from "./common";
export { scaleInThreshold, type StepScalingConfig } from "./environment";
export { DEPLOYED_STACK_ROLES, type DeployedStackRole } from "./bootstrap";

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
