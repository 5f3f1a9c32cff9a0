import type { DataSourceCalls, ResourceCalls } from "../types";

/**
 * The AWS calls the Pulumi AWS provider (terraform-provider-aws v6) makes for the load balancer, certificate, DNS,
 * alarm, dashboard, log, notification and scaling resources, from the provider's Go source (paths below are in
 * hashicorp/terraform-provider-aws).
 *
 * Tagging is transparent (`@Tags(identifierAttribute=...)`, internal/provider/sdkv2/tags_interceptor.go): the create
 * request carries the tags, the interceptor lists the tags after every create, read and update, and calls the
 * tag/untag APIs before an update that changes them. `when: "tags"` includes the provider's defaultTags (tags_all),
 * which every stack's provider sets (components/provider.ts), so tag calls and tag-on-create actions always apply.
 */
export const EDGE_AND_MONITORING_RESOURCES: Record<string, ResourceCalls> = {
    "aws:lb/loadBalancer:LoadBalancer": {
        source: [
            "internal/service/elbv2/load_balancer.go",
            "internal/service/elbv2/tags_gen.go",
            "internal/service/elbv2/service_package_gen.go",
            "internal/service/ec2/find.go",
        ],
        create: [
            // Name-taken check, waitLoadBalancerActive (before and after the attributes), then the read.
            { api: "elasticloadbalancing:DescribeLoadBalancers" },
            { api: "elasticloadbalancing:CreateLoadBalancer", actions: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:AddTags"] },
            // Made by ELB with the caller's permission, only while AWSServiceRoleForElasticLoadBalancing does not exist.
            { api: "iam:CreateServiceLinkedRole", serviceLinkedRole: { service: "elasticloadbalancing.amazonaws.com", roleName: "AWSServiceRoleForElasticLoadBalancing" } },
            { api: "elasticloadbalancing:ModifyCapacityReservation", when: "minimumLoadBalancerCapacity" },
            // Always: access_logs.s3.enabled, connection_logs.s3.enabled and every ALB attribute are sent.
            { api: "elasticloadbalancing:ModifyLoadBalancerAttributes" },
            { api: "elasticloadbalancing:SetSecurityGroups", when: "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic" }, // NLB only
            { api: "elasticloadbalancing:DescribeLoadBalancerAttributes" },
            // waitCapacityReservationProvisioned and the read; AccessDenied is tolerated on read.
            { api: "elasticloadbalancing:DescribeCapacityReservation" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        read: [
            { api: "elasticloadbalancing:DescribeLoadBalancers" },
            { api: "elasticloadbalancing:DescribeLoadBalancerAttributes" },
            { api: "elasticloadbalancing:DescribeCapacityReservation" }, // AccessDenied tolerated
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        update: [
            { api: "elasticloadbalancing:AddTags", when: "tags" },
            { api: "elasticloadbalancing:RemoveTags", when: "tags" },
            { api: "elasticloadbalancing:ModifyLoadBalancerAttributes" },
            { api: "elasticloadbalancing:SetSecurityGroups", when: "securityGroups" },
            { api: "elasticloadbalancing:SetSubnets", when: "subnets" },
            { api: "elasticloadbalancing:SetIpAddressType", when: "ipAddressType" },
            { api: "elasticloadbalancing:ModifyIpPools", when: "ipamPools" },
            { api: "elasticloadbalancing:ModifyCapacityReservation", when: "minimumLoadBalancerCapacity" },
            { api: "elasticloadbalancing:DescribeLoadBalancers" }, // waitLoadBalancerActive, then the read
            { api: "elasticloadbalancing:DescribeLoadBalancerAttributes" },
            { api: "elasticloadbalancing:DescribeCapacityReservation" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        delete: [
            { api: "elasticloadbalancing:DeleteLoadBalancer" },
            // Waits for the ALB's and NLB's ENIs to go (errors only logged).
            { api: "ec2:DescribeNetworkInterfaces" },
            { api: "ec2:GetIpamPoolAllocations", when: "ipamPools" },
        ],
    },

    "aws:lb/listener:Listener": {
        source: ["internal/service/elbv2/listener.go", "internal/service/elbv2/tags_gen.go", "internal/service/elbv2/service_package_gen.go"],
        create: [
            // Retried while the certificate is not yet visible to ELB (CertificateNotFound).
            {
                api: "elasticloadbalancing:CreateListener",
                actions: ["elasticloadbalancing:CreateListener", "elasticloadbalancing:AddTags"],
                on: { input: "loadBalancerArn" },
            },
            { api: "elasticloadbalancing:DescribeListeners" }, // RetryWhenNotFound, then the read
            // HTTP/HTTPS listeners: routing_http_response_server_enabled is a bool, so it is always sent.
            { api: "elasticloadbalancing:ModifyListenerAttributes" },
            { api: "elasticloadbalancing:DescribeListenerAttributes" }, // not for TLS listeners
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        read: [
            { api: "elasticloadbalancing:DescribeListeners" },
            { api: "elasticloadbalancing:DescribeListenerAttributes" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        update: [
            { api: "elasticloadbalancing:AddTags", when: "tags" },
            { api: "elasticloadbalancing:RemoveTags", when: "tags" },
            { api: "elasticloadbalancing:ModifyListener" },
            { api: "elasticloadbalancing:ModifyListenerAttributes" },
            { api: "elasticloadbalancing:DescribeListeners" },
            { api: "elasticloadbalancing:DescribeListenerAttributes" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        delete: [{ api: "elasticloadbalancing:DeleteListener" }],
    },

    "aws:lb/listenerRule:ListenerRule": {
        source: ["internal/service/elbv2/listener_rule.go", "internal/service/elbv2/tags_gen.go", "internal/service/elbv2/service_package_gen.go"],
        create: [
            // Only when priority is NOT set: the listener's highest priority + 1.
            { api: "elasticloadbalancing:DescribeRules", on: { input: "listenerArn" } },
            { api: "elasticloadbalancing:CreateRule", actions: ["elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags"], on: { input: "listenerArn" } },
            { api: "elasticloadbalancing:DescribeRules" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        read: [{ api: "elasticloadbalancing:DescribeRules" }, { api: "elasticloadbalancing:DescribeTags" }],
        update: [
            { api: "elasticloadbalancing:AddTags", when: "tags" },
            { api: "elasticloadbalancing:RemoveTags", when: "tags" },
            { api: "elasticloadbalancing:SetRulePriorities", when: "priority" },
            { api: "elasticloadbalancing:ModifyRule" }, // actions, conditions (or transforms) changed
            { api: "elasticloadbalancing:DescribeRules" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        delete: [{ api: "elasticloadbalancing:DeleteRule" }],
    },

    "aws:lb/targetGroup:TargetGroup": {
        source: ["internal/service/elbv2/target_group.go", "internal/service/elbv2/tags_gen.go", "internal/service/elbv2/service_package_gen.go"],
        create: [
            { api: "elasticloadbalancing:DescribeTargetGroups" }, // name-taken check, RetryWhenNotFound, read
            {
                api: "elasticloadbalancing:CreateTargetGroup",
                actions: ["elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:AddTags"],
            },
            // Instance/IP targets: connection_termination and the other bool attributes are always sent.
            { api: "elasticloadbalancing:ModifyTargetGroupAttributes" },
            { api: "elasticloadbalancing:DescribeTargetGroupAttributes" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        read: [
            { api: "elasticloadbalancing:DescribeTargetGroups" },
            { api: "elasticloadbalancing:DescribeTargetGroupAttributes" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        update: [
            { api: "elasticloadbalancing:AddTags", when: "tags" },
            { api: "elasticloadbalancing:RemoveTags", when: "tags" },
            { api: "elasticloadbalancing:ModifyTargetGroup", when: "healthCheck" },
            { api: "elasticloadbalancing:ModifyTargetGroupAttributes" },
            { api: "elasticloadbalancing:DescribeTargetGroups" },
            { api: "elasticloadbalancing:DescribeTargetGroupAttributes" },
            { api: "elasticloadbalancing:DescribeTags" },
        ],
        // Retried for up to 2 minutes while a listener or rule still uses it.
        delete: [{ api: "elasticloadbalancing:DeleteTargetGroup" }],
    },

    "aws:acm/certificate:Certificate": {
        source: ["internal/service/acm/certificate.go", "internal/service/acm/tags_gen.go", "internal/service/acm/service_package_gen.go"],
        create: [
            { api: "acm:RequestCertificate", actions: ["acm:RequestCertificate", "acm:AddTagsToCertificate"], when: "domainName" },
            { api: "acm:ImportCertificate", actions: ["acm:ImportCertificate", "acm:AddTagsToCertificate"], when: "certificateBody" },
            // waitCertificateDomainValidationsAvailable (the DNS validation record appears), then the read.
            { api: "acm:DescribeCertificate" },
            { api: "acm:ListTagsForCertificate" },
        ],
        read: [{ api: "acm:DescribeCertificate" }, { api: "acm:ListTagsForCertificate" }],
        update: [
            { api: "acm:AddTagsToCertificate", when: "tags" },
            { api: "acm:RemoveTagsFromCertificate", when: "tags" },
            { api: "acm:ImportCertificate", when: "certificateBody" }, // re-import
            { api: "acm:RenewCertificate", when: "earlyRenewalDuration" }, // then waitCertificateRenewed
            { api: "acm:UpdateCertificateOptions", when: "options" },
            { api: "acm:DescribeCertificate" },
            { api: "acm:ListTagsForCertificate" },
        ],
        // Retried while still in use (e.g. by a listener).
        delete: [{ api: "acm:DeleteCertificate" }],
    },

    "aws:acm/certificateValidation:CertificateValidation": {
        source: ["internal/service/acm/certificate_validation.go", "internal/service/acm/certificate.go"],
        create: [
            // findCertificateByARN, then waitCertificateIssued polls until ISSUED (up to 75 min), then the read.
            { api: "acm:DescribeCertificate", on: { input: "certificateArn" } },
        ],
        read: [{ api: "acm:DescribeCertificate", on: { input: "certificateArn" } }],
        update: [], // every input forces replacement
        delete: [], // schema.Noop
    },

    "aws:route53/record:Record": {
        source: ["internal/service/route53/record.go", "internal/service/route53/zone.go", "internal/service/route53/change_info.go"],
        create: [
            { api: "route53:GetHostedZone", on: { input: "zoneId" } },
            { api: "route53:ChangeResourceRecordSets", on: { input: "zoneId" } }, // CREATE (UPSERT with allowOverwrite)
            // waitChangeInsync; authorized on change/*, not on the zone.
            { api: "route53:GetChange" },
            { api: "route53:ListResourceRecordSets", on: { input: "zoneId" } },
        ],
        read: [
            { api: "route53:GetHostedZone", on: { input: "zoneId" } },
            { api: "route53:ListResourceRecordSets", on: { input: "zoneId" } },
        ],
        update: [
            { api: "route53:GetHostedZone", on: { input: "zoneId" } },
            // UPSERT, or DELETE + CREATE in one batch when type or setIdentifier changes.
            { api: "route53:ChangeResourceRecordSets", on: { input: "zoneId" } },
            { api: "route53:GetChange" },
            { api: "route53:ListResourceRecordSets", on: { input: "zoneId" } },
        ],
        delete: [
            { api: "route53:GetHostedZone", on: { input: "zoneId" } },
            { api: "route53:ListResourceRecordSets", on: { input: "zoneId" } },
            { api: "route53:ChangeResourceRecordSets", on: { input: "zoneId" } },
            { api: "route53:GetChange" },
        ],
    },

    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        source: ["internal/service/cloudwatch/metric_alarm.go", "internal/service/cloudwatch/tags_gen.go", "internal/service/cloudwatch/service_package_gen.go"],
        create: [
            { api: "cloudwatch:PutMetricAlarm", actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"] },
            { api: "cloudwatch:DescribeAlarms" },
            { api: "cloudwatch:ListTagsForResource" },
        ],
        read: [{ api: "cloudwatch:DescribeAlarms" }, { api: "cloudwatch:ListTagsForResource" }],
        update: [
            { api: "cloudwatch:TagResource", when: "tags" },
            { api: "cloudwatch:UntagResource", when: "tags" },
            { api: "cloudwatch:PutMetricAlarm" },
            { api: "cloudwatch:DescribeAlarms" },
            { api: "cloudwatch:ListTagsForResource" },
        ],
        delete: [{ api: "cloudwatch:DeleteAlarms" }],
    },

    "aws:cloudwatch/dashboard:Dashboard": {
        source: ["internal/service/cloudwatch/dashboard.go"],
        create: [{ api: "cloudwatch:PutDashboard" }, { api: "cloudwatch:GetDashboard" }],
        read: [{ api: "cloudwatch:GetDashboard" }],
        update: [{ api: "cloudwatch:PutDashboard" }, { api: "cloudwatch:GetDashboard" }],
        delete: [{ api: "cloudwatch:DeleteDashboards" }],
    },

    "aws:cloudwatch/logGroup:LogGroup": {
        source: ["internal/service/logs/group.go", "internal/service/logs/tags_gen.go", "internal/service/logs/service_package_gen.go"],
        create: [
            { api: "logs:CreateLogGroup", actions: ["logs:CreateLogGroup", "logs:TagResource"] },
            { api: "logs:PutRetentionPolicy", when: "retentionInDays" },
            { api: "logs:DescribeLogGroups" },
            { api: "logs:ListTagsForResource" },
        ],
        read: [{ api: "logs:DescribeLogGroups" }, { api: "logs:ListTagsForResource" }],
        update: [
            { api: "logs:TagResource", when: "tags" },
            { api: "logs:UntagResource", when: "tags" },
            { api: "logs:PutRetentionPolicy", when: "retentionInDays" },
            { api: "logs:DeleteRetentionPolicy" }, // when retentionInDays is removed
            { api: "logs:PutLogGroupDeletionProtection", when: "deletionProtectionEnabled" },
            { api: "logs:AssociateKmsKey", when: "kmsKeyId" },
            { api: "logs:DisassociateKmsKey", onlyWhen: "kmsKeyId is removed (no log group sets one)" },
            { api: "logs:DescribeLogGroups" },
            { api: "logs:ListTagsForResource" },
        ],
        // Not made when skipDestroy is true.
        delete: [{ api: "logs:DeleteLogGroup" }],
    },

    "aws:sns/topic:Topic": {
        source: ["internal/service/sns/topic.go", "internal/service/sns/tags_gen.go", "internal/service/sns/service_package_gen.go"],
        create: [
            { api: "sns:CreateTopic", actions: ["sns:CreateTopic", "sns:TagResource"] },
            // One call per attribute set (kmsMasterKeyId here; also policy, deliveryPolicy, displayName, feedback roles...).
            {
                api: "sns:SetTopicAttributes",
                when: "kmsMasterKeyId",
                passesRoles: {
                    inputs: [
                        "applicationSuccessFeedbackRoleArn",
                        "applicationFailureFeedbackRoleArn",
                        "firehoseSuccessFeedbackRoleArn",
                        "firehoseFailureFeedbackRoleArn",
                        "httpSuccessFeedbackRoleArn",
                        "httpFailureFeedbackRoleArn",
                        "lambdaSuccessFeedbackRoleArn",
                        "lambdaFailureFeedbackRoleArn",
                        "sqsSuccessFeedbackRoleArn",
                        "sqsFailureFeedbackRoleArn",
                    ],
                    to: "sns.amazonaws.com",
                },
            },
            { api: "sns:GetTopicAttributes" },
            { api: "sns:ListTagsForResource" },
        ],
        read: [{ api: "sns:GetTopicAttributes" }, { api: "sns:ListTagsForResource" }],
        update: [
            { api: "sns:TagResource", when: "tags" },
            { api: "sns:UntagResource", when: "tags" },
            { api: "sns:SetTopicAttributes" },
            { api: "sns:GetTopicAttributes" },
            { api: "sns:ListTagsForResource" },
        ],
        delete: [{ api: "sns:DeleteTopic" }],
    },

    "aws:sns/topicSubscription:TopicSubscription": {
        source: ["internal/service/sns/topic_subscription.go"],
        create: [
            {
                api: "sns:Subscribe",
                on: { input: "topic" },
                passesRoles: { inputs: ["subscriptionRoleArn"], to: "sns.amazonaws.com" },
            },
            // Confirmation wait (skipped for email) and the read.
            { api: "sns:GetSubscriptionAttributes", on: { input: "topic" } },
        ],
        read: [{ api: "sns:GetSubscriptionAttributes", on: { input: "topic" } }],
        update: [
            { api: "sns:SetSubscriptionAttributes", on: { input: "topic" } },
            { api: "sns:GetSubscriptionAttributes", on: { input: "topic" } },
        ],
        delete: [
            // A still-pending (unconfirmed email) subscription cannot be unsubscribed; the error is ignored.
            { api: "sns:Unsubscribe", on: { input: "topic" } },
            { api: "sns:GetSubscriptionAttributes", on: { input: "topic" } }, // waitSubscriptionDeleted
        ],
    },

    "aws:appautoscaling/target:Target": {
        source: [
            "internal/service/appautoscaling/target.go",
            "internal/service/appautoscaling/tags_gen.go",
            "internal/service/appautoscaling/service_package_gen.go",
        ],
        create: [
            {
                api: "application-autoscaling:RegisterScalableTarget",
                actions: ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"],
                passesRoles: { inputs: ["roleArn"], to: "application-autoscaling.amazonaws.com" },
            },
            // Application Auto Scaling validates the caller's permissions on the ECS service named by resourceId.
            { api: "application-autoscaling:RegisterScalableTarget", actions: ["ecs:DescribeServices", "ecs:UpdateService"], on: { input: "resourceId" } },
            // Made by Application Auto Scaling with the caller's permission, only while
            // AWSServiceRoleForApplicationAutoScaling_ECSService does not exist yet.
            {
                api: "iam:CreateServiceLinkedRole",
                serviceLinkedRole: { service: "ecs.application-autoscaling.amazonaws.com", roleName: "AWSServiceRoleForApplicationAutoScaling_ECSService" },
            },
            { api: "application-autoscaling:DescribeScalableTargets" },
            { api: "application-autoscaling:ListTagsForResource" },
        ],
        read: [{ api: "application-autoscaling:DescribeScalableTargets" }, { api: "application-autoscaling:ListTagsForResource" }],
        update: [
            { api: "application-autoscaling:TagResource", when: "tags" },
            { api: "application-autoscaling:UntagResource", when: "tags" },
            {
                api: "application-autoscaling:RegisterScalableTarget",
                passesRoles: { inputs: ["roleArn"], to: "application-autoscaling.amazonaws.com" },
            },
            { api: "application-autoscaling:RegisterScalableTarget", actions: ["ecs:DescribeServices", "ecs:UpdateService"], on: { input: "resourceId" } },
            { api: "application-autoscaling:DescribeScalableTargets" },
            { api: "application-autoscaling:ListTagsForResource" },
        ],
        delete: [
            { api: "application-autoscaling:DeregisterScalableTarget" },
            { api: "application-autoscaling:DescribeScalableTargets" }, // RetryUntilNotFound
        ],
    },

    // A scaling policy is authorized on its scalable target, named by resourceId (+ serviceNamespace, scalableDimension).
    "aws:appautoscaling/policy:Policy": {
        source: ["internal/service/appautoscaling/policy.go"],
        create: [
            { api: "application-autoscaling:PutScalingPolicy", on: { input: "resourceId" } },
            // Target tracking: Application Auto Scaling creates the policy's alarms, validating the caller's CloudWatch permissions.
            {
                api: "application-autoscaling:PutScalingPolicy",
                actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"],
                when: "targetTrackingScalingPolicyConfiguration",
            },
            { api: "application-autoscaling:DescribeScalingPolicies" },
        ],
        read: [{ api: "application-autoscaling:DescribeScalingPolicies" }],
        update: [
            { api: "application-autoscaling:PutScalingPolicy", on: { input: "resourceId" } },
            {
                api: "application-autoscaling:PutScalingPolicy",
                actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"],
                when: "targetTrackingScalingPolicyConfiguration",
            },
            { api: "application-autoscaling:DescribeScalingPolicies" },
        ],
        delete: [
            { api: "application-autoscaling:DeleteScalingPolicy", on: { input: "resourceId" } },
            // Target tracking: its alarms are deleted with it.
            {
                api: "application-autoscaling:DeleteScalingPolicy",
                actions: ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
                when: "targetTrackingScalingPolicyConfiguration",
            },
        ],
    },
};

export const EDGE_AND_MONITORING_DATA_SOURCES: Record<string, DataSourceCalls> = {
    // Called with name + privateZone: false (components/load-balancer.ts, components/deploy-role.ts).
    "aws:route53/getZone:getZone": {
        source: ["internal/service/route53/zone_data_source.go", "internal/service/route53/zone.go", "internal/service/route53/tags_gen.go"],
        read: [
            { api: "route53:ListHostedZones" }, // every page, matched by name and privateZone
            // The matched zone: name servers (a private zone would also list its NS records), then its tags.
            { api: "route53:GetHostedZone", on: { input: "zoneId" } },
            { api: "route53:ListTagsForResource", on: { input: "zoneId" } },
        ],
    },
};
