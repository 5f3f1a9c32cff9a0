import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseWrkResult, wrkScript } from "../bench/load-generators.js";

const line = (fields: string) =>
  `Running 4s test @ http://127.0.0.1:1/\nBENCH_RESULT {"requests":1000,"durationUs":4000000,"status":10,"connect":0,"read":1,"write":0,"timeout":2,"p50Us":1500,"p99Us":9000,"maxUs":12000${fields}}\n`;

describe("service: the benchmark's wrk plumbing", () => {
  it("reads counts and latencies from the done() line", () => {
    assert.deepEqual(parseWrkResult(line("")), {
      ok: 990,
      failed: 13,
      seconds: 4,
      latencyMs: { p50: 1.5, p99: 9, max: 12 },
    });
  });

  it("reads the statuses and the 503s without Retry-After when the script counted them", () => {
    const result = parseWrkResult(line(',"statuses":{"200":990,"503":10},"without503RetryAfter":0'));
    assert.deepEqual(result.statuses, { byStatus: { "200": 990, "503": 10 }, without503RetryAfter: 0 });
  });

  it("refuses output without a usable done() line, quoting it", () => {
    assert.throws(() => parseWrkResult("unable to connect to 127.0.0.1:1 Connection refused\n"), /wrk printed no usable status in its BENCH_RESULT line; its output:\nunable to connect/);
    assert.throws(() => parseWrkResult(line(',"statuses":{"200":-1},"without503RetryAfter":0')), /no usable statuses\.200/);
  });

  it("builds one request up front for a single path, and counts statuses only when asked", () => {
    const single = wrkScript(["/api/health"], 10);
    assert.match(single, /^wrk\.path = "\/api\/health"$/m);
    assert.doesNotMatch(single, /function request\(\)/);
    assert.match(single, /^function delay\(\) return 10 end$/m);
    assert.doesNotMatch(single, /function response\(/);

    const many = wrkScript(["/api/count-prime/1", "/api/count-prime/2"], 0, true);
    assert.match(many, /local paths = \{ "\/api\/count-prime\/1", "\/api\/count-prime\/2" \}/);
    assert.match(many, /function response\(status, headers, body\)/);
    assert.match(many, /statusesJson\(\)\)\)/);
    assert.doesNotMatch(many, /function delay\(\)/);
  });
});

describe("service: npm run bench's command line", function () {
  this.timeout(20_000);
  it("prints its usage on --help and runs nothing; refuses what it does not take in one usage line", () => {
    const bench = fileURLToPath(new URL("../bench/run.ts", import.meta.url));
    const run = (arg: string) => spawnSync(process.execPath, ["--import", "tsx", bench, arg], { encoding: "utf8" });
    const help = run("--help");
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage:\n {2}npm run bench -- \[--help\]\n[\s\S]*BENCH_NODE /);
    const misspelt = run("--hepl");
    assert.equal(misspelt.status, 2);
    assert.equal(misspelt.stderr, "unknown option --hepl: did you mean --help?\nusage: npm run bench -- [--help] (npm run bench -- --help for all options)\n");
  });
});
