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
});
