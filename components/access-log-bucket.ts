import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { privateBucket } from "./private-bucket";

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
        const bucket = privateBucket(
            name,
            {
                forceDestroy: args.forceDestroy,
                versioned: false,
                expiration: { id: "expire-access-logs", days: args.expireAfterDays },
                grants: (bucketArn) => [
                    {
                        Sid: "LoadBalancerLogDelivery",
                        Effect: "Allow",
                        Principal: { Service: ELB_LOG_DELIVERY_PRINCIPAL },
                        Action: "s3:PutObject",
                        Resource: pulumi.interpolate`${bucketArn}/${ACCESS_LOG_PREFIX}/AWSLogs/${args.accountId}/*`,
                    },
                ],
            },
            { parent: this, provider: args.provider },
        );

        this.bucketName = bucket.bucket;
        this.registerOutputs({ bucketName: this.bucketName });
    }
}
