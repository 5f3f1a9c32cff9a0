/**
 * What CloudWatch makes of the service: the ECS CPUUtilization datapoint of a period, and an alarm's state over
 * its latest datapoints.
 */

/** One task's share of a metric period: the CPU it used and how long it was running in the period. */
export interface TaskPeriodUsage {
    cpuMs: number;
    runningSeconds: number;
}

export interface CpuDatapoint {
    average: number;
    maximum: number;
}

/** A task present for less than this in a period publishes no sample of its own for it. */
const MIN_SAMPLE_SECONDS = 1;

/**
 * ECS `CPUUtilization` of a service for one period: CPU used ÷ CPU reserved by the running tasks, in percent;
 * Average over the service, Maximum the busiest task; no datapoint while no task runs.
 * Source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_utilization.html
 * (service CPU utilization = total CPU units used by the tasks ÷ total CPU units reserved for them × 100).
 */
export function cpuDatapoint(tasks: readonly TaskPeriodUsage[], vcpusPerTask: number): CpuDatapoint | null {
    const present = tasks.filter((task) => task.runningSeconds >= MIN_SAMPLE_SECONDS);
    const reservedMs = present.reduce((total, task) => total + task.runningSeconds * vcpusPerTask * 1000, 0);
    if (reservedMs === 0) return null;
    const usedMs = present.reduce((total, task) => total + task.cpuMs, 0);
    const utilization = (task: TaskPeriodUsage) => (100 * task.cpuMs) / (task.runningSeconds * vcpusPerTask * 1000);
    return {
        average: Math.min(100, (100 * usedMs) / reservedMs),
        maximum: Math.min(100, Math.max(...present.map(utilization))),
    };
}

export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface AlarmRule {
    /** Whether a datapoint breaches: the comparison with the threshold. */
    breaches(value: number): boolean;
    evaluationPeriods: number;
    datapointsToAlarm: number;
}

/**
 * A metric alarm's state from its datapoints, oldest first (null = missing): ALARM when at least
 * `datapointsToAlarm` of the latest `evaluationPeriods` breach, OK otherwise; with treatMissingData "missing",
 * missing datapoints count for neither, and a window without any datapoint is INSUFFICIENT_DATA.
 * Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 * ("Evaluating an alarm", "Configuring how CloudWatch alarms treat missing data").
 */
export function alarmState(datapoints: readonly (number | null)[], rule: AlarmRule): AlarmStateValue {
    const window = datapoints.slice(-rule.evaluationPeriods).filter((value): value is number => value !== null);
    if (window.length === 0) return "INSUFFICIENT_DATA";
    return window.filter((value) => rule.breaches(value)).length >= rule.datapointsToAlarm ? "ALARM" : "OK";
}
