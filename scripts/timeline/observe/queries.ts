/**
 * The metrics `timeline observe` reads: which namespace, metric, dimensions and statistic feed each column of the
 * timeline. The same namespaces and dimensions the stack's alarms, scaling and dashboard use (components/metrics.ts),
 * so the observed timeline shows what the alarms judged, and the service's own metrics by the names it writes them
 * under (service/src/metric-names.ts).
 */
import type { MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { NAMESPACE } from "../../../components/metrics";
import { SERVICE_METRICS, type ServiceMetricKey } from "../../../service/src/metric-names";

/** One series per query; the id is also the GetMetricData query id (a lowercase letter first, then letters and digits). */
export const SERIES_IDS = [
    "cpuAverage",
    "cpuMaximum",
    "runningTasks",
    "desiredTasks",
    "pendingTasks",
    "requests",
    "target5xx",
    "elb500",
    "elb502",
    "elb503",
    "elb504",
    "p50",
    "p99",
    "healthyHosts",
    "answered",
    "shed",
    "errors",
    "queueMax",
    "latencyP50",
    "latencyP99",
] as const;
export type SeriesId = (typeof SERIES_IDS)[number];

/**
 * GetMetricData takes at most 500 queries a call ("as many as 500 different metrics in a single request"):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html. SERIES_IDS stays far
 * below, so every series comes from the one paged call.
 */
export const MAX_QUERIES_PER_CALL = 500;

/** The service and its target group, as the metrics' dimensions name them. */
export interface ObservedService {
    clusterName: string;
    serviceName: string;
    /** `app/<name>/<id>` */
    loadBalancerArnSuffix: string;
    /** `targetgroup/<name>/<id>` */
    targetGroupArnSuffix: string;
}

export interface SeriesQuery {
    id: SeriesId;
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    stat: string;
    /** Which group of metrics it belongs to, for the messages about missing data. */
    source: "ecs" | "containerInsights" | "loadBalancer" | "service";
}

/**
 * Every query, in SERIES_IDS order. The load balancer's metrics follow AWS's page "CloudWatch metrics for your
 * Application Load Balancer" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
 * RequestCount, HTTPCode_Target_5XX_Count, TargetResponseTime and HealthyHostCount are published per target group
 * (LoadBalancer, TargetGroup); the load balancer's own HTTPCode_ELB_500/502/503/504_Count only per load balancer
 * (LoadBalancer, or AvailabilityZone and LoadBalancer), so they are read per load balancer.
 */
export function seriesQueries(service: ObservedService): SeriesQuery[] {
    const ecsService = { ClusterName: service.clusterName, ServiceName: service.serviceName };
    // Per target group, not per load balancer: the environment's load balancer may serve other services too.
    const targetGroup = { LoadBalancer: service.loadBalancerArnSuffix, TargetGroup: service.targetGroupArnSuffix };
    const loadBalancer = { LoadBalancer: service.loadBalancerArnSuffix };
    const ecs = (id: SeriesId, stat: string): SeriesQuery => ({
        id,
        namespace: NAMESPACE.ecs,
        metricName: "CPUUtilization",
        dimensions: ecsService,
        stat,
        source: "ecs",
    });
    // Container Insights publishes the task counts in its own namespace, never in AWS/ECS.
    const tasks = (id: SeriesId, metricName: string): SeriesQuery => ({
        id,
        namespace: NAMESPACE.containerInsights,
        metricName,
        dimensions: ecsService,
        stat: "Average",
        source: "containerInsights",
    });
    const alb = (id: SeriesId, metricName: string, stat: string, dimensions: Record<string, string> = targetGroup): SeriesQuery => ({
        id,
        namespace: NAMESPACE.loadBalancer,
        metricName,
        dimensions,
        stat,
        source: "loadBalancer",
    });
    // Every task writes one line a minute under the same dimensions, so a statistic aggregates over the tasks.
    const own = (id: SeriesId, key: ServiceMetricKey, stat: string): SeriesQuery => ({
        id,
        namespace: NAMESPACE.service,
        metricName: SERVICE_METRICS[key].name,
        dimensions: ecsService,
        stat,
        source: "service",
    });
    return [
        ecs("cpuAverage", "Average"),
        ecs("cpuMaximum", "Maximum"),
        tasks("runningTasks", "RunningTaskCount"),
        tasks("desiredTasks", "DesiredTaskCount"),
        tasks("pendingTasks", "PendingTaskCount"),
        alb("requests", "RequestCount", "Sum"),
        alb("target5xx", "HTTPCode_Target_5XX_Count", "Sum"),
        alb("elb500", "HTTPCode_ELB_500_Count", "Sum", loadBalancer),
        alb("elb502", "HTTPCode_ELB_502_Count", "Sum", loadBalancer),
        alb("elb503", "HTTPCode_ELB_503_Count", "Sum", loadBalancer),
        alb("elb504", "HTTPCode_ELB_504_Count", "Sum", loadBalancer),
        // Seconds; the rows hold milliseconds.
        alb("p50", "TargetResponseTime", "p50"),
        alb("p99", "TargetResponseTime", "p99"),
        // The most targets healthy at any moment of the minute: a rise is a new task taking traffic.
        alb("healthyHosts", "HealthyHostCount", "Maximum"),
        own("answered", "answered", "Sum"),
        own("shed", "shed", "Sum"),
        own("errors", "errors", "Sum"),
        own("queueMax", "queueMax", "Maximum"),
        // Each task's percentile of its own minute. Their Maximum bounds the percentile over all tasks from above (no
        // more than 1 % of any task's requests, so of all of them, took longer than the largest p99); an Average of
        // percentiles is not a percentile of anything, and can fall below the slow task's tail.
        own("latencyP50", "latencyP50", "Maximum"),
        own("latencyP99", "latencyP99", "Maximum"),
    ];
}

/** The queries as GetMetricData takes them, every one returning data at the window's period. */
export function metricDataQueries(queries: readonly SeriesQuery[], periodSeconds: number): MetricDataQuery[] {
    return queries.map((query) => ({
        Id: query.id,
        MetricStat: {
            Metric: {
                Namespace: query.namespace,
                MetricName: query.metricName,
                Dimensions: Object.entries(query.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: periodSeconds,
            Stat: query.stat,
        },
        ReturnData: true,
    }));
}

/** "AWS/ECS CPUUtilization (Average)", for messages. */
export function describeQuery(query: SeriesQuery): string {
    return `${query.namespace} ${query.metricName} (${query.stat})`;
}
