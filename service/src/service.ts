/**
 * The running service: worker pool + Hono app + Node HTTP server, and its graceful shutdown.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { createApp } from "./app.js";
import type { MetricsTarget, ServiceConfig } from "./config.js";
import { emfDocument } from "./emf.js";
import type { Logger } from "./logger.js";
import { createPrimePool, type PrimePool } from "./pool.js";
import { RequestMetrics } from "./request-metrics.js";

export interface RunningService {
  /** The port actually bound (differs from config.port when that is 0). */
  port: number;
  server: Server;
  pool: PrimePool;
  /**
   * Stop accepting connections, answer the requests in flight (with `Connection: close`), close
   * each connection as soon as it has nothing in flight, then stop the pool and write the metrics'
   * last, partial minute (when they are on). Resolves to the process exit code once the last
   * connection has closed: 0, or 1 when the drain timeout cut a request short. Later calls return
   * the same promise.
   */
  shutdown(reason: string): Promise<number>;
}

/**
 * Writes one EMF line a minute (src/emf.ts) through the logger, so that the lines share stdout with
 * the logs, in order; its own level keeps them coming when LOG_LEVEL quiets the logs.
 */
function requestMetrics(target: MetricsTarget, pool: PrimePool, logger: Logger): RequestMetrics {
  const metricsLog = logger.child({}, { level: "info" });
  return new RequestMetrics({
    takeQueuePeak: pool.takeQueuePeak,
    emit: (stats) => metricsLog.info(emfDocument(stats, target), "metrics"),
  });
}

/** The service could not listen where it was told to; the message says what to change. */
export class ListenError extends Error {
  override readonly name = "ListenError";
}

/** Node's listen errors a user causes, in their terms (the others stay as they are). */
function listenError(err: NodeJS.ErrnoException, config: ServiceConfig): Error {
  const address = config.host === undefined ? `port ${config.port}` : `${config.host} port ${config.port}`;
  const otherPort = config.port === 65_535 ? 8000 : config.port + 1;
  switch (err.code) {
    case "EADDRINUSE":
      return new ListenError(
        `${address} is already in use (another \`npm start\`?): stop the process that holds it (\`lsof -i :${config.port}\` names it), or choose another port, e.g. PORT=${otherPort} npm start`,
      );
    case "EACCES":
      return new ListenError(`no permission to listen on ${address} (ports below 1024 need privileges): choose another port, e.g. PORT=8000 npm start`);
    case "EADDRNOTAVAIL":
      return new ListenError(`HOST=${config.host} is not an address of this machine: unset HOST to listen on every interface, or give one of its addresses, e.g. HOST=127.0.0.1`);
    default:
      return err;
  }
}

export async function startService(config: ServiceConfig, logger: Logger): Promise<RunningService> {
  const pool = createPrimePool({
    threads: config.workers,
    maxQueue: config.maxQueue,
    niceIncrement: config.workerNice,
    onWorkerExit: (event) => logger.error(event, "worker thread stopped; a new one replaces it"),
  });
  const { nice } = await pool.ready;
  if ("notApplied" in nice) logger.warn({ workerNice: config.workerNice, reason: nice.notApplied }, "worker threads run at normal priority");
  const metrics = config.metrics && requestMetrics(config.metrics, pool, logger);
  const app = createApp(config, { countPrimes: pool.countPrimes, logger, metrics });
  const handle = getRequestListener(app.fetch);

  // Requests in flight: each response not yet finished, with its handler (which logs the request),
  // so that a drain can tell each response to close its connection and await a cut one's log line.
  const unfinished = new Map<ServerResponse, Promise<void>>();
  let draining = false;
  const server = createServer((req, res) => {
    if (draining) res.setHeader("Connection", "close");
    unfinished.set(res, handle(req, res));
    res.once("close", () => unfinished.delete(res));
  });
  // The ALB (idle timeout 60 s) reuses idle connections: if the service closed one first, the ALB
  // could send a request into a socket being closed and answer 502. So the service keeps idle
  // sockets longer than the ALB does, and waits for headers longer still.
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = Math.max(server.requestTimeout, config.headersTimeoutMs + 1_000);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: config.port, host: config.host }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    await pool.destroy();
    throw listenError(err as NodeJS.ErrnoException, config);
  }
  metrics?.start();
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
      metricsNamespace: config.metrics?.namespace,
    },
    "listening",
  );

  let shutdownPromise: Promise<number> | undefined;
  const shutdown = (reason: string): Promise<number> => {
    shutdownPromise ??= (async () => {
      draining = true;
      // Every response still to be written closes its connection once sent (the request may
      // have arrived before the drain began); connections with no request in flight close now
      // (server.close() closes idle connections since Node 19), and no new ones are accepted.
      // (Headers already sent mean the response is being written in full: this service's
      // answers are a few hundred bytes, written with their headers in one go.)
      for (const res of unfinished.keys()) if (!res.headersSent) res.setHeader("Connection", "close");
      const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
      logger.info({ reason, inFlight: unfinished.size, drainTimeoutMs: config.drainTimeoutMs }, "shutting down: draining requests");
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), config.drainTimeoutMs);
      });
      const drained = await Promise.race([closed, timedOut]);
      clearTimeout(timer);
      if (drained) {
        await pool.close();
        metrics?.stop(); // the partial last minute
        logger.info({ reason }, "shut down cleanly");
        return 0;
      }
      // Only a request still unanswered makes this a failure; a connection that never finished
      // sending one is closed without one.
      const cut = [...unfinished.values()];
      if (cut.length > 0) logger.error({ reason, inFlight: cut.length, drainTimeoutMs: config.drainTimeoutMs }, "drain timeout: cutting requests still in flight");
      else logger.warn({ reason, drainTimeoutMs: config.drainTimeoutMs }, "drain timeout: closing connections with no request in flight");
      server.closeAllConnections();
      await pool.destroy();
      await Promise.allSettled(cut); // each cut request still gets its log line
      metrics?.stop();
      return cut.length > 0 ? 1 : 0;
    })();
    return shutdownPromise;
  };

  return { port, server, pool, shutdown };
}
