import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FargateService } from "../components/fargate-service";
import { LoadBalancer } from "../components/load-balancer";
import { Network } from "../components/network";
import { accountProvider } from "../components/provider";
import { ServiceAlarms } from "../components/alarms";
import { ServiceDashboard } from "../components/dashboard";
import { Autoscaling } from "../components/scaling";
import { EnvironmentConfig, EnvironmentStackConfig } from "../config";
import { EnvironmentObservedOutputs, alarmNameFromArn, environmentResourceNames } from "./environment-names";

/** The service's routes all live under /api; the rest of the domain stays free for other services on the ALB. */
const SERVICE_PATHS = "/api/*";

/**
 * The stack's outputs. Those in EnvironmentObservedOutputs (cluster, service, load balancer and target group ARN
 * suffixes, alarm names) are the contract `npm run timeline -- observe` reads the service's metrics with.
 */
export interface EnvironmentStackOutputs extends OutputsOf<EnvironmentObservedOutputs> {
    url: pulumi.Output<string>;
    loadBalancerDnsName: pulumi.Output<string>;
    logGroupName: pulumi.Output<string>;
    /** The exact image the service runs, `<repository url>@sha256:<digest>`. */
    image: pulumi.Output<string>;
    /** The CloudWatch dashboard to watch during a load test. */
    dashboardUrl: pulumi.Output<string>;
    alarmTopicArn: pulumi.Output<string>;
}

type OutputsOf<T> = { [K in keyof T]: pulumi.Output<T[K]> };

/** One workload environment in its own account: network, HTTPS load balancer, cluster and the service. */
export function buildEnvironmentStack(config: EnvironmentStackConfig): EnvironmentStackOutputs {
    const environment = config.environment.name;
    const names = environmentResourceNames(config);
    const provider = accountProvider(environment, { aws: config.aws, role: environment });

    const network = new Network(environment, {
        network: config.network,
        // The tasks run in private subnets, behind the load balancer in the public ones.
        privateSubnets: { natGateways: config.network.natGateways },
        region: config.aws.region,
        accountId: config.aws.accountId,
        permissionsBoundaryArn: config.aws.permissionsBoundaryArn,
        provider,
    });
    const loadBalancer = new LoadBalancer(environment, {
        vpcId: network.vpcId,
        subnetIds: network.publicSubnetIds,
        domain: config.domain,
        loadBalancer: config.loadBalancer,
        accountId: config.aws.accountId,
        provider,
    });
    const cluster = new aws.ecs.Cluster(
        environment,
        { name: names.clusterName, settings: [{ name: "containerInsights", value: "enabled" }] },
        { provider },
    );
    const image = serviceImage(config.environment, provider);
    // The service's deployments watch alarms that are built after it (their dimensions name its target group), so
    // their names are handed over once the alarms exist. No resource cycle: the ECS service waits for those two
    // alarms, which wait for the target group only.
    const [deploymentAlarmNames, setDeploymentAlarmNames] = pulumi.deferredOutput<string[]>();
    const service = new FargateService(config.service.name, {
        environment,
        service: config.service,
        image,
        cluster,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        loadBalancer,
        route: { host: config.domain.name, pathPattern: SERVICE_PATHS, priority: config.loadBalancer.listenerRulePriority },
        accountId: config.aws.accountId,
        region: config.aws.region,
        permissionsBoundaryArn: config.aws.permissionsBoundaryArn,
        deploymentAlarmNames,
        provider,
    });

    const dimensions = { clusterName: service.clusterName, serviceName: service.serviceName };
    const targetGroup = { loadBalancerArnSuffix: loadBalancer.arnSuffix, targetGroupArnSuffix: service.targetGroupArnSuffix };
    const observed = names.monitoringName;
    const scaling = new Autoscaling(observed, { service: dimensions, targetGroup, config: config.scaling, provider });
    const alarms = new ServiceAlarms(observed, {
        service: dimensions,
        targetGroup,
        maxCapacity: config.scaling.maxCapacity,
        config: config.alarms,
        provider,
    });
    setDeploymentAlarmNames(alarms.deploymentAlarmNames);
    const dashboard = new ServiceDashboard(observed, { service: dimensions, targetGroup, scaling, alarms, provider });

    return {
        url: loadBalancer.url,
        loadBalancerDnsName: loadBalancer.dnsName,
        clusterName: cluster.name,
        serviceName: service.serviceName,
        loadBalancerArnSuffix: loadBalancer.arnSuffix,
        targetGroupArnSuffix: service.targetGroupArnSuffix,
        alarmNames: pulumi.all([scaling.alarmArns, alarms.alarmArns]).apply((arns) => arns.flat().map(alarmNameFromArn)),
        logGroupName: service.logGroupName,
        image,
        dashboardUrl: dashboard.url,
        alarmTopicArn: alarms.topicArn,
    };
}

/**
 * `<repository url>@<digest>`: the digest config pins, or the one the environment's tag points at now in the
 * shared registry, so a deployment runs exactly the image it resolved.
 */
function serviceImage(environment: EnvironmentConfig, provider: aws.Provider): pulumi.Output<string> {
    const shared = new pulumi.StackReference(environment.sharedStack);
    const repositoryUrl = shared.requireOutput("repositoryUrl");
    if (environment.imageDigest) return pulumi.interpolate`${repositoryUrl}@${environment.imageDigest}`;
    const image = aws.ecr.getImageOutput(
        {
            registryId: shared.requireOutput("registryAccountId"),
            region: shared.requireOutput("registryRegion"),
            repositoryName: shared.requireOutput("repositoryName"),
            imageTag: environment.imageTag ?? environment.name,
        },
        { provider },
    );
    return pulumi.interpolate`${repositoryUrl}@${image.imageDigest}`;
}
