import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { control } from "../lib/control";
import { ofTypes, referredTo, subjects } from "../lib/graph";
import { checkEach, peek } from "../lib/unknowns";

export const KMS_4 = control<ResourceValidationPolicy>("KMS.4", {
    description: "Symmetric customer-managed KMS keys rotate.",
    validateResource: validateResourceOfType(aws.kms.Key, (key, args, report) => {
        const spec = key.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
        if (spec !== "SYMMETRIC_DEFAULT") args.notApplicable(`${spec} keys do not rotate`);
        if (key.enableKeyRotation !== true) report("the key does not rotate: set enableKeyRotation to true.");
    }),
});

export const SNS_1 = control<StackValidationPolicy>("SNS.1", {
    description: "SNS topics are encrypted with a customer-managed KMS key of the stack (named by its id, ARN or one of its aliases).",
    validateStack: (args, report) => {
        const keys = ofTypes(args.resources, "aws:kms/key:Key", "aws:kms/alias:Alias");
        checkEach(subjects(args, "SNS topic", "aws:sns/topic:Topic"), (topic) => {
            const keyId = peek(() => topic.props.kmsMasterKeyId as string | undefined);
            if (keyId.known && keyId.value === undefined) {
                report(`topic ${topic.name} is not encrypted: set kmsMasterKeyId to a key of the stack.`, topic.urn);
                return;
            }
            if (referredTo(topic, "kmsMasterKeyId", keys, ["arn", "keyId", "id", "name"]).length === 0) {
                const name = keyId.known ? keyId.value : "a key";
                report(`topic ${topic.name} is encrypted with ${name}, not a key of the stack${name === "alias/aws/sns" ? " (the AWS-managed key cannot be restricted by a key policy)" : ""}.`, topic.urn);
            }
        });
    },
});
