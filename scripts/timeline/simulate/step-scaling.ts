/**
 * Step scaling as this project configures it (components/scaling.ts): one CPU metric, a scale-out alarm
 * (≥ threshold) invoking a policy with two steps and a scale-in alarm (< scale-in threshold) invoking a policy with one.
 */
import { StepScalingConfig, scaleInThreshold } from "../../../config";
import type { AlarmRule } from "./cloudwatch";

export interface StepAdjustment {
    /** Offsets from the alarm threshold; undefined = unbounded. */
    lower?: number;
    upper?: number;
    adjustment: number;
}

/**
 * The adjustment of the step the metric falls in. Bounds are offsets from the threshold of the alarm that invoked
 * the policy; at or above the threshold a lower bound is inclusive and an upper bound exclusive, below it the
 * lower bound is exclusive and the upper inclusive. No step matches: no adjustment.
 * Source: https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html
 * ("Step adjustments") and https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepAdjustment.html
 */
export function stepAdjustment(value: number, threshold: number, steps: readonly StepAdjustment[]): number {
    const offset = value - threshold;
    const above = offset >= 0;
    const step = steps.find((candidate) => {
        const lower = candidate.lower ?? -Infinity;
        const upper = candidate.upper ?? Infinity;
        return above ? offset >= lower && offset < upper : offset > lower && offset <= upper;
    });
    return step?.adjustment ?? 0;
}

/** The two policies' steps, as components/scaling.ts creates them. */
export function stepPolicies(config: StepScalingConfig): { scaleOut: StepAdjustment[]; scaleIn: StepAdjustment[] } {
    const steep = config.upperThreshold - config.threshold;
    return {
        scaleOut: [
            { lower: 0, upper: steep, adjustment: config.scaleOutAdjustment },
            { lower: steep, adjustment: config.steepScaleOutAdjustment },
        ],
        scaleIn: [{ upper: 0, adjustment: config.scaleInAdjustment }],
    };
}

/** The two alarms, as components/scaling.ts creates them (datapointsToAlarm unset = evaluationPeriods). */
export function stepAlarms(config: StepScalingConfig): { scaleOut: AlarmRule; scaleIn: AlarmRule } {
    return {
        scaleOut: {
            breaches: (cpu) => cpu >= config.threshold,
            evaluationPeriods: config.scaleOutEvaluationPeriods,
            datapointsToAlarm: config.scaleOutEvaluationPeriods,
        },
        scaleIn: {
            breaches: (cpu) => cpu < scaleInThreshold(config),
            evaluationPeriods: config.scaleInEvaluationPeriods,
            datapointsToAlarm: config.scaleInEvaluationPeriods,
        },
    };
}
