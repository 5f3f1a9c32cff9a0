/**
 * What the command knows of one stack's run objects: the segment it gave each task, how many are ready, and the
 * results read so far. A result is handed on once, as it arrives, and only its outcome is kept here: what it recorded
 * is folded into the merge by the caller and dropped, so the command's memory does not grow with the task count.
 * The same reading serves a run in progress and `npm run loadtest -- merge` after one.
 */
import { runKeys } from "../../loadgen/src/contract";
import { SegmentResult, decodeSegmentResult } from "../../loadgen/src/protocol";
import { RunStore } from "../../loadgen/src/run-store";
import { LaunchedTask } from "./orchestrate";
import { inPool } from "./pool";

/** How many results are downloaded at once: enough to keep up with 1,000 tasks ending together, few in memory. */
export const RESULT_DOWNLOADS = 8;

/** "segment 3 (task 3f2a…, loadgen-eu)", or without the task when none is known. */
export function segmentLabel(segment: number, stack: string, taskId?: string): string {
    return `segment ${segment} (${taskId !== undefined ? `task ${taskId}, ` : ""}${stack})`;
}

/**
 * `what` went wrong in a task, with the first error k6 reported there that says most about it: for k6 itself failing,
 * the first it logged (an exception, an abort); for requests failing, the first of them; either when the other is
 * absent, and none in a result from a runner before them.
 */
export function withFirstK6Error(what: string, result: Pick<SegmentResult, "firstErrors">, of: "k6" | "requests"): string {
    const { request, log } = result.firstErrors ?? {};
    const first = of === "k6" ? (log ?? request) : (request ?? log);
    return first !== undefined ? `${what}; k6's first error: ${first}` : what;
}

type Outcome = Pick<SegmentResult, "taskId" | "status" | "reason" | "logTail" | "firstErrors">;

export class ResultWatch {
    private readonly tasks = new Map<number, string>();
    private readonly outcomes = new Map<number, Outcome>();
    /** Results that could not be read, by segment: counted as missing, named as errors. */
    private readonly unreadable = new Map<number, string>();
    private readonly keys: ReturnType<typeof runKeys>;

    constructor(
        readonly store: RunStore,
        private readonly runId: string,
        readonly stack: string,
        readonly segments: readonly number[],
    ) {
        this.keys = runKeys(runId);
    }

    get resultCount(): number {
        return this.outcomes.size + this.unreadable.size;
    }

    /** Writes each task's segment under its id, where the task looks for it. */
    async assign(tasks: readonly LaunchedTask[]): Promise<void> {
        for (const task of tasks) this.tasks.set(task.segment, task.taskId);
        await Promise.all(tasks.map((task) => this.store.put(this.keys.assignment(task.taskId), JSON.stringify({ segment: task.segment }))));
    }

    async countReady(): Promise<number> {
        const ready = new Set(await this.store.list(this.keys.readyPrefix));
        return this.segments.filter((segment) => ready.has(this.keys.ready(segment))).length;
    }

    /** One listing, then a download of each result not read before, a few at a time; each goes to `collect` once. */
    async readNew(collect: (result: SegmentResult) => void): Promise<void> {
        const listed = new Set(await this.store.list(this.keys.resultsPrefix));
        const pending = this.segments.filter((segment) => !this.outcomes.has(segment) && !this.unreadable.has(segment) && listed.has(this.keys.result(segment)));
        await inPool(pending, RESULT_DOWNLOADS, (segment) => this.read(segment, collect));
    }

    private async read(segment: number, collect: (result: SegmentResult) => void): Promise<void> {
        const key = this.keys.result(segment);
        const where = `${this.store.location}/${key}`;
        const object = await this.store.get(key);
        if (object === undefined) return;
        let result: SegmentResult;
        try {
            result = decodeSegmentResult(object.body, where);
            if (result.runId !== this.runId || result.segment !== segment) throw new Error(`${where} is segment ${result.segment} of ${result.runId}`);
            collect(result);
        } catch (error) {
            this.unreadable.set(segment, `${this.describeSegment(segment)}: its result cannot be merged: ${error instanceof Error ? error.message : String(error)}`);
            return;
        }
        const { taskId, status, reason, logTail, firstErrors } = result;
        this.outcomes.set(segment, { taskId, status, reason, logTail, firstErrors });
    }

    taskOf(segment: number): string | undefined {
        return this.outcomes.get(segment)?.taskId ?? this.tasks.get(segment);
    }

    describeSegment(segment: number): string {
        return segmentLabel(segment, this.stack, this.taskOf(segment));
    }

    late(): string[] {
        return [...this.outcomes].filter(([, outcome]) => outcome.status === "late").map(([segment]) => this.describeSegment(segment));
    }

    missing(): number[] {
        return this.segments.filter((segment) => !this.outcomes.has(segment));
    }

    /** A line per segment that did not complete, with k6's first error (else its last lines), and per result that could not be read. */
    errors(): string[] {
        const failed = [...this.outcomes]
            .filter(([, outcome]) => outcome.status !== "completed")
            .map(([segment, outcome]) => {
                const line = withFirstK6Error(`${this.describeSegment(segment)} ${outcome.status}: ${outcome.reason ?? "no reason given"}`, outcome, "k6");
                const tail = outcome.logTail.slice(-3).join(" | ");
                return outcome.firstErrors === undefined && tail ? `${line} (k6's last lines: ${tail})` : line;
            });
        return [...failed, ...this.unreadable.values()];
    }
}
