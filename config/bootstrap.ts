import { z } from "zod";
import { accountId, alwaysCheck, dnsName, ecrRepositoryName, IAM_NAMES, region, uniqueList } from "./common";

/** The bootstrap stack's schemas: the roles an account hosts, who may assume its deploy role, its state backend. */

/** The stack roles that deploy through a bootstrapped account's deploy role. */
export const DEPLOYED_STACK_ROLES = ["shared", "environment", "loadgen"] as const;
export type DeployedStackRole = (typeof DEPLOYED_STACK_ROLES)[number];

export const githubTrustSchema = z
    .strictObject({
        /** `<owner>/<repository>` whose workflows may assume the deploy role. */
        repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/, "must be <owner>/<repository>, e.g. my-org/ecs-loadlab"),
        /** Jobs that name one of these GitHub environments (OIDC `sub` = `repo:<repository>:environment:<name>`). */
        environments: uniqueList(z.string().regex(/^[\w.-]{1,255}$/, "must be a GitHub environment name"), "environment").default([]),
        /** Jobs on pushes to these branches that name no environment (`sub` = `repo:<repository>:ref:refs/heads/<branch>`). */
        branches: uniqueList(z.string().regex(/^[\w./-]+$/, "must be a branch name"), "branch").default([]),
        /** Pull-request jobs (`sub` = `repo:<repository>:pull_request`): previews, trusted by the read-only role only. Forks get no token. */
        pullRequests: z.boolean().default(false),
        /** The account's existing GitHub OIDC provider, when it has one (an account holds one per URL); omit to create it. */
        oidcProviderArn: z
            .string()
            .regex(
                /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
                "must be the ARN of the account's GitHub OIDC provider, arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
            )
            .optional(),
    })
    .superRefine((github, ctx) => {
        if (github.environments.length === 0 && github.branches.length === 0 && !github.pullRequests) {
            ctx.addIssue({
                code: "custom",
                message: "trusts no workflow: list environments or branches, or set pullRequests: true (or remove github)",
                input: github,
            });
        }
    });

export const stateBackendSchema = z.strictObject({
    /** The account that holds the state bucket and key; the bootstrap of that account creates them. */
    accountId,
    region,
    /** Holder only: the accounts whose deploy role may read and write the state (CI deploys each stack with its own account's role). */
    sharedWith: uniqueList(accountId, "account").default([]),
});

export const bootstrapSchema = z
    .strictObject({
        /** The stacks this account hosts: the deploy role gets what those stacks need, and nothing else. */
        stackRoles: uniqueList(z.enum(DEPLOYED_STACK_ROLES, { error: `must be one of ${DEPLOYED_STACK_ROLES.join(", ")}` }), "stack role").min(
            1,
            `must list the stack roles this account hosts: ${DEPLOYED_STACK_ROLES.join(", ")}`,
        ),
        /** People and tools that may assume the deploy role: IAM role or user ARNs (SSO permission-set roles included). */
        trustedPrincipals: uniqueList(
            z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, "must be an IAM role or user ARN"),
            "principal",
        ).default([]),
        github: githubTrustSchema.optional(),
        /** environment: the public hosted zones its domains live in (certificate validation and the alias record). */
        hostedZones: uniqueList(dnsName, "hosted zone").default([]),
        /** shared and environment: the registry's account and repository (managed and pushed to / read by digest). */
        registry: z.strictObject({ accountId, repositoryName: ecrRepositoryName }).optional(),
        /** A self-managed Pulumi state backend (S3 bucket + KMS key); omit with Pulumi Cloud. */
        stateBackend: stateBackendSchema.optional(),
    })
    .superRefine((bootstrap, ctx) => {
        if (bootstrap.trustedPrincipals.length === 0 && !bootstrap.github) {
            ctx.addIssue({
                code: "custom",
                path: ["trustedPrincipals"],
                message: "nobody could assume the deploy role: list trustedPrincipals, or configure github",
                input: bootstrap.trustedPrincipals,
            });
        }
        const roles: readonly string[] = bootstrap.stackRoles;
        if (roles.includes("environment") && bootstrap.hostedZones.length === 0) {
            ctx.addIssue({
                code: "custom",
                path: ["hostedZones"],
                message: "must list the hosted zones of the environment stacks' domains (their domain.hostedZone)",
                input: bootstrap.hostedZones,
            });
        }
        if ((roles.includes("environment") || roles.includes("shared")) && !bootstrap.registry) {
            ctx.addIssue({
                code: "custom",
                path: ["registry"],
                message: "is missing: set { accountId, repositoryName } of the shared stack's registry",
                input: bootstrap.registry,
            });
        }
    }, alwaysCheck);

export const bootstrapStackSchema = z
    .strictObject({
        role: z.literal("bootstrap"),
        // No deploy role: the bootstrap creates it, run by someone with administrator rights in the account.
        aws: z.strictObject({ region, accountId }),
        bootstrap: bootstrapSchema,
    })
    .superRefine((config, ctx) => {
        const { accountId: account } = config.aws;
        if (config.bootstrap.registry && config.bootstrap.stackRoles.includes("shared") && config.bootstrap.registry.accountId !== account) {
            ctx.addIssue({
                code: "custom",
                path: ["bootstrap", "registry", "accountId"],
                message: `must be this account (${account}): the shared stack deploys the registry here`,
                input: config.bootstrap.registry.accountId,
            });
        }
        const backend = config.bootstrap.stateBackend;
        if (backend && backend.accountId === account && backend.region !== config.aws.region) {
            ctx.addIssue({
                code: "custom",
                path: ["bootstrap", "stateBackend", "region"],
                message: `must be this stack's region (${config.aws.region}): the bootstrap creates the state backend there`,
                input: backend.region,
            });
        }
        if (backend && backend.accountId !== account && backend.sharedWith.length > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["bootstrap", "stateBackend", "sharedWith"],
                message: `belongs in the bootstrap of the state's own account (${backend.accountId}), which grants the access`,
                input: backend.sharedWith,
            });
        }
        for (const principal of config.bootstrap.trustedPrincipals) {
            if (principal.endsWith(`:role/${IAM_NAMES.deployRole}`)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["bootstrap", "trustedPrincipals"],
                    message: "must not name a deploy role: CI reaches the deploy role through github, people through their own roles",
                    input: principal,
                });
            }
        }
    });
