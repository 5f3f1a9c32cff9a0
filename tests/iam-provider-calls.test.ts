import assert from "node:assert/strict";
import { COMPONENT_CHILDREN, DATA_SOURCE_CALLS, RESOURCE_CALLS, STACK_ROLE_TYPES, callsOf } from "../aws-calls/provider";
import type { DeployedStackRole } from "../config";
import { denials, type PolicyDocument, type Principal } from "./iam/evaluator";
import { ALL_PHASES, providerRequests, stackRequests } from "./iam/provider-requests";
import { shippedWorld, World, type BuiltStack } from "./iam/world";
import { useMocks } from "./mocks";

/**
 * Every AWS call the Pulumi AWS provider makes for every shipped stack (aws-calls/provider.ts, read from the Terraform
 * AWS provider's source), evaluated with AWS's policy evaluation logic as the account's deploy role, against the real
 * resource ARNs and the resources' own policies (the shared repository's for the environment accounts).
 */

const deployed = (world: World) => world.stacks.filter((stack) => stack.config.role !== "bootstrap");

/** The types a stack registers and reads, a remote component's children in place of the component. */
function registeredTypes(stack: BuiltStack): { resources: string[]; dataSources: string[] } {
    const resources = new Set<string>();
    const dataSources = new Set(stack.recording.calls.map((call) => call.token));
    for (const resource of stack.recording.resources) {
        const component = COMPONENT_CHILDREN[resource.type];
        if (component) {
            component.resources.forEach((type) => resources.add(type));
            component.invokes.forEach((token) => dataSources.add(token));
        } else if (resource.custom && !resource.type.startsWith("pulumi:")) {
            resources.add(resource.type);
        }
    }
    return { resources: [...resources].sort(), dataSources: [...dataSources].sort() };
}

/** A principal whose policies lost an action in the statement with this Sid. */
function withoutAction(principal: Principal, sid: string, action: string): Principal {
    const identityPolicies = Object.fromEntries(
        Object.entries(principal.identityPolicies).map(([name, policy]) => [name, withoutActionIn(policy, sid, action)]),
    );
    return { ...principal, identityPolicies };
}

function withoutActionIn(policy: PolicyDocument, sid: string, action: string): PolicyDocument {
    const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    return {
        ...policy,
        Statement: statements.map((statement) =>
            statement.Sid === sid ? { ...statement, Action: ([statement.Action].flat() as string[]).filter((candidate) => candidate !== action) } : statement,
        ),
    };
}

describe("IAM: every provider call of every shipped stack, as its account's deploy role", () => {
    let world: World;
    before(async () => {
        await useMocks();
        world = await shippedWorld();
    });

    it("the call table has every resource type and data source the shipped stacks register, each citing the provider's source", () => {
        for (const stack of world.stacks) {
            const { resources, dataSources } = registeredTypes(stack);
            for (const type of [...resources, ...dataSources]) {
                assert.doesNotThrow(() => callsOf(type, ALL_PHASES), `${stack.file} registers ${type}`);
            }
        }
        for (const entry of [...Object.values(RESOURCE_CALLS), ...Object.values(DATA_SOURCE_CALLS)]) {
            assert.ok(entry.source.length > 0 && entry.source.every((file) => /^internal\/|aws-sdk-go-base/.test(file)), entry.source.join(", "));
        }
    });

    it("each deployed stack registers only what its stack role's list names (what the account's roles are granted for)", () => {
        for (const stack of deployed(world)) {
            const declared = STACK_ROLE_TYPES[stack.config.role as DeployedStackRole];
            const { resources, dataSources } = registeredTypes(stack);
            assert.deepEqual(resources.filter((type) => !declared.resources.includes(type)), [], `${stack.file}: resource types missing from STACK_ROLE_TYPES.${stack.config.role}`);
            assert.deepEqual(dataSources.filter((type) => !declared.dataSources.includes(type)), [], `${stack.file}: data sources missing from STACK_ROLE_TYPES.${stack.config.role}`);
        }
    });

    describe("allowed, call for call", () => {
        // One test per stack file, found when the suite runs: a new stack file is evaluated without being listed.
        it("every create, read, update and delete call of every shipped stack, and its provider's own calls", async () => {
            const denied: string[] = [];
            let evaluated = 0;
            for (const stack of deployed(world)) {
                const principal = world.deployRole(stack.config.aws.accountId);
                const requests = [...(await providerRequests(world, stack, principal.principalArn)), ...(await stackRequests(world, stack))];
                evaluated += requests.length;
                denied.push(...(await denials(principal, requests)));
            }
            assert.deepEqual(denied, [], `${denied.length} of ${evaluated} calls denied`);
            assert.ok(evaluated > 1000, `${evaluated} calls evaluated`);
        });
    });

    describe("ecr:DescribeRepositories, which resolving an environment's image tag needs on both sides", () => {
        const imageRequests = async (stack: BuiltStack) =>
            (await stackRequests(world, stack, ["read"])).filter((request) => request.what.includes("aws:ecr/getImage:getImage"));

        it("is allowed cross-account: the environment's deploy role grants it and the shared repository's policy admits it", async () => {
            for (const stack of deployed(world).filter((candidate) => candidate.config.role === "environment")) {
                const requests = await imageRequests(stack);
                assert.deepEqual(requests.map((request) => request.action).sort(), ["ecr:DescribeImages", "ecr:DescribeRepositories"], stack.file);
                for (const request of requests) {
                    assert.notEqual(request.resourceAccount, stack.config.aws.accountId, `${stack.file}: the repository is in the shared account`);
                    assert.ok(request.resourcePolicy, `${stack.file}: the shared repository's policy takes part`);
                }
                assert.deepEqual(await denials(world.deployRole(stack.config.aws.accountId), requests), [], stack.file);
            }
        });

        it("removed from the environment deploy role's policy, every environment preview is denied", async () => {
            for (const stack of deployed(world).filter((candidate) => candidate.config.role === "environment")) {
                const principal = withoutAction(world.deployRole(stack.config.aws.accountId), "ResolveImageTags", "ecr:DescribeRepositories");
                const denied = await denials(principal, await imageRequests(stack));
                assert.equal(denied.length, 1, `${stack.file}: ${denied.join("; ")}`);
                assert.match(denied[0], /needs ecr:DescribeRepositories on arn:aws:ecr:[^:]+:\d{12}:repository\/.*: ImplicitlyDenied/);
            }
        });

        it("removed from the shared repository's policy, every environment preview is denied", async () => {
            for (const stack of deployed(world).filter((candidate) => candidate.config.role === "environment")) {
                const requests = (await imageRequests(stack)).map((request) => ({
                    ...request,
                    resourcePolicy: withoutActionIn(request.resourcePolicy!, "WorkloadAccountsPull", "ecr:DescribeRepositories"),
                }));
                const denied = await denials(world.deployRole(stack.config.aws.accountId), requests);
                assert.equal(denied.length, 1, `${stack.file}: ${denied.join("; ")}`);
                assert.match(denied[0], /needs ecr:DescribeRepositories .*: ImplicitlyDenied/);
            }
        });
    });
});
