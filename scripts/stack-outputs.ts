/**
 * A stack's outputs, read with the Pulumi Automation API (the user's own Pulumi CLI, backend and login) and checked
 * against what a command needs from them (a contract: the output names and a zod schema), so a wrong stack name, a
 * stack of another role, or one deployed before an output existed fails with what to do, before anything starts.
 * Shared by the tools in scripts/ that read stacks (loadtest: a loadgen stack; timeline observe: an environment stack).
 */
import { z } from "zod";
import { PROJECT_DIR } from "./stack-file";

/** Reads a stack's outputs as plain values; the Automation API by default, something else in tests. */
export type StackOutputsReader = (stackName: string) => Promise<Record<string, unknown>>;

export class StackOutputsError extends Error {}

/** What a command needs of a stack's outputs. */
export interface StackOutputsContract<T> {
    /** The stack's role as config names it (`ecs-loadlab:role`), e.g. "loadgen". */
    role: string;
    /** How messages name such a stack, e.g. "a loadgen stack". */
    kind: string;
    /** The outputs the command needs. */
    names: readonly string[];
    /** Checks them; what it returns is what the command gets (other outputs are dropped). */
    schema: z.ZodType<T>;
}

export async function automationApiOutputs(stackName: string): Promise<Record<string, unknown>> {
    // Loaded here, not at the top: the Automation API is only needed when a stack is read.
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const stack = await LocalWorkspace.selectStack({ stackName, workDir: PROJECT_DIR });
    const outputs = await stack.outputs();
    return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value as unknown]));
}

/**
 * The line that says what went wrong. The Automation API's CommandError reads "code: <n>\n stdout: ...\n stderr:
 * ...\n err?: ...\n" (CommandResult.toString): what the Pulumi CLI said is in stderr, else in err.
 */
function failureLine(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    const result = /\n stderr: ([^]*)\n err\?: ([^]*)$/.exec(message);
    const lines = (result ? [result[1], result[2]] : [message]).flatMap((text) => text.split("\n")).map((line) => line.trim());
    return lines.find((line) => line !== "") ?? message;
}

/** Checks outputs (however they were read) against the contract, naming the stack and what to do. */
export function checkStackOutputs<T>(stackName: string, outputs: Record<string, unknown>, contract: StackOutputsContract<T>): T {
    const missing = contract.names.filter((name) => outputs[name] === undefined);
    if (missing.length === contract.names.length) {
        throw new StackOutputsError(
            `stack ${stackName} has none of ${contract.kind}'s outputs: is it ${contract.kind} (ecs-loadlab:role: ${contract.role}), and deployed (pulumi up -s ${stackName})?`,
        );
    }
    if (missing.length > 0) {
        throw new StackOutputsError(`stack ${stackName} lacks the outputs ${missing.join(", ")}: update it with this checkout (pulumi up -s ${stackName})`);
    }
    const parsed = contract.schema.safeParse(outputs);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
        throw new StackOutputsError(`stack ${stackName}'s outputs are not what ${contract.kind} exports: ${problems}`);
    }
    return parsed.data;
}

/** Reads a stack's outputs with `read` (the Pulumi CLI by default) and checks them against the contract. */
export async function readStackOutputs<T>(stackName: string, contract: StackOutputsContract<T>, read: StackOutputsReader = automationApiOutputs): Promise<T> {
    let outputs: Record<string, unknown>;
    try {
        outputs = await read(stackName);
    } catch (error) {
        throw new StackOutputsError(`cannot read the outputs of stack ${stackName} with the Pulumi CLI: ${failureLine(error)}`);
    }
    return checkStackOutputs(stackName, outputs, contract);
}
