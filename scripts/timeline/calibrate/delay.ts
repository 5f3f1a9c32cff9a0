/**
 * datapointDelaySeconds: from the end of the metric period that completed a breach to the scale-out alarm acting on
 * it. For each time the alarm went into ALARM, the rows say which minute completed the breach: the first of the run
 * of minutes, ended by then, at which the alarm's own rule (the stack's, as the simulator applies it) holds.
 *
 * The rows are the datapoints the alarm itself read (the same CloudWatch metric and statistic), so a minute is
 * found exactly; only a run whose rows and alarm disagree gives no pair, and says so.
 */
import type { ScalingConfig } from "../../../config";
import { round } from "../summary";
import type { TimelineEvent, TimelineRow } from "../timeline";
import { ASSUMPTIONS, DEFAULT_ASSUMPTIONS } from "../simulate/assumptions";
import { type AlarmRule, alarmState } from "../simulate/cloudwatch";
import { stepAlarms } from "../simulate/step-scaling";
import { targetTrackingAlarms } from "../simulate/target-tracking";
import { type FitResult, at, exactSample } from "./figure";
import { scaleOutAlarmTimes, scaleOuts } from "./events";

const MAX_DELAY_SECONDS = ASSUMPTIONS.datapointDelaySeconds.max;
const STAYS = `datapoint delay not calibrated; the assumption stays ${ASSUMPTIONS.datapointDelaySeconds.value} s`;

/** The scale-out alarm's rule on the rows' CPU, and how to say it. */
export interface ScaleOutRule {
    rule: AlarmRule;
    statistic: "Average" | "Maximum";
    description: string;
}

/** The stack's scale-out alarm as the simulator applies it; a reason instead when it does not watch CPU. */
function scaleOutRule(scaling: ScalingConfig): ScaleOutRule | string {
    const minutes = (n: number) => `${n} minute${n === 1 ? "" : "s"}`;
    if (scaling.mode === "step") {
        const rule = stepAlarms(scaling).scaleOut;
        return { rule, statistic: scaling.statistic, description: `${scaling.statistic} CPU ≥ ${scaling.threshold} % for ${minutes(rule.evaluationPeriods)}` };
    }
    if (scaling.metric !== "cpu") return `target tracking follows ${scaling.metric}, which the rows do not hold: ${STAYS}`;
    const rule = targetTrackingAlarms(scaling, DEFAULT_ASSUMPTIONS).high;
    return { rule, statistic: "Average", description: `Average CPU > ${scaling.targetValue} % for ${minutes(rule.evaluationPeriods)}` };
}

/**
 * The first minute of the breach an alarm acting at `t` acted on: the latest minute ended by `t` at which the rule
 * holds, and back from it as long as the rule held. Undefined when no minute ended by `t` meets it.
 */
export function breachStart(values: readonly (number | null)[], rule: AlarmRule, t: number, stepSeconds: number): number | undefined {
    const holds = (period: number) => alarmState(values.slice(0, period + 1), rule) === "ALARM";
    let period = Math.min(values.length, Math.floor(t / stepSeconds)) - 1;
    while (period >= 0 && !holds(period)) period--;
    if (period < 0) return undefined;
    while (period > 0 && holds(period - 1)) period--;
    return period;
}

/** A moment the scale-out alarm acted, and how the evidence names it. */
export interface Trigger {
    t: number;
    what: string;
}

/** One sample per breach: each trigger paired with the minute that completed its breach; later triggers of the same breach left out. */
export function delayFromTriggers(triggers: readonly Trigger[], rows: readonly TimelineRow[], stepSeconds: number, alarm: ScaleOutRule): FitResult {
    const result: FitResult = { samples: [], notes: [] };
    const values = rows.map((row) => (alarm.statistic === "Average" ? row.cpuAverage : row.cpuMaximum));
    const paired = new Set<number>();
    for (const trigger of triggers) {
        const start = breachStart(values, alarm.rule, trigger.t, stepSeconds);
        if (start === undefined) {
            result.notes.push(`${trigger.what}: no minute ended before it meets ${alarm.description} (the rows and the alarm disagree); refused`);
            continue;
        }
        if (paired.has(start)) {
            result.notes.push(`${trigger.what}: the breach from ${at(start * stepSeconds)} again (its alarm stayed in ALARM); left out`);
            continue;
        }
        paired.add(start);
        const end = (start + 1) * stepSeconds;
        const delay = trigger.t - end;
        const pair = `${trigger.what} ← the minute at ${at(start * stepSeconds)} completed ${alarm.description}, ended at ${at(end)}`;
        if (delay <= 0 || delay > MAX_DELAY_SECONDS) {
            result.notes.push(`${pair}: ${round(delay, 1)} s is not a plausible delay (0–${MAX_DELAY_SECONDS} s); refused`);
            continue;
        }
        result.samples.push(exactSample(delay, `${pair}: ${round(delay, 1)} s`));
    }
    return result;
}

/**
 * The delay samples of a run: from its scale-out alarm's transitions into ALARM; without any (an alarm history
 * observe could not read), from its scale-out activities, which follow the alarm within seconds.
 */
export function fitDatapointDelay(events: readonly TimelineEvent[], rows: readonly TimelineRow[], stepSeconds: number, scaling: ScalingConfig): FitResult {
    const alarm = scaleOutRule(scaling);
    if (typeof alarm === "string") return { samples: [], notes: [alarm] };
    const alarmTimes = scaleOutAlarmTimes(events, scaling.mode);
    const notes: string[] = [];
    let triggers: Trigger[] = alarmTimes.map((t) => ({ t, what: `scale-out alarm into ALARM at ${at(t)}` }));
    if (triggers.length === 0) {
        triggers = scaleOuts(events).map((scaleOut) => ({ t: scaleOut.t, what: `scale-out at ${at(scaleOut.t)} (no alarm event: the activity stands for it)` }));
        if (triggers.length === 0) return { samples: [], notes: [`no scale-out alarm or activity in the run: ${STAYS}`] };
        notes.push("no scale-out alarm event in the run: each scale-out activity stands for its alarm (it follows within seconds)");
    }
    const result = delayFromTriggers(triggers, rows, stepSeconds, alarm);
    if (result.samples.length === 0) result.notes.push(`no scale-out could be paired with its breach: ${STAYS}`);
    return { samples: result.samples, notes: [...notes, ...result.notes] };
}
