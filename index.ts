import { loadStackConfig } from "./config";
import { buildEnvironmentStack } from "./stacks/environment";
import { buildSharedStack } from "./stacks/shared";

// The stack's role is explicit config (ecs-loadlab:role), never inferred from the stack's name.
const config = loadStackConfig();

export = config.role === "shared" ? buildSharedStack(config) : buildEnvironmentStack(config);
