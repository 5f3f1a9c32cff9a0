/**
 * The HTTP API as a Hono app, built from typed config and a prime-counting function.
 * No sockets, threads or process state here: tests drive it with `app.request()`, with the real
 * worker pool or a stand-in; src/service.ts puts it behind a Node HTTP server.
 */
import { Hono, type Context } from "hono";
import type { Logger } from "pino";
import { PoolClosedError, QueueFullError, type CountPrimes } from "./pool.js";
import type { RequestOutcome, RequestRecorder } from "./request-metrics.js";

export interface AppConfig {
  /** The largest limit accepted by /api/count-prime/:limit. */
  maxLimit: number;
  /** Log /api/health requests too (off by default). */
  logHealthChecks: boolean;
}

export interface AppDeps {
  /** Where the prime counting runs: the worker pool in production. */
  countPrimes: CountPrimes;
  logger: Logger;
  /** Counts the requests for the service's own metrics (src/request-metrics.ts); absent when they are off. */
  metrics?: RequestRecorder;
}

/** `shed`: set on the 503 the service answers when it refuses work (queue full, shutting down). */
type AppEnv = { Variables: { shed: boolean } };

/** Seconds a client is told to wait after a 503. */
export const RETRY_AFTER_SECONDS = 1;
/** Longer path segments are refused before any parsing (a safe integer has at most 16 digits). */
export const MAX_LIMIT_SEGMENT_LENGTH = 32;
const LOGGED_PATH_LENGTH = 256;
const ALLOWED_METHODS = "GET, HEAD";

export type ParsedLimit = { ok: true; limit: number } | { ok: false; error: string };

/** Accepts decimal digits only (leading zeros allowed), from 0 to maxLimit. */
export function parseLimit(raw: string, maxLimit: number): ParsedLimit {
  const rule = `limit must be an integer from 0 to ${maxLimit}, written with the digits 0-9 only (no sign, decimal point, exponent or spaces)`;
  if (raw.length > MAX_LIMIT_SEGMENT_LENGTH) {
    return { ok: false, error: `${rule}; got ${raw.length} characters` };
  }
  if (!/^[0-9]+$/.test(raw)) {
    return { ok: false, error: `${rule}; got ${JSON.stringify(raw)}` };
  }
  const limit = Number(raw);
  if (!(limit <= maxLimit)) {
    return { ok: false, error: `${rule}; ${raw.replace(/^0+(?=.)/, "")} is above the maximum (MAX_LIMIT)` };
  }
  return { ok: true, limit };
}

/** The load balancer's health checks, which the metrics leave out (as its RequestCount does). */
function isHealthCheck(method: string, path: string): boolean {
  return path === "/api/health" && (method === "GET" || method === "HEAD");
}

function outcomeOf(status: number, shed: boolean): RequestOutcome {
  if (status < 500) return "answered";
  return shed ? "shed" : "error";
}

function methodNotAllowed(c: Context) {
  c.header("Allow", ALLOWED_METHODS);
  return c.json({ error: `method ${c.req.method} not allowed; use ${ALLOWED_METHODS}` }, 405);
}

export function createApp(config: AppConfig, deps: AppDeps): Hono<AppEnv> {
  const { countPrimes, logger, metrics } = deps;
  const app = new Hono<AppEnv>();

  // One log line per request (health checks only when asked), written once the response is known;
  // at LOG_LEVEL=debug also one when the request arrives. Every request but a health check is
  // counted for the metrics, with the same duration.
  app.use(async (c, next) => {
    const start = performance.now();
    const { method, path } = c.req;
    const recorder = isHealthCheck(method, path) ? undefined : metrics;
    const logged = config.logHealthChecks || path !== "/api/health";
    const request = {
      method,
      path: path.length > LOGGED_PATH_LENGTH ? `${path.slice(0, LOGGED_PATH_LENGTH)}…` : path,
    };
    recorder?.requestStarted();
    if (logged) logger.debug(request, "request started");
    await next();
    const durationMs = performance.now() - start;
    const status = c.res.status;
    recorder?.requestFinished(outcomeOf(status, c.get("shed") === true), durationMs);
    if (!logged) return;
    const line = { ...request, status, durationMs: Math.round(durationMs * 1000) / 1000 };
    if (status >= 500) logger.warn(line, "request");
    else logger.info(line, "request");
  });

  app.get("/api/health", (c) => c.json({ status: "ok" }));
  app.all("/api/health", methodNotAllowed);

  const missingLimit = (c: Context) =>
    c.json({ error: `missing limit: use /api/count-prime/<limit>, an integer from 0 to ${config.maxLimit}` }, 400);
  app.get("/api/count-prime", missingLimit);
  app.get("/api/count-prime/", missingLimit);
  app.all("/api/count-prime", methodNotAllowed);
  app.all("/api/count-prime/", methodNotAllowed);

  app.get("/api/count-prime/:limit", async (c) => {
    const parsed = parseLimit(c.req.param("limit"), config.maxLimit);
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const { limit } = parsed;
    try {
      const { result, durationSeconds } = await countPrimes(limit);
      return c.json({ limit, result, durationSeconds });
    } catch (err) {
      if (err instanceof QueueFullError || err instanceof PoolClosedError) {
        c.set("shed", true);
        c.header("Retry-After", String(RETRY_AFTER_SECONDS));
        return c.json({ error: `${err.message}; retry after ${RETRY_AFTER_SECONDS} s` }, 503);
      }
      throw err;
    }
  });
  app.all("/api/count-prime/:limit", methodNotAllowed);

  app.notFound((c) =>
    c.json({ error: "not found; the routes are GET /api/health and GET /api/count-prime/:limit" }, 404),
  );

  app.onError((err, c) => {
    logger.error({ err, method: c.req.method, path: c.req.path.slice(0, LOGGED_PATH_LENGTH) }, "unhandled error");
    return c.json({ error: "internal error" }, 500);
  });

  return app;
}
