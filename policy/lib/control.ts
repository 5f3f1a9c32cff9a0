import { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DocumentError } from "./documents";

/** A Security Hub control id as the pack names its policies: `ECS.10`, `S3.5`. */
export type ControlId = `${"EC2" | "ECR" | "ECS" | "ELB" | "IAM" | "KMS" | "S3" | "SNS"}.${number}`;

export type Control = (ResourceValidationPolicy | StackValidationPolicy) & { name: ControlId };

/** The control's page in the Security Hub user guide. */
export function controlUrl(id: ControlId): string {
    const [service, number] = id.toLowerCase().split(".");
    return `https://docs.aws.amazon.com/securityhub/latest/userguide/${service}-controls.html#${service}-${number}`;
}

/** One policy per control, named by its id, linking to its definition; the pack makes it mandatory unless config says otherwise. */
export function control<P extends ResourceValidationPolicy | StackValidationPolicy>(name: ControlId, policy: Omit<P, "name" | "url">): P & { name: ControlId } {
    return { name, url: controlUrl(name), ...policy } as P & { name: ControlId };
}

/** Runs a check that parses a document; a document that does not parse is itself the violation. */
export function reportingDocumentErrors(report: ReportViolation, urn: string | undefined, check: () => void): void {
    try {
        check();
    } catch (error) {
        if (!(error instanceof DocumentError)) throw error;
        report(error.message, urn);
    }
}
