import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
    DescribeScalingActivitiesCommand,
    type DescribeScalingActivitiesCommandOutput,
    type ScalingActivity as AasScalingActivity,
} from "@aws-sdk/client-application-auto-scaling";
import {
    type AlarmHistoryItem,
    DescribeAlarmHistoryCommand,
    type DescribeAlarmHistoryCommandInput,
    type DescribeAlarmHistoryCommandOutput,
    GetMetricDataCommand,
    type GetMetricDataCommandInput,
    type GetMetricDataCommandOutput,
    type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import {
    DescribeServiceDeploymentsCommand,
    type DescribeServiceDeploymentsCommandInput,
    type DescribeServiceDeploymentsCommandOutput,
    DescribeServicesCommand,
    type DescribeServicesCommandOutput,
    ListServiceDeploymentsCommand,
    type ListServiceDeploymentsCommandInput,
    type ListServiceDeploymentsCommandOutput,
    type ServiceDeployment,
    type ServiceDeploymentBrief,
    type ServiceEvent,
} from "@aws-sdk/client-ecs";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { type Connection, readOnlyRoleArn, regionPartition } from "../scripts/aws-connection";
import { checkStackOutputs } from "../scripts/stack-outputs";
import { DESCRIBE_DEPLOYMENTS_MAX, MAX_DATAPOINTS, awsCallError } from "../scripts/timeline/observe/cloudwatch";
import {
    ECS_SERVICE_EVENTS_KEPT,
    alarmEvents,
    alarmStateChange,
    causeInWords,
    deploymentEvents,
    deploymentEventsFromServiceEvents,
    describeCause,
    desiredCountBefore,
    notScaledReason,
    scalingEvents,
    serviceEventDetail,
    serviceEvents,
    shortName,
    sortEvents,
    truncatedServiceEventsNote,
} from "../scripts/timeline/observe/events";
import { type ObserveDeps, ROLE_SESSION_NAME, observeTimeline, observedOutputs } from "../scripts/timeline/observe/observe";
import { clock } from "../scripts/timeline/report/report";
import { pulumiStackName } from "../scripts/timeline/stack-file";
import { type CommandContext, main } from "../scripts/timeline/main";
import { scaleOutCpu } from "../scripts/timeline/summary";
import { MAX_QUERIES_PER_CALL, SERIES_IDS, type SeriesId, metricDataQueries, seriesQueries } from "../scripts/timeline/observe/queries";
import { type SeriesByPeriod, albCount, requestSource, requestSourceNote, seriesByPeriod, taskEvents, timelineRows } from "../scripts/timeline/observe/rows";
import { alignWindow, parseRunRecord, periodCoverage, periodIndex } from "../scripts/timeline/observe/window";
import { InputError, type Timeline, parseTimeline, timelineSchema } from "../scripts/timeline/timeline";
import { ENVIRONMENT_OBSERVED_OUTPUTS, environmentObservedOutputsSchema, environmentResourceNames } from "../stacks/environment-names";
import { readingLine } from "../scripts/stack-file";
import { loadEnvironmentConfig, stackFilePath } from "./environment-fixtures";
import {
    DEV_ACCOUNT,
    DEV_CALLER,
    DEV_OUTPUTS,
    DEV_PARTITION,
    DEV_REGION,
    DEV_STACK_FILE,
    OTHER_ACCOUNT,
    autoScalingMock,
    cloudWatchMock,
    ecsMock,
    mockCaller,
    mockedObserveClients,
    stsMock,
} from "./timeline-observe-fixture";

// ------------------------------------------------------------------------------------------------ the fixture

/** 2026-03-02 12:00:00 UTC: the run's window is 12:00–12:10, observed at 12:30. */
const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const NOW = at(30 * 60);

const SUMMARY_FILE = "k6/results/load-20260302T120940Z.json";
const OUTPUTS_FILE = "dev-outputs.json";
const RUN = { script: "load", startedAt: at(20).toISOString(), finishedAt: at(580).toISOString() };

/** A summary file as k6/lib/summary.ts summaryOutputs writes it. */
function summaryText(run: Record<string, unknown> = {}): string {
    return JSON.stringify({
        run: { baseUrl: DEV_OUTPUTS.url, durationSeconds: 560, thresholdsPassed: true, failedThresholds: [], settings: {}, ...RUN, ...run },
        k6: { metrics: {}, state: { testRunDurationMs: 560_000 } },
    });
}

/**
 * Ten minutes with a scale-out: CPU crosses 40 % in minute 2, the scale-out alarm fires at 12:03:05, the policy sets
 * desired 1 → 2 at 12:03:10, the new task is pending in minute 3 and running and healthy from minute 4. 503s while
 * the one task is overloaded (the service's Shed, and the ALB's target 5xx); no request at all in the last minute (k6
 * stopped), so the ALB published nothing then, while the service wrote its line of zeros. The run covers 40 s of the
 * first and of the last minute (12:00:20–12:09:40).
 */
const METRICS: Record<SeriesId, (number | null)[]> = {
    cpuAverage: [20, 35, 55, 62, 48, 38, 36, 35, 34, 33],
    cpuMaximum: [24, 39, 60, 70, 55, 44, 40, 39, 38, 36],
    runningTasks: [1, 1, 1, 1, 2, 2, 2, 2, 2, 2],
    desiredTasks: [1, 1, 1, 2, 2, 2, 2, 2, 2, 2],
    pendingTasks: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    requests: [600, 1200, 1800, 2400, 2400, 2400, 2400, 1800, 600, null],
    target5xx: [null, null, 30, 60, null, null, null, null, null, null],
    elb500: [],
    elb502: [],
    elb503: [],
    elb504: [],
    p50: [0.04, 0.05, 0.2, 0.4, 0.1, 0.06, 0.05, 0.05, 0.04, null],
    p99: [0.1, 0.15, 0.9, 1.6, 0.5, 0.2, 0.15, 0.12, 0.1, null],
    healthyHosts: [1, 1, 1, 1, 2, 2, 2, 2, 2, 2],
    answered: [600, 1200, 1770, 2340, 2400, 2400, 2400, 1800, 600, 0],
    shed: [0, 0, 30, 60, 0, 0, 0, 0, 0, 0],
    errors: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    queueMax: [0, 1, 24, 32, 3, 0, 0, 0, 0, 0],
    latencyP50: [38, 47, 190, 380, 95, 58, 48, 47, 39, null],
    latencyP99: [95, 140, 880, 1550, 480, 190, 140, 115, 96, null],
};

/** The table without the service's own metrics: an image older than them. */
const WITHOUT_SERVICE_METRICS: Partial<Record<SeriesId, (number | null)[]>> = Object.fromEntries(
    Object.entries(METRICS).filter(([id]) => !["answered", "shed", "errors", "queueMax", "latencyP50", "latencyP99"].includes(id)),
);

/** GetMetricData results for minutes [from, to) of a table: each series' datapoints, oldest first. */
function results(table: Partial<Record<SeriesId, (number | null)[]>>, from: number, to: number, status: "Complete" | "PartialData"): MetricDataResult[] {
    return SERIES_IDS.map((id) => {
        const points = (table[id] ?? []).map((value, minute) => ({ value, minute })).filter((p) => p.value !== null && p.minute >= from && p.minute < to);
        return { Id: id, Label: id, Timestamps: points.map((p) => at(p.minute * 60)), Values: points.map((p) => p.value as number), StatusCode: status };
    });
}

/** The table over two pages: minutes 0–5 (PartialData, NextToken), then 6–9 under the same query ids. */
function mockMetricPages(table: Partial<Record<SeriesId, (number | null)[]>> = METRICS): void {
    cloudWatchMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput): GetMetricDataCommandOutput => {
        const page =
            input.NextToken === undefined
                ? { MetricDataResults: results(table, 0, 6, "PartialData"), NextToken: "metrics-page-2" }
                : { MetricDataResults: results(table, 6, 10, "Complete") };
        return { ...page, $metadata: {} };
    });
}

const SCALE_OUT_ALARM = DEV_OUTPUTS.alarmNames[0];

const ACTIVITY_IN_WINDOW: AasScalingActivity = {
    ActivityId: "7a1b2c3d-0000-4000-8000-000000000002",
    ServiceNamespace: "ecs",
    ResourceId: "service/ecs-loadlab-dev/prime-counter",
    ScalableDimension: "ecs:service:DesiredCount",
    Description: "Setting desired count to 2.",
    Cause: `monitor alarm ${SCALE_OUT_ALARM} in state ALARM triggered policy dev-prime-counter-scale-out-9f8e7d6`,
    StartTime: at(190),
    EndTime: at(221),
    StatusCode: "Successful",
    StatusMessage: "Successfully set desired count to 2. Change successfully fulfilled by ecs.",
};

/** The scale-in that ended the previous test an hour earlier: before the window, so no event. */
const ACTIVITY_BEFORE: AasScalingActivity = {
    ...ACTIVITY_IN_WINDOW,
    ActivityId: "7a1b2c3d-0000-4000-8000-000000000001",
    Description: "Setting desired count to 1.",
    Cause: "monitor alarm dev-prime-counter-cpu-scale-in-5d6e7f8 in state ALARM triggered policy dev-prime-counter-scale-in-1b2c3d4",
    StartTime: at(-3600),
    EndTime: at(-3570),
};

/** Two pages, newest first as the console shows them. */
function mockActivityPages(pages: AasScalingActivity[][] = [[ACTIVITY_IN_WINDOW], [ACTIVITY_BEFORE]]): void {
    autoScalingMock.on(DescribeScalingActivitiesCommand).callsFake((input: { NextToken?: string }) => {
        const index = input.NextToken === undefined ? 0 : Number(input.NextToken.replace("activities-page-", ""));
        return { ScalingActivities: pages[index], NextToken: index + 1 < pages.length ? `activities-page-${index + 1}` : undefined, $metadata: {} };
    });
}

function stateUpdate(alarmName: string, seconds: number, from: string, to: string): AlarmHistoryItem {
    return {
        AlarmName: alarmName,
        AlarmType: "MetricAlarm",
        Timestamp: at(seconds),
        HistoryItemType: "StateUpdate",
        HistorySummary: `Alarm updated from ${from} to ${to}`,
        HistoryData: JSON.stringify({
            version: "1.0",
            oldState: { stateValue: from, stateReason: "Threshold Crossed" },
            newState: { stateValue: to, stateReason: "Threshold Crossed: 1 datapoint [55.0] was greater than or equal to the threshold (40.0)." },
        }),
    };
}

/** The scale-out alarm's two changes on two pages; every other alarm unchanged; the `failing` alarms' reads rejected. */
function mockAlarmHistory(failing: Record<string, Error> = {}): void {
    cloudWatchMock.on(DescribeAlarmHistoryCommand).callsFake((input: DescribeAlarmHistoryCommandInput) => {
        const failure = input.AlarmName === undefined ? undefined : failing[input.AlarmName];
        if (failure !== undefined) return Promise.reject(failure);
        if (input.AlarmName !== SCALE_OUT_ALARM) return { AlarmHistoryItems: [], $metadata: {} };
        return input.NextToken === undefined
            ? { AlarmHistoryItems: [stateUpdate(SCALE_OUT_ALARM, 185, "OK", "ALARM")], NextToken: "history-page-2", $metadata: {} }
            : { AlarmHistoryItems: [stateUpdate(SCALE_OUT_ALARM, 307, "ALARM", "OK")], $metadata: {} };
    });
}

const SERVICE_ARN = `arn:${DEV_PARTITION}:ecs:${DEV_REGION}:${DEV_ACCOUNT}:service/ecs-loadlab-dev/prime-counter`;
const TARGET_GROUP_ARN = `arn:${DEV_PARTITION}:elasticloadbalancing:${DEV_REGION}:${DEV_ACCOUNT}:${DEV_OUTPUTS.targetGroupArnSuffix}`;

/** What ECS says of the service, newest first as DescribeServices returns it: the scale-out's task, and events before and after the window. */
const SERVICE_EVENTS: ServiceEvent[] = [
    { id: "5c1f9e2a-7b3d-4e8f-a1c2-000000000006", createdAt: at(840), message: "(service prime-counter) has reached a steady state." },
    { id: "5c1f9e2a-7b3d-4e8f-a1c2-000000000005", createdAt: at(310), message: "(service prime-counter) has reached a steady state." },
    { id: "5c1f9e2a-7b3d-4e8f-a1c2-000000000004", createdAt: at(242), message: `(service prime-counter) registered 1 targets in (target-group ${TARGET_GROUP_ARN})` },
    { id: "5c1f9e2a-7b3d-4e8f-a1c2-000000000003", createdAt: at(205), message: "(service prime-counter) has started 1 tasks: (task 0b6e3f2a9c1d4e7f8a5b6c7d8e9f0a1b)." },
    { id: "5c1f9e2a-7b3d-4e8f-a1c2-000000000002", createdAt: at(-3000), message: "(service prime-counter) has reached a steady state." },
];

/** DescribeServices answers the dev service with `events`; the service has no deployment (mockDeployments gives it some). */
function mockServiceEvents(events: ServiceEvent[] = SERVICE_EVENTS): void {
    ecsMock.reset();
    ecsMock.on(DescribeServicesCommand).resolves({
        services: [{ serviceArn: SERVICE_ARN, serviceName: "prime-counter", clusterArn: SERVICE_ARN.replace(/:service\/([^/]+)\/.*/, ":cluster/$1"), status: "ACTIVE", events }],
        failures: [],
    });
    mockDeployments([[]]);
}

/** A service deployment's ARN and a service revision's, in the dev service (as ECS names them: API_ServiceDeployment). */
const deploymentArn = (id: string) => `arn:${DEV_PARTITION}:ecs:${DEV_REGION}:${DEV_ACCOUNT}:service-deployment/ecs-loadlab-dev/prime-counter/${id}`;
const revisionArn = (id: string) => `arn:${DEV_PARTITION}:ecs:${DEV_REGION}:${DEV_ACCOUNT}:service-revision/ecs-loadlab-dev/prime-counter/${id}`;

/** The service revision running before the run, and the one a deployment during it tried. */
const REVISION_BEFORE = "4716302938261758413";
const REVISION_NEW = "5823719460175248391";

/** Finished an hour before the run: listed (created before the window's end), never described. */
const DEPLOYED_BEFORE: ServiceDeploymentBrief = {
    serviceDeploymentArn: deploymentArn("Hq3vN8cT2bLkW5xRzP0sA"),
    serviceArn: SERVICE_ARN,
    createdAt: at(-3900),
    startedAt: at(-3899),
    finishedAt: at(-3600),
    status: "SUCCESSFUL",
    targetServiceRevisionArn: revisionArn(REVISION_BEFORE),
};

/** Started two minutes before the run, completed during it. */
const DEPLOYED_ACROSS: ServiceDeploymentBrief = {
    ...DEPLOYED_BEFORE,
    serviceDeploymentArn: deploymentArn("Jc7wE1mYq4sUo9dGfK2hB"),
    createdAt: at(-121),
    startedAt: at(-120),
    finishedAt: at(150),
};

/** Started during the run; the target 5xx alarm failed it and ECS rolled it back. */
const ROLLED_BACK_BY_ALARM: ServiceDeploymentBrief = {
    serviceDeploymentArn: deploymentArn("9tKD2mHvQz8rX4LbWn1Ep"),
    serviceArn: SERVICE_ARN,
    createdAt: at(199),
    startedAt: at(200),
    finishedAt: at(512),
    status: "ROLLBACK_SUCCESSFUL",
    statusReason: "deployment failed: alarm detected.",
    targetServiceRevisionArn: revisionArn(REVISION_NEW),
};

const TARGET_5XX_ALARM = DEV_OUTPUTS.alarmNames[4];

/** What DescribeServiceDeployments adds to a listed deployment: its revisions, and (rolled back) why and to what. */
function described(brief: ServiceDeploymentBrief, extra: Partial<ServiceDeployment> = {}): ServiceDeployment {
    return {
        ...brief,
        clusterArn: SERVICE_ARN.replace(/:service\/([^/]+)\/.*/, ":cluster/$1"),
        updatedAt: brief.finishedAt,
        sourceServiceRevisions: [{ arn: revisionArn(REVISION_BEFORE), requestedTaskCount: 1, runningTaskCount: 1, pendingTaskCount: 0 }],
        targetServiceRevision: { arn: brief.targetServiceRevisionArn, requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 },
        deploymentConfiguration: {
            deploymentCircuitBreaker: { enable: true, rollback: true },
            alarms: { alarmNames: [TARGET_5XX_ALARM, DEV_OUTPUTS.alarmNames[5]], enable: true, rollback: true },
            maximumPercent: 200,
            minimumHealthyPercent: 100,
        },
        deploymentCircuitBreaker: { status: "MONITORING_COMPLETE", failureCount: 0, threshold: 3 },
        alarms: { status: "MONITORING_COMPLETE", alarmNames: [TARGET_5XX_ALARM, DEV_OUTPUTS.alarmNames[5]] },
        ...extra,
    };
}

const ROLLED_BACK_BY_ALARM_DETAIL = described(ROLLED_BACK_BY_ALARM, {
    rollback: { startedAt: at(421), serviceRevisionArn: revisionArn(REVISION_BEFORE) },
    alarms: { status: "TRIGGERED", alarmNames: [TARGET_5XX_ALARM, DEV_OUTPUTS.alarmNames[5]], triggeredAlarmNames: [TARGET_5XX_ALARM] },
});

/**
 * ListServiceDeployments answers `pages` (nextToken "deployments-page-<n>"), DescribeServiceDeployments the `details`
 * of the ARNs asked for, and a MISSING failure for an ARN it has no detail of.
 */
function mockDeployments(pages: ServiceDeploymentBrief[][], details: ServiceDeployment[] = []): void {
    ecsMock.on(ListServiceDeploymentsCommand).callsFake((input: ListServiceDeploymentsCommandInput): ListServiceDeploymentsCommandOutput => {
        const index = input.nextToken === undefined ? 0 : Number(input.nextToken.replace("deployments-page-", ""));
        return { serviceDeployments: pages[index], nextToken: index + 1 < pages.length ? `deployments-page-${index + 1}` : undefined, $metadata: {} };
    });
    ecsMock.on(DescribeServiceDeploymentsCommand).callsFake((input: DescribeServiceDeploymentsCommandInput): DescribeServiceDeploymentsCommandOutput => {
        const arns = input.serviceDeploymentArns ?? [];
        const found = details.filter((detail) => arns.includes(detail.serviceDeploymentArn ?? ""));
        const missing = arns.filter((arn) => !found.some((detail) => detail.serviceDeploymentArn === arn));
        return { serviceDeployments: found, failures: missing.map((arn) => ({ arn, reason: "MISSING" })), $metadata: {} };
    });
}

function mockAws(): void {
    mockCaller();
    mockMetricPages();
    mockActivityPages();
    mockAlarmHistory();
    mockServiceEvents();
}

interface Harness {
    deps: ObserveDeps;
    progress: string[];
    connections: Connection[];
    stacksRead: string[];
    files: Record<string, string>;
}

/** Effects that never leave the process: files from a map, outputs from a value, clients from the mocks. */
function harness(outputs: Record<string, unknown> = DEV_OUTPUTS, files: Record<string, string> = {}): Harness {
    const h: Harness = {
        progress: [],
        connections: [],
        stacksRead: [],
        files: { [SUMMARY_FILE]: summaryText(), [OUTPUTS_FILE]: JSON.stringify(outputs), ...files },
        deps: undefined as unknown as ObserveDeps,
    };
    h.deps = {
        clients: (connection) => {
            h.connections.push(connection);
            return mockedObserveClients(connection.region);
        },
        readStackOutputs: async (stack) => {
            h.stacksRead.push(stack);
            return outputs;
        },
        readFile: async (file) => {
            if (Object.hasOwn(h.files, file)) return h.files[file];
            throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: "ENOENT" });
        },
        progress: (line) => h.progress.push(line),
        now: () => NOW,
    };
    return h;
}

/** Observe the dev stack file where the fixture finds it (tests/environment-fixtures.ts). */
const REQUEST = { stackFile: DEV_STACK_FILE, summaryFile: SUMMARY_FILE };

async function rejection<T extends Error>(type: new (...args: never[]) => T, promise: Promise<unknown>): Promise<T> {
    try {
        await promise;
    } catch (error) {
        assert.ok(error instanceof type, `expected a ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        return error;
    }
    assert.fail(`expected a ${type.name}, but it resolved`);
}

/** An Error that is not an InputError: the exit-1 path. */
async function awsFailure(promise: Promise<unknown>): Promise<Error> {
    const error = await rejection(Error, promise);
    assert.ok(!(error instanceof InputError), `an AWS failure, not bad input: ${error.message}`);
    return error;
}

function awsError(name: string, message: string): Error {
    return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

/** `npm run timeline -- observe --stack <the dev stack file> --summary <file> ...argv` on the harness: status, stdout, stderr lines. */
async function runObserve(h: Harness, ...argv: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const context: CommandContext = {
        print: (line) => stdout.push(line),
        printError: (line) => stderr.push(line),
        observe: (request, deps) => observeTimeline(request, { ...h.deps, ...deps }),
    };
    const status = await main(["observe", "--stack", REQUEST.stackFile, "--summary", SUMMARY_FILE, ...argv], context);
    assert.equal(stderr.shift(), readingLine({ name: "dev", file: REQUEST.stackFile }));
    return { status, stdout, stderr };
}

/** The dev account's read-only role (IAM_NAMES.readOnlyRole), in the partition of the stack's region. */
const READ_ONLY_ROLE = `arn:${DEV_PARTITION}:iam::${DEV_ACCOUNT}:role/ecs-loadlab-read-only`;

/** A role in the wrong account: the stack file's account is never OTHER_ACCOUNT. */
const OTHER_ACCOUNT_ROLE = `arn:${DEV_PARTITION}:iam::${OTHER_ACCOUNT}:role/x`;

/** A value as a regular expression's literal text. */
const re = (value: string) => value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** "in account <the stack's>, region <the stack's>", as the AWS failures name where they called. */
const WHERE = `in account ${DEV_ACCOUNT}, region ${DEV_REGION}`;

beforeEach(() => {
    stsMock.reset();
    cloudWatchMock.reset();
    autoScalingMock.reset();
    mockCaller();
});

// ------------------------------------------------------------------------------------------------ the window

describe("timeline observe: the run's window (window.ts)", () => {
    it("reads script and window from a summary file as this project's k6 scripts write it, and from a distributed result", () => {
        assert.deepEqual(parseRunRecord(summaryText(), "s.json"), { script: "load", startedAt: at(20), finishedAt: at(580), baseUrl: DEV_OUTPUTS.url });
        const distributed = JSON.stringify({ run: { script: "stress", baseUrl: "x", ...{ startedAt: at(0).toISOString(), finishedAt: at(60).toISOString() }, errors: [] }, k6: {}, series: {}, tasks: [] });
        assert.equal(parseRunRecord(distributed, "d.json").script, "stress");
    });

    it("aligns the start down and the end up to whole minutes; a boundary stays where it is", () => {
        const window = (from: number, to: number) => {
            const w = alignWindow({ startedAt: at(from), finishedAt: at(to) }, 60);
            return { start: (w.start.getTime() - T0) / 1000, end: (w.end.getTime() - T0) / 1000, periods: w.periods };
        };
        assert.deepEqual(window(20, 580), { start: 0, end: 600, periods: 10 });
        assert.deepEqual(window(0, 600), { start: 0, end: 600, periods: 10 }, "both on boundaries");
        assert.deepEqual(window(59.999, 60.001), { start: 0, end: 120, periods: 2 }, "a millisecond either side of 12:01");
        assert.deepEqual(window(60, 60.001), { start: 60, end: 120, periods: 1 });
        assert.deepEqual(window(10, 20), { start: 0, end: 60, periods: 1 }, "a run inside one minute is that minute");
    });

    it("the seconds of each row the run covers: the first and last minute partly, a run inside one minute its length", () => {
        const coverage = (from: number, to: number) => periodCoverage(alignWindow({ startedAt: at(from), finishedAt: at(to) }, 60), { startedAt: at(from), finishedAt: at(to) });
        assert.deepEqual(coverage(20, 580), [40, 60, 60, 60, 60, 60, 60, 60, 60, 40]);
        assert.deepEqual(coverage(0, 120), [60, 60], "on boundaries: whole minutes");
        assert.deepEqual(coverage(10.5, 20), [9.5]);
        assert.deepEqual(coverage(59.999, 60.001), [0.001, 0.001]);
    });

    it("puts a time in its minute's row: the start inclusive, the end exclusive", () => {
        const w = alignWindow({ startedAt: at(20), finishedAt: at(580) }, 60);
        assert.equal(periodIndex(w, at(0)), 0);
        assert.equal(periodIndex(w, at(59.999)), 0);
        assert.equal(periodIndex(w, at(60)), 1);
        assert.equal(periodIndex(w, at(599.999)), 9);
        assert.equal(periodIndex(w, at(600)), undefined);
        assert.equal(periodIndex(w, at(-0.001)), undefined);
    });

    it("refuses what is not a summary of this project, saying what it lacks", () => {
        const refused = (text: string) => {
            assert.throws(() => parseRunRecord(text, "s.json"), InputError);
            try {
                parseRunRecord(text, "s.json");
            } catch (error) {
                return (error as Error).message;
            }
            return "";
        };
        assert.match(refused("{ not json"), /^s\.json is not JSON .*k6\/results\/<script>-<time>\.json/);
        assert.match(refused(JSON.stringify({ metrics: {}, root_group: {} })), /not a k6 summary of this project:\n {2}- run: is missing/);
        assert.match(refused(summaryText({ startedAt: "yesterday" })), /run\.startedAt: must be an ISO 8601 UTC time/);
        assert.match(refused(summaryText({ script: undefined })), /run\.script: must be the k6 script's name/);
        assert.match(refused(summaryText({ finishedAt: RUN.startedAt })), /run\.finishedAt .* is not after run\.startedAt/);
        assert.match(refused(summaryText({ finishedAt: at(10).toISOString() })), /is not after/);
    });
});

// ------------------------------------------------------------------------------------------------ the queries

describe("timeline observe: what it asks CloudWatch for (queries.ts)", () => {
    const queries = seriesQueries(DEV_OUTPUTS);
    const byId = Object.fromEntries(queries.map((q) => [q.id, q]));
    const service = { ClusterName: "ecs-loadlab-dev", ServiceName: "prime-counter" };
    const targetGroup = { LoadBalancer: DEV_OUTPUTS.loadBalancerArnSuffix, TargetGroup: DEV_OUTPUTS.targetGroupArnSuffix };

    it("CPU from AWS/ECS, task counts from ECS/ContainerInsights, both by cluster and service", () => {
        const row = (id: string) => [byId[id].namespace, byId[id].metricName, byId[id].stat, byId[id].dimensions];
        assert.deepEqual(row("cpuAverage"), ["AWS/ECS", "CPUUtilization", "Average", service]);
        assert.deepEqual(row("cpuMaximum"), ["AWS/ECS", "CPUUtilization", "Maximum", service]);
        assert.deepEqual(row("runningTasks"), ["ECS/ContainerInsights", "RunningTaskCount", "Average", service]);
        assert.deepEqual(row("desiredTasks"), ["ECS/ContainerInsights", "DesiredTaskCount", "Average", service]);
        assert.deepEqual(row("pendingTasks"), ["ECS/ContainerInsights", "PendingTaskCount", "Average", service]);
    });

    it("requests, 5xx, latency percentiles and healthy hosts from AWS/ApplicationELB, by load balancer and target group", () => {
        const row = (id: string) => [byId[id].namespace, byId[id].metricName, byId[id].stat, byId[id].dimensions];
        assert.deepEqual(row("requests"), ["AWS/ApplicationELB", "RequestCount", "Sum", targetGroup]);
        assert.deepEqual(row("target5xx"), ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", targetGroup]);
        assert.deepEqual(row("p50"), ["AWS/ApplicationELB", "TargetResponseTime", "p50", targetGroup]);
        assert.deepEqual(row("p99"), ["AWS/ApplicationELB", "TargetResponseTime", "p99", targetGroup]);
        assert.deepEqual(row("healthyHosts"), ["AWS/ApplicationELB", "HealthyHostCount", "Maximum", targetGroup]);
        assert.deepEqual(queries.map((q) => q.id), [...SERIES_IDS]);
    });

    it("the load balancer's own 500, 502, 503, 504 per load balancer: AWS publishes them with no TargetGroup dimension", () => {
        const loadBalancer = { LoadBalancer: DEV_OUTPUTS.loadBalancerArnSuffix };
        for (const code of [500, 502, 503, 504]) {
            const query = byId[`elb${code}`];
            assert.deepEqual([query.namespace, query.metricName, query.stat, query.dimensions], ["AWS/ApplicationELB", `HTTPCode_ELB_${code}_Count`, "Sum", loadBalancer]);
        }
    });

    it("the service's own metrics under its namespace and the AWS/ECS dimensions: counts summed over tasks, queue and latency their Maximum", () => {
        const row = (id: string) => [byId[id].namespace, byId[id].metricName, byId[id].stat, byId[id].dimensions];
        assert.deepEqual(row("answered"), ["ecs-loadlab/Service", "Answered", "Sum", service]);
        assert.deepEqual(row("shed"), ["ecs-loadlab/Service", "Shed", "Sum", service]);
        assert.deepEqual(row("errors"), ["ecs-loadlab/Service", "Errors", "Sum", service]);
        assert.deepEqual(row("queueMax"), ["ecs-loadlab/Service", "QueueMax", "Maximum", service]);
        assert.deepEqual(row("latencyP50"), ["ecs-loadlab/Service", "LatencyP50", "Maximum", service]);
        assert.deepEqual(row("latencyP99"), ["ecs-loadlab/Service", "LatencyP99", "Maximum", service]);
    });

    it("every series in one GetMetricData call: within its 500 queries", () => {
        assert.equal(MAX_QUERIES_PER_CALL, 500);
        assert.ok(metricDataQueries(queries, 60).length <= MAX_QUERIES_PER_CALL);
        assert.equal(new Set(queries.map((q) => q.id)).size, queries.length, "one id per query");
    });

    it("as GetMetricData queries: valid ids, one metric each at the period, all returned", () => {
        const [cpu] = metricDataQueries(queries, 60);
        assert.deepEqual(cpu, {
            Id: "cpuAverage",
            MetricStat: {
                Metric: { Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: [{ Name: "ClusterName", Value: "ecs-loadlab-dev" }, { Name: "ServiceName", Value: "prime-counter" }] },
                Period: 60,
                Stat: "Average",
            },
            ReturnData: true,
        });
        for (const query of metricDataQueries(queries, 60)) assert.match(query.Id ?? "", /^[a-z][A-Za-z0-9_]*$/);
    });
});

// ------------------------------------------------------------------------------------------------ datapoints → rows

describe("timeline observe: datapoints into rows (rows.ts)", () => {
    const window = alignWindow({ startedAt: at(0), finishedAt: at(300) }, 60);
    const whole = [60, 60, 60, 60, 60];
    const series = (table: Partial<Record<SeriesId, (number | null)[]>>): SeriesByPeriod => {
        const points = new Map(SERIES_IDS.map((id) => [id, (table[id] ?? []).flatMap((value, minute) => (value === null ? [] : [{ timestamp: at(minute * 60), value }]))]));
        return seriesByPeriod(window, points);
    };
    const requestColumns = (rows: ReturnType<typeof timelineRows>) => rows.map((r) => [r.offeredRps, r.servedRps, r.shedRps, r.errorRps]);

    it("a missing CPU, task count or latency datapoint is null, never 0", () => {
        const rows = timelineRows(window, series({ cpuAverage: [50, null, 30], runningTasks: [1, null, 2], p99: [0.2, null, 0.3], requests: [60, 60, 60, 60, 60] }), whole);
        assert.deepEqual(rows.map((r) => [r.cpuAverage, r.runningTasks, r.p99Ms]), [
            [50, 1, 200],
            [null, null, null],
            [30, 2, 300],
            [null, null, null],
            [null, null, null],
        ]);
    });

    it("the ALB's counts, published only when nonzero: 0 within the span it has data for, once a request reached the stack", () => {
        const s = series({ cpuAverage: [null, 40, 40, 40, null], requests: [null, 120, null, 60, null], target5xx: [null, 6, null, null, null] });
        assert.deepEqual(albCount(s, "requests"), [null, 120, 0, 60, null], "minutes 0 and 4 have no load balancer datapoint: not published (yet)");
        assert.deepEqual(albCount(s, "target5xx"), [null, 6, 0, 0, null]);
        const rows = timelineRows(window, s, whole);
        assert.deepEqual(rows.map((r) => [r.t, r.offeredRps, r.shedRps, r.servedRps]), [
            [0, null, null, null],
            [60, 2, 0.1, 1.9],
            [120, 0, 0, 0],
            [180, 1, 0, 1],
            [240, null, null, null],
        ]);
    });

    it("HealthyHostCount, published every minute targets are registered, spans the counts' zeros; it does not prove traffic", () => {
        const healthy = [1, 1, 1, 1, 1];
        assert.deepEqual(albCount(series({ healthyHosts: healthy, requests: [null, 120, null, null, null] }), "requests"), [0, 120, 0, 0, 0]);
        assert.deepEqual(albCount(series({ healthyHosts: healthy }), "requests"), [null, null, null, null, null], "no request at all: unknown, not 0");
    });

    it("no traffic (only HealthyHostCount and CPU have data): no request column, not zeros, and a note naming BASE_URL", () => {
        const s = series({ cpuAverage: [3, 3, 3, 3, 3], healthyHosts: [1, 1, 1, 1, 1] });
        assert.equal(requestSource(s), "none");
        const rows = timelineRows(window, s, whole);
        assert.ok(rows.every((r) => r.offeredRps === null && r.servedRps === null && r.shedRps === null && r.errorRps === null), JSON.stringify(rows));
        const note = requestSourceNote("none", { targetGroup: DEV_OUTPUTS.targetGroupArnSuffix, baseUrl: "https://staging.loadlab.example.com", stackUrl: DEV_OUTPUTS.url });
        assert.match(note ?? "", new RegExp(`^no request reached this stack during the run \\(no RequestCount for ${re(DEV_OUTPUTS.targetGroupArnSuffix)}`));
        assert.match(note ?? "", new RegExp(`the run sent its requests to https://staging\\.loadlab\\.example\\.com, and this stack serves ${re(DEV_OUTPUTS.url)}; was BASE_URL right\\?`));
    });

    it("no traffic with an image that logs its counts: a line of zeros every minute is not a request", () => {
        const zeros = [0, 0, 0, 0, 0];
        const s = series({ healthyHosts: [1, 1, 1, 1, 1], answered: zeros, shed: zeros, errors: zeros, queueMax: zeros });
        assert.equal(requestSource(s), "none");
        assert.ok(timelineRows(window, s, whole).every((r) => r.offeredRps === null && r.servedRps === null));
    });

    it("offered = RequestCount + ELB 500 + ELB 503; ELB 502/504 are in RequestCount, and errors; served, shed, errors from the service", () => {
        const s = series({
            healthyHosts: [2],
            requests: [120],
            target5xx: [9],
            elb500: [6],
            elb502: [3],
            elb503: [12],
            elb504: [3],
            answered: [102],
            shed: [9],
            errors: [3],
            queueMax: [17],
            latencyP50: [41.24],
            latencyP99: [310.06],
        });
        assert.equal(requestSource(s), "service");
        const [row] = timelineRows(window, s, whole);
        assert.equal(row.offeredRps, (120 + 6 + 12) / 60);
        assert.equal(row.servedRps, 102 / 60, "the service's Answered");
        assert.equal(row.shedRps, 9 / 60, "the service's Shed");
        assert.equal(row.errorRps, (3 + 6 + 3 + 12 + 3) / 60, "the service's Errors and every 5xx of the load balancer's own");
        assert.deepEqual([row.queueMax, row.p50Ms, row.p99Ms], [17, 41.2, 310.1], "queue and latency from the service, in ms");
    });

    it("without the service's metrics: served = RequestCount − target 5xx − ELB 502 − ELB 504, shed = target 5xx, latency from TargetResponseTime; and a note", () => {
        const s = series({ healthyHosts: [2], requests: [120], target5xx: [9], elb500: [6], elb502: [3], elb503: [12], elb504: [3], p50: [0.05], p99: [0.4] });
        assert.equal(requestSource(s), "loadBalancer");
        const [row] = timelineRows(window, s, whole);
        assert.deepEqual(
            [row.offeredRps, row.servedRps, row.shedRps, row.errorRps, row.queueMax, row.p50Ms, row.p99Ms],
            [138 / 60, 105 / 60, 9 / 60, 24 / 60, null, 50, 400],
        );
        const note = requestSourceNote("loadBalancer", { targetGroup: "tg", stackUrl: "https://x" }) ?? "";
        assert.match(note, /^the service's own metrics \(Answered, Shed, Errors\) have no datapoint in the window .*from the load balancer .*shed = every target 5xx, an upper bound.*TargetResponseTime, which counts the 503s too$/);
        assert.equal(requestSourceNote("service", { targetGroup: "tg", stackUrl: "https://x" }), undefined);
    });

    it("a minute the service wrote no line for: its counts are unknown, not 0", () => {
        const s = series({ healthyHosts: [1, 1, 1], requests: [60, 60, 60], answered: [60, null, 60], shed: [0, null, 0], errors: [0, null, 0] });
        assert.deepEqual(requestColumns(timelineRows(window, s, whole)).slice(0, 3), [
            [1, 1, 0, 0],
            [1, null, null, null],
            [1, 1, 0, 0],
        ]);
    });

    it("partly covered minutes: rates over the seconds the run covers, and the row says how many", () => {
        const s = series({ healthyHosts: [1, 1, 1], requests: [400, 600, 100], answered: [400, 600, 100], shed: [0, 0, 0], errors: [0, 0, 0] });
        const rows = timelineRows(window, s, [40, 60, 10, 60, 60]);
        assert.deepEqual(rows.slice(0, 3).map((r) => [r.offeredRps, r.seconds]), [
            [10, 40],
            [10, undefined],
            [10, 10],
        ]);
        assert.ok(!("seconds" in rows[1]), "a whole minute has no seconds");
    });

    it("task events where the running count changes, across gaps", () => {
        const rows = timelineRows(window, series({ runningTasks: [1, 2, null, 2, 1] }), whole);
        assert.deepEqual(taskEvents(rows), [
            { t: 60, kind: "task", detail: "running 1 → 2" },
            { t: 240, kind: "task", detail: "running 2 → 1" },
        ]);
    });

    it("drops datapoints outside the window", () => {
        const points = new Map([["cpuAverage", [{ timestamp: at(-60), value: 99 }, { timestamp: at(60), value: 50 }, { timestamp: at(300), value: 99 }]]]);
        assert.deepEqual(seriesByPeriod(window, points).cpuAverage, [null, 50, null, null, null]);
    });
});

// ------------------------------------------------------------------------------------------------ activities, alarms

describe("timeline observe: scaling activities and alarm history into events (events.ts)", () => {
    const window = alignWindow({ startedAt: at(0), finishedAt: at(600) }, 60);
    const activity = (seconds: number, to: number, status = "Successful", extra: Partial<AasScalingActivity> = {}): AasScalingActivity => ({
        ...ACTIVITY_IN_WINDOW,
        StartTime: at(seconds),
        Description: `Setting desired count to ${to}.`,
        StatusCode: status as AasScalingActivity["StatusCode"],
        ...extra,
    });

    it("from: the desired count of the last minute that ended before the activity, if it began after the previous activity", () => {
        const desired = [1, 1, 1, 2, 2, 2, 2, 2, 2, 2];
        assert.equal(desiredCountBefore(at(190), window, desired, undefined), 1, "minute 2 (12:02–12:03) ended before 12:03:10");
        assert.equal(desiredCountBefore(at(180), window, desired, undefined), 1, "a minute ending exactly at the activity counts");
        assert.equal(desiredCountBefore(at(30), window, desired, undefined), undefined, "nothing known before the first minute ends");
        assert.equal(desiredCountBefore(at(30), window, desired, { time: at(-3600), count: 3 }), 3, "then the previous activity's count");
        assert.equal(desiredCountBefore(at(250), window, desired, { time: at(190), count: 4 }), 4, "the previous activity within the minute before: its count");
        assert.equal(desiredCountBefore(at(310), window, [1, 1, 1, 2, 2.2, 2], { time: at(190), count: 2 }), 2, "a later datapoint, rounded");
    });

    it("one event per activity in the window; the activities that changed the count for summarize()", () => {
        const { events, activities } = scalingEvents(
            window,
            [activity(-3600, 1), activity(190, 2), activity(400, 2), activity(470, 1, "Failed", { StatusMessage: "Failed to set desired count to 1. Reason: the service is being deleted" }), activity(500, 3)],
            [1, 1, 1, 2, 2, 2, 2, 2, 2, 2],
            "dev-prime-counter",
        );
        assert.deepEqual(activities, [
            { t: 190, from: 1, to: 2 },
            { t: 500, from: 2, to: 3 },
        ]);
        assert.deepEqual(events.map((e) => [e.t, e.kind]), [
            [190, "scaling"],
            [400, "scaling"],
            [470, "scaling"],
            [500, "scaling"],
        ]);
        assert.equal(events[0].detail, "desired 1 → 2 (alarm cpu-scale-out in ALARM, policy scale-out)");
        assert.equal(events[1].detail, "desired 2 → 2 (alarm cpu-scale-out in ALARM, policy scale-out)", "shown, but no change to count");
        assert.equal(events[2].detail, "desired 2 → 1 (alarm cpu-scale-out in ALARM, policy scale-out) [Failed: Failed to set desired count to 1. Reason: the service is being deleted]");
    });

    it("an activity whose previous count is unknown: an event with ?, not an activity", () => {
        const { events, activities } = scalingEvents(window, [activity(20, 2)], new Array(10).fill(null), "dev-prime-counter");
        assert.deepEqual(activities, []);
        assert.match(events[0].detail, /^desired \? → 2 /);
    });

    it("a not scaled activity (at max capacity): an event saying why, never a scale-out, and not the count the next one starts from", () => {
        const blocked: AasScalingActivity = {
            ...ACTIVITY_IN_WINDOW,
            ActivityId: "4d759079-a31f-4d0c-8468-504c56e2eecf",
            StartTime: at(250),
            Description: "Attempting to scale due to alarm triggered",
            StatusCode: "Failed",
            StatusMessage: undefined,
            NotScaledReasons: [{ Code: "AlreadyAtMaxCapacity", MaxCapacity: 4 }],
        };
        const { events, activities } = scalingEvents(window, [activity(190, 4), blocked, activity(400, 3)], [3, 3, 3, 4, 4, 4, 4, 4, 4, 4], "dev-prime-counter");
        assert.deepEqual(events.map((e) => [e.t, e.detail]), [
            [190, "desired 3 → 4 (alarm cpu-scale-out in ALARM, policy scale-out)"],
            [250, "not scaled: at max capacity 4 (alarm cpu-scale-out in ALARM, policy scale-out)"],
            [400, "desired 4 → 3 (alarm cpu-scale-out in ALARM, policy scale-out)"],
        ]);
        assert.deepEqual(activities, [
            { t: 190, from: 3, to: 4 },
            { t: 400, from: 4, to: 3 },
        ]);
        const wanted = scalingEvents(window, [{ ...blocked, Description: "Setting desired count to 6." }], [], "dev-prime-counter").events[0].detail;
        assert.equal(wanted, "not scaled: at max capacity 4, wanted 6 (alarm cpu-scale-out in ALARM, policy scale-out)");
        assert.equal(scalingEvents(window, [{ ...blocked, StartTime: at(-60) }], [], "p").events.length, 0, "before the window: no event");
    });

    it("every not scaled reason AWS lists, in words", () => {
        assert.deepEqual(
            [
                { Code: "AlreadyAtMaxCapacity", MaxCapacity: 4, CurrentCapacity: 4 },
                { Code: "AlreadyAtMinCapacity", MinCapacity: 1 },
                { Code: "AlreadyAtDesiredCapacity", CurrentCapacity: 2 },
                { Code: "AutoScalingAnticipatedFlapping" },
                { Code: "TargetServicePutResourceAsUnscalable" },
                { Code: "SomethingNew" },
            ].map(notScaledReason),
            ["at max capacity 4", "at min capacity 1", "already at the capacity it computed 2", "scaling would flap", "ECS had put the service in an unscalable state", "SomethingNew"],
        );
    });

    it("ECS service events within the window, oldest first, with ECS's own words after the service's name", () => {
        assert.deepEqual(serviceEvents(window, SERVICE_EVENTS, "prime-counter"), [
            { t: 205, kind: "service", detail: "has started 1 tasks: (task 0b6e3f2a9c1d4e7f8a5b6c7d8e9f0a1b)." },
            { t: 242, kind: "service", detail: `registered 1 targets in (target-group ${TARGET_GROUP_ARN})` },
            { t: 310, kind: "service", detail: "has reached a steady state." },
        ]);
        assert.equal(serviceEventDetail("(service prime-counter) (port 8000) is unhealthy in (target-group x) due to (reason Health checks failed).", "prime-counter"), "(port 8000) is unhealthy in (target-group x) due to (reason Health checks failed).");
        assert.equal(serviceEventDetail("(service other) has reached a steady state.", "prime-counter"), "(service other) has reached a steady state.", "another prefix: kept whole");
    });

    it("a note when ECS's 100 latest events all came after the window's start (the list was cut), none when fewer or older", () => {
        assert.equal(ECS_SERVICE_EVENTS_KEPT, 100);
        const recent = (count: number, fromSeconds: number) =>
            Array.from({ length: count }, (_, i): ServiceEvent => ({ id: `e${i}`, createdAt: at(fromSeconds + i), message: "(service prime-counter) has reached a steady state." }));
        assert.match(truncatedServiceEventsNote(window, recent(100, 30)) ?? "", /^ECS returned only the service's latest 100 events, the oldest at 2026-03-02T12:00:30\.000Z, after the window's start: its service events before then are missing$/);
        assert.equal(truncatedServiceEventsNote(window, recent(99, 30)), undefined, "fewer than ECS keeps: the whole list");
        assert.equal(truncatedServiceEventsNote(window, recent(100, -60)), undefined, "the oldest before the window");
    });

    it("short names: the component prefix and Pulumi's suffix dropped, target tracking's alarms by their role", () => {
        assert.equal(shortName("dev-prime-counter-cpu-scale-out-1a2b3c4", "dev-prime-counter"), "cpu-scale-out");
        assert.equal(shortName("TargetTracking-service/ecs-loadlab-prod/prime-counter-AlarmHigh-0f1e2d3c-4b5a-6978-8877-665544332211", "prod-prime-counter"), "target-tracking AlarmHigh");
        assert.equal(shortName("someone-elses-alarm", "dev-prime-counter"), "someone-elses-alarm");
        assert.equal(describeCause("maximum capacity was set to 4", "dev-prime-counter"), "maximum capacity was set to 4");
        assert.equal(describeCause(`${"x".repeat(200)}`, "p").length, 120);
        assert.equal(describeCause(undefined, "p"), "no cause given");
    });

    it("alarm state changes within the window: 'cpu-scale-out: OK → ALARM', from the history data or the summary", () => {
        const items = [
            stateUpdate(SCALE_OUT_ALARM, 185, "OK", "ALARM"),
            { ...stateUpdate("dev-prime-counter-target-5xx-4a5b6c7", 200, "OK", "ALARM"), HistoryData: "not json" },
            stateUpdate(SCALE_OUT_ALARM, 600, "ALARM", "OK"),
        ];
        assert.deepEqual(alarmEvents(window, items, "dev-prime-counter"), [
            { t: 185, kind: "alarm", detail: "cpu-scale-out: OK → ALARM" },
            { t: 200, kind: "alarm", detail: "target-5xx: OK → ALARM" },
        ]);
        assert.equal(alarmStateChange({ HistorySummary: "Alarm updated" }), undefined);
    });
});

// ------------------------------------------------------------------------------------------------ the command

describe("timeline observe: a 10-minute run with a scale-out, end to end", () => {
    let timeline: Timeline;
    let h: Harness;
    // Kept here: the mocks' call history is reset before each test.
    let metricCalls: GetMetricDataCommandInput[];
    let activityCalls: unknown[];
    let historyCalls: DescribeAlarmHistoryCommandInput[];
    let serviceCalls: unknown[];
    const config = loadEnvironmentConfig("Pulumi.dev.yaml");

    before(async () => {
        stsMock.reset();
        cloudWatchMock.reset();
        autoScalingMock.reset();
        mockAws();
        h = harness();
        timeline = await observeTimeline(REQUEST, h.deps);
        metricCalls = cloudWatchMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
        activityCalls = autoScalingMock.commandCalls(DescribeScalingActivitiesCommand).map((c) => c.args[0].input);
        historyCalls = cloudWatchMock.commandCalls(DescribeAlarmHistoryCommand).map((c) => c.args[0].input);
        serviceCalls = ecsMock.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input);
    });

    it("is a valid observed timeline of the stack file and the summary's script, one row a minute", () => {
        assert.deepEqual(timelineSchema.parse(timeline), timeline);
        assert.equal(timeline.kind, "observed");
        assert.equal(timeline.stack, "Pulumi.dev.yaml");
        assert.equal(timeline.script, "load");
        assert.equal(timeline.stepSeconds, 60);
        assert.deepEqual(timeline.rows.map((r) => r.t), [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]);
    });

    it("reads every page of GetMetricData: the second page continues the same query ids", () => {
        const calls = metricCalls;
        assert.equal(calls.length, 2);
        assert.equal(calls[0].NextToken, undefined);
        assert.equal(calls[1].NextToken, "metrics-page-2");
        for (const input of calls) {
            assert.deepEqual([input.StartTime, input.EndTime, input.ScanBy, input.MaxDatapoints], [at(0), at(600), "TimestampAscending", MAX_DATAPOINTS]);
            assert.deepEqual(input.MetricDataQueries?.map((q) => q.Id), [...SERIES_IDS]);
            assert.ok(input.MetricDataQueries?.every((q) => q.MetricStat?.Period === 60));
        }
        // Minutes 0–5 came on page 1, 6–9 on page 2: all ten are in the rows.
        assert.deepEqual(timeline.rows.map((r) => r.cpuAverage), METRICS.cpuAverage);
    });

    it("rows: rates per second, served and shed as the service counted them, latency in ms, counts as recorded", () => {
        assert.deepEqual(timeline.rows[2], {
            t: 120,
            offeredRps: 30,
            servedRps: 29.5,
            shedRps: 0.5,
            cpuAverage: 55,
            cpuMaximum: 60,
            desiredTasks: 1,
            pendingTasks: 0,
            runningTasks: 1,
            p50Ms: 190,
            p99Ms: 880,
            errorRps: 0,
            queueMax: 24,
        });
        assert.deepEqual(timeline.rows.map((r) => r.offeredRps), [15, 20, 30, 40, 40, 40, 40, 30, 10, 0], "the first minute's 600 over its 40 s; the last had no request: 0");
        assert.deepEqual(timeline.rows.map((r) => r.seconds), [40, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 40]);
        assert.deepEqual(timeline.rows.map((r) => r.shedRps), [0, 0, 0.5, 1, 0, 0, 0, 0, 0, 0]);
        assert.equal(timeline.rows[9].p99Ms, null, "no request, no latency");
        assert.deepEqual(timeline.rows.map((r) => r.desiredTasks), METRICS.desiredTasks);
    });

    it("events: the alarm, the scale-out it triggered, ECS starting and registering the task, the alarm's return; in order", () => {
        assert.deepEqual(timeline.events, [
            { t: 185, kind: "alarm", detail: "cpu-scale-out: OK → ALARM" },
            { t: 190, kind: "scaling", detail: "desired 1 → 2 (alarm cpu-scale-out in ALARM, policy scale-out)" },
            { t: 205, kind: "service", detail: "has started 1 tasks: (task 0b6e3f2a9c1d4e7f8a5b6c7d8e9f0a1b)." },
            { t: 240, kind: "task", detail: "running 1 → 2" },
            { t: 242, kind: "service", detail: `registered 1 targets in (target-group ${TARGET_GROUP_ARN})` },
            { t: 307, kind: "alarm", detail: "cpu-scale-out: ALARM → OK" },
            { t: 310, kind: "service", detail: "has reached a steady state." },
        ]);
    });

    it("asks ECS for the stack's service in its cluster, once", () => {
        assert.deepEqual(serviceCalls, [{ cluster: "ecs-loadlab-dev", services: ["prime-counter"] }]);
    });

    it("reads every page of the scaling activities (not scaled ones included) and of each alarm's history, for the stack's names and window", () => {
        const activityQuery = {
            ServiceNamespace: "ecs",
            ResourceId: "service/ecs-loadlab-dev/prime-counter",
            ScalableDimension: "ecs:service:DesiredCount",
            IncludeNotScaledActivities: true,
            MaxResults: 50,
        };
        assert.deepEqual(activityCalls, [
            { ...activityQuery, NextToken: undefined },
            { ...activityQuery, NextToken: "activities-page-1" },
        ]);
        assert.deepEqual([...new Set(historyCalls.map((c) => c.AlarmName))].sort(), [...DEV_OUTPUTS.alarmNames].sort());
        assert.equal(historyCalls.length, DEV_OUTPUTS.alarmNames.length + 1, "one more page for the scale-out alarm");
        for (const input of historyCalls) {
            assert.deepEqual([input.HistoryItemType, input.StartDate, input.EndDate], ["StateUpdate", at(0), at(600)]);
        }
        assert.equal(historyCalls.find((c) => c.NextToken !== undefined)?.AlarmName, SCALE_OUT_ALARM);
    });

    it("summary: from summarize(), with the activities, the scale-out threshold and the new task's first healthy minute", () => {
        const threshold = config.scaling.mode === "step" ? config.scaling.threshold : Number.NaN;
        const firstBreach = timeline.rows.find((r) => (r.cpuAverage ?? 0) >= threshold)?.t ?? null;
        assert.equal(timeline.summary.firstBreachSeconds, firstBreach);
        assert.equal(timeline.summary.firstScaleOutSeconds, 190);
        assert.equal(timeline.summary.firstNewTaskServingSeconds, 240);
        assert.deepEqual([timeline.summary.scaleOuts, timeline.summary.scaleIns, timeline.summary.reversals], [1, 0, 0]);
        assert.equal(timeline.summary.requests, 15_600, "the partial minutes' rates times their own seconds");
        assert.equal(timeline.summary.shedRequests, 90);
        assert.equal(timeline.summary.p99Ms, 1550);
        assert.equal(timeline.summary.peakTasks, 2);
        assert.equal(timeline.summary.durationSeconds, 560, "the run's length, not the window's");
    });

    it("scaling: the stack's mode, capacity and CPU thresholds; assumptions: where it read, and how", () => {
        assert.equal(timeline.scaling.mode, config.scaling.mode);
        assert.equal(timeline.scaling.maxCapacity, config.scaling.maxCapacity);
        assert.ok(timeline.scaling.cpuThresholds.length > 0);
        assert.deepEqual(
            {
                region: timeline.assumptions.region,
                accountId: timeline.assumptions.accountId,
                clusterName: timeline.assumptions.clusterName,
                serviceName: timeline.assumptions.serviceName,
                windowStart: timeline.assumptions.windowStart,
                windowEnd: timeline.assumptions.windowEnd,
                metricPeriodSeconds: timeline.assumptions.metricPeriodSeconds,
                seriesWithoutData: timeline.assumptions.seriesWithoutData,
            },
            {
                region: config.aws.region,
                accountId: config.aws.accountId,
                clusterName: "ecs-loadlab-dev",
                serviceName: "prime-counter",
                windowStart: "2026-03-02T12:00:00.000Z",
                windowEnd: "2026-03-02T12:10:00.000Z",
                metricPeriodSeconds: 60,
                seriesWithoutData: "elb500, elb502, elb503, elb504",
            },
        );
    });

    it("reads the outputs of the stack the file names, with the stack's region and the standard chain; no notes", () => {
        assert.deepEqual(h.stacksRead, ["dev"]);
        assert.deepEqual(h.connections, [{ region: config.aws.region, profile: undefined, roleArn: undefined }]);
        assert.equal(ROLE_SESSION_NAME, "ecs-loadlab-timeline");
        assert.equal(timeline.notes, undefined, "every alarm history was read: nothing to note");
    });

    it("checks who the credentials are first, shows them, and suggests the account's read-only role, not the deploy role", () => {
        assert.ok(config.aws.deployRoleArn, "Pulumi.dev.yaml names a deploy role: its account is bootstrapped");
        const readOnly = READ_ONLY_ROLE;
        const line = h.progress.find((l) => l.startsWith("credentials: "));
        assert.equal(
            line,
            `credentials: the standard credential chain, signed in as ${DEV_CALLER.Arn} (account ${DEV_ACCOUNT}); to read with the account's read-only role, pass --role-arn ${readOnly}`,
        );
        assert.ok(!h.progress.some((l) => l.includes("ecs-loadlab-deploy")), "the deploy role is not suggested");
        assert.ok(h.progress.indexOf(line) < h.progress.findIndex((l) => l.startsWith("read: ")));
    });
});

describe("timeline observe: options and the other scaling mode", () => {
    it("--outputs file instead of the Pulumi CLI; --profile and --role-arn reach the clients", async () => {
        mockAws();
        const h = harness();
        const roleArn = `arn:${DEV_PARTITION}:iam::${DEV_ACCOUNT}:role/observer`;
        const timeline = await observeTimeline({ ...REQUEST, stackOutputsFile: OUTPUTS_FILE, profile: "dev-admin", roleArn }, h.deps);
        assert.deepEqual(h.stacksRead, [], "the Pulumi CLI is not asked");
        assert.deepEqual(h.connections, [{ region: DEV_REGION, profile: "dev-admin", roleArn }]);
        assert.equal(timeline.assumptions.credentials, `profile dev-admin, assuming ${roleArn}`);
    });

    it("target tracking on CPU: scale-out at the target value, Average; on another metric, no CPU breach", () => {
        const prod = loadEnvironmentConfig("Pulumi.prod.yaml");
        if (prod.scaling.mode === "target-tracking") {
            assert.deepEqual(scaleOutCpu({ ...prod.scaling, metric: "cpu", targetValue: 50 }).cpu, 50);
            assert.equal(scaleOutCpu({ ...prod.scaling, metric: "cpu" }).statistic, "Average");
            assert.equal(scaleOutCpu({ ...prod.scaling, metric: "memory" }).cpu, Number.POSITIVE_INFINITY);
        }
        const dev = loadEnvironmentConfig("Pulumi.dev.yaml");
        if (dev.scaling.mode === "step") assert.deepEqual(scaleOutCpu(dev.scaling).cpu, dev.scaling.threshold);
    });

    it("the Pulumi stack from the stack file's name", () => {
        assert.equal(pulumiStackName("Pulumi.dev.yaml"), "dev");
        assert.equal(pulumiStackName("/somewhere/Pulumi.loadgen-eu.yaml"), "loadgen-eu");
        assert.equal(pulumiStackName("dev.yaml"), undefined);
    });

    it("notes series without data, and a window so recent its last minutes may be unpublished", async () => {
        mockMetricPages({ cpuAverage: METRICS.cpuAverage, cpuMaximum: METRICS.cpuMaximum });
        mockActivityPages([[]]);
        mockAlarmHistory();
        mockServiceEvents();
        const h = harness();
        const timeline = await observeTimeline(REQUEST, { ...h.deps, now: () => at(660) });
        assert.ok(h.progress.some((l) => /Container Insights/.test(l)), h.progress.join("\n"));
        assert.ok(h.progress.some((l) => /no load balancer datapoints for targetgroup\//.test(l)));
        assert.ok(h.progress.some((l) => /ended 60 s ago/.test(l)));
        assert.ok(timeline.rows.every((r) => r.offeredRps === null && r.runningTasks === null));
        assert.match(String(timeline.assumptions.seriesWithoutData), /^runningTasks, desiredTasks, pendingTasks, requests/);
    });
});

describe("timeline observe: where the request columns come from, end to end", () => {
    it("an image without the service's metrics: the load balancer's figures, and the timeline's notes name the fallback", async () => {
        mockAws();
        mockMetricPages(WITHOUT_SERVICE_METRICS);
        const timeline = await observeTimeline(REQUEST, harness().deps);
        assert.equal(timeline.notes?.length, 1);
        assert.match(timeline.notes?.[0] ?? "", /^the service's own metrics \(Answered, Shed, Errors\) have no datapoint in the window/);
        assert.deepEqual(timeline.rows.map((r) => r.shedRps), [0, 0, 0.5, 1, 0, 0, 0, 0, 0, 0], "shed: the target 5xx");
        assert.deepEqual([timeline.rows[2].p99Ms, timeline.rows[2].queueMax], [900, null], "TargetResponseTime's p99; no queue");
        assert.match(String(timeline.assumptions.requestColumns), /^fallback: served = RequestCount − target 5xx/);
    });

    it("a run aimed elsewhere (wrong BASE_URL): CPU and healthy hosts only; no request column, and a note naming both URLs", async () => {
        mockAws();
        const { cpuAverage, cpuMaximum, runningTasks, desiredTasks, pendingTasks, healthyHosts } = METRICS;
        const zeros = METRICS.answered.map(() => 0);
        mockMetricPages({ cpuAverage, cpuMaximum, runningTasks, desiredTasks, pendingTasks, healthyHosts, answered: zeros, shed: zeros, errors: zeros, queueMax: zeros });
        const h = harness(DEV_OUTPUTS, { [SUMMARY_FILE]: summaryText({ baseUrl: "https://prime-counter.other.example.com" }) });
        const timeline = await observeTimeline(REQUEST, h.deps);
        assert.ok(timeline.rows.every((r) => r.offeredRps === null && r.servedRps === null && r.shedRps === null && r.errorRps === null));
        assert.equal(timeline.summary.requests, 0);
        assert.deepEqual(timeline.notes?.length, 1);
        assert.match(timeline.notes?.[0] ?? "", new RegExp(`the run sent its requests to https://prime-counter\\.other\\.example\\.com, and this stack serves ${re(DEV_OUTPUTS.url)}; was BASE_URL right\\?`));
    });

    it("ECS not finding the service: a note, its events missing; the rest read", async () => {
        mockAws();
        ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: "arn:aws:ecs:eu-west-1:222222222222:service/ecs-loadlab-dev/prime-counter", reason: "MISSING" }] });
        const timeline = await observeTimeline(REQUEST, harness().deps);
        assert.deepEqual(timeline.notes, ["ECS DescribeServices did not find the service ecs-loadlab-dev/prime-counter (MISSING): its service events are missing"]);
        assert.ok(!timeline.events.some((e) => e.kind === "service"));
    });
});

// ------------------------------------------------------------------------------------------------ deployments and rollbacks

describe("timeline observe: service deployments and rollbacks (ECS ListServiceDeployments, DescribeServiceDeployments)", () => {
    const window = alignWindow({ startedAt: at(20), finishedAt: at(580) }, 60);
    const id = (brief: ServiceDeploymentBrief) => String(brief.serviceDeploymentArn).split("/").at(-1);
    const deploymentsOf = (timeline: Timeline) => timeline.events.filter((event) => event.kind === "deployment" || event.kind === "rollback");
    const listCalls = () => ecsMock.commandCalls(ListServiceDeploymentsCommand).map((call) => call.args[0].input);
    const describeCalls = () => ecsMock.commandCalls(DescribeServiceDeploymentsCommand).map((call) => call.args[0].input.serviceDeploymentArns);

    it("reads every page of the deployments created before the window's end, describes those that overlap it, and marks their events", async () => {
        mockAws();
        mockDeployments([[ROLLED_BACK_BY_ALARM], [DEPLOYED_ACROSS, DEPLOYED_BEFORE]], [described(DEPLOYED_ACROSS), ROLLED_BACK_BY_ALARM_DETAIL]);
        const h = harness();
        const result = await runObserve(h);
        assert.equal(result.status, 0, result.stderr.join("\n"));

        const query = { cluster: "ecs-loadlab-dev", service: "prime-counter", createdAt: { before: at(600) }, maxResults: 100 };
        assert.deepEqual(listCalls(), [
            { ...query, nextToken: undefined },
            { ...query, nextToken: "deployments-page-1" },
        ]);
        assert.deepEqual(describeCalls(), [[DEPLOYED_ACROSS.serviceDeploymentArn, ROLLED_BACK_BY_ALARM.serviceDeploymentArn]], "the one finished an hour before is not described");

        const expected = [
            { t: 150, kind: "deployment", detail: `deployment ${id(DEPLOYED_ACROSS)} completed: service revision ${REVISION_BEFORE}` },
            { t: 200, kind: "deployment", detail: `deployment ${id(ROLLED_BACK_BY_ALARM)} started: service revision ${REVISION_BEFORE} → ${REVISION_NEW}` },
            {
                t: 421,
                kind: "rollback",
                detail: `deployment ${id(ROLLED_BACK_BY_ALARM)} failed, rolled back by alarm target-5xx: deployment failed: alarm detected → service revision ${REVISION_BEFORE} (ROLLBACK_SUCCESSFUL in 91 s)`,
            },
        ];
        assert.deepEqual(
            result.stdout.filter((line) => /^(deployments in the window| {2}[ \d]\d:\d\d {2}(deployment|rollback))/.test(line)),
            [
                "deployments in the window (2 deployment, 1 rollback events):",
                ...expected.map((event) => `  ${clock(event.t).padStart(5)}  ${event.kind.padEnd(10)}  ${event.detail}`),
            ],
            "the command lists them after the summary",
        );
        assert.ok(result.stdout.some((line) => line.startsWith("read: ") && line.endsWith(", 3 service events, 2 deployment and 1 rollback events")), result.stdout.join("\n"));

        const timeline = await observeTimeline(REQUEST, h.deps);
        assert.deepEqual(deploymentsOf(timeline), expected);
        assert.equal(timeline.notes, undefined, "everything was read: nothing to note");
        assert.match(String(timeline.assumptions.source), /ECS ListServiceDeployments and DescribeServiceDeployments$/);
        // Among the other events, in time order.
        assert.deepEqual(
            timeline.events.map((event) => `${event.t} ${event.kind}`),
            ["150 deployment", "185 alarm", "190 scaling", "200 deployment", "205 service", "240 task", "242 service", "307 alarm", "310 service", "421 rollback"],
        );
    });

    it("a deployment before the window is not an event; one across its start, only its end; one within, its start and its end", () => {
        const events = deploymentEvents(window, [{ brief: DEPLOYED_BEFORE }, { brief: DEPLOYED_ACROSS }, { brief: { ...DEPLOYED_ACROSS, serviceDeploymentArn: deploymentArn("in"), startedAt: at(30), finishedAt: at(90) } }], "dev-prime-counter");
        assert.deepEqual(events, [
            { t: 150, kind: "deployment", detail: `deployment ${id(DEPLOYED_ACROSS)} completed: service revision ${REVISION_BEFORE}` },
            { t: 30, kind: "deployment", detail: `deployment in started: service revision ${REVISION_BEFORE}` },
            { t: 90, kind: "deployment", detail: `deployment in completed: service revision ${REVISION_BEFORE}` },
        ]);
        const unfinished = { ...DEPLOYED_ACROSS, startedAt: at(500), finishedAt: undefined, status: "IN_PROGRESS" as const };
        assert.deepEqual(deploymentEvents(window, [{ brief: unfinished }], "dev-prime-counter").map((e) => e.t), [500], "in progress when read: its start only");
        const late = { ...DEPLOYED_ACROSS, createdAt: at(600), startedAt: at(600), finishedAt: at(700) };
        assert.deepEqual(deploymentEvents(window, [{ brief: late }], "dev-prime-counter"), [], "from the window's end on: outside it");
    });

    it("a rollback by a deployment alarm: which alarms ECS names as triggered, its reason, the revision it went back to", () => {
        const [, rollback] = deploymentEvents(window, [{ brief: ROLLED_BACK_BY_ALARM, detail: ROLLED_BACK_BY_ALARM_DETAIL }], "dev-prime-counter");
        assert.equal(rollback.kind, "rollback");
        assert.match(rollback.detail, /rolled back by alarm target-5xx: deployment failed: alarm detected → service revision 4716302938261758413/);
        const both = { ...ROLLED_BACK_BY_ALARM_DETAIL, alarms: { status: "TRIGGERED" as const, triggeredAlarmNames: [TARGET_5XX_ALARM, DEV_OUTPUTS.alarmNames[5]] } };
        assert.match(deploymentEvents(window, [{ brief: ROLLED_BACK_BY_ALARM, detail: both }], "dev-prime-counter")[1].detail, / by alarm target-5xx, unhealthy-hosts: /);
        const reasoned = { ...ROLLED_BACK_BY_ALARM_DETAIL, rollback: { ...ROLLED_BACK_BY_ALARM_DETAIL.rollback, reason: "alarm dev-prime-counter-target-5xx-4a5b6c7 in ALARM." } };
        assert.match(deploymentEvents(window, [{ brief: ROLLED_BACK_BY_ALARM, detail: reasoned }], "dev-prime-counter")[1].detail, /: alarm dev-prime-counter-target-5xx-4a5b6c7 in ALARM → /, "the rollback's own reason first");
    });

    it("a rollback by the circuit breaker: its failure count and threshold", () => {
        const brief: ServiceDeploymentBrief = {
            ...ROLLED_BACK_BY_ALARM,
            serviceDeploymentArn: deploymentArn("Mx5pR7aZ0cVb3NqT8wLd2"),
            statusReason: "ECS deployment circuit breaker: task failed to start.",
        };
        const detail = described(brief, {
            rollback: { startedAt: at(300), serviceRevisionArn: revisionArn(REVISION_BEFORE) },
            deploymentCircuitBreaker: { status: "TRIGGERED", failureCount: 3, threshold: 3 },
        });
        assert.deepEqual(deploymentEvents(window, [{ brief, detail }], "dev-prime-counter")[1], {
            t: 300,
            kind: "rollback",
            detail: `deployment Mx5pR7aZ0cVb3NqT8wLd2 failed, rolled back by the circuit breaker (3 failed tasks, threshold 3): ECS deployment circuit breaker: task failed to start → service revision ${REVISION_BEFORE} (ROLLBACK_SUCCESSFUL in 212 s)`,
        });
        const inProgress = { ...brief, status: "ROLLBACK_IN_PROGRESS" as const, finishedAt: undefined };
        assert.match(deploymentEvents(window, [{ brief: inProgress, detail: { ...detail, status: "ROLLBACK_IN_PROGRESS" } }], "dev-prime-counter")[1].detail, /\(ROLLBACK_IN_PROGRESS\)$/);
    });

    it("a deployment ECS could not describe (MISSING): the list's own fields, the cause from its status reason's words", () => {
        assert.deepEqual(deploymentEvents(window, [{ brief: ROLLED_BACK_BY_ALARM }], "dev-prime-counter"), [
            { t: 200, kind: "deployment", detail: `deployment ${id(ROLLED_BACK_BY_ALARM)} started: service revision ${REVISION_NEW}` },
            { t: 512, kind: "rollback", detail: `deployment ${id(ROLLED_BACK_BY_ALARM)} failed, rolled back by a deployment alarm: deployment failed: alarm detected (ROLLBACK_SUCCESSFUL)` },
        ]);
        const stopped: ServiceDeploymentBrief = { ...ROLLED_BACK_BY_ALARM, status: "STOPPED", statusReason: "stopped by a newer deployment.", finishedAt: at(260) };
        assert.deepEqual(deploymentEvents(window, [{ brief: stopped }], "dev-prime-counter")[1], { t: 260, kind: "deployment", detail: `deployment ${id(stopped)} stopped: stopped by a newer deployment` });
        assert.equal(causeInWords("ECS deployment circuit breaker: task failed to start."), "circuit breaker");
        assert.equal(causeInWords("tasks failed container health checks"), "circuit breaker");
        assert.equal(causeInWords("alarm detected"), "alarm");
        assert.equal(causeInWords("stopped by a newer deployment"), undefined);
    });

    it("describes 20 deployments a call, DescribeServiceDeployments' most; one it answers MISSING for keeps the list's fields", async () => {
        assert.equal(DESCRIBE_DEPLOYMENTS_MAX, 20);
        mockAws();
        const many = Array.from({ length: 25 }, (_, i): ServiceDeploymentBrief => ({ ...DEPLOYED_ACROSS, serviceDeploymentArn: deploymentArn(`d${String(i).padStart(2, "0")}`), startedAt: at(10 + i * 20), finishedAt: at(15 + i * 20) }));
        mockDeployments([many], many.slice(1).map((brief) => described(brief)));
        const timeline = await observeTimeline(REQUEST, harness().deps);
        assert.deepEqual(describeCalls().map((arns) => arns?.length), [20, 5]);
        assert.equal(deploymentsOf(timeline).length, 50, "a start and an end each, the undescribed one's too");
        assert.equal(deploymentsOf(timeline)[0].detail, `deployment d00 started: service revision ${REVISION_BEFORE}`, "MISSING: no source revision");
        assert.equal(deploymentsOf(timeline)[2].detail, `deployment d01 started: service revision ${REVISION_BEFORE} → ${REVISION_BEFORE}`);
    });

    it("ListServiceDeployments refused (a role from before observe read them): the service events' words, and a note; nothing described", async () => {
        mockAws();
        const failed = "(service prime-counter) (deployment ecs-svc/5823719460175248391) deployment failed: alarm detected.";
        const rollingBack = "(service prime-counter) rolling back to deployment ecs-svc/4716302938261758413.";
        mockServiceEvents([
            { id: "e9", createdAt: at(421.2), message: rollingBack },
            { id: "e8", createdAt: at(421.1), message: failed },
            ...SERVICE_EVENTS,
        ]);
        const denied = awsError(
            "AccessDeniedException",
            `User: ${DEV_CALLER.Arn} is not authorized to perform: ecs:ListServiceDeployments on resource: ${SERVICE_ARN} because no identity-based policy allows the ecs:ListServiceDeployments action`,
        );
        ecsMock.on(ListServiceDeploymentsCommand).rejects(denied);
        const result = await runObserve(harness());
        assert.equal(result.status, 0, result.stderr.join("\n"));
        const note = `ECS ListServiceDeployments was refused (AccessDeniedException: ${denied.message}): deployments and rollbacks are read from the service events' words instead`;
        assert.ok(result.stdout.some((line) => line.startsWith(`warning: ${note}`)), result.stdout.join("\n"));

        const timeline = await observeTimeline(REQUEST, harness().deps);
        assert.equal(timeline.notes?.length, 1);
        assert.match(timeline.notes?.[0] ?? "", new RegExp(`^${re(note)} \\(completions, failures and rollbacks only.*allow ecs:ListServiceDeployments and ecs:DescribeServiceDeployments`));
        assert.deepEqual(deploymentsOf(timeline), [
            { t: 421, kind: "rollback", detail: "deployment ecs-svc/5823719460175248391 failed, rolled back by a deployment alarm: alarm detected → deployment ecs-svc/4716302938261758413" },
        ]);
        assert.deepEqual(
            timeline.events.filter((event) => event.kind === "service" && event.t === 421).map((event) => event.detail),
            ["(deployment ecs-svc/5823719460175248391) deployment failed: alarm detected.", "rolling back to deployment ecs-svc/4716302938261758413."],
            "ECS's own words stay service events too",
        );
        assert.equal(ecsMock.commandCalls(DescribeServiceDeploymentsCommand).length, 0);
    });

    it("from the service events' words: a rollback with the failure before it (by the circuit breaker or an alarm), a completion, a failure no rollback followed", () => {
        const message = (seconds: number, text: string): ServiceEvent => ({ id: `m${seconds}`, createdAt: at(seconds), message: `(service prime-counter) ${text}` });
        const events = [
            message(610, "rolling back to deployment ecs-svc/777."),
            message(590, "(deployment ecs-svc/888) deployment failed: alarm detected."),
            message(450, "(deployment ecs-svc/777) deployment failed: alarm detected."),
            message(330, "(deployment ecs-svc/4716302938261758413) deployment completed."),
            message(230.6, "rolling back to deployment ecs-svc/4716302938261758413."),
            message(230.5, "(deployment ecs-svc/5823719460175248391) deployment failed: tasks failed to start."),
            message(205, "has started 1 tasks: (task 0b6e3f2a9c1d4e7f8a5b6c7d8e9f0a1b)."),
            message(-3000, "(deployment ecs-svc/111) deployment completed."),
        ];
        assert.deepEqual(deploymentEventsFromServiceEvents(window, events, "prime-counter"), [
            { t: 230, kind: "rollback", detail: "deployment ecs-svc/5823719460175248391 failed, rolled back by the circuit breaker: tasks failed to start → deployment ecs-svc/4716302938261758413" },
            { t: 330, kind: "deployment", detail: "deployment ecs-svc/4716302938261758413 completed" },
            { t: 450, kind: "deployment", detail: "deployment ecs-svc/777 failed: alarm detected (no rollback followed)" },
            // 590: the failure ECS rolled back at 610, after the window: neither is in it.
        ]);
        assert.deepEqual(deploymentEventsFromServiceEvents(window, [message(100, "rolling back to deployment ecs-svc/4716302938261758413.")], "prime-counter"), [
            { t: 100, kind: "rollback", detail: "rolled back → deployment ecs-svc/4716302938261758413" },
        ]);
    });

    it("DescribeServiceDeployments refused: the list's fields, and a note", async () => {
        mockAws();
        mockDeployments([[ROLLED_BACK_BY_ALARM]]);
        const denied = awsError("AccessDeniedException", "User is not authorized to perform: ecs:DescribeServiceDeployments");
        ecsMock.on(DescribeServiceDeploymentsCommand).rejects(denied);
        const timeline = await observeTimeline(REQUEST, harness().deps);
        assert.deepEqual(timeline.notes, [
            `ECS DescribeServiceDeployments was refused (AccessDeniedException: ${denied.message}): deployments and rollbacks are from ListServiceDeployments alone (what caused a rollback: from its status reason's words)`,
        ]);
        assert.deepEqual(deploymentsOf(timeline).map((event) => event.kind), ["deployment", "rollback"]);
        assert.match(deploymentsOf(timeline)[1].detail, /rolled back by a deployment alarm: /);
    });

    it("ListServiceDeployments throttled after the SDK's retries fails the command; a service ECS does not have is DescribeServices' note", async () => {
        mockAws();
        ecsMock.on(ListServiceDeploymentsCommand).callsFake((input: ListServiceDeploymentsCommandInput) => {
            if (input.nextToken !== undefined) return Promise.reject(awsError("ThrottlingException", "Rate exceeded"));
            return { serviceDeployments: [DEPLOYED_ACROSS], nextToken: "deployments-page-1", $metadata: {} };
        });
        const error = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(error.message, new RegExp(`^ECS ListServiceDeployments failed ${re(WHERE)}: ThrottlingException: Rate exceeded\n {2}AWS kept throttling`));

        mockAws();
        ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: SERVICE_ARN, reason: "MISSING" }] });
        ecsMock.on(ListServiceDeploymentsCommand).rejects(awsError("ServiceNotFoundException", "Service not found."));
        const timeline = await observeTimeline(REQUEST, harness().deps);
        assert.deepEqual(timeline.notes, ["ECS DescribeServices did not find the service ecs-loadlab-dev/prime-counter (MISSING): its service events are missing"]);
    });

    it("within one second: an alarm, then the deployment and the rollback it causes, then scaling and tasks", () => {
        const kinds = ["service", "task", "rollback", "scaling", "deployment", "alarm"] as const;
        assert.deepEqual(
            sortEvents(kinds.map((kind) => ({ t: 5, kind, detail: kind }))).map((event) => event.kind),
            ["alarm", "deployment", "rollback", "scaling", "task", "service"],
        );
    });
});

// ------------------------------------------------------------------------------------------------ a recorded run

/** What AWS answered for a stress run on dev that shed, errored and hit max capacity, as the AWS CLI prints it. */
interface Recorded {
    stack: { file: string; maxCapacity: number };
    run: { script: string; baseUrl: string; startedAt: string; finishedAt: string };
    observedAt: string;
    GetMetricData: GetMetricDataCommandOutput[];
    DescribeScalingActivities: DescribeScalingActivitiesCommandOutput[];
    DescribeAlarmHistory: Record<string, DescribeAlarmHistoryCommandOutput[]>;
    DescribeServices: DescribeServicesCommandOutput;
    ListServiceDeployments: ListServiceDeploymentsCommandOutput[];
    DescribeServiceDeployments: DescribeServiceDeploymentsCommandOutput;
}

/** The fields the CLI prints as ISO times and the SDK gives as Dates. */
const TIME_FIELDS = new Set(["Timestamps", "Timestamp", "StartTime", "EndTime", "createdAt", "startedAt", "finishedAt", "updatedAt", "stoppedAt"]);
/** The parts of the file that are AWS's answers (the run's own startedAt and finishedAt stay text, as k6 wrote them). */
const ANSWERS = ["GetMetricData", "DescribeScalingActivities", "DescribeAlarmHistory", "DescribeServices", "ListServiceDeployments", "DescribeServiceDeployments"];

/** An AWS answer with its time fields as Dates, as the SDK gives them. */
function withDates(value: unknown, key = ""): unknown {
    if (TIME_FIELDS.has(key)) return Array.isArray(value) ? value.map((time: string) => new Date(time)) : new Date(value as string);
    if (Array.isArray(value)) return value.map((item) => withDates(item));
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, withDates(inner, name)]));
    return value;
}

function readRecorded(): Recorded {
    const json = JSON.parse(readFileSync(join(__dirname, "fixtures", "timeline-observe-recorded.json"), "utf8")) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(json).map(([name, value]) => [name, ANSWERS.includes(name) ? withDates(value) : value])) as unknown as Recorded;
}

describe("timeline observe: a recorded stress run that shed, errored and hit max capacity (tests/fixtures/timeline-observe-recorded.json)", () => {
    const recorded = readRecorded();
    const start = Date.parse("2026-03-02T14:00:00Z");
    const t = (iso: string) => (Date.parse(iso) - start) / 1000;
    /** A recorded series' value per minute of the window (0 where CloudWatch had no datapoint, as for a count). */
    const recordedCounts = (id: SeriesId): number[] => {
        const result = recorded.GetMetricData[0].MetricDataResults?.find((r) => r.Id === id);
        const values = new Array<number>(12).fill(0);
        result?.Timestamps?.forEach((time, i) => (values[(time.getTime() - start) / 60_000] = result.Values?.[i] ?? 0));
        return values;
    };
    let dir: string;
    let timeline: Timeline;
    let withoutDeployments: Timeline;
    let queriedIds: (string | undefined)[];
    let describedArns: (string[] | undefined)[];

    before(async () => {
        stsMock.reset();
        cloudWatchMock.reset();
        autoScalingMock.reset();
        mockCaller();
        cloudWatchMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({ ...recorded.GetMetricData[Number(input.NextToken ?? 0)], $metadata: {} }));
        cloudWatchMock
            .on(DescribeAlarmHistoryCommand)
            .callsFake((input: DescribeAlarmHistoryCommandInput) => ({ ...recorded.DescribeAlarmHistory[input.AlarmName ?? ""][Number(input.NextToken ?? 0)], $metadata: {} }));
        autoScalingMock.on(DescribeScalingActivitiesCommand).callsFake((input: { NextToken?: string }) => ({ ...recorded.DescribeScalingActivities[Number(input.NextToken ?? 0)], $metadata: {} }));
        ecsMock.reset();
        ecsMock.on(DescribeServicesCommand).resolves(recorded.DescribeServices);
        ecsMock.on(ListServiceDeploymentsCommand).callsFake((input: ListServiceDeploymentsCommandInput) => ({ ...recorded.ListServiceDeployments[Number(input.nextToken ?? 0)], $metadata: {} }));
        ecsMock.on(DescribeServiceDeploymentsCommand).resolves(recorded.DescribeServiceDeployments);

        // The recording's capacity, whatever the shipped stack file says now.
        dir = mkdtempSync(join(tmpdir(), "timeline-recorded-"));
        const stackFile = join(dir, recorded.stack.file);
        writeFileSync(stackFile, readFileSync(DEV_STACK_FILE, "utf8").replace(/^( +maxCapacity:) *\d+ *$/m, `$1 ${recorded.stack.maxCapacity}`));
        const summaryFile = "k6/results/stress-20260302T141147Z.json";
        const h = harness(DEV_OUTPUTS, { [summaryFile]: JSON.stringify({ run: recorded.run, k6: { metrics: {} } }) });
        timeline = await observeTimeline({ stackFile, summaryFile }, { ...h.deps, now: () => new Date(recorded.observedAt) });
        queriedIds = cloudWatchMock.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries?.map((q) => q.Id) ?? [];
        describedArns = ecsMock.commandCalls(DescribeServiceDeploymentsCommand).map((call) => call.args[0].input.serviceDeploymentArns);
        // The same answers, but ListServiceDeployments refused: what a read-only role from before observe read deployments sees.
        ecsMock.on(ListServiceDeploymentsCommand).rejects(Object.assign(new Error("User is not authorized to perform: ecs:ListServiceDeployments"), { name: "AccessDeniedException" }));
        withoutDeployments = await observeTimeline({ stackFile, summaryFile }, { ...h.deps, now: () => new Date(recorded.observedAt) });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("was recorded with this observe's queries, and reads as a whole timeline with nothing to note", () => {
        assert.deepEqual(recorded.GetMetricData[0].MetricDataResults?.map((r) => r.Id), queriedIds);
        assert.deepEqual(timeline.rows.map((r) => r.t), Array.from({ length: 12 }, (_, i) => i * 60));
        assert.equal(timeline.notes, undefined);
        assert.equal(timeline.scaling.maxCapacity, recorded.stack.maxCapacity);
    });

    it("each figure in its column: offered from RequestCount, served, shed and errors from the service and the load balancer's 502s", () => {
        const [requests, answered, shed, errors, elb502] = (["requests", "answered", "shed", "errors", "elb502"] as const).map(recordedCounts);
        const seconds = timeline.rows.map((r) => r.seconds ?? 60);
        const perSecond = (counts: number[]) => counts.map((count, i) => count / seconds[i]);
        assert.deepEqual(timeline.rows.map((r) => r.offeredRps), perSecond(requests));
        assert.deepEqual(timeline.rows.map((r) => r.servedRps), perSecond(answered));
        assert.deepEqual(timeline.rows.map((r) => r.shedRps), perSecond(shed), "the service's 503s, in shed only");
        assert.deepEqual(timeline.rows.map((r) => r.errorRps), perSecond(errors.map((count, i) => count + elb502[i])), "its other 5xx and the load balancer's 502s");
        assert.deepEqual(timeline.rows[3], {
            t: 180,
            offeredRps: 3602 / 60,
            servedRps: 1980 / 60,
            shedRps: 1616 / 60,
            cpuAverage: 97.6,
            cpuMaximum: 99.3,
            desiredTasks: 4,
            pendingTasks: 1,
            runningTasks: 3,
            p50Ms: 1510,
            p99Ms: 1960,
            errorRps: (4 + 2) / 60,
            queueMax: 32,
        });
    });

    it("the first and last minute: rates over the 36.582 s and 47.902 s the run covers", () => {
        assert.deepEqual([timeline.rows[0].seconds, timeline.rows[11].seconds], [36.582, 47.902]);
        assert.equal(timeline.rows[0].offeredRps, 366 / 36.582);
        assert.equal(timeline.summary.durationSeconds, 684.484);
        assert.equal(timeline.summary.requests, recordedCounts("requests").reduce((a, b) => a + b, 0));
        assert.equal(timeline.summary.shedRequests, recordedCounts("shed").reduce((a, b) => a + b, 0));
    });

    it("capped scaling: two scale-outs, then every minute's scale-out refused at max capacity, as events that are not scale-outs", () => {
        const scaling = timeline.events.filter((e) => e.kind === "scaling");
        assert.deepEqual(scaling.slice(0, 3), [
            { t: 126, kind: "scaling", detail: "desired 1 → 3 (alarm cpu-scale-out in ALARM, policy scale-out)" },
            { t: 186, kind: "scaling", detail: "desired 3 → 4 (alarm cpu-scale-out in ALARM, policy scale-out)" },
            { t: 246, kind: "scaling", detail: "not scaled: at max capacity 4 (alarm cpu-scale-out in ALARM, policy scale-out)" },
        ]);
        assert.deepEqual(
            scaling.slice(2).map((e) => e.t),
            [246, 306, 366, 426, 486, 546, 606],
        );
        assert.ok(scaling.slice(2).every((e) => e.detail.startsWith("not scaled: at max capacity 4 ")));
        assert.deepEqual([timeline.summary.scaleOuts, timeline.summary.scaleIns], [2, 0], "the scale-in at 14:15 is after the window");
        assert.equal(timeline.summary.peakTasks, 4);
        assert.equal(timeline.summary.minutesAtMaxCapacity, 7.8, "minutes 4–10 and the last minute's 47.9 s");
    });

    it("ECS's events of the window, in its words; those before and after it left out", () => {
        const target = `(target-group arn:aws:elasticloadbalancing:eu-west-1:222222222222:${DEV_OUTPUTS.targetGroupArnSuffix})`;
        assert.deepEqual(
            timeline.events.filter((e) => e.kind === "service"),
            [
                { t: t("2026-03-02T14:02:03.415Z"), kind: "service", detail: "has started 1 tasks: (task 3c5e7a9b1d2f4e6a8c0b2d4f6a8c0e1b)." },
                { t: t("2026-03-02T14:02:21.532Z"), kind: "service", detail: "has started 2 tasks: (task 5e8f0c3b6a2d4e1f9b7c8d6e5f4a3b2c) (task 7a1b2c3d4e5f60718293a4b5c6d7e8f9)." },
                { t: t("2026-03-02T14:03:18.306Z"), kind: "service", detail: "has started 1 tasks: (task 9d3e8f1a2b4c4d6e8f0a1b2c3d4e5f67)." },
                { t: t("2026-03-02T14:03:29.957Z"), kind: "service", detail: `registered 2 targets in ${target}` },
                { t: t("2026-03-02T14:04:26.415Z"), kind: "service", detail: `registered 1 targets in ${target}` },
                { t: t("2026-03-02T14:05:33.879Z"), kind: "service", detail: "has reached a steady state." },
                { t: t("2026-03-02T14:05:41.276Z"), kind: "service", detail: "(deployment ecs-svc/5823719460175248391) deployment failed: alarm detected." },
                { t: t("2026-03-02T14:05:41.277Z"), kind: "service", detail: "rolling back to deployment ecs-svc/4716302938261758413." },
                { t: t("2026-03-02T14:06:14.530Z"), kind: "service", detail: "has stopped 1 running tasks: (task 3c5e7a9b1d2f4e6a8c0b2d4f6a8c0e1b)." },
                { t: t("2026-03-02T14:07:12.880Z"), kind: "service", detail: "(deployment ecs-svc/4716302938261758413) deployment completed." },
            ].map((e) => ({ ...e, t: Math.floor(e.t) })),
        );
    });

    it("the deployment started during the run, and its rollback when the target 5xx alarm the shedding set off failed it", () => {
        const [listed] = recorded.ListServiceDeployments[0].serviceDeployments ?? [];
        assert.deepEqual(describedArns, [[listed.serviceDeploymentArn]], "described: the one deployment that overlaps the window, not the morning's");
        assert.deepEqual(
            timeline.events.filter((e) => e.kind === "deployment" || e.kind === "rollback"),
            [
                { t: 109, kind: "deployment", detail: "deployment 9tKD2mHvQz8rX4LbWn1Ep started: service revision 4716302938261758413 → 5823719460175248391" },
                {
                    t: 341,
                    kind: "rollback",
                    detail: "deployment 9tKD2mHvQz8rX4LbWn1Ep failed, rolled back by alarm target-5xx: deployment failed: alarm detected → service revision 4716302938261758413 (ROLLBACK_SUCCESSFUL in 92 s)",
                },
            ],
        );
        const alarm = timeline.events.find((e) => e.kind === "alarm" && e.detail.startsWith("target-5xx: OK → ALARM"));
        const rollback = timeline.events.find((e) => e.kind === "rollback");
        assert.ok(alarm && rollback && alarm.t < rollback.t, "the alarm went off before ECS rolled back");
    });

    it("ListServiceDeployments refused: the rollback and the completion from ECS's service events, and a note", () => {
        assert.deepEqual(
            withoutDeployments.events.filter((e) => e.kind === "deployment" || e.kind === "rollback"),
            [
                { t: 341, kind: "rollback", detail: "deployment ecs-svc/5823719460175248391 failed, rolled back by a deployment alarm: alarm detected → deployment ecs-svc/4716302938261758413" },
                { t: 432, kind: "deployment", detail: "deployment ecs-svc/4716302938261758413 completed" },
            ],
        );
        assert.equal(withoutDeployments.notes?.length, 1);
        assert.match(withoutDeployments.notes?.[0] ?? "", /^ECS ListServiceDeployments was refused \(AccessDeniedException: /);
        assert.deepEqual(withoutDeployments.rows, timeline.rows, "the rest is read as before");
    });

    it("the alarms' state changes within the window", () => {
        assert.deepEqual(
            timeline.events.filter((e) => e.kind === "alarm").map((e) => [e.t, e.detail]),
            [
                [125, "cpu-scale-out: OK → ALARM"],
                [305, "target-5xx: OK → ALARM"],
                [424, "max-capacity: OK → ALARM"],
                [485, "cpu-critical-at-max: OK → ALARM"],
                [665, "target-5xx: ALARM → OK"],
                [665, "cpu-scale-out: ALARM → OK"],
            ],
        );
    });
});

describe("timeline observe: timelines written before rows had seconds, errorRps and queueMax still load", () => {
    const row = { t: 0, offeredRps: 10, servedRps: 10, shedRps: 0, cpuAverage: 30, cpuMaximum: 31, desiredTasks: 1, pendingTasks: 0, runningTasks: 1, p50Ms: 40, p99Ms: 90 };
    const older = {
        kind: "observed",
        stack: "Pulumi.dev.yaml",
        script: "load",
        stepSeconds: 60,
        rows: [row],
        events: [{ t: 0, kind: "task", detail: "running 1 → 2" }],
        assumptions: { region: "eu-west-1" },
        summary: {
            durationSeconds: 60,
            requests: 600,
            shedRequests: 0,
            shedPercent: 0,
            p99Ms: 90,
            peakTasks: 1,
            minutesAtMaxCapacity: 0,
            firstBreachSeconds: null,
            firstScaleOutSeconds: null,
            firstNewTaskServingSeconds: null,
            scaleOuts: 0,
            scaleIns: 0,
            reversals: 0,
            taskHours: 0.017,
            costUsd: 0.0002,
            pricesAsOf: "2026-01-01",
        },
        scaling: { mode: "step", minCapacity: 1, maxCapacity: 4, cpuThresholds: [] },
    };

    it("without the new fields, and with them", () => {
        assert.deepEqual(parseTimeline(JSON.stringify(older), "old.json").rows, [row]);
        const newer = { ...older, rows: [{ ...row, seconds: 36.582, errorRps: 0.1, queueMax: 3 }], events: [{ t: 5, kind: "service", detail: "has reached a steady state." }] };
        assert.equal(parseTimeline(JSON.stringify(newer), "new.json").rows[0].seconds, 36.582);
    });
});

// ------------------------------------------------------------------------------------------------ failures

describe("timeline observe: AWS failing is exit 1, naming the call, account and region", () => {
    it("throttling after the SDK's retries", async () => {
        mockAws();
        cloudWatchMock.on(GetMetricDataCommand).rejects(awsError("ThrottlingException", "Rate exceeded"));
        const error = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(error.message, new RegExp(`^CloudWatch GetMetricData failed ${re(WHERE)}: ThrottlingException: Rate exceeded\n {2}AWS kept throttling`));
    });

    it("ECS DescribeServices throttled after the SDK's retries, or denied", async () => {
        mockAws();
        ecsMock.on(DescribeServicesCommand).rejects(awsError("ThrottlingException", "Rate exceeded"));
        const throttled = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(throttled.message, new RegExp(`^ECS DescribeServices failed ${re(WHERE)}: ThrottlingException: Rate exceeded\n {2}AWS kept throttling`));
        ecsMock.on(DescribeServicesCommand).rejects(awsError("AccessDeniedException", "User is not authorized to perform: ecs:DescribeServices"));
        const denied = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(denied.message, /\n {2}the credentials may not call ecs:DescribeServices there: .*Application Auto Scaling and ECS read access/);
    });

    it("throttling of a later page of the scaling activities", async () => {
        mockAws();
        autoScalingMock.on(DescribeScalingActivitiesCommand).callsFake((input: { NextToken?: string }) => {
            if (input.NextToken !== undefined) return Promise.reject(awsError("ThrottlingException", "Rate exceeded"));
            return { ScalingActivities: [ACTIVITY_IN_WINDOW], NextToken: "activities-page-1", $metadata: {} };
        });
        const error = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(error.message, /^Application Auto Scaling DescribeScalingActivities failed .*ThrottlingException/);
        assert.equal(autoScalingMock.commandCalls(DescribeScalingActivitiesCommand).length, 2);
    });

    it("access denied, for each call", async () => {
        mockAws();
        autoScalingMock.on(DescribeScalingActivitiesCommand).rejects(awsError("AccessDeniedException", "User is not authorized to perform: application-autoscaling:DescribeScalingActivities"));
        const error = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(
            error.message,
            new RegExp(`^Application Auto Scaling DescribeScalingActivities failed ${re(WHERE)}: AccessDeniedException: .*\n {2}the credentials may not call application-autoscaling:DescribeScalingActivities`),
        );

        assert.match(error.message, /the account's read-only role ecs-loadlab-read-only/, "the role the hint names");
    });

    it("a metric CloudWatch answers Forbidden or InternalError for", async () => {
        mockAws();
        cloudWatchMock.on(GetMetricDataCommand).resolves({
            MetricDataResults: [...results(METRICS, 0, 10, "Complete").slice(1), { Id: "cpuAverage", StatusCode: "Forbidden", Messages: [{ Code: "Forbidden", Value: "no access" }] }],
        });
        const error = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(error.message, /AWS\/ECS CPUUtilization \(Average\) came back Forbidden \(Forbidden no access\): the credentials may not read it/);
    });

    it("no credentials, expired ones: what to do", () => {
        const target = { region: DEV_REGION, accountId: DEV_ACCOUNT };
        assert.match(awsCallError("X", "x:Y", target, awsError("CredentialsProviderError", "Could not load credentials from any providers")).message, /--profile/);
        assert.match(awsCallError("X", "x:Y", target, awsError("ExpiredTokenException", "expired")).message, /log in again/);
        assert.equal(awsCallError("X", "x:Y", target, "odd").message, `X failed ${WHERE}: Error: odd`);
    });
});

describe("timeline observe: bad input is exit 2, saying what to change", () => {
    let dir: string;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), "timeline-observe-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const refused = async (request: Partial<typeof REQUEST> & Record<string, unknown>, h = harness()) =>
        (await rejection(InputError, observeTimeline({ ...REQUEST, ...request }, h.deps))).message;

    it("a stack file that does not exist, is not an environment stack, or does not validate", async () => {
        assert.match(await refused({ stackFile: "Pulumi.nope.yaml" }), /^stack file Pulumi\.nope\.yaml does not exist: pass an environment stack file/);
        assert.match(await refused({ stackFile: stackFilePath("Pulumi.shared.yaml") }), /Pulumi\.shared\.yaml is a shared stack .*timelines are for environment stacks/);
        const invalid = join(dir, "Pulumi.broken.yaml");
        writeFileSync(invalid, "config:\n  ecs-loadlab:role: environment\n  ecs-loadlab:scaling:\n    mode: sideways\n");
        assert.match(await refused({ stackFile: invalid }), /^Invalid stack configuration \(.*Pulumi\.broken\.yaml\):\n {2}- /);
    });

    it("a summary file that is missing, not JSON, or not a k6 summary of this project", async () => {
        assert.match(await refused({ summaryFile: "k6/results/nope.json" }), /^summary file k6\/results\/nope\.json does not exist/);
        const h = harness(DEV_OUTPUTS, { "bad.json": "<html>", "other.json": JSON.stringify({ metrics: { http_reqs: {} } }) });
        assert.match(await refused({ summaryFile: "bad.json" }, h), /^bad\.json is not JSON/);
        assert.match(await refused({ summaryFile: "other.json" }, h), /^other\.json is not a k6 summary of this project/);
    });

    it("a run older than CloudWatch keeps minutes for, or in the future", async () => {
        const old = harness();
        assert.match(await refused({}, { ...old, deps: { ...old.deps, now: () => at(16 * 24 * 3600) } }), /started 16 days ago .*keeps 1-minute datapoints for 15 days/);
        const early = harness();
        assert.match(await refused({}, { ...early, deps: { ...early.deps, now: () => at(-60) } }), /in the future: is this machine's clock/);
    });

    it("stack outputs: none of an environment's, some missing, a wrong form, a stack of another config", async () => {
        assert.match(await refused({}, harness({ bucketName: "x" })), /^stack dev has none of an environment stack's outputs: is it an environment stack \(ecs-loadlab:role: environment\), and deployed \(pulumi up -s dev\)\?/);
        const { alarmNames: _a, targetGroupArnSuffix: _t, ...old } = DEV_OUTPUTS;
        assert.equal(await refused({}, harness(old)), "stack dev lacks the outputs targetGroupArnSuffix, alarmNames: update it with this checkout (pulumi up -s dev)");
        assert.match(await refused({}, harness({ ...DEV_OUTPUTS, loadBalancerArnSuffix: "arn:aws:elasticloadbalancing:x" })), /outputs are not what an environment stack exports: loadBalancerArnSuffix: must be a load balancer's ARN suffix/);
        assert.match(await refused({}, harness({ ...DEV_OUTPUTS, clusterName: "ecs-loadlab-staging" })), /name the cluster ecs-loadlab-staging, but Pulumi\.dev\.yaml names it ecs-loadlab-dev/);
    });

    it("asks the Pulumi CLI for the stack by the name it was given (--stack my-org/ecs-loadlab/dev), not the file's", async () => {
        const h = harness();
        await observedOutputs({ ...REQUEST, stackName: "my-org/ecs-loadlab/dev" }, environmentResourceNames(loadEnvironmentConfig("Pulumi.dev.yaml")), h.deps);
        assert.deepEqual(h.stacksRead, ["my-org/ecs-loadlab/dev"]);
    });

    it("the Pulumi CLI failing to read the outputs; an outputs file missing or not JSON; no stack name to ask for", async () => {
        const h = harness();
        h.deps.readStackOutputs = () => Promise.reject(new Error("code: 255\n stdout: \n stderr: error: no stack named 'dev' found\n\n err?: x\n"));
        assert.equal(await refused({}, h), "cannot read the outputs of stack dev with the Pulumi CLI: error: no stack named 'dev' found");
        assert.match(await refused({ stackOutputsFile: "missing.json" }), /^outputs file missing\.json does not exist: write it with pulumi stack output --json -s dev > missing\.json/);
        const files = harness(DEV_OUTPUTS, { "o.json": "[secret]", "a.json": "[1]" });
        assert.match(await refused({ stackOutputsFile: "o.json" }, files), /^outputs file o\.json is not JSON/);
        assert.match(await refused({ stackOutputsFile: "a.json" }, files), /is not a stack's outputs/);
        const renamed = join(dir, "dev.yaml");
        writeFileSync(renamed, readFileSync(DEV_STACK_FILE));
        assert.match(await refused({ stackFile: renamed }), /^cannot tell the Pulumi stack from the stack file's name dev\.yaml \(Pulumi\.<stack>\.yaml\): pass its outputs with --outputs/);
    });

    it("a --role-arn in another account than the stack's", async () => {
        assert.match(await refused({ roleArn: OTHER_ACCOUNT_ROLE }), new RegExp(`--role-arn ${re(OTHER_ACCOUNT_ROLE)} is not in the stack's account ${DEV_ACCOUNT}`));
    });

    it("a window in which CloudWatch has no datapoint at all: which metrics, which window, the likely causes", async () => {
        mockMetricPages({});
        mockActivityPages([[]]);
        mockAlarmHistory();
        mockServiceEvents();
        const message = await refused({});
        assert.match(message, new RegExp(`^CloudWatch has no datapoints at all for 2026-03-02 12:00–12:10 UTC \\(10 minute\\(s\\)\\) ${re(WHERE)}:`));
        for (const metric of ["AWS/ECS CPUUtilization (Average)", "ECS/ContainerInsights RunningTaskCount", "AWS/ApplicationELB RequestCount (Sum)", "TargetResponseTime (p99)"]) {
            assert.ok(message.includes(metric), metric);
        }
        for (const cause of [/wrong account or region/, /Container Insights off/, /no traffic reached the target group targetgroup\//, /keeps 1-minute datapoints for 15 days/]) {
            assert.match(message, cause);
        }
        assert.doesNotMatch(message, /not published yet/, "the window ended 20 minutes before");
    });
});

// ------------------------------------------------------------------------------------------------ the caller

describe("timeline observe: the credentials must be in the stack's account (STS GetCallerIdentity, first)", () => {
    let dir: string;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), "timeline-caller-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("the stack's account: goes on, and the progress line shows who the credentials are", async () => {
        mockAws();
        const h = harness();
        const result = await runObserve(h);
        assert.equal(result.status, 0, result.stderr.join("\n"));
        assert.ok(result.stdout.some((line) => line.startsWith(`credentials: the standard credential chain, signed in as ${DEV_CALLER.Arn} (account ${DEV_ACCOUNT})`)), result.stdout.join("\n"));
        assert.equal(stsMock.commandCalls(GetCallerIdentityCommand).length, 1);
        assert.deepEqual(result.stderr, []);
    });

    it("another account: exit 2 with one line naming both accounts, the caller and the fix; nothing else is read", async () => {
        mockAws();
        const other = { Account: OTHER_ACCOUNT, Arn: `arn:${DEV_PARTITION}:sts::${OTHER_ACCOUNT}:assumed-role/Admin/alice` };
        mockCaller(other);
        const h = harness();
        const result = await runObserve(h, "--profile", "tooling");
        assert.equal(result.status, 2);
        assert.deepEqual(result.stderr, [
            `the credentials (profile tooling) are ${other.Arn} in account ${OTHER_ACCOUNT}, but the stack of Pulumi.dev.yaml is in account ${DEV_ACCOUNT}: ` +
                `pass --role-arn ${READ_ONLY_ROLE} (the account's read-only role), or a --profile in account ${DEV_ACCOUNT}`,
        ]);
        assert.equal(stsMock.commandCalls(GetCallerIdentityCommand).length, 1);
        assert.equal(cloudWatchMock.calls().length, 0, "no CloudWatch call");
        assert.equal(autoScalingMock.calls().length, 0, "no Application Auto Scaling call");
        assert.equal(ecsMock.calls().length, 0, "no ECS call");
        assert.deepEqual(h.stacksRead, [], "not even the stack's outputs");
    });

    it("GetCallerIdentity failing (no credentials, expired ones) is an AWS failure: exit 1 with the SDK's message, nothing else read", async () => {
        mockAws();
        stsMock.on(GetCallerIdentityCommand).rejects(awsError("CredentialsProviderError", "Could not load credentials from any providers"));
        const error = await awsFailure(observeTimeline(REQUEST, harness().deps));
        assert.match(
            error.message,
            new RegExp(`^STS GetCallerIdentity failed ${re(WHERE)}: CredentialsProviderError: Could not load credentials from any providers\n {2}no AWS credentials were found: .*--profile`),
        );

        cloudWatchMock.resetHistory();
        stsMock.on(GetCallerIdentityCommand).rejects(awsError("ExpiredTokenException", "The security token included in the request is expired"));
        const result = await runObserve(harness());
        assert.equal(result.status, 1);
        assert.match(result.stderr.join("\n"), /^timeline failed: STS GetCallerIdentity failed .*ExpiredTokenException: The security token included in the request is expired\n {2}the credentials are expired/);
        assert.equal(cloudWatchMock.calls().length + autoScalingMock.calls().length, 0);
    });

    it("a role that cannot be assumed: says to check its trust policy", async () => {
        mockAws();
        stsMock.on(GetCallerIdentityCommand).rejects(awsError("AccessDenied", `User: ${DEV_CALLER.Arn} is not authorized to perform: sts:AssumeRole on resource: ${READ_ONLY_ROLE}`));
        const error = await awsFailure(observeTimeline({ ...REQUEST, roleArn: READ_ONLY_ROLE }, harness().deps));
        assert.match(
            error.message,
            new RegExp(`^STS GetCallerIdentity failed .*AccessDenied: .*sts:AssumeRole.*\n {2}the credentials could not assume ${re(READ_ONLY_ROLE)}: does its trust policy allow them`),
        );
    });

    it("a --role-arn in another account is refused before any call", async () => {
        await rejection(InputError, observeTimeline({ ...REQUEST, roleArn: OTHER_ACCOUNT_ROLE }, harness().deps));
        assert.equal(stsMock.calls().length, 0);
    });

    it("suggests the read-only role only when it helps: not with --role-arn, not to the read-only role itself, not in an account without bootstrap", async () => {
        const session = (name: string) => `arn:${DEV_PARTITION}:sts::${DEV_ACCOUNT}:assumed-role/ecs-loadlab-read-only/${name}`;
        const credentialsLine = async (request: Partial<typeof REQUEST> & Record<string, unknown>, caller = DEV_CALLER) => {
            mockAws();
            mockCaller(caller);
            const h = harness();
            await observeTimeline({ ...REQUEST, ...request }, h.deps);
            return h.progress.find((line) => line.startsWith("credentials: ")) ?? "";
        };
        assert.match(await credentialsLine({}), new RegExp(`; to read with the account's read-only role, pass --role-arn ${re(READ_ONLY_ROLE)}$`));
        assert.equal(
            await credentialsLine({ roleArn: READ_ONLY_ROLE }, { ...DEV_CALLER, Arn: session("ecs-loadlab-timeline") }),
            `credentials: the standard credential chain, assuming ${READ_ONLY_ROLE}, signed in as ${session("ecs-loadlab-timeline")} (account ${DEV_ACCOUNT})`,
        );
        assert.doesNotMatch(await credentialsLine({ profile: "ro" }, { ...DEV_CALLER, Arn: session("alice") }), /pass --role-arn/);
        const unbootstrapped = join(dir, "Pulumi.dev.yaml");
        writeFileSync(unbootstrapped, readFileSync(DEV_STACK_FILE, "utf8").replace(/^ {4}deployRoleArn: .*\n/m, ""));
        assert.doesNotMatch(readFileSync(unbootstrapped, "utf8"), /deployRoleArn/);
        assert.doesNotMatch(await credentialsLine({ stackFile: unbootstrapped }), /pass --role-arn/);
    });

    it("the read-only role's ARN: the stack's account, the partition of its region, IAM_NAMES.readOnlyRole", () => {
        assert.equal(readOnlyRoleArn(DEV_REGION, DEV_ACCOUNT), READ_ONLY_ROLE);
        assert.equal(readOnlyRoleArn("us-east-1", "123456789012"), "arn:aws:iam::123456789012:role/ecs-loadlab-read-only");
        assert.equal(readOnlyRoleArn("cn-northwest-1", "123456789012"), "arn:aws-cn:iam::123456789012:role/ecs-loadlab-read-only");
        assert.deepEqual(["us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "us-east-1", "ap-southeast-2"].map(regionPartition), ["aws-us-gov", "aws-iso", "aws-iso-b", "aws", "aws"]);
    });
});

// ------------------------------------------------------------------------------------------------ alarm history, unreadable

describe("timeline observe: an alarm history that cannot be read is a note, not a failure", () => {
    let dir: string;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), "timeline-notes-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const denied = awsError("AccessDenied", `User: ${DEV_CALLER.Arn} is not authorized to perform: cloudwatch:DescribeAlarmHistory`);
    const throttled = awsError("ThrottlingException", "Rate exceeded");
    const notes = [
        `the history of alarm ${SCALE_OUT_ALARM} could not be read (AccessDenied: ${denied.message}): its state changes are missing from the events`,
        `the history of alarm ${DEV_OUTPUTS.alarmNames[4]} could not be read (ThrottlingException: Rate exceeded): its state changes are missing from the events`,
    ];

    it("AccessDenied (or any error after the SDK's retries): exit 0, the note in the JSON, the report and the output", async () => {
        mockAws();
        mockAlarmHistory({ [SCALE_OUT_ALARM]: denied, [DEV_OUTPUTS.alarmNames[4]]: throttled });
        const json = join(dir, "observed.json");
        const html = join(dir, "observed.html");
        const result = await runObserve(harness(), "--json", json, "--html", html);
        assert.equal(result.status, 0, result.stderr.join("\n"));
        assert.deepEqual(result.stderr, []);

        const timeline = parseTimeline(readFileSync(json, "utf8"), json);
        assert.deepEqual(timeline.notes, notes);
        assert.deepEqual(
            timeline.events.map((event) => event.kind),
            ["scaling", "service", "task", "service", "service"],
            "the scale-out alarm's transitions are missing; the scaling activity, the task and ECS's events are not",
        );
        assert.deepEqual(
            result.stdout.filter((line) => line.startsWith("warning: ")),
            notes.map((note) => `warning: ${note}`),
        );
        assert.ok(
            result.stdout.some((line) => /^read: 16 of 20 metrics with data, 1 scaling activities, 0 alarm state changes \(2 of 6 alarm histories unreadable\), 3 service events, 0 deployment and 0 rollback events$/.test(line)),
            result.stdout.join("\n"),
        );
        const page = readFileSync(html, "utf8");
        assert.ok(page.indexOf(`<section id="notes">`) < page.indexOf(`<section id="charts">`), "the notes come before the charts");
        for (const note of notes) assert.ok(page.includes(`<li class="observed">${note}</li>`), note);
    });

    it("the other reads still fail the command", async () => {
        mockAws();
        mockAlarmHistory({ [SCALE_OUT_ALARM]: denied });
        cloudWatchMock.on(GetMetricDataCommand).rejects(awsError("AccessDeniedException", "not authorized"));
        const result = await runObserve(harness());
        assert.equal(result.status, 1);
        assert.match(result.stderr.join("\n"), /^timeline failed: CloudWatch GetMetricData failed/);
    });
});

// ------------------------------------------------------------------------------------------------ the outputs contract

describe("timeline observe: the environment stack's outputs contract (stacks/environment-names.ts)", () => {
    const contract = { role: "environment", kind: "an environment stack", names: ENVIRONMENT_OBSERVED_OUTPUTS, schema: environmentObservedOutputsSchema };

    it("names the outputs observe needs, and keeps only those", () => {
        assert.deepEqual([...ENVIRONMENT_OBSERVED_OUTPUTS], ["clusterName", "serviceName", "loadBalancerArnSuffix", "targetGroupArnSuffix", "alarmNames"]);
        const { url: _u, logGroupName: _l, ...needed } = DEV_OUTPUTS;
        assert.deepEqual(checkStackOutputs("dev", DEV_OUTPUTS, contract), needed);
    });

    it("the names follow from the config", () => {
        assert.deepEqual(environmentResourceNames(loadEnvironmentConfig("Pulumi.dev.yaml")), {
            clusterName: "ecs-loadlab-dev",
            serviceName: "prime-counter",
            scalableResourceId: "service/ecs-loadlab-dev/prime-counter",
            monitoringName: "dev-prime-counter",
        });
    });
});
