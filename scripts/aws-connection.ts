/** How a command reaches an AWS account: shared by the tools in scripts/ that take --profile and --role-arn. */
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";

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
