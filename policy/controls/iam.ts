import * as aws from "@pulumi/aws";
import { ResourceValidation, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { control, reportingDocumentErrors } from "../lib/control";
import { allowedActions, asList } from "../lib/documents";
import { peek } from "../lib/unknowns";

/**
 * Checks of every identity policy document a stack writes: customer-managed policies, inline policies of roles,
 * users and groups (as their own resources or a role's `inlinePolicies`).
 */
function identityPolicies(check: (actions: string[], report: (message: string) => void) => void): ResourceValidation[] {
    const checkDocument = (document: unknown, what: string, report: (message: string) => void) =>
        reportingDocumentErrors(report, undefined, () => {
            for (const { statement, actions } of allowedActions(document, what)) check(actions, (message) => report(`${what}${statement.Sid ? ` (${statement.Sid})` : ""} ${message}`));
        });
    const ofDocument = (what: string) => (resource: { policy: unknown }, _args: unknown, report: (message: string) => void) => checkDocument(resource.policy, what, report);
    return [
        validateResourceOfType(aws.iam.Policy, ofDocument("the policy")),
        validateResourceOfType(aws.iam.RolePolicy, ofDocument("the role policy")),
        validateResourceOfType(aws.iam.UserPolicy, ofDocument("the user policy")),
        validateResourceOfType(aws.iam.GroupPolicy, ofDocument("the group policy")),
        validateResourceOfType(aws.iam.Role, (role, _args, report) => {
            for (const inline of asList(role.inlinePolicies)) {
                if (inline.policy !== undefined) checkDocument(inline.policy, `inline policy ${inline.name ?? ""}`.trim(), report);
            }
        }),
    ];
}

/**
 * Checks of every managed policy a stack attaches, by ARN. AWS-managed policies have constant ARNs, so an ARN preview
 * cannot know yet is one of a policy the stack creates, which `identityPolicies` checks: it is skipped, not deferred.
 */
function attachedPolicies(check: (policyArn: string, report: (message: string) => void) => void): ResourceValidation[] {
    const checkArn = (read: () => string, report: (message: string) => void) => {
        const policyArn = peek(read);
        if (policyArn.known) check(policyArn.value, report);
    };
    const ofAttachment = (attachment: { policyArn: string }, _args: unknown, report: (message: string) => void) => checkArn(() => attachment.policyArn, report);
    return [
        validateResourceOfType(aws.iam.RolePolicyAttachment, ofAttachment),
        validateResourceOfType(aws.iam.UserPolicyAttachment, ofAttachment),
        validateResourceOfType(aws.iam.GroupPolicyAttachment, ofAttachment),
        validateResourceOfType(aws.iam.PolicyAttachment, ofAttachment),
        validateResourceOfType(aws.iam.Role, (role, _args, report) => {
            const arns = peek(() => asList(role.managedPolicyArns));
            for (let i = 0; arns.known && i < arns.value.length; i++) checkArn(() => arns.value[i], report);
        }),
    ];
}

const ADMINISTRATOR_ACCESS = /^arn:aws[a-z-]*:iam::aws:policy\/AdministratorAccess$/;

export const IAM_1 = control<ResourceValidationPolicy>("IAM.1", {
    description: "No IAM policy the stack writes allows every action (\"*\"), and none attaches AdministratorAccess.",
    validateResource: [
        ...identityPolicies((actions, report) => {
            if (actions.includes("*")) report('allows every action ("*"): list the actions the principal needs.');
        }),
        ...attachedPolicies((policyArn, report) => {
            if (ADMINISTRATOR_ACCESS.test(policyArn)) report(`attaches ${policyArn}: attach a policy with the actions the principal needs.`);
        }),
    ],
});

export const IAM_21 = control<ResourceValidationPolicy>("IAM.21", {
    description: "No IAM policy the stack writes allows a whole service (service:*).",
    validateResource: identityPolicies((actions, report) => {
        const wildcards = actions.filter((action) => action.endsWith(":*"));
        if (wildcards.length > 0) report(`allows ${wildcards.join(", ")}: list the actions the principal needs.`);
    }),
});
