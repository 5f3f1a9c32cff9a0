import * as aws from "@pulumi/aws";
import { Unwrap } from "@pulumi/pulumi";
import { ResourceValidationPolicy, StackValidationPolicy, TypedResourceValidation, validateResourceOfType } from "@pulumi/policy";
import { control, reportingDocumentErrors } from "../lib/control";
import { asList, principalsOf, statementsOf } from "../lib/documents";
import { accountOf, ofTypes, referredTo, referring, subjects, TYPES } from "../lib/graph";
import { checkAll, checkEach } from "../lib/unknowns";

const LOAD_BALANCER_TYPES = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const LISTENER_TYPES = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const LISTENER_RULE_TYPES = ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"];

type LoadBalancerProps = Unwrap<aws.lb.LoadBalancerArgs>;
type ListenerProps = Unwrap<aws.lb.ListenerArgs>;

/** One check for load balancers under either of their names (`aws.lb` and its alias `aws.alb`). */
function loadBalancers(check: TypedResourceValidation<LoadBalancerProps>) {
    return [validateResourceOfType(aws.lb.LoadBalancer, check), validateResourceOfType(aws.alb.LoadBalancer, check)];
}

/** Application is the default type of load balancer. */
const isApplication = (props: { loadBalancerType?: string }) => (props.loadBalancerType ?? "application") === "application";

/** The same, for application load balancers only. */
function applicationLoadBalancers(check: TypedResourceValidation<LoadBalancerProps>) {
    return loadBalancers((loadBalancer, args, report) => {
        if (!isApplication(loadBalancer)) args.notApplicable("not an application load balancer");
        return check(loadBalancer, args, report);
    });
}

function listeners(check: TypedResourceValidation<ListenerProps>) {
    return [validateResourceOfType(aws.lb.Listener, check), validateResourceOfType(aws.alb.Listener, check)];
}

interface Action {
    type: string;
    redirect?: { protocol?: string };
}

const redirectsToHttps = (actions: Action[] | undefined) => {
    const list = asList(actions);
    return list.length > 0 && list.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS");
};

export const ELB_1 = control<StackValidationPolicy>("ELB.1", {
    description: "HTTP listeners of application load balancers only redirect to HTTPS, and no listener rule serves plain HTTP.",
    validateStack: (args, report) => {
        const rules = ofTypes(args.resources, ...LISTENER_RULE_TYPES);
        const http = subjects(args, "listener", ...LISTENER_TYPES).filter((listener) => listener.props.protocol === "HTTP");
        if (http.length === 0) args.notApplicable("the stack has no HTTP listener");
        checkEach(http, (listener) =>
            checkAll(
                () => {
                    if (!redirectsToHttps(listener.props.defaultActions)) report(`HTTP listener ${listener.name} serves requests: make its default action a redirect to HTTPS.`, listener.urn);
                },
                () => {
                    for (const rule of referring(rules, "listenerArn", [listener], ["arn", "id"])) {
                        if (!redirectsToHttps(rule.props.actions)) report(`listener rule ${rule.name} serves plain HTTP on ${listener.name}: attach it to the HTTPS listener.`, rule.urn);
                    }
                },
            ),
        );
    },
});

export const ELB_4 = control<ResourceValidationPolicy>("ELB.4", {
    description: "Application load balancers drop invalid HTTP headers.",
    validateResource: applicationLoadBalancers((loadBalancer, _args, report) => {
        if (loadBalancer.dropInvalidHeaderFields !== true) report("invalid HTTP headers reach the targets: set dropInvalidHeaderFields to true.");
    }),
});

const LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com";

export const ELB_5 = control<StackValidationPolicy>("ELB.5", {
    description:
        "Application load balancers log access to an S3 bucket of the stack, in their account and region, whose policy lets ELB log delivery write the load balancer's prefix, encrypted with SSE-S3; the load balancer waits for that policy.",
    validateStack: (args, report) => {
        const buckets = ofTypes(args.resources, TYPES.bucket, TYPES.bucketV2);
        const bucketPolicies = ofTypes(args.resources, "aws:s3/bucketPolicy:BucketPolicy");
        const encryptions = ofTypes(args.resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
        const albs = subjects(args, "load balancer", ...LOAD_BALANCER_TYPES).filter((loadBalancer) => isApplication(loadBalancer.props));
        checkEach(albs, (alb) => {
            const accessLogs = alb.props.accessLogs as { bucket?: string; prefix?: string; enabled?: boolean } | undefined;
            if (accessLogs?.enabled !== true) {
                report(`${alb.name} does not log access: set accessLogs (in this project, ecs-loadlab:loadBalancer.accessLogs.enabled: true).`, alb.urn);
                return;
            }
            const [bucket] = referredTo(alb, "accessLogs", buckets, ["bucket", "id"], (logs) => logs?.bucket);
            if (!bucket) {
                report(`${alb.name} logs to ${accessLogs.bucket}, a bucket the stack does not manage, so nothing here checks who can read or delete its logs.`, alb.urn);
                return;
            }
            const account = accountOf(alb);
            const prefix = accessLogs.prefix ? `${accessLogs.prefix}/` : "";
            checkAll(
                () => {
                    if (bucket.provider?.urn !== alb.provider?.urn) report(`${alb.name} logs to ${bucket.name}, which another provider (account or region) manages: ELB delivers only within its region.`, alb.urn);
                },
                () => {
                    const [policy] = referring(bucketPolicies, "bucket", [bucket], ["bucket", "id"]);
                    if (!policy) {
                        report(`${bucket.name} has no bucket policy letting ELB log delivery write.`, bucket.urn);
                        return;
                    }
                    reportingDocumentErrors(report, policy.urn, () => {
                        const objects = `${bucket.props.arn}/${prefix}AWSLogs/${account ?? "<account>"}/*`;
                        const grants = statementsOf(policy.props.policy, `bucket policy ${policy.name}`).filter(
                            (s) => s.Effect === "Allow" && principalsOf(s, "Service").includes(LOG_DELIVERY) && asList(s.Action).includes("s3:PutObject"),
                        );
                        const covered = grants.some((s) => asList(s.Resource).some((r) => (account ? r === objects : new RegExp(`^${escape(bucket.props.arn)}/${escape(prefix)}AWSLogs/\\d{12}/\\*$`).test(r))));
                        if (!covered) report(`the policy of ${bucket.name} does not let ${LOG_DELIVERY} put ${objects}.`, policy.urn);
                    });
                    if (!alb.dependencies.some((d) => d.urn === policy.urn)) report(`${alb.name} does not wait for the bucket policy (dependsOn): ELB checks that it can write when logging is turned on.`, alb.urn);
                },
                () => {
                    const [encryption] = referring(encryptions, "bucket", [bucket], ["bucket", "id"]);
                    const algorithms = asList(encryption?.props.rules as { applyServerSideEncryptionByDefault?: { sseAlgorithm?: string } }[]).map(
                        (rule) => rule.applyServerSideEncryptionByDefault?.sseAlgorithm,
                    );
                    if (algorithms.join() !== "AES256") report(`${bucket.name} is not encrypted with SSE-S3 (AES256), the only default encryption ALB log delivery supports.`, bucket.urn);
                },
            );
        });
    },
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export const ELB_6 = control<ResourceValidationPolicy>("ELB.6", {
    description: "Load balancers have deletion protection.",
    validateResource: loadBalancers((loadBalancer, _args, report) => {
        if (loadBalancer.enableDeletionProtection !== true) report("deletion protection is off: set enableDeletionProtection (in this project, ecs-loadlab:loadBalancer.deletionProtection: true).");
    }),
});

export const ELB_12 = control<ResourceValidationPolicy>("ELB.12", {
    description: "Application load balancers mitigate HTTP desync in defensive (the default) or strictest mode.",
    validateResource: applicationLoadBalancers((loadBalancer, _args, report) => {
        const mode = loadBalancer.desyncMitigationMode ?? "defensive";
        if (mode !== "defensive" && mode !== "strictest") report(`desyncMitigationMode is ${mode}: use defensive or strictest.`);
    }),
});

export const ELB_13 = control<ResourceValidationPolicy>("ELB.13", {
    description: "Load balancers span at least two availability zones (ELB takes one subnet per zone, so two distinct subnets are two zones).",
    validateResource: loadBalancers((loadBalancer, _args, report) => {
        const subnets = new Set([...asList(loadBalancer.subnets), ...asList(loadBalancer.subnetMappings).map((m) => m.subnetId)]);
        if (subnets.size < 2) report(`the load balancer is in ${subnets.size} subnet(s): give it subnets in at least two availability zones.`);
    }),
});

/** ELB.17's recommended security policies. */
export const ELB_17_SSL_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
];

export const ELB_17 = control<ResourceValidationPolicy>("ELB.17", {
    description: "HTTPS and TLS listeners use one of the security policies ELB.17 recommends.",
    validateResource: listeners((listener, args, report) => {
        if (listener.protocol !== "HTTPS" && listener.protocol !== "TLS") args.notApplicable("neither an HTTPS nor a TLS listener");
        if (!ELB_17_SSL_POLICIES.includes(listener.sslPolicy ?? "")) report(`sslPolicy is ${listener.sslPolicy ?? "ELB's default"}: use one of ${ELB_17_SSL_POLICIES.join(", ")}.`);
    }),
});
