/**
 * A loadgen stack's outputs, read with the Pulumi Automation API (the user's own Pulumi CLI, backend and login) and
 * checked against what the command needs, so a wrong stack name or an environment stack fails before anything starts.
 * The reading and checking are ../stack-outputs.ts's; this module holds the loadgen stack's contract.
 */
import { z } from "zod";
import { LOADGEN_OUTPUT_NAMES, LoadgenStackOutputs } from "../../loadgen/src/contract";
import { StackOutputsContract, StackOutputsReader, automationApiOutputs, readStackOutputs } from "../stack-outputs";

// The generic part lives in ../stack-outputs.ts (timeline observe reads environment stacks with it) and the project's
// folder in ../stack-file.ts; re-exported so the loadtest's modules and tests keep importing them from here.
export { PROJECT_DIR } from "../stack-file";
export { StackOutputsError, automationApiOutputs } from "../stack-outputs";
export type { StackOutputsReader } from "../stack-outputs";

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

const LOADGEN_CONTRACT: StackOutputsContract<LoadgenStackOutputs> = {
    role: "loadgen",
    kind: "a loadgen stack",
    names: LOADGEN_OUTPUT_NAMES,
    schema: outputsSchema,
};

export function readLoadgenOutputs(stackName: string, read: StackOutputsReader = automationApiOutputs): Promise<LoadgenStackOutputs> {
    return readStackOutputs(stackName, LOADGEN_CONTRACT, read);
}
