import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { STOP_TIMEOUT_SECONDS } from "../components/load-generators";
import { RUN_EXACT_SAMPLE_BUDGET, TASK_EXACT_SAMPLE_CAP, exactSamplesPerTask } from "../loadgen/src/digest";
import { K6_IMAGE } from "../loadgen/src/image";
import { describeK6ExitCode } from "../loadgen/src/k6-errors";
import { K6_STOP_GRACE_MS } from "../loadgen/src/k6-process";
import { parseK6Version } from "../loadgen/src/k6-version";
import { CALL_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "../loadgen/src/run-store";
import { MAX_TASKS } from "../scripts/loadtest/args";
import { DEFAULT_STOP_WAIT } from "../scripts/loadtest/ecs-tasks";
import { RUN_TIMINGS, SELF_STOP_SECONDS } from "../scripts/loadtest/plan";
import { RESULT_DOWNLOADS } from "../scripts/loadtest/results";
import { PUBLICATION_DELAY_SECONDS } from "../scripts/timeline/observe/observe";
import { REPO_ROOT } from "./environment-fixtures";

/** The numbers docs/distributed-load.md promises, each from the constant the code uses: a change to one is a change to both. */
describe("docs/distributed-load.md says what the code does", () => {
    const page = readFileSync(join(REPO_ROOT, "docs", "distributed-load.md"), "utf8").replace(/\s+/g, " ");
    const count = (value: number) => value.toLocaleString("en-US");
    const words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    const facts: [string, string][] = [
        ["the k6 the runner image pins", `k6 v${parseK6Version(K6_IMAGE)?.major}`],
        ["the image's tag", `\`${K6_IMAGE.split("@")[0]}\``],
        ["the exact budget", `${count(RUN_EXACT_SAMPLE_BUDGET)} samples per trend series`],
        ["a task's cap", `at most ${count(TASK_EXACT_SAMPLE_CAP)} a task`],
        ["the shares", `10 tasks keep ${count(exactSamplesPerTask(10))} each, 100 keep ${count(exactSamplesPerTask(100))}, 1,000 keep ${count(exactSamplesPerTask(1000))}`],
        ["the most tasks", `\`--tasks\` is capped at ${count(MAX_TASKS)}`],
        ["go's lead", `a start ${RUN_TIMINGS.goLeadSeconds.fargate} s ahead`],
        ["the heartbeat", `rewrites every ${RUN_TIMINGS.heartbeatSeconds} s`],
        ["a late task", `more than ${RUN_TIMINGS.lateStartSeconds} s after its start time`],
        ["a stale heartbeat", `more than ${RUN_TIMINGS.heartbeatStaleSeconds} s old by S3's clock`],
        ["a task left alone", `within ${SELF_STOP_SECONDS} s (${RUN_TIMINGS.heartbeatStaleSeconds} s without a heartbeat, a poll, and k6's ${K6_STOP_GRACE_MS / 1000} s)`],
        ["k6's grace", `k6 gets ${K6_STOP_GRACE_MS / 1000} s, then it is killed`],
        ["a task whose script aborted, as the task table names it", `✗ ${describeK6ExitCode(108)}; k6's first error: test aborted: `],
        ["the container's stop timeout", `${STOP_TIMEOUT_SECONDS} s after \`StopTask\``],
        ["the wait for stopped tasks", `polling every ${DEFAULT_STOP_WAIT.pollIntervalMs / 1000} s, at most ${DEFAULT_STOP_WAIT.timeoutMs / 60_000} minutes`],
        ["S3 deadlines", `(${CALL_TIMEOUT_MS / 1000} s, each attempt ${REQUEST_TIMEOUT_MS / 1000} s)`],
        ["result downloads", `(${words[RESULT_DOWNLOADS]} downloads at a time)`],
        ["the wait before observing a --target", `published the run's last minute (${PUBLICATION_DELAY_SECONDS / 60} minutes after it`],
    ];
    for (const [what, sentence] of facts) {
        it(what, () => assert.ok(page.includes(sentence), `the page should say "${sentence}"`));
    }
});
