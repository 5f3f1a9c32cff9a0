import * as assert from "node:assert/strict";
import { ConfigError, parseStackConfig } from "../config";

/** The problems a stack config is refused for, one line each; fails when it is accepted. */
export function configProblems(raw: Record<string, unknown>): string[] {
    try {
        parseStackConfig(raw, "test config");
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        assert.equal(error.message, `Invalid stack configuration (test config):\n${error.problems.map((p) => `  - ${p}`).join("\n")}`);
        return error.problems;
    }
    return assert.fail("the config was accepted");
}
