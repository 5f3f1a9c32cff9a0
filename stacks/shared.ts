import * as pulumi from "@pulumi/pulumi";
import { EvidenceBucket } from "../components/evidence-bucket";
import { accountProvider } from "../components/provider";
import { Registry } from "../components/registry";
import { SharedStackConfig } from "../config";
import { evidenceBucketName } from "./shared-names";

/** What environment stacks read through their StackReference to the shared stack. */
export interface SharedStackOutputs {
    registryAccountId: pulumi.Output<string>;
    registryRegion: string;
    repositoryName: pulumi.Output<string>;
    repositoryUrl: pulumi.Output<string>;
    repositoryArn: pulumi.Output<string>;
    /** The movable tags, one per workload environment; every other tag is immutable. */
    environmentTags: string[];
    /** The release evidence bucket: load-test verdicts and promotion records (the tools compute its name from config). */
    evidenceBucketName: pulumi.Output<string>;
}

/**
 * The shared-assets stack: the service's container registry, pulled from by every workload account, and the release
 * evidence bucket the load tests record their verdicts in and promotions read them from.
 */
export function buildSharedStack(config: SharedStackConfig): SharedStackOutputs {
    const provider = accountProvider("shared", { aws: config.aws, role: "shared" });
    const registry = new Registry("registry", {
        registry: config.registry,
        environments: config.environments,
        region: config.aws.region,
        accountId: config.aws.accountId,
        provider,
    });
    const evidence = new EvidenceBucket("evidence", {
        bucketName: evidenceBucketName(config.aws.accountId, config.aws.region),
        noncurrentDays: config.release.evidenceNoncurrentDays,
        writerAccountIds: config.release.verdictWriterAccountIds,
        provider,
    });
    return {
        registryAccountId: registry.repository.registryId,
        registryRegion: config.aws.region,
        repositoryName: registry.repository.name,
        repositoryUrl: registry.repository.repositoryUrl,
        repositoryArn: registry.repository.arn,
        environmentTags: config.environments.map((environment) => environment.name),
        evidenceBucketName: evidence.bucketName,
    };
}
