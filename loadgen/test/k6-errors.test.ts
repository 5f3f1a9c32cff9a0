import * as assert from "node:assert/strict";
import { K6_EXIT_CODES, describeFailedRequest, describeK6ExitCode, k6LogError } from "../src/k6-errors";

describe("what k6 says when something goes wrong (k6-errors.ts)", () => {
    it("names an exit code by k6's own name, and says what it means where that is not plain", () => {
        assert.equal(describeK6ExitCode(108), "k6 exited with code 108 (ScriptAborted: the script called test.abort())");
        assert.equal(describeK6ExitCode(104), "k6 exited with code 104 (InvalidConfig)");
        assert.equal(describeK6ExitCode(255), "k6 exited with code 255");
        // errext/exitcodes/codes.go: 97 to 110, one after the other.
        assert.deepEqual(Object.keys(K6_EXIT_CODES).map(Number), Array.from({ length: 14 }, (_, index) => 97 + index));
    });

    describe("k6LogError: a line of k6's log (logrus's text format) at an error level", () => {
        const lines: [string, string, string | undefined][] = [
            [
                "a test.abort() in setup()",
                'time="2026-11-30T12:00:01Z" level=error msg="test aborted: http://127.0.0.1:8000 did not answer: start the service at setup (file:///k6/smoke.ts:31:14(52))"',
                "test aborted: http://127.0.0.1:8000 did not answer: start the service at setup (file:///k6/smoke.ts:31:14(52))",
            ],
            [
                "an exception: its stack trace's first line",
                'time="2026-11-30T12:00:01Z" level=error msg="TypeError: Cannot read property \'body\' of undefined\\n\\tat default (file:///k6/load.ts:40:9(21))\\n" source=stacktrace',
                "TypeError: Cannot read property 'body' of undefined",
            ],
            [
                "a message with an error field, quotes escaped",
                'time="2026-11-30T12:00:01Z" level=error msg="failed to handle the end-of-test summary" error="open \\"/out/summary.json\\": permission denied"',
                'failed to handle the end-of-test summary: open "/out/summary.json": permission denied',
            ],
            ["fatal, without a time", 'level=fatal msg="unexpected k6 panic"', "unexpected k6 panic"],
            ["a failed request's warning: not an error", 'time="2026-11-30T12:00:01Z" level=warning msg="Request Failed" error="Get \\"http://127.0.0.1:8000/api/health\\": dial tcp 127.0.0.1:8000: connect: connection refused"', undefined],
            ["an info line", 'time="2026-11-30T12:00:01Z" level=info msg="ready" source=console', undefined],
            ["what handleSummary prints", "  ✓ http_req_duration{name:health} p(99)<1000", undefined],
            ["a line that only says level=error somewhere (k6's stdout)", "     execution: local  level=error", undefined],
        ];
        for (const [what, line, expected] of lines) it(what, () => assert.equal(k6LogError(line), expected));
    });

    describe("describeFailedRequest: a failed request from its samples' tags", () => {
        const url = "http://127.0.0.1:8000/api/health";
        it("no response: k6's error and its code (a refused connection, a dial timeout)", () => {
            assert.equal(describeFailedRequest({ method: "GET", url, status: "0", error: "dial: connection refused", error_code: "1212" }), `GET ${url}: dial: connection refused (k6 error code 1212)`);
            assert.equal(describeFailedRequest({ method: "POST", url, status: "0", error: "dial: i/o timeout", error_code: "1211" }), `POST ${url}: dial: i/o timeout (k6 error code 1211)`);
        });
        it("a response with an unexpected status (error_code 1000 + the status, no error)", () => {
            assert.equal(describeFailedRequest({ method: "GET", url, status: "503", error_code: "1503" }), `GET ${url}: status 503`);
        });
        it("a tag left out (system tags turned off): what there is", () => {
            assert.equal(describeFailedRequest({ name: "health", error: "request timeout" }), "health: request timeout");
            assert.equal(describeFailedRequest({}), "status unknown");
        });
    });
});
