/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs and outputs are untyped engine data */
import {
    EnforcementLevel,
    PolicyPackConfig,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { UnknownValueError } from "../policy/lib/unknowns";
import { PACK_ARGS } from "../policy/pack";
import { RecordedResource, Recording } from "./mocks";

/**
 * Runs the policy pack over what a program registered on the mocks, the way the policy server runs it under the
 * Pulumi CLI: each resource policy once per resource with its inputs, each stack policy once with every resource's
 * outputs, parents and dependencies; enforcement levels from the pack and its config; values preview cannot know
 * (see `asPreview`) behind Pulumi's own unknown-checking proxy.
 */

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    /** Name of the resource the violation is reported on, if any. */
    resource?: string;
}

export interface PackRun {
    violations: Violation[];
    /** Policies that read a value preview cannot know: the engine reports these as advisory "can't run … during preview". */
    deferred: { policy: string; message: string }[];
    /** Policies that applied to something in the stack (did not call notApplicable everywhere). */
    applicable: string[];
}

type Policy = ResourceValidationPolicy | StackValidationPolicy;

class NotApplicable extends Error {}

const EMPTY_OPTIONS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** A policy-pack config file's entries as the server holds them: `"advisory"` means `{ enforcementLevel: "advisory" }`. */
function normalized(config: PolicyPackConfig): Record<string, { enforcementLevel?: EnforcementLevel; [key: string]: unknown }> {
    const known = new Set(PACK_ARGS.policies.map((p) => p.name));
    return Object.fromEntries(
        Object.entries(config).map(([name, value]) => {
            if (!known.has(name)) throw new Error(`policy config names ${name}, which is not a policy of the pack`);
            return [name, typeof value === "string" ? { enforcementLevel: value } : value];
        }),
    );
}

/** The policy's config as `getConfig` returns it: the properties the CLI passes, with the schema's defaults filled in. */
function configOf(policy: Policy, entry: Record<string, unknown> | undefined): object {
    const { enforcementLevel: _, ...properties } = entry ?? {};
    const defaults = Object.entries(policy.configSchema?.properties ?? {}).flatMap(([key, schema]: [string, PolicyConfigJSONSchema]) =>
        schema.default === undefined ? [] : [[key, schema.default]],
    );
    return { ...Object.fromEntries(defaults), ...properties };
}

/** The keys of a recorded resource's outputs that are not among its inputs: what its provider computed. */
const outputKeys = (r: RecordedResource) => Object.keys(r.state).filter((key) => !(key in r.inputs));

const urnOf = (r: RecordedResource) => r.registration?.urn ?? `urn:pulumi:test::ecs-loadlab::${r.type}::${r.name}`;

/** The provider reference `urn::id` names the provider by its URN. */
const providerUrn = (ref: string) => ref.slice(0, ref.lastIndexOf("::"));

export async function runPack(recording: Recording, config: PolicyPackConfig = {}): Promise<PackRun> {
    const entries = normalized(config);
    const byUrn = new Map(recording.resources.map((r) => [urnOf(r), r]));
    const providerOf = (r: RecordedResource): PolicyProviderResource | undefined => {
        const provider = r.provider ? byUrn.get(providerUrn(r.provider)) : undefined;
        return provider && { type: provider.type, props: provider.inputs, urn: urnOf(provider), name: provider.name };
    };
    const stackResources = stackView(recording.resources, providerOf);
    const run: PackRun = { violations: [], deferred: [], applicable: [] };

    for (const policy of PACK_ARGS.policies) {
        const level = entries[policy.name]?.enforcementLevel ?? policy.enforcementLevel ?? PACK_ARGS.enforcementLevel ?? "advisory";
        if (level === "disabled") continue;
        const getConfig = <T extends object>() => configOf(policy, entries[policy.name]) as T;
        const notApplicable = (reason?: string): never => {
            throw new NotApplicable(reason);
        };
        let applies = false;
        const attempt = async (validate: () => unknown) => {
            try {
                await validate();
                applies = true;
            } catch (error) {
                if (error instanceof NotApplicable) return;
                applies = true;
                if (!(error instanceof UnknownValueError)) throw error;
                run.deferred.push({ policy: policy.name, message: error.message });
            }
        };
        const reportFor = (fallback?: RecordedResource) => (message: string, urn?: string) => {
            const resource = urn ? byUrn.get(urn) : fallback;
            run.violations.push({ policy: policy.name, level, message, resource: resource?.name });
        };

        if ("validateStack" in policy) {
            const args: StackValidationArgs = { resources: stackResources, getConfig, notApplicable, stackTags: new Map() };
            await attempt(() => policy.validateStack(args, reportFor()));
        } else {
            const validations = [policy.validateResource ?? []].flat();
            for (const resource of recording.resources) {
                for (const validate of validations) {
                    const args = resourceArgs(resource, providerOf(resource), getConfig, notApplicable);
                    await attempt(() => validate(args, reportFor(resource)));
                }
            }
        }
        if (applies) run.applicable.push(policy.name);
    }
    return run;
}

/** `isType` as the server answers it: by the class's Pulumi type token. */
const isTypeOf = (type: string, resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType === type;

function resourceArgs(
    resource: RecordedResource,
    provider: PolicyProviderResource | undefined,
    getConfig: ResourceValidationArgs["getConfig"],
    notApplicable: ResourceValidationArgs["notApplicable"],
): ResourceValidationArgs {
    const props = unknownCheckingProxy(structuredClone(resource.inputs));
    return {
        type: resource.type,
        props,
        urn: urnOf(resource),
        name: resource.name,
        opts: { ...EMPTY_OPTIONS, parent: resource.registration?.parent || undefined },
        provider,
        stackTags: new Map(),
        isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
        asType: (resourceClass) => (isTypeOf(resource.type, resourceClass) ? (props as any) : undefined),
        getConfig,
        notApplicable,
    };
}

/** Every resource with its outputs, linked to its parent and dependencies, as a stack policy sees the stack. */
function stackView(resources: RecordedResource[], providerOf: (r: RecordedResource) => PolicyProviderResource | undefined): PolicyResource[] {
    const view = new Map<string, PolicyResource>();
    for (const resource of resources) {
        const props = unknownCheckingProxy(structuredClone(resource.state));
        view.set(urnOf(resource), {
            type: resource.type,
            props,
            urn: urnOf(resource),
            name: resource.name,
            opts: EMPTY_OPTIONS,
            provider: providerOf(resource),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
            asType: (resourceClass) => (isTypeOf(resource.type, resourceClass) ? (props as any) : undefined),
        });
    }
    const linked = (urns: string[] | undefined) => (urns ?? []).flatMap((urn) => view.get(urn) ?? []);
    for (const resource of resources) {
        const policyResource = view.get(urnOf(resource))!;
        const registration = resource.registration;
        policyResource.parent = registration?.parent ? view.get(registration.parent) : undefined;
        policyResource.dependencies = linked(registration?.dependencies);
        policyResource.propertyDependencies = Object.fromEntries(Object.entries(registration?.propertyDependencies ?? {}).map(([key, urns]) => [key, linked(urns)]));
    }
    return [...view.values()];
}

/** The engine's marker for a value preview cannot know yet (every unknown reaches a policy pack as this string). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The recording as `pulumi preview` of a new stack presents it: every value a provider computes on create (ids, ARNs,
 * awsx's subnet ids) is unknown, and so is every input built from one (a bucket policy naming the bucket's ARN, a list
 * of subnet ids), while the dependencies stay known. Known in preview, as they are: what the program gave (an explicit
 * name, even when the id repeats it), auto-names (Pulumi picks them before creating), and what reads and invokes return.
 */
export function asPreview(recording: Recording): Recording {
    const AUTO_NAMES = ["name", "bucket"];
    const computedKeys = (r: RecordedResource) =>
        r.registration === undefined ? [] : outputKeys(r).filter((key) => !AUTO_NAMES.includes(key) && !Object.values(r.inputs).includes(r.state[key]));
    const computed = recording.resources.flatMap((r) => computedKeys(r).map((key) => r.state[key]));
    const lists = new Set(computed.filter(Array.isArray).map((list) => JSON.stringify(list)));
    // Short values ("default", "1") would mark unrelated strings unknown; identifiers and ARNs are longer.
    const values = computed.flat().filter((v): v is string => typeof v === "string" && v.length >= 12);
    const unknownIn = (value: unknown): unknown => {
        if (typeof value === "string") return values.some((v) => value.includes(v)) ? UNKNOWN : value;
        if (Array.isArray(value)) return lists.has(JSON.stringify(value)) ? UNKNOWN : value.map(unknownIn);
        if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unknownIn(v)]));
        return value;
    };
    return new Recording(
        recording.resources.map((r) => {
            const inputs = unknownIn(r.inputs) as Record<string, any>;
            const unknown = computedKeys(r);
            const outputs = Object.fromEntries(outputKeys(r).map((key) => [key, unknown.includes(key) ? UNKNOWN : r.state[key]]));
            return { ...r, inputs, state: { ...inputs, ...outputs } };
        }),
        recording.calls,
    );
}

/**
 * A copy of the recording with one resource's inputs edited (its outputs follow, as they would after an update):
 * the violating stacks the per-control tests feed the pack.
 */
export function withEdit(recording: Recording, type: string, edit: (inputs: Record<string, any>) => void, which: (r: RecordedResource) => boolean = () => true): Recording {
    const targets = recording.ofType(type).filter(which);
    if (targets.length !== 1) throw new Error(`withEdit: expected one ${type} to edit, found ${targets.length}`);
    return new Recording(
        recording.resources.map((r) => {
            if (r !== targets[0]) return r;
            const inputs = structuredClone(r.inputs);
            edit(inputs);
            const outputs = Object.fromEntries(outputKeys(r).map((key) => [key, r.state[key]]));
            return { ...r, inputs, state: { ...inputs, ...outputs } };
        }),
        recording.calls,
    );
}

/** A copy of the recording without the resources `which` picks. */
export function without(recording: Recording, which: (r: RecordedResource) => boolean): Recording {
    return new Recording(
        recording.resources.filter((r) => !which(r)),
        recording.calls,
    );
}

/** Edits a JSON document held in an input (container definitions, a policy). */
export function editJson<T>(inputs: Record<string, any>, key: string, edit: (document: T) => void): void {
    const document = JSON.parse(inputs[key]) as T;
    edit(document);
    inputs[key] = JSON.stringify(document);
}
