/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are untyped engine data, edited here as such */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { PolicyPackConfig } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { CONTROLS } from "../policy/controls";
import { controlUrl } from "../policy/lib/control";
import { PACK_ARGS } from "../policy/pack";
import { buildStack } from "../stacks";
import { environmentConfigWith, loadStackFile, POLICY_CONFIG_DIR, policyConfigPath, STACK_FILES } from "./environment-fixtures";
import { build, mocks, RecordedResource, Recording, useMocks } from "./mocks";
import { asPreview, editJson, PackRun, runPack, withEdit, without } from "./policy-harness";

/**
 * The policy pack (policy/) is the one implementation of the Security Hub controls. These tests run the pack's own
 * policies over every shipped stack built on the mocks, the way `pulumi up --policy-pack policy` runs them over the
 * real graph: each stack fails exactly what its policy config relaxes, and each control catches a stack that breaks it.
 */

const T = {
    vpc: "awsx:ec2:Vpc",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    flowLog: "aws:ec2/flowLog:FlowLog",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamPolicy: "aws:iam/policy:Policy",
    alb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownershipControls: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    cluster: "aws:ecs/cluster:Cluster",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    service: "aws:ecs/service:Service",
    topic: "aws:sns/topic:Topic",
    kmsKey: "aws:kms/key:Key",
    repository: "aws:ecr/repository:Repository",
    lifecyclePolicy: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
} as const;

const stackName = (file: string) => file.replace(/^Pulumi\.|\.yaml$/g, "");
const policyConfigFile = (file: string) => `policy/config/${stackName(file)}.json`;
const policyConfigOf = (file: string) => JSON.parse(readFileSync(policyConfigPath(file), "utf8")) as PolicyPackConfig;

const ENVIRONMENT = ["EC2.2", "EC2.6", "EC2.18", "ECS.1", "ECS.2", "ECS.3", "ECS.4", "ECS.5", "ECS.8", "ECS.9", "ECS.10", "ECS.12"];
const LOAD_BALANCER = ["ELB.1", "ELB.4", "ELB.5", "ELB.6", "ELB.12", "ELB.13", "ELB.17"];
const S3 = ["S3.5", "S3.6", "S3.8", "S3.12", "S3.13"];
const IAM = ["IAM.1", "IAM.21"];
const ECR = ["ECR.1", "ECR.2", "ECR.3"];
const sorted = (ids: string[]) => CONTROLS.map((c) => c.name).filter((id) => ids.includes(id));

/**
 * The controls that apply to what each shipped stack creates (docs/security-controls.md). Dev has no access-log
 * bucket, the shared stack has its evidence bucket, and only bootstrap-shared has a state bucket and key; ECS.2 and ECS.10 are about services, which the
 * loadgen stack has none of.
 */
const APPLICABLE_BY_STACK_FILE: Record<string, string[]> = {
    "Pulumi.shared.yaml": [...ECR, ...S3],
    "Pulumi.dev.yaml": [...ENVIRONMENT, ...LOAD_BALANCER, ...IAM, "KMS.4", "SNS.1"],
    "Pulumi.staging.yaml": [...ENVIRONMENT, ...LOAD_BALANCER, ...IAM, "KMS.4", ...S3, "SNS.1"],
    "Pulumi.prod.yaml": [...ENVIRONMENT, ...LOAD_BALANCER, ...IAM, "KMS.4", ...S3, "SNS.1"],
    "Pulumi.loadgen.yaml": [...ENVIRONMENT.filter((id) => id !== "ECS.2" && id !== "ECS.10"), ...ECR, ...IAM, ...S3],
    "Pulumi.bootstrap-shared.yaml": [...IAM, "KMS.4", ...S3],
    "Pulumi.bootstrap-dev.yaml": IAM,
    "Pulumi.bootstrap-staging.yaml": IAM,
    "Pulumi.bootstrap-prod.yaml": IAM,
};

/** What each shipped stack relaxes on purpose (docs/security-controls.md); every other stack relaxes nothing. */
const RELAXED_BY_STACK_FILE: Record<string, string[]> = {
    "Pulumi.dev.yaml": ["EC2.6", "ELB.5", "ELB.6"],
    "Pulumi.staging.yaml": ["ELB.6"],
};

/**
 * Policy configs that belong to no stack file (docs/security-controls.md): each is a stack's own config with more
 * controls advisory, for one documented update. prod-teardown.json: the `pulumi up` that turns prod's deletion
 * protection off before `pulumi destroy -s prod` (docs/getting-started.md, Tear down).
 */
const EXTRA_POLICY_CONFIGS: Record<string, { stackFile: string; alsoRelaxes: string[] }> = {
    "prod-teardown.json": { stackFile: "Pulumi.prod.yaml", alsoRelaxes: ["ELB.6"] },
};

/** The dev config that turns each of dev's relaxations back on. */
const TURNED_ON_IN_DEV: Record<string, Record<string, Record<string, unknown>>> = {
    "EC2.6": { network: { flowLogs: { enabled: true } } },
    "ELB.5": { loadBalancer: { accessLogs: { enabled: true } } },
    "ELB.6": { loadBalancer: { deletionProtection: true } },
};

async function recordingOf(file: string): Promise<Recording> {
    mocks.reset();
    await build(() => buildStack(loadStackFile(file)));
    return mocks.snapshot();
}

const violated = (run: PackRun) => sorted([...new Set(run.violations.map((v) => v.policy))]);
const describeViolations = (run: PackRun) => run.violations.map((v) => `${v.policy} (${v.level}) on ${v.resource}: ${v.message}`).join("\n");

describe("Security Hub controls: the policy pack", () => {
    before(useMocks);

    describe("the pack (policy/)", () => {
        it("has one policy per control, named by its id, in Security Hub's order, each linking to the control's definition", () => {
            const names = CONTROLS.map((c) => c.name);
            assert.equal(new Set(names).size, names.length, "no control twice");
            const order = (id: string) => [id.split(".")[0], Number(id.split(".")[1])] as const;
            assert.deepEqual(
                names,
                [...names].sort((a, b) => order(a)[0].localeCompare(order(b)[0]) || order(a)[1] - order(b)[1]),
            );
            for (const control of CONTROLS) {
                assert.equal(control.url, controlUrl(control.name));
                assert.ok(control.description.length > 20, `${control.name} says what it checks`);
            }
            assert.equal(PACK_ARGS.policies, CONTROLS);
        });

        it("makes every control mandatory unless a stack's policy config relaxes it", () => {
            assert.equal(PACK_ARGS.enforcementLevel, "mandatory");
            assert.deepEqual(CONTROLS.filter((c) => c.enforcementLevel !== undefined).map((c) => c.name), []);
        });

        it("is constructed only in its entry file (constructing it starts the policy server)", () => {
            const sources = readdirSync("policy", { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"));
            const constructing = sources.filter((file) => /new PolicyPack\(/.test(readFileSync(`policy/${file}`, "utf8")));
            assert.deepEqual(constructing, ["index.ts"]);
            assert.equal(JSON.parse(readFileSync("policy/package.json", "utf8")).main, "index.ts");
            assert.equal((parseYaml(readFileSync("policy/PulumiPolicy.yaml", "utf8")) as { runtime: string }).runtime, "nodejs");
        });

        it("has a policy config for every stack file and no other, each relaxing controls of the pack to advisory and nothing else", () => {
            assert.deepEqual(readdirSync(POLICY_CONFIG_DIR).sort(), [...STACK_FILES.map((file) => `${stackName(file)}.json`), ...Object.keys(EXTRA_POLICY_CONFIGS)].sort());
            const names: string[] = CONTROLS.map((c) => c.name);
            for (const file of STACK_FILES) {
                const config = policyConfigOf(file);
                for (const [name, setting] of Object.entries(config)) {
                    assert.ok(names.includes(name), `${policyConfigFile(file)} names ${name}, a policy of the pack`);
                    assert.equal(setting, "advisory", `${policyConfigFile(file)} relaxes ${name} to advisory (reported, not skipped)`);
                }
                assert.deepEqual(Object.keys(config), RELAXED_BY_STACK_FILE[file] ?? [], `${policyConfigFile(file)} relaxes what the stack relaxes on purpose`);
            }
        });
    });

    it("names what applies to every shipped stack file", () => {
        assert.deepEqual(Object.keys(APPLICABLE_BY_STACK_FILE).sort(), STACK_FILES);
    });

    for (const file of STACK_FILES) {
        describe(`${file}, with ${policyConfigFile(file)}`, () => {
            let run: PackRun;
            before(async () => {
                run = await runPack(await recordingOf(file), policyConfigOf(file));
            });

            it(`applies ${APPLICABLE_BY_STACK_FILE[file]?.join(", ")}`, () => {
                assert.deepEqual(run.applicable, sorted(APPLICABLE_BY_STACK_FILE[file]));
            });

            const relaxed = RELAXED_BY_STACK_FILE[file] ?? [];
            it(relaxed.length ? `fails only what it relaxes on purpose, ${relaxed.join(", ")}, each reported as advisory` : "passes every control that applies", () => {
                assert.deepEqual(violated(run), relaxed, describeViolations(run));
                assert.deepEqual(run.violations.filter((v) => v.level !== "advisory"), [], "no mandatory violation: `pulumi up` goes ahead");
                assert.deepEqual(run.deferred, [], "on the mocks every value is known");
            });
        });
    }

    describe("prod's teardown: the one update that turns deletion protection off", () => {
        const teardown = JSON.parse(readFileSync(path.join(POLICY_CONFIG_DIR, "prod-teardown.json"), "utf8")) as PolicyPackConfig;
        let unprotected: Recording;
        before(async () => {
            mocks.reset();
            await build(() => buildStack(environmentConfigWith("Pulumi.prod.yaml", { loadBalancer: { deletionProtection: false } })));
            unprotected = mocks.snapshot();
        });

        it("prod-teardown.json is prod.json with ELB.6 advisory and nothing else relaxed", () => {
            const { stackFile, alsoRelaxes } = EXTRA_POLICY_CONFIGS["prod-teardown.json"];
            assert.deepEqual(teardown, { ...policyConfigOf(stackFile), ...Object.fromEntries(alsoRelaxes.map((id) => [id, "advisory"])) });
        });

        it("prod.json refuses it: ELB.6 is a mandatory violation, and the only one", async () => {
            const run = await runPack(unprotected, policyConfigOf("Pulumi.prod.yaml"));
            assert.deepEqual(
                run.violations.map((v) => [v.policy, v.level]),
                [["ELB.6", "mandatory"]],
                describeViolations(run),
            );
        });

        it("prod-teardown.json lets it through: ELB.6 is still reported, as advisory, and nothing else fails", async () => {
            const run = await runPack(unprotected, teardown);
            assert.deepEqual(
                run.violations.map((v) => [v.policy, v.level]),
                [["ELB.6", "advisory"]],
                describeViolations(run),
            );
            assert.match(run.violations[0].message, /deletion protection is off/);
            assert.deepEqual(run.deferred, []);
        });
    });

    describe("dev's relaxations are the ones its config can turn back on", () => {
        it("one config key per relaxation", () => {
            assert.deepEqual(Object.keys(TURNED_ON_IN_DEV), RELAXED_BY_STACK_FILE["Pulumi.dev.yaml"]);
        });

        for (const [id, overrides] of Object.entries(TURNED_ON_IN_DEV)) {
            it(`dev passes ${id} once its config sets ${JSON.stringify(overrides)}`, async () => {
                mocks.reset();
                await build(() => buildStack(environmentConfigWith("Pulumi.dev.yaml", overrides)));
                const run = await runPack(mocks.snapshot(), policyConfigOf("Pulumi.dev.yaml"));
                assert.deepEqual(violated(run), RELAXED_BY_STACK_FILE["Pulumi.dev.yaml"].filter((relaxed) => relaxed !== id), describeViolations(run));
            });
        }

        it("without dev's policy config, its relaxations are mandatory violations that stop `pulumi up`", async () => {
            const run = await runPack(await recordingOf("Pulumi.dev.yaml"));
            assert.deepEqual(
                run.violations.map((v) => [v.policy, v.level]),
                RELAXED_BY_STACK_FILE["Pulumi.dev.yaml"].map((id) => [id, "mandatory"]),
            );
        });
    });

    describe("each control catches a stack that breaks it", () => {
        const built: Record<string, Recording> = {};
        before(async () => {
            for (const file of ["Pulumi.prod.yaml", "Pulumi.shared.yaml", "Pulumi.bootstrap-shared.yaml", "Pulumi.loadgen.yaml"]) built[file] = await recordingOf(file);
        });

        const named = (name: string) => (r: RecordedResource) => r.name === name;
        const container = (edit: (definition: any) => void) => (inputs: Record<string, any>) => editJson<any[]>(inputs, "containerDefinitions", (definitions) => edit(definitions[0]));
        const statements = (edit: (statements: any[]) => void) => (inputs: Record<string, any>) => editJson<{ Statement: any[] }>(inputs, "policy", (document) => edit(document.Statement));

        /** Per control: the shipped stack it starts from, how that stack is broken, and what the violation must say. */
        const BREAKS: { id: string; file: string; how: string; broken: (recording: Recording) => Recording; says: RegExp }[] = [
            {
                id: "EC2.2",
                file: "Pulumi.prod.yaml",
                how: "the default security group allows traffic within itself",
                broken: (r) => withEdit(r, T.defaultSecurityGroup, (i) => (i.ingress = [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }])),
                says: /default security group of prod has rules/,
            },
            {
                id: "EC2.2",
                file: "Pulumi.loadgen.yaml",
                how: "the stack leaves the default security group to AWS",
                broken: (r) => without(r, (resource) => resource.type === T.defaultSecurityGroup),
                says: /keeps AWS's rules/,
            },
            {
                id: "EC2.6",
                file: "Pulumi.prod.yaml",
                how: "flow logs record accepted traffic only",
                broken: (r) => withEdit(r, T.flowLog, (i) => (i.trafficType = "ACCEPT")),
                says: /miss rejected traffic/,
            },
            {
                id: "EC2.18",
                file: "Pulumi.prod.yaml",
                how: "SSH is open to the internet",
                broken: (r) => withEdit(r, T.ingressRule, (i) => ((i.fromPort = 22), (i.toPort = 22)), named("prod-alb-from-internet-443")),
                says: /opens tcp 22 to the internet/,
            },
            {
                id: "ECR.1",
                file: "Pulumi.shared.yaml",
                how: "images are not scanned on push",
                broken: (r) => withEdit(r, T.repository, (i) => (i.imageScanningConfiguration = { scanOnPush: false })),
                says: /not scanned on push/,
            },
            {
                id: "ECR.2",
                file: "Pulumi.shared.yaml",
                how: "a wildcard keeps a family of tags movable",
                broken: (r) => withEdit(r, T.repository, (i) => i.imageTagMutabilityExclusionFilters.push({ filter: "release-*", filterType: "WILDCARD" })),
                says: /release-\* keep every matching tag movable/,
            },
            {
                id: "ECR.2",
                file: "Pulumi.loadgen.yaml",
                how: "tags are mutable",
                broken: (r) => withEdit(r, T.repository, (i) => (i.imageTagMutability = "MUTABLE")),
                says: /tags are MUTABLE/,
            },
            {
                id: "ECR.3",
                file: "Pulumi.shared.yaml",
                how: "the repository has no lifecycle policy",
                broken: (r) => without(r, (resource) => resource.type === T.lifecyclePolicy),
                says: /has no lifecycle policy/,
            },
            {
                id: "ECS.1",
                file: "Pulumi.prod.yaml",
                how: "the container runs as root",
                broken: (r) => withEdit(r, T.taskDefinition, container((c) => (c.user = "0:0"))),
                says: /runs as 0:0/,
            },
            {
                id: "ECS.2",
                file: "Pulumi.prod.yaml",
                how: "tasks get public IP addresses",
                broken: (r) => withEdit(r, T.service, (i) => (i.networkConfiguration.assignPublicIp = true)),
                says: /public IP addresses/,
            },
            {
                id: "ECS.3",
                file: "Pulumi.loadgen.yaml",
                how: "the task shares the host's process namespace",
                broken: (r) => withEdit(r, T.taskDefinition, (i) => (i.pidMode = "host")),
                says: /pidMode is host/,
            },
            {
                id: "ECS.4",
                file: "Pulumi.prod.yaml",
                how: "the container is privileged",
                broken: (r) => withEdit(r, T.taskDefinition, container((c) => (c.privileged = true))),
                says: /is privileged/,
            },
            {
                id: "ECS.5",
                file: "Pulumi.loadgen.yaml",
                how: "the root filesystem is writable",
                broken: (r) => withEdit(r, T.taskDefinition, container((c) => delete c.readonlyRootFilesystem)),
                says: /can write to its root filesystem/,
            },
            {
                id: "ECS.8",
                file: "Pulumi.prod.yaml",
                how: "an access key is in the environment",
                broken: (r) => withEdit(r, T.taskDefinition, container((c) => c.environment.push({ name: "AWS_SECRET_ACCESS_KEY", value: "x" }))),
                says: /sets AWS_SECRET_ACCESS_KEY/,
            },
            {
                id: "ECS.9",
                file: "Pulumi.prod.yaml",
                how: "the container logs to a group the stack does not manage",
                broken: (r) => withEdit(r, T.taskDefinition, container((c) => (c.logConfiguration.options["awslogs-group"] = "/elsewhere"))),
                says: /logs to \/elsewhere, which the stack does not manage/,
            },
            {
                id: "ECS.10",
                file: "Pulumi.prod.yaml",
                how: "the service pins an old platform version",
                broken: (r) => withEdit(r, T.service, (i) => (i.platformVersion = "1.3.0")),
                says: /platformVersion is 1\.3\.0/,
            },
            {
                id: "ECS.12",
                file: "Pulumi.loadgen.yaml",
                how: "Container Insights is off",
                broken: (r) => withEdit(r, T.cluster, (i) => (i.settings = [{ name: "containerInsights", value: "disabled" }])),
                says: /containerInsights is disabled/,
            },
            {
                id: "ELB.1",
                file: "Pulumi.prod.yaml",
                how: "the HTTP listener serves a response instead of redirecting",
                broken: (r) =>
                    withEdit(r, T.listener, (i) => (i.defaultActions = [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404" } }]), named("prod-http")),
                says: /HTTP listener prod-http serves requests/,
            },
            {
                id: "ELB.4",
                file: "Pulumi.prod.yaml",
                how: "invalid headers reach the targets",
                broken: (r) => withEdit(r, T.alb, (i) => (i.dropInvalidHeaderFields = false)),
                says: /invalid HTTP headers reach the targets/,
            },
            {
                id: "ELB.5",
                file: "Pulumi.prod.yaml",
                how: "the bucket policy does not let log delivery write",
                broken: (r) => withEdit(r, T.bucketPolicy, statements((s) => s.splice(s.findIndex((statement) => statement.Effect === "Allow"), 1))),
                says: /does not let logdelivery\.elasticloadbalancing\.amazonaws\.com put arn:aws:s3:::.*\/alb\/AWSLogs\/\d{12}\/\*/,
            },
            {
                id: "ELB.6",
                file: "Pulumi.prod.yaml",
                how: "deletion protection is off",
                broken: (r) => withEdit(r, T.alb, (i) => (i.enableDeletionProtection = false)),
                says: /deletion protection is off/,
            },
            {
                id: "ELB.12",
                file: "Pulumi.prod.yaml",
                how: "desync mitigation only monitors",
                broken: (r) => withEdit(r, T.alb, (i) => (i.desyncMitigationMode = "monitor")),
                says: /desyncMitigationMode is monitor/,
            },
            {
                id: "ELB.13",
                file: "Pulumi.prod.yaml",
                how: "the load balancer is in one subnet",
                broken: (r) => withEdit(r, T.alb, (i) => (i.subnets = i.subnets.slice(0, 1))),
                says: /is in 1 subnet/,
            },
            {
                id: "ELB.17",
                file: "Pulumi.prod.yaml",
                how: "the HTTPS listener allows TLS 1.0",
                broken: (r) => withEdit(r, T.listener, (i) => (i.sslPolicy = "ELBSecurityPolicy-2016-08"), named("prod-https")),
                says: /sslPolicy is ELBSecurityPolicy-2016-08/,
            },
            {
                id: "IAM.1",
                file: "Pulumi.bootstrap-shared.yaml",
                how: "a policy allows every action",
                broken: (r) => withEdit(r, T.iamPolicy, statements((s) => s.push({ Effect: "Allow", Action: "*", Resource: "*" })), named("deploy-session")),
                says: /allows every action/,
            },
            {
                id: "IAM.21",
                file: "Pulumi.prod.yaml",
                how: "the flow-log role may do anything in CloudWatch Logs",
                broken: (r) => withEdit(r, T.rolePolicy, statements((s) => (s[0].Action = "logs:*"))),
                says: /allows logs:\*/,
            },
            {
                id: "KMS.4",
                file: "Pulumi.prod.yaml",
                how: "the alarm topic's key does not rotate",
                broken: (r) => withEdit(r, T.kmsKey, (i) => (i.enableKeyRotation = false)),
                says: /does not rotate/,
            },
            {
                id: "S3.5",
                file: "Pulumi.loadgen.yaml",
                how: "the run bucket accepts requests without TLS",
                broken: (r) => withEdit(r, T.bucketPolicy, statements((s) => s.splice(s.findIndex((statement) => statement.Effect === "Deny"), 1))),
                says: /does not deny requests without TLS/,
            },
            {
                id: "S3.6",
                file: "Pulumi.bootstrap-shared.yaml",
                how: "the state bucket lets another account rewrite its policy",
                broken: (r) =>
                    withEdit(r, T.bucketPolicy, statements((s) => s.push({ Sid: "Foreign", Effect: "Allow", Principal: { AWS: "arn:aws:iam::210987654321:root" }, Action: "s3:PutBucketPolicy", Resource: "*" }))),
                says: /grants s3:PutBucketPolicy to arn:aws:iam::210987654321:root \(Foreign\)/,
            },
            {
                id: "S3.8",
                file: "Pulumi.prod.yaml",
                how: "public bucket policies are allowed",
                broken: (r) => withEdit(r, T.publicAccessBlock, (i) => (i.restrictPublicBuckets = false)),
                says: /leaves restrictPublicBuckets off/,
            },
            {
                id: "S3.12",
                file: "Pulumi.bootstrap-shared.yaml",
                how: "object writers own their objects (ACLs on)",
                broken: (r) => withEdit(r, T.ownershipControls, (i) => (i.rule = { objectOwnership: "ObjectWriter" })),
                says: /has object ownership ObjectWriter/,
            },
            {
                id: "S3.13",
                file: "Pulumi.loadgen.yaml",
                how: "the lifecycle rule is disabled",
                broken: (r) => withEdit(r, T.lifecycle, (i) => (i.rules[0].status = "Disabled")),
                says: /no enabled rule/,
            },
            {
                id: "SNS.1",
                file: "Pulumi.prod.yaml",
                how: "the alarm topic uses the AWS-managed key",
                broken: (r) => withEdit(r, T.topic, (i) => (i.kmsMasterKeyId = "alias/aws/sns")),
                says: /encrypted with alias\/aws\/sns, not a key of the stack/,
            },
        ];

        it("every control has a break", () => {
            assert.deepEqual(sorted(BREAKS.map((b) => b.id)), CONTROLS.map((c) => c.name));
        });

        for (const { id, file, how, broken, says } of BREAKS) {
            it(`${id}: ${file} where ${how}`, async () => {
                const run = await runPack(broken(built[file]));
                assert.deepEqual(violated(run), [id], describeViolations(run));
                assert.ok(run.violations.every((v) => v.level === "mandatory"));
                assert.match(run.violations.map((v) => v.message).join("\n"), says);
            });
        }
    });

    describe("pulumi preview of a new stack: values not known yet", () => {
        let prod: Recording;
        before(async () => {
            prod = asPreview(await recordingOf("Pulumi.prod.yaml"));
        });

        it("are neither violations nor passes: the policies that read them are deferred to the update, the rest decide", async () => {
            const run = await runPack(prod);
            assert.deepEqual(run.violations, []);
            assert.deepEqual(
                run.deferred.map((d) => d.policy),
                ["ELB.5", "ELB.13", "IAM.1", "IAM.21", "S3.5", "S3.6"],
                "the bucket's ARN, awsx's subnet ids, and the policies built from them",
            );
            assert.match(run.deferred[0].message, /string value at \.arn can't be known during preview/);
        });

        it("do not hide a violation the known values show", async () => {
            const broken = withEdit(
                withEdit(prod, T.alb, (i) => (i.enableDeletionProtection = false)),
                T.publicAccessBlock,
                (i) => (i.blockPublicPolicy = false),
            );
            const run = await runPack(broken);
            assert.deepEqual(violated(run), ["ELB.6", "S3.8"], describeViolations(run));
        });

        it("a resource preview has not created is still found through the dependencies the engine records", async () => {
            const run = await runPack(without(prod, (r) => r.type === T.flowLog));
            assert.deepEqual(violated(run), ["EC2.6"]);
        });
    });
});
