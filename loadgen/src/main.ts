/**
 * The runner image's entry point: one task of a distributed run (see runner.ts). Its run and segment come from the
 * environment RunTask set (contract.ts); it exits 0 once its result is uploaded, 1 when it could not take part.
 */
import { mkdtemp } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { RUN_ID_PATTERN, RUNNER_ENV } from "./contract";
import { S3RunStore } from "./run-store";
import { abortableSleep, runSegmentTask } from "./runner";

const POLL_MS = 1000;

function log(message: string): void {
    console.log(`${new Date().toISOString()} ${message}`);
}

function requiredEnv(name: string, pattern?: RegExp): string {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`${name} is not set: the task must be started by npm run loadtest`);
    if (pattern !== undefined && !pattern.test(value)) throw new Error(`${name}=${value} does not match ${pattern}`);
    return value;
}

/** The task's id from the ECS task metadata endpoint (v4), or the host name where there is none. */
async function taskId(): Promise<string> {
    const endpoint = process.env.ECS_CONTAINER_METADATA_URI_V4;
    if (endpoint === undefined) return hostname();
    const response = await fetch(`${endpoint}/task`);
    const metadata = (await response.json()) as { TaskARN?: string };
    return metadata.TaskARN?.split("/").pop() ?? hostname();
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
    const store = new S3RunStore(new S3Client({ region: requiredEnv("AWS_REGION") }), requiredEnv(RUNNER_ENV.bucket));
    await runSegmentTask({
        store,
        runId,
        taskId: await taskId(),
        k6Binary: process.env.K6_BINARY ?? "k6",
        workDir: await mkdtemp(join(tmpdir(), "k6-runner-")),
        now: () => new Date(),
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
