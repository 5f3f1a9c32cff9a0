/* eslint-disable @typescript-eslint/no-explicit-any -- resources are fabricated from untyped props */
import assert from "node:assert/strict";
import { PolicyResource, unknownCheckingProxy } from "@pulumi/policy";
import { referring, relation, vpcsOf } from "../policy/lib/graph";
import { checkEach } from "../policy/lib/unknowns";
import { UNKNOWN } from "./policy-harness";

/** A resource as a stack policy sees it, its props behind Pulumi's unknown-checking proxy. */
function resource(name: string, type: string, props: Record<string, unknown>, propertyDependencies: Record<string, PolicyResource[]> = {}, parent?: PolicyResource): PolicyResource {
    return {
        type,
        name,
        urn: `urn:pulumi:test::p::${type}::${name}`,
        props: unknownCheckingProxy(props),
        opts: {} as any,
        dependencies: Object.values(propertyDependencies).flat(),
        propertyDependencies,
        parent,
        isType: () => false,
        asType: () => undefined,
    };
}

describe("policy pack: how a policy follows references when values may be unknown", () => {
    const bucket = resource("logs", "aws:s3/bucket:Bucket", { bucket: "logs-abc1234", id: "logs-abc1234" });
    const other = resource("other", "aws:s3/bucket:Bucket", { bucket: "other-def5678", id: "other-def5678" });
    const unknownBucket = resource("new", "aws:s3/bucket:Bucket", { bucket: "new-0a1b2c3", id: UNKNOWN });

    it("a known value names the target whose identity it equals, whatever the dependencies say", () => {
        assert.equal(relation(resource("p", "t", { bucket: "logs-abc1234" }), "bucket", [bucket], ["bucket", "id"]), "yes");
        assert.equal(relation(resource("p", "t", { bucket: "logs-abc1234" }, { bucket: [other] }), "bucket", [other], ["bucket", "id"]), "no");
    });

    it("an unknown value names the target it was computed from, and not one it was not computed from", () => {
        assert.equal(relation(resource("p", "t", { bucket: UNKNOWN }, { bucket: [unknownBucket] }), "bucket", [unknownBucket], ["id"]), "yes");
        assert.equal(relation(resource("p", "t", { bucket: UNKNOWN }, { bucket: [other] }), "bucket", [unknownBucket], ["id"]), "no");
    });

    it("an unknown value with no recorded source cannot be decided", () => {
        assert.equal(relation(resource("p", "t", { bucket: UNKNOWN }), "bucket", [bucket], ["bucket", "id"]), "unknown");
    });

    it("finding nothing certain while a candidate is undecided defers (Pulumi's unknown error), it does not report a missing resource", () => {
        const undecided = resource("p", "t", { bucket: UNKNOWN });
        assert.throws(() => referring([undecided], "bucket", [bucket], ["bucket", "id"]), /string value at \.bucket can't be known during preview/);
        const certain = resource("q", "t", { bucket: "logs-abc1234" });
        assert.deepEqual(referring([undecided, certain], "bucket", [bucket], ["bucket", "id"]), [certain]);
    });

    it("checkEach runs every check, then defers on the first unknown: a violation elsewhere is still reported", () => {
        const reported: string[] = [];
        assert.throws(
            () =>
                checkEach([unknownBucket, other], (b) => {
                    if (b.props.id !== "logs-abc1234") reported.push(b.name);
                }),
            /can't be known during preview/,
        );
        assert.deepEqual(reported, ["other"]);
    });

    it("an awsx VPC and the VPC resource it makes are one VPC; a VPC of its own is another", () => {
        const component = resource("main", "awsx:ec2:Vpc", { vpcId: "vpc-1" });
        const child = resource("main", "aws:ec2/vpc:Vpc", { id: "vpc-1" }, {}, component);
        const plain = resource("extra", "aws:ec2/vpc:Vpc", { id: "vpc-2" });
        assert.deepEqual(
            vpcsOf([component, child, plain]).map((vpc) => [vpc.resource.name, vpc.members.map((m) => m.type)]),
            [
                ["main", ["awsx:ec2:Vpc", "aws:ec2/vpc:Vpc"]],
                ["extra", ["aws:ec2/vpc:Vpc"]],
            ],
        );
    });
});
