/**
 * Start-up configuration from environment variables, validated once.
 * Every problem is collected and reported together, each naming its variable;
 * src/server.ts prints them and exits 1 before anything starts.
 */
import os from "node:os";
import { METRICS_VARIABLES } from "./metric-names.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServiceConfig {
  /** PORT: TCP port to listen on (0 = any free port, reported in the "listening" log line). */
  port: number;
  /** HOST: address to bind; undefined = every interface (Node's default, IPv6 and IPv4). */
  host: string | undefined;
  /** WORKERS (alias NUMBER_OF_WORKERS): worker threads counting primes. */
  workers: number;
  /** MAX_LIMIT: the largest limit /api/count-prime accepts. */
  maxLimit: number;
  /** MAX_QUEUE: count-prime requests allowed to wait for a worker; past it, 503 + Retry-After. */
  maxQueue: number;
  /** DRAIN_TIMEOUT_MS: on SIGTERM/SIGINT, how long in-flight requests may take before the exit is forced. */
  drainTimeoutMs: number;
  /** KEEP_ALIVE_TIMEOUT_MS: idle keep-alive socket timeout; must outlast the load balancer's idle timeout. */
  keepAliveTimeoutMs: number;
  /** Derived: keepAliveTimeoutMs + 1000, so a reused socket is never cut while its headers arrive. */
  headersTimeoutMs: number;
  /** WORKER_NICE: nice increment of the worker threads (Linux), 0-19; keeps the event loop responsive. */
  workerNice: number;
  /** LOG_LEVEL: pino level. */
  logLevel: LogLevel;
  /** LOG_HEALTH_CHECKS: also log /api/health requests (off by default: the load balancer polls it). */
  logHealthChecks: boolean;
  /**
   * METRICS_NAMESPACE, METRICS_CLUSTER_NAME, METRICS_SERVICE_NAME: where the once-a-minute EMF lines
   * put the service's metrics (src/emf.ts); undefined (no lines) unless METRICS_NAMESPACE is set.
   */
  metrics: MetricsTarget | undefined;
}

/** The CloudWatch namespace and dimension values of the service's own metrics. */
export interface MetricsTarget {
  namespace: string;
  clusterName: string;
  serviceName: string;
}

/** Every environment variable loadConfig reads: tools that start the service clear them from what they inherit. */
export const SERVICE_VARIABLES = [
  "PORT",
  "HOST",
  "WORKERS",
  "NUMBER_OF_WORKERS",
  "MAX_LIMIT",
  "MAX_QUEUE",
  "DRAIN_TIMEOUT_MS",
  "KEEP_ALIVE_TIMEOUT_MS",
  "WORKER_NICE",
  "LOG_LEVEL",
  "LOG_HEALTH_CHECKS",
  METRICS_VARIABLES.namespace,
  METRICS_VARIABLES.clusterName,
  METRICS_VARIABLES.serviceName,
] as const;

export const DEFAULTS = {
  port: 8000,
  maxLimit: 10_000_000,
  /** per worker thread: MAX_QUEUE defaults to this times WORKERS */
  maxQueuePerWorker: 32,
  /** below ECS's default 30 s stop timeout, leaving time to close the pool and flush logs */
  drainTimeoutMs: 20_000,
  /** above the ALB's default 60 s idle timeout */
  keepAliveTimeoutMs: 65_000,
  workerNice: 10,
  logLevel: "info" as LogLevel,
  logHealthChecks: false,
} as const;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
  }
}

type Env = Record<string, string | undefined>;

/** The variable's value, trimmed; empty counts as unset. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/**
 * CloudWatch's rules for a custom namespace: at most 255 characters among 0-9A-Za-z . - _ / # : and
 * space, at least one of them not a space
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Namespace),
 * not starting with a colon (PutMetricData's pattern `[^:].*`), and not in the reserved "AWS/" prefix.
 */
function namespaceProblem(value: string): string | undefined {
  if (value.length > 255) return `be at most 255 characters long (${value.length} here)`;
  if (!/^[0-9A-Za-z._\-/#: ]+$/.test(value)) return "use only the characters 0-9 A-Z a-z . - _ / # : and space";
  if (value.startsWith(":")) return "not start with a colon";
  if (value.startsWith("AWS/")) return 'not start with "AWS/" (reserved for AWS services)';
  return undefined;
}

/**
 * CloudWatch's rules for a dimension value: 1 to 1024 ASCII characters, no control characters, at
 * least one not a space (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html;
 * EMF caps a dimension target at 1024 characters too). Values are trimmed, so one is never all spaces.
 */
function dimensionValueProblem(value: string): string | undefined {
  if (value.length > 1024) return `be at most 1024 characters long (${value.length} here)`;
  if (!/^[\x20-\x7e]+$/.test(value)) return "use printable ASCII characters only";
  return undefined;
}

function readMetricsTarget(env: Env, problems: string[]): MetricsTarget | undefined {
  const { namespace: namespaceVar, clusterName: clusterVar, serviceName: serviceVar } = METRICS_VARIABLES;
  const namespace = read(env, namespaceVar);
  const clusterName = read(env, clusterVar);
  const serviceName = read(env, serviceVar);
  if (namespace === undefined) {
    for (const [name, value] of [[clusterVar, clusterName], [serviceVar, serviceName]] as const) {
      if (value !== undefined) problems.push(`${name} is set but ${namespaceVar} is not; set both to report metrics, or neither`);
    }
    return undefined;
  }
  const checks = [
    [namespaceVar, namespace, namespaceProblem],
    [clusterVar, clusterName, dimensionValueProblem],
    [serviceVar, serviceName, dimensionValueProblem],
  ] as const;
  const before = problems.length;
  for (const [name, value, problem] of checks) {
    if (value === undefined) problems.push(`${name} is required when ${namespaceVar} is set`);
    else {
      const found = problem(value);
      if (found !== undefined) problems.push(`${name} must ${found}; got ${show(value)}`);
    }
  }
  if (problems.length > before) return undefined;
  return { namespace, clusterName: clusterName!, serviceName: serviceName! };
}

export interface ConfigDefaults {
  /** os.availableParallelism() unless a test says otherwise */
  availableParallelism: number;
}

export function loadConfig(env: Env = process.env, defaults?: ConfigDefaults): ServiceConfig {
  const problems: string[] = [];

  const integer = (name: string, min: number, max: number, fallback: number): number => {
    const raw = read(env, name);
    if (raw === undefined) return fallback;
    const value = /^[0-9]{1,16}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}; got ${show(raw)}`);
      return fallback;
    }
    return value;
  };

  const port = integer("PORT", 0, 65_535, DEFAULTS.port);
  const host = read(env, "HOST");

  const cores = defaults?.availableParallelism ?? os.availableParallelism();
  let workers = integer("WORKERS", 1, 256, 0);
  const aliasWorkers = integer("NUMBER_OF_WORKERS", 1, 256, 0);
  if (workers === 0) workers = aliasWorkers;
  else if (aliasWorkers !== 0 && aliasWorkers !== workers) {
    problems.push(`WORKERS (${workers}) and its alias NUMBER_OF_WORKERS (${aliasWorkers}) disagree; set only one`);
  }
  if (workers === 0) workers = Math.max(1, cores);

  const maxLimit = integer("MAX_LIMIT", 1, Number.MAX_SAFE_INTEGER, DEFAULTS.maxLimit);
  const maxQueue = integer("MAX_QUEUE", 0, 100_000, DEFAULTS.maxQueuePerWorker * workers);
  const drainTimeoutMs = integer("DRAIN_TIMEOUT_MS", 0, 120_000, DEFAULTS.drainTimeoutMs);
  // Up to 2 h: an ALB's idle timeout goes up to 4000 s, and this must stay above it.
  const keepAliveTimeoutMs = integer("KEEP_ALIVE_TIMEOUT_MS", 1_000, 7_200_000, DEFAULTS.keepAliveTimeoutMs);
  const workerNice = integer("WORKER_NICE", 0, 19, DEFAULTS.workerNice);

  let logLevel: LogLevel = DEFAULTS.logLevel;
  const rawLevel = read(env, "LOG_LEVEL");
  if (rawLevel !== undefined) {
    const level = LOG_LEVELS.find((l) => l === rawLevel.toLowerCase());
    if (level === undefined) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}; got ${show(rawLevel)}`);
    else logLevel = level;
  }

  let logHealthChecks: boolean = DEFAULTS.logHealthChecks;
  const rawHealth = read(env, "LOG_HEALTH_CHECKS");
  if (rawHealth !== undefined) {
    const v = rawHealth.toLowerCase();
    if (v === "true" || v === "1") logHealthChecks = true;
    else if (v === "false" || v === "0") logHealthChecks = false;
    else problems.push(`LOG_HEALTH_CHECKS must be true, false, 1 or 0; got ${show(rawHealth)}`);
  }

  const metrics = readMetricsTarget(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    workers,
    maxLimit,
    maxQueue,
    drainTimeoutMs,
    keepAliveTimeoutMs,
    headersTimeoutMs: keepAliveTimeoutMs + 1_000,
    workerNice,
    logLevel,
    logHealthChecks,
    metrics,
  };
}
