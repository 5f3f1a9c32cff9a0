/**
 * AWS API calls of the EC2/VPC resource types and data sources our stacks use, taken from hashicorp/terraform-provider-aws
 * (v6 line, internal/service/ec2), and the children of the awsx:ec2:Vpc component, taken from pulumi/pulumi-awsx (v3).
 *
 * Common to every tagged resource below (service_package_gen.go: Tags identifierAttribute "id"; tags_gen.go): tags
 * are passed on create as TagSpecifications (IAM: ec2:CreateTags too), read from the Describe* output (setTagsOut, so
 * no ec2:DescribeTags), and changed by updateTags: ec2:DeleteTags for removed keys, ec2:CreateTags for new/changed ones.
 * Finders (find.go), waiters (wait.go) and status functions (status.go) poll the resource's own Describe* call.
 */
import type { ComponentChildren, DataSourceCalls, ResourceCalls } from "../types";

const COMMON = ["internal/service/ec2/find.go", "internal/service/ec2/wait.go", "internal/service/ec2/status.go"];
const TAGGING = ["internal/service/ec2/tags_gen.go", "internal/service/ec2/service_package_gen.go"];

/** updateTags (tags_gen.go), run by the transparent-tagging interceptor on update when tags change. */
const UPDATE_TAGS = [
    { api: "ec2:CreateTags", when: "tags" },
    { api: "ec2:DeleteTags", when: "tags" },
];

/** resourceVPCRead: findVPCByID, findVPCAttribute (x3), findVPCDefaultNetworkACL, findVPCMainRouteTable, findVPCDefaultSecurityGroup. */
const VPC_READ = [
    { api: "ec2:DescribeVpcs" },
    { api: "ec2:DescribeVpcAttribute" }, // enableDnsHostnames, enableDnsSupport, enableNetworkAddressUsageMetrics
    { api: "ec2:DescribeNetworkAcls" },
    { api: "ec2:DescribeRouteTables" },
    { api: "ec2:DescribeSecurityGroups" },
];

/** resourceRouteTableRead: findRouteTableByID; flattenRoutes looks up the ENI of any route that targets one. */
const ROUTE_TABLE_READ = [
    { api: "ec2:DescribeRouteTables" },
    { api: "ec2:DescribeNetworkInterfaces" }, // only for routes with a NetworkInterfaceId (skips other accounts' service ENIs)
];

/** resourceVPCEndpointRead: findVPCEndpointByID, findPrefixListByName(serviceName), and each endpoint ENI's subnet. */
const VPC_ENDPOINT_READ = [
    { api: "ec2:DescribeVpcEndpoints" },
    { api: "ec2:DescribePrefixLists" },
    { api: "ec2:DescribeNetworkInterfaces" }, // only Interface endpoints have network interfaces
];

/** deleteLingeringENIs (vpc_network_interface.go), run first by subnet and security group delete. */
const DELETE_LINGERING_ENIS = [
    { api: "ec2:DescribeNetworkInterfaces" },
    { api: "ec2:DetachNetworkInterface", onlyWhen: "a Lambda, Comprehend or DMS network interface lingers in it (the stacks create none)" },
    { api: "ec2:DeleteNetworkInterface", onlyWhen: "a Lambda, Comprehend or DMS network interface lingers in it (the stacks create none)" },
];

/** The (default) security group's ingress/egress blocks: updateSecurityGroupRules revokes removed rules, authorizes new ones. */
const SECURITY_GROUP_RULE_BLOCKS = [
    { api: "ec2:RevokeSecurityGroupIngress", when: "ingress" },
    { api: "ec2:AuthorizeSecurityGroupIngress", when: "ingress" },
    { api: "ec2:RevokeSecurityGroupEgress", when: "egress" },
    { api: "ec2:AuthorizeSecurityGroupEgress", when: "egress" },
];

export const EC2_RESOURCES: Record<string, ResourceCalls> = {
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
        source: ["internal/service/ec2/vpc_default_security_group.go", "internal/service/ec2/vpc_security_group.go", ...COMMON, ...TAGGING],
        // Create adopts the VPC's "default" group, syncs its tags with updateTags, revokes all its rules
        // (forceRevokeSecurityGroupRules), then runs resourceSecurityGroupUpdate, which ends by calling read.
        create: [
            { api: "ec2:DescribeSecurityGroups" },
            { api: "ec2:CreateTags", when: "tags" },
            { api: "ec2:DeleteTags" }, // only for tags already on the group that tags does not have
            { api: "ec2:DescribeSecurityGroupRules" },
            { api: "ec2:RevokeSecurityGroupIngress" }, // every existing rule, incl. rules of related groups that reference it
            { api: "ec2:RevokeSecurityGroupEgress" },
            { api: "ec2:AuthorizeSecurityGroupIngress", when: "ingress" },
            { api: "ec2:AuthorizeSecurityGroupEgress", when: "egress" },
        ],
        read: [{ api: "ec2:DescribeSecurityGroups" }],
        update: [{ api: "ec2:DescribeSecurityGroups" }, ...SECURITY_GROUP_RULE_BLOCKS, ...UPDATE_TAGS],
        delete: [], // schema.NoopContext: the default group is only dropped from state
    },
    "aws:ec2/eip:Eip": {
        source: ["internal/service/ec2/ec2_eip.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:AllocateAddress", actions: ["ec2:AllocateAddress", "ec2:CreateTags"] },
            { api: "ec2:DescribeAddresses" }, // RetryWhenNotFound(findEIPByAllocationID); create ends by calling read
            { api: "ec2:AssociateAddress", when: "instance" }, // or networkInterface
            { api: "ec2:DescribeAddressesAttribute" }, // read: findEIPDomainNameAttributeByAllocationID (ptr_record)
        ],
        read: [{ api: "ec2:DescribeAddresses" }, { api: "ec2:DescribeAddressesAttribute" }],
        update: [
            { api: "ec2:DisassociateAddress", when: "instance" }, // or networkInterface / associateWithPrivateIp changes
            { api: "ec2:AssociateAddress", when: "instance" },
            { api: "ec2:DescribeAddresses" },
            { api: "ec2:DescribeAddressesAttribute" },
            ...UPDATE_TAGS,
        ],
        delete: [
            { api: "ec2:DisassociateAddress" }, // when state holds an association (e.g. a NAT gateway's, after a refresh)
            { api: "ec2:ReleaseAddress" },
            { api: "ec2:GetIpamPoolAllocations", when: "ipamPoolId" },
        ],
    },
    "aws:ec2/flowLog:FlowLog": {
        source: ["internal/service/ec2/vpc_flow_log.go", ...COMMON, ...TAGGING],
        // For s3 / kinesis-data-firehose destinations EC2 also needs logs:CreateLogDelivery (and logs:DeleteLogDelivery on
        // delete) from the caller; for cloud-watch-logs, only iam:PassRole of iamRoleArn (AWS VPC user guide).
        create: [
            {
                api: "ec2:CreateFlowLogs",
                actions: ["ec2:CreateFlowLogs", "ec2:CreateTags"],
                passesRoles: { inputs: ["iamRoleArn"], to: "vpc-flow-logs.amazonaws.com" },
            },
            { api: "ec2:CreateFlowLogs", on: { input: "vpcId" }, when: "vpcId" }, // also authorized against the logged VPC (or subnetId, eniId, ...)
            {
                api: "ec2:CreateFlowLogs",
                when: "deliverCrossAccountRole",
                passesRoles: { inputs: ["deliverCrossAccountRole"], to: "delivery.logs.amazonaws.com" },
            },
            { api: "ec2:DescribeFlowLogs" }, // create ends by calling read
        ],
        read: [{ api: "ec2:DescribeFlowLogs" }],
        update: [{ api: "ec2:DescribeFlowLogs" }, ...UPDATE_TAGS], // tags only
        delete: [{ api: "ec2:DeleteFlowLogs" }],
    },
    "aws:ec2/internetGateway:InternetGateway": {
        source: ["internal/service/ec2/vpc_internet_gateway.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:CreateInternetGateway", actions: ["ec2:CreateInternetGateway", "ec2:CreateTags"] },
            { api: "ec2:AttachInternetGateway", when: "vpcId" },
            { api: "ec2:AttachInternetGateway", on: { input: "vpcId" }, when: "vpcId" },
            { api: "ec2:DescribeInternetGateways" }, // waitInternetGatewayAttached; create ends by calling read
        ],
        read: [{ api: "ec2:DescribeInternetGateways" }],
        update: [
            { api: "ec2:DetachInternetGateway", when: "vpcId" },
            { api: "ec2:DetachInternetGateway", on: { input: "vpcId" }, when: "vpcId" },
            { api: "ec2:AttachInternetGateway", when: "vpcId" },
            { api: "ec2:AttachInternetGateway", on: { input: "vpcId" }, when: "vpcId" },
            { api: "ec2:DescribeInternetGateways" },
            ...UPDATE_TAGS,
        ],
        delete: [
            { api: "ec2:DetachInternetGateway", when: "vpcId" },
            { api: "ec2:DetachInternetGateway", on: { input: "vpcId" }, when: "vpcId" },
            { api: "ec2:DescribeInternetGateways" }, // waitInternetGatewayDetached
            { api: "ec2:DeleteInternetGateway" },
        ],
    },
    "aws:ec2/natGateway:NatGateway": {
        source: ["internal/service/ec2/vpc_nat_gateway.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:CreateNatGateway", actions: ["ec2:CreateNatGateway", "ec2:CreateTags"] },
            { api: "ec2:CreateNatGateway", on: { input: "subnetId" }, when: "subnetId" },
            { api: "ec2:CreateNatGateway", on: { input: "allocationId" }, when: "allocationId" }, // the elastic-ip
            { api: "ec2:DescribeNatGateways" }, // waitNATGatewayCreated; create ends by calling read
        ],
        read: [{ api: "ec2:DescribeNatGateways" }],
        update: [
            { api: "ec2:AssignPrivateNatGatewayAddress", when: "secondaryPrivateIpAddresses" }, // private connectivity
            { api: "ec2:UnassignPrivateNatGatewayAddress", when: "secondaryPrivateIpAddresses" },
            { api: "ec2:AssociateNatGatewayAddress", when: "secondaryAllocationIds" }, // or availabilityZoneAddresses (regional)
            { api: "ec2:DisassociateNatGatewayAddress", when: "secondaryAllocationIds" },
            { api: "ec2:DescribeAvailabilityZones", when: "availabilityZoneAddresses" }, // regional: AZ id -> name map
            { api: "ec2:DescribeNatGateways" },
            ...UPDATE_TAGS,
        ],
        delete: [
            { api: "ec2:DescribeNatGateways" }, // waitNATGatewayAttachedAppliancesDetached, then waitNATGatewayDeleted
            { api: "ec2:DeleteNatGateway" },
        ],
    },
    "aws:ec2/route:Route": {
        // Route finders (findRouteByIPv4Destination, ...) read the route table with DescribeRouteTables.
        source: ["internal/service/ec2/vpc_route.go", ...COMMON],
        create: [
            { api: "ec2:CreateRoute", on: { input: "routeTableId" } },
            { api: "ec2:DescribeRouteTables" }, // waitRouteReady; create ends by calling read
        ],
        read: [{ api: "ec2:DescribeRouteTables" }],
        update: [{ api: "ec2:ReplaceRoute", on: { input: "routeTableId" } }, { api: "ec2:DescribeRouteTables" }],
        delete: [{ api: "ec2:DeleteRoute", on: { input: "routeTableId" } }, { api: "ec2:DescribeRouteTables" }], // waitRouteDeleted
    },
    "aws:ec2/routeTable:RouteTable": {
        source: ["internal/service/ec2/vpc_route_table.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:CreateRouteTable", actions: ["ec2:CreateRouteTable", "ec2:CreateTags"] },
            { api: "ec2:CreateRouteTable", on: { input: "vpcId" } },
            { api: "ec2:EnableVgwRoutePropagation", when: "propagatingVgws" },
            { api: "ec2:CreateRoute", when: "routes" },
            ...ROUTE_TABLE_READ, // waitRouteTableReady, waitRouteReady; create ends by calling read
        ],
        read: ROUTE_TABLE_READ,
        update: [
            { api: "ec2:DisableVgwRoutePropagation", when: "propagatingVgws" },
            { api: "ec2:EnableVgwRoutePropagation", when: "propagatingVgws" },
            { api: "ec2:CreateRoute", when: "routes" },
            { api: "ec2:ReplaceRoute", when: "routes" },
            { api: "ec2:DeleteRoute", when: "routes" },
            ...ROUTE_TABLE_READ,
            ...UPDATE_TAGS,
        ],
        delete: [
            { api: "ec2:DescribeRouteTables" }, // findRouteTableByID, then waitRouteTableDeleted
            { api: "ec2:DisassociateRouteTable" }, // every remaining association first
            { api: "ec2:DeleteRouteTable" },
        ],
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {
        source: ["internal/service/ec2/vpc_route_table_association.go", ...COMMON],
        create: [
            { api: "ec2:AssociateRouteTable", on: { input: "routeTableId" } },
            { api: "ec2:AssociateRouteTable", on: { input: "subnetId" }, when: "subnetId" }, // or gatewayId
            { api: "ec2:DescribeRouteTables" }, // waitRouteTableAssociationCreated; create ends by calling read
        ],
        read: [{ api: "ec2:DescribeRouteTables" }],
        update: [
            { api: "ec2:ReplaceRouteTableAssociation", on: { input: "routeTableId" } }, // re-creates with AssociateRouteTable if gone
            { api: "ec2:DescribeRouteTables" },
        ],
        delete: [
            { api: "ec2:DisassociateRouteTable", on: { input: "routeTableId" } },
            { api: "ec2:DisassociateRouteTable", on: { input: "subnetId" }, when: "subnetId" },
            { api: "ec2:DescribeRouteTables" }, // waitRouteTableAssociationDeleted
        ],
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        source: ["internal/service/ec2/vpc_security_group.go", "internal/service/ec2/vpc_network_interface.go", ...COMMON, ...TAGGING],
        // Create revokes AWS's default allow-all egress (IPv4 and IPv6), then runs resourceSecurityGroupUpdate, which ends by calling read.
        create: [
            { api: "ec2:CreateSecurityGroup", actions: ["ec2:CreateSecurityGroup", "ec2:CreateTags"] },
            { api: "ec2:CreateSecurityGroup", on: { input: "vpcId" }, when: "vpcId" },
            { api: "ec2:DescribeSecurityGroups" }, // waitSecurityGroupCreated, findSecurityGroupByID
            { api: "ec2:RevokeSecurityGroupEgress" },
            { api: "ec2:AuthorizeSecurityGroupIngress", when: "ingress" },
            { api: "ec2:AuthorizeSecurityGroupEgress", when: "egress" },
        ],
        read: [{ api: "ec2:DescribeSecurityGroups" }],
        update: [{ api: "ec2:DescribeSecurityGroups" }, ...SECURITY_GROUP_RULE_BLOCKS, ...UPDATE_TAGS],
        delete: [
            ...DELETE_LINGERING_ENIS, // filter group-id
            { api: "ec2:DescribeSecurityGroupRules", when: "revokeRulesOnDelete" }, // forceRevokeSecurityGroupRules
            { api: "ec2:RevokeSecurityGroupIngress", when: "revokeRulesOnDelete" },
            { api: "ec2:RevokeSecurityGroupEgress", when: "revokeRulesOnDelete" },
            { api: "ec2:DeleteSecurityGroup" },
            { api: "ec2:DescribeSecurityGroups" }, // RetryUntilNotFound
        ],
    },
    "aws:ec2/subnet:Subnet": {
        source: ["internal/service/ec2/vpc_subnet.go", "internal/service/ec2/vpc_network_interface.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:CreateSubnet", actions: ["ec2:CreateSubnet", "ec2:CreateTags"] },
            { api: "ec2:CreateSubnet", on: { input: "vpcId" } },
            // modifySubnetAttributesOnCreate: one call per attribute that differs from the new subnet's value (also
            // assignIpv6AddressOnCreation, enableDns64, enableResourceName*, privateDnsHostnameTypeOnLaunch, ...).
            { api: "ec2:ModifySubnetAttribute", when: "mapPublicIpOnLaunch" },
            { api: "ec2:AssociateSubnetCidrBlock", when: "ipv6CidrBlock" },
            { api: "ec2:DescribeSubnets" }, // waitSubnetAvailable, attribute waiters; create ends by calling read
        ],
        read: [{ api: "ec2:DescribeSubnets" }],
        update: [
            { api: "ec2:ModifySubnetAttribute", when: "mapPublicIpOnLaunch" }, // likewise for the other attributes
            { api: "ec2:DisassociateSubnetCidrBlock", when: "ipv6CidrBlock" },
            { api: "ec2:AssociateSubnetCidrBlock", when: "ipv6CidrBlock" },
            { api: "ec2:DescribeSubnets" },
            ...UPDATE_TAGS,
        ],
        delete: [
            ...DELETE_LINGERING_ENIS, // filter subnet-id
            { api: "ec2:DeleteSubnet" },
            // Only after a DependencyViolation: dissociate GuardDuty-managed VPC endpoints from the subnet, then retry.
            { api: "ec2:DescribeVpcs" },
            { api: "ec2:DescribeVpcEndpoints" },
            { api: "ec2:ModifyVpcEndpoint" },
        ],
    },
    "aws:ec2/vpc:Vpc": {
        source: ["internal/service/ec2/vpc_.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:CreateVpc", actions: ["ec2:CreateVpc", "ec2:CreateTags"] },
            // modifyVPCAttributesOnCreate: only for values other than the new VPC's (hostnames off, support on, metrics off).
            { api: "ec2:ModifyVpcAttribute", when: "enableDnsHostnames" },
            { api: "ec2:ModifyVpcAttribute", when: "enableDnsSupport" },
            { api: "ec2:ModifyVpcAttribute", when: "enableNetworkAddressUsageMetrics" },
            ...VPC_READ, // waitVPCCreated, IPv6 association and attribute waiters; create ends by calling read
        ],
        read: VPC_READ,
        update: [
            { api: "ec2:ModifyVpcAttribute", when: "enableDnsHostnames" },
            { api: "ec2:ModifyVpcAttribute", when: "enableDnsSupport" },
            { api: "ec2:ModifyVpcAttribute", when: "enableNetworkAddressUsageMetrics" },
            { api: "ec2:ModifyVpcTenancy", when: "instanceTenancy" },
            { api: "ec2:DisassociateVpcCidrBlock", when: "assignGeneratedIpv6CidrBlock" }, // or ipv6CidrBlock / ipv6IpamPoolId
            { api: "ec2:AssociateVpcCidrBlock", when: "assignGeneratedIpv6CidrBlock" },
            ...VPC_READ, // update ends by calling read
            ...UPDATE_TAGS,
        ],
        delete: [
            { api: "ec2:DeleteVpc" },
            { api: "ec2:DescribeVpcs" }, // RetryUntilNotFound
            { api: "ec2:GetIpamPoolAllocations", when: "ipv4IpamPoolId" }, // or ipv6IpamPoolId
        ],
    },
    "aws:ec2/vpcEndpoint:VpcEndpoint": {
        source: ["internal/service/ec2/vpc_endpoint.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:CreateVpcEndpoint", actions: ["ec2:CreateVpcEndpoint", "ec2:CreateTags"] },
            { api: "ec2:CreateVpcEndpoint", on: { input: "vpcId" } },
            { api: "ec2:CreateVpcEndpoint", on: { input: "routeTableIds" }, when: "routeTableIds" }, // also subnetIds, securityGroupIds
            { api: "ec2:DescribeVpcEndpointServiceConfigurations", when: "autoAccept" },
            { api: "ec2:AcceptVpcEndpointConnections", when: "autoAccept" },
            ...VPC_ENDPOINT_READ, // waitVPCEndpointAvailable; create ends by calling read
        ],
        read: VPC_ENDPOINT_READ,
        update: [
            { api: "ec2:DescribeVpcEndpointServiceConfigurations", when: "autoAccept" },
            { api: "ec2:AcceptVpcEndpointConnections", when: "autoAccept" },
            { api: "ec2:ModifyVpcEndpoint" }, // routeTableIds, subnetIds, securityGroupIds, policy, dnsOptions, ... changes
            { api: "ec2:ModifyVpcEndpoint", on: { input: "routeTableIds" }, when: "routeTableIds" },
            ...VPC_ENDPOINT_READ,
            ...UPDATE_TAGS,
        ],
        delete: [{ api: "ec2:DeleteVpcEndpoints" }, { api: "ec2:DescribeVpcEndpoints" }], // waitVPCEndpointDeleted
    },
    // Framework resources sharing securityGroupRuleResource: create does not end with a read.
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        source: ["internal/service/ec2/vpc_security_group_egress_rule.go", "internal/service/ec2/vpc_security_group_ingress_rule.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:AuthorizeSecurityGroupEgress", on: { input: "securityGroupId" } },
            { api: "ec2:CreateTags", when: "tags" }, // TagSpecifications on the new security-group-rule
        ],
        read: [{ api: "ec2:DescribeSecurityGroupRules" }],
        update: [{ api: "ec2:ModifySecurityGroupRules", on: { input: "securityGroupId" } }, ...UPDATE_TAGS],
        delete: [{ api: "ec2:RevokeSecurityGroupEgress", on: { input: "securityGroupId" } }],
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        source: ["internal/service/ec2/vpc_security_group_ingress_rule.go", ...COMMON, ...TAGGING],
        create: [
            { api: "ec2:AuthorizeSecurityGroupIngress", on: { input: "securityGroupId" } },
            { api: "ec2:CreateTags", when: "tags" }, // tags on the new security-group-rule (TagSpecifications or createTags)
        ],
        read: [{ api: "ec2:DescribeSecurityGroupRules" }],
        update: [{ api: "ec2:ModifySecurityGroupRules", on: { input: "securityGroupId" } }, ...UPDATE_TAGS],
        delete: [{ api: "ec2:RevokeSecurityGroupIngress", on: { input: "securityGroupId" } }],
    },
};

export const EC2_DATA_SOURCES: Record<string, DataSourceCalls> = {
    "aws:ec2/getRouteTables:getRouteTables": {
        source: ["internal/service/ec2/vpc_route_tables_data_source.go", "internal/service/ec2/find.go"],
        read: [{ api: "ec2:DescribeRouteTables" }], // findRouteTables (paginated)
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": {
        source: ["internal/service/ec2/availability_zones_data_source.go"],
        read: [{ api: "ec2:DescribeAvailabilityZones" }],
    },
};

export const AWSX_COMPONENTS: Record<string, ComponentChildren> = {
    // For numberOfAvailabilityZones, subnetStrategy Auto, Public (+ Private) subnets and NAT None or Single (one EIP and
    // NAT gateway, in the first public subnet). It always creates the internet gateway with vpcId (no
    // InternetGatewayAttachment). VpcEndpoint, SecurityGroup and SecurityGroupRule come only with vpcEndpointSpecs.
    "awsx:ec2:Vpc": {
        source: "awsx/ec2/vpc.ts",
        resources: [
            "aws:ec2/eip:Eip",
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/natGateway:NatGateway",
            "aws:ec2/route:Route",
            "aws:ec2/routeTable:RouteTable",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/subnet:Subnet",
            "aws:ec2/vpc:Vpc",
        ],
        invokes: ["aws:index/getAvailabilityZones:getAvailabilityZones"], // getDefaultAzs, as no availabilityZoneNames are given
        // createInnerVpc passes the component's own arguments (...args) to the VPC, with cidrBlock and tags.
        argumentsPassedTo: "aws:ec2/vpc:Vpc",
        childInputs: {
            "aws:ec2/vpc:Vpc": ["cidrBlock", "tags"],
            "aws:ec2/internetGateway:InternetGateway": ["vpcId", "tags"],
            "aws:ec2/subnet:Subnet": ["vpcId", "availabilityZone", "mapPublicIpOnLaunch", "cidrBlock", "tags"],
            "aws:ec2/routeTable:RouteTable": ["vpcId", "tags"],
            "aws:ec2/routeTableAssociation:RouteTableAssociation": ["routeTableId", "subnetId"],
            "aws:ec2/eip:Eip": ["tags"],
            "aws:ec2/natGateway:NatGateway": ["subnetId", "allocationId", "tags"],
            "aws:ec2/route:Route": ["routeTableId", "gatewayId", "natGatewayId", "destinationCidrBlock"],
        },
        // shouldCreateNatGateway: no NAT gateway (nor its EIP) with the None strategy.
        omittedWhen: {
            "aws:ec2/natGateway:NatGateway": { argument: "natGateways.strategy", values: ["None"] },
            "aws:ec2/eip:Eip": { argument: "natGateways.strategy", values: ["None"] },
        },
    },
};
