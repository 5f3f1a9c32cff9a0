import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { control } from "../lib/control";
import { asList } from "../lib/documents";
import { ofTypes, referring, referredTo, StackVpc, VPC_IDENTITIES, vpcsOf } from "../lib/graph";
import { checkAll, checkEach } from "../lib/unknowns";

/** The stack's VPCs; a stack without one makes the policy not applicable. */
function stackVpcs(args: Parameters<StackValidationPolicy["validateStack"]>[0]): StackVpc[] {
    const vpcs = vpcsOf(args.resources);
    if (vpcs.length === 0) args.notApplicable("the stack has no VPC");
    return vpcs;
}

const SECURITY_GROUP_RULE_TYPES = ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/securityGroupRule:SecurityGroupRule"];

export const EC2_2 = control<StackValidationPolicy>("EC2.2", {
    description: "The default security group of every VPC of the stack allows no traffic: the stack manages it (aws.ec2.DefaultSecurityGroup) and gives it no rules.",
    validateStack: (args, report) => {
        const defaultGroups = ofTypes(args.resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
        const rules = ofTypes(args.resources, ...SECURITY_GROUP_RULE_TYPES);
        checkEach(stackVpcs(args), (vpc) => {
            const [group] = referring(defaultGroups, "vpcId", vpc.members, VPC_IDENTITIES);
            if (!group) {
                report(`the default security group of ${vpc.resource.name} keeps AWS's rules (all traffic within the group, all egress): manage it with an aws.ec2.DefaultSecurityGroup without rules.`, vpc.resource.urn);
                return;
            }
            checkAll(
                () => {
                    if (asList(group.props.ingress).length > 0 || asList(group.props.egress).length > 0) report(`the default security group of ${vpc.resource.name} has rules: remove them.`, group.urn);
                },
                () => {
                    for (const rule of referring(rules, "securityGroupId", [group], ["id"])) report(`${rule.name} adds a rule to the default security group of ${vpc.resource.name}.`, rule.urn);
                },
            );
        });
    },
});

export const EC2_6 = control<StackValidationPolicy>("EC2.6", {
    description: "Every VPC of the stack has flow logs of at least rejected traffic; delivered to CloudWatch Logs, they go to a log group the stack manages.",
    validateStack: (args, report) => {
        const flowLogs = ofTypes(args.resources, "aws:ec2/flowLog:FlowLog");
        const logGroups = ofTypes(args.resources, "aws:cloudwatch/logGroup:LogGroup");
        checkEach(stackVpcs(args), (vpc) => {
            const logs = referring(flowLogs, "vpcId", vpc.members, VPC_IDENTITIES);
            if (logs.length === 0) {
                report(`${vpc.resource.name} has no flow logs: add an aws.ec2.FlowLog (in this project, ecs-loadlab:network.flowLogs.enabled: true).`, vpc.resource.urn);
                return;
            }
            const complete = logs.filter((log) => ["ALL", "REJECT"].includes(log.props.trafficType));
            if (complete.length === 0) report(`the flow logs of ${vpc.resource.name} miss rejected traffic: set trafficType to ALL or REJECT.`, vpc.resource.urn);
            checkEach(complete, (log) => {
                if ((log.props.logDestinationType ?? "cloud-watch-logs") !== "cloud-watch-logs") return;
                if (referredTo(log, "logDestination", logGroups, ["arn"]).length === 0) report(`flow log ${log.name} writes to a log group the stack does not manage.`, log.urn);
            });
        });
    },
});

/** EC2.18's authorizedTcpPorts parameter: the TCP ports a security group may open to the internet. */
export const EC2_18_AUTHORIZED_TCP_PORTS = [80, 443];

interface IngressFromAnywhere {
    protocol: string;
    fromPort?: number;
    toPort?: number;
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

function unauthorized(rule: IngressFromAnywhere, authorizedTcpPorts: number[]): string | undefined {
    const tcp = rule.protocol === "tcp" || rule.protocol === "6";
    if (tcp && rule.fromPort === rule.toPort && authorizedTcpPorts.includes(rule.fromPort ?? -1)) return undefined;
    const ports = rule.fromPort === rule.toPort ? `${rule.fromPort}` : `${rule.fromPort}-${rule.toPort}`;
    return `opens ${rule.protocol === "-1" ? "all traffic" : `${rule.protocol} ${ports}`} to the internet; only TCP ${authorizedTcpPorts.join(", ")} may be.`;
}

export const EC2_18 = control<ResourceValidationPolicy>("EC2.18", {
    description: `Security groups open only authorized TCP ports to the internet (by default ${EC2_18_AUTHORIZED_TCP_PORTS.join(" and ")}, so none of EC2.19's high-risk ports).`,
    configSchema: {
        properties: {
            authorizedTcpPorts: { type: "array", items: { type: "integer", minimum: 0, maximum: 65535 }, default: EC2_18_AUTHORIZED_TCP_PORTS },
        },
    },
    validateResource: [
        validateResourceOfType(aws.vpc.SecurityGroupIngressRule, (rule, args, report) => {
            if (!ANYWHERE.includes(rule.cidrIpv4 ?? "") && !ANYWHERE.includes(rule.cidrIpv6 ?? "")) return;
            const problem = unauthorized({ protocol: rule.ipProtocol, fromPort: rule.fromPort, toPort: rule.toPort }, authorizedPorts(args));
            if (problem) report(`the rule ${problem}`);
        }),
        validateResourceOfType(aws.ec2.SecurityGroupRule, (rule, args, report) => {
            if (rule.type !== "ingress" || ![...asList(rule.cidrBlocks), ...asList(rule.ipv6CidrBlocks)].some((cidr) => ANYWHERE.includes(cidr))) return;
            const problem = unauthorized(rule, authorizedPorts(args));
            if (problem) report(`the rule ${problem}`);
        }),
        validateResourceOfType(aws.ec2.SecurityGroup, (group, args, report) => {
            for (const rule of asList(group.ingress)) {
                if (![...asList(rule.cidrBlocks), ...asList(rule.ipv6CidrBlocks)].some((cidr) => ANYWHERE.includes(cidr))) continue;
                const problem = unauthorized(rule, authorizedPorts(args));
                if (problem) report(`an inline ingress rule ${problem}`);
            }
        }),
    ],
});

function authorizedPorts(args: { getConfig<T extends object>(): T }): number[] {
    return args.getConfig<{ authorizedTcpPorts?: number[] }>().authorizedTcpPorts ?? EC2_18_AUTHORIZED_TCP_PORTS;
}
