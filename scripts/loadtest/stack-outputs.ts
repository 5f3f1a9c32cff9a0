/**
 * A loadgen stack's outputs, read with the Pulumi Automation API (the user's own Pulumi CLI, backend and login) and
 * checked against what the command needs, so a wrong stack name or an environment stack fails before anything starts.
 */
import * as path from "node:path";
import { z } from "zod";
import { LOADGEN_OUTPUT_NAMES, LoadgenStackOutputs } from "../../loadgen/src/contract";

export const PROJECT_DIR = path.join(__dirname, "..", "..");

/** Reads a stack's outputs as plain values; the Automation API by default, something else in tests. */
export type StackOutputsReader = (stackName: string) => Promise<Record<string, unknown>>;

export class StackOutputsError extends Error {}

const outputsSchema = z.object({
    region: z.string().min(1),
    accountId: z.string().regex(/^\d{12}$/),
    clusterArn: z.string().startsWith("arn:"),
    subnetIds: z.array(z.string().min(1)).min(1),
    securityGroupId: z.string().min(1),
    bucketName: z.string().min(1),
    taskDefinitionArn: z.string().startsWith("arn:"),
    taskDefinitionFamily: z.string().min(1),
    containerName: z.string().min(1),
    runnerImage: z.string().min(1),
    repositoryUrl: z.string().min(1),
    repositoryName: z.string().min(1),
    logGroupName: z.string().min(1),
    taskCpu: z.number().int().positive(),
    taskMemory: z.number().int().positive(),
}) satisfies z.ZodType<LoadgenStackOutputs>;

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

export async function readLoadgenOutputs(stackName: string, read: StackOutputsReader = automationApiOutputs): Promise<LoadgenStackOutputs> {
    let outputs: Record<string, unknown>;
    try {
        outputs = await read(stackName);
    } catch (error) {
        throw new StackOutputsError(`cannot read the outputs of stack ${stackName} with the Pulumi CLI: ${failureLine(error)}`);
    }
    const missing = LOADGEN_OUTPUT_NAMES.filter((name) => outputs[name] === undefined);
    if (missing.length === LOADGEN_OUTPUT_NAMES.length) {
        throw new StackOutputsError(`stack ${stackName} has none of a loadgen stack's outputs: is it a loadgen stack (ecs-loadlab:role: loadgen), and deployed (pulumi up -s ${stackName})?`);
    }
    if (missing.length > 0) {
        throw new StackOutputsError(`stack ${stackName} lacks the outputs ${missing.join(", ")}: update it with this checkout (pulumi up -s ${stackName})`);
    }
    const parsed = outputsSchema.safeParse(outputs);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
        throw new StackOutputsError(`stack ${stackName}'s outputs are not what a loadgen stack exports: ${problems}`);
    }
    return parsed.data;
}
