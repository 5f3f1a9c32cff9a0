import { z } from "zod";
import { fargateTaskSize, int, logRetentionDays, roleCreatingAwsSchema, subnetsFit, vpcShape } from "./common";

/** The loadgen stack's schemas: its public network and the k6 runners' task, logs, results and images. */

/** Public subnets only and no NAT: each task gets a public IP from RunTask and reaches its target directly. */
export const publicNetworkSchema = z.strictObject(vpcShape).prefault({}).superRefine(subnetsFit(1, "public"));

export const loadgenSchema = z
    .strictObject({
        network: publicNetworkSchema,
        /** One k6 runner's task size; one task is one execution segment. */
        task: z.strictObject({ cpu: int(256).default(1024), memory: int(512).default(2048) }).prefault({}).superRefine(fargateTaskSize),
        logRetentionDays: logRetentionDays.default(30),
        /** A run's objects (manifest, archive, results) expire this many days after they are written. */
        resultRetentionDays: int(1).default(30),
        /** Runner images beyond the newest this many expire from the stack's repository. */
        runnerImagesToKeep: int(1).default(10),
    })
    .prefault({});

export const loadgenStackSchema = z.strictObject({
    role: z.literal("loadgen"),
    aws: roleCreatingAwsSchema,
    loadgen: loadgenSchema,
});
