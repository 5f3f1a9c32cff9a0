/**
 * `timeline calibrate`: the simulator's guessed inputs fitted from an observed run, each by a fit of its own:
 *
 *   cpuMsPerRequest        ./cpu.ts      the rows: CPU used ÷ requests served, in minutes with steady tasks
 *   taskStartupSeconds     ./startup.ts  each scale-out → ECS's word (or the rows') that its tasks run
 *   datapointDelaySeconds  ./delay.ts    each scale-out alarm → the end of the minute that completed its breach
 *
 * A figure the run cannot give is null, with a note why; a run no row of which gives the CPU is bad input.
 */
import type { EnvironmentStackConfig } from "../../../config";
import { environmentResourceNames } from "../../../stacks/environment-names";
import { pulumiStackName } from "../stack-file";
import { InputError, type Timeline } from "../timeline";
import type { Calibration } from "./calibration";
import { cpuRows, describeSkipped } from "./cpu";
import { fitDatapointDelay } from "./delay";
import { figureOf } from "./figure";
import { fitTaskStartup } from "./startup";

/**
 * Refuses a timeline that is not an observation of this stack: a prediction, or one whose recorded cluster and
 * service (what observe read) are not the ones the stack file names; a timeline that records none must at least
 * come from the stack file of the environment's name.
 */
export function checkObservedOf(observed: Timeline, config: EnvironmentStackConfig, observedFile: string): void {
    if (observed.kind !== "observed") {
        throw new InputError(`${observedFile} is a ${observed.kind} timeline: calibrate fits what a run did; pass the file timeline observe --json wrote`);
    }
    const names = environmentResourceNames(config);
    for (const key of ["clusterName", "serviceName"] as const) {
        const recorded = observed.assumptions[key];
        if (recorded !== undefined && recorded !== names[key]) {
            throw new InputError(
                `${observedFile} was observed on ${key === "clusterName" ? "cluster" : "service"} ${recorded}, but the stack file names ${names[key]}: pass the stack file of that run (--stack)`,
            );
        }
    }
    const recordsNames = observed.assumptions.clusterName !== undefined || observed.assumptions.serviceName !== undefined;
    if (!recordsNames && pulumiStackName(observed.stack) !== config.environment.name) {
        throw new InputError(`${observedFile} was observed on ${observed.stack}, not on the ${config.environment.name} environment's stack file: pass the stack file of that run (--stack)`);
    }
}

/** The calibration an observed run gives for the stack it ran on. */
export function calibrate(observed: Timeline, config: EnvironmentStackConfig, observedFile: string): Calibration {
    checkObservedOf(observed, config, observedFile);
    const { rows, events, stepSeconds } = observed;
    const vcpusPerTask = config.service.cpu / 1024;

    const cpu = cpuRows(rows, stepSeconds, vcpusPerTask);
    const cpuFigure = figureOf(cpu.samples);
    if (cpuFigure === null) {
        throw new InputError(`${observedFile}: no row gives the CPU per request, so nothing can be calibrated: ${describeSkipped(cpu.skipped)}`);
    }
    const cpuNote = cpu.skipped.size === 0 ? [] : [`CPU per request from ${cpu.samples.length} of ${rows.length} rows; left out: ${describeSkipped(cpu.skipped)}`];
    const startup = fitTaskStartup(events, rows, stepSeconds);
    const delay = fitDatapointDelay(events, rows, stepSeconds, config.scaling);

    return {
        kind: "calibration",
        version: 1,
        source: { observed: observedFile, stack: observed.stack, script: observed.script, vcpusPerTask },
        cpuMsPerRequest: cpuFigure,
        taskStartupSeconds: figureOf(startup.samples),
        datapointDelaySeconds: figureOf(delay.samples),
        notes: [...cpuNote, ...startup.notes, ...delay.notes],
    };
}
