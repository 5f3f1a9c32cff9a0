import assert from "node:assert/strict";
import { DEFAULT_BASE_URL, envReader, parseDuration, readBaseUrl } from "../k6/lib/env";
import { assertEnvError } from "./k6-helpers";

describe("k6 env: parseDuration reads durations as k6 does", () => {
  const valid: Array<[string, number]> = [
    ["30s", 30],
    ["5m", 300],
    ["1h", 3600],
    ["1h30m", 5400],
    ["2m30s", 150],
    ["1.5s", 1.5],
    ["250ms", 0.25],
    ["1m500ms", 60.5],
    ["0", 0],
    ["0s", 0],
    [" 45s ", 45],
  ];
  for (const [text, seconds] of valid) {
    it(`"${text}" → ${seconds} s`, () => assert.equal(parseDuration(text), seconds));
  }

  for (const text of ["", "30", "-5s", "5 m", "1d", "abc", "s", "5m-1s", "1e3s", "+5s", "5min"]) {
    it(`rejects "${text}"`, () => assert.equal(parseDuration(text), undefined));
  }
});

describe("k6 env: envReader", () => {
  it("returns the fallback when a variable is unset or empty", () => {
    const env = envReader({ EMPTY: "", BLANK: "   " });
    assert.equal(env.number("MISSING", 7), 7);
    assert.equal(env.number("EMPTY", 7), 7);
    assert.equal(env.duration("BLANK", "1m"), 60);
    assert.equal(env.string("EMPTY", "x"), "x");
    assert.equal(env.raw("BLANK"), undefined);
  });

  it("parses numbers, trimming spaces", () => {
    const env = envReader({ A: " 12 ", B: "0.25", C: "2.5e5", D: "-3" });
    assert.equal(env.number("A", 0), 12);
    assert.equal(env.number("B", 0), 0.25);
    assert.equal(env.number("C", 0, { integer: true }), 250_000);
    assert.equal(env.number("D", 0), -3);
  });

  it("rejects what is not a decimal number, naming the -e variable and the rule", () => {
    for (const value of ["abc", "12abc", "0x10", "Infinity", "NaN", "1,5", "--1"]) {
      assertEnvError(() => envReader({ USERS: value }).number("USERS", 80), ["USERS"], /expected a number/);
    }
  });

  it("enforces bounds and whole numbers", () => {
    const bounds = { min: 1, max: 100, integer: true };
    assertEnvError(() => envReader({ USERS: "0" }).number("USERS", 80, bounds), ["USERS"], /whole number from 1 to 100/);
    assertEnvError(() => envReader({ USERS: "101" }).number("USERS", 80, bounds), ["USERS"], /-e USERS="101"/);
    assertEnvError(() => envReader({ USERS: "2.5" }).number("USERS", 80, bounds), ["USERS"], /whole number/);
    assertEnvError(() => envReader({ RATE: "-0.1" }).number("RATE", 1, { min: 0 }), ["RATE"], /a number >= 0 \(default 1\)/);
    assert.equal(envReader({ USERS: "100" }).number("USERS", 80, bounds), 100);
  });

  it("reads durations in seconds and rejects bad or negative ones", () => {
    assert.equal(envReader({ DURATION: "5m" }).duration("DURATION", "1h"), 300);
    assert.equal(envReader({}).duration("DURATION", "1h"), 3600);
    for (const value of ["-5s", "5", "five minutes", "1d"]) {
      assertEnvError(() => envReader({ DURATION: value }).duration("DURATION", "1h"), ["DURATION"], /k6 duration such as 30s, 5m, 1h/);
    }
    assertEnvError(() => envReader({ DURATION: "0s" }).duration("DURATION", "1h", { min: 1 }), ["DURATION"], /at least 1s/);
  });

  it("throws for a default that is not a duration (a bug in the script, not the user's input)", () => {
    assert.throws(() => envReader({}).duration("X", "soon"), RangeError);
  });

  it("reject() throws an EnvError for rules spanning variables", () => {
    assertEnvError(() => envReader({}).reject(["A", "B"], "A and B disagree"), ["A", "B"], /disagree/);
  });
});

describe("k6 env: BASE_URL", () => {
  it("defaults to the local service started by npm start", () => {
    assert.equal(DEFAULT_BASE_URL, "http://localhost:8000");
    assert.equal(readBaseUrl(envReader({})), "http://localhost:8000");
  });

  it("accepts http(s) URLs and drops a trailing slash", () => {
    assert.equal(readBaseUrl(envReader({ BASE_URL: "https://dev.example.com/" })), "https://dev.example.com");
    assert.equal(readBaseUrl(envReader({ BASE_URL: "http://127.0.0.1:9000" })), "http://127.0.0.1:9000");
    assert.equal(readBaseUrl(envReader({ BASE_URL: "https://example.com/prefix/" })), "https://example.com/prefix");
  });

  it("rejects anything else, naming BASE_URL", () => {
    for (const value of ["dev.example.com", "ftp://x", "https://", "https://x.com/?a=1", "http://a b"]) {
      assertEnvError(() => readBaseUrl(envReader({ BASE_URL: value })), ["BASE_URL"], /http:\/\/ or https:\/\/ URL/);
    }
  });
});
