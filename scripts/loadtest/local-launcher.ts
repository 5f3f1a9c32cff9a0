/**
 * `--local`: the run's tasks as runners inside this process, each with its own k6 process and working directory,
 * sharing a directory store. Everything but AWS is the same as on Fargate: the manifest, the claims, `go`, the
 * heartbeat, the results and the merge.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { RunStore } from "../../loadgen/src/run-store";
import { abortableSleep, runSegmentTask } from "../../loadgen/src/runner";
import { Launcher, TaskView } from "./orchestrate";

export interface LocalLauncherArgs {
    runId: string;
    store: RunStore;
    /** Each task works in `<runDir>/task-<n>`: the scripts' own files never collide. */
    runDir: string;
    k6Binary: string;
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

    async start(count: number): Promise<{ failures: string[] }> {
        for (let index = 0; index < count; index++) {
            const id = `local-${this.tasks.length}`;
            const workDir = join(this.args.runDir, `task-${this.tasks.length}`);
            await mkdir(workDir, { recursive: true });
            const stop = new AbortController();
            const view: TaskView = { id, state: "running" };
            const settled = runSegmentTask({
                store: this.args.store,
                runId: this.args.runId,
                taskId: id,
                k6Binary: this.args.k6Binary,
                workDir,
                now: () => new Date(),
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
