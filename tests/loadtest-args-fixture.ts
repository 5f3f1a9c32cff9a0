import * as assert from "node:assert/strict";
import { UsageError, parseInvocation } from "../scripts/loadtest/args";

/** A command line npm run loadtest refuses, and its message: exactly (a string) or by pattern. */
export type Refusal = [argv: string[], message: string | RegExp];

/** One test per command line: parseInvocation throws a UsageError with that message. */
export function itRefusesEach(refusals: readonly Refusal[]): void {
    for (const [argv, message] of refusals) {
        it(`refuses ${JSON.stringify(argv.join(" "))}`, () => {
            assert.throws(
                () => parseInvocation(argv),
                (error: unknown) => {
                    assert.ok(error instanceof UsageError);
                    if (typeof message === "string") assert.equal(error.message, message);
                    else assert.match(error.message, message);
                    return true;
                },
            );
        });
    }
}
