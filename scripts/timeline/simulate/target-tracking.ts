/**
 * Target tracking on average CPU: the two alarms Application Auto Scaling creates for the policy and the capacity
 * it asks for. AWS documents the behaviour but not the numbers (datapoint counts, the capacity formula); those are
 * named assumptions (./assumptions.ts).
 * Source: https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
 */
import type { TargetTrackingConfig } from "../../../config";
import type { Assumptions } from "./assumptions";
import type { AlarmRule } from "./cloudwatch";

/**
 * AlarmHigh: every one of the latest N datapoints above the target; AlarmLow: every one of the latest M below a
 * share of it (N = 3, M = 15, share 0.9 as the alarms AWS creates are observed to be).
 */
export function targetTrackingAlarms(config: TargetTrackingConfig, assumptions: Assumptions): { high: AlarmRule; low: AlarmRule } {
    const high = assumptions.targetTrackingHighDatapoints;
    const low = assumptions.targetTrackingLowDatapoints;
    return {
        high: { breaches: (value) => value > config.targetValue, evaluationPeriods: high, datapointsToAlarm: high },
        low: {
            breaches: (value) => value < config.targetValue * assumptions.targetTrackingLowRatio,
            evaluationPeriods: low,
            datapointsToAlarm: low,
        },
    };
}

/** Scale-out: the count that would bring the metric back to the target, in proportion, rounded up. */
export function trackingScaleOutCount(current: number, metric: number, target: number): number {
    return Math.ceil((current * metric) / target - 1e-9);
}

/**
 * Scale-in: one conservative step, a share of the tasks rounded down (at least one), and never to a count at which
 * the same work would put the metric back above the target.
 */
export function trackingScaleInCount(current: number, metric: number, target: number, stepPercent: number): number {
    const step = Math.max(1, Math.floor((current * stepPercent) / 100));
    const fewestAtTarget = Math.ceil((current * metric) / target - 1e-9);
    return Math.max(current - step, fewestAtTarget);
}
