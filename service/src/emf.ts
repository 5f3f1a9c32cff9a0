/**
 * One minute of the service's own metrics as a CloudWatch Embedded Metric Format (EMF) document:
 * written to stdout as a log line, it becomes metrics in CloudWatch with no agent and no API call.
 *
 * The specification (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * as this document follows it:
 * - the root holds `_aws`: `Timestamp` (an integer, milliseconds since 1970-01-01 UTC) and
 *   `CloudWatchMetrics`, an array of MetricDirectives;
 * - a MetricDirective holds `Namespace`, `Dimensions` (an array of DimensionSets, each at most 30
 *   dimension names) and `Metrics` (at most 100 MetricDefinitions: `Name`, optional `Unit`, one of
 *   CloudWatch's units);
 * - every name a directive uses is a member of the root itself ("target member", not nested): a
 *   string of at most 1024 characters for a dimension, a number for a metric;
 * - the root may hold other members (the logger adds level, time, msg ...);
 * - the whole event is at most 1 MB (one CloudWatch Logs event); this one is well under 1 KB.
 */
import type { MetricsTarget } from "./config.js";
import { SERVICE_METRICS, SERVICE_METRIC_DIMENSIONS, type ServiceMetricKey } from "./metric-names.js";

/** What one task saw during one UTC minute. */
export interface MinuteStats {
  /** The minute's first millisecond since the epoch: the metrics' timestamp. */
  minuteStartMs: number;
  answered: number;
  shed: number;
  errors: number;
  queueMax: number;
  inFlightMax: number;
  /** Over the answered requests, in milliseconds; undefined when none was answered. */
  latency: { p50: number; p99: number; max: number } | undefined;
}

export interface MetricDefinition {
  Name: string;
  Unit: string;
}

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: MetricDefinition[] }>;
  };
  [targetMember: string]: unknown;
}

/** Microsecond precision: finer digits are timer noise. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function metricValues(stats: MinuteStats): Partial<Record<ServiceMetricKey, number>> {
  const values: Partial<Record<ServiceMetricKey, number>> = {
    answered: stats.answered,
    shed: stats.shed,
    errors: stats.errors,
    queueMax: stats.queueMax,
    inFlightMax: stats.inFlightMax,
  };
  // A minute without an answered request has no latency: no value rather than a made-up 0.
  if (stats.latency !== undefined) {
    values.latencyP50 = roundMs(stats.latency.p50);
    values.latencyP99 = roundMs(stats.latency.p99);
    values.latencyMax = roundMs(stats.latency.max);
  }
  return values;
}

export function emfDocument(stats: MinuteStats, target: MetricsTarget): EmfDocument {
  const values = metricValues(stats);
  const dimensionValues: Record<(typeof SERVICE_METRIC_DIMENSIONS)[number], string> = {
    ClusterName: target.clusterName,
    ServiceName: target.serviceName,
  };
  const reported = (Object.keys(SERVICE_METRICS) as ServiceMetricKey[]).filter((key) => values[key] !== undefined);
  const document: EmfDocument = {
    _aws: {
      Timestamp: stats.minuteStartMs,
      CloudWatchMetrics: [
        {
          Namespace: target.namespace,
          Dimensions: [[...SERVICE_METRIC_DIMENSIONS]],
          Metrics: reported.map((key) => ({ Name: SERVICE_METRICS[key].name, Unit: SERVICE_METRICS[key].unit })),
        },
      ],
    },
    ...dimensionValues,
  };
  for (const key of reported) document[SERVICE_METRICS[key].name] = values[key];
  return document;
}
