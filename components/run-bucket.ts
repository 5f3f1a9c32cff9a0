import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { privateBucket } from "./private-bucket";

export interface RunBucketArgs {
    /** A run's objects expire this many days after they are written. */
    expireAfterDays: number;
    provider: aws.Provider;
}

/**
 * The bucket the load tests' runs live in (loadgen/src/contract.ts): private, encrypted with SSE-S3, reachable only
 * over TLS, with no grant in its policy (the task role and the deploy role get theirs from IAM). Run data is
 * disposable: objects expire, and `pulumi destroy` deletes the bucket with whatever it still holds.
 */
export class RunBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;

    constructor(name: string, args: RunBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:loadgen:RunBucket", name, {}, opts);
        const bucket = privateBucket(
            name,
            { forceDestroy: true, versioned: false, expiration: { id: "expire-runs", days: args.expireAfterDays }, grants: () => [] },
            { parent: this, provider: args.provider },
        );
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
    }
}
