import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";

/**
 * Every S3 client the tests build is this mock: aws-sdk-client-mock stubs the class's prototype, and a second
 * mockClient(S3Client) elsewhere in the same mocha run would silently detach this one, so the runner's tests and the
 * loadtest command's share it (as ECS tests share tests/loadtest-stack-fixture's ecsMock).
 */
export const s3Mock = mockClient(S3Client);

export function mockedS3Client(): S3Client {
    return new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIAFAKEFORTESTS0000", secretAccessKey: "fake-secret-for-tests" } });
}
