import { StackConfig } from "../config";
import { buildBootstrapStack } from "./bootstrap";
import { buildEnvironmentStack } from "./environment";
import { buildLoadgenStack } from "./loadgen";
import { buildSharedStack } from "./shared";

/** Builds the stack a config's role names; its outputs are the stack's outputs. */
export function buildStack(config: StackConfig) {
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
