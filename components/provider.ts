import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AwsConfig, PROJECT, providerRoleArn } from "../config";

export interface AccountProviderArgs {
    aws: AwsConfig;
    /** What the stack is for: "shared", "loadgen", or the environment's name. Tagged on every resource. */
    role: string;
}

/**
 * The one AWS provider of a stack: pinned to the stack's account (a deployment with credentials for any
 * other account fails before changing anything), assuming the deploy role when one is configured, or the account's
 * read-only role when ECS_LOADLAB_PROVIDER_ROLE=read-only (pull-request previews).
 */
export function accountProvider(name: string, args: AccountProviderArgs): aws.Provider {
    const roleArn = providerRoleArn(args.aws);
    return new aws.Provider(name, {
        region: args.aws.region as aws.Region,
        allowedAccountIds: [args.aws.accountId],
        assumeRoles: roleArn ? [{ roleArn, sessionName: `${PROJECT}-${pulumi.getStack()}`.slice(0, 64) }] : undefined,
        defaultTags: {
            tags: {
                Project: PROJECT,
                Stack: pulumi.getStack(),
                Role: args.role,
                ManagedBy: "pulumi",
            },
        },
    });
}
