import * as pulumi from "@pulumi/pulumi";
import { EnvironmentStackConfig, parseStackConfig } from "../config";
import { accountProvider } from "../components/provider";
import { ServiceDimensions, TargetGroupDimensions } from "../components/metrics";

/**
 * One environment (dev, account 222222222222, eu-west-1) with its service's real-looking names, shared by
 * the scaling, alarms and dashboard tests so every variant is built for the same environment.
 */

export const CLUSTER_NAME = "ecs-loadlab-dev";
export const SERVICE_NAME = "prime-counter";
export const LOAD_BALANCER_ARN_SUFFIX = "app/dev-alb/0123456789abcdef";
export const TARGET_GROUP_ARN_SUFFIX = "targetgroup/prime-counter-1a2b3c4/0123456789abcdef";
export const ACCOUNT_ID = "222222222222";
export const REGION = "eu-west-1";

/** As the environment stack passes them: outputs of the cluster, service, load balancer and target group. */
export const SERVICE: ServiceDimensions = { clusterName: pulumi.output(CLUSTER_NAME), serviceName: pulumi.output(SERVICE_NAME) };
export const TARGET_GROUP: TargetGroupDimensions = {
    loadBalancerArnSuffix: pulumi.output(LOAD_BALANCER_ARN_SUFFIX),
    targetGroupArnSuffix: pulumi.output(TARGET_GROUP_ARN_SUFFIX),
};

/** A valid raw environment config (keys without the `ecs-loadlab:` namespace); tests replace sections. */
export function rawEnvironmentConfig(sections: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        role: "environment",
        aws: {
            region: REGION,
            accountId: ACCOUNT_ID,
            deployRoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/ecs-loadlab-deploy`,
            permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT_ID}:policy/ecs-loadlab/ecs-loadlab-boundary`,
        },
        environment: { name: "dev", sharedStack: "my-org/ecs-loadlab/shared" },
        domain: { name: "dev.loadlab.example.com", hostedZone: "loadlab.example.com" },
        service: { desiredCount: 1 },
        scaling: { mode: "step", minCapacity: 1, maxCapacity: 4 },
        alarms: { email: "oncall@example.com" },
        ...sections,
    };
}

export function environmentConfig(sections: Record<string, unknown> = {}): EnvironmentStackConfig {
    const config = parseStackConfig(rawEnvironmentConfig(sections));
    if (config.role !== "environment") throw new Error("fixture must be an environment stack");
    return config;
}

export function devProvider(config: EnvironmentStackConfig = environmentConfig()) {
    return accountProvider("dev", { aws: config.aws, role: config.environment.name });
}
