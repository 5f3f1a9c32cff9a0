/** A loadgen stack's Fargate tasks as the orchestrator sees any group of tasks (see orchestrate.ts's Launcher). */
import { EcsRunTasks, EcsThrottledError, RUN_TASK_MAX_COUNT, chunks, describeStopped } from "./ecs-tasks";
import { Launcher, TaskView } from "./orchestrate";

export function ecsLauncher(tasks: EcsRunTasks, run: { runId: string; stack: string }): Launcher {
    const known: string[] = [];
    let lastSeen: TaskView[] = [];
    return {
        async launch(segments, record, signal) {
            for (const [batch, batchSegments] of chunks(segments, RUN_TASK_MAX_COUNT).entries()) {
                if (signal.aborted) return { failures: [] };
                const { started, failures } = await tasks.startBatch(batch, batchSegments.length);
                // Known before anything else can fail: whatever RunTask started is stopped at cleanup.
                known.push(...started.map((task) => task.taskArn));
                await record(started.map((task, index) => ({ taskId: task.taskId, segment: batchSegments[index] })));
                if (failures.length > 0) {
                    return { failures: failures.map((failure) => `${failure.stack}: ${failure.reason}${failure.detail ? ` (${failure.detail})` : ""}`) };
                }
            }
            return { failures: [] };
        },
        async poll() {
            try {
                lastSeen = (await tasks.describe(known)).map(
                    (status): TaskView => ({
                        id: status.taskId,
                        state: status.lastStatus === "STOPPED" ? "stopped" : status.lastStatus === "RUNNING" ? "running" : "provisioning",
                        ...(status.lastStatus === "STOPPED" ? { stoppedDetail: describeStopped(status) } : {}),
                    }),
                );
            } catch (error) {
                // A throttled poll is only late news: the next one will tell.
                if (!(error instanceof EcsThrottledError)) throw error;
            }
            return lastSeen;
        },
        async stopAll(reason) {
            const result = await tasks.stopAll(known, reason);
            return [
                ...result.stopped.map((arn) => `stopped ${arn}`),
                ...result.stillRunning.map(
                    (status) => `STILL ${status.lastStatus} ${status.taskArn}: stop it with npm run loadtest -- --stop ${run.runId} --stack ${run.stack}`,
                ),
            ];
        },
    };
}
