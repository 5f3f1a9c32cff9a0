/**
 * `timeline simulate`: a stack file and a k6 profile in, a predicted timeline out. Reads the stack file through the
 * project's config schema and the profile through k6/lib, then runs the simulation (./engine.ts).
 */
import * as path from "node:path";
import { EnvironmentStackConfig, ScalingConfig, parseStackConfig } from "../../../config";
import { PERIOD_SECONDS } from "../../../components/metrics";
import { DEFAULTS as SERVICE_DEFAULTS } from "../../../service/src/config";
import type { TimelineScript } from "../args";
import { stackSummaryContext, summarize, timelineScaling } from "../summary";
import { InputError, Timeline } from "../timeline";
import { Assumptions, resolveAssumptions } from "./assumptions";
import { SimulatedService, runSimulation } from "./engine";
import { RequestCost, readWorkload, requestCost } from "./load";

export interface SimulateRequest {
    stackFile: string;
    script: TimelineScript;
    env: Readonly<Record<string, string>>;
    cpuMs?: number;
    assume: Readonly<Record<string, number>>;
}

/** The service as the stack runs it: WORKERS as the stack sets it (one per vCPU when unset), MAX_QUEUE as the service defaults it. */
export function simulatedService(config: EnvironmentStackConfig): SimulatedService {
    const workers = config.service.workers ?? Math.max(1, Math.ceil(config.service.cpu / 1024));
    return {
        cpuUnits: config.service.cpu,
        workers,
        maxQueue: SERVICE_DEFAULTS.maxQueuePerWorker * workers,
        healthCheck: config.service.healthCheck,
        deregistrationDelaySeconds: config.service.deregistrationDelaySeconds,
    };
}

/** The other scaling mode with its schema defaults and the stack's capacity bounds, for `--compare`. */
export function otherScalingMode(config: EnvironmentStackConfig): ScalingConfig {
    const mode = config.scaling.mode === "step" ? "target-tracking" : "step";
    const raw = { ...rawEnvironmentKeys(config), scaling: { mode, minCapacity: config.scaling.minCapacity, maxCapacity: config.scaling.maxCapacity } };
    return (parseStackConfig(raw, "--compare") as EnvironmentStackConfig).scaling;
}

function rawEnvironmentKeys(config: EnvironmentStackConfig): Record<string, unknown> {
    const { role, aws, environment, domain } = config;
    return { role, aws, environment, domain };
}

export interface Prediction {
    timeline: Timeline;
    cost: RequestCost;
    assumptions: Assumptions;
    service: SimulatedService;
}

/** Predicts the timeline of `scaling` (default: the stack's own) under the request's profile. */
export function predict(request: SimulateRequest, config: EnvironmentStackConfig, scaling: ScalingConfig = config.scaling): Prediction {
    const { workload, limits } = readWorkload(request.script, request.env);
    const cost = requestCost(limits, request.cpuMs);
    const assumptions = resolveAssumptions(request.assume);
    const service = simulatedService(config);
    const stepSeconds = PERIOD_SECONDS;
    let result;
    try {
        result = runSimulation({ stepSeconds, service, scaling, workload, cost, assumptions });
    } catch (error) {
        if (error instanceof RangeError) throw new InputError(`${request.stackFile}: ${error.message}`);
        throw error;
    }
    const summary = summarize(result.rows, {
        ...stackSummaryContext(config, scaling),
        stepSeconds,
        activities: result.activities,
        taskServingTimes: result.taskServingTimes,
        latenciesMs: result.latenciesMs,
        taskSeconds: result.taskSeconds,
    });
    return {
        timeline: {
            kind: "predicted",
            stack: path.basename(request.stackFile),
            script: request.script,
            stepSeconds,
            rows: result.rows,
            events: result.events,
            assumptions: {
                ...assumptions,
                cpuMsPerRequest: Math.round(cost.meanCpuMs * 100) / 100,
                cpuMsSource: cost.source,
                workers: service.workers,
                maxQueue: service.maxQueue,
                initialTasks: scaling.minCapacity,
                queueingModel: "G/G/c/K per task: c = WORKERS sharing the task's vCPUs, K = WORKERS + MAX_QUEUE; round robin across tasks in service",
            },
            summary,
            scaling: timelineScaling(scaling),
        },
        cost,
        assumptions,
        service,
    };
}
