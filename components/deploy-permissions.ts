import { bootstrapRoleArn, BootstrapRoleKind, BUCKET_PREFIX, DeployedStackRole, GithubTrustConfig, IAM_NAMES, LOG_GROUP_PREFIXES, PROJECT } from "../config";
import { EVIDENCE_PREFIXES, evidenceBucketName } from "../stacks/shared-names";

/**
 * What the deploy role of a bootstrapped account may do, as plain policy documents: one per stack role the account
 * hosts (plus the IAM fence, and the state backend when there is one), each small enough for a managed policy.
 * Pure functions of plain values, so tests read exactly what IAM will receive.
 *
 * No statement allows `*` or a whole service (`service:*`). Resources are named where the stacks' names are known
 * (IAM under the project's path, buckets and log groups under its prefixes, ECR repositories, Route 53 zones) and
 * scoped to the account elsewhere; every role a stack creates must carry the permissions boundary.
 */

export interface Statement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

export interface DeployScope {
    partition: string;
    accountId: string;
    stackRoles: DeployedStackRole[];
    /** Ids of the Route 53 hosted zones the environment stacks write records in. */
    hostedZoneIds: string[];
    /** The shared registry's repository (managed and pushed to in the shared account, read by digest elsewhere). */
    registry?: { accountId: string; repositoryName: string };
    /** The S3 state backend the deploy role reads and writes, when the stacks use one. */
    stateBackend?: { bucketName: string; keyAccountId: string; region: string };
}

/** The KMS alias of the state backend's key. */
export const STATE_KEY_ALIAS = `alias/${PROJECT}-state`;

/** AWS services whose task roles the stacks create and pass, by stack role. */
const PASSED_TO_SERVICES: Record<DeployedStackRole, string[]> = {
    shared: [],
    environment: ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"],
    loadgen: ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"],
};

/** Service-linked roles AWS creates on a stack's first deployment in an account. */
const SERVICE_LINKED_ROLES: Record<DeployedStackRole, string[]> = {
    shared: [],
    environment: ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"],
    loadgen: ["ecs.amazonaws.com"],
};

/** The only managed policy a stack attaches to its roles. */
const ATTACHABLE_POLICIES = (partition: string) => [`arn:${partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`];

export const deployRoleArn = (partition: string, accountId: string) => bootstrapRoleArn("deploy", partition, accountId);

export const boundaryArn = (partition: string, accountId: string) =>
    `arn:${partition}:iam::${accountId}:policy${IAM_NAMES.path}${IAM_NAMES.permissionsBoundary}`;

const arns = (scope: Pick<DeployScope, "partition" | "accountId">) => {
    const { partition: p, accountId: a } = scope;
    const projectBuckets = `arn:${p}:s3:::${BUCKET_PREFIX}*`;
    return {
        projectRoles: `arn:${p}:iam::${a}:role${IAM_NAMES.path}*`,
        serviceLinkedRoles: `arn:${p}:iam::${a}:role/aws-service-role/*`,
        projectBucketObjects: `${projectBuckets}/*`,
        projectBuckets: [projectBuckets, `${projectBuckets}/*`],
        projectLogGroups: Object.values(LOG_GROUP_PREFIXES).flatMap((prefix) => [
            `arn:${p}:logs:*:${a}:log-group:${prefix}*`,
            `arn:${p}:logs:*:${a}:log-group:${prefix}*:*`,
        ]),
        account: (service: string) => `arn:${p}:${service}:*:${a}:*`,
        keys: [`arn:${p}:kms:*:${a}:key/*`, `arn:${p}:kms:*:${a}:alias/*`],
        repository: (account: string, name: string) => `arn:${p}:ecr:*:${account}:repository/${name}`,
    };
};

export const allow = (Sid: string, Action: string[], Resource: string | string[], Condition?: Statement["Condition"]): Statement => ({
    Sid,
    Effect: "Allow",
    Action,
    Resource,
    ...(Condition ? { Condition } : {}),
});

export const document = (statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

const union = (lists: string[][]) => [...new Set(lists.flat())].sort();

// ---------------------------------------------------------------- the IAM fence

/**
 * Roles only under the project's path, and only carrying the permissions boundary: `iam:PermissionsBoundary` is in the
 * request of exactly these actions, so each of them needs it. The rest of a role's life (tags, description, trust,
 * deletion) has no such key and is limited to the path. No action on policies: the boundary cannot be edited.
 */
function iamFence(scope: DeployScope): Statement[] {
    const { projectRoles, serviceLinkedRoles } = arns(scope);
    const boundary = { StringEquals: { "iam:PermissionsBoundary": boundaryArn(scope.partition, scope.accountId) } };
    const passedTo = union(scope.stackRoles.map((role) => PASSED_TO_SERVICES[role]));
    const linked = union(scope.stackRoles.map((role) => SERVICE_LINKED_ROLES[role]));
    return [
        allow("RolesCarryTheBoundary", ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy"], projectRoles, boundary),
        allow("OnlyTheTaskExecutionPolicyAttaches", ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], projectRoles, {
            ...boundary,
            ArnEquals: { "iam:PolicyARN": ATTACHABLE_POLICIES(scope.partition) },
        }),
        allow(
            "ProjectRoles",
            [
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ],
            projectRoles,
        ),
        allow("PassProjectRolesToTheirServices", ["iam:PassRole"], projectRoles, { StringEquals: { "iam:PassedToService": passedTo } }),
        allow("ServiceLinkedRoles", ["iam:CreateServiceLinkedRole"], serviceLinkedRoles, { StringEquals: { "iam:AWSServiceName": linked } }),
    ];
}

// ---------------------------------------------------------------- what environment and loadgen stacks share

/** What only environment networks have: NAT gateways and their addresses, the S3 gateway endpoint, inbound rules. */
const ENVIRONMENT_NETWORK_ACTIONS = [
    "ec2:AllocateAddress",
    "ec2:AssociateAddress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateNatGateway",
    "ec2:CreateVpcEndpoint",
    "ec2:DeleteNatGateway",
    "ec2:DeleteVpcEndpoints",
    "ec2:DisassociateAddress",
    "ec2:ReleaseAddress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
];

function network(extraActions: string[]): Statement[] {
    return [
        allow(
            "Network",
            [
                "ec2:AssociateRouteTable",
                "ec2:AttachInternetGateway",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:CreateFlowLogs",
                "ec2:CreateInternetGateway",
                "ec2:CreateRoute",
                "ec2:CreateRouteTable",
                "ec2:CreateSecurityGroup",
                "ec2:CreateSubnet",
                "ec2:CreateTags",
                "ec2:CreateVpc",
                "ec2:DeleteFlowLogs",
                "ec2:DeleteInternetGateway",
                "ec2:DeleteRoute",
                "ec2:DeleteRouteTable",
                "ec2:DeleteSecurityGroup",
                "ec2:DeleteSubnet",
                "ec2:DeleteTags",
                "ec2:DeleteVpc",
                "ec2:Describe*",
                "ec2:DetachInternetGateway",
                "ec2:DisassociateRouteTable",
                "ec2:ModifySecurityGroupRules",
                // Deleting a subnet first detaches it from endpoints other services left in the VPC (GuardDuty's).
                "ec2:ModifyVpcEndpoint",
                "ec2:ModifySubnetAttribute",
                "ec2:ModifyVpcAttribute",
                "ec2:ReplaceRoute",
                "ec2:ReplaceRouteTableAssociation",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
                ...extraActions,
            ].sort(),
            // EC2 creates take `*` for the resources they create; Describe* takes only `*`.
            "*",
        ),
    ];
}

function containers(scope: DeployScope): Statement[] {
    return [
        allow(
            "Containers",
            [
                "ecs:CreateCluster",
                "ecs:CreateService",
                "ecs:DeleteCluster",
                "ecs:DeleteService",
                "ecs:DeleteTaskDefinitions",
                "ecs:DeregisterTaskDefinition",
                "ecs:Describe*",
                "ecs:List*",
                "ecs:PutClusterCapacityProviders",
                "ecs:RegisterTaskDefinition",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:UpdateCluster",
                "ecs:UpdateClusterSettings",
                "ecs:UpdateService",
            ],
            // RegisterTaskDefinition and the List/Describe calls take only `*`.
            "*",
        ),
        allow(
            "ProjectLogGroups",
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:ListTagsForResource",
                "logs:ListTagsLogGroup",
                "logs:PutRetentionPolicy",
                "logs:TagLogGroup",
                "logs:TagResource",
                "logs:UntagLogGroup",
                "logs:UntagResource",
            ],
            arns(scope).projectLogGroups,
        ),
        // DescribeLogGroups takes no resource ARN (AWS's Service Authorization Reference): only `*` grants it.
        allow("DescribeLogGroups", ["logs:DescribeLogGroups"], "*"),
    ];
}

function buckets(scope: DeployScope): Statement[] {
    return [
        allow(
            "ProjectBuckets",
            [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucket*",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
                "s3:PutBucketVersioning",
                // CreateBucket with tags (the provider's defaultTags) is authorized as s3:TagResource too.
                "s3:TagResource",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ],
            arns(scope).projectBuckets,
        ),
    ];
}

function keys(scope: DeployScope): Statement[] {
    return [
        allow("CreateKeys", ["kms:CreateKey", "kms:ListAliases"], "*"),
        allow(
            "AccountKeys",
            [
                "kms:CreateAlias",
                "kms:CreateGrant",
                "kms:DeleteAlias",
                "kms:DescribeKey",
                "kms:EnableKeyRotation",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
                "kms:PutKeyPolicy",
                "kms:RetireGrant",
                "kms:ScheduleKeyDeletion",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
            ],
            arns(scope).keys,
        ),
    ];
}

// ---------------------------------------------------------------- per stack role

/** What resolving an environment tag to a digest calls on the shared repository (the `aws_ecr_image` data source). */
const RESOLVE_IMAGE_ACTIONS = ["ecr:DescribeImages", "ecr:DescribeRepositories"];

function environment(scope: DeployScope): Statement[] {
    const { partition: p } = scope;
    const registry = scope.registry;
    return [
        ...network(ENVIRONMENT_NETWORK_ACTIONS),
        allow(
            "LoadBalancers",
            [
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:Describe*",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            "*",
        ),
        allow(
            "Certificates",
            [
                "acm:AddTagsToCertificate",
                "acm:DeleteCertificate",
                "acm:DescribeCertificate",
                "acm:GetCertificate",
                "acm:ListCertificates",
                "acm:ListTagsForCertificate",
                "acm:RemoveTagsFromCertificate",
                "acm:RequestCertificate",
            ],
            "*",
        ),
        allow(
            "ConfiguredHostedZones",
            ["route53:ChangeResourceRecordSets", "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"],
            scope.hostedZoneIds.map((id) => `arn:${p}:route53:::hostedzone/${id}`),
        ),
        allow("FindHostedZones", ["route53:GetChange", "route53:ListHostedZones", "route53:ListHostedZonesByName"], "*"),
        allow(
            "AlarmsAndDashboards",
            [
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DeleteDashboards",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DescribeAlarmsForMetric",
                "cloudwatch:DisableAlarmActions",
                "cloudwatch:EnableAlarmActions",
                "cloudwatch:GetDashboard",
                "cloudwatch:GetMetricData",
                "cloudwatch:ListDashboards",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:PutDashboard",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            "*",
        ),
        // Application Auto Scaling creates target tracking's alarms with the caller's permissions (above).
        allow(
            "Autoscaling",
            [
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies",
                "application-autoscaling:ListTagsForResource",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:TagResource",
                "application-autoscaling:UntagResource",
            ],
            "*",
        ),
        allow(
            "AlarmTopics",
            [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetSubscriptionAttributes",
                "sns:GetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTagsForResource",
                "sns:SetSubscriptionAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:Unsubscribe",
                "sns:UntagResource",
            ],
            arns(scope).account("sns"),
        ),
        ...(registry ? [allow("ResolveImageTags", RESOLVE_IMAGE_ACTIONS, arns(scope).repository(registry.accountId, registry.repositoryName))] : []),
        ...keys(scope),
    ];
}

/** Managing a repository and pushing to it (the shared registry; the load generators' runner image). */
const REPOSITORY_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchDeleteImage",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:CreateRepository",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DeleteRepository",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:GetDownloadUrlForLayer",
    "ecr:GetLifecyclePolicy",
    "ecr:InitiateLayerUpload",
    "ecr:ListImages",
    "ecr:ListTagsForResource",
    "ecr:PutImage",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutImageTagMutability",
    "ecr:PutLifecyclePolicy",
    "ecr:TagResource",
    "ecr:UntagResource",
    "ecr:UploadLayerPart",
];

/** The registry's repository policy, which lets the workload accounts pull; the runner repository has none. */
const REPOSITORY_POLICY_ACTIONS = ["ecr:DeleteRepositoryPolicy", "ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"];

function shared(scope: DeployScope): Statement[] {
    const registry = scope.registry;
    // The evidence bucket of this account in any region (its name ends with the shared stack's region, which the
    // bootstrap does not know); listing it is the buckets policy's s3:ListBucket.
    const evidence = `arn:${scope.partition}:s3:::${evidenceBucketName(scope.accountId, "*")}`;
    return [
        allow("RegistryLogin", ["ecr:GetAuthorizationToken"], "*"),
        ...(registry
            ? [allow("Registry", union([REPOSITORY_ACTIONS, REPOSITORY_POLICY_ACTIONS]), arns(scope).repository(registry.accountId, registry.repositoryName))]
            : []),
        // `npm run promote` reads verdicts and writes promotion records; `npm run loadtest` may record verdicts as this role.
        allow("ReleaseEvidence", ["s3:GetObject", "s3:PutObject"], Object.values(EVIDENCE_PREFIXES).map((prefix) => `${evidence}/${prefix}*`)),
        ...keys(scope),
    ];
}

function loadgen(scope: DeployScope): Statement[] {
    return [
        ...network([]),
        allow("RunnerLogin", ["ecr:GetAuthorizationToken"], "*"),
        allow("RunnerRepositories", REPOSITORY_ACTIONS, arns(scope).repository(scope.accountId, `${PROJECT}/*`)),
        // Starting and stopping the load generators: `npm run loadtest` may run as the deploy role.
        allow("LoadGenerators", ["ecs:RunTask", "ecs:StopTask"], arns(scope).account("ecs")),
        allow("RunObjects", ["s3:GetObject", "s3:PutObject"], arns(scope).projectBucketObjects),
        // Before a run: the region's Fargate vCPU quota, and the usage metric that counts against it.
        allow("FargateQuota", ["servicequotas:GetServiceQuota"], arns(scope).account("servicequotas")),
        allow("FargateQuotaDefaultsAndUsage", ["servicequotas:GetAWSDefaultServiceQuota", "cloudwatch:GetMetricData"], "*"),
    ];
}

const BY_STACK_ROLE: Record<DeployedStackRole, (scope: DeployScope) => Statement[]> = { shared, environment, loadgen };

function stateBackend(scope: DeployScope): Statement[] {
    const backend = scope.stateBackend;
    if (!backend) throw new Error("no state backend is configured");
    const bucket = `arn:${scope.partition}:s3:::${backend.bucketName}`;
    return [
        allow("StateBucket", ["s3:GetBucketLocation", "s3:ListBucket"], bucket),
        allow("StateObjects", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], `${bucket}/*`),
        // In its own account the key is picked out by its alias; from another account the state key's policy is what
        // admits this role (no other key there grants it anything), and AWS does not document alias conditions across accounts.
        allow(
            "StateKey",
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            `arn:${scope.partition}:kms:${backend.region}:${backend.keyAccountId}:key/*`,
            backend.keyAccountId === scope.accountId ? { "ForAnyValue:StringEquals": { "kms:ResourceAliases": STATE_KEY_ALIAS } } : undefined,
        ),
    ];
}

const createsRoles = (stackRoles: DeployedStackRole[]) => stackRoles.some((role) => PASSED_TO_SERVICES[role].length > 0);

/**
 * The names of the deploy role's policies, a function of config alone: `session` (re-assuming itself), `roles` (the
 * IAM fence, containers and logs, when a stack creates roles), `buckets` (every stack role creates buckets: the shared
 * stack its evidence bucket, environments their access logs, loadgen its runs), one per stack role, `state` with a
 * backend.
 */
export function deployPolicyNames(stackRoles: DeployedStackRole[], hasStateBackend: boolean): string[] {
    return ["session", ...(createsRoles(stackRoles) ? ["roles"] : []), "buckets", ...stackRoles, ...(hasStateBackend ? ["state"] : [])];
}

/** The deploy role's policies by name (see deployPolicyNames). */
export function deployPolicies(scope: DeployScope): Record<string, PolicyDocument> {
    const statements = (name: string): Statement[] => {
        switch (name) {
            case "session":
                return [allow("ReassumeItself", ["sts:AssumeRole"], deployRoleArn(scope.partition, scope.accountId))];
            case "roles":
                return [...iamFence(scope), ...containers(scope)];
            case "buckets":
                return buckets(scope);
            case "state":
                return stateBackend(scope);
            default:
                return BY_STACK_ROLE[name as DeployedStackRole](scope);
        }
    };
    return Object.fromEntries(deployPolicyNames(scope.stackRoles, scope.stateBackend !== undefined).map((name) => [name, document(statements(name))]));
}

/**
 * The most any role a stack creates may ever do, whatever policy the deploy role attaches to it: pull images, write
 * the project's logs, use objects in the project's buckets. It is a ceiling, never a grant on its own.
 */
export function permissionsBoundary(scope: Pick<DeployScope, "partition" | "accountId">): PolicyDocument {
    const { projectLogGroups, projectBuckets } = arns(scope);
    return document([
        allow("PullImages", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"], "*"),
        allow(
            "WriteProjectLogs",
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            projectLogGroups,
        ),
        allow("UseProjectBuckets", ["s3:GetObject", "s3:ListBucket", "s3:PutObject"], projectBuckets),
    ]);
}

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/**
 * The OIDC `sub` claims GitHub Actions presents for the configured environments and branches, and for pull requests.
 * Pull requests run the branch's own code, so their subject is trusted only by the read-only role: nobody who can
 * open a branch can act as a role that changes anything.
 */
export function githubSubjects(github: GithubTrustConfig, role: BootstrapRoleKind): string[] {
    const repo = `repo:${github.repository}`;
    return [
        ...github.environments.map((name) => `${repo}:environment:${name}`),
        ...github.branches.map((branch) => `${repo}:ref:refs/heads/${branch}`),
        ...(github.pullRequests && role === "read-only" ? [`${repo}:pull_request`] : []),
    ];
}

export interface TrustScope {
    partition: string;
    accountId: string;
    /** The role being trusted. */
    role: BootstrapRoleKind;
    trustedPrincipals: string[];
    github?: { providerArn: string; subjects: string[] };
}

/**
 * Who may assume a bootstrap role (deploy, read-only): the named principals, CI through GitHub's OIDC provider for
 * exactly the given subjects, and the role itself. A CI job (or a profile with `role_arn`) already runs as the deploy role when the
 * stack's provider assumes it again, which IAM allows only when the trust policy names the role; its own ARN cannot
 * be a principal before it exists, so the account is the principal, narrowed to that one role (and the role's
 * identity policy allows it, see `deployPolicies`).
 */
export function roleTrust(scope: TrustScope): { Version: "2012-10-17"; Statement: Record<string, unknown>[] } {
    const { partition: p, accountId: a } = scope;
    const statements: Record<string, unknown>[] = [];
    if (scope.trustedPrincipals.length > 0) {
        statements.push({ Sid: "NamedPrincipals", Effect: "Allow", Principal: { AWS: scope.trustedPrincipals }, Action: "sts:AssumeRole" });
    }
    statements.push({
        Sid: "ItselfForTheStackProvider",
        Effect: "Allow",
        Principal: { AWS: `arn:${p}:iam::${a}:root` },
        Action: "sts:AssumeRole",
        Condition: { ArnEquals: { "aws:PrincipalArn": bootstrapRoleArn(scope.role, p, a) } },
    });
    if (scope.github && scope.github.subjects.length > 0) {
        statements.push({
            Sid: "GitHubActions",
            Effect: "Allow",
            Principal: { Federated: scope.github.providerArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC_HOST}:sub`]: scope.github.subjects },
            },
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}
