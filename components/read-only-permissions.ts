import { readActions } from "../aws-calls/provider";
import { toolActions } from "../aws-calls/tools";
import { bootstrapRoleArn, DeployedStackRole } from "../config";
import { allow, document, PolicyDocument, Statement } from "./deploy-permissions";

/**
 * What the read-only role of a bootstrapped account may do: read every resource the account's stacks register (the
 * read calls of the provider's call table, aws-calls/provider.ts: what `pulumi preview`, with or without `--refresh`,
 * asks), read the stacks' metrics for `timeline observe`, read the state and decrypt its secrets. Nothing that writes:
 * every action here is Read or List in AWS's catalogue, which tests/iam-read-only-role.test.ts checks.
 */
export interface ReadOnlyScope {
    partition: string;
    accountId: string;
    stackRoles: DeployedStackRole[];
    stateBackend?: { bucketName: string; keyAccountId: string; region: string };
}

export const readOnlyRoleArn = (partition: string, accountId: string) => bootstrapRoleArn("read-only", partition, accountId);

/** IAM's limit for a managed policy, in characters without white space. */
const MANAGED_POLICY_MAX_CHARACTERS = 6144;
/** A statement's share of that, left for its Sid, Effect and Resource. */
const STATEMENT_OVERHEAD = 100;

/** Actions split into statements whose documents each stay under the managed-policy size. */
function chunked(actions: string[]): string[][] {
    const chunks: string[][] = [[]];
    let size = STATEMENT_OVERHEAD;
    for (const action of actions) {
        const added = action.length + 3;
        if (size + added > MANAGED_POLICY_MAX_CHARACTERS) {
            chunks.push([]);
            size = STATEMENT_OVERHEAD;
        }
        chunks[chunks.length - 1].push(action);
        size += added;
    }
    return chunks;
}

function state(scope: ReadOnlyScope): Statement[] {
    const backend = scope.stateBackend;
    if (!backend) return [];
    const bucket = `arn:${scope.partition}:s3:::${backend.bucketName}`;
    return [
        allow("StateBucket", ["s3:GetBucketLocation", "s3:ListBucket"], bucket),
        allow("StateObjects", ["s3:GetObject"], `${bucket}/*`),
        allow("StateKey", ["kms:Decrypt", "kms:DescribeKey"], `arn:${scope.partition}:kms:${backend.region}:${backend.keyAccountId}:key/*`),
    ];
}

/**
 * The read-only role's policies by name: `session` (re-assuming itself, as the stack's provider does), `read-1`,
 * `read-2` … (the provider's read calls and observe's, on `*`: reads take it, and names are not known to the
 * bootstrap), `state` with a backend.
 */
export function readOnlyPolicies(scope: ReadOnlyScope): Record<string, PolicyDocument> {
    // A call that needs no permission (STS GetCallerIdentity) lists no action in the tables, so it is granted nothing.
    const reads = [...new Set([...readActions(scope.stackRoles), ...toolActions("timeline-observe")])].sort();
    const policies: Record<string, PolicyDocument> = {
        session: document([allow("ReassumeItself", ["sts:AssumeRole"], readOnlyRoleArn(scope.partition, scope.accountId))]),
    };
    chunked(reads).forEach((actions, index) => {
        policies[`read-${index + 1}`] = document([allow("ReadWhatTheStacksRegister", actions, "*")]);
    });
    if (scope.stateBackend) policies.state = document(state(scope));
    return policies;
}
