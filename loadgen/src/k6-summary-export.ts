/**
 * k6's own test run duration for a segment, from its `--summary-export` file. That file (k6's legacy summary,
 * internal/js/summary-wrapper.js `oldJSONSummary`) drops `state.testRunDurationMs`, but keeps each counter's `count`
 * and `rate`, and k6 computes the rate as count / test run duration (metrics/sink.go, CounterSink.Format with
 * lib/execution.go GetCurrentTestRunDuration: from before setup() to after teardown()). So any counter with a
 * count gives the duration back, exactly as k6 divided by it; the largest count gives it to the most digits.
 *
 *   {"metrics": {"http_reqs": {"count": 3000, "rate": 49.87...}, "http_req_failed": {"passes": 3, "fails": 2997, "value": 0.001}, ...}}
 */
import { readFile } from "node:fs/promises";

export async function readTestRunDurationMs(path: string): Promise<number | undefined> {
    let json: unknown;
    try {
        json = JSON.parse(await readFile(path, "utf8"));
    } catch {
        return undefined;
    }
    return testRunDurationMs(json);
}

export function testRunDurationMs(summaryExport: unknown): number | undefined {
    const metrics = (summaryExport as { metrics?: unknown } | null)?.metrics;
    if (typeof metrics !== "object" || metrics === null) return undefined;
    let best: { count: number; rate: number } | undefined;
    for (const metric of Object.values(metrics)) {
        const { count, rate } = (metric ?? {}) as { count?: unknown; rate?: unknown };
        if (typeof count !== "number" || typeof rate !== "number" || !(count > 0) || !(rate > 0) || !Number.isFinite(count / rate)) continue;
        if (best === undefined || count > best.count) best = { count, rate };
    }
    return best === undefined ? undefined : (best.count / best.rate) * 1000;
}
