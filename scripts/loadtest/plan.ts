/**
 * What a run will do, decided before anything starts and printed for the user to check: which stack runs which
 * segments, for how long, at what estimated cost, and what each task is told (its manifest). Pure: tested as it is.
 */
import { LoadgenStackOutputs } from "../../loadgen/src/contract";
import { K6_STOP_GRACE_MS } from "../../loadgen/src/k6-process";
import { RUN_EXACT_SAMPLE_BUDGET, TASK_EXACT_SAMPLE_CAP, exactSamplesPerTask } from "../../loadgen/src/digest";
import { RunManifest, executionSegment } from "../../loadgen/src/protocol";
import { abortOnFailThresholds, submetricKeys } from "../../loadgen/src/thresholds";
import type { RunTarget } from "../release/verdict";
import { ScriptRequirements } from "./k6-cli";
import { CostEstimate, estimateFargateCost } from "./pricing";

/** What a --local run's one group is called, in its plan, manifest and result: no loadgen stack may have the name (args.ts). */
export const LOCAL_STACK = "local";

export interface StackTarget {
    name: string;
    outputs: LoadgenStackOutputs;
}

/** Timings every task follows (the manifest carries them). */
export const RUN_TIMINGS = {
    /** The command writes its heartbeat this often... */
    heartbeatSeconds: 10,
    /** ...and a task stops k6 once the last one it saw is older than this. */
    heartbeatStaleSeconds: 60,
    /**
     * `go` names a start this far ahead, so every task has seen it before it comes: Fargate tasks look every 0.5 to
     * 1.5 s (and S3 is across a network), local ones every quarter of a second or so.
     */
    goLeadSeconds: { fargate: 5, local: 0.5 },
    /** A task that sees `go` later than this after its start time does not run, and the run stops. */
    lateStartSeconds: 10,
    /** Tasks may take this long to be provisioned, pull the image and get ready; then the command gives up. */
    readyTimeoutSeconds: 600,
    seriesStepSeconds: 60,
} as const;

/**
 * A task left alone (the command died) stops k6 once the heartbeat is stale, noticed at its next poll (at most 1.5 s,
 * rounded up), and k6 then has its grace to end before it is killed; the upload follows.
 */
export const SELF_STOP_SECONDS = RUN_TIMINGS.heartbeatStaleSeconds + 2 + K6_STOP_GRACE_MS / 1000;

/** Fargate's start-up and the wait for `go`, billed on top of the profile (an estimate: image pulls vary). */
export const START_OVERHEAD_SECONDS = 90;

export interface PlanGroup {
    /** The stack's name, or "local". */
    stack: string;
    outputs?: LoadgenStackOutputs;
    segments: number[];
    cost?: CostEstimate;
}

export interface RunPlan {
    runId: string;
    script: string;
    baseUrl: string;
    /** --target: the environment loaded and the image it runs. */
    target?: RunTarget;
    segmentCount: number;
    /** How many samples of each trend series a task keeps one by one: its share of the run's budget. */
    exactSamplesPerTask: number;
    spot: boolean;
    groups: PlanGroup[];
    requirements: ScriptRequirements;
    /** A task stops k6 once this long has passed since `go`: the profile plus a margin for k6 to finish. */
    maxRunSeconds: number;
    submetrics: string[];
    goLeadSeconds: number;
    totalUsd?: number;
    warnings: string[];
    /** The estimate is above what the user lets start without asking. */
    needsConfirmation: boolean;
}

export interface PlanInput {
    runId: string;
    script: string;
    /** The target, for the result file: --target's url, the -e BASE_URL given, or what the script defaults to. */
    baseUrl: string;
    /** --target: the environment stack's url and image, read before the run. */
    target?: RunTarget;
    tasks: number;
    spot: boolean;
    /** The loadgen stacks, or "local" for --local. */
    stacks: StackTarget[] | "local";
    requirements: ScriptRequirements;
    confirmAboveUsd: number;
}

/** Splits `tasks` segments over `groups` as evenly as possible, in order: 7 over 3 → [0,1,2] [3,4] [5,6]. */
export function splitSegments(tasks: number, groups: number): number[][] {
    const base = Math.floor(tasks / groups);
    const extra = tasks % groups;
    const split: number[][] = [];
    let next = 0;
    for (let group = 0; group < groups; group++) {
        const size = base + (group < extra ? 1 : 0);
        split.push(Array.from({ length: size }, (_, index) => next + index));
        next += size;
    }
    return split;
}

export function maxRunSeconds(durationSeconds: number): number {
    return Math.ceil(durationSeconds + Math.max(120, durationSeconds * 0.1));
}

export function planRun(input: PlanInput): RunPlan {
    const targets = input.stacks === "local" ? [undefined] : input.stacks;
    const split = splitSegments(input.tasks, targets.length);
    const billedSeconds = input.requirements.durationSeconds + START_OVERHEAD_SECONDS;
    const groups: PlanGroup[] = targets.map((target, index) =>
        target === undefined
            ? { stack: LOCAL_STACK, segments: split[index] }
            : {
                  stack: target.name,
                  outputs: target.outputs,
                  segments: split[index],
                  cost: estimateFargateCost({
                      region: target.outputs.region,
                      cpuUnits: target.outputs.taskCpu,
                      memoryMiB: target.outputs.taskMemory,
                      tasks: split[index].length,
                      seconds: billedSeconds,
                      spot: input.spot,
                  }),
              },
    );
    const costs = groups.flatMap((group) => (group.cost ? [group.cost] : []));
    const totalUsd = costs.length > 0 ? costs.reduce((sum, cost) => sum + cost.usd, 0) : undefined;
    return {
        runId: input.runId,
        script: input.script,
        baseUrl: input.baseUrl,
        ...(input.target ? { target: input.target } : {}),
        segmentCount: input.tasks,
        exactSamplesPerTask: exactSamplesPerTask(input.tasks),
        spot: input.spot,
        groups,
        requirements: input.requirements,
        maxRunSeconds: maxRunSeconds(input.requirements.durationSeconds),
        submetrics: submetricKeys(input.requirements.thresholds),
        goLeadSeconds: input.stacks === "local" ? RUN_TIMINGS.goLeadSeconds.local : RUN_TIMINGS.goLeadSeconds.fargate,
        ...(totalUsd !== undefined ? { totalUsd } : {}),
        warnings: planWarnings(input, costs),
        needsConfirmation: totalUsd !== undefined && totalUsd > input.confirmAboveUsd,
    };
}

function planWarnings(input: PlanInput, costs: CostEstimate[]): string[] {
    const warnings: string[] = [];
    const aborting = abortOnFailThresholds(input.requirements.thresholds);
    if (aborting.length > 0) {
        warnings.push(
            `${aborting.map((threshold) => `${threshold.metric}: ${threshold.expression}`).join(", ")} ${aborting.length === 1 ? "has" : "have"} abortOnFail: ` +
                "each task runs with thresholds off, so nothing aborts the run early; every threshold is judged once, over the merged result",
        );
    }
    if (input.requirements.maxVUs < input.tasks) {
        warnings.push(`the script needs at most ${input.requirements.maxVUs} VUs for ${input.tasks} segments: some segments will have no VU and send nothing`);
    }
    if (input.spot) warnings.push("Fargate Spot: a task AWS reclaims mid-run makes the run an error, named, with what it recorded kept");
    for (const cost of costs) warnings.push(...cost.notes);
    return [...new Set(warnings)];
}

function formatDuration(seconds: number): string {
    const whole = Math.round(seconds);
    const hours = Math.floor(whole / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const rest = whole % 60;
    return hours > 0 ? `${hours}h${String(minutes).padStart(2, "0")}m${String(rest).padStart(2, "0")}s` : `${minutes}m${String(rest).padStart(2, "0")}s`;
}

function count(value: number): string {
    return value.toLocaleString("en-US");
}

function formatUsd(usd: number): string {
    return `$${usd < 10 ? usd.toFixed(2) : usd.toFixed(0)}`;
}

/** The plan as printed before the run starts. */
export function formatPlan(plan: RunPlan): string[] {
    const lines = [
        `Run ${plan.runId}: ${plan.script} as ${plan.segmentCount} segment${plan.segmentCount === 1 ? "" : "s"}` +
            `, ${formatDuration(plan.requirements.durationSeconds)} of profile, at most ${plan.requirements.maxVUs} VUs in all`,
    ];
    if (plan.target) {
        const { stack, environment, url, digest } = plan.target;
        lines.push(`  Target: ${environment} (stack ${stack}) at ${url}, running image ${digest}`);
    }
    for (const group of plan.groups) {
        const segments = group.segments.map((segment) => executionSegment(segment, plan.segmentCount));
        const where = group.outputs
            ? `${group.stack} (${group.outputs.region}, account ${group.outputs.accountId}): ${group.segments.length} × ` +
              `${group.outputs.taskCpu / 1024} vCPU / ${group.outputs.taskMemory / 1024} GB Fargate${plan.spot ? " Spot" : ""} task${group.segments.length === 1 ? "" : "s"}`
            : `local: ${group.segments.length} k6 process${group.segments.length === 1 ? "" : "es"}`;
        lines.push(`  ${where}`, `    segments ${segments.join(" ")}`);
        if (group.cost) lines.push(`    ≈ ${formatUsd(group.cost.usd)} (${formatUsd(group.cost.perTaskHourUsd)} per task-hour)`);
    }
    if (plan.totalUsd !== undefined) {
        const asOf = plan.groups.find((group) => group.cost)?.cost?.pricesAsOf;
        lines.push(
            `  Estimated Fargate cost: ${formatUsd(plan.totalUsd)} at list price (prices as of ${asOf}), for the profile plus ` +
                `≈${START_OVERHEAD_SECONDS} s of start-up per task; S3 requests and data transfer not included`,
        );
    }
    lines.push(
        `  Percentiles are exact while each task keeps at most ${count(plan.exactSamplesPerTask)} samples per trend series: the run's budget of ` +
            `${count(RUN_EXACT_SAMPLE_BUDGET)} per series over ${plan.segmentCount} task${plan.segmentCount === 1 ? "" : "s"}, at most ${count(TASK_EXACT_SAMPLE_CAP)} a task. ` +
            "Past that a task sends a log histogram, within 0.05 %.",
        `  Each task stops k6 after ${formatDuration(plan.maxRunSeconds)}, or on its own within ${SELF_STOP_SECONDS} s if this command dies.`,
    );
    for (const warning of plan.warnings) lines.push(`  ! ${warning}`);
    return lines;
}

/** What the tasks of one group are told. */
export function manifestFor(plan: RunPlan, group: PlanGroup): RunManifest {
    return {
        version: 2,
        runId: plan.runId,
        script: plan.script,
        segmentCount: plan.segmentCount,
        segments: group.segments,
        submetrics: plan.submetrics,
        seriesStepSeconds: RUN_TIMINGS.seriesStepSeconds,
        exactSamplesPerSeries: plan.exactSamplesPerTask,
        maxRunSeconds: plan.maxRunSeconds,
        heartbeatStaleSeconds: RUN_TIMINGS.heartbeatStaleSeconds,
        lateStartSeconds: RUN_TIMINGS.lateStartSeconds,
        goWaitSeconds: RUN_TIMINGS.readyTimeoutSeconds + RUN_TIMINGS.heartbeatStaleSeconds,
        merge: {
            thresholds: plan.requirements.thresholds,
            ...(plan.requirements.summaryTrendStats ? { summaryTrendStats: plan.requirements.summaryTrendStats } : {}),
            exactSampleBudget: RUN_EXACT_SAMPLE_BUDGET,
            spot: plan.spot,
            stacks: plan.groups.map(({ stack, segments }) => ({ stack, segments })),
            baseUrl: plan.baseUrl,
            ...(plan.target ? { target: plan.target } : {}),
        },
    };
}
