/**
 * How Application Auto Scaling changes an ECS service's desired count once a policy asks it to, with the cooldowns
 * both step scaling and target tracking follow.
 * Source: https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html
 * (Cooldown) and https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
 * (scale-out and scale-in cooldowns).
 */

export interface CapacityBounds {
    minCapacity: number;
    maxCapacity: number;
}

/** The scalable target's state between activities. */
export interface CapacityState {
    desired: number;
    /** While t < scaleOutCooldownUntil, a scale-out only applies where it asks for more than the one in progress. */
    scaleOutCooldownUntil: number;
    /** The desired count before the scale-out that started the cooldown: a later scale-out counts from it. */
    scaleOutBase: number;
    /** While t < scaleInCooldownUntil, scale-in is blocked. */
    scaleInCooldownUntil: number;
}

export function initialCapacity(desired: number): CapacityState {
    return { desired, scaleOutCooldownUntil: -Infinity, scaleOutBase: desired, scaleInCooldownUntil: -Infinity };
}

/** Application Auto Scaling never sets a desired count outside the scalable target's min and max capacity. */
export function clampCapacity(count: number, bounds: CapacityBounds): number {
    return Math.min(bounds.maxCapacity, Math.max(bounds.minCapacity, count));
}

export interface ScaleOutRequest {
    t: number;
    /** The desired count the policy computes from a given current count (+N, or proportional to the metric). */
    proposed(from: number): number;
    cooldownSeconds: number;
}

/**
 * A scale-out. Outside a cooldown it starts from the current desired count. During the cooldown that a previous
 * scale-out started, the tasks that one added count as already there: the policy's answer is computed from the
 * count before it, and only the difference of a larger answer is added. A scale-out ends a scale-in cooldown.
 * Returns the new state, unchanged when nothing is added.
 */
export function scaleOut(state: CapacityState, request: ScaleOutRequest, bounds: CapacityBounds): CapacityState {
    const inCooldown = request.t < state.scaleOutCooldownUntil;
    const base = inCooldown ? state.scaleOutBase : state.desired;
    const target = clampCapacity(request.proposed(base), bounds);
    if (target <= state.desired) return state;
    return {
        desired: target,
        scaleOutCooldownUntil: request.t + request.cooldownSeconds,
        scaleOutBase: base,
        scaleInCooldownUntil: -Infinity,
    };
}

export interface ScaleInRequest {
    t: number;
    proposed(from: number): number;
    cooldownSeconds: number;
}

/** A scale-in: blocked while a scale-in cooldown runs; otherwise from the desired count, and it starts one. */
export function scaleIn(state: CapacityState, request: ScaleInRequest, bounds: CapacityBounds): CapacityState {
    if (request.t < state.scaleInCooldownUntil) return state;
    const target = clampCapacity(request.proposed(state.desired), bounds);
    if (target >= state.desired) return state;
    return { ...state, desired: target, scaleInCooldownUntil: request.t + request.cooldownSeconds };
}
