import * as pulumi from "@pulumi/pulumi";
import { LoadGenerators } from "../components/load-generators";
import { Network } from "../components/network";
import { accountProvider } from "../components/provider";
import { RunBucket } from "../components/run-bucket";
import { RunnerRepository } from "../components/runner-repository";
import { LoadgenStackConfig, PROJECT } from "../config";
import { LoadgenStackOutputs, RUNNER_CONTAINER_NAME } from "../loadgen/src/contract";
import { runnerImageTag } from "../loadgen/src/image";

/** The stack's outputs as Pulumi exports them: exactly what `npm run loadtest` reads (loadgen/src/contract.ts). */
export type LoadgenStackExports = { [Output in keyof LoadgenStackOutputs]: pulumi.Input<LoadgenStackOutputs[Output]> };

/**
 * `loadgen-<stack>`, the stem of the stack's AWS names. The stack's name goes into names with strict rules (an ECR
 * repository, a bucket of at most 63 characters), so it must be short, lowercase letters, digits and dashes.
 */
export function loadgenName(stack: string): string {
    if (!/^[a-z][a-z0-9-]{0,29}$/.test(stack)) {
        throw new Error(
            `A loadgen stack's name becomes part of its AWS resource names: "${stack}" must be lowercase letters, digits and dashes, starting with a letter (≤ 30 characters)`,
        );
    }
    return `loadgen-${stack}`;
}

/**
 * Load generators in one account and region, nothing running and nothing billed while idle: a VPC with public
 * subnets and no NAT, a Fargate cluster with the k6 runner's task definition, the bucket runs live in, and the
 * repository of the runner image. `npm run loadtest` starts the tasks.
 */
export function buildLoadgenStack(config: LoadgenStackConfig): LoadgenStackExports {
    const stack = pulumi.getStack();
    const name = loadgenName(stack);
    const { region, accountId, permissionsBoundaryArn } = config.aws;
    const { loadgen } = config;
    const provider = accountProvider(name, { aws: config.aws, role: "loadgen" });

    const network = new Network(name, { network: loadgen.network, region, accountId, permissionsBoundaryArn, provider });
    const repository = new RunnerRepository(name, {
        repositoryName: `${PROJECT}/k6-runner-${stack}`,
        imagesToKeep: loadgen.runnerImagesToKeep,
        provider,
    });
    const runs = new RunBucket(`${name}-runs`, { expireAfterDays: loadgen.resultRetentionDays, provider });
    const runnerImage = pulumi.interpolate`${repository.repositoryUrl}:${runnerImageTag()}`;
    const generators = new LoadGenerators(name, {
        task: loadgen.task,
        logRetentionDays: loadgen.logRetentionDays,
        image: runnerImage,
        runs,
        vpcId: network.vpcId,
        accountId,
        region,
        permissionsBoundaryArn,
        provider,
    });

    return {
        region,
        accountId,
        clusterArn: generators.clusterArn,
        subnetIds: network.publicSubnetIds,
        securityGroupId: generators.securityGroupId,
        bucketName: runs.bucketName,
        taskDefinitionArn: generators.taskDefinitionArn,
        taskDefinitionFamily: generators.taskDefinitionFamily,
        containerName: RUNNER_CONTAINER_NAME,
        runnerImage,
        repositoryUrl: repository.repositoryUrl,
        repositoryName: repository.repositoryName,
        logGroupName: generators.logGroupName,
        taskCpu: loadgen.task.cpu,
        taskMemory: loadgen.task.memory,
    };
}
