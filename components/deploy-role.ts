import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BOOTSTRAP_ROLE_NAMES, BootstrapConfig, BootstrapRoleKind, IAM_NAMES, PROJECT, StateBackendConfig } from "../config";
import { deployPolicies, deployPolicyNames, GITHUB_OIDC_HOST, githubSubjects, PolicyDocument, permissionsBoundary, roleTrust } from "./deploy-permissions";
import { stateBucketName } from "./state-backend";

/** The longest session the deploy role grants (IAM allows 1 to 12 hours); promote.yml's load test asks for it. */
export const DEPLOY_ROLE_MAX_SESSION_SECONDS = 3 * 3600;

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
                assumeRolePolicy: bootstrapRoleTrust("deploy", { bootstrap, accountId, partition, oidcProviderArn }),
                // A load test holds these credentials for its whole run (the shipped load profile is an hour, then the
                // merge): sessions may ask for up to 3 hours. A session lasts 1 hour unless it asks for more.
                maxSessionDuration: DEPLOY_ROLE_MAX_SESSION_SECONDS,
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
        attachManagedPolicies(name, { kind: "deploy", role, names: deployPolicyNames(bootstrap.stackRoles, bootstrap.stateBackend !== undefined), documents }, childOpts);

        this.roleArn = role.arn;
        this.permissionsBoundaryArn = boundary.arn;
        this.githubOidcProviderArn = oidcProviderArn === undefined ? undefined : pulumi.output(oidcProviderArn);
        this.registerOutputs({ roleArn: this.roleArn, permissionsBoundaryArn: this.permissionsBoundaryArn, githubOidcProviderArn: this.githubOidcProviderArn });
    }
}

interface TrustInputs {
    bootstrap: BootstrapConfig;
    accountId: string;
    partition: pulumi.Input<string>;
    oidcProviderArn: pulumi.Input<string> | undefined;
}

/** The trust policy of a bootstrap role: the named principals, the role itself, and CI for the role's GitHub subjects. */
export function bootstrapRoleTrust(kind: BootstrapRoleKind, args: TrustInputs): pulumi.Output<string> {
    const github = args.bootstrap.github;
    return pulumi.all([args.partition, args.oidcProviderArn]).apply(([partition, providerArn]) =>
        JSON.stringify(
            roleTrust({
                partition,
                accountId: args.accountId,
                role: kind,
                trustedPrincipals: args.bootstrap.trustedPrincipals,
                github: github && providerArn ? { providerArn, subjects: githubSubjects(github, kind) } : undefined,
            }),
        ),
    );
}

/**
 * One managed policy per name, attached to the role. The set of names depends on config alone, so the resources are
 * known at preview; the documents may wait for looked-up values.
 */
export function attachManagedPolicies(
    name: string,
    args: { kind: BootstrapRoleKind; role: aws.iam.Role; names: string[]; documents: pulumi.Output<Record<string, PolicyDocument>> },
    opts: pulumi.CustomResourceOptions,
): void {
    for (const policyName of args.names) {
        const policy = new aws.iam.Policy(
            `${name}-${policyName}`,
            {
                name: `${BOOTSTRAP_ROLE_NAMES[args.kind]}-${policyName}`,
                path: IAM_NAMES.path,
                description: `${PROJECT} ${args.kind} role: ${policyName}`,
                policy: args.documents.apply((all) => JSON.stringify(all[policyName])),
            },
            opts,
        );
        new aws.iam.RolePolicyAttachment(`${name}-${policyName}`, { role: args.role.name, policyArn: policy.arn }, opts);
    }
}

export function stateBackendAccess(backend: StateBackendConfig) {
    return { bucketName: stateBucketName(backend), keyAccountId: backend.accountId, region: backend.region };
}
