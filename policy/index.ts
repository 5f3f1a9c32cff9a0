import { PolicyPack } from "@pulumi/policy";
import { PACK_ARGS, PACK_NAME } from "./pack";

// Constructing the pack starts the gRPC server the Pulumi CLI talks to, so this file is the only one that does.
new PolicyPack(PACK_NAME, PACK_ARGS);
