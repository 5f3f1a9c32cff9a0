/**
 * `npm run timeline -- observe`: what CloudWatch recorded for an environment stack's service during a k6 run, as a
 * timeline (../timeline.ts) the report draws next to the prediction.
 *
 *   stack file ──► names (stacks/environment-names.ts), region, account, scaling config
 *   summary file ─► the run's window (./window.ts), aligned to whole minutes
 *   AWS (./cloudwatch.ts): GetCallerIdentity first: the credentials must be in the stack's account
 *   stack outputs ► load balancer and target group ARN suffixes, alarm names
 *   AWS (./cloudwatch.ts): GetMetricData, DescribeScalingActivities, DescribeAlarmHistory, ECS DescribeServices,
 *       ECS ListServiceDeployments and DescribeServiceDeployments
 *   ──► rows (./rows.ts), events (./events.ts), summary (../summary.ts), notes (what the timeline lacks: an alarm
 *       history it could not read, the service's own metrics, traffic, service events, deployments)
 *
 * Bad input (a stack file, summary file or outputs that cannot be used; credentials of another account; a window
 * CloudWatch has nothing for) throws InputError (exit 2); AWS refusing or failing throws Error naming the call, the
 * account and the region (exit 1), except what only adds events: an alarm whose history cannot be read, and service
 * deployments ECS refuses to list (then the service events' words stand in) or describe, each become a note.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { STSClient } from "@aws-sdk/client-sts";
import { PERIOD_SECONDS } from "../../../components/metrics";
import { type EnvironmentStackConfig, IAM_NAMES } from "../../../config";
import { pulumiStackName, readEnvironmentStack } from "../stack-file";
import {
    ENVIRONMENT_OBSERVED_OUTPUTS,
    EnvironmentObservedOutputs,
    EnvironmentResourceNames,
    environmentObservedOutputsSchema,
    environmentResourceNames,
} from "../../../stacks/environment-names";
import { Connection, clientConfig, readOnlyRoleArn } from "../../aws-connection";
import { StackOutputsContract, StackOutputsError, StackOutputsReader, automationApiOutputs, checkStackOutputs, readStackOutputs } from "../../stack-outputs";
import { type SummaryContext, scaleOutCpu, stackSummaryContext, summarize, timelineScaling } from "../summary";
import { InputError, type Timeline, timelineSchema, unreadableInput } from "../timeline";
import {
    type AwsTarget,
    type CallerIdentity,
    type ObserveClients,
    type UnreadableAlarmHistory,
    readAlarmHistory,
    readCallerIdentity,
    readMetricSeries,
    readScalingActivities,
    readServiceDeployments,
    readServiceEvents,
} from "./cloudwatch";
import {
    alarmEvents,
    deploymentEvents,
    deploymentEventsFromServiceEvents,
    scalingEvents,
    serviceEvents,
    sortEvents,
    truncatedServiceEventsNote,
} from "./events";
import { SERIES_IDS, type SeriesId, type SeriesQuery, describeQuery, seriesQueries } from "./queries";
import { emptySeries, requestSource, requestSourceNote, seriesByPeriod, servingTimes, taskEvents, timelineRows } from "./rows";
import { type MetricWindow, type RunRecord, alignWindow, parseRunRecord, periodCoverage, utcMinute } from "./window";

export type { ObserveClients } from "./cloudwatch";

export interface ObserveRequest {
    /** An environment stack file, e.g. Pulumi.dev.yaml. */
    stackFile: string;
    /** The stack's name as Pulumi's -s takes it (dev, org/ecs-loadlab/dev); default: the one the file's name says. */
    stackName?: string;
    /** The JSON file the k6 run wrote. */
    summaryFile: string;
    /** The stack's outputs as `pulumi stack output --json` prints them; default: read with the Pulumi CLI. */
    stackOutputsFile?: string;
    profile?: string;
    roleArn?: string;
}

/** The command's effects; tests (and main) pass their own. */
export interface ObserveDeps {
    /** The SDK clients for a connection (region, profile, role). */
    clients(connection: Connection): ObserveClients;
    /** A Pulumi stack's outputs by stack name (the Automation API by default). */
    readStackOutputs: StackOutputsReader;
    /** A file's text (the summary file, the outputs file). */
    readFile(file: string): Promise<string>;
    /** A line of progress for the user (stderr by default, so stdout stays for the result). */
    progress(line: string): void;
    now(): Date;
}

/** The role session observe's calls run under, when --role-arn is given (CloudTrail shows it). */
export const ROLE_SESSION_NAME = "ecs-loadlab-timeline";

/** SDK attempts per call (the standard retry mode backs off between them; throttling is retried). */
export const AWS_MAX_ATTEMPTS = 5;

/** CloudWatch keeps 1-minute datapoints for 15 days, then only 5-minute (63 days) and 1-hour ones. */
export const ONE_MINUTE_RETENTION_DAYS = 15;

/** How long CloudWatch may take to publish a minute's datapoints: a window that ended sooner may lack its last minutes. */
export const PUBLICATION_DELAY_SECONDS = 180;

const DAY_MS = 24 * 3600 * 1000;

export function defaultObserveDeps(): ObserveDeps {
    return {
        clients: (connection) => {
            const config = { ...clientConfig(connection, ROLE_SESSION_NAME), maxAttempts: AWS_MAX_ATTEMPTS };
            return {
                sts: new STSClient(config),
                cloudWatch: new CloudWatchClient(config),
                autoScaling: new ApplicationAutoScalingClient(config),
                ecs: new ECSClient(config),
            };
        },
        readStackOutputs: automationApiOutputs,
        readFile: (file) => fs.readFile(file, "utf8"),
        progress: (line) => console.error(line),
        now: () => new Date(),
    };
}

const ENVIRONMENT_CONTRACT: StackOutputsContract<EnvironmentObservedOutputs> = {
    role: "environment",
    kind: "an environment stack",
    names: ENVIRONMENT_OBSERVED_OUTPUTS,
    schema: environmentObservedOutputsSchema,
};

// ------------------------------------------------------------------------------------------------ inputs


async function readInputFile(deps: ObserveDeps, file: string, what: string, hint: string): Promise<string> {
    try {
        return await deps.readFile(file);
    } catch (error) {
        throw unreadableInput(error, file, what, hint);
    }
}

/** The stack's outputs, from --outputs or the Pulumi CLI, checked against the contract and the stack file's names. */
export async function observedOutputs(request: ObserveRequest, names: EnvironmentResourceNames, deps: ObserveDeps): Promise<EnvironmentObservedOutputs> {
    const stackName = request.stackName ?? pulumiStackName(request.stackFile);
    let outputs: EnvironmentObservedOutputs;
    try {
        if (request.stackOutputsFile !== undefined) {
            const file = request.stackOutputsFile;
            const text = await readInputFile(deps, file, "outputs file", `write it with pulumi stack output --json -s ${stackName ?? "<stack>"} > ${file}`);
            let json: unknown;
            try {
                json = JSON.parse(text);
            } catch (error) {
                throw new InputError(`outputs file ${file} is not JSON (${error instanceof Error ? error.message : String(error)}): write it with pulumi stack output --json -s ${stackName ?? "<stack>"}`);
            }
            if (typeof json !== "object" || json === null || Array.isArray(json)) {
                throw new InputError(`outputs file ${file} is not a stack's outputs (a JSON object, as pulumi stack output --json prints)`);
            }
            outputs = checkStackOutputs(stackName ?? path.basename(file), json as Record<string, unknown>, ENVIRONMENT_CONTRACT);
        } else {
            if (stackName === undefined) {
                throw new InputError(`cannot tell the Pulumi stack from the stack file's name ${path.basename(request.stackFile)} (Pulumi.<stack>.yaml): pass its outputs with --outputs`);
            }
            outputs = await readStackOutputs(stackName, ENVIRONMENT_CONTRACT, deps.readStackOutputs);
        }
    } catch (error) {
        if (error instanceof StackOutputsError) throw new InputError(error.message);
        throw error;
    }
    const stack = stackName ?? "the stack";
    for (const key of ["clusterName", "serviceName"] as const) {
        if (outputs[key] !== names[key]) {
            throw new InputError(
                `the outputs of ${stack} name the ${key === "clusterName" ? "cluster" : "service"} ${outputs[key]}, but ${path.basename(request.stackFile)} names it ${names[key]}: ` +
                    `pass the outputs of the stack this file configures, or update the stack with this checkout (pulumi up -s ${stackName ?? "<stack>"})`,
            );
        }
    }
    return outputs;
}

/** The account an IAM role ARN is in. */
function roleAccount(arn: string): string | undefined {
    return /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(arn)?.[1];
}

/** What credentials the calls use, refusing a --role-arn in another account than the stack's. */
export function observeConnection(request: ObserveRequest, config: EnvironmentStackConfig): { connection: Connection; credentials: string } {
    const { region, accountId } = config.aws;
    if (request.roleArn !== undefined && roleAccount(request.roleArn) !== accountId) {
        throw new InputError(`--role-arn ${request.roleArn} is not in the stack's account ${accountId}: the stack's metrics are there`);
    }
    const base = request.profile ? `profile ${request.profile}` : "the standard credential chain";
    return {
        connection: { region, profile: request.profile, roleArn: request.roleArn },
        credentials: request.roleArn ? `${base}, assuming ${request.roleArn}` : base,
    };
}

/**
 * The credentials' progress line, once GetCallerIdentity has said who they are; an InputError (one line: both
 * accounts, the caller, what to pass) when they are not in the stack's account, before anything else is read. Without
 * --role-arn in a bootstrapped account (the stack file names its deploy role), it says how to read with the account's
 * read-only role instead, unless the caller already is that role.
 */
export function checkCaller(caller: CallerIdentity, request: ObserveRequest, config: EnvironmentStackConfig, credentials: string): string {
    const { region, accountId, deployRoleArn } = config.aws;
    const readOnly = readOnlyRoleArn(region, accountId);
    if (caller.account !== accountId) {
        throw new InputError(
            `the credentials (${credentials}) are ${caller.arn} in account ${caller.account}, but the stack of ${path.basename(request.stackFile)} is in account ${accountId}: ` +
                `pass --role-arn ${readOnly} (the account's read-only role), or a --profile in account ${accountId}`,
        );
    }
    const line = `credentials: ${credentials}, signed in as ${caller.arn} (account ${caller.account})`;
    const isReadOnlyRole = caller.arn.includes(`:assumed-role/${IAM_NAMES.readOnlyRole}/`);
    if (request.roleArn === undefined && deployRoleArn !== undefined && !isReadOnlyRole) {
        // Not assumed silently: whoever runs observe chooses which identity reads the account.
        return `${line}; to read with the account's read-only role, pass --role-arn ${readOnly}`;
    }
    return line;
}

/** Refuses a window CloudWatch cannot have minutes for: in the future, or older than the 1-minute retention. */
export function checkWindowAge(window: MetricWindow, now: Date): void {
    if (window.start.getTime() > now.getTime()) {
        throw new InputError(`the run's window starts at ${window.start.toISOString()}, in the future: is this machine's clock (or the one that ran k6) right?`);
    }
    const ageDays = (now.getTime() - window.start.getTime()) / DAY_MS;
    if (ageDays > ONE_MINUTE_RETENTION_DAYS) {
        throw new InputError(
            `the run started ${Math.floor(ageDays)} days ago (${window.start.toISOString()}): CloudWatch keeps 1-minute datapoints for ${ONE_MINUTE_RETENTION_DAYS} days, ` +
                `so the minutes of this run are gone; observe a run of the last ${ONE_MINUTE_RETENTION_DAYS} days`,
        );
    }
}

// ------------------------------------------------------------------------------------------------ messages

function windowText(window: MetricWindow): string {
    const sameDay = window.start.toISOString().slice(0, 10) === new Date(window.end.getTime() - 1).toISOString().slice(0, 10);
    return `${utcMinute(window.start, true)}–${utcMinute(window.end, !sameDay)} UTC`;
}

/** The error for a window with no datapoint at all: which metrics, which window, and why that may be. */
export function noDatapointsError(queries: readonly SeriesQuery[], window: MetricWindow, target: AwsTarget & { service: string; targetGroup: string }, now: Date): InputError {
    const metrics = [...new Set(queries.map(describeQuery))].join(", ");
    const causes = [
        `wrong account or region: the stack file says account ${target.accountId}, region ${target.region}; are your credentials for that account (--profile, --role-arn)?`,
        `Container Insights off, or the service ${target.service} not running then (no task, no CPU datapoint)`,
        `no traffic reached the target group ${target.targetGroup} (the ALB publishes its counts only when there are requests): was BASE_URL this stack's domain?`,
        `metrics expired: CloudWatch keeps 1-minute datapoints for ${ONE_MINUTE_RETENTION_DAYS} days`,
    ];
    const sinceEnd = (now.getTime() - window.end.getTime()) / 1000;
    if (sinceEnd < PUBLICATION_DELAY_SECONDS) causes.unshift(`not published yet: the run ended ${Math.max(0, Math.round(sinceEnd))} s ago; run observe again in a few minutes`);
    return new InputError(
        `CloudWatch has no datapoints at all for ${windowText(window)} (${window.periods} minute(s)) in account ${target.accountId}, region ${target.region}:\n` +
            `  metrics: ${metrics}\n  likely causes:\n${causes.map((cause) => `  - ${cause}`).join("\n")}\n` +
            "There is nothing to draw for this window.",
    );
}

/** The timeline's note for an alarm whose history could not be read. */
export function alarmHistoryNote({ alarmName, error }: UnreadableAlarmHistory): string {
    return `the history of alarm ${alarmName} could not be read (${error}): its state changes are missing from the events`;
}

/** The note for a service DescribeServices did not find: its events are missing. */
export function serviceEventsNote(service: string, failure: string): string {
    return `ECS DescribeServices did not find the service ${service} (${failure}): its service events are missing`;
}

/** The note for service deployments ECS would not list: the service events' words stand in. */
export function deploymentsRefusedNote(refused: string): string {
    return (
        `ECS ListServiceDeployments was refused (${refused}): deployments and rollbacks are read from the service events' words instead ` +
        "(completions, failures and rollbacks only, among ECS's 100 latest events; no starts); allow ecs:ListServiceDeployments and ecs:DescribeServiceDeployments to read them whole"
    );
}

/** The note for service deployments ECS listed but would not describe. */
export function deploymentsUndescribedNote(undescribed: string): string {
    return `ECS DescribeServiceDeployments was refused (${undescribed}): deployments and rollbacks are from ListServiceDeployments alone (what caused a rollback: from its status reason's words)`;
}

/** Progress notes for a source that had nothing while others had data (the service's own metrics: a timeline note, rows.ts). */
function missingSourceNotes(empty: readonly SeriesId[], queries: readonly SeriesQuery[], service: string, targetGroup: string): string[] {
    const emptyOf = (source: SeriesQuery["source"]) => queries.filter((q) => q.source === source).every((q) => empty.includes(q.id));
    const notes: string[] = [];
    if (emptyOf("ecs")) notes.push(`no CPUUtilization datapoints for ${service}: did a task run during the window? CPU columns are empty`);
    if (emptyOf("containerInsights")) notes.push("no Container Insights task counts: is Container Insights enabled on the cluster? task columns are empty");
    if (emptyOf("loadBalancer")) notes.push(`no load balancer datapoints for ${targetGroup}: did the run's requests go through this stack's load balancer? request columns are empty`);
    return notes;
}

// ------------------------------------------------------------------------------------------------ summary context

/** The CPU level and statistic scaling acts on; Infinity when scaling follows another metric (no CPU breach then). */

// ------------------------------------------------------------------------------------------------ the command

interface RunInputs {
    config: EnvironmentStackConfig;
    names: EnvironmentResourceNames;
    run: RunRecord;
    window: MetricWindow;
}

async function readInputs(request: ObserveRequest, deps: ObserveDeps): Promise<RunInputs> {
    const config = readEnvironmentStack(request.stackFile);
    const names = environmentResourceNames(config);
    const summaryText = await readInputFile(deps, request.summaryFile, "summary file", "pass the JSON file a k6 run of this project wrote (k6/results/<script>-<time>.json)");
    const run = parseRunRecord(summaryText, request.summaryFile);
    const window = alignWindow(run, PERIOD_SECONDS);
    checkWindowAge(window, deps.now());
    return { config, names, run, window };
}

export async function observeTimeline(request: ObserveRequest, overrides: Partial<ObserveDeps> = {}): Promise<Timeline> {
    const deps: ObserveDeps = { ...defaultObserveDeps(), ...overrides };
    const { config, names, run, window } = await readInputs(request, deps);
    const target: AwsTarget = { region: config.aws.region, accountId: config.aws.accountId };
    deps.progress(`observe: ${names.clusterName}/${names.serviceName} in account ${target.accountId}, ${target.region}`);
    deps.progress(`window: the run ${run.startedAt.toISOString()} → ${run.finishedAt.toISOString()}, read as ${windowText(window)} (${window.periods} minute(s))`);
    const { connection, credentials } = observeConnection(request, config);
    const clients = deps.clients(connection);
    const caller = await readCallerIdentity(clients.sts, target, request.roleArn);
    deps.progress(checkCaller(caller, request, config, credentials));
    const outputs = await observedOutputs(request, names, deps);

    const now = deps.now();
    const sinceEnd = (now.getTime() - window.end.getTime()) / 1000;
    if (sinceEnd < PUBLICATION_DELAY_SECONDS) {
        deps.progress(`note: the window ended ${Math.max(0, Math.round(sinceEnd))} s ago; CloudWatch may not have published its last minutes yet (run observe again in a few minutes for them)`);
    }

    const queries = seriesQueries(outputs);
    const [datapoints, activities, alarmHistory, ecsService, deployments] = await Promise.all([
        readMetricSeries(clients.cloudWatch, queries, window, target),
        readScalingActivities(clients.autoScaling, names.scalableResourceId, target),
        readAlarmHistory(clients.cloudWatch, outputs.alarmNames, window),
        readServiceEvents(clients.ecs, names.clusterName, names.serviceName, target),
        readServiceDeployments(clients.ecs, names.clusterName, names.serviceName, window, target),
    ]);

    const series = seriesByPeriod(window, datapoints);
    const empty = emptySeries(series);
    const where = { ...target, service: `${names.clusterName}/${names.serviceName}`, targetGroup: outputs.targetGroupArnSuffix };
    if (empty.length === SERIES_IDS.length) throw noDatapointsError(queries, window, where, now);
    for (const note of missingSourceNotes(empty, queries, where.service, where.targetGroup)) deps.progress(`note: ${note}`);

    const rows = timelineRows(window, series, periodCoverage(window, run));
    const source = requestSource(series);
    const scaling = scalingEvents(window, activities, series.desiredTasks, names.monitoringName);
    const ownEvents = serviceEvents(window, ecsService.events, names.serviceName);
    const deploying =
        deployments.refused === undefined
            ? deploymentEvents(window, deployments.deployments, names.monitoringName)
            : deploymentEventsFromServiceEvents(window, ecsService.events, names.serviceName);
    const events = sortEvents([...alarmEvents(window, alarmHistory.items, names.monitoringName), ...deploying, ...scaling.events, ...taskEvents(rows), ...ownEvents]);
    const notes = [
        requestSourceNote(source, { targetGroup: outputs.targetGroupArnSuffix, baseUrl: run.baseUrl, stackUrl: `https://${config.domain.name}` }),
        ecsService.failure === undefined ? truncatedServiceEventsNote(window, ecsService.events) : serviceEventsNote(where.service, ecsService.failure),
        ...alarmHistory.unreadable.map(alarmHistoryNote),
        deployments.refused === undefined ? undefined : deploymentsRefusedNote(deployments.refused),
        deployments.undescribed === undefined ? undefined : deploymentsUndescribedNote(deployments.undescribed),
    ].filter((note): note is string => note !== undefined);
    const context: SummaryContext = {
        ...stackSummaryContext(config, config.scaling),
        stepSeconds: window.periodSeconds,
        activities: scaling.activities,
        taskServingTimes: servingTimes(window, series),
    };
    const unreadableCount = alarmHistory.unreadable.length;
    const unreadable = unreadableCount > 0 ? ` (${unreadableCount} of ${outputs.alarmNames.length} alarm histories unreadable)` : "";
    deps.progress(
        `read: ${SERIES_IDS.length - empty.length} of ${SERIES_IDS.length} metrics with data, ${scaling.events.length} scaling activities, ` +
            `${events.filter((e) => e.kind === "alarm").length} alarm state changes${unreadable}, ${ownEvents.length} service events, ` +
            `${deploying.filter((e) => e.kind === "deployment").length} deployment and ${deploying.filter((e) => e.kind === "rollback").length} rollback events`,
    );

    return timelineSchema.parse({
        kind: "observed",
        stack: path.basename(request.stackFile),
        script: run.script,
        stepSeconds: window.periodSeconds,
        rows,
        events,
        ...(notes.length > 0 ? { notes } : {}),
        assumptions: {
            source:
                "CloudWatch GetMetricData, Application Auto Scaling DescribeScalingActivities, CloudWatch DescribeAlarmHistory, ECS DescribeServices, " +
                "ECS ListServiceDeployments and DescribeServiceDeployments",
            region: target.region,
            accountId: target.accountId,
            credentials,
            clusterName: names.clusterName,
            serviceName: names.serviceName,
            loadBalancer: outputs.loadBalancerArnSuffix,
            targetGroup: outputs.targetGroupArnSuffix,
            runStartedAt: run.startedAt.toISOString(),
            runFinishedAt: run.finishedAt.toISOString(),
            windowStart: window.start.toISOString(),
            windowEnd: window.end.toISOString(),
            metricPeriodSeconds: window.periodSeconds,
            seriesWithoutData: empty.length === 0 ? "none" : empty.join(", "),
            offered: "RequestCount + HTTPCode_ELB_500_Count + HTTPCode_ELB_503_Count (the load balancer's own 5xx per load balancer, not per target group)",
            requestColumns: {
                service: "served, shed, errors: the service's Answered, Shed, Errors (Sum over tasks) + the load balancer's own 5xx; latency: its LatencyP50/P99 (Maximum over tasks)",
                loadBalancer: "fallback: served = RequestCount − target 5xx − ELB 502 − ELB 504, shed = target 5xx (upper bound), errors = ELB 5xx; latency: TargetResponseTime",
                none: "no traffic reached the stack: request columns empty",
            }[source],
            missingCountsMean:
                "load balancer counts missing = 0 between the first and last minute with any load-balancer or service datapoint, once any request reached the stack; service counts missing = no task logged (null); other gaps null",
            partialMinutes: "the first and last row's rates are over the seconds the run covers (the row's seconds)",
            scaleOutCpu: scaleOutCpu(config.scaling).label,
            newTaskServing: "a rise of the target group's HealthyHostCount (Maximum), to the minute",
        },
        summary: summarize(rows, context),
        scaling: timelineScaling(config.scaling),
    });
}
