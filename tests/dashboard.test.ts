import assert from "node:assert/strict";
import { ServiceAlarms } from "../components/alarms";
import { AlarmWidget, DashboardBody, MetricLine, MetricRendering, MetricWidget, ServiceDashboard } from "../components/dashboard";
import { SERVICE_METRIC_NAMES, serviceDimensions } from "../components/metrics";
import { Autoscaling } from "../components/scaling";
import { SERVICE_METRIC_DIMENSIONS, SERVICE_METRICS } from "../service/src/metric-names";
import { build, mocks, useMocks, valueOf } from "./mocks";
import {
    CLUSTER_NAME,
    devProvider,
    environmentConfig,
    LOAD_BALANCER_ARN_SUFFIX,
    SERVICE,
    SERVICE_NAME,
    TARGET_GROUP,
    TARGET_GROUP_ARN_SUFFIX,
} from "./service-fixture";

const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const POLICY = "aws:appautoscaling/policy:Policy";

const SERVICE_DIMENSIONS = ["ClusterName", CLUSTER_NAME, "ServiceName", SERVICE_NAME];
const TARGET_GROUP_DIMENSIONS = ["LoadBalancer", LOAD_BALANCER_ARN_SUFFIX, "TargetGroup", TARGET_GROUP_ARN_SUFFIX];

/** The environment's three components wired as the environment stack wires them. */
async function buildDashboard(scaling: Record<string, unknown>) {
    const config = environmentConfig({ scaling, alarms: { email: "oncall@example.com", cpuCriticalPercent: 90, target5xxPerMinute: 10 } });
    const { dashboard, alarms } = await build(() => {
        const provider = devProvider(config);
        const autoscaling = new Autoscaling("dev-prime-counter", { service: SERVICE, targetGroup: TARGET_GROUP, config: config.scaling, provider });
        const alarms = new ServiceAlarms("dev-prime-counter", {
            service: SERVICE,
            targetGroup: TARGET_GROUP,
            maxCapacity: config.scaling.maxCapacity,
            config: config.alarms,
            provider,
        });
        const dashboard = new ServiceDashboard("dev-prime-counter", { service: SERVICE, targetGroup: TARGET_GROUP, scaling: autoscaling, alarms, provider });
        return { dashboard, alarms };
    });
    const body = JSON.parse(mocks.one(DASHBOARD).inputs.dashboardBody) as DashboardBody;
    return { dashboard, alarms, body };
}

const graph = (body: DashboardBody, title: RegExp): MetricWidget["properties"] => {
    const found = body.widgets.filter((w): w is MetricWidget => w.type === "metric" && title.test(w.properties.title));
    assert.equal(found.length, 1, `one graph titled ${title}: ${body.widgets.map((w) => w.properties.title).join(" | ")}`);
    return found[0].properties;
};

const alarmWidget = (body: DashboardBody, title: RegExp): AlarmWidget["properties"] | undefined =>
    body.widgets.find((w): w is AlarmWidget => w.type === "alarm" && title.test(w.properties.title))?.properties;

const line = (namespace: string, name: string, dimensions: string[], stat: string, label: string, options: Partial<MetricRendering> = {}): MetricLine => [
    namespace,
    name,
    ...dimensions,
    { stat, label, ...options },
];

const linesAt = (properties: MetricWidget["properties"]) => properties.annotations?.horizontal.map((l) => l.value) ?? [];

describe("ServiceDashboard", () => {
    before(useMocks);
    beforeEach(() => mocks.reset());

    it("is named for the environment, and its console URL is a component output", async () => {
        const { dashboard } = await buildDashboard({ mode: "step" });
        assert.equal(mocks.one(DASHBOARD).inputs.dashboardName, "dev-prime-counter");
        assert.match(mocks.one(DASHBOARD).provider ?? "", /::dev::/);
        assert.equal(
            await valueOf(dashboard.url),
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/dev-prime-counter",
        );
    });

    it("graphs this service's metrics, with the real cluster, service, load balancer and target group names", async () => {
        const { body } = await buildDashboard({ mode: "step" });
        assert.deepEqual(graph(body, /^CPU/).metrics, [
            line("AWS/ECS", "CPUUtilization", SERVICE_DIMENSIONS, "Average", "average"),
            line("AWS/ECS", "CPUUtilization", SERVICE_DIMENSIONS, "Maximum", "maximum"),
        ]);
        assert.deepEqual(graph(body, /^Tasks/).metrics, [
            line("ECS/ContainerInsights", "RunningTaskCount", SERVICE_DIMENSIONS, "Average", "running"),
            line("ECS/ContainerInsights", "DesiredTaskCount", SERVICE_DIMENSIONS, "Average", "desired"),
        ]);
        assert.deepEqual(graph(body, /^Requests per minute/).metrics, [line("AWS/ApplicationELB", "RequestCount", TARGET_GROUP_DIMENSIONS, "Sum", "requests")]);
        assert.deepEqual(graph(body, /response time/).metrics, [
            line("AWS/ApplicationELB", "TargetResponseTime", TARGET_GROUP_DIMENSIONS, "p50", "p50"),
            line("AWS/ApplicationELB", "TargetResponseTime", TARGET_GROUP_DIMENSIONS, "p99", "p99"),
        ]);
        assert.deepEqual(graph(body, /^5xx/).metrics, [
            line("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", TARGET_GROUP_DIMENSIONS, "Sum", "from the service's tasks"),
            line("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", ["LoadBalancer", LOAD_BALANCER_ARN_SUFFIX], "Sum", "from the load balancer"),
        ]);
        for (const widget of body.widgets.filter((w): w is MetricWidget => w.type === "metric")) {
            assert.equal(widget.properties.region, "eu-west-1", widget.properties.title);
            assert.equal(widget.properties.period, 60, widget.properties.title);
        }
    });

    it("names the service's own metrics as the service does (service/src/metric-names.ts)", () => {
        const names = Object.fromEntries(Object.entries(SERVICE_METRICS).map(([key, metric]) => [key, metric.name]));
        assert.deepEqual(SERVICE_METRIC_NAMES, names);
        assert.deepEqual(Object.keys(serviceDimensions({ clusterName: "c", serviceName: "s" })), [...SERVICE_METRIC_DIMENSIONS]);
    });

    it("graphs what the service reports itself, under its AWS/ECS dimensions, in a row of its own", async () => {
        const { body } = await buildDashboard({ mode: "step" });
        const own = (name: string, stat: string, label: string, options: Partial<MetricRendering> = {}) =>
            line("ecs-loadlab/Service", name, SERVICE_DIMENSIONS, stat, label, options);
        const outcomes = graph(body, /^Requests the service answered, shed and failed/);
        assert.deepEqual(outcomes.metrics, [
            own(SERVICE_METRICS.answered.name, "Sum", "answered"),
            own(SERVICE_METRICS.shed.name, "Sum", "shed (its own 503)"),
            own(SERVICE_METRICS.errors.name, "Sum", "errors (other 5xx)"),
        ]);
        assert.deepEqual(outcomes.yAxis, { left: { min: 0, label: "requests", showUnits: false } });

        // Milliseconds on the left, the queue (a count) on the right.
        const latency = graph(body, /^Answered requests: latency/);
        assert.deepEqual(latency.metrics, [
            own(SERVICE_METRICS.latencyP50.name, "Maximum", "p50 (highest task)"),
            own(SERVICE_METRICS.latencyP99.name, "Maximum", "p99 (highest task)"),
            own(SERVICE_METRICS.queueMax.name, "Maximum", "longest queue", { yAxis: "right" }),
        ]);
        assert.deepEqual(latency.yAxis, {
            left: { min: 0, label: "ms", showUnits: false },
            right: { min: 0, label: "requests queued", showUnits: false },
        });
        for (const properties of [outcomes, latency]) {
            assert.equal(properties.region, "eu-west-1", properties.title);
            assert.equal(properties.period, 60, properties.title);
            assert.equal(properties.annotations, undefined, properties.title);
        }

        // Side by side, below every other widget.
        const ownWidgets = body.widgets.filter((w) => w.properties === outcomes || w.properties === latency);
        const lowest = Math.max(...body.widgets.filter((w) => !ownWidgets.includes(w)).map((w) => w.y + w.height));
        assert.deepEqual(
            ownWidgets.map(({ x, y, width }) => ({ x, y, width })),
            [
                { x: 0, y: lowest, width: 12 },
                { x: 12, y: lowest, width: 12 },
            ],
        );
    });

    it("step scaling: CPU graph draws the scaling bands and the critical level, tasks graph the capacities", async () => {
        const { body } = await buildDashboard({ mode: "step", minCapacity: 1, maxCapacity: 4 });
        assert.deepEqual(linesAt(graph(body, /^CPU/)), [20, 40, 70, 90]);
        assert.deepEqual(linesAt(graph(body, /^Tasks/)), [1, 4]);
        assert.deepEqual(linesAt(graph(body, /^5xx/)), [10]);
        assert.deepEqual(graph(body, /^CPU/).yAxis.left, { min: 0, max: 100, label: "%", showUnits: false });
    });

    it("target tracking: CPU graph draws the target instead of the bands", async () => {
        const { body } = await buildDashboard({ mode: "target-tracking", metric: "cpu", targetValue: 60, maxCapacity: 8 });
        assert.deepEqual(linesAt(graph(body, /^CPU/)), [60, 90]);
        assert.deepEqual(linesAt(graph(body, /^Tasks/)), [1, 8]);
    });

    it("lists the notifying alarms, and the alarms that drive scaling in either mode", async () => {
        for (const mode of ["step", "target-tracking"]) {
            mocks.reset();
            const { alarms, body } = await buildDashboard({ mode });
            assert.deepEqual(alarmWidget(body, /^Alarms/)?.alarms, await valueOf(alarms.alarmArns), mode);
            const scalingAlarms =
                mode === "step"
                    ? mocks.ofType(ALARM).filter((a) => /-cpu-scale-(out|in)$/.test(a.name)).map((a) => a.state.arn)
                    : mocks.one(POLICY).state.alarmArns;
            assert.equal(scalingAlarms.length, 2, mode);
            assert.deepEqual(alarmWidget(body, /^Scaling alarms/)?.alarms.toSorted(), scalingAlarms.toSorted(), mode);
        }
    });

    it("lays the widgets out on the 24-column grid without overlap", async () => {
        const { body } = await buildDashboard({ mode: "step" });
        const cells = new Set<string>();
        for (const widget of body.widgets) {
            assert.ok(widget.x >= 0 && widget.x + widget.width <= 24, `${widget.properties.title} fits the grid`);
            for (let x = widget.x; x < widget.x + widget.width; x++) {
                for (let y = widget.y; y < widget.y + widget.height; y++) {
                    assert.ok(!cells.has(`${x},${y}`), `${widget.properties.title} overlaps another widget at ${x},${y}`);
                    cells.add(`${x},${y}`);
                }
            }
        }
    });
});
