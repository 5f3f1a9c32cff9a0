/**
 * What the runner tasks of a load test cost on Fargate (Linux/x86): list prices for the common regions and the
 * arithmetic of Fargate's billing. An estimate to print before a run, not a bill.
 *
 * On-demand: the figures of https://aws.amazon.com/fargate/pricing/ (Linux/X86), unchanged since AWS's January 2019
 * price cut; us-east-1's ($0.000011244 per vCPU-second, $0.04048 per hour) and eu-central-1's were checked against 2026
 * copies of AWS's pages and price list, the other regions against a transcription of AWS's page
 * (github.com/theuves/fgcalc, src/utils/data.js).
 * Spot: priced per region, moving with spare capacity. The figures are AWS's published Spot prices as that
 * transcription recorded them, at an earlier date than the table's: 30–39 % of on-demand. AWS itself only promises
 * "up to a 70% discount", so the estimate assumes a region's Spot price keeps its recorded ratio to on-demand.
 */

/** When the table was compiled and its on-demand figures checked. */
export const FARGATE_PRICES_AS_OF = "2026-11-30";

/** USD per hour for one vCPU and for one GB of memory. */
export interface FargateRates {
    vcpuHour: number;
    gbHour: number;
}

export interface RegionPrices {
    onDemand: FargateRates;
    spot: FargateRates;
}

const rates = (vcpuHour: number, gbHour: number): FargateRates => ({ vcpuHour, gbHour });

export const FARGATE_PRICES: Readonly<Record<string, RegionPrices>> = {
    "us-east-1": { onDemand: rates(0.04048, 0.004445), spot: rates(0.01264355, 0.00138835) },
    "us-east-2": { onDemand: rates(0.04048, 0.004445), spot: rates(0.01276353, 0.00140153) },
    "us-west-2": { onDemand: rates(0.04048, 0.004445), spot: rates(0.01269464, 0.00139396) },
    "eu-west-1": { onDemand: rates(0.04048, 0.004445), spot: rates(0.01257825, 0.00138118) },
    "eu-west-2": { onDemand: rates(0.04656, 0.00511), spot: rates(0.013968, 0.001533) },
    "eu-central-1": { onDemand: rates(0.04656, 0.00511), spot: rates(0.0140458, 0.00154154) },
    "ap-southeast-1": { onDemand: rates(0.05056, 0.00553), spot: rates(0.015168, 0.001659) },
    "ap-southeast-2": { onDemand: rates(0.04856, 0.00532), spot: rates(0.014568, 0.001596) },
    "ap-northeast-1": { onDemand: rates(0.05056, 0.00553), spot: rates(0.01981009, 0.00216673) },
};

/** Fargate bills from the image pull until the task stops, rounded up to the second, with a 1-minute minimum. */
export const MINIMUM_BILLED_SECONDS = 60;

export interface CostEstimateRequest {
    region: string;
    /** Task size as the task definition gives it: CPU units (1024 = 1 vCPU) and memory in MiB. */
    cpuUnits: number;
    memoryMiB: number;
    tasks: number;
    /** How long each task runs, image pull included. */
    seconds: number;
    spot: boolean;
}

export interface CostEstimate {
    usd: number;
    /** One task for one hour at these rates. */
    perTaskHourUsd: number;
    region: string;
    pricesAsOf: string;
    /** "fallback": the region is not in the table, and the table's highest rates were used. */
    source: "table" | "fallback";
    notes: string[];
}

function highestRates(pick: (prices: RegionPrices) => FargateRates): FargateRates {
    const all = Object.values(FARGATE_PRICES).map(pick);
    return rates(Math.max(...all.map((rate) => rate.vcpuHour)), Math.max(...all.map((rate) => rate.gbHour)));
}

export function billedSeconds(seconds: number): number {
    return Math.max(MINIMUM_BILLED_SECONDS, Math.ceil(seconds));
}

function checkRequest({ cpuUnits, memoryMiB, tasks, seconds }: CostEstimateRequest): void {
    const invalid = [
        !(cpuUnits > 0) && `cpuUnits ${cpuUnits}`,
        !(memoryMiB > 0) && `memoryMiB ${memoryMiB}`,
        !(Number.isInteger(tasks) && tasks >= 0) && `tasks ${tasks}`,
        !(Number.isFinite(seconds) && seconds >= 0) && `seconds ${seconds}`,
    ].filter((problem): problem is string => typeof problem === "string");
    if (invalid.length > 0) throw new RangeError(`cannot estimate a Fargate cost from ${invalid.join(", ")}`);
}

const percent = (fraction: number) => `${Math.round(fraction * 100)} %`;

function listedPrices(region: string): RegionPrices | undefined {
    return Object.hasOwn(FARGATE_PRICES, region) ? FARGATE_PRICES[region] : undefined;
}

/** What the figure rests on and leaves out, for the person who decides whether to run. */
function costNotes(
    { region, tasks, seconds, spot }: CostEstimateRequest,
    listed: RegionPrices | undefined,
    rate: FargateRates,
    perTaskHourUsd: number,
): string[] {
    const notes = [
        `Fargate bills each task by the second from its image pull until it stops, at least ${MINIMUM_BILLED_SECONDS} s: ` +
            `${tasks} task(s) × ${billedSeconds(seconds)} s at $${perTaskHourUsd.toFixed(5)} per task-hour.`,
        "Not included: ephemeral storage beyond the 20 GB each task gets, each task's public IPv4 address (Amazon VPC pricing), " +
            "data transfer out, CloudWatch Logs and S3 requests.",
    ];
    if (!listed) {
        notes.push(
            `${region} is not in the price table: this uses the table's highest ${spot ? "Spot" : "on-demand"} rates ` +
                `($${rate.vcpuHour} per vCPU-hour, $${rate.gbHour} per GB-hour); check https://aws.amazon.com/fargate/pricing/ for ${region}.`,
        );
    } else if (spot) {
        notes.push(
            `Fargate Spot prices vary by region and over time: this assumes ${region}'s stays at the ` +
                `${percent(listed.spot.vcpuHour / listed.onDemand.vcpuHour)} of on-demand AWS last published in the table's source; ` +
                "an interrupted task is billed until it stops.",
        );
    }
    return notes;
}

export function estimateFargateCost(request: CostEstimateRequest): CostEstimate {
    checkRequest(request);
    const { region, cpuUnits, memoryMiB, tasks, seconds, spot } = request;
    const pick = (prices: RegionPrices) => (spot ? prices.spot : prices.onDemand);
    const listed = listedPrices(region);
    const rate = listed ? pick(listed) : highestRates(pick);
    const perTaskHourUsd = (cpuUnits / 1024) * rate.vcpuHour + (memoryMiB / 1024) * rate.gbHour;
    return {
        usd: (tasks * billedSeconds(seconds) * perTaskHourUsd) / 3600,
        perTaskHourUsd,
        region,
        pricesAsOf: FARGATE_PRICES_AS_OF,
        source: listed ? "table" : "fallback",
        notes: costNotes(request, listed, rate, perTaskHourUsd),
    };
}
