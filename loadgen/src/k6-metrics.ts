/**
 * What k6 itself defines about its metrics, as the recorder and the merge need it.
 */

/** k6's metric types (metrics/metric_type.go), as its JSON output and summary spell them. */
export const METRIC_TYPES = ["counter", "gauge", "rate", "trend"] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

export function isMetricType(value: unknown): value is MetricType {
    return METRIC_TYPES.includes(value as MetricType);
}

export interface MetricKind {
    readonly type: MetricType;
    /** "default", "time" or "data" (metrics/value_type.go). */
    readonly contains: string;
}

const counter: MetricKind = { type: "counter", contains: "default" };
const time: MetricKind = { type: "trend", contains: "time" };
const gauge: MetricKind = { type: "gauge", contains: "default" };
const rate: MetricKind = { type: "rate", contains: "default" };
const data: MetricKind = { type: "counter", contains: "data" };

/**
 * k6's built-in metrics (metrics/builtin.go, RegisterBuiltinMetrics). Their type is known before any sample: a
 * threshold on `dropped_iterations` is judged even when nothing was dropped, so the metric never appeared.
 */
export const BUILTIN_METRICS: { readonly [name: string]: MetricKind } = {
    vus: gauge,
    vus_max: gauge,
    iterations: counter,
    iteration_duration: time,
    dropped_iterations: counter,
    checks: rate,
    group_duration: time,
    http_reqs: counter,
    http_req_failed: rate,
    http_req_duration: time,
    http_req_blocked: time,
    http_req_connecting: time,
    http_req_tls_handshaking: time,
    http_req_sending: time,
    http_req_waiting: time,
    http_req_receiving: time,
    ws_sessions: counter,
    ws_msgs_sent: counter,
    ws_msgs_received: counter,
    ws_ping: time,
    ws_session_duration: time,
    ws_connecting: time,
    grpc_req_duration: time,
    data_sent: data,
    data_received: data,
};

/**
 * Gauges each k6 instance emits once a second for the VUs it runs (internal/execution/scheduler.go,
 * emitVUsAndVUsMax): with N segments, the run's value at a moment is the sum of the segments' values.
 */
export const ADDITIVE_GAUGES: readonly string[] = ["vus", "vus_max"];

/**
 * The sub-metric k6 adds by itself when the expected_response system tag is on, as it is by default
 * (metrics/engine/engine.go, InitSubMetricsAndThresholds): its summary shows it once a sample matches.
 */
export const DEFAULT_SUBMETRICS: readonly string[] = ["http_req_duration{expected_response:true}"];

/** Between the names in a group's path, `::outer::inner` (lib/models.go). The root group's path is "". */
export const GROUP_SEPARATOR = "::";
