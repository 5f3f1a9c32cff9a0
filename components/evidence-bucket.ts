import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EVIDENCE_PREFIXES } from "../stacks/shared-names";
import { privateBucket } from "./private-bucket";

export interface EvidenceBucketArgs {
    /** The physical name, `evidenceBucketName(account, region)`: the tools compute it from the shared stack file. */
    bucketName: string;
    /** Replaced and deleted objects (noncurrent versions) expire this many days later. */
    noncurrentDays: number;
    /** Accounts other than the bucket's whose identities may write verdicts (their IAM policies must allow it too). */
    writerAccountIds: string[];
    provider: aws.Provider;
}

/**
 * The release evidence (scripts/release/evidence-store.ts): load-test verdicts by environment and digest, each run's
 * report, and the promotion records. Private, SSE-S3, TLS only and versioned, so nothing recorded is lost to an
 * overwrite or a delete for `noncurrentDays`; current objects never expire, and `pulumi destroy` stops at a bucket that
 * still holds evidence. The shared account reads and writes through IAM; the writer accounts may only add verdicts.
 */
export class EvidenceBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;

    constructor(name: string, args: EvidenceBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:release:EvidenceBucket", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };
        const partition = aws.getPartitionOutput({}, childOpts).partition;
        const bucket = privateBucket(
            name,
            {
                bucketName: args.bucketName,
                forceDestroy: false,
                versioned: true,
                expiration: { id: "expire-replaced-evidence", noncurrentDays: args.noncurrentDays },
                grants: (bucketArn) =>
                    args.writerAccountIds.length === 0
                        ? []
                        : [
                              {
                                  Sid: "VerdictWriterAccounts",
                                  Effect: "Allow",
                                  Principal: { AWS: args.writerAccountIds.map((account) => pulumi.interpolate`arn:${partition}:iam::${account}:root`) },
                                  Action: "s3:PutObject",
                                  Resource: pulumi.interpolate`${bucketArn}/${EVIDENCE_PREFIXES.verdicts}*`,
                              },
                          ],
            },
            childOpts,
        );
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
    }
}
