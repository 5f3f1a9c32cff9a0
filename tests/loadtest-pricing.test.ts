import * as assert from "node:assert/strict";
import { CostEstimateRequest, FARGATE_PRICES, FARGATE_PRICES_AS_OF, billedSeconds, estimateFargateCost } from "../scripts/loadtest/pricing";

/** 1 vCPU and 2 GB in us-east-1 on demand: $0.04048 + 2 × $0.004445 = $0.04937 per task-hour. */
const ONE_VCPU: CostEstimateRequest = { region: "us-east-1", cpuUnits: 1024, memoryMiB: 2048, tasks: 1, seconds: 3600, spot: false };
const estimate = (request: Partial<CostEstimateRequest>) => estimateFargateCost({ ...ONE_VCPU, ...request });

function assertClose(actual: number, expected: number): void {
    assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);
}

describe("loadtest Fargate pricing", () => {
    it("prices one task-hour from the region's vCPU and GB rates", () => {
        const result = estimate({});

        assertClose(result.perTaskHourUsd, 0.04937);
        assertClose(result.usd, 0.04937);
        assert.equal(result.region, "us-east-1");
        assert.equal(result.source, "table");
        assert.equal(result.pricesAsOf, FARGATE_PRICES_AS_OF);
    });

    it("bills by the second: 8 tasks of 2 vCPU and 4 GB for 10 minutes and a half second in eu-central-1", () => {
        const result = estimate({ region: "eu-central-1", cpuUnits: 2048, memoryMiB: 4096, tasks: 8, seconds: 600.5 });

        const perTaskHour = 2 * 0.04656 + 4 * 0.00511;
        assertClose(result.perTaskHourUsd, perTaskHour);
        assertClose(result.usd, (8 * 601 * perTaskHour) / 3600);
        assert.match(result.notes[0], /8 task\(s\) × 601 s at \$0\.11356 per task-hour/);
    });

    it("bills each task at least one minute", () => {
        assert.equal(billedSeconds(0), 60);
        assert.equal(billedSeconds(59.2), 60);
        assert.equal(billedSeconds(60.01), 61);
        assertClose(estimate({ tasks: 3, seconds: 5 }).usd, (3 * 60 * 0.04937) / 3600);
    });

    it("counts memory in GB of 1024 MiB and quarter vCPUs in CPU units", () => {
        assertClose(estimate({ cpuUnits: 256, memoryMiB: 512 }).perTaskHourUsd, 0.25 * 0.04048 + 0.5 * 0.004445);
    });

    it("costs nothing for no tasks", () => {
        assert.equal(estimate({ tasks: 0 }).usd, 0);
    });

    it("Spot: the region's Spot rates, with the assumption stated", () => {
        const result = estimate({ region: "ap-northeast-1", spot: true });

        assertClose(result.perTaskHourUsd, 0.01981009 + 2 * 0.00216673);
        assert.ok(result.usd < estimate({ region: "ap-northeast-1" }).usd * 0.45);
        assert.ok(result.notes.some((note) => note.includes("Fargate Spot prices vary by region and over time") && note.includes("39 % of on-demand")));
    });

    it("a region not in the table: the table's highest rates, said so", () => {
        const onDemand = estimate({ region: "sa-east-1" });
        const spot = estimate({ region: "sa-east-1", spot: true });

        assert.equal(onDemand.source, "fallback");
        assertClose(onDemand.perTaskHourUsd, 0.05056 + 2 * 0.00553);
        assertClose(spot.perTaskHourUsd, 0.01981009 + 2 * 0.00216673);
        assert.ok(onDemand.notes.some((note) => note.startsWith("sa-east-1 is not in the price table: this uses the table's highest on-demand rates")));
        assert.ok(spot.notes.some((note) => note.includes("highest Spot rates")));
        assert.equal(estimate({ region: "constructor" }).source, "fallback");
    });

    it("every region's Spot rates are below its on-demand rates", () => {
        for (const [region, { onDemand, spot }] of Object.entries(FARGATE_PRICES)) {
            assert.ok(spot.vcpuHour < onDemand.vcpuHour && spot.gbHour < onDemand.gbHour, region);
        }
    });

    it("refuses impossible sizes, counts and durations", () => {
        assert.throws(() => estimate({ cpuUnits: 0, tasks: 1.5, seconds: -1 }), /cannot estimate a Fargate cost from cpuUnits 0, tasks 1.5, seconds -1/);
        assert.throws(() => estimate({ memoryMiB: Number.NaN }), /memoryMiB NaN/);
    });
});
