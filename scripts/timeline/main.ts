/**
 * `npm run timeline -- simulate | observe | report`: predict a stack's autoscaling under a k6 profile, read what
 * CloudWatch recorded during a run, and draw both. See USAGE (./args.ts) and docs/scaling-timeline.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Invocation, USAGE, parseInvocation } from "./args";
import { assumptionsText, notesLines, summaryTable } from "./format";
import type { observeTimeline } from "./observe/observe";
import { renderReport } from "./report/report";
import { ASSUMPTIONS } from "./simulate/assumptions";
import { otherScalingMode, predict } from "./simulate/simulate";
import { readEnvironmentStack } from "./stack-file";
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

function readTimelineFile(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (error) {
        throw unreadableInput(error, file, "timeline", "pass a file written by timeline simulate or observe --json");
    }
}

/** Writes every output file, or none: each is written next to its target first, then renamed into place. */
function writeOutputs(outputs: ReadonlyArray<{ file: string; content: string }>, context: CommandContext): void {
    const staged: Array<{ file: string; temporary: string }> = [];
    for (const { file, content } of outputs) {
        const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
        try {
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
            const config = readEnvironmentStack(invocation.stackFile);
            const own = predict(invocation, config);
            const { timeline, cost, service } = own;
            context.print(
                `${timeline.stack} × ${invocation.script}: ${config.service.cpu / 1024} vCPU tasks, WORKERS ${service.workers}, ` +
                    `up to ${service.workers + service.maxQueue} requests per task (WORKERS + MAX_QUEUE)`,
            );
            context.print(`per-request CPU: ${cost.meanCpuMs.toFixed(1)} ms on average, from the ${cost.source}`);
            context.print(assumptionsText(timeline.assumptions, Object.keys(ASSUMPTIONS)));
            const columns = [{ title: `${timeline.stack} (${timeline.scaling.mode})`, timeline }];
            if (invocation.compare) {
                const other = predict(invocation, config, otherScalingMode(config)).timeline;
                columns.push({ title: `${other.scaling.mode}, its defaults`, timeline: other });
            }
            context.print("");
            context.print(summaryTable(columns));
            for (const line of notesLines(columns)) context.print(line);
            writeOutputs(timelineOutputs(timeline, invocation.outputs, () => renderReport({ predicted: timeline })), context);
            return;
        }
        case "observe": {
            const timeline = await context.observe(invocation, { progress: context.print });
            const columns = [{ title: `${timeline.stack} (observed)`, timeline }];
            context.print("");
            context.print(summaryTable(columns));
            // What the timeline lacks (an alarm history that could not be read) is said, but does not fail the command.
            for (const line of notesLines(columns)) context.print(line);
            writeOutputs(timelineOutputs(timeline, invocation.outputs, () => renderReport({ observed: timeline })), context);
            return;
        }
        case "report": {
            const read = (file: string | undefined, kind: Timeline["kind"]) => {
                if (file === undefined) return undefined;
                const timeline = parseTimeline(readTimelineFile(file), file);
                if (timeline.kind !== kind) throw new InputError(`${file} holds a ${timeline.kind} timeline: pass it as --${timeline.kind}`);
                return timeline;
            };
            const predicted = read(invocation.predicted, "predicted");
            const observed = read(invocation.observed, "observed");
            writeOutputs([{ file: invocation.html, content: renderReport({ predicted, observed }) }], context);
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
