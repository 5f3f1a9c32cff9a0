import * as pulumi from "@pulumi/pulumi";
import { BootstrapStackConfig } from "../config";
import { DeployRole } from "../components/deploy-role";
import { accountProvider } from "../components/provider";
import { ReadOnlyRole } from "../components/read-only-role";
import { StateBackend } from "../components/state-backend";

export interface BootstrapStackOutputs {
    /** Paste into the account's stack files as `aws.deployRoleArn`, and into CI as `<ENV>_DEPLOY_ROLE_ARN`. */
    deployRoleArn: pulumi.Output<string>;
    /** Into CI as `<ACCOUNT>_READ_ONLY_ROLE_ARN` (pull-request previews); `timeline observe --role-arn`. */
    readOnlyRoleArn: pulumi.Output<string>;
    /** Paste into the account's environment stack files as `aws.permissionsBoundaryArn`. */
    permissionsBoundaryArn: pulumi.Output<string>;
    githubOidcProviderArn?: pulumi.Output<string>;
    /** `pulumi login <stateBackendUrl>`, in the account that holds the state backend. */
    stateBackendUrl?: pulumi.Output<string>;
    /** `pulumi stack init <name> --secrets-provider <secretsProvider>`. */
    secretsProvider?: pulumi.Output<string>;
}

/**
 * Once per account, by someone with administrator rights there: the deploy role the account's stacks assume, its
 * permissions boundary, the read-only role previews and observers assume, and optionally the S3 state backend.
 */
export function buildBootstrapStack(config: BootstrapStackConfig): BootstrapStackOutputs {
    const provider = accountProvider("bootstrap", { aws: config.aws, role: "bootstrap" });
    const deployRole = new DeployRole("deploy", { bootstrap: config.bootstrap, accountId: config.aws.accountId, provider });
    const readOnlyRole = new ReadOnlyRole("read-only", {
        bootstrap: config.bootstrap,
        accountId: config.aws.accountId,
        githubOidcProviderArn: deployRole.githubOidcProviderArn,
        provider,
    });
    const backend = config.bootstrap.stateBackend;
    const stateBackend = backend?.accountId === config.aws.accountId ? new StateBackend("state", { backend, provider }) : undefined;
    return {
        deployRoleArn: deployRole.roleArn,
        readOnlyRoleArn: readOnlyRole.roleArn,
        permissionsBoundaryArn: deployRole.permissionsBoundaryArn,
        ...(deployRole.githubOidcProviderArn ? { githubOidcProviderArn: deployRole.githubOidcProviderArn } : {}),
        ...(stateBackend ? { stateBackendUrl: stateBackend.url, secretsProvider: stateBackend.secretsProvider } : {}),
    };
}
