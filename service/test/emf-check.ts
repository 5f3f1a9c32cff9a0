/**
 * Checks a document against the EMF specification: AWS's own JSON schema (fixtures/emf-schema.json,
 * copied from the page it names), plus what the schema cannot say and the specification does: every
 * name a directive uses is a member of the root, a string (at most 1024 characters) for a
 * dimension, a number for a metric; at most 100 metrics per directive.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import type { EmfDocument } from "../src/emf.js";
import { SERVICE_METRICS, SERVICE_METRIC_DIMENSIONS } from "../src/metric-names.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/emf-schema.json", import.meta.url), "utf8")) as {
  source: string;
  schema: object;
};
const validate = new Ajv({ allErrors: true }).compile(fixture.schema);

const UNITS = new Map<string, string>(Object.values(SERVICE_METRICS).map(({ name, unit }) => [name, unit]));

export function assertEmf(document: unknown): asserts document is EmfDocument {
  assert.ok(validate(document), `not EMF by ${fixture.source}: ${JSON.stringify(validate.errors)}`);
  const root = document as EmfDocument;
  for (const directive of root._aws.CloudWatchMetrics) {
    assert.ok(directive.Metrics.length <= 100, "at most 100 metrics per directive");
    for (const dimensionSet of directive.Dimensions) {
      for (const name of dimensionSet) {
        const value = root[name];
        assert.ok(typeof value === "string" && value.length <= 1024, `dimension ${name}: a string of at most 1024 characters on the root`);
      }
    }
    for (const { Name, Unit } of directive.Metrics) {
      assert.equal(typeof root[Name], "number", `metric ${Name}: a number on the root`);
      assert.equal(Unit, UNITS.get(Name), `metric ${Name}: the contract's unit`);
    }
  }
}

/** The service's own directive, checked for the contract's namespace and dimensions. */
export function serviceMetricsOf(document: EmfDocument, namespace: string) {
  assert.equal(document._aws.CloudWatchMetrics.length, 1);
  const [directive] = document._aws.CloudWatchMetrics;
  assert.equal(directive!.Namespace, namespace);
  assert.deepEqual(directive!.Dimensions, [[...SERVICE_METRIC_DIMENSIONS]]);
  return directive!.Metrics.map((m) => m.Name);
}
