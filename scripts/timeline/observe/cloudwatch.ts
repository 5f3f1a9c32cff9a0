/**
 * The AWS calls `timeline observe` makes, each paged to the end, and each failure turned into one message naming the
 * call, the account and region, and what to do; an alarm's history that cannot be read, and service deployments ECS
 * refuses to list or describe, are reported, not thrown. Only effects here: what to ask comes from ./queries.ts, what
 * the answers mean from ./rows.ts and ./events.ts.
 */
import {
    ApplicationAutoScalingClient,
    DescribeScalingActivitiesCommand,
    type ScalingActivity as AasScalingActivity,
} from "@aws-sdk/client-application-auto-scaling";
import { type AlarmHistoryItem, CloudWatchClient, DescribeAlarmHistoryCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
    DescribeServiceDeploymentsCommand,
    DescribeServicesCommand,
    ECSClient,
    ListServiceDeploymentsCommand,
    type ServiceDeployment,
    type ServiceDeploymentBrief,
    type ServiceEvent,
} from "@aws-sdk/client-ecs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { IAM_NAMES } from "../../../config";
import { type SeriesQuery, describeQuery, metricDataQueries } from "./queries";
import type { MetricWindow } from "./window";

/** The clients observe needs, made for one connection (region and credentials). */
export interface ObserveClients {
    sts: STSClient;
    cloudWatch: CloudWatchClient;
    autoScaling: ApplicationAutoScalingClient;
    ecs: ECSClient;
}

/** Where the calls go, for messages. */
export interface AwsTarget {
    region: string;
    accountId: string;
}

/** A metric's datapoints, oldest first. */
export interface Datapoint {
    timestamp: Date;
    value: number;
}

/** GetMetricData's most datapoints per call (also its default); more come on further pages. */
export const MAX_DATAPOINTS = 100_800;
/** DescribeScalingActivities returns at most 50 a page; DescribeAlarmHistory at most 100. */
const SCALING_ACTIVITIES_PAGE = 50;
const ALARM_HISTORY_PAGE = 100;
/**
 * ListServiceDeployments returns at most 100 a page (20 by default):
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html (maxResults).
 */
const SERVICE_DEPLOYMENTS_PAGE = 100;
/**
 * DescribeServiceDeployments takes at most 20 ARNs a call:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html (serviceDeploymentArns).
 */
export const DESCRIBE_DEPLOYMENTS_MAX = 20;
/** A stop against a service that keeps returning tokens: no real answer here has this many pages. */
const MAX_PAGES = 500;

/** Where the APIs of CloudWatch and Application Auto Scaling put the next page's token; ECS's is `nextToken`. */
const NEXT_TOKEN = (page: { NextToken?: string }) => page.NextToken;

/** Calls `fetch` with each page's token (`tokenOf` finds it) until a page has none. */
async function allPages<Page>(call: string, fetch: (token: string | undefined) => Promise<Page>, tokenOf: (page: Page) => string | undefined): Promise<Page[]> {
    const pages: Page[] = [];
    let token: string | undefined;
    do {
        if (pages.length >= MAX_PAGES) throw new Error(`${call} returned more than ${MAX_PAGES} pages: stopped reading`);
        const page = await fetch(token);
        pages.push(page);
        token = tokenOf(page) || undefined;
    } while (token !== undefined);
    return pages;
}

/** The names AWS gives an access-denied error. */
const ACCESS_DENIED = /^(AccessDenied(Exception)?|UnauthorizedOperation|AuthorizationError|UnauthorizedException)$/;

const isAccessDenied = (error: unknown) => error instanceof Error && ACCESS_DENIED.test(error.name);

const ERROR_HINTS: { names: RegExp; hint: (action: string) => string }[] = [
    {
        names: ACCESS_DENIED,
        hint: (action) =>
            `the credentials may not call ${action} there: use credentials or a --role-arn that may (the account's read-only role ${IAM_NAMES.readOnlyRole}, or any role with CloudWatch, Application Auto Scaling and ECS read access)`,
    },
    {
        names: /^(Throttling(Exception)?|TooManyRequestsException|RequestLimitExceeded|LimitExceededException|RateExceeded)$/,
        hint: () => "AWS kept throttling the requests after the SDK's retries: wait a minute and run observe again",
    },
    { names: /^CredentialsProviderError$/, hint: () => "no AWS credentials were found: log in (e.g. aws sso login), or pass --profile" },
    {
        names: /^(ExpiredToken(Exception)?|RequestExpired|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch)$/,
        hint: () => "the credentials are expired or not valid here: log in again, or pass another --profile",
    },
];

/** An error's name and message, `AccessDenied: not authorized`, on one line. */
export function errorText(error: unknown): string {
    const name = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    return `${name}: ${message}`.replace(/\s+/g, " ").trim();
}

/**
 * An AWS call's failure as one message: which call, which account and region, what AWS said, what to do.
 * `accessDenied` replaces the access-denied hint where the call itself needs no permission.
 */
export function awsCallError(call: string, action: string, target: AwsTarget, error: unknown, accessDenied?: string): Error {
    const name = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    const hint = accessDenied !== undefined && isAccessDenied(error) ? accessDenied : ERROR_HINTS.find((entry) => entry.names.test(name))?.hint(action);
    return new Error(`${call} failed in account ${target.accountId}, region ${target.region}: ${name}: ${message}${hint ? `\n  ${hint}` : ""}`, {
        cause: error,
    });
}

async function calling<T>(call: string, action: string, target: AwsTarget, work: () => Promise<T>, accessDenied?: string): Promise<T> {
    try {
        return await work();
    } catch (error) {
        throw awsCallError(call, action, target, error, accessDenied);
    }
}

/** Who the credentials are: their account and ARN (a user, or an assumed role's session). */
export interface CallerIdentity {
    account: string;
    arn: string;
}

/**
 * STS GetCallerIdentity: needs no permission, so it fails only for missing, expired or invalid credentials, or (with
 * `roleArn`) a role that could not be assumed.
 */
export async function readCallerIdentity(client: STSClient, target: AwsTarget, roleArn: string | undefined): Promise<CallerIdentity> {
    const call = "STS GetCallerIdentity";
    const accessDenied = roleArn
        ? `the credentials could not assume ${roleArn}: does its trust policy allow them (for the read-only role: the bootstrap stack's trusted principals)?`
        : undefined;
    const answer = await calling(call, "sts:GetCallerIdentity", target, () => client.send(new GetCallerIdentityCommand({})), accessDenied);
    if (!answer.Account || !answer.Arn) throw new Error(`${call} failed in account ${target.accountId}, region ${target.region}: the answer names no account or ARN`);
    return { account: answer.Account, arn: answer.Arn };
}

/**
 * Every query's datapoints in the window, oldest first, by query id: one GetMetricData call for all of them, paged
 * until CloudWatch has no NextToken (a query's datapoints may continue on the next page under the same id).
 */
export async function readMetricSeries(
    client: CloudWatchClient,
    queries: readonly SeriesQuery[],
    window: MetricWindow,
    target: AwsTarget,
): Promise<Map<string, Datapoint[]>> {
    const call = "CloudWatch GetMetricData";
    const pages = await calling(call, "cloudwatch:GetMetricData", target, () =>
        allPages(call, (token) =>
            client.send(
                new GetMetricDataCommand({
                    MetricDataQueries: metricDataQueries(queries, window.periodSeconds),
                    StartTime: window.start,
                    EndTime: window.end,
                    ScanBy: "TimestampAscending",
                    MaxDatapoints: MAX_DATAPOINTS,
                    NextToken: token,
                }),
            ),
            NEXT_TOKEN,
        ),
    );
    const series = new Map<string, Datapoint[]>(queries.map((query) => [query.id, []]));
    const lastStatus = new Map<string, { code?: string; messages: string[] }>();
    for (const page of pages) {
        for (const result of page.MetricDataResults ?? []) {
            if (result.Id === undefined) continue;
            const points = series.get(result.Id);
            if (points === undefined) continue;
            const timestamps = result.Timestamps ?? [];
            const values = result.Values ?? [];
            for (let i = 0; i < Math.min(timestamps.length, values.length); i++) points.push({ timestamp: timestamps[i], value: values[i] });
            lastStatus.set(result.Id, { code: result.StatusCode, messages: (result.Messages ?? []).map((m) => `${m.Code ?? ""} ${m.Value ?? ""}`.trim()) });
        }
    }
    for (const query of queries) {
        const status = lastStatus.get(query.id);
        if (status?.code === "Forbidden" || status?.code === "InternalError") {
            const detail = status.messages.length > 0 ? ` (${status.messages.join("; ")})` : "";
            const hint = status.code === "Forbidden" ? "the credentials may not read it" : "CloudWatch failed to compute it: run observe again";
            throw new Error(`${call} failed in account ${target.accountId}, region ${target.region}: ${describeQuery(query)} came back ${status.code}${detail}: ${hint}`);
        }
    }
    for (const points of series.values()) points.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    return series;
}

/**
 * The scalable target's scaling activities, every page: Application Auto Scaling keeps six weeks of them and takes
 * no time range, and its order is not documented, so all are read (a few pages at most) and sorted by start time.
 * Not scaled activities included (IncludeNotScaledActivities): a scale-out blocked at max capacity is one of them.
 */
export async function readScalingActivities(client: ApplicationAutoScalingClient, resourceId: string, target: AwsTarget): Promise<AasScalingActivity[]> {
    const call = "Application Auto Scaling DescribeScalingActivities";
    const pages = await calling(call, "application-autoscaling:DescribeScalingActivities", target, () =>
        allPages(call, (token) =>
            client.send(
                new DescribeScalingActivitiesCommand({
                    ServiceNamespace: "ecs",
                    ResourceId: resourceId,
                    ScalableDimension: "ecs:service:DesiredCount",
                    IncludeNotScaledActivities: true,
                    MaxResults: SCALING_ACTIVITIES_PAGE,
                    NextToken: token,
                }),
            ),
            NEXT_TOKEN,
        ),
    );
    return pages
        .flatMap((page) => page.ScalingActivities ?? [])
        .sort((a, b) => (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0));
}

/** What ECS DescribeServices says of the service: its latest events, or why it has none for it. */
export interface ServiceEventsRead {
    events: ServiceEvent[];
    /** ECS's failure reason for the service (MISSING: no such service in the cluster). */
    failure?: string;
}

/**
 * The service's latest events (ECS keeps the 100 latest: events.ts ECS_SERVICE_EVENTS_KEPT). DescribeServices has
 * no pages; a service it cannot find comes back as a failure, not an error.
 */
export async function readServiceEvents(client: ECSClient, cluster: string, service: string, target: AwsTarget): Promise<ServiceEventsRead> {
    const call = "ECS DescribeServices";
    const answer = await calling(call, "ecs:DescribeServices", target, () => client.send(new DescribeServicesCommand({ cluster, services: [service] })));
    const found = answer.services?.find((candidate) => candidate.serviceName === service);
    if (found === undefined) return { events: [], failure: answer.failures?.[0]?.reason ?? "not in the answer" };
    return { events: found.events ?? [] };
}

/** A deployment as ListServiceDeployments lists it, with what DescribeServiceDeployments adds when it could describe it. */
export interface ServiceDeploymentRead {
    brief: ServiceDeploymentBrief;
    detail?: ServiceDeployment;
}

/** The service's deployments that overlap the window, or why ECS would not list them. */
export interface ServiceDeploymentsRead {
    deployments: ServiceDeploymentRead[];
    /** ListServiceDeployments refused (access denied: a role from before observe read deployments): the error. */
    refused?: string;
    /** DescribeServiceDeployments refused: the deployments have the list's fields only. */
    undescribed?: string;
}

/** The names ECS gives a cluster or service it does not have: DescribeServices' MISSING, which a note already says. */
const NOT_FOUND = /^(ClusterNotFoundException|ServiceNotFoundException)$/;

/**
 * The service's deployments that overlap the window: ECS ListServiceDeployments, every page, of those created before
 * the window's end (`createdAt.before`: a deployment started before the run may complete or roll back during it; ECS
 * keeps the last 90 days, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html), less
 * those that finished before the window's start; then DescribeServiceDeployments, 20 at a time, for each one's
 * rollback, circuit breaker and alarms
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html). A deployment it cannot
 * describe (ECS answers MISSING for one of a service revision created before 25 October 2024) keeps the list's fields.
 *
 * ListServiceDeployments refused (a read-only role from before observe read deployments) is not fatal: `refused` says
 * why, and the events come from the service events' words instead (events.ts). DescribeServiceDeployments refused:
 * `undescribed`. A cluster or service ECS does not have: none (DescribeServices' failure is the note). Any other error
 * throws, naming the call.
 */
export async function readServiceDeployments(
    client: ECSClient,
    cluster: string,
    service: string,
    window: MetricWindow,
    target: AwsTarget,
): Promise<ServiceDeploymentsRead> {
    const list = "ECS ListServiceDeployments";
    let briefs: ServiceDeploymentBrief[];
    try {
        const pages = await allPages(
            list,
            (token) =>
                client.send(new ListServiceDeploymentsCommand({ cluster, service, createdAt: { before: window.end }, maxResults: SERVICE_DEPLOYMENTS_PAGE, nextToken: token })),
            (page) => page.nextToken,
        );
        briefs = pages.flatMap((page) => page.serviceDeployments ?? []);
    } catch (error) {
        if (isAccessDenied(error)) return { deployments: [], refused: errorText(error) };
        if (error instanceof Error && NOT_FOUND.test(error.name)) return { deployments: [] };
        throw awsCallError(list, "ecs:ListServiceDeployments", target, error);
    }
    const overlapping = briefs
        .filter((brief) => brief.serviceDeploymentArn !== undefined && (brief.finishedAt === undefined || brief.finishedAt.getTime() >= window.start.getTime()))
        .sort((a, b) => deploymentTime(a) - deploymentTime(b));

    const describe = "ECS DescribeServiceDeployments";
    const details = new Map<string, ServiceDeployment>();
    try {
        for (let from = 0; from < overlapping.length; from += DESCRIBE_DEPLOYMENTS_MAX) {
            const serviceDeploymentArns = overlapping.slice(from, from + DESCRIBE_DEPLOYMENTS_MAX).map((brief) => brief.serviceDeploymentArn as string);
            const answer = await client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns }));
            for (const deployment of answer.serviceDeployments ?? []) {
                if (deployment.serviceDeploymentArn !== undefined) details.set(deployment.serviceDeploymentArn, deployment);
            }
        }
    } catch (error) {
        if (isAccessDenied(error)) return { deployments: overlapping.map((brief) => ({ brief })), undescribed: errorText(error) };
        throw awsCallError(describe, "ecs:DescribeServiceDeployments", target, error);
    }
    return {
        deployments: overlapping.map((brief) => {
            const detail = details.get(brief.serviceDeploymentArn as string);
            return detail === undefined ? { brief } : { brief, detail };
        }),
    };
}

/** When a deployment began, for ordering: started, else created. */
function deploymentTime(brief: ServiceDeploymentBrief): number {
    return (brief.startedAt ?? brief.createdAt)?.getTime() ?? 0;
}

/** An alarm whose history could not be read, and why (the error's name and message). */
export interface UnreadableAlarmHistory {
    alarmName: string;
    error: string;
}

/**
 * The state changes of each named alarm within the window, every page, oldest first. An alarm whose history cannot
 * be read (access denied, or any error after the SDK's retries) is listed in `unreadable` instead: the alarms only add
 * events to the timeline, so their loss is noted, not fatal.
 */
export async function readAlarmHistory(
    client: CloudWatchClient,
    alarmNames: readonly string[],
    window: MetricWindow,
): Promise<{ items: AlarmHistoryItem[]; unreadable: UnreadableAlarmHistory[] }> {
    const call = "CloudWatch DescribeAlarmHistory";
    const histories = await Promise.all(
        alarmNames.map(async (alarmName) => {
            try {
                const pages = await allPages(
                    call,
                    (token) =>
                        client.send(
                            new DescribeAlarmHistoryCommand({
                                AlarmName: alarmName,
                                HistoryItemType: "StateUpdate",
                                StartDate: window.start,
                                EndDate: window.end,
                                ScanBy: "TimestampAscending",
                                MaxRecords: ALARM_HISTORY_PAGE,
                                NextToken: token,
                            }),
                        ),
                    NEXT_TOKEN,
                );
                return { items: pages.flatMap((page) => page.AlarmHistoryItems ?? []) };
            } catch (error) {
                return { items: [], unreadable: { alarmName, error: errorText(error) } };
            }
        }),
    );
    return {
        items: histories.flatMap((history) => history.items).sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0)),
        unreadable: histories.flatMap((history) => (history.unreadable ? [history.unreadable] : [])),
    };
}
