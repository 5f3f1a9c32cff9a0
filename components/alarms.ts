import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmsConfig } from "../config";
import type { DashboardContribution, GraphThresholds } from "./dashboard";
import {
    NAMESPACE,
    PERIOD_SECONDS,
    ServiceDimensions,
    TargetGroupDimensions,
    serviceDimensions,
    targetGroupDimensions,
} from "./metrics";

export interface ServiceAlarmsArgs {
    service: ServiceDimensions;
    targetGroup: TargetGroupDimensions;
    /** The scalable target's max capacity: the alarms that mean "scaling cannot help any more" compare tasks with it. */
    maxCapacity: number;
    config: AlarmsConfig;
    provider: aws.Provider;
}

/**
 * Every alarm judges 1-minute datapoints and needs 3 breaching minutes out of the last 5: a single spike
 * (a cold start, one bad deploy minute) does not page, a sustained problem pages within 3 to 5 minutes,
 * and the alarm returns to OK once the breaches drop below 3 of 5 instead of flapping minute by minute.
 */
const EVALUATION = { evaluationPeriods: 5, datapointsToAlarm: 3 } as const;

/**
 * Running and desired tasks both at max capacity: the lower of the two. Running alone overshoots during a
 * rolling deployment (old and new tasks together), desired alone is reached before the tasks run.
 */
const TASKS_AT_CAPACITY = "MIN([running, desired])";

type AlarmCondition = Pick<
    aws.cloudwatch.MetricAlarmArgs,
    "namespace" | "metricName" | "dimensions" | "statistic" | "period" | "metricQueries" | "threshold" | "comparisonOperator" | "treatMissingData"
>;

/**
 * The environment's alarms, notifying one encrypted SNS topic (and an email address when configured) on
 * ALARM and on the return to OK.
 */
export class ServiceAlarms extends pulumi.ComponentResource implements DashboardContribution {
    readonly topicArn: pulumi.Output<string>;
    readonly alarmArns: pulumi.Output<string[]>;
    /**
     * The alarms a bad deployment trips, which the service's deployment watches (components/fargate-service.ts):
     * targets answering 5xx and targets failing their health check. Not the two that load trips by design (CPU critical
     * at max capacity, max capacity reached). The 5xx alarm also counts the service's 503 shedding, so an overloading
     * load test must not overlap a deployment's watch: `pulumi up` waits for the deployment before it returns.
     */
    readonly deploymentAlarmNames: pulumi.Output<string[]>;
    readonly thresholds: GraphThresholds;

    constructor(name: string, args: ServiceAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:alarms:ServiceAlarms", name, {}, opts);
        const { config, provider, maxCapacity } = args;

        const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: this.topicKey(name, provider).arn }, { parent: this, provider });
        if (config.email) {
            new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: "email", endpoint: config.email }, { parent: this, provider });
        }

        const alarm = (purpose: string, description: string, condition: AlarmCondition) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-${purpose}`,
                { alarmDescription: description, ...condition, ...EVALUATION, alarmActions: [topic.arn], okActions: [topic.arn] },
                { parent: this, provider },
            );
        const taskCounts: aws.types.input.cloudwatch.MetricAlarmMetricQuery[] = [
            taskCount("running", "RunningTaskCount", args.service),
            taskCount("desired", "DesiredTaskCount", args.service),
        ];

        // One metric-math alarm rather than a composite of "CPU high" and "at max capacity": both conditions are
        // judged on the same minute, and no child alarm exists only to be combined.
        const cpuCriticalAtMax = alarm("cpu-critical-at-max", `Average CPU ≥ ${config.cpuCriticalPercent}% while running at max capacity (${maxCapacity} tasks): scaling cannot add more.`, {
            metricQueries: [
                {
                    id: "cpu",
                    metric: { namespace: NAMESPACE.ecs, metricName: "CPUUtilization", dimensions: serviceDimensions(args.service), stat: "Average", period: PERIOD_SECONDS },
                    returnData: false,
                },
                ...taskCounts,
                { id: "cpu_at_max", label: "Average CPU while at max capacity (0 below it)", expression: `IF(${TASKS_AT_CAPACITY} >= ${maxCapacity}, cpu, 0)`, returnData: true },
            ],
            threshold: config.cpuCriticalPercent,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            // Container Insights publishes task counts every minute; a gap means it is off, which must show as
            // INSUFFICIENT_DATA rather than pass for OK.
            treatMissingData: "missing",
        });
        const maxCapacityReached = alarm("max-capacity", `Running and desired tasks at max capacity (${maxCapacity}): more load will not be met by more tasks.`, {
            metricQueries: [...taskCounts, { id: "tasks", label: "Running and desired tasks (the lower)", expression: TASKS_AT_CAPACITY, returnData: true }],
            threshold: maxCapacity,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "missing",
        });
        const target5xx = alarm("target-5xx", `Targets answered ≥ ${config.target5xxPerMinute} 5xx responses a minute (including 503 overload shedding).`, {
            namespace: NAMESPACE.loadBalancer,
            metricName: "HTTPCode_Target_5XX_Count",
            dimensions: targetGroupDimensions(args.targetGroup),
            statistic: "Sum",
            period: PERIOD_SECONDS,
            threshold: config.target5xxPerMinute,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            // The load balancer publishes the count only when it is nonzero: no datapoint means no 5xx.
            treatMissingData: "notBreaching",
        });
        const unhealthyHosts = alarm("unhealthy-hosts", "At least one task fails its load balancer health check.", {
            namespace: NAMESPACE.loadBalancer,
            metricName: "UnHealthyHostCount",
            dimensions: targetGroupDimensions(args.targetGroup),
            statistic: "Maximum",
            period: PERIOD_SECONDS,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            // Load balancer metrics pause when no requests flow: silence is not an unhealthy task.
            treatMissingData: "notBreaching",
        });
        const alarms = [cpuCriticalAtMax, maxCapacityReached, target5xx, unhealthyHosts];

        this.topicArn = topic.arn;
        this.alarmArns = pulumi.all(alarms.map((a) => a.arn));
        this.deploymentAlarmNames = pulumi.all([target5xx.name, unhealthyHosts.name]);
        this.thresholds = {
            cpu: [{ label: `critical at max capacity: ${config.cpuCriticalPercent}%`, value: config.cpuCriticalPercent }],
            target5xx: [{ label: `alarm: ${config.target5xxPerMinute} a minute`, value: config.target5xxPerMinute }],
        };
        this.registerOutputs({ topicArn: this.topicArn, alarmArns: this.alarmArns, deploymentAlarmNames: this.deploymentAlarmNames });
    }

    /**
     * CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed alias/aws/sns key: its policy
     * does not let cloudwatch.amazonaws.com use it and cannot be changed. This customer-managed key can.
     */
    private topicKey(name: string, provider: aws.Provider): aws.kms.Key {
        const account = aws.getCallerIdentityOutput({}, { parent: this, provider });
        const partition = aws.getPartitionOutput({}, { parent: this, provider });
        return new aws.kms.Key(
            `${name}-alarms`,
            {
                description: "Encrypts the alarm notifications topic; CloudWatch alarms may use it to publish.",
                enableKeyRotation: true,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "AccountAdministersTheKey",
                            Effect: "Allow",
                            Principal: { AWS: pulumi.interpolate`arn:${partition.partition}:iam::${account.accountId}:root` },
                            Action: "kms:*",
                            Resource: "*",
                        },
                        {
                            Sid: "CloudWatchAlarmsPublish",
                            Effect: "Allow",
                            Principal: { Service: "cloudwatch.amazonaws.com" },
                            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                            Resource: "*",
                        },
                    ],
                }),
            },
            { parent: this, provider },
        );
    }
}

function taskCount(id: string, metricName: string, service: ServiceDimensions): aws.types.input.cloudwatch.MetricAlarmMetricQuery {
    return {
        id,
        metric: { namespace: NAMESPACE.containerInsights, metricName, dimensions: serviceDimensions(service), stat: "Average", period: PERIOD_SECONDS },
        returnData: false,
    };
}
