import * as pulumi from "@pulumi/pulumi";

/**
 * Where a service's CloudWatch metrics live, shared by the scaling, alarms and dashboard components so
 * an alarm and the graph that explains it always look at the same metric.
 */
export const NAMESPACE = {
    /** CPUUtilization and MemoryUtilization per service. */
    ecs: "AWS/ECS",
    /** RunningTaskCount and DesiredTaskCount: Container Insights publishes them here, never in AWS/ECS. */
    containerInsights: "ECS/ContainerInsights",
    loadBalancer: "AWS/ApplicationELB",
    /** The service's own metrics (service/src/metric-names.ts), from the EMF lines it logs; custom namespaces may not start with AWS/. */
    service: "ecs-loadlab/Service",
} as const;

/**
 * The names of the service's own metrics in `NAMESPACE.service`, by the keys of `SERVICE_METRICS` in
 * service/src/metric-names.ts. Written out because Pulumi loads this program as CommonJS and the service is an ES
 * module; tests/dashboard.test.ts checks they equal the service's. They carry the AWS/ECS service dimensions,
 * `serviceDimensions(...)`.
 */
export const SERVICE_METRIC_NAMES = {
    answered: "Answered",
    shed: "Shed",
    errors: "Errors",
    queueMax: "QueueMax",
    inFlightMax: "InFlightMax",
    latencyP50: "LatencyP50",
    latencyP99: "LatencyP99",
    latencyMax: "LatencyMax",
} as const;

/** ECS and the ALB publish at 1-minute resolution: every alarm and graph uses that period. */
export const PERIOD_SECONDS = 60;

/** The ECS service the metrics are about. */
export interface ServiceDimensions {
    clusterName: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
}

/** The service's target group behind the shared load balancer. */
export interface TargetGroupDimensions {
    /** The load balancer's `arnSuffix`, `app/<name>/<id>`. */
    loadBalancerArnSuffix: pulumi.Input<string>;
    /** The target group's `arnSuffix`, `targetgroup/<name>/<id>`. */
    targetGroupArnSuffix: pulumi.Input<string>;
}

export function serviceDimensions(service: ServiceDimensions) {
    return { ClusterName: service.clusterName, ServiceName: service.serviceName };
}

/** Per target group rather than per load balancer: the load balancer is shared by every service of the environment. */
export function targetGroupDimensions(targetGroup: TargetGroupDimensions) {
    return { LoadBalancer: targetGroup.loadBalancerArnSuffix, TargetGroup: targetGroup.targetGroupArnSuffix };
}
