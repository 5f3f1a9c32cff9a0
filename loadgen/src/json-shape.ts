/**
 * Reading JSON that another process wrote (a task's recorded metrics, coming back from S3): each reader checks one
 * value and throws a {@link FormatError} naming where it is (`segment.metrics["vus"].max`) and what is wrong with it.
 */

/** Recorded data that does not have the shape this version writes. */
export class FormatError extends Error {
    override name = "FormatError";
}

export type JsonObject = { readonly [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short rendering of a bad value for an error message. */
function show(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export function fail(where: string, expected: string, value: unknown): never {
    throw new FormatError(`${where}: expected ${expected}, got ${show(value)}`);
}

/** `where.key`, or `where["key"]` when the key is not a plain identifier (metric names with braces, colons). */
export function child(where: string, key: string | number): string {
    if (typeof key === "number") return `${where}[${key}]`;
    return /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

export function readObject(value: unknown, where: string): JsonObject {
    return isJsonObject(value) ? value : fail(where, "an object", value);
}

export function readArray(value: unknown, where: string): readonly unknown[] {
    return Array.isArray(value) ? value : fail(where, "an array", value);
}

export function readString(value: unknown, where: string): string {
    return typeof value === "string" ? value : fail(where, "a string", value);
}

export function readFinite(value: unknown, where: string): number {
    return typeof value === "number" && Number.isFinite(value) ? value : fail(where, "a finite number", value);
}

/** A whole number of things: 0, 1, 2 … */
export function readCount(value: unknown, where: string): number {
    const whole = typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
    return whole ? value : fail(where, "a whole number ≥ 0", value);
}

export function readInteger(value: unknown, where: string): number {
    return typeof value === "number" && Number.isSafeInteger(value) ? value : fail(where, "an integer", value);
}

/** An array, each item read by `readItem`. */
export function readList<T>(value: unknown, where: string, readItem: (item: unknown, where: string) => T): T[] {
    return readArray(value, where).map((item, i) => readItem(item, child(where, i)));
}

export function readFiniteArray(value: unknown, where: string): number[] {
    const items = readArray(value, where);
    const numbers = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) numbers[i] = readFinite(items[i], child(where, i));
    return numbers;
}

/** `[integer, number]` pairs, each read by `readSecond` (sparse buckets, per-second values). */
export function readPairs(
    value: unknown,
    where: string,
    readSecond: (value: unknown, where: string) => number,
): [number, number][] {
    return readArray(value, where).map((item, i) => {
        const at = child(where, i);
        const pair = readArray(item, at);
        if (pair.length !== 2) fail(at, "a pair [integer, number]", item);
        return [readInteger(pair[0], child(at, 0)), readSecond(pair[1], child(at, 1))];
    });
}
