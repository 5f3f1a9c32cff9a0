import { UnknownValueError as PolicyUnknownValueError } from "@pulumi/policy";

/** What the policy SDK's proxy throws on reading a value preview cannot know; the SDK exports the class but not its type. */
export const UnknownValueError: abstract new (...args: never[]) => Error = PolicyUnknownValueError;
export type UnknownValueError = Error;

/**
 * How every policy of the pack treats values `pulumi preview` cannot know yet (the ARN of a bucket not created,
 * a document built from it). Reading one throws Pulumi's UnknownValueError; each check below stops only
 * itself, the others still run and report what they find, and the first unknown is rethrown at the end. The engine
 * turns it into an advisory "can't run policy … during preview" that names the value: not a violation, and not a
 * pass that hides one. `pulumi up` runs the policies again with the values known (a resource's before it is
 * created, the stack's once the update has run).
 */
export function checkEach<T>(items: Iterable<T>, check: (item: T) => void): void {
    let deferred: UnknownValueError | undefined;
    for (const item of items) {
        try {
            check(item);
        } catch (error) {
            if (!(error instanceof UnknownValueError)) throw error;
            deferred ??= error;
        }
    }
    if (deferred) throw deferred;
}

/** Runs independent checks of one resource the same way. */
export function checkAll(...checks: (() => void)[]): void {
    checkEach(checks, (check) => check());
}

export type Peeked<T> = { known: true; value: T } | { known: false; error: UnknownValueError };

/** Reads a value that may be unknown without giving up: the caller decides what an unknown means. */
export function peek<T>(read: () => T): Peeked<T> {
    try {
        return { known: true, value: read() };
    } catch (error) {
        if (error instanceof UnknownValueError) return { known: false, error };
        throw error;
    }
}
