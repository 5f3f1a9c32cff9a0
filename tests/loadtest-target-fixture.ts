/**
 * What the tests of `npm run loadtest -- --target / record / summary` share: the staging stack as its stack file and
 * (faked) outputs say, the shared stack's evidence bucket, the release fixtures (tests/fixtures/release, README there),
 * an environment that answers `timeline observe` with a quiet minute, and the command run in-process.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetMetricDataCommand, type GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockedS3Client } from "../loadgen/test/s3-fixture";
import { Connection } from "../scripts/aws-connection";
import { CommandContext, main } from "../scripts/loadtest/main";
import { ReadResult, parseResultFile } from "../scripts/loadtest/result-file";
import { evidenceBucketName } from "../stacks/shared-names";
import { environmentResourceNames } from "../stacks/environment-names";
import { observeTimeline } from "../scripts/timeline/observe/observe";
import { Timeline, parseTimeline } from "../scripts/timeline/timeline";
import { loadEnvironmentConfig, loadSharedConfig } from "./environment-fixtures";
import { FAKE_CREDENTIALS } from "./promote-fixtures";
import { autoScalingMock, cloudWatchMock, ecsMock, mockedObserveClients, stsMock } from "./timeline-observe-fixture";

export const FIXTURES_DIR = join(__dirname, "fixtures", "release");
export const RESULT_FILES = { passed: "result-passed.json", failed: "result-failed.json", incomplete: "result-incomplete.json" } as const;

export function fixtureResult(verdict: keyof typeof RESULT_FILES = "passed"): ReadResult {
    const file = join(FIXTURES_DIR, RESULT_FILES[verdict]);
    return parseResultFile(readFileSync(file, "utf8"), file);
}

export function fixtureTimeline(): Timeline {
    const file = join(FIXTURES_DIR, "timeline.json");
    return parseTimeline(readFileSync(file, "utf8"), file);
}

/** The staging stack file, which --target staging reads, and what follows from it. */
export const STAGING = "staging";
export const STAGING_CONFIG = loadEnvironmentConfig("Pulumi.staging.yaml");
export const STAGING_CALLER = {
    Account: STAGING_CONFIG.aws.accountId,
    Arn: `arn:aws:sts::${STAGING_CONFIG.aws.accountId}:assumed-role/ecs-loadlab-read-only/ci`,
    UserId: "AROAEXAMPLE:ci",
};

export const SHARED_CONFIG = loadSharedConfig();
export const EVIDENCE_BUCKET = evidenceBucketName(SHARED_CONFIG.aws.accountId, SHARED_CONFIG.aws.region);
/** Who records verdicts in the tests: a role session in the shared account. */
export const SHARED_CALLER_ARN = `arn:aws:sts::${SHARED_CONFIG.aws.accountId}:assumed-role/ecs-loadlab-deploy/ci-run-42`;

export const DIGEST = "sha256:13c0186253bd78636d37b5fd43385dd15a10fda2c3d2d616d5e7a3ee6f6021d2";

/** staging's outputs as `pulumi stack output` gives them: the service's url and image, and what observe reads. */
export function stagingOutputs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const names = environmentResourceNames(STAGING_CONFIG);
    return {
        url: `https://${STAGING_CONFIG.domain.name}`,
        image: `${SHARED_CONFIG.aws.accountId}.dkr.ecr.${SHARED_CONFIG.aws.region}.amazonaws.com/${SHARED_CONFIG.registry.repositoryName}@${DIGEST}`,
        clusterName: names.clusterName,
        serviceName: names.serviceName,
        loadBalancerArnSuffix: "app/staging-4d2c1b0/6a5f4e3d2c1b0a99",
        targetGroupArnSuffix: "targetgroup/prime-counter-1a2b3c4/0a1b2c3d4e5f6a7b",
        alarmNames: [`${names.monitoringName}-target-5xx-1a2b3c4`, `${names.monitoringName}-unhealthy-hosts-5d6e7f8`],
        ...overrides,
    };
}

/** The shared account's STS client, whose GetCallerIdentity says who records (mockCallers tells it from the target's). */
export const sharedSts = new STSClient({ region: SHARED_CONFIG.aws.region, credentials: FAKE_CREDENTIALS });

/**
 * GetCallerIdentity: in the shared account (sharedSts), `shared` (or its failure); anywhere else, staging's caller,
 * which observe checks is in the stack's account. One prototype mock for both (timeline-observe-fixture's stsMock):
 * a second mockClient of STSClient, even of one instance, would detach it.
 */
export function mockCallers({ shared = SHARED_CALLER_ARN, target = STAGING_CALLER }: { shared?: string | Error; target?: typeof STAGING_CALLER } = {}): void {
    stsMock.reset();
    stsMock.on(GetCallerIdentityCommand).callsFake(async (_input: unknown, getClient: () => unknown) => {
        if (getClient() !== sharedSts) return target;
        if (shared instanceof Error) throw shared;
        return { Account: SHARED_CONFIG.aws.accountId, Arn: shared, UserId: "AROAEXAMPLE:ci-run-42" };
    });
}

/** The minute's datapoints a quiet staging service publishes: two tasks serving a little traffic. */
const QUIET_MINUTE: Record<string, number> = {
    cpuAverage: 12,
    cpuMaximum: 15,
    runningTasks: 2,
    desiredTasks: 2,
    pendingTasks: 0,
    requests: 600,
    p50: 0.04,
    p99: 0.1,
    healthyHosts: 2,
    answered: 600,
    shed: 0,
    errors: 0,
    queueMax: 0,
    latencyP50: 40,
    latencyP99: 100,
};

/**
 * AWS as `timeline observe` finds a quiet staging: the callers (mockCallers), one datapoint per series at the
 * start of each minute asked for, and nothing else (no scaling activity, alarm change, service event or deployment).
 */
export function mockQuietEnvironment(): void {
    mockCallers();
    cloudWatchMock.reset();
    cloudWatchMock.onAnyCommand().resolves({});
    cloudWatchMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
        MetricDataResults: (input.MetricDataQueries ?? []).map((query) => {
            const value = QUIET_MINUTE[query.Id ?? ""];
            const minutes = value === undefined ? [] : [input.StartTime as Date];
            return { Id: query.Id, Timestamps: minutes, Values: minutes.map(() => value), StatusCode: "Complete" };
        }),
    }));
    autoScalingMock.reset();
    autoScalingMock.onAnyCommand().resolves({});
    ecsMock.reset();
    ecsMock.onAnyCommand().resolves({});
}

export interface Run {
    status: number;
    stdout: string;
    stderr: string;
    /** The connections observe's clients were made for, and the evidence clients'. */
    observeConnections: Connection[];
    evidenceConnections: Connection[];
    stacksRead: string[];
}

export interface RunOptions {
    outputs?: Record<string, Record<string, unknown>>;
    now?: () => Date;
}

/** A command context whose outputs come from `outputs`, observe and record on the mocks, no loadgen stack; and what it saw. */
export function testContext({ outputs = { [STAGING]: stagingOutputs() }, now = () => new Date() }: RunOptions = {}): { context: CommandContext; seen: () => Omit<Run, "status"> } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const run = { observeConnections: [] as Connection[], evidenceConnections: [] as Connection[], stacksRead: [] as string[] };
    const context: CommandContext = {
        print: (line) => stdout.push(line),
        printError: (line) => stderr.push(line),
        interactive: false,
        ask: async () => assert.fail("nothing here asks"),
        readOutputs: async (stack) => {
            run.stacksRead.push(stack);
            return outputs[stack] ?? assert.fail(`no stack ${stack}`);
        },
        clients: () => assert.fail("no loadgen stack here"),
        observe: (request, deps) =>
            observeTimeline(request, {
                ...deps,
                clients: (connection) => {
                    run.observeConnections.push(connection);
                    return mockedObserveClients(connection.region);
                },
            }),
        evidenceClients: (connection) => {
            run.evidenceConnections.push(connection);
            return { s3: mockedS3Client(), sts: sharedSts };
        },
        interrupt: new AbortController().signal,
        env: { ...process.env, K6_BINARY: undefined },
        now,
    };
    return { context, seen: () => ({ stdout: stdout.join("\n"), stderr: stderr.join("\n"), ...run }) };
}

/** `npm run loadtest -- ...` in-process, in testContext. */
export async function loadtest(argv: string[], options: RunOptions = {}): Promise<Run> {
    const { context, seen } = testContext(options);
    const status = await main(argv, context);
    return { status, ...seen() };
}
