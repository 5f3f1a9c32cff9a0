/**
 * Turns the provider's call table (aws-calls/provider.ts) and a built stack into the IAM requests AWS would
 * authorize: for every resource the stack registers (a remote component's children included) and every data source
 * it reads, each call of each phase becomes its actions on the real resource ARN, with the context the request
 * carries (iam:PassedToService, iam:PermissionsBoundary, iam:PolicyARN, iam:AWSServiceName).
 */
import { createHash } from "node:crypto";
import { callsOf, COMPONENT_CHILDREN, PROVIDER_CONFIGURE } from "../../aws-calls/provider";
import type { ApiCall, Phase } from "../../aws-calls/types";
import { fits, resourceTypesOf } from "./catalogue";
import type { AccessRequest } from "./evaluator";
import type { BuiltStack, World } from "./world";

/** What a call acts on: a recorded resource, a data source's arguments, a remote component's child, or a bare ARN. */
export interface Target {
    type: string;
    name: string;
    id: string;
    arn?: string;
    account: string;
    region: string;
    inputs: Record<string, unknown>;
    /** A remote component's child: its siblings stand in for what its inputs name. */
    siblings?: Target[];
}

export interface ProviderRequest extends AccessRequest {
    /** `<stack file> <type> <name> <phase>: <api>`, for messages. */
    what: string;
    phase: Phase;
}

export const ALL_PHASES: Phase[] = ["create", "read", "update", "delete"];

const hex = (seed: string, length: number) => createHash("sha256").update(seed).digest("hex").slice(0, length);
const lastSegment = (type: string) => type.split(":").pop() ?? type;
const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

/**
 * The ARN IAM authorizes an action against for a target: `*` for an action that takes none; the target's own ARN when
 * it fits one of the action's resource types; else the resource type named most like the target, filled with the
 * target's account, region and id (EC2's ids, a subnet's VPC: what the request names).
 */
export async function arnFor(action: string, target: Target): Promise<string> {
    const types = await resourceTypesOf(action);
    if (types.length === 0) return "*";
    for (const candidate of target.arn ? [target.arn, `${target.arn}/${target.id}`] : []) {
        // The target itself, or what lives under it (a bucket's objects).
        if (types.some((type) => fits(candidate, type.arn))) return candidate;
    }
    const wanted = kebab(lastSegment(target.type));
    const score = (key: string) => (wanted === key ? 3 : wanted.endsWith(key) || wanted.startsWith(key) ? 2 : wanted.includes(key) || key.includes(wanted) ? 1 : 0);
    const chosen = [...types].sort((a, b) => score(b.key) - score(a.key))[0];
    const partition = target.arn?.split(":")[1] ?? "aws";
    return chosen.arn
        .replace("${Partition}", partition)
        .replace("${Region}", target.region)
        .replace("${Account}", target.account)
        .replace(/\$\{[^}]+\}/g, target.id);
}

/** Every string in an input value (a name, an id, an ARN, or a block holding them). */
function stringsIn(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(stringsIn);
    if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
    return [];
}

function targetOf(stack: BuiltStack, resource: BuiltStack["recording"]["resources"][number]): Target {
    const state = resource.state;
    const arn = [state.arn, state.dashboardArn, resource.id].find((candidate) => typeof candidate === "string" && candidate.startsWith("arn:")) as string | undefined;
    return {
        type: resource.type,
        name: resource.name,
        id: resource.id,
        arn,
        account: stack.config.aws.accountId,
        region: stack.config.aws.region,
        inputs: resource.inputs,
    };
}

/** Inputs of a component's children whose names do not say the sibling type they name. */
const SIBLING_INPUTS: Record<string, string> = { allocationId: "eip", gatewayId: "internetGateway" };

/**
 * The resources an input's value names: in the same stack first, then anywhere (a shared repository), else the ARN
 * itself, else the kind of resource the input's name says, with that id.
 */
function resolve(world: World, stack: BuiltStack, from: Target, input: string): Target[] {
    if (from.siblings) {
        const wanted = (SIBLING_INPUTS[input] ?? input.replace(/Ids?$/, "")).toLowerCase();
        const sibling = from.siblings.find((candidate) => lastSegment(candidate.type).toLowerCase().endsWith(wanted));
        if (sibling) return [sibling];
    }
    const values = stringsIn(from.inputs[input]);
    if (values.length === 0) throw new Error(`${from.type} ${from.name}: input ${input} is empty, so its calls' resource is unknown`);
    const names = (resource: BuiltStack["recording"]["resources"][number]) =>
        [resource.id, resource.state.arn, resource.state.name, resource.state.bucket, resource.state.keyId, resource.inputs.name].filter(Boolean);
    return values.map((value) => {
        const candidates = [stack, ...world.stacks.filter((other) => other !== stack)];
        for (const candidate of candidates) {
            const found =
                candidate.recording.resources.find((resource) => resource.custom && names(resource).includes(value)) ??
                // Application Auto Scaling names an ECS service as service/<cluster>/<service>.
                candidate.recording.resources.find(
                    (resource) => resource.type === "aws:ecs/service:Service" && /^service\/[^/]+\/[^/]+$/.test(value) && resource.state.name === value.split("/").pop(),
                );
            if (found) return targetOf(candidate, found);
        }
        if (value.startsWith("arn:")) return { type: "arn", name: value, id: value, arn: value, account: value.split(":")[4] || from.account, region: value.split(":")[3] || from.region, inputs: {} };
        // An id a remote component output (the VPC awsx made): the resource its input names, in the caller's account.
        return { type: input.replace(/Ids?$/, ""), name: value, id: value, account: from.account, region: from.region, inputs: {} };
    });
}

/** Whether a call's condition holds: tags are always sent (every stack's provider sets defaultTags). */
function made(call: ApiCall, target: Target): boolean {
    if (call.onlyWhen) return false;
    if (!call.when || call.when === "tags") return true;
    const value = target.inputs[call.when];
    return value !== undefined && value !== null && value !== false && !(Array.isArray(value) && value.length === 0);
}

/**
 * Request context IAM's own actions carry, from the IAM service authorization reference:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 */
function iamContext(action: string, caller: Target, acted: Target): Record<string, string> {
    const context: Record<string, string> = {};
    const boundaryActions = ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy"];
    const boundary = acted.inputs.permissionsBoundary ?? caller.inputs.permissionsBoundary;
    if (boundaryActions.includes(action) && typeof boundary === "string") context["iam:PermissionsBoundary"] = boundary;
    if ((action === "iam:AttachRolePolicy" || action === "iam:DetachRolePolicy") && typeof caller.inputs.policyArn === "string") context["iam:PolicyARN"] = caller.inputs.policyArn;
    return context;
}

async function requestsOfCall(world: World, stack: BuiltStack, target: Target, phase: Phase, call: ApiCall): Promise<ProviderRequest[]> {
    if (!made(call, target)) return [];
    const what = `${stack.file} ${target.type} ${target.name} ${phase}: ${call.api}`;
    const account = stack.config.aws.accountId;
    if (call.serviceLinkedRole) {
        const { service, roleName } = call.serviceLinkedRole;
        const resource = `arn:aws:iam::${account}:role/aws-service-role/${service}/${roleName}`;
        return [{ what, phase, action: "iam:CreateServiceLinkedRole", resource, resourceAccount: account, context: { "iam:AWSServiceName": service } }];
    }
    const requests: ProviderRequest[] = [];
    const acted = call.on ? resolve(world, stack, target, call.on.input) : [target];
    for (const action of call.actions ?? [call.api]) {
        for (const on of acted) {
            const resource = await arnFor(action, on);
            requests.push({
                what,
                phase,
                action,
                resource,
                resourceAccount: world.ownerOf(resource, on.account),
                resourcePolicy: world.resourcePolicy(action, resource),
                context: iamContext(action, target, on),
            });
        }
    }
    for (const input of call.passesRoles?.inputs ?? []) {
        for (const role of stringsIn(target.inputs[input])) {
            requests.push({ what, phase, action: "iam:PassRole", resource: role, resourceAccount: role.split(":")[4], context: { "iam:PassedToService": call.passesRoles!.to } });
        }
    }
    return requests;
}

const argument = (inputs: Record<string, unknown>, path: string): unknown =>
    path.split(".").reduce<unknown>((value, key) => (value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), inputs);

/**
 * The children a remote component registers for its recorded arguments, as targets with made-up ids in the stack's
 * account and the inputs the component sets on them (set, whatever their values).
 */
function componentChildren(stack: BuiltStack, component: BuiltStack["recording"]["resources"][number]): Target[] {
    const children = COMPONENT_CHILDREN[component.type];
    const omitted = (type: string) => {
        const rule = children.omittedWhen?.[type];
        return rule !== undefined && rule.values.includes(String(argument(component.inputs, rule.argument)));
    };
    const siblings: Target[] = children.resources
        .filter((type) => !omitted(type))
        .map((type) => ({
            type,
            name: `${component.name}/${lastSegment(type)}`,
            id: `${kebab(lastSegment(type)).split("-")[0]}-${hex(`${stack.file}/${component.name}/${type}`, 17)}`,
            account: stack.config.aws.accountId,
            region: stack.config.aws.region,
            inputs: {
                ...(children.argumentsPassedTo === type ? component.inputs : {}),
                ...Object.fromEntries((children.childInputs[type] ?? []).map((input) => [input, `(${input} set by ${component.type})`])),
            },
        }));
    for (const sibling of siblings) sibling.siblings = siblings;
    return siblings;
}

const built = new WeakMap<BuiltStack, Map<string, Promise<ProviderRequest[]>>>();

/** Every request a stack's `pulumi up` (create, update, delete) and refresh (read) makes, as its deploy role would. */
export function stackRequests(world: World, stack: BuiltStack, phases: Phase[] = ALL_PHASES): Promise<ProviderRequest[]> {
    const cache = built.get(stack) ?? new Map<string, Promise<ProviderRequest[]>>();
    built.set(stack, cache);
    const key = phases.join(",");
    if (!cache.has(key)) cache.set(key, requestsOfStack(world, stack, phases));
    return cache.get(key)!;
}

async function requestsOfStack(world: World, stack: BuiltStack, phases: Phase[]): Promise<ProviderRequest[]> {
    const requests: ProviderRequest[] = [];
    for (const resource of stack.recording.resources) {
        if (resource.type.startsWith("pulumi:")) continue;
        if (COMPONENT_CHILDREN[resource.type]) {
            const children = componentChildren(stack, resource);
            for (const child of children) {
                for (const phase of phases) for (const call of callsOf(child.type, [phase])) requests.push(...(await requestsOfCall(world, stack, child, phase, call)));
            }
            const invokes = COMPONENT_CHILDREN[resource.type].invokes;
            for (const token of invokes) for (const call of callsOf(token, ["read"])) requests.push(...(await requestsOfCall(world, stack, children[0], "read", call)));
            continue;
        }
        if (!resource.custom) continue;
        const target = targetOf(stack, resource);
        for (const phase of phases) for (const call of callsOf(resource.type, [phase])) requests.push(...(await requestsOfCall(world, stack, target, phase, call)));
    }
    for (const invoke of stack.recording.calls) {
        // A data source's calls act on what it names, and on what it finds (a zone by name, then by its id).
        const inputs = { ...invoke.result, ...invoke.inputs };
        const target: Target = { type: invoke.token, name: invoke.token, id: invoke.token, account: stack.config.aws.accountId, region: stack.config.aws.region, inputs };
        for (const call of callsOf(invoke.token, ["read"])) requests.push(...(await requestsOfCall(world, stack, target, "read", call)));
    }
    return requests;
}

/** What the provider asks before any resource: assuming its role (as the same role, in CI), checking the account. */
export async function providerRequests(world: World, stack: BuiltStack, roleArn: string): Promise<ProviderRequest[]> {
    const provider: Target = { type: "pulumi:providers:aws", name: "provider", id: "provider", account: stack.config.aws.accountId, region: stack.config.aws.region, inputs: { assumeRoles: [{ roleArn }] } };
    const requests: ProviderRequest[] = [];
    for (const call of PROVIDER_CONFIGURE.calls) requests.push(...(await requestsOfCall(world, stack, provider, "read", call)));
    return requests;
}
