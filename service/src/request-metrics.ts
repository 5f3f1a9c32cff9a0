/**
 * Counts the requests of each UTC minute for the service's own metrics (src/metric-names.ts) and
 * hands each minute over once it has ended: at the minute boundary (a timer), and the partial
 * current minute at stop(). Every minute from the one the recorder started in gets its stats,
 * idle ones too (zeros: "idle", not "no data").
 *
 * The hot path is a few increments and one store into a Float64Array (a request's latency); the
 * percentiles are exact, computed once a minute by sorting that minute's latencies.
 */
import type { MinuteStats } from "./emf.js";

export const MINUTE_MS = 60_000;

/** How a counted request ended: answered (status < 500), shed (the service's own 503) or error (any other 5xx). */
export type RequestOutcome = "answered" | "shed" | "error";

/** What the app reports of each counted request. */
export interface RequestRecorder {
  requestStarted(): void;
  requestFinished(outcome: RequestOutcome, durationMs: number): void;
}

export interface RequestMetricsOptions {
  /** Receives each minute's stats, oldest first. */
  emit: (stats: MinuteStats) => void;
  /** The most requests waiting for a worker thread since the last call (the pool's takeQueuePeak). */
  takeQueuePeak: () => number;
  /** Date.now unless a test says otherwise. */
  now?: () => number;
}

export function minuteStartOf(ms: number): number {
  return ms - (ms % MINUTE_MS);
}

/** The nearest-rank percentile of ascending values: the smallest value at or above p % of them. */
export function nearestRank(sorted: Float64Array, percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1]!;
}

const INITIAL_LATENCY_CAPACITY = 4096;

export class RequestMetrics implements RequestRecorder {
  private readonly emit: (stats: MinuteStats) => void;
  private readonly takeQueuePeak: () => number;
  private readonly now: () => number;
  private minuteStartMs: number;
  private answered = 0;
  private shed = 0;
  private errors = 0;
  private inFlight = 0;
  private inFlightMax = 0;
  /** This minute's latencies of answered requests: the first latencyCount entries. */
  private latencies = new Float64Array(INITIAL_LATENCY_CAPACITY);
  private latencyCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: RequestMetricsOptions) {
    this.emit = options.emit;
    this.takeQueuePeak = options.takeQueuePeak;
    this.now = options.now ?? Date.now;
    this.minuteStartMs = minuteStartOf(this.now());
  }

  requestStarted(): void {
    this.inFlight++;
    if (this.inFlight > this.inFlightMax) this.inFlightMax = this.inFlight;
  }

  requestFinished(outcome: RequestOutcome, durationMs: number): void {
    // A request belongs to the minute it finished in, even when the timer has not fired yet.
    this.flushEndedMinutes();
    this.inFlight--;
    if (outcome === "answered") {
      this.answered++;
      this.recordLatency(durationMs);
    } else if (outcome === "shed") this.shed++;
    else this.errors++;
  }

  /** Emits every minute that has ended (idle ones included) and starts counting the current one. */
  flushEndedMinutes(): void {
    const now = this.now();
    while (now >= this.minuteStartMs + MINUTE_MS) this.closeMinute();
  }

  /** Emits each minute at its end from now on, by a timer that does not keep the process alive. */
  start(): void {
    if (this.stopped) return;
    const untilNextMinute = Math.max(0, this.minuteStartMs + MINUTE_MS - this.now());
    this.timer = setTimeout(() => {
      this.flushEndedMinutes();
      this.start();
    }, untilNextMinute);
    this.timer.unref();
  }

  /** Emits the minutes not emitted yet, the partial current one last; nothing more after that. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.flushEndedMinutes();
    this.emit(this.minuteStats());
  }

  private recordLatency(durationMs: number): void {
    if (this.latencyCount === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.latencyCount++] = durationMs;
  }

  private closeMinute(): void {
    this.emit(this.minuteStats());
    this.answered = 0;
    this.shed = 0;
    this.errors = 0;
    this.latencyCount = 0;
    // Requests still in the service at the boundary are in the next minute too.
    this.inFlightMax = this.inFlight;
    this.minuteStartMs += MINUTE_MS;
  }

  private minuteStats(): MinuteStats {
    const latencies = this.latencies.subarray(0, this.latencyCount).sort();
    return {
      minuteStartMs: this.minuteStartMs,
      answered: this.answered,
      shed: this.shed,
      errors: this.errors,
      queueMax: this.takeQueuePeak(),
      inFlightMax: this.inFlightMax,
      latency:
        latencies.length === 0
          ? undefined
          : { p50: nearestRank(latencies, 50), p99: nearestRank(latencies, 99), max: latencies[latencies.length - 1]! },
    };
  }
}
