import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

/**
 * Who is recording evidence: the caller's ARN (an assumed role's session names the person or the CI run). STS
 * GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */
export async function callerArn(sts: STSClient): Promise<string> {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Arn) throw new Error("STS GetCallerIdentity answered without an ARN");
    return identity.Arn;
}
