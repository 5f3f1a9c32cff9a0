/** The environment stack file both `timeline simulate` and `timeline observe` start from. */
import * as path from "node:path";
import { ConfigError, EnvironmentStackConfig, loadStackConfigFile } from "../../config";
import { InputError } from "./timeline";

/** The stack file as the stacks read it, refusing a missing file, an invalid config and other roles. */
export function readEnvironmentStack(file: string): EnvironmentStackConfig {
    let config;
    try {
        config = loadStackConfigFile(file);
    } catch (error) {
        if (error instanceof ConfigError) throw new InputError(error.message);
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            throw new InputError(`stack file ${file} does not exist: pass an environment stack file, e.g. --stack Pulumi.dev.yaml`);
        }
        throw new InputError(`cannot read stack file ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (config.role !== "environment") {
        throw new InputError(`${file} is a ${config.role} stack (ecs-loadlab:role: ${config.role}): timelines are for environment stacks, e.g. Pulumi.dev.yaml`);
    }
    return config;
}

/** `Pulumi.dev.yaml` → `dev`: the Pulumi stack a stack file configures. */
export function pulumiStackName(stackFile: string): string | undefined {
    return /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(stackFile))?.[1];
}
