/** The environment stack file both `timeline simulate` and `timeline observe` start from. */
import * as path from "node:path";
import type { EnvironmentStackConfig } from "../../config";
import { StackFileWording, readStackFileOfRole } from "../stack-file";
import { InputError } from "./timeline";

/** The stack file as the stacks read it, refusing a missing file, an invalid config and other roles. */
export function readEnvironmentStack(file: string): EnvironmentStackConfig {
    const wording: StackFileWording = {
        unreadable: (error) =>
            error.code === "ENOENT"
                ? `stack file ${file} does not exist: pass an environment stack file, e.g. --stack Pulumi.dev.yaml`
                : `cannot read stack file ${file}: ${error.message}`,
        otherRole: (role) => `${file} is a ${role} stack (ecs-loadlab:role: ${role}): timelines are for environment stacks, e.g. Pulumi.dev.yaml`,
    };
    return readStackFileOfRole(file, "environment", wording, (message) => new InputError(message));
}

/** `Pulumi.dev.yaml` → `dev`: the Pulumi stack a stack file configures. */
export function pulumiStackName(stackFile: string): string | undefined {
    return /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(stackFile))?.[1];
}
