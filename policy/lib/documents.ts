/** IAM policy documents as the resources carry them: a JSON string, or the object `aws.iam.PolicyDocument` types. */

export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | Record<string, string | string[]>;
    NotPrincipal?: unknown;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

export const asList = <T>(value: T | T[] | undefined | null): T[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

/** The statements of a document; a document that is not JSON is a violation the caller reports (a DocumentError). */
export function statementsOf(document: unknown, what: string): Statement[] {
    const parsed = parseDocument(document, what);
    if (typeof parsed !== "object" || parsed === null || !("Statement" in parsed)) throw new DocumentError(`${what} has no Statement`);
    return asList((parsed as { Statement: Statement | Statement[] }).Statement);
}

export class DocumentError extends Error {}

/** A document a resource holds as JSON text (or already as an object); text that does not parse is a DocumentError. */
export function parseDocument(document: unknown, what: string): unknown {
    if (typeof document !== "string") return document;
    try {
        return JSON.parse(document);
    } catch (error) {
        if (error instanceof SyntaxError) throw new DocumentError(`${what} is not JSON`);
        throw error;
    }
}

/** The Allow statements of a document, with their actions listed. */
export function allowedActions(document: unknown, what: string): { statement: Statement; actions: string[] }[] {
    return statementsOf(document, what)
        .filter((s) => s.Effect === "Allow")
        .map((statement) => ({ statement, actions: asList(statement.Action) }));
}

/** A statement's principals of one kind (`AWS`, `Service`), with `"*"` standing for everyone. */
export function principalsOf(statement: Statement, kind: "AWS" | "Service"): string[] {
    if (statement.Principal === "*") return kind === "AWS" ? ["*"] : [];
    return asList(statement.Principal?.[kind]);
}
