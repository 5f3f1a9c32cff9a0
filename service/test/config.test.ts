import assert from "node:assert/strict";
import { ConfigError, SERVICE_VARIABLES, loadConfig } from "../src/config.js";

const cores = { availableParallelism: 3 };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, cores);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("service: configuration from the environment", () => {
  it("reads exactly the variables SERVICE_VARIABLES lists (what tools clear before starting it)", () => {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        if (typeof name === "string") read.add(name);
        return undefined;
      },
    });
    loadConfig(env, { availableParallelism: 2 });
    assert.deepEqual([...read].sort(), [...SERVICE_VARIABLES].sort());
  });

  it("has defaults for everything", () => {
    assert.deepEqual(loadConfig({}, cores), {
      port: 8000,
      host: undefined,
      workers: 3,
      maxLimit: 10_000_000,
      maxQueue: 96,
      drainTimeoutMs: 20_000,
      keepAliveTimeoutMs: 65_000,
      headersTimeoutMs: 66_000,
      workerNice: 10,
      logLevel: "info",
      logHealthChecks: false,
      metrics: undefined,
    });
  });

  it("reads every variable, trimming spaces and treating empty as unset", () => {
    const config = loadConfig(
      {
        PORT: " 0 ",
        HOST: "127.0.0.1",
        WORKERS: "4",
        MAX_LIMIT: "500000",
        MAX_QUEUE: "0",
        DRAIN_TIMEOUT_MS: "1500",
        KEEP_ALIVE_TIMEOUT_MS: "4005000",
        WORKER_NICE: "0",
        LOG_LEVEL: "WARN",
        LOG_HEALTH_CHECKS: "true",
        NUMBER_OF_WORKERS: "",
        METRICS_NAMESPACE: " ecs-loadlab/Service ",
        METRICS_CLUSTER_NAME: "ecs-loadlab-dev",
        METRICS_SERVICE_NAME: "prime-counter",
      },
      cores,
    );
    assert.deepEqual(config, {
      port: 0,
      host: "127.0.0.1",
      workers: 4,
      maxLimit: 500_000,
      maxQueue: 0,
      drainTimeoutMs: 1500,
      keepAliveTimeoutMs: 4_005_000,
      headersTimeoutMs: 4_006_000,
      workerNice: 0,
      logLevel: "warn",
      logHealthChecks: true,
      metrics: { namespace: "ecs-loadlab/Service", clusterName: "ecs-loadlab-dev", serviceName: "prime-counter" },
    });
  });

  it("keeps the keep-alive timeout above the ALB's 60 s idle timeout and the headers timeout above that", () => {
    const { keepAliveTimeoutMs, headersTimeoutMs } = loadConfig({}, cores);
    assert.ok(keepAliveTimeoutMs > 60_000);
    assert.ok(headersTimeoutMs > keepAliveTimeoutMs);
  });

  it("accepts NUMBER_OF_WORKERS as an alias of WORKERS, and sizes MAX_QUEUE from the worker count", () => {
    assert.equal(loadConfig({ NUMBER_OF_WORKERS: "5" }, cores).workers, 5);
    assert.equal(loadConfig({ NUMBER_OF_WORKERS: "5" }, cores).maxQueue, 160);
    assert.equal(loadConfig({ WORKERS: "2", NUMBER_OF_WORKERS: "2" }, cores).workers, 2);
    assert.deepEqual(problems({ WORKERS: "2", NUMBER_OF_WORKERS: "3" }), [
      "WORKERS (2) and its alias NUMBER_OF_WORKERS (3) disagree; set only one",
    ]);
  });

  it("names the variable and the allowed values for every bad value, all at once", () => {
    assert.deepEqual(
      problems({
        PORT: "80a",
        WORKERS: "0",
        MAX_LIMIT: "-5",
        MAX_QUEUE: "1e3",
        DRAIN_TIMEOUT_MS: "3.5",
        KEEP_ALIVE_TIMEOUT_MS: "500",
        WORKER_NICE: "20",
        LOG_LEVEL: "loud",
        LOG_HEALTH_CHECKS: "yes",
      }),
      [
        'PORT must be an integer from 0 to 65535; got "80a"',
        'WORKERS must be an integer from 1 to 256; got "0"',
        'MAX_LIMIT must be an integer from 1 to 9007199254740991; got "-5"',
        'MAX_QUEUE must be an integer from 0 to 100000; got "1e3"',
        'DRAIN_TIMEOUT_MS must be an integer from 0 to 120000; got "3.5"',
        'KEEP_ALIVE_TIMEOUT_MS must be an integer from 1000 to 7200000; got "500"',
        'WORKER_NICE must be an integer from 0 to 19; got "20"',
        "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got \"loud\"",
        'LOG_HEALTH_CHECKS must be true, false, 1 or 0; got "yes"',
      ],
    );
  });

  it("refuses out-of-range and absurd numbers", () => {
    assert.deepEqual(problems({ PORT: "65536" }), ['PORT must be an integer from 0 to 65535; got "65536"']);
    assert.deepEqual(problems({ NUMBER_OF_WORKERS: "+2" }), [
      'NUMBER_OF_WORKERS must be an integer from 1 to 256; got "+2"',
    ]);
    assert.deepEqual(problems({ MAX_LIMIT: "9".repeat(100) }), [
      `MAX_LIMIT must be an integer from 1 to 9007199254740991; got "${"9".repeat(40)}…"`,
    ]);
  });

  describe("the service's own metrics (METRICS_*)", () => {
    const named = { METRICS_NAMESPACE: "ecs-loadlab/Service", METRICS_CLUSTER_NAME: "c", METRICS_SERVICE_NAME: "s" };

    it("are off unless METRICS_NAMESPACE names where they go, and then need both dimension values", () => {
      assert.equal(loadConfig({}, cores).metrics, undefined);
      assert.deepEqual(loadConfig(named, cores).metrics, { namespace: "ecs-loadlab/Service", clusterName: "c", serviceName: "s" });
      assert.deepEqual(problems({ METRICS_NAMESPACE: "ecs-loadlab/Service", METRICS_SERVICE_NAME: " " }), [
        "METRICS_CLUSTER_NAME is required when METRICS_NAMESPACE is set",
        "METRICS_SERVICE_NAME is required when METRICS_NAMESPACE is set",
      ]);
      assert.deepEqual(problems({ METRICS_CLUSTER_NAME: "c" }), [
        "METRICS_CLUSTER_NAME is set but METRICS_NAMESPACE is not; set both to report metrics, or neither",
      ]);
    });

    it("refuse a namespace CloudWatch would: AWS/ (reserved), a leading colon, other characters, over 255", () => {
      assert.deepEqual(loadConfig({ ...named, METRICS_NAMESPACE: "My App/v1_2#3:4.5-6" }, cores).metrics?.namespace, "My App/v1_2#3:4.5-6");
      const refused = (namespace: string) => problems({ ...named, METRICS_NAMESPACE: namespace });
      assert.deepEqual(refused("AWS/ECS"), ['METRICS_NAMESPACE must not start with "AWS/" (reserved for AWS services); got "AWS/ECS"']);
      assert.deepEqual(refused(":x"), ['METRICS_NAMESPACE must not start with a colon; got ":x"']);
      assert.deepEqual(refused("app$"), [
        'METRICS_NAMESPACE must use only the characters 0-9 A-Z a-z . - _ / # : and space; got "app$"',
      ]);
      assert.deepEqual(refused("é"), ['METRICS_NAMESPACE must use only the characters 0-9 A-Z a-z . - _ / # : and space; got "é"']);
      assert.deepEqual(refused("n".repeat(256)), [
        `METRICS_NAMESPACE must be at most 255 characters long (256 here); got "${"n".repeat(40)}…"`,
      ]);
      assert.equal(loadConfig({ ...named, METRICS_NAMESPACE: "n".repeat(255) }, cores).metrics?.namespace.length, 255);
    });

    it("refuse a dimension value CloudWatch would: not printable ASCII, over 1024 characters", () => {
      assert.deepEqual(problems({ ...named, METRICS_CLUSTER_NAME: "dev\tcluster", METRICS_SERVICE_NAME: "s".repeat(1025) }), [
        'METRICS_CLUSTER_NAME must use printable ASCII characters only; got "dev\\tcluster"',
        `METRICS_SERVICE_NAME must be at most 1024 characters long (1025 here); got "${"s".repeat(40)}…"`,
      ]);
      assert.deepEqual(problems({ ...named, METRICS_SERVICE_NAME: "naïve" }), ['METRICS_SERVICE_NAME must use printable ASCII characters only; got "naïve"']);
      assert.equal(loadConfig({ ...named, METRICS_SERVICE_NAME: "a b:c/d" }, cores).metrics?.serviceName, "a b:c/d");
    });
  });
});
