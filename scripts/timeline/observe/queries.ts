/**
 * The metrics `timeline observe` reads: which namespace, metric, dimensions and statistic feed each column of the
 * timeline. The same namespaces and dimensions the stack's alarms, scaling and dashboard use (components/metrics.ts),
 * so the observed timeline shows what the alarms judged.
 */
import type { MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { NAMESPACE } from "../../../components/metrics";

/** One series per query; the id is also the GetMetricData query id (a lowercase letter first, then letters and digits). */
export const SERIES_IDS = [
    "cpuAverage",
    "cpuMaximum",
    "runningTasks",
    "desiredTasks",
    "pendingTasks",
    "requests",
    "target5xx",
    "p50",
    "p99",
    "healthyHosts",
] as const;
export type SeriesId = (typeof SERIES_IDS)[number];

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
    source: "ecs" | "containerInsights" | "loadBalancer";
}

/** Every query, in SERIES_IDS order. */
export function seriesQueries(service: ObservedService): SeriesQuery[] {
    const ecsService = { ClusterName: service.clusterName, ServiceName: service.serviceName };
    // Per target group, not per load balancer: the environment's load balancer may serve other services too.
    const targetGroup = { LoadBalancer: service.loadBalancerArnSuffix, TargetGroup: service.targetGroupArnSuffix };
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
    const alb = (id: SeriesId, metricName: string, stat: string): SeriesQuery => ({
        id,
        namespace: NAMESPACE.loadBalancer,
        metricName,
        dimensions: targetGroup,
        stat,
        source: "loadBalancer",
    });
    return [
        ecs("cpuAverage", "Average"),
        ecs("cpuMaximum", "Maximum"),
        tasks("runningTasks", "RunningTaskCount"),
        tasks("desiredTasks", "DesiredTaskCount"),
        tasks("pendingTasks", "PendingTaskCount"),
        alb("requests", "RequestCount", "Sum"),
        alb("target5xx", "HTTPCode_Target_5XX_Count", "Sum"),
        // Seconds; the rows hold milliseconds.
        alb("p50", "TargetResponseTime", "p50"),
        alb("p99", "TargetResponseTime", "p99"),
        // The most targets healthy at any moment of the minute: a rise is a new task taking traffic.
        alb("healthyHosts", "HealthyHostCount", "Maximum"),
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
