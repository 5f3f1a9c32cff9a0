/**
 * Runs the k6 entry scripts in Node with the k6 modules replaced by small fakes, and a fake service
 * behind the fake `http.get`: init code (options from -e), setup() (the target check), iterations
 * (URLs, tags, checks) and handleSummary run for real. No k6 binary needed; the fakes model only
 * what the scripts use.
 */
import assert from "node:assert/strict";
import Module, { createRequire } from "node:module";
import path from "node:path";
import { primesBelowTable } from "./k6-helpers";

const K6_DIR = path.join(__dirname, "..", "k6");
const load = createRequire(__filename);

interface Call {
  url: string;
  params: { tags?: { [name: string]: string }; timeout?: string; responseCallback?: unknown };
}

interface FakeResponse {
  status: number;
  /** k6's error text for a request that got no answer (status 0); empty otherwise. */
  error: string;
  headers: { [name: string]: string };
  json(): unknown;
}

/** π(n − 1) for n ≤ 500 000, by sieve: what a correct service answers. */
const PRIMES_BELOW = primesBelowTable(500_000);

const respond = (status: number, body: unknown, headers: { [name: string]: string } = {}): FakeResponse => ({
  status,
  error: "",
  headers,
  json: () => body,
});

/** What k6 returns when nothing listens on the port (lib/netext/httpext/error_codes.go, tcpDialRefusedErrorCodeMsg). */
const REFUSED: FakeResponse = {
  status: 0,
  error: "dial: connection refused",
  headers: {},
  json: () => {
    throw new Error("no body");
  },
};

/** How the fake service behaves: as documented, counting wrong, shedding every request, stopped, or unhealthy. */
type Behaviour = "correct" | "off-by-one" | "overloaded" | "down" | "unhealthy";

/** The service as docs/service.md describes it; `behaviour` lets a test break it. */
function fakeService(url: string, behaviour: Behaviour): FakeResponse {
  if (behaviour === "down") return REFUSED;
  const { pathname } = new URL(url);
  if (pathname === "/api/health") return behaviour === "unhealthy" ? respond(503, { status: "starting" }) : respond(200, { status: "ok" });
  const match = /^\/api\/count-prime\/(\d+)$/.exec(pathname);
  if (match === null) return respond(400, { error: "limit must be an integer" });
  if (behaviour === "overloaded") return respond(503, { error: "busy" }, { "Retry-After": "1" });
  const limit = Number(match[1]);
  const result = PRIMES_BELOW[limit] + (behaviour === "off-by-one" ? 1 : 0);
  return respond(200, { limit, result, durationSeconds: 0.02 });
}

/** The fake k6 runtime: records requests, checks, sleeps and metric samples. */
const runtime = {
  behaviour: "correct" as Behaviour,
  calls: [] as Call[],
  checks: new Map<string, { passes: number; fails: number }>(),
  sleeps: [] as number[],
  samples: new Map<string, Array<number | boolean>>(),
  reset(behaviour: Behaviour = "correct") {
    this.behaviour = behaviour;
    this.calls = [];
    this.checks = new Map();
    this.sleeps = [];
    this.samples = new Map();
  },
};

const k6 = {
  check(value: unknown, sets: { [name: string]: (v: unknown) => boolean }): boolean {
    let all = true;
    for (const [name, fn] of Object.entries(sets)) {
      const ok = fn(value) === true;
      const tally = runtime.checks.get(name) ?? { passes: 0, fails: 0 };
      tally[ok ? "passes" : "fails"]++;
      runtime.checks.set(name, tally);
      all &&= ok;
    }
    return all;
  },
  sleep(seconds: number): void {
    runtime.sleeps.push(seconds);
  },
};

const http = {
  get(url: string, params: Call["params"] = {}): FakeResponse {
    runtime.calls.push({ url, params });
    return fakeService(url, runtime.behaviour);
  },
  expectedStatuses: (...statuses: number[]) => ({ expectedStatuses: statuses }),
};

/** What exec.test.abort() does in k6: interrupts the script where it stands, with the reason. */
class TestAborted extends Error {}

const execution = {
  test: {
    abort(reason?: string): never {
      throw new TestAborted(reason);
    },
  },
};

class Rate {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
    runtime.samples.set(name, []);
  }
  add(value: number | boolean): void {
    runtime.samples.get(this.name)?.push(value);
  }
}

const STUBS: { [specifier: string]: object } = {
  k6: { __esModule: true, default: k6, ...k6 },
  "k6/http": { __esModule: true, default: http, ...http },
  "k6/execution": { __esModule: true, default: execution, ...execution },
  "k6/metrics": { __esModule: true, Rate },
};

type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
let originalResolve: Resolve;

describe("k6 harness", () => {
  before(() => {
    originalResolve = moduleInternals._resolveFilename;
    moduleInternals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
      return request in STUBS ? `k6-stub:${request}` : originalResolve.call(this, request, ...rest);
    };
    for (const [specifier, exports] of Object.entries(STUBS)) {
      const id = `k6-stub:${specifier}`;
      load.cache[id] = { id, filename: id, loaded: true, exports } as NodeJS.Module;
    }
  });

  after(() => {
    moduleInternals._resolveFilename = originalResolve;
    for (const specifier of Object.keys(STUBS)) delete load.cache[`k6-stub:${specifier}`];
  });

  interface Script {
    options: {
      scenarios: { [name: string]: { stages?: Array<{ duration: string; target: number }> } & { [key: string]: unknown } };
      thresholds: { [metric: string]: unknown[] };
      cloud: { name: string };
      summaryTrendStats: string[];
    };
    setup: () => void;
    default: () => void;
    handleSummary: (data: object) => { [destination: string]: string };
  }

  const globals = globalThis as unknown as { __ENV: { [name: string]: string }; __VU: number; __ITER: number };

  /** Loads a script fresh, as k6 does for each run, with `env` as its `-e` variables. */
  function loadScript(name: string, env: { [name: string]: string } = {}): Script {
    for (const key of Object.keys(load.cache)) if (key.startsWith(K6_DIR + path.sep)) delete load.cache[key];
    globals.__ENV = env;
    globals.__VU = 1;
    globals.__ITER = 0;
    return load(path.join(K6_DIR, name)) as Script;
  }

  /** Runs `iterations` iterations spread over `vus` VUs, setting __VU and __ITER as k6 does. */
  function iterate(script: Script, iterations: number, vus = 1): void {
    for (let i = 0; i < iterations; i++) {
      globals.__VU = (i % vus) + 1;
      globals.__ITER = Math.floor(i / vus);
      script.default();
    }
  }

  const failedChecks = () => [...runtime.checks].filter(([, tally]) => tally.fails > 0).map(([name]) => name);

  describe("setup(): the target is checked once before any load", () => {
    /** Runs setup() and returns the reason it aborted the run with, or undefined when it did not. */
    function abortReason(script: Script): string | undefined {
      try {
        script.setup();
        return undefined;
      } catch (error) {
        if (error instanceof TestAborted) return error.message;
        throw error;
      }
    }

    for (const name of ["smoke.ts", "load.ts", "stress.ts"]) {
      it(`${name}: one GET /api/health, tagged setup-probe, out of http_req_failed, 10 s at most; an answering service lets the run start`, () => {
        runtime.reset();
        assert.equal(abortReason(loadScript(name)), undefined);
        assert.equal(runtime.calls.length, 1);
        const [{ url, params }] = runtime.calls;
        assert.equal(url, "http://localhost:8000/api/health");
        assert.deepEqual(params.tags, { name: "setup-probe" });
        assert.equal(params.responseCallback, null);
        assert.equal(params.timeout, "10s");
        assert.deepEqual([...runtime.checks.keys()], [], "the probe adds no check");
      });

      it(`${name}: a stopped local service aborts the run with one line naming the URL, the error and npm start`, () => {
        runtime.reset("down");
        const reason = abortReason(loadScript(name));
        assert.equal(
          reason,
          "GET http://localhost:8000/api/health got no answer (dial: connection refused), so no load was sent: " +
            "start the service with `npm start`, or point the run at a running one with -e BASE_URL=<url>",
        );
        assert.equal(runtime.calls.length, 1, "nothing else was asked");
      });

      it(`${name}: a remote target that answers 503 aborts the run, pointing at BASE_URL`, () => {
        runtime.reset("unhealthy");
        const reason = abortReason(loadScript(name, { BASE_URL: "https://dev.example.com" }));
        assert.match(reason ?? "", /^GET https:\/\/dev\.example\.com\/api\/health answered 503 instead of 200, so no load was sent: check -e BASE_URL=https:\/\/dev\.example\.com \(/);
        assert.doesNotMatch(reason ?? "", /npm start|\n/);
      });
    }
  });

  describe("load.ts", () => {
    beforeEach(() => runtime.reset());

    it("builds the Locust profile from the defaults", () => {
      const script = loadScript("load.ts");
      assert.deepEqual(script.options.scenarios.load.stages, [
        { duration: "320s", target: 80 },
        { duration: "3280s", target: 80 },
      ]);
      assert.deepEqual(Object.keys(script.options.thresholds).sort(), [
        "checks",
        "http_req_duration{name:count-prime,expected_response:true}",
        "http_req_failed",
        "http_reqs{name:count-prime,expected_response:true}",
      ]);
      assert.equal(script.options.cloud.name, "ecs-loadlab load");
      assert.ok(script.options.summaryTrendStats.includes("p(99)"));
    });

    it("asks for a limit in the calibrated range on each iteration, tagged by route, then sleeps 1–3 s", () => {
      const script = loadScript("load.ts");
      iterate(script, 200);
      assert.equal(runtime.calls.length, 200);
      for (const { url, params } of runtime.calls) {
        const match = /^http:\/\/localhost:8000\/api\/count-prime\/(\d+)$/.exec(url);
        assert.ok(match, url);
        const limit = Number(match[1]);
        assert.ok(limit >= 280_000 && limit <= 420_000, url);
        assert.deepEqual(params.tags, { name: "count-prime" });
      }
      assert.ok(new Set(runtime.calls.map((c) => c.url)).size > 150, "limits vary");
      assert.equal(runtime.sleeps.length, 200);
      assert.ok(runtime.sleeps.every((s) => s >= 1 && s <= 3));
      assert.deepEqual(failedChecks(), []);
    });

    it("follows -e overrides for a short run against a deployed environment", () => {
      const script = loadScript("load.ts", {
        BASE_URL: "https://dev.example.com/",
        USERS: "4",
        RAMP_RATE: "1",
        DURATION: "30s",
        LIMIT_MIN: "10",
        LIMIT_MAX: "20",
      });
      assert.deepEqual(script.options.scenarios.load.stages, [
        { duration: "4s", target: 4 },
        { duration: "26s", target: 4 },
      ]);
      iterate(script, 50);
      for (const { url } of runtime.calls) assert.match(url, /^https:\/\/dev\.example\.com\/api\/count-prime\/(1\d|20)$/);
    });

    it("fails at init on a bad -e value, naming it", () => {
      // The script loads its own copy of lib/env.ts, so compare the error by name, not by class.
      assert.throws(() => loadScript("load.ts", { USERS: "eighty" }), { name: "EnvError", message: /-e USERS="eighty" is invalid/ });
      assert.throws(() => loadScript("load.ts", { LIMIT_MIN: "9", LIMIT_MAX: "1" }), /LIMIT_MIN must be <= LIMIT_MAX/);
    });

    it("writes the text summary to stdout and the JSON under k6/results/", () => {
      const script = loadScript("load.ts");
      const outputs = script.handleSummary({ metrics: {}, root_group: { name: "", checks: [], groups: [] }, state: { testRunDurationMs: 1000 } });
      const files = Object.keys(outputs).filter((key) => key !== "stdout");
      assert.equal(files.length, 1);
      assert.match(files[0], /^k6\/results\/load-\d{8}T\d{6}Z\.json$/);
      assert.equal(JSON.parse(outputs[files[0]]).run.settings.profile.users, 80);
      assert.match(outputs.stdout, /ecs-loadlab load against http:\/\/localhost:8000/);
    });
  });

  describe("smoke.ts", () => {
    beforeEach(() => runtime.reset());

    it("checks health, the exact prime counts of every known limit and the 400 for a bad limit: all pass", () => {
      const script = loadScript("smoke.ts");
      iterate(script, 20, 2);
      const urls = runtime.calls.map((call) => call.url);
      for (const limit of [0, 1, 2, 3, 10, 100, 7919, 15000, 300000]) {
        assert.ok(urls.includes(`http://localhost:8000/api/count-prime/${limit}`), `limit ${limit} never asked`);
      }
      assert.ok(urls.includes("http://localhost:8000/api/health"));
      const invalid = runtime.calls.find((call) => call.params.tags?.name === "count-prime-invalid");
      assert.deepEqual(invalid?.params.responseCallback, { expectedStatuses: [400] });
      assert.deepEqual(failedChecks(), []);
      assert.ok(runtime.checks.has("count-prime: 15000 → 1754 primes"));
    });

    it("catches a service that counts wrong", () => {
      runtime.reset("off-by-one");
      iterate(loadScript("smoke.ts"), 20, 2);
      const failed = failedChecks();
      assert.ok(failed.includes("count-prime: 100 → 25 primes"), failed.join(", "));
      assert.ok(!failed.includes("health: status 200"));
    });
  });

  describe("stress.ts", () => {
    beforeEach(() => runtime.reset());

    it("sizes an arrival-rate scenario for the peak", () => {
      const scenario = loadScript("stress.ts").options.scenarios.stress;
      assert.equal(scenario.executor, "ramping-arrival-rate");
      assert.equal(scenario.preAllocatedVUs, 30);
      assert.equal(scenario.maxVUs, 240);
    });

    it("counts 503s as shed load, not failures, and checks their Retry-After", () => {
      runtime.reset("overloaded");
      iterate(loadScript("stress.ts"), 10);
      assert.deepEqual(runtime.samples.get("overloaded"), Array(10).fill(true));
      for (const { params } of runtime.calls) {
        assert.deepEqual(params.responseCallback, { expectedStatuses: [200, 503] });
        assert.equal(params.timeout, "10s");
        assert.equal(params.tags?.name, "count-prime");
      }
      assert.deepEqual(failedChecks(), []);
      assert.equal(runtime.checks.get("count-prime: 503 carries Retry-After")?.passes, 10);
    });

    it("checks served requests like load.ts does", () => {
      iterate(loadScript("stress.ts"), 10);
      assert.deepEqual(runtime.samples.get("overloaded"), Array(10).fill(false));
      assert.equal(runtime.checks.get("count-prime: status 200")?.passes, 10);
      assert.deepEqual(failedChecks(), []);
    });
  });
});
