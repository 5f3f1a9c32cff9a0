/**
 * How long the command's merge takes and how much memory it holds, for runs of 10, 100 and 1,000 tasks that each
 * recorded 100,000 samples of nine trend series; and how far the merged percentiles are from the exact ones. Each
 * task's recording is read (gunzip, JSON.parse, readRecordedMetrics) and folded into a RunMerger one at a time, as the
 * command reads them from S3, in a fresh Node process per measurement so that its peak RSS is the merge's own.
 *
 *   npx tsx scripts/loadtest/bench/merge-bench.ts [--runs N] [--tasks 10,100,1000]
 *
 * The tasks are k6's `--out json` lines (loadgen/test/k6-json.ts) fed through the runner's SegmentRecorder with the
 * task's share of the exact budget, exactSamplesPerTask(N), and gzipped as a task uploads them. Recording 1,000 tasks'
 * lines would take half an hour, so a pool of POOL_SIZE distinct tasks (each its own seed and latency distribution) is
 * recorded once per share and cached under the OS's temporary directory, and task i of a run is pool[i % POOL_SIZE].
 * The reference is exact and computed here, from the values in the k6 lines: the pool's samples sorted, each weighted
 * by how many of the run's tasks it stands for, and k6's percentile (i = p·(n−1), interpolated) over them.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { gunzipSync, gzipSync } from "node:zlib";
import { median } from "../../../k6/calibrate";
import { RUN_EXACT_SAMPLE_BUDGET, exactSamplesPerTask } from "../../../loadgen/src/digest";
import { ExactSum } from "../../../loadgen/src/exact-sum";
import { RunMerger, readRecordedMetrics } from "../../../loadgen/src/merge";
import { SegmentRecorder } from "../../../loadgen/src/recorder";
import { K6JsonWriter, TIMINGS, type Timing } from "../../../loadgen/test/k6-json";
import { seededRandom } from "../../timeline/simulate/engine";

const REPO_ROOT = path.join(__dirname, "..", "..", "..");
/** Requests (and iterations) per task: 100,000 samples of each series. */
const SAMPLES_PER_TASK = 100_000;
const POOL_SIZE = 20;
const RUN_SECONDS = 600;
const START = Date.UTC(2026, 10, 30, 12, 0, 0);
const SUBMETRIC = "http_req_duration{expected_response:true}";
const SERIES = ["http_req_duration", ...TIMINGS, "iteration_duration", SUBMETRIC] as const;
const STATS = ["p(50)", "p(90)", "p(95)", "p(99)", "p(99.9)", "min", "max", "avg"] as const;
const DEFAULT_TASKS = [10, 100, 1000];
export const DEFAULT_RUNS = 3;

type Stats = { [stat in (typeof STATS)[number]]: number };

export interface MergeBenchOptions {
    readonly runs: number;
    readonly tasks: readonly number[];
}

export interface MergeBenchRow {
    readonly tasks: number;
    /** exactSamplesPerTask(tasks). */
    readonly share: number;
    /** How the tasks sent their series, and how the merge kept them. */
    readonly partModes: string;
    readonly mergedModes: string;
    /** Medians over the runs. */
    readonly seconds: number;
    readonly decodeSeconds: number;
    readonly addSeconds: number;
    readonly finishSeconds: number;
    readonly peakRssMiB: number;
    /** The largest relative error of any stat of any series, in the worst run, and where. */
    readonly maxRelativeError: number;
    readonly worst: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// The pool: k6's lines for one task, recorded as a task records them

/** A time in milliseconds as k6 measures it: whole nanoseconds. */
function ns(ms: number): number {
    return Math.round(ms * 1e6) / 1e6;
}

/**
 * Pool task `index`'s k6 lines, one request per iteration, 100,000 of them over RUN_SECONDS: server time log-normal
 * around a median of its own with a slow tail of its own, a new connection (blocked, connecting, TLS) for 5 % of the
 * requests, 0.7 % answered 500 (unexpected) and 0.5 % 503 (expected, as the project's scripts declare it).
 */
function writeTask(index: number, emit: (line: string) => void): void {
    const random = seededRandom(1000 + index);
    const medianMs = 15 + 70 * random();
    const sigma = 0.35 + 0.45 * random();
    const slowShare = 0.005 + 0.025 * random();
    const writer = new K6JsonWriter();
    let second = -1;
    for (let i = 0; i < SAMPLES_PER_TASK; i++) {
        const at = START + (i * RUN_SECONDS * 1000) / SAMPLES_PER_TASK;
        if (Math.floor((at - START) / 1000) !== second) {
            second = Math.floor((at - START) / 1000);
            writer.point("vus", 50, at);
            writer.point("vus_max", 50, at);
        }
        const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        const slow = random() < slowShare;
        const connects = random() < 0.05;
        const timings: { [timing in Timing]: number } = {
            http_req_blocked: connects ? ns(5 + 25 * random()) : ns(0.002 + 0.01 * random()),
            http_req_connecting: connects ? ns(1 + 9 * random()) : 0,
            http_req_tls_handshaking: connects ? ns(4 + 16 * random()) : 0,
            http_req_sending: ns(0.01 + 0.09 * random()),
            http_req_waiting: ns(slow ? 800 + 4000 * random() ** 2 : medianMs * Math.exp(sigma * gaussian)),
            http_req_receiving: ns(0.05 + 2 * random() ** 3),
        };
        // k6: http_req_duration is sending + waiting + receiving.
        const durationMs = ns(timings.http_req_sending + timings.http_req_waiting + timings.http_req_receiving);
        const roll = random();
        const status = roll < 0.007 ? 500 : roll < 0.012 ? 503 : 200;
        writer.request(at, { name: random() < 0.1 ? "health" : "count-prime", status, durationMs, timings });
        writer.check(at, "status 200", status === 200);
        writer.point("iteration_duration", ns(durationMs + timings.http_req_blocked + 0.2 * random()), at);
        writer.point("iterations", 1, at);
        for (const line of writer.lines.splice(0)) emit(line);
    }
}

/** The cache of this generator's recordings: a new directory whenever the generator or the recorder changes. */
function poolDirectory(): string {
    const hash = createHash("sha256").update(JSON.stringify({ SAMPLES_PER_TASK, POOL_SIZE, RUN_SECONDS, START, SERIES }));
    hash.update(writeTask.toString());
    for (const source of ["recorder.ts", "digest.ts", "exact-sum.ts", "k6-metrics.ts"]) {
        hash.update(readFileSync(path.join(REPO_ROOT, "loadgen", "src", source)));
    }
    hash.update(readFileSync(path.join(REPO_ROOT, "loadgen", "test", "k6-json.ts")));
    return path.join(os.tmpdir(), "ecs-loadlab-merge-bench", hash.digest("hex").slice(0, 16));
}

function recordingFile(directory: string, task: number, share: number): string {
    return path.join(directory, `task-${task}.share-${share}.json.gz`);
}

function samplesFile(directory: string, task: number, series: number): string {
    return path.join(directory, `task-${task}.series-${series}.f64`);
}

/** Written whole or not at all, so that an interrupted run leaves no half file in the cache. */
function writeWhole(file: string, data: Buffer): void {
    writeFileSync(`${file}.part`, data);
    renameSync(`${file}.part`, file);
}

/** Each series' values as k6 wrote them, read from the lines on their own (not through the recorder). */
function collector(): { readonly add: (line: string) => void; readonly samples: number[][] } {
    const samples = SERIES.map((): number[] => []);
    const indexes = new Map<string, number>(SERIES.map((key, i) => [key, i]));
    return {
        samples,
        add: (line) => {
            const { type, metric, data } = JSON.parse(line);
            const index = indexes.get(metric);
            if (type !== "Point" || index === undefined) return;
            samples[index].push(data.value);
            if (metric === "http_req_duration" && data.tags.expected_response === "true") samples[SERIES.indexOf(SUBMETRIC)].push(data.value);
        },
    };
}

function recordPoolTask(directory: string, task: number, shares: readonly number[]): void {
    const recorders = shares.map(
        (exactSamplesPerSeries) => new SegmentRecorder({ submetrics: [], startedAt: new Date(START), seriesStepSeconds: 60, exactSamplesPerSeries }),
    );
    const values = collector();
    writeTask(task, (line) => {
        for (const recorder of recorders) recorder.ingest(line);
        values.add(line);
    });
    values.samples.forEach((samples, series) => writeWhole(samplesFile(directory, task, series), Buffer.from(Float64Array.from(samples).buffer)));
    shares.forEach((share, i) => writeWhole(recordingFile(directory, task, share), gzipSync(JSON.stringify(recorders[i].result()))));
}

function preparePool(directory: string, shares: readonly number[], log: (line: string) => void): void {
    mkdirSync(directory, { recursive: true });
    for (let task = 0; task < POOL_SIZE; task++) {
        const missing = shares.filter((share) => !existsSync(recordingFile(directory, task, share)));
        const samplesMissing = SERIES.some((_, series) => !existsSync(samplesFile(directory, task, series)));
        if (missing.length === 0 && !samplesMissing) continue;
        const started = performance.now();
        recordPoolTask(directory, task, missing.length === 0 ? shares : missing);
        log(`  recorded pool task ${task + 1}/${POOL_SIZE} (shares ${missing.join(", ")}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// The exact reference

function readSamples(directory: string, task: number, series: number): Float64Array {
    const bytes = readFileSync(samplesFile(directory, task, series));
    return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

/** How many of a run's tasks each pool task stands for. */
function weights(tasks: number): number[] {
    return Array.from({ length: POOL_SIZE }, (_, p) => Math.floor(tasks / POOL_SIZE) + (p < tasks % POOL_SIZE ? 1 : 0));
}

/** k6's stats over every pool task's samples, each counted `weight` times: the pooled samples of the run. */
function exactStats(pool: readonly Float64Array[], weight: readonly number[]): Stats {
    const runs = pool.map((samples) => Float64Array.from(samples).sort());
    const values = new Float64Array(runs.reduce((sum, run, p) => sum + (weight[p] > 0 ? run.length : 0), 0));
    const cumulative = new Float64Array(values.length);
    const heads = runs.map(() => 0);
    let seen = 0;
    for (let at = 0; at < values.length; at++) {
        let least = -1;
        for (let p = 0; p < runs.length; p++) {
            if (weight[p] > 0 && heads[p] < runs[p].length && (least === -1 || runs[p][heads[p]] < runs[least][heads[least]])) least = p;
        }
        values[at] = runs[least][heads[least]++];
        cumulative[at] = seen += weight[least];
    }
    const valueAtRank = (rank: number) => {
        let [low, high] = [0, values.length - 1];
        while (low < high) {
            const middle = Math.floor((low + high) / 2);
            if (cumulative[middle] > rank) high = middle;
            else low = middle + 1;
        }
        return values[low];
    };
    const percentile = (p: number) => {
        const i = p * (seen - 1);
        const [j, k] = [valueAtRank(Math.floor(i)), valueAtRank(Math.ceil(i))];
        return j + (k - j) * (i - Math.floor(i));
    };
    // The sum of the pooled samples rounded once: each pool task's exact sum, added as many times as it counts.
    const sum = new ExactSum();
    runs.forEach((run, p) => {
        const ofTask = ExactSum.fromJSON([...run]);
        for (let copy = 0; copy < weight[p]; copy++) sum.addAll(ofTask);
    });
    const fixed: { [stat: string]: number } = { min: values[0], max: values[values.length - 1], avg: sum.value / seen };
    // p(99.9) is at 99.9 / 100 = 0.9990000000000001, not 0.999: k6 computes P(percentile / 100)
    // (metrics/sample.go, GetResolversForTrendColumns).
    return Object.fromEntries(STATS.map((stat) => [stat, fixed[stat] ?? percentile(Number(/^p\((.*)\)$/.exec(stat)?.[1]) / 100)])) as Stats;
}

function referenceStats(directory: string, tasks: number): Stats[] {
    const weight = weights(tasks);
    return SERIES.map((_, series) => exactStats(Array.from({ length: POOL_SIZE }, (__, p) => readSamples(directory, p, series)), weight));
}

// ---------------------------------------------------------------------------------------------------------------------
// One measurement, in a process of its own

interface Measurement {
    readonly seconds: number;
    readonly decodeSeconds: number;
    readonly addSeconds: number;
    readonly finishSeconds: number;
    readonly peakRssMiB: number;
    readonly partModes: { [mode: string]: number };
    readonly mergedModes: { [mode: string]: number };
    readonly stats: Stats[];
}

/** The command's merge of `tasks` tasks, pool task i % POOL_SIZE as task i, each read and folded in, then dropped. */
function measure(directory: string, tasks: number, share: number): Measurement {
    const merger = new RunMerger({ exactSamplesPerSeries: RUN_EXACT_SAMPLE_BUDGET });
    const partModes: { [mode: string]: number } = {};
    let [decodeMs, addMs] = [0, 0];
    const started = performance.now();
    for (let task = 0; task < tasks; task++) {
        const decoding = performance.now();
        const json = JSON.parse(gunzipSync(readFileSync(recordingFile(directory, task % POOL_SIZE, share))).toString("utf8"));
        const recorded = readRecordedMetrics(json, `task ${task}`);
        const adding = performance.now();
        merger.add(task, recorded);
        decodeMs += adding - decoding;
        addMs += performance.now() - adding;
        for (const key of SERIES) {
            const metric = recorded.metrics[key] ?? recorded.submetrics[key];
            const mode = metric?.kind !== "trend" ? "missing" : "samples" in metric.digest ? "exact" : "histogram";
            partModes[mode] = (partModes[mode] ?? 0) + 1;
        }
    }
    const finishing = performance.now();
    const run = merger.finish({
        thresholds: { http_req_duration: ["p(99)<3000"], [SUBMETRIC]: ["p(95)<500"] },
        summaryTrendStats: [...STATS],
        testRunDurationMs: RUN_SECONDS * 1000,
        expectedSegments: Array.from({ length: tasks }, (_, task) => task),
    });
    const ended = performance.now();
    const mergedModes: { [mode: string]: number } = {};
    for (const key of SERIES) mergedModes[run.percentiles.series[key].mode] = (mergedModes[run.percentiles.series[key].mode] ?? 0) + 1;
    return {
        seconds: (ended - started) / 1000,
        decodeSeconds: decodeMs / 1000,
        addSeconds: addMs / 1000,
        finishSeconds: (ended - finishing) / 1000,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
        partModes,
        mergedModes,
        stats: SERIES.map((key) => {
            const values = run.summary.metrics[key].values;
            return Object.fromEntries(STATS.map((stat) => [stat, values[stat]])) as Stats;
        }),
    };
}

function measureInChild(directory: string, tasks: number, share: number): Measurement {
    const child = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", directory, String(tasks), String(share)], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) throw new Error(`the merge of ${tasks} tasks failed (${child.status ?? child.signal}): ${child.stderr}`);
    return JSON.parse(child.stdout);
}

// ---------------------------------------------------------------------------------------------------------------------

function relativeError(value: number, exact: number): number {
    return exact === 0 ? Math.abs(value) : Math.abs(value - exact) / Math.abs(exact);
}

function largestError(measured: readonly Stats[], reference: readonly Stats[]): { error: number; where: string } {
    let worst = { error: 0, where: "-" };
    SERIES.forEach((key, series) => {
        for (const stat of STATS) {
            const error = relativeError(measured[series][stat], reference[series][stat]);
            if (error > worst.error) worst = { error, where: `${key} ${stat}` };
        }
    });
    return worst;
}

function describeModes(modes: { readonly [mode: string]: number }): string {
    return Object.entries(modes)
        .map(([mode, count]) => `${mode} ${count}`)
        .join(", ");
}

export function mergeBench(options: MergeBenchOptions, log: (line: string) => void = console.log): MergeBenchRow[] {
    const directory = poolDirectory();
    const shares = options.tasks.map(exactSamplesPerTask);
    log(`pool of ${POOL_SIZE} recorded tasks in ${directory}`);
    preparePool(directory, [...new Set(shares)], log);
    return options.tasks.map((tasks, i) => {
        const reference = referenceStats(directory, tasks);
        const measurements = Array.from({ length: options.runs }, () => measureInChild(directory, tasks, shares[i]));
        const errors = measurements.map(({ stats }) => largestError(stats, reference));
        const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
        const row: MergeBenchRow = {
            tasks,
            share: shares[i],
            partModes: describeModes(measurements[0].partModes),
            mergedModes: describeModes(measurements[0].mergedModes),
            seconds: median(measurements.map((m) => m.seconds)),
            decodeSeconds: median(measurements.map((m) => m.decodeSeconds)),
            addSeconds: median(measurements.map((m) => m.addSeconds)),
            finishSeconds: median(measurements.map((m) => m.finishSeconds)),
            peakRssMiB: median(measurements.map((m) => m.peakRssMiB)),
            maxRelativeError: worst.error,
            worst: worst.where,
        };
        log(`  ${tasks} tasks: ${measurements.map((m) => `${m.seconds.toFixed(1)} s, ${m.peakRssMiB.toFixed(0)} MiB`).join("; ")}`);
        return row;
    });
}

/** Merge time's growth from the row before, per 10× tasks: (t₂/t₁)^(1 / log₁₀(N₂/N₁)). */
function growthPer10x(rows: readonly MergeBenchRow[], i: number): string {
    if (i === 0) return "-";
    const [before, row] = [rows[i - 1], rows[i]];
    return `×${Math.pow(row.seconds / before.seconds, 1 / Math.log10(row.tasks / before.tasks)).toFixed(1)}`;
}

export function formatMergeBench(rows: readonly MergeBenchRow[], options: MergeBenchOptions): string[] {
    const header = [
        `merge of N tasks × ${SAMPLES_PER_TASK.toLocaleString("en")} samples × ${SERIES.length} trend series (task i = pool[i % ${POOL_SIZE}], ` +
            `${POOL_SIZE} distinct recorded tasks), exact budget ${RUN_EXACT_SAMPLE_BUDGET.toLocaleString("en")} samples per series; ` +
            `median of ${options.runs} run(s), each in a fresh process (node ${process.version})`,
        "",
        "tasks  share/task  tasks' parts            merged         merge s  (decode + add + finish)  peak RSS MiB max rel. error  (where)                     time per 10× tasks",
    ];
    const lines = rows.map((row, i) =>
        [
            String(row.tasks).padEnd(6),
            String(row.share).padEnd(11),
            row.partModes.padEnd(23),
            row.mergedModes.padEnd(14),
            row.seconds.toFixed(1).padStart(7),
            `  (${row.decodeSeconds.toFixed(1)} + ${row.addSeconds.toFixed(1)} + ${row.finishSeconds.toFixed(1)})`.padEnd(25),
            row.peakRssMiB.toFixed(0).padStart(11),
            `  ${row.maxRelativeError.toExponential(2).padStart(14)}`,
            `  ${row.worst.padEnd(27)}`,
            growthPer10x(rows, i),
        ].join(" "),
    );
    return [...header, ...lines];
}

/** `--runs N` (default 3) and `--tasks 10,100,1000`. */
export function parseBenchOptions(argv: readonly string[]): MergeBenchOptions {
    const value = (flag: string) => {
        const index = argv.indexOf(flag);
        return index === -1 ? undefined : argv[index + 1];
    };
    const runs = Number(value("--runs") ?? DEFAULT_RUNS);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs expects a whole number ≥ 1, not "${value("--runs")}"`);
    const tasksText = value("--tasks");
    const tasks = tasksText === undefined ? DEFAULT_TASKS : tasksText.split(",").map(Number);
    if (tasks.some((count) => !Number.isInteger(count) || count < 1)) throw new Error(`--tasks expects whole numbers ≥ 1, like 10,100,1000, not "${tasksText}"`);
    return { runs, tasks };
}

function main(argv: readonly string[]): void {
    if (argv[0] === "--child") {
        const [directory, tasks, share] = argv.slice(1);
        process.stdout.write(JSON.stringify(measure(directory, Number(tasks), Number(share))));
        return;
    }
    const options = parseBenchOptions(argv);
    const rows = mergeBench(options);
    console.log("");
    for (const line of formatMergeBench(rows, options)) console.log(line);
}

if (require.main === module) main(process.argv.slice(2));
