/**
 * The running service: worker pool + Hono app + Node HTTP server, and its graceful shutdown.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { createApp } from "./app.js";
import type { ServiceConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { createPrimePool, type PrimePool } from "./pool.js";

export interface RunningService {
  /** The port actually bound (differs from config.port when that is 0). */
  port: number;
  server: Server;
  pool: PrimePool;
  /**
   * Stop accepting connections, let in-flight requests finish (answering them with
   * `Connection: close`), then stop the pool. Resolves to the process exit code: 0 when everything
   * drained in time, 1 when the drain timeout cut requests short. Later calls return the same promise.
   */
  shutdown(reason: string): Promise<number>;
}

export async function startService(config: ServiceConfig, logger: Logger): Promise<RunningService> {
  const pool = createPrimePool({ threads: config.workers, maxQueue: config.maxQueue, niceIncrement: config.workerNice });
  const app = createApp(config, { countPrimes: pool.countPrimes, logger });
  const handle = getRequestListener(app.fetch);

  let draining = false;
  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    res.once("close", () => inFlight--);
    // While draining, close each connection after its response so that the server can finish.
    if (draining) res.setHeader("Connection", "close");
    void handle(req, res);
  });
  // The ALB (idle timeout 60 s) reuses idle connections: if the service closed one first, the ALB
  // could send a request into a socket being closed and answer 502. So the service keeps idle
  // sockets longer than the ALB does, and waits for headers longer still.
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = Math.max(server.requestTimeout, config.headersTimeoutMs + 1_000);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: config.port, host: config.host }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(
    {
      port,
      host: config.host ?? "*",
      workers: config.workers,
      maxQueue: config.maxQueue,
      maxLimit: config.maxLimit,
      drainTimeoutMs: config.drainTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    },
    "listening",
  );

  let shutdownPromise: Promise<number> | undefined;
  const shutdown = (reason: string): Promise<number> => {
    shutdownPromise ??= (async () => {
      draining = true;
      const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
      server.closeIdleConnections();
      logger.info({ reason, inFlight, drainTimeoutMs: config.drainTimeoutMs }, "shutting down: draining requests");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), config.drainTimeoutMs);
      });
      const drained = await Promise.race([closed, timedOut]);
      clearTimeout(timer);
      if (drained) {
        await pool.close();
        logger.info({ reason }, "shut down cleanly");
        return 0;
      }
      logger.error({ reason, inFlight, drainTimeoutMs: config.drainTimeoutMs }, "drain timeout: closing remaining connections");
      server.closeAllConnections();
      await pool.destroy();
      return 1;
    })();
    return shutdownPromise;
  };

  return { port, server, pool, shutdown };
}
