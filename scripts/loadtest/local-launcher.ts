/**
 * `--local`: the run's tasks as runners inside this process, each with its own k6 process and working directory,
 * sharing a directory store. Everything but AWS is the same as on Fargate: the manifest, the segments written under
 * each task's id, `go`, the heartbeat, the results and the merge.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { RunStore } from "../../loadgen/src/run-store";
import { ServerClock } from "../../loadgen/src/server-clock";
import { abortableSleep, runSegmentTask } from "../../loadgen/src/runner";
import { Launcher, TaskView } from "./orchestrate";

export interface LocalLauncherArgs {
    runId: string;
    store: RunStore;
    /** Each task works in `<runDir>/task-<n>`: the scripts' own files never collide. */
    runDir: string;
    k6Binary: string;
    k6Version: string;
    pollMs: number;
    log(line: string): void;
}

interface LocalTask {
    id: string;
    stop: AbortController;
    settled: Promise<void>;
    view: TaskView;
}

export class LocalLauncher implements Launcher {
    private readonly tasks: LocalTask[] = [];

    constructor(private readonly args: LocalLauncherArgs) {}

    async launch(segments: readonly number[], record: (tasks: { taskId: string; segment: number }[]) => Promise<void>, signal: AbortSignal) {
        for (const segment of segments) {
            if (signal.aborted) break;
            const id = `local-${this.tasks.length}`;
            await record([{ taskId: id, segment }]);
            const workDir = join(this.args.runDir, `task-${this.tasks.length}`);
            await mkdir(workDir, { recursive: true });
            const stop = new AbortController();
            const view: TaskView = { id, state: "running" };
            const settled = runSegmentTask({
                // Each task keeps its own estimate of the store's clock, as a Fargate task does.
                store: this.args.store.withClock(new ServerClock()),
                runId: this.args.runId,
                taskId: id,
                k6Binary: this.args.k6Binary,
                k6Version: this.args.k6Version,
                workDir,
                sleep: abortableSleep,
                log: (message) => this.args.log(`${id}: ${message}`),
                stopSignal: stop.signal,
                pollMs: this.args.pollMs,
            }).then(
                () => {
                    view.state = "stopped";
                },
                (error: unknown) => {
                    view.state = "stopped";
                    view.stoppedDetail = error instanceof Error ? error.message : String(error);
                },
            );
            this.tasks.push({ id, stop, settled, view });
        }
        return { failures: [] };
    }

    async poll(): Promise<TaskView[]> {
        return this.tasks.map((task) => ({ ...task.view }));
    }

    async stopAll(reason: string): Promise<string[]> {
        const running = this.tasks.filter((task) => task.view.state !== "stopped");
        for (const task of running) task.stop.abort(reason);
        await Promise.all(this.tasks.map((task) => task.settled));
        return running.map((task) => `${task.id} (local k6 process) stopped`);
    }
}
