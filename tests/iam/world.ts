/**
 * Every shipped stack built on mocks, as the IAM evaluator needs them: who the principals are (each account's deploy
 * and read-only roles, the roles the stacks create), and which resource carries which policy (repository, bucket,
 * key and topic policies, role trust policies), so a request is evaluated the way AWS would, across accounts.
 */
import { BOOTSTRAP_ROLE_NAMES, BootstrapRoleKind, BootstrapStackConfig, StackConfig } from "../../config";
import { buildStack } from "../../stacks";
import { loadStackFile, STACK_FILES } from "../environment-fixtures";
import { build, mocks, RecordedResource, Recording } from "../mocks";
import type { PolicyDocument, Principal } from "./evaluator";

export interface BuiltStack {
    file: string;
    config: StackConfig;
    recording: Recording;
}

export class World {
    /** Every resource of every stack, with the stack it belongs to (each request looks its resource's policy up here). */
    readonly resources: readonly { stack: BuiltStack; resource: RecordedResource }[];

    constructor(readonly stacks: BuiltStack[]) {
        this.resources = stacks.flatMap((stack) => stack.recording.resources.map((resource) => ({ stack, resource })));
    }

    bootstrapOf(accountId: string): BuiltStack & { config: BootstrapStackConfig } {
        const found = this.stacks.find((stack) => stack.config.role === "bootstrap" && stack.config.aws.accountId === accountId);
        if (!found) throw new Error(`no bootstrap stack file for account ${accountId}`);
        return found as BuiltStack & { config: BootstrapStackConfig };
    }

    /** The bootstrap stack that holds the S3 state backend (in its own account), with the bucket and key it built. */
    stateBackend(): { holder: BuiltStack & { config: BootstrapStackConfig }; sharedWith: string[]; region: string; bucket: string; keyArn: string } {
        const holder = this.stacks.find(
            (stack): stack is BuiltStack & { config: BootstrapStackConfig } =>
                stack.config.role === "bootstrap" && stack.config.bootstrap.stateBackend?.accountId === stack.config.aws.accountId,
        );
        if (!holder?.config.bootstrap.stateBackend) throw new Error("no bootstrap stack file holds the state backend");
        const { sharedWith, region } = holder.config.bootstrap.stateBackend;
        const bucket = holder.recording.one("aws:s3/bucket:Bucket").state.bucket as string;
        return { holder, sharedWith, region, bucket, keyArn: holder.recording.one("aws:kms/key:Key").state.arn as string };
    }

    /** A bootstrap role (deploy or read-only) as the session a stack's provider or a tool runs as. */
    bootstrapRole(accountId: string, kind: BootstrapRoleKind, session = "ecs-loadlab-test"): Principal {
        const { recording } = this.bootstrapOf(accountId);
        const role = recording.ofType("aws:iam/role:Role").find((candidate) => candidate.inputs.name === BOOTSTRAP_ROLE_NAMES[kind]);
        if (!role) throw new Error(`the bootstrap of ${accountId} creates no ${kind} role`);
        return rolePrincipal(recording, role, session);
    }

    deployRole(accountId: string): Principal {
        return this.bootstrapRole(accountId, "deploy");
    }

    readOnlyRole(accountId: string): Principal {
        return this.bootstrapRole(accountId, "read-only");
    }

    /** A role a stack creates (a task role), with its inline and attached policies and its permissions boundary. */
    stackRole(stack: BuiltStack, role: RecordedResource): Principal {
        const principal = rolePrincipal(stack.recording, role, "task");
        const boundaryArn = role.inputs.permissionsBoundary as string | undefined;
        if (boundaryArn) {
            const boundary = this.resources.find(({ resource }) => resource.type === "aws:iam/policy:Policy" && resource.state.arn === boundaryArn);
            if (!boundary) throw new Error(`${role.name}'s boundary ${boundaryArn} is created by no bootstrap`);
            principal.permissionsBoundary = JSON.parse(boundary.resource.inputs.policy as string) as PolicyDocument;
        }
        return principal;
    }

    /** The policy AWS evaluates on the resource side of a request for this ARN, if the resource has one. */
    resourcePolicy(action: string, arn: string): PolicyDocument | undefined {
        for (const { stack, resource } of this.resources) {
            const policy = resourcePolicyOf(stack, resource, action, arn);
            if (policy) return policy;
        }
        // A key with no policy of its own gets AWS's default key policy: the account administers it through IAM.
        // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
        if (action.startsWith("kms:") && /:key\//.test(arn)) return defaultKeyPolicy(arn.split(":")[1], arn.split(":")[4]);
        return undefined;
    }

    /** The account that owns a resource ARN (S3 ARNs name none: the bucket's stack says). */
    ownerOf(arn: string, fallback: string): string {
        if (arn === "*") return fallback;
        const account = arn.split(":")[4];
        if (account) return account;
        const bucket = /^arn:[^:]+:s3:::([^/]+)/.exec(arn)?.[1];
        const owner = this.resources.find(({ resource }) => resource.type === "aws:s3/bucket:Bucket" && resource.state.bucket === bucket);
        return owner?.stack.config.aws.accountId ?? fallback;
    }
}

function defaultKeyPolicy(partition: string, account: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: "kms:*", Resource: "*" }],
    };
}

const json = (text: unknown): PolicyDocument | undefined => (typeof text === "string" ? (JSON.parse(text) as PolicyDocument) : undefined);

function rolePrincipal(recording: Recording, role: RecordedResource, session: string): Principal {
    const accountId = String(role.state.arn).split(":")[4];
    const attached = recording.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name || a.inputs.role === role.id);
    const identityPolicies: Record<string, PolicyDocument> = {};
    for (const attachment of attached) {
        const policy = recording.ofType("aws:iam/policy:Policy").find((p) => p.state.arn === attachment.inputs.policyArn);
        // AWS-managed policies (the task execution policy) are not the project's to evaluate: their grants are AWS's.
        if (policy) identityPolicies[policy.inputs.name as string] = json(policy.inputs.policy)!;
    }
    for (const inline of recording.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name || p.inputs.role === role.id)) {
        identityPolicies[inline.name] = json(inline.inputs.policy)!;
    }
    return {
        arn: `arn:aws:sts::${accountId}:assumed-role/${role.state.name}/${session}`,
        principalArn: role.state.arn,
        accountId,
        identityPolicies,
    };
}

const objectOf = (arn: string, bucketArn: string) => arn === bucketArn || arn.startsWith(`${bucketArn}/`);

function resourcePolicyOf(stack: BuiltStack, resource: RecordedResource, action: string, arn: string): PolicyDocument | undefined {
    const { recording } = stack;
    switch (resource.type) {
        case "aws:ecr/repositoryPolicy:RepositoryPolicy": {
            const repository = recording.ofType("aws:ecr/repository:Repository").find((r) => r.state.name === resource.inputs.repository);
            return repository?.state.arn === arn && action.startsWith("ecr:") ? json(resource.inputs.policy) : undefined;
        }
        case "aws:s3/bucketPolicy:BucketPolicy":
            return action.startsWith("s3:") && objectOf(arn, `arn:aws:s3:::${resource.inputs.bucket}`) ? json(resource.inputs.policy) : undefined;
        case "aws:kms/key:Key":
            return action.startsWith("kms:") && resource.state.arn === arn ? (json(resource.inputs.policy) ?? defaultKeyPolicy("aws", stack.config.aws.accountId)) : undefined;
        case "aws:sns/topic:Topic":
            return action.startsWith("sns:") && resource.state.arn === arn ? json(resource.inputs.policy) : undefined;
        case "aws:iam/role:Role":
            return action.startsWith("sts:AssumeRole") && resource.state.arn === arn ? json(resource.inputs.assumeRolePolicy) : undefined;
        default:
            return undefined;
    }
}

let built: World | undefined;

/** Every shipped stack file, built once per test process (the mocks are global: tests that need their own build reset them). */
export async function shippedWorld(): Promise<World> {
    if (built) return built;
    const stacks: BuiltStack[] = [];
    for (const file of STACK_FILES) {
        const config = loadStackFile(file);
        mocks.reset();
        await build(() => buildStack(config));
        stacks.push({ file, config, recording: mocks.snapshot() });
    }
    built = new World(stacks);
    return built;
}
