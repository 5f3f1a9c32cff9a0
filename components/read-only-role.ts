import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BootstrapConfig, IAM_NAMES } from "../config";
import { attachManagedPolicies, bootstrapRoleTrust, stateBackendAccess } from "./deploy-role";
import { readOnlyPolicies } from "./read-only-permissions";

export interface ReadOnlyRoleArgs {
    bootstrap: BootstrapConfig;
    accountId: string;
    /** The account's GitHub OIDC provider (the deploy role's), when CI is trusted. */
    githubOidcProviderArn: pulumi.Input<string> | undefined;
    provider: aws.Provider;
}

/**
 * The role that reads and never writes (`ecs-loadlab-read-only`): pull-request previews assume it, so a branch's code
 * cannot change the account, and `timeline observe` reads metrics with it. Trusted by the deploy role's principals and
 * by every GitHub subject the bootstrap names, pull requests included.
 */
export class ReadOnlyRole extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: ReadOnlyRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:bootstrap:ReadOnlyRole", name, {}, opts);
        const { bootstrap, accountId, provider } = args;
        const childOpts = { parent: this, provider };
        const partition = aws.getPartitionOutput({}, childOpts).partition;

        const role = new aws.iam.Role(
            name,
            {
                name: IAM_NAMES.readOnlyRole,
                description: `Reads what the ecs-loadlab stacks of this account (${bootstrap.stackRoles.join(", ")}) create, and their metrics; writes nothing`,
                assumeRolePolicy: bootstrapRoleTrust("read-only", { bootstrap, accountId, partition, oidcProviderArn: args.githubOidcProviderArn }),
            },
            childOpts,
        );
        const scope = (p: string) => ({
            partition: p,
            accountId,
            stackRoles: bootstrap.stackRoles,
            stateBackend: bootstrap.stateBackend && stateBackendAccess(bootstrap.stateBackend),
        });
        // The names come from config alone (the read statements hold no ARN), the documents from the partition.
        const names = Object.keys(readOnlyPolicies(scope("aws")));
        attachManagedPolicies(name, { kind: "read-only", role, names, documents: partition.apply((p) => readOnlyPolicies(scope(p))) }, childOpts);

        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
