import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AccessLogBucketArgs {
    /** The account whose load balancers write here: the policy opens `<prefix>/AWSLogs/<account>/` and nothing else. */
    accountId: string;
    /** Log objects expire this many days after they are written. */
    expireAfterDays: number;
    /** Whether `pulumi destroy` may delete the bucket while it still holds logs. */
    forceDestroy: boolean;
    provider: aws.Provider;
}

/** Key prefix the load balancer writes under; ELB appends `AWSLogs/<account>/elasticloadbalancing/<region>/...`. */
const ACCESS_LOG_PREFIX = "alb";

/**
 * Elastic Load Balancing writes access logs as this service principal, in every region. The regional ELB accounts
 * of regions older than August 2022 are a legacy alternative AWS now recommends replacing, so the bucket policy
 * needs no per-region table.
 */
const ELB_LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com";

/** Parts of incomplete multipart uploads are removed after this many days. */
const ABORT_INCOMPLETE_UPLOADS_DAYS = 1;

/**
 * The S3 bucket the environment's load balancer writes its access logs to: private (public access blocked, ACLs
 * disabled), encrypted with SSE-S3 (the only server-side encryption ALB log delivery supports), reachable only over
 * TLS, writable by ELB log delivery for this account's load balancers, and emptied of logs older than
 * `expireAfterDays`. Not versioned: every log object is written once under a unique key.
 */
export class AccessLogBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly prefix = ACCESS_LOG_PREFIX;

    constructor(name: string, args: AccessLogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:loadbalancer:AccessLogBucket", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };

        // Auto-named: the logical name, "-" and 7 random characters.
        const bucket = new aws.s3.Bucket(name, { forceDestroy: args.forceDestroy }, childOpts);
        const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
            name,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            childOpts,
        );
        const ownershipControls = new aws.s3.BucketOwnershipControls(
            name,
            { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
            childOpts,
        );
        new aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
            childOpts,
        );
        new aws.s3.BucketLifecycleConfiguration(
            name,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-access-logs",
                        status: "Enabled",
                        filter: {},
                        expiration: { days: args.expireAfterDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
                    },
                ],
            },
            childOpts,
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
                {
                    Sid: "LoadBalancerLogDelivery",
                    Effect: "Allow",
                    Principal: { Service: ELB_LOG_DELIVERY_PRINCIPAL },
                    Action: "s3:PutObject",
                    Resource: pulumi.interpolate`${bucket.arn}/${ACCESS_LOG_PREFIX}/AWSLogs/${args.accountId}/*`,
                },
            ],
        };
        // S3 refuses concurrent changes to a bucket's access settings (OperationAborted, pulumi-aws#1570).
        new aws.s3.BucketPolicy(
            name,
            { bucket: bucket.id, policy: pulumi.jsonStringify(policy) },
            { ...childOpts, dependsOn: [publicAccessBlock, ownershipControls] },
        );

        this.bucketName = bucket.bucket;
        this.registerOutputs({ bucketName: this.bucketName });
    }
}
