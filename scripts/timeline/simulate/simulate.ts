/**
 * `timeline simulate`: a stack file and a k6 profile in, a predicted timeline out. Reads the stack file through the
 * project's config schema and the profile through k6/lib, then runs the simulation (./engine.ts): once with the
 * per-request CPU it was given, and once at each end of that CPU's band (../band.ts), with the same seed.
 *
 * With a calibration (../calibrate/calibration.ts), its figures replace the calibration table and the assumptions
 * they fit; every input says where it came from, in the output and in the timeline's `assumptions`.
 */
import * as path from "node:path";
import { EnvironmentStackConfig, ScalingConfig, parseStackConfig } from "../../../config";
import { PERIOD_SECONDS } from "../../../components/metrics";
import type { LimitRange } from "../../../k6/lib/limits";
import { DEFAULTS as SERVICE_DEFAULTS } from "../../../service/src/config";
import type { TimelineScript } from "../args";
import { Band, DEFAULT_BAND_FRACTION, bandRow } from "../band";
import type { CalibratedFigure, Calibration } from "../calibrate/calibration";
import { round, stackSummaryContext, summarize, timelineScaling } from "../summary";
import { InputError, Timeline } from "../timeline";
import { AssumptionName, Assumptions, resolveAssumptions } from "./assumptions";
import { SimulatedService, SimulationInput, SimulationResult, runSimulation } from "./engine";
import { RequestCost, readWorkload, requestCost } from "./load";

/** A calibration file (`--calibration`) and what it holds. */
export interface CalibrationInput {
    file: string;
    calibration: Calibration;
}

export interface SimulateRequest {
    stackFile: string;
    script: TimelineScript;
    env: Readonly<Record<string, string>>;
    cpuMs?: number;
    calibration?: CalibrationInput;
    assume: Readonly<Record<string, number>>;
}

/** The assumptions a calibration replaces when it has the figure; requestOverheadPercent always (its CPU includes it). */
export const CALIBRATED_ASSUMPTIONS = ["taskStartupSeconds", "datapointDelaySeconds", "requestOverheadPercent"] as const satisfies readonly AssumptionName[];
type CalibratedAssumption = (typeof CALIBRATED_ASSUMPTIONS)[number];

/** Where an input the calibration can give came from: the calibration file, the calibration table or --cpu-ms, an assumption. */
export type InputSources = Record<"cpuMs" | CalibratedAssumption, string>;

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

/** The inputs of a prediction, resolved from the request: the per-request CPU, the assumptions, and their band. */
interface ResolvedInputs {
    cost: RequestCost;
    assumptions: Assumptions;
    sources: InputSources;
    /** The names whose values come from the calibration. */
    calibrated: CalibratedAssumption[];
    band: Pick<Band, "cpuMsPerRequest" | "source">;
    warnings: string[];
}

const samples = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

const defaultSource = (request: SimulateRequest, name: AssumptionName) => (Object.hasOwn(request.assume, name) ? "--assume" : "assumption");

function tableInputs(request: SimulateRequest, limits: LimitRange): ResolvedInputs {
    const cost = requestCost(limits, request.cpuMs);
    return {
        cost,
        assumptions: resolveAssumptions(request.assume),
        sources: {
            cpuMs: cost.source,
            taskStartupSeconds: defaultSource(request, "taskStartupSeconds"),
            datapointDelaySeconds: defaultSource(request, "datapointDelaySeconds"),
            requestOverheadPercent: defaultSource(request, "requestOverheadPercent"),
        },
        calibrated: [],
        band: {
            cpuMsPerRequest: { low: cost.meanCpuMs * (1 - DEFAULT_BAND_FRACTION), high: cost.meanCpuMs * (1 + DEFAULT_BAND_FRACTION) },
            source: `±${DEFAULT_BAND_FRACTION * 100} % of the ${cost.source}`,
        },
        warnings: [],
    };
}

/** The calibration's figure for each assumption it can set (requestOverheadPercent has none: it is 0, included in the CPU). */
function calibratedFigures(calibration: Calibration): Record<Exclude<CalibratedAssumption, "requestOverheadPercent">, CalibratedFigure | null> {
    return { taskStartupSeconds: calibration.taskStartupSeconds, datapointDelaySeconds: calibration.datapointDelaySeconds };
}

function calibrationInputs(request: SimulateRequest, config: EnvironmentStackConfig, limits: LimitRange, { file, calibration }: CalibrationInput): ResolvedInputs {
    const figures = calibratedFigures(calibration);
    const values: Partial<Record<CalibratedAssumption, number>> = { requestOverheadPercent: 0 };
    for (const [name, figure] of Object.entries(figures)) if (figure !== null) values[name as keyof typeof figures] = figure.value;
    const calibrated = CALIBRATED_ASSUMPTIONS.filter((name) => values[name] !== undefined);
    const conflict = calibrated.find((name) => Object.hasOwn(request.assume, name));
    if (conflict !== undefined) {
        throw new InputError(`--assume ${conflict} conflicts with --calibration ${file}, which sets it: drop the --assume, or the calibration`);
    }
    const observed = `observed ${calibration.source.observed}`;
    const cpu = calibration.cpuMsPerRequest;
    const cost = { ...requestCost(limits, cpu.value), source: `calibration ${file} (${observed}, ${samples(cpu.samples, "row")})` };
    const figureSource = (figure: CalibratedFigure | null, name: AssumptionName) =>
        figure === null ? `${defaultSource(request, name)} (calibration ${file} has none)` : `calibration ${file} (${observed}, ${samples(figure.samples, "sample")})`;
    const vcpus = config.service.cpu / 1024;
    const warnings =
        calibration.source.vcpusPerTask === vcpus
            ? []
            : [
                  `${file} was fitted on ${calibration.source.vcpusPerTask} vCPU tasks and this stack runs ${vcpus} vCPU tasks: ` +
                      "the per-request CPU is per vCPU-second, so it carries across task sizes only approximately",
              ];
    return {
        cost,
        assumptions: { ...resolveAssumptions(request.assume), ...values },
        sources: {
            cpuMs: cost.source,
            taskStartupSeconds: figureSource(figures.taskStartupSeconds, "taskStartupSeconds"),
            datapointDelaySeconds: figureSource(figures.datapointDelaySeconds, "datapointDelaySeconds"),
            requestOverheadPercent: `calibration ${file} (included in its per-request CPU)`,
        },
        calibrated,
        band: { cpuMsPerRequest: { low: cpu.low, high: cpu.high }, source: `the spread of calibration ${file}, ${samples(cpu.samples, "row")}` },
        warnings,
    };
}

export interface Prediction {
    timeline: Timeline & { band: Band };
    cost: RequestCost;
    assumptions: Assumptions;
    service: SimulatedService;
    sources: InputSources;
    calibrated: CalibratedAssumption[];
    /** What the user should know about the inputs (a calibration fitted on another task size). */
    warnings: string[];
}

function simulation(stackFile: string, input: SimulationInput): SimulationResult {
    try {
        return runSimulation(input);
    } catch (error) {
        if (error instanceof RangeError) throw new InputError(`${stackFile}: ${error.message}`);
        throw error;
    }
}

/** Predicts the timeline of `scaling` (default: the stack's own) under the request's profile, with its band. */
export function predict(request: SimulateRequest, config: EnvironmentStackConfig, scaling: ScalingConfig = config.scaling): Prediction {
    const { workload, limits } = readWorkload(request.script, request.env);
    const inputs = request.calibration === undefined ? tableInputs(request, limits) : calibrationInputs(request, config, limits, request.calibration);
    const { cost, assumptions } = inputs;
    const service = simulatedService(config);
    const stepSeconds = PERIOD_SECONDS;
    const run = (runCost: RequestCost) => simulation(request.stackFile, { stepSeconds, service, scaling, workload, cost: runCost, assumptions });
    const result = run(cost);
    const { low, high } = inputs.band.cpuMsPerRequest;
    const band: Band = {
        cpuMsPerRequest: { low: round(low), high: round(high) },
        source: inputs.band.source,
        low: run(requestCost(limits, low)).rows.map(bandRow),
        high: run(requestCost(limits, high)).rows.map(bandRow),
    };
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
                cpuMsPerRequest: round(cost.meanCpuMs),
                ...Object.fromEntries(Object.entries(inputs.sources).map(([name, source]) => [`${name}Source`, source])),
                ...(request.calibration === undefined ? {} : { calibration: request.calibration.file }),
                workers: service.workers,
                maxQueue: service.maxQueue,
                initialTasks: scaling.minCapacity,
                queueingModel: "G/G/c/K per task: c = WORKERS sharing the task's vCPUs, K = WORKERS + MAX_QUEUE; round robin across tasks in service",
            },
            summary,
            scaling: timelineScaling(scaling),
            band,
        },
        cost,
        assumptions,
        service,
        sources: inputs.sources,
        calibrated: inputs.calibrated,
        warnings: inputs.warnings,
    };
}
