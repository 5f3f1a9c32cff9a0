import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LOG_GROUP_PREFIXES, PROJECT, ServiceConfig } from "../config";
import { fargateTask } from "./fargate-task";
import { elbLogicalName, LoadBalancer } from "./load-balancer";
import { NAMESPACE } from "./metrics";

export interface FargateServiceArgs {
    /** The environment's name, part of the physical names. */
    environment: string;
    service: ServiceConfig;
    /** `<repository url>@sha256:<digest>`. */
    image: pulumi.Input<string>;
    cluster: aws.ecs.Cluster;
    vpcId: pulumi.Input<string>;
    /** Private subnets: tasks get no public address. */
    subnetIds: pulumi.Input<string[]>;
    loadBalancer: LoadBalancer;
    /** Which of the load balancer's HTTPS requests reach this service. */
    route: { host: string; pathPattern: string; priority: number };
    accountId: string;
    region: string;
    /** Carried by every role the service creates. */
    permissionsBoundaryArn: string | undefined;
    /** CloudWatch alarms that fail a deployment, and roll it back, when one goes into ALARM (ServiceAlarms.deploymentAlarmNames). */
    deploymentAlarmNames: pulumi.Input<string[]>;
    provider: aws.Provider;
}

/** The node image's `node` user, numeric: the task definition alone shows it is not root, whatever the image's /etc/passwd. */
const CONTAINER_USER = "1000";
/** The service must finish draining before ECS follows SIGTERM with SIGKILL at the stop timeout. */
const DRAIN_MARGIN_SECONDS = 5;
/** A target must keep idle connections open longer than the ALB does, or the ALB reuses a closing one (502). */
const KEEP_ALIVE_MARGIN_SECONDS = 5;

/**
 * One service on Fargate behind the environment's load balancer: its task definition and roles, log group,
 * target group and listener rule, security group, and the ECS service. Autoscaling owns the desired count
 * after creation.
 */
export class FargateService extends pulumi.ComponentResource {
    /** The ECS service's name, known once it exists: what scales, and the ServiceName dimension of its metrics. */
    readonly serviceName: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    /** `targetgroup/<name>/<id>`, the TargetGroup dimension of AWS/ApplicationELB metrics. */
    readonly targetGroupArnSuffix: pulumi.Output<string>;
    readonly logGroupName: pulumi.Output<string>;

    constructor(name: string, args: FargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-loadlab:service:FargateService", name, {}, opts);
        const { service, loadBalancer, provider } = args;
        const childOpts = { parent: this, provider };

        // No container health check: the target group checks /api/health and ECS replaces the tasks it reports
        // unhealthy; a second check would need an HTTP client in the image and could disagree with the first.
        const { taskDefinition, logGroup } = fargateTask(
            name,
            {
                family: `${PROJECT}-${args.environment}-${service.name}`,
                cpu: service.cpu,
                memory: service.memory,
                container: {
                    name: service.name,
                    image: args.image,
                    user: CONTAINER_USER,
                    portMappings: [{ containerPort: service.containerPort, protocol: "tcp" }],
                    environment: containerEnvironment(service, loadBalancer.idleTimeoutSeconds, args.cluster.name),
                    stopTimeout: service.stopTimeoutSeconds,
                },
                logGroup: { name: `${LOG_GROUP_PREFIXES.tasks}${args.environment}/${service.name}`, retentionDays: service.logRetentionDays },
                // The service calls no AWS API, so its own role is granted nothing.
                taskRoleDescription: `${service.name}'s containers: no permissions`,
                accountId: args.accountId,
                region: args.region,
                permissionsBoundaryArn: args.permissionsBoundaryArn,
            },
            childOpts,
        );

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-tasks`,
            { vpcId: args.vpcId, description: `${service.name} tasks: the container port from the load balancer only` },
            childOpts,
        );
        allowTcp(`${name}-from-load-balancer`, { from: loadBalancer.securityGroupId, to: securityGroup.id, port: service.containerPort }, childOpts);
        // Image pulls (ECR, and S3 through the gateway endpoint) and CloudWatch Logs are all HTTPS. DNS needs no
        // rule: security groups do not filter traffic to the VPC's resolver.
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-tasks-to-https`,
            { securityGroupId: securityGroup.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS to AWS APIs" },
            childOpts,
        );

        const healthCheck = service.healthCheck;
        const targetGroup = new aws.lb.TargetGroup(
            elbLogicalName(name),
            {
                vpcId: args.vpcId,
                targetType: "ip",
                protocol: "HTTP",
                port: service.containerPort,
                deregistrationDelay: service.deregistrationDelaySeconds,
                healthCheck: {
                    protocol: "HTTP",
                    port: "traffic-port",
                    path: healthCheck.path,
                    matcher: "200",
                    interval: healthCheck.intervalSeconds,
                    timeout: healthCheck.timeoutSeconds,
                    healthyThreshold: healthCheck.healthyThreshold,
                    unhealthyThreshold: healthCheck.unhealthyThreshold,
                },
            },
            childOpts,
        );
        const listenerRule = new aws.lb.ListenerRule(
            name,
            {
                listenerArn: loadBalancer.httpsListenerArn,
                priority: args.route.priority,
                conditions: [{ hostHeader: { values: [args.route.host] } }, { pathPattern: { values: [args.route.pathPattern] } }],
                actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            },
            childOpts,
        );

        const ecsService = new aws.ecs.Service(
            name,
            {
                name: service.name,
                cluster: args.cluster.arn,
                launchType: "FARGATE",
                taskDefinition: taskDefinition.arn,
                desiredCount: service.desiredCount,
                networkConfiguration: { subnets: args.subnetIds, securityGroups: [securityGroup.id], assignPublicIp: false },
                loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: service.name, containerPort: service.containerPort }],
                healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds,
                ...deploymentFailureDetection(args.deploymentAlarmNames),
            },
            // ECS rejects a target group that no listener forwards to yet.
            { ...childOpts, dependsOn: [listenerRule], ignoreChanges: ["desiredCount"] },
        );

        this.serviceName = ecsService.name;
        this.clusterName = args.cluster.name;
        this.targetGroupArnSuffix = targetGroup.arnSuffix;
        this.logGroupName = logGroup.name;
        this.registerOutputs({
            serviceName: this.serviceName,
            clusterName: this.clusterName,
            targetGroupArnSuffix: this.targetGroupArnSuffix,
            logGroupName: this.logGroupName,
        });
    }
}

/**
 * How a deployment that goes bad is found and undone without anyone watching: both of ECS's failure detection methods,
 * each rolling back to the last completed deployment, and `pulumi up` waiting for the outcome.
 *
 * - The circuit breaker fails a deployment whose tasks never reach a steady state (they crash, or fail their health
 *   checks until ECS gives up).
 * - The deployment alarms fail one whose tasks run but serve badly: ECS polls the alarms (DescribeAlarms, as its
 *   service-linked role, whose AmazonECSServiceRolePolicy grants it: the deploy role needs nothing more) while the
 *   deployment runs and for a bake time after it, computed from the alarms' own periods, and fails the deployment
 *   when one goes into ALARM. Either method can fail a deployment; a rollback needs an earlier COMPLETED deployment
 *   (there is none on the stack's first `pulumi up`).
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-failure-detection.html
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
 *   https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSServiceRolePolicy.html (CWAlarmManagement)
 * - An alarm already in ALARM when a deployment starts turns the alarm check off for that whole deployment (AWS's
 *   Copilot documents it: aws/copilot-cli site/content/docs/include/deployment.en.md, `rollback_alarms`; the ECS
 *   guide does not say). So these alarms are only those a bad deployment trips (ServiceAlarms.deploymentAlarmNames).
 * - The provider sends `alarms` as deploymentConfiguration.alarms on CreateService, and on UpdateService whenever
 *   it changes (hashicorp/terraform-provider-aws internal/service/ecs/service.go, expandAlarms).
 * - `waitForSteadyState`: the provider waits for the service deployment to succeed (ListServiceDeployments,
 *   DescribeServiceDeployments) and fails `pulumi up` with the deployment's reason when it was rolled back (same file,
 *   findDeploymentStatus). Without it `pulumi up` would return while ECS still watches the alarms, and a load test
 *   started then could trip the 5xx alarm itself, or measure the tasks of a deployment about to be undone.
 */
function deploymentFailureDetection(alarmNames: pulumi.Input<string[]>): Pick<aws.ecs.ServiceArgs, "deploymentCircuitBreaker" | "alarms" | "waitForSteadyState"> {
    return {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: { alarmNames, enable: true, rollback: true },
        waitForSteadyState: true,
    };
}

/** Opens one TCP port from one security group to another: egress on the source, ingress on the destination. */
function allowTcp(
    name: string,
    path: { from: pulumi.Input<string>; to: pulumi.Input<string>; port: number },
    opts: pulumi.CustomResourceOptions,
): void {
    const rule = { ipProtocol: "tcp", fromPort: path.port, toPort: path.port };
    new aws.vpc.SecurityGroupEgressRule(name, { ...rule, securityGroupId: path.from, referencedSecurityGroupId: path.to }, opts);
    new aws.vpc.SecurityGroupIngressRule(name, { ...rule, securityGroupId: path.to, referencedSecurityGroupId: path.from }, opts);
}

function containerEnvironment(
    service: ServiceConfig,
    loadBalancerIdleTimeoutSeconds: number,
    clusterName: pulumi.Input<string>,
): aws.ecs.KeyValuePair[] {
    const variables: Record<string, number | pulumi.Input<string> | undefined> = {
        PORT: service.containerPort,
        WORKERS: service.workers,
        KEEP_ALIVE_TIMEOUT_MS: (loadBalancerIdleTimeoutSeconds + KEEP_ALIVE_MARGIN_SECONDS) * 1000,
        DRAIN_TIMEOUT_MS: (service.stopTimeoutSeconds - DRAIN_MARGIN_SECONDS) * 1000,
        // The service's own metrics (service/src/metric-names.ts METRICS_VARIABLES: the names are written out
        // because Pulumi loads this program as CommonJS, the service as an ES module), with the dimensions of its
        // AWS/ECS metrics: the cluster's and the ECS service's names.
        METRICS_NAMESPACE: NAMESPACE.service,
        METRICS_CLUSTER_NAME: clusterName,
        METRICS_SERVICE_NAME: service.name,
    };
    return Object.entries(variables)
        .filter((entry): entry is [string, number | pulumi.Input<string>] => entry[1] !== undefined)
        .map(([name, value]) => ({ name, value: typeof value === "number" ? String(value) : value }));
}
