import { ECSClient } from "@aws-sdk/client-ecs";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { mockClient } from "aws-sdk-client-mock";
import { LoadgenStackOutputs } from "../loadgen/src/contract";
import { FAKE_CREDENTIALS } from "./promote-fixtures";

/** A loadgen stack's outputs as `pulumi stack output` would give them, with obviously fake ids. */
export const LOADGEN_OUTPUTS: LoadgenStackOutputs = {
    region: "eu-west-1",
    accountId: "111111111111",
    clusterArn: "arn:aws:ecs:eu-west-1:111111111111:cluster/loadgen",
    subnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    securityGroupId: "sg-0bbbbbbbbbbbbbbb1",
    bucketName: "loadgen-runs-111111111111",
    taskDefinitionArn: "arn:aws:ecs:eu-west-1:111111111111:task-definition/loadgen-runner:7",
    taskDefinitionFamily: "loadgen-runner",
    containerName: "k6-runner",
    runnerImage: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/loadgen-runner:runner-0123456789abcdef",
    repositoryUrl: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/loadgen-runner",
    repositoryName: "loadgen-runner",
    logGroupName: "/ecs-loadlab/loadgen",
    taskCpu: 2048,
    taskMemory: 4096,
};

/** A second loadgen stack, in another account and region and with smaller tasks, for runs over two stacks. */
export const LOADGEN_OUTPUTS_FRANKFURT: LoadgenStackOutputs = {
    region: "eu-central-1",
    accountId: "222222222222",
    clusterArn: "arn:aws:ecs:eu-central-1:222222222222:cluster/loadgen",
    subnetIds: ["subnet-0ccccccccccccccc1"],
    securityGroupId: "sg-0ddddddddddddddd1",
    bucketName: "loadgen-runs-222222222222",
    taskDefinitionArn: "arn:aws:ecs:eu-central-1:222222222222:task-definition/loadgen-runner:3",
    taskDefinitionFamily: "loadgen-runner",
    containerName: "k6-runner",
    runnerImage: "222222222222.dkr.ecr.eu-central-1.amazonaws.com/loadgen-runner:runner-0123456789abcdef",
    repositoryUrl: "222222222222.dkr.ecr.eu-central-1.amazonaws.com/loadgen-runner",
    repositoryName: "loadgen-runner",
    logGroupName: "/ecs-loadlab/loadgen",
    taskCpu: 1024,
    taskMemory: 2048,
};

/**
 * Every ECS client the tests build is this mock: aws-sdk-client-mock stubs the class's prototype, and a second
 * mockClient(ECSClient) elsewhere would silently detach this one, so ECS tests share it (as ECR tests share
 * promote-fixtures' ecrMock).
 */
export const ecsMock = mockClient(ECSClient);

export function mockedEcsClient(): ECSClient {
    return new ECSClient({ region: LOADGEN_OUTPUTS.region, credentials: FAKE_CREDENTIALS });
}

/** The Service Quotas client of every loadtest test, shared for the same reason as ecsMock. */
export const serviceQuotasMock = mockClient(ServiceQuotasClient);

export function mockedServiceQuotasClient(): ServiceQuotasClient {
    return new ServiceQuotasClient({ region: LOADGEN_OUTPUTS.region, credentials: FAKE_CREDENTIALS });
}
