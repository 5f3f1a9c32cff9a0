/**
 * `npm run timeline -- simulate | observe | calibrate | report`: predict a stack's autoscaling under a k6 profile,
 * read what CloudWatch recorded during a run, fit the prediction's inputs from it, and draw them all. See USAGE
 * (./args.ts) and docs/scaling-timeline.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError, usageErrorText } from "../cli-usage";
import { StackRef, readingLine } from "../stack-file";
import { Invocation, TIMELINE_USAGE, USAGE, parseInvocation } from "./args";
import { BAND_AGREES, bandText } from "./band";
import { parseCalibration } from "./calibrate/calibration";
import { calibrate } from "./calibrate/fit";
import { predictionError } from "./compare";
import { assumptionsText, calibrationLines, deploymentLines, notesLines, predictionErrorTable, summaryTable } from "./format";
import type { observeTimeline } from "./observe/observe";
import { PREDICTIONS } from "./report/charts";
import { renderReport } from "./report/report";
import { ASSUMPTIONS } from "./simulate/assumptions";
import { CALIBRATED_ASSUMPTIONS, Prediction, otherScalingMode, predict } from "./simulate/simulate";
import { pulumiStackName, readEnvironmentStack } from "./stack-file";
import { InputError, Timeline, parseTimeline, unreadableInput } from "./timeline";

/** The command's outside world; tests pass their own. */
export interface CommandContext {
    print(line: string): void;
    printError(line: string): void;
    observe: typeof observeTimeline;
}

const defaultContext: CommandContext = {
    print: (line) => console.log(line),
    printError: (line) => console.error(line),
    // Loaded on use: the AWS SDK would add a second to every simulate and report.
    observe: async (request, deps) => (await import("./observe/observe")).observeTimeline(request, deps),
};

function readInput(file: string, what: string, hint: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (error) {
        throw unreadableInput(error, file, what, hint);
    }
}

/** A timeline file, refused unless it holds the kind of timeline expected. */
function readTimeline(file: string, kind: Timeline["kind"]): Timeline {
    const timeline = parseTimeline(readInput(file, "timeline", "pass a file written by timeline simulate or observe --json"), file);
    if (timeline.kind !== kind) throw new InputError(`${file} holds a ${timeline.kind} timeline: pass it as --${timeline.kind}`);
    return timeline;
}

/** The stack calibrate reads: --stack, else the stack file the observed timeline names, in the current folder. */
function calibrationStack(given: StackRef | undefined, observed: Timeline, observedFile: string): StackRef {
    if (given !== undefined) return given;
    if (!fs.existsSync(observed.stack)) {
        throw new InputError(`${observedFile} was observed on ${observed.stack}, which is not in ${process.cwd()}: pass its stack with --stack <name|file>`);
    }
    return { name: pulumiStackName(observed.stack), file: observed.stack };
}

/** An environment stack's config, then which file it came from (a file that cannot be read says so instead). */
function readStack(stack: StackRef, context: CommandContext) {
    const config = readEnvironmentStack(stack.file);
    context.printError(readingLine(stack));
    return config;
}

/** What simulate prints about its inputs: where each came from, the band and where it is at the edge, and warnings. */
function inputLines(prediction: Prediction, calibrated: boolean): string[] {
    const { timeline, cost, sources } = prediction;
    const overridable = Object.keys(ASSUMPTIONS).filter((name) => !(prediction.calibrated as readonly string[]).includes(name));
    const fromCalibration = CALIBRATED_ASSUMPTIONS.map((name) => `${name}=${prediction.assumptions[name]} from ${sources[name]}`);
    const { range, edges } = bandText(timeline.band, timeline.stepSeconds);
    const verdict = edges.length === 0 ? BAND_AGREES : `at the edge in ${edges.length} stretch${edges.length === 1 ? "" : "es"}:`;
    return [
        `per-request CPU: ${cost.meanCpuMs.toFixed(1)} ms on average, from the ${cost.source}`,
        ...(calibrated ? [`inputs: ${fromCalibration.join("; ")}`] : []),
        assumptionsText(timeline.assumptions, overridable),
        `band: ${range}, same seed: ${verdict}`,
        ...edges,
        ...prediction.warnings.map((warning) => `warning: ${warning}`),
    ];
}

/** Writes every output file, or none: each is written next to its target first, then renamed into place. */
function writeOutputs(outputs: ReadonlyArray<{ file: string; content: string }>, context: CommandContext): void {
    const staged: Array<{ file: string; temporary: string }> = [];
    for (const { file, content } of outputs) {
        const directory = path.dirname(path.resolve(file));
        const temporary = path.join(directory, `.${path.basename(file)}.${process.pid}.tmp`);
        try {
            fs.mkdirSync(directory, { recursive: true });
            fs.writeFileSync(temporary, content);
        } catch (error) {
            for (const done of staged) fs.rmSync(done.temporary, { force: true });
            throw new InputError(`cannot write ${file}: ${(error as Error).message}`);
        }
        staged.push({ file, temporary });
    }
    for (const { file, temporary } of staged) {
        fs.renameSync(temporary, file);
        context.print(`wrote ${file}`);
    }
}

function timelineOutputs(timeline: Timeline, outputs: { json?: string; html?: string }, report: () => string) {
    return [
        ...(outputs.json ? [{ file: outputs.json, content: `${JSON.stringify(timeline, null, 2)}\n` }] : []),
        ...(outputs.html ? [{ file: outputs.html, content: report() }] : []),
    ];
}

async function run(invocation: Invocation, context: CommandContext): Promise<void> {
    switch (invocation.kind) {
        case "help":
            context.print(USAGE);
            return;
        case "simulate": {
            const config = readStack(invocation.stack, context);
            const calibrationFile = invocation.calibrationFile;
            const calibration =
                calibrationFile === undefined
                    ? undefined
                    : { file: calibrationFile, calibration: parseCalibration(readInput(calibrationFile, "calibration", "pass a file written by timeline calibrate --out"), calibrationFile) };
            const request = { ...invocation, stackFile: invocation.stack.file, calibration };
            const own = predict(request, config);
            const { timeline, service } = own;
            context.print(
                `${timeline.stack} × ${invocation.script}: ${config.service.cpu / 1024} vCPU tasks, WORKERS ${service.workers}, ` +
                    `up to ${service.workers + service.maxQueue} requests per task (WORKERS + MAX_QUEUE)`,
            );
            for (const line of inputLines(own, calibration !== undefined)) context.print(line);
            const columns = [{ title: `${timeline.stack} (${timeline.scaling.mode})`, timeline }];
            if (invocation.compare) {
                const other = predict(request, config, otherScalingMode(config)).timeline;
                columns.push({ title: `${other.scaling.mode}, its defaults`, timeline: other });
            }
            context.print("");
            context.print(summaryTable(columns));
            for (const line of notesLines(columns)) context.print(line);
            const role = calibration === undefined ? "predicted" : "calibrated";
            writeOutputs(timelineOutputs(timeline, invocation.outputs, () => renderReport({ [role]: timeline })), context);
            return;
        }
        case "calibrate": {
            const observed = readTimeline(invocation.observedFile, "observed");
            const stack = calibrationStack(invocation.stack, observed, invocation.observedFile);
            const calibration = calibrate(observed, readStack(stack, context), invocation.observedFile);
            for (const line of calibrationLines(calibration)) context.print(line);
            writeOutputs([{ file: invocation.out, content: `${JSON.stringify(calibration, null, 2)}\n` }], context);
            return;
        }
        case "observe": {
            // observe reads the stack file again itself (and the stack's outputs by its name): this refuses a bad one first.
            readStack(invocation.stack, context);
            const timeline = await context.observe({ ...invocation, stackFile: invocation.stack.file, stackName: invocation.stack.name }, { progress: context.print });
            const columns = [{ title: `${timeline.stack} (observed)`, timeline }];
            context.print("");
            context.print(summaryTable(columns));
            for (const line of deploymentLines(timeline)) context.print(line);
            // What the timeline lacks (an alarm history that could not be read) is said, but does not fail the command.
            for (const line of notesLines(columns)) context.print(line);
            writeOutputs(timelineOutputs(timeline, invocation.outputs, () => renderReport({ observed: timeline })), context);
            return;
        }
        case "report": {
            const read = (file: string | undefined, kind: Timeline["kind"]) => (file === undefined ? undefined : readTimeline(file, kind));
            const timelines = {
                predicted: read(invocation.predicted, "predicted"),
                observed: read(invocation.observed, "observed"),
                calibrated: read(invocation.calibrated, "predicted"),
            };
            if (timelines.calibrated !== undefined && typeof timelines.calibrated.assumptions.calibration !== "string") {
                throw new InputError(`${invocation.calibrated} was not simulated with --calibration (its assumptions name no calibration): pass it as --predicted`);
            }
            const { observed } = timelines;
            const errors = PREDICTIONS.flatMap((role) => {
                const timeline = timelines[role];
                return timeline === undefined || observed === undefined ? [] : [{ title: role, value: predictionError(timeline, observed) }];
            });
            if (errors.length > 0) {
                context.print("prediction error against the observed run:");
                context.print(predictionErrorTable(errors));
            }
            writeOutputs([{ file: invocation.html, content: renderReport(timelines) }], context);
            return;
        }
    }
}

/** Runs the command and returns its exit status: 0 done, 1 failed, 2 bad input. */
export async function main(argv: readonly string[], context: CommandContext = defaultContext): Promise<number> {
    try {
        await run(parseInvocation(argv), context);
        return 0;
    } catch (error) {
        if (error instanceof UsageError) {
            context.printError(usageErrorText(error.message, TIMELINE_USAGE, argv));
            return 2;
        }
        if (error instanceof InputError) {
            context.printError(error.message);
            return 2;
        }
        context.printError(`timeline failed: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2)).then((status) => {
        process.exitCode = status;
    });
}
