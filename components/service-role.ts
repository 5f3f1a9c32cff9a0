import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IAM_NAMES } from "../config";

export interface ServiceRoleArgs {
    description: string;
    /** The AWS service that assumes the role, e.g. `ecs-tasks.amazonaws.com`. */
    service: string;
    /** Only requests on behalf of this account may assume it (the confused-deputy guard). */
    accountId: string;
    /** Narrows the guard further to the resources that may use the role (an ARN pattern). */
    sourceArnLike?: pulumi.Input<string>;
    /** The bootstrap's permissions boundary (config `aws.permissionsBoundaryArn`): the deploy role creates no role without it. */
    permissionsBoundaryArn: string | undefined;
}

/**
 * An IAM role that one AWS service assumes for this account only, under the project's IAM path (the only roles the
 * deploy role may manage) and fenced by the permissions boundary when the stack has one.
 */
export function serviceRole(name: string, args: ServiceRoleArgs, opts: pulumi.CustomResourceOptions): aws.iam.Role {
    const trustPolicy: aws.iam.PolicyDocument = {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: args.service },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": args.accountId },
                    ...(args.sourceArnLike ? { ArnLike: { "aws:SourceArn": args.sourceArnLike } } : {}),
                },
            },
        ],
    };
    return new aws.iam.Role(
        name,
        {
            description: args.description,
            path: IAM_NAMES.path,
            permissionsBoundary: args.permissionsBoundaryArn,
            assumeRolePolicy: pulumi.jsonStringify(trustPolicy),
        },
        opts,
    );
}
