/**
 * Reading `-e NAME=value` overrides: k6 durations, numbers and URLs, validated at init.
 *
 * Plain TypeScript with no k6 or Node imports, so k6 (which strips the types) and mocha (through tsx)
 * load the same file. Every other module in lib/ receives an {@link EnvReader} instead of reading
 * `__ENV` itself: the scripts build one from `__ENV`, the tests from a plain object.
 *
 * A value that is set but wrong throws an {@link EnvError} naming the `-e` variable and what it
 * accepts, so a typo fails the run at init instead of silently running the default profile.
 * An empty value (`-e USERS=`) counts as unset.
 */

/** The environment as k6 exposes it in `__ENV` (or any plain object in tests). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Bounds for a numeric variable; both inclusive. */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
  /** Only whole numbers. */
  readonly integer?: boolean;
}

/** Typed, validated access to `-e` variables. Every method returns `fallback` when the variable is unset. */
export interface EnvReader {
  /** The raw value, or undefined when unset or empty. */
  raw(name: string): string | undefined;
  string(name: string, fallback: string): string;
  number(name: string, fallback: number, bounds?: NumberBounds): number;
  /** A k6 duration ("90s", "5m", "1h30m", "500ms") in seconds; `fallback` uses the same syntax. */
  duration(name: string, fallback: string, bounds?: { readonly min?: number }): number;
  /** An http(s) URL without a trailing slash. */
  url(name: string, fallback: string): string;
  /** Throws an {@link EnvError} for a rule that spans several variables (e.g. LIMIT_MIN ≤ LIMIT_MAX). */
  reject(names: readonly string[], message: string): never;
}

/** A `-e` variable with a value the scripts cannot use. */
export class EnvError extends Error {
  // `declare`: a type-only field, so no class-field syntax reaches k6's runtime.
  declare readonly variables: readonly string[];

  constructor(variables: readonly string[], message: string) {
    super(message);
    this.name = "EnvError";
    this.variables = variables;
  }
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1, ms: 0.001 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a k6 duration into seconds, the way k6 reads `duration` options: one or more
 * number-and-unit parts (h, m, s, ms), e.g. "30s", "5m", "1h", "1h30m", "1.5s", "250ms"; "0" alone
 * is zero. Returns undefined for anything else, including negative durations.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === "0") return 0;
  if (!DURATION.test(value)) return undefined;
  let seconds = 0;
  DURATION_PART.lastIndex = 0;
  for (let match = DURATION_PART.exec(value); match !== null; match = DURATION_PART.exec(value)) {
    seconds += Number(match[1]) * UNIT_SECONDS[match[2]];
  }
  return Math.round(seconds * 1000) / 1000;
}

function describeBounds(bounds: NumberBounds): string {
  const kind = bounds.integer ? "a whole number" : "a number";
  const { min, max } = bounds;
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

/** Builds an {@link EnvReader} over `source` (in a k6 script: `envReader(__ENV)`). */
export function envReader(source: EnvSource): EnvReader {
  const raw = (name: string): string | undefined => {
    const value = source[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === "" ? undefined : trimmed;
  };
  const fail = (name: string, value: string, expected: string, fallback: string): never => {
    throw new EnvError([name], `-e ${name}=${JSON.stringify(value)} is invalid: expected ${expected} (default ${fallback})`);
  };

  return {
    raw,
    string(name, fallback) {
      return raw(name) ?? fallback;
    },
    number(name, fallback, bounds = {}) {
      const value = raw(name);
      if (value === undefined) return fallback;
      const parsed = DECIMAL.test(value) ? Number(value) : Number.NaN;
      const ok =
        Number.isFinite(parsed) &&
        (!bounds.integer || Number.isSafeInteger(parsed)) &&
        (bounds.min === undefined || parsed >= bounds.min) &&
        (bounds.max === undefined || parsed <= bounds.max);
      return ok ? parsed : fail(name, value, describeBounds(bounds), String(fallback));
    },
    duration(name, fallback, bounds = {}) {
      const value = raw(name);
      const min = bounds.min ?? 0;
      const expected =
        `a k6 duration such as 30s, 5m, 1h or 1h30m` + (min > 0 ? ` of at least ${min}s` : "");
      if (value === undefined) {
        const parsed = parseDuration(fallback);
        if (parsed === undefined) throw new RangeError(`default for ${name} is not a duration: ${fallback}`);
        return parsed;
      }
      const parsed = parseDuration(value);
      return parsed !== undefined && parsed >= min ? parsed : fail(name, value, expected, fallback);
    },
    url(name, fallback) {
      const value = raw(name) ?? fallback;
      if (!/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/.test(value)) {
        fail(name, value, "an http:// or https:// URL such as https://dev.example.com (no query string)", fallback);
      }
      return value.replace(/\/+$/, "");
    },
    reject(names, message) {
      throw new EnvError(names, message);
    },
  };
}

/** Where the service listens when started with `npm start`. */
export const DEFAULT_BASE_URL = "http://localhost:8000";

/** BASE_URL: the service to load, e.g. `-e BASE_URL=https://dev.example.com` (trailing slash dropped). */
export function readBaseUrl(env: EnvReader): string {
  return env.url("BASE_URL", DEFAULT_BASE_URL);
}
