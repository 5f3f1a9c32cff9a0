import { DEPLOY_ROLE_MAX_SESSION_SECONDS } from "../components/deploy-role";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    AWS_CREDENTIALS_ACTION,
    Job,
    REPO_ROOT,
    Step,
    WorkflowFile,
    actionName,
    choiceInputs,
    deployRoleVariable,
    describeVariant,
    isAwsCredentialsStep,
    jobEnvironment,
    jobVariants,
    loadWorkflows,
    parseWorkflowText,
    readOnlyRoleVariable,
    roleAssumptions,
    rolesAssumed,
    rolesInEffect,
    stackFileRoles,
    substitute,
    workflowEvents,
    workflowOidcSubjects,
} from "./workflows-fixtures";
import { policyConfigPath } from "./environment-fixtures";

/**
 * The GitHub Actions workflows (.github/workflows): valid against GitHub's own workflow schema and expression rules
 * (@actions/workflow-parser, the parser behind GitHub's Actions language services), every action pinned to a commit,
 * least-privilege tokens, AWS only through OIDC and the role of the account each step works in (the deploy role only
 * in gated jobs, the read-only role for pull requests), a preview for every stack file, only npm scripts that exist, and
 * promote.yml's runs into staging (promote, deploy, load test) and into prod (promote with its verdict check, deploy)
 * sharing no job, environment or role. The last block breaks each rule on purpose to see its check fail.
 */

type WorkflowParser = typeof import("@actions/workflow-parser");

const PULUMI_ACTION = "pulumi/actions";
const SETUP_NODE_ACTION = "actions/setup-node";
const BUILDX_ACTION = "docker/setup-buildx-action";
const UPLOAD_ARTIFACT_ACTION = "actions/upload-artifact";
/** ci.yml tests on the oldest Node `engines` admits (.ci/run then tests again on .nvmrc's); the others run .nvmrc's, as the image does. */
const CI_NODE_VERSION = "22";
const NODE_VERSION_FILE = ".nvmrc";
const SHARED_ROLE = "SHARED_DEPLOY_ROLE_ARN";
/** Stack files with these roles are deployed by the workflows, so each gets a preview. */
const PREVIEWED_STACK_ROLES = ["shared", "environment"];
/**
 * Stack files with these roles are deployed by hand, so none is previewed: a bootstrap once per account with its
 * administrator's credentials, a loadgen stack wherever someone wants load generators (it may never be created).
 */
const UNPREVIEWED_STACK_ROLES = ["bootstrap", "loadgen"];
/** The only scopes a job may write, and why: the OIDC token for AWS, and the preview's pull-request comment. */
const WRITABLE_SCOPES = ["id-token", "pull-requests"];

const PACKAGE_SCRIPTS = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts;

function byFile(workflows: WorkflowFile[], file: string): WorkflowFile {
    const found = workflows.find((workflow) => workflow.file === file);
    assert.ok(found, `.github/workflows/${file} is missing`);
    return found;
}

function jobsOf({ workflow }: WorkflowFile): [string, Job][] {
    return Object.entries(workflow.jobs);
}

function stepsOf(job: Job): Step[] {
    return job.steps ?? [];
}

function usesAction(step: Step, action: string): boolean {
    return step.uses !== undefined && actionName(step.uses) === action;
}

function jobPermissions(job: Job): Record<string, string> {
    assert.ok(job.permissions === undefined || typeof job.permissions === "object", `job permissions ${String(job.permissions)} must list scopes`);
    return (job.permissions ?? {}) as Record<string, string>;
}

// ------------------------------------------------------------------------------------------------- the checks

async function schemaErrors(parser: WorkflowParser, { file, text }: WorkflowFile): Promise<string[]> {
    const parsed = parser.parseWorkflow({ name: file, content: text }, new parser.NoOperationTraceWriter());
    const errors = parsed.context.errors.getErrors().map((error) => error.message);
    if (parsed.value !== undefined && errors.length === 0) {
        // Conversion checks what the schema alone does not: job dependencies, matrix and concurrency semantics.
        const template = await parser.convertWorkflowTemplate(parsed.context, parsed.value);
        errors.push(...(template.errors ?? []).map((error) => error.Message));
    }
    return errors;
}

const FULL_SHA = /^[0-9a-f]{40}$/;
const VERSION_COMMENT = /^#\s*v\d+\.\d+\.\d+\b/;

function checkPinnedActions({ file, text, workflow }: WorkflowFile): void {
    const uses = [
        ...Object.values(workflow.jobs).flatMap((job) => stepsOf(job).map((step) => step.uses)),
        ...Object.values(workflow.jobs).map((job) => (job as { uses?: string }).uses),
    ].filter((value): value is string => value !== undefined);
    for (const reference of uses) {
        if (reference.startsWith("./")) continue;
        if (reference.startsWith("docker://")) {
            assert.match(reference, /@sha256:[0-9a-f]{64}$/, `${file}: ${reference} must be pinned by digest`);
            continue;
        }
        const [name, ref = ""] = reference.split("@");
        assert.match(name, /^[\w.-]+\/[\w.-]+(\/[^@\s]+)?$/, `${file}: ${reference} is not owner/repository[/path]@ref`);
        assert.match(ref, FULL_SHA, `${file}: ${reference} must be pinned by a full 40-hex commit SHA, not a tag or branch`);
    }
    // The version a SHA stands for is for people (and Dependabot): a `# vX.Y.Z` comment on the same line.
    const lines = text.split("\n").flatMap((line, index) => {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$/.exec(line);
        return match ? [{ line: index + 1, reference: match[1], comment: match[2] ?? "" }] : [];
    });
    assert.equal(lines.length, uses.length, `${file}: every uses: should be on a line of its own`);
    for (const { line, reference, comment } of lines) {
        if (reference.startsWith("./")) continue;
        assert.match(comment, VERSION_COMMENT, `${file}:${line}: ${reference} needs its version as a # vX.Y.Z comment`);
    }
}

function checkTopLevelPermissions({ file, workflow }: WorkflowFile): void {
    const permissions = workflow.permissions;
    assert.ok(
        typeof permissions === "object" && permissions !== null,
        `${file}: set top-level permissions explicitly (without them the token gets the repository's default, possibly write-all)`,
    );
    for (const [scope, access] of Object.entries(permissions)) {
        assert.ok(access === "read" || access === "none", `${file}: top-level permissions grant ${scope}: ${access}; widen per job instead`);
    }
}

function checkJobPermissions(wf: WorkflowFile): void {
    for (const [id, job] of jobsOf(wf)) {
        const assumesRoles = jobVariants(wf.workflow, job).some((variant) => rolesAssumed(job, variant).length > 0);
        const commentsOnPr = stepsOf(job).some((step) => usesAction(step, PULUMI_ACTION) && String(step.with?.["comment-on-pr"]) === "true");
        for (const [scope, access] of Object.entries(jobPermissions(job))) {
            if (access !== "write") continue;
            assert.ok(WRITABLE_SCOPES.includes(scope), `${wf.file} ${id}: ${scope}: write is more than any job here needs`);
            if (scope === "id-token") assert.ok(assumesRoles, `${wf.file} ${id}: id-token: write, but the job assumes no AWS role`);
            if (scope === "pull-requests") assert.ok(commentsOnPr, `${wf.file} ${id}: pull-requests: write, but the job writes no PR comment`);
        }
    }
}

function checkTimeouts(wf: WorkflowFile): void {
    for (const [id, job] of jobsOf(wf)) {
        const timeout = job["timeout-minutes"];
        assert.ok(typeof timeout === "number" && timeout > 0 && timeout <= 120, `${wf.file} ${id}: timeout-minutes must be 1-120, got ${String(timeout)}`);
    }
}

function checkAwsCredentials(wf: WorkflowFile): void {
    assert.doesNotMatch(wf.text, /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/i, `${wf.file}: no long-lived AWS keys`);
    for (const [id, job] of jobsOf(wf)) {
        for (const step of stepsOf(job).filter(isAwsCredentialsStep)) {
            assert.ok(step.with?.["role-to-assume"], `${wf.file} ${id}: ${AWS_CREDENTIALS_ACTION} without role-to-assume`);
            assert.ok(step.with?.["aws-region"], `${wf.file} ${id}: ${AWS_CREDENTIALS_ACTION} without aws-region`);
        }
        for (const variant of jobVariants(wf.workflow, job)) {
            const roles = rolesAssumed(job, variant);
            if (roles.length === 0) continue;
            for (const role of roles) assert.match(role, /^[A-Z0-9]+(_[A-Z0-9]+)*_(DEPLOY|READ_ONLY)_ROLE_ARN$/, `${wf.file} ${id}: assumes vars.${role}`);
            const permissions = jobPermissions(job);
            assert.equal(permissions["id-token"], "write", `${wf.file} ${id}: assumes a role by OIDC, so needs id-token: write`);
            assert.equal(permissions.contents, "read", `${wf.file} ${id}: job permissions replace the workflow's: keep contents: read`);
        }
    }
}

const runsOnPullRequests = (wf: WorkflowFile) => "pull_request" in workflowEvents(wf.workflow) || "pull_request_target" in workflowEvents(wf.workflow);

/** A pull request runs its branch's code: it may hold only read-only roles. A deploy role waits for an environment's gate. */
function checkDeployRolesGated(wf: WorkflowFile): void {
    for (const [id, job] of jobsOf(wf)) {
        for (const variant of jobVariants(wf.workflow, job)) {
            for (const role of rolesAssumed(job, variant).filter((name) => name.endsWith("_DEPLOY_ROLE_ARN"))) {
                const where = `${wf.file} ${id}${describeVariant(variant)}: assumes vars.${role}`;
                assert.ok(!runsOnPullRequests(wf), `${where} on pull requests: use the account's read-only role`);
                assert.ok(jobEnvironment(job, variant), `${where} outside a GitHub environment, so no protection rule gates it`);
            }
        }
    }
}

function checkScriptsAndFiles(wf: WorkflowFile): void {
    for (const [id, job] of jobsOf(wf)) {
        for (const step of stepsOf(job)) {
            const run = step.run ?? "";
            for (const [, script] of run.matchAll(/\bnpm\s+(?:run|run-script)\s+(?:-[\w-]+(?:=\S+)?\s+)*([\w:.-]+)/g)) {
                assert.ok(script in PACKAGE_SCRIPTS, `${wf.file} ${id}: npm run ${script}, but package.json has no such script`);
            }
            for (const [, script] of run.matchAll(/\bnpm\s+(test|start)\b/g)) {
                assert.ok(script in PACKAGE_SCRIPTS, `${wf.file} ${id}: npm ${script}, but package.json has no ${script} script`);
            }
            for (const [, file] of run.matchAll(/\bbash\s+([\w./-]+)/g)) {
                assert.ok(fs.existsSync(path.join(REPO_ROOT, file)), `${wf.file} ${id}: bash ${file}, but there is no such file`);
            }
        }
    }
}

function checkNode(wf: WorkflowFile): void {
    for (const [id, job] of jobsOf(wf)) {
        const steps = stepsOf(job);
        const setup = steps.findIndex((step) => usesAction(step, SETUP_NODE_ACTION));
        for (const step of steps.filter((candidate) => usesAction(candidate, SETUP_NODE_ACTION))) {
            if (wf.file === "ci.yml") {
                assert.equal(String(step.with?.["node-version"]), CI_NODE_VERSION, `${wf.file} ${id}: Node ${CI_NODE_VERSION}, the oldest engines admits`);
            } else {
                assert.equal(step.with?.["node-version-file"], NODE_VERSION_FILE, `${wf.file} ${id}: the Node ${NODE_VERSION_FILE} names, as the service image`);
                assert.equal(step.with?.["node-version"], undefined, `${wf.file} ${id}: no node-version beside node-version-file`);
            }
            assert.equal(step.with?.cache, "npm", `${wf.file} ${id}: cache npm downloads`);
        }
        const firstNpm = steps.findIndex((step) => /\bnpm\b|\bbash \.ci\/run\b/.test(step.run ?? "") || usesAction(step, PULUMI_ACTION));
        if (firstNpm >= 0) assert.ok(setup >= 0 && setup < firstNpm, `${wf.file} ${id}: set up Node before npm or Pulumi run`);
    }
}

const PER_WORKFLOW_CHECKS: [string, (wf: WorkflowFile) => void][] = [
    ["pins every action to a full commit SHA, with its version in a comment", checkPinnedActions],
    ["grants only read access at the top level", checkTopLevelPermissions],
    ["lets a job write only OIDC tokens (when it assumes a role) and PR comments (when it writes one)", checkJobPermissions],
    ["gives every job a timeout", checkTimeouts],
    ["assumes AWS roles by OIDC only, from a vars.*_DEPLOY_ROLE_ARN or vars.*_READ_ONLY_ROLE_ARN, with id-token: write", checkAwsCredentials],
    ["assumes a deploy role only in a job gated by a GitHub environment, never on a pull request", checkDeployRolesGated],
    ["runs only npm scripts package.json defines and files that exist", checkScriptsAndFiles],
    ["sets up Node (ci.yml: engines' oldest; the others: .nvmrc's) with the npm cache before npm runs", checkNode],
];

function checkOnePinPerAction(workflows: WorkflowFile[]): void {
    const pins = new Map<string, Set<string>>();
    for (const wf of workflows) {
        for (const [, job] of jobsOf(wf)) {
            for (const step of stepsOf(job)) {
                if (step.uses === undefined || step.uses.startsWith("./")) continue;
                const name = actionName(step.uses);
                pins.set(name, (pins.get(name) ?? new Set()).add(step.uses));
            }
        }
    }
    for (const [name, references] of pins) assert.equal(references.size, 1, `${name} is pinned to several commits: ${[...references].join(", ")}`);
}

/** A Pulumi step that names no command only installs the CLI (pulumi/actions' README, Installation Only). */
const installsOnly = (step: Step) => usesAction(step, PULUMI_ACTION) && step.with?.command === undefined;

/** Every Pulumi step that runs a command, in every way its job runs: the stack it names, the role in effect, the workflow's events. */
function pulumiSteps(workflows: WorkflowFile[]) {
    return workflows.flatMap((wf) =>
        jobsOf(wf).flatMap(([id, job]) =>
            jobVariants(wf.workflow, job).flatMap((variant) => {
                const roles = rolesInEffect(job, variant);
                return stepsOf(job).flatMap((step, index) => {
                    if (!usesAction(step, PULUMI_ACTION) || installsOnly(step)) return [];
                    const stackName = substitute(String(step.with?.["stack-name"] ?? ""), variant);
                    const stack = /^\$\{\{\s*vars\.PULUMI_ORG\s*\}\}\/([\w.-]+)$/.exec(stackName)?.[1];
                    const where = `${wf.file} ${id}${describeVariant(variant)}`;
                    return [{ wf, id, job, variant, step, index, stack, stackName, role: roles[index], where }];
                });
            }),
        ),
    );
}

function checkPulumiSteps(workflows: WorkflowFile[]): void {
    for (const wf of workflows) {
        for (const [id, job] of jobsOf(wf)) {
            for (const step of stepsOf(job).filter(installsOnly)) assert.deepEqual(step.with ?? {}, {}, `${wf.file} ${id}: a Pulumi step without a command installs the CLI, with nothing else`);
        }
    }
    const stackFiles = stackFileRoles();
    for (const { wf, step, stack, stackName, role, where, variant } of pulumiSteps(workflows)) {
        assert.ok(stack, `${where}: stack-name ${stackName} should be \${{ vars.PULUMI_ORG }}/<stack>`);
        assert.ok(stackFiles.has(stack), `${where}: stack ${stack} has no Pulumi.${stack}.yaml`);
        const onPullRequests = runsOnPullRequests(wf);
        const expectedRole = onPullRequests ? readOnlyRoleVariable(stack) : deployRoleVariable(stack);
        assert.equal(role, expectedRole, `${where}: Pulumi on stack ${stack} runs with the credentials of vars.${String(role)}`);
        assert.equal(
            step.env?.ECS_LOADLAB_PROVIDER_ROLE,
            onPullRequests ? "read-only" : undefined,
            `${where}: the stack's provider assumes ${onPullRequests ? "the read-only role (ECS_LOADLAB_PROVIDER_ROLE: read-only)" : "the stack file's deploy role"}`,
        );
        const command = String(step.with?.command);
        assert.ok(["preview", "up"].includes(command), `${where}: pulumi ${command}`);
        if (onPullRequests) assert.equal(command, "preview", `${where}: a pull request only previews`);
        assert.match(String(step.with?.["cloud-url"]), /^\$\{\{\s*vars\.PULUMI_BACKEND_URL\s*\}\}$/, `${where}: cloud-url from vars.PULUMI_BACKEND_URL`);
        assert.equal(step.with?.policyPacks, "policy", `${where}: runs the policy pack (the security controls)`);
        const policyConfig = substitute(String(step.with?.policyPackConfigs), variant);
        assert.equal(policyConfig, `policy/config/${stack}.json`, `${where}: with the stack's own policy config`);
        assert.ok(fs.existsSync(policyConfigPath(`Pulumi.${stack}.yaml`)), `${where}: ${policyConfig} exists`);
        assert.match(String(step.env?.PULUMI_ACCESS_TOKEN), /^\$\{\{\s*secrets\.PULUMI_ACCESS_TOKEN\s*\}\}$/, `${where}: PULUMI_ACCESS_TOKEN`);
    }
}

function checkRegistryStepsUseSharedRole(workflows: WorkflowFile[]): void {
    let found = 0;
    for (const wf of workflows) {
        for (const [id, job] of jobsOf(wf)) {
            for (const variant of jobVariants(wf.workflow, job)) {
                const roles = rolesInEffect(job, variant);
                stepsOf(job).forEach((step, index) => {
                    if (!/\bnpm\s+run\s+(build-and-push|promote)\b/.test(step.run ?? "")) return;
                    found += 1;
                    assert.equal(roles[index], SHARED_ROLE, `${wf.file} ${id}${describeVariant(variant)}: the registry is in the shared account`);
                });
            }
        }
    }
    assert.ok(found > 0, "no step runs build-and-push or promote");
}

function checkPreviewMatrix(workflows: WorkflowFile[]): void {
    for (const [stack, role] of stackFileRoles()) {
        assert.ok(
            PREVIEWED_STACK_ROLES.includes(role) || UNPREVIEWED_STACK_ROLES.includes(role),
            `Pulumi.${stack}.yaml has role ${role}: decide whether preview.yml previews it`,
        );
    }
    const expected = [...stackFileRoles()]
        .filter(([, role]) => PREVIEWED_STACK_ROLES.includes(role))
        .map(([stack]) => stack)
        .sort();
    assert.ok(expected.length > 0, "no shared or environment stack files found");
    const previewed = pulumiSteps([byFile(workflows, "preview.yml")])
        .filter(({ step }) => step.with?.command === "preview")
        .map(({ stack }) => String(stack))
        .sort();
    assert.deepEqual(previewed, expected, "preview.yml previews each shared and environment stack file once");
}

function checkCi(workflows: WorkflowFile[]): void {
    const wf = byFile(workflows, "ci.yml");
    const events = workflowEvents(wf.workflow);
    assert.deepEqual(Object.keys(events).sort(), ["pull_request", "push"]);
    assert.deepEqual(events.push.branches, ["main"]);
    const steps = jobsOf(wf).flatMap(([, job]) => stepsOf(job));
    const ciRun = steps.find((step) => (step.run ?? "").trim() === "bash .ci/run");
    assert.ok(ciRun, "ci.yml runs .ci/run (npm ci, then npm test)");
    // The report's browser test uses the runner's Google Chrome: on Ubuntu, .ci/run's apt-get install chromium would
    // get the snap stub, whose confinement cannot read the test's files in /tmp.
    assert.equal(ciRun.env?.CHROMIUM_PATH, "/usr/bin/google-chrome", "ci.yml points the browser test at the runner's Chrome");
    assert.deepEqual(roleAssumptions([wf]), [], "ci.yml needs no cloud credentials");
}

/** What a run of promote.yml may do, by target: the jobs that run, each with the roles it assumes, in order. */
const PROMOTE_RUNS: Record<string, Record<string, string[]>> = {
    staging: {
        promote: [SHARED_ROLE],
        deploy: ["STAGING_DEPLOY_ROLE_ARN"],
        "load-test": ["LOADGEN_DEPLOY_ROLE_ARN", "STAGING_READ_ONLY_ROLE_ARN", SHARED_ROLE],
    },
    prod: {
        promote: [SHARED_ROLE],
        deploy: ["PROD_DEPLOY_ROLE_ARN"],
    },
};

/**
 * The commands of promote.yml that call AWS, each with the role it must run as: the shared account's role only for
 * promote and for recording the verdict, the loadgen account's for the run, staging's read-only role for observe.
 * (`loadtest -- summary` reads files only; the deploy's pulumi up: checkPulumiSteps.)
 */
const PROMOTE_COMMANDS: [RegExp, string][] = [
    [/\bnpm run promote -- /, SHARED_ROLE],
    [/\bnpm run loadtest -- --stack loadgen --target staging\b/, "LOADGEN_DEPLOY_ROLE_ARN"],
    [/\bnpm run timeline -- observe --stack Pulumi\.staging\.yaml\b/, "STAGING_READ_ONLY_ROLE_ARN"],
    [/\bnpm run loadtest -- record\b/, SHARED_ROLE],
];
const AWS_FREE_COMMANDS = [/\bnpm run --silent loadtest -- summary\b/];

/** The index of the one step of the job whose run matches, failing when there is none or several. */
function stepIndex(job: Job, pattern: RegExp, what: string): number {
    const indexes = stepsOf(job).flatMap((step, index) => (pattern.test(step.run ?? "") ? [index] : []));
    assert.equal(indexes.length, 1, `one step ${what} (${String(pattern)})`);
    return indexes[0];
}

function checkPromote(workflows: WorkflowFile[]): void {
    const wf = byFile(workflows, "promote.yml");
    assert.deepEqual(Object.keys(workflowEvents(wf.workflow)), ["workflow_dispatch"], "promote.yml runs only when started by hand");
    assert.deepEqual(choiceInputs(wf.workflow), [{ name: "to", options: ["staging", "prod"] }]);
    const inputs = (workflowEvents(wf.workflow).workflow_dispatch.inputs ?? {}) as Record<string, { type?: string; default?: unknown }>;
    assert.deepEqual(
        Object.entries(inputs).map(([name, input]) => [name, input.type, input.default]),
        [
            ["to", "choice", undefined],
            ["from", "string", ""],
            ["profile", "string", "load"],
            ["without-load-test", "string", ""],
        ],
    );
    const concurrency = wf.workflow.concurrency as { group?: string; "cancel-in-progress"?: boolean } | undefined;
    assert.match(String(concurrency?.group), /\$\{\{\s*inputs\.to\s*\}\}/, "one promotion per target environment at a time");
    assert.equal(concurrency?.["cancel-in-progress"], false, "a promotion waits; it never cancels one under way");

    const { promote, deploy, "load-test": loadTest } = wf.workflow.jobs;
    assert.ok(promote && deploy && loadTest, "jobs promote, deploy and load-test");
    assert.deepEqual(Object.keys(wf.workflow.jobs), ["promote", "deploy", "load-test"]);
    assert.equal(promote.needs, undefined);
    assert.deepEqual([deploy.needs].flat(), ["promote"], "the target deploys the image just promoted");
    assert.deepEqual([loadTest.needs].flat().sort(), ["deploy", "promote"], "the load test runs against what was deployed, with the checked inputs");
    for (const [id, job] of jobsOf(wf)) {
        assert.deepEqual(jobPermissions(job), { contents: "read", "id-token": "write" }, `${id}: reads the repository, and gets OIDC tokens for its roles`);
    }

    // Every input is checked before the tag moves: the profile names a k6 script, the task count is whole, the
    // reason is for prod only.
    const steps = stepsOf(promote);
    const check = steps.findIndex((step) => step.id === "inputs");
    const moves = stepIndex(promote, /\bnpm run promote\b/, "running npm run promote");
    assert.ok(check >= 0 && check < moves, "promote checks its inputs before it moves a tag");
    const checks = String(steps[check].run);
    for (const [rule, pattern] of [
        ["the profile is a k6 script that exists", /! -f "k6\/\$PROFILE\.ts"/],
        ["the task count is a whole number", /"\$TASKS" =~ \^\[1-9\]\[0-9\]\*\$/],
        ["a reason to skip the load test is refused for staging", /"\$TO" == staging \]\]; then\n\s+if \[\[ -n "\$REASON" \]\]; then\n[^\n]*\n\s+exit 1/],
    ] as const) {
        assert.match(checks, pattern, rule);
    }
    assert.match(String(steps[check].env?.TASKS), /^\$\{\{\s*vars\.LOADTEST_TASKS \|\| '4'\s*\}\}$/, "the task count from vars.LOADTEST_TASKS, 4 when unset");
    assert.deepEqual(Object.keys(promote.outputs ?? {}).sort(), ["profile", "tasks"], "the checked profile and task count, for the load test");
    // The verdict check is the command's: it is skipped only with a reason, and the reason only when one is given.
    const promoteRun = String(steps[moves].run);
    assert.match(String(steps[moves].env?.REASON), /^\$\{\{\s*inputs\.without-load-test\s*\}\}$/);
    assert.match(promoteRun, /if \[\[ -n "\$REASON" \]\]; then args\+=\(--without-load-test "\$REASON"\); fi\n\s*npm run promote -- "\$\{args\[@\]\}"/);
    assert.equal((promoteRun.match(/--without-load-test/g) ?? []).length, 1, "--without-load-test only under that condition");

    for (const variant of jobVariants(wf.workflow, deploy)) {
        const stacks = pulumiSteps([wf]).filter(({ id, variant: v }) => id === "deploy" && v.inputs.to === variant.inputs.to);
        assert.deepEqual(stacks.map(({ stack, step }) => `${String(step.with?.command)} ${stack}`), [`up ${variant.inputs.to}`], "deploy: pulumi up of the target");
    }
    checkLoadTestJob(loadTest);
    checkPromoteCommandRoles(wf);
}

/** The load test: run, observe, record, then the summary and the artifacts even when a threshold failed, then the verdict. */
function checkLoadTestJob(job: Job): void {
    const steps = stepsOf(job);
    const run = stepIndex(job, /\bnpm run loadtest -- --stack loadgen --target staging --tasks "\$TASKS" "k6\/\$PROFILE\.ts" --yes --no-record --out "\$RUN_DIR\/result\.json"/, "running the load test");
    const observe = stepIndex(
        job,
        /\bnpm run timeline -- observe --stack Pulumi\.staging\.yaml --summary "\$RUN_DIR\/result\.json" --json "\$RUN_DIR\/observed\.json" --html "\$RUN_DIR\/report\.html"/,
        "observing staging",
    );
    const record = stepIndex(job, /\bnpm run loadtest -- record "\$RUN_DIR\/result\.json" --observed "\$RUN_DIR\/observed\.json" --html "\$RUN_DIR\/report\.html"/, "recording the verdict");
    const summary = stepIndex(job, /\bnpm run --silent loadtest -- summary "\$RUN_DIR\/result\.json"[^\n]*>>\s*"\$GITHUB_STEP_SUMMARY"/, "writing the job summary");
    const uploads = steps.flatMap((step, index) => (usesAction(step, UPLOAD_ARTIFACT_ACTION) ? [index] : []));
    assert.equal(uploads.length, 1, "one artifact upload");
    const [upload] = uploads;
    const verdict = steps.length - 1;
    assert.deepEqual([run < observe, observe < record, record < summary, summary < upload, upload < verdict], [true, true, true, true, true], "run, observe, record, summary, artifacts, verdict");

    const runStep = steps[run];
    assert.ok(runStep.id, "the run step has an id, for the steps after it");
    assert.match(String(runStep.env?.TASKS), /^\$\{\{\s*needs\.promote\.outputs\.tasks\s*\}\}$/, "the checked task count");
    assert.match(String(runStep.env?.PROFILE), /^\$\{\{\s*needs\.promote\.outputs\.profile\s*\}\}$/, "the checked profile");
    assert.match(String(runStep.run), /\|\| status=\$\?\n\s*echo "status=\$status" >>"\$GITHUB_OUTPUT"/, "a failed load test does not fail the step: its status is kept for the end");
    assert.match(String(runStep.run), /if \[\[ ! -s "\$RUN_DIR\/result\.json" \]\]; then[^]*exit /, "without a result the step fails at once");
    const afterResult = new RegExp(`^always\\(\\) && steps\\.${runStep.id}\\.outcome == 'success'$`);
    for (const [what, index] of [["the summary", summary], ["the artifacts", upload], ["the verdict", verdict]] as const) {
        assert.match(String(steps[index].if), afterResult, `${what}: also after a failed step, once the run produced a result`);
    }
    const paths = String(steps[upload].with?.path).split("\n").map((line) => line.trim()).filter(Boolean);
    assert.deepEqual(paths, ["result.json", "observed.json", "report.html"].map((file) => `\${{ env.RUN_DIR }}/${file}`));
    assert.match(String(steps[verdict].env?.STATUS), new RegExp(`^\\$\\{\\{\\s*steps\\.${runStep.id}\\.outputs\\.status\\s*\\}\\}$`));
    assert.match(String(steps[verdict].run), /exit "\$STATUS"/, "the job fails with the load test's status, after the summary and the artifacts");
    const credentialsBeforeRun = steps.slice(0, run).filter(isAwsCredentialsStep).at(-1);
    assert.equal(
        Number(credentialsBeforeRun?.with?.["role-duration-seconds"]),
        DEPLOY_ROLE_MAX_SESSION_SECONDS,
        "the run's credentials last as long as the deploy role allows: the shipped load profile outlasts the default hour",
    );
    assert.ok(Number(job["timeout-minutes"]) * 60 <= DEPLOY_ROLE_MAX_SESSION_SECONDS, "the job ends before the run's credentials do");
    const cli = steps.findIndex((step) => usesAction(step, PULUMI_ACTION) && step.with?.command === undefined);
    assert.ok(cli >= 0 && cli < run, "the Pulumi CLI is installed (no command run) before the commands read stack outputs");
}

/** Each AWS command of promote.yml runs as its role, in every run it is part of; summary makes no AWS call. */
function checkPromoteCommandRoles(wf: WorkflowFile): void {
    for (const [id, job] of jobsOf(wf)) {
        for (const variant of jobVariants(wf.workflow, job)) {
            const roles = rolesInEffect(job, variant);
            stepsOf(job).forEach((step, index) => {
                const run = step.run ?? "";
                if (!/\bnpm (run|ci)\b/.test(run) || /^npm ci$/.test(run.trim()) || AWS_FREE_COMMANDS.some((pattern) => pattern.test(run))) return;
                const command = PROMOTE_COMMANDS.find(([pattern]) => pattern.test(run));
                assert.ok(command, `${wf.file} ${id}: ${run.trim().split("\n")[0]}: which role does it run as? add it to PROMOTE_COMMANDS`);
                assert.equal(roles[index], command[1], `${wf.file} ${id}${describeVariant(variant)}: ${String(command[0])} runs as vars.${command[1]}`);
            });
        }
    }
}

/**
 * Prod is never promoted in the run that promotes staging: a run's jobs are exactly the ones PROMOTE_RUNS names for
 * its target, each in that target's GitHub environment, each assuming exactly its roles (so a staging run holds no
 * role of prod's account, and a prod run none of staging's or the load generators').
 */
function checkPromoteTargetsDisjoint(workflows: WorkflowFile[]): void {
    const wf = byFile(workflows, "promote.yml");
    const targets = choiceInputs(wf.workflow).find((input) => input.name === "to")?.options ?? [];
    assert.deepEqual(targets, Object.keys(PROMOTE_RUNS));
    for (const target of targets) {
        const running = jobsOf(wf).flatMap(([id, job]) => jobVariants(wf.workflow, job).filter((variant) => variant.inputs.to === target).map((variant) => ({ id, job, variant })));
        assert.deepEqual(running.map(({ id }) => id), Object.keys(PROMOTE_RUNS[target]), `a run into ${target} runs only these jobs`);
        for (const { id, job, variant } of running) {
            assert.equal(jobEnvironment(job, variant), target, `${id} in a run into ${target}: the environment ${target}, whose reviewers gate it`);
            assert.deepEqual(rolesAssumed(job, variant), PROMOTE_RUNS[target][id], `${id} in a run into ${target}: the roles it assumes`);
            for (const other of targets.filter((name) => name !== target)) {
                const prefix = `${other.toUpperCase()}_`;
                assert.ok(!rolesAssumed(job, variant).some((role) => role.startsWith(prefix)), `${id} in a run into ${target} holds no role of ${other}'s account`);
            }
        }
    }
}

function checkDeployDev(workflows: WorkflowFile[]): void {
    const wf = byFile(workflows, "deploy-dev.yml");
    const events = workflowEvents(wf.workflow);
    assert.deepEqual(Object.keys(events), ["push"]);
    assert.deepEqual(events.push.branches, ["main"]);
    const { shared, "build-and-push": build, deploy } = wf.workflow.jobs;
    assert.ok(shared && build && deploy, "jobs shared, build-and-push and deploy");
    assert.equal(shared.needs, undefined);
    assert.deepEqual([build.needs].flat(), ["shared"], "the registry is up to date before the push");
    assert.deepEqual([deploy.needs].flat(), ["build-and-push"], "dev deploys the image just pushed");
    for (const [id, job] of jobsOf(wf)) assert.equal(job.environment, "dev", `${id}: environment dev`);
    const stacks = pulumiSteps([wf]).map(({ id, stack }) => `${id}:${stack}`);
    assert.deepEqual(stacks, ["shared:shared", "deploy:dev"]);
    const steps = stepsOf(build);
    const buildx = steps.findIndex((step) => usesAction(step, BUILDX_ACTION));
    const push = steps.findIndex((step) => /\bnpm\s+run\s+build-and-push\b/.test(step.run ?? ""));
    assert.ok(buildx >= 0 && buildx < push, "buildx is set up before the build");
    // The script builds with `docker build` and pushes from the local image store: the docker driver keeps the image there.
    assert.equal(steps[buildx].with?.driver, "docker");
}

/** What the shipped workflows present to AWS: the bootstrap stacks' roles must trust these, pull requests only the read-only ones. */
const EXPECTED_SUBJECTS = [
    ["DEV_DEPLOY_ROLE_ARN", "repo:{repository}:environment:dev"],
    ["DEV_READ_ONLY_ROLE_ARN", "repo:{repository}:pull_request"],
    ["LOADGEN_DEPLOY_ROLE_ARN", "repo:{repository}:environment:staging"],
    ["PROD_DEPLOY_ROLE_ARN", "repo:{repository}:environment:prod"],
    ["PROD_READ_ONLY_ROLE_ARN", "repo:{repository}:pull_request"],
    ["SHARED_DEPLOY_ROLE_ARN", "repo:{repository}:environment:dev"],
    ["SHARED_DEPLOY_ROLE_ARN", "repo:{repository}:environment:prod"],
    ["SHARED_DEPLOY_ROLE_ARN", "repo:{repository}:environment:staging"],
    ["SHARED_READ_ONLY_ROLE_ARN", "repo:{repository}:pull_request"],
    ["STAGING_DEPLOY_ROLE_ARN", "repo:{repository}:environment:staging"],
    ["STAGING_READ_ONLY_ROLE_ARN", "repo:{repository}:environment:staging"],
    ["STAGING_READ_ONLY_ROLE_ARN", "repo:{repository}:pull_request"],
].map(([roleVariable, subject]) => ({ roleVariable, subject }));

const CROSS_WORKFLOW_CHECKS: [string, (workflows: WorkflowFile[]) => void][] = [
    ["pins each action to the same commit everywhere", checkOnePinPerAction],
    ["runs Pulumi on each stack with the role of that stack's account (read-only on pull requests, deploy otherwise), with the policy pack and that stack's policy config, and only previews on pull requests", checkPulumiSteps],
    ["pushes and promotes images with the shared account's role", checkRegistryStepsUseSharedRole],
    ["previews every stack file whose role is shared or environment, and none deployed by hand (bootstrap, loadgen)", checkPreviewMatrix],
    ["ci.yml: .ci/run on pull requests and pushes to main, without cloud credentials", checkCi],
    [
        "promote.yml: by hand only, into staging or prod, one promotion per target at a time: promote (inputs checked first), deploy, and for staging the load test, its record, summary and artifacts, each command as its account's role",
        checkPromote,
    ],
    ["promote.yml: a run into staging and a run into prod share no job, environment or role: prod is a dispatch of its own", checkPromoteTargetsDisjoint],
    ["deploy-dev.yml: on pushes to main, shared, then build-and-push, then deploy, all in environment dev", checkDeployDev],
];

// ------------------------------------------------------------------------------------------------- the tests

describe("GitHub Actions workflows", () => {
    const workflows = loadWorkflows();
    let parser: WorkflowParser;

    before(async () => {
        // ESM only, so imported, not required.
        parser = await import("@actions/workflow-parser");
    });

    it("ships ci, preview, deploy-dev and promote", () => {
        assert.deepEqual(
            workflows.map((wf) => wf.file),
            ["ci.yml", "deploy-dev.yml", "preview.yml", "promote.yml"],
        );
    });

    for (const wf of workflows) {
        describe(wf.file, () => {
            it("is valid against GitHub's workflow schema and expression rules", async () => {
                assert.deepEqual(await schemaErrors(parser, wf), []);
            });
            for (const [title, check] of PER_WORKFLOW_CHECKS) it(title, () => check(wf));
        });
    }

    describe("across workflows", () => {
        for (const [title, check] of CROSS_WORKFLOW_CHECKS) it(title, () => check(workflows));

        it("lists, for each job that assumes a role, the role variable and the OIDC subject it presents", () => {
            assert.deepEqual(workflowOidcSubjects(), EXPECTED_SUBJECTS);
        });
    });

    describe("each check fails on a workflow that breaks its rule", () => {
        /** A mutation that finds nothing to change breaks no rule: it must not pass for a check that failed. */
        class MutationError extends Error {}

        /** The shipped workflows with one text replacement in one file. */
        function broken(file: string, from: string | RegExp, to: string): WorkflowFile[] {
            return workflows.map((wf) => {
                if (wf.file !== file) return wf;
                const text = wf.text.replace(from, to);
                if (text === wf.text) throw new MutationError(`${file}: ${String(from)} not found; the mutation changes nothing`);
                return parseWorkflowText(file, text);
            });
        }
        const one = (file: string, from: string | RegExp, to: string) => byFile(broken(file, from, to), file);
        const sha = /@[0-9a-f]{40}/;

        const cases: [string, () => void][] = [
            ["a tag instead of a SHA", () => checkPinnedActions(one("ci.yml", sha, "@v6"))],
            ["a short SHA", () => checkPinnedActions(one("ci.yml", sha, "@de0fac2"))],
            ["a SHA without its version comment", () => checkPinnedActions(one("ci.yml", / # v6\.0\.2/, ""))],
            ["top-level write access", () => checkTopLevelPermissions(one("ci.yml", "permissions:\n  contents: read", "permissions:\n  contents: write"))],
            ["no top-level permissions", () => checkTopLevelPermissions(one("ci.yml", "permissions:\n  contents: read\n", ""))],
            ["a job writing contents", () => checkJobPermissions(one("deploy-dev.yml", "      contents: read\n", "      contents: write\n"))],
            ["id-token: write on a job without a role", () => checkJobPermissions(one("ci.yml", "    timeout-minutes: 30\n", "    timeout-minutes: 30\n    permissions:\n      id-token: write\n"))],
            ["a job without a timeout", () => checkTimeouts(one("promote.yml", / {4}timeout-minutes: \d+\n/, ""))],
            ["access keys from secrets", () => checkAwsCredentials(one("deploy-dev.yml", "          role-to-assume: ${{ vars.DEV_DEPLOY_ROLE_ARN }}", "          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n          role-to-assume: ${{ vars.DEV_DEPLOY_ROLE_ARN }}"))],
            ["a role ARN from a secret", () => checkAwsCredentials(one("deploy-dev.yml", "${{ vars.DEV_DEPLOY_ROLE_ARN }}", "${{ secrets.DEPLOY_ROLE }}"))],
            ["a role variable of another name", () => checkAwsCredentials(one("deploy-dev.yml", "${{ vars.DEV_DEPLOY_ROLE_ARN }}", "${{ vars.DEV_ROLE }}"))],
            ["a role without id-token: write", () => checkAwsCredentials(one("promote.yml", "      id-token: write # OIDC token for the shared account's role\n", ""))],
            ["npm run of a missing script", () => checkScriptsAndFiles(one("deploy-dev.yml", "run: npm run build-and-push", "run: npm run build-and-pushh"))],
            ["bash of a missing file", () => checkScriptsAndFiles(one("ci.yml", "bash .ci/run", "bash .ci/runn"))],
            ["a fixed Node version beside the image's", () => checkNode(one("preview.yml", "node-version-file: .nvmrc", "node-version: 20"))],
            ["ci.yml on another Node version", () => checkNode(one("ci.yml", "node-version: 22", "node-version: 20"))],
            ["two commits of one action", () => checkOnePinPerAction(broken("ci.yml", sha, "@08c6903cd8c0fde910a37f88322edcfb5dd907a8"))],
            ["a stack deployed with another account's role", () => checkPulumiSteps(broken("deploy-dev.yml", "${{ vars.PULUMI_ORG }}/dev", "${{ vars.PULUMI_ORG }}/staging"))],
            ["up on a pull request", () => checkPulumiSteps(broken("preview.yml", "command: preview", "command: up"))],
            ["a matrix entry with the wrong role", () => checkPulumiSteps(broken("preview.yml", "role-arn: ${{ vars.PROD_READ_ONLY_ROLE_ARN }}", "role-arn: ${{ vars.STAGING_READ_ONLY_ROLE_ARN }}"))],
            ["a pull request with prod's deploy role", () => checkDeployRolesGated(one("preview.yml", "role-arn: ${{ vars.PROD_READ_ONLY_ROLE_ARN }}", "role-arn: ${{ vars.PROD_DEPLOY_ROLE_ARN }}"))],
            ["a preview whose provider assumes the deploy role", () => checkPulumiSteps(broken("preview.yml", "          ECS_LOADLAB_PROVIDER_ROLE: read-only\n", ""))],
            ["a deploy role outside a GitHub environment", () => checkDeployRolesGated(one("deploy-dev.yml", /\n {4}environment: dev/, ""))],
            ["promote with the target's role", () => checkRegistryStepsUseSharedRole(broken("promote.yml", "${{ vars.SHARED_DEPLOY_ROLE_ARN }}", "${{ vars.PROD_DEPLOY_ROLE_ARN }}"))],
            ["a stack file without a preview", () => checkPreviewMatrix(broken("preview.yml", /\n {10}- stack: prod\n {12}role-arn: .*/, ""))],
            ["a preview of a stack without a stack file", () => checkPreviewMatrix(broken("preview.yml", "- stack: prod", "- stack: qa"))],
            ["ci without pushes to main", () => checkCi(broken("ci.yml", "    branches: [main]", "    branches: [develop]"))],
            ["ci without the runner's Chrome for the browser test", () => checkCi(broken("ci.yml", "          CHROMIUM_PATH: /usr/bin/google-chrome\n", ""))],
            ["promote also on push", () => checkPromote(broken("promote.yml", "on:\n", "on:\n  push:\n"))],
            ["promote in a fixed environment", () => checkPromoteTargetsDisjoint(broken("promote.yml", "environment: ${{ inputs.to }}", "environment: staging"))],
            ["prod reachable from a staging run: the load test without its condition", () => checkPromoteTargetsDisjoint(broken("promote.yml", "needs: [promote, deploy]\n    if: inputs.to == 'staging'\n", "needs: [promote, deploy]\n"))],
            ["the load test in a run into prod", () => checkPromoteTargetsDisjoint(broken("promote.yml", "needs: [promote, deploy]\n    if: inputs.to == 'staging'\n", "needs: [promote, deploy]\n    if: inputs.to == 'prod'\n"))],
            ["a staging run with prod's deploy role", () => checkPromoteTargetsDisjoint(broken("promote.yml", "if: inputs.to == 'prod'", "if: inputs.to == 'staging'"))],
            ["the load test in prod's environment", () => checkPromoteTargetsDisjoint(broken("promote.yml", "    environment: staging\n", "    environment: prod\n"))],
            ["an upload-artifact pinned by tag", () => checkPinnedActions(one("promote.yml", /actions\/upload-artifact@[0-9a-f]{40}/, "actions/upload-artifact@v7"))],
            ["the load test without a timeout", () => checkTimeouts(one("promote.yml", "    timeout-minutes: 120\n", ""))],
            [
                "id-token: write on promote without its role",
                () => checkJobPermissions(one("promote.yml", / {6}- name: AWS credentials \(shared account\)\n(?: {8}.*\n)+?(?= {6}# Into prod)/, "")),
            ],
            ["the verdict recorded with the loadgen role", () => checkPromote(broken("promote.yml", /SHARED_DEPLOY_ROLE_ARN(?= \}\}\n {10}role-session-name: ecs-loadlab-load-test)/, "LOADGEN_DEPLOY_ROLE_ARN"))],
            ["staging observed with its deploy role", () => checkPromote(broken("promote.yml", "vars.STAGING_READ_ONLY_ROLE_ARN", "vars.STAGING_DEPLOY_ROLE_ARN"))],
            ["the load test run with the shared role", () => checkPromote(broken("promote.yml", "vars.LOADGEN_DEPLOY_ROLE_ARN", "vars.SHARED_DEPLOY_ROLE_ARN"))],
            ["the summary only when every step passed", () => checkPromote(broken("promote.yml", /(- name: Job summary\n {8}if: )always\(\) && /, "$1"))],
            ["the artifacts only when every step passed", () => checkPromote(broken("promote.yml", /(- name: Artifacts \(result, timeline, report\)\n) {8}if: [^\n]*\n/, "$1"))],
            ["a failed threshold that fails the job before its summary", () => checkPromote(broken("promote.yml", " || status=$?", ""))],
            ["prod promoted without the verdict check", () => checkPromote(broken("promote.yml", 'if [[ -n "$REASON" ]]; then args+=(--without-load-test "$REASON"); fi', 'args+=(--without-load-test "${REASON:-none given}")'))],
            ["a profile that is not checked", () => checkPromote(broken("promote.yml", ' || ! -f "k6/$PROFILE.ts"', ""))],
            ["a task count that is not checked", () => checkPromote(broken("promote.yml", 'if [[ ! "$TASKS" =~ ^[1-9][0-9]*$ ]]; then', "if false; then"))],
            ["a reason to skip the load test accepted for staging", () => checkPromote(broken("promote.yml", '            if [[ -n "$REASON" ]]; then\n', "            if false; then\n"))],
            ["the load test before the deployment", () => checkPromote(broken("promote.yml", "needs: [promote, deploy]", "needs: [promote]"))],
            ["a Pulumi step that installs the CLI and names a stack", () => checkPulumiSteps(broken("promote.yml", "      - name: Pulumi CLI\n        uses: pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0\n", "      - name: Pulumi CLI\n        uses: pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0\n        with:\n          stack-name: staging\n"))],
            ["promotions that cancel each other", () => checkPromote(broken("promote.yml", "cancel-in-progress: false", "cancel-in-progress: true"))],
            ["deploy before the push", () => checkDeployDev(broken("deploy-dev.yml", "needs: build-and-push", "needs: shared"))],
            ["buildx with the docker-container driver", () => checkDeployDev(broken("deploy-dev.yml", "          driver: docker\n", ""))],
        ];
        for (const [title, breakIt] of cases) {
            it(title, () => assert.throws(breakIt, (error) => error instanceof Error && !(error instanceof MutationError)));
        }

        it("a job the fixture cannot read a subject for", () => {
            const pushAnyBranch = broken("deploy-dev.yml", "    branches: [main]", "    branches: ['release/*']");
            const wf = byFile(pushAnyBranch, "deploy-dev.yml");
            const jobWithoutEnvironment = parseWorkflowText(wf.file, wf.text.replace(/ {4}environment: dev\n/g, ""));
            assert.throws(() => roleAssumptions([jobWithoutEnvironment]), /branch pattern/);
        });

        it("a workflow that fails GitHub's schema", async () => {
            assert.notDeepEqual(await schemaErrors(parser, one("ci.yml", "timeout-minutes: 30", "timeout-minutes: soon")), []);
            assert.notDeepEqual(await schemaErrors(parser, one("deploy-dev.yml", "needs: shared", "needs: build")), []);
            assert.notDeepEqual(await schemaErrors(parser, one("preview.yml", "id-token: write", "id_token: write")), []);
        });
    });
});
