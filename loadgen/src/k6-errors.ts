/**
 * What k6 itself says when something goes wrong, as a task reads it: its exit codes, the lines it logs, and the tags
 * of a failed request's samples. A task keeps the first of each (SegmentResult's firstErrors), so that the command
 * can name why a segment failed without anyone opening its result.
 */
import type { JsonObject } from "./json-shape";

/**
 * k6's exit codes and their names (errext/exitcodes/codes.go in grafana/k6, the same in v1 and v2); k6 exits 0 when
 * the test ran to its end, and gives no code of its own when a signal killed it.
 */
export const K6_EXIT_CODES: { readonly [code: number]: string } = {
    97: "CloudTestRunFailed",
    98: "CloudFailedToGetProgress",
    99: "ThresholdsHaveFailed",
    100: "SetupTimeout: setup() ran past its timeout",
    101: "TeardownTimeout: teardown() ran past its timeout",
    102: "GenericTimeout",
    103: "ScriptStoppedFromRESTAPI",
    104: "InvalidConfig",
    105: "ExternalAbort: stopped by a signal",
    106: "CannotStartRESTAPI",
    107: "ScriptException: the script threw an exception",
    108: "ScriptAborted: the script called test.abort()",
    109: "GoPanic",
    110: "MarkedAsFailed: the script called test.fail()",
};

/** "k6 exited with code 108 (ScriptAborted: the script called test.abort())" */
export function describeK6ExitCode(code: number): string {
    const name = K6_EXIT_CODES[code];
    return `k6 exited with code ${code}${name !== undefined ? ` (${name})` : ""}`;
}

/** logrus's levels for what stopped a test or broke an iteration (k6 logs a failed request as a warning). */
const ERROR_LEVELS: ReadonlySet<string> = new Set(["error", "fatal", "panic"]);

/**
 * What a line of k6's log says went wrong, when it is logged at an error level: the first line of its `msg`, and its
 * `error` field when it has one; undefined for any other line. With its stderr not a terminal, as under the runner,
 * k6 logs in logrus's text format (internal/cmd/root.go), each value quoted as Go's %q when it needs quotes. The line
 * of a test.abort() in setup() (internal/js/modules/k6/execution, errext.AbortTest), which ends k6 with 108:
 *
 *   time="2026-11-30T12:00:01Z" level=error msg="test aborted: http://127.0.0.1:8000 did not answer at setup (file:///k6/smoke.ts:31:14(52))"
 */
export function k6LogError(line: string): string | undefined {
    const fields = logfmtFields(line);
    if (!ERROR_LEVELS.has(fields.get("level") ?? "")) return undefined;
    const said = [fields.get("msg")?.split("\n")[0], fields.get("error")].filter((part) => part !== undefined && part !== "");
    return said.length > 0 ? said.join(": ") : line;
}

/** `key=value key="quoted \"value\""`: each key's value, unquoted; none when the line does not start with one. */
function logfmtFields(line: string): Map<string, string> {
    const fields = new Map<string, string>();
    if (!/^[\w.-]+=/.test(line)) return fields;
    for (const match of line.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) fields.set(match[1], unquote(match[2]));
    return fields;
}

/** Go's %q is JSON's quoting but for a few escapes (\x, \a, \v): those values are kept as written. */
function unquote(value: string): string {
    if (!value.startsWith('"')) return value;
    try {
        return JSON.parse(value) as string;
    } catch {
        return value.slice(1, -1);
    }
}

/**
 * A failed request (its http_req_failed sample is 1), from its samples' tags (lib/netext/httpext/transport.go,
 * measureAndEmitMetrics): one that got no response has `error`, k6's message for it, and `error_code`, k6's code
 * (https://grafana.com/docs/k6/latest/javascript-api/error-codes/: 1211 a dial timeout, 1212 connection refused, ...),
 * with status "0"; one answered with a status of 400 or more has `error_code` 1000 + the status and no `error`.
 *
 *   GET http://127.0.0.1:8000/api/health: dial: connection refused (k6 error code 1212)
 *   GET http://127.0.0.1:8000/api/health: status 503
 */
export function describeFailedRequest(tags: JsonObject): string {
    const text = (name: string) => (typeof tags[name] === "string" && tags[name] !== "" ? tags[name] : undefined);
    const request = [text("method"), text("url") ?? text("name")].filter((part) => part !== undefined).join(" ");
    const error = text("error");
    const code = text("error_code");
    const what = error !== undefined ? `${error}${code !== undefined ? ` (k6 error code ${code})` : ""}` : `status ${text("status") ?? "unknown"}`;
    return request !== "" ? `${request}: ${what}` : what;
}
