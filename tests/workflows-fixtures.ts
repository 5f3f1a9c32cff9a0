import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT, STACK_FILES_DIR } from "./environment-fixtures";

/**
 * The GitHub Actions workflows in .github/workflows, read as plain data, and what follows from them: which jobs
 * assume which AWS deploy role, and the OIDC subject (`sub`) GitHub puts in the token each of those jobs presents.
 * tests/workflows.test.ts validates the workflows; the bootstrap stacks' tests can check with
 * workflowOidcSubjects() that each account's deploy role trusts exactly the subjects the workflows present.
 *
 * Only what the shipped workflows use is interpreted: matrices of `include` entries or plain dimensions,
 * `${{ matrix.<key> }}` and `${{ inputs.<name> }}` substitutions, and job and step conditions of the form
 * `inputs.<name> == '<value>'`. Anything else on the way to a role or a subject is an error, never a guess.
 */

export { REPO_ROOT };
export const WORKFLOWS_DIR = path.join(REPO_ROOT, ".github", "workflows");

/** Stands for `<owner>/<repository>` in the subjects: the repository is the bootstrap stack's config, not the workflows'. */
export const REPOSITORY = "{repository}";

/** The action that turns a GitHub OIDC token into AWS credentials for a role. */
export const AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials";

export interface Step {
    id?: string;
    name?: string;
    if?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, unknown>;
}

export interface Job {
    name?: string;
    "runs-on"?: unknown;
    "timeout-minutes"?: unknown;
    environment?: string | { name: string; url?: string };
    permissions?: string | Record<string, string>;
    needs?: string | string[];
    if?: string;
    outputs?: Record<string, string>;
    env?: Record<string, unknown>;
    strategy?: { matrix?: Record<string, unknown> | string; "fail-fast"?: unknown };
    concurrency?: unknown;
    steps?: Step[];
}

export interface Workflow {
    name?: string;
    on?: unknown;
    permissions?: string | Record<string, string>;
    concurrency?: unknown;
    jobs: Record<string, Job>;
}

export interface WorkflowFile {
    /** File name in .github/workflows, e.g. `promote.yml`. */
    file: string;
    text: string;
    workflow: Workflow;
}

/** One way a job runs: a matrix entry and a combination of workflow_dispatch choices. */
export interface Variant {
    matrix: Record<string, string>;
    inputs: Record<string, string>;
}

export function loadWorkflows(dir = WORKFLOWS_DIR): WorkflowFile[] {
    return fs
        .readdirSync(dir)
        .filter((file) => /\.ya?ml$/.test(file))
        .sort()
        .map((file) => parseWorkflowText(file, fs.readFileSync(path.join(dir, file), "utf8")));
}

export function parseWorkflowText(file: string, text: string): WorkflowFile {
    const workflow = parseYaml(text) as Workflow;
    if (typeof workflow !== "object" || workflow === null || typeof workflow.jobs !== "object" || workflow.jobs === null) {
        throw new Error(`${file}: not a workflow (no jobs)`);
    }
    return { file, text, workflow };
}

/** The workflow's events with their filters, from any of the three forms `on` takes (string, list, map). */
export function workflowEvents(workflow: Workflow): Record<string, Record<string, unknown>> {
    const on = workflow.on;
    if (typeof on === "string") return { [on]: {} };
    if (Array.isArray(on)) return Object.fromEntries(on.map((event: string) => [event, {}]));
    if (typeof on === "object" && on !== null) {
        return Object.fromEntries(Object.entries(on).map(([event, filters]) => [event, (filters ?? {}) as Record<string, unknown>]));
    }
    throw new Error("the workflow has no `on`");
}

export interface ChoiceInput {
    name: string;
    options: string[];
}

/** The workflow_dispatch inputs of type choice, each with its options. */
export function choiceInputs(workflow: Workflow): ChoiceInput[] {
    const dispatch = workflowEvents(workflow).workflow_dispatch;
    const inputs = (dispatch?.inputs ?? {}) as Record<string, { type?: string; options?: unknown[] }>;
    return Object.entries(inputs)
        .filter(([, input]) => input.type === "choice")
        .map(([name, input]) => ({ name, options: (input.options ?? []).map(String) }));
}

function cartesian(dimensions: [string, string[]][]): Record<string, string>[] {
    return dimensions.reduce<Record<string, string>[]>(
        (combinations, [key, values]) => combinations.flatMap((combination) => values.map((value) => ({ ...combination, [key]: value }))),
        [{}],
    );
}

function matrixEntries(job: Job): Record<string, string>[] {
    const matrix = job.strategy?.matrix;
    if (matrix === undefined) return [{}];
    if (typeof matrix !== "object" || matrix === null) throw new Error(`a matrix from an expression cannot be read: ${String(matrix)}`);
    const { include, exclude, ...dimensions } = matrix as Record<string, unknown>;
    if (exclude !== undefined) throw new Error("matrix exclude is not interpreted here");
    const lists = Object.entries(dimensions).map(([key, values]): [string, string[]] => {
        if (!Array.isArray(values)) throw new Error(`matrix.${key} is not a list`);
        return [key, values.map(String)];
    });
    if (include !== undefined && lists.length > 0) throw new Error("a matrix with both dimensions and include is not interpreted here");
    if (include === undefined) return cartesian(lists);
    if (!Array.isArray(include)) throw new Error("matrix.include is not a list");
    return include.map((entry: Record<string, unknown>) => Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, String(value)])));
}

/**
 * Every way the job runs: each matrix entry, times each combination of the workflow_dispatch choices, for which its
 * own `if` (when it is one of the form this module reads) holds. A job condition of another form on a workflow with
 * choices is an error: which runs it takes part in cannot be told.
 */
export function jobVariants(workflow: Workflow, job: Job): Variant[] {
    const choices = choiceInputs(workflow);
    const inputCombinations = cartesian(choices.map((input): [string, string[]] => [input.name, input.options]));
    const variants = matrixEntries(job).flatMap((matrix) => inputCombinations.map((inputs) => ({ matrix, inputs })));
    if (job.if === undefined || choices.length === 0) return variants;
    return variants.filter((variant) => {
        const holds = inputCondition(job.if, variant);
        if (holds === undefined) throw new Error(`cannot tell in which runs the job runs: if: ${String(job.if)}`);
        return holds;
    });
}

export function describeVariant(variant: Variant): string {
    const parts = [
        ...Object.entries(variant.matrix).map(([key, value]) => `matrix.${key}=${value}`),
        ...Object.entries(variant.inputs).map(([key, value]) => `inputs.${key}=${value}`),
    ];
    return parts.length === 0 ? "" : ` [${parts.join(", ")}]`;
}

/** Replaces `${{ matrix.<key> }}` and `${{ inputs.<name> }}` with the variant's values; leaves every other expression as it is. */
export function substitute(template: string, variant: Variant): string {
    return template.replace(/\$\{\{\s*(matrix|inputs)\.([\w-]+)\s*\}\}/g, (expression, context: "matrix" | "inputs", key: string) => {
        const value = variant[context][key];
        if (value === undefined) throw new Error(`${expression}: the variant has no ${context}.${key}`);
        return value;
    });
}

/** Whether `inputs.<name> == '<value>'` holds in the variant; undefined for a condition of any other form. */
function inputCondition(condition: unknown, variant: Variant): boolean | undefined {
    const match = /^\s*(?:\$\{\{)?\s*inputs\.([\w-]+)\s*==\s*'([^']*)'\s*(?:\}\})?\s*$/.exec(String(condition));
    if (!match) return undefined;
    const value = variant.inputs[match[1]];
    if (value === undefined) throw new Error(`if: ${String(condition)}: inputs.${match[1]} is not a choice input`);
    return value === match[2];
}

/** Whether a step runs in the variant: true, false, or undefined when its condition is not one this module reads. */
export function stepRuns(step: Step, variant: Variant): boolean | undefined {
    return step.if === undefined ? true : inputCondition(step.if, variant);
}

/** `owner/repo[/path]` of a step's `uses`, without the ref. */
export function actionName(uses: string): string {
    return uses.split("@")[0];
}

export function isAwsCredentialsStep(step: Step): boolean {
    return step.uses !== undefined && actionName(step.uses) === AWS_CREDENTIALS_ACTION;
}

/** The repository variable holding the role a credentials step assumes, e.g. `SHARED_DEPLOY_ROLE_ARN`. */
export function roleVariable(step: Step, variant: Variant): string {
    const expression = substitute(String(step.with?.["role-to-assume"] ?? ""), variant);
    const variable = /^\$\{\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(expression);
    if (!variable) throw new Error(`role-to-assume is not one repository variable: ${JSON.stringify(expression)}`);
    return variable[1];
}

/**
 * For each step of the job in the variant, the role variable whose credentials are in effect when it runs
 * (the last credentials step before it that runs), or undefined before any.
 */
export function rolesInEffect(job: Job, variant: Variant): (string | undefined)[] {
    let current: string | undefined;
    return (job.steps ?? []).map((step) => {
        const inEffect = current;
        if (isAwsCredentialsStep(step)) {
            const runs = stepRuns(step, variant);
            if (runs === undefined) throw new Error(`cannot tell when the credentials step runs: if: ${step.if}`);
            if (runs) current = roleVariable(step, variant);
        }
        return inEffect;
    });
}

/** The roles the job assumes in the variant, in step order. */
export function rolesAssumed(job: Job, variant: Variant): string[] {
    const roles = (job.steps ?? [])
        .filter(isAwsCredentialsStep)
        .filter((step) => {
            const runs = stepRuns(step, variant);
            if (runs === undefined) throw new Error(`cannot tell when the credentials step runs: if: ${step.if}`);
            return runs;
        })
        .map((step) => roleVariable(step, variant));
    return [...new Set(roles)];
}

/** The GitHub environment the job names in the variant, if any. */
export function jobEnvironment(job: Job, variant: Variant): string | undefined {
    if (job.environment === undefined) return undefined;
    const name = substitute(typeof job.environment === "string" ? job.environment : job.environment.name, variant);
    if (name.includes("${{")) throw new Error(`environment ${JSON.stringify(name)} is an expression this module does not read`);
    return name;
}

/**
 * The `sub` claims of the OIDC tokens a job can get (GitHub's default subject format): its environment's when it
 * names one, else one per event and branch the workflow runs on.
 */
export function oidcSubjects(workflow: Workflow, job: Job, variant: Variant): string[] {
    const environment = jobEnvironment(job, variant);
    if (environment !== undefined) return [`repo:${REPOSITORY}:environment:${environment}`];
    return Object.entries(workflowEvents(workflow)).flatMap(([event, filters]) => {
        switch (event) {
            case "pull_request":
                return [`repo:${REPOSITORY}:pull_request`];
            case "push": {
                const branches = filters.branches;
                if (!Array.isArray(branches) || branches.length === 0 || filters.tags !== undefined) {
                    throw new Error("a push job without an environment must name its branches (and no tags): its subject is the ref");
                }
                return branches.map((branch: string) => {
                    if (/[*?[\]!+]/.test(branch)) throw new Error(`branch pattern ${branch}: the subject would be every branch it matches`);
                    return `repo:${REPOSITORY}:ref:refs/heads/${branch}`;
                });
            }
            default:
                throw new Error(`a ${event} job without an environment presents the subject of whatever ref it runs on`);
        }
    });
}

export interface RoleAssumption {
    workflow: string;
    job: string;
    variant: string;
    roleVariable: string;
    subject: string;
}

/** Every (job, variant, role, subject) of the workflows: which role each job assumes, with which OIDC subject. */
export function roleAssumptions(workflows: WorkflowFile[] = loadWorkflows()): RoleAssumption[] {
    return workflows.flatMap(({ file, workflow }) =>
        Object.entries(workflow.jobs).flatMap(([jobId, job]) =>
            jobVariants(workflow, job).flatMap((variant) => {
                const roles = rolesAssumed(job, variant);
                if (roles.length === 0) return [];
                const subjects = oidcSubjects(workflow, job, variant);
                return roles.flatMap((role) =>
                    subjects.map((subject) => ({ workflow: file, job: jobId, variant: describeVariant(variant), roleVariable: role, subject })),
                );
            }),
        ),
    );
}

/**
 * For every job that assumes an AWS role, the repository variable naming the role (e.g. `SHARED_DEPLOY_ROLE_ARN`)
 * and the OIDC subject its token carries, with `{repository}` standing for `<owner>/<repository>`:
 * `repo:{repository}:pull_request`, `repo:{repository}:environment:<name>` or `repo:{repository}:ref:refs/heads/<branch>`.
 * Each pair once, sorted by role variable, then subject.
 */
export function workflowOidcSubjects(): { roleVariable: string; subject: string }[] {
    const pairs = new Map<string, { roleVariable: string; subject: string }>();
    for (const { roleVariable, subject } of roleAssumptions()) pairs.set(`${roleVariable} ${subject}`, { roleVariable, subject });
    return [...pairs.values()].sort((a, b) => a.roleVariable.localeCompare(b.roleVariable) || a.subject.localeCompare(b.subject));
}

/** Stack files (tests/environment-fixtures.ts: the repository root's, unless a test points elsewhere), by stack name, with their `ecs-loadlab:role`. */
export function stackFileRoles(root = STACK_FILES_DIR): Map<string, string> {
    const roles = new Map<string, string>();
    for (const file of fs.readdirSync(root).sort()) {
        const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1];
        if (stack === undefined) continue;
        const document = parseYaml(fs.readFileSync(path.join(root, file), "utf8")) as { config?: Record<string, unknown> } | null;
        roles.set(stack, String(document?.config?.["ecs-loadlab:role"] ?? ""));
    }
    return roles;
}

const accountRoleVariable = (stack: string, role: string) => `${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_${role}_ROLE_ARN`;

/** The repository variable of a stack's account deploy role: `dev` → `DEV_DEPLOY_ROLE_ARN`. */
export const deployRoleVariable = (stack: string): string => accountRoleVariable(stack, "DEPLOY");

/** The repository variable of a stack's account read-only role: `dev` → `DEV_READ_ONLY_ROLE_ARN`. */
export const readOnlyRoleVariable = (stack: string): string => accountRoleVariable(stack, "READ_ONLY");
