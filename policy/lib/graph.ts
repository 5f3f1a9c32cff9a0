import { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { asList } from "./documents";
import { peek } from "./unknowns";

/** Resource types by token: the stack policies filter on them (awsx's component has no class the pack needs). */
export const TYPES = {
    awsxVpc: "awsx:ec2:Vpc",
    vpc: "aws:ec2/vpc:Vpc",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
} as const;

/** The stack's resources of the given types; a stack without any makes the policy not applicable (and says why). */
export function subjects(args: StackValidationArgs, what: string, ...types: string[]): PolicyResource[] {
    const found = ofTypes(args.resources, ...types);
    if (found.length === 0) args.notApplicable(`the stack has no ${what}`);
    return found;
}

export const ofTypes = (resources: PolicyResource[], ...types: string[]) => resources.filter((r) => types.includes(r.type));

/**
 * Whether `resource.props[property]` names one of `targets`. A known value decides by comparing it with the targets'
 * `identities` (their id, ARN, name…); an unknown one by the engine's record of which resources the property was
 * computed from, which preview has even for resources not yet created: computed from a target, it names it; computed
 * only from other resources, it cannot. "unknown" means neither can tell (an unknown value with no recorded source).
 */
export function relation(
    resource: PolicyResource,
    property: string,
    targets: PolicyResource[],
    identities: string[],
    pick: (propertyValue: any) => unknown = (v) => v, // eslint-disable-line @typescript-eslint/no-explicit-any -- resource props are untyped engine data
): "yes" | "no" | "unknown" {
    const value = peek(() => pick(resource.props[property]));
    if (value.known) {
        if (value.value === undefined) return "no";
        const known = targets.flatMap((t) => identities.map((key) => peek(() => t.props[key] as unknown))).filter((v) => v.known);
        if (known.length > 0) return known.some((v) => v.known && v.value === value.value) ? "yes" : "no";
    }
    if (dependsOn(resource, property, targets)) return "yes";
    return value.known || (resource.propertyDependencies[property] ?? []).length > 0 ? "no" : "unknown";
}

function dependsOn(resource: PolicyResource, property: string, targets: PolicyResource[]): boolean {
    const urns = new Set(targets.map((t) => t.urn));
    return (resource.propertyDependencies[property] ?? []).some((d) => urns.has(d.urn));
}

/**
 * The candidates whose `property` names one of `targets`. When none does for sure and one of them holds a value
 * preview cannot know, that value's UnknownValueError is thrown: the candidate may well be the one, so the caller
 * defers (see checkEach) rather than report something missing.
 */
export function referring(candidates: PolicyResource[], property: string, targets: PolicyResource[], identities: string[]): PolicyResource[] {
    return decided(
        candidates,
        (candidate) => relation(candidate, property, targets, identities),
        (candidate) => candidate.props[property],
    );
}

/** A VPC of the stack: awsx's component and the VPC resource it makes are one VPC, reported on the first. */
export interface StackVpc {
    resource: PolicyResource;
    members: PolicyResource[];
}

/** Every VPC the stack manages: plain `aws.ec2.Vpc` resources, and awsx VPCs (whose VPC resource is their child). */
export function vpcsOf(resources: PolicyResource[]): StackVpc[] {
    const components = ofTypes(resources, TYPES.awsxVpc);
    const plain = ofTypes(resources, TYPES.vpc);
    return [
        ...components.map((component) => ({ resource: component, members: [component, ...plain.filter((v) => v.parent?.urn === component.urn)] })),
        ...plain.filter((v) => !components.some((c) => v.parent?.urn === c.urn)).map((vpc) => ({ resource: vpc, members: [vpc] })),
    ];
}

/** The names a VPC's id goes by: `id` on the VPC resource, `vpcId` on the awsx component. */
export const VPC_IDENTITIES = ["id", "vpcId"];

/** The account the resource's provider is pinned to (`allowedAccountIds` with one entry), if it is. */
export function accountOf(resource: PolicyResource): string | undefined {
    const raw = peek(() => resource.provider?.props.allowedAccountIds as unknown);
    if (!raw.known) return undefined;
    // Provider inputs reach the engine JSON-encoded.
    const accounts = typeof raw.value === "string" ? (JSON.parse(raw.value) as unknown) : raw.value;
    const list = asList(accounts as string | string[] | undefined);
    return list.length === 1 ? list[0] : undefined;
}

/** The candidates that `resource.props[property]` (or the part `pick` takes of it) names; throws its unknown when none is certain. */
export function referredTo(
    resource: PolicyResource,
    property: string,
    candidates: PolicyResource[],
    identities: string[],
    pick: (propertyValue: any) => unknown = (v) => v, // eslint-disable-line @typescript-eslint/no-explicit-any -- resource props are untyped engine data
): PolicyResource[] {
    return decided(
        candidates,
        (candidate) => relation(resource, property, [candidate], identities, pick),
        () => pick(resource.props[property]),
    );
}

/** The candidates related for sure; with none, reading an undecided one's value throws its UnknownValueError. */
function decided(candidates: PolicyResource[], related: (candidate: PolicyResource) => ReturnType<typeof relation>, read: (candidate: PolicyResource) => unknown): PolicyResource[] {
    const relations = candidates.map((candidate) => ({ candidate, relation: related(candidate) }));
    const found = relations.filter((r) => r.relation === "yes").map((r) => r.candidate);
    const undecided = relations.find((r) => r.relation === "unknown");
    if (found.length === 0 && undecided) read(undecided.candidate);
    return found;
}
