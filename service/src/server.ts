/**
 * Entry point (built to dist/server.js: `npm start`, the container's CMD, and the real-server tests).
 * Reads the environment once, starts the service, and turns SIGTERM/SIGINT into a graceful drain.
 */
import { ConfigError, loadConfig, type ServiceConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { ListenError, startService, type RunningService } from "./service.js";

let config: ServiceConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`prime-counter: ${err.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);

process.on("uncaughtException", (err) => {
  logger.fatal({ err }, "uncaught exception");
  process.exit(1);
});
process.on("unhandledRejection", (err) => {
  logger.fatal({ err }, "unhandled rejection");
  process.exit(1);
});

let service: RunningService;
try {
  service = await startService(config, logger);
} catch (err) {
  if (!(err instanceof ListenError)) throw err;
  process.stderr.write(`prime-counter: ${err.message}\n`);
  process.exit(1);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    // A second signal (Ctrl-C reaches both npm and node) changes nothing: the drain is under way.
    void service.shutdown(signal).then((code) => process.exit(code));
  });
}
