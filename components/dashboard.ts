import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    NAMESPACE,
    PERIOD_SECONDS,
    SERVICE_METRIC_NAMES,
    ServiceDimensions,
    TargetGroupDimensions,
    serviceDimensions,
    targetGroupDimensions,
} from "./metrics";

/** A horizontal line on a graph: a threshold a policy or an alarm acts on. */
export interface ThresholdLine {
    label: string;
    value: number;
}

/** Threshold lines by the graph they belong on. */
export interface GraphThresholds {
    cpu?: ThresholdLine[];
    tasks?: ThresholdLine[];
    target5xx?: ThresholdLine[];
}

/** What a component shows on the dashboard: its thresholds as lines, its alarms in an alarm widget. */
export interface DashboardContribution {
    thresholds: GraphThresholds;
    alarmArns: pulumi.Input<string[]>;
}

export interface ServiceDashboardArgs {
    service: ServiceDimensions;
    targetGroup: TargetGroupDimensions;
    /** The Autoscaling component: its thresholds and capacity, its scaling alarms. */
    scaling: DashboardContribution;
    /** The ServiceAlarms component: its thresholds, its notifying alarms. */
    alarms: DashboardContribution;
    provider: aws.Provider;
}

/** `[namespace, metric, dimension, value, ..., rendering]`, the dashboard body's metric line. */
export type MetricLine = [string, string, ...(string | MetricRendering)[]];

export interface MetricRendering {
    stat: string;
    label: string;
    /** Draw this metric against the widget's right axis (`yAxis.right`); the left one without it. */
    yAxis?: "right";
}

/** One vertical axis of a graph. */
export interface YAxis {
    min: number;
    max?: number;
    label: string;
    showUnits: false;
}

export interface MetricWidget {
    type: "metric";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: {
        title: string;
        region: string;
        view: "timeSeries";
        stacked: false;
        period: number;
        metrics: MetricLine[];
        /** `right` only on a graph with a metric rendered `yAxis: "right"`. */
        yAxis: { left: YAxis; right?: YAxis };
        annotations?: { horizontal: ThresholdLine[] };
    };
}

export interface AlarmWidget {
    type: "alarm";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: { title: string; alarms: string[]; sortBy: "stateUpdatedTimestamp" };
}

export type Widget = MetricWidget | AlarmWidget;

export interface DashboardBody {
    widgets: Widget[];
}

type Placed<W extends Widget> = Omit<W, "x" | "y" | "width">;

/**
 * The environment's CloudWatch dashboard, the page to watch during a load test: CPU against the scaling
 * thresholds, tasks running against desired, requests, latency, 5xx, the alarms, and what the service itself
 * reports (`NAMESPACE.service`): requests answered, shed and failed, its latency and its longest queue.
 */
export class ServiceDashboard extends pulumi.ComponentResource {
    /** The dashboard in the CloudWatch console. */
    readonly url: pulumi.Output<string>;
    readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: ServiceDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:dashboard:ServiceDashboard", name, {}, opts);
        const { provider } = args;
        const region = aws.getRegionOutput({}, { parent: this, provider }).region;

        const body = pulumi
            .all([
                region,
                pulumi.output(serviceDimensions(args.service)),
                pulumi.output(targetGroupDimensions(args.targetGroup)),
                pulumi.output(args.alarms.alarmArns),
                pulumi.output(args.scaling.alarmArns),
            ])
            .apply(([region, service, targetGroup, alarmArns, scalingAlarmArns]) =>
                JSON.stringify(
                    dashboardBody({
                        region,
                        service,
                        targetGroup,
                        alarmArns,
                        scalingAlarmArns,
                        thresholds: mergeThresholds(args.scaling.thresholds, args.alarms.thresholds),
                    }),
                ),
            );

        const dashboard = new aws.cloudwatch.Dashboard(name, { dashboardName: name, dashboardBody: body }, { parent: this, provider });
        this.dashboardName = dashboard.dashboardName;
        this.url = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboard.dashboardName}`;
        this.registerOutputs({ url: this.url, dashboardName: this.dashboardName });
    }
}

interface BodyInputs {
    region: string;
    service: Record<string, string>;
    targetGroup: { LoadBalancer: string; TargetGroup: string };
    alarmArns: string[];
    scalingAlarmArns: string[];
    thresholds: Required<GraphThresholds>;
}

function dashboardBody({ region, service, targetGroup, alarmArns, scalingAlarmArns, thresholds }: BodyInputs): DashboardBody {
    const graph = (
        title: string,
        yAxis: MetricWidget["properties"]["yAxis"],
        metrics: MetricLine[],
        lines: ThresholdLine[] = [],
    ): Placed<MetricWidget> => ({
        type: "metric",
        height: 6,
        properties: {
            title,
            region,
            view: "timeSeries",
            stacked: false,
            period: PERIOD_SECONDS,
            metrics,
            yAxis,
            ...(lines.length > 0 ? { annotations: { horizontal: lines } } : {}),
        },
    });
    const alarmList = (title: string, alarms: string[]): Placed<AlarmWidget> => ({
        type: "alarm",
        height: 3,
        properties: { title, alarms, sortBy: "stateUpdatedTimestamp" },
    });

    return {
        widgets: layOut([
            [
                alarmList("Alarms (notify the SNS topic)", alarmArns),
                // Target tracking reports its alarms once AWS has created them; an alarm widget needs at least one.
                ...(scalingAlarmArns.length > 0 ? [alarmList("Scaling alarms (drive the scaling policies)", scalingAlarmArns)] : []),
            ],
            [
                graph(
                    "CPU utilization: average and maximum (%)",
                    { left: { min: 0, max: 100, label: "%", showUnits: false } },
                    [
                        metric(NAMESPACE.ecs, "CPUUtilization", service, { stat: "Average", label: "average" }),
                        metric(NAMESPACE.ecs, "CPUUtilization", service, { stat: "Maximum", label: "maximum" }),
                    ],
                    thresholds.cpu,
                ),
                graph(
                    "Tasks: running vs desired",
                    { left: { min: 0, label: "tasks", showUnits: false } },
                    [
                        metric(NAMESPACE.containerInsights, "RunningTaskCount", service, { stat: "Average", label: "running" }),
                        metric(NAMESPACE.containerInsights, "DesiredTaskCount", service, { stat: "Average", label: "desired" }),
                    ],
                    thresholds.tasks,
                ),
            ],
            [
                graph("Requests per minute", { left: { min: 0, label: "requests", showUnits: false } }, [
                    metric(NAMESPACE.loadBalancer, "RequestCount", targetGroup, { stat: "Sum", label: "requests" }),
                ]),
                graph("Target response time: p50 and p99 (seconds)", { left: { min: 0, label: "seconds", showUnits: false } }, [
                    metric(NAMESPACE.loadBalancer, "TargetResponseTime", targetGroup, { stat: "p50", label: "p50" }),
                    metric(NAMESPACE.loadBalancer, "TargetResponseTime", targetGroup, { stat: "p99", label: "p99" }),
                ]),
                graph(
                    "5xx per minute",
                    { left: { min: 0, label: "responses", showUnits: false } },
                    [
                        metric(NAMESPACE.loadBalancer, "HTTPCode_Target_5XX_Count", targetGroup, { stat: "Sum", label: "from the service's tasks" }),
                        // 502/503/504 the load balancer answers itself, e.g. while no task is healthy. Load balancer wide.
                        metric(NAMESPACE.loadBalancer, "HTTPCode_ELB_5XX_Count", { LoadBalancer: targetGroup.LoadBalancer }, { stat: "Sum", label: "from the load balancer" }),
                    ],
                    thresholds.target5xx,
                ),
            ],
            // What the service reports itself (docs/service.md), under the dimensions of its AWS/ECS metrics: every
            // task writes one line a minute, so a statistic aggregates over the tasks.
            [
                graph("Requests the service answered, shed and failed (per minute)", { left: { min: 0, label: "requests", showUnits: false } }, [
                    metric(NAMESPACE.service, SERVICE_METRIC_NAMES.answered, service, { stat: "Sum", label: "answered" }),
                    metric(NAMESPACE.service, SERVICE_METRIC_NAMES.shed, service, { stat: "Sum", label: "shed (its own 503)" }),
                    metric(NAMESPACE.service, SERVICE_METRIC_NAMES.errors, service, { stat: "Sum", label: "errors (other 5xx)" }),
                ]),
                graph(
                    "Answered requests: latency p50 / p99 and the longest queue",
                    { left: { min: 0, label: "ms", showUnits: false }, right: { min: 0, label: "requests queued", showUnits: false } },
                    [
                        // Each task's percentile of its own minute; their Maximum bounds the percentile over all tasks
                        // from above (as `timeline observe` reads it). An Average of percentiles is no percentile.
                        metric(NAMESPACE.service, SERVICE_METRIC_NAMES.latencyP50, service, { stat: "Maximum", label: "p50 (highest task)" }),
                        metric(NAMESPACE.service, SERVICE_METRIC_NAMES.latencyP99, service, { stat: "Maximum", label: "p99 (highest task)" }),
                        // A count, not milliseconds: on its own axis.
                        metric(NAMESPACE.service, SERVICE_METRIC_NAMES.queueMax, service, { stat: "Maximum", label: "longest queue", yAxis: "right" }),
                    ],
                ),
            ],
        ]),
    };
}

function metric(namespace: string, name: string, dimensions: Record<string, string>, rendering: MetricRendering): MetricLine {
    return [namespace, name, ...Object.entries(dimensions).flat(), rendering];
}

/** Rows top to bottom; the widgets of a row share the 24-column grid equally. */
function layOut(rows: Placed<Widget>[][]): Widget[] {
    let y = 0;
    return rows.flatMap((row) => {
        const width = 24 / row.length;
        const placed = row.map((widget, column) => ({ ...widget, x: column * width, y, width }) as Widget);
        y += Math.max(...row.map((widget) => widget.height));
        return placed;
    });
}

function mergeThresholds(...sources: GraphThresholds[]): Required<GraphThresholds> {
    const linesOf = (graph: keyof GraphThresholds) => sources.flatMap((source) => source[graph] ?? []);
    return { cpu: linesOf("cpu"), tasks: linesOf("tasks"), target5xx: linesOf("target5xx") };
}
