import assert from "node:assert/strict";
import { EnvironmentStackConfig } from "../config";
import { buildEnvironmentStack, EnvironmentStackOutputs } from "../stacks/environment";
import { ENVIRONMENT_OBSERVED_OUTPUTS, alarmNameFromArn, environmentObservedOutputsSchema, environmentResourceNames } from "../stacks/environment-names";
import { METRICS_VARIABLES } from "../service/src/metric-names";
import { ENVIRONMENT_STACK_FILES, environmentConfigWith, loadEnvironmentConfig } from "./environment-fixtures";
import { build, MOCK_IMAGE_DIGEST, mocks, RecordedResource, routeTableOf, SHARED_STACK_OUTPUTS, useMocks, valueOf } from "./mocks";

const T = {
    vpc: "awsx:ec2:Vpc",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    cluster: "aws:ecs/cluster:Cluster",
    alb: "aws:lb/loadBalancer:LoadBalancer",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    listener: "aws:lb/listener:Listener",
    listenerRule: "aws:lb/listenerRule:ListenerRule",
    certificate: "aws:acm/certificate:Certificate",
    certificateValidation: "aws:acm/certificateValidation:CertificateValidation",
    record: "aws:route53/record:Record",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    service: "aws:ecs/service:Service",
} as const;

const EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/** The one resource of a type whose id is `id`. */
function withId(type: string, id: string): RecordedResource {
    const found = mocks.ofType(type).filter((r) => r.id === id);
    assert.equal(found.length, 1, `one ${type} with id ${id}`);
    return found[0];
}

/** The resources of a type that the service's component created (not the network's flow log role, say). */
function ofService(type: string): RecordedResource[] {
    return mocks.ofType(type).filter((r) => r.registration?.urn.includes("ecs-loadlab:service:FargateService$"));
}

/** The service's log group (the network may have a flow log group too). */
function serviceLogGroup(): RecordedResource {
    const [logGroup, ...others] = ofService(T.logGroup);
    assert.ok(logGroup && others.length === 0, "one service log group");
    return logGroup;
}

/** The one resource of a type for which `test` holds. */
function oneWhere(type: string, test: (r: RecordedResource) => boolean): RecordedResource {
    const found = mocks.ofType(type).filter(test);
    assert.equal(found.length, 1, `one ${type} matching, found ${found.map((r) => r.name).join(", ") || "none"}`);
    return found[0];
}

for (const file of ENVIRONMENT_STACK_FILES) {
    describe(`environment stack from ${file}`, () => {
        let config: EnvironmentStackConfig;
        let outputs: EnvironmentStackOutputs;
        let providerRef: string;
        let vpc: RecordedResource;
        let alb: RecordedResource;
        let service: RecordedResource;
        let albSecurityGroup: RecordedResource;
        let taskSecurityGroup: RecordedResource;

        // Built once: every test below reads the same registrations.
        before(async () => {
            await useMocks();
            mocks.reset();
            config = loadEnvironmentConfig(file);
            outputs = await build(() => buildEnvironmentStack(config));
            const provider = mocks.one("pulumi:providers:aws");
            providerRef = `${provider.registration?.urn}::${provider.id}`;
            vpc = mocks.one(T.vpc);
            alb = mocks.one(T.alb);
            service = mocks.one(T.service);
            albSecurityGroup = withId(T.securityGroup, alb.inputs.securityGroups[0]);
            taskSecurityGroup = withId(T.securityGroup, service.inputs.networkConfiguration.securityGroups[0]);
        });

        it("manages every AWS resource and lookup with the stack's account provider, the awsx VPC included", () => {
            const provider = mocks.one("pulumi:providers:aws");
            assert.deepEqual(provider.inputs.allowedAccountIds, [config.aws.accountId]);
            const awsResources = mocks.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
            assert.ok(awsResources.length > 20);
            for (const resource of awsResources) assert.equal(resource.provider, providerRef, `${resource.type} ${resource.name}`);
            for (const call of mocks.calls) assert.equal(call.provider, providerRef, call.token);
            // A remote component gets only the providers passed to it: the request must carry ours.
            assert.deepEqual(vpc.registration?.providers, { aws: providerRef });
        });

        it("lays out the VPC from config: public and private subnets of the configured size in each AZ, NAT as configured", () => {
            assert.deepEqual(vpc.inputs, {
                cidrBlock: config.network.cidrBlock,
                numberOfAvailabilityZones: config.network.availabilityZones,
                subnetStrategy: "Auto",
                subnetSpecs: [
                    { type: "Public", cidrMask: config.network.subnetPrefixLength },
                    { type: "Private", cidrMask: config.network.subnetPrefixLength },
                ],
                natGateways: { strategy: config.network.natGateways },
            });
        });

        it("attaches an S3 gateway endpoint to the private subnets' route tables only", () => {
            const privateSubnets: string[] = vpc.state.privateSubnetIds;
            const lookup = mocks.calls.filter((c) => c.token === "aws:ec2/getRouteTables:getRouteTables");
            assert.equal(lookup.length, 1);
            assert.deepEqual(lookup[0].inputs, { vpcId: vpc.state.vpcId, filters: [{ name: "association.subnet-id", values: privateSubnets }] });
            assert.deepEqual(mocks.one(T.endpoint).inputs, {
                vpcId: vpc.state.vpcId,
                serviceName: `com.amazonaws.${config.aws.region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: privateSubnets.map(routeTableOf),
            });
        });

        it("creates the cluster with Container Insights", () => {
            const cluster = mocks.one(T.cluster);
            assert.deepEqual(cluster.inputs, {
                name: `ecs-loadlab-${config.environment.name}`,
                settings: [{ name: "containerInsights", value: "enabled" }],
            });
        });

        it("puts an internet-facing ALB in the public subnets, dropping invalid headers and mitigating desync", () => {
            assert.deepEqual(alb.inputs, {
                loadBalancerType: "application",
                internal: false,
                ipAddressType: "ipv4",
                subnets: vpc.state.publicSubnetIds,
                securityGroups: [albSecurityGroup.id],
                idleTimeout: config.loadBalancer.idleTimeoutSeconds,
                dropInvalidHeaderFields: true,
                desyncMitigationMode: "defensive",
                enableDeletionProtection: config.loadBalancer.deletionProtection,
                ...(config.loadBalancer.accessLogs.enabled
                    ? { accessLogs: { bucket: mocks.one("aws:s3/bucket:Bucket").state.bucket, prefix: "alb", enabled: true } }
                    : {}),
            });
        });

        it("opens exactly: 80 and 443 from anywhere to the ALB, the container port from the ALB to the tasks, HTTPS out of the tasks", () => {
            const port = config.service.containerPort;
            for (const group of [albSecurityGroup, taskSecurityGroup]) {
                assert.equal(group.inputs.vpcId, vpc.state.vpcId);
                assert.equal(group.inputs.ingress, undefined, "no inline rules");
                assert.equal(group.inputs.egress, undefined, "no inline rules");
            }
            const peer = (rule: RecordedResource) =>
                rule.inputs.referencedSecurityGroupId === albSecurityGroup.id ? "alb"
                : rule.inputs.referencedSecurityGroupId === taskSecurityGroup.id ? "tasks"
                : rule.inputs.cidrIpv4;
            const rules = (type: string, groupId: string) =>
                mocks
                    .ofType(type)
                    .filter((r) => r.inputs.securityGroupId === groupId)
                    .map((r) => ({ protocol: r.inputs.ipProtocol, from: r.inputs.fromPort, to: r.inputs.toPort, peer: peer(r) }))
                    .sort((a, b) => a.from - b.from);
            assert.deepEqual(rules(T.ingress, albSecurityGroup.id), [
                { protocol: "tcp", from: 80, to: 80, peer: "0.0.0.0/0" },
                { protocol: "tcp", from: 443, to: 443, peer: "0.0.0.0/0" },
            ]);
            assert.deepEqual(rules(T.egress, albSecurityGroup.id), [{ protocol: "tcp", from: port, to: port, peer: "tasks" }]);
            assert.deepEqual(rules(T.ingress, taskSecurityGroup.id), [{ protocol: "tcp", from: port, to: port, peer: "alb" }]);
            assert.deepEqual(rules(T.egress, taskSecurityGroup.id), [{ protocol: "tcp", from: 443, to: 443, peer: "0.0.0.0/0" }]);
            assert.equal(mocks.ofType(T.ingress).length + mocks.ofType(T.egress).length, 5, "no other rules");
        });

        it("redirects HTTP to HTTPS with a 301", () => {
            const http = oneWhere(T.listener, (l) => l.inputs.port === 80);
            assert.deepEqual(http.inputs, {
                loadBalancerArn: alb.state.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
            });
        });

        it("serves HTTPS with a TLS 1.3 policy and the validated certificate, answering 404 to unclaimed requests", () => {
            const https = oneWhere(T.listener, (l) => l.inputs.port === 443);
            assert.match(https.inputs.sslPolicy, /^ELBSecurityPolicy-TLS13-1-[23]-/);
            assert.deepEqual(https.inputs, {
                loadBalancerArn: alb.state.arn,
                port: 443,
                protocol: "HTTPS",
                sslPolicy: config.loadBalancer.sslPolicy,
                certificateArn: mocks.one(T.certificate).state.arn,
                defaultActions: [{ type: "fixed-response", fixedResponse: { statusCode: "404", contentType: "text/plain", messageBody: "Not Found" } }],
            });
            assert.ok(
                https.registration?.dependencies.includes(mocks.one(T.certificateValidation).registration!.urn),
                "the listener waits for the certificate's validation",
            );
            assert.equal(mocks.ofType(T.listener).length, 2);
        });

        it("validates the certificate by DNS in the existing hosted zone, which it looks up", () => {
            const certificate = mocks.one(T.certificate);
            assert.deepEqual(certificate.inputs, { domainName: config.domain.name, validationMethod: "DNS" });
            const zoneLookups = mocks.calls.filter((c) => c.token === "aws:route53/getZone:getZone");
            assert.deepEqual(zoneLookups.map((c) => c.inputs), [{ name: config.domain.hostedZone, privateZone: false }]);
            assert.equal(mocks.ofType("aws:route53/zone:Zone").length, 0, "the zone is never created");

            const [option] = certificate.state.domainValidationOptions;
            const validationRecord = oneWhere(T.record, (r) => r.inputs.type === "CNAME");
            assert.deepEqual(validationRecord.inputs, {
                zoneId: zoneLookups[0].result?.zoneId,
                name: option.resourceRecordName,
                type: option.resourceRecordType,
                records: [option.resourceRecordValue],
                ttl: 300,
            });
            assert.deepEqual(mocks.one(T.certificateValidation).inputs, {
                certificateArn: certificate.state.arn,
                validationRecordFqdns: [validationRecord.state.fqdn],
            });
        });

        it("points the domain at the ALB with an alias record in the same zone", () => {
            const validationRecord = oneWhere(T.record, (r) => r.inputs.type === "CNAME");
            const alias = oneWhere(T.record, (r) => r.inputs.type === "A");
            assert.deepEqual(alias.inputs, {
                zoneId: validationRecord.inputs.zoneId,
                name: config.domain.name,
                type: "A",
                aliases: [{ name: alb.state.dnsName, zoneId: alb.state.zoneId, evaluateTargetHealth: false }],
            });
            assert.equal(mocks.ofType(T.record).length, 2);
        });

        it("forwards the domain's /api/* on HTTPS to the service's target group at the configured priority", () => {
            const https = oneWhere(T.listener, (l) => l.inputs.port === 443);
            assert.deepEqual(mocks.one(T.listenerRule).inputs, {
                listenerArn: https.state.arn,
                priority: config.loadBalancer.listenerRulePriority,
                conditions: [{ hostHeader: { values: [config.domain.name] } }, { pathPattern: { values: ["/api/*"] } }],
                actions: [{ type: "forward", targetGroupArn: mocks.one(T.targetGroup).state.arn }],
            });
        });

        // No name among the inputs: Pulumi auto-names the target group, so a replacement can exist before the old one goes.
        it("registers tasks by IP, checks /api/health as configured, and deregisters well before 300 s", () => {
            const check = config.service.healthCheck;
            const targetGroup = mocks.one(T.targetGroup);
            assert.deepEqual(targetGroup.inputs, {
                vpcId: vpc.state.vpcId,
                targetType: "ip",
                protocol: "HTTP",
                port: config.service.containerPort,
                deregistrationDelay: config.service.deregistrationDelaySeconds,
                healthCheck: {
                    protocol: "HTTP",
                    port: "traffic-port",
                    path: "/api/health",
                    matcher: "200",
                    interval: check.intervalSeconds,
                    timeout: check.timeoutSeconds,
                    healthyThreshold: check.healthyThreshold,
                    unhealthyThreshold: check.unhealthyThreshold,
                },
            });
            assert.ok(targetGroup.inputs.deregistrationDelay <= 60);
        });

        it("runs the resolved image by digest as a non-root user on a read-only root filesystem", () => {
            const taskDefinition = mocks.one(T.taskDefinition);
            const [container, ...others] = JSON.parse(taskDefinition.inputs.containerDefinitions);
            assert.equal(others.length, 0);
            assert.match(container.image, /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/.+@sha256:[0-9a-f]{64}$/);
            const names = environmentResourceNames(config);
            const environment = [
                { name: "PORT", value: String(config.service.containerPort) },
                ...(config.service.workers === undefined ? [] : [{ name: "WORKERS", value: String(config.service.workers) }]),
                { name: "KEEP_ALIVE_TIMEOUT_MS", value: String((config.loadBalancer.idleTimeoutSeconds + 5) * 1000) },
                { name: "DRAIN_TIMEOUT_MS", value: String((config.service.stopTimeoutSeconds - 5) * 1000) },
                { name: METRICS_VARIABLES.namespace, value: "ecs-loadlab/Service" },
                { name: METRICS_VARIABLES.clusterName, value: names.clusterName },
                { name: METRICS_VARIABLES.serviceName, value: names.serviceName },
            ];
            assert.deepEqual(container, {
                name: config.service.name,
                image: `${SHARED_STACK_OUTPUTS.repositoryUrl}@${MOCK_IMAGE_DIGEST}`,
                essential: true,
                user: "1000",
                readonlyRootFilesystem: true,
                mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
                portMappings: [{ containerPort: config.service.containerPort, protocol: "tcp" }],
                environment,
                stopTimeout: config.service.stopTimeoutSeconds,
                logConfiguration: {
                    logDriver: "awslogs",
                    options: {
                        "awslogs-group": serviceLogGroup().state.name,
                        "awslogs-region": config.aws.region,
                        "awslogs-stream-prefix": config.service.name,
                    },
                },
            });
        });

        it("sizes the task from config, with its roles and a tmp volume", () => {
            const roles = ofService(T.role);
            const taskDefinition = mocks.one(T.taskDefinition);
            const { containerDefinitions: _, ...inputs } = taskDefinition.inputs;
            assert.deepEqual(inputs, {
                family: `ecs-loadlab-${config.environment.name}-${config.service.name}`,
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(config.service.cpu),
                memory: String(config.service.memory),
                executionRoleArn: oneWhere(T.role, (r) => r.name.endsWith("-execution")).state.arn,
                taskRoleArn: oneWhere(T.role, (r) => r.name.endsWith("-task")).state.arn,
                volumes: [{ name: "tmp" }],
            });
            assert.equal(roles.length, 2);
        });

        it("keeps logs in a log group with the configured retention", () => {
            assert.deepEqual(serviceLogGroup().inputs, {
                name: `/ecs/ecs-loadlab/${config.environment.name}/${config.service.name}`,
                retentionInDays: config.service.logRetentionDays,
            });
        });

        it("lets only this account's ECS tasks assume the roles; the execution role gets the managed policy, the task role nothing", () => {
            const roles = ofService(T.role);
            assert.equal(roles.length, 2);
            for (const role of roles) {
                assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy), {
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "ecs-tasks.amazonaws.com" },
                            Action: "sts:AssumeRole",
                            Condition: { StringEquals: { "aws:SourceAccount": config.aws.accountId } },
                        },
                    ],
                });
                assert.equal(role.inputs.inlinePolicies, undefined);
                assert.equal(role.inputs.managedPolicyArns, undefined);
            }
            const executionRole = oneWhere(T.role, (r) => r.name.endsWith("-execution"));
            assert.deepEqual(mocks.ofType(T.rolePolicyAttachment).map((a) => a.inputs), [{ role: executionRole.state.name, policyArn: EXECUTION_POLICY }]);
            for (const type of ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive"]) {
                assert.equal(ofService(type).length, 0, type);
            }
        });

        it("runs the service on Fargate in the private subnets without public IPs, rolling back failed deployments", () => {
            const { alarms: _alarms, ...inputs } = service.inputs;
            assert.deepEqual(inputs, {
                name: config.service.name,
                cluster: mocks.one(T.cluster).state.arn,
                launchType: "FARGATE",
                taskDefinition: mocks.one(T.taskDefinition).state.arn,
                desiredCount: config.service.desiredCount,
                networkConfiguration: { subnets: vpc.state.privateSubnetIds, securityGroups: [taskSecurityGroup.id], assignPublicIp: false },
                loadBalancers: [
                    { targetGroupArn: mocks.one(T.targetGroup).state.arn, containerName: config.service.name, containerPort: config.service.containerPort },
                ],
                healthCheckGracePeriodSeconds: config.service.healthCheckGracePeriodSeconds,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                waitForSteadyState: true,
            });
        });

        it("fails and rolls back a deployment when its target 5xx or unhealthy-host alarm goes off, and on no other alarm", () => {
            const alarms = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
            const byMetric = (metricName: string) => oneWhere("aws:cloudwatch/metricAlarm:MetricAlarm", (a) => a.inputs.metricName === metricName);
            const watched = [byMetric("HTTPCode_Target_5XX_Count"), byMetric("UnHealthyHostCount")];
            assert.deepEqual(service.inputs.alarms, { alarmNames: watched.map((alarm) => alarm.state.name), enable: true, rollback: true });
            // Beside the circuit breaker, which catches tasks that never become healthy.
            assert.deepEqual(service.inputs.deploymentCircuitBreaker, { enable: true, rollback: true });
            // The service is created after the alarms it watches; those that load trips (CPU critical at max capacity,
            // max capacity reached, target tracking's) are not among them.
            const dependencies = service.registration?.propertyDependencies.alarms ?? [];
            assert.deepEqual(
                alarms.filter((alarm) => dependencies.includes(alarm.registration!.urn)).map((alarm) => alarm.name),
                watched.map((alarm) => alarm.name),
            );
            for (const alarm of alarms.filter((candidate) => !watched.includes(candidate))) {
                assert.ok(!service.inputs.alarms.alarmNames.includes(alarm.state.name), `${alarm.name} does not roll deployments back`);
            }
        });

        it("leaves the desired count to autoscaling after creation, and waits for the listener rule", () => {
            assert.deepEqual(service.registration?.ignoreChanges, ["desiredCount"]);
            assert.ok(service.registration?.dependencies.includes(mocks.one(T.listenerRule).registration!.urn));
        });

        it("looks the environment's tag up in the shared registry's account and region", () => {
            assert.equal(mocks.one("pulumi:pulumi:StackReference").inputs.name, config.environment.sharedStack);
            const lookups = mocks.calls.filter((c) => c.token === "aws:ecr/getImage:getImage");
            assert.deepEqual(lookups.map((c) => c.inputs), [
                {
                    registryId: SHARED_STACK_OUTPUTS.registryAccountId,
                    region: SHARED_STACK_OUTPUTS.registryRegion,
                    repositoryName: SHARED_STACK_OUTPUTS.repositoryName,
                    imageTag: config.environment.imageTag ?? config.environment.name,
                },
            ]);
        });

        it("scales, alarms on and draws this service: its cluster, service, load balancer and target group", () => {
            const clusterName = `ecs-loadlab-${config.environment.name}`;
            const targetGroup = mocks.one(T.targetGroup);
            const target = mocks.one("aws:appautoscaling/target:Target");
            assert.equal(target.inputs.resourceId, `service/${clusterName}/${config.service.name}`);
            assert.equal(target.inputs.minCapacity, config.scaling.minCapacity);
            assert.equal(target.inputs.maxCapacity, config.scaling.maxCapacity);
            const policyTypes = mocks.ofType("aws:appautoscaling/policy:Policy").map((p) => p.inputs.policyType);
            assert.deepEqual(policyTypes, config.scaling.mode === "step" ? ["StepScaling", "StepScaling"] : ["TargetTrackingScaling"]);

            const unhealthyHosts = oneWhere("aws:cloudwatch/metricAlarm:MetricAlarm", (a) => a.inputs.metricName === "UnHealthyHostCount");
            assert.deepEqual(unhealthyHosts.inputs.dimensions, { LoadBalancer: alb.state.arnSuffix, TargetGroup: targetGroup.state.arnSuffix });
            // The four notifying alarms (CPU at max capacity, tasks at max capacity, 5xx, unhealthy hosts) page the topic.
            const topicArn = mocks.one("aws:sns/topic:Topic").state.arn;
            const notifying = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.alarmActions?.includes(topicArn));
            assert.equal(notifying.length, 4);

            const body = JSON.parse(mocks.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody) as { widgets: { properties: { metrics?: unknown[][] } }[] };
            const dimensionValues = new Set(body.widgets.flatMap((w) => (w.properties.metrics ?? []).flat()).filter((v) => typeof v === "string"));
            for (const expected of [clusterName, config.service.name, alb.state.arnSuffix, targetGroup.state.arnSuffix]) {
                assert.ok(dimensionValues.has(expected), `dashboard graphs ${expected}`);
            }
        });

        it("exports the URL, the ALB's DNS name, cluster, service, log group, image, dashboard and alarm topic", async () => {
            assert.deepEqual(
                {
                    url: await valueOf(outputs.url),
                    loadBalancerDnsName: await valueOf(outputs.loadBalancerDnsName),
                    clusterName: await valueOf(outputs.clusterName),
                    serviceName: await valueOf(outputs.serviceName),
                    logGroupName: await valueOf(outputs.logGroupName),
                    image: await valueOf(outputs.image),
                    dashboardUrl: await valueOf(outputs.dashboardUrl),
                    alarmTopicArn: await valueOf(outputs.alarmTopicArn),
                },
                {
                    url: `https://${config.domain.name}`,
                    loadBalancerDnsName: alb.state.dnsName,
                    clusterName: `ecs-loadlab-${config.environment.name}`,
                    serviceName: config.service.name,
                    logGroupName: `/ecs/ecs-loadlab/${config.environment.name}/${config.service.name}`,
                    image: `${SHARED_STACK_OUTPUTS.repositoryUrl}@${MOCK_IMAGE_DIGEST}`,
                    dashboardUrl:
                        `https://${config.aws.region}.console.aws.amazon.com/cloudwatch/home?region=${config.aws.region}` +
                        `#dashboards/dashboard/${config.environment.name}-${config.service.name}`,
                    alarmTopicArn: mocks.one("aws:sns/topic:Topic").state.arn,
                },
            );
        });

        it("names its cluster, service and scalable target as environmentResourceNames says (timeline observe reads them by those names)", async () => {
            const names = environmentResourceNames(config);
            assert.equal(mocks.one(T.cluster).inputs.name, names.clusterName);
            assert.equal(service.inputs.name, names.serviceName);
            assert.equal(mocks.one("aws:appautoscaling/target:Target").inputs.resourceId, names.scalableResourceId);
            assert.equal(await valueOf(outputs.clusterName), names.clusterName);
            assert.equal(await valueOf(outputs.serviceName), names.serviceName);
            const dashboard = mocks.one("aws:cloudwatch/dashboard:Dashboard");
            assert.equal(dashboard.inputs.dashboardName, names.monitoringName);
            for (const alarm of mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
                assert.ok(alarm.state.name.startsWith(`${names.monitoringName}-`), `${alarm.state.name} starts with ${names.monitoringName}-`);
            }
        });

        it("exports what timeline observe reads: the ALB's and target group's ARN suffixes, and the name of every alarm of the stack", async () => {
            const exported = Object.fromEntries(
                await Promise.all(ENVIRONMENT_OBSERVED_OUTPUTS.map(async (name) => [name, await valueOf<unknown>(outputs[name])] as const)),
            );
            const parsed = environmentObservedOutputsSchema.parse(exported);
            assert.equal(parsed.loadBalancerArnSuffix, alb.state.arnSuffix);
            assert.equal(parsed.targetGroupArnSuffix, mocks.one(T.targetGroup).state.arnSuffix);
            // The alarms the stack creates (step scaling's two, the four notifying ones) and those target tracking creates.
            const created = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((alarm) => alarm.state.name as string);
            const byTargetTracking = mocks
                .ofType("aws:appautoscaling/policy:Policy")
                .flatMap((policy) => (policy.state.alarmArns as string[] | undefined) ?? [])
                .map(alarmNameFromArn);
            assert.equal(byTargetTracking.length, config.scaling.mode === "target-tracking" ? 2 : 0);
            assert.deepEqual([...parsed.alarmNames].sort(), [...created, ...byTargetTracking].sort());
            assert.equal(parsed.alarmNames.length, 6, "two scaling alarms (step's or target tracking's) and the four notifying ones");
        });
    });
}

describe("environment stack with the longest names config allows", () => {
    before(useMocks);
    beforeEach(() => mocks.reset());

    it("keeps every auto-generated physical name within its AWS limit", async () => {
        const environment = `e${"x".repeat(29)}`;
        const service = `s${"y".repeat(31)}`;
        await build(() =>
            buildEnvironmentStack(
                environmentConfigWith("Pulumi.dev.yaml", {
                    environment: { name: environment },
                    service: { name: service },
                    // With every optional resource, flow log role and access log bucket included.
                    network: { flowLogs: { enabled: true } },
                    loadBalancer: { accessLogs: { enabled: true } },
                }),
            ),
        );
        // Pulumi's auto-name is the logical name, "-" and 7 random characters; it fails rather than truncate.
        const autoNameLength = (r: RecordedResource) => r.name.length + 8;
        for (const [type, limit] of [[T.alb, 32], [T.targetGroup, 32], [T.role, 64], ["aws:s3/bucket:Bucket", 63]] as const) {
            const resources = mocks.ofType(type);
            assert.ok(resources.length > 0, type);
            for (const r of resources) assert.ok(autoNameLength(r) <= limit, `${type} ${r.name}: ${autoNameLength(r)} > ${limit}`);
        }
    });
});

describe("prod's flow logs and access logs (what EC2.6 and ELB.5 ask for, as the stack builds it)", () => {
    let config: EnvironmentStackConfig;
    before(async () => {
        await useMocks();
        mocks.reset();
        config = loadEnvironmentConfig("Pulumi.prod.yaml");
        await build(() => buildEnvironmentStack(config));
    });

    it("flow logs: kept for network.flowLogs.retentionDays, every minute, by a role only this account's VPC flow logs assume, writing to that log group alone", () => {
        const flowLog = mocks.one("aws:ec2/flowLog:FlowLog");
        const logGroup = oneWhere(T.logGroup, (g) => g.state.arn === flowLog.inputs.logDestination);
        assert.deepEqual(logGroup.inputs, { name: "/vpc/ecs-loadlab/prod/flow-logs", retentionInDays: config.network.flowLogs.retentionDays });
        assert.equal(flowLog.inputs.maxAggregationInterval, 60);

        const role = oneWhere(T.role, (r) => r.state.arn === flowLog.inputs.iamRoleArn);
        const { accountId, region } = config.aws;
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": accountId },
                    ArnLike: { "aws:SourceArn": `arn:aws:ec2:${region}:${accountId}:vpc-flow-log/*` },
                },
            },
        ]);
        const rolePolicy = oneWhere("aws:iam/rolePolicy:RolePolicy", (p) => p.inputs.role === role.id);
        assert.deepEqual(JSON.parse(rolePolicy.inputs.policy).Statement, [
            {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [logGroup.state.arn, `${logGroup.state.arn}:*`],
            },
        ]);
        assert.ok(flowLog.registration?.dependencies.includes(rolePolicy.registration!.urn), "delivery starts once the role may write");
    });

    it("access log bucket: expires logs after loadBalancer.accessLogs.expireAfterDays, aborts stale uploads, keeps its logs through pulumi destroy", () => {
        const bucket = mocks.one("aws:s3/bucket:Bucket");
        assert.deepEqual(bucket.inputs, { forceDestroy: false });
        const lifecycle = oneWhere("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", (l) => l.inputs.bucket === bucket.state.bucket);
        assert.deepEqual(lifecycle.inputs.rules, [
            {
                id: "expire-access-logs",
                status: "Enabled",
                filter: {},
                expiration: { days: config.loadBalancer.accessLogs.expireAfterDays },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            },
        ]);
    });
});
