/**
 * A Fargate task's life behind the load balancer: launched by a scaling activity, PENDING while Fargate places
 * it and pulls its image, RUNNING and registered with the target group, in service once it passes its first
 * health check; on scale-in, deregistered and draining for the deregistration delay before it is stopped.
 */
import type { HealthCheckConfig } from "../../../config";

export interface TaskMilestones {
    /** Container running; counted in RunningTaskCount and in the service's CPU. */
    runningAt: number;
    /** First passing health check: the load balancer routes requests to it from here. */
    servingAt: number;
}

/**
 * A task launched at `launchAt` runs after the start-up time and takes traffic after one health check: a newly
 * registered target needs a single passing check (not the healthy threshold) to leave the `initial` state. The
 * check comes within one interval of registration; the simulation takes the whole interval.
 * Source: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 * ("Target health status": initial → healthy) and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html (PENDING → RUNNING).
 */
export function taskMilestones(launchAt: number, startupSeconds: number, healthCheck: Pick<HealthCheckConfig, "intervalSeconds">): TaskMilestones {
    const runningAt = launchAt + startupSeconds;
    return { runningAt, servingAt: runningAt + healthCheck.intervalSeconds };
}

/**
 * On scale-in the target is deregistered at once (no new requests) and the task stopped after the deregistration
 * delay, so requests in flight finish; it still runs, and counts, until then.
 * Source: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
 */
export function stopTime(deregisteredAt: number, deregistrationDelaySeconds: number): number {
    return deregisteredAt + deregistrationDelaySeconds;
}

export type TaskPhase = "pending" | "running" | "serving" | "draining" | "stopped";

export interface TaskLife {
    id: number;
    launchAt: number;
    milestones: TaskMilestones;
    /** Set on scale-in. */
    deregisteredAt?: number;
    stoppedAt?: number;
}

export function taskPhase(task: TaskLife, t: number): TaskPhase {
    if (task.stoppedAt !== undefined && t >= task.stoppedAt) return "stopped";
    if (task.deregisteredAt !== undefined && t >= task.deregisteredAt) return "draining";
    if (t >= task.milestones.servingAt) return "serving";
    if (t >= task.milestones.runningAt) return "running";
    return "pending";
}

/**
 * Which tasks a scale-in stops: those not yet running first (cheapest to lose), then the newest. ECS balances
 * stops across Availability Zones first; with tasks spread evenly, newest-first is what that leaves to choose.
 */
export function tasksToStop<Task extends TaskLife>(active: readonly Task[], count: number, t: number): Task[] {
    if (count <= 0) return [];
    const order = (task: TaskLife) => (taskPhase(task, t) === "pending" ? 0 : 1);
    return [...active].sort((a, b) => order(a) - order(b) || b.launchAt - a.launchAt || b.id - a.id).slice(0, count);
}
