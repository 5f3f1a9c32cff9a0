/**
 * How fast the recorder reads k6's JSON output, on lines as k6 writes them for a load test (a dozen lines per request:
 * checks, VUs, a sub-metric per threshold). Not a mocha test: run it by hand,
 *
 *   npx tsx loadgen/test/ingest-bench.ts
 *
 * It prints lines/s for several runs and their median.
 */
import { exactSamplesPerTask } from "../src/digest";
import { SegmentRecorder } from "../src/recorder";
import { seededRandom } from "../../tests/k6-helpers";
import { K6JsonWriter } from "./k6-json";

const REQUESTS = 40_000;
const RUNS = 7;

function sampleLines(): string[] {
    const random = seededRandom(42);
    const writer = new K6JsonWriter();
    const start = Date.UTC(2026, 10, 30, 12, 0, 0);
    for (let i = 0; i < REQUESTS; i++) {
        const at = start + i * 25;
        const name = i % 10 === 0 ? "health" : "count-prime";
        const status = random() < 0.01 ? 503 : 200;
        writer.request(at, { name, status, durationMs: 5 + random() * 200, group: i % 3 === 0 ? "::api" : "" });
        writer.check(at, `${name}: status 200`, status === 200, i % 3 === 0 ? "::api" : "");
        if (i % 40 === 0) writer.point("vus", 20, at, {});
    }
    return writer.lines;
}

function measure(lines: readonly string[]): number {
    const recorder = new SegmentRecorder({
        submetrics: ["http_req_duration{name:count-prime}", "http_req_duration{name:count-prime,status:200}"],
        startedAt: new Date(Date.UTC(2026, 10, 30, 12, 0, 0)),
        seriesStepSeconds: 60,
        // A task of a 10-task run: its share of the run's budget.
        exactSamplesPerSeries: exactSamplesPerTask(10),
    });
    const started = process.hrtime.bigint();
    for (const line of lines) recorder.ingest(line);
    recorder.result();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return lines.length / seconds;
}

const lines = sampleLines();
const rates = Array.from({ length: RUNS }, () => measure(lines));
const sorted = [...rates].sort((a, b) => a - b);
console.log(`${lines.length} lines per run; lines/s: ${rates.map((rate) => Math.round(rate)).join(", ")}`);
console.log(`median: ${Math.round(sorted[Math.floor(RUNS / 2)])} lines/s (Node ${process.version})`);
