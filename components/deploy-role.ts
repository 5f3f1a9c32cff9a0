import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BootstrapConfig, IAM_NAMES, StateBackendConfig } from "../config";
import { deployPolicies, deployPolicyNames, deployRoleTrust, GITHUB_OIDC_HOST, githubSubjects, permissionsBoundary } from "./deploy-permissions";
import { stateBucketName } from "./state-backend";

export interface DeployRoleArgs {
    bootstrap: BootstrapConfig;
    accountId: string;
    provider: aws.Provider;
}

/**
 * The role every stack of the account deploys with (`ecs-loadlab-deploy`), the permissions boundary every role those
 * stacks create must carry, and, for CI, GitHub's OIDC provider. The role's permissions are what the account's stack
 * roles need; see deploy-permissions.ts.
 */
export class DeployRole extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;
    readonly permissionsBoundaryArn: pulumi.Output<string>;
    readonly githubOidcProviderArn: pulumi.Output<string> | undefined;

    constructor(name: string, args: DeployRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:bootstrap:DeployRole", name, {}, opts);
        const { bootstrap, accountId, provider } = args;
        const childOpts = { parent: this, provider };
        const partition = aws.getPartitionOutput({}, childOpts).partition;

        const boundary = new aws.iam.Policy(
            `${name}-boundary`,
            {
                name: IAM_NAMES.permissionsBoundary,
                path: IAM_NAMES.path,
                description: "The most any role an ecs-loadlab stack creates may do; the deploy role creates no role without it.",
                policy: partition.apply((p) => JSON.stringify(permissionsBoundary({ partition: p, accountId }))),
            },
            childOpts,
        );

        const github = bootstrap.github;
        const oidcProviderArn = github
            ? (github.oidcProviderArn ??
              new aws.iam.OpenIdConnectProvider(
                  `${name}-github`,
                  // IAM verifies GitHub's certificate against its own trusted CAs: no thumbprint to pin.
                  { url: `https://${GITHUB_OIDC_HOST}`, clientIdLists: ["sts.amazonaws.com"] },
                  childOpts,
              ).arn)
            : undefined;

        const role = new aws.iam.Role(
            name,
            {
                name: IAM_NAMES.deployRole,
                description: `Deploys the ecs-loadlab stacks of this account (${bootstrap.stackRoles.join(", ")})`,
                assumeRolePolicy: pulumi.all([partition, oidcProviderArn]).apply(([p, providerArn]) =>
                    JSON.stringify(
                        deployRoleTrust({
                            partition: p,
                            accountId,
                            trustedPrincipals: bootstrap.trustedPrincipals,
                            github: github && providerArn ? { providerArn, subjects: githubSubjects(github) } : undefined,
                        }),
                    ),
                ),
            },
            childOpts,
        );

        const hostedZoneIds = pulumi.all(bootstrap.hostedZones.map((zone) => aws.route53.getZoneOutput({ name: zone, privateZone: false }, childOpts).zoneId));
        const documents = pulumi.all([partition, hostedZoneIds]).apply(([p, zoneIds]) =>
            deployPolicies({
                partition: p,
                accountId,
                stackRoles: bootstrap.stackRoles,
                hostedZoneIds: zoneIds,
                registry: bootstrap.registry,
                stateBackend: bootstrap.stateBackend && stateBackendAccess(bootstrap.stateBackend),
            }),
        );
        // One resource per policy: the set depends on config alone, the documents on looked-up values.
        const policyNames = deployPolicyNames(bootstrap.stackRoles, bootstrap.stateBackend !== undefined);
        for (const policyName of policyNames) {
            const policy = new aws.iam.Policy(
                `${name}-${policyName}`,
                {
                    name: `${IAM_NAMES.deployRole}-${policyName}`,
                    path: IAM_NAMES.path,
                    description: `ecs-loadlab deploy role: ${policyName}`,
                    policy: documents.apply((all) => JSON.stringify(all[policyName])),
                },
                childOpts,
            );
            new aws.iam.RolePolicyAttachment(`${name}-${policyName}`, { role: role.name, policyArn: policy.arn }, childOpts);
        }

        this.roleArn = role.arn;
        this.permissionsBoundaryArn = boundary.arn;
        this.githubOidcProviderArn = oidcProviderArn === undefined ? undefined : pulumi.output(oidcProviderArn);
        this.registerOutputs({ roleArn: this.roleArn, permissionsBoundaryArn: this.permissionsBoundaryArn, githubOidcProviderArn: this.githubOidcProviderArn });
    }
}

function stateBackendAccess(backend: StateBackendConfig) {
    return { bucketName: stateBucketName(backend), keyAccountId: backend.accountId, region: backend.region };
}
