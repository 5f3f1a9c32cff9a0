/**
 * A file's (or an object's) JSON text checked against a zod schema, for the tools that read what another command
 * wrote: the value, or a message that names the source, what it should have been, its first problems by path, and
 * what to pass instead. Each tool throws the message as its own kind of error.
 */
import { z } from "zod";

/** The problems a message lists at most: the first few say what is wrong; a hundred would hide it. */
const PROBLEMS_LISTED = 5;

export interface JsonTextExpectation {
    /** What the text should be, after "is not": e.g. "a timeline (as timeline simulate/observe --json write it)". */
    what: string;
    /** What to pass instead: e.g. "pass a file written by timeline calibrate --out". */
    hint: string;
}

/** `value` is what the schema returns (unknown keys dropped); `json`, the text as it was, every key kept. */
export type JsonTextParse<T> = { ok: true; value: T; json: unknown } | { ok: false; message: string };

export function parseJsonText<T>(text: string, source: string, schema: z.ZodType<T>, { what, hint }: JsonTextExpectation): JsonTextParse<T> {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (error) {
        return { ok: false, message: `${source} is not JSON (${error instanceof Error ? error.message : String(error)}): ${hint}` };
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return { ok: true, value: parsed.data, json };
    const problems = parsed.error.issues.slice(0, PROBLEMS_LISTED).map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`);
    return { ok: false, message: `${source} is not ${what}:\n  - ${problems.join("\n  - ")}\n${hint}` };
}
