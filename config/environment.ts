import { z } from "zod";
import { dnsName, environmentName, fargateTaskSize, int, logRetentionDays, roleCreatingAwsSchema, subnetsFit, vpcShape } from "./common";

/** The environment stack's schemas: the environment, network, domain, load balancer, service, scaling and alarms. */

export const environmentSchema = z.strictObject({
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

export const networkSchema = z
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

export const domainSchema = z
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

export const loadBalancerSchema = z
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

export const healthCheckSchema = z
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

export const serviceSchema = z
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

export const targetTrackingSchema = z.strictObject({
    mode: z.literal("target-tracking"),
    ...capacity,
    metric: z.enum(["cpu", "memory", "requests-per-target"]).default("cpu"),
    /** Utilization % for cpu and memory; requests per target per minute for requests-per-target. */
    targetValue: z.number().gt(0).default(50),
    scaleOutCooldownSeconds: int(0, 3600).default(60),
    scaleInCooldownSeconds: int(0, 3600).default(300),
    disableScaleIn: z.boolean().default(false),
});

export const scalingSchema = z
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

/** Here rather than with the other types in index.ts: scaleInThreshold takes it, and no role file imports index.ts. */
export type StepScalingConfig = z.infer<typeof stepScalingSchema>;

/**
 * Step scaling's scale-in threshold: as configured, else half the scale-out threshold. Removing one of n tasks
 * raises CPU by n / (n − 1), at most twice (2 → 1), so from half the threshold the count never lands back above it.
 */
export function scaleInThreshold(config: Pick<StepScalingConfig, "threshold" | "scaleInThreshold">): number {
    return config.scaleInThreshold ?? config.threshold / 2;
}

export const alarmsSchema = z
    .strictObject({
        /** Address subscribed to the alarm topic; AWS sends it a confirmation mail first. */
        email: z.email("must be an email address").optional(),
        cpuCriticalPercent: z.number().gt(0).max(100).default(90),
        /** Target 5xx responses per minute that count as a breach. */
        target5xxPerMinute: int(1).default(10),
    })
    .prefault({});

export const environmentStackSchema = z
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
