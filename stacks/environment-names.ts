/**
 * What an environment stack names, and what it exports, for the tools that read its service back from AWS
 * (`npm run timeline -- observe`): one place that the stack (./environment.ts) and the tools both use, so a
 * rename in the stack cannot leave a tool reading metrics of a cluster that no longer exists.
 *
 * Names that follow from the stack's config (cluster, service, scalable target) are computed here; names AWS or
 * Pulumi generate (the load balancer's and target group's ARN suffixes, the alarms' auto-names and the ones target
 * tracking creates) are only known after `pulumi up`, so the stack exports them (ENVIRONMENT_OBSERVED_OUTPUTS).
 */
import { z } from "zod";
import type { EnvironmentStackConfig } from "../config";
import { PROJECT } from "../config";

export interface EnvironmentResourceNames {
    /** The ECS cluster: `ecs-loadlab-<environment>`. */
    readonly clusterName: string;
    /** The ECS service: the config's `service.name`. */
    readonly serviceName: string;
    /** Application Auto Scaling's id of the service's desired count: `service/<cluster>/<service>`. */
    readonly scalableResourceId: string;
    /**
     * `<environment>-<service>`: the logical name of the service's scaling, alarms and dashboard components. It
     * names the dashboard, and every alarm the stack creates starts with it (Pulumi adds `-<purpose>-<7 random>`).
     */
    readonly monitoringName: string;
}

export function environmentResourceNames(config: Pick<EnvironmentStackConfig, "environment" | "service">): EnvironmentResourceNames {
    const clusterName = `${PROJECT}-${config.environment.name}`;
    const serviceName = config.service.name;
    return {
        clusterName,
        serviceName,
        scalableResourceId: `service/${clusterName}/${serviceName}`,
        monitoringName: `${config.environment.name}-${config.service.name}`,
    };
}

/**
 * The environment stack's outputs a tool needs to read its service's metrics, scaling activities and alarm history.
 * The stack exports each of them under this name (its EnvironmentStackOutputs extends this shape); a stack deployed
 * before one of them existed lacks it, and the tools say to `pulumi up` it with this checkout.
 */
export const environmentObservedOutputsSchema = z.object({
    clusterName: z.string().min(1),
    serviceName: z.string().min(1),
    /** `app/<name>/<id>`: the LoadBalancer dimension of the ALB's metrics. */
    loadBalancerArnSuffix: z.string().regex(/^app\/[^/\s]+\/[^/\s]+$/, "must be a load balancer's ARN suffix, app/<name>/<id>"),
    /** `targetgroup/<name>/<id>`: the TargetGroup dimension. */
    targetGroupArnSuffix: z.string().regex(/^targetgroup\/[^/\s]+\/[^/\s]+$/, "must be a target group's ARN suffix, targetgroup/<name>/<id>"),
    /** Every alarm of the stack: the scaling alarms (step policies' or target tracking's) and the notifying ones. */
    alarmNames: z.array(z.string().min(1)).min(1, "must list the stack's alarms"),
});

export type EnvironmentObservedOutputs = z.infer<typeof environmentObservedOutputsSchema>;

export const ENVIRONMENT_OBSERVED_OUTPUTS = Object.keys(environmentObservedOutputsSchema.shape) as ReadonlyArray<keyof EnvironmentObservedOutputs>;

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` → `<name>` (an alarm name may itself contain colons). */
export function alarmNameFromArn(arn: string): string {
    const match = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:(.+)$/.exec(arn);
    if (!match) throw new Error(`not a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>): ${arn}`);
    return match[1];
}
