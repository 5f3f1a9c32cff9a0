import { loadStackConfig, StackConfig } from "./config";
import { buildBootstrapStack } from "./stacks/bootstrap";
import { buildEnvironmentStack } from "./stacks/environment";
import { buildLoadgenStack } from "./stacks/loadgen";
import { buildSharedStack } from "./stacks/shared";

function buildStack(config: StackConfig) {
    switch (config.role) {
        case "shared":
            return buildSharedStack(config);
        case "environment":
            return buildEnvironmentStack(config);
        case "loadgen":
            return buildLoadgenStack(config);
        case "bootstrap":
            return buildBootstrapStack(config);
    }
}

// The stack's role is explicit config (ecs-loadlab:role), never inferred from the stack's name.
export = buildStack(loadStackConfig());
