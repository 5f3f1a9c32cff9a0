import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { control, reportingDocumentErrors } from "../lib/control";
import { parseDocument } from "../lib/documents";
import { ofTypes, referring, subjects } from "../lib/graph";
import { checkEach } from "../lib/unknowns";

export const ECR_1 = control<ResourceValidationPolicy>("ECR.1", {
    description: "ECR repositories scan images on push.",
    validateResource: validateResourceOfType(aws.ecr.Repository, (repository, _args, report) => {
        if (repository.imageScanningConfiguration?.scanOnPush !== true) report("images are not scanned on push: set imageScanningConfiguration.scanOnPush to true.");
    }),
});

export const ECR_2 = control<ResourceValidationPolicy>("ECR.2", {
    description:
        "ECR repositories have immutable tags. A tag may stay movable only by its exact name (IMMUTABLE_WITH_EXCLUSION, as the environment tags promotion moves); a wildcard would free a whole family of tags.",
    validateResource: validateResourceOfType(aws.ecr.Repository, (repository, _args, report) => {
        const mutability = repository.imageTagMutability ?? "MUTABLE";
        if (mutability === "IMMUTABLE") return;
        if (mutability !== "IMMUTABLE_WITH_EXCLUSION") {
            report(`tags are ${mutability}: set imageTagMutability to IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION naming the tags that move.`);
            return;
        }
        const wildcards = (repository.imageTagMutabilityExclusionFilters ?? []).map((f) => f.filter).filter((filter) => filter.includes("*"));
        if (wildcards.length > 0) report(`exclusion filters ${wildcards.join(", ")} keep every matching tag movable: exclude each movable tag by its exact name.`);
    }),
});

export const ECR_3 = control<StackValidationPolicy>("ECR.3", {
    description: "ECR repositories have a lifecycle policy with at least one rule.",
    validateStack: (args, report) => {
        const repositories = subjects(args, "ECR repository", "aws:ecr/repository:Repository");
        const lifecyclePolicies = ofTypes(args.resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
        checkEach(repositories, (repository) => {
            const policies = referring(lifecyclePolicies, "repository", [repository], ["name", "id"]);
            if (policies.length === 0) {
                report(`repository ${repository.name} has no lifecycle policy: add an aws.ecr.LifecyclePolicy for it.`, repository.urn);
                return;
            }
            checkEach(policies, (policy) =>
                reportingDocumentErrors(report, policy.urn, () => {
                    const rules = (parseDocument(policy.props.policy, `the lifecycle policy of ${repository.name}`) as { rules?: unknown } | null)?.rules;
                    if (!Array.isArray(rules) || rules.length === 0) report(`the lifecycle policy of ${repository.name} has no rules.`, policy.urn);
                }),
            );
        });
    },
});
