import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUCKET_PREFIX, StateBackendConfig } from "../config";
import { deployRoleArn, STATE_KEY_ALIAS } from "./deploy-permissions";
import { readOnlyRoleArn } from "./read-only-permissions";
import { privateBucket } from "./private-bucket";

/** Replaced state files are kept this long: `pulumi stack export` of an old version, or an undo after a bad write. */
const NONCURRENT_STATE_DAYS = 90;

/** `ecs-loadlab-state-<account>-<region>`: one per account and region, and known to every account from config. */
export const stateBucketName = (backend: Pick<StateBackendConfig, "accountId" | "region">) => `${BUCKET_PREFIX}state-${backend.accountId}-${backend.region}`;

export interface StateBackendArgs {
    backend: StateBackendConfig;
    provider: aws.Provider;
}

/**
 * A self-managed Pulumi state backend: a versioned, KMS-encrypted, TLS-only, private S3 bucket for
 * `pulumi login s3://<bucket>`, and the KMS key `alias/ecs-loadlab-state` for `--secrets-provider awskms:///<alias ARN>`.
 * The deploy roles of `sharedWith` accounts may use both (CI deploys each stack as its own account's role); their
 * read-only roles may read the state and decrypt its secrets (pull-request previews).
 * Both are protected: `pulumi destroy` of the bootstrap stops at them rather than delete every stack's state.
 */
export class StateBackend extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly secretsProvider: pulumi.Output<string>;

    constructor(name: string, args: StateBackendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:bootstrap:StateBackend", name, {}, opts);
        const { backend, provider } = args;
        const childOpts = { parent: this, provider, protect: true };
        const partition = aws.getPartitionOutput({}, childOpts).partition;

        // Principals of other accounts are named through their account and aws:PrincipalArn: a role ARN as principal
        // must exist when the policy is written, and those deploy roles may be bootstrapped later.
        const rolesOfSharedAccounts = (p: string, roleArn: (partition: string, account: string) => string) => ({
            Principal: { AWS: backend.sharedWith.map((account) => `arn:${p}:iam::${account}:root`) },
            Condition: { ArnEquals: { "aws:PrincipalArn": backend.sharedWith.map((account) => roleArn(p, account)) } },
        });
        const shared = backend.sharedWith.length > 0;

        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: "Encrypts the ecs-loadlab Pulumi state bucket and the stacks' secrets",
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: partition.apply((p) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            { Sid: "AccountAdministersTheKey", Effect: "Allow", Principal: { AWS: `arn:${p}:iam::${backend.accountId}:root` }, Action: "kms:*", Resource: "*" },
                            ...(shared
                                ? [
                                      {
                                          Sid: "DeployRolesOfSharedAccounts",
                                          Effect: "Allow",
                                          ...rolesOfSharedAccounts(p, deployRoleArn),
                                          Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                                          Resource: "*",
                                      },
                                      {
                                          Sid: "ReadOnlyRolesOfSharedAccounts",
                                          Effect: "Allow",
                                          ...rolesOfSharedAccounts(p, readOnlyRoleArn),
                                          Action: ["kms:Decrypt", "kms:DescribeKey"],
                                          Resource: "*",
                                      },
                                  ]
                                : []),
                        ],
                    }),
                ),
            },
            childOpts,
        );
        new aws.kms.Alias(`${name}-key`, { name: STATE_KEY_ALIAS, targetKeyId: key.keyId }, childOpts);

        const bucket = privateBucket(
            name,
            {
                bucketName: stateBucketName(backend),
                forceDestroy: false,
                kmsKeyArn: key.arn,
                versioned: true,
                expiration: { id: "expire-replaced-state", noncurrentDays: NONCURRENT_STATE_DAYS },
                grants: (bucketArn) =>
                    shared
                        ? [
                              {
                                  Sid: "DeployRolesOfSharedAccounts",
                                  Effect: "Allow",
                                  Principal: partition.apply((p) => rolesOfSharedAccounts(p, deployRoleArn).Principal),
                                  Action: ["s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                                  Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
                                  Condition: partition.apply((p) => rolesOfSharedAccounts(p, deployRoleArn).Condition),
                              },
                              {
                                  Sid: "ReadOnlyRolesOfSharedAccounts",
                                  Effect: "Allow",
                                  Principal: partition.apply((p) => rolesOfSharedAccounts(p, readOnlyRoleArn).Principal),
                                  Action: ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"],
                                  Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
                                  Condition: partition.apply((p) => rolesOfSharedAccounts(p, readOnlyRoleArn).Condition),
                              },
                          ]
                        : [],
            },
            childOpts,
        );

        this.url = pulumi.interpolate`s3://${bucket.bucket}`;
        // The alias ARN, not the bare alias: a bare alias is looked up in the caller's account, and CI calls from others.
        this.secretsProvider = pulumi.interpolate`awskms:///arn:${partition}:kms:${backend.region}:${backend.accountId}:${STATE_KEY_ALIAS}?region=${backend.region}`;
        this.registerOutputs({ url: this.url, secretsProvider: this.secretsProvider });
    }
}
