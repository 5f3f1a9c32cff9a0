import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { LOG_GROUP_PREFIXES, NetworkConfig, PublicNetworkConfig } from "../config";
import { serviceRole } from "./service-role";

export interface NetworkArgs {
    network: PublicNetworkConfig;
    /** Private subnets beside the public ones, reaching the internet through NAT as configured; omit for public subnets only. */
    privateSubnets?: { natGateways: NetworkConfig["natGateways"] };
    /** Region of the VPC, for the S3 endpoint's service name. */
    region: string;
    /** The VPC's account: only flow logs of this account may use the flow log role. */
    accountId: string;
    /** Carried by the flow log role. */
    permissionsBoundaryArn: string | undefined;
    provider: aws.Provider;
}

/** Flow log records aggregate at most this long: per-minute records line up with a load test's 1-minute metrics. */
const FLOW_LOG_AGGREGATION_SECONDS = 60;

/**
 * A stack's VPC: a public subnet in each configured availability zone and, when asked, a private one beside it, with
 * NAT for the private subnets as configured and an S3 gateway endpoint so image layers (served from S3) skip the
 * NAT. Without private subnets there is no NAT at all. Its default security group allows nothing, and, when config
 * asks, all its traffic is logged to CloudWatch Logs.
 */
export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly publicSubnetIds: pulumi.Output<string[]>;
    readonly privateSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:network:Network", name, {}, opts);
        const { network, privateSubnets, provider } = args;
        const subnet = (type: awsx.ec2.SubnetType) => ({ type, cidrMask: network.subnetPrefixLength });

        // awsx is a remote component: it uses only the providers given to it, never its parent's (pulumi-awsx#887).
        const vpc = new awsx.ec2.Vpc(
            name,
            {
                cidrBlock: network.cidrBlock,
                numberOfAvailabilityZones: network.availabilityZones,
                subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
                subnetSpecs: [subnet(awsx.ec2.SubnetType.Public), ...(privateSubnets ? [subnet(awsx.ec2.SubnetType.Private)] : [])],
                natGateways: { strategy: privateSubnets?.natGateways ?? awsx.ec2.NatGatewayStrategy.None },
            },
            { parent: this, providers: { aws: provider } },
        );
        this.vpcId = vpc.vpcId;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.privateSubnetIds = vpc.privateSubnetIds;

        if (privateSubnets) {
            this.routeS3ThroughGateway(name, vpc, args);
        }

        // Every workload has a security group of its own; the default one, which every VPC has, is left with no rules.
        new aws.ec2.DefaultSecurityGroup(`${name}-default`, { vpcId: vpc.vpcId }, { parent: this, provider });

        if (network.flowLogs.enabled) {
            this.logFlows(name, vpc.vpcId, args);
        }

        this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
    }

    /** An S3 gateway endpoint on the private subnets' route tables. */
    private routeS3ThroughGateway(name: string, vpc: awsx.ec2.Vpc, args: NetworkArgs): void {
        const { provider } = args;
        // vpcEndpointSpecs cannot name route tables the Vpc has yet to create, and its "Auto" endpoint strategy
        // chooses among the generated ones itself: look up the private subnets' tables instead. A remote
        // component's outputs resolve only once everything it created exists, route table associations included.
        const privateRouteTables = aws.ec2.getRouteTablesOutput(
            { vpcId: vpc.vpcId, filters: [{ name: "association.subnet-id", values: vpc.privateSubnetIds }] },
            { parent: this, provider },
        );
        new aws.ec2.VpcEndpoint(
            `${name}-s3`,
            {
                vpcId: vpc.vpcId,
                serviceName: `com.amazonaws.${args.region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: privateRouteTables.ids,
            },
            { parent: this, provider },
        );
    }

    /**
     * Flow logs of all traffic (accepted and rejected) to a log group with the configured retention, delivered by a
     * role that only this account's VPC flow logs can assume and that may write to that log group alone.
     */
    private logFlows(name: string, vpcId: pulumi.Output<string>, args: NetworkArgs): void {
        const { accountId, region, provider } = args;
        const childOpts = { parent: this, provider };
        const logGroupName = `${LOG_GROUP_PREFIXES.flowLogs}${name}/flow-logs`;
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { name: logGroupName, retentionInDays: args.network.flowLogs.retentionDays },
            childOpts,
        );

        const partition = aws.getPartitionOutput({}, childOpts).partition;
        const role = serviceRole(
            `${name}-flow-logs`,
            {
                description: `VPC flow logs write to ${logGroupName}`,
                service: "vpc-flow-logs.amazonaws.com",
                accountId,
                permissionsBoundaryArn: args.permissionsBoundaryArn,
                // The flow log's id is known only once it exists, which needs the role first.
                sourceArnLike: pulumi.interpolate`arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*`,
            },
            childOpts,
        );
        const writeLogGroup: aws.iam.PolicyDocument = {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
                },
            ],
        };
        const rolePolicy = new aws.iam.RolePolicy(`${name}-flow-logs`, { role: role.id, policy: pulumi.jsonStringify(writeLogGroup) }, childOpts);

        new aws.ec2.FlowLog(
            `${name}-flow-logs`,
            {
                vpcId,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: role.arn,
                maxAggregationInterval: FLOW_LOG_AGGREGATION_SECONDS,
            },
            // Delivery starts at once: the role must already be allowed to write.
            { ...childOpts, dependsOn: [rolePolicy] },
        );
    }
}
