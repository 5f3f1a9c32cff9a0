import { DEPLOY_ROLE_MAX_SESSION_SECONDS } from "../components/deploy-role";
import assert from "node:assert/strict";
import { BootstrapStackConfig, DeployedStackRole, parseStackConfig, StackConfig } from "../config";
import { deployPolicies, githubSubjects, PolicyDocument, Statement } from "../components/deploy-permissions";
import { buildBootstrapStack } from "../stacks/bootstrap";
import { buildStack } from "../stacks";
// Stack files by name, from the folder tests/environment-fixtures.ts reads them from (tests/real-values.test.ts points it elsewhere).
import { ENVIRONMENT_STACK_FILES, loadEnvironmentConfig, loadStackFile as loadStackConfigFile, stackFilesOfRole } from "./environment-fixtures";
import { build, mocks, RecordedResource, Recording, useMocks, valueOf } from "./mocks";
import { deployRoleVariable, readOnlyRoleVariable, REPOSITORY, workflowOidcSubjects } from "./workflows-fixtures";
import { configProblems as problemsOf } from "./config-fixtures";
import { asList } from "./iam/catalogue";

const BOOTSTRAP_FILES = stackFilesOfRole("bootstrap");
/** The stacks that deploy through a bootstrapped account's deploy role. */
const DEPLOYED_FILES = stackFilesOfRole("shared", "environment", "loadgen");
/** The deployed stacks that create IAM roles, so must name the account's permissions boundary. */
const ROLE_CREATING_FILES = stackFilesOfRole("environment", "loadgen");

const T = {
    role: "aws:iam/role:Role",
    policy: "aws:iam/policy:Policy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    oidcProvider: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    kmsKey: "aws:kms/key:Key",
    kmsAlias: "aws:kms/alias:Alias",
} as const;

function bootstrapConfig(file: string): BootstrapStackConfig {
    const config = loadStackConfigFile(file);
    assert.equal(config.role, "bootstrap", `${file} is a bootstrap stack`);
    return config;
}

/** The stack role a deployed stack file plays in its account's bootstrap. */
function stackRoleOf(config: StackConfig): DeployedStackRole {
    assert.notEqual(config.role, "bootstrap");
    return config.role as DeployedStackRole;
}

interface BuiltBootstrap {
    config: BootstrapStackConfig;
    recording: Recording;
    outputs: Record<string, unknown>;
}

async function buildBootstrap(config: BootstrapStackConfig): Promise<BuiltBootstrap> {
    mocks.reset();
    const stack = await build(() => buildBootstrapStack(config));
    const outputs = Object.fromEntries(await Promise.all(Object.entries(stack).map(async ([key, value]) => [key, await valueOf(value)])));
    return { config, recording: mocks.snapshot(), outputs };
}

const parsed = <T>(resource: RecordedResource, key: string): T => JSON.parse(resource.inputs[key] as string) as T;

/** The bootstrap role of that name (ecs-loadlab-deploy, ecs-loadlab-read-only). */
function bootstrapRole({ recording }: BuiltBootstrap, name: string): RecordedResource {
    const role = recording.ofType(T.role).find((candidate) => candidate.inputs.name === name);
    assert.ok(role, `the bootstrap creates role ${name}`);
    return role;
}

/** A bootstrap role's policy documents, by the policy's name (the deploy role's by default). */
function deployRolePolicies(built: BuiltBootstrap, roleName = "ecs-loadlab-deploy"): Record<string, PolicyDocument> {
    const { recording } = built;
    const role = bootstrapRole(built, roleName);
    const attached = recording.ofType(T.attachment).filter((a) => a.inputs.role === role.state.name);
    return Object.fromEntries(
        attached.map((attachment) => {
            const policy = recording.ofType(T.policy).find((p) => p.state.arn === attachment.inputs.policyArn);
            assert.ok(policy, `attached policy ${attachment.inputs.policyArn} exists`);
            return [policy.inputs.name as string, parsed<PolicyDocument>(policy, "policy")];
        }),
    );
}

const statementsOf = (policies: Record<string, PolicyDocument>): Statement[] => Object.values(policies).flatMap((p) => p.Statement);

/** The Allow statements that name this action (the deploy policies name every action in full; access itself is iam-*.test.ts's). */
const allowing = (statements: Statement[], action: string): Statement[] => statements.filter((s) => s.Effect === "Allow" && asList(s.Action).includes(action));

async function recordingOf(file: string): Promise<Recording> {
    const config = loadStackConfigFile(file);
    mocks.reset();
    assert.notEqual(config.role, "bootstrap", `${file} is not deployed with a deploy role`);
    await build(() => buildStack(config));
    return mocks.snapshot();
}

describe("bootstrap stack", () => {
    before(useMocks);

    describe("shipped bootstrap files", () => {
        it("bootstrap every account a shipped stack deploys into, with that stack's role, and nothing more", () => {
            const byAccount = new Map(BOOTSTRAP_FILES.map((file) => [bootstrapConfig(file).aws.accountId, bootstrapConfig(file)]));
            assert.equal(byAccount.size, BOOTSTRAP_FILES.length, "one bootstrap file per account");
            const needed = new Map<string, Set<DeployedStackRole>>();
            for (const file of DEPLOYED_FILES) {
                const config = loadStackConfigFile(file);
                const roles = needed.get(config.aws.accountId) ?? new Set();
                roles.add(stackRoleOf(config));
                needed.set(config.aws.accountId, roles);
            }
            for (const [account, roles] of needed) {
                const bootstrap = byAccount.get(account);
                assert.ok(bootstrap, `account ${account} has a bootstrap file`);
                // loadgen stacks may be added to any bootstrapped account later; every role a stack file uses is granted.
                for (const role of roles) assert.ok(bootstrap.bootstrap.stackRoles.includes(role), `${account} grants ${role}`);
            }
        });

        it("every deployed stack file assumes its account's deploy role, and those that create roles name its boundary", () => {
            for (const file of DEPLOYED_FILES) {
                const { aws } = loadStackConfigFile(file);
                assert.ok("deployRoleArn" in aws);
                assert.equal(aws.deployRoleArn, `arn:aws:iam::${aws.accountId}:role/ecs-loadlab-deploy`, file);
                if (ROLE_CREATING_FILES.includes(file)) {
                    assert.equal(aws.permissionsBoundaryArn, `arn:aws:iam::${aws.accountId}:policy/ecs-loadlab/ecs-loadlab-boundary`, file);
                }
            }
        });

        it("deploy roles trust exactly the OIDC subjects the workflows present with them; read-only roles every subject the workflows present with them", () => {
            const stackOf = (file: string) => file.replace(/^Pulumi\.|\.yaml$/g, "");
            const accountOf = new Map<string, { account: string; kind: "deploy" | "read-only" }>(
                DEPLOYED_FILES.flatMap((file) => {
                    const account = loadStackConfigFile(file).aws.accountId;
                    return [
                        [deployRoleVariable(stackOf(file)), { account, kind: "deploy" }],
                        [readOnlyRoleVariable(stackOf(file)), { account, kind: "read-only" }],
                    ];
                }),
            );
            const expected = new Map<string, Set<string>>();
            for (const { roleVariable, subject } of workflowOidcSubjects()) {
                const role = accountOf.get(roleVariable);
                assert.ok(role, `${roleVariable} is the role variable of a shipped stack`);
                const key = `${role.account} ${role.kind}`;
                expected.set(key, (expected.get(key) ?? new Set()).add(subject));
            }
            for (const file of BOOTSTRAP_FILES) {
                const { aws, bootstrap } = bootstrapConfig(file);
                const github = bootstrap.github;
                assert.ok(github, `${file} trusts CI`);
                const trusted = (kind: "deploy" | "read-only") =>
                    githubSubjects(github, kind).map((subject) => subject.replace(`repo:${github.repository}:`, `repo:${REPOSITORY}:`));
                assert.deepEqual(trusted("deploy").sort(), [...(expected.get(`${aws.accountId} deploy`) ?? [])].sort(), file);
                assert.ok(!trusted("deploy").some((subject) => subject.endsWith(":pull_request")), `${file}: no deploy role trusts pull requests`);
                for (const subject of expected.get(`${aws.accountId} read-only`) ?? []) assert.ok(trusted("read-only").includes(subject), `${file}: read-only role trusts ${subject}`);
            }
        });

        it("environment accounts trust their hosted zones and read the shared registry the shared stack file names", () => {
            const shared = loadStackConfigFile("Pulumi.shared.yaml");
            assert.equal(shared.role, "shared");
            for (const file of ENVIRONMENT_STACK_FILES) {
                const environment = loadEnvironmentConfig(file);
                const bootstrap = BOOTSTRAP_FILES.map(bootstrapConfig).find((b) => b.aws.accountId === environment.aws.accountId);
                assert.ok(bootstrap);
                assert.ok(bootstrap.bootstrap.hostedZones.includes(environment.domain.hostedZone), file);
                assert.deepEqual(bootstrap.bootstrap.registry, { accountId: shared.aws.accountId, repositoryName: shared.registry.repositoryName });
            }
        });
    });

    for (const file of BOOTSTRAP_FILES) {
        describe(file, () => {
            let built: BuiltBootstrap;
            before(async () => {
                built = await buildBootstrap(bootstrapConfig(file));
            });

            it("outputs the deploy role and the boundary the stack files name", () => {
                const account = built.config.aws.accountId;
                assert.equal(built.outputs.deployRoleArn, `arn:aws:iam::${account}:role/ecs-loadlab-deploy`);
                assert.equal(built.outputs.permissionsBoundaryArn, `arn:aws:iam::${account}:policy/ecs-loadlab/ecs-loadlab-boundary`);
                assert.equal(built.outputs.githubOidcProviderArn, `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`);
            });

            it("creates GitHub's OIDC provider for sts.amazonaws.com, with no thumbprint to go stale", () => {
                assert.deepEqual(built.recording.one(T.oidcProvider).inputs, {
                    url: "https://token.actions.githubusercontent.com",
                    clientIdLists: ["sts.amazonaws.com"],
                });
            });

            it("ecs-loadlab-deploy grants sessions of up to 3 hours, what promote.yml's load test asks for", () => {
                assert.equal(bootstrapRole(built, "ecs-loadlab-deploy").inputs.maxSessionDuration, DEPLOY_ROLE_MAX_SESSION_SECONDS);
                assert.equal(DEPLOY_ROLE_MAX_SESSION_SECONDS, 10800);
                assert.equal(bootstrapRole(built, "ecs-loadlab-read-only").inputs.maxSessionDuration, undefined, "the read-only role keeps IAM's hour");
            });

            for (const [roleName, kind] of [
                ["ecs-loadlab-deploy", "deploy"],
                ["ecs-loadlab-read-only", "read-only"],
            ] as const) {
                it(`${roleName} trusts the named principals, exactly its GitHub subjects with aud sts.amazonaws.com, and itself`, () => {
                    const { bootstrap, aws } = built.config;
                    const trust = parsed<{ Statement: Record<string, unknown>[] }>(bootstrapRole(built, roleName), "assumeRolePolicy");
                    const github = bootstrap.github!;
                    const subjects = [
                        ...github.environments.map((e) => `repo:${github.repository}:environment:${e}`),
                        ...(github.pullRequests && kind === "read-only" ? [`repo:${github.repository}:pull_request`] : []),
                    ];
                    assert.deepEqual(trust.Statement, [
                        { Sid: "NamedPrincipals", Effect: "Allow", Principal: { AWS: bootstrap.trustedPrincipals }, Action: "sts:AssumeRole" },
                        {
                            Sid: "ItselfForTheStackProvider",
                            Effect: "Allow",
                            Principal: { AWS: `arn:aws:iam::${aws.accountId}:root` },
                            Action: "sts:AssumeRole",
                            Condition: { ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${aws.accountId}:role/${roleName}` } },
                        },
                        {
                            Sid: "GitHubActions",
                            Effect: "Allow",
                            Principal: { Federated: built.outputs.githubOidcProviderArn },
                            Action: "sts:AssumeRoleWithWebIdentity",
                            Condition: {
                                StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": subjects },
                            },
                        },
                    ]);
                    for (const subject of subjects) assert.doesNotMatch(subject, /\*/, "no wildcard subject");
                });
            }

            it("allows no `*` action and no whole service (`service:*`), in any policy it writes", () => {
                for (const policy of built.recording.ofType(T.policy)) {
                    for (const statement of parsed<PolicyDocument>(policy, "policy").Statement) {
                        for (const action of asList(statement.Action)) {
                            assert.notEqual(action, "*", `${policy.inputs.name}/${statement.Sid}`);
                            assert.doesNotMatch(action, /:\*$/, `${policy.inputs.name}/${statement.Sid}`);
                        }
                    }
                }
            });

            it("creates, writes and attaches role policies only with the bootstrap's boundary, under the project's path", () => {
                const boundary = built.outputs.permissionsBoundaryArn;
                const statements = statementsOf(deployRolePolicies(built));
                for (const action of ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"]) {
                    const granting = allowing(statements, action);
                    if (built.config.bootstrap.stackRoles.every((role) => role === "shared")) {
                        assert.deepEqual(granting, [], `the shared stack creates no role: ${action}`);
                        continue;
                    }
                    assert.ok(granting.length > 0, `${action} is granted`);
                    for (const statement of granting) {
                        assert.deepEqual(statement.Condition?.StringEquals, { "iam:PermissionsBoundary": boundary }, `${action} in ${statement.Sid}`);
                        assert.deepEqual(asList(statement.Resource), [`arn:aws:iam::${built.config.aws.accountId}:role/ecs-loadlab/*`]);
                    }
                }
                for (const statement of statements.filter((s) => asList(s.Action).some((a) => a.startsWith("iam:")))) {
                    for (const resource of asList(statement.Resource)) {
                        assert.match(resource, /^arn:aws:iam::\d{12}:role\/(ecs-loadlab\/\*|aws-service-role\/\*)$/, statement.Sid);
                    }
                    for (const action of asList(statement.Action)) {
                        assert.doesNotMatch(action, /^iam:(Create|Delete|Put|Attach|Detach)Policy|^iam:DeleteRolePermissionsBoundary$|^iam:.*User|^iam:.*Group/, `${statement.Sid}: ${action}`);
                    }
                }
            });

            it("passes roles only to the services that use them, and creates only the service-linked roles the stacks need", () => {
                const statements = statementsOf(deployRolePolicies(built));
                for (const statement of allowing(statements, "iam:PassRole")) {
                    assert.ok(statement.Condition?.StringEquals?.["iam:PassedToService"], statement.Sid);
                }
                for (const statement of allowing(statements, "iam:CreateServiceLinkedRole")) {
                    const services = asList(statement.Condition?.StringEquals?.["iam:AWSServiceName"] ?? []);
                    assert.ok(services.length > 0 && services.every((s) => /^[a-z.-]+\.amazonaws\.com$/.test(s)), statement.Sid);
                }
            });

            it("keeps every policy within IAM's managed-policy size, and the role within its default of 10 managed policies", () => {
                const policies = built.recording.ofType(T.policy);
                for (const policy of policies) {
                    const size = JSON.stringify(JSON.parse(policy.inputs.policy as string)).length;
                    assert.ok(size <= 6144, `${policy.inputs.name}: ${size} characters`);
                }
                assert.ok(built.recording.ofType(T.attachment).length <= 10);
            });

            it("the boundary lets stack roles pull images, write the project's logs and use its buckets, nothing else", () => {
                const boundary = built.recording.ofType(T.policy).find((p) => p.inputs.name === "ecs-loadlab-boundary");
                assert.ok(boundary);
                assert.equal(boundary.inputs.path, "/ecs-loadlab/");
                const actions = parsed<PolicyDocument>(boundary, "policy").Statement.flatMap((s) => asList(s.Action)).sort();
                assert.deepEqual(actions, [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetAuthorizationToken",
                    "ecr:GetDownloadUrlForLayer",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:PutObject",
                ]);
            });
        });
    }

    describe("roles the stacks create", () => {
        for (const file of ROLE_CREATING_FILES) {
            it(`${file}: every role carries the permissions boundary from config and lives under /ecs-loadlab/`, async () => {
                const recording = await recordingOf(file);
                const roles = recording.ofType(T.role);
                assert.ok(roles.length >= 2, "the execution and task roles at least");
                const config = loadStackConfigFile(file);
                const boundary = config.role === "bootstrap" ? assert.fail(`${file} is deployed by a deploy role`) : config.aws.permissionsBoundaryArn;
                for (const role of roles) {
                    assert.equal(role.inputs.permissionsBoundary, boundary, role.name);
                    assert.equal(role.inputs.path, "/ecs-loadlab/", role.name);
                }
                for (const bucket of recording.ofType(T.bucket)) assert.match(bucket.state.bucket, /^ecs-loadlab-/, "buckets are named under the project's prefix");
                for (const group of recording.ofType("aws:cloudwatch/logGroup:LogGroup")) {
                    assert.match(group.state.name, /^\/(ecs|vpc)\/ecs-loadlab\//, "log groups are named under the project's prefixes");
                }
            });
        }
    });

    describe("state backend (Pulumi.bootstrap-shared.yaml)", () => {
        let built: BuiltBootstrap;
        before(async () => {
            built = await buildBootstrap(bootstrapConfig("Pulumi.bootstrap-shared.yaml"));
        });

        /** Where a bootstrap file says the state is. */
        const stateBackendOf = ({ bootstrap }: BootstrapStackConfig) => ({ accountId: bootstrap.stateBackend?.accountId, region: bootstrap.stateBackend?.region });
        /** The state backend this bootstrap holds: in its own account and region, its bucket named after them. */
        const holder = () => {
            const { accountId, region } = built.config.aws;
            assert.deepEqual(stateBackendOf(built.config), { accountId, region }, "the state backend is this account's");
            return { accountId, region, bucket: `ecs-loadlab-state-${accountId}-${region}` };
        };

        it("outputs the login URL and the secrets provider", () => {
            const { accountId, region, bucket } = holder();
            assert.equal(built.outputs.stateBackendUrl, `s3://${bucket}`);
            assert.equal(built.outputs.secretsProvider, `awskms:///arn:aws:kms:${region}:${accountId}:alias/ecs-loadlab-state?region=${region}`);
        });

        it("is a versioned bucket encrypted with its own rotating key, kept through pulumi destroy", () => {
            const { recording } = built;
            const bucket = recording.one(T.bucket);
            const key = recording.one(T.kmsKey);
            assert.deepEqual(bucket.inputs, { bucket: holder().bucket, forceDestroy: false });
            assert.equal(recording.one(T.versioning).inputs.versioningConfiguration.status, "Enabled");
            assert.deepEqual(recording.one(T.encryption).inputs.rules, [
                { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.state.arn }, bucketKeyEnabled: true },
            ]);
            assert.equal(key.inputs.enableKeyRotation, true);
            assert.equal(recording.one(T.kmsAlias).inputs.name, "alias/ecs-loadlab-state");
            assert.deepEqual(recording.one(T.lifecycle).inputs.rules, [
                { id: "expire-replaced-state", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 90 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
            ]);
            for (const resource of [bucket, key]) assert.equal(resource.registration?.protect, true, `${resource.name} is protected`);
        });

        it("lets only the deploy roles (read and write) and read-only roles (read) of the sharedWith accounts use it, besides its own account", () => {
            const { recording, config } = built;
            const sharedWith = config.bootstrap.stateBackend!.sharedWith;
            const principal = { AWS: sharedWith.map((a) => `arn:aws:iam::${a}:root`) };
            const roles = (name: string) => ({ ArnEquals: { "aws:PrincipalArn": sharedWith.map((a) => `arn:aws:iam::${a}:role/${name}`) } });
            const bucketPolicy = parsed<{ Statement: Record<string, unknown>[] }>(recording.one(T.bucketPolicy), "policy");
            assert.deepEqual(bucketPolicy.Statement.map((s) => s.Sid), ["DenyInsecureTransport", "DeployRolesOfSharedAccounts", "ReadOnlyRolesOfSharedAccounts"]);
            assert.deepEqual(bucketPolicy.Statement[1].Principal, principal);
            assert.deepEqual(bucketPolicy.Statement[1].Condition, roles("ecs-loadlab-deploy"));
            assert.deepEqual(bucketPolicy.Statement[1].Action, ["s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
            assert.deepEqual(bucketPolicy.Statement[2].Principal, principal);
            assert.deepEqual(bucketPolicy.Statement[2].Condition, roles("ecs-loadlab-read-only"));
            assert.deepEqual(bucketPolicy.Statement[2].Action, ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]);
            const keyPolicy = parsed<{ Statement: Record<string, unknown>[] }>(recording.one(T.kmsKey), "policy");
            assert.deepEqual(keyPolicy.Statement.slice(1), [
                {
                    Sid: "DeployRolesOfSharedAccounts",
                    Effect: "Allow",
                    Principal: principal,
                    Condition: roles("ecs-loadlab-deploy"),
                    Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    Resource: "*",
                },
                { Sid: "ReadOnlyRolesOfSharedAccounts", Effect: "Allow", Principal: principal, Condition: roles("ecs-loadlab-read-only"), Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: "*" },
            ]);
        });

        it("every account's deploy role may read and write the state and use its key", () => {
            const { accountId: holderAccount, region, bucket } = holder();
            for (const file of BOOTSTRAP_FILES) {
                const config = bootstrapConfig(file);
                assert.deepEqual(stateBackendOf(config), { accountId: holderAccount, region }, `${file} names the state backend`);
                const policies = deployPolicies({
                    partition: "aws",
                    accountId: config.aws.accountId,
                    stackRoles: config.bootstrap.stackRoles,
                    hostedZoneIds: [],
                    registry: config.bootstrap.registry,
                    stateBackend: { bucketName: bucket, keyAccountId: holderAccount, region },
                });
                assert.deepEqual(
                    policies.state.Statement.map((s) => [s.Action, s.Resource]),
                    [
                        [["s3:GetBucketLocation", "s3:ListBucket"], `arn:aws:s3:::${bucket}`],
                        [["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], `arn:aws:s3:::${bucket}/*`],
                        [["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"], `arn:aws:kms:${region}:${holderAccount}:key/*`],
                    ],
                    file,
                );
                assert.deepEqual(
                    policies.state.Statement[2].Condition,
                    config.aws.accountId === holderAccount ? { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/ecs-loadlab-state" } } : undefined,
                    "the alias picks the key out in its own account; elsewhere the key's policy does",
                );
            }
        });

        it("is created only in its own account", async () => {
            const dev = await buildBootstrap(bootstrapConfig("Pulumi.bootstrap-dev.yaml"));
            assert.deepEqual(dev.recording.ofType(T.bucket), []);
            assert.equal(dev.outputs.stateBackendUrl, undefined);
        });
    });

    describe("config errors", () => {
        const valid = () => ({
            role: "bootstrap",
            aws: { region: "eu-west-1", accountId: "222222222222" },
            bootstrap: {
                stackRoles: ["environment"],
                github: { repository: "my-org/ecs-loadlab", environments: ["dev"] },
                hostedZones: ["example.com"],
                registry: { accountId: "111111111111", repositoryName: "ecs-loadlab/prime-counter" },
            },
        });
        const withBootstrap = (changes: Record<string, unknown>) => ({ ...valid(), bootstrap: { ...valid().bootstrap, ...changes } });


        it("accepts the minimal config", () => {
            assert.equal(parseStackConfig(valid()).role, "bootstrap");
        });

        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["a deploy role in the bootstrap (it creates it)", { ...valid(), aws: { ...valid().aws, deployRoleArn: "arn:aws:iam::222222222222:role/x" } }, /aws\.deployRoleArn: unknown key/],
            ["nobody to assume the role", withBootstrap({ github: undefined }), /bootstrap\.trustedPrincipals: nobody could assume the deploy role/],
            ["a GitHub trust with no subject", withBootstrap({ github: { repository: "my-org/ecs-loadlab" } }), /bootstrap\.github: trusts no workflow/],
            ["an environment account without hosted zones", withBootstrap({ hostedZones: [] }), /bootstrap\.hostedZones: must list the hosted zones/],
            ["an environment account without the registry", withBootstrap({ registry: undefined }), /bootstrap\.registry: is missing/],
            ["an unknown stack role", withBootstrap({ stackRoles: ["environment", "database"] }), /bootstrap\.stackRoles\[1\]: must be one of shared, environment, loadgen/],
            ["a stack role twice", withBootstrap({ stackRoles: ["environment", "environment"] }), /bootstrap\.stackRoles: lists stack role "environment" twice/],
            ["a repository that is not owner/name", withBootstrap({ github: { repository: "ecs-loadlab", pullRequests: true } }), /bootstrap\.github\.repository: must be <owner>\/<repository>/],
            [
                "the deploy role trusting a deploy role",
                withBootstrap({ trustedPrincipals: ["arn:aws:iam::222222222222:role/ecs-loadlab-deploy"] }),
                /bootstrap\.trustedPrincipals: must not name a deploy role/,
            ],
            [
                "sharedWith outside the state's own account",
                withBootstrap({ stateBackend: { accountId: "111111111111", region: "eu-west-1", sharedWith: ["333333333333"] } }),
                /bootstrap\.stateBackend\.sharedWith: belongs in the bootstrap of the state's own account \(111111111111\)/,
            ],
            [
                "a state backend in another region than its account's bootstrap",
                withBootstrap({ stateBackend: { accountId: "222222222222", region: "us-east-1" } }),
                /bootstrap\.stateBackend\.region: must be this stack's region \(eu-west-1\)/,
            ],
            [
                "a shared account whose registry is elsewhere",
                withBootstrap({ stackRoles: ["shared"], registry: { accountId: "111111111111", repositoryName: "ecs-loadlab/prime-counter" } }),
                /bootstrap\.registry\.accountId: must be this account \(222222222222\)/,
            ],
        ];
        for (const [what, raw, says] of cases) {
            it(`refuses ${what}`, () => {
                const problems = problemsOf(raw);
                assert.equal(problems.length, 1, problems.join("\n"));
                assert.match(problems[0], says);
            });
        }

        it("an environment stack with a deploy role and no boundary names the bootstrap's output", () => {
            const dev = loadEnvironmentConfig("Pulumi.dev.yaml");
            const { permissionsBoundaryArn: _, ...aws } = dev.aws;
            const problems = problemsOf({ ...dev, aws });
            assert.deepEqual(problems, [
                "ecs-loadlab:aws.permissionsBoundaryArn: is missing: the deploy role may only create IAM roles that carry the bootstrap's permissions boundary; set it to the bootstrap stack's permissionsBoundaryArn output (given: nothing)",
            ]);
        });
    });
});
