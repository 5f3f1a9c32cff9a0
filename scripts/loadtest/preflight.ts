/**
 * Before the first RunTask: each stack's runner image is in its repository, and each region's Fargate vCPU quota
 * (On-Demand or Spot, as the run asks) leaves room for the run next to what already runs there. A run that would
 * exceed a quota is refused with the numbers, rather than meeting RunTask failures with some tasks already paid for.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { ECRClient } from "@aws-sdk/client-ecr";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, NoSuchResourceException, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { runnerImageTag } from "../../loadgen/src/image";
import { imageExists } from "./build-image";
import { RunPlan } from "./plan";

/**
 * The Fargate vCPU quotas (Service Quotas, service code `fargate`) and the usage metric that counts against each:
 * AWS/Usage ResourceCount with Service=Fargate, Type=Resource, Resource=vCPU and the class below
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/monitoring-fargate-usage.html). The quota codes are
 * not in the ECS guide; the response's QuotaName is checked against the name, so a wrong code says so.
 */
export const FARGATE_VCPU_QUOTAS = {
    onDemand: { code: "L-3032A538", name: "Fargate On-Demand vCPU resource count", usageClass: "Standard/OnDemand" },
    spot: { code: "L-36FBB829", name: "Fargate Spot vCPU resource count", usageClass: "Standard/Spot" },
} as const;

export type CapacityClass = keyof typeof FARGATE_VCPU_QUOTAS;

/** One account and region's room for the run. */
export interface CapacityReading {
    accountId: string;
    region: string;
    capacity: CapacityClass;
    /** The quota in vCPUs, or why it could not be read. */
    quota: number | { unreadable: string };
    /** vCPUs running now (the usage metric's latest maximum), or undefined when it could not be read. */
    inUse: number | undefined;
}

export interface CapacityNeed {
    accountId: string;
    region: string;
    stacks: string[];
    vcpus: number;
}

/** The vCPUs the run needs in each account and region: several stacks there share one quota. */
export function capacityNeeds(plan: RunPlan): CapacityNeed[] {
    const needs = new Map<string, CapacityNeed>();
    for (const group of plan.groups) {
        if (group.outputs === undefined) continue;
        const { accountId, region, taskCpu } = group.outputs;
        const key = `${accountId}/${region}`;
        const need = needs.get(key) ?? { accountId, region, stacks: [], vcpus: 0 };
        need.stacks.push(group.stack);
        need.vcpus += (group.segments.length * taskCpu) / 1024;
        needs.set(key, need);
    }
    return [...needs.values()];
}

/** Refusals (the run does not fit) and warnings (a number could not be read, so the check is partial). */
export function judgeCapacity(needs: CapacityNeed[], readings: CapacityReading[]): { refusals: string[]; warnings: string[] } {
    const refusals: string[] = [];
    const warnings: string[] = [];
    for (const need of needs) {
        const reading = readings.find((candidate) => candidate.accountId === need.accountId && candidate.region === need.region);
        if (reading === undefined) continue;
        const quota = FARGATE_VCPU_QUOTAS[reading.capacity];
        const where = `${need.stacks.join(", ")} (${need.region}, account ${need.accountId})`;
        if (typeof reading.quota !== "number") {
            warnings.push(`${where}: the ${quota.name} quota could not be read (${reading.quota.unreadable}); the run may meet RunTask failures`);
            continue;
        }
        const inUse = reading.inUse ?? 0;
        if (reading.inUse === undefined) warnings.push(`${where}: Fargate's vCPU usage could not be read; counted as 0`);
        if (inUse + need.vcpus > reading.quota) {
            refusals.push(
                `${where}: the run needs ${need.vcpus} vCPUs of Fargate ${reading.capacity === "spot" ? "Spot" : "On-Demand"}, ` +
                    `${inUse} are in use and the ${quota.name} quota is ${reading.quota}: ` +
                    `there is room for ${Math.max(0, reading.quota - inUse)}: run fewer tasks there, or raise the quota ` +
                    `(Service Quotas › AWS Fargate › ${quota.code}) before the run`,
            );
        }
    }
    return { refusals, warnings };
}

/** The quota's applied value; one never changed has none, and its default applies (Service Quotas GetServiceQuota). */
async function readQuota(client: ServiceQuotasClient, capacity: CapacityClass): Promise<number | { unreadable: string }> {
    const { code, name } = FARGATE_VCPU_QUOTAS[capacity];
    const input = { ServiceCode: "fargate", QuotaCode: code };
    try {
        const response = await client.send(new GetServiceQuotaCommand(input)).catch((error: unknown) => {
            if (error instanceof NoSuchResourceException) return client.send(new GetAWSDefaultServiceQuotaCommand(input));
            throw error;
        });
        const quota = response.Quota;
        if (quota?.QuotaName !== undefined && quota.QuotaName !== name) return { unreadable: `${code} is "${quota.QuotaName}", not "${name}"` };
        return quota?.Value ?? { unreadable: `${code} has no value` };
    } catch (error) {
        return { unreadable: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
}

/** The vCPUs running in the account and region, by the usage metric's maximum over its last ten minutes. */
async function readUsage(client: CloudWatchClient, capacity: CapacityClass, now: Date): Promise<number | undefined> {
    try {
        const response = await client.send(
            new GetMetricDataCommand({
                StartTime: new Date(now.getTime() - 10 * 60_000),
                EndTime: now,
                MetricDataQueries: [
                    {
                        Id: "vcpus",
                        MetricStat: {
                            Metric: {
                                Namespace: "AWS/Usage",
                                MetricName: "ResourceCount",
                                Dimensions: [
                                    { Name: "Service", Value: "Fargate" },
                                    { Name: "Type", Value: "Resource" },
                                    { Name: "Resource", Value: "vCPU" },
                                    { Name: "Class", Value: FARGATE_VCPU_QUOTAS[capacity].usageClass },
                                ],
                            },
                            Period: 60,
                            Stat: "Maximum",
                        },
                    },
                ],
                ScanBy: "TimestampDescending",
            }),
        );
        // No datapoint: nothing ran on Fargate in that class lately.
        return response.MetricDataResults?.[0]?.Values?.[0] ?? 0;
    } catch {
        return undefined;
    }
}

export interface PreflightClients {
    ecr: ECRClient;
    serviceQuotas: ServiceQuotasClient;
    cloudWatch: CloudWatchClient;
}

/** The problems that refuse the run, and the warnings, for a plan on Fargate. */
export async function preflight(
    plan: RunPlan,
    clientsFor: (stack: string) => PreflightClients,
    now: Date,
): Promise<{ refusals: string[]; warnings: string[] }> {
    const refusals: string[] = [];
    const tag = runnerImageTag();
    for (const group of plan.groups) {
        if (group.outputs === undefined) continue;
        if (!(await imageExists(clientsFor(group.stack).ecr, group.outputs, tag, group.stack))) {
            refusals.push(`${group.stack}: the runner image ${group.outputs.repositoryUrl}:${tag} is not in its repository: npm run loadtest -- build-image --stack ${group.stack}`);
        }
    }
    const capacity: CapacityClass = plan.spot ? "spot" : "onDemand";
    const needs = capacityNeeds(plan);
    const readings = await Promise.all(
        needs.map(async (need): Promise<CapacityReading> => {
            const clients = clientsFor(need.stacks[0]);
            const [quota, inUse] = await Promise.all([readQuota(clients.serviceQuotas, capacity), readUsage(clients.cloudWatch, capacity, now)]);
            return { accountId: need.accountId, region: need.region, capacity, quota, inUse };
        }),
    );
    const judged = judgeCapacity(needs, readings);
    return { refusals: [...refusals, ...judged.refusals], warnings: judged.warnings };
}
