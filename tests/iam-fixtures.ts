/** Reading IAM policy documents in tests: statements, wildcard matching as IAM does it, what a set of statements allows. */

export interface IamStatement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export const asList = <V>(value: V | V[]): V[] => (Array.isArray(value) ? value : [value]);

/** IAM's wildcard matching of an action or resource pattern (`*` any run, `?` one character), case-insensitive for actions. */
export function matches(pattern: string, value: string, caseInsensitive = false): boolean {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, caseInsensitive ? "i" : "");
    return regex.test(value);
}

/** The Allow statements whose actions include `action` (conditions not evaluated: they are asserted separately). */
export const allowing = <S extends IamStatement>(statements: S[], action: string): S[] =>
    statements.filter((s) => s.Effect === "Allow" && asList(s.Action).some((pattern) => matches(pattern, action, true)));

/**
 * Whether `statements` allow `action` on every resource `resource` names: some Allow statement's action pattern
 * matches the action and one of its resource patterns matches the resource, its own wildcards read as literal
 * characters (a pattern that covers `bucket/runs/*` as text covers every object that `runs/*` stands for).
 */
export const allows = (statements: IamStatement[], action: string, resource: string): boolean =>
    allowing(statements, action).some((s) => asList(s.Resource).some((pattern) => matches(pattern, resource)));
