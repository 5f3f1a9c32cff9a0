import { PolicyPackArgs } from "@pulumi/policy";
import { CONTROLS } from "./controls";

export const PACK_NAME = "ecs-loadlab-security";

/** What the entry file serves; the tests run the same policies with the same default level. */
export const PACK_ARGS: PolicyPackArgs = {
    description: "AWS Security Hub controls for the ecs-loadlab stacks, one policy per control, named by its id.",
    enforcementLevel: "mandatory",
    policies: CONTROLS,
};
