/**
 * The runner image's entry point: one task of a distributed run (see runner.ts). Its run comes from the environment
 * RunTask set (contract.ts), its segment from the run's objects under its own task id; it exits 0 once its result is
 * uploaded or it had no segment to run, 1 when it could not take part.
 */
import { mkdtemp } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_ID_PATTERN, RUNNER_ENV } from "./contract";
import { readK6Version } from "./k6-version";
import { S3RunStore, runStoreS3Client } from "./run-store";
import { abortableSleep, runSegmentTask } from "./runner";

const POLL_MS = 1000;
/** The task metadata endpoint is local to the task; a second is long for it. */
const METADATA_TIMEOUT_MS = 5000;

function log(message: string): void {
    console.log(`${new Date().toISOString()} ${message}`);
}

function requiredEnv(name: string, pattern?: RegExp): string {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`${name} is not set: the task must be started by npm run loadtest`);
    if (pattern !== undefined && !pattern.test(value)) throw new Error(`${name}=${value} does not match ${pattern}`);
    return value;
}

/**
 * The task's id, the last part of its ARN, from the ECS task metadata endpoint (v4: the `TaskARN` of `${uri}/task`,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate.html). The command
 * wrote this task's segment under that id. Outside ECS (a test) the host name stands in.
 */
async function taskId(): Promise<string> {
    const endpoint = process.env.ECS_CONTAINER_METADATA_URI_V4;
    if (endpoint === undefined) return hostname();
    const response = await fetch(`${endpoint}/task`, { signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`the task metadata endpoint answered ${response.status}`);
    const metadata = (await response.json()) as { TaskARN?: unknown };
    if (typeof metadata.TaskARN !== "string") throw new Error("the task metadata has no TaskARN: the task cannot find its segment");
    return metadata.TaskARN.slice(metadata.TaskARN.lastIndexOf("/") + 1);
}

async function main(): Promise<number> {
    const stop = new AbortController();
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.on(signal, () => {
            log(`${signal}: stopping`);
            stop.abort();
        });
    }
    const runId = requiredEnv(RUNNER_ENV.runId, RUN_ID_PATTERN);
    const store = new S3RunStore(runStoreS3Client(requiredEnv("AWS_REGION")), requiredEnv(RUNNER_ENV.bucket));
    const k6Binary = process.env.K6_BINARY ?? "k6";
    await runSegmentTask({
        store,
        runId,
        taskId: await taskId(),
        k6Binary,
        k6Version: await readK6Version(k6Binary),
        workDir: await mkdtemp(join(tmpdir(), "k6-runner-")),
        sleep: abortableSleep,
        log,
        stopSignal: stop.signal,
        pollMs: POLL_MS,
        onK6Log: (line) => console.log(`k6: ${line}`),
    });
    return 0;
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        log(`failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    },
);
