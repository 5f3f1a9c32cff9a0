/**
 * Lines of `k6 run --out json` as k6 v1 writes them (internal/output/json: a Metric line before a metric's first
 * Point; times in RFC 3339 with nanoseconds and the local zone), for feeding a SegmentRecorder in tests and benchmarks.
 */
import { BUILTIN_METRICS, type MetricKind } from "../src/k6-metrics";

/** A time as Go's time.Time marshals it: nanoseconds with trailing zeros dropped, in a fixed zone (+02:00 by default). */
export function k6Time(epochMs: number, nanos = 0, offsetMinutes = 120): string {
    const wholeMs = Math.floor(epochMs);
    const local = new Date(wholeMs + offsetMinutes * 60_000).toISOString().slice(0, 19);
    const fraction = `${String(wholeMs % 1000).padStart(3, "0")}${String(nanos).padStart(6, "0")}`.replace(/0+$/, "");
    const sign = offsetMinutes < 0 ? "-" : "+";
    const zone = Math.abs(offsetMinutes);
    const offset = offsetMinutes === 0 ? "Z" : `${sign}${String(Math.floor(zone / 60)).padStart(2, "0")}:${String(zone % 60).padStart(2, "0")}`;
    return `${local}${fraction === "" ? "" : `.${fraction}`}${offset}`;
}

export interface Request {
    readonly name: string;
    readonly status: number;
    readonly durationMs: number;
    /** The group path: "" for the root group. */
    readonly group?: string;
    readonly method?: string;
    readonly url?: string;
    /** The other timings' values, by metric; by default fractions of durationMs. */
    readonly timings?: { readonly [timing in Timing]: number };
    /** No response: k6's error and error code tags (lib/netext/httpext/transport.go), status "0" and no proto. */
    readonly error?: { readonly message: string; readonly code: number };
}

/** The parts of http_req_duration and the other timings k6 emits for one request. */
export const TIMINGS = ["http_req_blocked", "http_req_connecting", "http_req_tls_handshaking", "http_req_sending", "http_req_waiting", "http_req_receiving"] as const;
export type Timing = (typeof TIMINGS)[number];

export class K6JsonWriter {
    readonly lines: string[] = [];
    private readonly declared = new Set<string>();
    private nanos = 0;

    constructor(
        private readonly custom: { readonly [name: string]: MetricKind } = {},
        private readonly offsetMinutes = 120,
    ) {}

    point(metric: string, value: number, atMs: number, tags: { readonly [tag: string]: string } = {}): void {
        this.declare(metric);
        // A few hundred nanoseconds apart, as samples taken one after the other.
        this.nanos = (this.nanos + 317) % 1_000_000;
        const time = k6Time(atMs, this.nanos, this.offsetMinutes);
        this.lines.push(JSON.stringify({ type: "Point", data: { time, value, tags }, metric }));
    }

    /** The samples of one HTTP request, tagged as k6 tags them. */
    request(atMs: number, request: Request): void {
        const { name, status, durationMs, group = "", method = "GET", error } = request;
        const url = request.url ?? `https://dev.example.com/api/${name}?limit=${Math.round(durationMs * 7)}`;
        const expected = error === undefined && (status < 400 || status === 503);
        const tags = {
            ...(error !== undefined ? { error: error.message, error_code: String(error.code) } : {}),
            expected_response: String(expected),
            group,
            method,
            name,
            ...(error === undefined ? { proto: "HTTP/1.1" } : {}),
            scenario: "load",
            status: error !== undefined ? "0" : String(status),
            ...(error === undefined ? { tls_version: "tls1.3" } : {}),
            url,
        };
        this.point("http_reqs", 1, atMs, tags);
        this.point("http_req_duration", durationMs, atMs, tags);
        for (const timing of TIMINGS) {
            const value = request.timings?.[timing] ?? (timing === "http_req_waiting" ? durationMs * 0.9 : durationMs / 100);
            this.point(timing, value, atMs, tags);
        }
        this.point("http_req_failed", expected ? 0 : 1, atMs, tags);
        this.point("data_sent", 112, atMs, { group, scenario: "load" });
        this.point("data_received", 540, atMs, { group, scenario: "load" });
    }

    check(atMs: number, check: string, ok: boolean, group = ""): void {
        this.point("checks", ok ? 1 : 0, atMs, { check, group, scenario: "load" });
    }

    private declare(metric: string): void {
        if (this.declared.has(metric)) return;
        this.declared.add(metric);
        const kind = this.custom[metric] ?? BUILTIN_METRICS[metric];
        if (kind === undefined) throw new Error(`${metric}: not a k6 built-in metric; pass its kind`);
        const data = { name: metric, type: kind.type, contains: kind.contains, thresholds: [], submetrics: null };
        this.lines.push(JSON.stringify({ type: "Metric", data, metric }));
    }
}

