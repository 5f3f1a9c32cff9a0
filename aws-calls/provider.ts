import type { DeployedStackRole } from "../config";
import { CONTAINERS_DATA_SOURCES, CONTAINERS_RESOURCES, PROVIDER_CONFIGURE } from "./provider/containers";
import { AWSX_COMPONENTS, EC2_DATA_SOURCES, EC2_RESOURCES } from "./provider/ec2";
import { EDGE_AND_MONITORING_DATA_SOURCES, EDGE_AND_MONITORING_RESOURCES } from "./provider/edge-and-monitoring";
import { IAM_S3_KMS_RESOURCES } from "./provider/iam-s3-kms";
import type { ApiCall, ComponentChildren, DataSourceCalls, Phase, ResourceCalls } from "./types";

/**
 * The one table of what the Pulumi AWS provider calls for every resource type and data source the stacks use, read
 * from the Terraform AWS provider's source (each entry cites its files in hashicorp/terraform-provider-aws; the
 * service files under ./provider/ hold the entries). Tests evaluate every call of every shipped stack against the
 * IAM policies; the bootstrap's read-only role is built from the read calls.
 */
export const RESOURCE_CALLS: Record<string, ResourceCalls> = {
    ...EC2_RESOURCES,
    ...EDGE_AND_MONITORING_RESOURCES,
    ...IAM_S3_KMS_RESOURCES,
    ...CONTAINERS_RESOURCES,
};

export const DATA_SOURCE_CALLS: Record<string, DataSourceCalls> = {
    ...EC2_DATA_SOURCES,
    ...EDGE_AND_MONITORING_DATA_SOURCES,
    ...CONTAINERS_DATA_SOURCES,
};

/** Remote components, opaque under mocks: what they register, from their own source. */
export const COMPONENT_CHILDREN: Record<string, ComponentChildren> = AWSX_COMPONENTS;

export { PROVIDER_CONFIGURE };

/**
 * The resource types and data sources each stack role registers, the remote components' children included: what the
 * bootstrap of an account grants its roles for. tests/iam-provider-calls.test.ts checks that every shipped stack
 * (and the config variants the tests build) registers nothing outside its role's list.
 */
export const STACK_ROLE_TYPES: Record<DeployedStackRole, { resources: string[]; dataSources: string[] }> = (() => {
    const vpc = AWSX_COMPONENTS["awsx:ec2:Vpc"];
    /** A bucket as components/private-bucket.ts makes it (every stack role has one; versioning only where it keeps history). */
    const bucket = [
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    ];
    /** What both environment and loadgen stacks build: a VPC with flow logs, security groups, roles, logs, buckets, ECS. */
    const workload = [
        ...vpc.resources,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/flowLog:FlowLog",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        ...bucket,
        "aws:ecs/cluster:Cluster",
        "aws:ecs/taskDefinition:TaskDefinition",
    ];
    const partition = "aws:index/getPartition:getPartition";
    return {
        shared: {
            resources: [
                "aws:ecr/repository:Repository",
                "aws:ecr/repositoryPolicy:RepositoryPolicy",
                "aws:ecr/lifecyclePolicy:LifecyclePolicy",
                "aws:kms/key:Key",
                "aws:kms/alias:Alias",
                // The release evidence bucket, versioned.
                ...bucket,
                "aws:s3/bucketVersioning:BucketVersioning",
            ],
            dataSources: [partition],
        },
        environment: {
            resources: [
                ...workload,
                "aws:ec2/vpcEndpoint:VpcEndpoint",
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "aws:lb/loadBalancer:LoadBalancer",
                "aws:lb/listener:Listener",
                "aws:lb/listenerRule:ListenerRule",
                "aws:lb/targetGroup:TargetGroup",
                "aws:acm/certificate:Certificate",
                "aws:acm/certificateValidation:CertificateValidation",
                "aws:route53/record:Record",
                "aws:ecs/service:Service",
                "aws:appautoscaling/target:Target",
                "aws:appautoscaling/policy:Policy",
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                "aws:cloudwatch/dashboard:Dashboard",
                "aws:sns/topic:Topic",
                "aws:sns/topicSubscription:TopicSubscription",
                "aws:kms/key:Key",
            ],
            dataSources: [
                ...vpc.invokes,
                "aws:ec2/getRouteTables:getRouteTables",
                "aws:ecr/getImage:getImage",
                "aws:route53/getZone:getZone",
                "aws:index/getCallerIdentity:getCallerIdentity",
                partition,
                "aws:index/getRegion:getRegion",
            ],
        },
        loadgen: {
            resources: [...workload, "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"],
            dataSources: [...vpc.invokes, partition],
        },
    };
})();

/** The calls of a resource type in some phases, or of a data source; throws for a type the table lacks. */
export function callsOf(type: string, phases: Phase[]): ApiCall[] {
    const resource = RESOURCE_CALLS[type];
    if (resource) return phases.flatMap((phase) => resource[phase]);
    const dataSource = DATA_SOURCE_CALLS[type];
    if (dataSource) return dataSource.read;
    throw new Error(`${type} is not in the provider's call table (aws-calls/provider.ts): add its calls from the provider's source`);
}

/** The IAM actions of some calls, sorted and without repeats. */
export const actionsOf = (calls: ApiCall[]): string[] => [...new Set(calls.flatMap((call) => call.actions ?? [call.api]))].sort();

/** Every IAM action reading what the stack roles register needs (a refresh, and a preview's data sources). */
export function readActions(stackRoles: DeployedStackRole[]): string[] {
    const types = stackRoles.flatMap((role) => [...STACK_ROLE_TYPES[role].resources, ...STACK_ROLE_TYPES[role].dataSources]);
    return actionsOf([...new Set(types)].flatMap((type) => callsOf(type, ["read"])));
}
