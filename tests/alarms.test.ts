import assert from "node:assert/strict";
import { ServiceAlarms } from "../components/alarms";
import { build, mocks, RecordedResource, useMocks, valueOf } from "./mocks";
import {
    ACCOUNT_ID,
    CLUSTER_NAME,
    devProvider,
    environmentConfig,
    LOAD_BALANCER_ARN_SUFFIX,
    SERVICE,
    SERVICE_NAME,
    TARGET_GROUP,
    TARGET_GROUP_ARN_SUFFIX,
} from "./service-fixture";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "aws:sns/topic:Topic";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const KEY = "aws:kms/key:Key";

const SERVICE_DIMENSIONS = { ClusterName: CLUSTER_NAME, ServiceName: SERVICE_NAME };
const TARGET_GROUP_DIMENSIONS = { LoadBalancer: LOAD_BALANCER_ARN_SUFFIX, TargetGroup: TARGET_GROUP_ARN_SUFFIX };

async function buildAlarms(alarms: Record<string, unknown> = { email: "oncall@example.com" }, maxCapacity = 4): Promise<ServiceAlarms> {
    const config = environmentConfig({ alarms, scaling: { mode: "step", maxCapacity } });
    return build(
        () =>
            new ServiceAlarms("dev-prime-counter", {
                service: SERVICE,
                targetGroup: TARGET_GROUP,
                maxCapacity: config.scaling.maxCapacity,
                config: config.alarms,
                provider: devProvider(config),
            }),
    );
}

const alarmNamed = (purpose: string): RecordedResource => {
    const found = mocks.ofType(ALARM).filter((alarm) => alarm.name === `dev-prime-counter-${purpose}`);
    assert.equal(found.length, 1, `one alarm ${purpose}, found: ${mocks.ofType(ALARM).map((a) => a.name).join(", ")}`);
    return found[0];
};

/** The alarm's evaluation settings, as one comparable object. */
const evaluationOf = (alarm: RecordedResource) => ({
    threshold: alarm.inputs.threshold,
    comparisonOperator: alarm.inputs.comparisonOperator,
    evaluationPeriods: alarm.inputs.evaluationPeriods,
    datapointsToAlarm: alarm.inputs.datapointsToAlarm,
    treatMissingData: alarm.inputs.treatMissingData,
});

const queryById = (alarm: RecordedResource, id: string) => {
    const query = (alarm.inputs.metricQueries as { id: string }[]).find((q) => q.id === id);
    assert.ok(query, `${alarm.name} has a query ${id}`);
    return query as Record<string, unknown>;
};

describe("ServiceAlarms", () => {
    before(useMocks);
    beforeEach(() => mocks.reset());

    describe("notification topic", () => {
        it("is encrypted with a customer-managed key CloudWatch may use (alarms cannot publish with alias/aws/sns)", async () => {
            await buildAlarms();
            const key = mocks.one(KEY);
            assert.equal(mocks.one(TOPIC).inputs.kmsMasterKeyId, key.state.arn);
            assert.equal(key.inputs.enableKeyRotation, true);
            const policy = JSON.parse(key.inputs.policy);
            const statement = (sid: string) => policy.Statement.find((s: { Sid: string }) => s.Sid === sid);
            assert.deepEqual(statement("CloudWatchAlarmsPublish"), {
                Sid: "CloudWatchAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
            });
            // Without the account's own statement the key could never be administered again.
            assert.deepEqual(statement("AccountAdministersTheKey").Principal, { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` });
            assert.equal(statement("AccountAdministersTheKey").Action, "kms:*");
        });

        it("subscribes the configured email address", async () => {
            const component = await buildAlarms({ email: "oncall@example.com" });
            const subscription = mocks.one(SUBSCRIPTION);
            assert.deepEqual(
                { topic: subscription.inputs.topic, protocol: subscription.inputs.protocol, endpoint: subscription.inputs.endpoint },
                { topic: await valueOf(component.topicArn), protocol: "email", endpoint: "oncall@example.com" },
            );
        });

        it("has no subscription without an email address", async () => {
            await buildAlarms({});
            assert.equal(mocks.ofType(SUBSCRIPTION).length, 0);
            assert.equal(mocks.ofType(TOPIC).length, 1);
        });
    });

    it("every alarm notifies the topic on ALARM and on OK, in the stack's account", async () => {
        const component = await buildAlarms();
        const topicArn = mocks.one(TOPIC).state.arn;
        assert.equal(await valueOf(component.topicArn), topicArn);
        const alarms = mocks.ofType(ALARM);
        assert.deepEqual(alarms.map((a) => a.name).sort(), [
            "dev-prime-counter-cpu-critical-at-max",
            "dev-prime-counter-max-capacity",
            "dev-prime-counter-target-5xx",
            "dev-prime-counter-unhealthy-hosts",
        ]);
        for (const alarm of alarms) {
            assert.deepEqual(alarm.inputs.alarmActions, [topicArn], alarm.name);
            assert.deepEqual(alarm.inputs.okActions, [topicArn], alarm.name);
            assert.ok(alarm.state.arn.startsWith(`arn:aws:cloudwatch:eu-west-1:${ACCOUNT_ID}:alarm:`), alarm.state.arn);
        }
        assert.deepEqual((await valueOf(component.alarmArns)).sort(), alarms.map((a) => a.state.arn).sort());
    });

    it("CPU critical at max capacity: metric math on AWS/ECS CPU and Container Insights task counts", async () => {
        await buildAlarms({ cpuCriticalPercent: 85 }, 6);
        const alarm = alarmNamed("cpu-critical-at-max");
        assert.deepEqual(evaluationOf(alarm), {
            threshold: 85,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            treatMissingData: "missing",
        });
        assert.equal(alarm.inputs.metricName, undefined, "a metric-math alarm names no metric of its own");
        assert.deepEqual(queryById(alarm, "cpu"), {
            id: "cpu",
            metric: { namespace: "AWS/ECS", metricName: "CPUUtilization", dimensions: SERVICE_DIMENSIONS, stat: "Average", period: 60 },
            returnData: false,
        });
        for (const [id, metricName] of [["running", "RunningTaskCount"], ["desired", "DesiredTaskCount"]]) {
            assert.deepEqual(queryById(alarm, id), {
                id,
                metric: { namespace: "ECS/ContainerInsights", metricName, dimensions: SERVICE_DIMENSIONS, stat: "Average", period: 60 },
                returnData: false,
            });
        }
        const result = queryById(alarm, "cpu_at_max");
        assert.equal(result.expression, "IF(MIN([running, desired]) >= 6, cpu, 0)");
        assert.equal(result.returnData, true);
        assert.equal((alarm.inputs.metricQueries as { returnData: boolean }[]).filter((q) => q.returnData).length, 1);
    });

    it("max capacity: running and desired tasks both at the scalable target's max", async () => {
        await buildAlarms(undefined, 6);
        const alarm = alarmNamed("max-capacity");
        assert.deepEqual(evaluationOf(alarm), {
            threshold: 6,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            treatMissingData: "missing",
        });
        const queries = alarm.inputs.metricQueries as { expression?: string; metric?: { namespace: string; metricName: string; dimensions: unknown } }[];
        assert.deepEqual(
            queries.map((q) => q.expression ?? `${q.metric?.namespace} ${q.metric?.metricName}`),
            ["ECS/ContainerInsights RunningTaskCount", "ECS/ContainerInsights DesiredTaskCount", "MIN([running, desired])"],
        );
        for (const query of queries.filter((q) => q.metric)) assert.deepEqual(query.metric?.dimensions, SERVICE_DIMENSIONS);
        assert.equal(queryById(alarm, "tasks").returnData, true);
    });

    it("target 5xx: per-minute sum for this service's target group, absent datapoints are zero", async () => {
        await buildAlarms({ target5xxPerMinute: 25 });
        const alarm = alarmNamed("target-5xx");
        assert.deepEqual(
            { namespace: alarm.inputs.namespace, metricName: alarm.inputs.metricName, dimensions: alarm.inputs.dimensions, statistic: alarm.inputs.statistic, period: alarm.inputs.period },
            { namespace: "AWS/ApplicationELB", metricName: "HTTPCode_Target_5XX_Count", dimensions: TARGET_GROUP_DIMENSIONS, statistic: "Sum", period: 60 },
        );
        assert.deepEqual(evaluationOf(alarm), {
            threshold: 25,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            treatMissingData: "notBreaching",
        });
    });

    it("unhealthy hosts: any unhealthy target of this service's target group", async () => {
        await buildAlarms();
        const alarm = alarmNamed("unhealthy-hosts");
        assert.deepEqual(
            { namespace: alarm.inputs.namespace, metricName: alarm.inputs.metricName, dimensions: alarm.inputs.dimensions, statistic: alarm.inputs.statistic, period: alarm.inputs.period },
            { namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", dimensions: TARGET_GROUP_DIMENSIONS, statistic: "Maximum", period: 60 },
        );
        assert.deepEqual(evaluationOf(alarm), {
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            treatMissingData: "notBreaching",
        });
    });

    it("hands the service's deployments the 5xx and unhealthy-host alarms only: those a bad deployment trips, not those load trips", async () => {
        const component = await buildAlarms();
        assert.deepEqual(await valueOf(component.deploymentAlarmNames), [alarmNamed("target-5xx").state.name, alarmNamed("unhealthy-hosts").state.name]);
    });

    it("gives the dashboard the critical CPU and 5xx lines", async () => {
        const component = await buildAlarms({ cpuCriticalPercent: 85, target5xxPerMinute: 25 });
        assert.deepEqual(component.thresholds.cpu?.map((line) => line.value), [85]);
        assert.deepEqual(component.thresholds.target5xx?.map((line) => line.value), [25]);
    });
});
