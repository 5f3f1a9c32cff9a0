/** The CPU levels a scaling config acts at. Pure: the timeline tools import it without the Pulumi runtime. */
import { ScalingConfig, scaleInThreshold } from "../config";
import type { ThresholdLine } from "./dashboard";

/**
 * The CPU levels the scaling acts at, labelled with what happens there: drawn on the dashboard's CPU graph and on
 * the scaling timeline's, so both show the same lines.
 */
export function cpuThresholds(config: ScalingConfig): ThresholdLine[] {
    if (config.mode === "target-tracking") {
        return config.metric === "cpu" ? [{ label: `target tracking: ${config.targetValue}% average CPU`, value: config.targetValue }] : [];
    }
    const signed = (n: number) => (n > 0 ? `+${n}` : `${n}`);
    return [
        { label: `${config.statistic} < ${scaleInThreshold(config)}%: ${signed(config.scaleInAdjustment)} task(s)`, value: scaleInThreshold(config) },
        { label: `${config.statistic} ≥ ${config.threshold}%: ${signed(config.scaleOutAdjustment)} task(s)`, value: config.threshold },
        { label: `${config.statistic} ≥ ${config.upperThreshold}%: ${signed(config.steepScaleOutAdjustment)} task(s)`, value: config.upperThreshold },
    ];
}
