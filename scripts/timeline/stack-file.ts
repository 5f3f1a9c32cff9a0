/** The environment stack file both `timeline simulate` and `timeline observe` start from. */
import type { EnvironmentStackConfig } from "../../config";
import { StackFileWording, readStackFileOfRole } from "../stack-file";
import { InputError } from "./timeline";

export { pulumiStackName } from "../stack-file";

/** The stack file as the stacks read it, refusing a missing file, an invalid config and other roles. */
export function readEnvironmentStack(file: string): EnvironmentStackConfig {
    const wording: StackFileWording = {
        unreadable: (error) => `cannot read stack file ${file}: ${error.message}`,
        otherRole: (role) => `${file} is a ${role} stack (ecs-loadlab:role: ${role}): timelines are for environment stacks, e.g. dev`,
    };
    return readStackFileOfRole(file, "environment", wording, (message) => new InputError(message));
}
