import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DomainConfig, LoadBalancerConfig } from "../config";
import { AccessLogBucket } from "./access-log-bucket";

export interface LoadBalancerArgs {
    vpcId: pulumi.Input<string>;
    /** Public subnets, one per availability zone. */
    subnetIds: pulumi.Input<string[]>;
    domain: DomainConfig;
    loadBalancer: LoadBalancerConfig;
    /** The environment's account, the only one whose load balancers may write to the access log bucket. */
    accountId: string;
    provider: aws.Provider;
}

const PUBLIC_PORTS = [80, 443] as const;

/**
 * Logical name for an auto-named load balancer or target group: Pulumi appends "-" and 7 random characters
 * (and fails beyond the limit rather than truncating), and ELB stops at 32.
 */
export function elbLogicalName(name: string): string {
    return name.slice(0, 32 - 8).replace(/-+$/, "");
}

/**
 * The environment's internet-facing ALB, shared by services through listener rules on its HTTPS listener:
 * HTTP redirects to HTTPS, HTTPS (TLS 1.3 policy, a DNS-validated certificate for the domain) answers 404 to
 * anything no rule claims, and the domain is an alias of the ALB. Its security group admits 80 and 443 from
 * anywhere and, until a service opens a path to itself (see FargateService), lets nothing out. When config asks,
 * it writes access logs to a bucket of its own.
 */
export class LoadBalancer extends pulumi.ComponentResource {
    /** `app/<name>/<id>`, the LoadBalancer dimension of AWS/ApplicationELB metrics. */
    readonly arnSuffix: pulumi.Output<string>;
    readonly dnsName: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly httpsListenerArn: pulumi.Output<string>;
    /** How long the ALB keeps an idle connection; targets must keep theirs open longer. */
    readonly idleTimeoutSeconds: number;
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:loadbalancer:LoadBalancer", name, {}, opts);
        const { domain, loadBalancer, provider } = args;
        const childOpts = { parent: this, provider };

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-alb`,
            { vpcId: args.vpcId, description: "Load balancer: HTTP and HTTPS from anywhere" },
            childOpts,
        );
        for (const port of PUBLIC_PORTS) {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-alb-from-internet-${port}`,
                { securityGroupId: securityGroup.id, ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: "0.0.0.0/0", description: "From anywhere" },
                childOpts,
            );
        }

        // A protected environment keeps its logs through `pulumi destroy`; the others can be torn down in one go.
        const accessLogBucket = loadBalancer.accessLogs.enabled
            ? new AccessLogBucket(
                  `${name}-alb-logs`,
                  {
                      accountId: args.accountId,
                      expireAfterDays: loadBalancer.accessLogs.expireAfterDays,
                      forceDestroy: !loadBalancer.deletionProtection,
                      provider,
                  },
                  { parent: this },
              )
            : undefined;

        const alb = new aws.lb.LoadBalancer(
            elbLogicalName(name),
            {
                loadBalancerType: "application",
                internal: false,
                ipAddressType: "ipv4",
                subnets: args.subnetIds,
                securityGroups: [securityGroup.id],
                idleTimeout: loadBalancer.idleTimeoutSeconds,
                dropInvalidHeaderFields: true,
                desyncMitigationMode: "defensive",
                enableDeletionProtection: loadBalancer.deletionProtection,
                accessLogs: accessLogBucket && { bucket: accessLogBucket.bucketName, prefix: accessLogBucket.prefix, enabled: true },
            },
            // ELB writes a test object when logging is turned on and fails unless the bucket policy already lets it.
            { ...childOpts, dependsOn: accessLogBucket ? [accessLogBucket] : [] },
        );

        const zone = aws.route53.getZoneOutput({ name: domain.hostedZone, privateZone: false }, childOpts);
        const certificate = new aws.acm.Certificate(name, { domainName: domain.name, validationMethod: "DNS" }, childOpts);
        // One domain, no alternative names: exactly one validation record.
        const validationOption = certificate.domainValidationOptions.apply((options) => options[0]);
        const validationRecord = new aws.route53.Record(
            `${name}-certificate-validation`,
            {
                zoneId: zone.zoneId,
                name: validationOption.resourceRecordName,
                type: validationOption.resourceRecordType,
                records: [validationOption.resourceRecordValue],
                ttl: 300,
            },
            childOpts,
        );
        const validation = new aws.acm.CertificateValidation(
            name,
            { certificateArn: certificate.arn, validationRecordFqdns: [validationRecord.fqdn] },
            childOpts,
        );

        new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: alb.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
            },
            childOpts,
        );
        const httpsListener = new aws.lb.Listener(
            `${name}-https`,
            {
                loadBalancerArn: alb.arn,
                port: 443,
                protocol: "HTTPS",
                sslPolicy: loadBalancer.sslPolicy,
                // The validation's ARN, not the certificate's: the listener waits until the certificate is issued.
                certificateArn: validation.certificateArn,
                defaultActions: [
                    { type: "fixed-response", fixedResponse: { statusCode: "404", contentType: "text/plain", messageBody: "Not Found" } },
                ],
            },
            childOpts,
        );

        const alias = new aws.route53.Record(
            `${name}-alias`,
            {
                zoneId: zone.zoneId,
                name: domain.name,
                type: "A",
                aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: false }],
            },
            childOpts,
        );

        this.arnSuffix = alb.arnSuffix;
        this.dnsName = alb.dnsName;
        this.securityGroupId = securityGroup.id;
        this.httpsListenerArn = httpsListener.arn;
        this.idleTimeoutSeconds = loadBalancer.idleTimeoutSeconds;
        this.url = pulumi.interpolate`https://${alias.fqdn}`;
        this.registerOutputs({
            arnSuffix: this.arnSuffix,
            dnsName: this.dnsName,
            securityGroupId: this.securityGroupId,
            httpsListenerArn: this.httpsListenerArn,
            url: this.url,
        });
    }
}
