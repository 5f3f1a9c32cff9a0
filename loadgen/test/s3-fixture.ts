import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";

const mocked = new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIAFAKEFORTESTS0000", secretAccessKey: "fake-secret-for-tests" } });

/**
 * The one S3 client of the tests that mock S3 (the runner's, the loadtest command's), and its mock. The mock is on
 * this instance, not on S3Client's prototype: a prototype stub would also catch the real clients with which the run
 * store's tests talk to a loopback S3 in the same mocha run (see loopback-s3.ts).
 */
export const s3Mock = mockClient(mocked);

export function mockedS3Client(): S3Client {
    return mocked;
}
