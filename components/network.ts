import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { NetworkConfig } from "../config";

export interface NetworkArgs {
    network: NetworkConfig;
    /** Region of the VPC, for the S3 endpoint's service name. */
    region: string;
    provider: aws.Provider;
}

/**
 * The environment's VPC: a public and a private subnet in each configured availability zone, NAT for the
 * private subnets as configured, and an S3 gateway endpoint so image layers (served from S3) skip the NAT.
 */
export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly publicSubnetIds: pulumi.Output<string[]>;
    readonly privateSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:network:Network", name, {}, opts);
        const { network, provider } = args;

        // awsx is a remote component: it uses only the providers given to it, never its parent's (pulumi-awsx#887).
        const vpc = new awsx.ec2.Vpc(
            name,
            {
                cidrBlock: network.cidrBlock,
                numberOfAvailabilityZones: network.availabilityZones,
                subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
                subnetSpecs: [
                    { type: awsx.ec2.SubnetType.Public, cidrMask: network.subnetPrefixLength },
                    { type: awsx.ec2.SubnetType.Private, cidrMask: network.subnetPrefixLength },
                ],
                natGateways: { strategy: network.natGateways },
            },
            { parent: this, providers: { aws: provider } },
        );
        this.vpcId = vpc.vpcId;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.privateSubnetIds = vpc.privateSubnetIds;

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

        this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
    }
}
