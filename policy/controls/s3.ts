import { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { control, reportingDocumentErrors } from "../lib/control";
import { asList, principalsOf, statementsOf } from "../lib/documents";
import { accountOf, ofTypes, referring, subjects, TYPES } from "../lib/graph";
import { checkEach } from "../lib/unknowns";

const BUCKET_IDENTITIES = ["bucket", "id"];

/**
 * A control checked on every bucket of the stack against the one configuration resource of a type that applies to
 * it (its policy, public access block…); a bucket without that resource fails with `missing`.
 */
function eachBucketWith(
    configurationType: string,
    missing: string,
    check: (configuration: PolicyResource, bucket: PolicyResource, report: ReportViolation, args: StackValidationArgs) => void,
): StackValidationPolicy["validateStack"] {
    return (args, report) => {
        const configurations = ofTypes(args.resources, configurationType);
        checkEach(subjects(args, "S3 bucket", TYPES.bucket, TYPES.bucketV2), (bucket) => {
            const found = referring(configurations, "bucket", [bucket], BUCKET_IDENTITIES);
            if (found.length === 0) {
                report(`bucket ${bucket.name} ${missing}`, bucket.urn);
                return;
            }
            checkEach(found, (configuration) => reportingDocumentErrors(report, configuration.urn, () => check(configuration, bucket, report, args)));
        });
    };
}

const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";

export const S3_5 = control<StackValidationPolicy>("S3.5", {
    description: "S3 buckets deny every request made without TLS (aws:SecureTransport false), to the bucket and its objects.",
    validateStack: eachBucketWith(BUCKET_POLICY, "has no bucket policy, so it accepts requests without TLS: add one that denies them.", (policy, bucket, report) => {
        const arn = bucket.props.arn as string;
        const denied = statementsOf(policy.props.policy, `bucket policy ${policy.name}`)
            .filter((s) => s.Effect === "Deny" && principalsOf(s, "AWS").includes("*") && asList(s.Action).some((a) => a === "s3:*" || a === "*"))
            .filter((s) => String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false")
            .flatMap((s) => asList(s.Resource));
        const uncovered = [arn, `${arn}/*`].filter((resource) => !denied.includes(resource));
        if (uncovered.length > 0) report(`the policy of ${bucket.name} does not deny requests without TLS to ${uncovered.join(" and ")}.`, policy.urn);
    }),
});

/** S3.6's list: actions a bucket policy must not grant to principals of other accounts. */
export const S3_6_DENYLISTED_ACTIONS = ["s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutObjectAcl"];

/** The account of a principal (`123456789012`, `arn:aws:iam::123456789012:…`), or "*" for anyone. */
const accountOfPrincipal = (principal: string) => (principal === "*" ? "*" : /^\d{12}$/.test(principal) ? principal : principal.split(":")[4]);

export const S3_6 = control<StackValidationPolicy>("S3.6", {
    description: `S3 bucket policies grant principals of other accounts none of ${S3_6_DENYLISTED_ACTIONS.join(", ")}, and no wildcard action.`,
    validateStack: eachBucketWith(BUCKET_POLICY, "has no bucket policy (S3.5 asks for one).", (policy, bucket, report) => {
        const own = accountOf(policy);
        for (const statement of statementsOf(policy.props.policy, `bucket policy ${policy.name}`).filter((s) => s.Effect === "Allow")) {
            const foreign = principalsOf(statement, "AWS").filter((p) => accountOfPrincipal(p) !== own);
            if (foreign.length === 0) continue;
            const risky = asList(statement.Action).filter((action) => S3_6_DENYLISTED_ACTIONS.includes(action) || action.includes("*"));
            if (risky.length > 0) {
                report(`the policy of ${bucket.name} grants ${risky.join(", ")} to ${foreign.join(", ")}${statement.Sid ? ` (${statement.Sid})` : ""}${own ? "" : "; the provider names no single allowedAccountIds, so every account counts as another"}.`, policy.urn);
            }
        }
    }),
});

export const S3_8 = control<StackValidationPolicy>("S3.8", {
    description: "S3 buckets block public access with all four settings (which S3.2 and S3.3 also check).",
    validateStack: eachBucketWith("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "has no public access block: add an aws.s3.BucketPublicAccessBlock.", (block, bucket, report) => {
        const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((setting) => block.props[setting] !== true);
        if (off.length > 0) report(`the public access block of ${bucket.name} leaves ${off.join(", ")} off.`, block.urn);
    }),
});

export const S3_12 = control<StackValidationPolicy>("S3.12", {
    description: "S3 buckets disable ACLs (object ownership BucketOwnerEnforced).",
    validateStack: eachBucketWith("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "keeps ACLs: add aws.s3.BucketOwnershipControls with BucketOwnerEnforced.", (controls, bucket, report) => {
        const ownership = (controls.props.rule as { objectOwnership?: string } | undefined)?.objectOwnership;
        if (ownership !== "BucketOwnerEnforced") report(`${bucket.name} has object ownership ${ownership}: use BucketOwnerEnforced.`, controls.urn);
    }),
});

interface LifecycleRule {
    status?: string;
    expiration?: { days?: number; date?: string };
    noncurrentVersionExpiration?: { noncurrentDays?: number };
}

const expires = (rule: LifecycleRule) => (rule.expiration?.days ?? 0) > 0 || rule.expiration?.date !== undefined || (rule.noncurrentVersionExpiration?.noncurrentDays ?? 0) > 0;

export const S3_13 = control<StackValidationPolicy>("S3.13", {
    description: "S3 buckets have a lifecycle configuration with an enabled rule that expires objects (or, in a versioned bucket, replaced versions).",
    validateStack: eachBucketWith("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "has no lifecycle configuration: objects are kept forever.", (lifecycle, bucket, report) => {
        if (!asList(lifecycle.props.rules as LifecycleRule[]).some((rule) => rule.status === "Enabled" && expires(rule))) report(`no enabled rule of ${bucket.name}'s lifecycle configuration expires anything.`, lifecycle.urn);
    }),
});
