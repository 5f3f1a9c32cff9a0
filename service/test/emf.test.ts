import assert from "node:assert/strict";
import type { MetricsTarget } from "../src/config.js";
import { emfDocument, type MinuteStats } from "../src/emf.js";
import { SERVICE_METRICS } from "../src/metric-names.js";
import { assertEmf, serviceMetricsOf } from "./emf-check.js";

const TARGET: MetricsTarget = { namespace: "ecs-loadlab/Service", clusterName: "ecs-loadlab-dev", serviceName: "prime-counter" };
const MINUTE = Date.UTC(2026, 0, 2, 3, 4);

const busy: MinuteStats = {
  minuteStartMs: MINUTE,
  answered: 120,
  shed: 7,
  errors: 1,
  queueMax: 31,
  inFlightMax: 40,
  latency: { p50: 12.3456789, p99: 250.5, max: 1_002.25 },
};
const idle: MinuteStats = { minuteStartMs: MINUTE, answered: 0, shed: 0, errors: 0, queueMax: 0, inFlightMax: 0, latency: undefined };

describe("service: a minute's metrics as an EMF document", () => {
  it("is EMF by AWS's schema, every metric on the root with the contract's unit, stamped with the minute's start", () => {
    const document = emfDocument(busy, TARGET);
    assertEmf(document);
    assert.deepEqual(serviceMetricsOf(document, TARGET.namespace), Object.values(SERVICE_METRICS).map((m) => m.name));
    assert.equal(document._aws.Timestamp, MINUTE);
    const { _aws, ...members } = document;
    assert.deepEqual(
      members,
      {
        ClusterName: "ecs-loadlab-dev",
        ServiceName: "prime-counter",
        Answered: 120,
        Shed: 7,
        Errors: 1,
        QueueMax: 31,
        InFlightMax: 40,
        LatencyP50: 12.346,
        LatencyP99: 250.5,
        LatencyMax: 1_002.25,
      },
    );
  });

  it("reports an idle minute as zeros, and no latency at all rather than a made-up 0", () => {
    const document = emfDocument(idle, TARGET);
    assertEmf(document);
    assert.deepEqual(serviceMetricsOf(document, TARGET.namespace), ["Answered", "Shed", "Errors", "QueueMax", "InFlightMax"]);
    for (const name of ["LatencyP50", "LatencyP99", "LatencyMax"]) assert.ok(!(name in document), name);
    assert.deepEqual([document.Answered, document.Shed, document.Errors, document.QueueMax, document.InFlightMax], [0, 0, 0, 0, 0]);
  });

  it("the check itself refuses what the specification forbids", () => {
    const broken = (change: (d: Record<string, unknown> & ReturnType<typeof emfDocument>) => void) => {
      const document = structuredClone(emfDocument(busy, TARGET));
      change(document);
      return () => assertEmf(document);
    };
    assert.throws(broken((d) => (d._aws.Timestamp = MINUTE + 0.5)), /not EMF/);
    assert.throws(broken((d) => (d._aws.CloudWatchMetrics[0]!.Metrics[0]!.Unit = "Requests")), /not EMF/);
    assert.throws(broken((d) => delete d.ServiceName), /dimension ServiceName/);
    assert.throws(broken((d) => (d.Answered = "120")), /metric Answered/);
  });
});
