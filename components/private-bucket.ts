import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUCKET_PREFIX } from "../config";

/** Parts of incomplete multipart uploads are removed after this many days. */
const ABORT_INCOMPLETE_UPLOADS_DAYS = 1;

export interface PrivateBucketArgs {
    /** The physical name; omit to auto-name from the logical name (`ecs-loadlab-<name>-xxxxxxx`). */
    bucketName?: string;
    /** Whether `pulumi destroy` may delete the bucket while it still holds objects. */
    forceDestroy: boolean;
    /** SSE-S3 when omitted; otherwise SSE-KMS with this key (and S3 Bucket Keys, which cut KMS requests). */
    kmsKeyArn?: pulumi.Input<string>;
    versioned: boolean;
    /** What expires: current objects after `days`, or only noncurrent versions `noncurrentDays` after they are replaced. */
    expiration: { id: string; days: number } | { id: string; noncurrentDays: number };
    /** Grants beyond the TLS-only rule, given the bucket's ARN. */
    grants: (bucketArn: pulumi.Output<string>) => aws.iam.PolicyStatement[];
}

/**
 * An S3 bucket as every stack makes them: public access blocked, ACLs disabled (bucket owner enforced), encrypted at
 * rest, reachable only over TLS, expiring what it no longer needs, and named under the project's prefix (the only
 * buckets the deploy role may manage). Children are parented to whatever component `opts` names.
 */
export function privateBucket(name: string, args: PrivateBucketArgs, opts: pulumi.CustomResourceOptions): aws.s3.Bucket {
    const bucket = new aws.s3.Bucket(
        `${BUCKET_PREFIX}${name}`,
        { ...(args.bucketName ? { bucket: args.bucketName } : {}), forceDestroy: args.forceDestroy },
        opts,
    );
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        name,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        opts,
    );
    const ownershipControls = new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
    new aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        {
            bucket: bucket.id,
            rules: [
                args.kmsKeyArn
                    ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
                    : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            ],
        },
        opts,
    );
    if (args.versioned) {
        new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
    }
    const expiration = args.expiration;
    new aws.s3.BucketLifecycleConfiguration(
        name,
        {
            bucket: bucket.id,
            rules: [
                {
                    id: expiration.id,
                    status: "Enabled",
                    filter: {},
                    ...("days" in expiration
                        ? { expiration: { days: expiration.days } }
                        : { noncurrentVersionExpiration: { noncurrentDays: expiration.noncurrentDays } }),
                    abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
                },
            ],
        },
        opts,
    );

    const policy: aws.iam.PolicyDocument = {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            ...args.grants(bucket.arn),
        ],
    };
    // S3 refuses concurrent changes to a bucket's access settings (OperationAborted, pulumi-aws#1570).
    new aws.s3.BucketPolicy(name, { bucket: bucket.id, policy: pulumi.jsonStringify(policy) }, { ...opts, dependsOn: [publicAccessBlock, ownershipControls] });
    return bucket;
}
