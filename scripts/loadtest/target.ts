/**
 * `--target <stack>`: the environment a run loads, read before anything starts. Its stack file (Pulumi.<stack>.yaml
 * in the project) says which environment it is and in which account and region; its outputs say the URL the service
 * answers on and the exact image it runs (`<repository>@sha256:...`). The run's result carries both (run.target), so
 * its verdict is bound to the digest that was tested. The shared stack file says where verdicts are recorded: the
 * evidence bucket in its account and region (stacks/shared-names.ts).
 */
import * as path from "node:path";
import { z } from "zod";
import type { EnvironmentStackConfig, SharedStackConfig, StackConfig } from "../../config";
import { evidenceBucketName } from "../../stacks/shared-names";
import { EvidenceLocation } from "../release/evidence-store";
import { DIGEST_PATTERN, RunTarget, runTargetSchema } from "../release/verdict";
import { PROJECT_DIR, StackFileWording, StackRole, article, readStackFileOfRole, resolveStack } from "../stack-file";
import { StackOutputsContract, StackOutputsReader, readStackOutputs } from "../stack-outputs";

/** A stack file or outputs that cannot be used as asked: bad input, exit 2. */
export class TargetError extends Error {}

/** An image by digest, as an environment stack deploys it: `<repository url>@sha256:<64 hex>`. */
const IMAGE_BY_DIGEST = new RegExp(`^[^@\\s]+@(${DIGEST_PATTERN.source.replace(/^\^|\$$/g, "")})$`);

export interface TargetOutputs {
    url: string;
    image: string;
}

const TARGET_CONTRACT: StackOutputsContract<TargetOutputs> = {
    role: "environment",
    kind: "an environment stack",
    names: ["url", "image"],
    schema: z.object({
        url: z.url({ protocol: /^https?$/, error: "must be the service's http(s) URL" }),
        image: z.string().regex(IMAGE_BY_DIGEST, "must be the image the service runs by digest, <repository>@sha256:<64 lowercase hex digits>"),
    }),
};

/** The file of a stack `option` gives by name or by file: `staging` (or `org/ecs-loadlab/staging`) → `<dir>/Pulumi.staging.yaml`. */
function stackFileOf(given: string, option: string, dir: string): string {
    return resolveStack(given, (message) => new TargetError(`${option} ${message}`), dir).file;
}

/** A stack file of `role` for `use` (e.g. "--target staging"), refused as a TargetError otherwise. */
function readStackFileFor<R extends StackRole>(file: string, role: R, use: string): Extract<StackConfig, { role: R }> {
    const wording: StackFileWording = {
        unreadable: (error) => `cannot read ${file}: ${error.message}`,
        otherRole: (other) => `${path.basename(file)} is ${article(other)} ${other} stack (ecs-loadlab:role: ${other}): ${use} needs ${article(role)} ${role} stack`,
    };
    return readStackFileOfRole(file, role, wording, (message) => new TargetError(message));
}

/** The environment stack --target names: its file, refused unless it is an environment stack's. */
export function readTargetStackFile(stack: string, dir = PROJECT_DIR): { stackFile: string; config: EnvironmentStackConfig } {
    const stackFile = stackFileOf(stack, "--target", dir);
    return { stackFile, config: readStackFileFor(stackFile, "environment", `--target ${stack}`) };
}

/** What the run's result records of its target: the stack file's environment and the outputs' url and image. */
export function runTargetOf(stack: string, config: EnvironmentStackConfig, outputs: TargetOutputs): RunTarget {
    const digest = IMAGE_BY_DIGEST.exec(outputs.image)?.[1];
    return runTargetSchema.parse({ stack, environment: config.environment.name, url: outputs.url, image: outputs.image, digest });
}

/** Reads --target's stack file and outputs (the Pulumi CLI, or `read` in tests). */
export async function resolveTarget(stack: string, read: StackOutputsReader, dir = PROJECT_DIR): Promise<{ target: RunTarget; stackFile: string; config: EnvironmentStackConfig }> {
    const { stackFile, config } = readTargetStackFile(stack, dir);
    const outputs = await readStackOutputs(stack, TARGET_CONTRACT, read);
    return { target: runTargetOf(stack, config, outputs), stackFile, config };
}

/** The shared stack file: --shared-stack-file (a stack's name or file), else Pulumi.shared.yaml in the project. */
export function sharedStackFileOf(given: string | undefined, dir = PROJECT_DIR): string {
    return stackFileOf(given ?? "shared", "--shared-stack-file", dir);
}

/**
 * Where the verdicts of `environment` go: the evidence bucket of the shared stack the file configures, refused when
 * that shared stack does not list the environment (the file of another project's shared stack).
 */
export function evidenceLocationFor(sharedStackFile: string, environment: string): { location: EvidenceLocation; shared: SharedStackConfig } {
    const shared = readStackFileFor(sharedStackFile, "shared", "recording a verdict");
    const names = shared.environments.map((candidate) => candidate.name);
    if (!names.includes(environment)) {
        throw new TargetError(
            `${path.basename(sharedStackFile)} lists the environments ${names.join(", ")}, not ${environment}: pass the shared stack file of ${environment}'s registry with --shared-stack-file`,
        );
    }
    const { accountId, region } = shared.aws;
    return { location: { bucket: evidenceBucketName(accountId, region), region }, shared };
}
