import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { regionPartition } from "../scripts/aws-connection";
import type { ObserveClients } from "../scripts/timeline/observe/observe";
import { loadEnvironmentConfig, stackFilePath } from "./environment-fixtures";
import { ecsMock } from "./loadtest-stack-fixture";
import { FAKE_CREDENTIALS } from "./promote-fixtures";

/**
 * Every STS, CloudWatch, Application Auto Scaling and ECS client the tests build is one of these mocks: aws-sdk-client-mock
 * stubs the class's prototype, and a second mockClient(CloudWatchClient) elsewhere would silently detach this one,
 * so every test of `timeline observe` (its module and its command line) shares them from here.
 */
export const stsMock = mockClient(STSClient);
export const cloudWatchMock = mockClient(CloudWatchClient);
export const autoScalingMock = mockClient(ApplicationAutoScalingClient);
/** ECS's mock is the loadtest tests' (one mockClient per client class in the whole run), shared from there. */
export { ecsMock };

/**
 * The dev stack file the tests observe, where tests/environment-fixtures.ts finds it, and what it says: the account,
 * region and partition every expectation of what observe read from it is derived from, never the shipped placeholders.
 */
export const DEV_STACK_FILE = stackFilePath("Pulumi.dev.yaml");
export const DEV_CONFIG = loadEnvironmentConfig("Pulumi.dev.yaml");
export const DEV_ACCOUNT = DEV_CONFIG.aws.accountId;
export const DEV_REGION = DEV_CONFIG.aws.region;
export const DEV_PARTITION = regionPartition(DEV_REGION);

/** An account that is not the dev stack's, whatever the stack file says: for credentials and roles in the wrong account. */
export const OTHER_ACCOUNT = String((Number(DEV_ACCOUNT) + 1) % 1e12).padStart(12, "0");

/** Who the tests' credentials are by default: a role session in the dev stack's account (Pulumi.dev.yaml). */
export const DEV_CALLER = {
    Account: DEV_ACCOUNT,
    Arn: `arn:${DEV_PARTITION}:sts::${DEV_ACCOUNT}:assumed-role/Developer/alice`,
    UserId: "AROAEXAMPLE:alice",
};

/** GetCallerIdentity answers `caller`. */
export function mockCaller(caller: { Account: string; Arn: string; UserId?: string } = DEV_CALLER): void {
    stsMock.on(GetCallerIdentityCommand).resolves(caller);
}

/** Clients that never reach AWS: their sends are the mocks above, their credentials fake. */
export function mockedObserveClients(region = DEV_REGION): ObserveClients {
    return {
        sts: new STSClient({ region, credentials: FAKE_CREDENTIALS }),
        cloudWatch: new CloudWatchClient({ region, credentials: FAKE_CREDENTIALS }),
        autoScaling: new ApplicationAutoScalingClient({ region, credentials: FAKE_CREDENTIALS }),
        ecs: new ECSClient({ region, credentials: FAKE_CREDENTIALS }),
    };
}

/** Outputs of an environment stack built from Pulumi.dev.yaml, as `pulumi stack output --json -s dev` prints them. */
export const DEV_OUTPUTS = {
    url: `https://${DEV_CONFIG.domain.name}`,
    clusterName: "ecs-loadlab-dev",
    serviceName: "prime-counter",
    loadBalancerArnSuffix: "app/dev-7f3a2b1/50dc6c495c0c9188",
    targetGroupArnSuffix: "targetgroup/prime-counter-4c5d6e7/73e2d6bc24d8a067",
    alarmNames: [
        "dev-prime-counter-cpu-scale-out-1a2b3c4",
        "dev-prime-counter-cpu-scale-in-5d6e7f8",
        "dev-prime-counter-cpu-critical-at-max-9a8b7c6",
        "dev-prime-counter-max-capacity-0d1e2f3",
        "dev-prime-counter-target-5xx-4a5b6c7",
        "dev-prime-counter-unhealthy-hosts-8d9e0f1",
    ],
    logGroupName: "/ecs/ecs-loadlab/dev/prime-counter",
};
