import { loadStackConfig } from "./config";
import { buildStack } from "./stacks";

// The stack's role is explicit config (ecs-loadlab:role), never inferred from the stack's name.
export = buildStack(loadStackConfig());
