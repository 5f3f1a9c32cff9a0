import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ScalingConfig, StepScalingConfig, TargetTrackingConfig, scaleInThreshold } from "../config";
import type { DashboardContribution, GraphThresholds } from "./dashboard";
import { cpuThresholds } from "./scaling-thresholds";
import { NAMESPACE, PERIOD_SECONDS, ServiceDimensions, TargetGroupDimensions, serviceDimensions } from "./metrics";

export interface AutoscalingArgs {
    service: ServiceDimensions;
    /** The service's target group; required when target tracking follows requests per target. */
    targetGroup?: TargetGroupDimensions;
    config: ScalingConfig;
    provider: aws.Provider;
}

const PREDEFINED_METRIC: Record<TargetTrackingConfig["metric"], string> = {
    cpu: "ECSServiceAverageCPUUtilization",
    memory: "ECSServiceAverageMemoryUtilization",
    "requests-per-target": "ALBRequestCountPerTarget",
};

/**
 * The service's desired count under Application Auto Scaling, by the mode the stack config chooses:
 * step scaling on CPU (three bands around one threshold) or target tracking on one predefined metric.
 */
export class Autoscaling extends pulumi.ComponentResource implements DashboardContribution {
    /** `service/<cluster>/<service>`, the scalable target's id. */
    readonly resourceId: pulumi.Output<string>;
    /** The alarms that drive scaling: the step policies' two CPU alarms, or the ones target tracking creates. */
    readonly alarmArns: pulumi.Output<string[]>;
    readonly thresholds: GraphThresholds;

    constructor(name: string, args: AutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
        const { config } = args;
        if (config.mode === "target-tracking" && config.metric === "requests-per-target" && !args.targetGroup) {
            throw new Error(
                `${name}: scaling.metric "requests-per-target" needs the service's load balancer target group (args.targetGroup); ` +
                    `use metric "cpu" or "memory" for a service without a load balancer`,
            );
        }
        super("ecs-loadlab:scaling:Autoscaling", name, {}, opts);

        const target = new aws.appautoscaling.Target(
            `${name}-desired-count`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${args.service.clusterName}/${args.service.serviceName}`,
                minCapacity: config.minCapacity,
                maxCapacity: config.maxCapacity,
            },
            { parent: this, provider: args.provider },
        );
        this.resourceId = target.resourceId;

        const built =
            config.mode === "step"
                ? this.stepScaling(name, target, config, args)
                : this.targetTracking(name, target, config, args);
        this.alarmArns = built.alarmArns;
        this.thresholds = {
            cpu: cpuThresholds(config),
            tasks: [
                { label: `min capacity ${config.minCapacity}`, value: config.minCapacity },
                { label: `max capacity ${config.maxCapacity}`, value: config.maxCapacity },
            ],
        };

        this.registerOutputs({ resourceId: this.resourceId, alarmArns: this.alarmArns });
    }

    /**
     * The CPU bands on ONE metric. Step bounds are offsets from the threshold of the alarm that invokes the
     * policy, so with the scale-out alarm at the threshold (40 by default) and the scale-in alarm at the
     * scale-in threshold (20 by default):
     *   scale-out policy: [0, upper − threshold) → +1, [upper − threshold, ∞) → +2
     *   scale-in policy:  (−∞, 0] → −1
     *   between the scale-in threshold and the threshold: nothing; the task count rests there.
     * Above the threshold a lower bound is inclusive and an upper bound exclusive: CPU 70 is already +2.
     *
     * The two policies never fight: both alarms watch the same metric, statistic and period, the scale-out one at
     * ≥ threshold and the scale-in one at < a lower threshold, so no datapoint breaches both.
     * Scale-in waits for more low datapoints than scale-out needs high ones (3 and 1 by default).
     */
    private stepScaling(name: string, target: aws.appautoscaling.Target, config: StepScalingConfig, args: AutoscalingArgs) {
        const policy = (direction: string, stepAdjustments: aws.types.input.appautoscaling.PolicyStepScalingPolicyConfigurationStepAdjustment[]) =>
            new aws.appautoscaling.Policy(
                `${name}-${direction}`,
                {
                    policyType: "StepScaling",
                    serviceNamespace: target.serviceNamespace,
                    scalableDimension: target.scalableDimension,
                    resourceId: target.resourceId,
                    stepScalingPolicyConfiguration: {
                        adjustmentType: "ChangeInCapacity",
                        cooldown: config.cooldownSeconds,
                        metricAggregationType: config.statistic,
                        stepAdjustments,
                    },
                },
                { parent: this, provider: args.provider },
            );
        // Bounds are strings in @pulumi/aws v7. Unrounded on purpose: the offset is then exactly what
        // metric − threshold computes at the upper threshold, so e.g. 71.3 with 42.5 falls in the steep band.
        const steepOffset = String(config.upperThreshold - config.threshold);
        const scaleOut = policy("scale-out", [
            { metricIntervalLowerBound: "0", metricIntervalUpperBound: steepOffset, scalingAdjustment: config.scaleOutAdjustment },
            { metricIntervalLowerBound: steepOffset, scalingAdjustment: config.steepScaleOutAdjustment },
        ]);
        const scaleIn = policy("scale-in", [{ metricIntervalUpperBound: "0", scalingAdjustment: config.scaleInAdjustment }]);

        const cpuAlarm = (direction: string, breachesWhen: "≥" | "<", threshold: number, evaluationPeriods: number, scalingPolicy: aws.appautoscaling.Policy) =>
            new aws.cloudwatch.MetricAlarm(
                `${name}-cpu-${direction}`,
                {
                    alarmDescription: `Triggers the ${direction} step policy: ${config.statistic} CPU ${breachesWhen} ${threshold}% for ${evaluationPeriods} minute(s).`,
                    namespace: NAMESPACE.ecs,
                    metricName: "CPUUtilization",
                    dimensions: serviceDimensions(args.service),
                    statistic: config.statistic,
                    period: PERIOD_SECONDS,
                    evaluationPeriods,
                    threshold,
                    comparisonOperator: breachesWhen === "≥" ? "GreaterThanOrEqualToThreshold" : "LessThanThreshold",
                    // No CPU datapoint means no running task: scale on neither side of a guess.
                    treatMissingData: "missing",
                    alarmActions: [scalingPolicy.arn],
                },
                { parent: this, provider: args.provider },
            );
        const scaleOutAlarm = cpuAlarm("scale-out", "≥", config.threshold, config.scaleOutEvaluationPeriods, scaleOut);
        const scaleInAlarm = cpuAlarm("scale-in", "<", scaleInThreshold(config), config.scaleInEvaluationPeriods, scaleIn);

        return { alarmArns: pulumi.all([scaleOutAlarm.arn, scaleInAlarm.arn]) };
    }

    private targetTracking(name: string, target: aws.appautoscaling.Target, config: TargetTrackingConfig, args: AutoscalingArgs) {
        const { targetGroup } = args;
        const policy = new aws.appautoscaling.Policy(
            `${name}-target-tracking`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: target.serviceNamespace,
                scalableDimension: target.scalableDimension,
                resourceId: target.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: {
                        predefinedMetricType: PREDEFINED_METRIC[config.metric],
                        resourceLabel:
                            config.metric === "requests-per-target" && targetGroup
                                ? pulumi.interpolate`${targetGroup.loadBalancerArnSuffix}/${targetGroup.targetGroupArnSuffix}`
                                : undefined,
                    },
                    targetValue: config.targetValue,
                    scaleOutCooldown: config.scaleOutCooldownSeconds,
                    scaleInCooldown: config.scaleInCooldownSeconds,
                    disableScaleIn: config.disableScaleIn,
                },
            },
            { parent: this, provider: args.provider },
        );
        // Target tracking creates and owns its alarms; the policy reports them.
        return { alarmArns: policy.alarmArns };
    }
}
