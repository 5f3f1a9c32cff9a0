/** How a command reaches an AWS account: shared by the tools in scripts/ that take --profile and --role-arn. */
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { bootstrapRoleArn } from "../config";

/** Region, base credentials (a profile, or the standard chain), and optionally a role to assume with them. */
export interface Connection {
    region: string;
    profile?: string;
    roleArn?: string;
}

/** What is wrong with a --role-arn value, or undefined when it is an IAM role ARN. */
export function roleArnProblem(arn: string): string | undefined {
    return /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/.test(arn)
        ? undefined
        : `--role-arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), not "${arn}"`;
}

/** An SDK client's configuration for the connection; the role's session is named after the command. */
export function clientConfig({ region, profile, roleArn }: Connection, sessionName: string) {
    const credentials = roleArn
        ? fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: sessionName }, clientConfig: { region, profile } })
        : undefined;
    return { region, profile, credentials };
}

/** The AWS partition a region is in (the `aws` of `arn:aws:...`): China, GovCloud and the ISO regions have their own. */
export function regionPartition(region: string): string {
    const prefixes: Array<[RegExp, string]> = [
        [/^cn-/, "aws-cn"],
        [/^us-gov-/, "aws-us-gov"],
        [/^us-iso-/, "aws-iso"],
        [/^us-isob-/, "aws-iso-b"],
        [/^[a-z]{2}-isoe-/, "aws-iso-e"],
        [/^[a-z]{2}-isof-/, "aws-iso-f"],
    ];
    return prefixes.find(([prefix]) => prefix.test(region))?.[1] ?? "aws";
}

/** The read-only role the bootstrap stack creates in an account (IAM_NAMES.readOnlyRole): reads, writes nothing. */
export function readOnlyRoleArn(region: string, accountId: string): string {
    return bootstrapRoleArn("read-only", regionPartition(region), accountId);
}
