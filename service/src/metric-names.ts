/**
 * The service's own metrics: what it writes once a minute as CloudWatch Embedded Metric Format lines
 * (src/emf.ts), what the stack names (components/fargate-service.ts sets the namespace and dimensions through
 * the environment) and what `timeline observe` reads. One table, so the three cannot drift apart.
 *
 * Counted: every request except GET and HEAD /api/health (the load balancer's health checks are not in its
 * RequestCount either). Answered = a response below 500; Shed = a 503 the service chose (queue full, or
 * shutting down); Errors = every other 5xx. Latency = answered requests only, per task and minute.
 */
export const SERVICE_METRICS = {
  answered: { name: "Answered", unit: "Count" },
  shed: { name: "Shed", unit: "Count" },
  errors: { name: "Errors", unit: "Count" },
  /** The most requests waiting for a worker thread at any moment of the minute. */
  queueMax: { name: "QueueMax", unit: "Count" },
  /** The most requests in the service (running, queued or being answered) at any moment of the minute. */
  inFlightMax: { name: "InFlightMax", unit: "Count" },
  latencyP50: { name: "LatencyP50", unit: "Milliseconds" },
  latencyP99: { name: "LatencyP99", unit: "Milliseconds" },
  latencyMax: { name: "LatencyMax", unit: "Milliseconds" },
} as const;

export type ServiceMetricKey = keyof typeof SERVICE_METRICS;

/** The dimensions every metric carries: the same names as the AWS/ECS service metrics, so one query shape serves both. */
export const SERVICE_METRIC_DIMENSIONS = ["ClusterName", "ServiceName"] as const;

/** The environment variables through which the stack names the namespace and the dimensions' values. */
export const METRICS_VARIABLES = {
  namespace: "METRICS_NAMESPACE",
  clusterName: "METRICS_CLUSTER_NAME",
  serviceName: "METRICS_SERVICE_NAME",
} as const;
