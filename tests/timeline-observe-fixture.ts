import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import type { ObserveClients } from "../scripts/timeline/observe/observe";
import { FAKE_CREDENTIALS } from "./promote-fixtures";

/**
 * Every STS, CloudWatch and Application Auto Scaling client the tests build is one of these mocks: aws-sdk-client-mock
 * stubs the class's prototype, and a second mockClient(CloudWatchClient) elsewhere would silently detach this one,
 * so every test of `timeline observe` (its module and its command line) shares them from here.
 */
export const stsMock = mockClient(STSClient);
export const cloudWatchMock = mockClient(CloudWatchClient);
export const autoScalingMock = mockClient(ApplicationAutoScalingClient);

/** Who the tests' credentials are by default: a role session in the dev stack's account (Pulumi.dev.yaml). */
export const DEV_CALLER = { Account: "222222222222", Arn: "arn:aws:sts::222222222222:assumed-role/Developer/alice@example.com", UserId: "AROAEXAMPLE:alice@example.com" };

/** GetCallerIdentity answers `caller`. */
export function mockCaller(caller: { Account: string; Arn: string; UserId?: string } = DEV_CALLER): void {
    stsMock.on(GetCallerIdentityCommand).resolves(caller);
}

/** Clients that never reach AWS: their sends are the mocks above, their credentials fake. */
export function mockedObserveClients(region = "eu-west-1"): ObserveClients {
    return {
        sts: new STSClient({ region, credentials: FAKE_CREDENTIALS }),
        cloudWatch: new CloudWatchClient({ region, credentials: FAKE_CREDENTIALS }),
        autoScaling: new ApplicationAutoScalingClient({ region, credentials: FAKE_CREDENTIALS }),
    };
}

/** Outputs of an environment stack built from Pulumi.dev.yaml, as `pulumi stack output --json -s dev` prints them. */
export const DEV_OUTPUTS = {
    url: "https://dev.loadlab.example.com",
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
